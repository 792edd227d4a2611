-- The callback widgets, their managers and their API keys. Settings and
-- working hours are JSON objects validated by package dialer; the columns
-- the service looks rows up by are columns.
CREATE TABLE widgets (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    site_url    TEXT    NOT NULL CONSTRAINT site_url CHECK (site_url GLOB 'http://?*' OR site_url GLOB 'https://?*'),
    widget_key  TEXT    NOT NULL UNIQUE CONSTRAINT widget_key CHECK (length(widget_key) BETWEEN 16 AND 64),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    active      INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1)),
    settings    TEXT    NOT NULL DEFAULT '{}'
                CONSTRAINT settings CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE widget_managers (
    id             INTEGER PRIMARY KEY,
    widget_id      INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 128),
    -- An agent's seat or an outside number, never both.
    agent_id       INTEGER REFERENCES agents (id) ON DELETE CASCADE,
    phone          TEXT    NOT NULL DEFAULT '',
    time_zone      TEXT    NOT NULL CONSTRAINT time_zone CHECK (length(time_zone) BETWEEN 1 AND 64),
    hours          TEXT    NOT NULL DEFAULT '{}'
                   CONSTRAINT hours CHECK (json_valid(hours) AND json_type(hours) = 'object'),
    rank           INTEGER NOT NULL DEFAULT 0 CONSTRAINT rank CHECK (rank BETWEEN 0 AND 100),
    position       INTEGER NOT NULL DEFAULT 0 CONSTRAINT position CHECK (position BETWEEN 0 AND 10000),
    active         INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1)),
    verified_at    INTEGER,
    -- The pending SMS code: salt$sha256, its expiry and the attempts spent.
    code_hash      TEXT,
    code_expires   INTEGER,
    code_attempts  INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT phone CHECK ((agent_id IS NULL) <> (phone = ''))
) STRICT;
CREATE INDEX widget_managers_widget ON widget_managers (widget_id, position);

-- Hashed like api_keys; a widget's key acts for that widget alone.
CREATE TABLE widget_api_keys (
    id           INTEGER PRIMARY KEY,
    widget_id    INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 64),
    prefix       TEXT    NOT NULL UNIQUE,
    hash         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX widget_api_keys_widget ON widget_api_keys (widget_id);
