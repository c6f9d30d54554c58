//! Problems a person can act on: every problem of a request in one answer, in words that name
//! the field and what it accepts, and on a trainee's personal link in Vietnamese (or English
//! when the browser prefers it).

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::builders::plan_item;
use crate::support::{TestApp, TestResponse, named_errors};

/// A seated trainee of a cohort that ended in January 2024; returns the enrolment.
async fn returned_trainee(app: &TestApp) -> Value {
    let program = app.program().create().await;
    let cohort = app
        .cohort(&program)
        .start_date("2024-01")
        .end_date("2024-01")
        .create()
        .await;
    let trainee = app.trainee().full_name("Vũ Thị Lan").create().await;
    app.enrollment(&cohort, &trainee).create().await
}

/// POST `body` to a link as the trainee, with `Accept-Language` when given.
async fn post_link(app: &TestApp, link: &str, language: Option<&str>, body: &Value) -> TestResponse {
    let request = app.anonymous().request(Method::POST, link);
    let request = match language {
        Some(language) => request.insert_header(("accept-language", language)),
        None => request,
    };
    app.send(request, Some(body)).await
}

/// Each field error's detail, by pointer.
fn detail_of<'a>(problem: &'a Value, pointer: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["pointer"] == pointer))
        .and_then(|e| e["detail"].as_str())
        .unwrap_or_else(|| panic!("no error at {pointer} in {problem}"))
}

db_test!(
    async fn a_plan_sent_through_its_link_with_a_bad_date_and_missing_parts_names_them_all_at_once(app) {
        let enrollment = returned_trainee(&app).await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let link = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json()["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let body = json!({"title": "Một cửa", "items": [
            plan_item("Hồ sơ nộp trực tuyến", "2025-06-30"),
            {"indicator": "Cán bộ được tập huấn", "baseline": "0", "due_on": "2025-02-30"},
        ]});

        let vietnamese = post_link(&app, &link, None, &body).await;
        assert_eq!(vietnamese.header("content-language"), Some("vi"));
        let problem = vietnamese.assert_problem(422, "validation_failed");
        let expected = [("#/items/1/due_on", "invalid_value"), ("#/items/1/target", "required"), ("#/problem", "required")];
        let expected: Vec<(String, String)> = expected.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect();
        assert_eq!(named_errors(&problem), expected, "every problem at once: {problem}");
        assert_eq!(detail_of(&problem, "#/problem"), "là bắt buộc");
        assert_eq!(
            detail_of(&problem, "#/items/1/due_on"),
            "phải là một ngày viết theo dạng YYYY-MM-DD, ví dụ 2025-06-30 (nhận được `2025-02-30`)"
        );
        assert_eq!(problem["detail"], "có 3 trường không hợp lệ; xem errors");

        let english = post_link(&app, &link, Some("en-GB,en;q=0.9,vi;q=0.5"), &body).await;
        assert_eq!(english.header("content-language"), Some("en"));
        let problem = english.assert_problem(422, "validation_failed");
        assert_eq!(named_errors(&problem), expected);
        assert_eq!(detail_of(&problem, "#/items/1/target"), "is required");
        assert_eq!(
            detail_of(&problem, "#/items/1/due_on"),
            "must be a date written YYYY-MM-DD, such as 2025-06-30 (got `2025-02-30`)"
        );

        let mut fixed = body.clone();
        fixed["problem"] = json!("Hồ sơ giấy");
        fixed["items"][1] = serde_json::to_value(plan_item("Cán bộ được tập huấn", "2025-02-28")).expect("an item");
        assert_eq!(post_link(&app, &link, None, &fixed).await.status, 204, "the link still worked");
    }
);

db_test!(
    async fn a_checkpoint_report_in_words_the_api_does_not_take_is_told_the_accepted_values(app) {
        let enrollment = returned_trainee(&app).await;
        app.action_plan(&enrollment).approved().await;
        let listed = app.get(&format!("/api/v1/follow-ups?cohort_id={}", enrollment["cohort_id"])).await.json();
        let first = &listed["items"][0];
        let link = first["link"].as_str().expect("a link").to_owned();
        let body = json!({"progress": [{"item": 1, "progress": "đúng tiến độ"}], "barriers": 5, "colour": "blue"});

        let problem = post_link(&app, &link, None, &body).await.assert_problem(422, "validation_failed");
        let named = named_errors(&problem);
        for expected in [("#/barriers", "invalid_value"), ("#/colour", "unknown_field"), ("#/progress/0/progress", "invalid_value")] {
            assert!(named.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{expected:?} in {problem}");
        }
        let progress = detail_of(&problem, "#/progress/0/progress");
        assert!(progress.starts_with("không nhận giá trị `đúng tiến độ`; hãy dùng một trong: "), "{progress}");
        assert!(progress.contains("on_track") && progress.contains("achieved"), "{progress}");
        assert_eq!(detail_of(&problem, "#/barriers"), "phải là văn bản trong dấu ngoặc kép (nhận được 5)");

        let problem = post_link(&app, &link, Some("en"), &body).await.assert_problem(422, "validation_failed");
        let progress = detail_of(&problem, "#/progress/0/progress");
        assert!(progress.starts_with("does not accept `đúng tiến độ`; use one of: "), "{progress}");
        assert!(!problem.to_string().contains("unknown variant"), "{problem}");
        assert!(detail_of(&problem, "#/colour").contains("barriers"), "it names the fields there are: {problem}");

        let report = json!({"progress": [{"item": 1, "progress": "on_track"}]});
        assert_eq!(post_link(&app, &link, None, &report).await.status, 204);
        let review = app.post(&format!("/api/v1/checkpoints/{}/review", first["id"]), json!({"finding": "disputed"})).await;
        let problem = review.assert_problem(422, "validation_failed");
        assert_eq!(problem["detail"], "note is required to say why the report is disputed");
    }
);

db_test!(
    async fn a_query_or_body_missing_a_field_says_so_in_plain_words(app) {
        let verify = app.anonymous().get("/api/v1/certificates/verify?number=JICA-2024-0001").await;
        let problem = verify.assert_problem(400, "invalid_query");
        assert_eq!(problem["detail"], "code is required", "{problem}");
        assert_eq!(named_errors(&problem), [("#/code".to_owned(), "required".to_owned())]);

        let listed = app.get("/api/v1/partners?limit=many&format=pdf").await.assert_problem(400, "invalid_query");
        assert_eq!(listed["detail"], "limit must be a whole number (got many)", "{listed}");

        let mut body = app.program().code("JICA-YL").json();
        body.as_object_mut().expect("an object").remove("code");
        let problem = app.post("/api/v1/programs", body).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["detail"], "code is required", "{problem}");
    }
);

db_test!(
    async fn a_body_of_thousands_of_bad_entries_is_answered_with_the_first_few_dozen_problems(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        // Each entry is a separate fault, which serde meets one at a time: reading past every one
        // of them would read the body again for each (minutes for a hostile client's body).
        let ids: Vec<&str> = vec!["not a number"; 3_000];
        let refused = app
            .post(
                &format!("/api/v1/cohorts/{}/enrollments/moves", cohort["id"]),
                json!({"status": "withdrawn", "enrollment_ids": ids}),
            )
            .await
            .assert_problem(422, "validation_failed");
        let named = named_errors(&refused);
        assert!(named.len() > 1, "more than the first problem is named: {refused}");
        assert!(named.len() <= 21, "a bounded number of passes names a bounded number of entries: {}", named.len());
        assert_eq!(named[0].0, "#/enrollment_ids/0", "{refused}");
    }
);
