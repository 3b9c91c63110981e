//! Uptake's pure domain: the org tree, staff, tools and products, waves,
//! the metric definitions and the rollup cells computed from them.
//!
//! Nothing here does I/O, async or SQL, and it compiles for wasm32 so the UI
//! shares these types.

pub mod access;
pub mod activity;
pub mod bands;
pub mod box_events;
pub mod catalog;
pub mod chart;
pub mod day;
pub mod disclosure;
pub mod display;
pub mod export;
pub mod forecast;
pub mod formats;
pub mod graph;
pub mod health;
pub mod licence;
pub mod metrics;
pub mod org;
pub mod overview;
pub mod people;
pub mod publication;
pub mod rng;
pub mod rollup;
pub mod unit_tree;
pub mod usage;
pub mod wave;

pub use day::DayNum;
