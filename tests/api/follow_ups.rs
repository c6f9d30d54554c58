//! After return: action plans, their follow-up checkpoints, the officer's list and the figures.

use serde_json::{Value, json};
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::TestApp;
use crate::support::builders::plan_item;

/// A cohort of `program` that ended on `end` (a day, month or year), with one seated trainee;
/// returns the cohort and the enrolment.
async fn returned_class(app: &TestApp, program: &Value, end: &str) -> (Value, Value) {
    let cohort = app.cohort(program).start_date("2024-01").end_date(end).create().await;
    let trainee = app.trainee().full_name("Vũ Thị Lan").create().await;
    let enrollment = app.enrollment(&cohort, &trainee).create().await;
    (cohort, enrollment)
}

/// The checkpoints of the follow-up list for one cohort, as `(months, due_on, status)`.
async fn checkpoints_of(app: &TestApp, cohort: &Value) -> Vec<(i64, String, String)> {
    let listed = app
        .get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"]))
        .await
        .json();
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["months"].as_i64().unwrap_or(0),
                c["due_on"].as_str().unwrap_or("").to_owned(),
                c["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

db_test!(
    async fn a_plan_moves_through_its_states_and_an_illegal_move_is_409_naming_the_allowed_ones(app) {
        let program = app.program().create().await;
        let (_, enrollment) = returned_class(&app, &program, "2024-09").await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let path = format!("/api/v1/action-plans/{}", plan["id"]);
        assert_eq!(plan["status"], "draft");

        let problem = app.patch(&path, json!({"status": "submitted"})).await.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> = problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/title", "#/problem", "#/items"], "an empty plan names everything missing");
        let illegal = app.patch(&path, json!({"status": "approved"})).await.assert_problem(409, "illegal_transition");
        assert!(illegal["detail"].as_str().is_some_and(|d| d.contains("allowed from draft: submitted")), "{illegal}");

        let written = app
            .patch(&path, json!({"title": "Một cửa điện tử", "problem": "Hồ sơ giấy", "items": [plan_item("Online filings", "2025-06-30")]}))
            .await;
        assert_eq!(written.status, 200, "{}", written.text());
        assert_eq!(app.patch(&path, json!({"status": "submitted"})).await.status, 200);
        app.patch(&path, json!({"title": "Changed after submitting"})).await.assert_problem(409, "not_a_draft");
        app.patch(&path, json!({"status": "draft"})).await.assert_problem(422, "validation_failed");
        let sent_back = app.patch(&path, json!({"status": "draft", "review_comments": "Give a baseline"})).await.json();
        assert_eq!((sent_back["status"].as_str(), sent_back["link_open"].as_bool()), (Some("draft"), Some(true)), "a plan sent back gets a new link");
        for status in ["submitted", "approved", "in_progress"] {
            let moved = app.patch(&path, json!({"status": status})).await;
            assert_eq!(moved.status, 200, "{status}: {}", moved.text());
        }
        let approved = app.get(&path).await.json();
        assert_eq!(approved["approved_by"], app.admin_email.as_str());
        app.patch(&path, json!({"status": "abandoned"})).await.assert_problem(422, "validation_failed");
        let ended = app.patch(&path, json!({"status": "partially_completed", "reason": "The district merged"})).await.json();
        assert_eq!((ended["status"].as_str(), ended["reason"].as_str()), (Some("partially_completed"), Some("The district merged")));
        app.patch(&path, json!({"status": "completed"})).await.assert_problem(409, "illegal_transition");
    }
);

db_test!(
    async fn checkpoints_of_a_cohort_that_ended_in_a_month_fall_at_the_end_of_the_month_3_6_and_12_months_later(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-09").await;
        app.action_plan(&enrollment).approved().await;
        assert_eq!(
            checkpoints_of(&app, &cohort).await.iter().map(|c| (c.0, c.1.as_str())).collect::<Vec<_>>(),
            [(3, "2024-12-31"), (6, "2025-03-31"), (12, "2025-09-30")]
        );

        // A programme with its own schedule; a cohort that ended on a known day.
        let other = app.program().create().await;
        let schedule_path = format!("/api/v1/programs/{}/follow-up-schedule", other["id"]);
        assert_eq!(app.get(&schedule_path).await.json()["months"], json!([3, 6, 12]));
        let set = app.send(app.request(actix_web::http::Method::PUT, &schedule_path), Some(&json!({"months": [4, 18]}))).await;
        assert_eq!(set.status, 200, "{}", set.text());
        let (later, enrolled) = returned_class(&app, &other, "2024-11-30").await;
        app.action_plan(&enrolled).approved().await;
        assert_eq!(
            checkpoints_of(&app, &later).await.iter().map(|c| (c.0, c.1.as_str())).collect::<Vec<_>>(),
            [(4, "2025-03-30"), (18, "2026-05-30")]
        );
    }
);

db_test!(
    async fn an_overdue_checkpoint_shows_in_the_officers_list_with_its_link(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-01").await;
        app.action_plan(&enrollment).approved().await;
        let overdue = app.get(&format!("/api/v1/follow-ups?status=overdue&program_id={}", program["id"])).await.json();
        let items = overdue["items"].as_array().expect("items");
        assert_eq!(items.len(), 3, "all three fell before today: {overdue}");
        assert_eq!(items[0]["due_on"], "2024-04-30");
        assert_eq!(items[0]["trainee_name"], "Vũ Thị Lan");
        assert!(items[0]["link"].as_str().is_some_and(|l| l.starts_with("/api/v1/checkpoint-links/")));
        let due_before = app.get(&format!("/api/v1/follow-ups?cohort_id={}&due_before=2024-08-01", cohort["id"])).await.json();
        assert_eq!(due_before["items"].as_array().map(Vec::len), Some(2));
        let none_due = app.get(&format!("/api/v1/follow-ups?status=due&cohort_id={}", cohort["id"])).await.json();
        assert_eq!(none_due["items"], json!([]));
    }
);

db_test!(
    async fn a_trainee_writes_the_plan_and_reports_on_it_through_links_that_work_once(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-01").await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let link = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json()["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let trainee = app.anonymous();
        assert_eq!(trainee.get(&link).await.json()["items"], json!([]));
        trainee.post(&link, json!({"title": "Một cửa"})).await.assert_problem(422, "validation_failed");
        let content = json!({"title": "Một cửa điện tử", "problem": "Hồ sơ giấy", "items": [plan_item("Online filings", "2025-06-30"), plan_item("Staff trained", "2025-03-31")]});
        assert_eq!(trainee.post(&link, content.clone()).await.status, 204);
        trainee.post(&link, content).await.assert_problem(404, "not_found");
        let path = format!("/api/v1/action-plans/{}", plan["id"]);
        assert_eq!(app.get(&path).await.json()["status"], "submitted");
        assert_eq!(app.patch(&path, json!({"status": "approved"})).await.status, 200);

        let first = &app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json()["items"][0];
        let report_link = first["link"].as_str().expect("a link").to_owned();
        assert_eq!(trainee.get(&report_link).await.json()["items"].as_array().map(Vec::len), Some(2));
        let missing = trainee
            .post(&report_link, json!({"progress": [{"item": 1, "progress": "achieved"}, {"item": 3, "progress": "delayed"}]}))
            .await
            .assert_problem(422, "validation_failed");
        let named: Vec<(&str, &str)> =
            missing["errors"].as_array().expect("errors").iter().map(|e| (e["pointer"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or(""))).collect();
        assert_eq!(named, [("#/progress/1/item", "not_in_plan"), ("#/progress", "missing_item")]);
        let report = json!({"progress": [
            {"item": 1, "progress": "achieved", "evidence": "Cổng dịch vụ công", "links": ["https://dichvucong.gov.vn/"]},
            {"item": 2, "progress": "on_track"}
        ], "barriers": "Thiếu máy quét"});
        assert_eq!(trainee.post(&report_link, report.clone()).await.status, 204);
        trainee.post(&report_link, report).await.assert_problem(404, "not_found");

        let checkpoint = app.get(&format!("/api/v1/checkpoints/{}", first["id"])).await.json();
        assert_eq!((checkpoint["status"].as_str(), checkpoint["progress"][0]["progress"].as_str()), (Some("submitted"), Some("achieved")));
        assert_eq!(app.get(&path).await.json()["status"], "in_progress", "the first report puts the plan under way");
        app.post(&format!("/api/v1/checkpoints/{}/review", first["id"]), json!({"finding": "disputed"})).await.assert_problem(422, "validation_failed");
        let verified = app.post(&format!("/api/v1/checkpoints/{}/review", first["id"]), json!({"finding": "verified", "note": "Seen at the Long Biên visit"})).await;
        assert_eq!(verified.status, 200, "{}", verified.text());

        let summary = app.get(&format!("/api/v1/cohorts/{}/follow-up-summary", cohort["id"])).await.json();
        assert_eq!(summary["plans"], json!({"in_progress": 1}));
        assert_eq!(summary["checkpoints"], json!({"overdue": 2, "verified": 1}));
        assert_eq!(summary["items"], json!({"achieved": 1, "on_track": 1}));
        assert_eq!(summary["plans_approved_share"], 1.0);
        assert_eq!(summary["items_achieved_by_6_months"], 0.5);
        assert!(summary["median_days_to_first_achievement"].as_f64().is_some_and(|d| d > 0.0), "{summary}");
        let by_program = app.get(&format!("/api/v1/programs/{}/follow-up-summary", program["id"])).await.json();
        assert_eq!(by_program["items"], summary["items"]);
    }
);

db_test!(
    async fn a_liaison_approves_the_plans_of_its_partners_trainees_only(app) {
        let jica = app.partner().code("JICA").create().await;
        let theirs = app.program().create().await;
        let other = app.program().create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Lecturer).create().await;
        let (_, seated) = returned_class(&app, &theirs, "2024-09").await;
        let (_, elsewhere) = returned_class(&app, &other, "2024-09").await;
        let plan = app.action_plan(&seated).create().await;
        let other_plan = app.action_plan(&elsewhere).create().await;
        for p in [&plan, &other_plan] {
            assert_eq!(app.patch(&format!("/api/v1/action-plans/{}", p["id"]), json!({"status": "submitted"})).await.status, 200);
        }
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        as_liaison
            .patch(&format!("/api/v1/action-plans/{}", plan["id"]), json!({"title": "Rewritten"}))
            .await
            .assert_problem(403, "forbidden");
        let approved = as_liaison.patch(&format!("/api/v1/action-plans/{}", plan["id"]), json!({"status": "approved"})).await;
        assert_eq!(approved.status, 200, "{}", approved.text());
        assert_eq!(approved.json()["approved_by"], liaison.email.as_str());
        as_liaison
            .patch(&format!("/api/v1/action-plans/{}", other_plan["id"]), json!({"status": "approved"}))
            .await
            .assert_problem(404, "not_found");
        as_liaison.get(&format!("/api/v1/action-plans/{}", other_plan["id"])).await.assert_problem(404, "not_found");
        let listed = as_liaison.get("/api/v1/follow-ups").await;
        assert_eq!(listed.status, 200, "the liaison who approves the plans follows them up: {}", listed.text());
        let listed = listed.json();
        let items = listed["items"].as_array().expect("items");
        assert_eq!(items.len(), 3, "its partner's approved plan's checkpoints only: {listed}");
        assert!(items.iter().all(|c| c["plan_id"] == plan["id"] && c.get("link").is_none()), "no other partner's, and no trainee's link: {listed}");
        let other_cohort = app.get(&format!("/api/v1/action-plans/{}", other_plan["id"])).await.json()["cohort_id"].clone();
        assert_eq!(as_liaison.get(&format!("/api/v1/follow-ups?cohort_id={other_cohort}")).await.json()["items"], json!([]));
        app.as_user(&app.user(Role::Reporter, None).await).get("/api/v1/follow-ups").await.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn an_officer_records_a_report_given_at_a_follow_up_seminar(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-01").await;
        app.action_plan(&enrollment).approved().await;
        let seminar_cohort = app.cohort(&program).create().await;
        let seminar = app.session(&seminar_cohort).title("Evaluation seminar").date("2024-09-16").create().await;
        let first = &app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json()["items"][0];
        let recorded = app
            .post(
                &format!("/api/v1/checkpoints/{}/report", first["id"]),
                json!({"progress": [{"item": 1, "progress": "delayed"}], "session_id": seminar["id"]}),
            )
            .await;
        assert_eq!(recorded.status, 200, "{}", recorded.text());
        let recorded = recorded.json();
        assert_eq!((recorded["status"].as_str(), &recorded["session_id"]), (Some("submitted"), &seminar["id"]));
        assert!(recorded.get("link").is_none(), "a reported checkpoint has no link to send");
        app.post(&format!("/api/v1/checkpoints/{}/report", first["id"]), json!({"progress": [{"item": 1, "progress": "achieved"}]}))
            .await
            .assert_problem(409, "already_reported");
        app.post(&format!("/api/v1/checkpoints/{}/report", first["id"]), json!({"progress": [], "extra": 1}))
            .await
            .assert_problem(422, "validation_failed");

        let kept = app.delete(&format!("/api/v1/sessions/{}", seminar["id"])).await.assert_problem(409, "in_use");
        assert!(kept["detail"].as_str().unwrap_or_default().contains("report"), "{kept}");
    }
);

db_test!(
    async fn a_liaison_who_writes_a_draft_plan_or_moves_it_past_approval_is_forbidden_not_told_it_is_no_draft(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        let (_, seated) = returned_class(&app, &program, "2024-09").await;
        let draft = app.action_plan(&seated).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let path = format!("/api/v1/action-plans/{}", draft["id"]);

        let refused = as_liaison.patch(&path, json!({"problem": "Rewritten by the partner"})).await.assert_problem(403, "forbidden");
        assert!(refused["detail"].as_str().is_some_and(|d| d.contains("approves")), "{refused}");
        as_liaison.patch(&path, json!({"status": "submitted"})).await.assert_problem(403, "forbidden");
        assert_eq!(app.get(&path).await.json()["version"], draft["version"], "nothing changed");

        assert_eq!(app.patch(&path, json!({"status": "submitted"})).await.status, 200);
        assert_eq!(as_liaison.patch(&path, json!({"status": "approved"})).await.status, 200);
        as_liaison.patch(&path, json!({"status": "in_progress"})).await.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn a_checkpoint_has_one_status_and_the_list_filters_by_each_value_it_shows(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-01").await;
        app.action_plan(&enrollment).approved().await;
        let listed = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        let first = listed["items"][0].clone();
        assert_eq!(first["status"], "overdue", "{first}");
        assert!(first.get("state").is_none(), "one field says where it stands: {first}");
        let reported = app
            .post(&format!("/api/v1/checkpoints/{}/report", first["id"]), json!({"progress": [{"item": 1, "progress": "on_track"}]}))
            .await;
        assert_eq!(reported.json()["status"], "submitted");
        let statuses: Vec<String> = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(statuses, ["submitted", "overdue", "overdue"]);
        for status in ["submitted", "overdue"] {
            let filtered = app.get(&format!("/api/v1/follow-ups?cohort_id={}&status={status}", cohort["id"])).await.json();
            let shown: Vec<&str> = filtered["items"].as_array().expect("items").iter().filter_map(|c| c["status"].as_str()).collect();
            assert_eq!(shown.len(), statuses.iter().filter(|s| *s == status).count(), "{status}: {filtered}");
            assert!(shown.iter().all(|s| *s == status), "{status}: {filtered}");
        }
        assert_eq!(app.get(&format!("/api/v1/checkpoints/{}", first["id"])).await.json()["status"], "submitted");
        app.get("/api/v1/follow-ups?status=scheduled").await.assert_problem(400, "invalid_query");
    }
);

db_test!(
    async fn a_checkpoint_link_gives_a_form_everything_it_needs_in_vietnamese_or_english(app) {
        let program = app.program().title("Young Leaders").title_vi("Lãnh đạo trẻ").create().await;
        let (cohort, enrollment) = returned_class(&app, &program, "2024-01").await;
        app.action_plan(&enrollment)
            .items([plan_item("Online filings", "2025-06-30"), plan_item("Staff trained", "2025-03-31")])
            .approved()
            .await;
        let first = &app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json()["items"][0];
        let link = first["link"].as_str().expect("a link").to_owned();
        let trainee = app.anonymous();

        let form = trainee.get(&link).await.json();
        assert_eq!((form["language"].as_str(), form["program_title"].as_str()), (Some("vi"), Some("Lãnh đạo trẻ")), "{form}");
        assert_eq!(form["cohort_name"], cohort["name"]);
        let numbered: Vec<(i64, &str)> = form["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| (i["number"].as_i64().unwrap_or(0), i["indicator"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(numbered, [(1, "Online filings"), (2, "Staff trained")]);
        let values: Vec<&str> = form["progress_values"].as_array().expect("values").iter().filter_map(|v| v["value"].as_str()).collect();
        assert_eq!(values, ["not_started", "on_track", "delayed", "achieved", "dropped"]);
        assert_eq!(form["progress_values"][1]["label"], "Đang thực hiện, đúng tiến độ");
        let english = trainee.get(&format!("{link}?lang=en")).await.json();
        assert_eq!((english["program_title"].as_str(), english["progress_values"][1]["label"].as_str()), (Some("Young Leaders"), Some("Under way, on time")));
        trainee.get(&format!("{link}?lang=fr")).await.assert_problem(400, "invalid_query");

        // The report is built from that answer alone.
        let progress: Vec<Value> = form["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| json!({"item": i["number"], "progress": form["progress_values"][3]["value"]}))
            .collect();
        assert_eq!(trainee.post(&link, json!({"progress": progress})).await.status, 204);
    }
);

db_test!(
    async fn a_plan_link_shows_the_programme_in_vietnamese_as_a_questionnaire_link_does_or_in_english(app) {
        let program = app.program().title("Young Leaders").title_vi("Lãnh đạo trẻ").create().await;
        let (_, enrollment) = returned_class(&app, &program, "2024-01").await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let link = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json()["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let shown = app.anonymous().get(&link).await.json();
        assert_eq!((shown["language"].as_str(), shown["program_title"].as_str()), (Some("vi"), Some("Lãnh đạo trẻ")), "{shown}");
        let english = app.anonymous().get(&format!("{link}?lang=en")).await.json();
        assert_eq!(english["program_title"], "Young Leaders");

        let untranslated = app.program().title("Kaizen").create().await;
        let (_, enrolled) = returned_class(&app, &untranslated, "2024-01").await;
        let plan = app.action_plan(&enrolled).empty().create().await;
        let link = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json()["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        assert_eq!(app.anonymous().get(&link).await.json()["program_title"], "Kaizen", "the English title where there is no Vietnamese one");
    }
);

db_test!(
    async fn one_request_gives_every_seated_trainee_a_plan_and_its_link_and_a_second_changes_nothing(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).end_date("2024-09").create().await;
        let mut seated = Vec::new();
        for name in ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"] {
            let trainee = app.trainee().full_name(name).create().await;
            seated.push(app.enrollment(&cohort, &trainee).create().await);
        }
        let waiting = app.trainee().full_name("Phạm Nominated").create().await;
        app.enrollment(&cohort, &waiting).nominated().create().await;
        let written = app.action_plan(&seated[1]).create().await;
        assert_eq!(app.patch(&format!("/api/v1/action-plans/{}", written["id"]), json!({"status": "submitted"})).await.status, 200);
        let drafted = app.action_plan(&seated[2]).empty().create().await;
        let sent = app.post(&format!("/api/v1/action-plans/{}/link", drafted["id"]), json!({})).await.json()["link"].clone();

        let path = format!("/api/v1/cohorts/{}/action-plan-links", cohort["id"]);
        let first = app.post(&path, json!({})).await;
        assert_eq!(first.status, 200, "{}", first.text());
        let first = first.json();
        assert_eq!((first["created"].as_i64(), first["links_issued"].as_i64()), (Some(1), Some(1)), "{first}");
        let plans = first["plans"].as_array().expect("plans");
        let names: Vec<&str> = plans.iter().filter_map(|p| p["trainee_name"].as_str()).collect();
        assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"], "seated trainees only, by enrolment");
        assert_eq!((plans[1]["status"].as_str(), &plans[1]["link"]), (Some("submitted"), &Value::Null), "a submitted plan has no link");
        assert_eq!(plans[2]["link"], sent, "a link already sent keeps working");
        let new_link = plans[0]["link"].as_str().expect("a new link").to_owned();
        assert_eq!(app.anonymous().get(&new_link).await.status, 200);

        let again = app.post(&path, json!({})).await.json();
        assert_eq!((again["created"].as_i64(), again["links_issued"].as_i64()), (Some(0), Some(0)));
        assert_eq!(again["plans"], first["plans"], "the same plans and links");
        let listed = app.get(&format!("/api/v1/cohorts/{}/action-plans", cohort["id"])).await.json();
        assert_eq!(listed["total"], 3, "{listed}");
        let outsider = app.partner().create().await;
        let liaison = app.user(Role::Liaison, outsider["id"].as_i64()).await;
        app.as_user(&liaison).post(&path, json!({})).await.assert_problem(403, "forbidden");
    }
);
