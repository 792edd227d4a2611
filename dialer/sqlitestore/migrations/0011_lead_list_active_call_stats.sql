-- A list can be switched off: its leads stay, but the dialer leaves them
-- out until it is switched on again.
ALTER TABLE lead_lists ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1));

-- Campaign figures (GET /campaigns/{id}/stats) read only this index: a
-- campaign's calls in a time range with the columns the figures of ended
-- calls use (live calls are counted through calls_live), no table row
-- read. Its columns change once per call, when it ends. It starts with
-- calls_campaign's columns and serves its queries, so it replaces it.
CREATE INDEX calls_campaign_stats ON calls (campaign_id, created_at, outcome, billsec);
DROP INDEX calls_campaign;
