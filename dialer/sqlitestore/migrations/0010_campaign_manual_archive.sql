-- foreign_keys: off
-- Campaigns take the manual dial mode and can be archived. SQLite cannot
-- change a CHECK in place: the table is rebuilt (Migrate runs this file
-- with foreign keys off, so dropping the old table cascades to nothing, and
-- checks the references after). Every row is copied with its id.
CREATE TABLE campaigns_new (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL COLLATE NOCASE
                    CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    dial_mode       TEXT    NOT NULL
                    CONSTRAINT dial_mode CHECK (dial_mode IN ('manual', 'preview', 'progressive', 'predictive')),
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
    -- NULL: not archived.
    archived_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
INSERT INTO campaigns_new (id, name, dial_mode, caller_id, abandon_message, script, wrapup_seconds, max_attempts,
    active, settings, created_at, updated_at)
SELECT id, name, dial_mode, caller_id, abandon_message, script, wrapup_seconds, max_attempts,
    active, settings, created_at, updated_at
FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_new RENAME TO campaigns;
CREATE UNIQUE INDEX campaigns_name ON campaigns (name);
