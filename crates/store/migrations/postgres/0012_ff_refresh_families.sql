-- FlexFactor refresh tokens are signed JWTs, so only state kept here can make each one use
-- only. A family is one AppKey/AppSecret login and the refresh tokens that descend from it; its
-- row holds the id (jti) of the one token of the family not yet spent, never a token. A refresh
-- swaps that jti in one conditional UPDATE, so of two parallel refreshes of one token exactly
-- one wins; a validly signed token of the family whose jti is not the current one was spent,
-- and presenting it revokes the family. A row expires with the family's newest token and is
-- then swept.
CREATE TABLE ff_refresh_families (
    id TEXT COLLATE "C" PRIMARY KEY,
    credential_id TEXT COLLATE "C" NOT NULL REFERENCES credentials (id),
    current_jti TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ff_refresh_families_expiry ON ff_refresh_families (expires_at);
