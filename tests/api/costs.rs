//! What programmes cost: budget lines and expenses in exact amounts of any currency, converted to
//! the reporting currency at the rate of their date, the cost report against a hand-computed
//! example, the anomaly checks, and what a funder's liaison may read.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};
use tpms::costs::CostCategory;
use tpms::enrollments::EnrollmentStatus;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::builders::plan_item;
use crate::support::{TestApp, TestResponse};

/// `GET path` as the admin, asserting 200.
async fn read(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

/// Each expense's amount in the reporting currency, as read back.
async fn amounts(app: &TestApp, expenses: &[Value]) -> Vec<String> {
    let mut found = Vec::new();
    for expense in expenses {
        let read_back = read(app, &format!("/api/v1/expenses/{}", expense["id"])).await;
        found.push(read_back["reporting"]["amount"].as_str().unwrap_or_default().to_owned());
    }
    found
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

/// The first sheet of a workbook, as a spreadsheet reader sees it.
fn workbook(response: &TestResponse) -> Vec<Vec<Data>> {
    assert_eq!(response.status, 200, "{}", response.text());
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(response.body.clone())).expect("a workbook");
    let range = book
        .worksheet_range_at(0)
        .expect("a first sheet")
        .expect("a readable sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The row of a report whose group has `key` = `value`.
fn row_of<'a>(report: &'a Value, key: &str, value: &Value) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| &r["group"][key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {report}"))
}

db_test!(
    async fn every_category_and_currency_round_trips_exactly_including_amounts_beyond_two_to_the_53(app) {
        let program = app.program().create().await;
        let categories = [
            CostCategory::Airfare,
            CostCategory::PerDiem,
            CostCategory::Accommodation,
            CostCategory::TuitionAndFees,
            CostCategory::InterpretationAndTranslation,
            CostCategory::Venue,
            CostCategory::Materials,
            CostCategory::Insurance,
            CostCategory::Visa,
            CostCategory::LocalTransport,
            CostCategory::Other,
        ];
        let amounts = [
            ("9007199254740993", "VND"),
            ("1250000", "VND"),
            ("300000", "JPY"),
            ("1250.50", "USD"),
            ("0.05", "EUR"),
            ("92233720368547758.07", "USD"),
            ("1.250", "KWD"),
            ("-12.30", "USD"),
            ("0", "VND"),
            ("7", "JPY"),
            ("99.99", "EUR"),
        ];
        for (category, (amount, currency)) in categories.into_iter().zip(amounts) {
            let made = app.expense(&program).category(category).amount(amount, currency).create().await;
            assert_eq!((made["amount"].as_str(), made["currency"].as_str()), (Some(amount), Some(currency)));
            assert_eq!(made["category"], category.as_str());
            let read_back = read(&app, &format!("/api/v1/expenses/{}", made["id"])).await;
            assert_eq!(read_back["amount"], amount, "the stored amount is the one sent, to the last digit");
        }
        let line = app.budget_line(&program).amount("9007199254740993", "VND").create().await;
        assert_eq!(line["amount"], "9007199254740993");
        assert_eq!(line["reporting"]["amount"], "9007199254740993", "VND is the reporting currency: as it is");

        // The CSV export carries the same strings, never a float.
        let csv = csv_rows(&app.get(&format!("/api/v1/programs/{}/expenses?format=csv&limit=100", program["id"])).await);
        let amount_column = csv[0].iter().position(|c| c == "amount").expect("an amount column");
        let exported: Vec<&str> = csv[1..].iter().map(|r| r[amount_column].as_str()).collect();
        for (amount, _) in amounts {
            assert!(exported.contains(&amount), "{amount} in {exported:?}");
        }

        // Amounts that are not exact amounts of their currency are refused, naming the field.
        for (amount, currency, says) in [
            ("1250000.5", "VND", "VND has no minor unit"),
            ("12.345", "USD", "at most 2 decimals"),
            ("1,250,000", "VND", ""),
            ("92233720368547758.08", "USD", "too large"),
        ] {
            let refused = app.expense(&program).amount(amount, currency).post().await.assert_problem(422, "validation_failed");
            assert_eq!(refused["errors"][0]["pointer"], "#/amount", "{amount}: {refused}");
            assert!(refused["errors"][0]["detail"].as_str().unwrap_or_default().contains(says), "{amount}: {refused}");
        }
        let mut number = app.expense(&program).json();
        number["amount"] = json!(1250000);
        let refused = app.post(&format!("/api/v1/programs/{}/expenses", program["id"]), number).await;
        assert_eq!(refused.status, 422, "a JSON number is not an amount: {}", refused.text());
        let mut unknown = app.expense(&program).json();
        unknown["currency"] = json!("XYZ");
        let refused = app.post(&format!("/api/v1/programs/{}/expenses", program["id"]), unknown).await;
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert!(refused.text().contains("XYZ"), "{}", refused.text());
    }
);

db_test!(
    async fn a_cost_is_converted_at_the_latest_rate_on_or_before_its_date_rounded_once_half_away_from_zero(app) {
        let program = app.program().create().await;
        let cent = app.expense(&program).amount("0.01", "USD").date("2025-03-10").create().await;
        assert_eq!(cent["reporting"]["amount"], Value::Null, "no rate yet: {cent}");
        let missing = cent["reporting"]["missing_rate"].as_str().expect("a missing rate");
        assert!(missing.contains("USD to VND") && missing.contains("2025-03-10"), "{missing}");

        // A rate recorded later converts what it applies to, in the same request.
        let rate = app.exchange_rate("USD", "VND", "2025-03-01", "25450.5").await;
        let cent = read(&app, &format!("/api/v1/expenses/{}", cent["id"])).await;
        // 0.01 × 25450.5 = 254.505 đồng → 255 (half away from zero, once).
        assert_eq!((&cent["reporting"]["amount"], &cent["reporting"]["rate_id"]), (&json!("255"), &rate["id"]));
        let refund = app.expense(&program).amount("-0.01", "USD").date("2025-03-10").create().await;
        assert_eq!(refund["reporting"]["amount"], "-255", "a refund rounds away from zero too");
        // Before the rate's day, none applies.
        let earlier = app.expense(&program).amount("1.00", "USD").date("2025-02-28").create().await;
        assert_eq!(earlier["reporting"]["amount"], Value::Null);
        // A later rate takes over from its day on; an expense on the day before keeps the earlier one.
        app.exchange_rate("USD", "VND", "2025-03-10", "25000").await;
        assert_eq!(read(&app, &format!("/api/v1/expenses/{}", cent["id"])).await["reporting"]["amount"], "250");
        let day_before = app.expense(&program).amount("1.00", "USD").date("2025-03-09").create().await;
        assert_eq!(day_before["reporting"]["amount"], "25451", "1 × 25450.5 → 25451");

        // A large yen amount above 2^53 đồng converts exactly.
        app.exchange_rate("JPY", "VND", "2025-01-01", "168.5").await;
        let big = app.expense(&program).amount("53460000000000", "JPY").date("2025-03-10").create().await;
        assert_eq!(big["reporting"]["amount"], "9008010000000000", "53,460,000,000,000 × 168.5");

        // Changing a rate converts its costs again; deleting it falls back to the one before.
        let later = app.get("/api/v1/exchange-rates?base_currency=USD&date_from=2025-03-10").await.json();
        let later_id = &later["items"][0]["id"];
        let changed = app.patch(&format!("/api/v1/exchange-rates/{later_id}"), json!({"rate": "26000"})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(read(&app, &format!("/api/v1/expenses/{}", cent["id"])).await["reporting"]["amount"], "260");
        assert_eq!(app.delete(&format!("/api/v1/exchange-rates/{later_id}")).await.status, 204);
        assert_eq!(read(&app, &format!("/api/v1/expenses/{}", cent["id"])).await["reporting"]["amount"], "255");

        // One rate per pair and day; a rate of a currency to itself is meaningless.
        let twice = app
            .post("/api/v1/exchange-rates", json!({"base_currency": "USD", "quote_currency": "VND", "date": "2025-03-01", "rate": "1", "source": "x"}))
            .await;
        twice.assert_problem(409, "duplicate");
        let same = app
            .post("/api/v1/exchange-rates", json!({"base_currency": "VND", "quote_currency": "VND", "date": "2025-03-01", "rate": "1", "source": "x"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(same["errors"][0]["pointer"], "#/quote_currency");
    }
);

db_test!(
    async fn a_rate_moved_to_another_day_converts_again_the_costs_of_both_days_and_no_later_ones(app) {
        let program = app.program().create().await;
        app.exchange_rate("USD", "VND", "2025-01-01", "25000").await;
        let february = app.exchange_rate("USD", "VND", "2025-02-01", "26000").await;
        app.exchange_rate("USD", "VND", "2025-03-01", "27000").await;
        let mut expenses = Vec::new();
        for date in ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15"] {
            expenses.push(app.expense(&program).amount("1.00", "USD").date(date).create().await);
        }
        assert_eq!(amounts(&app, &expenses).await, ["25000", "26000", "27000", "27000"]);

        // February's rate moved to April: mid-February falls back to January's, mid-April takes it.
        let moved = app
            .patch(&format!("/api/v1/exchange-rates/{}", february["id"]), json!({"date": "2025-04-01", "rate": "30000"}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        assert_eq!(amounts(&app, &expenses).await, ["25000", "25000", "27000", "30000"]);
        let report = app.get(&format!("/api/v1/reports/costs?program_id={}", program["id"])).await.json();
        assert_eq!(report["totals"]["spent"], "107000", "the totals moved with them: {report}");

        // Deleted, its costs fall back to March's.
        assert_eq!(app.delete(&format!("/api/v1/exchange-rates/{}", february["id"])).await.status, 204);
        assert_eq!(amounts(&app, &expenses).await, ["25000", "25000", "27000", "27000"]);
        let report = app.get(&format!("/api/v1/reports/costs?program_id={}", program["id"])).await.json();
        assert_eq!(report["totals"]["spent"], "104000", "{report}");
    }
);

/// A programme funded by JICA with two cohorts: C1 with two seated trainees (one completed) and
/// C2 with one; its rates, budget lines and expenses as the hand-computed report below expects.
struct Funded {
    program: Value,
    jica: Value,
    c1: Value,
    c2: Value,
}

async fn funded_programme(app: &TestApp) -> Funded {
    let program = app.program().code("JICA-YL-COST").create().await;
    let jica = app.partner().code("JICA-COST").create().await;
    app.program_partner(&program, &jica)
        .role(PartnerRole::Funder)
        .create()
        .await;
    let c1 = app.cohort(&program).code("C1").create().await;
    let c2 = app.cohort(&program).code("C2").create().await;
    app.enrollment(&c1, &app.trainee().create().await).create().await;
    app.enrollment(&c1, &app.trainee().create().await)
        .status(EnrollmentStatus::Completed)
        .create()
        .await;
    app.enrollment(&c2, &app.trainee().create().await).create().await;
    app.exchange_rate("USD", "VND", "2025-03-01", "25450.5").await;
    app.exchange_rate("JPY", "VND", "2025-03-01", "168.5").await;
    app.budget_line(&program)
        .cohort(&c1)
        .category(CostCategory::Airfare)
        .payer(&jica)
        .amount("100000000", "VND")
        .create()
        .await;
    app.budget_line(&program)
        .category(CostCategory::Venue)
        .amount("20000000", "VND")
        .create()
        .await;
    // 1,000.00 USD × 25,450.5 = 25,450,500 đồng, paid by JICA.
    app.expense(&program)
        .cohort(&c1)
        .category(CostCategory::Airfare)
        .payer(&jica)
        .amount("1000.00", "USD")
        .date("2025-03-10")
        .paid()
        .create()
        .await;
    // 30,000 yen × 168.5 = 5,055,000 đồng, committed.
    app.expense(&program)
        .cohort(&c1)
        .category(CostCategory::PerDiem)
        .payer(&jica)
        .amount("30000", "JPY")
        .date("2025-03-12")
        .create()
        .await;
    // The hall, programme-wide, from the department's own budget.
    app.expense(&program)
        .category(CostCategory::Venue)
        .amount("24000000", "VND")
        .date("2025-04-02")
        .paid()
        .create()
        .await;
    Funded { program, jica, c1, c2 }
}

db_test!(
    async fn the_cost_report_matches_a_hand_computed_example_in_json_csv_and_a_workbook(app) {
        let Funded { program, c1, .. } = funded_programme(&app).await;
        let path = format!("/api/v1/reports/costs?program_id={}", program["id"]);
        let report = read(&app, &path).await;
        assert_eq!((&report["currency"], &report["filters"]["group_by"]), (&json!("VND"), &json!(["program"])));
        let whole = &report["rows"][0];
        assert_eq!(whole["group"], json!({"program": "JICA-YL-COST"}));
        assert_eq!(
            (&whole["planned"], &whole["committed"], &whole["paid"], &whole["spent"], &whole["variance"]),
            (&json!("120000000"), &json!("5055000"), &json!("49450500"), &json!("54505500"), &json!("-65494500"))
        );
        assert_eq!(whole["efficiency"], "efficient");
        assert_eq!(whole["spent_share_of_planned"], "0.4542", "54,505,500 / 120,000,000 = 0.454212 5, to four decimals");
        // Three seated (C1's two and C2's one: the hall is programme-wide), one completed.
        assert_eq!((&whole["seated_trainees"], &whole["completed_trainees"]), (&json!(3), &json!(1)));
        assert_eq!(whole["cost_per_seated_trainee"], "18168500", "54,505,500 / 3");
        assert_eq!(whole["cost_per_completed_trainee"], "54505500");
        assert_eq!(whole["cost_per_item_achieved"], Value::Null, "no plan item achieved yet");
        assert_eq!(report["totals"]["spent"], "54505500");

        let by_cohort = read(&app, &format!("{path}&group_by=cohort")).await;
        let first = row_of(&by_cohort, "cohort", &json!("C1"));
        assert_eq!((&first["planned"], &first["spent"]), (&json!("100000000"), &json!("30505500")));
        assert_eq!((&first["seated_trainees"], &first["cost_per_seated_trainee"]), (&json!(2), &json!("15252750")));
        assert_eq!(first["spent_share_of_planned"], "0.3051", "0.305 055 rounds half away from zero");
        let wide = row_of(&by_cohort, "cohort", &Value::Null);
        assert_eq!((&wide["planned"], &wide["spent"]), (&json!("20000000"), &json!("24000000")));
        assert_eq!(wide["efficiency"], "moderately_efficient", "120 % of plan");
        assert_eq!(wide["spent_share_of_planned"], "1.2000");
        assert_eq!(wide["cost_per_seated_trainee"], "8000000", "24,000,000 over all three seated");

        let by_payer_year = read(&app, &format!("{path}&group_by=payer,category")).await;
        let jica_air = &by_payer_year["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["group"] == json!({"payer": "JICA-COST", "category": "airfare"}))
            .expect("JICA's airfare")
            .clone();
        assert_eq!((&jica_air["planned"], &jica_air["paid"]), (&json!("100000000"), &json!("25450500")));
        let department = read(&app, &format!("{path}&group_by=payer")).await;
        assert_eq!(row_of(&department, "payer", &json!("department"))["spent"], "24000000");
        let by_year = read(&app, &format!("{path}&group_by=year")).await;
        assert_eq!(row_of(&by_year, "year", &json!(2025))["spent"], "54505500");

        // A cohort's record: its own costs by category.
        let cohort = read(&app, &format!("/api/v1/cohorts/{}/costs", c1["id"])).await;
        assert_eq!(cohort["totals"]["spent"], "30505500");
        assert_eq!(row_of(&cohort, "category", &json!("per_diem"))["committed"], "5055000");

        // CSV: exact decimals under headings that name the currency; the workbook: numbers.
        let csv = csv_rows(&app.get(&format!("{path}&format=csv")).await);
        let spent = csv[0].iter().position(|c| c == "spent_VND").expect("spent_VND");
        assert_eq!((csv[1][spent].as_str(), csv[2][0].as_str(), csv[2][spent].as_str()), ("54505500", "total", "54505500"));
        let share = csv[0].iter().position(|c| c == "spent_share_of_planned").expect("spent_share_of_planned");
        assert_eq!(csv[1][share], "0.4542", "an exact decimal, never a float's digits");
        let sheet = workbook(&app.get(&format!("{path}&format=xlsx")).await);
        let spent = sheet[0].iter().position(|c| *c == Data::String("spent_VND".to_owned())).expect("spent_VND");
        assert_eq!(sheet[1][spent], Data::Float(54_505_500.0), "an amount the spreadsheet can sum");
        let share = sheet[0].iter().position(|c| *c == Data::String("spent_share_of_planned".to_owned())).expect("share");
        assert_eq!(sheet[1][share], Data::Float(0.4542));

        // A missing rate is named, and its cost is counted apart, not guessed.
        app.expense(&program).amount("100.00", "EUR").date("2025-04-01").create().await;
        let report = read(&app, &path).await;
        assert_eq!(report["rows"][0]["unconverted_costs"], 1);
        assert_eq!(report["rows"][0]["spent"], "54505500", "the euro expense is not in the amounts");
        assert_eq!(report["missing_rates"][0]["currency"], "EUR");
        assert!(report["missing_rates"][0]["message"].as_str().unwrap_or_default().contains("EUR to VND"), "{report}");

        let refused = app.get("/api/v1/reports/costs?group_by=province").await.assert_problem(400, "invalid_query");
        assert!(refused["detail"].as_str().unwrap_or_default().contains("province"), "{refused}");
    }
);

db_test!(
    async fn the_cost_per_item_achieved_counts_each_item_of_an_approved_plan_reported_achieved_within_12_months_once(app) {
        let program = app.program().code("JICA-ACH").create().await;
        let cohort = app.cohort(&program).code("A1").start_date("2024-01").end_date("2024-01").create().await;
        let enrollment = app.enrollment(&cohort, &app.trainee().create().await).create().await;
        app.action_plan(&enrollment)
            .items(vec![
                plan_item("Share of procedures filed online", "2024-12-31"),
                plan_item("Officers trained", "2024-12-31"),
                plan_item("Citizens surveyed", "2024-12-31"),
            ])
            .approved()
            .await;
        let follow_ups = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        let at = |months: i64| {
            follow_ups["items"].as_array().expect("items").iter().find(|c| c["months"] == months).cloned().expect("a checkpoint")
        };
        // Item 1 achieved at 3 months and again at 6 (one item), item 2 at 12; item 3 only on track.
        for (months, progress) in [
            (3, json!([{"item": 1, "progress": "achieved"}, {"item": 2, "progress": "on_track"}, {"item": 3, "progress": "on_track"}])),
            (6, json!([{"item": 1, "progress": "achieved"}, {"item": 2, "progress": "delayed"}, {"item": 3, "progress": "on_track"}])),
            (12, json!([{"item": 1, "progress": "achieved"}, {"item": 2, "progress": "achieved"}, {"item": 3, "progress": "on_track"}])),
        ] {
            let reported = app.post(&format!("/api/v1/checkpoints/{}/report", at(months)["id"]), json!({"progress": progress})).await;
            assert_eq!(reported.status, 200, "{}", reported.text());
        }
        app.expense(&program).cohort(&cohort).amount("3000000", "VND").date("2024-02-01").paid().create().await;

        let report = read(&app, &format!("/api/v1/reports/costs?program_id={}&group_by=cohort", program["id"])).await;
        let row = row_of(&report, "cohort", &json!("A1"));
        assert_eq!(row["items_achieved_by_12_months"], 2, "{row}");
        assert_eq!(row["cost_per_item_achieved"], "1500000", "3,000,000 over two items: {row}");
    }
);

db_test!(
    async fn changing_deleting_and_paying_an_expense_moves_the_report_and_is_audited(app) {
        let Funded { program, .. } = funded_programme(&app).await;
        let path = format!("/api/v1/reports/costs?program_id={}", program["id"]);
        let hall = app.get(&format!("/api/v1/programs/{}/expenses?category=venue", program["id"])).await.json();
        let hall = &hall["items"][0];
        let committed = app
            .get(&format!("/api/v1/programs/{}/expenses?status=committed", program["id"]))
            .await
            .json();
        assert_eq!(committed["items"].as_array().map(Vec::len), Some(1), "{committed}");
        let per_diem_path = format!("/api/v1/expenses/{}", committed["items"][0]["id"]);
        let paid = app.patch(&per_diem_path, json!({"status": "paid"})).await;
        assert_eq!(paid.status, 200, "{}", paid.text());
        let report = read(&app, &path).await;
        assert_eq!((&report["rows"][0]["committed"], &report["rows"][0]["paid"]), (&json!("0"), &json!("54505500")));

        let cheaper = app.patch(&format!("/api/v1/expenses/{}", hall["id"]), json!({"amount": "20000000"})).await;
        assert_eq!(cheaper.status, 200, "{}", cheaper.text());
        assert_eq!(read(&app, &path).await["rows"][0]["spent"], "50505500");
        let needs_amount = app.patch(&format!("/api/v1/expenses/{}", hall["id"]), json!({"currency": "USD"})).await;
        needs_amount.assert_problem(422, "validation_failed");
        assert_eq!(app.delete(&format!("/api/v1/expenses/{}", hall["id"])).await.status, 204);
        assert_eq!(read(&app, &path).await["rows"][0]["spent"], "30505500");

        let trail = read(&app, &format!("/api/v1/audit-events?entity_type=expense&entity_id={}", hall["id"])).await;
        let actions: Vec<&str> = trail["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions.len(), 3, "created, changed, deleted: {trail}");
    }
);

/// A report's amounts and unconverted costs by cohort and category, added up over whatever else it
/// groups by (trainees are not: a cohort's trainees count once in each of its groups).
fn by_cohort_and_category(report: &Value) -> std::collections::BTreeMap<(String, String), [i128; 4]> {
    let mut sums = std::collections::BTreeMap::new();
    for row in report["rows"].as_array().expect("rows") {
        let key = (row["group"]["cohort"].to_string(), row["group"]["category"].to_string());
        let figures: &mut [i128; 4] = sums.entry(key).or_default();
        for (sum, field) in figures.iter_mut().zip(["planned", "committed", "paid"]) {
            *sum += row[field]
                .as_str()
                .and_then(|a| a.parse::<i128>().ok())
                .expect("an amount in đồng");
        }
        figures[3] += i128::from(row["unconverted_costs"].as_i64().expect("a count"));
    }
    sums
}

db_test!(
    async fn the_totals_by_cohort_and_category_move_with_every_change_as_the_totals_by_payer_and_year_do(app) {
        let Funded { program, c1, .. } = funded_programme(&app).await;
        // The narrow totals (no payer, no year) against the full ones, added up by hand.
        let agree = |when: &'static str| {
            let app = &app;
            let program = &program;
            async move {
                let path = format!("/api/v1/reports/costs?program_id={}&group_by=cohort,category", program["id"]);
                let narrow = read(app, &path).await;
                let full = read(app, &format!("{path},payer,year")).await;
                assert_eq!(by_cohort_and_category(&narrow), by_cohort_and_category(&full), "{when}: {narrow} {full}");
                assert_eq!(narrow["totals"], full["totals"], "{when}");
                narrow
            }
        };
        agree("as made").await;
        // A second year and a cost with no rate, in a category the cohort already has.
        app.expense(&program).cohort(&c1).category(CostCategory::PerDiem).amount("700000", "VND").date("2026-01-05").create().await;
        app.expense(&program).cohort(&c1).category(CostCategory::PerDiem).amount("5.00", "EUR").date("2026-01-06").create().await;
        let narrow = agree("a second year, a cost unconverted").await;
        assert_eq!(narrow["totals"]["unconverted_costs"], 1, "{narrow}");

        let listed = read(&app, &format!("/api/v1/programs/{}/expenses?category=per_diem&status=committed", program["id"])).await;
        for expense in listed["items"].as_array().expect("items") {
            let path = format!("/api/v1/expenses/{}", expense["id"]);
            let paid = app.patch(&path, json!({"status": "paid"})).await;
            assert_eq!(paid.status, 200, "{}", paid.text());
        }
        agree("paid").await;
        let hall = read(&app, &format!("/api/v1/programs/{}/expenses?category=venue", program["id"])).await;
        let hall = format!("/api/v1/expenses/{}", hall["items"][0]["id"]);
        assert_eq!(app.patch(&hall, json!({"cohort_id": c1["id"]})).await.status, 200, "moved to a cohort");
        agree("moved").await;
        assert_eq!(app.delete(&hall).await.status, 204);
        agree("deleted").await;
        app.exchange_rate("EUR", "VND", "2026-01-01", "27000").await;
        let narrow = agree("a rate recorded").await;
        assert_eq!(narrow["totals"]["unconverted_costs"], 0, "{narrow}");
    }
);

db_test!(
    async fn a_cost_must_belong_where_it_says(app) {
        let Funded { program, c1, .. } = funded_programme(&app).await;
        let other = app.program().create().await;
        let elsewhere = app.cohort(&other).create().await;
        let host = app.partner().create().await;
        app.program_partner(&program, &host).role(PartnerRole::Host).create().await;

        let wrong_cohort = app.expense(&program).cohort(&elsewhere).post().await.assert_problem(422, "validation_failed");
        assert_eq!(wrong_cohort["errors"][0]["pointer"], "#/cohort_id");
        let not_funder = app.expense(&program).payer(&host).post().await.assert_problem(422, "validation_failed");
        assert_eq!(not_funder["errors"][0]["pointer"], "#/payer_id");
        assert!(not_funder["errors"][0]["detail"].as_str().unwrap_or_default().contains("funder"), "{not_funder}");
        let trainee = app.trainee().create().await;
        let seated = app.enrollment(&app.cohort(&other).create().await, &trainee).create().await;
        let mismatch = app.expense(&program).cohort(&c1).enrollment(&seated).post().await.assert_problem(422, "validation_failed");
        assert_eq!(mismatch["errors"][0]["pointer"], "#/enrollment_id");
        // Given alone, an enrolment of another programme's cohort is the field at fault: the
        // client sent no cohort_id.
        let astray = app.expense(&program).enrollment(&seated).post().await.assert_problem(422, "validation_failed");
        assert_eq!(astray["errors"][0]["pointer"], "#/enrollment_id", "{astray}");
        assert_eq!(astray["errors"][0]["code"], "not_in_program", "{astray}");

        // An enrolment alone places the cost in its cohort.
        let own = app.enrollment(&c1, &app.trainee().create().await).create().await;
        let airfare = app.expense(&program).enrollment(&own).category(CostCategory::Airfare).create().await;
        assert_eq!(airfare["cohort_id"], c1["id"]);
        app.delete(&format!("/api/v1/programs/{}", program["id"])).await.assert_problem(409, "in_use");
    }
);

db_test!(
    async fn a_funders_liaison_reads_its_programmes_costs_and_a_trainees_only_where_shared(app) {
        let Funded { program, jica, c1, .. } = funded_programme(&app).await;
        let trainee = app.trainee().create().await;
        let seat = app.enrollment(&c1, &trainee).create().await;
        let airfare = app.expense(&program).enrollment(&seat).category(CostCategory::Airfare).create().await;
        let per_diem_plan = app.budget_line(&program).enrollment(&seat).category(CostCategory::PerDiem).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_jica = app.as_user(&liaison);

        let listed = as_jica.get(&format!("/api/v1/programs/{}/expenses", program["id"])).await;
        assert_eq!(listed.status, 200, "{}", listed.text());
        let listed = listed.json();
        let ids: Vec<&Value> = listed["items"].as_array().expect("items").iter().map(|e| &e["id"]).collect();
        assert_eq!(ids.len(), 3, "the three programme and cohort expenses, not the trainee's airfare: {listed}");
        as_jica.get(&format!("/api/v1/expenses/{}", airfare["id"])).await.assert_problem(404, "not_found");
        // The trainee's planned per diem is hidden the same way, in the list and by id.
        let planned = as_jica.get(&format!("/api/v1/programs/{}/budget-lines", program["id"])).await.json();
        assert!(
            planned["items"].as_array().expect("items").iter().all(|line| line["id"] != per_diem_plan["id"]),
            "the trainee's budget line is not listed: {planned}"
        );
        as_jica.get(&format!("/api/v1/budget-lines/{}", per_diem_plan["id"])).await.assert_problem(404, "not_found");
        let record = as_jica.get(&format!("/api/v1/reports/trainees/{}/record", trainee["id"])).await;
        assert_eq!(record.status, 200, "{}", record.text());
        assert_eq!(record.json()["cohorts"][0]["costs"], Value::Null, "{}", record.text());

        // Once the programme shares trainees' data with JICA, the trainee's own cost shows.
        let link = format!("/api/v1/programs/{}/partners/{}", program["id"], jica["id"]);
        assert_eq!(app.patch(&link, json!({"shares_trainee_contacts": true})).await.status, 200);
        assert_eq!(as_jica.get(&format!("/api/v1/expenses/{}", airfare["id"])).await.status, 200);
        assert_eq!(as_jica.get(&format!("/api/v1/budget-lines/{}", per_diem_plan["id"])).await.status, 200);
        let record = as_jica.get(&format!("/api/v1/reports/trainees/{}/record", trainee["id"])).await.json();
        assert_eq!(record["cohorts"][0]["costs"]["committed"], "1000000", "{record}");

        // The cost report: only the programmes JICA funds.
        let hosted = app.program().create().await;
        app.program_partner(&hosted, &jica).role(PartnerRole::Host).create().await;
        app.expense(&hosted).create().await;
        let report = as_jica.get("/api/v1/reports/costs").await.json();
        let programmes: Vec<&Value> = report["rows"].as_array().expect("rows").iter().map(|r| &r["group"]["program"]).collect();
        assert_eq!(programmes, [&json!("JICA-YL-COST")]);
        // Elsewhere: 404, as if there were nothing.
        as_jica.get(&format!("/api/v1/programs/{}/expenses", hosted["id"])).await.assert_problem(404, "not_found");
        as_jica.get(&format!("/api/v1/programs/{}/budget-lines", hosted["id"])).await.assert_problem(404, "not_found");
        let hosted_line = app.budget_line(&hosted).create().await;
        as_jica.get(&format!("/api/v1/budget-lines/{}", hosted_line["id"])).await.assert_problem(404, "not_found");
        // A report asked for by that programme, or by a cohort of it, is 404 too, not an empty
        // report that would read as "nothing spent"; so is one for a programme that is not there.
        as_jica.get(&format!("/api/v1/reports/costs?program_id={}", hosted["id"])).await.assert_problem(404, "not_found");
        let hosted_class = app.cohort(&hosted).create().await;
        as_jica.get(&format!("/api/v1/reports/costs?cohort_id={}", hosted_class["id"])).await.assert_problem(404, "not_found");
        app.get("/api/v1/reports/costs?program_id=999999999").await.assert_problem(404, "not_found");
        assert_eq!(as_jica.get(&format!("/api/v1/reports/costs?program_id={}", program["id"])).await.status, 200);
        let stranger = app.partner().create().await;
        let other_liaison = app.user(Role::Liaison, stranger["id"].as_i64()).await;
        let as_stranger = app.as_user(&other_liaison);
        as_stranger.get(&format!("/api/v1/programs/{}/expenses", program["id"])).await.assert_problem(404, "not_found");
        as_stranger.get(&format!("/api/v1/expenses/{}", airfare["id"])).await.assert_problem(404, "not_found");
        as_stranger.get(&format!("/api/v1/cohorts/{}/costs", c1["id"])).await.assert_problem(404, "not_found");
        assert_eq!(as_stranger.get("/api/v1/reports/costs").await.json()["rows"], json!([]));
        // Liaisons write nothing and see no anomalies; reporters read but do not write.
        as_jica.post(&format!("/api/v1/programs/{}/expenses", program["id"]), app.expense(&program).json()).await.assert_problem(403, "forbidden");
        as_jica.get("/api/v1/reports/costs/anomalies").await.assert_problem(403, "forbidden");
        let reporter = app.user(Role::Reporter, None).await;
        assert_eq!(app.as_user(&reporter).get(&format!("/api/v1/programs/{}/expenses", program["id"])).await.status, 200);
    }
);

db_test!(
    async fn overlapping_allowances_in_two_cohorts_and_an_expense_recorded_twice_are_listed_with_the_reason(app) {
        let Funded { program, jica, c1, c2 } = funded_programme(&app).await;
        let trainee = app.trainee().create().await;
        let in_c1 = app.enrollment(&c1, &trainee).create().await;
        let in_c2 = app.enrollment(&c2, &trainee).create().await;
        let first = app
            .expense(&program)
            .enrollment(&in_c1)
            .category(CostCategory::PerDiem)
            .covering("2025-03-10", "2025-03-15")
            .create()
            .await;
        let second = app
            .expense(&program)
            .enrollment(&in_c2)
            .category(CostCategory::Accommodation)
            .covering("2025-03-15", "2025-03-20")
            .create()
            .await;
        // Back to back is not an overlap; a budget line is a plan, never checked.
        app.expense(&program).enrollment(&in_c2).category(CostCategory::PerDiem).covering("2025-03-16", "2025-03-20").create().await;
        app.expense(&program).enrollment(&in_c1).category(CostCategory::Airfare).covering("2025-03-10", "2025-03-15").create().await;
        let invoice = app.expense(&program).payer(&jica).reference("INV-2025-0042").amount("1500000", "VND").create().await;
        let again = app.expense(&program).payer(&jica).reference("INV-2025-0042").amount("1500000", "VND").create().await;
        app.expense(&program).reference("INV-2025-0042").amount("1500000", "VND").create().await;
        app.budget_line(&program).payer(&jica).reference("INV-2025-0042").amount("1500000", "VND").create().await;

        let found = read(&app, "/api/v1/reports/costs/anomalies").await;
        let rows = found["rows"].as_array().expect("rows");
        let pairs: Vec<(&str, &Value, &Value)> = rows
            .iter()
            .map(|r| (r["reason"].as_str().unwrap_or_default(), &r["expense_id"], &r["other_expense_id"]))
            .collect();
        assert_eq!(
            pairs,
            [
                ("overlapping_allowances", &first["id"], &second["id"]),
                ("duplicate_expense", &invoice["id"], &again["id"]),
            ],
            "{found}"
        );
        assert_eq!(rows[0]["trainee_id"], trainee["id"]);
        assert!(rows[0]["detail"].as_str().unwrap_or_default().contains("2025-03-15"), "{found}");
        assert!(rows[1]["detail"].as_str().unwrap_or_default().contains("INV-2025-0042"), "{found}");
        let csv = csv_rows(&app.get("/api/v1/reports/costs/anomalies?format=csv").await);
        assert_eq!(csv[0][0], "reason");
        assert_eq!((csv[1][0].as_str(), csv[2][0].as_str()), ("overlapping_allowances", "duplicate_expense"));
    }
);

db_test!(
    async fn a_start_with_another_reporting_currency_converts_every_cost_again(app) {
        let program = app.program().create().await;
        let hall = app.expense(&program).amount("25450500", "VND").date("2025-03-10").create().await;
        app.exchange_rate("VND", "USD", "2025-01-01", "0.0000393").await;
        let to = |code: &'static str| {
            let pool = app.pool.clone();
            actix_web::web::block(move || {
                let mut conn = pool.get().expect("a connection");
                let currency = tpms::money::Currency::parse(code).expect("a currency");
                tpms::costs::conversion::use_reporting_currency(&mut conn, currency).expect("converted")
            })
        };
        assert_eq!(to("USD").await.expect("the blocking pool runs"), 1, "the one cost converted again");
        let read_back = read(&app, &format!("/api/v1/expenses/{}", hall["id"])).await;
        // 25,450,500 × 0.0000393 = 1000.204650 dollars → 1000.20.
        assert_eq!(read_back["reporting"], json!({"currency": "USD", "amount": "1000.20", "rate_id": read_back["reporting"]["rate_id"], "missing_rate": null}));
        let report = read(&app, &format!("/api/v1/reports/costs?program_id={}", program["id"])).await;
        assert_eq!((&report["currency"], &report["rows"][0]["spent"]), (&json!("USD"), &json!("1000.20")));
        assert_eq!(to("USD").await.expect("the blocking pool runs"), 0, "the same currency again: nothing to do");
        assert_eq!(to("VND").await.expect("the blocking pool runs"), 1);
        assert_eq!(read(&app, &format!("/api/v1/reports/costs?program_id={}", program["id"])).await["rows"][0]["spent"], "25450500");
    }
);

db_test!(
    async fn a_report_adds_up_past_64_bits_on_the_way_exactly_and_refuses_a_sum_that_ends_past_them(app) {
        let program = app.program().create().await;
        let report = format!("/api/v1/reports/costs?program_id={}", program["id"]);
        // Three rows of kept totals, read in category order: the first two pass 2^63 together
        // before the third brings the sum back (SQLite's SUM stops there; the report adds again in
        // two parts).
        for (category, amount) in [
            (CostCategory::Airfare, "5000000000000000000"),
            (CostCategory::Venue, "5000000000000000000"),
            (CostCategory::Visa, "-5000000000000000000"),
        ] {
            app.expense(&program).category(category).amount(amount, "VND").create().await;
        }
        let summed = read(&app, &report).await;
        assert_eq!(summed["rows"][0]["spent"], "5000000000000000000", "{summed}");
        assert_eq!(summed["totals"]["committed"], "5000000000000000000", "{summed}");
        let by_category = read(&app, &format!("{report}&group_by=category")).await;
        assert_eq!(row_of(&by_category, "category", &json!("venue"))["spent"], "5000000000000000000");
        assert_eq!(row_of(&by_category, "category", &json!("visa"))["spent"], "-5000000000000000000");

        // A fourth: the programme's costs now end past 64 bits, which no line may saturate to hide.
        app.expense(&program)
            .category(CostCategory::Other)
            .amount("5000000000000000000", "VND")
            .create()
            .await;
        let refused = app.get(&report).await.assert_problem(409, "amounts_too_large");
        assert!(refused["detail"].as_str().unwrap_or_default().contains("narrow the report"), "{refused}");
    }
);

db_test!(
    async fn a_cost_report_longer_than_the_configured_limit_is_refused_naming_how_to_narrow_it(app) {
        let backend = app.backend;
        drop(app);
        let app = TestApp::spawn_with(backend, |config| config.costs.report_max_lines = 2)
            .await
            .expect("it answered a moment ago");
        let Funded { program, c1, .. } = funded_programme(&app).await;
        let by_category = read(&app, &format!("/api/v1/reports/costs?group_by=cohort,category&cohort_id={}", c1["id"])).await;
        let lines = by_category["rows"].as_array().expect("rows").len();
        assert_eq!(lines, 2, "a report within the limit (C1's airfare and per diem) is answered: {by_category}");

        for format in ["json", "csv", "xlsx"] {
            let path = format!("/api/v1/reports/costs?group_by=cohort,payer,category,year&program_id={}&format={format}", program["id"]);
            let refused = app.get(&path).await.assert_problem(422, "too_many_lines");
            let detail = refused["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("3 lines, past the 2 one report gives"), "{refused}");
            assert!(detail.contains("program_id") && detail.contains("year_from"), "names the filters that narrow it: {refused}");
        }
    }
);
