//! What the benchmarks that start the app share: a migrated database with one officer, and the
//! settings the app is served with. Each bench includes it with `mod common;`.

#![allow(dead_code, reason = "each bench uses part of it")]

use std::net::TcpListener;

use tpms::config::{AppConfig, AuthConfig, DatabaseConfig, EvaluationConfig, HttpConfig, Secret};
use tpms::db::DbPool;

/// The officer every bench signs in as.
pub const EMAIL: &str = "officer@bench.test";
/// That officer's password.
pub const PASSWORD: &str = "benchmark password, long enough";

/// A database and an app ready to serve it.
pub struct Prepared {
    /// Holds the SQLite file while the bench runs.
    pub dir: tempfile::TempDir,
    /// The connections.
    pub pool: DbPool,
    /// Their settings.
    pub database: DatabaseConfig,
    /// Where the app will listen.
    pub listener: TcpListener,
    /// `http://…` of the app.
    pub base: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The app's settings (changed by the bench as it needs before serving).
    pub config: AppConfig,
}

/// A temporary SQLite database, or the PostgreSQL one `TPMS_BENCH_DATABASE_URL` names (empty; it
/// is migrated), with the bench officer in it, and the app's default bench settings.
pub fn prepare() -> anyhow::Result<Prepared> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("TPMS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let database = DatabaseConfig {
        database_url: url.parse().map_err(anyhow::Error::msg)?,
        db_pool_size: 8,
        db_wait_secs: 5,
        statement_timeout_secs: 30,
    };
    let pool = tpms::db::connect(&database)?;
    tpms::cli::migrate(&pool)?;
    {
        let mut conn = pool.get()?;
        let new = tpms::users::CreateUser {
            email: EMAIL.to_owned(),
            display_name: "Bench officer".to_owned(),
            role: tpms::users::Role::Officer,
            partner_id: None,
            password: PASSWORD.to_owned(),
        };
        let hash = tpms::auth::passwords::hash_now(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
        tpms::users::User::create(&mut conn, &new, hash).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let bind = listener.local_addr()?;
    let config = AppConfig {
        http: HttpConfig {
            bind,
            max_body_bytes: 1 << 20,
            workers: None,
            header_timeout_secs: 5,
            body_timeout_secs: 60,
            max_connections: 4_096,
            shutdown_timeout_secs: 1,
            db_threads: None,
        },
        auth: AuthConfig {
            jwt_secret: Some(Secret("benchmark-secret-of-at-least-32-bytes".to_owned())),
            admin_email: None,
            admin_password: None,
            login_attempts_per_minute: 1_000,
            max_concurrent_hashes: 2,
            lockout_secs: 900,
        },
        evaluations: EvaluationConfig::default(),
        pages: tpms::config::PagesConfig {
            public_url: format!("http://{bind}")
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?,
            contact: None,
        },
        // A bench that measures delivery sets its own SMTP server.
        mail: tpms::config::MailConfig {
            url: tpms::config::MailUrl::Off,
            ..Default::default()
        },
        reminders: Default::default(),
        costs: Default::default(),
    };
    Ok(Prepared {
        dir,
        pool,
        database,
        listener,
        base: format!("http://{bind}"),
        backend: url.split(':').next().unwrap_or("?").to_owned(),
        config,
    })
}

/// Where a second app server on the same database listens, its `http://…`, and `config` changed to
/// serve there (the bench then changes what else it needs, such as the mail URL).
pub fn second_server(config: &AppConfig) -> anyhow::Result<(TcpListener, String, AppConfig)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let bind = listener.local_addr()?;
    let mut config = config.clone();
    config.http.bind = bind;
    Ok((listener, format!("http://{bind}"), config))
}

/// Sign the bench officer in; the `Authorization` header value.
pub async fn sign_in(client: &awc::Client, base: &str) -> anyhow::Result<String> {
    let mut login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let token: serde_json::Value = login.json().await?;
    Ok(format!("Bearer {}", token["access_token"].as_str().unwrap_or_default()))
}
