//! What the record of disclosures (issue 31, item 4) costs a partner's liaison's list and export.
//! Run: `cargo bench --bench disclosures` (SQLite), or with `TPMS_BENCH_DATABASE_URL=postgres://…`
//! naming an empty PostgreSQL database. `TPMS_BENCH_TRAINEES` (default 5,000) sets the size.
//!
//! 1. Generates trainees and their enrolments (`tpms dev generate`'s generator), links the
//!    generated programme to a partner that shares contacts, gives every trainee's consent to that
//!    partner, and serves the app with the partner's liaison signed in.
//! 2. Times, one request at a time, the liaison's list (a page of 50 and of 200 trainees, JSON) and
//!    its CSV export of every trainee it sees: each writes its disclosures, one statement a page.
//! 3. Times that statement alone, for a page of the same size, on the same database
//!    (`disclosures::record`, what the request runs after reading its page), and gives the ratio
//!    of the request to the request without it: `with / (with - log)`. The issue asks for at most
//!    1.10.
//!
//! Not a timed test: it checks every answer's status and that the disclosures were written.

mod common;

use std::time::{Duration, Instant};

use diesel::prelude::*;
use tpms::access::Caller;
use tpms::db::Db;
use tpms::disclosures::{Disclosed, PersonalField};
use tpms::ids::{PartnerId, ProgramId, TraineeId, UserId};

/// Requests per figure.
const ROUNDS: usize = 30;
/// The liaison's password.
const PASSWORD: &str = "benchmark password, long enough";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
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
        println!(
            "{:<44} {:>12} {:>12} {:>12} {:>10}",
            "liaison's request", "with, ms", "log, ms", "without, ms", "ratio"
        );
        for limit in [50usize, 200] {
            let path = format!("/api/v1/trainees?limit={limit}");
            time(path.clone()).await?;
            let (mut with, mut alone) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                with.push(time(path.clone()).await?.0);
                alone.push(log(limit).await?);
            }
            let (with, alone) = (median(with), median(alone));
            println!(
                "{path:<44} {with:>12.2} {alone:>12.2} {:>12.2} {:>10.3}",
                with - alone,
                with / (with - alone).max(f64::EPSILON)
            );
        }
        // The export writes one statement per page of 500.
        let (export, rows) = time("/api/v1/trainees?format=csv".to_owned()).await?;
        let rows = rows.saturating_sub(1);
        let mut pages = Vec::new();
        for _ in 0..rows.div_ceil(500) {
            pages.push(log(500).await?);
        }
        let alone: f64 = pages.iter().sum();
        println!(
            "{:<44} {export:>12.2} {alone:>12.2} {:>12.2} {:>10.3}",
            format!("CSV export ({rows} trainees)"),
            export - alone,
            export / (export - alone).max(f64::EPSILON)
        );
        let written: i64 = {
            let mut conn = pool.get()?;
            tpms::schema::disclosures::table.count().get_result(&mut conn)?
        };
        anyhow::ensure!(written > 0, "no disclosure was written");
        println!("disclosures written: {written}");
        Ok(())
    })
}
