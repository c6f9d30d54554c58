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
