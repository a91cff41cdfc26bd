-- Flexiti consumer financing (flexiti.md Decision 8). The credit-ledger invariants live in
-- CHECK constraints so no code path, present or future, can write an overdrawn account:
--   available_credit = credit_limit - held - balance, available_credit >= 0, held >= 0;
--   an authorization never captures + releases more than its amount;
--   a capture never has more returned than captured.
-- Amounts are minor units (cents); times are microseconds since the epoch.
CREATE TABLE fx_accounts (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    account_number TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    account_type TEXT NOT NULL CHECK (account_type IN ('consumer', 'business')),
    status TEXT NOT NULL CHECK (status IN ('N', 'A', 'F', 'Z', 'C')),
    risk_rating TEXT NOT NULL,
    province TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address_1 TEXT,
    address_2 TEXT,
    city TEXT,
    preferred_language TEXT NOT NULL,
    tos_agreement INTEGER NOT NULL,
    payment_protection INTEGER NOT NULL,
    security_qid INTEGER,
    security_answer_hash TEXT,
    vcc_fingerprint TEXT,
    card_ending_in TEXT,
    credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
    held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    balance INTEGER NOT NULL DEFAULT 0,
    available_credit INTEGER NOT NULL CHECK (available_credit >= 0),
    captured_total INTEGER NOT NULL DEFAULT 0,
    credited_total INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, mode, account_number),
    CHECK (available_credit = credit_limit - held - balance),
    CHECK (credited_total >= 0 AND credited_total <= captured_total)
);
CREATE UNIQUE INDEX fx_accounts_customer ON fx_accounts (merchant_id, mode, customer_id);
CREATE INDEX fx_accounts_vcc ON fx_accounts (merchant_id, mode, vcc_fingerprint);
CREATE INDEX fx_accounts_dob ON fx_accounts (merchant_id, mode, dob);

CREATE TABLE fx_authorizations (
    id INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    account_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL CHECK (transaction_type IN ('promotional_purchase', 'regular_purchase')),
    plan_id INTEGER,
    term INTEGER,
    apr_bp INTEGER NOT NULL,
    payment INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    financing_cost INTEGER NOT NULL CHECK (financing_cost >= 0),
    captured_amount INTEGER NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
    captured_cost INTEGER NOT NULL DEFAULT 0 CHECK (captured_cost >= 0),
    released_amount INTEGER NOT NULL DEFAULT 0 CHECK (released_amount >= 0),
    held INTEGER NOT NULL CHECK (held >= 0),
    status TEXT NOT NULL CHECK (status IN ('opened', 'closed', 'released', 'expired')),
    auto_capture INTEGER NOT NULL,
    reference TEXT,
    request_id TEXT,
    external_location_id TEXT,
    external_employee_id TEXT,
    sku_data TEXT,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (merchant_id, mode, account_number) REFERENCES fx_accounts (merchant_id, mode, account_number),
    CHECK (captured_amount + released_amount <= amount),
    CHECK (captured_cost <= financing_cost)
);
CREATE INDEX fx_authorizations_list ON fx_authorizations (merchant_id, mode, created_at, id);
CREATE INDEX fx_authorizations_account ON fx_authorizations (merchant_id, mode, account_number, created_at);

CREATE TABLE fx_captures (
    id INTEGER PRIMARY KEY,
    authorization_id INTEGER NOT NULL REFERENCES fx_authorizations (id),
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    account_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    financing_cost INTEGER NOT NULL CHECK (financing_cost >= 0),
    returned_amount INTEGER NOT NULL DEFAULT 0 CHECK (returned_amount >= 0),
    returned_cost INTEGER NOT NULL DEFAULT 0 CHECK (returned_cost >= 0),
    reference TEXT,
    external_location_id TEXT,
    sku_data TEXT,
    created_at INTEGER NOT NULL,
    CHECK (returned_amount <= amount),
    CHECK (returned_cost <= financing_cost)
);
CREATE INDEX fx_captures_list ON fx_captures (merchant_id, mode, created_at, id);
CREATE INDEX fx_captures_authorization ON fx_captures (authorization_id);

-- Account movements that are not authorizations or captures: returns, refunds, deposits,
-- in-store payments and trade-ins.
CREATE TABLE fx_transactions (
    id INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    account_number TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('return', 'refund', 'deposit', 'instore_payment', 'tradein')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),
    authorization_id INTEGER,
    capture_id INTEGER,
    reference TEXT,
    request_id TEXT,
    external_location_id TEXT,
    external_employee_id TEXT,
    sku_data TEXT,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (merchant_id, mode, account_number) REFERENCES fx_accounts (merchant_id, mode, account_number)
);
CREATE INDEX fx_transactions_account ON fx_transactions (merchant_id, mode, account_number, kind, created_at);

-- Access tokens: opaque, stored as HMACs, tied to the client credential (revoking it kills them).
CREATE TABLE fx_tokens (
    token_hash TEXT PRIMARY KEY,
    refresh_hash TEXT NOT NULL UNIQUE,
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    scope TEXT NOT NULL CHECK (scope IN ('merchant', 'customer')),
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX fx_tokens_credential ON fx_tokens (credential_id, expires_at);

-- Purchase PINs (verification codes), stored as HMACs. Wrong codes count against every live PIN
-- of the account; the fifth burns them all (a 4-digit PIN must not be guessable in 15 minutes).
CREATE TABLE fx_verifications (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    account_number TEXT NOT NULL,
    request_id TEXT,
    format TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fx_verifications_account ON fx_verifications (merchant_id, mode, account_number, created_at);

-- Hosted-widget sessions: what `widget/init` was told, so `apply` can check it is the same.
CREATE TABLE fx_widget_sessions (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    flow TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE fx_applications (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'declined')),
    account_number TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    request_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX fx_applications_merchant ON fx_applications (merchant_id, mode, created_at);
