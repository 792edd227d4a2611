-- Inbound queues and their members. A DID routes to a queue by its name
-- (dids.queue), so the name keeps the DID queue token's rule.
CREATE TABLE queues (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT    NOT NULL
                          CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_.-]*'),
    strategy              TEXT    NOT NULL
                          CONSTRAINT strategy CHECK (strategy IN ('ring-all', 'longest-idle', 'round-robin', 'top-down',
                              'fewest-calls', 'least-talk-time', 'random', 'by-rank', 'random-stagger')),
    gap_min_seconds       INTEGER NOT NULL DEFAULT 0 CONSTRAINT gap_min_seconds CHECK (gap_min_seconds BETWEEN 0 AND 60),
    gap_max_seconds       INTEGER NOT NULL DEFAULT 0 CONSTRAINT gap_max_seconds CHECK (gap_max_seconds BETWEEN gap_min_seconds AND 60),
    ring_timeout_seconds  INTEGER NOT NULL CONSTRAINT ring_timeout_seconds CHECK (ring_timeout_seconds BETWEEN 5 AND 300),
    wrapup_seconds        INTEGER NOT NULL DEFAULT 0 CONSTRAINT wrapup_seconds CHECK (wrapup_seconds BETWEEN 0 AND 3600),
    max_wait_seconds      INTEGER NOT NULL DEFAULT 0 CONSTRAINT max_wait_seconds CHECK (max_wait_seconds BETWEEN 0 AND 86400),
    max_waiting           INTEGER NOT NULL DEFAULT 0 CONSTRAINT max_waiting CHECK (max_waiting BETWEEN 0 AND 10000),
    music                 TEXT    NOT NULL DEFAULT '' CONSTRAINT music CHECK (length(music) <= 512),
    announce_seconds      INTEGER NOT NULL DEFAULT 0
                          CONSTRAINT announce_seconds CHECK (announce_seconds = 0 OR announce_seconds BETWEEN 10 AND 3600),
    announce_position     INTEGER NOT NULL DEFAULT 0 CONSTRAINT announce_position CHECK (announce_position IN (0, 1)),
    announce_wait         INTEGER NOT NULL DEFAULT 0 CONSTRAINT announce_wait CHECK (announce_wait IN (0, 1)),
    service_level_seconds INTEGER NOT NULL DEFAULT 20
                          CONSTRAINT service_level_seconds CHECK (service_level_seconds BETWEEN 1 AND 3600),
    max_no_answer         INTEGER NOT NULL DEFAULT 3 CONSTRAINT max_no_answer CHECK (max_no_answer BETWEEN 0 AND 100),
    overflow_on_max_wait  INTEGER NOT NULL DEFAULT 0 CONSTRAINT overflow_on_max_wait CHECK (overflow_on_max_wait IN (0, 1)),
    overflow_on_no_agents INTEGER NOT NULL DEFAULT 0 CONSTRAINT overflow_on_no_agents CHECK (overflow_on_no_agents IN (0, 1)),
    overflow_kind         TEXT    NOT NULL DEFAULT 'none'
                          CONSTRAINT overflow_kind CHECK (overflow_kind IN ('none', 'queue', 'number', 'agent', 'voicemail', 'callback')),
    -- No ON DELETE action: a queue or agent another queue overflows to is
    -- in use and cannot go.
    overflow_queue_id     INTEGER REFERENCES queues (id),
    overflow_agent_id     INTEGER REFERENCES agents (id),
    overflow_number       TEXT    NOT NULL DEFAULT ''
                          CONSTRAINT overflow_number CHECK (overflow_number = '' OR (overflow_number GLOB '+[1-9]*'
                              AND length(overflow_number) BETWEEN 7 AND 16 AND substr(overflow_number, 2) NOT GLOB '*[^0-9]*')),
    overflow_greeting     TEXT    NOT NULL DEFAULT '' CONSTRAINT overflow_greeting CHECK (length(overflow_greeting) <= 512),
    active                INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1)),
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    CONSTRAINT overflow_queue_id CHECK ((overflow_kind = 'queue') = (overflow_queue_id IS NOT NULL) AND overflow_queue_id IS NOT id),
    CONSTRAINT overflow_agent_id CHECK ((overflow_kind = 'agent') = (overflow_agent_id IS NOT NULL)),
    CONSTRAINT overflow_number CHECK ((overflow_kind = 'number') = (overflow_number <> '')),
    CONSTRAINT overflow_on_max_wait CHECK (overflow_on_max_wait = 0 OR max_wait_seconds > 0)
) STRICT;
CREATE UNIQUE INDEX queues_name ON queues (name);
CREATE INDEX queues_overflow_queue ON queues (overflow_queue_id) WHERE overflow_queue_id IS NOT NULL;
CREATE INDEX queues_overflow_agent ON queues (overflow_agent_id) WHERE overflow_agent_id IS NOT NULL;

CREATE TABLE queue_members (
    queue_id    INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    rank        INTEGER NOT NULL DEFAULT 0 CONSTRAINT rank CHECK (rank BETWEEN 0 AND 1000),
    position    INTEGER NOT NULL CONSTRAINT position CHECK (position BETWEEN 1 AND 1000),
    -- A JSON array of skill names.
    skills      TEXT    NOT NULL DEFAULT '[]' CONSTRAINT skills CHECK (json_valid(skills) AND json_type(skills) = 'array'),
    blend_order INTEGER NOT NULL DEFAULT 0 CONSTRAINT "order" CHECK (blend_order BETWEEN 0 AND 1000),
    PRIMARY KEY (queue_id, agent_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX queue_members_position ON queue_members (queue_id, position);
CREATE INDEX queue_members_agent ON queue_members (agent_id);
