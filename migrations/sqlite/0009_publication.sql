-- One publication decision per day (docs/publication.md): which cells every
-- view may show. `inputs` is a digest of everything the decision read (the
-- day's cells, the tree, the restricted units, the subjects, the accounts'
-- scopes and k), so a stored decision is used only while those are
-- unchanged; `hidden` packs one bit per [subject][node][band slot].
CREATE TABLE publication_day (
    day      TEXT PRIMARY KEY,
    inputs   TEXT NOT NULL,
    hidden   BLOB NOT NULL
);

-- Which accounts exist, and what they may see, shapes the decision: a
-- change to a scope or a role raises the data version like the tree does.
CREATE TRIGGER meta_account_scope_insert AFTER INSERT ON account_scope BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_account_scope_update AFTER UPDATE ON account_scope BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_account_scope_delete AFTER DELETE ON account_scope BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_account_insert AFTER INSERT ON account BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER meta_account_role AFTER UPDATE OF role, person_lists ON account BEGIN UPDATE meta_version SET version = version + 1 WHERE id = 1; END;
