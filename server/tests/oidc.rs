//! Entra ID sign-in against a local OpenID provider on a real socket: it
//! serves discovery, JWKS, and the authorize and token endpoints, checks
//! PKCE and the client secret, and signs ID tokens with RS256, or spoils
//! them on request.

mod support;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use domain::access::{GroupMapping, Role, Viewer};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1v15::SigningKey,
    rand_core::OsRng,
    sha2::{Digest, Sha256},
    signature::{SignatureEncoding, Signer},
    traits::PublicKeyParts,
};
use server::{
    auth::AuthConfig,
    oidc::{Oidc, OidcConfig, Secret},
};
use store::testing;
use support::{TestApp, session_cookie};

const CLIENT_ID: &str = "uptake-client";
const CLIENT_SECRET: &str = "provider-shared-secret";

/// How the provider spoils the next ID token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spoil {
    Nothing,
    WrongAudience,
    WrongIssuer,
    BadSignature,
    Expired,
    WrongNonce,
}

struct Pending {
    challenge: String,
    redirect_uri: String,
    nonce: String,
}

struct Provider {
    issuer: String,
    key: RsaPrivateKey,
    /// Signs "bad signature" tokens under the real key's id.
    impostor: RsaPrivateKey,
    codes: HashMap<String, Pending>,
    user: String,
    groups: Vec<String>,
    spoil: Spoil,
}

type Shared = Arc<Mutex<Provider>>;

fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = OsRng;
        (
            RsaPrivateKey::new(&mut rng, 2048).expect("key"),
            RsaPrivateKey::new(&mut rng, 2048).expect("key"),
        )
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn lock(p: &Shared) -> std::sync::MutexGuard<'_, Provider> {
    p.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn discovery(State(p): State<Shared>) -> Json<serde_json::Value> {
    let issuer = lock(&p).issuer.clone();
    Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    }))
}

async fn jwks(State(p): State<Shared>) -> Json<serde_json::Value> {
    let public = RsaPublicKey::from(&lock(&p).key);
    Json(serde_json::json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "key-1",
        "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()),
    }]}))
}

async fn authorize(State(p): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("code_challenge").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorize request").into_response();
    }
    let code = format!(
        "code-{}",
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let redirect_uri = field("redirect_uri");
    lock(&p).codes.insert(
        code.clone(),
        Pending {
            challenge: field("code_challenge"),
            redirect_uri: redirect_uri.clone(),
            nonce: field("nonce"),
        },
    );
    Redirect::to(&format!(
        "{redirect_uri}?code={code}&state={}",
        field("state")
    ))
    .into_response()
}

async fn token(State(p): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut provider = lock(&p);
    let Some(pending) = provider.codes.remove(&field("code")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let verifier_ok = b64(&Sha256::digest(field("code_verifier").as_bytes())) == pending.challenge;
    if field("grant_type") != "authorization_code"
        || field("client_id") != CLIENT_ID
        || field("client_secret") != CLIENT_SECRET
        || field("redirect_uri") != pending.redirect_uri
        || !verifier_ok
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let now = Utc::now().timestamp();
    let spoil = provider.spoil;
    let claims = serde_json::json!({
        "iss": if spoil == Spoil::WrongIssuer { "https://someone-else.example/v2.0".to_owned() } else { provider.issuer.clone() },
        "aud": if spoil == Spoil::WrongAudience { "another-app" } else { CLIENT_ID },
        "iat": now - 10,
        "nbf": now - 10,
        "exp": if spoil == Spoil::Expired { now - 3600 } else { now + 3600 },
        "nonce": if spoil == Spoil::WrongNonce { "not-the-nonce".to_owned() } else { pending.nonce },
        "preferred_username": provider.user,
        "groups": provider.groups,
    });
    let header = b64(br#"{"alg":"RS256","typ":"JWT","kid":"key-1"}"#);
    let body = b64(claims.to_string().as_bytes());
    let input = format!("{header}.{body}");
    let signer = if spoil == Spoil::BadSignature {
        &provider.impostor
    } else {
        &provider.key
    };
    let signature = SigningKey::<Sha256>::new(signer.clone()).sign(input.as_bytes());
    let id_token = format!("{input}.{}", b64(&signature.to_bytes()));
    Json(serde_json::json!({ "id_token": id_token, "access_token": "unused", "token_type": "Bearer" })).into_response()
}

/// Starts the provider on a free port and returns its issuer URL.
async fn start_provider() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let (key, impostor) = keys().clone();
    let shared: Shared = Arc::new(Mutex::new(Provider {
        issuer: issuer.clone(),
        key,
        impostor,
        codes: HashMap::new(),
        user: String::new(),
        groups: Vec::new(),
        spoil: Spoil::Nothing,
    }));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, shared)
}

async fn app_with_entra() -> (TestApp, Shared) {
    let (issuer, provider) = start_provider().await;
    let oidc = Oidc::new(OidcConfig {
        issuer,
        client_id: CLIENT_ID.into(),
        client_secret: Secret(CLIENT_SECRET.into()),
        redirect_uri: format!("http://{}/auth/oidc/callback", support::HOST),
    })
    .expect("client");
    let auth = AuthConfig {
        oidc: Some(Arc::new(oidc)),
        ..AuthConfig::default()
    };
    let app = TestApp::demo(testing::sqlite().await.expect("database"), auth).await;
    (app, provider)
}

/// Walks the browser's path: start at Uptake, through the provider's
/// authorize endpoint, back to Uptake's callback. Returns the callback's
/// path and query, so a test can replay it.
async fn to_callback(app: &TestApp) -> String {
    let start = app.call("GET", "/auth/oidc/start", None, None).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let authorize = start
        .header("location")
        .expect("to the provider")
        .to_owned();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let reply = browser.get(&authorize).send().await.expect("authorize");
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let back = reply.headers()["location"].to_str().expect("location");
    back.strip_prefix(&format!("http://{}", support::HOST))
        .expect("back to Uptake")
        .to_owned()
}

fn as_user(provider: &Shared, user: &str, groups: &[&str], spoil: Spoil) {
    let mut p = lock(provider);
    p.user = user.to_owned();
    p.groups = groups.iter().map(|g| (*g).to_owned()).collect();
    p.spoil = spoil;
}

#[tokio::test]
async fn entra_id_signs_in_local_accounts_and_mapped_groups_and_refuses_the_rest() {
    let (app, provider) = app_with_entra().await;
    let options = app.call("GET", "/api/sign-in-options", None, None).await;
    assert_eq!(options.body, r#"{"entra":true}"#);

    // A local account is matched by sign-in name, whatever the case.
    as_user(&provider, "Commander@Uptake.Demo", &[], Spoil::Nothing);
    let callback = to_callback(&app).await;
    let reply = app.call("GET", &callback, None, None).await;
    assert_eq!(reply.header("location"), Some("/"), "signed in");
    let cookie = session_cookie(&reply).expect("session");
    let me: Viewer = app.get("/api/me", &cookie).await.json();
    assert_eq!(
        (me.username.as_str(), me.role),
        ("commander@uptake.demo", Role::UnitCommander)
    );
    let log = app.store.audit_log(1).await.expect("log");
    assert_eq!(
        (log[0].action.as_str(), log[0].detail.as_str()),
        ("sign_in", "entra id")
    );

    // A spent state cannot be replayed.
    let replay = app.call("GET", &callback, None, None).await;
    assert_eq!(replay.header("location"), Some("/login?error=entra"));

    // Someone new gets an account from their groups' mapping.
    let mapping = |group: &str, role, scope: &[&str]| GroupMapping {
        group: group.into(),
        role,
        person_lists: false,
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
    };
    app.store
        .set_group_mapping(&mapping("g-north", Role::Viewer, &["C01-B1"]))
        .await
        .expect("map");
    app.store
        .set_group_mapping(&mapping("g-unscoped", Role::Admin, &[]))
        .await
        .expect("map");
    as_user(
        &provider,
        "new.officer@uptake.demo",
        &["g-other", "g-north"],
        Spoil::Nothing,
    );
    let reply = app.call("GET", &to_callback(&app).await, None, None).await;
    let cookie = session_cookie(&reply).expect("session");
    assert_eq!(
        app.get("/api/overview?unit=C01-B1", &cookie).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/overview?unit=C02", &cookie).await.status,
        StatusCode::FORBIDDEN
    );
    let created = app
        .store
        .account("new.officer@uptake.demo")
        .await
        .expect("account");
    assert_eq!(created.viewer.role, Role::Viewer);
    // Made and audited the one way every account is (`accounts::add`),
    // with no password.
    let made = app
        .store
        .audit_log(i64::MAX)
        .await
        .expect("log")
        .into_iter()
        .find(|e| e.action == "account_created" && e.detail.contains("new.officer"))
        .expect("audited");
    assert_eq!(made.actor, "entra id");
    assert!(
        made.detail.contains("signing in through Entra ID"),
        "{}",
        made.detail
    );
    assert!(
        app.store
            .credentials("new.officer@uptake.demo")
            .await
            .expect("credentials")
            .expect("account")
            .password_hash
            .is_none()
    );

    // A mapping with no scope denies; so does having no mapped group.
    for (user, groups) in [
        ("unscoped@uptake.demo", vec!["g-north", "g-unscoped"]),
        ("unmapped@uptake.demo", vec!["g-other"]),
    ] {
        as_user(&provider, user, &groups, Spoil::Nothing);
        let reply = app.call("GET", &to_callback(&app).await, None, None).await;
        assert_eq!(
            reply.header("location"),
            Some("/login?error=entra_denied"),
            "{user}"
        );
        assert_eq!(session_cookie(&reply), None);
        assert!(
            app.store.account(user).await.is_err(),
            "no account for {user}"
        );
    }
}

#[tokio::test]
async fn spoiled_id_tokens_are_refused_with_the_reason_audited() {
    let (app, provider) = app_with_entra().await;
    for (i, (spoil, reason)) in [
        (Spoil::WrongAudience, "meant for another application"),
        (Spoil::WrongIssuer, "comes from another issuer"),
        (Spoil::BadSignature, "signature does not verify"),
        (Spoil::Expired, "has expired"),
        (Spoil::WrongNonce, "nonce"),
    ]
    .into_iter()
    .enumerate()
    {
        as_user(&provider, "commander@uptake.demo", &[], spoil);
        // Each from its own address: refusals from one address are folded
        // into one entry per window (security finding 2).
        let address = std::net::SocketAddr::from(([10, 0, 0, i as u8 + 1], 40000));
        let request = axum::http::Request::builder()
            .uri(to_callback(&app).await)
            .header("host", support::HOST)
            .extension(axum::extract::ConnectInfo(address))
            .body(axum::body::Body::empty())
            .expect("request");
        let reply = app.send(request).await;
        assert_eq!(
            reply.header("location"),
            Some("/login?error=entra"),
            "{spoil:?}"
        );
        assert_eq!(session_cookie(&reply), None, "{spoil:?}");
        let log = app.store.audit_log(1).await.expect("log");
        assert_eq!(log[0].action, "sign_in_failed");
        assert!(
            log[0].detail.contains(reason),
            "{spoil:?}: {}",
            log[0].detail
        );
    }
    // A callback that never went through the start is refused too.
    let forged = app
        .call(
            "GET",
            "/auth/oidc/callback?code=x&state=made-up",
            None,
            None,
        )
        .await;
    assert_eq!(forged.header("location"), Some("/login?error=entra"));
}
