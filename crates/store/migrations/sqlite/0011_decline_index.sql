-- The card-network retry limit counts a card's declines for one order on every payment. This
-- partial index holds declined payment attempts only, so approved payments (most rows) no longer
-- write an entry for it, and no other index can cost the same for that count: PostgreSQL's
-- generic plan, chosen while the table was small, had sometimes taken transactions_date instead
-- and filtered the merchant's whole 30-day window on every charge.
DROP INDEX transactions_order;
CREATE INDEX transactions_declines ON transactions (merchant_id, mode, order_id, created_at)
    WHERE status = 2 AND txn_type IN ('Charge', 'Authorize');
