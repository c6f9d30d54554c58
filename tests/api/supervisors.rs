//! The trainee's supervisor at each checkpoint: named on the plan, asked through a single-use link
//! to rate each item and confirm the report, counted in the summaries and followed up in the
//! officer's list.

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::builders::plan_item;
use crate::support::{TestApp, named_errors};

/// A seated trainee of a cohort of `program` that ended in January 2024 (so every checkpoint is
/// overdue); returns the cohort and the enrolment.
async fn returned_class(app: &TestApp, program: &Value) -> (Value, Value) {
    let cohort = app
        .cohort(program)
        .start_date("2023-10")
        .end_date("2024-01")
        .create()
        .await;
    let trainee = app.trainee().full_name("Vũ Thị Lan").create().await;
    let enrollment = app.enrollment(&cohort, &trainee).create().await;
    (cohort, enrollment)
}

/// The follow-up list of a cohort, with `filter` (`&supervisor_status=awaited`) added.
async fn follow_ups(app: &TestApp, cohort: &Value, filter: &str) -> Vec<Value> {
    let listed = app
        .get(&format!("/api/v1/follow-ups?cohort_id={}{filter}", cohort["id"]))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json()["items"].as_array().cloned().unwrap_or_default()
}

/// An approved plan naming a supervisor, with two items; returns the cohort and the first
/// checkpoint as the officer's list shows it.
async fn supervised(app: &TestApp, program: &Value) -> (Value, Value) {
    let (cohort, enrollment) = returned_class(app, program).await;
    app.action_plan(&enrollment)
        .items([
            plan_item("Online filings", "2025-06-30"),
            plan_item("Staff trained", "2025-03-31"),
        ])
        .supervisor("Trần Văn Hùng", "Trưởng phòng Tư pháp", "hung.tv@longbien.gov.vn")
        .approved()
        .await;
    let first = follow_ups(app, &cohort, "")
        .await
        .first()
        .cloned()
        .expect("a checkpoint");
    (cohort, first)
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().filter_map(|c| c["id"].as_i64()).collect()
}

db_test!(
    async fn a_supervisor_named_on_the_plan_rates_each_item_and_confirms_the_report_through_a_link_that_works_once(app) {
        let program = app.program().title("Young Leaders").title_vi("Lãnh đạo trẻ").create().await;
        let (cohort, first) = supervised(&app, &program).await;
        let link = first["supervisor_link"].as_str().expect("the supervisor's link, for the officer").to_owned();
        assert!(link.starts_with("/api/v1/supervisor-links/"), "{first}");
        assert_ne!(first["link"], first["supervisor_link"], "the trainee's link is another");
        assert_eq!(first["supervisor_status"], "awaited");
        let awaited = follow_ups(&app, &cohort, "&supervisor_status=awaited").await;
        assert_eq!(awaited.len(), 3, "every checkpoint asks the supervisor");

        // The trainee reports first; the supervisor then sees the report on each item.
        let trainee_link = first["link"].as_str().expect("the trainee's link").to_owned();
        let report = json!({"progress": [
            {"item": 1, "progress": "achieved", "evidence": "Cổng dịch vụ công"},
            {"item": 2, "progress": "on_track"}
        ], "barriers": "Thiếu máy quét"});
        assert_eq!(app.anonymous().post(&trainee_link, report).await.status, 204);

        let supervisor = app.anonymous();
        let form = supervisor.get(&link).await;
        assert_eq!(form.status, 200, "{}", form.text());
        let form = form.json();
        assert_eq!((form["language"].as_str(), form["trainee_name"].as_str()), (Some("vi"), Some("Vũ Thị Lan")), "{form}");
        assert_eq!((form["program_title"].as_str(), &form["cohort_name"]), (Some("Lãnh đạo trẻ"), &cohort["name"]));
        assert_eq!(form["checkpoint_label"], "3 tháng sau khóa học");
        assert_eq!(form["reported"], true);
        let items: Vec<(i64, &str, &str)> = form["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| (i["number"].as_i64().unwrap_or(0), i["indicator"].as_str().unwrap_or_default(), i["progress"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(items, [(1, "Online filings", "achieved"), (2, "Staff trained", "on_track")]);
        assert_eq!(form["items"][0]["target"], "60 %");
        let scale: Vec<i64> = form["rating_values"].as_array().expect("scale").iter().filter_map(|v| v["value"].as_i64()).collect();
        assert_eq!(scale, [1, 2, 3, 4, 5]);
        let english = supervisor.get(&format!("{link}?lang=en")).await.json();
        assert_eq!((english["checkpoint_label"].as_str(), english["program_title"].as_str()), (Some("3 months after the course"), Some("Young Leaders")));
        assert_eq!(english["items"][0]["progress_label"], "Target reached");

        // Every answer is checked: the scale, and one rating per item of the plan.
        let off_scale = supervisor
            .post(&link, json!({"ratings": [{"item": 1, "rating": 6}, {"item": 2, "rating": 0}], "confirmed": true}))
            .await
            .assert_problem(422, "validation_failed");
        let named = named_errors(&off_scale);
        assert!(named.contains(&("#/ratings/0/rating".to_owned(), "range".to_owned())), "{off_scale}");
        assert!(named.contains(&("#/ratings/1/rating".to_owned(), "range".to_owned())), "{off_scale}");
        let not_the_plans = supervisor
            .post(&link, json!({"ratings": [{"item": 1, "rating": 4}, {"item": 3, "rating": 2}, {"item": 1, "rating": 5}], "confirmed": true}))
            .await
            .assert_problem(422, "validation_failed");
        let pairs: Vec<(String, String)> = named_errors(&not_the_plans);
        let expected: Vec<(String, String)> = [("#/ratings/1/item", "not_in_plan"), ("#/ratings/2/item", "duplicate"), ("#/ratings", "unrated_item")]
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect();
        assert_eq!(pairs, expected);
        supervisor.post(&link, json!({"ratings": [{"item": 1, "rating": 4}], "confirmed": "yes"})).await.assert_problem(422, "validation_failed");

        let answer = json!({"ratings": [
            {"item": 2, "rating": 3, "comment": "Đã tập huấn một nửa cán bộ"},
            {"item": 1, "rating": 5}
        ], "confirmed": true, "comment": "Báo cáo đúng với thực tế"});
        let answered = supervisor.post(&link, answer.clone()).await;
        assert_eq!(answered.status, 204, "{}", answered.text());
        supervisor.post(&link, answer).await.assert_problem(404, "not_found");
        let spent = supervisor.get(&link).await.assert_problem(404, "not_found");
        assert!(spent["detail"].as_str().is_some_and(|d| !d.is_empty()), "{spent}");

        let checkpoint = app.get(&format!("/api/v1/checkpoints/{}", first["id"])).await.json();
        assert_eq!(checkpoint["supervisor_status"], "confirmed", "{checkpoint}");
        assert!(checkpoint.get("supervisor_link").is_none(), "a spent link is not shown: {checkpoint}");
        let review = &checkpoint["supervisor_review"];
        assert_eq!((review["confirmed"].as_bool(), review["comment"].as_str()), (Some(true), Some("Báo cáo đúng với thực tế")));
        let ratings: Vec<(i64, i64)> = review["ratings"].as_array().expect("ratings").iter().map(|r| (r["item"].as_i64().unwrap_or(0), r["rating"].as_i64().unwrap_or(0))).collect();
        assert_eq!(ratings, [(1, 5), (2, 3)], "by item");

        // The officer's list: awaited before, not after.
        let still = follow_ups(&app, &cohort, "&supervisor_status=awaited").await;
        assert_eq!(still.len(), 2);
        assert!(!ids(&still).contains(&first["id"].as_i64().unwrap_or(0)), "{still:?}");
        assert_eq!(ids(&follow_ups(&app, &cohort, "&supervisor_status=confirmed").await), [first["id"].as_i64().unwrap_or(0)]);
        app.get("/api/v1/follow-ups?supervisor_status=maybe").await.assert_problem(400, "invalid_query");

        let summary = app.get(&format!("/api/v1/cohorts/{}/follow-up-summary", cohort["id"])).await.json();
        assert_eq!(summary["supervisors"], json!({"awaited": 2, "confirmed": 1}), "{summary}");
        assert_eq!(summary["reports_confirmed_by_supervisor_share"], 1.0);

        // A second checkpoint's supervisor does not confirm: half the answered reports are.
        let second = &still[0];
        let second_link = second["supervisor_link"].as_str().expect("a link").to_owned();
        let form = supervisor.get(&second_link).await.json();
        assert_eq!((form["reported"].as_bool(), &form["items"][0]["progress"]), (Some(false), &Value::Null), "nothing reported yet: {form}");
        let declined = supervisor
            .post(&second_link, json!({"ratings": [{"item": 1, "rating": 1}, {"item": 2, "rating": 2}], "confirmed": false}))
            .await;
        assert_eq!(declined.status, 204, "{}", declined.text());
        let summary = app.get(&format!("/api/v1/programs/{}/follow-up-summary", program["id"])).await.json();
        assert_eq!(summary["reports_confirmed_by_supervisor_share"], 0.5, "{summary}");
        assert_eq!(summary["supervisors"]["not_confirmed"], 1);
    }
);

db_test!(
    async fn a_reissued_supervisor_link_ends_the_old_one_and_the_trainees_new_link_keeps_it(app) {
        let program = app.program().create().await;
        let (_, first) = supervised(&app, &program).await;
        let old = first["supervisor_link"].as_str().expect("a link").to_owned();
        let path = format!("/api/v1/checkpoints/{}/supervisor-link", first["id"]);

        // A stale If-Match is refused; the current one reissues.
        let stale = app.request(Method::POST, &path).insert_header(("if-match", "\"999\""));
        app.send(stale, Some(&json!({}))).await.assert_problem(412, "precondition_failed");
        let current = app.get(&format!("/api/v1/checkpoints/{}", first["id"])).await;
        let etag = current.header("etag").expect("an ETag").to_owned();
        let reissued = app.send(app.request(Method::POST, &path).insert_header(("if-match", etag)), Some(&json!({}))).await;
        assert_eq!(reissued.status, 200, "{}", reissued.text());
        assert!(reissued.header("etag").is_some());
        let reissued = reissued.json();
        let new = reissued["supervisor_link"].as_str().expect("the new link").to_owned();
        assert_ne!(new, old);
        assert_eq!(reissued["supervisor_status"], "awaited");
        app.anonymous().get(&old).await.assert_problem(404, "not_found");
        assert_eq!(app.anonymous().get(&new).await.status, 200);

        // The trainee's new link leaves the supervisor's open link as it is.
        let trainee = app.post(&format!("/api/v1/checkpoints/{}/link", first["id"]), json!({})).await.json();
        assert_eq!(trainee["supervisor_link"].as_str(), Some(new.as_str()), "{trainee}");

        let answer = json!({"ratings": [{"item": 1, "rating": 4}, {"item": 2, "rating": 4}], "confirmed": true});
        assert_eq!(app.anonymous().post(&new, answer).await.status, 204);
        app.post(&path, json!({})).await.assert_problem(409, "supervisor_answered");
        let audited = app.get(&format!("/api/v1/audit-events?entity_type=checkpoint&entity_id={}", first["id"])).await.text();
        assert!(!audited.contains("/supervisor-links/"), "no audit event holds a supervisor's link: {audited}");
    }
);

db_test!(
    async fn a_plan_without_a_supervisor_asks_none_until_an_officer_names_one(app) {
        let program = app.program().create().await;
        let (cohort, enrollment) = returned_class(&app, &program).await;
        let plan = app.action_plan(&enrollment).approved().await;
        assert_eq!(plan["supervisor_name"], Value::Null);
        let first = follow_ups(&app, &cohort, "").await.first().cloned().expect("a checkpoint");
        assert_eq!(first["supervisor_status"], "none");
        assert!(first.get("supervisor_link").is_none(), "{first}");
        let path = format!("/api/v1/checkpoints/{}/supervisor-link", first["id"]);
        app.post(&path, json!({})).await.assert_problem(409, "no_supervisor");

        // The supervisor is named after approval (the person, not the approved content, changes),
        // checked as on any write.
        let plan_path = format!("/api/v1/action-plans/{}", plan["id"]);
        let bad = app
            .patch(&plan_path, json!({"supervisor_position": "Trưởng phòng", "supervisor_email": "not-an-email"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(named_errors(&bad), [("#/supervisor_email".to_owned(), "invalid_email".to_owned())]);
        let nameless = app.patch(&plan_path, json!({"supervisor_position": "Trưởng phòng"})).await.assert_problem(422, "validation_failed");
        assert_eq!(named_errors(&nameless), [("#/supervisor_name".to_owned(), "required".to_owned())]);
        let named = app.patch(&plan_path, json!({"supervisor_name": "Trần Văn Hùng", "supervisor_email": "hung.tv@longbien.gov.vn"})).await;
        assert_eq!(named.status, 200, "{}", named.text());
        assert_eq!(named.json()["supervisor_email"], "hung.tv@longbien.gov.vn");
        let issued = app.post(&path, json!({})).await;
        assert_eq!(issued.status, 200, "{}", issued.text());
        assert!(issued.json()["supervisor_link"].as_str().is_some_and(|l| l.starts_with("/api/v1/supervisor-links/")));
        assert_eq!(follow_ups(&app, &cohort, "&supervisor_status=awaited").await.len(), 1);
    }
);

db_test!(
    async fn the_trainee_names_the_supervisor_through_the_plan_link(app) {
        let program = app.program().create().await;
        let (_, enrollment) = returned_class(&app, &program).await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let link = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json()["link"]
            .as_str()
            .expect("a link")
            .to_owned();
        let mut content = json!({"title": "Một cửa điện tử", "problem": "Hồ sơ giấy", "items": [plan_item("Online filings", "2025-06-30")],
            "supervisor_position": "Trưởng phòng", "supervisor_email": "hung.tv@"});
        let refused = app.anonymous().post(&link, content.clone()).await.assert_problem(422, "validation_failed");
        assert_eq!(named_errors(&refused), [("#/supervisor_email".to_owned(), "invalid_email".to_owned())]);
        content["supervisor_email"] = json!("hung.tv@longbien.gov.vn");
        let nameless = app.anonymous().post(&link, content.clone()).await.assert_problem(422, "validation_failed");
        assert_eq!(named_errors(&nameless), [("#/supervisor_name".to_owned(), "required".to_owned())]);
        content["supervisor_name"] = json!("Trần Văn Hùng");
        assert_eq!(app.anonymous().post(&link, content).await.status, 204);
        let written = app.get(&format!("/api/v1/action-plans/{}", plan["id"])).await.json();
        assert_eq!(
            (written["supervisor_name"].as_str(), written["supervisor_position"].as_str(), written["supervisor_email"].as_str()),
            (Some("Trần Văn Hùng"), Some("Trưởng phòng"), Some("hung.tv@longbien.gov.vn"))
        );
    }
);

db_test!(
    async fn a_liaison_reads_who_supervises_a_trainee_but_never_the_supervisors_email_nor_their_link(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        let (cohort, enrollment) = returned_class(&app, &program).await;
        let plan = app
            .action_plan(&enrollment)
            .supervisor("Trần Văn Hùng", "Trưởng phòng Tư pháp", "hung.tv@longbien.gov.vn")
            .create()
            .await;
        let path = format!("/api/v1/action-plans/{}", plan["id"]);
        assert_eq!(app.patch(&path, json!({"status": "submitted"})).await.status, 200);
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let seen = as_liaison.get(&path).await.json();
        assert_eq!((seen["supervisor_name"].as_str(), seen["supervisor_position"].as_str()), (Some("Trần Văn Hùng"), Some("Trưởng phòng Tư pháp")));
        assert_eq!(seen["supervisor_email"], Value::Null, "{seen}");
        let listed = as_liaison.get(&format!("/api/v1/cohorts/{}/action-plans", cohort["id"])).await.json();
        assert_eq!(listed["items"][0]["supervisor_email"], Value::Null, "{listed}");
        as_liaison.patch(&path, json!({"supervisor_email": "other@example.org"})).await.assert_problem(403, "forbidden");
        let approved = as_liaison.patch(&path, json!({"status": "approved"})).await;
        assert_eq!(approved.status, 200, "{}", approved.text());
        assert_eq!(approved.json()["supervisor_email"], Value::Null, "nor in the answer to its change");
        assert_eq!(app.get(&path).await.json()["supervisor_email"], "hung.tv@longbien.gov.vn", "staff read it, and it was kept");

        let followed = as_liaison.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        let items = followed["items"].as_array().expect("items");
        assert_eq!(items.len(), 3, "{followed}");
        assert!(items.iter().all(|c| c["supervisor_status"] == "awaited" && c.get("supervisor_link").is_none()), "{followed}");
    }
);
