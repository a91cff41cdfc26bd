-- Merchant portal users (Argon2id PHC strings) and their sessions. A session row holds the
-- SHA-256 of its cookie, never the cookie, so a database dump opens no session.
CREATE TABLE portal_users (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
