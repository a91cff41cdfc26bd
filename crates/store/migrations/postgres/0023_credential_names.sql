-- A merchant-given name and a preview (the last four characters, "…abcd") for each credential,
-- written once when it is issued, so the portal can say which key a revoke kills. Only the last
-- four characters are kept: the secret itself stays hashed or sealed. Credentials issued before
-- this migration have neither and are listed as "—".
ALTER TABLE credentials ADD COLUMN name TEXT;
ALTER TABLE credentials ADD COLUMN preview TEXT;

-- When each credential last authenticated a request. Its own table, not a column of
-- credentials: every write to credentials raises the configuration generation (0017), which
-- would empty every node's cache on every request. Written off the request path, at most once
-- a minute per credential and node.
CREATE TABLE credential_usage (
    credential_id TEXT COLLATE "C" PRIMARY KEY REFERENCES credentials (id),
    last_used_at BIGINT NOT NULL
);
