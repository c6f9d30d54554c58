//! The officer's heavy requests. Run: `cargo bench --bench enrollments`.
//!
//! Starts the real app (release build) on a temporary SQLite database, or on the PostgreSQL
//! database named by `TPMS_BENCH_DATABASE_URL` (it must be empty; it is migrated), and measures:
//! 1. a CSV import of 1,000 new trainees into a cohort, as a dry run and for real;
//! 2. 20 concurrent enrolments racing for 5 free seats (the time until all 20 have answered);
//! 3. trainee search (`?q=`) over the trainees the imports made, with and without diacritics.
//!
//! Not a timed test: it checks that the answers are right and prints figures to compare.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tpms::db::Db;

const IMPORTS: usize = 5;
const ROWS: usize = 1000;
const RACES: usize = 10;
const SEARCHES: usize = 200;

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "{name:<48} n={:<4} mean={mean:>8.1} ms  p50={:>8.1}  p95={:>8.1}  max={:>8.1}",
        ms.len(),
        at(50.0),
        at(95.0),
        at(100.0)
    );
}

/// A spreadsheet of `rows` new trainees, distinct per `batch`.
fn csv(batch: usize, rows: usize) -> String {
    const SURNAMES: [&str; 6] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đỗ"];
    let mut csv = String::from("\u{feff}full_name,email,organisation,position,province\r\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{} Văn Đức {batch}-{i},t{batch}-{i}@example.gov.vn,Sở Nội vụ tỉnh {},Chuyên viên,Hà Nội\r\n",
            SURNAMES[i % SURNAMES.len()],
            i % 63
        ));
    }
    csv
}

fn main() -> anyhow::Result<()> {
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
        "TPMS enrolment benchmark: {} cores, {backend}, server at {base}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool, &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(300)).finish();
        let auth = common::sign_in(&client, &base).await?;
        let post = |path: String, body: Value| {
            let request = client
                .post(format!("{base}{path}"))
                .insert_header(("authorization", auth.clone()));
            async move {
                let started = Instant::now();
                let mut response = request.send_json(&body).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let value: Value = response.json().limit(1 << 24).await?;
                anyhow::ensure!(response.status().is_success(), "{path}: {} {value}", response.status());
                Ok::<_, anyhow::Error>((value, started.elapsed().as_secs_f64() * 1000.0))
            }
        };
        let (program, _) = post(
            "/api/v1/programs".into(),
            json!({"code": "BENCH", "title": "Bench", "kind": "training_course"}),
        )
        .await?;

        eprintln!("[1/3] {IMPORTS} imports of {ROWS} rows (dry run, then for real) ...");
        let (mut dry, mut real) = (Vec::new(), Vec::new());
        for batch in 0..IMPORTS {
            let cohorts = format!("/api/v1/programs/{}/cohorts", program["id"]);
            let (cohort, _) = post(
                cohorts,
                json!({"code": format!("I{batch}"), "name": "Import", "status": "open"}),
            )
            .await?;
            let body = csv(batch, ROWS);
            for (query, times) in [("?dry_run=true", &mut dry), ("", &mut real)] {
                let started = Instant::now();
                let mut response = client
                    .post(format!(
                        "{base}/api/v1/cohorts/{}/enrollments/import{query}",
                        cohort["id"]
                    ))
                    .insert_header(("authorization", auth.clone()))
                    .content_type("text/csv")
                    .send_body(body.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let report: Value = response.json().limit(1 << 24).await?;
                anyhow::ensure!(report["rows"] == ROWS, "import answered {} {report}", response.status());
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            eprintln!("      batch {}/{IMPORTS} done", batch + 1);
        }
        summary(&format!("import {ROWS} rows, dry run"), dry);
        summary(&format!("import {ROWS} rows"), real);

        eprintln!("[2/3] {RACES} races of 20 enrolments for 5 seats ...");
        let mut races = Vec::new();
        for race in 0..RACES {
            let cohorts = format!("/api/v1/programs/{}/cohorts", program["id"]);
            let (cohort, _) = post(
                cohorts,
                json!({"code": format!("R{race}"), "name": "Race", "capacity": 5, "status": "open"}),
            )
            .await?;
            let mut trainees = Vec::new();
            for i in 0..20 {
                trainees.push(
                    post(
                        "/api/v1/trainees".into(),
                        json!({"full_name": format!("Racer {race}-{i}")}),
                    )
                    .await?
                    .0,
                );
            }
            let path = format!("/api/v1/cohorts/{}/enrollments", cohort["id"]);
            let started = Instant::now();
            let results = futures::future::join_all(
                trainees
                    .iter()
                    .map(|t| post(path.clone(), json!({"trainee_id": t["id"]}))),
            )
            .await;
            races.push(started.elapsed().as_secs_f64() * 1000.0);
            let enrolled = results
                .into_iter()
                .collect::<anyhow::Result<Vec<_>>>()?
                .iter()
                .filter(|(e, _)| e["status"] == "enrolled")
                .count();
            anyhow::ensure!(enrolled == 5, "race {race}: {enrolled} enrolled");
        }
        summary("20 concurrent enrolments, 5 seats (all answered)", races);

        eprintln!(
            "[3/3] {SEARCHES} trainee searches per query over {} trainees ...",
            IMPORTS * ROWS
        );
        for q in ["nguyen%20van%20duc%202-1", "%C4%90%E1%BB%A9c", "chuyen%20vien"] {
            let mut times = Vec::new();
            for _ in 0..SEARCHES {
                let started = Instant::now();
                let mut response = client
                    .get(format!("{base}/api/v1/trainees?q={q}&limit=20"))
                    .insert_header(("authorization", auth.clone()))
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let page: Value = response.json().limit(1 << 24).await?;
                anyhow::ensure!(page["total"].as_i64().unwrap_or(0) > 0, "no match for {q}");
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            summary(&format!("GET /trainees?q={q}"), times);
        }
        Ok::<_, anyhow::Error>(())
    })
}
