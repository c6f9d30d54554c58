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
    /// Name, email, phone, each piece of free text written about or by them, and the copies of
    /// their name the search keeps (a word of it in lower case, and folded to ASCII).
    traces: Vec<String>,
}

impl Person {
    fn id(&self) -> i64 {
        self.trainee["id"].as_i64().expect("a trainee id")
    }

    /// A trace the fixture wrote about them: `what` and their tag (`Khó khăn: tam8812`).
    fn write(&mut self, what: &str) -> String {
        let text = format!("{what}: {}", self.tag());
        self.traces.push(text.clone());
        text
    }

    /// What makes their values unique: the part of their email before the `@`.
    fn tag(&self) -> String {
        self.traces[1].split('@').next().unwrap_or_default().to_owned()
    }
}

/// A trainee with everything TPMS can hold about a person, enrolled in `cohort`. `tag` makes each
/// identifying value unique to them; the last word of `name` should be unique too. They are
/// created with an `Idempotency-Key`, as a client that retries does, so that the reply kept for
/// the retry holds their name, email, phone and notes as well.
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
        .idempotency_key(format!("new-trainee-{tag}"))
        .create()
        .await;
    let enrollment_notes = format!("Đăng ký của {tag}");
    let enrollment = app.enrollment(cohort, &trainee).notes(&enrollment_notes).create().await;
    let last_word = name.split_whitespace().last().unwrap_or(name).to_lowercase();
    let folded = tpms::text::fold(&last_word);
    Person {
        trainee,
        enrollment,
        traces: vec![
            name.to_owned(),
            email,
            phone,
            notes,
            enrollment_notes,
            last_word,
            folded,
        ],
    }
}

/// The item of a list at `path` about `person`'s enrolment.
async fn item_of(app: &TestApp, path: &str, person: &Person) -> Value {
    let listed = app.get(path).await;
    assert_eq!(listed.status, 200, "{path}: {}", listed.text());
    listed.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["enrollment_id"] == person.enrollment["id"])
        .cloned()
        .unwrap_or_else(|| panic!("{path} lists nothing of enrolment {}", person.enrollment["id"]))
}

/// Two people who went through everything: a consent to share their contacts with the
/// programme's partner (with a note) and a language certificate; a private calendar feed;
/// attendance with notes; an answer of their own with free text in a named round, and a reason for
/// declining another (both rounds' invitations are mailed); an officer's assessment with a
/// remark; an approved action plan with a supervisor, its first follow-up report with evidence and
/// barriers, and the supervisor's comments on it; a cost with a note; and a certificate. The
/// cohort ended. The partner's liaison read the first person's record (a disclosure), not the
/// second's. Returns the cohort and the two.
async fn two_people(app: &TestApp) -> (Value, Person, Person) {
    let program = app.program().create().await;
    let partner = app.partner().create().await;
    app.program_partner(&program, &partner)
        .sharing_trainee_contacts()
        .create()
        .await;
    let cohort = app
        .cohort(&program)
        .start_date("2025-06-02")
        .end_date("2025-06-27")
        .create()
        .await;
    let mut people = vec![
        person(app, &cohort, "Lê Thị Tám Érasable", "tam8812").await,
        person(app, &cohort, "Trần Văn Bốn Giữlại", "bon4471").await,
    ];
    for p in &mut people {
        let note = p.write("Phiếu đồng ý ký tay");
        let consent = app
            .post(
                &format!("/api/v1/trainees/{}/consents", p.id()),
                json!({"purpose": "partner_contacts", "partner_id": partner["id"], "note": note}),
            )
            .await;
        assert_eq!(consent.status, 201, "{}", consent.text());
        let certificate = app
            .post(
                &format!("/api/v1/trainees/{}/language-certificates", p.id()),
                json!({"language": "en", "test": "IELTS", "score": 6.5, "taken_on": "2025-05-10"}),
            )
            .await;
        assert_eq!(certificate.status, 201, "{}", certificate.text());
    }
    let liaison = app.user(tpms::users::Role::Liaison, partner["id"].as_i64()).await;
    let seen = app
        .as_user(&liaison)
        .get(&format!("/api/v1/trainees/{}", people[0].id()))
        .await;
    assert_eq!(
        seen.json()["email"],
        people[0].traces[1].as_str(),
        "shared with consent: {}",
        seen.text()
    );
    for status in ["open", "in_progress"] {
        let moved = app
            .patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": status}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
    for p in &people {
        let feed = app
            .post(
                &format!("/api/v1/enrollments/{}/calendar-feed", p.enrollment["id"]),
                json!({}),
            )
            .await;
        assert_eq!(feed.status, 200, "{}", feed.text());
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

    // Their own words: an answer with free text in a named round, and why they declined another.
    let feedback = app.instrument().published().await;
    let answered = app.round(&cohort, &feedback).opened().await;
    let declined = app.round(&cohort, &feedback).opened().await;
    for p in &mut people {
        let invitations = |round: &Value| format!("/api/v1/rounds/{}/invitations", round["id"]);
        let link = item_of(app, &invitations(&answered), p).await["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let comments = p.write("Ý kiến riêng");
        let sent = app
            .anonymous()
            .post(&link, json!({"answers": {"relevance": 4, "comments": comments}}))
            .await;
        assert_eq!(sent.status, 204, "{}", sent.text());
        let link = item_of(app, &invitations(&declined), p).await["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let reason = p.write("Lý do từ chối");
        let sent = app
            .anonymous()
            .post(&format!("{link}/decline"), json!({"reason": reason}))
            .await;
        assert_eq!(sent.status, 204, "{}", sent.text());
    }
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
            .approved()
            .await;
        p.traces.extend([indicator, supervisor, supervisor_email]);

        // The first follow-up: the trainee's report, then the supervisor's word on it.
        let first = item_of(app, &format!("/api/v1/follow-ups?cohort_id={}", cohort["id"]), p).await;
        let (evidence, barriers) = (p.write("Minh chứng"), p.write("Khó khăn"));
        let report =
            json!({"progress": [{"item": 1, "progress": "achieved", "evidence": evidence}], "barriers": barriers});
        let link = first["link"].as_str().expect("the trainee's link");
        let reported = app.anonymous().post(link, report).await;
        assert_eq!(reported.status, 204, "{}", reported.text());
        let (rated, comment) = (p.write("Giám sát nhận xét mục 1"), p.write("Giám sát xác nhận"));
        let link = first["supervisor_link"].as_str().expect("the supervisor's link");
        let answer =
            json!({"ratings": [{"item": 1, "rating": 5, "comment": rated}], "confirmed": true, "comment": comment});
        let confirmed = app.anonymous().post(link, answer).await;
        assert_eq!(confirmed.status, 204, "{}", confirmed.text());

        let note = p.write("Ghi chú chi phí");
        app.expense(&program)
            .enrollment(&p.enrollment)
            .note(note)
            .create()
            .await;
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
        // Every table the holdings say is exported shows the person's rows, and none of the other's.
        let (b_trainee, b_enrollment) = (&b.trainee["id"], &b.enrollment["id"]);
        for holding in tpms::personal_data::HOLDINGS.iter().filter(|h| h.exported) {
            let rows = rows_of(&export, holding.table);
            assert!(!rows.is_empty(), "the export holds no {} row: {export}", holding.table);
            for row in rows {
                let theirs = row.get("trainee_id") == Some(b_trainee) || row.get("enrollment_id") == Some(b_enrollment);
                let named = b.traces.iter().find(|trace| row.to_string().contains(trace.as_str()));
                assert!(!theirs && named.is_none(), "{} holds a row of the other person ({named:?}): {row}", holding.table);
            }
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
        for table in [
            "idempotency_keys", "trainees", "trainee_terms", "consents", "enrollments", "attendance", "calendar_feeds",
            "invitations", "responses", "action_plans", "checkpoints", "supervisor_links", "supervisor_ratings", "costs",
            "messages", "audit_events",
        ] {
            assert!(tables.contains(&table), "the dry run does not list {table}: {dry}");
        }
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", a.id())).await.json()["full_name"], a.traces[0].as_str());

        let erased = app.post(&erasure_path(&a), reason.clone()).await;
        assert_eq!(erased.status, 200, "{}", erased.text());
        let erased = erased.json();
        assert_eq!(erased["changes"], dry["changes"], "the erasure did what its dry run listed");

        let mut conn = app.pool.get().expect("a connection");
        // Their traces, and their whole name folded as the search folds it, which no column may keep.
        let needles: Vec<String> = a.traces.iter().cloned().chain([tpms::text::key(&a.traces[0])]).collect();
        let left = holding(&mut conn, &needles);
        assert!(left.is_empty(), "after the erasure: {left:#?}");
        // The reply kept for a retry of the person's creation went; the other's stays.
        let kept_replies = stored_reply_keys(&mut conn);
        assert!(!kept_replies.iter().any(|k| k.contains(&a.tag())) && kept_replies.iter().any(|k| k.contains(&b.tag())), "{kept_replies:?}");
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

/// Whether `body` holds `value` by the erasure's rule for stored replies, in `conn`'s database.
fn holds_json_text(conn: &mut DbConnection, body: &str, value: &str) -> bool {
    let condition = tpms::db::dialect::holds_json_text(conn, "x.body", "x.value");
    let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let rows: Vec<Count> = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM (SELECT {} AS body, {} AS value) x WHERE {condition}",
        literal(body),
        literal(value)
    ))
    .load(conn)
    .expect("a count");
    rows.first().is_some_and(|r| r.n > 0)
}

db_test!(
    async fn a_stored_reply_holds_a_value_as_json_escapes_it_and_a_value_is_never_a_pattern(app) {
        let notes = "Cần \"xem lại\" hồ sơ C:\\Hà Nội\nngày 2\t100%\u{1}";
        let reply = json!({"id": 7, "notes": notes}).to_string();
        assert!(!reply.contains(notes), "JSON escapes the notes: {reply}");
        let mut conn = app.pool.get().expect("a connection");
        for held in [notes, "\"xem lại\"", "C:\\Hà Nội\nngày", "100%\u{1}"] {
            assert!(holds_json_text(&mut conn, &reply, held), "{held:?} is in {reply}");
        }
        for not_held in ["Cần%hồ sơ", "xem_lại", "", "Hà Nội ngày"] {
            assert!(!holds_json_text(&mut conn, &reply, not_held), "{not_held:?} is not in {reply}");
        }
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
    schedules_first_run_finished(app, "retention").await;
}

/// Wait for the app's scheduler to finish the first run of `job`, which it makes as it starts.
async fn schedules_first_run_finished(app: &TestApp, job: &'static str) {
    for _ in 0..600 {
        let pool = app.pool.clone();
        let finished = actix_web::web::block(move || {
            use tpms::schema::jobs;
            jobs::table
                .filter(jobs::name.eq(job))
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
    panic!("the scheduler's first {job} run did not finish within a minute");
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

/// The keys of the replies kept for retried requests.
fn stored_reply_keys(conn: &mut DbConnection) -> Vec<String> {
    use tpms::schema::idempotency_keys;
    idempotency_keys::table
        .select(idempotency_keys::idempotency_key)
        .order(idempotency_keys::idempotency_key)
        .load(conn)
        .expect("the stored replies")
}

/// The schedule deletes every account's stored replies once they are a day old, without waiting
/// for the account's next keyed request, and keeps the younger ones.
async fn the_schedule_deletes_stored_replies_a_day_old(backend: crate::support::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.reminders.tick_secs = 1).await else {
        return;
    };
    schedules_first_run_finished(&app, "stored_replies").await;
    let officer = app.user(tpms::users::Role::Officer, None).await;
    let body = app
        .trainee()
        .full_name("Đỗ Văn Hôm Qua")
        .email("homqua@example.vn")
        .json();
    let request = app
        .as_user(&officer)
        .request(actix_web::http::Method::POST, "/api/v1/trainees")
        .insert_header(("Idempotency-Key", "yesterdays-trainee"));
    assert_eq!(app.send(request, Some(&body)).await.status, 201);
    app.trainee()
        .full_name("Đỗ Thị Hôm Nay")
        .idempotency_key("todays-trainee")
        .create()
        .await;
    {
        use tpms::schema::{idempotency_keys, jobs};
        let mut conn = app.pool.get().expect("a connection");
        let now = tpms::clock::now();
        diesel::update(idempotency_keys::table.filter(idempotency_keys::idempotency_key.eq("yesterdays-trainee")))
            .set(idempotency_keys::created_at.eq(now - chrono::TimeDelta::hours(25)))
            .execute(&mut conn)
            .expect("the reply made a day old");
        assert_eq!(stored_reply_keys(&mut conn), ["todays-trainee", "yesterdays-trainee"]);
        diesel::update(jobs::table.filter(jobs::name.eq("stored_replies")))
            .set(jobs::run_at.eq(now - chrono::TimeDelta::minutes(1)))
            .execute(&mut conn)
            .expect("the job made due");
    }
    for _ in 0..100 {
        let keys = stored_reply_keys(&mut app.pool.get().expect("a connection"));
        if keys.len() == 1 {
            assert_eq!(keys, ["todays-trainee"], "only the day-old reply goes");
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the schedule did not delete the officer's day-old reply");
}

#[actix_web::test]
async fn the_schedule_deletes_stored_replies_a_day_old_on_sqlite() {
    the_schedule_deletes_stored_replies_a_day_old(crate::support::Backend::Sqlite).await;
}

#[actix_web::test]
async fn the_schedule_deletes_stored_replies_a_day_old_on_postgres() {
    the_schedule_deletes_stored_replies_a_day_old(crate::support::Backend::Postgres).await;
}
