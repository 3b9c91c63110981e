-- Published board packs are kept read-only: who made one (by name, for the
-- command line and the scheduler too), whether it holds a unit's own cells
-- that only person-list holders see, and a digest of its figures, so the
-- same pack asked for again is the same stored file.
ALTER TABLE board_pack ADD COLUMN made_by TEXT NOT NULL DEFAULT '';
ALTER TABLE board_pack ADD COLUMN own_cells INTEGER NOT NULL DEFAULT 0;
ALTER TABLE board_pack ADD COLUMN digest TEXT NOT NULL DEFAULT '';
CREATE INDEX board_pack_scope ON board_pack (scope, as_of);

CREATE TRIGGER board_pack_no_update BEFORE UPDATE ON board_pack
BEGIN
    SELECT RAISE(ABORT, 'a published board pack is read-only');
END;

CREATE TRIGGER board_pack_no_delete BEFORE DELETE ON board_pack
BEGIN
    SELECT RAISE(ABORT, 'a published board pack is read-only');
END;
