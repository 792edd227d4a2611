-- Every state an agent entered, so that reports add up time per state
-- (the live store keeps only the running session's totals). A state lasts
-- until the agent's next row. Written by the engine behind the call
-- records, so call_id and campaign_id are plain values, not references: a
-- state may be written before its call's record.
CREATE TABLE agent_states (
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    state       TEXT    NOT NULL
                CONSTRAINT state CHECK (state IN ('LOGGED_OUT', 'READY', 'RESERVED', 'RINGING', 'INCALL', 'DISPO', 'PAUSED')),
    pause_code  TEXT    NOT NULL DEFAULT '' CONSTRAINT pause_code CHECK (length(pause_code) <= 32),
    call_id     TEXT,
    campaign_id INTEGER,
    -- A view published twice (a refresh) is one row.
    PRIMARY KEY (agent_id, at, state)
) STRICT, WITHOUT ROWID;
-- Reports read a time range of every agent's states.
CREATE INDEX agent_states_at ON agent_states (at);
