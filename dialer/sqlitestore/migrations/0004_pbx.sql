-- What FreeSWITCH is provisioned with over xml_curl besides agents:
-- carrier gateways and inbound numbers (DIDs).
CREATE TABLE gateways (
    id             INTEGER PRIMARY KEY,
    -- sofia gateway name, used in sofia/gateway/<name>/<number>.
    name           TEXT    NOT NULL
                   CONSTRAINT name CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_.-]*'
                       AND substr(name, 1, 1) NOT IN ('.', '-')),
    proxy          TEXT    NOT NULL CONSTRAINT proxy CHECK (length(proxy) BETWEEN 1 AND 260),
    realm          TEXT    NOT NULL DEFAULT '' CONSTRAINT realm CHECK (length(realm) <= 253),
    username       TEXT    NOT NULL DEFAULT '' CONSTRAINT username CHECK (length(username) <= 64),
    -- Clear text: FreeSWITCH must present it to the carrier.
    password       TEXT    NOT NULL DEFAULT '' CONSTRAINT password CHECK (length(password) <= 128),
    register       INTEGER NOT NULL DEFAULT 0 CONSTRAINT register CHECK (register IN (0, 1)),
    transport      TEXT    NOT NULL DEFAULT 'udp' CONSTRAINT transport CHECK (transport IN ('udp', 'tcp', 'tls')),
    from_user      TEXT    NOT NULL DEFAULT '' CONSTRAINT from_user CHECK (length(from_user) <= 64),
    from_domain    TEXT    NOT NULL DEFAULT '' CONSTRAINT from_domain CHECK (length(from_domain) <= 253),
    expire_seconds INTEGER NOT NULL DEFAULT 600 CONSTRAINT expire_seconds CHECK (expire_seconds BETWEEN 60 AND 86400),
    ping_seconds   INTEGER NOT NULL DEFAULT 0 CONSTRAINT ping_seconds CHECK (ping_seconds BETWEEN 0 AND 3600),
    enabled        INTEGER NOT NULL DEFAULT 1 CONSTRAINT enabled CHECK (enabled IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT register CHECK (register = 0 OR (username <> '' AND password <> ''))
) STRICT;
CREATE UNIQUE INDEX gateways_name ON gateways (name);

CREATE TABLE dids (
    -- E.164, the form carriers' numbers are normalized to.
    number      TEXT    PRIMARY KEY
                CONSTRAINT number CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 7 AND 16
                    AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    name        TEXT    NOT NULL DEFAULT '' CONSTRAINT name CHECK (length(name) <= 128),
    queue       TEXT    NOT NULL DEFAULT ''
                CONSTRAINT queue CHECK (length(queue) <= 64 AND queue NOT GLOB '*[^a-z0-9_.-]*'),
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CONSTRAINT enabled CHECK (enabled IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX dids_campaign ON dids (campaign_id) WHERE campaign_id IS NOT NULL;
