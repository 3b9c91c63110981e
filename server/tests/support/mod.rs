//! Shared by the HTTP tests: an app over a small demo force, called
//! in-process through the real router and middleware.

#![allow(dead_code)] // each test binary uses its own part of this

use app::AppState;
use axum::{
    Router,
    body::{Body, to_bytes},
    http::{HeaderMap, Request, StatusCode, header},
};
use chrono::NaiveDate;
use domain::formats::{RosterRecord, UnitRecord};
use leptos::prelude::LeptosOptions;
use server::{
    auth::{AuthConfig, SESSION_COOKIE},
    demo::{self, DemoAccount, DemoOptions},
    ingest::DEFAULT_ZONE,
    routes::router,
};
use store::{Store, testing::TestDb};
use tower::ServiceExt;

pub mod attacker;
pub mod hand_worked;
pub mod small_force;

pub const HOST: &str = "uptake.test";

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub accounts: Vec<DemoAccount>,
    _db: TestDb,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy where it is not UTF-8).
    pub body: String,
    /// The body as it came (a PDF or a workbook).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub fn app_state(store: Store) -> AppState {
    AppState {
        store,
        leptos_options: LeptosOptions::builder()
            .output_name("uptake")
            .site_root("target/site")
            .build(),
        zone: DEFAULT_ZONE,
    }
}

impl TestApp {
    /// An app over an empty database.
    pub fn empty(db: TestDb, auth: AuthConfig) -> Self {
        Self {
            router: router(app_state(db.store.clone()), auth),
            store: db.store.clone(),
            accounts: Vec::new(),
            _db: db,
        }
    }

    /// A 600-staff demo force ending on 31 Oct 2026 (without specialist
    /// units), with its demo accounts.
    pub async fn demo(db: TestDb, auth: AuthConfig) -> Self {
        db.store.ensure_standard_catalog().await.expect("catalog");
        let report = demo::generate(
            &db.store,
            &DemoOptions {
                staff: 600,
                seed: 7,
                end: "2026-10-31".parse::<NaiveDate>().expect("date"),
                // Without specialist units: the HTTP attacker's integer
                // programmes over everything the admin sees take minutes
                // with them (ten and more); the domain tests' generated
                // forces and the demo tests have units that small.
                specialist_units: false,
            },
        )
        .await
        .expect("demo");
        Self {
            router: router(app_state(db.store.clone()), auth),
            store: db.store.clone(),
            accounts: report.accounts,
            _db: db,
        }
    }

    /// A small generated force (`small_force`), with an account of each
    /// role.
    pub async fn small_force(db: TestDb, seed: u64) -> Self {
        let accounts = small_force::write(&db.store, seed).await;
        Self {
            router: router(app_state(db.store.clone()), AuthConfig::default()),
            store: db.store.clone(),
            accounts,
            _db: db,
        }
    }

    /// Serves the app on a local port, as `uptake serve` does (with the
    /// callers' addresses), for tests that need real connections; returns
    /// its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("address");
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    pub fn password(&self, username: &str) -> String {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .map(|a| a.password.clone())
            .unwrap_or_else(|| panic!("no demo account {username}"))
    }

    /// A same-origin request, as a browser on this site would send it.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("http://{HOST}"));
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        let body = match form {
            Some(f) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(f.to_owned())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 1 << 26).await.expect("body");
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            bytes: body.to_vec(),
        }
    }

    pub async fn get(&self, uri: &str, cookie: &str) -> Reply {
        self.call("GET", uri, Some(cookie), None).await
    }

    /// Signs in and returns the `Cookie` header value for the session.
    pub async fn sign_in(&self, username: &str) -> String {
        let password = self.password(username);
        let reply = self.sign_in_with(username, &password, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.header("location"), Some("/"), "signed in");
        session_cookie(&reply).expect("a session cookie")
    }

    pub async fn sign_in_with(
        &self,
        username: &str,
        password: &str,
        cookie: Option<&str>,
    ) -> Reply {
        let form = format!(
            "username={}&password={}",
            urlencode(username),
            urlencode(password)
        );
        self.call("POST", "/auth/sign-in", cookie, Some(&form))
            .await
    }
}

/// The `name=value` part of the session cookie a reply sets.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    let set = reply.header("set-cookie")?;
    let pair = set.split(';').next()?.trim();
    pair.starts_with(&format!("{SESSION_COOKIE}="))
        .then(|| pair.to_owned())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A day written as YYYY-MM-DD.
pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// A unit row of the unit list.
pub fn unit(code: &str, parent: Option<&str>) -> UnitRecord {
    UnitRecord {
        code: code.into(),
        parent_code: parent.map(Into::into),
        name: format!("Unit {code}"),
        kind: "team".into(),
        restricted: false,
    }
}

/// A roster row: staff number S{n}, born 1980, in post since 2020.
pub fn person(n: usize, name: &str, unit: &str) -> RosterRecord {
    RosterRecord {
        staff_number: format!("S{n}"),
        sign_in_name: format!("{name}@force.police.uk"),
        unit_code: unit.into(),
        birth_year: 1980,
        role: "PC".into(),
        start_date: day("2020-01-01"),
        leave_date: None,
    }
}
