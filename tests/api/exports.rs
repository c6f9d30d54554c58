//! CSV from every list: every matching row (not one page), with a header of the JSON field
//! names, as spreadsheets read it, with nothing a spreadsheet would run, scoped as the JSON is.

use serde_json::Value;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::import::{import, spreadsheet_csv};
use crate::support::{TestResponse, urlencode};

/// The CSV of a response: its header, and each row as field name → cell.
fn rows(response: &TestResponse) -> (Vec<String>, Vec<Vec<(String, String)>>) {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
    let body = response
        .body
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&response.body);
    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV row");
            header.iter().cloned().zip(record.iter().map(str::to_owned)).collect()
        })
        .collect();
    (header, rows)
}

fn cell<'r>(row: &'r [(String, String)], name: &str) -> &'r str {
    row.iter()
        .find(|(column, _)| column == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

db_test!(
    async fn the_csv_of_a_filtered_list_holds_the_rows_of_all_its_json_pages(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        assert_eq!(import(&app, &cohort, "", &spreadsheet_csv(1_100)).await.status, 200);

        for query in ["sort=full_name", "sort=-created_at", &format!("province={}", urlencode("Hà Nội"))] {
            let (json, _) = app.every_page(&format!("/api/v1/trainees?{query}&limit=200")).await;
            let csv = app.get(&format!("/api/v1/trainees?{query}&format=csv")).await;
            let (header, csv) = rows(&csv);
            assert_eq!(&header[..3], ["id", "full_name", "gender"], "the JSON field names, in order");
            assert_eq!(csv.len(), json.len(), "{query}: every row, not one page");
            for (row, item) in csv.iter().zip(&json) {
                for field in ["id", "full_name", "organisation", "province", "birth_year", "created_at"] {
                    assert_eq!(cell(row, field), text(&item[field]), "{query}: {field} of {item}");
                }
            }
        }
        let (_, hanoi) = rows(&app.get(&format!("/api/v1/trainees?province={}&format=csv", urlencode("Hà Nội"))).await);
        assert_eq!(hanoi.len(), 275, "a quarter of the spreadsheet is from Hà Nội");
    }
);

db_test!(
    async fn accents_survive_and_a_formula_in_a_cell_is_shown_not_run(app) {
        app.trainee()
            .full_name("Nguyễn Thị Ánh Tuyết")
            .organisation("=HYPERLINK(\"http://evil.example\",\"Sở Nội vụ\")")
            .position("-1+1")
            .create()
            .await;

        let response = app
            .send(app.request(actix_web::http::Method::GET, "/api/v1/trainees?bom=true&format=csv"), None)
            .await;
        assert!(response.body.starts_with(b"\xEF\xBB\xBF"), "bom=true starts with the byte-order mark");
        let (_, found) = rows(&response);
        assert_eq!(cell(&found[0], "full_name"), "Nguyễn Thị Ánh Tuyết");
        assert_eq!(cell(&found[0], "organisation"), "'=HYPERLINK(\"http://evil.example\",\"Sở Nội vụ\")");
        assert_eq!(cell(&found[0], "position"), "'-1+1");
        assert!(response.header("content-disposition").is_some_and(|d| d.starts_with("attachment; filename=")));
    }
);

db_test!(
    async fn accept_chooses_csv_and_a_type_a_list_cannot_produce_is_refused(app) {
        app.trainee().full_name("Lê Văn Tám").create().await;
        let asking = |accept: &'static str| {
            app.request(actix_web::http::Method::GET, "/api/v1/trainees").insert_header(("accept", accept))
        };
        let (_, found) = rows(&app.send(asking("text/csv"), None).await);
        assert_eq!(found.len(), 1);
        let json = app.send(asking("application/xml;q=1, application/json;q=0.5"), None).await;
        assert_eq!(json.json()["total"], 1, "the first offered type in the client's ranking");
        app.send(asking("application/xml"), None).await.assert_problem(406, "not_acceptable");
        app.get("/api/v1/trainees?format=xlsx").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/trainees?format=pdf").await.assert_problem(400, "invalid_query");
        assert_eq!(app.get("/api/v1/trainees?bom=true").await.json()["total"], 1, "bom is for CSV only");
    }
);

db_test!(
    async fn nested_figures_get_a_column_each_and_an_empty_export_still_has_its_header(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let path = format!("/api/v1/cohorts/{}/enrollments?format=csv", cohort["id"]);
        let (header, none) = rows(&app.get(&path).await);
        assert!(none.is_empty());
        assert!(header.iter().any(|name| name == "attendance.rate"), "{header:?}");

        let trainee = app.trainee().full_name("Phạm Minh Châu").create().await;
        app.enrollment(&cohort, &trainee).create().await;
        let (_, found) = rows(&app.get(&path).await);
        assert_eq!(cell(&found[0], "trainee_name"), "Phạm Minh Châu");
        assert_eq!(cell(&found[0], "attendance.recorded"), "0");
    }
);

db_test!(
    async fn a_liaisons_export_holds_only_its_partners_rows(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let theirs = app.program().code("JICA-YL").create().await;
        let other = app.program().code("INSP-PL").create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Funder).create().await;
        app.program_partner(&other, &insp).role(PartnerRole::Host).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;

        let (_, found) = rows(&app.as_user(&liaison).get("/api/v1/programs?format=csv").await);
        let codes: Vec<&str> = found.iter().map(|row| cell(row, "code")).collect();
        assert_eq!(codes, ["JICA-YL"]);
        let (_, all) = rows(&app.get("/api/v1/programs?format=csv").await);
        assert_eq!(all.len(), 2);
    }
);
