//! Reports: the answers a reporter needs in one request, in JSON, CSV and Excel, counted as the
//! data was when it happened and scoped to what the caller may see.

use std::io::Cursor;

use actix_web::http::Method;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};
use tpms::enrollments::EnrollmentStatus;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::{TestApp, TestResponse};

/// Save the sheet of `session`: each enrolment with its mark.
async fn mark(app: &TestApp, session: &Value, marks: &[(&Value, &str)]) {
    let records: Vec<Value> = marks
        .iter()
        .map(|(enrollment, status)| json!({"enrollment_id": enrollment["id"], "status": status}))
        .collect();
    let path = format!("/api/v1/sessions/{}/attendance", session["id"]);
    let saved = app
        .send(app.request(Method::PUT, &path), Some(&json!({ "records": records })))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
}

/// The first sheet of a workbook, as a spreadsheet reader sees it.
fn workbook(response: &TestResponse) -> Vec<Vec<Data>> {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(response.body.clone())).expect("a workbook");
    let range = book
        .worksheet_range_at(0)
        .expect("a first sheet")
        .expect("a readable sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// A CSV answer's rows, header first.
fn csv_rows(response: &TestResponse) -> Vec<Vec<String>> {
    assert_eq!(response.status, 200, "{}", response.text());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(response.body.as_slice());
    reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

db_test!(
    async fn the_attendance_matrix_matches_the_sheets_recorded(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).code("C1").create().await;
        let an = app.enrollment(&cohort, &app.trainee().full_name("Nguyễn Văn An").create().await).create().await;
        let binh = app.enrollment(&cohort, &app.trainee().full_name("Trần Thị Bình").create().await).create().await;
        let first = app.session(&cohort).title("Opening").date("2024-03-04").create().await;
        let second = app.session(&cohort).title("Site visit").date("2024-03-05").create().await;
        mark(&app, &first, &[(&an, "present"), (&binh, "late")]).await;
        mark(&app, &second, &[(&an, "absent"), (&binh, "excused")]).await;

        let path = format!("/api/v1/reports/cohorts/{}/attendance", cohort["id"]);
        let sheet = app.get(&path).await.json();
        assert!(sheet["data_as_of"].is_string());
        let names: Vec<&str> = sheet["trainees"].as_array().expect("trainees").iter().filter_map(|t| t["trainee_name"].as_str()).collect();
        assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Bình"]);
        assert_eq!(sheet["trainees"][0]["marks"], json!(["present", "absent"]));
        assert_eq!(sheet["trainees"][1]["marks"], json!(["late", "excused"]));
        assert_eq!(sheet["trainees"][0]["summary"]["rate"], 0.5);
        assert_eq!(sheet["trainees"][1]["summary"]["rate"], 1.0, "excused leaves the rate");
        assert_eq!(sheet["sessions"][0]["summary"]["rate"], 1.0);
        assert_eq!(sheet["sessions"][1]["summary"]["rate"], 0.0);

        let csv = csv_rows(&app.get(&format!("{path}?format=csv")).await);
        assert_eq!(csv[0][2], format!("2024-03-04 Opening (#{})", first["id"]));
        assert_eq!(csv[1][1..4], ["Nguyễn Văn An", "present", "absent"]);
        assert_eq!(csv[3][1], "rate per session");

        let rows = workbook(&app.get(&format!("{path}?format=xlsx")).await);
        assert_eq!(rows[0][1], Data::String("trainee_name".to_owned()));
        assert_eq!(rows[1][1], Data::String("Nguyễn Văn An".to_owned()), "accents survive the workbook");
        assert_eq!(rows[1][2], Data::String("present".to_owned()));
        assert_eq!(rows[1][8], Data::Float(0.5), "rates are numbers, not text");
        assert_eq!(rows[1][0], Data::Float(an["id"].as_f64().expect("an id")));
    }
);

db_test!(
    async fn a_trainee_who_moved_after_enrolling_is_counted_under_the_old_organisation(app) {
        let program = app.program().create().await;
        let earlier = app.cohort(&program).code("C2022").start_date("2022-09-01").create().await;
        let later = app.cohort(&program).code("C2024").start_date("2024-09-01").create().await;
        let trainee = app.trainee().full_name("Lê Thị Hoa").organisation("Sở Nội vụ Huế").province("Huế").create().await;
        app.enrollment(&earlier, &trainee).status(EnrollmentStatus::Completed).create().await;
        let moved = app
            .patch(&format!("/api/v1/trainees/{}", trainee["id"]), json!({"organisation": "Bộ Nội vụ", "province": "Hà Nội"}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        app.enrollment(&later, &trainee).create().await;

        let report = app.get("/api/v1/reports/trainees-by-origin?group_by=organisation,year").await.json();
        assert_eq!(
            report["rows"],
            json!([
                {"group": {"organisation": "Bộ Nội vụ", "year": 2024}, "enrollments": 1, "trainees": 1},
                {"group": {"organisation": "Sở Nội vụ Huế", "year": 2022}, "enrollments": 1, "trainees": 1},
            ])
        );
        assert_eq!(report["totals"], json!({"enrollments": 2, "trainees": 1}));
        let completed = app.get("/api/v1/reports/trainees-by-origin?group_by=province&status=completed&year_from=2022&year_to=2023").await.json();
        assert_eq!(completed["rows"], json!([{"group": {"province": "Huế"}, "enrollments": 1, "trainees": 1}]));
        assert_eq!(completed["filters"], json!({"group_by": ["province"], "status": "completed", "year_from": 2022, "year_to": 2023}));

        // A corrected gender follows the trainee; a cohort moved to another year takes its
        // enrolments with it.
        assert_eq!(app.patch(&format!("/api/v1/trainees/{}", trainee["id"]), json!({"gender": "female"})).await.status, 200);
        assert_eq!(app.patch(&format!("/api/v1/cohorts/{}", later["id"]), json!({"start_date": "2025-01-06"})).await.status, 200);
        let by_gender = app.get("/api/v1/reports/trainees-by-origin?group_by=gender,year").await.json();
        assert_eq!(
            by_gender["rows"],
            json!([
                {"group": {"gender": "female", "year": 2022}, "enrollments": 1, "trainees": 1},
                {"group": {"gender": "female", "year": 2025}, "enrollments": 1, "trainees": 1},
            ])
        );

        let record = app.get(&format!("/api/v1/reports/trainees/{}/record", trainee["id"])).await.json();
        let origins: Vec<&Value> = record["cohorts"].as_array().expect("cohorts").iter().map(|c| &c["origin"]["organisation"]).collect();
        assert_eq!(origins, [&json!("Bộ Nội vụ"), &json!("Sở Nội vụ Huế")], "latest first, each as it was");
        assert_eq!(record["cohorts"][1]["status"], "completed");
    }
);

db_test!(
    async fn a_liaisons_reports_count_only_its_partners_trainees(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let theirs = app.program().code("JICA-YL").create().await;
        let other = app.program().code("INSP-PL").create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Funder).create().await;
        app.program_partner(&other, &insp).role(PartnerRole::Host).create().await;
        let (mine, not_mine) = (app.cohort(&theirs).create().await, app.cohort(&other).create().await);
        let both = app.trainee().full_name("Phạm Quốc Bảo").province("Đà Nẵng").create().await;
        app.enrollment(&mine, &both).create().await;
        app.enrollment(&not_mine, &both).create().await;
        for name in ["Võ An", "Đặng Bình"] {
            app.enrollment(&not_mine, &app.trainee().full_name(name).province("Đà Nẵng").create().await).create().await;
        }
        app.enrollment(&mine, &app.trainee().full_name("Hồ Nam").province("Đà Nẵng").create().await).nominated().create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let origins = as_liaison.get("/api/v1/reports/trainees-by-origin").await.json();
        assert_eq!(origins["rows"], json!([]), "one trainee is under the small-group size: {origins}");
        assert_eq!(origins["withheld_groups"], 1);
        assert_eq!(origins["totals"], json!({"enrollments": 1, "trainees": 1}), "a nomination stays with staff");
        let staff = app.get("/api/v1/reports/trainees-by-origin").await.json();
        assert_eq!(staff["totals"], json!({"enrollments": 5, "trainees": 4}));

        let overview = as_liaison.get("/api/v1/reports/programs").await.json();
        let keys: Vec<&Value> = overview["rows"].as_array().expect("rows").iter().map(|r| &r["key"]).collect();
        assert_eq!(keys, [&json!("JICA-YL")]);
        assert_eq!(overview["totals"]["seated"], 1);
        let by_partner = as_liaison.get("/api/v1/reports/programs?group_by=partner&format=csv").await;
        assert!(!by_partner.text().contains("INSP"), "{}", by_partner.text());

        let record = as_liaison.get(&format!("/api/v1/reports/trainees/{}/record", both["id"])).await.json();
        assert_eq!(record["cohorts"].as_array().map(Vec::len), Some(1));
        assert_eq!(record["cohorts"][0]["program_code"], "JICA-YL");
        as_liaison
            .get(&format!("/api/v1/reports/cohorts/{}/attendance", not_mine["id"]))
            .await
            .assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_liaison_counts_trainees_by_no_gender_or_birth_year_and_small_groups_are_withheld_from_it(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().code("JICA-YL").create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Funder).create().await;
        let cohort = app.cohort(&program).capacity(10).create().await;
        for i in 0..5 {
            let trainee = app.trainee().full_name(format!("Hà Nội {i}")).province("Hà Nội").gender(tpms::trainees::Gender::Female).birth_year(1985).create().await;
            app.enrollment(&cohort, &trainee).create().await;
        }
        let alone = app.trainee().full_name("Người Huế").province("Huế").gender(tpms::trainees::Gender::Male).birth_year(1990).create().await;
        app.enrollment(&cohort, &alone).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        for group_by in ["gender", "province,organisation,gender,birth_decade", "birth_decade"] {
            let refused = as_liaison
                .get(&format!("/api/v1/reports/trainees-by-origin?group_by={group_by}"))
                .await
                .assert_problem(400, "invalid_query");
            assert!(refused["detail"].as_str().is_some_and(|d| d.contains("liaison")), "{group_by}: {refused}");
        }

        let origins = as_liaison.get("/api/v1/reports/trainees-by-origin?group_by=province").await.json();
        assert_eq!(origins["rows"], json!([{"group": {"province": "Hà Nội"}, "enrollments": 5, "trainees": 5}]), "{origins}");
        assert_eq!(origins["withheld_groups"], 1, "the one trainee from Huế is not a row: {origins}");
        let csv = as_liaison.get("/api/v1/reports/trainees-by-origin?group_by=province&format=csv").await.text();
        assert!(!csv.contains("Huế") && csv.contains("withheld"), "{csv}");

        let reporter = app.user(Role::Reporter, None).await;
        let staff = app.as_user(&reporter).get("/api/v1/reports/trainees-by-origin?group_by=province,gender").await.json();
        assert_eq!(staff["rows"].as_array().map(Vec::len), Some(2), "staff see every group: {staff}");
        assert_eq!(staff["withheld_groups"], 0);
    }
);

db_test!(
    async fn a_trainees_record_keeps_each_dates_precision_in_json_csv_and_excel(app) {
        let program = app.program().code("JICA-YL").create().await;
        let cohort = app.cohort(&program).start_date("2026-05").end_date("2026-06").create().await;
        let trainee = app.trainee().full_name("Lê Thị Tháng").create().await;
        app.enrollment(&cohort, &trainee).create().await;
        let path = format!("/api/v1/reports/trainees/{}/record", trainee["id"]);

        let record = app.get(&path).await.json();
        assert_eq!((&record["cohorts"][0]["start_date"], &record["cohorts"][0]["end_date"]), (&json!("2026-05"), &json!("2026-06")), "{record}");

        let rows = csv_rows(&app.get(&format!("{path}?format=csv")).await);
        let at = |name: &str| rows[0].iter().position(|c| c == name).expect(name);
        assert_eq!((rows[1][at("start_date")].as_str(), rows[1][at("end_date")].as_str()), ("2026-05", "2026-06"));

        let sheet = workbook(&app.get(&format!("{path}?format=xlsx")).await);
        let column = |name: &str| sheet[0].iter().position(|c| *c == Data::String(name.to_owned())).expect(name);
        for (name, first_day) in [("start_date", "2026-05-01"), ("end_date", "2026-06-01")] {
            match &sheet[1][column(name)] {
                Data::DateTime(when) => {
                    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("Excel's day 0");
                    let day: chrono::NaiveDate = first_day.parse().expect("a day");
                    assert!(when.is_datetime(), "{name}: a real date");
                    assert_eq!(when.as_f64(), (day - epoch).num_days() as f64, "{name}: its first day, shown as its month");
                }
                other => panic!("{name} is a date cell, not {other:?}"),
            }
        }
    }
);

db_test!(
    async fn the_overview_sets_what_was_planned_against_what_ran(app) {
        let program = app.program().code("VJ-SEM").planned_trainees(10).planned_cohorts(2).create().await;
        let cohort = app.cohort(&program).start_date("2024-05-06").capacity(3).create().await;
        let mut seated = Vec::new();
        for name in ["Nguyễn Hải", "Trần Minh", "Lê Thu"] {
            let trainee = app.trainee().full_name(name).create().await;
            seated.push(app.enrollment(&cohort, &trainee).create().await);
        }
        let waiting = app.trainee().full_name("Đỗ Lan").create().await;
        let waitlisted = app.enrollment(&cohort, &waiting).create().await;
        assert_eq!(waitlisted["status"], "waitlisted");
        let session = app.session(&cohort).date("2024-05-06").create().await;
        mark(&app, &session, &[(&seated[0], "present"), (&seated[1], "late"), (&seated[2], "absent")]).await;
        for (enrollment, status) in seated.iter().zip(["completed", "completed", "did_not_complete"]) {
            let path = format!("/api/v1/enrollments/{}", enrollment["id"]);
            let current = app.get(&path).await;
            let etag = current.header("etag").expect("an ETag").to_owned();
            let moved = app
                .send(app.request(Method::PATCH, &path).insert_header(("if-match", etag)), Some(&json!({"status": status})))
                .await;
            assert_eq!(moved.status, 200, "{}", moved.text());
        }

        let overview = app.get("/api/v1/reports/programs").await.json();
        let row = &overview["rows"][0];
        assert_eq!(row["key"], "VJ-SEM");
        assert_eq!(
            (&row["planned_trainees"], &row["planned_cohorts"], &row["cohorts"]),
            (&json!(10), &json!(2), &json!(1))
        );
        assert_eq!((&row["seated"], &row["completed"], &row["did_not_complete"], &row["waitlisted"]), (&json!(3), &json!(2), &json!(1), &json!(1)));
        let completion = row["completion_rate"].as_f64().expect("a completion rate");
        assert!((completion - 2.0 / 3.0).abs() < 1e-9, "{completion}");
        let attendance = row["attendance_rate"].as_f64().expect("an attendance rate");
        assert!((attendance - 2.0 / 3.0).abs() < 1e-9, "{attendance}");
        assert_eq!(overview["totals"]["completed"], 2);

        let by_year = app.get("/api/v1/reports/programs?group_by=year").await.json();
        assert_eq!(by_year["rows"][0]["key"], "2024");
        assert_eq!(by_year["rows"][0]["planned_trainees"], Value::Null, "a plan is not per year");

        let rows = workbook(&app.get("/api/v1/reports/programs?format=xlsx").await);
        assert_eq!(rows[0][0], Data::String("key".to_owned()));
        assert_eq!(rows[1][0], Data::String("VJ-SEM".to_owned()));
        assert_eq!(rows[1][7], Data::Float(3.0), "seated, as a number");
    }
);

db_test!(
    async fn report_parameters_are_checked_like_any_query(app) {
        let misspelt = app.get("/api/v1/reports/trainees-by-origin?group_by=provnce").await.assert_problem(400, "invalid_query");
        assert!(misspelt["detail"].as_str().is_some_and(|d| d.contains("provnce")), "{misspelt}");
        let unknown = app.get("/api/v1/reports/programs?stauts=open").await.assert_problem(400, "invalid_query");
        assert!(unknown["detail"].as_str().is_some_and(|d| d.starts_with("stauts")), "{unknown}");
        app.get("/api/v1/reports/programs?year_from=2025&year_to=2020").await.assert_problem(400, "invalid_query");
        // Years outside those every date may have (1900 to 2199) are refused, on both ends.
        for (query, name) in [("year_to=2200", "year_to"), ("year_from=1899", "year_from")] {
            let outside = app.get(&format!("/api/v1/reports/programs?{query}")).await.assert_problem(400, "invalid_query");
            assert!(outside["detail"].as_str().is_some_and(|d| d.contains(name)), "{query} is named: {outside}");
        }
        assert_eq!(app.get("/api/v1/reports/programs?year_from=1900&year_to=2199").await.status, 200, "the bounds are in");
        app.get("/api/v1/reports/programs?group_by=planet").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/reports/programs?format=pdf").await.assert_problem(400, "invalid_query");
        app.send(app.request(Method::GET, "/api/v1/reports/programs").insert_header(("accept", "application/xml")), None)
            .await
            .assert_problem(406, "not_acceptable");
        let csv = app.send(app.request(Method::GET, "/api/v1/reports/programs").insert_header(("accept", "text/csv")), None).await;
        assert_eq!(csv_rows(&csv)[0][0], "key");
    }
);
