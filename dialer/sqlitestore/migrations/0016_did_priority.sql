-- A DID's callers wait in their queue with its priority (higher answered
-- first); 0 keeps every existing DID where it ranked.
ALTER TABLE dids ADD COLUMN priority INTEGER NOT NULL DEFAULT 0
    CONSTRAINT priority CHECK (priority BETWEEN -100 AND 100);
