-- foreign_keys: off
-- A DID routes to a queue record by its id, not by a free label. By id, a
-- renamed queue keeps its DIDs, and the reference (no ON DELETE action)
-- refuses to delete a queue a DID routes to; the API still reads and
-- writes the queue's name.
--
-- A label no queue has yet becomes a queue with the defaults (those of
-- dialer.DefaultQueueSettings), so that every DID keeps routing to the
-- name it had.
INSERT INTO queues (name, strategy, ring_timeout_seconds, created_at, updated_at)
    SELECT DISTINCT queue, 'longest-idle', 20, unixepoch() * 1000, unixepoch() * 1000 FROM dids
    WHERE queue <> '' AND queue NOT IN (SELECT name FROM queues);
-- A label only named the call: any agent took it. A queue is served by its
-- members, so a labelled queue without any gets every agent (the first
-- 1,000), and its calls keep reaching the agents they reached before.
INSERT INTO queue_members (queue_id, agent_id, position)
    SELECT queue_id, agent_id, position FROM (
        SELECT q.id AS queue_id, a.id AS agent_id, row_number() OVER (PARTITION BY q.id ORDER BY a.id) AS position
        FROM queues q JOIN agents a
        WHERE q.name IN (SELECT queue FROM dids WHERE queue <> '')
          AND NOT EXISTS (SELECT 1 FROM queue_members m WHERE m.queue_id = q.id))
    WHERE position <= 1000;

-- SQLite cannot add a reference in place of a column: the table is
-- rebuilt, every row kept.
CREATE TABLE dids_new (
    -- E.164, the form carriers' numbers are normalized to.
    number      TEXT    PRIMARY KEY
                CONSTRAINT number CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 7 AND 16
                    AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    name        TEXT    NOT NULL DEFAULT '' CONSTRAINT name CHECK (length(name) <= 128),
    queue_id    INTEGER REFERENCES queues (id),
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CONSTRAINT enabled CHECK (enabled IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO dids_new (number, name, queue_id, campaign_id, enabled, created_at, updated_at)
    SELECT number, dids.name, queues.id, campaign_id, enabled, dids.created_at, dids.updated_at
    FROM dids LEFT JOIN queues ON queues.name = dids.queue AND dids.queue <> '';
DROP TABLE dids;
ALTER TABLE dids_new RENAME TO dids;
CREATE INDEX dids_campaign ON dids (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX dids_queue ON dids (queue_id) WHERE queue_id IS NOT NULL;
