//! The account operations that hash a password, on threads of their own and before the write
//! transaction: create an account, and change one. Listing and reading accounts are the standard
//! operations of [`crate::http::crud`].

use actix_web::{HttpResponse, patch, post, web};

use super::{CreateUser, NewUser, UpdateUser, User, UserChange};
use crate::auth::{Admins, Auth, AuthState};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::json::Body;
use crate::http::precondition::IfMatch;
use crate::ids::UserId;
use crate::resource::{self, Record};

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
    let password_hash = state.passwords.hash(new.password.clone()).await?;
    let actor = auth.actor;
    let new = NewUser {
        user: new,
        password_hash,
    };
    let user = db
        .write(move |conn| resource::create::<User>(conn, &actor, (), new))
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
    let change = UserChange {
        fields: change,
        password_hash: new_hash,
    };
    let user = db
        .write(move |conn| resource::change::<User>(conn, &actor, id, &if_match, change))
        .await?;
    Ok(crate::http::ok_with_etag(&user, user.version))
}
