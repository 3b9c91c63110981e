-- Browsers that have signed in to an account before (OWASP's device
-- cookies): the cookie's SHA-256, the account it vouches for, and when it
-- was issued and last used. Failed guesses from such a browser count
-- against the device, not the account, so strangers cannot lock the
-- account's owner out.
CREATE TABLE trusted_device (
    token_hash    TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES account (id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL
);
CREATE INDEX trusted_device_account ON trusted_device (account_id);

-- Refusals to sign in, tallied per address, kind and window: the first
-- refusal of a window is written to the audit log in full, the rest only
-- counted here, and the count is written as one summary entry when the window
-- closes. So a flood of refusals cannot flood the append-only log.
CREATE TABLE refusal_tally (
    address       TEXT NOT NULL,
    action        TEXT NOT NULL,
    window_start  TEXT NOT NULL,
    closes_at     TEXT NOT NULL,
    last_at       TEXT NOT NULL,
    refusals      INTEGER NOT NULL,
    PRIMARY KEY (address, action)
);
CREATE INDEX refusal_tally_closes ON refusal_tally (closes_at);

-- A file the data page's upload refused whole, with the reason: the page
-- shows the reason from here (by the import's id), never from its URL.
ALTER TABLE import ADD COLUMN refused TEXT;
