//! motcua: the backend of Vietnam's one-stop shop (một cửa) for administrative procedures.
//!
//! Layers: `api` (HTTP) calls `domain` (pure rules) and `store` (queries); `db` owns connections.

pub mod api;
pub mod auth;
pub mod bench;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod id;
pub mod merger;
pub mod notify;
pub mod openapi;
pub mod ratelimit;
pub mod signing;
pub mod startup;
pub mod state;
pub mod storage;
pub mod store;
pub mod telemetry;
