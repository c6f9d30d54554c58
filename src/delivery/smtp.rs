//! SMTP over connections this service opens itself, one per sender task, kept open from one
//! message to the next.
//!
//! Why not lettre's own `SmtpTransport`: lettre 0.11 (0.11.23, the newest release) writes a
//! message's body and then its closing `\r\n.\r\n` as two writes on a socket with Nagle's
//! algorithm on, so the five closing bytes wait until the server acknowledges the body, which a
//! server with delayed ACKs does only after 40 ms: every message cost about 45 ms on one
//! connection, 22 messages a second. lettre's master sets `TCP_NODELAY` (lettre PR #1159), but
//! no release has it yet, and lettre's transports do not let a caller set it. lettre does take a
//! socket made by its caller (`AsyncSmtpConnection::connect_with_transport`), so this module
//! opens the TCP connection with `TCP_NODELAY` and leaves the rest (STARTTLS or TLS from the first
//! byte with lettre's own certificate checks, EHLO, AUTH, MAIL, RCPT, DATA) to lettre.
//! `TCP_NODELAY` costs nothing here: each write is a whole command or a whole message.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT};

use super::Failure;

/// How long connecting, or sending one message, may take before it counts as a temporary
/// failure (lettre's transport had the same 30 s for each read and write).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A connection idle for longer than this is checked with `NOOP` before it carries a message, as
/// lettre's pool checked every connection it handed out: the server may have closed it meanwhile.
/// Within a batch of claimed messages the check would only cost a round trip per message.
const CHECK_AFTER: Duration = Duration::from_secs(2);

/// How the connection is protected.
#[derive(Clone)]
enum Security {
    /// None: `smtp://…?tls=none`, for a server on this machine.
    Plain,
    /// STARTTLS when the server offers it: `?tls=opportunistic`.
    Opportunistic(TlsParameters),
    /// STARTTLS or nothing is sent: `smtp://` (this service's default).
    Required(TlsParameters),
    /// TLS from the first byte: `smtps://`.
    Wrapper(TlsParameters),
}

/// An SMTP server and how to reach it, read from `TPMS_MAIL_URL` the way lettre's `from_url`
/// reads it: the port (25 without TLS, 587 with STARTTLS, 465 for `smtps`), the name sent in
/// `EHLO` (the URL's path, else this machine's name), and the credentials (percent-decoded).
#[derive(Clone)]
pub struct Server {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl Server {
    /// The server `url` (as [`super::lettre_url`] writes it) names.
    pub fn from_url(url: &str) -> anyhow::Result<Server> {
        let url = url::Url::parse(url).map_err(|e| anyhow::anyhow!("TPMS_MAIL_URL: {e}"))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("TPMS_MAIL_URL names no host"))?
            // An IPv6 literal is written in brackets in a URL, and connected to without them.
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let parameters = || TlsParameters::new(host.clone()).map_err(|e| anyhow::anyhow!("TPMS_MAIL_URL: {e}"));
        let (security, port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, SMTP_PORT),
            ("smtp", Some("required")) => (Security::Required(parameters()?), SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic(parameters()?), SUBMISSION_PORT),
            ("smtps", _) => (Security::Wrapper(parameters()?), SUBMISSIONS_PORT),
            (scheme, tls) => anyhow::bail!("TPMS_MAIL_URL: {scheme}:// with tls={tls:?} is not an SMTP server"),
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| anyhow::anyhow!("TPMS_MAIL_URL: the credentials are not UTF-8: {e}"))
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        Ok(Server {
            port: url.port().unwrap_or(port),
            host,
            security,
            hello,
            credentials,
        })
    }

    /// A new connection, greeted, encrypted as the URL asks, and signed in.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
        let network = |e: std::io::Error| Failure {
            permanent: false,
            reason: format!("cannot connect to {}:{}: {e}", self.host, self.port),
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(network)?;
        // The reason for this module: see its documentation.
        tcp.set_nodelay(true).map_err(network)?;
        let mut conn = match &self.security {
            Security::Wrapper(tls) => {
                // lettre's own TLS (its certificate checks, its roots) over this socket: the
                // stream type is public but deprecated as "not meant to be public"; it is the one
                // way to have lettre encrypt a socket made here before the server's greeting.
                #[allow(deprecated)]
                let stream = {
                    let mut stream =
                        lettre::transport::smtp::client::AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                    stream.upgrade_tls(tls.clone()).await.map_err(refused)?;
                    stream
                };
                AsyncSmtpConnection::connect_with_transport(Box::new(Encrypted(stream)), &self.hello).await
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await,
        }
        .map_err(refused)?;
        match &self.security {
            Security::Required(tls) => conn.starttls(tls.clone(), &self.hello).await.map_err(refused)?,
            Security::Opportunistic(tls) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &self.hello).await.map_err(refused)?
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await.map_err(refused)?;
        }
        Ok(conn)
    }
}

/// What became of an exchange lettre reports failed: permanent for a refusal (5xx), temporary
/// for anything else (4xx, a connection or TLS failure).
fn refused(e: lettre::transport::smtp::Error) -> Failure {
    Failure {
        permanent: e.is_permanent(),
        reason: e.to_string(),
    }
}

/// A TLS stream lettre made (a `futures-io` stream), handed back to lettre as a stream of the
/// caller's (a tokio one).
#[allow(deprecated)]
#[derive(Debug)]
struct Encrypted(lettre::transport::smtp::client::AsyncNetworkStream);

#[allow(deprecated)]
impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl tokio::io::AsyncRead for Encrypted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let read = futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, buf.initialize_unfilled());
        if let Poll::Ready(Ok(n)) = read {
            buf.advance(n);
        }
        read.map_ok(|_| ())
    }
}

impl tokio::io::AsyncWrite for Encrypted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

/// One sender's connection to the server: opened at its first message, kept for the next, and
/// opened again after a failure broke it.
pub struct Connection {
    server: std::sync::Arc<Server>,
    open: Option<(AsyncSmtpConnection, Instant)>,
}

impl Connection {
    /// No connection yet to `server`.
    pub fn new(server: std::sync::Arc<Server>) -> Connection {
        Connection { server, open: None }
    }

    /// Send `message`: a failure is permanent for a refusal (5xx), temporary for anything else.
    pub async fn send(&mut self, message: &lettre::Message) -> Result<(), Failure> {
        let timed_out = |what: &str| Failure {
            permanent: false,
            reason: format!("{what} took longer than {} s", TIMEOUT.as_secs()),
        };
        let mut reused = None;
        if let Some((mut conn, used)) = self.open.take() {
            let alive = used.elapsed() < CHECK_AFTER
                || tokio::time::timeout(TIMEOUT, conn.test_connected())
                    .await
                    .unwrap_or(false);
            // A connection that failed its check is dropped: closing the socket is all it needs.
            if alive {
                reused = Some(conn);
            }
        }
        let mut conn = match reused {
            Some(conn) => conn,
            None => tokio::time::timeout(TIMEOUT, self.server.connect())
                .await
                .map_err(|_| timed_out("connecting to the mail server"))??,
        };
        // Dropped (the socket closed) when the time runs out: a half-sent message is never
        // completed on a connection used again.
        let sent = tokio::time::timeout(TIMEOUT, conn.send(message.envelope(), &message.formatted()))
            .await
            .map_err(|_| timed_out("sending the message"))?;
        // lettre closes the connection after any refusal; only a healthy one is kept.
        if !conn.has_broken() {
            self.open = Some((conn, Instant::now()));
        }
        sent.map(|_| ()).map_err(refused)
    }

    /// Say goodbye to the server, if connected (the outbox is empty for now).
    pub async fn close(&mut self) {
        if let Some((mut conn, _)) = self.open.take() {
            let _ = tokio::time::timeout(TIMEOUT, conn.quit()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Security, Server};

    #[test]
    fn the_url_names_the_port_the_protection_and_the_hello_name() {
        let read = |url: &str| Server::from_url(&super::super::lettre_url(url).unwrap_or_default());
        let plain = read("smtp://127.0.0.1:2525?tls=none").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((plain.host.as_str(), plain.port), ("127.0.0.1", 2525));
        assert!(matches!(plain.security, Security::Plain) && plain.credentials.is_none());
        let submission = read("smtp://u%40x:p%20q@mail.example/tpms.example").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(submission.port, 587);
        assert!(matches!(submission.security, Security::Required(_)));
        assert_eq!(submission.hello.to_string(), "tpms.example");
        assert!(submission.credentials.is_some());
        let opportunistic = read("smtp://mail.example?tls=opportunistic").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(opportunistic.security, Security::Opportunistic(_)));
        let wrapper = read("smtps://mail.example").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(wrapper.security, Security::Wrapper(_)) && wrapper.port == 465);
        let v6 = read("smtp://[::1]:2525?tls=none").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v6.host, "::1");
    }
}
