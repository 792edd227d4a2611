-- foreign_keys: off
-- A blind transfer whose target did not take the lead, and whom nobody
-- took back, ends with the outcome transfer_failed (not abandoned). SQLite
-- cannot change a CHECK in place: the calls table is rebuilt (SQLite's
-- twelve steps; Migrate runs this file with foreign keys off, so dropping
-- the old table cascades to nothing, and checks the references after).
CREATE TABLE calls_new (
    id             TEXT    PRIMARY KEY CONSTRAINT call_id CHECK (length(id) = 36),
    direction      TEXT    NOT NULL CONSTRAINT direction CHECK (direction IN ('inbound', 'outbound')),
    origin         TEXT    NOT NULL
                   CONSTRAINT origin CHECK (origin IN ('dialer', 'manual', 'api', 'widget', 'callback', 'inbound')),
    campaign_id    INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    lead_id        INTEGER REFERENCES leads (id) ON DELETE SET NULL,
    agent_id       INTEGER REFERENCES agents (id) ON DELETE SET NULL,
    from_number    TEXT    NOT NULL DEFAULT '',
    to_number      TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL DEFAULT 'created'
                   CONSTRAINT state CHECK (state IN ('created', 'ringing', 'answered', 'bridged', 'ended')),
    hangup_cause   TEXT    NOT NULL DEFAULT '',
    outcome        TEXT    NOT NULL DEFAULT ''
                   CONSTRAINT outcome CHECK (outcome IN ('', 'answered', 'no_answer', 'busy', 'rejected', 'failed',
                       'unreachable', 'abandoned', 'machine', 'cancelled', 'transfer_failed')),
    billsec        INTEGER NOT NULL DEFAULT 0 CONSTRAINT billsec CHECK (billsec >= 0),
    created_at     INTEGER NOT NULL,
    answered_at    INTEGER,
    bridged_at     INTEGER,
    ended_at       INTEGER,
    recording_path TEXT    NOT NULL DEFAULT '',
    -- A code in use cannot be deleted (no ON DELETE action). An agent who
    -- left a warm transfer disposes while the lead still talks, so a live
    -- call may already carry one.
    disposition    TEXT    REFERENCES dispositions (code) ON UPDATE CASCADE,
    notes          TEXT    NOT NULL DEFAULT '',
    switch_lost       INTEGER NOT NULL DEFAULT 0,
    billsec_estimated INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT ended_at CHECK ((state = 'ended') = (ended_at IS NOT NULL) AND (ended_at IS NULL OR ended_at >= created_at)),
    CONSTRAINT outcome_set CHECK ((state = 'ended') = (outcome <> ''))
) STRICT;
INSERT INTO calls_new (id, direction, origin, campaign_id, lead_id, agent_id, from_number, to_number, state,
    hangup_cause, outcome, billsec, created_at, answered_at, bridged_at, ended_at, recording_path, disposition,
    notes, switch_lost, billsec_estimated)
SELECT id, direction, origin, campaign_id, lead_id, agent_id, from_number, to_number, state,
    hangup_cause, outcome, billsec, created_at, answered_at, bridged_at, ended_at, recording_path, disposition,
    notes, switch_lost, billsec_estimated
FROM calls;
DROP TABLE calls;
ALTER TABLE calls_new RENAME TO calls;
CREATE INDEX calls_created ON calls (created_at, id);
CREATE INDEX calls_agent ON calls (agent_id, created_at);
CREATE INDEX calls_campaign ON calls (campaign_id, created_at);
CREATE INDEX calls_lead ON calls (lead_id);
-- Live calls, for reconciliation after a restart.
CREATE INDEX calls_live ON calls (created_at) WHERE state <> 'ended';
