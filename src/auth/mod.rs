//! Who is calling, and whether their role may do what they ask.
//!
//! Each handler names the roles it admits in its signature, `auth: Auth<Staff>`, and documents the
//! same roles as the scopes of its OpenAPI security requirement; a test checks, for every
//! operation in the document, that anonymous callers get 401 and every other role 403, so an
//! operation that names no roles is caught. The account is read on every request: a deactivated
//! account, or one whose role changed, is refused at its next request.

pub mod bootstrap;
pub mod handlers;
pub mod passwords;
pub mod rate_limit;
pub mod tokens;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::access::Caller;
use crate::audit::Actor;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::request_id::RequestId;
use crate::ids::UserId;
use crate::resource::Record;
use crate::users::{Role, User};

/// Everything sign-in needs, built once at start-up and shared by all workers.
#[derive(Clone)]
pub struct AuthState {
    /// Token keys.
    pub keys: tokens::JwtKeys,
    /// The bounded password hasher.
    pub passwords: passwords::Passwords,
    /// Failed sign-ins before an account is locked.
    pub lockout_after: i32,
    /// How long a locked account stays locked.
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
    /// Any signed-in account (its own profile and password).
    SignedIn = [Admin, Officer, Reporter, Liaison]
);

/// A request authorised for the roles of `P`.
#[derive(Debug)]
pub struct Auth<P> {
    /// Who is calling.
    pub caller: Caller,
    /// The same caller, as audit events name it.
    pub actor: Actor,
    _policy: PhantomData<P>,
}

fn bearer_token(req: &HttpRequest) -> ApiResult<String> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("sign in first: send `Authorization: Bearer <access token>`".to_owned())
    })?;
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <access token>`".to_owned(),
        )),
    }
}

impl<P: Policy + 'static> FromRequest for Auth<P> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AuthState>>().cloned();
        let db = req.app_data::<web::Data<Db>>().cloned();
        let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
        Box::pin(async move {
            let (Some(state), Some(db)) = (state, db) else {
                return Err(ApiError::internal(anyhow::anyhow!("auth state is not configured")).into());
            };
            let claims = state.keys.verify(&token?)?;
            let id = claims
                .sub
                .parse::<i64>()
                .map(UserId)
                .map_err(|_| ApiError::Unauthorized("the access token names no account".to_owned()))?;
            let user = db
                .run(move |conn| match User::find(conn, id) {
                    Err(ApiError::NotFound(_)) => Ok(None),
                    other => other.map(Some),
                })
                .await?;
            let user = match user {
                Some(user) if user.active && user.role == claims.role => user,
                Some(user) if !user.active => {
                    return Err(ApiError::Unauthorized("this account is deactivated".to_owned()).into());
                }
                Some(_) => {
                    return Err(ApiError::Unauthorized("this account's role changed; sign in again".to_owned()).into());
                }
                None => return Err(ApiError::Unauthorized("the access token names no account".to_owned()).into()),
            };
            if !P::ROLES.contains(&user.role) {
                let allowed: Vec<&str> = P::ROLES.iter().map(|r| r.as_str()).collect();
                return Err(ApiError::Forbidden(format!(
                    "the {} role may not do this; it needs one of: {}",
                    user.role,
                    allowed.join(", ")
                ))
                .into());
            }
            Ok(Auth {
                caller: Caller {
                    id: user.id,
                    role: user.role,
                    partner_id: user.partner_id,
                },
                actor: Actor {
                    name: user.email,
                    request_id,
                },
                _policy: PhantomData,
            })
        })
    }
}
