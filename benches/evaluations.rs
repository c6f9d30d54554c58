//! An evaluation round of 10,000 trainees. Run: `cargo bench --bench evaluations`.
//!
//! Starts the real app (release build) on a temporary SQLite database, or on the PostgreSQL
//! database named by `TPMS_BENCH_DATABASE_URL` (it must be empty; it is migrated), seats 10,000
//! trainees (each with an email address) in one cohort, opens a round of the course reaction
//! template (10,000 invitations, and as many messages queued; mail is off, so none is sent), reads
//! every link, has every trainee answer through their link (16 at a time), and computes the
//! round's results. Prints the time of each step, and the answers' throughput and latency.
//! `TPMS_BENCH_ONLY_OPEN=1` stops once the round is open and its links and queued messages are
//! counted, for runs that time the opening alone.
//!
//! Not a timed test: it checks that every answer is recorded and counted.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tpms::db::Db;

/// How many trainees, unless `TPMS_BENCH_TRAINEES` says otherwise.
const TRAINEES: usize = 10_000;
/// Requests in flight at once, unless `TPMS_BENCH_IN_FLIGHT` says otherwise.
const IN_FLIGHT: usize = 16;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "{name:<44} n={:<6} mean={mean:>7.2} ms  p50={:>7.2}  p99={:>7.2}  max={:>7.2}",
        ms.len(),
        at(50.0),
        at(99.0),
        at(100.0)
    );
}

fn main() -> anyhow::Result<()> {
    let (trainees, in_flight) = (
        setting("TPMS_BENCH_TRAINEES", TRAINEES),
        setting("TPMS_BENCH_IN_FLIGHT", IN_FLIGHT),
    );
    let common::Prepared {
        dir: _dir,
        pool,
        database,
        listener,
        base,
        backend,
        mut config,
    } = common::prepare()?;
    // Every trainee answers from this one address: the per-address limit is lifted.
    config.evaluations.public_requests_per_minute = 1_000_000;
    config.evaluations.link_requests_per_minute = 1_000_000;
    println!(
        "TPMS evaluation benchmark: {} cores, {backend}, {trainees} trainees",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool, &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(300)).finish();
        let auth = common::sign_in(&client, &base).await?;
        let send = |method: awc::http::Method, path: String, body: Option<Value>| {
            let request = client
                .request(method, format!("{base}{path}"))
                .insert_header(("authorization", auth.clone()));
            async move {
                let started = Instant::now();
                let mut response = match &body {
                    Some(body) => request.send_json(body).await,
                    None => request.send().await,
                }
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                let bytes = response.body().limit(1 << 26).await?;
                let value: Value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes)? };
                anyhow::ensure!(response.status().is_success(), "{path}: {} {value}", response.status());
                Ok::<_, anyhow::Error>((value, started.elapsed().as_secs_f64() * 1000.0))
            }
        };
        let post = |path: String, body: Value| send(awc::http::Method::POST, path, Some(body));

        let (program, _) = post("/api/v1/programs".into(), json!({"code": "BENCH", "title": "Bench", "kind": "training_course"})).await?;
        let (cohort, _) = post(
            format!("/api/v1/programs/{}/cohorts", program["id"]),
            json!({"code": "E1", "name": "Evaluation bench", "status": "open"}),
        )
        .await?;
        eprintln!("[1/5] seating {trainees} trainees ...");
        let started = Instant::now();
        let seated: Vec<anyhow::Result<()>> = futures::stream::iter(0..trainees)
            .map(|i| {
                let post = &post;
                let cohort = &cohort;
                async move {
                    let (trainee, _) = post("/api/v1/trainees".into(), json!({"full_name": format!("Học viên {i}"), "email": format!("trainee{i}@bench.test")})).await?;
                    post(format!("/api/v1/cohorts/{}/enrollments", cohort["id"]), json!({"trainee_id": trainee["id"]})).await?;
                    Ok(())
                }
            })
            .buffer_unordered(in_flight)
            .collect()
            .await;
        seated.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        println!("{:<44} {:>8.2} s", format!("seat {trainees} trainees"), started.elapsed().as_secs_f64());

        let template = tpms::instruments::templates().map_err(|e| anyhow::anyhow!("{e}"))?.remove(0);
        let (form, _) = post("/api/v1/instruments".into(), serde_json::to_value(&template)?).await?;
        send(awc::http::Method::PATCH, format!("/api/v1/instruments/{}", form["id"]), Some(json!({"status": "published"}))).await?;
        let (round, _) = post(
            format!("/api/v1/cohorts/{}/rounds", cohort["id"]),
            json!({"instrument_id": form["id"], "title": "Bench", "subject": "course", "respondent": "trainee", "wave": "post", "anonymity": "anonymous"}),
        )
        .await?;
        eprintln!("[2/5] opening the round ...");
        let (_, opened) = send(awc::http::Method::PATCH, format!("/api/v1/rounds/{}", round["id"]), Some(json!({"status": "open"}))).await?;
        println!("{:<44} {:>8.3} s", format!("open the round ({trainees} invitations)"), opened / 1000.0);

        eprintln!("[3/5] reading the links ...");
        let started = Instant::now();
        let mut links = Vec::with_capacity(trainees);
        let mut path = format!("/api/v1/rounds/{}/invitations?limit=200", round["id"]);
        loop {
            let (page, _) = send(awc::http::Method::GET, path.clone(), None).await?;
            links.extend(page["items"].as_array().into_iter().flatten().filter_map(|i| i["link"].as_str().map(str::to_owned)));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/rounds/{}/invitations?limit=200&cursor={cursor}", round["id"]),
                None => break,
            }
        }
        anyhow::ensure!(links.len() == trainees, "{} links listed", links.len());
        println!("{:<44} {:>8.2} s", "list every link (pages of 200)", started.elapsed().as_secs_f64());
        let (counts, _) = send(awc::http::Method::GET, format!("/api/v1/rounds/{}/messages", round["id"]), None).await?;
        anyhow::ensure!(counts["queued"] == trainees, "after opening, the round's messages are {counts}, not {trainees} queued");
        // `TPMS_BENCH_ONLY_OPEN=1`: stop here, for runs that time the opening alone.
        if std::env::var_os("TPMS_BENCH_ONLY_OPEN").is_some() {
            return Ok(());
        }

        eprintln!("[4/5] {trainees} answers through the links, {in_flight} at a time ...");
        let started = Instant::now();
        let answered: Vec<anyhow::Result<f64>> = futures::stream::iter(links.iter().enumerate())
            .map(|(i, link)| {
                let duration = ["too_short", "right", "too_long"][i % 3];
                let body = json!({"answers": {
                    "content_useful": 1 + i % 5, "lecturers_clear": 1 + (i / 5) % 5, "relevance_work": 1 + (i / 25) % 5,
                    "logistics": 1 + i % 3, "duration": duration, "overall": 1 + (i * 7) % 5,
                    "recommend": i % 4 != 0, "comments": if i % 10 == 0 { Value::from(format!("Góp ý {i}")) } else { Value::Null }
                }});
                let post = &post;
                async move { Ok(post(link.clone(), body).await?.1) }
            })
            .buffer_unordered(in_flight)
            .collect()
            .await;
        let latencies = answered.into_iter().collect::<anyhow::Result<Vec<f64>>>()?;
        let seconds = started.elapsed().as_secs_f64();
        println!("{:<44} {:>8.2} s, {:.0} answers/s", format!("{trainees} answers"), seconds, trainees as f64 / seconds);
        summary("one answer", latencies);

        eprintln!("[5/5] the results ...");
        let mut times = Vec::new();
        for _ in 0..5 {
            let (results, ms) = send(awc::http::Method::GET, format!("/api/v1/rounds/{}/results", round["id"]), None).await?;
            anyhow::ensure!(results["responses"] == trainees, "results count {}", results["responses"]);
            anyhow::ensure!(results["response_rate"]["submitted"] == trainees, "rate {}", results["response_rate"]);
            times.push(ms);
        }
        summary(&format!("results of {trainees} answers"), times);
        Ok(())
    })
}
