//! Sign-in with Microsoft Entra ID: OpenID Connect, authorization code
//! flow with PKCE, against a configured issuer.
//!
//! The flow in flight (state, PKCE verifier, nonce) lives in the database,
//! so any app server can finish what another began. The ID token is
//! checked here: RS256 signature against the issuer's JWKS, issuer,
//! audience, expiry and nonce.

use std::{collections::HashMap, fmt, time::Duration};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rsa::{
    BigUint, RsaPublicKey,
    pkcs1v15::{Signature, VerifyingKey},
    signature::Verifier,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, RwLock};

/// Tolerance for clock skew on `exp` and `nbf`.
const LEEWAY_SECS: i64 = 60;

/// A client secret: never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl Secret {
    /// A secret from `NAME`, or from the file named by `NAME_FILE`.
    pub fn from_env(name: &str) -> anyhow::Result<Secret> {
        if let Ok(value) = std::env::var(name) {
            return Ok(Secret(value));
        }
        let file = std::env::var(format!("{name}_FILE"))
            .with_context(|| format!("set {name} or {name}_FILE"))?;
        let value = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
        Ok(Secret(value.trim().to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// For Entra ID: `https://login.microsoftonline.com/<tenant>/v2.0`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Where the provider sends the browser back: `<public url>/auth/oidc/callback`.
    pub redirect_uri: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OidcError {
    #[error("the identity provider could not be reached: {0}")]
    Http(String),
    #[error("the identity provider's discovery document is wrong: {0}")]
    Discovery(String),
    #[error("the token endpoint refused the code: {0}")]
    Exchange(String),
    #[error("the ID token is malformed: {0}")]
    Malformed(String),
    #[error("the ID token is signed with an algorithm other than RS256")]
    Algorithm,
    #[error("the ID token is signed by a key the issuer does not publish")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    BadSignature,
    #[error("the ID token comes from another issuer")]
    WrongIssuer,
    #[error("the ID token is meant for another application")]
    WrongAudience,
    #[error("the ID token has expired or is not yet valid")]
    Expired,
    #[error("the ID token does not answer this sign-in (nonce)")]
    Nonce,
    #[error("the ID token names no user")]
    NoUser,
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The person an ID token vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    #[serde(deserialize_with = "one_or_many")]
    aud: Vec<String>,
    exp: i64,
    nbf: Option<i64>,
    nonce: Option<String>,
    preferred_username: Option<String>,
    upn: Option<String>,
    email: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

impl Claims {
    /// Everything about the token but its signature.
    fn check(
        &self,
        issuer: &str,
        client_id: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, OidcError> {
        if self.iss != issuer {
            return Err(OidcError::WrongIssuer);
        }
        if !self.aud.iter().any(|a| a == client_id) {
            return Err(OidcError::WrongAudience);
        }
        let now = now.timestamp();
        if self.exp + LEEWAY_SECS <= now || self.nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now) {
            return Err(OidcError::Expired);
        }
        if self.nonce.as_deref() != Some(nonce) {
            return Err(OidcError::Nonce);
        }
        let username = [&self.preferred_username, &self.upn, &self.email]
            .into_iter()
            .flatten()
            .find(|u| !u.trim().is_empty())
            .ok_or(OidcError::NoUser)?;
        Ok(Identity {
            username: username.trim().to_lowercase(),
            groups: self.groups.clone(),
        })
    }
}

#[derive(Debug, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenReply {
    id_token: String,
}

/// The client for one configured issuer, with its discovery document and
/// signing keys cached.
#[derive(Debug)]
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    discovery: OnceCell<Discovery>,
    keys: RwLock<HashMap<String, RsaPublicKey>>,
}

/// Fresh PKCE verifier, state and nonce for one sign-in.
pub struct Challenge {
    pub state: String,
    pub verifier: String,
    pub nonce: String,
}

impl Challenge {
    pub fn new() -> Result<Self, getrandom::Error> {
        Ok(Self {
            state: random_token()?,
            verifier: random_token()?,
            nonce: random_token()?,
        })
    }

    /// The S256 code challenge for the verifier.
    pub fn code_challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl Oidc {
    pub fn new(config: OidcConfig) -> anyhow::Result<Self> {
        Ok(Self {
            config,
            http: crate::http::client(Duration::from_secs(15))?,
            discovery: OnceCell::new(),
            keys: RwLock::new(HashMap::new()),
        })
    }

    async fn discovery(&self) -> Result<&Discovery, OidcError> {
        self.discovery
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let found: Discovery = self.get_json(&url).await?;
                if found.issuer != self.config.issuer {
                    return Err(OidcError::Discovery(format!(
                        "it names the issuer {} but {} is configured",
                        found.issuer, self.config.issuer
                    )));
                }
                Ok(found)
            })
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let reply = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Http(e.to_string()))?;
        reply
            .json()
            .await
            .map_err(|e| OidcError::Discovery(e.to_string()))
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(&self, challenge: &Challenge) -> Result<String, OidcError> {
        let discovery = self.discovery().await?;
        let mut url = reqwest::Url::parse(&discovery.authorization_endpoint)
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &challenge.state)
            .append_pair("nonce", &challenge.nonce)
            .append_pair("code_challenge", &challenge.code_challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Trades the code for an ID token and checks it.
    pub async fn finish(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, OidcError> {
        let discovery = self.discovery().await?;
        let reply = self
            .http
            .post(&discovery.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.config.redirect_uri),
                ("client_id", &self.config.client_id),
                ("client_secret", &self.config.client_secret.0),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        if !reply.status().is_success() {
            let status = reply.status();
            let body = reply.text().await.unwrap_or_default();
            return Err(OidcError::Exchange(format!(
                "{status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        let token: TokenReply = reply
            .json()
            .await
            .map_err(|e| OidcError::Exchange(e.to_string()))?;
        self.verify(&token.id_token, nonce, Utc::now()).await
    }

    /// Checks an ID token's signature and claims.
    pub async fn verify(
        &self,
        token: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, OidcError> {
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcError::Malformed("it does not have three parts".into()));
        };
        let header: TokenHeader = decode_json(head)?;
        if header.alg != "RS256" {
            return Err(OidcError::Algorithm);
        }
        let key = self.key(header.kid.as_deref()).await?;
        let signature = URL_SAFE_NO_PAD
            .decode(sig)
            .ok()
            .and_then(|s| Signature::try_from(s.as_slice()).ok())
            .ok_or(OidcError::BadSignature)?;
        VerifyingKey::<Sha256>::new(key)
            .verify(format!("{head}.{body}").as_bytes(), &signature)
            .map_err(|_| OidcError::BadSignature)?;
        let claims: Claims = decode_json(body)?;
        claims.check(&self.config.issuer, &self.config.client_id, nonce, now)
    }

    /// The signing key by id, fetching the JWKS again once for a key not
    /// seen yet (keys rotate).
    async fn key(&self, kid: Option<&str>) -> Result<RsaPublicKey, OidcError> {
        let kid = kid.unwrap_or("").to_owned();
        if let Some(k) = self.keys.read().await.get(&kid) {
            return Ok(k.clone());
        }
        let jwks: Jwks = self.get_json(&self.discovery().await?.jwks_uri).await?;
        let mut keys = self.keys.write().await;
        for jwk in jwks.keys.into_iter().filter(|k| k.kty == "RSA") {
            let (Some(n), Some(e)) = (jwk.n, jwk.e) else {
                continue;
            };
            let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
                continue;
            };
            if let Ok(key) =
                RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
            {
                keys.insert(jwk.kid.unwrap_or_default(), key);
            }
        }
        keys.get(&kid).cloned().ok_or(OidcError::UnknownKey)
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, OidcError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| OidcError::Malformed(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: "https://login.example/tenant/v2.0".into(),
            aud: vec!["uptake".into()],
            exp: 1_800_000_000,
            nbf: Some(1_799_990_000),
            nonce: Some("n-1".into()),
            preferred_username: Some("Jo.Bloggs@Force.Example".into()),
            upn: None,
            email: None,
            groups: vec!["g1".into()],
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("a time")
    }

    #[test]
    fn claims_are_checked_for_issuer_audience_time_nonce_and_user() {
        let iss = "https://login.example/tenant/v2.0";
        let ok = claims().check(iss, "uptake", "n-1", at(1_799_999_000));
        assert_eq!(
            ok,
            Ok(Identity {
                username: "jo.bloggs@force.example".into(),
                groups: vec!["g1".into()],
            })
        );
        let now = at(1_799_999_000);
        assert_eq!(
            claims().check("https://other/v2.0", "uptake", "n-1", now),
            Err(OidcError::WrongIssuer)
        );
        assert_eq!(
            claims().check(iss, "someone-else", "n-1", now),
            Err(OidcError::WrongAudience)
        );
        assert_eq!(
            claims().check(iss, "uptake", "n-2", now),
            Err(OidcError::Nonce)
        );
        assert_eq!(
            claims().check(iss, "uptake", "n-1", at(1_800_000_060)),
            Err(OidcError::Expired)
        );
        assert!(
            claims()
                .check(iss, "uptake", "n-1", at(1_800_000_059))
                .is_ok(),
            "a minute's skew"
        );
        assert_eq!(
            claims().check(iss, "uptake", "n-1", at(1_799_989_000)),
            Err(OidcError::Expired)
        );
        let nobody = Claims {
            preferred_username: None,
            ..claims()
        };
        assert_eq!(
            nobody.check(iss, "uptake", "n-1", now),
            Err(OidcError::NoUser)
        );
    }

    #[test]
    fn the_code_challenge_is_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let c = Challenge {
            state: String::new(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            nonce: String::new(),
        };
        assert_eq!(
            c.code_challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
