//! Sign-in cost and responsiveness under a sign-in flood. Run: `cargo bench --bench login`.
//!
//! Starts the real app (release build) on a temporary SQLite database (or `TPMS_BENCH_DATABASE_URL`) and measures:
//! 1. one successful sign-in, sequentially (the cost of an argon2id verification plus the rest);
//! 2. `GET /health` latency at rest;
//! 3. `GET /health` latency while 50 wrong-password sign-ins run at once, the flood's duration,
//!    and the process's peak memory: hashes are bounded (TPMS_MAX_CONCURRENT_HASHES), so the flood
//!    queues instead of taking memory or the workers.
//!
//! Not a timed test: it asserts nothing and prints figures to compare between runs.

mod common;

use std::time::{Duration, Instant};

use common::PASSWORD;
use tpms::db::Db;

const SEQUENTIAL_LOGINS: usize = 30;
const HEALTH_SAMPLES: usize = 300;
const FLOOD: usize = 50;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    println!(
        "{name:<44} n={:<4} mean={mean:>8.2} ms  p50={:>8.2}  p95={:>8.2}  max={:>8.2}",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 95.0),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

fn memory_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let common::Prepared {
        dir: _dir,
        pool,
        database,
        listener,
        base,
        mut config,
        ..
    } = common::prepare()?;
    let max_hashes = 4;
    // The per-address limit would answer most of the flood with 429 at once; lifted here to
    // measure what the hash bound alone does.
    config.auth.login_attempts_per_minute = 1_000_000;
    config.auth.max_concurrent_hashes = max_hashes;
    let email = common::EMAIL;
    println!(
        "TPMS sign-in benchmark: {} cores, TPMS_MAX_CONCURRENT_HASHES={max_hashes}, server at {base}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool, &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
        let login = |password: &'static str| {
            let client = client.clone();
            let url = format!("{base}/api/v1/auth/login");
            async move {
                let started = Instant::now();
                let response = client
                    .post(url)
                    .send_json(&serde_json::json!({"email": email, "password": password}))
                    .await;
                (
                    response.map(|r| r.status().as_u16()).unwrap_or(0),
                    started.elapsed().as_secs_f64() * 1000.0,
                )
            }
        };
        let health = || {
            let client = client.clone();
            let url = format!("{base}/health");
            async move {
                let started = Instant::now();
                let ok = client.get(url).send().await.is_ok_and(|r| r.status().is_success());
                (ok, started.elapsed().as_secs_f64() * 1000.0)
            }
        };

        if let Some(now) = memory_mib("VmRSS:") {
            println!("{:<44} {now:.0} MiB", "resident memory at start");
        }
        eprintln!("[1/3] {SEQUENTIAL_LOGINS} sequential successful sign-ins ...");
        let _ = login(PASSWORD).await; // warm-up
        let mut times = Vec::new();
        for _ in 0..SEQUENTIAL_LOGINS {
            let (status, ms) = login(PASSWORD).await;
            anyhow::ensure!(status == 200, "sign-in answered {status}");
            times.push(ms);
        }
        summary("one successful sign-in (sequential)", times);

        eprintln!("[1b/3] wrong password vs unknown email, interleaved ...");
        let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
        for _ in 0..SEQUENTIAL_LOGINS / 2 {
            wrong.push(login("a wrong password, long enough").await.1);
            // A success resets the failure count, so the account never reaches the lockout.
            let _ = login(PASSWORD).await;
            let started = Instant::now();
            let _ = client
                .post(format!("{base}/api/v1/auth/login"))
                .send_json(&serde_json::json!({"email": "nobody@example.test", "password": "a wrong password, long enough"}))
                .await;
            unknown.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        summary("wrong password for a real account", wrong);
        summary("unknown email", unknown);

        eprintln!("[2/3] {HEALTH_SAMPLES} GET /health at rest ...");
        let mut times = Vec::new();
        for _ in 0..HEALTH_SAMPLES {
            let (ok, ms) = health().await;
            anyhow::ensure!(ok, "/health failed");
            times.push(ms);
        }
        summary("GET /health at rest", times);

        if let Some(now) = memory_mib("VmRSS:") {
            println!("{:<44} {now:.0} MiB", "resident memory before the flood");
        }
        eprintln!("[3/3] {FLOOD} concurrent wrong-password sign-ins, polling /health meanwhile ...");
        // Distinct unknown emails: each runs a full argon2id verification (against the dummy hash),
        // and none trips an account's lockout, which would answer 429 without hashing.
        let flood_login = |i: usize| {
            let client = client.clone();
            let url = format!("{base}/api/v1/auth/login");
            async move {
                let started = Instant::now();
                let body = serde_json::json!({"email": format!("flood-{i}@example.test"), "password": "wrong password, long enough"});
                let response = client.post(url).send_json(&body).await;
                (response.map(|r| r.status().as_u16()).unwrap_or(0), started.elapsed().as_secs_f64() * 1000.0)
            }
        };
        let started = Instant::now();
        let done = std::rc::Rc::new(std::cell::Cell::new(false));
        let flood = {
            let done = done.clone();
            async move {
                let results = futures::future::join_all((0..FLOOD).map(flood_login)).await;
                done.set(true);
                results
            }
        };
        // Poll /health for exactly as long as the flood lasts.
        let poll = async {
            let mut times = Vec::new();
            while !done.get() {
                let (ok, ms) = health().await;
                if ok {
                    times.push(ms);
                }
                actix_web::rt::time::sleep(Duration::from_millis(5)).await;
            }
            times
        };
        let (results, during) = futures::future::join(flood, poll).await;
        let flood_ms = started.elapsed().as_secs_f64() * 1000.0;
        let refused = results
            .iter()
            .filter(|(status, _)| *status == 401 || *status == 429)
            .count();
        summary("GET /health during the flood", during);
        summary(
            "each wrong-password sign-in in the flood",
            results.iter().map(|(_, ms)| *ms).collect(),
        );
        println!(
            "{:<44} {flood_ms:.0} ms for {FLOOD} attempts ({refused} refused with 401/429)",
            "flood duration"
        );
        if let (Some(peak), Some(now)) = (memory_mib("VmHWM:"), memory_mib("VmRSS:")) {
            println!("{:<44} {peak:.0} MiB peak, {now:.0} MiB after the flood (client and server in one process)", "resident memory");
        }
        anyhow::Ok(())
    })
}
