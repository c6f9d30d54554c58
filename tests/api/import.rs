//! CSV import of enrolments: a thousand rows in one request, all or nothing, matching by email,
//! dry runs.

use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, TestResponse, enrollments_of};

const SURNAMES: [&str; 6] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đỗ"];
const PROVINCES: [&str; 4] = ["Hà Nội", "Đà Nẵng", "Quảng Ninh", "Cần Thơ"];

/// A CSV as a spreadsheet program saves it: byte-order mark, CRLF line ends, quoted cells.
pub fn spreadsheet_csv(rows: usize) -> String {
    let mut csv = String::from("\u{feff}full_name,email,organisation,position,province,gender,birth_year\r\n");
    for i in 0..rows {
        let surname = SURNAMES[i % SURNAMES.len()];
        let province = PROVINCES[i % PROVINCES.len()];
        let email = if i % 2 == 0 {
            format!("trainee{i}@example.gov.vn")
        } else {
            String::new()
        };
        let gender = if i % 3 == 0 { "female" } else { "male" };
        csv.push_str(&format!(
            "{surname} Văn Thứ {i},{email},\"Sở Nội vụ, {province}\",Chuyên viên,{province},{gender},{}\r\n",
            1980 + i % 20
        ));
    }
    csv
}

pub async fn import(app: &TestApp, cohort: &Value, query: &str, csv: &str) -> TestResponse {
    let path = format!("{}/import{query}", enrollments_of(cohort));
    app.send_raw(
        app.request(actix_web::http::Method::POST, &path),
        "text/csv; charset=utf-8",
        csv.as_bytes().to_vec(),
    )
    .await
}

db_test!(
    async fn a_thousand_row_spreadsheet_imports_in_one_request(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let response = import(&app, &cohort, "", &spreadsheet_csv(1000)).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        assert_eq!(report["rows"], 1000);
        assert_eq!(report["trainees_created"], 1000);
        assert_eq!(report["nominated"], 1000);
        assert_eq!(report["items"][0]["row"], 2, "rows are numbered as the spreadsheet shows them");
        assert_eq!(report["items"][999]["row"], 1001);

        let nominated = app.get(&format!("{}?status=nominated&limit=1", enrollments_of(&cohort))).await.json();
        assert_eq!(nominated["total"], 1000);
        let first = app.get(&format!("/api/v1/trainees/{}", report["items"][0]["trainee_id"])).await.json();
        assert_eq!(first["full_name"], "Nguyễn Văn Thứ 0", "the BOM is not part of the first name");
        assert_eq!(first["organisation"], "Sở Nội vụ, Hà Nội", "a quoted comma stays in its cell");
        assert_eq!(first["birth_year"], 1980);
    }
);

db_test!(
    async fn one_bad_row_among_a_thousand_changes_nothing_and_every_bad_cell_is_named(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let mut lines: Vec<String> = spreadsheet_csv(1000).split("\r\n").map(str::to_owned).collect();
        // Row 502 of the spreadsheet is line index 501.
        lines[501] = lines[501].replace(",199", ",19x").replace(",198", ",19x");
        lines[801] = lines[801].replacen(",male,", ",unknown,", 1).replacen(",female,", ",unknown,", 1);
        let response = import(&app, &cohort, "", &lines.join("\r\n")).await;
        let problem = response.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/rows/502/birth_year", "#/rows/802/gender"]);

        assert_eq!(app.get(&enrollments_of(&cohort)).await.json()["total"], 0, "no enrolment was made");
        assert_eq!(app.get("/api/v1/trainees").await.json()["total"], 0, "no trainee was made");
    }
);

db_test!(
    async fn a_known_email_matches_its_trainee_and_a_dry_run_writes_nothing(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let known = app.trainee().full_name("Lê Thị Hoa").email("hoa@example.gov.vn").create().await;
        let csv = "full_name,email\nLê Thị Hoa,HOA@example.gov.vn\nTrần Văn Mới,\n";

        let dry = import(&app, &cohort, "?dry_run=true", csv).await;
        assert_eq!(dry.status, 200, "{}", dry.text());
        let dry = dry.json();
        assert_eq!((dry["dry_run"].clone(), dry["trainees_matched"].clone(), dry["trainees_created"].clone()), (json!(true), json!(1), json!(1)));
        assert_eq!(dry["items"][0]["trainee_id"], known["id"]);
        assert_eq!(dry["items"][1]["trainee_id"], Value::Null);
        assert_eq!(app.get(&enrollments_of(&cohort)).await.json()["total"], 0, "a dry run writes nothing");
        assert_eq!(app.get("/api/v1/trainees").await.json()["total"], 1);

        let done = import(&app, &cohort, "", csv).await.json();
        assert_eq!(done["nominated"], 2);
        assert_eq!(done["items"][0]["action"], "matched");
        let again = import(&app, &cohort, "", "full_name,email\nLê Thị Hoa,hoa@example.gov.vn\n").await.json();
        assert_eq!(again["already_in_cohort"], 1);
        assert_eq!(again["items"][0]["existing_enrollment_id"], done["items"][0]["enrollment_id"]);
    }
);

db_test!(
    async fn a_file_that_is_not_a_trainee_list_is_refused_plainly(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let problem = import(&app, &cohort, "", "name,mail\nA,b\n").await.assert_problem(422, "validation_failed");
        let codes: Vec<&str> = problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
        assert_eq!(codes, ["unknown_column", "unknown_column", "missing_column"]);
        assert_eq!(problem["errors"][0]["pointer"], "#/rows/1");

        let path = format!("{}/import", enrollments_of(&cohort));
        let json_body = app.send_raw(app.request(actix_web::http::Method::POST, &path), "application/json", b"{}".to_vec()).await;
        json_body.assert_problem(415, "unsupported_media_type");
        let problem = import(&app, &cohort, "", "full_name,email\nA,a@x.vn\nB,A@X.VN\n").await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/rows/3/email");
        assert!(problem["errors"][0]["detail"].as_str().unwrap_or_default().contains("row 2"), "{problem}");
    }
);

db_test!(
    async fn seating_twenty_five_trainees_into_twenty_seats_is_one_request(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(20).create().await;
        let dry = import(&app, &cohort, "?status=enrolled&dry_run=true", &spreadsheet_csv(25)).await.json();
        assert_eq!((dry["enrolled"].clone(), dry["waitlisted"].clone()), (json!(20), json!(5)), "{dry}");
        assert_eq!(dry["items"][0]["trainee_name"], "Nguyễn Văn Thứ 0", "a dry run names each row's trainee");
        assert_eq!(dry["items"][20]["status"], "waitlisted");

        let response = import(&app, &cohort, "?status=enrolled", &spreadsheet_csv(25)).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        assert_eq!((report["enrolled"].clone(), report["waitlisted"].clone()), (json!(20), json!(5)), "{report}");
        let statuses: Vec<&str> =
            report["items"].as_array().expect("items").iter().filter_map(|r| r["status"].as_str()).collect();
        assert!(statuses[..20].iter().all(|s| *s == "enrolled") && statuses[20..].iter().all(|s| *s == "waitlisted"));
        let waitlist = app.get(&format!("{}?status=waitlisted", enrollments_of(&cohort))).await.json();
        let names: Vec<&str> =
            waitlist["items"].as_array().expect("items").iter().filter_map(|e| e["trainee_name"].as_str()).collect();
        let last_five: Vec<&str> =
            report["items"].as_array().expect("items")[20..].iter().filter_map(|r| r["trainee_name"].as_str()).collect();
        assert_eq!(names, last_five, "the waitlist keeps the file's order");
    }
);

db_test!(
    async fn a_vietnamese_office_spreadsheet_imports_as_written(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let csv = "Họ và tên,Giới tính,Năm sinh,Chức vụ,Cơ quan/Đơn vị,Tỉnh/Thành phố,Email,Điện thoại\r\n\
                   Nguyễn Thị Lan,Nữ,1986.0,Chuyên viên,Sở Nội vụ,Hà Nội,lan@example.gov.vn,0912345678\r\n\
                   Trần Văn Nam,Nam,1979,Phó Giám đốc,UBND tỉnh,Quảng Ninh,,\r\n";
        let response = import(&app, &cohort, "", csv).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        let lan = app.get(&format!("/api/v1/trainees/{}", report["items"][0]["trainee_id"])).await.json();
        assert_eq!(
            (&lan["gender"], &lan["birth_year"], &lan["organisation"], &lan["province"]),
            (&json!("female"), &json!(1986), &json!("Sở Nội vụ"), &json!("Hà Nội"))
        );
        let nam = app.get(&format!("/api/v1/trainees/{}", report["items"][1]["trainee_id"])).await.json();
        assert_eq!(nam["gender"], "male");
    }
);

db_test!(
    async fn every_error_of_a_file_comes_in_one_answer(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let csv = "Họ và tên,Giới tính,Năm sinh,Màu áo\r\nA,Nữ,19x6\r\nB,robot,1980\r\n";
        let problem = import(&app, &cohort, "", csv).await.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/rows/1", "#/rows/2/birth_year", "#/rows/3/gender"], "{problem}");
        let header = problem["errors"][0]["detail"].as_str().unwrap_or_default();
        assert!(header.contains("Màu áo") && header.contains("Họ và tên"), "{header}");
    }
);

db_test!(
    async fn a_file_of_endless_bad_lines_answers_its_first_thousand_errors_and_how_many_more(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        // Rows with more cells than the header names: each is an error, and each counts toward
        // the row limit, which ends the reading.
        let csv = format!("full_name\n{}", "x,y,z\n".repeat(300_000));
        let refused = import(&app, &cohort, "", &csv).await;
        assert_eq!(refused.status, 422, "{}", &refused.text()[..200.min(refused.text().len())]);
        let errors = refused.json()["errors"].as_array().cloned().unwrap_or_default();
        assert_eq!(errors.len(), 1_001, "a thousand listed, then what was left out");
        let codes = |code: &str| errors.iter().filter(|e| e["code"] == code).count();
        assert_eq!(codes("too_many_cells"), 1_000);
        let more = errors.iter().find(|e| e["code"] == "more_errors").expect("the count of the rest");
        assert_eq!(more["pointer"], "#/rows");
        assert!(more["detail"].as_str().is_some_and(|d| d.contains("19001 more") && d.contains("20001 in all")), "{more}");
        assert!(refused.text().len() < 200_000, "{} bytes", refused.text().len());
    }
);

/// Send `workbook` to the import of `cohort`, as Excel sends it.
async fn import_workbook(app: &TestApp, cohort: &Value, query: &str, workbook: Vec<u8>) -> TestResponse {
    let path = format!("{}/import{query}", enrollments_of(cohort));
    app.send_raw(
        app.request(actix_web::http::Method::POST, &path),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        workbook,
    )
    .await
}

/// The trainee a report's row `i` made.
async fn trainee_of(app: &TestApp, report: &Value, i: usize) -> Value {
    app.get(&format!("/api/v1/trainees/{}", report["items"][i]["trainee_id"]))
        .await
        .json()
}

db_test!(
    async fn a_list_with_stt_a_birth_date_and_a_workplace_imports_from_csv(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let csv = "STT,Họ và tên,Ngày sinh,Giới tính,Đơn vị công tác,Tỉnh/Thành phố\r\n\
                   1,Nguyễn Thị Lan,15/03/1986,Nữ,Sở Nội vụ,Hà Nội\r\n\
                   2,Trần Văn Nam,5-11-1979,Nam,UBND tỉnh,Quảng Ninh\r\n\
                   3,Lê Văn Hùng,31486,Nam,Sở Xây dựng,Đà Nẵng\r\n";
        let response = import(&app, &cohort, "", csv).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        let lan = trainee_of(&app, &report, 0).await;
        assert_eq!(
            (&lan["full_name"], &lan["birth_year"], &lan["organisation"], &lan["gender"]),
            (&json!("Nguyễn Thị Lan"), &json!(1986), &json!("Sở Nội vụ"), &json!("female"))
        );
        assert_eq!(trainee_of(&app, &report, 1).await["birth_year"], 1979);
        assert_eq!(trainee_of(&app, &report, 2).await["birth_year"], 1986, "a date cell saved as its day number");

        let bad = "STT,Họ và tên,Ngày sinh\r\n1,A,31/02/1986\r\n2,B,15/03/86\r\n";
        let problem = import(&app, &cohort, "", bad).await.assert_problem(422, "validation_failed");
        let named: Vec<(&str, &str)> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| Some((e["pointer"].as_str()?, e["code"].as_str()?)))
            .collect();
        assert_eq!(named, [("#/rows/2/birth_date", "not_a_date"), ("#/rows/3/birth_date", "not_a_date")]);
        assert!(problem["errors"][0]["detail"].as_str().is_some_and(|d| d.contains("dd/mm/yyyy")), "{problem}");
    }
);

db_test!(
    async fn a_column_the_file_declares_ignored_is_left_out_and_an_unknown_one_says_how(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let csv = "STT,Họ và tên,Màu áo,Ghi chú nội bộ\r\n1,Nguyễn Thị Lan,xanh,đã gọi\r\n";
        let problem = import(&app, &cohort, "", csv).await.assert_problem(422, "validation_failed");
        let details: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["detail"].as_str()).collect();
        assert_eq!(details.len(), 2, "{problem}");
        assert!(details[0].contains("`Màu áo`") && details[0].contains("?ignore=Màu áo"), "{}", details[0]);

        let ignored = format!("?ignore={}", crate::support::urlencode("mau ao, Ghi chú nội bộ"));
        let response = import(&app, &cohort, &ignored, csv).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let lan = trainee_of(&app, &response.json(), 0).await;
        assert_eq!((&lan["full_name"], &lan["notes"]), (&json!("Nguyễn Thị Lan"), &Value::Null));
    }
);

db_test!(
    async fn an_excel_list_imports_with_its_date_cells_as_birth_years(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let day = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        let written = (|| -> Result<(), rust_xlsxwriter::XlsxError> {
            for (col, heading) in ["STT", "Họ và tên", "Ngày sinh", "Đơn vị công tác", "Ghi chú nội bộ"].iter().enumerate() {
                sheet.write_string(0, u16::try_from(col).unwrap_or(0), *heading)?;
            }
            sheet.write_number(1, 0, 1.0)?;
            sheet.write_string(1, 1, "Nguyễn Thị Lan")?;
            sheet.write_datetime_with_format(1, 2, &rust_xlsxwriter::ExcelDateTime::from_ymd(1986, 3, 15)?, &day)?;
            sheet.write_string(1, 3, "Sở Nội vụ")?;
            sheet.write_string(1, 4, "đã gọi")?;
            sheet.write_number(2, 0, 2.0)?;
            sheet.write_string(2, 1, "Trần Văn Nam")?;
            sheet.write_string(2, 2, "05/11/1979")?;
            Ok(())
        })();
        written.expect("the workbook is written");
        let bytes = book.save_to_buffer().expect("the workbook is saved");

        let refused = import_workbook(&app, &cohort, "", bytes.clone()).await.assert_problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["code"], "unknown_column", "{refused}");
        let response = import_workbook(&app, &cohort, "?ignore=Ghi%20ch%C3%BA%20n%E1%BB%99i%20b%E1%BB%99", bytes).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        assert_eq!((report["items"][0]["row"].clone(), report["items"][1]["row"].clone()), (json!(2), json!(3)));
        let lan = trainee_of(&app, &report, 0).await;
        assert_eq!((&lan["birth_year"], &lan["organisation"]), (&json!(1986), &json!("Sở Nội vụ")));
        assert_eq!(trainee_of(&app, &report, 1).await["birth_year"], 1979);

        let garbage = import_workbook(&app, &cohort, "", b"full_name\nA\n".to_vec()).await;
        let problem = garbage.assert_problem(422, "validation_failed");
        assert!(problem["errors"][0]["detail"].as_str().is_some_and(|d| d.contains("not an Excel workbook")), "{problem}");
    }
);

db_test!(
    async fn a_last_row_whose_quote_is_never_closed_is_refused_with_its_row(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        for csv in [
            "full_name,email\nTrần Văn B,b@x.vn\n\"Nguyen Van A,a@x.vn\n",
            "full_name,email\nTrần Văn B,b@x.vn\n\"Nguyen Van A,a@x.vn",
        ] {
            let problem = import(&app, &cohort, "", csv).await.assert_problem(422, "validation_failed");
            assert_eq!(problem["errors"][0]["pointer"], "#/rows/3", "{problem}");
            assert_eq!(problem["errors"][0]["code"], "unterminated_quote", "{problem}");
            let detail = problem["errors"][0]["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("row 3") && detail.contains("never closed"), "{detail}");
        }
        assert_eq!(app.get("/api/v1/trainees").await.json()["total"], 0, "no trainee was made");
    }
);
