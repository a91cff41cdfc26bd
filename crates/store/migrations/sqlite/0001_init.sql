-- Times are BIGINT (INTEGER here) microseconds since the Unix epoch (UTC) on both engines, so comparisons,
-- ordering and the merchant test clock behave identically on SQLite and PostgreSQL.
-- Ids are compared byte-wise (SQLite compares TEXT with BINARY collation by default)

CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    clock_offset_us INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    kind TEXT NOT NULL,
    public_id TEXT,
    secret_hash TEXT,
    sealed_secret BLOB,
    kek_version INTEGER,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX credentials_secret_hash ON credentials (secret_hash);
CREATE INDEX credentials_merchant ON credentials (merchant_id, mode, kind);
CREATE INDEX credentials_public ON credentials (kind, public_id);

CREATE TABLE gateways (
    token TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    name TEXT NOT NULL,
    gateway_type TEXT NOT NULL,
    merchant_account_reference_id TEXT,
    status TEXT NOT NULL,
    accepted_currencies TEXT NOT NULL,
    accepted_cards TEXT NOT NULL,
    weight INTEGER NOT NULL CHECK (weight >= 0),
    accept_retries INTEGER NOT NULL,
    cvv_required INTEGER NOT NULL,
    settings_kek_version INTEGER,
    settings_sealed BLOB,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX gateways_merchant ON gateways (merchant_id, mode, token);

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    method_type TEXT NOT NULL,
    storage_state TEXT NOT NULL,
    kek_version INTEGER,
    wrapped_dek BLOB,
    pan_ct BLOB,
    cvv_ct BLOB,
    cvv_expires_at INTEGER,
    cache_expires_at INTEGER,
    fingerprint TEXT,
    first_six TEXT,
    last_four TEXT,
    pan_length INTEGER,
    card_type TEXT,
    expiry_month TEXT,
    expiry_year TEXT,
    holder TEXT NOT NULL,
    gateway_payment_method_id TEXT,
    merchant_account_reference_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX payment_methods_list ON payment_methods (merchant_id, mode, id);
CREATE INDEX payment_methods_cvv_expiry ON payment_methods (cvv_expires_at);
CREATE INDEX payment_methods_cache_expiry ON payment_methods (cache_expires_at);
CREATE INDEX payment_methods_kek ON payment_methods (kek_version);

CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    txn_type TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status INTEGER NOT NULL,
    response_code INTEGER NOT NULL,
    merchant_transaction_id TEXT,
    order_id TEXT,
    customer_id TEXT,
    currency TEXT,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    payment_method_id TEXT,
    gateway_token TEXT,
    gateway_type TEXT,
    gateway_transaction_id TEXT,
    merchant_account_reference_id TEXT,
    assigned_gateway_token TEXT,
    original_id TEXT,
    captured_amount INTEGER NOT NULL DEFAULT 0,
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    voided INTEGER NOT NULL DEFAULT 0,
    retry_date INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0,
    date_first_attempt INTEGER,
    reference_data TEXT,
    completion_status TEXT,
    result TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    CHECK (captured_amount >= 0 AND captured_amount <= amount)
);
CREATE UNIQUE INDEX transactions_mtid ON transactions (merchant_id, mode, merchant_transaction_id);
CREATE INDEX transactions_list ON transactions (merchant_id, mode, id);
CREATE INDEX transactions_date ON transactions (merchant_id, mode, created_at, id);
CREATE INDEX transactions_original ON transactions (original_id);
CREATE INDEX transactions_pending ON transactions (state, created_at);
