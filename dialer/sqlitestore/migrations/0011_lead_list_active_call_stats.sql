-- A list can be switched off: its leads stay, but the dialer leaves them
-- out until it is switched on again.
ALTER TABLE lead_lists ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1));

-- Campaign figures (GET /campaigns/{id}/stats) read only this index: a
-- campaign's calls in a time range with every column the figures use, no
-- table row read. It starts with calls_campaign's columns and serves its
-- queries, so it replaces it: a call write still updates one campaign
-- index.
CREATE INDEX calls_campaign_stats ON calls (campaign_id, created_at, outcome, answered_at, bridged_at, billsec);
DROP INDEX calls_campaign;
