//! The HTTP surface: one module per resource, each with its views, its request bodies and its
//! handlers; [`configure`] is the one route table.

pub mod accounts;
pub mod actions;
pub mod calendar;
pub mod documents;
pub mod dossiers;
pub mod export;
pub mod extract;
pub mod feed;
pub mod fees;
pub mod files;
pub mod health;
pub mod imports;
pub mod metrics;
pub mod middleware;
pub mod procedures;
pub mod public;
pub mod reports;
pub mod units;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the service, documented.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure)
        .configure(metrics::configure)
        .service(
            scope::scope("/api/v1")
                .configure(accounts::configure)
                .configure(units::configure)
                .configure(calendar::configure)
                .configure(procedures::configure)
                .configure(files::configure)
                .configure(dossiers::configure)
                .configure(feed::configure)
                .configure(actions::configure)
                .configure(fees::configure)
                .configure(documents::configure)
                .configure(imports::configure)
                .configure(public::configure)
                .configure(reports::configure),
        );
}

/// The answer for a path no route serves.
pub async fn not_found() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::not_found("Resource"))
}
