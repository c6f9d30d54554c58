//! The outbox at 10,000 invitations. Run: `cargo bench --bench mail` (release), or
//! `cargo bench --profile dev --bench mail` for a quick look.
//!
//! Starts the real app with mail off on a temporary SQLite database, or on the PostgreSQL database
//! named by `TPMS_BENCH_DATABASE_URL` (it must be empty; it is migrated), seats 10,000 trainees
//! (`TPMS_BENCH_TRAINEES`), each with an email address, in one cohort, and opens a round of the
//! course reaction template: one request that writes 10,000 invitations and queues 10,000 messages
//! in one transaction. Its time is put against `GET /health` on the same server, and the round's
//! message counts must say that exactly that many are queued.
//!
//! Then it starts `tests/smtp/server.py` (Python with aiosmtpd: `TPMS_PYTHON`, else `python3` or
//! `/usr/bin/python3`, whichever has it) and a second app server on the same database whose mail
//! URL points at it (`TPMS_MAIL_SENDERS` senders, the service's default unless set), and measures
//! the time until every message is `sent` (the counts read every 100 ms) and the messages per
//! second. The SMTP server's folder must then hold one message per trainee, with as many distinct
//! `Message-ID`s.
//!
//! Not a timed test: it prints the figures and checks the counts; ratios measured in one run say
//! more than the absolute times on a shared machine.

mod common;

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tpms::config::MailUrl;
use tpms::db::Db;

/// How many trainees, unless `TPMS_BENCH_TRAINEES` says otherwise.
const TRAINEES: usize = 10_000;
/// Requests in flight at once while seating.
const IN_FLIGHT: usize = 16;
/// `GET /health` requests timed for the baseline.
const HEALTH_CHECKS: usize = 300;
/// How often the round's counts are read while the sender works.
const POLL: Duration = Duration::from_millis(100);

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/server.py");

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    (ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN), mean)
}

/// The first Python that imports aiosmtpd, as the mail tests choose it.
fn python() -> anyhow::Result<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("TPMS_PYTHON").filter(|p| !p.is_empty()) {
        Some(python) => vec![python.into()],
        None => vec!["python3".into(), "/usr/bin/python3".into()],
    };
    for python in &candidates {
        let imports = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if imports.is_ok_and(|s| s.success()) {
            return Ok(python.clone());
        }
    }
    anyhow::bail!(
        "no Python with aiosmtpd among {candidates:?}: `apt-get install python3-aiosmtpd`, or name one in TPMS_PYTHON"
    )
}

/// `tests/smtp/server.py` on a free port, writing to `dir`; it stops when its standard input (held
/// by the returned child) closes.
fn smtp_server(python: &Path, dir: &Path) -> anyhow::Result<(Child, u16)> {
    let mut child = Command::new(python)
        .arg(SCRIPT)
        .args(["--port", "0", "--stop-on-eof", "--dir"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let port = first
        .trim()
        .strip_prefix("listening 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("the SMTP server said {first:?}"))?;
    Ok((child, port))
}

/// The messages in the SMTP server's folder, and how many distinct `Message-ID`s they carry.
fn received(dir: &Path) -> anyhow::Result<(usize, usize)> {
    let mut files = 0;
    let mut ids = HashSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "eml")
            || path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path)?;
        let headers = text.split("\r\n\r\n").next().unwrap_or_default();
        if let Some(id) = headers.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case("message-id"))
        }) {
            ids.insert(id.1.trim().to_owned());
        }
    }
    Ok((files, ids.len()))
}

fn main() -> anyhow::Result<()> {
    let trainees = setting("TPMS_BENCH_TRAINEES", TRAINEES);
    let python = python()?;
    let common::Prepared {
        dir,
        pool,
        database,
        listener,
        base,
        backend,
        config,
    } = common::prepare()?;
    let (second_listener, second_base, mut second_config) = common::second_server(&config)?;
    if let Some(senders) = std::env::var("TPMS_MAIL_SENDERS").ok().and_then(|v| v.parse().ok()) {
        second_config.mail.senders = senders;
    }
    let mail_dir = dir.path().join("mail");
    let senders = second_config.mail.senders;
    println!(
        "TPMS mail benchmark: {} cores, {backend}, {trainees} trainees, {senders} senders, {} build",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool.clone(), &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
        let auth = common::sign_in(&client, &base).await?;
        let send = |method: awc::http::Method, url: String, body: Option<Value>| {
            let request = client.request(method, url.clone()).insert_header(("authorization", auth.clone()));
            async move {
                let started = Instant::now();
                let mut response = match &body {
                    Some(body) => request.send_json(body).await,
                    None => request.send().await,
                }
                .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
                let bytes = response.body().limit(1 << 26).await?;
                let value: Value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes)? };
                anyhow::ensure!(response.status().is_success(), "{url}: {} {value}", response.status());
                Ok::<_, anyhow::Error>((value, started.elapsed().as_secs_f64() * 1000.0))
            }
        };
        let post = |path: String, body: Value| send(awc::http::Method::POST, format!("{base}{path}"), Some(body));

        let (program, _) = post("/api/v1/programs".into(), json!({"code": "MAIL", "title": "Mail bench", "kind": "training_course"})).await?;
        let (cohort, _) = post(
            format!("/api/v1/programs/{}/cohorts", program["id"]),
            json!({"code": "M1", "name": "Mail bench", "status": "open"}),
        )
        .await?;
        eprintln!("[1/4] seating {trainees} trainees ...");
        let started = Instant::now();
        let seated: Vec<anyhow::Result<()>> = futures::stream::iter(0..trainees)
            .map(|i| {
                let (post, cohort) = (&post, &cohort);
                async move {
                    let trainee = json!({"full_name": format!("Học viên {i}"), "email": format!("trainee{i}@bench.test")});
                    let (trainee, _) = post("/api/v1/trainees".into(), trainee).await?;
                    post(format!("/api/v1/cohorts/{}/enrollments", cohort["id"]), json!({"trainee_id": trainee["id"]})).await?;
                    Ok(())
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        seated.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        let seating = started.elapsed().as_secs_f64();

        let template = tpms::instruments::templates().map_err(|e| anyhow::anyhow!("{e}"))?.remove(0);
        let (form, _) = post("/api/v1/instruments".into(), serde_json::to_value(&template)?).await?;
        send(awc::http::Method::PATCH, format!("{base}/api/v1/instruments/{}", form["id"]), Some(json!({"status": "published"}))).await?;
        let (round, _) = post(
            format!("/api/v1/cohorts/{}/rounds", cohort["id"]),
            json!({"instrument_id": form["id"], "title": "Mail bench", "subject": "course", "respondent": "trainee", "wave": "post", "anonymity": "anonymous"}),
        )
        .await?;

        eprintln!("[2/4] GET /health {HEALTH_CHECKS} times, then opening the round ...");
        let mut health = Vec::with_capacity(HEALTH_CHECKS);
        for _ in 0..HEALTH_CHECKS {
            health.push(send(awc::http::Method::GET, format!("{base}/health"), None).await?.1);
        }
        let (health_p50, health_mean) = median(health);
        let (_, opened) = send(awc::http::Method::PATCH, format!("{base}/api/v1/rounds/{}", round["id"]), Some(json!({"status": "open"}))).await?;
        let counts_path = format!("/api/v1/rounds/{}/messages", round["id"]);
        let (queued, _) = send(awc::http::Method::GET, format!("{base}{counts_path}"), None).await?;
        anyhow::ensure!(
            queued["queued"] == trainees && queued["total"] == trainees,
            "after opening, the round's messages are {queued}, not {trainees} queued"
        );

        eprintln!("[3/4] delivering through {senders} senders to the test SMTP server ...");
        let (mut smtp, port) = smtp_server(&python, &mail_dir)?;
        second_config.mail.url = MailUrl::Smtp(format!("smtp://127.0.0.1:{port}?tls=none"));
        let started = Instant::now();
        let second = tpms::app::serve(second_listener, Db::new(pool, &database)?, second_config)?;
        actix_web::rt::spawn(second);
        // A message per trainee in no less than 10 a second, or something is wrong.
        let deadline = Duration::from_secs(60 + trainees as u64 / 10);
        let counts = loop {
            actix_web::rt::time::sleep(POLL).await;
            let (counts, _) = send(awc::http::Method::GET, format!("{second_base}{counts_path}"), None).await?;
            if counts["sent"] == trainees || counts["queued"] == 0 {
                break counts;
            }
            anyhow::ensure!(started.elapsed() < deadline, "after {:?} the round's messages are {counts}", started.elapsed());
        };
        let delivery = started.elapsed().as_secs_f64();
        anyhow::ensure!(counts["sent"] == trainees, "the round's messages ended as {counts}, not {trainees} sent");

        eprintln!("[4/4] reading the SMTP server's folder ...");
        let (files, distinct) = received(&mail_dir)?;
        drop(smtp.stdin.take());
        let _ = smtp.wait();
        anyhow::ensure!(
            files == trainees && distinct == trainees,
            "the SMTP server holds {files} messages with {distinct} distinct Message-IDs, not {trainees}"
        );

        let row = |what: &str, figure: String| println!("{what:<48} {figure}");
        row(&format!("seat {trainees} trainees (with addresses)"), format!("{seating:>9.2} s"));
        row(
            &format!("GET /health ({HEALTH_CHECKS} times)"),
            format!("{health_p50:>9.3} ms median, {health_mean:.3} ms mean"),
        );
        row(
            &format!("open the round ({trainees} invitations + messages)"),
            format!("{:>9.3} s = {:.0} × /health median", opened / 1000.0, opened / health_p50),
        );
        row("queued by opening", format!("{:>9} of {trainees}", queued["queued"].as_i64().unwrap_or(-1)));
        row(
            &format!("deliver {trainees} through SMTP ({senders} senders)"),
            format!("{delivery:>9.2} s = {:.0} messages/s", trainees as f64 / delivery),
        );
        row("SMTP server's folder", format!("{files:>9} messages, {distinct} distinct Message-IDs"));
        Ok(())
    })
}
