//! Pulls from the vendors' APIs: Microsoft Graph usage reports and Box
//! enterprise events. Both use an OAuth2 client-credentials token and the
//! same fault rules: on 429 wait as long as `Retry-After` says, back off on
//! 5xx and network errors, and on a 401 get a new token once, then fail in
//! plain words.

pub mod box_sync;
pub mod graph_sync;

use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode, header};
use serde::Deserialize;

use crate::oidc::Secret;

/// A connector's failure, in words an admin can act on. It is kept on the
/// data health page.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error(transparent)]
    Concealed(#[from] domain::graph::Concealed),
    #[error(
        "{service} refused the app's credentials at {url} ({status}): check the client id and secret{hint}"
    )]
    Credentials {
        service: &'static str,
        url: String,
        status: String,
        hint: &'static str,
    },
    #[error(
        "{service} refused a fresh token for {url} (401 twice): the app may lack the permission it needs{hint}"
    )]
    Unauthorised {
        service: &'static str,
        url: String,
        hint: &'static str,
    },
    #[error("{service} kept failing at {url} after {attempts} tries; the last answer was {last}")]
    GaveUp {
        service: &'static str,
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("{service} answered {status} at {url}: {body}")]
    Refused {
        service: &'static str,
        url: String,
        status: StatusCode,
        body: String,
    },
    #[error("{service} sent something Uptake cannot read from {url}: {problem}")]
    Unreadable {
        service: &'static str,
        url: String,
        problem: String,
    },
}

/// How faults are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries of one request before giving up (5xx, network errors, bad
    /// pages).
    pub attempts: u32,
    /// The first back-off; it doubles on each retry.
    pub backoff: Duration,
    /// The longest wait honoured for one `Retry-After`.
    pub max_wait: Duration,
    /// 429s tolerated for one request.
    pub throttled: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(300),
            throttled: 30,
        }
    }
}

/// A vendor's client-credentials settings.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Extra form fields: Graph's `scope`, Box's subject.
    pub extra: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// An authorised session with one vendor API.
pub struct Api {
    service: &'static str,
    /// What to check when permission is refused.
    hint: &'static str,
    http: Client,
    credentials: Credentials,
    retry: RetryPolicy,
    token: Option<(String, Instant)>,
}

/// A token is renewed this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl Api {
    pub fn new(
        service: &'static str,
        hint: &'static str,
        credentials: Credentials,
        retry: RetryPolicy,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            service,
            hint,
            http: crate::http::client(Duration::from_secs(120))?,
            credentials,
            retry,
            token: None,
        })
    }

    async fn token(&mut self) -> Result<String, ConnectorError> {
        if let Some((token, expires)) = &self.token
            && Instant::now() + TOKEN_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let c = &self.credentials;
        let mut form = vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), c.client_id.clone()),
            ("client_secret".to_owned(), c.client_secret.0.clone()),
        ];
        form.extend(c.extra.iter().cloned());
        let url = c.token_url.clone();
        let reply = self
            .send(&url, |http| http.post(&url).form(&form))
            .await
            .map_err(|e| match e {
                ConnectorError::Refused { status, body, .. } if status.is_client_error() => {
                    ConnectorError::Credentials {
                        service: self.service,
                        url: url.clone(),
                        status: format!("{status}: {body}"),
                        hint: self.hint,
                    }
                }
                other => other,
            })?;
        let reply: TokenReply = reply.json().await.map_err(|e| ConnectorError::Unreadable {
            service: self.service,
            url: url.clone(),
            problem: format!("the token reply: {e}"),
        })?;
        let life = Duration::from_secs(reply.expires_in.unwrap_or(3600));
        self.token = Some((reply.access_token.clone(), Instant::now() + life));
        Ok(reply.access_token)
    }

    /// GETs `url` with the bearer token, retrying by the policy. Redirects
    /// (Graph's 302 to its download) are followed.
    pub async fn get(&mut self, url: &str) -> Result<Response, ConnectorError> {
        let mut renewed = false;
        loop {
            let token = self.token().await?;
            match self
                .send(url, |http| http.get(url).bearer_auth(&token))
                .await
            {
                Err(ConnectorError::Refused { status, .. })
                    if status == StatusCode::UNAUTHORIZED && !renewed =>
                {
                    tracing::info!(service = self.service, "token refused; getting a new one");
                    self.token = None;
                    renewed = true;
                }
                Err(ConnectorError::Refused { status, .. })
                    if status == StatusCode::UNAUTHORIZED =>
                {
                    return Err(ConnectorError::Unauthorised {
                        service: self.service,
                        url: url.to_owned(),
                        hint: self.hint,
                    });
                }
                other => return other,
            }
        }
    }

    /// Sends a request, waiting out 429s and backing off on 5xx and network
    /// errors. Other answers than success come back as `Refused`.
    async fn send(
        &self,
        url: &str,
        request: impl Fn(&Client) -> reqwest::RequestBuilder,
    ) -> Result<Response, ConnectorError> {
        let mut failures = 0;
        let mut throttled = 0;
        let mut backoff = self.retry.backoff;
        loop {
            let last = match request(&self.http).send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    if throttled > self.retry.throttled {
                        return Err(ConnectorError::GaveUp {
                            service: self.service,
                            url: url.to_owned(),
                            attempts: throttled,
                            last: "429 Too Many Requests".to_owned(),
                        });
                    }
                    let wait = retry_after(&r).unwrap_or(backoff).min(self.retry.max_wait);
                    tracing::info!(
                        service = self.service,
                        wait_s = wait.as_secs_f64(),
                        "throttled; waiting as asked"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Ok(r) if r.status().is_server_error() => r.status().to_string(),
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    return Err(ConnectorError::Refused {
                        service: self.service,
                        url: url.to_owned(),
                        status,
                        body: body.chars().take(300).collect(),
                    });
                }
                Err(e) => format!("no answer ({e})"),
            };
            failures += 1;
            if failures >= self.retry.attempts {
                return Err(ConnectorError::GaveUp {
                    service: self.service,
                    url: url.to_owned(),
                    attempts: failures,
                    last,
                });
            }
            tracing::warn!(service = self.service, %last, wait_s = backoff.as_secs_f64(), "request failed; backing off");
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }

    /// Backs off before fetching again something that arrived unreadable
    /// (a truncated page); gives up after the policy's attempts.
    pub async fn backoff(
        &self,
        attempt: u32,
        url: &str,
        problem: String,
    ) -> Result<(), ConnectorError> {
        if attempt >= self.retry.attempts {
            return Err(ConnectorError::Unreadable {
                service: self.service,
                url: url.to_owned(),
                problem,
            });
        }
        tracing::warn!(service = self.service, %problem, "unreadable answer; fetching again");
        tokio::time::sleep(self.retry.backoff.saturating_mul(1 << attempt.min(10))).await;
        Ok(())
    }
}

/// `Retry-After` in seconds (Graph and Box send seconds, not dates).
fn retry_after(r: &Response) -> Option<Duration> {
    let value = r.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .map(Duration::from_secs_f64)
}
