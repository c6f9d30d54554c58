//! Who is calling, and whether their role may do what they ask.
//!
//! Each handler names the roles it admits in its signature, `auth: Auth<Staff>`, and documents the
//! same roles as the scopes of its OpenAPI security requirement; a test checks, for every
//! operation in the document, that anonymous callers get 401 and every other role 403, so an
//! operation that names no roles is caught. The account is read on every request: a deactivated
//! account, or one whose role changed, is refused at its next request.

use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use diesel::prelude::*;

use super::request_id::RequestId;
use crate::access::Caller;
use crate::access::Role;
use crate::audit::Actor;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, UserId};

/// Everything sign-in needs, built once at start-up and shared by all workers.
#[derive(Clone)]
pub struct AuthState {
    /// Token keys.
    pub keys: crate::auth::tokens::JwtKeys,
    /// The bounded password hasher.
    pub passwords: crate::auth::passwords::Passwords,
    /// The longest wait after failed sign-ins (see [`crate::auth::throttle`]).
    pub lockout_for: Duration,
}

/// A set of roles a handler admits.
pub trait Policy {
    /// The roles.
    const ROLES: &'static [Role];
}

macro_rules! policy {
    ($(#[$meta:meta])* $name:ident = [$($role:ident),+]) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

policy!(
    /// Accounts and the audit trail.
    Admins = [Admin]
);
policy!(
    /// Changing programmes, partners and everything officers run.
    Staff = [Admin, Officer]
);
policy!(
    /// Reading what liaisons may not see (partners at large).
    Readers = [Admin, Officer, Reporter]
);
policy!(
    /// Reading programmes and their parts; liaisons only their partner's.
    ProgramReaders = [Admin, Officer, Reporter, Liaison]
);
policy!(
    /// Recording assessments of trainees and approving action plans (with the lists of what is
    /// still to do: assessments, follow-ups): officers, and liaisons for their partner's cohorts.
    Assessors = [Admin, Officer, Liaison]
);
policy!(
    /// Deciding nominations: officers, and liaisons of a partner that reviews a programme's
    /// nominations (only to accept or decline them, and only there).
    Selectors = [Admin, Officer, Liaison]
);
policy!(
    /// Any signed-in account (its own profile and password).
    SignedIn = [Admin, Officer, Reporter, Liaison]
);

/// A request whose access token is good, for an operation that admits the roles of `P`.
///
/// The token is checked when the request is read (signature, expiry, audience), without touching
/// the database. The account it names is checked by [`Auth::check`], which every handler calls
/// first on the connection its request then uses: one trip to the database pool for both, and a
/// deactivated account, or one whose role changed, is still refused at its very next request.
#[derive(Debug)]
pub struct Auth<P> {
    /// The account the token names.
    user: UserId,
    /// Its role when the token was issued.
    role: Role,
    /// The sign-in session the token belongs to (its refresh-token family).
    session: String,
    /// The request's `X-Request-Id`.
    request_id: Option<String>,
    _policy: PhantomData<fn() -> P>,
}

/// Who is calling, as checked against the account as stored now.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who is calling, for the rules of what it may see.
    pub caller: Caller,
    /// The same caller, as audit events name it.
    pub actor: Actor,
}

/// What a request needs to know of the account it acts for.
#[derive(Debug, Queryable)]
struct Account {
    email: String,
    role: Role,
    partner_id: Option<PartnerId>,
    active: bool,
    /// The token's session is a live sign-in of this account: not ended (signed out, a refresh
    /// token reused, the password changed), not expired, and not another account's or made up.
    live: bool,
}

impl<P: Policy> Auth<P> {
    /// The account as stored now: 401 when it is gone, deactivated or its role changed since the
    /// token was issued; 403 when its role may not do this. Call it first, before anything of the
    /// request is acted on (its body included), so that a caller who may not do this learns
    /// nothing more.
    ///
    /// The token's session is read in the same statement: it must be a sign-in of this very
    /// account that is still live (a refresh token of its family neither revoked nor expired).
    /// A signature alone is not enough: a token naming a made-up session, or another account's,
    /// is refused like one whose session ended by signing out, a reused refresh token or a new
    /// password.
    pub fn check(&self, conn: &mut DbConnection) -> ApiResult<Signed> {
        use crate::schema::{refresh_tokens, users};
        let live = diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::family.eq(self.session.clone()))
                .filter(refresh_tokens::user_id.eq(self.user))
                .filter(refresh_tokens::revoked_at.is_null())
                .filter(refresh_tokens::expires_at.gt(crate::clock::now())),
        );
        let account: Option<Account> = users::table
            .find(self.user)
            .select((users::email, users::role, users::partner_id, users::active, live))
            .lookup(conn)?;
        let account = match account {
            Some(account) if !account.live => {
                return Err(ApiError::Unauthorized(
                    "the access token's sign-in is not a live sign-in of this account (signed out, the password \
                     changed, or never made); sign in again"
                        .to_owned(),
                ));
            }
            Some(account) if account.active && account.role == self.role => account,
            Some(account) if !account.active => {
                return Err(ApiError::Unauthorized("this account is deactivated".to_owned()));
            }
            Some(_) => {
                return Err(ApiError::Unauthorized(
                    "this account's role changed; sign in again".to_owned(),
                ));
            }
            None => return Err(ApiError::Unauthorized("the access token names no account".to_owned())),
        };
        if !P::ROLES.contains(&account.role) {
            let allowed: Vec<&str> = P::ROLES.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::Forbidden(format!(
                "the {} role may not do this; it needs one of: {}",
                account.role,
                allowed.join(", ")
            )));
        }
        let caller = Caller::of(self.user, account.role, account.partner_id).ok_or_else(|| {
            ApiError::Forbidden(
                "this liaison account names no partner, so it may see nothing; an admin gives it one".to_owned(),
            )
        })?;
        Ok(Signed {
            caller,
            actor: crate::effects::actor(account.email, self.request_id.clone()),
        })
    }
}

fn bearer_token(req: &HttpRequest) -> ApiResult<&str> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("sign in first: send `Authorization: Bearer <access token>`".to_owned())
    })?;
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <access token>`".to_owned(),
        )),
    }
}

impl<P: Policy + 'static> FromRequest for Auth<P> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = || -> ApiResult<Auth<P>> {
            let state = req
                .app_data::<web::Data<AuthState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("auth state is not configured")))?;
            let claims = state.keys.verify(bearer_token(req)?)?;
            let user = claims
                .sub
                .parse::<i64>()
                .map(UserId)
                .map_err(|_| ApiError::Unauthorized("the access token names no account".to_owned()))?;
            Ok(Auth {
                user,
                role: claims.role,
                session: claims.sid,
                request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
                _policy: PhantomData,
            })
        };
        ready(verified().map_err(Into::into))
    }
}
