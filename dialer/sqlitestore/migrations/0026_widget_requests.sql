-- Lead requests: every request to be called back through a widget, from
-- its arrival (refusals too), and each of its attempts (one speed call).
CREATE TABLE widget_requests (
    id              INTEGER PRIMARY KEY,
    widget_id       INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    source          TEXT    NOT NULL CONSTRAINT source CHECK (source IN ('widget', 'api')),
    created_at      INTEGER NOT NULL,
    numbers         TEXT    NOT NULL DEFAULT '[]' CONSTRAINT numbers CHECK (json_valid(numbers)),
    -- The first number, for the repeat check.
    first_number    TEXT    NOT NULL DEFAULT '',
    country         TEXT    NOT NULL DEFAULT '',
    params          TEXT    NOT NULL DEFAULT '{}' CONSTRAINT params CHECK (json_valid(params)),
    announcement    TEXT    NOT NULL DEFAULT '',
    operators       TEXT    NOT NULL DEFAULT '[]' CONSTRAINT operators CHECK (json_valid(operators)),
    status          TEXT    NOT NULL CONSTRAINT status
                    CHECK (status IN ('scheduled', 'calling', 'connected', 'missed', 'refused', 'cancelled')),
    reason          TEXT    NOT NULL DEFAULT '',
    field           TEXT    NOT NULL DEFAULT '',
    message         TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 0 CONSTRAINT max_attempts CHECK (max_attempts BETWEEN 0 AND 10),
    next_attempt_at INTEGER,
    manager         TEXT    NOT NULL DEFAULT '',
    call_id         TEXT    NOT NULL DEFAULT '',
    connected_at    INTEGER,
    talk_seconds    INTEGER NOT NULL DEFAULT 0,
    recording       TEXT    NOT NULL DEFAULT '',
    -- A coalesced refusal stands for count requests.
    count           INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT,
    -- The first answer to the idempotency key, replayed to a retry.
    response        BLOB,
    ip              TEXT    NOT NULL DEFAULT '',
    -- widget, IP and minute of a rate-limited refusal: one row each.
    coalesce_key    TEXT
) STRICT;
CREATE UNIQUE INDEX widget_requests_idempotency ON widget_requests (widget_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX widget_requests_coalesce ON widget_requests (widget_id, coalesce_key)
    WHERE coalesce_key IS NOT NULL;
CREATE INDEX widget_requests_created ON widget_requests (created_at);
CREATE INDEX widget_requests_widget ON widget_requests (widget_id, id);
CREATE INDEX widget_requests_number ON widget_requests (widget_id, first_number, created_at);
CREATE INDEX widget_requests_due ON widget_requests (next_attempt_at) WHERE status = 'scheduled';
CREATE INDEX widget_requests_status ON widget_requests (status) WHERE status IN ('scheduled', 'calling');

CREATE TABLE widget_request_attempts (
    request_id   INTEGER NOT NULL REFERENCES widget_requests (id) ON DELETE CASCADE,
    n            INTEGER NOT NULL CONSTRAINT n CHECK (n BETWEEN 1 AND 10),
    call_id      TEXT    NOT NULL DEFAULT '',
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    result       TEXT    NOT NULL DEFAULT '',
    manager      TEXT    NOT NULL DEFAULT '',
    talk_seconds INTEGER NOT NULL DEFAULT 0,
    recording    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (request_id, n)
) STRICT;
