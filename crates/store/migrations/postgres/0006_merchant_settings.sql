-- Per-merchant settings (JSON owned by the engine), e.g. the retry policy.
ALTER TABLE merchants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
