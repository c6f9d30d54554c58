//! The sender: delivers the outbox's queued messages (`mail::outbox`) through the transport
//! `TPMS_MAIL_URL` names, from every app server at once without sending a message twice.
//!
//! It runs as `TPMS_MAIL_SENDERS` tasks on the server's runtime, each of which claims a few due
//! messages for a lease (a committed write), sends them one by one (over its own SMTP connection,
//! `smtp`, kept open while there is mail to send; or to files on the blocking pool), and records
//! each result at once: `sent`, `queued` again after a growing wait on a temporary
//! failure (a 4xx answer, a connection that failed), or `failed` with the server's reason on a
//! permanent one (a 5xx answer: an address refused). Bodies are never logged: they hold
//! personal links.

mod render;
mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use lettre::Transport as _;

use crate::config::{MailConfig, MailUrl};
use crate::db::Db;
use crate::mail::outbox::{self, Claimed};

/// Messages a sender claims at once: few, so that a lease covers little and other senders (and
/// other app servers) share the work.
const BATCH: i64 = 10;

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server; each sender keeps a connection of its own to it.
    Smtp(Arc<smtp::Server>),
    /// A folder of `.eml` files.
    File(lettre::FileTransport, PathBuf),
}

/// Why a message was not delivered.
#[derive(Debug)]
pub struct Failure {
    /// Whether trying again cannot help (the server refused the address, or the message).
    pub permanent: bool,
    /// What went wrong, for an officer.
    pub reason: String,
}

impl Transport {
    /// The transport `config` names, or `None` for `off`.
    pub fn of(config: &MailConfig) -> anyhow::Result<Option<Transport>> {
        Ok(match &config.url {
            MailUrl::Off => None,
            MailUrl::File(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("TPMS_MAIL_URL: cannot make the folder {}: {e}", dir.display()))?;
                Some(Transport::File(lettre::FileTransport::new(dir), dir.clone()))
            }
            MailUrl::Smtp(url) => Some(Transport::Smtp(Arc::new(smtp::Server::from_url(&lettre_url(url)?)?))),
        })
    }
}

/// Where one sender sends: its own SMTP connection, or the folder.
enum Outlet {
    // Boxed: an open connection is large, and a sender has one outlet for its whole life.
    Smtp(Box<smtp::Connection>),
    File(lettre::FileTransport, PathBuf),
}

impl Outlet {
    fn of(transport: &Transport) -> Outlet {
        match transport {
            Transport::Smtp(server) => Outlet::Smtp(Box::new(smtp::Connection::new(server.clone()))),
            Transport::File(file, dir) => Outlet::File(file.clone(), dir.clone()),
        }
    }

    /// Send one message.
    async fn send(&mut self, message: lettre::Message) -> Result<(), Failure> {
        match self {
            Outlet::Smtp(connection) => connection.send(&message).await,
            Outlet::File(file, dir) => {
                let (file, dir) = (file.clone(), dir.clone());
                match actix_web::web::block(move || file.send(&message)).await {
                    Ok(written) => written.map(|_| ()).map_err(|e| Failure {
                        permanent: false,
                        reason: format!("cannot write to {}: {e}", dir.display()),
                    }),
                    Err(e) => Err(Failure {
                        permanent: false,
                        reason: format!("the writing thread failed: {e}"),
                    }),
                }
            }
        }
    }

    /// Nothing more to send for now: an SMTP server need not keep a connection open for a sender
    /// that may stay idle for hours.
    async fn idle(&mut self) {
        if let Outlet::Smtp(connection) = self {
            connection.close().await;
        }
    }
}

/// The URL lettre reads for `TPMS_MAIL_URL`. `smtp://` means STARTTLS required unless the URL
/// says otherwise: `?tls=none` (no encryption, for a server on this machine; lettre's own
/// default, which this service does not make the default) or `?tls=opportunistic`.
fn lettre_url(url: &str) -> anyhow::Result<String> {
    let mut parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("TPMS_MAIL_URL: {e}"))?;
    if parsed.scheme() != "smtp" {
        return Ok(url.to_owned());
    }
    let tls = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let others: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let tls = match tls.as_deref() {
        None => Some("required"),
        Some("none") => None,
        Some(other @ ("required" | "opportunistic")) => Some(other),
        Some(other) => anyhow::bail!("TPMS_MAIL_URL: tls={other} is not one of required, opportunistic or none"),
    };
    parsed.set_query(None);
    if tls.is_some() || !others.is_empty() {
        let mut query = parsed.query_pairs_mut();
        for (k, v) in &others {
            query.append_pair(k, v);
        }
        if let Some(tls) = tls {
            query.append_pair("tls", tls);
        }
    }
    Ok(parsed.into())
}

/// Start delivering: `config.senders` tasks on the current runtime, for as long as it runs.
/// Nothing starts for `TPMS_MAIL_URL=off`.
pub fn start(db: Db, config: &MailConfig) -> anyhow::Result<()> {
    let Some(transport) = Transport::of(config)? else {
        tracing::info!("mail: TPMS_MAIL_URL=off, messages stay queued");
        return Ok(());
    };
    let letterhead = Arc::new(render::Letterhead::of(config)?);
    tracing::info!(to = %config.url, senders = config.senders, "mail: delivering the outbox");
    for n in 0..config.senders {
        let sender = Sender {
            id: format!("sender-{}-{n}", uuid::Uuid::new_v4().simple()),
            db: db.clone(),
            outlet: Outlet::of(&transport),
            letterhead: letterhead.clone(),
            lease: TimeDelta::seconds(i64::from(config.lease_secs)),
            max_attempts: i32::from(config.max_attempts),
            idle: Duration::from_millis(u64::from(config.poll_millis)),
        };
        actix_web::rt::spawn(sender.run());
    }
    Ok(())
}

/// One of the tasks that deliver the outbox.
struct Sender {
    /// What its claims are recorded under.
    id: String,
    db: Db,
    outlet: Outlet,
    letterhead: Arc<render::Letterhead>,
    lease: TimeDelta,
    max_attempts: i32,
    idle: Duration,
}

impl Sender {
    async fn run(mut self) {
        loop {
            let (id, lease) = (self.id.clone(), self.lease);
            match self.db.write(move |conn| outbox::claim(conn, &id, lease, BATCH)).await {
                Ok(claimed) if claimed.is_empty() => {
                    self.outlet.idle().await;
                    actix_web::rt::time::sleep(self.idle).await;
                }
                Ok(claimed) => {
                    for message in claimed {
                        self.deliver(message).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "mail: could not read the outbox");
                    actix_web::rt::time::sleep(self.idle.max(Duration::from_secs(1))).await;
                }
            }
        }
    }

    /// Send one claimed message and record what became of it.
    async fn deliver(&mut self, message: Claimed) {
        let id = message.id;
        let attempts = message.attempts;
        let outcome = match self.letterhead.render(&message) {
            Ok(email) => self.outlet.send(email).await,
            Err(reason) => Err(Failure {
                permanent: true,
                reason,
            }),
        };
        let by = self.id.clone();
        let max_attempts = self.max_attempts;
        let recorded = match outcome {
            Ok(()) => self.db.write(move |conn| outbox::sent(conn, id, &by)).await,
            Err(failure) => {
                let retry_at = (!failure.permanent)
                    .then(|| outbox::next_attempt(crate::clock::now(), attempts, max_attempts))
                    .flatten();
                let reason = match (failure.permanent, retry_at) {
                    (false, None) => format!("gave up after {attempts} attempts: {}", failure.reason),
                    _ => failure.reason,
                };
                tracing::info!(message = %id, attempts, permanent = failure.permanent, %reason, "mail: not delivered");
                self.db
                    .write(move |conn| outbox::failed(conn, id, &by, &reason, retry_at))
                    .await
            }
        };
        if let Err(error) = recorded {
            // The lease runs out and the message is tried again: a copy at worst, never a loss.
            tracing::warn!(message = %id, %error, "mail: could not record a delivery's result");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lettre_url;

    #[test]
    fn smtp_means_starttls_unless_the_url_says_otherwise() {
        let read = |url: &str| lettre_url(url).unwrap_or_else(|e| e.to_string());
        assert_eq!(
            read("smtp://u:p@mail.example:587"),
            "smtp://u:p@mail.example:587?tls=required"
        );
        assert_eq!(read("smtp://127.0.0.1:2525?tls=none"), "smtp://127.0.0.1:2525");
        assert_eq!(
            read("smtp://mail.example?tls=opportunistic"),
            "smtp://mail.example?tls=opportunistic"
        );
        assert_eq!(read("smtps://u:p@mail.example:465"), "smtps://u:p@mail.example:465");
        assert!(read("smtp://mail.example?tls=maybe").contains("tls=maybe is not one of"));
    }
}
