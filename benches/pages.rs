//! The pages for people without accounts: size and server time. Run: `cargo bench --bench pages`
//! (or `cargo bench --profile dev --bench pages` for a quick look at a debug build).
//!
//! Starts the real app on a temporary SQLite database (or the empty PostgreSQL one named by
//! `TPMS_BENCH_DATABASE_URL`), makes a cohort with a round of the course reaction template, plans
//! and checkpoints, then requests each page `TPMS_BENCH_REQUESTS` times (default 500), one at a
//! time, with `/health` requested the same way in between, so that the page's time reads as a
//! ratio to the cheapest request the same server answers. Prints each page's bytes (and with the
//! stylesheet), its p50 and p99, and that ratio. Not a timed test: it checks each answer's status.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tpms::db::Db;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::var("TPMS_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let common::Prepared {
        dir: _dir,
        pool,
        database,
        listener,
        base,
        backend,
        mut config,
    } = common::prepare()?;
    config.evaluations.public_requests_per_minute = 1_000_000;
    config.evaluations.link_requests_per_minute = 1_000_000;
    println!("TPMS pages benchmark: {backend}, {requests} requests per page, one at a time");

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool, &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let auth = common::sign_in(&client, &base).await?;
        let call = |method: awc::http::Method, path: String, body: Option<Value>| {
            let request = client
                .request(method, format!("{base}{path}"))
                .insert_header(("authorization", auth.clone()));
            async move {
                let mut response = match &body {
                    Some(body) => request.send_json(body).await,
                    None => request.send().await,
                }
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                let bytes = response.body().limit(1 << 24).await?;
                anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
                Ok::<Value, anyhow::Error>(if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes)? })
            }
        };
        let post = |path: &str, body: Value| call(awc::http::Method::POST, path.to_owned(), Some(body));
        let path_of = |url: &Value| -> anyhow::Result<String> {
            let url = url.as_str().ok_or_else(|| anyhow::anyhow!("no page_url"))?;
            Ok(url.strip_prefix(&base).unwrap_or(url).to_owned())
        };

        let program = post("/api/v1/programs", json!({"code": "PAGES", "title": "Young Leaders", "title_vi": "Lãnh đạo trẻ", "kind": "training_course"})).await?;
        let cohort = post(
            &format!("/api/v1/programs/{}/cohorts", program["id"]),
            json!({"code": "P1", "name": "Khóa 1", "status": "open", "start_date": "2023-10", "end_date": "2024-01"}),
        )
        .await?;
        let trainee = post("/api/v1/trainees", json!({"full_name": "Nguyễn Thị Phương Thảo"})).await?;
        post(&format!("/api/v1/cohorts/{}/enrollments", cohort["id"]), json!({"trainee_id": trainee["id"]})).await?;
        let template = tpms::instruments::templates().map_err(|e| anyhow::anyhow!("{e}"))?.remove(0);
        let form = post("/api/v1/instruments", serde_json::to_value(&template)?).await?;
        call(awc::http::Method::PATCH, format!("/api/v1/instruments/{}", form["id"]), Some(json!({"status": "published"}))).await?;
        let round = post(
            &format!("/api/v1/cohorts/{}/rounds", cohort["id"]),
            json!({"instrument_id": form["id"], "title": "Bench", "subject": "course", "respondent": "trainee", "wave": "post", "anonymity": "identified"}),
        )
        .await?;
        call(awc::http::Method::PATCH, format!("/api/v1/rounds/{}", round["id"]), Some(json!({"status": "open"}))).await?;
        let invitations = call(awc::http::Method::GET, format!("/api/v1/rounds/{}/invitations", round["id"]), None).await?;
        let questionnaire = path_of(&invitations["items"][0]["page_url"])?;
        let plans = post(&format!("/api/v1/cohorts/{}/action-plan-links", cohort["id"]), json!({})).await?;
        let plan = path_of(&plans["plans"][0]["page_url"])?;
        let items: Vec<Value> = (1..=5)
            .map(|i| json!({"indicator": format!("Chỉ số {i}"), "baseline": "10 %", "target": "60 %", "due_on": "2025-06-30"}))
            .collect();
        let plan_id = plans["plans"][0]["plan_id"].clone();
        call(
            awc::http::Method::PATCH,
            format!("/api/v1/action-plans/{plan_id}"),
            Some(json!({"title": "Hồ sơ trực tuyến", "problem": "Người dân phải đến trụ sở nhiều lần.", "items": items})),
        )
        .await?;

        // A second trainee's plan, approved, for a checkpoint's report page.
        let other = post("/api/v1/trainees", json!({"full_name": "Trần Văn Hùng"})).await?;
        let seat = post(&format!("/api/v1/cohorts/{}/enrollments", cohort["id"]), json!({"trainee_id": other["id"]})).await?;
        let approved = post(
            &format!("/api/v1/cohorts/{}/action-plans", cohort["id"]),
            json!({"enrollment_id": seat["id"], "title": "Đào tạo cán bộ", "problem": "Thiếu cán bộ.", "items": items}),
        )
        .await?;
        for status in ["submitted", "approved"] {
            call(awc::http::Method::PATCH, format!("/api/v1/action-plans/{}", approved["id"]), Some(json!({"status": status}))).await?;
        }
        let follow_ups = call(awc::http::Method::GET, format!("/api/v1/follow-ups?cohort_id={}", cohort["id"]), None).await?;
        let report = path_of(&follow_ups["items"][0]["page_url"])?;

        let pages = [
            ("GET /health", "/health".to_owned()),
            ("questionnaire (8 questions)", questionnaire),
            ("action plan (5 steps)", plan),
            ("follow-up report (5 steps)", report),
            ("verify", "/verify".to_owned()),
            ("stylesheet", "/assets/pages.css".to_owned()),
        ];
        let mut health_p50 = None;
        let mut stylesheet = 0;
        let mut lines = Vec::new();
        for (name, path) in &pages {
            let mut times = Vec::with_capacity(requests);
            let mut bytes = 0;
            for _ in 0..requests {
                let started = Instant::now();
                let mut response = client
                    .get(format!("{base}{path}"))
                    .insert_header(("accept-language", "vi"))
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let body = response.body().limit(1 << 20).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                anyhow::ensure!(response.status().is_success(), "{name}: {}", response.status());
                bytes = body.len();
            }
            times.sort_by(f64::total_cmp);
            let p50 = percentile(&times, 50.0);
            if health_p50.is_none() {
                health_p50 = Some(p50);
            }
            if *name == "stylesheet" {
                stylesheet = bytes;
            }
            lines.push((name.to_string(), bytes, p50, percentile(&times, 99.0)));
        }
        let health = health_p50.unwrap_or(f64::NAN);
        println!("{:<30} {:>8} {:>12} {:>9} {:>9} {:>10}", "page", "bytes", "with styles", "p50 ms", "p99 ms", "× /health");
        for (name, bytes, p50, p99) in lines {
            let with = if name.starts_with("GET") || name == "stylesheet" { String::from("-") } else { (bytes + stylesheet).to_string() };
            println!("{name:<30} {bytes:>8} {with:>12} {p50:>9.2} {p99:>9.2} {:>10.1}", p50 / health);
        }
        Ok(())
    })
}
