-- The codes agents pause with, kept by admins. The service's own codes
-- (dialer.SystemPauseCode) are not stored: nobody may choose them.
CREATE TABLE pause_codes (
    code       TEXT    PRIMARY KEY
               CONSTRAINT code CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^A-Z0-9_]*'
                   AND code NOT IN ('RONA', 'NO_HEARTBEAT', 'PHONE_DOWN', 'CALL_LOST', 'PREVIEW',
                   'LOGIN', 'MANUAL', 'RESTART')),
    label      TEXT    NOT NULL CONSTRAINT label CHECK (length(label) BETWEEN 1 AND 64),
    productive INTEGER NOT NULL DEFAULT 0 CONSTRAINT productive CHECK (productive IN (0, 1)),
    active     INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1)),
    sort       INTEGER NOT NULL DEFAULT 0 CONSTRAINT sort CHECK (sort BETWEEN 0 AND 10000),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- dialer.PauseCodes, the codes every install had before they were stored.
INSERT INTO pause_codes (code, label, productive, active, sort, created_at, updated_at)
VALUES
    ('BREAK',    'Break',    0, 1, 10, unixepoch() * 1000, unixepoch() * 1000),
    ('LUNCH',    'Lunch',    0, 1, 20, unixepoch() * 1000, unixepoch() * 1000),
    ('MEETING',  'Meeting',  1, 1, 30, unixepoch() * 1000, unixepoch() * 1000),
    ('TRAINING', 'Training', 1, 1, 40, unixepoch() * 1000, unixepoch() * 1000),
    ('ADMIN',    'Admin',    1, 1, 50, unixepoch() * 1000, unixepoch() * 1000);
