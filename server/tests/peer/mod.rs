//! A local server that speaks the vendors' protocols, for the connectors'
//! real HTTP client code: an OAuth2 client-credentials token endpoint,
//! Graph's report functions (a 302 to a CSV download) and report settings,
//! and Box's paged events. Faults are scripted: 429 with Retry-After, 5xx,
//! truncated pages, and tokens that expire part-way through a run.

#![allow(dead_code)]

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
};

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};

pub const CLIENT_ID: &str = "uptake-test-app";
pub const CLIENT_SECRET: &str = "s3cret";

/// A scripted fault, served once to the next API request whose path
/// contains `path`.
#[derive(Debug, Clone)]
pub enum Fault {
    Throttle {
        path: String,
        retry_after: &'static str,
    },
    ServerError {
        path: String,
    },
    /// Half the body of the page, as a connection cut part-way would give.
    Truncate {
        path: String,
    },
}

impl Fault {
    fn path(&self) -> &str {
        match self {
            Fault::Throttle { path, .. }
            | Fault::ServerError { path }
            | Fault::Truncate { path } => path,
        }
    }
}

#[derive(Default)]
pub struct PeerState {
    pub tokens_issued: AtomicU32,
    /// API requests each token answers before it counts as expired.
    pub token_life: AtomicU32,
    tokens: Mutex<HashMap<String, u32>>,
    pub faults: Mutex<VecDeque<Fault>>,
    pub concealed: AtomicBool,
    /// Answers 403 to report settings (the app lacks the permission).
    pub settings_forbidden: AtomicBool,
    /// Graph report CSVs by `<function>(date=YYYY-MM-DD)`.
    pub reports: Mutex<HashMap<String, String>>,
    /// The Box event stream, in delivery order (repeats included).
    pub events: Mutex<Vec<serde_json::Value>>,
    /// Every API request's path and query, in order.
    pub log: Mutex<Vec<String>>,
    pub unauthorised: AtomicU32,
}

pub struct Peer {
    pub base: String,
    pub state: Arc<PeerState>,
}

impl Peer {
    pub async fn start() -> Peer {
        let state = Arc::new(PeerState {
            token_life: AtomicU32::new(u32::MAX),
            ..PeerState::default()
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1.0/admin/reportSettings", get(report_settings))
            .route("/v1.0/reports/{call}", get(report))
            .route("/download/{call}", get(download))
            .route("/2.0/events", get(events))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Peer { base, state }
    }

    pub fn fault(&self, fault: Fault) {
        self.state.faults.lock().expect("faults").push_back(fault);
    }

    pub fn requests(&self, containing: &str) -> usize {
        self.state
            .log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| l.contains(containing))
            .count()
    }
}

async fn token(
    State(state): State<Arc<PeerState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str);
    if field("grant_type") != Some("client_credentials")
        || field("client_id") != Some(CLIENT_ID)
        || field("client_secret") != Some(CLIENT_SECRET)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let n = state.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("token-{n}");
    state
        .tokens
        .lock()
        .expect("tokens")
        .insert(token.clone(), state.token_life.load(Ordering::SeqCst));
    Json(serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 3600
    }))
    .into_response()
}

/// Checks the bearer token (spending one of its uses), logs the request,
/// and serves a scripted fault if one is due.
fn admit(
    state: &PeerState,
    headers: &HeaderMap,
    request: &str,
) -> Result<Option<Fault>, Box<Response>> {
    state.log.lock().expect("log").push(request.to_owned());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    {
        let mut tokens = state.tokens.lock().expect("tokens");
        match tokens.get_mut(&token) {
            Some(uses) if *uses > 0 => *uses -= 1,
            _ => {
                state.unauthorised.fetch_add(1, Ordering::SeqCst);
                return Err(Box::new(
                    (StatusCode::UNAUTHORIZED, "expired or unknown token").into_response(),
                ));
            }
        }
    }
    let mut faults = state.faults.lock().expect("faults");
    let due = faults.iter().position(|f| request.contains(f.path()));
    let fault = due.and_then(|i| faults.remove(i));
    match fault {
        Some(Fault::Throttle { retry_after, .. }) => Err(Box::new(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after)],
                "slow down",
            )
                .into_response(),
        )),
        Some(Fault::ServerError { .. }) => Err(Box::new(
            (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response(),
        )),
        other => Ok(other),
    }
}

async fn report_settings(State(state): State<Arc<PeerState>>, headers: HeaderMap) -> Response {
    if let Err(r) = admit(&state, &headers, "/v1.0/admin/reportSettings") {
        return *r;
    }
    if state.settings_forbidden.load(Ordering::SeqCst) {
        return (StatusCode::FORBIDDEN, "ReportSettings.Read.All is needed").into_response();
    }
    Json(serde_json::json!({
        "id": "reportSettings",
        "displayConcealedNames": state.concealed.load(Ordering::SeqCst)
    }))
    .into_response()
}

async fn report(
    State(state): State<Arc<PeerState>>,
    Path(call): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&state, &headers, &format!("/v1.0/reports/{call}")) {
        return *r;
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/download/{call}"))],
    )
        .into_response()
}

/// The short-lived download: no token needed, as Graph's is pre-signed.
async fn download(State(state): State<Arc<PeerState>>, Path(call): Path<String>) -> Response {
    let body = state
        .reports
        .lock()
        .expect("reports")
        .get(&call)
        .cloned()
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

async fn events(
    State(state): State<Arc<PeerState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut keys: Vec<_> = query.iter().collect();
    keys.sort();
    let request = format!("/2.0/events?{keys:?}");
    let fault = match admit(&state, &headers, &request) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let events = state.events.lock().expect("events").clone();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let selected: Vec<serde_json::Value> = match query.get("stream_type").map(String::as_str) {
        Some("admin_logs") => {
            let after = query.get("created_after").cloned().unwrap_or_default();
            let before = query.get("created_before").cloned().unwrap_or_default();
            events
                .into_iter()
                .filter(|e| {
                    let at = e["created_at"].as_str().unwrap_or_default();
                    let at = chrono::DateTime::parse_from_rfc3339(at).expect("time");
                    let after = chrono::DateTime::parse_from_rfc3339(&after).expect("after");
                    let before = chrono::DateTime::parse_from_rfc3339(&before).expect("before");
                    at >= after && at < before
                })
                .collect()
        }
        Some("admin_logs_streaming") => events,
        _ => return (StatusCode::BAD_REQUEST, "stream_type").into_response(),
    };
    let start: usize = query
        .get("stream_position")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
        .min(selected.len());
    let end = (start + limit).min(selected.len());
    let page = serde_json::json!({
        "chunk_size": end - start,
        "next_stream_position": end.to_string(),
        "entries": selected[start..end],
    })
    .to_string();
    let body = match fault {
        Some(Fault::Truncate { .. }) => page[..page.len() / 2].to_owned(),
        _ => page,
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
