-- Flexiti's tables were prefixed `fx_`, which reads as foreign exchange in a payments database;
-- they take the dialect's name (docs/architecture.md). Only names change: rows, constraints and
-- indexes stay as they are. Queued expiry jobs keep running under the job kind's new name.
ALTER TABLE fx_accounts RENAME TO flexiti_accounts;
ALTER TABLE fx_authorizations RENAME TO flexiti_authorizations;
ALTER TABLE fx_captures RENAME TO flexiti_captures;
ALTER TABLE fx_transactions RENAME TO flexiti_transactions;
ALTER TABLE fx_tokens RENAME TO flexiti_tokens;
ALTER TABLE fx_verifications RENAME TO flexiti_verifications;
ALTER TABLE fx_widget_sessions RENAME TO flexiti_widget_sessions;
ALTER TABLE fx_applications RENAME TO flexiti_applications;
UPDATE jobs SET kind = 'flexiti_authorization_expiry' WHERE kind = 'fx_authorization_expiry';
