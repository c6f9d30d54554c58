//! The account operations that hash a password, on threads of their own and before the write
//! transaction: create an account, and change one. Listing and reading accounts are the standard
//! operations named in the route table (`app.rs`).

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, patch, post};

use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Admins, Auth, AuthState};
use crate::http::json::Body;
use crate::http::precondition::IfMatch;
use crate::ids::UserId;
use crate::openapi::{Changed, Created, IfMatchHeader};
use crate::resource::{self, Record};
use crate::users::{CreateUser, NewUser, UpdateUser, User, UserChange};

/// Create an account.
#[utoipa::path(tag = "users", security(("bearer_auth" = ["admin"])), request_body = CreateUser, responses(Created<User>))]
#[post("/users")]
pub async fn create_user(
    auth: Auth<Admins>,
    db: Data<Db>,
    hasher: Data<AuthState>,
    body: Body<CreateUser>,
) -> ApiResult<HttpResponse> {
    // The caller first (one trip), then the body, then the hash (on its own threads), then the
    // write: the hash never holds a connection.
    let signed = db.run(move |conn| auth.check(conn)).await?;
    let new = body.get()?;
    crate::users::not_the_email(&new.password, &new.email)?;
    let password_hash = hasher.passwords.hash(new.password.clone()).await?;
    let new = NewUser {
        user: new,
        password_hash,
    };
    let user = db
        .write(move |conn| resource::create::<User>(conn, &signed.actor, (), new))
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
    params(UserId, IfMatchHeader),
    request_body = UpdateUser,
    responses(Changed<User>)
)]
#[patch("/users/{id}")]
pub async fn update_user(
    auth: Auth<Admins>,
    db: Data<Db>,
    hasher: Data<AuthState>,
    id: Path<UserId>,
    if_match: IfMatch,
    body: Body<UpdateUser>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    // A first read, outside the write transaction, so that hashing a new password (~20 ms) never
    // holds SQLite's write lock; the transaction below reads and checks the account again.
    let (signed, current) = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            Ok((signed, User::find(conn, id)?))
        })
        .await?;
    let change = body.get()?;
    change.check_by(&signed.caller, id)?;
    if_match.check(current.version)?;
    let password_hash = match &change.password {
        Some(password) => {
            crate::users::not_the_email(password, &current.email)?;
            Some(hasher.passwords.hash(password.clone()).await?)
        }
        None => None,
    };
    let change = UserChange {
        fields: change,
        password_hash,
        daily_digest: None,
    };
    let user = db
        .write(move |conn| resource::change::<User>(conn, &signed.actor, id, &if_match, change))
        .await?;
    Ok(crate::http::ok_with_etag(&user, user.version))
}

/// Lift the waits that failed sign-ins put on an account, at every address (see
/// [`crate::auth::throttle`]): for a user who mistyped their password too often and cannot wait.
#[utoipa::path(
    tag = "users",
    security(("bearer_auth" = ["admin"])),
    params(UserId),
    responses(
        (status = 204, description = "Every wait of the account is lifted (also when there was none)"),
        crate::openapi::ReadErrors,
    )
)]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(auth: Auth<Admins>, db: Data<Db>, id: Path<UserId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let signed = auth.check(conn)?;
        let user = User::find(conn, id)?;
        let lifted = crate::auth::throttle::lift(conn, &user.email)?;
        let (before, after) = (
            serde_json::json!({"sign_in_waits": lifted}),
            serde_json::json!({"sign_in_waits": 0}),
        );
        let event = crate::audit::Event::changed(crate::audit::Entity::User, id.0, &before, &after)
            .because("an admin lifted the waits of failed sign-ins");
        crate::audit::record(conn, &signed.actor, event)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
