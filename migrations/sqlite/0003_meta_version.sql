-- Reference data (the unit tree, the catalog, each source's coverage, the
-- rollup horizon and the waves) is cached by each app process, with views
-- built from it. Every change to it raises this version, so a process knows
-- with one cheap read whether its cache still holds, however many app
-- servers share the database.
CREATE TABLE meta_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO meta_version (id, version) VALUES (1, 0);

CREATE TRIGGER meta_unit_insert AFTER INSERT ON unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_update AFTER UPDATE ON unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_delete AFTER DELETE ON unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_version_insert AFTER INSERT ON unit_version BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_version_update AFTER UPDATE ON unit_version BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_version_delete AFTER DELETE ON unit_version BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_closure_insert AFTER INSERT ON unit_closure BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_closure_update AFTER UPDATE ON unit_closure BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_unit_closure_delete AFTER DELETE ON unit_closure BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_source_insert AFTER INSERT ON source BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_source_update AFTER UPDATE ON source BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_source_delete AFTER DELETE ON source BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_sync_state_insert AFTER INSERT ON sync_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_sync_state_update AFTER UPDATE ON sync_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_sync_state_delete AFTER DELETE ON sync_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_tool_insert AFTER INSERT ON tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_tool_update AFTER UPDATE ON tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_tool_delete AFTER DELETE ON tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_insert AFTER INSERT ON product BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_update AFTER UPDATE ON product BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_delete AFTER DELETE ON product BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_tool_insert AFTER INSERT ON product_tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_tool_update AFTER UPDATE ON product_tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_product_tool_delete AFTER DELETE ON product_tool BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_rollup_state_insert AFTER INSERT ON rollup_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_rollup_state_update AFTER UPDATE ON rollup_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_rollup_state_delete AFTER DELETE ON rollup_state BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_insert AFTER INSERT ON wave BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_update AFTER UPDATE ON wave BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_delete AFTER DELETE ON wave BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_unit_insert AFTER INSERT ON wave_unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_unit_update AFTER UPDATE ON wave_unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_wave_unit_delete AFTER DELETE ON wave_unit BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
