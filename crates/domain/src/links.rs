//! Personal links, for people without accounts: a trainee's questionnaire
//! (`/api/v1/responses/{token}`), action plan (`/api/v1/plan-links/{token}`), follow-up report
//! (`/api/v1/checkpoint-links/{token}`) and calendar feed (`/api/v1/calendar-feeds/{token}`), and
//! a trainee's supervisor's confirmation at a checkpoint (`/api/v1/supervisor-links/{token}`).
//! Below every feature that hands one out.
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
use crate::schema::{app_secrets, replaced_links};

const KEY_NAME: &str = "invitation_link_key";

const PUBLIC_URL_NAME: &str = "public_url";

/// The key links are made with, generated on first use and shared by every app server on the
/// database, with the public address their pages are reached at (`TPMS_PUBLIC_URL`, which each
/// app server records at start, [`set_public_url`]).
pub struct LinkKey {
    key: Vec<u8>,
    public_url: Option<String>,
}

impl LinkKey {
    /// The stored key, or a new one.
    pub fn load(conn: &mut DbConnection) -> ApiResult<LinkKey> {
        let stored = |conn: &mut DbConnection| {
            app_secrets::table
                .filter(app_secrets::name.eq(KEY_NAME))
                .select(app_secrets::value)
                .lookup::<String>(conn)
        };
        let public_url: Option<String> = app_secrets::table
            .filter(app_secrets::name.eq(PUBLIC_URL_NAME))
            .select(app_secrets::value)
            .lookup(conn)?;
        if let Some(key) = stored(conn)? {
            return Ok(LinkKey {
                key: key.into_bytes(),
                public_url,
            });
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
        Ok(LinkKey {
            key: key.into_bytes(),
            public_url,
        })
    }

    /// The address of the page a link's API path (`/api/v1/responses/{token}`) opens in a
    /// browser: the public URL and a short path (`/r/{token}`, 46 characters) that fits an SMS.
    pub fn page_url(&self, api_path: &str) -> Option<String> {
        let public = self.public_url.as_deref()?;
        let rest = api_path.strip_prefix("/api/v1/")?;
        let (kind, token) = rest.split_once('/')?;
        let letter = PAGES.iter().find(|(k, _)| *k == kind).map(|(_, letter)| *letter)?;
        Some(format!("{public}/{letter}/{token}"))
    }

    /// Where a link's API path (`/api/v1/responses/{token}`) is opened: its page
    /// ([`LinkKey::page_url`]), or the path itself when no public address was recorded (a
    /// command run apart from the server).
    pub fn page_or_path(&self, api_path: &str) -> String {
        self.page_url(api_path).unwrap_or_else(|| api_path.to_owned())
    }

    /// Where anyone checks a certificate, under the recorded public address ([`verify_url`]).
    pub fn verify_url(&self, number: &str, code: &str) -> String {
        verify_url(self.public_url.as_deref().unwrap_or_default(), number, code)
    }

    /// The public address recorded by the app servers (`TPMS_PUBLIC_URL`), if any.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The domain that ends the `Message-ID` of every mail: the public address's host.
    pub fn mail_domain(&self) -> String {
        self.public_url
            .as_deref()
            .and_then(host_of)
            .unwrap_or_else(|| "tpms.invalid".to_owned())
    }

    /// The address a calendar app subscribes to for a calendar feed's token: the public URL and
    /// `/f/{token}.ics` (the short path of [`PAGES`], with the extension some calendar apps look
    /// for).
    pub fn feed_url(&self, token: &str) -> Option<String> {
        self.page_url(&path_of("calendar-feeds", token))
            .map(|url| format!("{url}.ics"))
    }

    /// The token of an invitation.
    pub fn token(&self, round: RoundId, enrollment: EnrollmentId, nonce: &str) -> ApiResult<String> {
        self.token_of(&format!("tpms-invitation/{round}/{enrollment}/{nonce}"))
    }

    /// The token of any link: the HMAC of a message that names what the link is for (its kind,
    /// its record, its nonce), so that no two links share a token.
    pub fn token_of(&self, message: &str) -> ApiResult<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(ApiError::internal)?;
        mac.update(message.as_bytes());
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// Where anyone checks a certificate: `/verify` under the public address `public`, with the
/// number and code filled in; the address its QR code opens and its mail gives.
pub fn verify_url(public: &str, number: &str, code: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("number", number)
        .append_pair("code", code)
        .finish();
    format!("{public}/verify?{query}")
}

/// The host of a public address (`https://tpms.example.gov.vn` gives `tpms.example.gov.vn`), which
/// ends every mail's `Message-ID` and every calendar event's `UID`.
pub fn host_of(public_url: &str) -> Option<String> {
    url::Url::parse(public_url).ok()?.host_str().map(str::to_owned)
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

/// The path of a link of a kind (one of [`PAGES`]).
pub fn path_of(kind: &str, token: &str) -> String {
    format!("/api/v1/{kind}/{token}")
}

/// Each kind of personal link, as its API path names it, with the letter of its page's path (a
/// calendar feed's "page" is the calendar file itself, `/f/{token}.ics`).
pub const PAGES: [(&str, &str); 5] = [
    ("responses", "r"),
    ("plan-links", "p"),
    ("checkpoint-links", "c"),
    ("supervisor-links", "s"),
    ("calendar-feeds", "f"),
];

/// Record the address the service is reached at, so that every app server on the database
/// makes the same page addresses (each records its `TPMS_PUBLIC_URL` at start).
pub fn set_public_url(conn: &mut DbConnection, url: &str) -> ApiResult<()> {
    conn.transaction(|conn| {
        diesel::delete(app_secrets::table.filter(app_secrets::name.eq(PUBLIC_URL_NAME))).execute(conn)?;
        diesel::insert_into(app_secrets::table)
            .values((
                app_secrets::name.eq(PUBLIC_URL_NAME),
                app_secrets::value.eq(url),
                app_secrets::created_at.eq(crate::clock::now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Whether `text` is a personal link (a path [`path_of`] makes, or a page's address
/// [`LinkKey::page_url`] makes): what the audit trail must never hold, since whoever holds one
/// can act as the trainee it was sent to.
pub fn is_link(text: &str) -> bool {
    let api = PAGES.iter().any(|(kind, _)| {
        text.strip_prefix("/api/v1/")
            .and_then(|rest| rest.strip_prefix(kind))
            .is_some_and(|rest| rest.starts_with('/'))
    });
    let page = || {
        let path = text
            .split_once("://")
            .map_or(text, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
        PAGES.iter().any(|(_, letter)| {
            path.strip_prefix('/')
                .and_then(|rest| rest.strip_prefix(letter))
                .and_then(|rest| rest.strip_prefix('/'))
                .map(|token| token.strip_suffix(".ics").unwrap_or(token))
                .is_some_and(|token| token.len() == 43)
        })
    };
    api || page()
}

/// Why a personal link no longer opens its form, as its page says it: a JSON answer says only
/// [`gone`], but a person holding the link needs to know what happened and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Its round stopped taking answers.
    Expired,
    /// A newer link for the same form was issued; that one works.
    Replaced,
    /// No link has this token (or it was cut short when copied).
    Unknown,
}

/// What a personal link opens now, for its page: the form, the record of what was sent through
/// it (which the link keeps showing instead of the form), or why it opens nothing.
#[derive(Debug)]
pub enum Opened<F, R> {
    /// The form to fill in.
    Form(F),
    /// What was recorded through it.
    Done(R),
    /// Why it no longer works.
    Closed(Closed),
}

/// Remember that the link with this hash was replaced by a newer one (called by the store of
/// each kind when its nonce changes), so that its page can say so.
pub fn replaced(conn: &mut DbConnection, old_hash: &str) -> ApiResult<()> {
    diesel::insert_into(replaced_links::table)
        .values((
            replaced_links::token_hash.eq(old_hash),
            replaced_links::replaced_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Why a token that opens no live link does not: replaced, or unknown.
pub fn closed(conn: &mut DbConnection, token: &str) -> ApiResult<Closed> {
    let found: Option<String> = replaced_links::table
        .find(hash(token))
        .select(replaced_links::token_hash)
        .lookup(conn)?;
    Ok(if found.is_some() {
        Closed::Replaced
    } else {
        Closed::Unknown
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_feeds_address_is_a_link_the_trail_never_keeps() {
        let key = LinkKey {
            key: b"a test key".to_vec(),
            public_url: Some("https://tpms.example.gov.vn".to_owned()),
        };
        let token = key.token_of("tpms-calendar/7/nonce").expect("a token");
        let url = key.feed_url(&token).expect("an address");
        assert_eq!(url, format!("https://tpms.example.gov.vn/f/{token}.ics"));
        assert!(is_link(&url), "{url}");
        assert!(is_link(&path_of("calendar-feeds", &token)));
        assert!(!is_link("https://tpms.example.gov.vn/f/short.ics"));
        let unaddressed = LinkKey {
            key: b"a test key".to_vec(),
            public_url: None,
        };
        assert_eq!(unaddressed.feed_url(&token), None);
    }
}
