-- The card-network retry limit counts a card's declines for one order on every charge; without
-- this index that count scanned the merchant's whole 30-day window, so a charge cost O(table).
CREATE INDEX transactions_order ON transactions (merchant_id, mode, order_id, created_at);
