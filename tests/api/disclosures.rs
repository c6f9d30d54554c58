//! The record of what left the department (issue 31, item 4): every trainee's personal data a
//! partner's liaison was answered with, written in bulk for lists and exports, listed for admins,
//! and summed per partner and country in the transfers report.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::costs::CostCategory;
use tpms::enrollments::EnrollmentStatus;
use tpms::instruments::Purpose;
use tpms::programs::partners::PartnerRole;
use tpms::rounds::Respondent;
use tpms::users::Role;

use crate::db_test;
use crate::support::builders::{scale_item, text_item};
use crate::support::{TestApp, enrollments_of};

/// The disclosures the admin lists with `query`.
async fn disclosures(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/disclosures{query}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// How many rows the record holds.
async fn logged(app: &TestApp) -> i64 {
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        use tpms::schema::disclosures;
        disclosures::table
            .count()
            .get_result::<i64>(&mut pool.get().expect("a connection"))
            .expect("the count runs")
    })
    .await
    .expect("the blocking pool runs")
}

/// The newest row of the record, as `(trainee_id, what, fields)`.
async fn newest(app: &TestApp) -> (Value, Value, Value) {
    let read = disclosures(app, "?limit=1").await;
    let entry = &read["items"][0];
    (
        entry["trainee_id"].clone(),
        entry["what"].clone(),
        entry["fields"].clone(),
    )
}

/// A programme in which `partner` takes `role`, with a cohort that ended in September 2024.
async fn partners_cohort(app: &TestApp, partner: &Value, role: PartnerRole) -> (Value, Value) {
    let program = app.program().create().await;
    app.program_partner(&program, partner).role(role).create().await;
    let cohort = app
        .cohort(&program)
        .start_date("2024-01")
        .end_date("2024-09")
        .create()
        .await;
    (program, cohort)
}

/// A programme of `partner` that shares contacts, with a cohort of two seated trainees, Đức (who
/// consents to the partner) and Mai (who does not). Returns the cohort, Đức and Mai.
async fn seated_pair(app: &TestApp, partner: &Value, code: &str) -> (Value, Value, Value) {
    let program = app.program().code(code).create().await;
    app.program_partner(&program, partner)
        .sharing_trainee_contacts()
        .create()
        .await;
    let class = app.cohort(&program).code(format!("{code}-1")).create().await;
    let duc = app
        .trainee()
        .full_name(format!("Nguyễn Văn Đức {code}"))
        .organisation("Bộ Nội vụ")
        .email(format!("duc.{}@example.test", code.to_lowercase()))
        .create()
        .await;
    let mai = app.trainee().full_name(format!("Trần Thị Mai {code}")).create().await;
    app.enrollment(&class, &duc)
        .status(EnrollmentStatus::Enrolled)
        .create()
        .await;
    app.enrollment(&class, &mai)
        .status(EnrollmentStatus::Enrolled)
        .create()
        .await;
    let given = app
        .post(
            &format!("/api/v1/trainees/{}/consents", duc["id"]),
            json!({"purpose": "partner_contacts", "partner_id": partner["id"]}),
        )
        .await;
    assert_eq!(given.status, 201, "{}", given.text());
    (class, duc, mai)
}

db_test!(
    async fn a_liaisons_reads_lists_and_exports_are_recorded_and_staffs_are_not(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let (class, duc, mai) = seated_pair(&app, &jica, "YL").await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        app.get(&format!("/api/v1/trainees/{}", duc["id"])).await;
        app.get("/api/v1/trainees").await;
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        assert_eq!(as_liaison.get(&format!("/api/v1/trainees/{}", duc["id"])).await.status, 200);
        let read = disclosures(&app, "").await;
        assert_eq!(read["total"], 1, "{read}");
        let entry = &read["items"][0];
        assert_eq!(
            (&entry["user_id"], &entry["partner_id"], &entry["trainee_id"], &entry["what"]),
            (&json!(liaison.id), &jica["id"], &duc["id"], &json!("trainees")),
            "{entry}"
        );
        assert_eq!(entry["fields"], json!(["email", "full_name", "organisation"]), "the fields given: {entry}");

        assert_eq!(as_liaison.get("/api/v1/trainees").await.status, 200);
        assert_eq!(logged(&app).await, 3, "a list: one row per trainee on the page");
        let page = disclosures(&app, "?limit=2").await;
        let items = page["items"].as_array().expect("items");
        assert_eq!(items[0]["id"], items[1]["id"], "the trainees of one answer share its id: {page}");
        assert!(items[0]["trainee_id"] != items[1]["trainee_id"], "{page}");
        let mai_read = disclosures(&app, &format!("?trainee_id={}", mai["id"])).await;
        assert_eq!(mai_read["items"][0]["fields"], json!(["full_name"]), "no contact without consent: {mai_read}");

        let csv = as_liaison.get("/api/v1/trainees?format=csv").await;
        assert_eq!(csv.status, 200);
        assert_eq!(logged(&app).await, 5, "an export: each row it holds");

        assert_eq!(as_liaison.get(&enrollments_of(&class)).await.status, 200);
        let by_enrolments = disclosures(&app, &format!("?partner_id={}&limit=2", jica["id"])).await;
        assert_eq!(by_enrolments["total"], 7, "{by_enrolments}");
        assert_eq!(by_enrolments["items"][0]["what"], "enrollments", "newest first: {by_enrolments}");
        assert!(
            by_enrolments["items"][0]["fields"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("attendance"))),
            "{by_enrolments}"
        );

        let sheet = app.get(&format!("/api/v1/reports/cohorts/{}/attendance", class["id"])).await;
        assert_eq!(sheet.status, 200);
        assert_eq!(as_liaison.get(&format!("/api/v1/reports/cohorts/{}/attendance", class["id"])).await.status, 200);
        assert_eq!(logged(&app).await, 9, "the attendance report names its trainees");

        let nobody = app.partner().code("KOICA").create().await;
        assert_eq!(disclosures(&app, &format!("?partner_id={}", nobody["id"])).await["total"], 0);
        let today = chrono::Utc::now().date_naive();
        let tomorrow = today.succ_opt().expect("a day");
        assert_eq!(disclosures(&app, &format!("?from={today}&to={today}")).await["total"], 9);
        assert_eq!(disclosures(&app, &format!("?from={tomorrow}")).await["total"], 0);
        app.get(&format!("/api/v1/disclosures?from={tomorrow}&to={today}"))
            .await
            .assert_problem(400, "invalid_query");
        let officer = app.user(Role::Officer, None).await;
        let by_account = disclosures(&app, &format!("?user_id={}", liaison.id)).await;
        assert_eq!(by_account["total"], 9, "{by_account}");
        assert_eq!(disclosures(&app, &format!("?user_id={}", officer.id)).await["total"], 0);
        let one_read = disclosures(&app, &format!("?user_id={}&trainee_id={}&from={today}", liaison.id, mai["id"])).await;
        assert_eq!(one_read["total"], 4, "Mai: the list, the export, the enrolments, the report: {one_read}");
        app.as_user(&officer).get("/api/v1/disclosures").await.assert_problem(403, "forbidden");
        as_liaison.get("/api/v1/disclosures").await.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn the_transfers_report_counts_people_categories_and_the_period_per_partner_and_country(app) {
        let jica = app.partner().code("JICA").name("Japan International Cooperation Agency").country("JP").create().await;
        let koica = app.partner().code("KOICA").country("KR").create().await;
        let (_, duc, _) = seated_pair(&app, &jica, "YL").await;
        let (koica_class, _, _) = seated_pair(&app, &koica, "KS").await;
        let as_jica = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        let as_koica = app.as_user(&app.user(Role::Liaison, koica["id"].as_i64()).await);
        as_jica.get(&format!("/api/v1/trainees/{}", duc["id"])).await;
        as_jica.get("/api/v1/trainees").await;
        as_koica.get(&enrollments_of(&koica_class)).await;

        let report = app.get("/api/v1/reports/transfers").await;
        assert_eq!(report.status, 200, "{}", report.text());
        let report = report.json();
        assert_eq!(report["people"], 4, "{report}");
        let rows = report["rows"].as_array().expect("rows");
        let summary: Vec<(&Value, &Value, &Value, &Value)> = rows
            .iter()
            .map(|r| (&r["country"], &r["partner_code"], &r["people"], &r["disclosures"]))
            .collect();
        assert_eq!(
            summary,
            [
                (&json!("JP"), &json!("JICA"), &json!(2), &json!(3)),
                (&json!("KR"), &json!("KOICA"), &json!(2), &json!(2))
            ],
            "by country, then partner: {report}"
        );
        assert_eq!(rows[0]["categories"], json!(["email", "full_name", "organisation"]), "{report}");
        assert_eq!(
            rows[1]["categories"],
            json!(["attendance", "full_name", "organisation"]),
            "an enrolment shows the placement as enrolled: {report}"
        );
        assert!(rows[0]["first_at"].as_str() <= rows[0]["last_at"].as_str(), "{report}");

        let only_koica = app.get(&format!("/api/v1/reports/transfers?partner_id={}", koica["id"])).await.json();
        assert_eq!(only_koica["rows"].as_array().map(Vec::len), Some(1), "{only_koica}");
        assert_eq!(only_koica["filters"]["partner_id"], koica["id"]);
        let tomorrow = chrono::Utc::now().date_naive().succ_opt().expect("a day");
        let later = app.get(&format!("/api/v1/reports/transfers?from={tomorrow}")).await.json();
        assert_eq!((later["rows"].as_array().map(Vec::len), &later["people"]), (Some(0), &json!(0)), "{later}");

        let csv = app.get("/api/v1/reports/transfers?format=csv").await;
        assert_eq!(csv.status, 200, "{}", csv.text());
        let text = csv.text();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].contains("partner_code") && lines[0].contains("people"), "{text}");
        assert_eq!(lines.len(), 3, "a header and a row per partner: {text}");
        assert!(lines[1].contains("JICA") && lines[1].contains("email;full_name;organisation"), "{text}");

        let book = app.get("/api/v1/reports/transfers?format=xlsx").await;
        assert_eq!(
            book.header("content-type"),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(book.body.clone())).expect("a workbook");
        let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
        let cells: Vec<String> = sheet.rows().skip(1).flat_map(|r| r.iter().map(Data::to_string)).collect();
        assert!(cells.iter().any(|c| c == "JICA") && cells.iter().any(|c| c == "KOICA"), "{cells:?}");

        app.as_user(&app.user(Role::Reporter, None).await)
            .get("/api/v1/reports/transfers")
            .await
            .assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn a_liaisons_reads_of_action_plans_and_follow_ups_are_recorded_once_per_trainee(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let (_, cohort) = partners_cohort(&app, &jica, PartnerRole::Lecturer).await;
        let lan = app.trainee().full_name("Vũ Thị Lan").create().await;
        let seat = app.enrollment(&cohort, &lan).create().await;
        let plan = app.action_plan(&seat).approved().await;
        let plan_path = format!("/api/v1/action-plans/{}", plan["id"]);
        let follow_ups = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        let (first, later) = (&follow_ups["items"][0]["id"], &follow_ups["items"][1]["id"]);
        let reported = app
            .post(&format!("/api/v1/checkpoints/{first}/report"), json!({"progress": [{"item": 1, "progress": "on_track"}]}))
            .await;
        assert_eq!(reported.status, 200, "{}", reported.text());
        app.get(&plan_path).await;
        app.get(&format!("/api/v1/cohorts/{}/action-plans", cohort["id"])).await;
        app.get(&format!("/api/v1/checkpoints/{first}")).await;
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        assert_eq!(as_liaison.get(&plan_path).await.status, 200);
        assert_eq!(newest(&app).await, (lan["id"].clone(), json!("action_plans"), json!(["action_plan", "full_name"])));
        assert_eq!(as_liaison.get(&format!("/api/v1/cohorts/{}/action-plans", cohort["id"])).await.status, 200);
        assert_eq!(logged(&app).await, 2, "a cohort's plans: one row per plan on the page");

        let listed = as_liaison.get("/api/v1/follow-ups").await;
        assert_eq!(listed.status, 200, "{}", listed.text());
        assert_eq!(listed.json()["items"].as_array().map(Vec::len), Some(3));
        assert_eq!(logged(&app).await, 3, "three checkpoints of one trainee: one row, the fields of all");
        assert_eq!(newest(&app).await, (lan["id"].clone(), json!("follow_ups"), json!(["follow_up", "full_name"])));
        assert_eq!(as_liaison.get(&format!("/api/v1/checkpoints/{later}")).await.status, 200);
        assert_eq!(
            newest(&app).await,
            (lan["id"].clone(), json!("follow_ups"), json!(["full_name"])),
            "a checkpoint not reported yet gives only the name"
        );
    }
);

db_test!(
    async fn a_liaisons_assessments_and_the_list_of_those_still_to_make_are_recorded(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let (_, cohort) = partners_cohort(&app, &jica, PartnerRole::Lecturer).await;
        let an = app.trainee().full_name("Nguyễn Văn An").create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let seat = app.enrollment(&cohort, &an).create().await;
        app.enrollment(&cohort, &binh).create().await;
        let form = app
            .instrument()
            .purpose(Purpose::Assessment)
            .items([scale_item("initiative", "initiative"), text_item("remarks")])
            .published()
            .await;
        let round = app.round(&cohort, &form).assessed_by(Respondent::Partner).opened().await;
        let responses = format!("/api/v1/rounds/{}/responses", round["id"]);
        app.get("/api/v1/pending-assessments").await;
        app.get(&responses).await;
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        assert_eq!(as_liaison.get("/api/v1/pending-assessments").await.status, 200);
        assert_eq!(logged(&app).await, 2, "the trainees still to assess are named: one row each");
        assert_eq!(newest(&app).await.1, "assessments");

        let assessed = as_liaison
            .post(&responses, json!({"enrollment_id": seat["id"], "answers": {"initiative": 4, "remarks": "Chủ động"}}))
            .await;
        assert_eq!(assessed.status, 201, "{}", assessed.text());
        let assessed = assessed.json();
        assert_eq!(newest(&app).await, (an["id"].clone(), json!("assessments"), json!(["assessment", "full_name"])));
        assert_eq!(as_liaison.get(&format!("/api/v1/round-responses/{}", assessed["id"])).await.status, 200);
        assert_eq!(as_liaison.get(&responses).await.status, 200);
        assert_eq!(logged(&app).await, 5, "the assessment made, read, and listed");
        app.get(&format!("/api/v1/round-responses/{}", assessed["id"])).await;
        assert_eq!(logged(&app).await, 5);
    }
);

db_test!(
    async fn a_funders_liaison_reading_a_trainees_own_costs_is_recorded_and_the_programmes_costs_are_not(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica)
            .role(PartnerRole::Funder)
            .sharing_trainee_contacts()
            .create()
            .await;
        let cohort = app.cohort(&program).create().await;
        let lan = app.trainee().full_name("Vũ Thị Lan").create().await;
        let seat = app.enrollment(&cohort, &lan).create().await;
        let airfare = app.expense(&program).enrollment(&seat).category(CostCategory::Airfare).create().await;
        let venue = app.expense(&program).category(CostCategory::Venue).create().await;
        app.budget_line(&program).enrollment(&seat).category(CostCategory::Airfare).create().await;
        let expenses = format!("/api/v1/programs/{}/expenses", program["id"]);
        app.get(&expenses).await;
        app.get(&format!("/api/v1/expenses/{}", airfare["id"])).await;
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        assert_eq!(as_liaison.get(&format!("/api/v1/expenses/{}", venue["id"])).await.status, 200);
        assert_eq!(logged(&app).await, 0, "a venue is nobody's personal data");
        assert_eq!(as_liaison.get(&expenses).await.status, 200);
        assert_eq!(newest(&app).await, (lan["id"].clone(), json!("costs"), json!(["costs"])));
        assert_eq!(as_liaison.get(&format!("/api/v1/expenses/{}", airfare["id"])).await.status, 200);
        assert_eq!(as_liaison.get(&format!("/api/v1/programs/{}/budget-lines", program["id"])).await.status, 200);
        assert_eq!(logged(&app).await, 3, "each read that held the trainee's own cost");
    }
);

db_test!(
    async fn a_liaisons_read_of_a_trainees_record_records_the_cohorts_details_too(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let (_, cohort) = partners_cohort(&app, &jica, PartnerRole::Lecturer).await;
        let lan = app.trainee().full_name("Vũ Thị Lan").organisation("Bộ Nội vụ").create().await;
        app.enrollment(&cohort, &lan).create().await;
        let path = format!("/api/v1/reports/trainees/{}/record", lan["id"]);
        assert_eq!(app.get(&path).await.status, 200);
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        let record = as_liaison.get(&path).await;
        assert_eq!(record.status, 200, "{}", record.text());
        let read = disclosures(&app, "").await;
        let whats: Vec<&Value> = read["items"].as_array().expect("items").iter().map(|d| &d["what"]).collect();
        assert_eq!(whats, [&json!("trainee_records"), &json!("trainees")], "the trainee, then their cohorts: {read}");
        let details = &read["items"][0]["fields"];
        for field in ["attendance", "results"] {
            assert!(details.as_array().is_some_and(|f| f.contains(&json!(field))), "{field}: {read}");
        }
    }
);

db_test!(
    async fn the_nominees_a_reviewing_liaison_reads_and_moves_are_recorded_in_one_statement(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Host).reviewing_nominations().create().await;
        let cohort = app.cohort(&program).start_date("2026-01").create().await;
        let criteria = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/cohorts/{}/eligibility-criteria", cohort["id"])),
                Some(&json!({"max_age": 40})),
            )
            .await;
        assert_eq!(criteria.status, 200, "{}", criteria.text());
        let an = app.trainee().full_name("Nguyễn Văn An").organisation("Sở Nội vụ Huế").position("Chuyên viên").birth_year(1990).create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let e_an = app.enrollment(&cohort, &an).nominated().notes("Người nhà của giám đốc").create().await;
        let e_binh = app.enrollment(&cohort, &binh).nominated().create().await;
        let eligibility = format!("/api/v1/cohorts/{}/eligibility", cohort["id"]);
        assert_eq!(app.get(&eligibility).await.status, 200);
        assert_eq!(logged(&app).await, 0, "staff reads stay in the department");

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        let report = as_liaison.get(&eligibility).await;
        assert_eq!(report.status, 200, "{}", report.text());
        assert_eq!(logged(&app).await, 2, "one row per nominee");
        let an_read = disclosures(&app, &format!("?trainee_id={}", an["id"])).await;
        assert_eq!(
            (&an_read["items"][0]["what"], &an_read["items"][0]["fields"]),
            (&json!("nominees"), &json!(["eligibility", "full_name", "organisation", "position"])),
            "the checks tell the nominee's age: {an_read}"
        );

        let moved = as_liaison
            .post(
                &format!("{}/moves", enrollments_of(&cohort)),
                json!({"status": "accepted", "enrollment_ids": [e_an["id"], e_binh["id"]]}),
            )
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        let moved = moved.json();
        assert_eq!(moved["items"][0]["notes"], Value::Null, "a liaison reads no officer's notes: {moved}");
        assert_eq!(logged(&app).await, 4, "the moved enrolments, as answered");
        assert_eq!(newest(&app).await.1, "enrollments");
    }
);

db_test!(
    async fn a_trainees_disclosures_are_found_on_every_day_and_with_every_partner_that_read_them_and_no_others(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let (_, duc, mai) = seated_pair(&app, &jica, "YL").await;
        let grips = app.partner().code("GRIPS").country("JP").create().await;
        let program = app.program().code("GR").create().await;
        app.program_partner(&program, &grips).create().await;
        let class = app.cohort(&program).code("GR-1").create().await;
        app.enrollment(&class, &mai).status(EnrollmentStatus::Enrolled).create().await;
        let jica_liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let grips_liaison = app.user(Role::Liaison, grips["id"].as_i64()).await;

        // Today JICA reads Đức, then its list (Đức and Mai), twice; GRIPS reads only Mai.
        let jica_reads = app.as_user(&jica_liaison);
        assert_eq!(jica_reads.get(&format!("/api/v1/trainees/{}", duc["id"])).await.status, 200);
        for _ in 0..2 {
            assert_eq!(jica_reads.get("/api/v1/trainees").await.status, 200);
        }
        assert_eq!(app.as_user(&grips_liaison).get(&format!("/api/v1/trainees/{}", mai["id"])).await.status, 200);
        // And on a day last year, JICA read Đức alone: recorded as the service records it (the
        // answer, its trainee, and that JICA was given Đức's data that day).
        let (partner, user, trainee) = (jica["id"].clone(), jica_liaison.id, duc["id"].clone());
        let pool = app.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("a connection");
            for statement in [
                format!(
                    "INSERT INTO disclosure_events (id, occurred_at, day, user_id, partner_id, what) \
                     VALUES (1000000, '2025-03-04 09:30:00', '2025-03-04', {user}, {partner}, 'trainees')"
                ),
                format!("INSERT INTO disclosures (event_id, trainee_id, fields) VALUES (1000000, {trainee}, 'full_name')"),
                format!("INSERT INTO disclosure_days (trainee_id, partner_id, day) VALUES ({trainee}, {partner}, '2025-03-04')"),
            ] {
                diesel::sql_query(statement).execute(&mut conn).expect("the old read is written");
            }
        })
        .await
        .expect("the blocking pool runs");

        let of_duc = disclosures(&app, &format!("?trainee_id={}", duc["id"])).await;
        let seen: Vec<(&Value, &Value)> = of_duc["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| (&d["partner_id"], &d["occurred_at"]))
            .collect();
        assert_eq!(of_duc["total"], 4, "Đức: today's read and two lists, and last year's read: {of_duc}");
        assert!(seen.iter().all(|(p, _)| **p == jica["id"]), "only JICA read Đức: {of_duc}");
        assert!(seen.iter().any(|(_, at)| **at == "2025-03-04T09:30:00Z"), "last year's read: {of_duc}");
        assert!(of_duc["items"].as_array().expect("items").iter().all(|d| d["trainee_id"] == duc["id"]));

        let of_mai = disclosures(&app, &format!("?trainee_id={}", mai["id"])).await;
        let partners: Vec<&Value> = of_mai["items"].as_array().expect("items").iter().map(|d| &d["partner_id"]).collect();
        assert_eq!(partners, [&grips["id"], &jica["id"], &jica["id"]], "Mai: GRIPS's read, JICA's two lists: {of_mai}");
        let paged = disclosures(&app, &format!("?trainee_id={}&limit=1", mai["id"])).await;
        let next = paged["next_cursor"].as_str().expect("a next page");
        let rest = disclosures(&app, &format!("?trainee_id={}&limit=5&cursor={next}", mai["id"])).await;
        assert_eq!(rest["items"].as_array().map(Vec::len), Some(2), "the rest after the first: {rest}");

        // The access export names the same answers, and no answer that did not name the person.
        let export = app.get(&format!("/api/v1/trainees/{}/personal-data", mai["id"])).await.json();
        let rows = |table: &str| {
            export["tables"]
                .as_array()
                .expect("tables")
                .iter()
                .find(|t| t["table"] == table)
                .map(|t| t["rows"].as_array().map_or(0, Vec::len))
        };
        assert_eq!(rows("disclosures"), Some(3), "{export}");
        assert_eq!(rows("disclosure_events"), Some(3), "JICA's read of Đức alone is not Mai's: {export}");
        assert_eq!(rows("disclosure_days"), Some(2), "one day, two partners: {export}");
    }
);

db_test!(
    async fn a_liaisons_export_of_three_pages_records_each_trainee_it_sent_once_an_answer_a_page(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        let cohort = app.cohort(&program).capacity(1_100).create().await;
        let seated = crate::import::import(&app, &cohort, "?status=enrolled", &crate::import::spreadsheet_csv(1_100)).await;
        assert_eq!(seated.status, 200, "{}", seated.text());
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;

        let csv = app.as_user(&liaison).get("/api/v1/trainees?format=csv").await;
        assert_eq!(csv.status, 200, "{}", csv.text());
        let mut reader = csv::Reader::from_reader(csv.body.as_slice());
        let sent: std::collections::BTreeSet<i64> = reader
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|row| row.expect("a well-formed row")["id"].parse().expect("an id"))
            .collect();
        assert_eq!(sent.len(), 1_100, "every trainee, over three pages of 500");

        let pool = app.pool.clone();
        let recorded: Vec<(i64, i64)> = actix_web::web::block(move || {
            use tpms::schema::disclosures;
            disclosures::table
                .select((disclosures::event_id, disclosures::trainee_id))
                .load(&mut pool.get().expect("a connection"))
                .expect("the record reads")
        })
        .await
        .expect("the blocking pool runs");
        let answers: std::collections::BTreeSet<i64> = recorded.iter().map(|(answer, _)| *answer).collect();
        assert_eq!(answers.len(), 3, "one answer a page, each written before its page was sent");
        let people: std::collections::BTreeSet<i64> = recorded.iter().map(|(_, trainee)| *trainee).collect();
        assert_eq!(recorded.len(), 1_100, "each trainee once");
        assert_eq!(people, sent, "the record names exactly the trainees the export held");
    }
);
