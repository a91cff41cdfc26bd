-- A number that grows with every change to what nodes cache (credentials, merchants — their test
-- clock and settings — and gateways). A cached answer carries the generation it was read at; a
-- payment's first write checks that the generation is still the same in the same statement, so
-- a node that missed a change (a lost notification, a change made by another node a moment ago)
-- cannot move money with a revoked key or a removed gateway. The trigger also announces the new
-- generation on the `openflex_config` channel so idle caches drop stale entries at once.
CREATE TABLE config_generation (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO config_generation (id, generation) VALUES (1, 1);

CREATE FUNCTION openflex_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g BIGINT;
BEGIN
    UPDATE config_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation INTO g;
    PERFORM pg_notify('openflex_config', g::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER credentials_config_changed AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION openflex_config_changed();
CREATE TRIGGER merchants_config_changed AFTER INSERT OR UPDATE OR DELETE ON merchants
    FOR EACH STATEMENT EXECUTE FUNCTION openflex_config_changed();
CREATE TRIGGER gateways_config_changed AFTER INSERT OR UPDATE OR DELETE ON gateways
    FOR EACH STATEMENT EXECUTE FUNCTION openflex_config_changed();
