//! Access control through the real router: a sweep over every registered
//! route and server function, scope per role, sessions, CSRF and headers.

mod support;

use app::{
    App,
    api::ssr::{ACCESS_HEADER, Actor},
};
use axum::http::StatusCode;
use chrono::Duration;
use domain::{
    access::{Reach, SessionPolicy},
    overview::Overview,
    people::PersonList,
    wave::WaveProgress,
};
use leptos::server_fn::axum::server_fn_paths;
use leptos_axum::generate_route_list;
use server::{
    auth::{AuthConfig, DEVICE_COOKIE},
    routes::REST_ROUTES,
};
use store::testing;
use support::{TestApp, session_cookie};

const ADMIN: &str = "admin@uptake.demo";
/// Commander of C01, with person-level lists.
const COMMANDER: &str = "commander@uptake.demo";
/// Viewer of C02-B1, aggregates only.
const VIEWER: &str = "viewer@uptake.demo";
const RESTRICTED: &str = "C03-B1-D1";

/// Every server function the app registered, as (method, path).
fn server_functions() -> Vec<(String, String)> {
    let mut fns: Vec<(String, String)> = server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .collect();
    fns.sort();
    assert!(
        fns.len() >= 8,
        "the registry lists the app's server functions: {fns:?}"
    );
    fns
}

/// Every page route, with its parameters filled in with a unit code.
fn pages(code: &str) -> Vec<String> {
    generate_route_list(App)
        .iter()
        .map(|r| r.path().replace("{code}", code).replace(":code", code))
        .collect()
}

/// Arguments every server function might take, aimed at `unit`: unknown
/// ones are ignored, so one query reaches every function's check.
fn args(unit: &str) -> String {
    format!(
        "unit={unit}&product=Box&username=nobody%40example.org&display_name=&role=viewer&scope={unit}\
         &current=not-the-password&new=a-long-new-password&confirm=a-long-new-password&import=1\
         &wave=1&target_percent=50&target_date=2026-12-01&name=Sweep&go_live=2026-11-01&units={unit}"
    )
}

async fn call_fn(
    app: &TestApp,
    method: &str,
    path: &str,
    unit: &str,
    cookie: Option<&str>,
) -> support::Reply {
    if method == "GET" {
        app.call("GET", &format!("{path}?{}", args(unit)), cookie, None)
            .await
    } else {
        app.call(method, path, cookie, Some(&args(unit))).await
    }
}

#[tokio::test]
async fn every_route_turns_away_anonymous_callers() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    for (method, path) in server_functions() {
        let reply = call_fn(&app, &method, &path, "C01", None).await;
        if reply.header(ACCESS_HEADER) == Some("public") {
            // Only what the sign-in page needs, and the middleware lists it.
            assert_eq!(path, "/api/sign-in-options");
            continue;
        }
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    for page in pages("C01") {
        let reply = app.call("GET", &page, None, None).await;
        if page == "/login" {
            assert_eq!(reply.status, StatusCode::OK);
        } else {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}");
            assert_eq!(reply.header("location"), Some("/login"), "{page}");
        }
    }
    for (method, path) in REST_ROUTES {
        let reply = app.call(method, path, None, None).await;
        match *path {
            "/healthz" => assert_eq!(reply.status, StatusCode::OK),
            // Entra ID sign-in is open, and says so when it is not set up.
            "/auth/oidc/start" | "/auth/oidc/callback" => {
                assert_eq!(reply.header("location"), Some("/login?error=entra_off"));
            }
            // Signing in is open; an empty form goes back to the form.
            "/auth/sign-in" => assert_eq!(reply.header("location"), Some("/login?error=failed")),
            _ => assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::SEE_OTHER].contains(&reply.status),
                "{method} {path}: {}",
                reply.status
            ),
        }
    }
    // Static files stay open, so the sign-in page can load its script.
    let reply = app.call("GET", "/favicon.svg", None, None).await;
    assert_ne!(reply.status, StatusCode::SEE_OTHER);
    // The token API's unknown paths are a plain 404, never the server
    // function dispatcher's own text.
    for path in ["/api/v1/", "/api/v1/nothing", "/api/v1/get_overview"] {
        let reply = app.call("GET", path, None, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !reply.body.to_lowercase().contains("server fn"),
            "{path}: {}",
            reply.body
        );
        assert!(!reply.body.contains("function"), "{path}: {}", reply.body);
    }
}

/// REST routes pass the same guards as server functions (extractors in
/// `app::api::ssr::guard`): signed in without the role, a guarded route
/// answers 403; with it, the response names the access granted, as every
/// server function's does. The push API's token guard is held in
/// `ingest.rs`.
#[tokio::test]
async fn every_rest_route_passes_a_shared_guard() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let viewer = app.sign_in(VIEWER).await;
    let admin = app.sign_in(ADMIN).await;
    let mut guarded = 0;
    for (method, path) in REST_ROUTES {
        if [
            "/healthz",
            "/auth/sign-in",
            "/auth/sign-out",
            "/auth/oidc/start",
            "/auth/oidc/callback",
            "/api/v1/activity",
        ]
        .contains(path)
            // Exports are for every role, each within its scope:
            // `tests/exports.rs` sweeps them.
            || path.starts_with("/exports/")
        {
            continue;
        }
        let refused = app.call(method, path, Some(&viewer), None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(refused.header(ACCESS_HEADER), None, "{method} {path}");
        let said: serde_json::Value = refused.json();
        assert_eq!(
            said["error"], "only an admin may do this",
            "{method} {path}"
        );
        let granted = app.call(method, path, Some(&admin), None).await;
        assert_eq!(
            granted.header(ACCESS_HEADER),
            Some("admin"),
            "{method} {path}: {}",
            granted.status
        );
        guarded += 1;
    }
    assert_eq!(guarded, 2, "the audit export and the upload");
}

/// Arguments that do not parse are the caller's fault: 400, with no
/// framework prefix, not 500.
#[tokio::test]
async fn bad_query_arguments_answer_400() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let cookie = app.sign_in(ADMIN).await;
    for query in [
        "/api/overview?unit=C01&as_of=not-a-day",
        "/api/bands?unit=C01&subject=all&as_of=2026-13-45",
    ] {
        let reply = app.get(query, &cookie).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert!(!reply.body.starts_with("Args|"), "{}", reply.body);
    }
}

/// Each server function must either refuse a unit outside the caller's
/// scope or answer through the shared check, which names what it granted
/// in a header. A function registered without the check fails here.
#[tokio::test]
async fn every_server_function_passes_the_shared_scope_check() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let viewer = app.sign_in(VIEWER).await;
    for (method, path) in server_functions() {
        let reply = call_fn(&app, &method, &path, "C01", Some(&viewer)).await;
        let granted = reply.header(ACCESS_HEADER);
        match reply.status {
            StatusCode::FORBIDDEN => {}
            status if status.is_success() || status == StatusCode::BAD_REQUEST => {
                let granted = granted.unwrap_or_else(|| {
                    panic!("{method} {path} answered {status} without the shared access check")
                });
                assert!(
                    !granted.ends_with(":C01"),
                    "{method} {path} granted {granted} to a viewer of C02-B1"
                );
            }
            status => panic!("{method} {path}: unexpected {status}: {}", reply.body),
        }
    }
    // The viewer's own unit is granted, aggregates only.
    let own = app.get("/api/overview?unit=C02-B1", &viewer).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.header(ACCESS_HEADER), Some("unit:C02-B1"));
    let people = app
        .get("/api/not-started?unit=C02-B1&product=Box", &viewer)
        .await;
    assert_eq!(
        people.status,
        StatusCode::FORBIDDEN,
        "person-level lists need the permission"
    );

    // Pages carry the same refusal as their data.
    for page in pages("C01") {
        let reply = app.get(&page, &viewer).await;
        let expected =
            if page.starts_with("/units/") || page.starts_with("/admin/") || page == "/data" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
        assert_eq!(reply.status, expected, "{page}");
    }
    assert_eq!(
        app.get("/units/C02-B1", &viewer).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/admin/audit.csv", &viewer).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_commander_sees_their_subtree_and_the_force_for_comparison_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let commander = app.sign_in(COMMANDER).await;

        let own: Overview = app.get("/api/overview?unit=C01", &commander).await.json();
        assert_eq!(own.reach, Reach::Full);
        assert!(own.person_lists);
        assert!(!own.children.is_empty());
        assert!(
            own.children.iter().all(|c| c.code.starts_with("C01-")),
            "{:?}",
            own.children
        );
        let bcu = &own.children[0].code;
        assert_eq!(
            app.get(&format!("/api/overview?unit={bcu}"), &commander)
                .await
                .status,
            StatusCode::OK
        );
        for outside in ["C02", "C02-B1", RESTRICTED, "NO-SUCH-UNIT"] {
            let reply = app
                .get(&format!("/api/overview?unit={outside}"), &commander)
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{outside}");
            assert!(!reply.body.contains("eligible"), "no figures in a refusal");
        }

        let force: Overview = app.get("/api/overview", &commander).await.json();
        assert_eq!(force.reach, Reach::ForceComparison);
        assert!(force.children.is_empty(), "no other unit's figures");
        assert!(!force.person_lists);
        assert!(force.kpis[0].counts.is_some_and(|c| c.eligible > 500));

        // Waves show only the commander's own units, and no wave totals.
        let waves: Vec<WaveProgress> = app.get("/api/waves", &commander).await.json();
        assert!(!waves.is_empty());
        for w in &waves {
            assert!(w.total.is_none(), "a wave total spans other units");
            assert!(w.units.iter().all(|u| u.code == "C01"), "{:?}", w.units);
        }
        // A unit's own waves (its page) narrow that list, and asking for
        // another unit's never widens it.
        let own_waves: Vec<WaveProgress> = app.get("/api/waves?unit=C01", &commander).await.json();
        assert_eq!(own_waves, waves);
        let others: Vec<WaveProgress> = app.get("/api/waves?unit=C02", &commander).await.json();
        assert!(others.is_empty(), "{others:?}");

        // The unit tree starts at their command; opening or choosing a
        // unit outside it never widens it.
        let units: domain::unit_tree::UnitsView = app
            .get("/api/units?open=C01,C02,C03&heat=C01", &commander)
            .await
            .json();
        assert_eq!(units.tree.rows[0].code, "C01");
        assert!(units.tree.rows.len() > 1);
        assert!(
            units.tree.rows.iter().all(|r| r.code.starts_with("C01")),
            "{:?}",
            units.tree.rows
        );
        assert!(units.heat.rows.iter().all(|r| r.code.starts_with("C01")));
        for outside in ["C02", RESTRICTED, "NO-SUCH-UNIT"] {
            let reply = app
                .get(&format!("/api/units?heat={outside}"), &commander)
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{outside}");
            assert!(!reply.body.contains("eligible"), "no figures in a refusal");
        }

        // Person-level lists in scope are granted and audited.
        let list = app
            .get("/api/not-started?unit=C01&product=Box", &commander)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let list: PersonList = list.json();
        assert!(!list.people.is_empty());
        assert!(list.people.iter().all(|p| p.unit_code.starts_with("C01")));
        assert_eq!(list.licence_day, None, "Box has no licence report");
        assert!(!list.last_seen_known, "nor last-seen days");
        // Microsoft 365's list says who holds no licence, and when each
        // person was last seen at all.
        let m365: PersonList = app
            .get(
                "/api/not-started?unit=C01&product=Microsoft%20365",
                &commander,
            )
            .await
            .json();
        assert!(m365.licence_day.is_some() && m365.last_seen_known);
        let unlicensed = m365.people.iter().filter(|p| p.licences.is_empty()).count();
        assert!(
            unlicensed > 0 && unlicensed < m365.people.len(),
            "{unlicensed} of {} hold no licence",
            m365.people.len()
        );
        assert!(m365.people.iter().any(|p| p.last_seen.is_some()));
        assert!(
            m365.people.iter().flat_map(|p| &p.licences).all(|t| [
                "Teams",
                "OneDrive",
                "SharePoint",
                "Exchange"
            ]
            .contains(&t.as_str()))
        );
        let log = app.store.audit_log(5).await.expect("log");
        assert_eq!(log[1].action, "person_list_viewed");
        assert_eq!(log[1].scope, "C01");
        assert_eq!(log[0].action, "person_list_viewed");
        assert_eq!(log[0].actor, COMMANDER);
        assert_eq!(log[0].scope, "C01");
        assert_eq!(
            app.get("/api/not-started?unit=C02&product=Box", &commander)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // Restricted units are hidden even from admins without explicit scope.
        let admin = app.sign_in(ADMIN).await;
        let c03: Overview = app.get("/api/overview?unit=C03-B1", &admin).await.json();
        assert!(
            c03.children.iter().all(|c| c.code != RESTRICTED),
            "{:?}",
            c03.children
        );
        // It answers exactly as an unknown code does, so that no one learns
        // which restricted codes exist.
        let restricted = app
            .get(&format!("/api/overview?unit={RESTRICTED}"), &admin)
            .await;
        let unknown = app.get("/api/overview?unit=NO-SUCH-UNIT", &admin).await;
        assert_eq!(restricted.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(
            restricted.body.replace(RESTRICTED, "X"),
            unknown.body.replace("NO-SUCH-UNIT", "X")
        );
        // Small units are published as [c], never as figures.
        for row in &own.children {
            for cell in row.cells.iter().flatten() {
                assert!(
                    cell.eligible >= 10 && cell.active28 >= 3 && cell.eligible - cell.active28 >= 3
                );
            }
        }
    }
}

#[tokio::test]
async fn sign_in_fails_plainly_is_throttled_and_is_audited() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let wrong = app.sign_in_with(VIEWER, "not the password", None).await;
    assert_eq!(wrong.header("location"), Some("/login?error=failed"));
    assert_eq!(session_cookie(&wrong), None);
    let unknown = app
        .sign_in_with("nobody@uptake.demo", "whatever it is", None)
        .await;
    assert_eq!(
        unknown.header("location"),
        Some("/login?error=failed"),
        "the same answer"
    );
    // Refusals from one address are folded per kind and window: the first
    // is written in full, the second only counted (finding 2).
    let log = app.store.audit_log(2).await.expect("log");
    assert_eq!(log[0].action, "sign_in_failed");
    assert_eq!(log[0].actor, VIEWER);
    assert_ne!(log[1].action, "sign_in_failed");

    for _ in 0..4 {
        app.sign_in_with(VIEWER, "still wrong", None).await;
    }
    let password = app.password(VIEWER);
    let refused = app.sign_in_with(VIEWER, &password, None).await;
    assert_eq!(refused.header("location"), Some("/login?error=throttled"));
    assert_eq!(
        session_cookie(&refused),
        None,
        "the right password waits out the window"
    );
    assert_eq!(
        app.store.audit_log(1).await.expect("log")[0].action,
        "sign_in_refused"
    );
}

/// Security finding 1: thirty sign-ins for one account at once, the right
/// password after them, make five guesses between them, never more, and
/// none is turned away as "unavailable" for a lock a retry would clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ins_cannot_pass_the_guess_limit_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let password = app.password(VIEWER);
        // Real connections to a served app, all at once.
        let base = app.serve().await;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let sign_in = |password: String| {
            let (client, base) = (&client, &base);
            async move {
                let reply = client
                    .post(format!("{base}/auth/sign-in"))
                    .header("origin", base.as_str())
                    .form(&[("username", VIEWER), ("password", password.as_str())])
                    .send()
                    .await
                    .expect("an answer");
                let location = reply
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let signed_in = reply
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|c| c.starts_with("uptake_session="));
                match location.as_str() {
                    l if l.starts_with("/login?error=") => l.to_owned(),
                    "/" if signed_in => "signed in".to_owned(),
                    other => format!("{other:?} {}", reply.status()),
                }
            }
        };
        // Thirty wrong guesses at once: five are checked, the rest are
        // throttled, and none is "unavailable".
        let guesses = (0..30).map(|i| sign_in(format!("guess number {i}")));
        let mut answers: std::collections::BTreeMap<String, usize> = Default::default();
        for answer in futures::future::join_all(guesses).await {
            *answers.entry(answer).or_default() += 1;
        }
        assert_eq!(
            answers,
            [
                ("/login?error=failed".to_owned(), 5),
                ("/login?error=throttled".to_owned(), 25)
            ]
            .into(),
            "{:?}",
            app.store.backend()
        );
        // Then the right password is refused too: the limit held (before
        // the fix, it signed in after six failures). A successful sign-in
        // clears the count, so it is tried only after the guesses.
        assert_eq!(sign_in(password).await, "/login?error=throttled");
    }
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_end_at_sign_out_and_expire() {
    let auth = AuthConfig {
        session: SessionPolicy {
            idle: Duration::seconds(2),
            absolute: Duration::hours(1),
            per_account: 3,
        },
        ..AuthConfig::default()
    };
    let app = TestApp::demo(testing::sqlite().await.expect("database"), auth).await;

    // Fixation: a planted cookie is never promoted; sign-in issues a new id.
    let planted = "uptake_session=planted-by-an-attacker";
    let reply = app
        .sign_in_with(VIEWER, &app.password(VIEWER), Some(planted))
        .await;
    let cookie = session_cookie(&reply).expect("session");
    assert_ne!(cookie, planted);
    let set = reply.header("set-cookie").expect("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP in tests");
    assert_eq!(
        app.get("/api/me", planted).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/me", &cookie).await.status, StatusCode::OK);

    // A copied cookie dies with sign-out, on the server.
    let stolen = cookie.clone();
    let out = app
        .call("POST", "/auth/sign-out", Some(&cookie), None)
        .await;
    assert_eq!(out.header("location"), Some("/login"));
    assert_eq!(
        app.get("/api/me", &stolen).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.store.audit_log(1).await.expect("log")[0].action,
        "sign_out"
    );

    // Idle expiry.
    let cookie = app.sign_in(VIEWER).await;
    assert_eq!(app.get("/api/me", &cookie).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        app.get("/api/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An account holds at most `per_account` sessions: a fourth sign-in
    // ends the least recently used (finding: unlimited sessions).
    let mut cookies = Vec::new();
    for _ in 0..4 {
        cookies.push(app.sign_in(VIEWER).await);
    }
    assert_eq!(
        app.get("/api/me", &cookies[0]).await.status,
        StatusCode::UNAUTHORIZED
    );
    for c in &cookies[1..] {
        assert_eq!(app.get("/api/me", c).await.status, StatusCode::OK);
    }

    // Behind an HTTPS proxy the cookie is Secure.
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/auth/sign-in")
        .header("host", support::HOST)
        .header("origin", format!("https://{}", support::HOST))
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username={}&password={}",
            VIEWER.replace('@', "%40"),
            app.password(VIEWER)
        )))
        .expect("request");
    let secure = app.send(request).await;
    let set = secure.header("set-cookie").expect("a session cookie");
    assert!(
        set.starts_with("__Host-uptake_session=")
            && set.contains("; Secure")
            && set.contains("Path=/;"),
        "{set}"
    );
    // Over HTTPS only the `__Host-` cookie opens a session.
    let id = set.split(';').next().expect("pair");
    let over_https = |cookie: String| {
        axum::http::Request::builder()
            .uri("/api/me")
            .header("host", support::HOST)
            .header("x-forwarded-proto", "https")
            .header("cookie", cookie)
            .body(axum::body::Body::empty())
            .expect("request")
    };
    assert_eq!(
        app.send(over_https(id.to_owned())).await.status,
        StatusCode::OK
    );
    let plain = id.replacen("__Host-", "", 1);
    assert_eq!(
        app.send(over_https(plain)).await.status,
        StatusCode::UNAUTHORIZED,
        "a cookie without the prefix is not taken over HTTPS"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_pages_carry_security_headers() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let cookie = app.sign_in(ADMIN).await;
    let forged = |origin: &str, site: Option<&str>| {
        let mut r = axum::http::Request::builder()
            .method("POST")
            .uri("/api/admin/disable-account")
            .header("host", support::HOST)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded");
        if !origin.is_empty() {
            r = r.header("origin", origin);
        }
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        r.body(axum::body::Body::from("username=viewer%40uptake.demo"))
            .expect("request")
    };
    for (origin, site) in [
        ("https://evil.example", None),
        ("", None),
        // The right host over the wrong scheme is another origin.
        (&*format!("https://{}", support::HOST), None),
        (&*format!("http://{}", support::HOST), Some("cross-site")),
    ] {
        let reply = app.send(forged(origin, site)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "origin {origin:?} site {site:?}"
        );
    }
    let account = app.store.account(VIEWER).await.expect("account");
    assert!(!account.disabled, "no forged request got through");

    // The same request from our own page works.
    let ok = app
        .send(forged(
            &format!("http://{}", support::HOST),
            Some("same-origin"),
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(app.store.account(VIEWER).await.expect("account").disabled);
    assert_eq!(
        app.store.audit_log(1).await.expect("log")[0].action,
        "account_disabled"
    );

    let page = app.get("/", &cookie).await;
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "hydration scripts carry the nonce"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("private, no-store"));

    // Admins export the audit log, and the export is audited.
    let csv = app.get("/admin/audit.csv", &cookie).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .starts_with("id,at_utc,actor,action,detail,scope,address")
    );
    assert!(csv.body.contains("account_disabled"));
    assert_eq!(
        app.store.audit_log(1).await.expect("log")[0].action,
        "audit_log_exported"
    );
}

#[tokio::test]
async fn a_new_account_must_replace_its_one_time_password_before_anything_else() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let admin = app.sign_in(ADMIN).await;
    let form = "username=New.Viewer%40uptake.demo&display_name=New+Viewer&role=viewer&scope=C01-B1";
    let created = app
        .call("POST", "/api/admin/add-account", Some(&admin), Some(form))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let one_time: String = created.json();
    assert_eq!(one_time.len(), 29);
    let refused = app
        .call(
            "POST",
            "/api/admin/add-account",
            Some(&admin),
            Some("username=x%40y&display_name=&role=viewer&scope="),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("needs a scope"), "{}", refused.body);

    let reply = app
        .sign_in_with("new.viewer@uptake.demo", &one_time, None)
        .await;
    let cookie = session_cookie(&reply).expect("signed in");
    // A second browser, signed in too: changing the password ends it.
    let elsewhere = session_cookie(
        &app.sign_in_with("new.viewer@uptake.demo", &one_time, None)
            .await,
    )
    .expect("signed in elsewhere");
    assert_eq!(
        app.get("/api/overview?unit=C01-B1", &cookie).await.status,
        StatusCode::FORBIDDEN
    );
    let page = app.get("/", &cookie).await;
    assert_eq!(page.header("location"), Some("/account/password"));
    assert_eq!(
        app.get("/account/password", &cookie).await.status,
        StatusCode::OK
    );

    let change = |current: &str, new: &str, confirm: &str| {
        format!("current={current}&new={new}&confirm={confirm}")
    };
    for (form, why) in [
        (
            change(
                "wrong-password-here",
                "a-new-long-passphrase",
                "a-new-long-passphrase",
            ),
            "not right",
        ),
        (change(&one_time, "short", "short"), "at least 12"),
        (
            change(
                &one_time,
                "a-new-long-passphrase",
                "another-long-passphrase",
            ),
            "differ",
        ),
    ] {
        let reply = app
            .call("POST", "/api/change-password", Some(&cookie), Some(&form))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{why}");
        assert!(reply.body.contains(why), "{}", reply.body);
    }
    let form = change(&one_time, "a-new-long-passphrase", "a-new-long-passphrase");
    let done = app
        .call("POST", "/api/change-password", Some(&cookie), Some(&form))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let own: Overview = app.get("/api/overview?unit=C01-B1", &cookie).await.json();
    assert_eq!(own.unit_code, "C01-B1");
    assert_eq!(
        app.get("/api/overview?unit=C01-B1", &elsewhere)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    let log = app.store.audit_log(4).await.expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "password_changed",
            "password_change_failed",
            "sign_in",
            "sign_in"
        ]
    );
    assert!(
        log[0].detail.contains("1 other sessions ended"),
        "{}",
        log[0].detail
    );
    assert_eq!(
        app.sign_in_with("new.viewer@uptake.demo", &one_time, None)
            .await
            .header("location"),
        Some("/login?error=failed"),
        "the one-time password is spent"
    );
}

/// Security findings 2 and 8: wrong current passwords are limited and
/// audited like sign-in failures, and a huge submitted name is cut to the
/// longest email address before it reaches the audit log.
#[tokio::test]
async fn password_guesses_are_limited_and_names_in_the_audit_log_are_capped() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let cookie = app.sign_in(ADMIN).await;
    let password = app.password(ADMIN);
    let change = |current: &str| {
        format!("current={current}&new=a-new-long-passphrase&confirm=a-new-long-passphrase")
    };
    for _ in 0..5 {
        let reply = app
            .call(
                "POST",
                "/api/change-password",
                Some(&cookie),
                Some(&change("wrong-guess-here")),
            )
            .await;
        assert!(reply.body.contains("not right"), "{}", reply.body);
    }
    let refused = app
        .call(
            "POST",
            "/api/change-password",
            Some(&cookie),
            Some(&change(&password)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("too many"), "{}", refused.body);
    let log = app.store.audit_log(6).await.expect("log");
    assert_eq!(log[0].action, "password_change_refused");
    assert!(
        log[1..]
            .iter()
            .all(|e| e.action == "password_change_failed")
    );

    let huge = "x".repeat(1 << 20);
    app.sign_in_with(&huge, "whatever it is", None).await;
    let entry = &app.store.audit_log(1).await.expect("log")[0];
    assert_eq!(entry.action, "sign_in_failed");
    assert_eq!(entry.actor.len(), 254);
}

/// Security finding 7: the data page's sign-in names and rejected rows are
/// person-level. An admin without the person-level list permission gets the
/// totals, not the names, and no rejected rows; with it, each view is
/// audited (the browser test signs in as an admin who holds it).
#[tokio::test]
async fn the_data_page_withholds_person_level_rows_without_the_permission() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let admin = app.sign_in(ADMIN).await;
    let health = app.get("/api/data/health", &admin).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    let health: domain::health::DataHealth = health.json();
    assert!(health.names_withheld);
    assert!(health.unmatched.is_empty());
    assert!(health.unmatched_total > 0, "the demo has unmatched names");
    let rejects = app.get("/api/data/rejects?import=1", &admin).await;
    assert_eq!(rejects.status, StatusCode::FORBIDDEN, "{}", rejects.body);
    let log = app.store.audit_log(5).await.expect("log");
    assert!(log.iter().all(|e| e.action != "person_list_viewed"));

    app::api::ssr::accounts::set_person_lists(&app.store, &Actor::local("test"), ADMIN, true)
        .await
        .expect("grant person-level lists");
    // The session reads the account afresh: no new sign-in is needed.
    let health: domain::health::DataHealth = app.get("/api/data/health", &admin).await.json();
    assert!(!health.names_withheld);
    assert!(!health.unmatched.is_empty());
    let log = app.store.audit_log(2).await.expect("log");
    assert_eq!(log[1].action, "account_person_lists_changed");
    assert_eq!(log[0].action, "person_list_viewed");
    assert!(
        log[0].detail.contains("unmatched sign-in names"),
        "{}",
        log[0].detail
    );
}

/// The `name=value` of the device cookie a successful sign-in sets.
fn device_cookie(reply: &support::Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{DEVICE_COOKIE}=")))
        .map(str::to_owned)
}

/// Security finding 4: five wrong guesses from strangers lock an account,
/// but not a browser that has signed in to it before (device cookies); a
/// trusted browser's own wrong guesses lock only itself, and another
/// account's device cookie vouches for nothing.
#[tokio::test]
async fn strangers_cannot_lock_out_a_browser_that_signed_in_before_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let password = app.password(ADMIN);
        let first = app.sign_in_with(ADMIN, &password, None).await;
        assert_eq!(first.header("location"), Some("/"));
        let device = device_cookie(&first).expect("a device cookie");
        let set = first
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(DEVICE_COOKIE))
            .expect("device cookie")
            .to_owned();
        assert!(
            set.contains("Path=/auth")
                && set.contains("HttpOnly")
                && set.contains("SameSite=Strict"),
            "{set}"
        );
        let commander = app
            .sign_in_with(COMMANDER, &app.password(COMMANDER), None)
            .await;
        let other_device = device_cookie(&commander).expect("a device cookie");

        for _ in 0..5 {
            let wrong = app.sign_in_with(ADMIN, "a stranger's guess", None).await;
            assert_eq!(wrong.header("location"), Some("/login?error=failed"));
        }
        let stranger = app.sign_in_with(ADMIN, &password, None).await;
        assert_eq!(
            stranger.header("location"),
            Some("/login?error=throttled"),
            "strangers are locked out"
        );
        let borrowed = app
            .sign_in_with(ADMIN, &password, Some(&other_device))
            .await;
        assert_eq!(
            borrowed.header("location"),
            Some("/login?error=throttled"),
            "another account's device cookie is no exemption"
        );
        let owner = app.sign_in_with(ADMIN, &password, Some(&device)).await;
        assert_eq!(owner.header("location"), Some("/"), "the owner is not");
        assert_eq!(
            device_cookie(&owner).as_deref(),
            Some(device.as_str()),
            "the same device cookie, renewed"
        );

        for _ in 0..5 {
            let wrong = app
                .sign_in_with(ADMIN, "the owner's typo", Some(&device))
                .await;
            assert_eq!(wrong.header("location"), Some("/login?error=failed"));
        }
        let locked = app.sign_in_with(ADMIN, &password, Some(&device)).await;
        assert_eq!(
            locked.header("location"),
            Some("/login?error=throttled"),
            "a trusted browser's own guesses are limited too"
        );
        let guessed = app
            .sign_in_with(
                ADMIN,
                "a forged device",
                Some(&format!("{DEVICE_COOKIE}=forged")),
            )
            .await;
        assert_eq!(guessed.header("location"), Some("/login?error=throttled"));
    }
}

/// Security finding 2: a flood of refused sign-ins from one address writes
/// its first refusal in full and the rest as one entry with their count
/// when the window closes, not one entry per request.
#[tokio::test]
async fn a_flood_of_refused_sign_ins_is_folded_into_one_entry_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let mut auth = AuthConfig::default();
        auth.sign_in.per_account = 1000;
        auth.sign_in.per_address = 1000;
        auth.sign_in.window = chrono::Duration::seconds(2);
        let app = TestApp::demo(db, auth).await;
        let before = app.store.audit_log(i64::MAX).await.expect("log").len();
        let tries = (0..40).map(|i| {
            let app = &app;
            async move {
                app.sign_in_with(&format!("guess{i}@example.org"), "not the password", None)
                    .await
            }
        });
        for reply in futures::future::join_all(tries).await {
            assert_eq!(reply.header("location"), Some("/login?error=failed"));
        }
        let log = app.store.audit_log(i64::MAX).await.expect("log");
        assert_eq!(log.len(), before + 1, "only the first refusal, while open");
        assert_eq!(log[0].action, "sign_in_failed");

        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let log = app.store.audit_log(i64::MAX).await.expect("log");
        assert_eq!(log.len(), before + 2, "and the count when it has closed");
        assert_eq!(log[0].action, "sign_in_refusals_folded");
        assert!(
            log[0].detail.starts_with("39 more sign_in_failed"),
            "{}",
            log[0].detail
        );

        // The next window starts afresh, with its first refusal in full.
        app.sign_in_with("another@example.org", "not the password", None)
            .await;
        let log = app.store.audit_log(i64::MAX).await.expect("log");
        assert_eq!(log.len(), before + 3);
        assert_eq!(log[0].actor, "another@example.org");
    }
}

/// The data page shows no text from its URL: an upload's refusal is stored
/// with the import and named by its id, and `?error=` takes fixed codes
/// only (finding: `/data?error=<any text>`).
#[tokio::test]
async fn the_data_page_shows_no_text_from_its_url() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let cookie = app.sign_in(ADMIN).await;
    let planted = app
        .get(
            "/data?error=Your+account+is+locked%2C+call+0800+000+000",
            &cookie,
        )
        .await;
    assert_eq!(planted.status, StatusCode::OK);
    assert!(!planted.body.contains("0800"), "the URL's text is shown");

    let boundary = "uptake-test-boundary";
    let part = |name: &str, extra: &str, body: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n{body}\r\n"
        )
    };
    let form = [
        part("kind", "", "teams"),
        part("day", "", ""),
        part(
            "file",
            "; filename=\"teams.csv\"",
            "User Principal Name,Team Chat Message Count\r\na@b.test,1",
        ),
        format!("--{boundary}--\r\n"),
    ]
    .concat();
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/data/upload")
        .header("host", support::HOST)
        .header("origin", format!("http://{}", support::HOST))
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(form))
        .expect("request");
    let reply = app.send(request).await;
    let to = reply.header("location").expect("back to the data page");
    assert!(to.starts_with("/data?refused="), "{to}");
    let page = app.get(to, &cookie).await;
    assert!(
        page.body.contains("upload: teams.csv was refused") && page.body.contains("report day"),
        "the stored reason is shown"
    );
    assert!(page.body.contains("Refused whole"));
    let form_error = app.get("/data?error=form", &cookie).await;
    assert!(
        form_error
            .body
            .contains("Choose a kind and a file to import.")
    );
}

#[tokio::test]
async fn wave_targets_are_set_by_rollout_managers_and_admins_validated_and_audited() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let wave = app.store.waves().await.expect("waves")[0].clone();
    let later = wave.target_date + chrono::Days::new(30);
    let form = |percent: &str, date: chrono::NaiveDate| {
        format!(
            "wave={}&target_percent={percent}&target_date={date}",
            wave.id
        )
    };
    // A commander may see the wave but not change it.
    let commander = app.sign_in(COMMANDER).await;
    let refused = app
        .call(
            "POST",
            "/api/waves/set-target",
            Some(&commander),
            Some(&form("50", later)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let admin = app.sign_in(ADMIN).await;
    let before: Vec<WaveProgress> = app.get("/api/waves", &admin).await.json();
    // For one unit's page: only its waves, with it alone and no total.
    let c01: Vec<WaveProgress> = app.get("/api/waves?unit=C01", &admin).await.json();
    assert!(!c01.is_empty());
    assert!(c01.len() < before.len(), "C01 is not in every wave");
    for w in &c01 {
        assert!(w.total.is_none());
        assert_eq!(w.units.len(), 1);
        assert_eq!(w.units[0].code, "C01");
    }
    for (percent, date, why) in [
        ("0", later, "over 0%"),
        ("120", later, "at most 100%"),
        (
            "50",
            wave.go_live - chrono::Days::new(1),
            "before its go-live",
        ),
    ] {
        let reply = app
            .call(
                "POST",
                "/api/waves/set-target",
                Some(&admin),
                Some(&form(percent, date)),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{percent} by {date}");
        assert!(reply.body.contains(why), "{why}: {}", reply.body);
    }
    let set = app
        .call(
            "POST",
            "/api/waves/set-target",
            Some(&admin),
            Some(&form("99", later)),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    // The forecast and status follow at once.
    let after: Vec<WaveProgress> = app.get("/api/waves", &admin).await.json();
    let (old, new) = (
        before.iter().find(|w| w.id == wave.id).expect("wave"),
        after.iter().find(|w| w.id == wave.id).expect("wave"),
    );
    assert_eq!((new.target_value, new.target_date), (0.99, later));
    assert_ne!(
        old.total.as_ref().map(|t| &t.outlook),
        new.total.as_ref().map(|t| &t.outlook),
        "a new target gives a new outlook"
    );
    let log = app.store.audit_log(1).await.expect("log");
    assert_eq!(log[0].action, "wave_target_set");
    assert!(log[0].detail.contains("→ 99.0%"), "{}", log[0].detail);
}

/// Many people sign in from one station's address: the address limit
/// counts failed guesses, so their successful sign-ins never lock the
/// station out, while failures from it are still stopped at the limit.
#[tokio::test]
async fn successful_sign_ins_from_one_address_are_not_failures_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let mut auth = AuthConfig::default();
        auth.sign_in.per_address = 3;
        let app = TestApp::demo(db, auth).await;
        // Ten sign-ins from new browsers, all let in.
        for _ in 0..10 {
            app.sign_in(ADMIN).await;
        }
        for _ in 0..3 {
            let wrong = app.sign_in_with(VIEWER, "not the password", None).await;
            assert_eq!(wrong.header("location"), Some("/login?error=failed"));
        }
        let stopped = app.sign_in_with(COMMANDER, "nor this one", None).await;
        assert_eq!(stopped.header("location"), Some("/login?error=throttled"));
    }
}
