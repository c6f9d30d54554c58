//! Access tokens (JWT, HS256 pinned, 15 minutes) and refresh tokens (256 random bits, only their
//! SHA-256 kept, 30 days).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::Role;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::UserId;
use crate::schema::app_secrets;

/// Who issues tokens.
pub const ISSUER: &str = "tpms";
/// Who tokens are for.
pub const AUDIENCE: &str = "tpms-api";
/// How long an access token lives.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// How long a refresh token lives.
pub const REFRESH_TTL_DAYS: i64 = 30;
pub use crate::config::MIN_SECRET_BYTES;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: String,
    /// The account's role when the token was issued.
    pub role: Role,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not valid before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// The sign-in session the token belongs to (its refresh-token family): signing out, a
    /// reused refresh token or a new password ends the session, and the token with it.
    pub sid: String,
}

/// The signing and verifying keys, and the pinned validation rules.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    verified: Arc<Mutex<HashMap<String, Claims>>>,
}

/// Tokens remembered as verified: a client sends the same access token with every request for its
/// 15 minutes, and checking its signature again each time cost a tenth of a `GET`. Keyed by the
/// whole token, so a token changed in any byte is verified afresh; its expiry is still checked on
/// every use. Bounded: when full, it starts again empty.
const VERIFIED_TOKENS: usize = 10_000;

impl JwtKeys {
    /// Keys from a secret of at least [`MIN_SECRET_BYTES`].
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Arc::default(),
        }
    }

    /// The configured secret, or the one stored in the database, generated on first use so that
    /// every app server on one database signs alike.
    pub fn load(conn: &mut DbConnection, configured: Option<&str>) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            anyhow::ensure!(
                secret.len() >= MIN_SECRET_BYTES,
                "TPMS_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {})",
                secret.len()
            );
            return Ok(Self::from_secret(secret.as_bytes()));
        }
        let stored = |conn: &mut DbConnection| {
            app_secrets::table
                .filter(app_secrets::name.eq("jwt_signing_key"))
                .select(app_secrets::value)
                .lookup::<String>(conn)
        };
        if let Some(secret) = stored(conn)? {
            return Ok(Self::from_secret(secret.as_bytes()));
        }
        let generated = random_token();
        let inserted = diesel::insert_into(app_secrets::table)
            .values((
                app_secrets::name.eq("jwt_signing_key"),
                app_secrets::value.eq(&generated),
                app_secrets::created_at.eq(crate::clock::now()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => Ok(Self::from_secret(generated.as_bytes())),
            // Another app server stored one first: use that.
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                let secret = stored(conn)?.ok_or_else(|| anyhow::anyhow!("the stored signing key vanished"))?;
                Ok(Self::from_secret(secret.as_bytes()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A signed access token for an account, in the sign-in session `session`.
    pub fn issue(&self, user: UserId, role: Role, session: &str) -> ApiResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + ACCESS_TTL_SECS,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// The claims of a token that is well signed, current and for us; 401 otherwise.
    pub fn verify(&self, token: &str) -> ApiResult<Claims> {
        let now = Utc::now().timestamp();
        let remembered = self.remembered().get(token).cloned();
        if let Some(claims) = remembered {
            if claims.exp + self.validation.leeway as i64 > now {
                return Ok(claims);
            }
            self.remembered().remove(token);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| ApiError::Unauthorized(format!("the access token is not valid ({e}); sign in again")))?;
        let mut remembered = self.remembered();
        if remembered.len() >= VERIFIED_TOKENS {
            remembered.clear();
        }
        remembered.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<String, Claims>> {
        // A panic while holding the lock leaves only a map of verified tokens: still usable.
        self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// 256 random bits, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something to carry on from.
    #[expect(clippy::expect_used, reason = "no safe way to continue without randomness")]
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When a refresh token issued now expires.
pub fn refresh_expiry() -> chrono::NaiveDateTime {
    crate::clock::now() + Duration::days(REFRESH_TTL_DAYS)
}
