//! Accounts: citizens register, everyone logs in and reads themselves, administrators manage
//! officials.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{double_option, field, not_blank, List, ListParams, ValidJson};
use crate::auth::{password, Principal};
use crate::db;
use crate::domain::accounts::{check_password, Role};
use crate::domain::codes::{NationalId, PhoneNumber};
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;
use crate::store::accounts::{Account, AccountChanges, AccountFilter};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(register)
        .service(me)
        .service(create_account)
        .service(list_accounts)
        .service(get_account)
        .service(update_account);
}

/// An account as clients see it (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: Id,
    /// The login name; a citizen's is their national id.
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// The unit an official works for.
    pub unit_id: Option<Id>,
    /// A citizen's 12-digit national id.
    pub national_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A disabled account cannot log in and its tokens stop working.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            role: a.role(),
            id: a.id,
            username: a.username,
            full_name: a.full_name,
            unit_id: a.unit_id,
            national_id: a.national_id,
            phone: a.phone,
            email: a.email,
            disabled: a.disabled,
            created_at: a.created_at.and_utc(),
            updated_at: a.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 100))]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A signed JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Log in with a username (a citizen's national id) and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 401, description = "Wrong username or password, or a disabled account"),
        (status = 422, description = "Invalid fields"),
        (status = 429, description = "Too many log-in attempts for this username or from this address; retry after Retry-After seconds"),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { username, password } = body.0;
    let account = authenticate(&state, &req, username, password).await?;
    Ok(web::Json(TokenResponse {
        access_token: state.tokens.issue(account.id, account.token_generation),
        token_type: "Bearer".to_string(),
        expires_in: state.tokens.ttl_seconds(),
    }))
}

/// Log out everywhere: every token issued to the caller's account so far is refused from now
/// on, this one included. An identity provider's tokens are the provider's to revoke.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "The account's tokens so far are revoked"),
        (status = 401, description = "No valid access token"),
    ),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, who: Principal) -> Result<HttpResponse, ApiError> {
    state
        .db(move |conn| Ok(store::accounts::revoke_tokens(conn, who.account_id)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The log-in check of every way in (`POST /auth/login`, the dashboard's form): the rate limits
/// per client address and per username (429), then the password (401, alike for an unknown
/// username, which is checked against a dummy hash), then a disabled account (401).
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    username: String,
    password: String,
) -> Result<Account, ApiError> {
    let client = super::extract::client_address(req, &state.config);
    let limited = state
        .logins_from
        .check(&client)
        .and_then(|()| state.logins.check(&username.to_lowercase()));
    if let Err(wait) = limited {
        return Err(ApiError::too_many_requests(
            wait,
            "Too many log-in attempts; wait a moment.",
        ));
    }
    let account = state
        .db(move |conn| Ok(store::accounts::find_by_username(conn, &username)?))
        .await?;
    let hash = account.as_ref().map_or_else(
        || password::dummy_hash().to_string(),
        |a| a.password_hash.clone(),
    );
    let verified = web::block(move || password::verify(&password, &hash)).await?;
    let account = match account {
        Some(account) if verified => account,
        _ => {
            return Err(ApiError::unauthorized(
                "invalid_credentials",
                "The username or password is wrong.",
            ))
        }
    };
    if account.disabled {
        return Err(ApiError::unauthorized(
            "account_disabled",
            "This account is disabled.",
        ));
    }
    Ok(account)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The 12-digit national id (căn cước); it becomes the username.
    #[validate(length(max = 20))]
    pub national_id: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub full_name: String,
    /// A Vietnamese phone number; a phone or an e-mail is required.
    #[validate(length(max = 20))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    /// 10 to 128 characters with letters and digits, not containing the national id.
    #[validate(length(max = 200))]
    pub password: String,
}

fn parse_phone(phone: Option<String>) -> Result<Option<String>, ApiError> {
    phone
        .map(|p| field("phone", PhoneNumber::parse(&p)).map(|p| p.as_str().to_string()))
        .transpose()
}

fn require_password(password: &str, username: &str) -> Result<(), ApiError> {
    check_password(password, username).map_err(|e| ApiError::invalid_field("password", "weak", e))
}

/// A citizen registers: their national id becomes their username.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new citizen account", body = AccountView),
        (status = 409, description = "This national id is already registered"),
        (status = 422, description = "Invalid fields or a weak password"),
    )
)]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    body: ValidJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let national_id = field("national_id", NationalId::parse(&body.national_id))?;
    let phone = parse_phone(body.phone)?;
    if phone.is_none() && body.email.is_none() {
        return Err(ApiError::invalid_field(
            "phone",
            "required",
            "give a phone number or an e-mail address",
        ));
    }
    require_password(&body.password, national_id.as_str())?;
    let password = body.password;
    let hash = web::block(move || password::hash(&password)).await?;
    let now = db::now();
    let account = Account {
        id: Id::new(),
        username: national_id.as_str().to_string(),
        password_hash: hash,
        full_name: body.full_name.trim().to_string(),
        role: Role::Citizen.as_str().to_string(),
        unit_id: None,
        national_id: Some(national_id.as_str().to_string()),
        phone,
        email: body.email,
        disabled: false,
        created_at: now,
        updated_at: now,
        token_generation: 0,
    };
    let account = state
        .db(move |conn| {
            store::accounts::create(conn, &account)?;
            Ok(account)
        })
        .await?;
    Ok(created(account))
}

fn created(account: Account) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/accounts/{}", account.id)))
        .json(AccountView::from(account))
}

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller's account", body = AccountView),
        (status = 401, description = "No valid access token"),
    ),
    security(("bearer" = []))
)]
#[get("/me")]
async fn me(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<web::Json<AccountView>, ApiError> {
    let account = state
        .db(move |conn| Ok(store::accounts::find(conn, who.account_id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))?;
    Ok(web::Json(account.into()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// 3 to 64 characters: lower-case letters, digits, `.`, `_` and `-`.
    #[validate(length(min = 3, max = 64), custom(function = "username_chars"))]
    pub username: String,
    #[validate(length(max = 200))]
    pub password: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub full_name: String,
    /// Any role but `citizen` (citizens register themselves).
    pub role: Role,
    /// Required for reception, specialist and leader.
    pub unit_id: Option<Id>,
    #[validate(length(max = 20))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
}

fn username_chars(username: &str) -> Result<(), validator::ValidationError> {
    if username
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("format");
        e.message = Some("use lower-case letters, digits, '.', '_' and '-'".into());
        Err(e)
    }
}

fn check_unit_for_role(role: Role, unit_id: Option<Id>) -> Result<(), ApiError> {
    if role.requires_unit() && unit_id.is_none() {
        return Err(ApiError::invalid_field(
            "unit_id",
            "required",
            format!("a {role} official must belong to a unit"),
        ));
    }
    Ok(())
}

/// Create an official's account (administrators).
#[utoipa::path(
    tag = "accounts",
    request_body = CreateAccount,
    responses(
        (status = 201, description = "The new account", body = AccountView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 409, description = "The username is taken"),
        (status = 422, description = "Invalid fields, a weak password or an unknown unit"),
    ),
    security(("bearer" = []))
)]
#[post("/accounts")]
async fn create_account(
    state: web::Data<AppState>,
    who: Principal,
    body: ValidJson<CreateAccount>,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Admin])?;
    let body = body.0;
    if body.role == Role::Citizen {
        return Err(ApiError::invalid_field(
            "role",
            "citizen",
            "citizens register themselves through /auth/register",
        ));
    }
    check_unit_for_role(body.role, body.unit_id)?;
    let phone = parse_phone(body.phone)?;
    require_password(&body.password, &body.username)?;
    let password = body.password;
    let hash = web::block(move || password::hash(&password)).await?;
    let now = db::now();
    let account = Account {
        id: Id::new(),
        username: body.username,
        password_hash: hash,
        full_name: body.full_name.trim().to_string(),
        role: body.role.as_str().to_string(),
        unit_id: body.unit_id,
        national_id: None,
        phone,
        email: body.email,
        disabled: false,
        created_at: now,
        updated_at: now,
        token_generation: 0,
    };
    let account = state
        .db(move |conn| {
            store::accounts::create(conn, &account)?;
            Ok(account)
        })
        .await?;
    Ok(created(account))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    pub role: Option<Role>,
    pub unit_id: Option<Id>,
    pub disabled: Option<bool>,
}

/// List accounts (administrators).
#[utoipa::path(
    tag = "accounts",
    params(AccountQuery, ListParams),
    responses(
        (status = 200, description = "A page of accounts", body = List<AccountView>),
        (status = 400, description = "Invalid query parameters"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
    ),
    security(("bearer" = []))
)]
#[get("/accounts")]
async fn list_accounts(
    state: web::Data<AppState>,
    who: Principal,
    query: web::Query<AccountQuery>,
    list: web::Query<ListParams>,
) -> Result<web::Json<List<AccountView>>, ApiError> {
    who.require(&[Role::Admin])?;
    let page = list.page(&state.config.limits)?;
    let filter = AccountFilter {
        role: query.role,
        unit_id: query.unit_id,
        disabled: query.disabled,
    };
    let (rows, next) = state
        .db(move |conn| Ok(store::accounts::list(conn, &filter, page)?))
        .await?;
    Ok(web::Json(List::new(
        rows.into_iter().map(AccountView::from).collect(),
        next,
    )))
}

/// One account (administrators).
#[utoipa::path(
    tag = "accounts",
    params(("id" = Id, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such account"),
    ),
    security(("bearer" = []))
)]
#[get("/accounts/{id}")]
async fn get_account(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
) -> Result<web::Json<AccountView>, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let account = state
        .db(move |conn| Ok(store::accounts::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))?;
    Ok(web::Json(account.into()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    pub full_name: Option<String>,
    /// A new role; citizens stay citizens and officials stay officials.
    pub role: Option<Role>,
    /// A new unit; `null` removes it (not for reception, specialist or leader).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Id>)]
    pub unit_id: Option<Option<Id>>,
    /// `true` disables the account: it cannot log in and its tokens stop working.
    pub disabled: Option<bool>,
    /// A new password.
    #[validate(length(max = 200))]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    #[validate(length(max = 254))]
    pub email: Option<Option<String>>,
}

/// Change an account: disable it, change its role or unit, reset its password (administrators).
#[utoipa::path(
    tag = "accounts",
    params(("id" = Id, Path, description = "The account's id")),
    request_body = UpdateAccount,
    responses(
        (status = 200, description = "The changed account", body = AccountView),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an administrator"),
        (status = 404, description = "No such account"),
        (status = 409, description = "An administrator cannot disable or demote themselves"),
        (status = 422, description = "Invalid fields"),
    ),
    security(("bearer" = []))
)]
#[patch("/accounts/{id}")]
async fn update_account(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<Id>,
    body: ValidJson<UpdateAccount>,
) -> Result<web::Json<AccountView>, ApiError> {
    who.require(&[Role::Admin])?;
    let id = id.into_inner();
    let body = body.0;
    let current = state
        .db(move |conn| Ok(store::accounts::find(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))?;
    if id == who.account_id
        && (body.disabled == Some(true) || body.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::conflict(
            "cannot_change_self",
            "An administrator cannot disable or demote their own account.",
        ));
    }
    let role = body.role.unwrap_or(current.role());
    if role.is_official() != current.role().is_official() {
        return Err(ApiError::invalid_field(
            "role",
            "citizen",
            "a citizen's account cannot become an official's, nor the reverse",
        ));
    }
    check_unit_for_role(role, body.unit_id.unwrap_or(current.unit_id))?;
    if let Some(Some(email)) = &body.email {
        if !validator::ValidateEmail::validate_email(email) {
            return Err(ApiError::invalid_field(
                "email",
                "email",
                "must be an e-mail address",
            ));
        }
    }
    let password_hash = match body.password {
        Some(password) => {
            require_password(&password, &current.username)?;
            Some(web::block(move || password::hash(&password)).await?)
        }
        None => None,
    };
    let changes = AccountChanges {
        full_name: body.full_name.map(|n| n.trim().to_string()),
        role: body.role.map(|r| r.as_str().to_string()),
        unit_id: body.unit_id,
        phone: body.phone.map(parse_phone).transpose()?,
        email: body.email,
        disabled: body.disabled,
        // A new password ends the sessions of the old one.
        token_generation: password_hash
            .is_some()
            .then_some(current.token_generation + 1),
        password_hash,
        updated_at: Some(db::now()),
    };
    let account = state
        .db(move |conn| Ok(store::accounts::update(conn, id, &changes)?))
        .await?;
    Ok(web::Json(account.into()))
}
