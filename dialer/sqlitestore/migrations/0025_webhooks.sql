-- Webhook endpoints and their outbox: one delivery per event and
-- endpoint, and one row per attempt of it.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL CONSTRAINT url CHECK (length(url) BETWEEN 8 AND 2000),
    secret          TEXT    NOT NULL CONSTRAINT secret CHECK (length(secret) >= 16),
    -- A JSON array of event names; "*" is every event.
    events          TEXT    NOT NULL CONSTRAINT events CHECK (json_valid(events) AND json_type(events) = 'array'),
    active          INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1)),
    widget_id       INTEGER NOT NULL DEFAULT 0 CONSTRAINT widget_id CHECK (widget_id >= 0),
    description     TEXT    NOT NULL DEFAULT '' CONSTRAINT description CHECK (length(description) <= 500),
    disabled_reason TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending' CONSTRAINT state CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    replay_of   INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- The dispatcher's look for due deliveries, and an endpoint's log.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    response    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
) STRICT, WITHOUT ROWID;
