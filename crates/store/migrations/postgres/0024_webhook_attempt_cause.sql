-- The portal's webhook log (issue 21): what started each attempt — `first` (the delivery's first
-- try), `retry` (the scheduler's automatic retry after a failure) or `manual` (a redelivery the
-- merchant asked for) — kept with the attempt, since `is_resent` is true for both of the last
-- two. Attempts logged before this migration have none and are listed as "retry or redelivery".
ALTER TABLE webhook_attempts ADD COLUMN cause TEXT;

-- The delivery log filtered by endpoint, and each endpoint's latest delivery (is it failing?),
-- without reading the merchant's whole log.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
