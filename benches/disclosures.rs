//! What the record of disclosures (issue 31, item 4) costs a partner's liaison's list and export.
//! Run: `cargo bench --locked --features bench-probes --bench disclosures` (SQLite), or with
//! `TPMS_BENCH_DATABASE_URL=postgres://…` naming an empty PostgreSQL database.
//! `TPMS_BENCH_TRAINEES` (default 5,000) sets the size, `TPMS_BENCH_ROUNDS` (default 40) the
//! requests per figure.
//!
//! 1. Generates trainees and their enrolments (`tpms dev generate`'s generator), links the
//!    generated programme to a partner that shares contacts, gives every trainee's consent to that
//!    partner, and serves the app with the partner's liaison signed in.
//! 2. Times, one request at a time, the liaison's list (a page of 50 and of 200 trainees, JSON) and
//!    its CSV export of every trainee it sees, each one WITH its record and WITHOUT it,
//!    alternately (which goes first alternates too), in the same process on the same data: the
//!    `bench-probes` feature gives `disclosures::bench::UNRECORDED`, which makes `record` write
//!    nothing (a build without the feature, the service's, has no such switch). `/health` is timed
//!    the same way, for the machine's floor. The issue asks for `with / without` ≤ 1.10.
//! 3. Times the record's writing alone for a page of the same size (`disclosures::record` on a
//!    pooled connection), to show where the difference goes.
//!
//! Not a timed test: it checks every answer's status, that each request WITH the record wrote
//! one disclosure per trainee it answered with, and that each one WITHOUT wrote none.

mod common;

use std::time::{Duration, Instant};

use diesel::prelude::*;
use tpms::access::Caller;
use tpms::db::Db;
use tpms::disclosures::{Disclosed, PersonalField};
use tpms::ids::{PartnerId, ProgramId, TraineeId, UserId};

/// The liaison's password.
const PASSWORD: &str = "benchmark password, long enough";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `q` quantile (0..=1) of `ms`, nearest rank.
fn quantile(ms: &[f64], q: f64) -> f64 {
    let mut ms = ms.to_vec();
    ms.sort_by(f64::total_cmp);
    let rank = ((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len());
    ms[rank - 1]
}

/// How many people the record holds, all disclosures together.
fn recorded(pool: &tpms::db::DbPool) -> anyhow::Result<i64> {
    let mut conn = pool.get()?;
    Ok(tpms::schema::disclosures::table.count().get_result(&mut conn)?)
}

/// Request with (`true`) or without the record: the switch `record` reads.
fn set_recording(on: bool) {
    tpms::disclosures::bench::UNRECORDED.store(!on, std::sync::atomic::Ordering::SeqCst);
}

/// A partner sharing contacts in the generated programme, every trainee's consent to it, and its
/// liaison. Returns the partner and the liaison's id.
fn partner_and_liaison(conn: &mut tpms::db::DbConnection) -> anyhow::Result<(PartnerId, UserId)> {
    use tpms::programs::partners::{CreateProgramPartner, PartnerRole, ProgramPartner};
    use tpms::schema::programs;
    let actor = tpms::effects::actor("bench", None);
    let partner = tpms::resource::create::<tpms::partners::Partner>(
        conn,
        &actor,
        (),
        tpms::partners::CreatePartner {
            code: "BENCH-PARTNER".to_owned(),
            name: "Benchmark partner".to_owned(),
            name_local: None,
            kind: tpms::partners::PartnerKind::DevelopmentAgency,
            country: "JP".to_owned(),
            website: None,
            notes: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let program: ProgramId = programs::table.select(programs::id).first(conn)?;
    tpms::resource::create::<ProgramPartner>(
        conn,
        &actor,
        program,
        CreateProgramPartner {
            partner_id: partner.id,
            roles: vec![PartnerRole::Funder],
            notes: None,
            shares_trainee_contacts: true,
            reviews_nominations: false,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Everyone consents, so the liaison reads (and the record holds) the most it can.
    diesel::sql_query(format!(
        "INSERT INTO consents (trainee_id, purpose, partner_id, method, given_at, created_at, updated_at, version) \
         SELECT id, 'partner_contacts', {}, 'import', created_at, created_at, created_at, 1 FROM trainees",
        partner.id
    ))
    .execute(conn)?;
    let new = tpms::users::CreateUser {
        email: "liaison@bench.test".to_owned(),
        display_name: "Bench liaison".to_owned(),
        role: tpms::users::Role::Liaison,
        partner_id: Some(partner.id),
        password: PASSWORD.to_owned(),
    };
    let hash = tpms::auth::passwords::hash_now(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = tpms::users::User::create(conn, &new, hash).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((partner.id, user.id))
}

fn main() -> anyhow::Result<()> {
    let trainees = setting("TPMS_BENCH_TRAINEES", 5_000);
    let rounds = setting("TPMS_BENCH_ROUNDS", 40).max(2);
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
        "TPMS disclosures benchmark: {} cores, {backend}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let sizes = tpms::dev::Sizes {
        trainees,
        enrollments: trainees,
        cohorts: 20,
        sessions_per_cohort: 0,
        attendance: 0,
    };
    let (partner, liaison) = {
        let mut conn = pool.get()?;
        tpms::db::dialect::without_statement_timeout(&mut conn, |conn| {
            tpms::dev::generate(conn, sizes, &mut |step| eprintln!("generated {step}"))
        })??;
        partner_and_liaison(&mut conn)?
    };
    let caller = Caller::Liaison { id: liaison, partner };

    actix_web::rt::System::new().block_on(async move {
        let server = tpms::app::serve(listener, Db::new(pool.clone(), &database)?, config)?;
        actix_web::rt::spawn(server);
        let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
        let mut login = client
            .post(format!("{base}/api/v1/auth/login"))
            .send_json(&serde_json::json!({"email": "liaison@bench.test", "password": PASSWORD}))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let token: serde_json::Value = login.json().await?;
        let auth = format!("Bearer {}", token["access_token"].as_str().unwrap_or_default());
        let time = |path: String| {
            let request = client
                .get(format!("{base}{path}"))
                .insert_header(("authorization", auth.clone()));
            async move {
                let started = Instant::now();
                let mut response = request.send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let body = response.body().limit(1 << 28).await?;
                anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
                let rows = body.iter().filter(|&&b| b == b'\n').count();
                Ok::<_, anyhow::Error>((started.elapsed().as_secs_f64() * 1000.0, rows))
            }
        };
        // What one statement of the record costs for a page of `n` trainees, alone.
        let log = |n: usize| {
            let pool = pool.clone();
            let caller = caller.clone();
            async move {
                actix_web::web::block(move || -> anyhow::Result<f64> {
                    let mut conn = pool.get()?;
                    let page: Vec<Disclosed> = (1..=n)
                        .map(|i| Disclosed {
                            trainee: TraineeId(i64::try_from(i).unwrap_or_default()),
                            fields: vec![
                                PersonalField::FullName,
                                PersonalField::Organisation,
                                PersonalField::Position,
                                PersonalField::Province,
                                PersonalField::Email,
                                PersonalField::Phone,
                            ],
                        })
                        .collect();
                    let started = Instant::now();
                    tpms::disclosures::record(&mut conn, &caller, "trainees", page)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    Ok(started.elapsed().as_secs_f64() * 1000.0)
                })
                .await?
            }
        };
        // The floor: the server's cheapest answer, timed the same way.
        let mut health = Vec::new();
        for _ in 0..rounds {
            health.push(time("/health".to_owned()).await?.0);
        }
        println!(
            "GET /health: p50 {:.2} ms, p99 {:.2} ms",
            quantile(&health, 0.5),
            quantile(&health, 0.99)
        );
        println!(
            "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9}",
            "liaison's request", "people", "with p50", "w/o p50", "with p99", "w/o p99", "p50 ×", "p99 ×", "alone ms"
        );
        let requests = [
            ("GET /trainees?limit=50", "/api/v1/trainees?limit=50", rounds, 50usize),
            ("GET /trainees?limit=200", "/api/v1/trainees?limit=200", rounds, 200),
            (
                "GET /trainees?format=csv",
                "/api/v1/trainees?format=csv",
                (rounds / 4).max(2),
                500,
            ),
        ];
        for (name, path, rounds, page) in requests {
            // Warm both ways once (caches, prepared statements), unmeasured.
            for on in [true, false] {
                set_recording(on);
                time(path.to_owned()).await?;
            }
            let (mut with, mut without, mut people) = (Vec::new(), Vec::new(), 0usize);
            for round in 0..rounds {
                // Which goes first alternates, so neither always follows the other.
                let order = if round % 2 == 0 { [true, false] } else { [false, true] };
                for on in order {
                    set_recording(on);
                    let before = recorded(&pool)?;
                    let (ms, lines) = time(path.to_owned()).await?;
                    let written = recorded(&pool)? - before;
                    // People counted from the record; for the CSV, one a line (the header apart).
                    if on {
                        anyhow::ensure!(written > 0, "{name} with the record wrote none");
                        if path.contains("csv") {
                            anyhow::ensure!(
                                usize::try_from(written)? == lines.saturating_sub(1),
                                "{name}: {written} recorded for {} lines",
                                lines.saturating_sub(1)
                            );
                        }
                        people = usize::try_from(written)?;
                        with.push(ms);
                    } else {
                        anyhow::ensure!(written == 0, "{name} without the record wrote {written}");
                        without.push(ms);
                    }
                }
            }
            set_recording(true);
            // The record alone, for a page of the request's size (the export writes one a page).
            let mut alone = Vec::new();
            for _ in 0..rounds.min(10) {
                alone.push(log(page.min(people.max(1))).await?);
            }
            let pages = people.div_ceil(page).max(1) as f64;
            let (w50, o50, w99, o99) = (
                quantile(&with, 0.5),
                quantile(&without, 0.5),
                quantile(&with, 0.99),
                quantile(&without, 0.99),
            );
            println!(
                "{name:<34} {people:>6} {w50:>10.2} {o50:>10.2} {w99:>10.2} {o99:>10.2} {:>8.3} {:>8.3} {:>9.2}",
                w50 / o50.max(f64::EPSILON),
                w99 / o99.max(f64::EPSILON),
                quantile(&alone, 0.5) * pages
            );
        }
        println!("disclosures written: {}", recorded(&pool)?);
        Ok(())
    })
}
