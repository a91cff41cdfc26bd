-- Newly issued API secrets wait here, sealed under the vault's master key and bound to the
-- session, until the page after the POST shows them once and clears them.
ALTER TABLE portal_sessions ADD COLUMN flash_kek_version INTEGER;
ALTER TABLE portal_sessions ADD COLUMN flash_sealed BLOB;
