-- Reference data (the unit tree, the catalog, each source's coverage, the
-- rollup horizon and the waves) is cached by each app process, with views
-- built from it. Every change to it raises this version, so a process knows
-- with one cheap read whether its cache still holds, however many app
-- servers share the database.
CREATE TABLE meta_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO meta_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_meta_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meta_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER meta_unit AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_unit_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_version FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_unit_closure AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_closure FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_source AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON source FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_sync_state AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sync_state FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_tool AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tool FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_product AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_product_tool AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_tool FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_rollup_state AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rollup_state FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_wave AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wave FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
CREATE TRIGGER meta_wave_unit AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wave_unit FOR EACH STATEMENT EXECUTE FUNCTION bump_meta_version();
