//! Attendance sheets: who is on them, saving many records at once, and the attendance rate.

use serde_json::{Value, json};

use crate::db_test;
use tpms::users::Role;

db_test!(
    async fn the_sheet_lists_every_seated_trainee_and_saves_many_records_at_once(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(2).create().await;
        let an = app.trainee().full_name("Nguyễn Văn An").create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let le = app.trainee().full_name("Lê Waiting").create().await;
        let an = app.enrollment(&cohort, &an).create().await;
        let binh = app.enrollment(&cohort, &binh).create().await;
        let waiting = app.enrollment(&cohort, &le).create().await;
        assert_eq!(waiting["status"], "waitlisted");
        let session = app.session(&cohort).date("2024-02-05").create().await;
        let sheet_path = format!("/api/v1/sessions/{}/attendance", session["id"]);

        let sheet = app.get(&sheet_path).await.json();
        let names: Vec<&str> = sheet["items"].as_array().expect("items").iter().filter_map(|l| l["trainee_name"].as_str()).collect();
        assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Bình"], "seated trainees only, by name");
        assert_eq!(sheet["items"][0]["status"], Value::Null, "nothing recorded yet");

        let saved = app
            .send(
                app.request(actix_web::http::Method::PUT, &sheet_path),
                Some(&json!({"records": [
                    {"enrollment_id": an["id"], "status": "present"},
                    {"enrollment_id": binh["id"], "status": "excused", "note": "Ốm"},
                ]})),
            )
            .await;
        assert_eq!(saved.status, 200, "{}", saved.text());
        let saved = saved.json();
        assert_eq!(saved["items"][0]["status"], "present");
        assert_eq!(saved["items"][1]["status"], "excused");
        assert_eq!(saved["items"][1]["note"], "Ốm");
        assert_eq!(app.get(&sheet_path).await.json()["items"], saved["items"]);
    }
);

db_test!(
    async fn one_bad_row_saves_nothing_and_is_named(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let first = app.trainee().full_name("Seated").create().await;
        let second = app.trainee().full_name("Waiting").create().await;
        let seated = app.enrollment(&cohort, &first).create().await;
        let waiting = app.enrollment(&cohort, &second).create().await;
        let session = app.session(&cohort).date("2024-02-05").create().await;
        let sheet_path = format!("/api/v1/sessions/{}/attendance", session["id"]);
        let (client, sheet) = (&app, &sheet_path);
        let put =
            |body: Value| async move { client.send(client.request(actix_web::http::Method::PUT, sheet), Some(&body)).await };

        let problem = put(json!({"records": [
            {"enrollment_id": seated["id"], "status": "present"},
            {"enrollment_id": waiting["id"], "status": "present"},
            {"enrollment_id": 999999, "status": "late"},
            {"enrollment_id": seated["id"], "status": "absent"},
        ]}))
        .await
        .assert_problem(422, "validation_failed");
        let named: Vec<(String, String)> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| (e["pointer"].as_str().unwrap_or_default().to_owned(), e["code"].as_str().unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(
            named,
            [
                ("#/records/1/enrollment_id".to_owned(), "not_seated".to_owned()),
                ("#/records/2/enrollment_id".to_owned(), "not_in_cohort".to_owned()),
                ("#/records/3/enrollment_id".to_owned(), "duplicate".to_owned()),
            ]
        );
        assert_eq!(app.get(&sheet_path).await.json()["items"][0]["status"], Value::Null, "nothing was saved");

        let problem = put(json!({"records": [{"enrollment_id": seated["id"], "status": "asleep"}]})).await;
        let problem = problem.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/records/0/status", "{problem}");
        let problem = put(json!({"records": [{"enrollment_id": seated["id"], "status": "present", "note": "   "}]}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/records/0/note");
    }
);

db_test!(
    async fn an_enrolment_shows_its_attendance_rate(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let rated = app.trainee().full_name("Rated Trainee").create().await;
        let e = app.enrollment(&cohort, &rated).create().await;
        for (date, status) in [("2024-02-05", "present"), ("2024-02-06", "late"), ("2024-02-07", "absent"), ("2024-02-08", "excused")] {
            let session = app.session(&cohort).date(date).create().await;
            let put = app
                .send(
                    app.request(actix_web::http::Method::PUT, &format!("/api/v1/sessions/{}/attendance", session["id"])),
                    Some(&json!({"records": [{"enrollment_id": e["id"], "status": status}]})),
                )
                .await;
            assert_eq!(put.status, 200, "{}", put.text());
        }
        let attendance = app.get(&format!("/api/v1/enrollments/{}", e["id"])).await.json()["attendance"].clone();
        assert_eq!(attendance["recorded"], 4);
        assert_eq!(attendance["excused"], 1);
        let rate = attendance["rate"].as_f64().expect("a rate");
        assert!((rate - 2.0 / 3.0).abs() < 1e-9, "present and late over the sessions that count: {rate}");
    }
);

db_test!(
    async fn a_reporter_reads_the_sheet_and_only_staff_record_it(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let session = app.session(&cohort).date("2024-02-05").create().await;
        let path = format!("/api/v1/sessions/{}/attendance", session["id"]);
        let reporter = app.user(Role::Reporter, None).await;
        assert_eq!(app.as_user(&reporter).get(&path).await.status, 200);
        let put = app
            .as_user(&reporter)
            .send(actix_web::http::Method::PUT, &path, Some(&json!({"records": []})))
            .await;
        put.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn a_liaison_reads_the_same_marks_of_its_partners_cohorts_on_both_sheets_without_notes(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(tpms::programs::partners::PartnerRole::Funder).create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let an = app.trainee().full_name("Nguyễn Văn An").create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let an = app.enrollment(&cohort, &an).create().await;
        let waiting = app.enrollment(&cohort, &binh).create().await;
        assert_eq!(waiting["status"], "waitlisted");
        let session = app.session(&cohort).date("2024-02-05").create().await;
        let path = format!("/api/v1/sessions/{}/attendance", session["id"]);
        let marked = app
            .send(
                app.request(actix_web::http::Method::PUT, &path),
                Some(&json!({"records": [{"enrollment_id": an["id"], "status": "excused", "note": "Ốm, giấy viện"}]})),
            )
            .await;
        assert_eq!(marked.status, 200, "{}", marked.text());
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let sheet = as_liaison.get(&path).await;
        assert_eq!(sheet.status, 200, "its partner's session: {}", sheet.text());
        let sheet = sheet.json();
        let lines = sheet["items"].as_array().expect("items");
        assert_eq!(lines.len(), 1, "seated trainees only: {sheet}");
        assert_eq!(lines[0]["enrollment_id"], an["id"]);
        assert_eq!(lines[0]["status"], "excused");
        assert_eq!(lines[0]["note"], Value::Null, "why a trainee was excused stays with the department: {sheet}");
        assert_eq!(lines[0]["recorded_by"], Value::Null, "{sheet}");

        let report = as_liaison.get(&format!("/api/v1/reports/cohorts/{}/attendance", cohort["id"])).await.json();
        assert_eq!(report["trainees"].as_array().map(Vec::len), Some(1), "{report}");
        assert_eq!(report["trainees"][0]["enrollment_id"], an["id"]);
        assert_eq!(report["trainees"][0]["marks"], json!(["excused"]), "the same marks as the session's sheet");

        as_liaison
            .send(actix_web::http::Method::PUT, &path, Some(&json!({"records": [{"enrollment_id": an["id"], "status": "present"}]})))
            .await
            .assert_problem(403, "forbidden");
        let other = app.partner().code("KOICA").create().await;
        let outsider = app.as_user(&app.user(Role::Liaison, other["id"].as_i64()).await);
        outsider.get(&path).await.assert_problem(404, "not_found");
        outsider.get(&format!("/api/v1/reports/cohorts/{}/attendance", cohort["id"])).await.assert_problem(404, "not_found");
    }
);
