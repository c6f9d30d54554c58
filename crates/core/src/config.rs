//! Typed configuration, read from flags and the environment by clap and passed into the app.
//!
//! Every setting has a flag and an environment variable; `.env.example` documents them all.
//! A bad value stops start-up with one line that names the setting (see `cli`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// The shortest signing secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// Where the database lives. The backend is chosen from the URL scheme, never by trial:
/// a mistyped PostgreSQL URL is an error, not a stray SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to libpq as written.
    Postgres(String),
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, or a plain file path.
    Sqlite(PathBuf),
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return url::Url::parse(s)
                .map(|_| DatabaseUrl::Postgres(s.to_owned()))
                .map_err(|e| format!("not a valid PostgreSQL URL ({e})"));
        }
        let path = match s.strip_prefix("sqlite://") {
            Some(rest) => rest,
            None if s.contains(':') => {
                return Err("unknown scheme: use postgres://, postgresql://, sqlite:// or a file path".to_owned());
            }
            None => s,
        };
        if path.is_empty() || path.starts_with(":memory:") {
            return Err(
                "an SQLite database needs a file path (an in-memory database would be empty on every connection)"
                    .to_owned(),
            );
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// Passwords never reach a log line.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    f.write_str(url.as_str())
                }
                _ => f.write_str(raw),
            },
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings every subcommand that touches the database needs.
#[derive(Clone, Debug, clap::Args)]
pub struct DatabaseConfig {
    /// Database URL: sqlite://FILE, a file path, or postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        default_value = "sqlite://tpms.db",
        global = true
    )]
    pub database_url: DatabaseUrl,

    /// Database connections per app server.
    #[arg(long, env = "TPMS_DB_POOL_SIZE", value_name = "TPMS_DB_POOL_SIZE", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=512), global = true)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a free database connection before it is answered 503 with
    /// `Retry-After`.
    #[arg(long, env = "TPMS_DB_WAIT_SECS", value_name = "TPMS_DB_WAIT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300), global = true)]
    pub db_wait_secs: u64,

    /// PostgreSQL: seconds one statement may run before the server cancels it, so that no
    /// request holds a connection for longer (SQLite's statements are bounded by design).
    #[arg(long, env = "TPMS_STATEMENT_TIMEOUT_SECS", value_name = "TPMS_STATEMENT_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub statement_timeout_secs: u64,
}

/// Logging settings.
#[derive(Clone, Debug, clap::Args)]
pub struct LogConfig {
    /// Log filter in tracing's EnvFilter syntax, e.g. `info` or `info,tpms=debug`.
    #[arg(
        long,
        env = "TPMS_LOG",
        value_name = "TPMS_LOG",
        default_value = "info",
        global = true
    )]
    pub log: String,

    /// Log line format.
    #[arg(long, env = "TPMS_LOG_FORMAT", value_name = "TPMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Initial data (`tpms serve`).
#[derive(Clone, Debug, clap::Args)]
pub struct SeedConfig {
    /// Load the seed data (the real programmes, partners, cohorts and sessions) when a database
    /// that was never seeded starts; `false` starts empty.
    #[arg(long, env = "TPMS_SEED_ON_START", value_name = "TPMS_SEED_ON_START", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub seed_on_start: bool,
}

/// Settings of the HTTP server (`tpms serve`).
#[derive(Clone, Debug, clap::Args)]
pub struct HttpConfig {
    /// Address and port to listen on.
    #[arg(long, env = "TPMS_BIND", value_name = "TPMS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "TPMS_MAX_BODY_BYTES", value_name = "TPMS_MAX_BODY_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1024..=1_073_741_824))]
    pub max_body_bytes: u64,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "TPMS_WORKERS", value_name = "TPMS_WORKERS",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,

    /// Threads per HTTP worker that run database calls (default: 2 on SQLite; on PostgreSQL the
    /// pool's connections shared among the workers). On SQLite few keep a loaded server from
    /// switching between threads (each switch costs more than a simple query); a PostgreSQL call
    /// mostly waits on the network, so there as many run at once as there are connections.
    /// Bounded, so that memory stays flat however many requests arrive.
    #[arg(long, env = "TPMS_DB_THREADS", value_name = "TPMS_DB_THREADS",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub db_threads: Option<u16>,

    /// Seconds a client has to send a request's line and headers; a slower one is answered 408
    /// and its connection closed, so that half-sent requests cannot hold connections.
    #[arg(long, env = "TPMS_HEADER_TIMEOUT_SECS", value_name = "TPMS_HEADER_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body, from when the service starts reading it; a
    /// slower one is answered 408 `body_timeout` and its connection closed. An import of the
    /// largest file over a slow line needs well under the default.
    #[arg(long, env = "TPMS_BODY_TIMEOUT_SECS", value_name = "TPMS_BODY_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,

    /// Most connections open at once, over all workers; more wait for one to close. Kept below
    /// the process's open-files limit (raised at start where the system allows), so that the
    /// database and the log always have files to open.
    #[arg(long, env = "TPMS_MAX_CONNECTIONS", value_name = "TPMS_MAX_CONNECTIONS", default_value_t = 4_096,
          value_parser = clap::value_parser!(u32).range(16..=1_000_000))]
    pub max_connections: u32,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(long, env = "TPMS_SHUTDOWN_TIMEOUT_SECS", value_name = "TPMS_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_secs: u64,
}

impl HttpConfig {
    /// The body limit as a `usize` for actix (saturating on 32-bit targets).
    pub fn body_limit(&self) -> usize {
        usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX)
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

fn jwt_secret(s: &str) -> Result<Secret, String> {
    if s.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "must be at least {} bytes (it has {}); leave it unset to have one generated and stored in the database",
            MIN_SECRET_BYTES,
            s.len()
        ));
    }
    Ok(Secret(s.to_owned()))
}

/// Sign-in settings of `tpms serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct AuthConfig {
    /// Secret for signing access tokens, at least 32 bytes. Unset: one is generated once and kept
    /// in the database, so restarts and every app server on it agree.
    #[arg(long, env = "TPMS_JWT_SECRET", value_name = "TPMS_JWT_SECRET", value_parser = jwt_secret, hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Email of the first admin, created at start when the database has no account.
    #[arg(long, env = "TPMS_ADMIN_EMAIL", value_name = "TPMS_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of that first admin (with TPMS_ADMIN_EMAIL).
    #[arg(
        long,
        env = "TPMS_ADMIN_PASSWORD",
        value_name = "TPMS_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<Secret>,

    /// Sign-in attempts a minute allowed from one client address.
    #[arg(long, env = "TPMS_LOGIN_ATTEMPTS_PER_MINUTE", value_name = "TPMS_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub login_attempts_per_minute: u32,

    /// Password hashes allowed to run at once (each holds ~19 MiB).
    #[arg(long, env = "TPMS_MAX_CONCURRENT_HASHES", value_name = "TPMS_MAX_CONCURRENT_HASHES", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_concurrent_hashes: u16,

    /// The longest wait, in seconds, of an email at one address after failed sign-ins: after 5
    /// failures in a row it must wait 30 s, doubled at each further failure up to this.
    #[arg(long, env = "TPMS_LOCKOUT_SECS", value_name = "TPMS_LOCKOUT_SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub lockout_secs: u64,
}

/// Evaluation settings of `tpms serve`.
#[derive(Clone, Debug, clap::Args)]
pub struct EvaluationConfig {
    /// The fewest answers an anonymous round's results show figures for; with fewer, nobody
    /// could be sure who said what, so its figures are withheld.
    #[arg(long, env = "TPMS_MIN_ANONYMOUS_GROUP", value_name = "TPMS_MIN_ANONYMOUS_GROUP", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(2..=1000))]
    pub min_anonymous_group: u16,

    /// Requests a minute allowed from one client address to trainees' links and to certificate
    /// verification, which answer without signing in. High enough for a class answering together
    /// behind one office's address; one link is held to `link_requests_per_minute` besides.
    #[arg(long, env = "TPMS_PUBLIC_REQUESTS_PER_MINUTE", value_name = "TPMS_PUBLIC_REQUESTS_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub public_requests_per_minute: u32,

    /// Requests a minute allowed to one personal link (or one certificate number's verification),
    /// from any address: one trainee opening, correcting and sending their form needs a few.
    #[arg(long, env = "TPMS_LINK_REQUESTS_PER_MINUTE", value_name = "TPMS_LINK_REQUESTS_PER_MINUTE", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub link_requests_per_minute: u32,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            min_anonymous_group: 5,
            public_requests_per_minute: 600,
            link_requests_per_minute: 30,
        }
    }
}

/// The address the service is reached at from outside, with no path, query or fragment
/// (`https://tpms.example.gov.vn`): every personal link's `page_url` starts with it, so that a
/// link mailed or sent by SMS opens the page behind whatever proxy serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The origin, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("not an absolute URL ({e}): write it like https://tpms.example.gov.vn"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must start with https:// (or http:// on a test machine)".to_owned());
        }
        if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
            return Err(
                "must be an origin only, with no path, query or fragment: https://tpms.example.gov.vn".to_owned(),
            );
        }
        Ok(PublicUrl(url.as_str().trim_end_matches('/').to_owned()))
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Settings of the pages people without accounts open (trainees' and supervisors' links,
/// certificate verification).
#[derive(Clone, Debug, clap::Args)]
pub struct PagesConfig {
    /// The address people reach the service at, an origin only: the start of every link's
    /// `page_url` and of the verification address printed on certificates.
    #[arg(
        long,
        env = "TPMS_PUBLIC_URL",
        value_name = "TPMS_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: PublicUrl,

    /// Whom a trainee should ask when a link no longer works, as the pages show it: the training
    /// department's office, with an email or a telephone number
    /// ("Phòng Đào tạo, daotao@example.gov.vn, 024 3824 0000"). Without it the pages say to ask
    /// the officer who sent the link.
    #[arg(long, env = "TPMS_CONTACT", value_name = "TPMS_CONTACT")]
    pub contact: Option<String>,
}

/// Where mail goes (`TPMS_MAIL_URL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailUrl {
    /// An SMTP server: `smtp://user:pass@host:587` (STARTTLS required unless `?tls=none` or
    /// `?tls=opportunistic`), or `smtps://user:pass@host:465` (TLS from the first byte). Kept as
    /// written, for the transport to parse; shown with the password masked.
    Smtp(String),
    /// A folder: each message written as an `.eml` file, the default, so that a fresh
    /// `cargo run` shows what it would send.
    File(std::path::PathBuf),
    /// Nothing is delivered: messages stay queued (for a server that only answers requests while
    /// another sends).
    Off,
}

impl FromStr for MailUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "off" {
            return Ok(MailUrl::Off);
        }
        if let Some(dir) = s.strip_prefix("file://") {
            if dir.is_empty() {
                return Err("file:// needs a folder: file://mail or file:///var/spool/tpms".to_owned());
            }
            return Ok(MailUrl::File(dir.into()));
        }
        let url = url::Url::parse(s).map_err(|e| {
            format!("not a URL ({e}): use smtp://user:pass@host:587, smtps://user:pass@host:465, file://DIR or off")
        })?;
        match url.scheme() {
            "smtp" | "smtps" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(MailUrl::Smtp(s.to_owned())),
            "smtp" | "smtps" => Err("names no host: smtp://user:pass@host:587".to_owned()),
            other => Err(format!(
                "scheme {other}:// is not one of smtp://, smtps://, file:// or off"
            )),
        }
    }
}

impl fmt::Display for MailUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailUrl::Smtp(url) => match url::Url::parse(url) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    f.write_str(parsed.as_str())
                }
                _ => f.write_str(url),
            },
            MailUrl::File(dir) => write!(f, "file://{}", dir.display()),
            MailUrl::Off => f.write_str("off"),
        }
    }
}

/// How the service sends mail.
#[derive(Clone, Debug, clap::Args)]
pub struct MailConfig {
    /// Where mail goes: `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465`
    /// (TLS), `file://DIR` (each message an `.eml` file in DIR: the default) or `off` (messages
    /// stay queued).
    #[arg(
        long = "mail-url",
        env = "TPMS_MAIL_URL",
        value_name = "TPMS_MAIL_URL",
        default_value = "file://mail",
        hide_env_values = true
    )]
    pub url: MailUrl,

    /// The sender every message is from, as a mailbox: `Phòng Đào tạo <daotao@example.gov.vn>`.
    #[arg(
        long = "mail-from",
        env = "TPMS_MAIL_FROM",
        value_name = "TPMS_MAIL_FROM",
        default_value = "TPMS <tpms@localhost>"
    )]
    pub from: String,

    /// Where replies go, when not to the sender: the training department's desk.
    #[arg(
        long = "mail-reply-to",
        env = "TPMS_MAIL_REPLY_TO",
        value_name = "TPMS_MAIL_REPLY_TO"
    )]
    pub reply_to: Option<String>,

    /// Messages sent at once (connections to the SMTP server, each on a thread of its own).
    #[arg(long = "mail-senders", env = "TPMS_MAIL_SENDERS", value_name = "TPMS_MAIL_SENDERS", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub senders: u16,

    /// Attempts before a message that keeps failing for a temporary reason is given up (`failed`).
    #[arg(long = "mail-max-attempts", env = "TPMS_MAIL_MAX_ATTEMPTS", value_name = "TPMS_MAIL_MAX_ATTEMPTS",
          default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub max_attempts: u16,

    /// Seconds a sender holds a message it took: if it stops before recording the result, another
    /// sends the message once this has passed.
    #[arg(long = "mail-lease-secs", env = "TPMS_MAIL_LEASE_SECS", value_name = "TPMS_MAIL_LEASE_SECS",
          default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub lease_secs: u32,

    /// Milliseconds between looks at the outbox when it is empty.
    #[arg(long = "mail-poll-millis", env = "TPMS_MAIL_POLL_MILLIS", value_name = "TPMS_MAIL_POLL_MILLIS",
          default_value_t = 1000, value_parser = clap::value_parser!(u32).range(10..=600_000))]
    pub poll_millis: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            url: MailUrl::File("mail".into()),
            from: "TPMS <tpms@localhost>".to_owned(),
            reply_to: None,
            senders: 4,
            max_attempts: 8,
            lease_secs: 300,
            poll_millis: 1000,
        }
    }
}

/// What costs are reported in.
#[derive(Clone, Debug, clap::Args)]
pub struct CostConfig {
    /// ISO 4217 code of the currency cost reports are in. Every budget line and expense is
    /// converted to it at the rate recorded for its date; a start with another currency than the
    /// last converts every cost again.
    #[arg(
        long = "reporting-currency",
        env = "TPMS_REPORTING_CURRENCY",
        value_name = "TPMS_REPORTING_CURRENCY",
        default_value = "VND",
        value_parser = crate::money::Currency::parse
    )]
    pub reporting_currency: crate::money::Currency,

    /// The most lines one cost report gives. Past it a report is a copy of the kept totals rather
    /// than a summary (every cohort by payer, category and year is 139,000 lines and 60 MB of
    /// JSON at a million expenses, its workbook most of a gigabyte of memory to build), and it is
    /// refused with 422 `too_many_lines`, naming the filters that narrow it.
    #[arg(long, env = "TPMS_COST_REPORT_MAX_LINES", value_name = "TPMS_COST_REPORT_MAX_LINES", default_value_t = 50_000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub report_max_lines: u32,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            reporting_currency: crate::money::Currency::VND,
            report_max_lines: 50_000,
        }
    }
}

/// When reminders go out. A list of days left empty (or `0` days) turns that reminder off.
#[derive(Clone, Debug, clap::Args)]
pub struct ReminderConfig {
    /// Days before a round closes to remind those who have neither answered nor declined.
    #[arg(
        long = "remind-round-days",
        env = "TPMS_REMIND_ROUND_DAYS",
        value_name = "TPMS_REMIND_ROUND_DAYS",
        value_delimiter = ',',
        default_value = "3,1"
    )]
    pub round_days: Vec<u16>,

    /// Days after an action plan's link was given to remind a trainee who has not submitted it.
    #[arg(
        long = "remind-plan-days",
        env = "TPMS_REMIND_PLAN_DAYS",
        value_name = "TPMS_REMIND_PLAN_DAYS",
        default_value_t = 7
    )]
    pub plan_days: u16,

    /// Days before a follow-up checkpoint is due to remind the trainee (and their supervisor).
    #[arg(
        long = "remind-checkpoint-before-days",
        env = "TPMS_REMIND_CHECKPOINT_BEFORE_DAYS",
        value_name = "TPMS_REMIND_CHECKPOINT_BEFORE_DAYS",
        default_value_t = 14
    )]
    pub checkpoint_before_days: u16,

    /// Days after a checkpoint fell overdue to remind the trainee (and their supervisor) again.
    #[arg(
        long = "remind-checkpoint-overdue-days",
        env = "TPMS_REMIND_CHECKPOINT_OVERDUE_DAYS",
        value_name = "TPMS_REMIND_CHECKPOINT_OVERDUE_DAYS",
        default_value_t = 7
    )]
    pub checkpoint_overdue_days: u16,

    /// The hour (Vietnam time, 0-23) officers who asked for it get their digest of what fell
    /// overdue.
    #[arg(long = "digest-hour", env = "TPMS_DIGEST_HOUR", value_name = "TPMS_DIGEST_HOUR", default_value_t = 7,
          value_parser = clap::value_parser!(u8).range(0..=23))]
    pub digest_hour: u8,

    /// Seconds between the scheduler's looks at its due work (at most a minute, so that a
    /// reminder goes out within a minute of its time).
    #[arg(long = "schedule-tick-secs", env = "TPMS_SCHEDULE_TICK_SECS", value_name = "TPMS_SCHEDULE_TICK_SECS",
          default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=60))]
    pub tick_secs: u16,
}

impl Default for ReminderConfig {
    fn default() -> Self {
        ReminderConfig {
            round_days: vec![3, 1],
            plan_days: 7,
            checkpoint_before_days: 14,
            checkpoint_overdue_days: 7,
            digest_hour: 7,
            tick_secs: 30,
        }
    }
}

/// Everything the app needs at run time, built once and passed in.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The HTTP settings.
    pub http: HttpConfig,
    /// Sign-in settings.
    pub auth: AuthConfig,
    /// Evaluation settings.
    pub evaluations: EvaluationConfig,
    /// The pages' settings.
    pub pages: PagesConfig,
    /// How mail is sent.
    pub mail: MailConfig,
    /// When reminders go out.
    pub reminders: ReminderConfig,
    /// What costs are reported in, and how large a cost report may be.
    pub costs: CostConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_pick_postgres() {
        for url in ["postgres://u:p@h/db", "postgresql://h:5432/db"] {
            assert!(matches!(url.parse(), Ok(DatabaseUrl::Postgres(_))), "{url}");
        }
    }

    #[test]
    fn sqlite_urls_and_paths_pick_sqlite() {
        assert_eq!("sqlite://tpms.db".parse(), Ok(DatabaseUrl::Sqlite("tpms.db".into())));
        assert_eq!(
            "sqlite:///var/x.db".parse(),
            Ok(DatabaseUrl::Sqlite("/var/x.db".into()))
        );
        assert_eq!("data/x.db".parse(), Ok(DatabaseUrl::Sqlite("data/x.db".into())));
    }

    #[test]
    fn mistyped_schemes_are_refused_not_turned_into_files() {
        for url in ["postgress://u@h/db", "mysql://h/db", "sqlite://", "sqlite://:memory:"] {
            assert!(url.parse::<DatabaseUrl>().is_err(), "{url}");
        }
    }

    #[test]
    fn mail_urls_name_their_transport() {
        assert_eq!("off".parse(), Ok(MailUrl::Off));
        assert_eq!("file://mail".parse(), Ok(MailUrl::File("mail".into())));
        let smtp: MailUrl = "smtp://u:secret@mail.example:587".parse().expect("an SMTP URL");
        assert_eq!(smtp.to_string(), "smtp://u:***@mail.example:587");
        for bad in ["file://", "smtp://", "http://mail.example", "mail.example"] {
            assert!(bad.parse::<MailUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_masked_when_printed() {
        let url: DatabaseUrl = "postgres://tpms:secret@db:5432/tpms".parse().expect("valid url");
        assert_eq!(url.to_string(), "postgres://tpms:***@db:5432/tpms");
    }
}
