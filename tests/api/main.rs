//! Integration tests: the real service over real HTTP, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod common;

mod access_matrix;
mod audit;
mod auth;
mod bench;
mod calendar;
mod cli;
mod dashboard;
mod demo;
mod documents;
mod dossier_access;
mod dossier_rules;
mod dossiers;
mod feed;
mod fees;
mod foundation;
mod guards;
mod limits;
mod metrics;
mod notifications;
mod outage;
mod privacy;
mod procedures;
mod report_exports;
mod report_fixture;
mod reports;
mod schema;
mod sinks;
mod storage;
mod tokens;
mod units;
