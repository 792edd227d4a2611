-- The durable schema. Times are INTEGER Unix milliseconds (UTC). CHECK
-- constraints are named after the field they guard so that a violation can
-- be reported by field name. Optional references are NULL, never 0.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL COLLATE NOCASE
                  CONSTRAINT username CHECK (length(username) BETWEEN 1 AND 64),
    display_name  TEXT    NOT NULL DEFAULT '',
    -- bcrypt only; a plain password can never fit.
    password_hash TEXT    NOT NULL CONSTRAINT password CHECK (password_hash GLOB '$2[aby]$*' AND length(password_hash) = 60),
    role          TEXT    NOT NULL CONSTRAINT role CHECK (role IN ('admin', 'supervisor', 'agent')),
    disabled      INTEGER NOT NULL DEFAULT 0 CONSTRAINT disabled CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL COLLATE NOCASE
                    CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    dial_mode       TEXT    NOT NULL CONSTRAINT dial_mode CHECK (dial_mode IN ('preview', 'progressive', 'predictive')),
    caller_id       TEXT    NOT NULL DEFAULT ''
                    CONSTRAINT caller_id CHECK (caller_id = '' OR (caller_id GLOB '+[1-9]*'
                        AND length(caller_id) BETWEEN 7 AND 16 AND substr(caller_id, 2) NOT GLOB '*[^0-9]*')),
    abandon_message TEXT    NOT NULL DEFAULT '',
    script          TEXT    NOT NULL DEFAULT '',
    wrapup_seconds  INTEGER NOT NULL DEFAULT 0 CONSTRAINT wrapup_seconds CHECK (wrapup_seconds BETWEEN 0 AND 3600),
    max_attempts    INTEGER NOT NULL DEFAULT 3 CONSTRAINT max_attempts CHECK (max_attempts BETWEEN 1 AND 100),
    active          INTEGER NOT NULL DEFAULT 0 CONSTRAINT active CHECK (active IN (0, 1)),
    settings        TEXT    NOT NULL DEFAULT '{}'
                    CONSTRAINT settings CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX campaigns_name ON campaigns (name);

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    -- One seat per login; deleting the user keeps the seat unassigned.
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name           TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    extension      TEXT    NOT NULL
                   CONSTRAINT extension CHECK (length(extension) BETWEEN 2 AND 10 AND extension NOT GLOB '*[^0-9]*'),
    realm          TEXT    NOT NULL CONSTRAINT realm CHECK (length(realm) BETWEEN 1 AND 253),
    -- md5(extension:realm:password), what FreeSWITCH takes as a1-hash.
    sip_a1_hash    TEXT    NOT NULL
                   CONSTRAINT sip_password CHECK (length(sip_a1_hash) = 32 AND sip_a1_hash NOT GLOB '*[^0-9a-f]*'),
    external_phone TEXT
                   CONSTRAINT external_phone CHECK (external_phone IS NULL OR (external_phone GLOB '+[1-9]*'
                       AND length(external_phone) BETWEEN 7 AND 16 AND substr(external_phone, 2) NOT GLOB '*[^0-9]*')),
    mode           TEXT    NOT NULL DEFAULT 'ring' CONSTRAINT mode CHECK (mode IN ('ring', 'persistent')),
    disabled       INTEGER NOT NULL DEFAULT 0 CONSTRAINT disabled CHECK (disabled IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX agents_extension ON agents (extension);
CREATE UNIQUE INDEX agents_user ON agents (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE agent_skills (
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    skill    TEXT    NOT NULL CONSTRAINT skills CHECK (length(skill) BETWEEN 1 AND 32 AND skill NOT GLOB '*[^a-z0-9_.-]*'),
    PRIMARY KEY (agent_id, skill)
) STRICT, WITHOUT ROWID;
CREATE INDEX agent_skills_skill ON agent_skills (skill);

CREATE TABLE campaign_agents (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, agent_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX campaign_agents_agent ON campaign_agents (agent_id);

CREATE TABLE dispositions (
    code               TEXT    PRIMARY KEY
                       CONSTRAINT code CHECK (length(code) BETWEEN 1 AND 16 AND code NOT GLOB '*[^A-Z0-9_]*'),
    label              TEXT    NOT NULL CONSTRAINT label CHECK (length(label) BETWEEN 1 AND 64),
    -- system codes are used by the service itself and cannot be deleted.
    system             INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    selectable         INTEGER NOT NULL DEFAULT 1 CHECK (selectable IN (0, 1)),
    schedules_callback INTEGER NOT NULL DEFAULT 0 CHECK (schedules_callback IN (0, 1)),
    marks_dnc          INTEGER NOT NULL DEFAULT 0 CHECK (marks_dnc IN (0, 1)),
    final              INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    sort               INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    CONSTRAINT final CHECK (NOT (schedules_callback = 1 AND final = 1))
) STRICT, WITHOUT ROWID;

CREATE TABLE leads (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    phone            TEXT    NOT NULL
                     CONSTRAINT phone CHECK (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 7 AND 16
                         AND substr(phone, 2) NOT GLOB '*[^0-9]*'),
    phone2           TEXT    NOT NULL DEFAULT ''
                     CONSTRAINT phone2 CHECK (phone2 = '' OR (phone2 GLOB '+[1-9]*' AND length(phone2) BETWEEN 7 AND 16
                         AND substr(phone2, 2) NOT GLOB '*[^0-9]*')),
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    time_zone        TEXT    NOT NULL DEFAULT '',
    custom           TEXT    NOT NULL DEFAULT '{}'
                     CONSTRAINT custom CHECK (json_valid(custom) AND json_type(custom) = 'object'),
    status           TEXT    NOT NULL DEFAULT 'new'
                     CONSTRAINT status CHECK (status IN ('new', 'dialing', 'retry', 'callback', 'done', 'dnc', 'invalid')),
    attempts         INTEGER NOT NULL DEFAULT 0 CONSTRAINT attempts CHECK (attempts >= 0),
    last_call_at     INTEGER,
    next_call_at     INTEGER,
    last_outcome     TEXT    NOT NULL DEFAULT '',
    last_disposition TEXT    REFERENCES dispositions (code) ON UPDATE CASCADE ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
-- One lead per number per campaign: the duplicate check of list imports.
CREATE UNIQUE INDEX leads_campaign_phone ON leads (campaign_id, phone);
-- The dialer's next-lead query: campaign, status, due time.
CREATE INDEX leads_dialable ON leads (campaign_id, status, next_call_at);
CREATE INDEX leads_phone ON leads (phone);

CREATE TABLE calls (
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
                       'unreachable', 'abandoned', 'machine', 'cancelled')),
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
    CONSTRAINT ended_at CHECK ((state = 'ended') = (ended_at IS NOT NULL) AND (ended_at IS NULL OR ended_at >= created_at)),
    CONSTRAINT outcome_set CHECK ((state = 'ended') = (outcome <> ''))
) STRICT;
CREATE INDEX calls_created ON calls (created_at, id);
CREATE INDEX calls_agent ON calls (agent_id, created_at);
CREATE INDEX calls_campaign ON calls (campaign_id, created_at);
CREATE INDEX calls_lead ON calls (lead_id);
-- Live calls, for reconciliation after a restart.
CREATE INDEX calls_live ON calls (created_at) WHERE state <> 'ended';

CREATE TABLE call_legs (
    id           TEXT    PRIMARY KEY CONSTRAINT leg_id CHECK (length(id) = 36),
    call_id      TEXT    NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CONSTRAINT role CHECK (role IN ('lead', 'agent', 'third', 'supervisor')),
    endpoint     TEXT    NOT NULL CONSTRAINT endpoint CHECK (length(endpoint) BETWEEN 1 AND 512),
    node         TEXT    NOT NULL DEFAULT '',
    agent_id     INTEGER REFERENCES agents (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    ended_at     INTEGER,
    hangup_cause TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX call_legs_call ON call_legs (call_id);

-- A call's timeline, clustered by (call, seq) so it reads in order.
CREATE TABLE call_events (
    call_id TEXT    NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL CHECK (seq >= 1),
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL CONSTRAINT kind CHECK (length(kind) BETWEEN 1 AND 32),
    leg_id  TEXT    REFERENCES call_legs (id) ON DELETE SET NULL,
    data    TEXT    NOT NULL DEFAULT '{}' CONSTRAINT data CHECK (json_valid(data)),
    PRIMARY KEY (call_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER call_events_append_only BEFORE UPDATE ON call_events
BEGIN
    SELECT RAISE(ABORT, 'call_events is append-only');
END;

CREATE TABLE callbacks (
    id          INTEGER PRIMARY KEY,
    lead_id     INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    -- Copied from the lead, so due callbacks are listed per campaign cheaply.
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    call_id     TEXT    REFERENCES calls (id) ON DELETE SET NULL,
    -- NULL: anyone's callback.
    agent_id    INTEGER REFERENCES agents (id) ON DELETE SET NULL,
    due_at      INTEGER NOT NULL,
    -- The lead's zone when scheduled, to show and reason in local time.
    time_zone   TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'scheduled'
                CONSTRAINT status CHECK (status IN ('scheduled', 'dialing', 'done', 'cancelled', 'missed')),
    notes       TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX callbacks_due ON callbacks (due_at) WHERE status = 'scheduled';
CREATE INDEX callbacks_agent_due ON callbacks (agent_id, due_at) WHERE status = 'scheduled';
CREATE INDEX callbacks_lead ON callbacks (lead_id);

CREATE TABLE dnc (
    id          INTEGER PRIMARY KEY,
    phone       TEXT    NOT NULL
                CONSTRAINT phone CHECK (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 7 AND 16
                    AND substr(phone, 2) NOT GLOB '*[^0-9]*'),
    -- NULL: blocked for every campaign.
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE CASCADE,
    reason      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX dnc_phone_scope ON dnc (phone, coalesce(campaign_id, 0));

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 64),
    -- The public head of the key ("ask_" + 8 chars), used to find the row.
    prefix       TEXT    NOT NULL CONSTRAINT prefix CHECK (length(prefix) = 12),
    -- hex SHA-256 of the whole key; the key itself is never stored.
    hash         TEXT    NOT NULL CONSTRAINT hash CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    role         TEXT    NOT NULL CONSTRAINT role CHECK (role IN ('admin', 'supervisor', 'agent')),
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL CONSTRAINT actor CHECK (length(actor) BETWEEN 1 AND 64),
    action TEXT    NOT NULL CONSTRAINT action CHECK (length(action) BETWEEN 1 AND 64),
    target TEXT    NOT NULL DEFAULT '',
    data   TEXT    NOT NULL DEFAULT '{}' CONSTRAINT data CHECK (json_valid(data))
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
