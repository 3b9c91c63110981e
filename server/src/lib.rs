//! The `uptake` server: configuration, CLI, HTTP routes, imports and the
//! demo generator. Everything that touches the network, disk or clock.

pub mod admin;
pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_ingest;
pub mod cli;
pub mod connectors;
pub mod demo;
pub mod exports;
pub mod http;
pub mod import;
pub mod ingest;
pub mod logging;
pub mod oidc;
pub mod precompress;
pub mod progress_bar;
pub mod push;
pub mod routes;
pub mod scheduler;
pub mod state;
pub mod upload;
pub mod users;
