//! Reports and CSV exports at a training department's years of data. Run:
//! `cargo bench --bench reports` (SQLite), or with `TPMS_BENCH_DATABASE_URL=postgres://…` naming an
//! empty PostgreSQL database.
//!
//! 1. Generates 50,000 trainees, 100,000 enrolments over 4,000 cohorts of 10 sessions, and
//!    1,000,000 attendance records (`tpms dev generate`'s generator), then serves the app.
//! 2. Times every report (each format where it matters), one request at a time, beside
//!    `/health` on the same server: p50, p99 and the ratio of their medians.
//! 3. Adds trainees up to `TPMS_BENCH_EXPORT_ROWS` (1,000,000) and exports them all as CSV:
//!    time to the first byte, time to the last, rows received, and how much the process's
//!    resident memory grew while it streamed (the server runs in this process).
//!
//! Not a timed test: it checks every answer's status and that the export holds every row.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use tpms::db::Db;

/// Requests per figure.
const ROUNDS: usize = 20;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The process's resident memory, in MiB (Linux).
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let export_rows = setting("TPMS_BENCH_EXPORT_ROWS", 1_000_000);
    let common::Prepared {
        dir: _dir,
        pool,
        database,
        listener,
        base,
        backend,
        config,
    } = common::prepare()?;
    println!(
        "TPMS reports benchmark: {} cores, {backend}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let started = Instant::now();
    let sizes = tpms::dev::Sizes {
        trainees: 50_000,
        enrollments: 100_000,
        cohorts: 4_000,
        sessions_per_cohort: 10,
        attendance: 1_000_000,
    };
    let made = {
        let mut conn = pool.get()?;
        tpms::db::dialect::without_statement_timeout(&mut conn, |conn| {
            tpms::dev::generate(conn, sizes, &mut |step| eprintln!("generated {step}"))
        })??
    };
    println!("generated {made:?} in {:.0} s", started.elapsed().as_secs_f64());

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool.clone(), &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
        let auth = common::sign_in(&client, &base).await?;
        let time = |path: String| {
            let request = client
                .get(format!("{base}{path}"))
                .insert_header(("authorization", auth.clone()));
            async move {
                let started = Instant::now();
                let mut response = request.send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let body = response.body().limit(1 << 28).await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "{path}: {} {}",
                    response.status(),
                    String::from_utf8_lossy(&body)
                );
                Ok::<_, anyhow::Error>((started.elapsed().as_secs_f64() * 1000.0, body.len()))
            }
        };
        let (cohort, trainee) = {
            let mut conn = pool.get()?;
            use diesel::prelude::*;
            use tpms::schema::{cohorts, enrollments};
            let cohort: i64 = cohorts::table
                .select(cohorts::id)
                .order(cohorts::id.desc())
                .first(&mut conn)?;
            let trainee: i64 = enrollments::table
                .select(enrollments::trainee_id)
                .order(enrollments::id.desc())
                .first(&mut conn)?;
            (cohort, trainee)
        };
        let reports = [
            "/api/v1/reports/programs".to_owned(),
            "/api/v1/reports/programs?group_by=year".to_owned(),
            "/api/v1/reports/programs?format=xlsx".to_owned(),
            "/api/v1/reports/trainees-by-origin".to_owned(),
            "/api/v1/reports/trainees-by-origin?group_by=province,gender".to_owned(),
            "/api/v1/reports/trainees-by-origin?group_by=organisation&format=csv".to_owned(),
            "/api/v1/reports/trainees-by-origin?group_by=year,status&format=xlsx".to_owned(),
            "/api/v1/reports/trainees-by-origin?group_by=birth_decade&year_from=2020&year_to=2021".to_owned(),
            format!("/api/v1/reports/cohorts/{cohort}/attendance"),
            format!("/api/v1/reports/cohorts/{cohort}/attendance?format=xlsx"),
            format!("/api/v1/reports/trainees/{trainee}/record"),
        ];
        println!(
            "{:<78} {:>9} {:>9} {:>9}",
            "request (one at a time)", "p50 ms", "p99 ms", "x /health"
        );
        for path in reports {
            time(path.clone()).await?;
            let (mut ms, mut health) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
            for _ in 0..ROUNDS {
                ms.push(time(path.clone()).await?.0);
                health.push(time("/health".to_owned()).await?.0);
            }
            ms.sort_by(f64::total_cmp);
            health.sort_by(f64::total_cmp);
            let p50 = percentile(&ms, 50.0);
            println!(
                "{path:<78} {p50:>9.1} {:>9.1} {:>9.0}",
                percentile(&ms, 99.0),
                p50 / percentile(&health, 50.0).max(f64::EPSILON)
            );
        }

        let more = export_rows.saturating_sub(made.trainees);
        if more > 0 {
            eprintln!("adding {more} trainees for the export ...");
            let pool = pool.clone();
            actix_web::web::block(move || -> anyhow::Result<()> {
                let mut conn = pool.get()?;
                let extra = tpms::dev::Sizes {
                    trainees: more,
                    enrollments: 0,
                    cohorts: 0,
                    sessions_per_cohort: 0,
                    attendance: 0,
                };
                tpms::db::dialect::without_statement_timeout(&mut conn, |conn| {
                    tpms::dev::generate(conn, extra, &mut |step| eprintln!("generated {step}"))
                })??;
                Ok(())
            })
            .await??;
        }
        // A new client and a new token: the first one's idle connections may have been dropped,
        // and its 15-minute token may have run out, while a million trainees were made. Two
        // exports: the first reads pages the database may not have cached yet.
        let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
        let auth = common::sign_in(&client, &base).await?;
        for attempt in ["first", "second"] {
            let before = resident_mib();
            let started = Instant::now();
            let mut response = client
                .get(format!("{base}/api/v1/trainees?format=csv"))
                .insert_header(("authorization", auth.clone()))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            anyhow::ensure!(response.status().is_success(), "export: {}", response.status());
            let (mut first, mut lines, mut peak) = (None, 0usize, before);
            while let Some(chunk) = response.next().await {
                let chunk = chunk?;
                first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                lines += chunk.iter().filter(|&&b| b == b'\n').count();
                peak = peak.max(resident_mib());
            }
            let total = started.elapsed().as_secs_f64();
            let rows = lines.saturating_sub(1);
            anyhow::ensure!(rows >= export_rows, "the export held {rows} rows, not {export_rows}");
            println!(
                "CSV export of {rows} trainees ({attempt}): first byte {:.0} ms, all in {total:.1} s ({:.0} rows/s); \
                 resident memory {before:.0} MiB before, peak {peak:.0} MiB (+{:.0} MiB)",
                first.unwrap_or_default(),
                rows as f64 / total,
                peak - before
            );
        }
        Ok(())
    })
}
