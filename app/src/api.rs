//! Server functions, grouped by resource. Each one gets the caller and
//! state from context, passes the one scope check in [`ssr`], calls
//! `store`, and returns a view type from `domain`.

pub mod admin;
pub mod bands;
pub mod data;
pub mod exports;
pub mod overview;
pub mod people;
pub mod series;
pub mod session;
pub mod units;
pub mod usage;
pub mod waves;

#[cfg(feature = "ssr")]
pub mod ssr;
