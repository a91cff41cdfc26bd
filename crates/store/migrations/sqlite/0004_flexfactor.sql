-- FlexFactor orders: one per (merchant, mode, merchant order id); every transition, attempt,
-- capture and refund is an order event. Amounts are minor units.
CREATE TABLE ff_orders (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    external_order_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    status_name TEXT NOT NULL,
    flow TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    authorized_amount INTEGER NOT NULL DEFAULT 0,
    captured_amount INTEGER NOT NULL DEFAULT 0,
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    payment_method_id TEXT,
    expiry_date INTEGER,
    capture_deadline INTEGER,
    confirmation_id TEXT,
    sense_key TEXT,
    payer TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (refunded_amount <= captured_amount),
    CHECK (captured_amount <= authorized_amount)
);
CREATE UNIQUE INDEX ff_orders_external ON ff_orders (merchant_id, mode, external_order_id);
CREATE INDEX ff_orders_list ON ff_orders (merchant_id, mode, created_at, id);

CREATE TABLE ff_order_events (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES ff_orders (id),
    kind TEXT NOT NULL,
    amount INTEGER,
    outcome TEXT NOT NULL,
    detail TEXT,
    gateway_token TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX ff_order_events_order ON ff_order_events (order_id, id);

-- Idempotency keys of FlexFactor requests: the first request with a key records its payload
-- hash and, once answered, the response; replays within the window get the same response.
CREATE TABLE idempotency_keys (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, mode, scope, key)
);

-- /transmit: copies of merchants' transactions kept for their risk model (no card numbers).
CREATE TABLE ff_transmits (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL,
    external_order_id TEXT NOT NULL,
    is_declined INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ff_transmits_merchant ON ff_transmits (merchant_id, mode, created_at);
