-- Published board packs are kept read-only: who made one (by name, for the
-- command line and the scheduler too), whether it holds a unit's own cells
-- that only person-list holders see, and a digest of its figures, so the
-- same pack asked for again is the same stored file.
ALTER TABLE board_pack ADD COLUMN made_by TEXT NOT NULL DEFAULT '';
ALTER TABLE board_pack ADD COLUMN own_cells BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE board_pack ADD COLUMN digest TEXT NOT NULL DEFAULT '';
CREATE INDEX board_pack_scope ON board_pack (scope, as_of);

CREATE FUNCTION board_pack_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published board pack is read-only';
END
$$;

CREATE TRIGGER board_pack_read_only BEFORE UPDATE OR DELETE OR TRUNCATE ON board_pack
    FOR EACH STATEMENT EXECUTE FUNCTION board_pack_read_only();
