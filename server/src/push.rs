//! `POST /api/v1/activity`: activity pushed by other systems.
//!
//! The body is NDJSON, one `{"tool","user","day","actions"}` record per
//! line, sent with a bearer token made by `uptake token create`. Each line
//! is accepted or rejected on its own (a tool outside the token's scope is
//! rejected for that line); the answer counts both and gives each reject's
//! line and reason. A push replaces its keys, so sending the same body
//! twice changes nothing.

use app::api::ssr::{Actor, AppError, guard::AccessNote};
use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use domain::{access::AuditAction, formats::GenericActivity};
use serde::{Deserialize, Serialize};

use crate::{
    auth::token_hash,
    ingest::{Counted, Sink},
    state::ServerState,
};

/// The largest body accepted: about 200,000 lines.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Line {
    tool: String,
    user: String,
    day: String,
    actions: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LineReject {
    pub line: u64,
    pub reason: String,
}

/// The answer to a push.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushReport {
    pub accepted: u64,
    pub rejected: u64,
    pub rejects: Vec<LineReject>,
    /// Person-days written for staff on the roster.
    pub rows: u64,
    /// Records for names not on the roster (kept, and attached when a later
    /// roster matches them).
    pub unmatched: u64,
    pub external: u64,
}

/// Bodies read at once: each may be [`MAX_BODY_BYTES`], so this bounds
/// what pushes can hold in memory together.
const CONCURRENT_BODIES: usize = 4;

static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_BODIES);

pub async fn activity(
    State(state): State<ServerState>,
    Extension(note): Extension<AccessNote>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let store = &state.app.store;
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return AppError::Unauthorized(
            "send a token made by `uptake token create` as 'Authorization: Bearer <token>'".into(),
        )
        .into_response();
    };
    let grant = match store.api_token(&token_hash(token.trim())).await {
        Ok(Some(grant)) => {
            note.note(&format!("token:{}", grant.id));
            grant
        }
        Ok(None) => {
            return AppError::Unauthorized("the token is unknown or revoked".into())
                .into_response();
        }
        Err(e) => {
            return AppError::internal(format!("reading the token failed: {e}")).into_response();
        }
    };
    // The token is checked before a byte of the body is read.
    let Ok(_reading) = READING.acquire().await else {
        return AppError::Busy("the server is shutting down".into()).into_response();
    };
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return AppError::TooLarge(format!(
                "a push may be at most {} MiB; send it in parts",
                MAX_BODY_BYTES >> 20
            ))
            .into_response();
        }
    };
    match push(&state, &grant, &body).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => AppError::internal(format!("push with token {} failed: {e:#}", grant.id))
            .into_response(),
    }
}

async fn push(
    state: &ServerState,
    grant: &store::TokenGrant,
    body: &[u8],
) -> anyhow::Result<PushReport> {
    let store = &state.app.store;
    let mut sink = Sink::new(store, state.app.zone).await?;
    let mut rejects: Vec<domain::formats::Reject> = Vec::new();
    let mut accepted = 0u64;
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse(&sink, grant, raw) {
            Ok(record) => {
                accepted += 1;
                sink.add(record).await?;
            }
            Err(reason) => rejects.push(domain::formats::Reject {
                line,
                reason,
                raw: String::from_utf8_lossy(raw).chars().take(500).collect(),
            }),
        }
    }
    let written = sink.finish(true).await?;
    let name = format!("push by token {} '{}'", grant.id, grant.name);
    let id = store
        .record_import(&name, "push", accepted, &rejects)
        .await?;
    let actor = Actor {
        account: None,
        name: &grant.name,
        scope: format!("token {}", grant.id),
        address: None,
    };
    actor
        .audit(
            store,
            AuditAction::Push,
            &format!(
                "import {id}: {accepted} lines accepted, {} rejected",
                rejects.len()
            ),
        )
        .await?;
    Ok(PushReport {
        accepted,
        rejected: rejects.len() as u64,
        rejects: rejects
            .into_iter()
            .map(|r| LineReject {
                line: r.line,
                reason: r.reason,
            })
            .collect(),
        rows: written.rows,
        unmatched: written.unmatched,
        external: written.external,
    })
}

fn parse(sink: &Sink<'_>, grant: &store::TokenGrant, raw: &[u8]) -> Result<Counted, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the line is not valid UTF-8".to_owned())?;
    let line: Line = serde_json::from_str(text).map_err(|e| {
        format!("the line is not a {{\"tool\",\"user\",\"day\",\"actions\"}} record: {e}")
    })?;
    // The same rule as a generic activity file's row.
    let record = GenericActivity::new(&line.tool, &line.user, &line.day, line.actions)?;
    let tool = sink.tool(&record.tool)?;
    if !grant.tools.contains(&tool) {
        return Err(format!("this token may not write tool '{}'", record.tool));
    }
    sink.check_day(record.day)?;
    Ok(Counted {
        tool,
        user: record.user,
        day: record.day,
        actions: record.actions,
    })
}
