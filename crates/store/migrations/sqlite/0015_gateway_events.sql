-- Events gateways sent by webhook (Stripe events, Adyen notifications), once each: a gateway
-- delivers at least once, so the event id is unique per gateway and the row is written in the
-- same transaction as the change the event causes. A redelivery finds its row and changes
-- nothing. Chargebacks live here too: they are shown with the transaction, whose FlexPay answer
-- does not change.
CREATE TABLE gateway_events (
    gateway_token TEXT NOT NULL,
    event_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    mode TEXT NOT NULL CHECK (mode IN ('sandbox', 'live')),
    kind TEXT NOT NULL,
    gateway_kind TEXT NOT NULL,
    transaction_id TEXT,
    amount INTEGER,
    currency TEXT,
    reason TEXT,
    outcome TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (gateway_token, event_id)
);
CREATE INDEX gateway_events_transaction ON gateway_events (transaction_id, received_at);
-- Webhooks name the gateway's id of a payment, capture or refund.
CREATE INDEX transactions_gateway_id ON transactions (gateway_transaction_id);
