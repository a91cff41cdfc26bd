-- A number that grows with every change to what the server caches (credentials, merchants —
-- their test clock and settings — and gateways). A cached answer carries the generation it was
-- read at and a payment's first write checks it, so a change made by another process on the
-- same file (the `openflex` CLI) is never missed. SQLite triggers are per row: one per table and
-- event.
CREATE TABLE config_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO config_generation (id, generation) VALUES (1, 1);

CREATE TRIGGER credentials_inserted AFTER INSERT ON credentials
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER credentials_updated AFTER UPDATE ON credentials
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER credentials_deleted AFTER DELETE ON credentials
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER merchants_inserted AFTER INSERT ON merchants
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER merchants_updated AFTER UPDATE ON merchants
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER merchants_deleted AFTER DELETE ON merchants
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER gateways_inserted AFTER INSERT ON gateways
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER gateways_updated AFTER UPDATE ON gateways
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER gateways_deleted AFTER DELETE ON gateways
BEGIN UPDATE config_generation SET generation = generation + 1 WHERE id = 1; END;
