//! The OpenAPI document, generated from the handlers' annotations. Every error response is
//! documented as a problem document; the committed copy is `openapi/openapi.json`.

use actix_web::App;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem, PROBLEM_JSON};

/// The media type of the dashboard's pages.
const HTML: &str = "text/html";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua",
        description = "The one-stop shop (một cửa) for administrative procedures: units, accounts, \
                       the working calendar, the procedure catalogue and dossiers. Errors are \
                       application/problem+json documents with a stable `code`."
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in, registering, the caller"),
        (name = "accounts", description = "Officials' accounts (administrators)"),
        (name = "units", description = "The tree of administrative units"),
        (name = "calendar", description = "Holidays, working days and deadlines"),
        (name = "procedures", description = "The procedure catalogue"),
        (name = "documents", description = "The personal document store, digitization, electronic results and the backlog"),
        (name = "fees", description = "Fee discount policies, quotes, dossiers' fees and payments"),
        (name = "files", description = "Uploaded files for dossier components"),
        (name = "dossiers", description = "Dossiers: intake, the workflow, the clock, the history"),
        (name = "reports", description = "The periodic report per unit, procedure and field, monthly series, the Decision 766 indicators"),
        (name = "notifications", description = "Webhook subscriptions and the notification outbox (e-mail, SMS, webhooks)"),
        (name = "public", description = "What anyone may look up"),
        (name = "health", description = "Liveness and readiness"),
        (name = "dashboard", description = "The supervisors' dashboard: server-rendered HTML pages (text/html, errors included) and the login form that sets their session cookie"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "dashboard_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::api::dashboard::COOKIE,
                "The dashboard's session: an access token set by POST /dashboard/login, sent by \
                 the browser to /dashboard only",
            ))),
        );
    }
}

/// The whole document.
pub fn document() -> Document {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    document_errors(&mut document);
    // A path segment's pattern (`{year:[0-9]…}`) is for the router, not the document.
    let paths = std::mem::take(&mut document.paths.paths);
    document.paths.paths = paths
        .into_iter()
        .map(|(path, item)| {
            let mut clean = String::with_capacity(path.len());
            let mut in_pattern = false;
            for c in path.chars() {
                match c {
                    ':' if !in_pattern && clean.rfind('{') > clean.rfind('}') => in_pattern = true,
                    '}' if in_pattern => {
                        in_pattern = false;
                        clean.push(c);
                    }
                    _ if in_pattern => {}
                    _ => clean.push(c),
                }
            }
            (clean, item)
        })
        .collect();
    document
}

/// The document as committed and served: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

/// Gives every 4xx and 5xx response the problem document as its body, every operation the 500
/// and 503 answers any request may get, every operation with a body the answers to a bad body
/// (400, 413, 415, 422), and every signed-in operation the 429 of the per-account limit. The
/// dashboard's operations (tag `dashboard`) answer their errors with HTML pages, and document
/// those of their body themselves.
fn document_errors(document: &mut Document) {
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let page = || {
        ContentBuilder::new()
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String),
            ))
            .build()
    };
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let is_html = operation
                .tags
                .as_ref()
                .is_some_and(|tags| tags.iter().any(|t| t == "dashboard"));
            let has_body = operation.request_body.is_some() && !is_html;
            let responses = &mut operation.responses.responses;
            let body_errors = [
                ("400", "The body is not well-formed"),
                ("413", "The body is larger than the configured limit"),
                ("415", "The body is not of the documented content type"),
                (
                    "422",
                    "The body does not fit the schema or has invalid fields",
                ),
            ];
            let any_errors = [
                (
                    "500",
                    "An internal error (details are in the logs, under the request id)",
                ),
                (
                    "503",
                    "The database is busy or unreachable; retry after Retry-After seconds",
                ),
            ];
            let extra: &[(&str, &str)] = if has_body { &body_errors } else { &[] };
            // Signed-in callers are limited per account.
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let limited: &[(&str, &str)] = if secured {
                &[(
                    "429",
                    "Too many requests from this account; retry after Retry-After seconds",
                )]
            } else {
                &[]
            };
            for &(status, description) in extra.iter().chain(limited).chain(any_errors.iter()) {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| ResponseBuilder::new().description(description).into());
            }
            for (status, response) in responses.iter_mut() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if let utoipa::openapi::RefOr::T(response) = response {
                    let (media, content) = if is_html {
                        (HTML, page())
                    } else {
                        (PROBLEM_JSON, problem())
                    };
                    response.content.insert(media.to_string(), content.into());
                }
            }
        }
    }
}
