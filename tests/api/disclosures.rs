//! The record of what left the department (issue 31, item 4): every trainee's personal data a
//! partner's liaison was answered with, written in bulk for lists and exports, listed for admins,
//! and summed per partner and country in the transfers report.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::enrollments::EnrollmentStatus;
use tpms::users::Role;

use crate::db_test;
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
