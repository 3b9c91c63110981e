//! The HTTP client every outbound call uses: rustls with the system's
//! certificates, a timeout, and a user agent.

use std::time::Duration;

use anyhow::Context;

pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    // Installing twice is harmless; the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("uptake/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}
