-- The card networks' id of a card's first customer-initiated payment (Visa's transaction id,
-- Mastercard's trace id, as the gateway reports it). Card-network rules want it sent with every
-- later merchant-initiated payment of the card (rebills, retries, managed MIT), on any gateway,
-- so it is kept per payment method, once: the first approved CIT wins.
CREATE TABLE card_network_ids (
    payment_method_id TEXT PRIMARY KEY,
    network_transaction_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
