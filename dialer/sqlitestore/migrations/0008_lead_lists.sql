-- Lead lists and their CSV imports. A list groups the leads of one
-- campaign that came from one source; the campaign stays the unit of
-- dialing, DNC and the one-lead-per-number rule.
CREATE TABLE lead_lists (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX lead_lists_campaign_name ON lead_lists (campaign_id, name COLLATE NOCASE);

-- SET NULL, not CASCADE: a lead carries its calls, callbacks and DNC
-- status; removing the list it came from must not erase that history nor
-- free its number for a second call in the same campaign.
ALTER TABLE leads ADD COLUMN list_id INTEGER REFERENCES lead_lists (id) ON DELETE SET NULL;
CREATE INDEX leads_list ON leads (list_id) WHERE list_id IS NOT NULL;

CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    list_id       INTEGER NOT NULL REFERENCES lead_lists (id) ON DELETE CASCADE,
    file_name     TEXT    NOT NULL DEFAULT '' CONSTRAINT file_name CHECK (length(file_name) <= 255),
    status        TEXT    NOT NULL DEFAULT 'running'
                  CONSTRAINT status CHECK (status IN ('running', 'committed', 'rolled_back', 'failed')),
    rows_read     INTEGER NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    rows_imported INTEGER NOT NULL DEFAULT 0 CHECK (rows_imported >= 0),
    rows_rejected INTEGER NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
    -- Rejected rows counted by reason, {"bad_number": 3, ...}.
    rejects       TEXT    NOT NULL DEFAULT '{}' CONSTRAINT rejects CHECK (json_valid(rejects)),
    -- Why a failed or rolled-back import stopped.
    error         TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    CONSTRAINT finished_at CHECK ((status = 'running') = (finished_at IS NULL))
) STRICT;
CREATE INDEX imports_list ON imports (list_id, id);
