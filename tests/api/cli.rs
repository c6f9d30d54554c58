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
