-- Leads are read, changed and written back by agents (the workspace's lead
-- edit), the lead-call API and the call engine; every write bumps version
-- and UpdateLead writes only over the version it read, so no change is
-- silently lost.
ALTER TABLE leads ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
