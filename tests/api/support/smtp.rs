//! A real SMTP server for the mail tests: `tests/smtp/server.py` (Debian's python3-aiosmtpd), started
//! by each test that needs one, on a free port of 127.0.0.1, keeping what it receives in a
//! temporary folder.
//!
//! ```ignore
//! let Some(smtp) = SmtpServer::start() else { return };
//! // ... configure the app with smtp.url() (`smtp://127.0.0.1:PORT?tls=none`) and make it send ...
//! let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
//! assert_eq!(mail[0].rcpt_to, "trainee@example.org");
//! assert_eq!(mail[0].subject_decoded().as_deref(), Some("Thư mời"));
//! ```
//!
//! - What the server does with addresses: a local part starting with `refuse` is answered `550 5.1.1
//!   mailbox unavailable`, one starting with `busy` `451 4.3.0 try again later` (always; `busy2-...`
//!   only twice, then accepted). Everything else is accepted.
//! - A message is kept once per accepted recipient ([`Received::rcpt_to`]), so a message to two
//!   recipients counts twice in [`SmtpServer::received`] and [`SmtpServer::wait_for`]; the order is
//!   the order of arrival.
//! - The server stops when its [`SmtpServer`] drops, and with the test binary however that ends (it
//!   stops when its standard input, a pipe from this process, closes).
//! - Without python3 and aiosmtpd the mail tests are skipped, said plainly, as PostgreSQL and the
//!   browser are; `TPMS_TEST_REQUIRE_SMTP=1` (set by `.ci/run`) makes that a failure. The Python
//!   taken is `TPMS_PYTHON` when set, else the first of `python3` on PATH and `/usr/bin/python3`
//!   that has aiosmtpd (Debian's package installs for `/usr/bin/python3`, which a pyenv or venv
//!   `python3` on PATH does not see).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mail_parser::{Message, MessageParser, MimeHeaders as _, PartType};

use super::say;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/server.py");

const INSTALL: &str = "install aiosmtpd (Debian: `apt-get install python3-aiosmtpd python3-icalendar`), or run \
                       `.ci/run`, which does; `TPMS_PYTHON` names a Python that has it";

/// How long the server may take to say it listens.
const START_WAIT: Duration = Duration::from_secs(20);

/// The first Python that can import every one of `modules`: `TPMS_PYTHON` alone when it is set,
/// else `python3` (on PATH), then `/usr/bin/python3`. `Err` says what each candidate lacked.
pub fn python_with(modules: &[&str]) -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os("TPMS_PYTHON").filter(|p| !p.is_empty()) {
        Some(python) => vec![PathBuf::from(python)],
        None => vec![PathBuf::from("python3"), PathBuf::from("/usr/bin/python3")],
    };
    let import = format!("import {}", modules.join(", "));
    let mut failures = Vec::new();
    for python in candidates {
        match Command::new(&python)
            .arg("-c")
            .arg(&import)
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => return Ok(python),
            Ok(out) => {
                let error = String::from_utf8_lossy(&out.stderr);
                let last = error.lines().last().unwrap_or("failed").trim().to_owned();
                failures.push(format!("{}: {last}", python.display()));
            }
            Err(e) => failures.push(format!("{}: {e}", python.display())),
        }
    }
    Err(format!("no Python could `{import}` ({})", failures.join("; ")))
}

/// The Python that runs the server, found once per run; `None` (said loudly) when there is none
/// and `TPMS_TEST_REQUIRE_SMTP` is not `1`.
fn server_python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| match python_with(&["aiosmtpd"]) {
            Ok(python) => Some(python),
            Err(why) => {
                if std::env::var("TPMS_TEST_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
                    panic!("TPMS_TEST_REQUIRE_SMTP=1 but the mail tests cannot run ({why}): {INSTALL}.");
                }
                say(&format!(
                    "NOTE: the MAIL TESTS were SKIPPED and passed without running: they need an SMTP server ({why}). \
                     To run them, {INSTALL}."
                ));
                None
            }
        })
        .as_deref()
}

/// `tests/smtp/server.py`, running; ended (and waited for) when dropped.
pub struct SmtpServer {
    port: u16,
    python: &'static Path,
    /// Holds `mail/` (the messages) and `server.log` (the server's stderr).
    folder: tempfile::TempDir,
    /// `None` after [`SmtpServer::kill`].
    child: Option<Child>,
}

impl SmtpServer {
    /// A new server on a free port with an empty folder; `None` (said once, loudly) when python3
    /// with aiosmtpd is not installed and `TPMS_TEST_REQUIRE_SMTP` is not `1`. Panics when the
    /// server is there but does not start.
    pub fn start() -> Option<SmtpServer> {
        let python = server_python()?;
        let folder = tempfile::Builder::new()
            .prefix("tpms-smtp-")
            .tempdir()
            .expect("a folder for the mail");
        let (child, port) = spawn(python, 0, folder.path()).unwrap_or_else(|why| panic!("{why}"));
        Some(SmtpServer {
            port,
            python,
            folder,
            child: Some(child),
        })
    }

    /// What the service is configured with: `smtp://127.0.0.1:PORT?tls=none`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder the server writes to: `00000001.eml` and `00000001.json` per received message and
    /// recipient (see `tests/smtp/server.py`).
    pub fn dir(&self) -> PathBuf {
        self.folder.path().join("mail")
    }

    /// Every message received so far, once per accepted recipient, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        let dir = self.dir();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| {
                entry
                    .expect("a folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            // The server writes under a name starting with "." and renames, the .json last.
            .filter(|name| !name.starts_with('.') && name.ends_with(".json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let json = dir.join(name);
                let eml = json.with_extension("eml");
                let envelope = std::fs::read(&json).unwrap_or_else(|e| panic!("reading {}: {e}", json.display()));
                let envelope: Envelope = serde_json::from_slice(&envelope)
                    .unwrap_or_else(|e| panic!("{} is not the server's envelope: {e}", json.display()));
                Received {
                    seq: envelope.seq,
                    message: envelope.message,
                    mail_from: envelope.mail_from,
                    rcpt_to: envelope.rcpt_to,
                    rcpt_tos: envelope.rcpt_tos,
                    received_at: envelope.received_at,
                    raw: std::fs::read(&eml).unwrap_or_else(|e| panic!("reading {}: {e}", eml.display())),
                }
            })
            .collect()
    }

    /// [`SmtpServer::received`] once it holds at least `count` messages, or when `timeout` has
    /// passed, whatever it holds then (the caller asserts on the count).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() >= deadline {
                return received;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stop the server at once (SIGKILL), as a mail server that goes down: connections to its port
    /// are refused until [`SmtpServer::restart`]. What it received stays readable.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start the server again, on the same port and folder (stopping it first if it runs); it
    /// numbers on from the messages already there.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_WAIT;
        loop {
            match spawn(self.python, self.port, self.folder.path()) {
                Ok((child, _)) => {
                    self.child = Some(child);
                    return;
                }
                // The port may not be free again yet.
                Err(why) if Instant::now() >= deadline => panic!("restarting the SMTP server: {why}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The server's stderr so far (aiosmtpd's warnings, a Python traceback).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Start `tests/smtp/server.py` on `port` (0: a free one), writing into `folder`/mail, and wait for
/// its `listening 127.0.0.1:PORT`.
fn spawn(python: &Path, port: u16, folder: &Path) -> Result<(Child, u16), String> {
    let log_path = folder.join("server.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    let mut child = Command::new(python)
        .arg(SCRIPT)
        .arg("--port")
        .arg(port.to_string())
        .arg("--dir")
        .arg(folder.join("mail"))
        .arg("--stop-on-eof")
        // Held open by `child` until it is dropped or this process ends: then the server stops.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {} {SCRIPT}: {e}", python.display()))?;
    let stdout = child.stdout.take().expect("the server's stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = tx.send(BufReader::new(stdout).read_line(&mut line).map(|_| line));
    });
    let line = rx.recv_timeout(START_WAIT);
    let listening = match &line {
        Ok(Ok(line)) => line
            .trim()
            .strip_prefix("listening 127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok()),
        _ => None,
    };
    match listening {
        Some(port) => Ok((child, port)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            Err(format!(
                "the SMTP server ({} {SCRIPT} --port {port}) did not say it listens within {START_WAIT:?} \
                 (its first line: {line:?}); its log:\n{log}",
                python.display()
            ))
        }
    }
}

/// The `.json` beside each message.
#[derive(serde::Deserialize)]
struct Envelope {
    seq: u64,
    message: u64,
    mail_from: String,
    rcpt_to: String,
    rcpt_tos: Vec<String>,
    received_at: String,
}

/// One received message, for one of its recipients.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its number on the server, from 1, in the order of arrival (one per recipient).
    pub seq: u64,
    /// The SMTP transaction's number: the same for each recipient of one message.
    pub message: u64,
    /// The envelope's sender (MAIL FROM).
    pub mail_from: String,
    /// The envelope recipient (RCPT TO) this copy is for.
    pub rcpt_to: String,
    /// Every recipient the server accepted in the transaction.
    pub rcpt_tos: Vec<String>,
    /// When the server had the whole message, UTC (RFC 3339).
    pub received_at: String,
    /// The message exactly as sent after DATA (dot-unstuffed, CRLF line ends).
    pub raw: Vec<u8>,
}

impl Received {
    /// The message parsed (mail-parser): headers decoded, MIME parts split and transfer-decoded.
    pub fn parsed(&self) -> Message<'_> {
        MessageParser::default().parse(&self.raw[..]).unwrap_or_else(|| {
            panic!(
                "message {} does not parse:\n{}",
                self.seq,
                String::from_utf8_lossy(&self.raw)
            )
        })
    }

    /// The first header named `name` (any case), as it is in the message: not decoded, folding
    /// kept, without the leading space and the closing CRLF.
    pub fn header(&self, name: &str) -> Option<String> {
        let message = self.parsed();
        let header = message
            .root_part()
            .headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))?;
        let raw = self
            .raw
            .get(header.offset_start() as usize..header.offset_end() as usize)?;
        Some(String::from_utf8_lossy(raw).trim().to_owned())
    }

    /// The Message-ID, without its angle brackets.
    pub fn message_id(&self) -> Option<String> {
        self.parsed().message_id().map(str::to_owned)
    }

    /// The addresses of the To header (not the envelope's: see [`Received::rcpt_to`]).
    pub fn to(&self) -> Vec<String> {
        let message = self.parsed();
        message
            .to()
            .map(|to| to.iter().filter_map(|a| a.address()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The Subject, its RFC 2047 encoded words decoded.
    pub fn subject_decoded(&self) -> Option<String> {
        self.parsed().subject().map(str::to_owned)
    }

    /// The first text/plain body part, transfer-decoded, in UTF-8.
    pub fn text_body(&self) -> Option<String> {
        let message = self.parsed();
        match &message.text_part(0)?.body {
            PartType::Text(text) => Some(text.to_string()),
            _ => None,
        }
    }

    /// The first text/html body part, transfer-decoded, in UTF-8; `None` when the message has none
    /// (not the text made into HTML).
    pub fn html_body(&self) -> Option<String> {
        let message = self.parsed();
        match &message.html_part(0)?.body {
            PartType::Html(html) => Some(html.to_string()),
            _ => None,
        }
    }

    /// The contents (transfer-decoded) of the first part, body or attachment, whose content type
    /// (`type/subtype`, any case) starts with `content_type_prefix`: `attachment("text/calendar")`.
    pub fn attachment(&self, content_type_prefix: &str) -> Option<Vec<u8>> {
        let prefix = content_type_prefix.to_ascii_lowercase();
        let message = self.parsed();
        message
            .parts
            .iter()
            .filter(|part| !part.is_multipart())
            .find(|part| {
                part.content_type().is_some_and(|ct| {
                    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
                        .to_ascii_lowercase()
                        .starts_with(&prefix)
                })
            })
            .map(|part| part.contents().to_vec())
    }
}
