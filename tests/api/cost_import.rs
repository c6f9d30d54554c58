//! The import of expenses from a finance office's spreadsheet: Vietnamese headings and labels,
//! amounts as the locale writes them, every mistake in one answer, dry runs and workbooks.

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::programs::partners::PartnerRole;

use crate::db_test;
use crate::support::{TestApp, TestResponse};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Send `body` as `content_type` to programme `program`'s import, with `query`.
async fn import_as(app: &TestApp, program: &Value, query: &str, content_type: &str, body: Vec<u8>) -> TestResponse {
    let path = format!("/api/v1/programs/{}/expenses/import{query}", program["id"]);
    app.send_raw(app.request(Method::POST, &path), content_type, body).await
}

async fn import(app: &TestApp, program: &Value, query: &str, csv: &str) -> TestResponse {
    import_as(app, program, query, "text/csv; charset=utf-8", csv.as_bytes().to_vec()).await
}

/// The programme's expenses, as listed.
async fn expenses_of(app: &TestApp, program: &Value) -> Value {
    app.get(&format!("/api/v1/programs/{}/expenses?sort=created_at", program["id"]))
        .await
        .json()
}

fn pointers(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect()
}

fn detail_at<'a>(problem: &'a Value, pointer: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["pointer"] == pointer)
        .and_then(|e| e["detail"].as_str())
        .unwrap_or_else(|| panic!("no error at {pointer}: {problem}"))
}

/// A programme with a cohort `YL-2025`, a funder `JICA`, and a trainee enrolled in the cohort.
struct Setting {
    program: Value,
    cohort: Value,
    funder: Value,
    enrollment: Value,
}

async fn setting(app: &TestApp) -> Setting {
    let program = app.program().create().await;
    let cohort = app.cohort(&program).code("YL-2025").create().await;
    let funder = app.partner().code("JICA").create().await;
    app.program_partner(&program, &funder)
        .role(PartnerRole::Funder)
        .create()
        .await;
    let trainee = app.trainee().email("lan@example.gov.vn").create().await;
    let enrollment = app.enrollment(&cohort, &trainee).create().await;
    Setting {
        program,
        cohort,
        funder,
        enrollment,
    }
}

/// A finance office's sheet, with Vietnamese headings and labels, amounts written as each locale
/// writes them, and dates day first.
const VIETNAMESE_SHEET: &str = "STT,Lớp,Email học viên,Khoản mục,Nguồn kinh phí,Trạng thái,Số tiền,Loại tiền,Ngày,Từ ngày,Đến ngày,Số chứng từ,Ghi chú\r\n\
    1,YL-2025,LAN@example.gov.vn,Vé máy bay,JICA,Đã chi,1.250.000,VND,01/03/2025,,,VN-123,Hà Nội – Tokyo\r\n\
    2,yl-2025,,Học phí,Ngân sách đơn vị,đã cam kết,\"1,250,000.00\",USD,2025-03-02,,,INV-9,\r\n\
    3,,lan@example.gov.vn,Công tác phí,,,31.812.500,VNĐ,05/03/2025,01/03/2025,05/03/2025,,\r\n";

db_test!(
    async fn a_vietnamese_sheet_creates_its_expenses_with_exact_amounts(app) {
        let Setting { program, cohort, funder, enrollment } = setting(&app).await;
        app.exchange_rate("USD", "VND", "2025-01-01", "25450").await;

        let response = import(&app, &program, "", VIETNAMESE_SHEET).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        assert_eq!(
            (&report["dry_run"], &report["rows"], &report["created"], &report["paid"], &report["committed"]),
            (&json!(false), &json!(3), &json!(3), &json!(1), &json!(2)),
            "{report}"
        );
        assert_eq!(
            report["totals"],
            json!([
                {"currency": "USD", "expenses": 1, "amount": "1250000.00"},
                {"currency": "VND", "expenses": 2, "amount": "33062500"},
            ])
        );
        let items = report["items"].as_array().expect("items");
        assert_eq!(items.iter().map(|i| i["row"].clone()).collect::<Vec<_>>(), [json!(2), json!(3), json!(4)]);

        let airfare = app.get(&format!("/api/v1/expenses/{}", items[0]["expense_id"])).await.json();
        assert_eq!(
            (&airfare["category"], &airfare["amount"], &airfare["currency"], &airfare["status"]),
            (&json!("airfare"), &json!("1250000"), &json!("VND"), &json!("paid"))
        );
        assert_eq!((&airfare["payer_id"], &airfare["cohort_id"]), (&funder["id"], &cohort["id"]));
        assert_eq!(airfare["enrollment_id"], enrollment["id"], "the trainee is found by email, in any case");
        assert_eq!((&airfare["date"], &airfare["reference"]), (&json!("2025-03-01"), &json!("VN-123")));
        assert_eq!(airfare["note"], "Hà Nội – Tokyo");

        let tuition = app.get(&format!("/api/v1/expenses/{}", items[1]["expense_id"])).await.json();
        assert_eq!(
            (&tuition["category"], &tuition["amount"], &tuition["currency"], &tuition["status"]),
            (&json!("tuition_and_fees"), &json!("1250000.00"), &json!("USD"), &json!("committed"))
        );
        assert_eq!((&tuition["payer_id"], &tuition["cohort_id"]), (&Value::Null, &cohort["id"]), "the department pays");
        assert_eq!(tuition["reporting"]["amount"], "31812500000", "converted at the rate of its date, exactly");

        let per_diem = app.get(&format!("/api/v1/expenses/{}", items[2]["expense_id"])).await.json();
        assert_eq!((&per_diem["category"], &per_diem["amount"]), (&json!("per_diem"), &json!("31812500")));
        assert_eq!(per_diem["cohort_id"], cohort["id"], "the cohort of the trainee's only enrolment in the programme");
        assert_eq!((&per_diem["period_from"], &per_diem["period_to"]), (&json!("2025-03-01"), &json!("2025-03-05")));

        let audit = app.get(&format!("/api/v1/audit-events?entity_type=expense&entity_id={}", items[0]["expense_id"])).await.json();
        assert_eq!(audit["total"], 1, "each created expense is audited: {audit}");
        assert_eq!(audit["items"][0]["action"], "create");
    }
);

db_test!(
    async fn every_mistake_of_a_sheet_is_named_by_row_and_column_and_nothing_is_written(app) {
        let Setting { program, .. } = setting(&app).await;
        let host = app.partner().code("HOST").create().await;
        app.program_partner(&program, &host).role(PartnerRole::Host).create().await;
        let csv = "Khoản mục,Số tiền,Loại tiền,Ngày,Lớp,Nguồn kinh phí\r\n\
                   Vé máy bay,1.250.000,VND,01/03/2025,YL-2025,JICA\r\n\
                   Ăn trưa,100.000,VND,01/03/2025,,\r\n\
                   Học phí,\"1.250.000,505\",USD,01/03/2025,,\r\n\
                   Khác,100,VND,01/03/2025,YL-2099,\r\n\
                   Khác,100,VND,01/03/2025,,HOST\r\n\
                   Khác,100,VND,31/02/2025,,\r\n\
                   Khác,\"100,5\",VND,2025-03-01,,NOBODY\r\n";
        let problem = import(&app, &program, "", csv).await.assert_problem(422, "validation_failed");
        assert_eq!(
            pointers(&problem),
            [
                "#/rows/3/category",
                "#/rows/4/amount",
                "#/rows/5/cohort",
                "#/rows/6/payer",
                "#/rows/7/date",
                "#/rows/8/amount",
                "#/rows/8/payer",
            ],
            "{problem}"
        );
        assert!(detail_at(&problem, "#/rows/3/category").contains("công tác phí"), "names the labels");
        assert!(detail_at(&problem, "#/rows/4/amount").contains("at most 2 decimals"), "{problem}");
        let cohort = detail_at(&problem, "#/rows/5/cohort");
        assert!(cohort.contains("`YL-2099`") && cohort.contains("YL-2025"), "names the cohorts it has: {cohort}");
        let payer = detail_at(&problem, "#/rows/6/payer");
        assert!(payer.contains("not a funder") && payer.contains("funder") && payer.contains("JICA"), "{payer}");
        assert!(detail_at(&problem, "#/rows/7/date").contains("dd/mm/yyyy"), "{problem}");
        assert!(detail_at(&problem, "#/rows/8/amount").contains("VND has no minor unit"), "{problem}");
        assert!(detail_at(&problem, "#/rows/8/payer").contains("no partner has the code `NOBODY`"), "{problem}");

        assert_eq!(expenses_of(&app, &program).await["total"], 0, "nothing is written");
        let audit = app.get("/api/v1/audit-events?entity_type=expense").await.json();
        assert_eq!(audit["total"], 0);
    }
);

db_test!(
    async fn a_trainee_is_named_by_email_or_enrolment_and_mistakes_about_them_are_named(app) {
        let Setting { program, cohort, enrollment, .. } = setting(&app).await;
        let second = app.cohort(&program).code("YL-2026").create().await;
        let twice = app.trainee().email("hai@example.gov.vn").create().await;
        app.enrollment(&cohort, &twice).create().await;
        let later = app.enrollment(&second, &twice).create().await;
        let csv = format!(
            "category,amount,currency,date,cohort,trainee_email,enrollment_id\n\
             visa,1000000,VND,2025-03-01,,hai@example.gov.vn,\n\
             visa,1000000,VND,2025-03-01,YL-2026,nobody@example.gov.vn,\n\
             visa,1000000,VND,2025-03-01,YL-2026,lan@example.gov.vn,\n\
             visa,1000000,VND,2025-03-01,YL-2026,,{}\n\
             visa,1000000,VND,2025-03-01,,hai@example.gov.vn,{}\n",
            enrollment["id"], enrollment["id"]
        );
        let problem = import(&app, &program, "", &csv).await.assert_problem(422, "validation_failed");
        assert_eq!(
            pointers(&problem),
            [
                "#/rows/2/trainee_email",
                "#/rows/3/trainee_email",
                "#/rows/4/trainee_email",
                "#/rows/5/enrollment_id",
                "#/rows/6/enrollment_id",
            ],
            "{problem}"
        );
        assert!(detail_at(&problem, "#/rows/2/trainee_email").contains("YL-2025, YL-2026"), "{problem}");
        assert!(detail_at(&problem, "#/rows/4/trainee_email").contains("not enrolled in cohort `YL-2026`"), "{problem}");
        assert!(detail_at(&problem, "#/rows/6/enrollment_id").contains("another trainee's"), "{problem}");

        let csv = format!(
            "category,amount,currency,date,cohort,trainee_email,enrollment_id\n\
             visa,1000000,VND,2025-03-01,YL-2026,hai@example.gov.vn,\n\
             visa,1000000,VND,2025-03-01,,,{}\n",
            enrollment["id"]
        );
        let response = import(&app, &program, "", &csv).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        assert_eq!((&report["items"][0]["enrollment_id"], &report["items"][0]["cohort_id"]), (&later["id"], &second["id"]));
        assert_eq!((&report["items"][1]["enrollment_id"], &report["items"][1]["cohort_id"]), (&enrollment["id"], &cohort["id"]));
    }
);

db_test!(
    async fn a_dry_run_writes_nothing_and_a_retried_import_records_nothing_twice(app) {
        let Setting { program, cohort, funder, .. } = setting(&app).await;
        let response = import(&app, &program, "?dry_run=true", VIETNAMESE_SHEET).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let dry = response.json();
        assert_eq!((&dry["dry_run"], &dry["created"]), (&json!(true), &json!(3)), "{dry}");
        let first = &dry["items"][0];
        assert_eq!((&first["expense_id"], &first["action"]), (&Value::Null, &json!("created")));
        assert_eq!((&first["cohort_id"], &first["payer_id"]), (&cohort["id"], &funder["id"]));
        assert_eq!((&first["amount"], &dry["items"][1]["amount"]), (&json!("1250000"), &json!("1250000.00")));
        assert_eq!(expenses_of(&app, &program).await["total"], 0, "a dry run writes nothing");
        assert_eq!(app.get("/api/v1/audit-events?entity_type=expense").await.json()["total"], 0);

        let path = format!("/api/v1/programs/{}/expenses/import", program["id"]);
        let keyed = || app.request(Method::POST, &path).insert_header(("Idempotency-Key", "finance-2025-03"));
        let done = app.send_raw(keyed(), "text/csv", VIETNAMESE_SHEET.as_bytes().to_vec()).await.json();
        assert_eq!(done["created"], 3);
        let again = app.send_raw(keyed(), "text/csv", VIETNAMESE_SHEET.as_bytes().to_vec()).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "a retry returns the first answer");
        assert_eq!(again.json()["items"][0]["expense_id"], done["items"][0]["expense_id"]);
        assert_eq!(expenses_of(&app, &program).await["total"], 3, "and records nothing twice");
    }
);

db_test!(
    async fn an_excel_sheet_imports_with_number_and_date_cells(app) {
        let Setting { program, cohort, .. } = setting(&app).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let day = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        let written = (|| -> Result<(), rust_xlsxwriter::XlsxError> {
            for (col, heading) in ["STT", "Khoản mục", "Số tiền", "Loại tiền", "Ngày", "Lớp", "Diễn giải"].iter().enumerate() {
                sheet.write_string(0, u16::try_from(col).unwrap_or(0), *heading)?;
            }
            sheet.write_number(1, 0, 1.0)?;
            sheet.write_string(1, 1, "Khách sạn")?;
            sheet.write_number(1, 2, 1_250_000.0)?;
            sheet.write_string(1, 3, "VND")?;
            sheet.write_datetime_with_format(1, 4, &rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 1)?, &day)?;
            sheet.write_string(1, 5, "YL-2025")?;
            sheet.write_string(1, 6, "3 đêm")?;
            sheet.write_number(2, 0, 2.0)?;
            sheet.write_string(2, 1, "Phiên dịch")?;
            sheet.write_string(2, 2, "1,250,000.00")?;
            sheet.write_string(2, 3, "usd")?;
            sheet.write_string(2, 4, "02/03/2025")?;
            sheet.write_number(3, 0, 3.0)?;
            sheet.write_string(3, 1, "Bảo hiểm")?;
            sheet.write_number(3, 2, 1250.5)?;
            sheet.write_string(3, 3, "USD")?;
            sheet.write_datetime_with_format(3, 4, &rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 3)?, &day)?;
            Ok(())
        })();
        written.expect("the workbook is written");
        let bytes = book.save_to_buffer().expect("the workbook is saved");

        let response = import_as(&app, &program, "", XLSX, bytes).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let report = response.json();
        let shown: Vec<(Value, Value, Value, Value, Value)> = report["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| (i["row"].clone(), i["category"].clone(), i["amount"].clone(), i["currency"].clone(), i["date"].clone()))
            .collect();
        assert_eq!(
            shown,
            [
                (json!(2), json!("accommodation"), json!("1250000"), json!("VND"), json!("2025-03-01")),
                (json!(3), json!("interpretation_and_translation"), json!("1250000.00"), json!("USD"), json!("2025-03-02")),
                (json!(4), json!("insurance"), json!("1250.50"), json!("USD"), json!("2025-03-03")),
            ]
        );
        assert_eq!(report["items"][0]["cohort_id"], cohort["id"]);
        let hotel = app.get(&format!("/api/v1/expenses/{}", report["items"][0]["expense_id"])).await.json();
        assert_eq!(hotel["note"], "3 đêm");

        let garbage = import_as(&app, &program, "", XLSX, b"category\nvisa\n".to_vec()).await;
        let problem = garbage.assert_problem(422, "validation_failed");
        assert!(problem["errors"][0]["detail"].as_str().is_some_and(|d| d.contains("not an Excel workbook")), "{problem}");
    }
);

db_test!(
    async fn a_sheet_that_is_not_an_expense_list_is_refused_plainly_and_only_staff_import(app) {
        let Setting { program, .. } = setting(&app).await;
        let problem = import(&app, &program, "", "Khoản mục,Số tiền,Màu áo\nKhác,1\n").await.assert_problem(422, "validation_failed");
        let codes: Vec<&str> = problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
        assert_eq!(codes, ["unknown_column", "missing_column"], "{problem}");
        assert!(problem["errors"][1]["detail"].as_str().is_some_and(|d| d.contains("currency, date")), "{problem}");

        let json_body = import_as(&app, &program, "", "application/json", b"{}".to_vec()).await;
        json_body.assert_problem(415, "unsupported_media_type");
        import(&app, &json!({"id": 999_999}), "", "category,amount,currency,date\nvisa,1,VND,2025-03-01\n")
            .await
            .assert_problem(404, "not_found");

        let reporter = app.user(tpms::users::Role::Reporter, None).await;
        let path = format!("/api/v1/programs/{}/expenses/import", program["id"]);
        let refused = app
            .send_raw(app.as_user(&reporter).request(Method::POST, &path), "text/csv", b"category\n".to_vec())
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text());
    }
);
