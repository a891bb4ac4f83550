//! `/dashboard`: a read-only page for supervisors, administrators and leaders, rendered on the
//! server from the same report functions as the report endpoints ([`reports::compute_units`],
//! [`reports::compute_months`], [`reports::compute_indicators`] of one [`reports::Scope`]): the
//! on-time rate and online ratio per unit and per month as inline SVG charts, the Decision 766
//! indicators, and the figures per unit. Who may see which units is the reports' rule: every
//! unit for supervisors and administrators, a leader's unit and those below it, 403 for others.
//!
//! A browser cannot send a bearer header, so the page also reads a session cookie: the login
//! form posts to `POST /dashboard/login`, which checks the password like `POST /auth/login`
//! (with its rate limits) and sets an ordinary access token as an `HttpOnly; SameSite=Strict`
//! cookie for `/dashboard` only; `POST /dashboard/logout` clears it and revokes the account's
//! tokens (as `POST /auth/logout`). A bearer header works as
//! well. Every answer, errors included, is an HTML page under a strict Content-Security-Policy
//! (nothing but the page's own stylesheet, by its nonce); cross-site form posts are refused.

pub mod charts;
pub mod page;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::reports::{self, Scope};
use crate::auth::principal::Caller;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "motcua_dashboard";

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dashboard_page)
        .service(dashboard_login)
        .service(dashboard_logout);
}

/// The period and the unit the dashboard shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// The period's first day (local date), `YYYY-MM-DD`; by default 1 January of `to`'s year.
    pub from: Option<NaiveDate>,
    /// The period's last day, included; by default today. At most two years after `from`.
    pub to: Option<NaiveDate>,
    /// The unit shown, with every unit below it; by default every unit (supervisors,
    /// administrators) or the leader's own unit.
    pub unit: Option<Id>,
}

/// The login form's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    /// The login name, 1 to 100 characters.
    pub username: String,
    /// 1 to 200 characters.
    pub password: String,
}

/// A fresh nonce for the page's stylesheet.
fn nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// An HTML answer with the page's security headers.
fn html(status: StatusCode, nonce: &str) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// An error as an HTML page with its status (and `Retry-After`).
fn error_page(e: &ApiError) -> HttpResponse {
    let nonce = nonce();
    let mut response = html(e.status, &nonce);
    if let Some(seconds) = e.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    let errors: Vec<String> = e
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    response.body(page::error(&nonce, e.status.as_u16(), &e.detail, &errors))
}

/// The login form, with a message; `clear` also removes a stale session cookie.
fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    message: Option<&str>,
    username: &str,
    clear: bool,
) -> HttpResponse {
    let nonce = nonce();
    let mut response = html(status, &nonce);
    if clear {
        response.insert_header((header::SET_COOKIE, cookie(req, "", 0)));
    }
    response.body(page::login(&nonce, message, username))
}

/// The session cookie holding `token` for `max_age` seconds (0: removed).
fn cookie(req: &HttpRequest, token: &str, max_age: i64) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={token}; Path=/dashboard; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// Where the request's token came from.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    Bearer,
    Cookie,
}

/// The request's token: a bearer header (401 when malformed), else the session cookie.
fn token(req: &HttpRequest) -> Result<Option<(String, Source)>, ApiError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("invalid_token", "The access token is invalid or expired.")
            })?;
        return Ok(Some((token.to_string(), Source::Bearer)));
    }
    let from_cookie = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| (value.to_string(), Source::Cookie));
    Ok(from_cookie)
}

/// A form post from another site (`Sec-Fetch-Site`, sent by browsers) is refused: the
/// `SameSite=Strict` cookie already keeps it from acting for the user, and this keeps another
/// site from logging a user in under an account of its choosing.
fn cross_site(req: &HttpRequest) -> Option<HttpResponse> {
    let site = req.headers().get("sec-fetch-site")?.to_str().ok()?;
    (!matches!(site, "same-origin" | "none")).then(|| {
        error_page(&ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "A form of another site cannot post here.",
        ))
    })
}

/// A report's 422 for its period is a bad request of the page.
fn bad_request(mut e: ApiError) -> ApiError {
    if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        e.status = StatusCode::BAD_REQUEST;
    }
    e
}

/// The dashboard for the caller (a bearer token or the session cookie), or the login form
/// without a session.
#[utoipa::path(
    tag = "dashboard",
    params(DashboardQuery),
    responses(
        (status = 200, description = "The dashboard page; without a session (or with an expired one), the login form", content_type = "text/html", body = String),
        (status = 400, description = "Invalid query parameters, or a period that ends before it starts or is longer than two years", content_type = "text/html", body = String),
        (status = 401, description = "An invalid or expired bearer token, or a disabled account", content_type = "text/html", body = String),
        (status = 403, description = "This account may not read these reports (citizens, reception officers, specialists; a leader outside their subtree)", content_type = "text/html", body = String),
        (status = 404, description = "No such unit", content_type = "text/html", body = String),
    ),
    security((), ("dashboard_session" = []), ("bearer" = []))
)]
#[get("/dashboard")]
async fn dashboard_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let query = match web::Query::<DashboardQuery>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(e) => {
            return error_page(&ApiError::bad_request(
                "invalid_query",
                format!("Invalid query parameters: {e}."),
            ))
        }
    };
    let (token, source) = match token(&req) {
        Ok(Some(found)) => found,
        Ok(None) => return login_page(&req, StatusCode::OK, None, "", false),
        Err(e) => return error_page(&e),
    };
    let who = match principal(&state, &token).await {
        Ok(who) => who,
        Err(e) if source == Source::Cookie && e.status == StatusCode::UNAUTHORIZED => {
            let message = "Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực: xin đăng nhập lại.";
            return login_page(&req, StatusCode::OK, Some(message), "", true);
        }
        Err(e) => return error_page(&e),
    };
    match render(&state, who, query).await {
        Ok(body) => html(StatusCode::OK, &body.0).body(body.1),
        Err(e) => error_page(&e),
    }
}

/// The account behind a token.
async fn principal(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let caller = Caller::of_token(state, token)?;
    state.db(move |conn| caller.principal(conn)).await
}

/// The page (its nonce and HTML) for `who`.
async fn render(
    state: &AppState,
    who: Principal,
    query: DashboardQuery,
) -> Result<(String, String), ApiError> {
    let tz = state.config.time_zone;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let to = query.to.unwrap_or(today);
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    let scope =
        Scope::new(state, who.clone(), query.unit, true, (from, to)).map_err(bad_request)?;
    let (units, months, indicators) = state
        .report(move |conn| {
            let units = reports::compute_units(conn, &scope)?;
            let months = reports::compute_months(conn, &scope)?;
            let indicators = reports::compute_indicators(conn, &scope)?;
            Ok((units, months, indicators))
        })
        .await?;
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let nonce = nonce();
    let view = page::View {
        who: &who,
        from,
        to,
        judged_at: units.period.judged_at,
        tz,
        unit: query.unit,
        units: &units,
        months: &months,
        indicators: &indicators,
        presets: [(year_start, today), (today - TimeDelta::days(364), today)],
    };
    let body = page::dashboard(&nonce, &view);
    Ok((nonce, body))
}

/// The login form's post: on success a session cookie and a redirect to the dashboard, else
/// the form again with what went wrong.
#[utoipa::path(
    tag = "dashboard",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Logged in: the session cookie is set (HttpOnly, SameSite=Strict, Path=/dashboard) and the browser is sent to /dashboard", headers(
            ("Set-Cookie" = String, description = "The session cookie, holding an access token"),
            ("Location" = String, description = "/dashboard"),
        )),
        (status = 400, description = "A form without a username or password, or with other fields", content_type = "text/html", body = String),
        (status = 401, description = "Wrong username or password, or a disabled account: the form again", content_type = "text/html", body = String),
        (status = 403, description = "Posted from another site", content_type = "text/html", body = String),
        (status = 415, description = "Not a form (application/x-www-form-urlencoded)", content_type = "text/html", body = String),
        (status = 429, description = "Too many log-in attempts for this username or from this address; retry after Retry-After seconds", content_type = "text/html", body = String),
    )
)]
#[post("/dashboard/login")]
async fn dashboard_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = cross_site(&req) {
        return refused;
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return error_page(&ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the login form (application/x-www-form-urlencoded).",
        ));
    }
    let form: LoginForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            let message = "Xin nhập tên đăng nhập và mật khẩu.";
            return login_page(&req, StatusCode::BAD_REQUEST, Some(message), "", false);
        }
    };
    let (name_len, password_len) = (form.username.chars().count(), form.password.chars().count());
    if !(1..=100).contains(&name_len) || !(1..=200).contains(&password_len) {
        let message = "Xin nhập tên đăng nhập (tối đa 100 ký tự) và mật khẩu (tối đa 200 ký tự).";
        return login_page(&req, StatusCode::BAD_REQUEST, Some(message), "", false);
    }
    let username = form.username.clone();
    match super::accounts::authenticate(&state, &req, form.username, form.password).await {
        Ok(account) => {
            let token = state.tokens.issue(account.id, account.token_generation);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/dashboard"))
                .insert_header((
                    header::SET_COOKIE,
                    cookie(&req, &token, state.tokens.ttl_seconds()),
                ))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let message = if e.code == "account_disabled" {
                "Tài khoản này đã bị khóa."
            } else {
                "Sai tên đăng nhập hoặc mật khẩu."
            };
            login_page(
                &req,
                StatusCode::UNAUTHORIZED,
                Some(message),
                &username,
                false,
            )
        }
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let nonce = nonce();
            let mut response = html(e.status, &nonce);
            if let Some(seconds) = e.retry_after {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            let message = "Quá nhiều lần đăng nhập: xin chờ một lát rồi thử lại.";
            response.body(page::login(&nonce, Some(message), &username))
        }
        Err(e) => error_page(&e),
    }
}

/// Logging out: the session cookie is removed, and the token it held (with every other token of
/// its account) is revoked.
#[utoipa::path(
    tag = "dashboard",
    responses(
        (status = 303, description = "The session cookie is removed and the browser is sent to /dashboard", headers(
            ("Set-Cookie" = String, description = "The session cookie, expired"),
            ("Location" = String, description = "/dashboard"),
        )),
        (status = 403, description = "Posted from another site", content_type = "text/html", body = String),
    )
)]
#[post("/dashboard/logout")]
async fn dashboard_logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(refused) = cross_site(&req) {
        return refused;
    }
    // A session already over (expired, revoked, a disabled account) has nothing to revoke.
    if let Ok(Some((token, _))) = token(&req) {
        if let Ok(who) = principal(&state, &token).await {
            let revoked = state
                .db(move |conn| Ok(crate::store::accounts::revoke_tokens(conn, who.account_id)?))
                .await;
            if let Err(e) = revoked {
                return error_page(&e);
            }
        }
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .insert_header((header::SET_COOKIE, cookie(&req, "", 0)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
