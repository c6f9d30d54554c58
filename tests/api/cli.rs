//! The `tpms` binary itself: settings are checked before anything starts.

use std::process::Command;

fn tpms() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tpms"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("TPMS_") {
            command.env_remove(name);
        }
    }
    command
}

/// Run `tpms` with one bad setting; it must stop with exit code 2 and one line naming it.
fn refuses(env: (&str, &str), names: &str) {
    let output = tpms().arg("migrate").env(env.0, env.1).output().expect("tpms runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{env:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line for {env:?}: {stderr}");
    assert!(stderr.contains(names), "{env:?} is named in: {stderr}");
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_that_names_it() {
    refuses(("DATABASE_URL", "postgress://u@h/db"), "DATABASE_URL");
    refuses(("DATABASE_URL", ":memory:"), "DATABASE_URL");
    refuses(("TPMS_DB_POOL_SIZE", "0"), "TPMS_DB_POOL_SIZE");
    refuses(("TPMS_LOG_FORMAT", "xml"), "TPMS_LOG_FORMAT");
    let output = tpms()
        .arg("serve")
        .env("TPMS_BIND", "localhost")
        .output()
        .expect("tpms runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("TPMS_BIND") && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn migrate_creates_a_fresh_sqlite_database_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    for _ in 0..2 {
        let output = tpms()
            .args(["migrate", "--database-url", &url])
            .output()
            .expect("tpms runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(dir.path().join("fresh.db").exists());
}

#[test]
fn users_create_reads_the_password_from_standard_input() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("users.db").display());
    let create = |password: &str| {
        let mut child = tpms()
            .args([
                "users",
                "create",
                "--email",
                "chief@example.test",
                "--role",
                "admin",
                "--database-url",
                &url,
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tpms runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("writes");
        child.wait_with_output().expect("tpms ends")
    };
    let weak = create("short");
    assert!(!weak.status.success());
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("password must be 12 to 128 characters"),
        "{weak:?}"
    );
    let made = create("a long enough password");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("created account chief@example.test (admin)"));
}

#[test]
fn users_create_names_the_field_it_refuses() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("users.db").display());
    let mut child = tpms()
        .args([
            "users",
            "create",
            "--email",
            "liaison@example.test",
            "--role",
            "liaison",
            "--partner-id",
            "999",
        ])
        .args(["--database-url", &url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tpms runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a long enough password\n")
        .expect("writes");
    let refused = child.wait_with_output().expect("tpms ends");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("partner_id"), "the field is named: {stderr}");
    assert!(!stderr.contains("invalid field(s)"), "{stderr}");
}

#[actix_web::test]
async fn the_first_start_on_an_empty_database_prints_admin_credentials_that_work() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port();
    let mut child = tpms()
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("fresh.db").display()),
        )
        .env("TPMS_BIND", format!("127.0.0.1:{port}"))
        .env("TPMS_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tpms starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut email = None;
    let mut password = None;
    while password.is_none() {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the credentials are printed");
        if let Some(value) = line.trim().strip_prefix("email:") {
            email = Some(value.trim().to_owned());
        }
        if let Some(value) = line.trim().strip_prefix("password:") {
            password = Some(value.trim().to_owned());
        }
    }
    let client = awc::Client::default();
    let mut status = 0;
    for _ in 0..100 {
        let sent = client
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .send_json(&serde_json::json!({"email": email, "password": password}))
            .await;
        if let Ok(response) = sent {
            status = response.status().as_u16();
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(email.as_deref(), Some("admin@localhost"));
    assert_eq!(status, 200, "the printed credentials sign in");
}

/// A `tpms serve` child on a fresh SQLite file with a known admin; killed on drop.
struct Served {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ADMIN: (&str, &str) = ("seed-admin@example.test", "a long enough admin password");

fn serve_fresh(extra: &[(&str, &str)]) -> Served {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port();
    let mut command = tpms();
    command
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("fresh.db").display()),
        )
        .env("TPMS_BIND", format!("127.0.0.1:{port}"))
        .env("TPMS_LOG", "warn")
        .env("TPMS_ADMIN_EMAIL", ADMIN.0)
        .env("TPMS_ADMIN_PASSWORD", ADMIN.1)
        .stderr(std::process::Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    Served {
        child: command.spawn().expect("tpms starts"),
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// Sign in as the admin once the server answers, and GET `path`.
async fn get_as_admin(served: &Served, path: &str) -> serde_json::Value {
    let client = awc::Client::default();
    let mut token = None;
    for _ in 0..300 {
        let sent = client
            .post(format!("{}/api/v1/auth/login", served.base))
            .send_json(&serde_json::json!({"email": ADMIN.0, "password": ADMIN.1}))
            .await;
        if let Ok(mut response) = sent {
            let body: serde_json::Value = response.json().await.expect("a JSON answer");
            token = body["access_token"].as_str().map(str::to_owned);
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = token.expect("the admin signs in");
    let mut response = client
        .get(format!("{}{path}", served.base))
        .insert_header(("authorization", format!("Bearer {token}")))
        .send()
        .await
        .expect("the server answers");
    response.json().limit(1 << 24).await.expect("a JSON answer")
}

#[actix_web::test]
async fn a_fresh_install_opens_on_the_seeded_programmes_unless_told_not_to() {
    let served = serve_fresh(&[]);
    let found = get_as_admin(&served, "/api/v1/programs?q=JICA").await;
    let jica = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["code"] == "JICA-YL")
        .cloned()
        .unwrap_or_else(|| panic!("the young-leaders programme in {found}"));
    assert_eq!(
        (jica["planned_trainees"].clone(), jica["planned_cohorts"].clone()),
        (120.into(), 6.into())
    );
    let cohorts = get_as_admin(&served, &format!("/api/v1/programs/{}/cohorts", jica["id"])).await;
    assert!(cohorts["total"].as_i64().unwrap_or(0) >= 2, "{cohorts}");
    assert!(
        cohorts["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["source"] == jica["source"])
    );
    drop(served);

    let empty = serve_fresh(&[("TPMS_SEED_ON_START", "false")]);
    assert_eq!(get_as_admin(&empty, "/api/v1/programs").await["total"], 0);
}

#[test]
fn tpms_seed_reports_each_file_and_a_broken_one_stops_it_naming_file_record_and_field() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("seeded.db").display());
    let seeds = dir.path().join("seeds");
    std::fs::create_dir(&seeds).expect("a seed directory");
    let partners = tpms::seed::embedded_files()
        .into_iter()
        .find(|f| f.path == "partners.toml")
        .expect("partners.toml");
    std::fs::write(
        seeds.join("partners.toml"),
        partners
            .text
            .replacen("kind = \"government_ministry\"", "kind = \"ministry\"", 1),
    )
    .expect("a broken copy");
    let output = tpms()
        .args(["seed", "--dir"])
        .arg(&seeds)
        .env("DATABASE_URL", &url)
        .env("TPMS_LOG", "warn")
        .output()
        .expect("tpms runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("seeds/partners.toml: partners[1] (code MOHA)") && stderr.contains("nothing was written"),
        "{stderr}"
    );

    let output = tpms()
        .arg("seed")
        .env("DATABASE_URL", &url)
        .env("TPMS_LOG", "warn")
        .output()
        .expect("tpms runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.contains("seeds/programs/jica-young-leaders.toml:") && stdout.contains("created"),
        "{stdout}"
    );
}

#[test]
fn the_env_example_describes_the_sign_in_throttle_and_the_link_limits_as_configured() {
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).expect(".env.example");
    assert!(!example.contains("stays locked"), "no account is locked any more");
    assert!(
        example.contains("30 s") && example.contains("doubled"),
        "the waits after failed sign-ins are described"
    );
    let defaults = tpms::config::EvaluationConfig::default();
    for line in [
        format!("#TPMS_MIN_ANONYMOUS_GROUP={}", defaults.min_anonymous_group),
        format!(
            "#TPMS_PUBLIC_REQUESTS_PER_MINUTE={}",
            defaults.public_requests_per_minute
        ),
        format!("#TPMS_LINK_REQUESTS_PER_MINUTE={}", defaults.link_requests_per_minute),
    ] {
        assert!(example.lines().any(|l| l == line), "{line} in .env.example");
    }
}

crate::db_test!(
    async fn tpms_retention_run_lists_with_dry_run_what_it_then_erases(app) {
        use serde_json::json;
        let program = app.program().code("RET-CLI").retention_months(6).create().await;
        let cohort = app.cohort(&program).code("C1").start_date("2019-03-04").end_date("2019-03-29").create().await;
        let trainee = app.trainee().full_name("Đinh Hết Hạn").email("het.han@example.vn").create().await;
        app.enrollment(&cohort, &trainee).create().await;
        let run = |dry: bool| {
            let mut args = vec!["retention", "run", "--database-url", app.database_url()];
            if dry {
                args.push("--dry-run");
            }
            let output = tpms().args(&args).output().expect("tpms runs");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        let dry = run(true);
        assert!(dry.contains("cohort RET-CLI/C1") && dry.contains("would erase trainees.email: 1 row(s)"), "{dry}");
        let path = format!("/api/v1/trainees/{}", trainee["id"]);
        assert_eq!(app.get(&path).await.json()["email"], "het.han@example.vn", "a dry run changes nothing");
        let done = run(false);
        assert!(done.contains("erased trainees.email: 1 row(s)"), "{done}");
        assert_eq!(app.get(&path).await.json()["email"], json!(null));
        assert!(run(true).contains("retention dry run: 0 cohort(s)"), "nothing is left to erase");
    }
);
