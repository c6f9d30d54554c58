//! Knowledge tests (Kirkpatrick's level 2): scored items, a pre-test and its post-test, the
//! scores and Hake's normalised gain, anonymous suppression, the completion rule on the
//! post-test score, the reports' figures, and links that never reveal the right answers.

use serde_json::{Value, json};
use tpms::instruments::Purpose;

use crate::db_test;
use crate::support::TestApp;
use crate::support::builders::{number_test_item, scale_item, test_item};

/// The test every case here asks: `q1` single choice, right answer `b`, 2 points; `q2` multiple
/// choice, right on exactly {a, c}, 3 points; `q3` a number, right from 9.5 to 10.5, 1 point.
/// The most a response scores is 2 + 3 + 1 = 6.
fn test_items() -> Vec<tpms::instruments::Item> {
    vec![
        test_item("q1", &["b"], 2),
        test_item("q2", &["a", "c"], 3),
        number_test_item("q3", 9.5, 10.5, 1),
    ]
}

/// A cohort with `n` seated trainees, a published test, and its pre-test round opened (named
/// unless `anonymous`); returns the cohort, the enrolments, the test and the pre-test.
async fn class_with_pre_test(app: &TestApp, n: usize, anonymous: bool) -> (Value, Vec<Value>, Value, Value) {
    let program = app.program().create().await;
    let cohort = app.cohort(&program).create().await;
    let mut seated = Vec::new();
    for i in 0..n {
        let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
        seated.push(app.enrollment(&cohort, &trainee).create().await);
    }
    let test = app
        .instrument()
        .purpose(Purpose::Learning)
        .items(test_items())
        .published()
        .await;
    let pre = app.round(&cohort, &test).pre_test();
    let pre = if anonymous { pre.anonymous() } else { pre }.opened().await;
    (cohort, seated, test, pre)
}

/// The pending links of a round, in enrolment order.
async fn links_of(app: &TestApp, round: &Value) -> Vec<String> {
    let listed = app
        .get(&format!("/api/v1/rounds/{}/invitations", round["id"]))
        .await
        .json();
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["link"].as_str().map(str::to_owned))
        .collect()
}

/// Each link answers with the answers beside it, in order.
async fn answer(app: &TestApp, links: &[String], answers: &[Value]) {
    for (link, answers) in links.iter().zip(answers) {
        let sent = app.anonymous().post(link, json!({ "answers": answers })).await;
        assert_eq!(sent.status, 204, "{}", sent.text());
    }
}

async fn close(app: &TestApp, round: &Value) {
    let closed = app
        .patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"}))
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text());
}

fn near(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[track_caller]
fn assert_near(value: &Value, expected: f64, what: &str) {
    assert!(near(value, expected), "{what}: {value}, expected {expected}");
}

/// The pre-test's answers (scores by hand, out of 6):
/// - trainee 0: q1 b (2), q2 {a} (0: c missing), q3 12 (0)        = 2
/// - trainee 1: q1 a (0), q2 {a, c} (3), q3 10 (1)                 = 4
/// - trainee 2: q1 b (2), q2 {a, c, d} (0: d extra), q3 none (0)   = 2
fn pre_answers() -> [Value; 3] {
    [
        json!({"q1": "b", "q2": ["a"], "q3": 12}),
        json!({"q1": "a", "q2": ["a", "c"], "q3": 10}),
        json!({"q1": "b", "q2": ["a", "c", "d"]}),
    ]
}

/// The post-test's answers (scores by hand, out of 6):
/// - trainee 0: q1 b (2), q2 {c, a} (3: order does not matter), q3 10.5 (1: bound included) = 6
/// - trainee 1: q1 b (2), q2 {a, c} (3), q3 9 (0)                                           = 5
/// - trainee 2: q1 c (0), q2 {a, c} (3), q3 9.5 (1)                                         = 4
fn post_answers() -> [Value; 3] {
    [
        json!({"q1": "b", "q2": ["c", "a"], "q3": 10.5}),
        json!({"q1": "b", "q2": ["a", "c"], "q3": 9}),
        json!({"q1": "c", "q2": ["a", "c"], "q3": 9.5}),
    ]
}

/// A class of three that took the pre-test and the post-test above, both named and closed;
/// returns the cohort, the enrolments and the post-test round.
async fn tested_class(app: &TestApp) -> (Value, Vec<Value>, Value) {
    let (cohort, seated, test, pre) = class_with_pre_test(app, 3, false).await;
    answer(app, &links_of(app, &pre).await, &pre_answers()).await;
    close(app, &pre).await;
    let post = app.round(&cohort, &test).post_test_of(&pre).opened().await;
    answer(app, &links_of(app, &post).await, &post_answers()).await;
    close(app, &post).await;
    (cohort, seated, post)
}

db_test!(
    async fn a_pre_and_post_test_give_each_trainees_score_the_means_and_hakes_gain_per_item_and_overall(app) {
        let (_, seated, post) = tested_class(&app).await;
        let results = app.get(&format!("/api/v1/rounds/{}/results", post["id"])).await.json();
        let scores = &results["scores"];
        assert_eq!(scores["max_score"], 6, "{results}");
        assert_eq!(scores["scored"], 3);
        assert_eq!(scores["pre_round_id"], post["pre_round_id"]);
        // mean_pre = (2 + 4 + 2) / 3 = 8/3; mean_post = (6 + 5 + 4) / 3 = 5.
        assert_near(&scores["mean_pre"], 8.0 / 3.0, "mean pre");
        assert_near(&scores["mean_post"], 5.0, "mean post");
        assert_near(&scores["mean_score"], 5.0, "this round's mean");
        // Hake's gain of the means: (5 − 8/3) / (6 − 8/3) = (7/3) / (10/3) = 0.7.
        assert_near(&scores["gain"], 0.7, "gain");
        assert!(scores["gain_note"].is_null());

        let items = scores["items"].as_array().expect("items");
        let keys: Vec<&str> = items.iter().filter_map(|i| i["key"].as_str()).collect();
        assert_eq!(keys, ["q1", "q2", "q3"]);
        // q1 (2 points): pre 2, 0, 2 → mean 4/3; post 2, 2, 0 → mean 4/3; gain 0 / (2 − 4/3) = 0;
        // right in the post-test: 2 of 3.
        assert_eq!(items[0]["points"], 2);
        assert_near(&items[0]["mean_pre"], 4.0 / 3.0, "q1 pre");
        assert_near(&items[0]["mean_post"], 4.0 / 3.0, "q1 post");
        assert_near(&items[0]["gain"], 0.0, "q1 gain");
        assert_near(&items[0]["share_correct"], 2.0 / 3.0, "q1 difficulty");
        // q2 (3 points): pre 0, 3, 0 → mean 1; post 3, 3, 3 → mean 3; gain (3 − 1) / (3 − 1) = 1;
        // right: 3 of 3.
        assert_near(&items[1]["mean_pre"], 1.0, "q2 pre");
        assert_near(&items[1]["gain"], 1.0, "q2 gain");
        assert_near(&items[1]["share_correct"], 1.0, "q2 difficulty");
        // q3 (1 point): pre 0, 1, 0 → 1/3; post 1, 0, 1 → 2/3; gain (2/3 − 1/3) / (1 − 1/3) = 0.5.
        assert_near(&items[2]["gain"], 0.5, "q3 gain");
        assert_near(&items[2]["share_correct"], 2.0 / 3.0, "q3 difficulty");

        // Each trainee: (post − pre) / (6 − pre): (6 − 2)/4 = 1; (5 − 4)/2 = 0.5; (4 − 2)/4 = 0.5.
        let trainees = scores["trainees"].as_array().expect("trainees");
        let found: Vec<(i64, i64, i64)> = trainees
            .iter()
            .map(|t| (t["enrollment_id"].as_i64().unwrap_or(0), t["pre_score"].as_i64().unwrap_or(-1), t["score"].as_i64().unwrap_or(-1)))
            .collect();
        let ids: Vec<i64> = seated.iter().map(|e| e["id"].as_i64().expect("an id")).collect();
        assert_eq!(found, [(ids[0], 2, 6), (ids[1], 4, 5), (ids[2], 2, 4)]);
        assert_eq!(trainees[0]["trainee_name"], "Học viên 0");
        for (trainee, gain) in trainees.iter().zip([1.0, 0.5, 0.5]) {
            assert_near(&trainee["gain"], gain, "a trainee's gain");
        }

        // The pre-test's own results: its scores, its mean as mean_pre, and no gain.
        let pre = app.get(&format!("/api/v1/rounds/{}/results", post["pre_round_id"])).await.json();
        assert_near(&pre["scores"]["mean_pre"], 8.0 / 3.0, "the pre-test's mean");
        assert!(pre["scores"]["gain"].is_null() && pre["scores"]["mean_post"].is_null(), "{pre}");
    }
);

db_test!(
    async fn the_export_of_a_tests_results_gives_each_items_difficulty(app) {
        let (_, _, post) = tested_class(&app).await;
        let csv = app.get(&format!("/api/v1/rounds/{}/results?format=csv", post["id"])).await;
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let text = csv.text();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let column = |name: &str| header.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 3, "{text}");
        let difficulty: Vec<f64> = rows.iter().map(|r| r[column("share_correct")].parse().expect("a share")).collect();
        // Right in the post-test: q1 2 of 3, q2 3 of 3, q3 2 of 3.
        assert!((difficulty[0] - 2.0 / 3.0).abs() < 1e-9 && difficulty[1] == 1.0 && (difficulty[2] - 2.0 / 3.0).abs() < 1e-9, "{text}");
        assert_eq!(rows[1][column("points")], "3");

        let xlsx = app.get(&format!("/api/v1/rounds/{}/results?format=xlsx", post["id"])).await;
        assert_eq!(xlsx.status, 200);
        assert!(xlsx.body.starts_with(b"PK"), "a workbook is a zip file");
    }
);

db_test!(
    async fn a_completion_rule_asks_a_minimum_post_test_score(app) {
        let (cohort, seated, _) = tested_class(&app).await;
        let rule = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/cohorts/{}/completion-rule", cohort["id"])),
                Some(&json!({"min_post_test_score": 0.75})),
            )
            .await;
        assert_eq!(rule.status, 200, "{}", rule.text());
        assert_eq!(rule.json()["min_post_test_score"], 0.75);
        let bad = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/cohorts/{}/completion-rule", cohort["id"])),
                Some(&json!({"min_post_test_score": 75})),
            )
            .await;
        bad.assert_problem(422, "validation_failed");

        let dry = app.post(&format!("/api/v1/cohorts/{}/completion?dry_run=true", cohort["id"]), json!({})).await.json();
        // 6/6 = 100 % and 5/6 ≈ 83 % reach 75 %; 4/6 ≈ 67 % does not.
        let outcomes: Vec<(&str, &str)> = dry["trainees"]
            .as_array()
            .expect("trainees")
            .iter()
            .map(|t| (t["trainee_name"].as_str().unwrap_or(""), t["outcome"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(outcomes, [("Học viên 0", "completed"), ("Học viên 1", "completed"), ("Học viên 2", "did_not_complete")]);
        let reason = dry["trainees"][2]["reasons"][0].as_str().expect("a reason");
        assert!(reason.contains("scored 4 of 6 (67 %)") && reason.contains("75 %"), "{reason}");
        assert_eq!(seated.len(), 3);
    }
);

db_test!(
    async fn an_anonymous_test_gives_only_cohort_figures_once_released_and_the_gain_waits_for_the_pre_tests_release(app) {
        let (cohort, _, test, pre) = class_with_pre_test(&app, 6, true).await;
        // Only four take the pre-test: fewer than five, so its figures never show.
        let full = json!({"q1": "b", "q2": ["a", "c"], "q3": 10});
        let wrong = json!({"q1": "a", "q2": ["a"], "q3": 1});
        answer(&app, &links_of(&app, &pre).await[..4], &[wrong.clone(), wrong.clone(), full.clone(), wrong.clone()]).await;
        close(&app, &pre).await;
        let pre_results = app.get(&format!("/api/v1/rounds/{}/results", pre["id"])).await.json();
        assert_eq!(pre_results["withheld"], true, "{pre_results}");
        assert!(pre_results["scores"].is_null(), "{pre_results}");

        let post = app.round(&cohort, &test).post_test_of(&pre).anonymous().opened().await;
        let links = links_of(&app, &post).await;
        answer(&app, &links[..5], &[full.clone(), full.clone(), full.clone(), wrong.clone(), full.clone()]).await;
        let path = format!("/api/v1/rounds/{}/results", post["id"]);
        let open = app.get(&path).await.json();
        assert!(open["withheld"] == true && open["scores"].is_null(), "nothing shows while it is open: {open}");

        close(&app, &post).await;
        let released = app.get(&path).await.json();
        let scores = &released["scores"];
        // Four full marks and one 0: (4 × 6 + 0) / 5 = 4.8.
        assert_near(&scores["mean_post"], 4.8, "mean post");
        assert_eq!(scores["trainees"], json!([]), "an anonymous round names no score: {released}");
        assert!(scores["mean_pre"].is_null() && scores["gain"].is_null(), "{released}");
        assert!(scores["gain_note"].as_str().is_some_and(|n| n.contains("withheld")), "{released}");
        assert!(!released.to_string().contains("Học viên"), "{released}");
    }
);

db_test!(
    async fn the_gain_is_null_and_says_why_when_the_pre_test_was_already_full_marks(app) {
        let (cohort, _, test, pre) = class_with_pre_test(&app, 1, false).await;
        let full = json!({"q1": "b", "q2": ["a", "c"], "q3": 10});
        answer(&app, &links_of(&app, &pre).await, std::slice::from_ref(&full)).await;
        let post = app.round(&cohort, &test).post_test_of(&pre).opened().await;
        answer(&app, &links_of(&app, &post).await, &[json!({"q1": "b"})]).await;
        let scores = app.get(&format!("/api/v1/rounds/{}/results", post["id"])).await.json()["scores"].clone();
        // Pre 6 of 6, post 2 of 6: (2 − 6) / (6 − 6) has no value.
        assert_near(&scores["mean_pre"], 6.0, "mean pre");
        assert!(scores["gain"].is_null(), "{scores}");
        assert!(scores["gain_note"].as_str().is_some_and(|n| n.contains("full marks")), "{scores}");
        assert!(scores["trainees"][0]["gain"].is_null(), "{scores}");
        assert!(scores["items"].as_array().expect("items").iter().all(|i| i["gain"].is_null()), "{scores}");
    }
);

db_test!(
    async fn scoring_is_checked_item_by_item_and_only_a_knowledge_test_is_scored(app) {
        let mut two_right = test_item("q1", &["a"], 1);
        two_right.scoring.as_mut().expect("scored").correct = vec!["a".to_owned(), "b".to_owned()];
        two_right.kind = tpms::instruments::ItemKind::SingleChoice;
        let mut unknown = test_item("q2", &["a", "z"], 1);
        unknown.kind = tpms::instruments::ItemKind::MultiChoice;
        let mut scored_scale = scale_item("q4", "content");
        scored_scale.scoring = test_item("x", &["a"], 1).scoring;
        let problem = app
            .post("/api/v1/instruments", app.instrument().purpose(Purpose::Learning).items([two_right, unknown, number_test_item("q3", 2.0, 1.0, 0), scored_scale]).json())
            .await
            .assert_problem(422, "validation_failed");
        let named = crate::support::named_errors(&problem);
        let pointers: Vec<&str> = named.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            ["#/items/0/scoring/correct", "#/items/1/scoring/correct", "#/items/2/scoring/points", "#/items/2/scoring/max", "#/items/3/scoring"],
            "{problem}"
        );
        app.post("/api/v1/instruments", app.instrument().items(test_items()).json())
            .await
            .assert_problem(422, "validation_failed");
    }
);

db_test!(
    async fn a_pre_and_post_test_pair_on_one_revision_or_on_two_declared_equivalent(app) {
        let (cohort, _, test, pre) = class_with_pre_test(&app, 1, false).await;
        // A reaction questionnaire is no test: a post round of it names no pre-test.
        let reaction = app.instrument().published().await;
        app.post(&format!("/api/v1/cohorts/{}/rounds", cohort["id"]), app.round(&cohort, &reaction).post_test_of(&pre).json())
            .await
            .assert_problem(422, "validation_failed");

        // Revision 2 rewords the options but scores the same items for the same points.
        let draft = app.post(&format!("/api/v1/instruments/{}/revisions", test["id"]), json!({})).await.json();
        let declared = app.patch(&format!("/api/v1/instruments/{}", draft["id"]), json!({"equivalent_to": test["id"]})).await;
        assert_eq!(declared.status, 200, "{}", declared.text());
        let mut other_points = test_items();
        other_points[0].scoring.as_mut().expect("scored").points = 5;
        let problem = app
            .patch(&format!("/api/v1/instruments/{}", draft["id"]), json!({"items": other_points}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], "not_equivalent", "{problem}");
        let revision = app.patch(&format!("/api/v1/instruments/{}", draft["id"]), json!({"status": "published"})).await.json();
        assert_eq!(revision["equivalent_to"], test["id"]);

        let post = app.round(&cohort, &revision).post_test_of(&pre).create().await;
        assert_eq!(post["pre_round_id"], pre["id"]);

        // A third revision not declared equivalent does not pair.
        let draft = app.post(&format!("/api/v1/instruments/{}/revisions", revision["id"]), json!({})).await.json();
        let third = app.patch(&format!("/api/v1/instruments/{}", draft["id"]), json!({"status": "published"})).await.json();
        let problem = app
            .post(&format!("/api/v1/cohorts/{}/rounds", cohort["id"]), app.round(&cohort, &third).post_test_of(&pre).json())
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], "not_a_pre_test", "{problem}");

        // A draft pre-test cannot be deleted while a post-test names it.
        let draft_pre = app.round(&cohort, &test).pre_test().create().await;
        let draft_post = app.round(&cohort, &test).post_test_of(&draft_pre).create().await;
        let refused = app.delete(&format!("/api/v1/rounds/{}", draft_pre["id"])).await.assert_problem(409, "in_use");
        assert!(refused["detail"].as_str().is_some_and(|d| d.contains(&format!("pre-test of round {}", draft_post["id"]))), "{refused}");
    }
);

db_test!(
    async fn a_trainees_link_never_shows_the_right_answers_in_json_or_on_its_page(app) {
        let (_, _, _, pre) = class_with_pre_test(&app, 1, false).await;
        let invitation = app.get(&format!("/api/v1/rounds/{}/invitations", pre["id"])).await.json()["items"][0].clone();
        let link = invitation["link"].as_str().expect("a link").to_owned();
        let page_url = invitation["page_url"].as_str().expect("a page address");
        let rest = page_url.split_once("://").expect("an absolute address").1;
        let page = rest[rest.find('/').expect("a path")..].to_owned();
        let hidden = |shown: &str, what: &str| {
            for secret in ["scoring", "correct", "points", "9.5", "10.5"] {
                assert!(!shown.contains(secret), "{what} shows {secret:?}: {shown}");
            }
        };

        let json = app.anonymous().get(&format!("{link}?lang=en")).await;
        assert_eq!(json.status, 200, "{}", json.text());
        hidden(&json.text(), "the link's JSON");
        assert_eq!(json.json()["items"][0]["options"].as_array().map(Vec::len), Some(4), "the options still show");
        let html = app.anonymous().get(&format!("{page}?lang=en")).await;
        assert_eq!(html.status, 200);
        hidden(&html.text(), "the link's page");
        let html_vi = app.anonymous().get(&page).await;
        hidden(&html_vi.text(), "the link's page in Vietnamese");

        // Nor once answered: the receipt shows what was sent, not whether it was right.
        answer(&app, std::slice::from_ref(&link), &[json!({"q1": "a", "q2": ["a", "c"], "q3": 10})]).await;
        let receipt = app.anonymous().get(&format!("{page}?lang=en")).await;
        assert_eq!(receipt.status, 200);
        hidden(&receipt.text(), "the link's receipt");
    }
);

db_test!(
    async fn the_programme_overview_and_a_trainees_record_carry_the_post_test_score_and_gain(app) {
        let (cohort, seated, _) = tested_class(&app).await;
        let overview = app.get(&format!("/api/v1/reports/programs?program_id={}", cohort["program_id"])).await;
        assert_eq!(overview.status, 200, "{}", overview.text());
        let totals = overview.json()["totals"].clone();
        // Post shares 6/6, 5/6, 4/6: mean 15/18. Pre shares 2/6, 4/6, 2/6: mean 8/18.
        // Gain of the means: (15/18 − 8/18) / (1 − 8/18) = 7/10.
        assert_near(&totals["post_test_score"], 15.0 / 18.0, "mean post-test score");
        assert_near(&totals["knowledge_gain"], 0.7, "gain");

        let trainee = app.get(&format!("/api/v1/enrollments/{}", seated[2]["id"])).await.json()["trainee_id"].clone();
        let record = app.get(&format!("/api/v1/reports/trainees/{trainee}/record")).await;
        assert_eq!(record.status, 200, "{}", record.text());
        let line = record.json()["cohorts"][0].clone();
        // Trainee 2: 4 of 6 after, 2 of 6 before: gain (4 − 2) / (6 − 2) = 0.5.
        assert_near(&line["post_test_score"], 4.0 / 6.0, "the trainee's post-test score");
        assert_near(&line["knowledge_gain"], 0.5, "the trainee's gain");
    }
);
