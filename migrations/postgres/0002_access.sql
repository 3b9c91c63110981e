-- Access control: sessions rely on SameSite cookies plus origin checks for
-- CSRF, so the per-session token column goes; the audit log is append-only.
ALTER TABLE session DROP COLUMN csrf_token;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- A generated (one-time) password must be replaced at first sign-in.
ALTER TABLE account ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- Entra ID sign-ins in flight: the PKCE verifier and nonce behind each
-- state, kept in the database so any app server can finish the flow.
CREATE TABLE oidc_pending (
    state_hash  TEXT PRIMARY KEY,
    verifier    TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
