-- A list can be switched off: its leads stay, but the dialer leaves them
-- out until it is switched on again.
ALTER TABLE lead_lists ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CONSTRAINT active CHECK (active IN (0, 1));
