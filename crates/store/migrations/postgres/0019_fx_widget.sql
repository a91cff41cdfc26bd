-- The hosted widget's page (docs/flexiti.md "Widget (W1)"). A session's URL token is kept as
-- its HMAC only, like bearer tokens. What widget/init was told (language, cart amount, return
-- URL, order reference, the account it named) is kept to drive the page; what the shopper did
-- (the account signed in to or opened, codes sent, wrong codes, the outcome) makes the session single-use.
ALTER TABLE fx_widget_sessions ADD COLUMN token_hash TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
ALTER TABLE fx_widget_sessions ADD COLUMN amount BIGINT;
ALTER TABLE fx_widget_sessions ADD COLUMN return_url TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN reference TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN account_number TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN verified_account TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN pin_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fx_widget_sessions ADD COLUMN codes_sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fx_widget_sessions ADD COLUMN outcome TEXT;
ALTER TABLE fx_widget_sessions ADD COLUMN authorization_id BIGINT;
ALTER TABLE fx_widget_sessions ADD COLUMN application_id TEXT;
