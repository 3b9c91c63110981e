-- Access control: sessions rely on SameSite cookies plus origin checks for
-- CSRF, so the per-session token column goes; the audit log is append-only.
ALTER TABLE session DROP COLUMN csrf_token;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- A generated (one-time) password must be replaced at first sign-in.
ALTER TABLE account ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;

-- Entra ID sign-ins in flight: the PKCE verifier and nonce behind each
-- state, kept in the database so any app server can finish the flow.
CREATE TABLE oidc_pending (
    state_hash  TEXT PRIMARY KEY,
    verifier    TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
