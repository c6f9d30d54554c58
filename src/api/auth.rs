//! `/api/v1/auth/*`: sign in, rotate, sign out, who am I, change my password.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::throttle;
use crate::auth::tokens::ACCESS_TTL_SECS;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Auth, AuthState, SignedIn};
use crate::http::json::Body;
use crate::resource::{self, AnyVersion, Record};
use crate::users::sessions::{self, Issued, Rotation};
use crate::users::{User, UserChange};

/// Sign-in credentials.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email (any case).
    #[validate(length(min = 1, max = 320))]
    #[schema(min_length = 1, max_length = 320, example = "officer@example.gov.vn")]
    pub email: String,
    /// The password.
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024, format = Password)]
    pub password: String,
}

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Exchange it at `/api/v1/auth/refresh` for a new pair; each works once.
    pub refresh_token: String,
}

/// A refresh token presented to rotate or revoke it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or rotation.
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

/// A change of one's own password.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024, format = Password)]
    pub current_password: String,
    /// The new one: 12 to 128 characters, not the email.
    #[validate(custom(function = "crate::users::password_rules"))]
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub new_password: String,
}

/// What an account changes of itself.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MyAccountChange {
    /// `true` to get, each morning (`TPMS_DIGEST_HOUR`, Vietnam time), a digest of what fell
    /// overdue since the last one; for admins and officers.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub daily_digest: Option<bool>,
}

/// The pair for `user` with its new refresh token, in that token's session.
fn pair(state: &AuthState, user: &User, issued: Issued) -> ApiResult<HttpResponse> {
    let pair = TokenPair {
        access_token: state.keys.issue(user.id, user.role, &issued.family)?,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_SECS,
        refresh_token: issued.refresh_token,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

/// Sign in with email and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password (the same answer for both)", body = Problem,
         content_type = "application/problem+json"),
        crate::openapi::BodyErrors,
        (status = 429, description = "Too many failed sign-ins for this email from this address (`too_many_failures`), \
         or too many attempts from this address (`rate_limited`)",
         body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.get()?;
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let attempt = throttle::Attempt::new(&email, &address);
    let waiting = attempt.clone();
    let user = db
        .run(move |conn| {
            waiting.check(conn)?;
            User::by_email(conn, &email)
        })
        .await?;
    let matches = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash().to_owned()))
        .await?;
    // An unknown email, a wrong password and a deactivated account are one answer, and one
    // failure of the pair (see `throttle`), so that none tells which emails have accounts.
    let Some(user) = user.filter(|user| matches && user.active) else {
        let longest = state.lockout_for;
        db.write(move |conn| attempt.failed(conn, longest)).await?;
        return Err(ApiError::InvalidCredentials);
    };
    let id = user.id;
    let refresh_token = db
        .write(move |conn| {
            attempt.succeeded(conn)?;
            sessions::start(conn, id)
        })
        .await?;
    pair(&state, &user, refresh_token)
}

/// Exchange a refresh token for a new pair. A token works once: presenting one that was already
/// rotated revokes its whole family, since someone else has a copy.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented token stops working", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem,
         content_type = "application/problem+json"),
        crate::openapi::BodyErrors,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    body: Body<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.get()?.refresh_token;
    match db.write(move |conn| sessions::rotate(conn, &token)).await? {
        Rotation::Rotated(user, next) => pair(&state, &user, next),
        Rotation::Refused(why) => Err(ApiError::Unauthorized(why.to_owned())),
    }
}

/// Sign out: the refresh token and every token rotated from it stop working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out (also when the token was unknown or already revoked)"),
        crate::openapi::BodyErrors,
    )
)]
#[post("/auth/logout")]
pub async fn logout(db: web::Data<Db>, body: Body<RefreshRequest>) -> ApiResult<HttpResponse> {
    let token = body.get()?.refresh_token;
    db.write(move |conn| sessions::end(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(
    tag = "auth",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    responses(
        (status = 200, description = "The caller's account", body = User),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/me")]
pub async fn me(auth: Auth<SignedIn>, db: web::Data<Db>) -> ApiResult<HttpResponse> {
    let user = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            User::find(conn, signed.caller.id())
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Change one's own account: whether it gets the morning digest of what fell overdue (admins
/// and officers only; 422 for another role asking for it).
#[utoipa::path(
    tag = "auth",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(crate::openapi::IfMatchHeader),
    request_body = MyAccountChange,
    responses(crate::openapi::Changed<User>)
)]
#[patch("/auth/me")]
pub async fn change_me(
    auth: Auth<SignedIn>,
    db: web::Data<Db>,
    if_match: crate::http::precondition::IfMatch,
    body: Body<MyAccountChange>,
) -> ApiResult<HttpResponse> {
    let MyAccountChange { daily_digest } = body.get()?;
    let user = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            let role = signed.caller.role();
            if daily_digest == Some(true) && !matches!(role, crate::users::Role::Admin | crate::users::Role::Officer) {
                return Err(ApiError::invalid(
                    "daily_digest",
                    "not_for_role",
                    format!("is for admins and officers; a {role} gets no digest"),
                ));
            }
            let change = UserChange {
                daily_digest,
                ..UserChange::default()
            };
            resource::change::<User>(conn, &signed.actor, signed.caller.id(), &if_match, change)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&user, user.version))
}

/// Change one's own password; every refresh token of the account stops working.
#[utoipa::path(
    tag = "auth",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        crate::openapi::BodyErrors,
    )
)]
#[post("/auth/password")]
pub async fn change_password(
    auth: Auth<SignedIn>,
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    body: Body<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let (signed, user) = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            let user = User::find(conn, signed.caller.id())?;
            Ok((signed, user))
        })
        .await?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.get()?;
    crate::users::not_the_email(&new_password, &user.email)
        .map_err(|_| ApiError::invalid("new_password", "password_is_email", "must not be the account's email"))?;
    if !state
        .passwords
        .verify(current_password, Some(user.password_hash().to_owned()))
        .await?
    {
        return Err(ApiError::invalid(
            "current_password",
            "wrong_password",
            "is not this account's password",
        ));
    }
    let change = UserChange {
        password_hash: Some(state.passwords.hash(new_password).await?),
        ..UserChange::default()
    };
    // Saving a new password ends every session of the account (User::after_change).
    db.write(move |conn| resource::change::<User>(conn, &signed.actor, user.id, &AnyVersion, change))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

use crate::error::Problem;
