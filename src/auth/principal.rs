//! [`Principal`]: the account behind a request's bearer token, re-read from the database on every
//! request so that a disabled account or a changed role takes effect at once.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::jwt::{self, Subject};
use crate::domain::accounts::Role;
use crate::error::ApiError;
use crate::id::Id;
use crate::state::AppState;
use crate::store;

/// The authenticated caller. Extracting it answers 401 for a missing, malformed, expired or
/// forged token and for a disabled or deleted account.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: Id,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<Id>,
}

impl Principal {
    /// Allows the request only for the given roles (403 otherwise).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The citizen account of a national id vouched for by the identity provider; made on their
/// first request, without a password (they sign in through the provider).
fn citizen_of_provider(
    conn: &mut crate::db::DbConn,
    national_id: &str,
    name: Option<String>,
) -> Result<store::accounts::Account, ApiError> {
    let existing = |conn: &mut crate::db::DbConn| -> Result<_, ApiError> {
        match store::accounts::citizen_with_national_id(conn, national_id)? {
            Some(id) => Ok(store::accounts::find(conn, id)?),
            None => Ok(None),
        }
    };
    if let Some(account) = existing(conn)? {
        return Ok(account);
    }
    let now = crate::db::now();
    let account = store::accounts::Account {
        id: Id::new(),
        username: national_id.to_string(),
        password_hash: crate::auth::password::NO_PASSWORD.to_string(),
        full_name: name.unwrap_or_else(|| national_id.to_string()),
        role: Role::Citizen.as_str().to_string(),
        unit_id: None,
        national_id: Some(national_id.to_string()),
        phone: None,
        email: None,
        disabled: false,
        created_at: now,
        updated_at: now,
        token_generation: 0,
    };
    match store::accounts::create(conn, &account) {
        Ok(()) => Ok(account),
        // A concurrent first request made it, or the id is some official's username.
        Err(e) => existing(conn)?.ok_or_else(|| ApiError::from(e)),
    }
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized("invalid_token", "The access token is invalid or expired.")
}

/// A request's verified bearer token, before its account is read: for a handler that reads
/// the account in its own database call ([`Caller::principal`]) rather than in one of its own.
pub struct Caller(Subject);

impl Caller {
    /// The account behind the token, read with `conn`: 401 for a deleted or disabled one.
    pub fn principal(self, conn: &mut crate::db::DbConn) -> Result<Principal, ApiError> {
        self.account(conn).map(|(who, _)| who)
    }

    /// [`Caller::principal`] with the account as read, for a handler that needs more of it.
    pub fn account(
        self,
        conn: &mut crate::db::DbConn,
    ) -> Result<(Principal, store::accounts::Account), ApiError> {
        let (account, generation) = match self.0 {
            Subject::Account { id, generation } => {
                (store::accounts::find(conn, id)?, Some(generation))
            }
            Subject::Citizen { national_id, name } => {
                (Some(citizen_of_provider(conn, &national_id, name)?), None)
            }
        };
        let account = account.ok_or_else(invalid_token)?;
        Ok((Principal::of_account(Some(&account), generation)?, account))
    }

    /// The id of the token's account and the token's generation, for a handler that reads
    /// the account joined with what it serves (then [`Principal::of_account`]); `None` for an
    /// identity provider's citizen, whose account may still have to be made
    /// ([`Caller::principal`]).
    pub fn token_account(&self) -> Option<(Id, i32)> {
        match &self.0 {
            Subject::Account { id, generation } => Some((*id, *generation)),
            Subject::Citizen { .. } => None,
        }
    }
}

impl Principal {
    /// The principal of a token's account as read: 401 for a deleted (`None`) or disabled one,
    /// and for a token of an earlier generation than the account's (revoked by logging out or
    /// by a new password). `generation` is `None` for an identity provider's token, which
    /// only the provider can revoke.
    pub fn of_account(
        account: Option<&store::accounts::Account>,
        generation: Option<i32>,
    ) -> Result<Principal, ApiError> {
        let account = account.ok_or_else(invalid_token)?;
        if account.disabled {
            return Err(ApiError::unauthorized(
                "account_disabled",
                "This account is disabled.",
            ));
        }
        if generation.is_some_and(|g| g != account.token_generation) {
            return Err(ApiError::unauthorized(
                "token_revoked",
                "This access token has been revoked: log in again.",
            ));
        }
        Ok(Principal {
            account_id: account.id,
            role: account.role(),
            unit_id: account.unit_id,
            username: account.username.clone(),
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(caller(req))
    }
}

/// Checks the bearer token and the account's rate limit.
fn caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let token = match req.headers().get(header::AUTHORIZATION) {
        None => {
            return Err(ApiError::unauthorized(
                "missing_token",
                "This needs an access token: Authorization: Bearer <token>.",
            ))
        }
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(invalid_token)?,
    };
    Caller::of_token(state, token)
}

impl Caller {
    /// The caller of an access token however it came (a bearer header, the dashboard's
    /// cookie): 401 for a bad or expired token, 429 past the account's rate limit.
    pub fn of_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
        let subject = state.tokens.verify(token).ok_or_else(invalid_token)?;
        if let jwt::Subject::Account { id, .. } = &subject {
            if let Err(wait) = state.per_account.check(&id.to_string()) {
                return Err(ApiError::too_many_requests(
                    wait,
                    "Too many requests from this account; wait a moment.",
                ));
            }
        }
        Ok(Caller(subject))
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let caller = caller(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let caller = caller?;
            state.db(move |conn| caller.principal(conn)).await
        })
    }
}
