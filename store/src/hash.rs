//! A content hash over every table, for the demo's determinism check.

use sha2::{Digest, Sha256};

use crate::{Store, db::on_db, error::Result};

/// Every table that holds data, with the columns hashed and its order.
/// Left out, because they differ between two runs of the same input by
/// design: wall-clock stamps (when a report was pulled, an import made, an
/// event key first seen), salted password and token hashes, and the tables
/// that hold nothing but those or a visit's state: sessions, sign-in
/// attempts, OIDC sign-ins in flight, job leases, the audit log, the meta
/// version counter and stored board packs (each stamped when published).
const TABLES: &[(&str, &[&str], &str)] = &[
    ("unit", &["id", "code", "kind", "restricted"], "id"),
    (
        "unit_version",
        &["unit_id", "parent_id", "name", "valid_from", "valid_to"],
        "unit_id, valid_from",
    ),
    (
        "unit_closure",
        &["ancestor_id", "descendant_id", "depth"],
        "ancestor_id, descendant_id",
    ),
    (
        "staff",
        &[
            "id",
            "staff_number",
            "sign_in_name",
            "birth_year",
            "role",
            "start_date",
            "leave_date",
        ],
        "id",
    ),
    (
        "staff_unit",
        &["staff_id", "unit_id", "valid_from", "valid_to"],
        "staff_id, valid_from",
    ),
    ("source", &["id", "name"], "id"),
    (
        "sync_state",
        &[
            "source_id",
            "cursor",
            "data_start",
            "complete_through",
            "last_error",
        ],
        "source_id",
    ),
    ("tool", &["id", "name", "source_id"], "id"),
    ("product", &["id", "name"], "id"),
    (
        "product_tool",
        &["product_id", "tool_id"],
        "product_id, tool_id",
    ),
    (
        "activity_daily",
        &["day", "tool_id", "staff_id", "source_id", "actions"],
        "day, tool_id, staff_id, source_id",
    ),
    (
        "activity_unmatched",
        &["day", "tool_id", "user_lower", "source_id", "actions"],
        "day, tool_id, user_lower, source_id",
    ),
    (
        "identity_unmatched",
        &["user_lower", "kind", "first_seen", "last_seen", "events"],
        "user_lower",
    ),
    (
        "person_tool_state",
        &[
            "staff_id",
            "tool_id",
            "first_use",
            "last_active",
            "first_eligible",
        ],
        "staff_id, tool_id",
    ),
    (
        "person_tool_seen",
        &["staff_id", "tool_id", "last_seen"],
        "staff_id, tool_id",
    ),
    (
        "tool_licence",
        &["staff_id", "tool_id", "assigned_on"],
        "staff_id, tool_id",
    ),
    ("licence_report", &["day", "rows", "unmatched"], "day"),
    (
        "wave",
        &[
            "id",
            "name",
            "product_id",
            "go_live",
            "target_metric",
            "target_value",
            "target_date",
        ],
        "id",
    ),
    ("wave_unit", &["wave_id", "unit_id"], "wave_id, unit_id"),
    (
        "rollup_block",
        &["node_id", "subject", "month", "cells"],
        "node_id, subject, month",
    ),
    (
        "rollup_detail",
        &["node_id", "subject", "month", "cells"],
        "node_id, subject, month",
    ),
    ("rollup_state", &["first_day", "last_day"], "id"),
    (
        "account",
        &[
            "id",
            "username",
            "display_name",
            "role",
            "person_lists",
            "disabled",
            "is_demo",
        ],
        "id",
    ),
    (
        "account_scope",
        &["account_id", "unit_id"],
        "account_id, unit_id",
    ),
    ("report_pull", &["tool_id", "day", "rows"], "tool_id, day"),
    ("box_event_seen", &["event_id"], "event_id"),
    (
        "import",
        &[
            "id",
            "file_name",
            "kind",
            "rows_accepted",
            "rows_rejected",
            "account_id",
        ],
        "id",
    ),
    (
        "import_reject",
        &["import_id", "line", "reason", "raw"],
        "import_id, line",
    ),
    ("setting", &["key", "value"], "key"),
    (
        "group_mapping",
        &["group_id", "role", "person_lists"],
        "group_id",
    ),
    (
        "group_mapping_scope",
        &["group_id", "unit_id"],
        "group_id, unit_id",
    ),
    ("api_token", &["id", "name"], "id"),
    (
        "api_token_tool",
        &["token_id", "tool_id"],
        "token_id, tool_id",
    ),
];

impl Store {
    /// SHA-256 over every row of the tables above, as text.
    pub async fn content_hash(&self) -> Result<String> {
        let mut hasher = Sha256::new();
        for (table, columns, order) in TABLES {
            // Blobs are hashed as hex; everything else as text.
            let cast = |c: &&str| match (self.backend(), *c == "cells") {
                (crate::Backend::Sqlite, true) => format!("hex({c})"),
                (crate::Backend::Postgres, true) => format!("encode({c}, 'hex')"),
                (_, false) => format!("COALESCE(CAST({c} AS TEXT), '-')"),
            };
            let select = columns
                .iter()
                .map(cast)
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let sql = format!("SELECT {select} FROM {table} ORDER BY {order}");
            hasher.update(table.as_bytes());
            on_db!(&self.db, pool => {
                use futures::TryStreamExt;
                let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(pool);
                while let Some(row) = rows.try_next().await? {
                    hasher.update(row.as_bytes());
                    hasher.update(b"\n");
                }
            });
        }
        Ok(format!("{:x}", hasher.finalize()))
    }
}
