-- Live rescue: each attempt is a real payment through the merchant's gateways.
-- `payment_transaction_id` names the payment that rescued the order: capturing, refunding or
-- cancelling the order moves money on it. `rescue_attempts` counts the attempts decided so far;
-- the next attempt is number rescue_attempts + 1, and whoever records a decision moves the
-- count by compare-and-set, so a job that runs twice cannot record an attempt twice.
-- Sandbox decisions move no money and leave both at their defaults.
ALTER TABLE ff_orders ADD COLUMN payment_transaction_id TEXT;
ALTER TABLE ff_orders ADD COLUMN rescue_attempts INTEGER NOT NULL DEFAULT 0;
