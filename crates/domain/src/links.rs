//! Personal links, for people without accounts: a trainee's questionnaire
//! (`/api/v1/responses/{token}`), action plan (`/api/v1/plan-links/{token}`) and follow-up report
//! (`/api/v1/checkpoint-links/{token}`), and a trainee's supervisor's confirmation at a checkpoint
//! (`/api/v1/supervisor-links/{token}`). Below every feature that hands one out.
//!
//! A token is 256 bits: the HMAC-SHA-256, under a key the service generates for itself, of what the
//! link opens (an invitation's round and enrolment, a plan's or a checkpoint's id) and a random nonce. The database keeps only the token's SHA-256
//! hash, which is what a request's token is looked up by; the service recomputes a pending link
//! when an officer lists the invitations to send them, and re-issuing a lost link draws a new
//! nonce, which ends the old one.

use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{EnrollmentId, RoundId};
use crate::schema::app_secrets;

const KEY_NAME: &str = "invitation_link_key";

/// The key links are made with, generated on first use and shared by every app server on the
/// database.
pub struct LinkKey(Vec<u8>);

impl LinkKey {
    /// The stored key, or a new one.
    pub fn load(conn: &mut DbConnection) -> ApiResult<LinkKey> {
        let stored = |conn: &mut DbConnection| {
            app_secrets::table
                .filter(app_secrets::name.eq(KEY_NAME))
                .select(app_secrets::value)
                .lookup::<String>(conn)
        };
        if let Some(key) = stored(conn)? {
            return Ok(LinkKey(key.into_bytes()));
        }
        let generated = crate::auth::tokens::random_token();
        let inserted = diesel::insert_into(app_secrets::table)
            .values((
                app_secrets::name.eq(KEY_NAME),
                app_secrets::value.eq(&generated),
                app_secrets::created_at.eq(crate::clock::now()),
            ))
            .execute(conn);
        match inserted {
            // Another app server stored one first: keep that one.
            Ok(_)
            | Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let key = stored(conn)?.ok_or_else(|| ApiError::internal(anyhow::anyhow!("the link key vanished")))?;
        Ok(LinkKey(key.into_bytes()))
    }

    /// The token of an invitation.
    pub fn token(&self, round: RoundId, enrollment: EnrollmentId, nonce: &str) -> ApiResult<String> {
        self.token_of(&format!("tpms-invitation/{round}/{enrollment}/{nonce}"))
    }

    /// The token of any link: the HMAC of a message that names what the link is for (its kind,
    /// its record, its nonce), so that no two links share a token.
    pub fn token_of(&self, message: &str) -> ApiResult<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).map_err(ApiError::internal)?;
        mac.update(message.as_bytes());
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// A new nonce.
pub fn nonce() -> String {
    crate::auth::tokens::random_token()
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    crate::auth::tokens::token_hash(token)
}

/// The path a trainee opens to answer a round.
pub fn path(token: &str) -> String {
    path_of("responses", token)
}

/// The path of a link of a kind (one of [`KINDS`]).
pub fn path_of(kind: &str, token: &str) -> String {
    format!("/api/v1/{kind}/{token}")
}

/// The kinds of personal link, as their paths name them: what the audit trail and the request
/// log must never hold in full.
pub const KINDS: [&str; 4] = ["responses", "plan-links", "checkpoint-links", "supervisor-links"];

/// Whether `text` is a personal link (a path [`path_of`] makes): what the audit trail must never
/// hold, since whoever holds one can act as the trainee it was sent to.
pub fn is_link(text: &str) -> bool {
    KINDS.iter().any(|kind| {
        text.strip_prefix("/api/v1/")
            .and_then(|rest| rest.strip_prefix(kind))
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// 404 for a link that no longer opens what it was made for: used, or replaced by a new one. It
/// never says which, nor whether it ever existed.
pub fn gone() -> ApiError {
    ApiError::NotFound("this link is not valid: it was already used or replaced".to_owned())
}

/// Why a link no longer opens anything, for a kind that keeps its spent links' hashes (a
/// supervisor's): what a page for people may tell them (asking the officer for a new link, or
/// not). The API's answer stays [`gone`] whatever the reason, as for every other link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// It was answered: it works once.
    Used,
    /// A newer link was issued in its place.
    Replaced,
    /// It was never issued (or was mistyped).
    Unknown,
}

impl From<Gone> for ApiError {
    fn from(_: Gone) -> ApiError {
        gone()
    }
}
