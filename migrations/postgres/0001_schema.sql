-- Uptake schema, PostgreSQL dialect. Keep in step with migrations/sqlite.
-- Days are DATE; timestamps are TIMESTAMPTZ.

CREATE TABLE unit (
    id          SERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    restricted  BOOLEAN NOT NULL DEFAULT FALSE
);

-- Parent and name history; valid_to is exclusive, NULL while current.
CREATE TABLE unit_version (
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    parent_id   INTEGER REFERENCES unit (id),
    name        TEXT NOT NULL,
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    PRIMARY KEY (unit_id, valid_from)
);
CREATE INDEX unit_version_parent ON unit_version (parent_id);

-- The current tree as a closure table: a subtree is one indexed query.
CREATE TABLE unit_closure (
    ancestor_id    INTEGER NOT NULL REFERENCES unit (id),
    descendant_id  INTEGER NOT NULL REFERENCES unit (id),
    depth          INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX unit_closure_descendant ON unit_closure (descendant_id);

CREATE TABLE staff (
    id            SERIAL PRIMARY KEY,
    staff_number  TEXT NOT NULL UNIQUE,
    sign_in_name  TEXT NOT NULL,
    sign_in_lower TEXT NOT NULL UNIQUE,
    birth_year    INTEGER NOT NULL,
    role          TEXT NOT NULL,
    start_date    DATE NOT NULL,
    leave_date    DATE
);

CREATE TABLE staff_unit (
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    PRIMARY KEY (staff_id, valid_from)
);
CREATE INDEX staff_unit_unit ON staff_unit (unit_id, valid_from);

CREATE TABLE source (
    id    SERIAL PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

CREATE TABLE sync_state (
    source_id         SERIAL PRIMARY KEY REFERENCES source (id),
    cursor            TEXT,
    data_start        DATE,
    complete_through  DATE,
    last_success_at   TIMESTAMPTZ,
    last_error        TEXT,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- The sources are fixed (domain::catalog::Source); each has one sync state.
INSERT INTO source (name) VALUES ('m365'), ('box'), ('push');
INSERT INTO sync_state (source_id, updated_at) SELECT id, now() FROM source;

CREATE TABLE tool (
    id         SERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    source_id  INTEGER NOT NULL REFERENCES source (id)
);

CREATE TABLE product (
    id    SERIAL PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

CREATE TABLE product_tool (
    product_id  INTEGER NOT NULL REFERENCES product (id),
    tool_id     INTEGER NOT NULL REFERENCES tool (id),
    PRIMARY KEY (product_id, tool_id)
);

-- The fact table: (source, tool, staff, day) -> counted actions. Day first,
-- so that a refresh reads a window of days in key order.
CREATE TABLE activity_daily (
    day       DATE NOT NULL,
    tool_id   INTEGER NOT NULL,
    staff_id  INTEGER NOT NULL,
    source_id INTEGER NOT NULL,
    actions   INTEGER NOT NULL CHECK (actions > 0),
    PRIMARY KEY (day, tool_id, staff_id, source_id)
);

-- Activity of sign-in names nobody on the roster has (yet).
CREATE TABLE activity_unmatched (
    day         DATE NOT NULL,
    tool_id     INTEGER NOT NULL REFERENCES tool (id),
    user_lower  TEXT NOT NULL,
    source_id   INTEGER NOT NULL REFERENCES source (id),
    actions     INTEGER NOT NULL CHECK (actions > 0),
    PRIMARY KEY (day, tool_id, user_lower, source_id)
);
CREATE INDEX activity_unmatched_user ON activity_unmatched (user_lower);

CREATE TABLE identity_unmatched (
    user_lower  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('unmatched', 'external')),
    first_seen  DATE NOT NULL,
    last_seen   DATE NOT NULL,
    events      BIGINT NOT NULL
);

-- Box event ids already counted, shared by the connector and file import;
-- kept for 30 days.
CREATE TABLE box_event_seen (
    event_id  TEXT PRIMARY KEY,
    seen_day  DATE NOT NULL
);
CREATE INDEX box_event_seen_day ON box_event_seen (seen_day);

CREATE TABLE person_tool_state (
    staff_id        INTEGER NOT NULL REFERENCES staff (id),
    tool_id         INTEGER NOT NULL REFERENCES tool (id),
    first_use       DATE NOT NULL,
    last_active     DATE NOT NULL,
    first_eligible  DATE,
    PRIMARY KEY (staff_id, tool_id)
);

CREATE TABLE wave (
    id             SERIAL PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    product_id     INTEGER NOT NULL REFERENCES product (id),
    go_live        DATE NOT NULL,
    target_metric  TEXT NOT NULL DEFAULT 'adoption_rate',
    target_value   DOUBLE PRECISION NOT NULL,
    target_date    DATE NOT NULL
);

CREATE TABLE wave_unit (
    wave_id  INTEGER NOT NULL REFERENCES wave (id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES unit (id),
    PRIMARY KEY (wave_id, unit_id)
);

-- Rollup cells, one month of days per row for one node and subject; the
-- cells are encoded by domain::rollup::MonthBlock.
CREATE TABLE rollup_block (
    node_id  INTEGER NOT NULL,
    subject  TEXT NOT NULL,
    month    DATE NOT NULL,
    cells    BYTEA NOT NULL,
    PRIMARY KEY (node_id, subject, month)
);

-- The days the rollups cover.
CREATE TABLE rollup_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    first_day  DATE NOT NULL,
    last_day   DATE NOT NULL,
    built_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE account (
    id              SERIAL PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'rollout_manager', 'unit_commander', 'viewer')),
    person_lists    BOOLEAN NOT NULL DEFAULT FALSE,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    is_demo         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL
);

-- An account's scope: the subtrees it may see.
CREATE TABLE account_scope (
    account_id  INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    PRIMARY KEY (account_id, unit_id)
);

CREATE TABLE import (
    id             SERIAL PRIMARY KEY,
    file_name      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    rows_accepted  BIGINT NOT NULL DEFAULT 0,
    rows_rejected  BIGINT NOT NULL DEFAULT 0,
    account_id     INTEGER REFERENCES account (id),
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE import_reject (
    import_id  INTEGER NOT NULL REFERENCES import (id),
    line       BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    raw        TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- Entra ID group -> role and scope. A mapping with no scope denies access.
CREATE TABLE group_mapping (
    group_id      TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    person_lists  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE group_mapping_scope (
    group_id  TEXT NOT NULL REFERENCES group_mapping (group_id) ON DELETE CASCADE,
    unit_id   INTEGER NOT NULL REFERENCES unit (id),
    PRIMARY KEY (group_id, unit_id)
);

CREATE TABLE session (
    id_hash       TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES account (id),
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    address       TEXT
);
CREATE INDEX session_account ON session (account_id);

CREATE TABLE login_attempt (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id          SERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    account_id  INTEGER REFERENCES account (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    address     TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE api_token (
    id            SERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    INTEGER REFERENCES account (id),
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ
);

CREATE TABLE api_token_tool (
    token_id  INTEGER NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
    tool_id   INTEGER NOT NULL REFERENCES tool (id),
    PRIMARY KEY (token_id, tool_id)
);

CREATE TABLE board_pack (
    id          SERIAL PRIMARY KEY,
    title       TEXT NOT NULL,
    scope       TEXT NOT NULL,
    as_of       DATE NOT NULL,
    created_by  INTEGER REFERENCES account (id),
    created_at  TIMESTAMPTZ NOT NULL,
    figures     TEXT NOT NULL,
    pdf         BYTEA
);

CREATE TABLE setting (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
