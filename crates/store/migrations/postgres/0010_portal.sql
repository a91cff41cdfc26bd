-- Merchant portal users (Argon2id PHC strings) and their sessions. A session row holds the
-- SHA-256 of its cookie, never the cookie, so a database dump opens no session.
CREATE TABLE portal_users (
    id TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT COLLATE "C" NOT NULL REFERENCES merchants (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE portal_sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
