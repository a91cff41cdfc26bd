-- The networks a Flexiti client may call from (the vendor's "trust URL (or IP)"): a JSON array
-- of CIDR blocks in their canonical form, NULL for any address. Only `flexiti_client`
-- credentials carry one. A column of the credential, not a table of its own, because the token
-- check that enforces it already reads the credential row: the rule costs no extra query.
ALTER TABLE credentials ADD COLUMN trusted_networks TEXT;
