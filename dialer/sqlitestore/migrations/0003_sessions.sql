-- Web sessions. Only a hash of the token is stored; the browser holds the
-- token in a cookie.
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    -- hex SHA-256 of the token (it carries 256 random bits).
    token_hash     TEXT    NOT NULL
                   CONSTRAINT token_hash CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    -- Slides to last_seen_at + idle_ms on use, never past max_expires_at.
    expires_at     INTEGER NOT NULL,
    max_expires_at INTEGER NOT NULL,
    idle_ms        INTEGER NOT NULL CONSTRAINT idle CHECK (idle_ms > 0),
    user_agent     TEXT    NOT NULL DEFAULT '' CONSTRAINT user_agent CHECK (length(user_agent) <= 256),
    remote_addr    TEXT    NOT NULL DEFAULT '' CONSTRAINT remote_addr CHECK (length(remote_addr) <= 64),
    CONSTRAINT expires_at CHECK (expires_at <= max_expires_at)
) STRICT;
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
