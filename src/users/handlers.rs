//! `/api/v1/users[/{id}]`: admins list, create, read and change accounts.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::{CreateUser, Role, UpdateUser, User};
use crate::audit::{self, AuditAction};
use crate::auth::{Admins, Auth, AuthState};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::ids::{PartnerId, UserId};
use crate::schema::users;

/// Filters for the account list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Finds email or display name, ignoring case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) accounts.
    pub active: Option<bool>,
    /// Only liaisons of this partner.
    pub partner_id: Option<PartnerId>,
}

/// List accounts, by email.
#[utoipa::path(
    tag = "users",
    security(("bearer_auth" = ["admin"])),
    params(UserFilters, PageParams),
    responses(
        (status = 200, description = "A page of accounts", body = Page<User>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` while more remain"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/users")]
pub async fn list_users(
    _auth: Auth<Admins>,
    db: web::Data<Db>,
    req: HttpRequest,
    filters: Query<UserFilters>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let paging = page.into_inner().paging()?;
    let filters = filters.0;
    let (items, total) = db
        .run(move |conn| {
            let query = || {
                let mut query = users::table.into_boxed();
                if let Some(q) = &filters.q {
                    query = query.filter(users::search_text.like(crate::text::contains_pattern(q)).escape('\\'));
                }
                if let Some(role) = filters.role {
                    query = query.filter(users::role.eq(role));
                }
                if let Some(active) = filters.active {
                    query = query.filter(users::active.eq(active));
                }
                if let Some(partner_id) = filters.partner_id {
                    query = query.filter(users::partner_id.eq(partner_id));
                }
                query
            };
            let total: i64 = query().count().get_result(conn)?;
            let items: Vec<User> = query()
                .order((users::email_key.asc(), users::id.asc()))
                .limit(paging.limit)
                .offset(paging.offset)
                .load(conn)?;
            Ok((items, total))
        })
        .await?;
    Ok(Page::new(items, total, paging).respond(&req))
}

/// Get one account.
#[utoipa::path(
    tag = "users",
    security(("bearer_auth" = ["admin"])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = User,
         headers(("ETag" = String, description = "Its version, for `If-Match`"))),
        crate::openapi::ReadErrors,
    )
)]
#[get("/users/{id}")]
pub async fn get_user(_auth: Auth<Admins>, db: web::Data<Db>, id: web::Path<UserId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let user = db.run(move |conn| User::find(conn, id)).await?;
    Ok(crate::http::ok_with_etag(&user, user.version))
}

/// Create an account.
#[utoipa::path(
    tag = "users",
    security(("bearer_auth" = ["admin"])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User,
         headers(("Location" = String, description = "Its URL"), ("ETag" = String, description = "Its version"))),
        crate::openapi::WriteErrors,
    )
)]
#[post("/users")]
pub async fn create_user(
    auth: Auth<Admins>,
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    body: Body<CreateUser>,
) -> ApiResult<HttpResponse> {
    let new = body.get()?;
    super::not_the_email(&new.password, &new.email)?;
    let hash = state.passwords.hash(new.password.clone()).await?;
    let actor = auth.actor;
    let user = db
        .write(move |conn| {
            let user = User::create(conn, &new, hash)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Create,
                "user",
                user.id.0,
                None::<&User>,
                Some(&user),
            )?;
            Ok(user)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/users/{}", user.id),
        &user,
        user.version,
    ))
}

/// Change an account: display name, role, partner, active, or a new password. Deactivating it,
/// changing its role or setting its password ends its sessions at once.
#[utoipa::path(
    tag = "users",
    security(("bearer_auth" = ["admin"])),
    params(("id" = i64, Path, description = "Account id"), crate::openapi::IfMatchHeader),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed account", body = User,
         headers(("ETag" = String, description = "Its new version"))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    auth: Auth<Admins>,
    db: web::Data<Db>,
    state: web::Data<AuthState>,
    id: web::Path<UserId>,
    if_match: IfMatch,
    body: Body<UpdateUser>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let change = body.get()?;
    // An admin's own account changes only in ways that cannot lock them out, and its password
    // only through POST /api/v1/auth/password, which asks for the current one: a stolen access
    // token must not be enough to take the account over.
    if id == auth.caller.id {
        if change.active == Some(false) || change.role.is_some_and(|r| r != auth.caller.role) {
            return Err(ApiError::conflict(
                "own_account",
                "you cannot deactivate your own account or change its role; another admin can",
            ));
        }
        if change.password.is_some() {
            return Err(ApiError::conflict(
                "own_account",
                "change your own password with POST /api/v1/auth/password, which asks for the current one",
            ));
        }
    }
    // A first read, outside the write transaction, so that hashing a new password (~20 ms) never
    // holds SQLite's write lock; the transaction below reads and checks the account again.
    let current = db.run(move |conn| User::find(conn, id)).await?;
    if_match.check(current.version)?;
    let new_hash = match &change.password {
        Some(password) => {
            super::not_the_email(password, &current.email)?;
            Some(state.passwords.hash(password.clone()).await?)
        }
        None => None,
    };
    let actor = auth.actor;
    let user = db
        .write(move |conn| {
            let current = User::find(conn, id)?;
            if_match.check(current.version)?;
            let mut next = current.clone();
            next.display_name = change.display_name.unwrap_or(next.display_name);
            next.role = change.role.unwrap_or(next.role);
            next.partner_id = change.partner_id.unwrap_or(next.partner_id);
            next.active = change.active.unwrap_or(next.active);
            if let Some(hash) = new_hash {
                next.password_hash = hash;
                next.password_changed_at = crate::http::now();
            }
            if next == current {
                return Ok(current);
            }
            User::check_partner(conn, next.role, next.partner_id)?;
            let ends_sessions =
                !next.active || next.role != current.role || next.password_hash != current.password_hash;
            let saved = current.save(conn, next)?;
            if ends_sessions {
                crate::auth::handlers::revoke_sessions(conn, id)?;
            }
            audit::record(
                conn,
                &actor,
                AuditAction::Update,
                "user",
                id.0,
                Some(&current),
                Some(&saved),
            )?;
            Ok(saved)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&user, user.version))
}
