//! An account's sign-in sessions: each sign-in starts a family of refresh tokens, each token
//! works once and is replaced by the next of its family, and a token presented twice ends its
//! whole family (someone else has a copy). Only tokens' SHA-256 hashes are stored. (Failed
//! sign-ins are counted in [`crate::auth::throttle`].)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::User;
use crate::auth::tokens;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::ApiResult;
use crate::ids::UserId;
use crate::resource::Record;
use crate::schema::{refresh_tokens, users};

/// What presenting a refresh token came to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was good: this account, and the next refresh token of its family.
    Rotated(Box<User>, Issued),
    /// The token was refused, for this reason (to tell the client).
    Refused(&'static str),
}

/// A refresh token just issued, and the session (family) it belongs to.
#[derive(Debug)]
pub struct Issued {
    /// The refresh token, shown once.
    pub refresh_token: String,
    /// Its family: the session an access token names (`sid`).
    pub family: String,
}

/// Store a new refresh token for `user`, in `family` or a new one, and return it.
fn issue(conn: &mut DbConnection, user: UserId, family: Option<String>) -> ApiResult<Issued> {
    let refresh_token = tokens::random_token();
    let family = family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user),
            refresh_tokens::family.eq(&family),
            refresh_tokens::token_hash.eq(tokens::token_hash(&refresh_token)),
            refresh_tokens::created_at.eq(crate::clock::now()),
            refresh_tokens::expires_at.eq(tokens::refresh_expiry()),
        ))
        .execute(conn)?;
    Ok(Issued { refresh_token, family })
}

/// A successful sign-in: clears the failed count and starts a session; returns its refresh token.
pub fn start(conn: &mut DbConnection, user: UserId) -> ApiResult<Issued> {
    diesel::update(users::table.find(user))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::last_login_at.eq(Some(crate::clock::now())),
        ))
        .execute(conn)?;
    issue(conn, user, None)
}

/// End every session of `family`.
fn end_family(conn: &mut DbConnection, family: &str) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(crate::clock::now()))
    .execute(conn)?;
    Ok(())
}

/// End every session of an account (its password changed, or an admin deactivated it, changed
/// its role or set its password).
pub fn end_all(conn: &mut DbConnection, user: UserId) -> ApiResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(crate::clock::now()))
    .execute(conn)?;
    Ok(())
}

/// Sign out: end the family of `token`, if it is known.
pub fn end(conn: &mut DbConnection, token: &str) -> ApiResult<()> {
    let family = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::token_hash(token)))
        .select(refresh_tokens::family)
        .lookup::<String>(conn)?;
    match family {
        Some(family) => end_family(conn, &family),
        None => Ok(()),
    }
}

/// Exchange `token` for the next of its family. A refusal that ends the family is a value, not
/// an error, so that the transaction commits the ending.
pub fn rotate(conn: &mut DbConnection, token: &str) -> ApiResult<Rotation> {
    type Row = (
        i64,
        UserId,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::token_hash(token)))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .lookup(conn)?;
    let Some((id, user_id, family, expires_at, used_at, revoked_at)) = row else {
        return Ok(Rotation::Refused("unknown refresh token; sign in again"));
    };
    if used_at.is_some() || revoked_at.is_some() {
        if used_at.is_some() && revoked_at.is_none() {
            tracing::warn!(user = %user_id, "a rotated refresh token was presented again; revoking its family");
        }
        end_family(conn, &family)?;
        return Ok(Rotation::Refused(
            "this refresh token was already used or revoked; sign in again",
        ));
    }
    if expires_at <= crate::clock::now() {
        return Ok(Rotation::Refused("the refresh token expired; sign in again"));
    }
    let user = User::find(conn, user_id)?;
    if !user.active {
        end_family(conn, &family)?;
        return Ok(Rotation::Refused("this account is deactivated"));
    }
    // Only one of two racing rotations of the same token wins.
    let claimed = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(crate::clock::now()))
        .execute(conn)?;
    if claimed == 0 {
        end_family(conn, &family)?;
        return Ok(Rotation::Refused("this refresh token was already used; sign in again"));
    }
    let next = issue(conn, user.id, Some(family))?;
    Ok(Rotation::Rotated(Box::new(user), next))
}
