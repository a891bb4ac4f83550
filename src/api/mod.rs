//! The HTTP surface: one module per resource, each with its views, its request bodies and its
//! handlers; [`configure`] is the one route table.

pub mod accounts;
pub mod actions;
pub mod calendar;
pub mod dashboard;
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
pub mod notifications;
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
        .configure(dashboard::configure)
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
                .configure(reports::configure)
                .configure(notifications::configure),
        );
}

/// The documented paths with their methods, as (segments, methods); `{…}` segments match
/// anything.
fn routes() -> &'static [(Vec<String>, Vec<String>)] {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        let document = crate::openapi::document();
        document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                (
                    path.split('/').map(str::to_string).collect(),
                    methods
                        .iter()
                        .filter(|(_, on)| *on)
                        .map(|(m, _)| m.to_string())
                        .collect(),
                )
            })
            .collect()
    })
}

/// The answer for a request no route serves: 405 with `Allow` when the path is served with
/// other methods, else 404.
pub async fn not_found(
    req: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    let segments: Vec<&str> = req.path().split('/').collect();
    let allowed = routes().iter().find(|(template, _)| {
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    });
    match allowed {
        // A served method whose route refused the path's values (a year of five digits): 404.
        Some((_, methods)) if !methods.iter().any(|m| m == req.method().as_str()) => {
            let mut e = crate::error::ApiError::new(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("This path answers {}.", methods.join(", ")),
            );
            e.allow = Some(methods.join(", "));
            Err(e)
        }
        _ => Err(crate::error::ApiError::not_found("Resource")),
    }
}
