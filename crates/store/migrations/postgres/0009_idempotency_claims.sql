-- Each claim of an idempotency key carries a random token. The answer is written only where the
-- token still matches, and in the same transaction as the money it answers for, so a request
-- whose claim was abandoned (its process died) and taken over cannot commit a second movement.
ALTER TABLE idempotency_keys ADD COLUMN claim_token TEXT;
