-- An import writes its leads in short batches, each its own transaction,
-- so the service's other writes get SQLite's one writer between them. A
-- lead carries the import that brought it; while that import has not
-- committed, every reader leaves the lead out, and committing is one
-- update of the import's status.
--
-- CASCADE takes the leads of an import that never committed with its
-- record (its list's deletion); a committed import's leads are kept, their
-- mark cleared first.
ALTER TABLE leads ADD COLUMN import_id INTEGER REFERENCES imports (id) ON DELETE CASCADE;
CREATE INDEX leads_import ON leads (import_id) WHERE import_id IS NOT NULL;
-- Readers look up the imports not committed: few rows, read per query.
CREATE INDEX imports_open ON imports (id) WHERE status <> 'committed';

CREATE TRIGGER imports_keep_committed_leads BEFORE DELETE ON imports WHEN old.status = 'committed'
BEGIN
    UPDATE leads SET import_id = NULL WHERE import_id = old.id;
END;
