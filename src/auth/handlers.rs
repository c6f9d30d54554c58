//! `/api/v1/auth/*`: sign in, rotate, sign out, who am I, change my password.

use actix_web::{HttpResponse, get, post, web};
use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::tokens::{self, ACCESS_TTL_SECS};
use super::{Auth, AuthState, SignedIn};
use crate::audit::{self, Actor, AuditAction};
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::http::json::Body;
use crate::ids::UserId;
use crate::schema::{refresh_tokens, users};
use crate::users::User;

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

/// Start a new refresh-token family for `user` and return the pair.
fn issue_pair(conn: &mut DbConnection, state: &AuthState, user: &User, family: Option<String>) -> ApiResult<TokenPair> {
    let refresh_token = tokens::random_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user.id),
            refresh_tokens::family.eq(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
            refresh_tokens::token_hash.eq(tokens::token_hash(&refresh_token)),
            refresh_tokens::created_at.eq(crate::http::now()),
            refresh_tokens::expires_at.eq(tokens::refresh_expiry()),
        ))
        .execute(conn)?;
    Ok(TokenPair {
        access_token: state.keys.issue(user.id, user.role)?,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_SECS,
        refresh_token,
    })
}

fn revoke_family(conn: &mut DbConnection, family: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(crate::http::now()))
    .execute(conn)?;
    Ok(())
}

/// Revoke every refresh token of an account (its password changed, or an admin deactivated it,
/// changed its role or set its password).
pub fn revoke_sessions(conn: &mut DbConnection, user: UserId) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(crate::http::now()))
    .execute(conn)?;
    Ok(())
}

fn locked(until: chrono::NaiveDateTime) -> ApiError {
    let secs = (until - crate::http::now()).num_seconds().max(1);
    ApiError::TooManyRequests {
        code: "account_locked",
        detail: format!("too many failed sign-ins: this account is locked for {secs} more seconds"),
        retry_after_secs: u64::try_from(secs).unwrap_or(1),
    }
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
        (status = 429, description = "Locked after failed sign-ins, or too many attempts from this address",
         body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.get()?;
    let user = db.run(move |conn| User::by_email(conn, &email)).await?;
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|until| *until > crate::http::now())
    {
        return Err(locked(until));
    }
    let matches = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let Some(user) = user else {
        return Err(ApiError::InvalidCredentials);
    };
    let state = state.into_inner();
    if !matches || !user.active {
        let (after, lock_for) = (state.lockout_after, state.lockout_for);
        if matches {
            // The right password for a deactivated account: refuse as if it were wrong.
            return Err(ApiError::InvalidCredentials);
        }
        db.write(move |conn| {
            let failures: i32 = diesel::update(users::table.find(user.id))
                .set(users::failed_logins.eq(users::failed_logins + 1))
                .returning(users::failed_logins)
                .get_result(conn)?;
            if failures >= after {
                let until = crate::http::now() + Duration::from_std(lock_for).unwrap_or(Duration::minutes(15));
                diesel::update(users::table.find(user.id))
                    .set((users::failed_logins.eq(0), users::locked_until.eq(Some(until))))
                    .execute(conn)?;
                tracing::warn!(user = %user.id, "account locked after {failures} failed sign-ins");
            }
            Ok(())
        })
        .await?;
        return Err(ApiError::InvalidCredentials);
    }
    let pair = db
        .write(move |conn| {
            diesel::update(users::table.find(user.id))
                .set((
                    users::failed_logins.eq(0),
                    users::locked_until.eq(None::<chrono::NaiveDateTime>),
                    users::last_login_at.eq(Some(crate::http::now())),
                ))
                .execute(conn)?;
            issue_pair(conn, &state, &user, None)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

enum Rotation {
    Rotated(TokenPair),
    Refused(&'static str),
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
    let hash = tokens::token_hash(&body.get()?.refresh_token);
    let state = state.into_inner();
    // The revocation of a reused family must commit, so the refusal is a value, not an error.
    let outcome = db
        .write(move |conn| {
            let row = refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(&hash))
                .select((
                    refresh_tokens::id,
                    refresh_tokens::user_id,
                    refresh_tokens::family,
                    refresh_tokens::expires_at,
                    refresh_tokens::used_at,
                    refresh_tokens::revoked_at,
                ))
                .first::<(
                    i64,
                    UserId,
                    String,
                    chrono::NaiveDateTime,
                    Option<chrono::NaiveDateTime>,
                    Option<chrono::NaiveDateTime>,
                )>(conn)
                .optional()?;
            let Some((id, user_id, family, expires_at, used_at, revoked_at)) = row else {
                return Ok(Rotation::Refused("unknown refresh token; sign in again"));
            };
            if used_at.is_some() || revoked_at.is_some() {
                if used_at.is_some() && revoked_at.is_none() {
                    tracing::warn!(user = %user_id, "a rotated refresh token was presented again; revoking its family");
                }
                revoke_family(conn, &family)?;
                return Ok(Rotation::Refused(
                    "this refresh token was already used or revoked; sign in again",
                ));
            }
            if expires_at <= crate::http::now() {
                return Ok(Rotation::Refused("the refresh token expired; sign in again"));
            }
            let user = User::find(conn, user_id)?;
            if !user.active {
                revoke_family(conn, &family)?;
                return Ok(Rotation::Refused("this account is deactivated"));
            }
            // Only one of two racing rotations of the same token wins.
            let claimed = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
                .set(refresh_tokens::used_at.eq(crate::http::now()))
                .execute(conn)?;
            if claimed == 0 {
                revoke_family(conn, &family)?;
                return Ok(Rotation::Refused("this refresh token was already used; sign in again"));
            }
            issue_pair(conn, &state, &user, Some(family)).map(Rotation::Rotated)
        })
        .await?;
    match outcome {
        Rotation::Rotated(pair) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair)),
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
    let hash = tokens::token_hash(&body.get()?.refresh_token);
    db.write(move |conn| {
        let family = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select(refresh_tokens::family)
            .first::<String>(conn)
            .optional()?;
        match family {
            Some(family) => revoke_family(conn, &family),
            None => Ok(()),
        }
    })
    .await?;
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
    let id = auth.caller.id;
    let user = db.run(move |conn| User::find(conn, id)).await?;
    Ok(HttpResponse::Ok().json(user))
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
    let id = auth.caller.id;
    let user = db.run(move |conn| User::find(conn, id)).await?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.get()?;
    crate::users::not_the_email(&new_password, &user.email)
        .map_err(|_| ApiError::invalid("new_password", "password_is_email", "must not be the account's email"))?;
    if !state
        .passwords
        .verify(current_password, Some(user.password_hash.clone()))
        .await?
    {
        return Err(ApiError::invalid(
            "current_password",
            "wrong_password",
            "is not this account's password",
        ));
    }
    let hash = state.passwords.hash(new_password).await?;
    let actor: Actor = auth.actor;
    db.write(move |conn| {
        let mut next = user.clone();
        next.password_hash = hash;
        next.password_changed_at = crate::http::now();
        let saved = user.save(conn, next)?;
        revoke_sessions(conn, user.id)?;
        audit::record(
            conn,
            &actor,
            AuditAction::Update,
            "user",
            user.id.0,
            Some(&user),
            Some(&saved),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

use crate::error::Problem;
