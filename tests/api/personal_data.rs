//! Personal data (issue 31, Decree 13/2023): the access export holds everything about one person
//! and nothing about another; an erasure leaves no trace of the person's name, contacts or free
//! text in any column of any table (found from the database's own catalogue, so a table added
//! later is scanned too) while reports count the same; a seated trainee of a running cohort is
//! refused; certificates verify without the name; retention erases what its dry run listed.

use std::io::Read;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Value, json};
use tpms::db::DbConnection;
use tpms::enrollments::EnrollmentStatus;
use tpms::instruments::Purpose;
use tpms::rounds::Respondent;

use crate::db_test;
use crate::support::builders::{plan_item, scale_item, text_item};
use crate::support::{TestApp, TestResponse};

/// One trainee of the fixture: their records, and every identifying value they were given.
struct Person {
    trainee: Value,
    enrollment: Value,
    /// Name, email, phone, and each piece of free text written about or by them.
    traces: Vec<String>,
}

impl Person {
    fn id(&self) -> i64 {
        self.trainee["id"].as_i64().expect("a trainee id")
    }
}

/// A trainee with everything TPMS can hold about a person, enrolled in `cohort`. `tag` makes each
/// identifying value unique to them.
async fn person(app: &TestApp, cohort: &Value, name: &str, tag: &str) -> Person {
    let email = format!("{tag}@example.vn");
    let digits: String = tag.chars().filter(char::is_ascii_digit).collect();
    let phone = format!("+84 912 {digits}");
    let notes = format!("Ghi chú riêng về {tag}");
    let trainee = app
        .trainee()
        .full_name(name)
        .gender(tpms::trainees::Gender::Female)
        .birth_year(1987)
        .position(format!("Chuyên viên {tag}"))
        .organisation("Sở Nội vụ")
        .province("Huế")
        .email(&email)
        .phone(&phone)
        .notes(&notes)
        .create()
        .await;
    let enrollment_notes = format!("Đăng ký của {tag}");
    let enrollment = app.enrollment(cohort, &trainee).notes(&enrollment_notes).create().await;
    Person {
        trainee,
        enrollment,
        traces: vec![name.to_owned(), email, phone, notes, enrollment_notes],
    }
}

/// Two people who went through everything: attendance with notes, a trainee round (whose
/// invitations are mailed), an officer's assessment with a remark, an action plan with a
/// supervisor, a cost, and a certificate; the cohort ended. Returns the cohort and the two.
async fn two_people(app: &TestApp) -> (Value, Person, Person) {
    let program = app.program().create().await;
    let cohort = app
        .cohort(&program)
        .start_date("2025-06-02")
        .end_date("2025-06-27")
        .create()
        .await;
    let mut people = vec![
        person(app, &cohort, "Lê Thị Tám Erasable", "tam8812").await,
        person(app, &cohort, "Trần Văn Bốn Kept", "bon4471").await,
    ];
    for status in ["open", "in_progress"] {
        let moved = app
            .patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": status}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
    let session = app.session(&cohort).date("2025-06-03").create().await;
    let records: Vec<Value> = people
        .iter_mut()
        .map(|p| {
            let note = format!("Đi muộn vì {}", p.traces[1]);
            p.traces.push(note.clone());
            json!({"enrollment_id": p.enrollment["id"], "status": "late", "note": note})
        })
        .collect();
    let saved = app
        .send(
            app.request(
                actix_web::http::Method::PUT,
                &format!("/api/v1/sessions/{}/attendance", session["id"]),
            ),
            Some(&json!({ "records": records })),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());

    let feedback = app.instrument().published().await;
    app.round(&cohort, &feedback).opened().await;
    let rubric = app
        .instrument()
        .purpose(Purpose::Assessment)
        .items(vec![scale_item("initiative", "initiative"), text_item("remarks")])
        .published()
        .await;
    let round = app
        .round(&cohort, &rubric)
        .assessed_by(Respondent::Officer)
        .opened()
        .await;
    for p in &mut people {
        let remark = format!("Nhận xét riêng: {} chủ động", p.traces[0]);
        let assessed = app
            .post(
                &format!("/api/v1/rounds/{}/responses", round["id"]),
                json!({"enrollment_id": p.enrollment["id"], "answers": {"initiative": 4, "remarks": remark}}),
            )
            .await;
        assert_eq!(assessed.status, 201, "{}", assessed.text());
        p.traces.push(remark);

        let indicator = format!("Chỉ số của {}", p.traces[1]);
        let supervisor = format!("Giám sát của {}", p.traces[1]);
        let supervisor_email = format!("sup.{}", p.traces[1]);
        app.action_plan(&p.enrollment)
            .items(vec![plan_item(&indicator, "2025-12-31")])
            .supervisor(&supervisor, "Trưởng phòng", &supervisor_email)
            .create()
            .await;
        p.traces.extend([indicator, supervisor, supervisor_email]);
        app.expense(&program).enrollment(&p.enrollment).create().await;
    }
    let completed = app
        .post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({}))
        .await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    let ended = app
        .patch(
            &format!("/api/v1/cohorts/{}", cohort["id"]),
            json!({"status": "completed"}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text());
    let b = people.pop().expect("two people");
    let a = people.pop().expect("two people");
    (cohort, a, b)
}

fn export_path(person: &Person) -> String {
    format!("/api/v1/trainees/{}/personal-data", person.id())
}

fn erasure_path(person: &Person) -> String {
    format!("/api/v1/trainees/{}/erasure", person.id())
}

/// The rows of `table` in an export.
fn rows_of<'a>(export: &'a Value, table: &str) -> &'a Vec<Value> {
    export["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no table {table} in the export"))["rows"]
        .as_array()
        .expect("rows")
}

db_test!(
    async fn the_access_export_holds_every_tables_rows_for_the_person_and_none_of_anothers(app) {
        let (_, a, b) = two_people(&app).await;

        let export = app.get(&export_path(&a)).await;
        assert_eq!(export.status, 200, "{}", export.text());
        let export = export.json();
        for table in [
            "trainees", "trainee_terms", "enrollments", "attendance", "invitations", "responses", "certificates",
            "action_plans", "costs", "messages", "audit_events",
        ] {
            assert!(!rows_of(&export, table).is_empty(), "the export holds no {table} row: {export}");
        }
        let text = export.to_string();
        for trace in &a.traces {
            assert!(text.contains(trace.as_str()), "the export misses {trace}");
        }
        for trace in &b.traces {
            assert!(!text.contains(trace.as_str()), "the export holds another person's {trace}");
        }
        assert!(!text.contains("token_hash") && !text.contains("link_hash"), "links' hashes are never exported");

        // As a ZIP of CSV files with a README, asked for with Accept or ?format=zip.
        for zip in [
            app.send(app.request(actix_web::http::Method::GET, &export_path(&a)).insert_header(("Accept", "application/zip")), None).await,
            app.get(&format!("{}?format=zip", export_path(&a))).await,
        ] {
            let files = unzip(&zip);
            assert_eq!(files[0].0, "README.txt");
            assert!(files[0].1.contains("action_plans.csv"), "{}", files[0].1);
            let trainees = &files.iter().find(|(name, _)| name == "trainees.csv").expect("trainees.csv").1;
            assert!(trainees.contains(a.traces[0].as_str()), "{trainees}");
            assert!(files.iter().all(|(_, text)| !text.contains(b.traces[0].as_str())));
        }

        // Each export is audited, and only an admin may ask.
        let trail = app.get(&format!("/api/v1/audit-events?entity_type=trainee&entity_id={}", a.id())).await.json();
        assert!(trail["items"].as_array().expect("items").iter().any(|e| e["reason"].as_str().is_some_and(|r| r.starts_with("access request"))), "{trail}");
        let officer = app.user(tpms::users::Role::Officer, None).await;
        app.as_user(&officer).get(&export_path(&a)).await.assert_problem(403, "forbidden");
    }
);

/// The files of a ZIP answer: name and text.
fn unzip(response: &TestResponse) -> Vec<(String, String)> {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(response.body.clone())).expect("a ZIP archive");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("a file");
            let mut text = String::new();
            file.read_to_string(&mut text).expect("UTF-8 text");
            (file.name().expect("a name").to_string(), text)
        })
        .collect()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every (table, column) of the database that can hold text, read from its catalogue.
fn text_columns(conn: &mut DbConnection) -> Vec<(String, String)> {
    let pairs: Vec<(String, String)> = match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .load(c)
            .expect("the tables");
            let mut pairs = Vec::new();
            for table in tables {
                // Every column: SQLite keeps text in a column of any declared type.
                let columns: Vec<Name> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
                    .bind::<Text, _>(&table.name)
                    .load(c)
                    .expect("the columns");
                pairs.extend(columns.into_iter().map(|column| (table.name.clone(), column.name)));
            }
            pairs
        }
        DbConnection::Postgresql(c) => {
            #[derive(QueryableByName)]
            struct Column {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
            }
            let columns: Vec<Column> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') \
                 ORDER BY table_name, column_name",
            )
            .load(c)
            .expect("the columns");
            columns.into_iter().map(|c| (c.table_name, c.column_name)).collect()
        }
    };
    assert!(
        pairs.len() > 100,
        "the catalogue lists too few columns: {}",
        pairs.len()
    );
    pairs
}

/// Every (table, column) holding any of `needles`, anywhere in its text.
fn holding(conn: &mut DbConnection, needles: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column) in text_columns(conn) {
        for needle in needles {
            let pattern = format!("%{}%", needle.replace('\'', "''"));
            let rows: Vec<Count> = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '{pattern}'"
            ))
            .load(conn)
            .expect("a count");
            if rows.first().is_some_and(|r| r.n > 0) {
                found.push(format!("{table}.{column} holds {needle}"));
            }
        }
    }
    found
}

/// The reports' JSON, without the instant it was made.
async fn reports(app: &TestApp, cohort: &Value) -> Vec<Value> {
    let mut answers = Vec::new();
    let rounds = app
        .get(&format!("/api/v1/cohorts/{}/rounds", cohort["id"]))
        .await
        .json();
    let results = rounds["items"]
        .as_array()
        .expect("rounds")
        .iter()
        .map(|r| format!("/api/v1/rounds/{}/results", r["id"]));
    let paths = [
        "/api/v1/reports/trainees-by-origin?group_by=province,organisation,gender,birth_decade,status".to_owned(),
        "/api/v1/reports/programs".to_owned(),
    ];
    for path in paths.into_iter().chain(results) {
        let got = app.get(&path).await;
        assert_eq!(got.status, 200, "{path}: {}", got.text());
        let mut json = got.json();
        if let Some(fields) = json.as_object_mut() {
            fields.remove("data_as_of");
            // A round's free-text answers are what an erasure erases: their number stays.
            if let Some(texts) = fields.get("text_answers").and_then(Value::as_array).map(Vec::len) {
                fields.insert("text_answers".to_owned(), json!(texts));
            }
        }
        answers.push(json);
    }
    answers
}

db_test!(
    async fn erasure_leaves_the_person_in_no_column_of_any_table_and_the_reports_count_the_same(app) {
        let (cohort, a, b) = two_people(&app).await;
        let before = reports(&app, &cohort).await;
        let certificate = app.get(&format!("/api/v1/enrollments/{}/certificate", a.enrollment["id"])).await.json();
        let verify = format!(
            "/api/v1/certificates/verify?number={}&code={}",
            crate::support::urlencode(certificate["number"].as_str().expect("a number")),
            crate::support::urlencode(certificate["code"].as_str().expect("a code"))
        );
        assert_eq!(app.anonymous().get(&verify).await.json()["trainee_name"], a.traces[0].as_str());

        // The dry run lists every change, table by table, and changes nothing.
        let reason = json!({"reason": "Request of 2026-12-01 under Decree 13/2023 (ref. DP-14)"});
        let dry = app.post(&format!("{}?dry_run=true", erasure_path(&a)), reason.clone()).await;
        assert_eq!(dry.status, 200, "{}", dry.text());
        let dry = dry.json();
        let tables: Vec<&str> = dry["changes"].as_array().expect("changes").iter().filter_map(|c| c["table"].as_str()).collect();
        for table in ["trainees", "enrollments", "attendance", "responses", "action_plans", "messages", "audit_events"] {
            assert!(tables.contains(&table), "the dry run does not list {table}: {dry}");
        }
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", a.id())).await.json()["full_name"], a.traces[0].as_str());

        let erased = app.post(&erasure_path(&a), reason.clone()).await;
        assert_eq!(erased.status, 200, "{}", erased.text());
        let erased = erased.json();
        assert_eq!(erased["changes"], dry["changes"], "the erasure did what its dry run listed");

        let mut conn = app.pool.get().expect("a connection");
        let left = holding(&mut conn, &a.traces);
        assert!(left.is_empty(), "after the erasure: {left:#?}");
        // The other person is untouched.
        let untouched = holding(&mut conn, &b.traces);
        for trace in &b.traces {
            assert!(untouched.iter().any(|found| found.ends_with(trace.as_str())), "the other person's {trace} went too");
        }
        drop(conn);

        assert_eq!(reports(&app, &cohort).await, before, "the reports count the same");
        let kept = app.get(&format!("/api/v1/trainees/{}", a.id())).await.json();
        assert_eq!((kept["province"].as_str(), kept["gender"].as_str(), kept["birth_year"].as_i64()), (Some("Huế"), Some("female"), Some(1980)));
        assert!(kept["erased_at"].is_string(), "{kept}");
        assert_eq!(kept["erasure_reason"], reason["reason"]);

        // The certificate still verifies, without the name.
        let verified = app.anonymous().get(&verify).await.json();
        assert_eq!((verified["status"].as_str(), verified["holder_erased"].as_bool()), (Some("valid"), Some(true)), "{verified}");
        assert_eq!(verified["trainee_name"], Value::Null);

        // Irreversible: no later write, no second erasure, no new enrolment.
        app.patch(&format!("/api/v1/trainees/{}", a.id()), json!({"full_name": "Back Again"})).await.assert_problem(409, "erased");
        app.post(&erasure_path(&a), reason).await.assert_problem(409, "erased");
        let program = app.program().create().await;
        let later = app.cohort(&program).create().await;
        app.post(&crate::support::enrollments_of(&later), json!({"trainee_id": a.id()})).await.assert_problem(409, "erased");
    }
);

db_test!(
    async fn a_trainee_seated_in_a_running_cohort_is_not_erased_and_the_answer_names_the_cohort(app) {
        let program = app.program().code("JICA-ER").create().await;
        let cohort = app.cohort(&program).code("C7").create().await;
        let seated = person(&app, &cohort, "Phạm Đang Học", "dang5590").await;
        app.patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": "open"})).await;
        let refused = app.post(&erasure_path(&seated), json!({"reason": "request", "dry_run": true})).await;
        let problem = refused.assert_problem(409, "seated");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("JICA-ER/C7")), "{problem}");
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", seated.id())).await.json()["full_name"], "Phạm Đang Học");
    }
);

db_test!(
    async fn a_nominee_or_a_waiting_trainee_of_a_running_cohort_is_not_erased_for_they_could_still_be_seated(app) {
        let program = app.program().code("JICA-WT").create().await;
        let cohort = app.cohort(&program).code("C8").capacity(1).create().await;
        let first = app.trainee().full_name("Ngồi Chỗ Đầu").create().await;
        app.enrollment(&cohort, &first).create().await;
        let waiting = app.trainee().full_name("Chờ Chỗ Trống").create().await;
        let waitlisted = app.enrollment(&cohort, &waiting).status(EnrollmentStatus::Waitlisted).create().await;
        let nominee = app.trainee().full_name("Được Đề Cử").create().await;
        app.enrollment(&cohort, &nominee).nominated().create().await;

        for (trainee, status) in [(&waiting, "waitlisted"), (&nominee, "nominated")] {
            let refused = app
                .post(&format!("/api/v1/trainees/{}/erasure", trainee["id"]), json!({"reason": "request"}))
                .await;
            let problem = refused.assert_problem(409, "awaiting_seat");
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("JICA-WT/C8") && detail.contains(status), "{problem}");
        }

        let withdrawn = app
            .patch(&format!("/api/v1/enrollments/{}", waitlisted["id"]), json!({"status": "withdrawn"}))
            .await;
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
        let erased = app
            .post(&format!("/api/v1/trainees/{}/erasure", waiting["id"]), json!({"reason": "request"}))
            .await;
        assert_eq!(erased.status, 200, "once withdrawn the trainee is erased: {}", erased.text());
    }
);

db_test!(
    async fn an_erasure_and_an_enrolment_of_the_same_trainee_at_once_never_both_succeed(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(100).create().await;
        let mut trainees = Vec::new();
        for i in 0..12 {
            trainees.push(app.trainee().full_name(format!("Đua Lần {i}")).create().await);
        }
        let enrolments = crate::support::enrollments_of(&cohort);
        let races = trainees.iter().map(|t| async {
            let erasure_path = format!("/api/v1/trainees/{}/erasure", t["id"]);
            futures::join!(
                app.post(&erasure_path, json!({"reason": "the trainee asked"})),
                app.post(&enrolments, app.enrollment(&cohort, t).json()),
            )
        });
        for (erasure, enrolment) in futures::future::join_all(races).await {
            match (erasure.status, enrolment.status) {
                (200, 409) => {
                    enrolment.assert_problem(409, "erased");
                }
                (409, 201) => {
                    erasure.assert_problem(409, "seated");
                }
                (e, n) => panic!(
                    "exactly one of them must win; erasure {e}: {}; enrolment {n}: {}",
                    erasure.text(),
                    enrolment.text()
                ),
            }
        }
    }
);

db_test!(
    async fn retention_erases_free_text_and_contacts_of_ended_cohorts_exactly_as_its_dry_run_listed(app) {
        schedules_first_retention_finished(&app).await;
        let keeping = app.program().retention_months(12).create().await;
        let ended = app.cohort(&keeping).start_date("2020-01-06").end_date("2020-02").create().await;
        let gone = person(&app, &ended, "Hoàng Hết Hạn", "hethan3310").await;
        let forever = app.program().create().await;
        let kept_cohort = app.cohort(&forever).start_date("2020-01-06").end_date("2020-02").create().await;
        let kept = person(&app, &kept_cohort, "Vũ Còn Giữ", "congiu7720").await;
        for p in [&gone, &kept] {
            app.action_plan(&p.enrollment)
                .supervisor("Giám sát", "Trưởng phòng", &format!("sup.{}", p.traces[1]))
                .create()
                .await;
        }

        let today = chrono::Utc::now().date_naive();
        let actor = tpms::personal_data::retention::actor();
        let mut conn = app.pool.get().expect("a connection");
        let dry = tpms::personal_data::retention::run(&mut conn, &actor, today, true).expect("a dry run");
        assert_eq!(dry.cohorts.len(), 1, "{dry:?}");
        assert_eq!(dry.cohorts[0].cohort_id.0, ended["id"].as_i64().expect("an id"));
        let listed: Vec<(&str, &str)> = dry.cohorts[0].changes.iter().map(|c| (c.table.as_str(), c.column.as_str())).collect();
        for column in [("trainees", "email"), ("trainees", "phone"), ("action_plans", "supervisor_email"), ("action_plans", "title")] {
            assert!(listed.contains(&column), "{listed:?}");
        }
        let run = tpms::personal_data::retention::run(&mut conn, &actor, today, false).expect("a run");
        assert_eq!(run.cohorts, dry.cohorts, "the run erased exactly what the dry run listed");
        let again = tpms::personal_data::retention::run(&mut conn, &actor, today, true).expect("a dry run");
        assert!(again.cohorts.is_empty(), "nothing left: {again:?}");
        drop(conn);

        let trainee = app.get(&format!("/api/v1/trainees/{}", gone.id())).await.json();
        assert_eq!((trainee["email"].clone(), trainee["phone"].clone()), (Value::Null, Value::Null));
        assert_eq!(trainee["full_name"], "Hoàng Hết Hạn", "retention keeps the name: it is not an erasure on request");
        let still = app.get(&format!("/api/v1/trainees/{}", kept.id())).await.json();
        assert_eq!(still["email"], kept.traces[1].as_str(), "a programme without retention keeps everything");
    }
);

/// Wait for the app's scheduler to finish the retention run it makes as it starts (the job is due
/// then, and next a day later): a test's data made before that run ends could be erased by it.
async fn schedules_first_retention_finished(app: &TestApp) {
    for _ in 0..600 {
        let pool = app.pool.clone();
        let finished = actix_web::web::block(move || {
            use tpms::schema::jobs;
            jobs::table
                .filter(jobs::name.eq("retention"))
                .select(jobs::last_finished_at)
                .first::<Option<chrono::NaiveDateTime>>(&mut pool.get().expect("a connection"))
                .optional()
                .expect("the jobs are read")
                .flatten()
                .is_some()
        })
        .await
        .expect("the blocking pool runs");
        if finished {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scheduler's first retention run did not finish within a minute");
}

/// The schedule runs retention once a day: made due now, it erases an ended cohort's contacts at
/// the next tick.
async fn the_schedule_runs_retention(backend: crate::support::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.reminders.tick_secs = 1).await else {
        return;
    };
    schedules_first_retention_finished(&app).await;
    let program = app.program().retention_months(1).create().await;
    let cohort = app
        .cohort(&program)
        .start_date("2021-05-03")
        .end_date("2021-05-28")
        .create()
        .await;
    let trainee = person(&app, &cohort, "Mai Theo Lịch", "lich6604").await;
    let path = format!("/api/v1/trainees/{}", trainee.id());
    assert!(
        app.get(&path).await.json()["email"].is_string(),
        "the job ran at start, before the trainee existed"
    );
    {
        let mut conn = app.pool.get().expect("a connection");
        let past = tpms::clock::now() - chrono::TimeDelta::minutes(1);
        diesel::update(tpms::schema::jobs::table.filter(tpms::schema::jobs::name.eq("retention")))
            .set(tpms::schema::jobs::run_at.eq(past))
            .execute(&mut conn)
            .expect("the job made due");
    }
    for _ in 0..100 {
        if app.get(&path).await.json()["email"].is_null() {
            let trail = app
                .get(&format!(
                    "/api/v1/audit-events?entity_type=cohort&entity_id={}",
                    cohort["id"]
                ))
                .await
                .json();
            assert!(
                trail["items"][0]["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("retention")),
                "{trail}"
            );
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scheduled retention did not erase the contact details");
}

#[actix_web::test]
async fn the_schedule_runs_retention_on_sqlite() {
    the_schedule_runs_retention(crate::support::Backend::Sqlite).await;
}

#[actix_web::test]
async fn the_schedule_runs_retention_on_postgres() {
    the_schedule_runs_retention(crate::support::Backend::Postgres).await;
}
