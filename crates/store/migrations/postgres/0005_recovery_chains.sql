-- Recovery chains (flexpay.md §7): the attempts of one declined rebill share a chain id (the
-- first attempt's id). One attempt per retry number: two concurrent retries of the same
-- decline cannot both be recorded.
ALTER TABLE transactions ADD COLUMN chain_id TEXT COLLATE "C";
CREATE UNIQUE INDEX transactions_chain_attempt ON transactions (chain_id, retry_count);
