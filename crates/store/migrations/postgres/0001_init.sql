-- Times are BIGINT microseconds since the Unix epoch (UTC) on both engines, so comparisons,
-- ordering and the merchant test clock behave identically on SQLite and PostgreSQL.
-- Ids are compared byte-wise (COLLATE "C") because keyset pagination orders by id.

CREATE TABLE merchants (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    clock_offset_us BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE credentials (
    id TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    kind TEXT NOT NULL,
    public_id TEXT,
    secret_hash TEXT,
    sealed_secret BYTEA,
    kek_version BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX credentials_secret_hash ON credentials (secret_hash);
CREATE INDEX credentials_merchant ON credentials (merchant_id, mode, kind);
CREATE INDEX credentials_public ON credentials (kind, public_id);

CREATE TABLE gateways (
    token TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    name TEXT NOT NULL,
    gateway_type TEXT NOT NULL,
    merchant_account_reference_id TEXT,
    status TEXT NOT NULL,
    accepted_currencies TEXT NOT NULL,
    accepted_cards TEXT NOT NULL,
    weight BIGINT NOT NULL CHECK (weight >= 0),
    accept_retries BOOLEAN NOT NULL,
    cvv_required BOOLEAN NOT NULL,
    settings_kek_version BIGINT,
    settings_sealed BYTEA,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX gateways_merchant ON gateways (merchant_id, mode, token);

CREATE TABLE payment_methods (
    id TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    method_type TEXT NOT NULL,
    storage_state TEXT NOT NULL,
    kek_version BIGINT,
    wrapped_dek BYTEA,
    pan_ct BYTEA,
    cvv_ct BYTEA,
    cvv_expires_at BIGINT,
    cache_expires_at BIGINT,
    fingerprint TEXT,
    first_six TEXT,
    last_four TEXT,
    pan_length BIGINT,
    card_type TEXT,
    expiry_month TEXT,
    expiry_year TEXT,
    holder TEXT NOT NULL,
    gateway_payment_method_id TEXT,
    merchant_account_reference_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payment_methods_list ON payment_methods (merchant_id, mode, id);
CREATE INDEX payment_methods_cvv_expiry ON payment_methods (cvv_expires_at);
CREATE INDEX payment_methods_cache_expiry ON payment_methods (cache_expires_at);
CREATE INDEX payment_methods_kek ON payment_methods (kek_version);

CREATE TABLE transactions (
    id TEXT COLLATE "C" PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    txn_type TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status BIGINT NOT NULL,
    response_code BIGINT NOT NULL,
    merchant_transaction_id TEXT,
    order_id TEXT,
    customer_id TEXT,
    currency TEXT,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    payment_method_id TEXT,
    gateway_token TEXT,
    gateway_type TEXT,
    gateway_transaction_id TEXT,
    merchant_account_reference_id TEXT,
    assigned_gateway_token TEXT,
    original_id TEXT COLLATE "C",
    captured_amount BIGINT NOT NULL DEFAULT 0,
    refunded_amount BIGINT NOT NULL DEFAULT 0,
    voided BOOLEAN NOT NULL DEFAULT FALSE,
    retry_date BIGINT,
    retry_count BIGINT NOT NULL DEFAULT 0,
    date_first_attempt BIGINT,
    reference_data TEXT,
    completion_status TEXT,
    result TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    CHECK (captured_amount >= 0 AND captured_amount <= amount)
);
CREATE UNIQUE INDEX transactions_mtid ON transactions (merchant_id, mode, merchant_transaction_id);
CREATE INDEX transactions_list ON transactions (merchant_id, mode, id);
CREATE INDEX transactions_date ON transactions (merchant_id, mode, created_at, id);
CREATE INDEX transactions_original ON transactions (original_id);
CREATE INDEX transactions_pending ON transactions (state, created_at);
