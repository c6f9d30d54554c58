//! `tpms dev generate`: a synthetic data set for benchmarks, at the scale of a training
//! department's years of records (a million trainees in minutes). The people are made up from
//! common Vietnamese name parts and are marked as generated; none of it is seed data.
//!
//! It writes a programme `BENCH` with its cohorts and sessions, trainees with their search terms,
//! enrolments spread over the cohorts, and attendance for them, in large multi-row inserts, one
//! transaction per batch. Generation is deterministic: the same counts give the same rows.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::on_either_backend;
use crate::ids::{CohortId, EnrollmentId, ProgramId, SessionId, TraineeId};
use crate::schema::{attendance, cohorts, enrollments, programs, sessions, trainee_terms, trainees};

/// How much to generate.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Sizes {
    /// Trainees to create.
    #[arg(long, default_value_t = 10_000)]
    pub trainees: usize,
    /// Enrolments, spread over the cohorts (each trainee at most once per cohort).
    #[arg(long, default_value_t = 10_000)]
    pub enrollments: usize,
    /// Cohorts of the benchmark programme.
    #[arg(long, default_value_t = 200)]
    pub cohorts: usize,
    /// Sessions of each cohort.
    #[arg(long, default_value_t = 10)]
    pub sessions_per_cohort: usize,
    /// Attendance records, over the enrolments and their cohorts' sessions.
    #[arg(long, default_value_t = 0)]
    pub attendance: usize,
}

/// Rows per multi-row insert: under SQLite's limit of bound variables whatever the table.
const BATCH: usize = 2_000;

/// A small deterministic generator (SplitMix64): the same data set on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index below `n`.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Family names, the first ones repeated as they are common (Nguyễn is about one in three).
const FAMILY: [&str; 20] = [
    "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
    "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
];
const MIDDLE: [&str; 12] = [
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Hoài", "Kim",
];
const GIVEN: [&str; 30] = [
    "An", "Bình", "Chi", "Dũng", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Huy", "Khánh",
    "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến",
];
const POSITIONS: [&str; 6] = [
    "Chuyên viên",
    "Chuyên viên chính",
    "Phó Giám đốc Sở",
    "Trưởng phòng",
    "Phó Chủ tịch UBND",
    "Phó Trưởng ban",
];
const ORGANISATIONS: [&str; 6] = [
    "Sở Nội vụ",
    "Sở Kế hoạch và Đầu tư",
    "Ủy ban nhân dân",
    "Sở Tài nguyên và Môi trường",
    "Ban Tổ chức Tỉnh ủy",
    "Sở Xây dựng",
];
const PROVINCES: [&str; 12] = [
    "Hà Nội",
    "Hải Phòng",
    "Đà Nẵng",
    "Thành phố Hồ Chí Minh",
    "Cần Thơ",
    "Quảng Ninh",
    "Thừa Thiên Huế",
    "Nghệ An",
    "Bình Dương",
    "Lâm Đồng",
    "Thái Nguyên",
    "Khánh Hòa",
];

/// What a run made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Trainees created.
    pub trainees: usize,
    /// Enrolments created.
    pub enrollments: usize,
    /// Cohorts created.
    pub cohorts: usize,
    /// Sessions created.
    pub sessions: usize,
    /// Attendance records created.
    pub attendance: usize,
}

/// Generate `sizes` rows into the database, reporting progress through `progress` as each
/// kind of record is done.
pub fn generate(conn: &mut DbConnection, sizes: Sizes, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Generated> {
    let mut rng = Rng(0x7470_6d73);
    let base = NaiveDate::from_ymd_opt(2019, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| anyhow::anyhow!("the base date is valid"))?;
    let program = program(conn, base)?;
    let cohort_ids = cohorts_of(conn, program, sizes.cohorts, base)?;
    progress(&format!("{} cohorts", cohort_ids.len()));
    let session_ids = sessions_of(conn, &cohort_ids, sizes.sessions_per_cohort, base)?;
    progress(&format!("{} sessions", session_ids.iter().map(Vec::len).sum::<usize>()));
    let trainee_ids = trainees_with_terms(conn, &mut rng, sizes.trainees, base, progress)?;
    let enrollment_ids = enrolments(conn, &cohort_ids, &trainee_ids, sizes.enrollments, base, progress)?;
    let sessions_by_cohort = cohort_ids.iter().copied().zip(session_ids.iter()).collect();
    let attendance = attendance_of(
        conn,
        &mut rng,
        &enrollment_ids,
        &sessions_by_cohort,
        sizes.attendance,
        progress,
    )?;
    // What the API keeps on write, made here for the rows inserted directly: each enrolment's
    // origin (the trainee's placement, as in migration 2026-12-02-000004) and each cohort's
    // attendance tally.
    crate::db::dialect::write_transaction(conn, |conn| -> anyhow::Result<()> {
        diesel::sql_query(
            "UPDATE enrollments SET \
               organisation = (SELECT t.organisation FROM trainees t WHERE t.id = enrollments.trainee_id), \
               position = (SELECT t.position FROM trainees t WHERE t.id = enrollments.trainee_id), \
               province = (SELECT t.province FROM trainees t WHERE t.id = enrollments.trainee_id), \
               gender = (SELECT t.gender FROM trainees t WHERE t.id = enrollments.trainee_id), \
               birth_year = (SELECT t.birth_year FROM trainees t WHERE t.id = enrollments.trainee_id) \
             WHERE organisation IS NULL AND position IS NULL AND province IS NULL",
        )
        .execute(conn)?;
        let year = crate::db::dialect::year_of(conn, "c.start_date");
        diesel::sql_query(format!(
            "UPDATE enrollments SET cohort_year = (SELECT {year} FROM cohorts c WHERE c.id = enrollments.cohort_id) \
             WHERE cohort_year IS NULL"
        ))
        .execute(conn)?;
        crate::attendance::retally_all(conn)?;
        Ok(())
    })?;
    progress("origins and attendance tallies");
    Ok(Generated {
        trainees: trainee_ids.len(),
        enrollments: enrollment_ids.len(),
        cohorts: cohort_ids.len(),
        sessions: session_ids.iter().map(Vec::len).sum(),
        attendance,
    })
}

/// The benchmark programme, created once.
fn program(conn: &mut DbConnection, at: NaiveDateTime) -> anyhow::Result<ProgramId> {
    let existing: Option<ProgramId> = programs::table
        .filter(programs::code.eq("BENCH"))
        .select(programs::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    Ok(diesel::insert_into(programs::table)
        .values((
            programs::code.eq("BENCH"),
            programs::title.eq("Generated programme for benchmarks"),
            programs::kind.eq("training_course"),
            programs::status.eq("active"),
            programs::focus_areas.eq("[]"),
            programs::figures.eq("[]"),
            programs::search_text.eq("bench\ngenerated programme for benchmarks"),
            programs::created_at.eq(at),
            programs::updated_at.eq(at),
        ))
        .returning(programs::id)
        .get_result(conn)?)
}

/// `n` open cohorts of `program`, one a week from `base`, with no capacity limit.
fn cohorts_of(
    conn: &mut DbConnection,
    program: ProgramId,
    n: usize,
    base: NaiveDateTime,
) -> anyhow::Result<Vec<CohortId>> {
    let first = cohorts::table
        .filter(cohorts::program_id.eq(program))
        .count()
        .get_result::<i64>(conn)?;
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let number = first + i64::try_from(i).unwrap_or(0) + 1;
            let at = base + Duration::weeks(number);
            (
                cohorts::program_id.eq(program),
                cohorts::code.eq(format!("G{number}")),
                cohorts::name.eq(format!("Generated cohort {number}")),
                cohorts::start_date.eq(at.date()),
                cohorts::start_precision.eq("day"),
                cohorts::status.eq("open"),
                cohorts::created_at.eq(at),
                cohorts::updated_at.eq(at),
            )
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    for chunk in rows.chunks(BATCH) {
        crate::db::dialect::write_transaction(conn, |conn| -> anyhow::Result<()> {
            let inserted: Vec<CohortId> = on_either_backend!(conn, c => diesel::insert_into(cohorts::table)
                .values(chunk)
                .returning(cohorts::id)
                .get_results(c))?;
            ids.extend(inserted);
            Ok(())
        })?;
    }
    Ok(ids)
}

/// `per_cohort` sessions of each cohort, a day apart from its start.
fn sessions_of(
    conn: &mut DbConnection,
    cohorts: &[CohortId],
    per_cohort: usize,
    base: NaiveDateTime,
) -> anyhow::Result<Vec<Vec<SessionId>>> {
    let mut all = Vec::with_capacity(cohorts.len());
    for chunk in cohorts.chunks((BATCH / per_cohort.max(1)).max(1)) {
        let rows: Vec<_> = chunk
            .iter()
            .flat_map(|cohort| {
                (0..per_cohort).map(move |i| {
                    let day = base.date() + Duration::days(i64::try_from(i).unwrap_or(0));
                    (
                        sessions::cohort_id.eq(*cohort),
                        sessions::title.eq(format!("Generated session {}", i + 1)),
                        sessions::kind.eq("lecture"),
                        sessions::session_date.eq(day),
                        sessions::date_precision.eq("day"),
                        sessions::time_zone.eq("Asia/Tokyo"),
                        sessions::created_at.eq(base),
                        sessions::updated_at.eq(base),
                    )
                })
            })
            .collect();
        let inserted: Vec<(SessionId, CohortId)> = crate::db::dialect::write_transaction(conn, |conn| {
            on_either_backend!(conn, c => diesel::insert_into(sessions::table)
                .values(&rows)
                .returning((sessions::id, sessions::cohort_id))
                .get_results(c))
        })?;
        for cohort in chunk {
            all.push(inserted.iter().filter(|(_, c)| c == cohort).map(|(s, _)| *s).collect());
        }
    }
    Ok(all)
}

/// `n` trainees with their search terms, created over the years since `base`.
fn trainees_with_terms(
    conn: &mut DbConnection,
    rng: &mut Rng,
    n: usize,
    base: NaiveDateTime,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<TraineeId>> {
    let mut ids = Vec::with_capacity(n);
    let span = 6 * 365 * 24 * 3600_i64; // six years of records
    let mut done = 0;
    while done < n {
        let count = BATCH.min(n - done);
        let people: Vec<(String, String, String, String, NaiveDateTime)> = (0..count)
            .map(|i| {
                let name = format!("{} {} {}", rng.pick(&FAMILY), rng.pick(&MIDDLE), rng.pick(&GIVEN));
                let position = rng.pick(&POSITIONS).to_owned();
                let province = rng.pick(&PROVINCES).to_owned();
                let organisation = format!("{} {province}", rng.pick(&ORGANISATIONS));
                let seconds = i64::try_from(done + i).unwrap_or(0) * span / i64::try_from(n.max(1)).unwrap_or(1);
                (
                    name,
                    position,
                    organisation,
                    province,
                    base + Duration::seconds(seconds),
                )
            })
            .collect();
        let rows: Vec<_> = people
            .iter()
            .map(|(name, position, organisation, province, at)| {
                (
                    trainees::full_name.eq(name),
                    trainees::position.eq(position),
                    trainees::organisation.eq(organisation),
                    trainees::province.eq(province),
                    trainees::province_key.eq(crate::text::key(province)),
                    trainees::organisation_key.eq(crate::text::key(organisation)),
                    trainees::notes.eq("generated for benchmarks"),
                    trainees::created_at.eq(at),
                    trainees::updated_at.eq(at),
                )
            })
            .collect();
        crate::db::dialect::write_transaction(conn, |conn| -> anyhow::Result<()> {
            let inserted: Vec<TraineeId> = on_either_backend!(conn, c => diesel::insert_into(trainees::table)
                .values(&rows)
                .returning(trainees::id)
                .get_results(c))?;
            let terms: Vec<(TraineeId, &str, String, (crate::trainees::search::Term, bool))> = inserted
                .iter()
                .zip(&people)
                .flat_map(|(id, (name, position, organisation, province, _))| {
                    let fields = [
                        Some(name.as_str()),
                        Some(organisation.as_str()),
                        Some(position.as_str()),
                    ];
                    let province = crate::text::key(province);
                    crate::trainees::search::marked_terms(fields)
                        .into_iter()
                        .map(move |t| (*id, name.as_str(), province.clone(), t))
                })
                .collect();
            for chunk in terms.chunks(BATCH) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(id, name, province, (t, in_name))| {
                        (
                            trainee_terms::trainee_id.eq(*id),
                            trainee_terms::term_exact.eq(&t.exact),
                            trainee_terms::term_folded.eq(&t.folded),
                            trainee_terms::full_name.eq(*name),
                            trainee_terms::in_name.eq(*in_name),
                            trainee_terms::province_key.eq(province),
                        )
                    })
                    .collect();
                on_either_backend!(conn, c => diesel::insert_into(trainee_terms::table).values(&rows).execute(c))?;
            }
            ids.extend(inserted);
            Ok(())
        })?;
        done += count;
        if done % 100_000 < BATCH || done == n {
            progress(&format!("{done} of {n} trainees"));
        }
    }
    Ok(ids)
}

/// `n` enrolments: trainee `i` into cohorts `i`, `i + 1`, ... (mod the cohort count), so no
/// trainee is in a cohort twice; most enrolled, some completed or waitlisted.
fn enrolments(
    conn: &mut DbConnection,
    cohorts: &[CohortId],
    trainees: &[TraineeId],
    n: usize,
    base: NaiveDateTime,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<(EnrollmentId, CohortId)>> {
    if cohorts.is_empty() || trainees.is_empty() {
        return Ok(Vec::new());
    }
    let n = n.min(cohorts.len() * trainees.len());
    let mut ids = Vec::with_capacity(n);
    let mut done = 0;
    while done < n {
        let count = BATCH.min(n - done);
        let rows: Vec<_> = (done..done + count)
            .map(|k| {
                let trainee = trainees[k % trainees.len()];
                let cohort = cohorts[(k % trainees.len() + k / trainees.len()) % cohorts.len()];
                let status = match k % 10 {
                    0..=5 => "enrolled",
                    6..=8 => "completed",
                    _ => "waitlisted",
                };
                let waitlisted_at = (status == "waitlisted").then_some(base);
                (
                    enrollments::cohort_id.eq(cohort),
                    enrollments::trainee_id.eq(trainee),
                    enrollments::status.eq(status),
                    enrollments::waitlisted_at.eq(waitlisted_at),
                    enrollments::created_at.eq(base),
                    enrollments::updated_at.eq(base),
                )
            })
            .collect();
        let inserted: Vec<(EnrollmentId, CohortId)> = crate::db::dialect::write_transaction(conn, |conn| {
            on_either_backend!(conn, c => diesel::insert_into(enrollments::table)
                .values(&rows)
                .returning((enrollments::id, enrollments::cohort_id))
                .get_results(c))
        })?;
        ids.extend(inserted);
        done += count;
        if done % 100_000 < BATCH || done == n {
            progress(&format!("{done} of {n} enrolments"));
        }
    }
    Ok(ids)
}

/// Up to `n` attendance records: each enrolment's cohort sessions in turn.
fn attendance_of(
    conn: &mut DbConnection,
    rng: &mut Rng,
    enrolments: &[(EnrollmentId, CohortId)],
    sessions: &HashMap<CohortId, &Vec<SessionId>>,
    n: usize,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<usize> {
    if n == 0 {
        return Ok(0);
    }
    let pairs = enrolments.iter().flat_map(|(e, c)| {
        sessions
            .get(c)
            .into_iter()
            .flat_map(|list| list.iter())
            .map(move |s| (*s, *e))
    });
    let mut done = 0;
    let at = chrono::Utc::now().naive_utc();
    let mut batch = Vec::with_capacity(BATCH);
    for (session, enrollment) in pairs.take(n) {
        let status = match rng.below(20) {
            0 => "absent",
            1 => "excused",
            2 | 3 => "late",
            _ => "present",
        };
        batch.push((session, enrollment, status));
        if batch.len() == BATCH {
            done += write_attendance(conn, &batch, at)?;
            batch.clear();
            if done % 100_000 < BATCH {
                progress(&format!("{done} attendance records"));
            }
        }
    }
    done += write_attendance(conn, &batch, at)?;
    progress(&format!("{done} attendance records"));
    Ok(done)
}

fn write_attendance(
    conn: &mut DbConnection,
    batch: &[(SessionId, EnrollmentId, &str)],
    at: NaiveDateTime,
) -> anyhow::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = batch
        .iter()
        .map(|(session, enrollment, status)| {
            (
                attendance::session_id.eq(*session),
                attendance::enrollment_id.eq(*enrollment),
                attendance::status.eq(*status),
                attendance::recorded_by.eq("tpms dev generate"),
                attendance::recorded_at.eq(at),
            )
        })
        .collect();
    Ok(crate::db::dialect::write_transaction(
        conn,
        |conn| on_either_backend!(conn, c => diesel::insert_into(attendance::table).values(&rows).execute(c)),
    )?)
}
