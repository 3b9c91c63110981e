-- What the last successful sync left undone, in plain words (report days
-- not yet published, say); NULL when it did everything.
ALTER TABLE sync_state ADD COLUMN last_note TEXT;
