//! The test harness: [`TestApp`] runs the real server, built by `tpms::app::serve`, on a fresh
//! database of its own (a temporary SQLite file, or a new PostgreSQL database), and talks to it
//! over HTTP. The records a test needs are made through the typed builders of [`builders`]
//! (`app.program().code("JICA-YL").create().await`).

pub mod browser;
pub mod builders;
pub mod smtp;

use std::io::Write as _;
use std::net::TcpListener;
use std::sync::OnceLock;

use actix_web::dev::ServerHandle;
use actix_web::http::Method;
use actix_web::http::header::HeaderMap;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;
use tpms::config::{AppConfig, AuthConfig, DatabaseConfig, HttpConfig, Secret};
use tpms::db::{Db, DbPool};
use tpms::users::Role;

/// Run a test body once on SQLite and once on PostgreSQL, as `<name>::on_sqlite` and
/// `<name>::on_postgres`.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn on_sqlite() {
                let $app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite)
                    .await
                    .expect("SQLite is always available");
                $body
            }

            #[actix_web::test]
            async fn on_postgres() {
                if let Some($app) = $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await {
                    $body
                }
            }
        }
    };
}

/// A test on both databases whose app sends mail to an SMTP server the test starts (and gets as
/// `$smtp`); skipped, said plainly, where the server cannot run (see `support::smtp`).
#[macro_export]
macro_rules! mail_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident, $smtp:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn on_sqlite() {
                let Some($smtp) = $crate::support::smtp::SmtpServer::start() else { return };
                let $app = $crate::support::TestApp::spawn_with($crate::support::Backend::Sqlite, |c| {
                    $crate::support::sending_to(c, &$smtp)
                })
                .await
                .expect("SQLite is always available");
                $body
            }

            #[actix_web::test]
            async fn on_postgres() {
                let Some($smtp) = $crate::support::smtp::SmtpServer::start() else { return };
                if let Some($app) = $crate::support::TestApp::spawn_with($crate::support::Backend::Postgres, |c| {
                    $crate::support::sending_to(c, &$smtp)
                })
                .await
                {
                    $body
                }
            }
        }
    };
}

/// Settings that send mail to `smtp` without encryption, looking at the outbox often.
pub fn sending_to(config: &mut AppConfig, smtp: &smtp::SmtpServer) {
    config.mail.url = tpms::config::MailUrl::Smtp(smtp.url());
    config.mail.poll_millis = 50;
    config.mail.from = "Phòng Đào tạo <daotao@example.gov.vn>".to_owned();
    config.mail.reply_to = Some("Bộ phận hỗ trợ <hotro@example.gov.vn>".to_owned());
    // The scheduler looks every second, and the officers' digest is due from midnight.
    config.reminders.tick_secs = 1;
    config.reminders.digest_hour = 0;
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The body limit the test apps run with, small so that 413 is cheap to provoke.
pub const BODY_LIMIT: u64 = 64 * 1024;

/// The JWT secret test apps sign with, so tests can mint tokens of their own.
pub const TEST_JWT_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!";
/// The password of every account the harness makes.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// A running app on its own database, signed in as an admin by default.
pub struct TestApp {
    pub address: String,
    pub backend: Backend,
    pub pool: DbPool,
    client: awc::Client,
    server: ServerHandle,
    admin_token: String,
    /// The email of the admin the app signs in as by default.
    pub admin_email: String,
    /// The database's URL, for a second server on it ([`TestApp::second_server`]).
    database_url: String,
    _database: TestDatabase,
}

/// Requests made as one caller (or as nobody).
pub struct Session<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

/// An account the harness made, and its fresh sign-in.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// The settings test apps run with; a test may change them before the app starts.
pub fn test_config(bind: std::net::SocketAddr) -> AppConfig {
    AppConfig {
        http: HttpConfig {
            bind,
            max_body_bytes: BODY_LIMIT,
            workers: Some(1),
            header_timeout_secs: 5,
            body_timeout_secs: 60,
            max_connections: 4_096,
            shutdown_timeout_secs: 1,
            db_threads: None,
        },
        auth: AuthConfig {
            jwt_secret: Some(Secret(TEST_JWT_SECRET.to_owned())),
            admin_email: None,
            admin_password: None,
            login_attempts_per_minute: 10_000,
            max_concurrent_hashes: 4,
            lockout_secs: 900,
        },
        evaluations: Default::default(),
        pages: tpms::config::PagesConfig {
            public_url: format!("http://{bind}").parse().expect("the test address is an origin"),
            contact: Some("Phòng Đào tạo, daotao@example.gov.vn".to_owned()),
        },
        // Nothing is sent unless a test says where: the mail tests start an SMTP server.
        mail: tpms::config::MailConfig {
            url: tpms::config::MailUrl::Off,
            poll_millis: 50,
            ..Default::default()
        },
        reminders: Default::default(),
        costs: Default::default(),
    }
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another server's: that server removes it.
    Shared,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// Write straight to the process's stderr, past the test harness's capture, so that a skipped
/// PostgreSQL run is said plainly even when every test passes.
pub fn say(message: &str) {
    let _ = std::io::stderr().write_all(format!("\n{message}\n").as_bytes());
}

/// The PostgreSQL server to make test databases on, found once per run.
fn postgres_admin_url() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let required = std::env::var("TPMS_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let candidates = match std::env::var("TPMS_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => vec![url],
            _ => vec![
                "postgres://tpms:tpms@127.0.0.1:55432/postgres".to_owned(),
                "postgresql:///postgres?host=/var/run/postgresql".to_owned(),
            ],
        };
        let mut failures = Vec::new();
        for url in &candidates {
            let probe = if url.contains('?') { format!("{url}&connect_timeout=3") } else { format!("{url}?connect_timeout=3") };
            match PgConnection::establish(&probe) {
                Ok(_) => return Some(url.clone()),
                Err(e) => failures.push(format!("{url}: {}", e.to_string().trim())),
            }
        }
        let why = failures.join("; ");
        if required {
            panic!("TPMS_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL answered ({why}). Start one with `scripts/test-postgres.sh` and set TPMS_TEST_POSTGRES_URL.");
        }
        say(&format!(
            "NOTE: PostgreSQL was not found, so every `on_postgres` test was SKIPPED and passed without running \
             ({why}). Run `export TPMS_TEST_POSTGRES_URL=$(scripts/test-postgres.sh)` to include it."
        ));
        None
    })
    .as_deref()
}

fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TPMS_TEST_POSTGRES_URL parses as a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

impl TestApp {
    /// Start the app on a fresh, migrated database; `None` when PostgreSQL is wanted but not
    /// available.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::start(backend, true, |_| {}).await
    }

    /// Start the app with changed settings.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut AppConfig)) -> Option<TestApp> {
        Self::start(backend, true, tweak).await
    }

    /// Start the app on a fresh database that was never migrated (and so has no admin).
    pub async fn spawn_unmigrated(backend: Backend) -> Option<TestApp> {
        Self::start(backend, false, |_| {}).await
    }

    async fn start(backend: Backend, migrated: bool, tweak: impl FnOnce(&mut AppConfig)) -> Option<TestApp> {
        let (database, url) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("tpms.db").display());
                (TestDatabase::Sqlite(dir), url)
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?.to_owned();
                let name = format!("tpms_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url).expect("the PostgreSQL admin connection");
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .expect("CREATE DATABASE (needs CREATEDB)");
                let url = database_url(&admin_url, &name);
                (TestDatabase::Postgres { admin_url, name }, url)
            }
        };
        let mut app = Self::serve(backend, url, database, migrated, tweak);
        if migrated {
            let admin = app.user(Role::Admin, None).await;
            app.admin_token = admin.access_token;
            app.admin_email = admin.email;
        }
        Some(app)
    }

    /// The database's URL, for a command run on the same database (`tpms retention run`).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A second server on this app's database, as behind a load balancer: its own pool, its own
    /// workers and in-process state, the same settings and the same admin.
    pub fn second_server(&self) -> TestApp {
        self.second_server_with(|_| {})
    }

    /// Stop this app's server (its database stays, for a server started after it).
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }

    /// A second server on this app's database with changed settings (one that sends mail, say).
    pub fn second_server_with(&self, tweak: impl FnOnce(&mut AppConfig)) -> TestApp {
        let mut second = Self::serve(
            self.backend,
            self.database_url.clone(),
            TestDatabase::Shared,
            true,
            tweak,
        );
        second.admin_token = self.admin_token.clone();
        second.admin_email = self.admin_email.clone();
        second
    }

    /// Start a server on the database at `url` (migrating it first when `migrated`).
    fn serve(
        backend: Backend,
        url: String,
        database: TestDatabase,
        migrated: bool,
        tweak: impl FnOnce(&mut AppConfig),
    ) -> TestApp {
        let database_config = DatabaseConfig {
            database_url: url.parse().expect("a valid database URL"),
            db_pool_size: 4,
            db_wait_secs: 5,
            statement_timeout_secs: 30,
        };
        let pool = tpms::db::connect(&database_config).expect("the test database opens");
        if migrated {
            tpms::cli::migrate(&pool).expect("migrations apply");
        }

        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let bind = listener.local_addr().expect("a bound address");
        let address = format!("http://{bind}");
        let mut config = test_config(bind);
        tweak(&mut config);
        let server = tpms::app::serve(
            listener,
            Db::new(pool.clone(), &database_config).expect("the database handle"),
            config,
        )
        .expect("the server starts");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish();
        TestApp {
            address,
            backend,
            pool,
            client,
            server: handle,
            admin_token: String::new(),
            admin_email: String::new(),
            database_url: url,
            _database: database,
        }
    }

    /// Make an account with `role` (and partner, for a liaison) straight in the database, and sign
    /// it in over HTTP.
    pub async fn user(&self, role: Role, partner_id: Option<i64>) -> TestUser {
        let email = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let new = tpms::users::CreateUser {
            email: email.clone(),
            display_name: format!("Test {role}"),
            role,
            partner_id: partner_id.map(tpms::ids::PartnerId),
            password: TEST_PASSWORD.to_owned(),
        };
        let pool = self.pool.clone();
        let id = actix_web::web::block(move || {
            let hash = tpms::auth::passwords::hash_now(TEST_PASSWORD).expect("hashing works");
            let mut conn = pool.get().expect("a connection");
            tpms::users::User::create(&mut conn, &new, hash)
                .expect("the account is created")
                .id
                .0
        })
        .await
        .expect("the blocking pool runs");
        let signed_in = self.sign_in(&email, TEST_PASSWORD).await;
        assert_eq!(signed_in.status, 200, "signing in {email}: {}", signed_in.text());
        let body = signed_in.json();
        TestUser {
            id,
            email,
            access_token: body["access_token"].as_str().expect("an access token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("a refresh token").to_owned(),
        }
    }

    /// `POST /api/v1/auth/login`.
    pub async fn sign_in(&self, email: &str, password: &str) -> TestResponse {
        self.anonymous()
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"email": email, "password": password}),
            )
            .await
    }

    /// Requests with no token.
    pub fn anonymous(&self) -> Session<'_> {
        Session { app: self, token: None }
    }

    /// Requests with this access token.
    pub fn as_token(&self, token: &str) -> Session<'_> {
        Session {
            app: self,
            token: Some(token.to_owned()),
        }
    }

    /// Requests as `user`.
    pub fn as_user(&self, user: &TestUser) -> Session<'_> {
        self.as_token(&user.access_token)
    }

    fn admin(&self) -> Session<'_> {
        Session {
            app: self,
            token: (!self.admin_token.is_empty()).then(|| self.admin_token.clone()),
        }
    }

    /// A request to build on, as the admin.
    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.admin().request(method, path)
    }

    pub async fn send(&self, request: awc::ClientRequest, body: Option<&Value>) -> TestResponse {
        send(request, body).await
    }

    pub async fn send_raw(
        &self,
        request: awc::ClientRequest,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> TestResponse {
        let response = request
            .insert_header(("content-type", content_type))
            .send_body(body.into())
            .await;
        TestResponse::read(response.unwrap_or_else(|e| panic!("the server answers: {e}"))).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.admin().get(path).await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.admin().post(path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> TestResponse {
        self.admin().patch(path, body).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.admin().delete(path).await
    }

    /// Every item of a list, page after page, following each page's `Link: rel="next"` from
    /// `path`; with the pages' bodies, in turn.
    pub async fn every_page(&self, path: &str) -> (Vec<Value>, Vec<Value>) {
        let (mut items, mut pages) = (Vec::new(), Vec::new());
        let mut next = Some(path.to_owned());
        while let Some(path) = next.take() {
            let response = self.get(&path).await;
            assert_eq!(response.status, 200, "GET {path}: {}", response.text());
            next = response.header("link").map(|link| {
                let target = link.strip_prefix('<').and_then(|l| l.split_once(">; rel=\"next\""));
                target
                    .expect("a Link header of the form <…>; rel=\"next\"")
                    .0
                    .to_owned()
            });
            let body = response.json();
            items.extend(body["items"].as_array().expect("items").iter().cloned());
            pages.push(body);
            assert!(pages.len() <= 1_000, "the links of {path} go round in circles");
        }
        (items, pages)
    }

    /// Create a record and return its JSON, failing the test (naming the path and the body) if
    /// that does not work.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, body.clone()).await;
        assert_eq!(
            response.status,
            201,
            "creating at {path} with {body}: {}",
            response.text()
        );
        response.json()
    }
}

async fn send(request: awc::ClientRequest, body: Option<&Value>) -> TestResponse {
    let response = match body {
        Some(body) => request.send_json(body).await,
        None => request.send().await,
    };
    TestResponse::read(response.expect("the server answers")).await
}

impl Session<'_> {
    /// A request to build on.
    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        let request = self.app.client.request(method, format!("{}{path}", self.app.address));
        match &self.token {
            Some(token) => request.insert_header(("authorization", format!("Bearer {token}"))),
            None => request,
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> TestResponse {
        send(self.request(method, path), body).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.send(Method::POST, path, Some(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> TestResponse {
        self.send(Method::PATCH, path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(Method::DELETE, path, None).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting; the database is dropped (FORCE closes the pool's connections) next.
        drop(self.server.stop(false));
    }
}

/// A whole response, read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    async fn read(
        mut response: awc::ClientResponse<
            impl futures::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>> + Unpin,
        >,
    ) -> Self {
        let body = response.body().limit(16 * 1024 * 1024).await.expect("the body reads");
        let mut headers = HeaderMap::new();
        for (name, value) in response.headers() {
            headers.append(name.clone(), value.clone());
        }
        TestResponse {
            status: response.status().as_u16(),
            headers,
            body: body.to_vec(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("expected JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert a problem+json answer with this status and code, and return the body.
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status of {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type of {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["code"], code, "code of {body}");
        assert_eq!(body["status"], status, "status field of {body}");
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "title and detail in {body}"
        );
        body
    }
}

/// The path of a programme's (its JSON's) cohort collection.
pub fn cohorts_of(program: &Value) -> String {
    format!("/api/v1/programs/{}/cohorts", program["id"])
}

/// The path of a cohort's (its JSON's) session collection.
pub fn sessions_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/sessions", cohort["id"])
}

/// Each `(pointer, code)` a problem's `errors` name, in order.
pub fn named_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let text = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
                    (text("pointer"), text("code"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The path of a cohort's (its JSON's) enrolment collection.
pub fn enrollments_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/enrollments", cohort["id"])
}

/// Percent-encode a query value.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
