-- A call whose switch died under it (crash, kill, lost host) has no end
-- from the switch: it is closed at the last moment the switch was known
-- alive, marked switch_lost, and its billsec is an estimate.
ALTER TABLE calls ADD COLUMN switch_lost INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN billsec_estimated INTEGER NOT NULL DEFAULT 0;
