//! The `uptake` server: configuration, CLI, HTTP routes, imports and the
//! demo generator. Everything that touches the network, disk or clock.

pub mod admin;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod http;
pub mod import;
pub mod oidc;
pub mod routes;
pub mod users;
