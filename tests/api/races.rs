//! Two requests that change one record at the same moment: a workflow's actions (a review, a
//! revocation, a reissued link, an answer through a link) go through the same versioned sequence
//! as a `PATCH`, so one of them sees the other's change, and nothing is silently overwritten. On
//! SQLite writers take turns; on PostgreSQL both requests really run at once.

use awc::http::Method;
use serde_json::{Value, json};
use tpms::enrollments::EnrollmentStatus;

use crate::db_test;
use crate::support::{TestApp, TestResponse};

/// How many times each race is run.
const TRIALS: usize = 20;

/// `(status, ETag)` of an answer.
fn outcome(response: &TestResponse) -> (u16, Option<String>) {
    (response.status, response.header("etag").map(str::to_owned))
}

/// The audit events that changed one record.
async fn changes_of(app: &TestApp, entity: &str, id: &Value) -> Vec<Value> {
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type={entity}&entity_id={id}&action=update&limit=100"
        ))
        .await
        .json();
    events["items"].as_array().expect("items").clone()
}

/// `TRIALS` checkpoints whose reports were recorded by an officer, each awaiting review.
async fn submitted_checkpoints(app: &TestApp) -> Vec<Value> {
    let program = app.program().create().await;
    let months: Vec<u32> = (1..=10).collect();
    let schedule = format!("/api/v1/programs/{}/follow-up-schedule", program["id"]);
    let set = app
        .send(app.request(Method::PUT, &schedule), Some(&json!({"months": months})))
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let cohort = app
        .cohort(&program)
        .start_date("2024-01")
        .end_date("2024-02")
        .create()
        .await;
    let mut checkpoints = Vec::new();
    for i in 0..TRIALS.div_ceil(months.len()) {
        let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
        let enrollment = app.enrollment(&cohort, &trainee).create().await;
        app.action_plan(&enrollment).approved().await;
    }
    let listed = app
        .get(&format!("/api/v1/follow-ups?cohort_id={}&limit=100", cohort["id"]))
        .await
        .json();
    for checkpoint in listed["items"].as_array().expect("items").iter().take(TRIALS) {
        let path = format!("/api/v1/checkpoints/{}/report", checkpoint["id"]);
        let reported = app
            .post(&path, json!({"progress": [{"item": 1, "progress": "on_track"}]}))
            .await;
        assert_eq!(reported.status, 200, "{}", reported.text());
        checkpoints.push(reported.json());
    }
    checkpoints
}

db_test!(
    async fn a_verify_and_a_dispute_of_one_report_at_once_leave_exactly_one_review(app) {
        for checkpoint in submitted_checkpoints(&app).await {
            let path = format!("/api/v1/checkpoints/{}/review", checkpoint["id"]);
            let (verify, dispute) = futures::join!(
                app.post(&path, json!({"finding": "verified"})),
                app.post(&path, json!({"finding": "disputed", "note": "No evidence"})),
            );
            let mut statuses = [verify.status, dispute.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "verify: {} / dispute: {}", verify.text(), dispute.text());
            let winner = if verify.status == 200 { &verify } else { &dispute };
            let loser = if verify.status == 200 { &dispute } else { &verify };
            loser.assert_problem(409, "not_submitted");
            assert_eq!(winner.header("etag"), Some(format!("\"{}\"", winner.json()["version"]).as_str()));
            let stored = app.get(&format!("/api/v1/checkpoints/{}", checkpoint["id"])).await.json();
            assert_eq!(stored["status"], winner.json()["status"], "the stored finding is the winner's");
            let reviews: Vec<Value> = changes_of(&app, "checkpoint", &checkpoint["id"])
                .await
                .into_iter()
                .filter(|e| e["changes"].get("reviewed_by").is_some())
                .collect();
            assert_eq!(reviews.len(), 1, "exactly one review is audited: {reviews:?}");
        }
    }
);

db_test!(
    async fn a_review_that_names_an_older_version_is_refused_with_412(app) {
        let checkpoint = &submitted_checkpoints(&app).await[0];
        let path = format!("/api/v1/checkpoints/{}/review", checkpoint["id"]);
        let stale = format!("\"{}\"", checkpoint["version"].as_i64().unwrap_or(0) - 1);
        app.send(app.request(Method::POST, &path).insert_header(("If-Match", stale)), Some(&json!({"finding": "verified"})))
            .await
            .assert_problem(412, "precondition_failed");
        let current = format!("\"{}\"", checkpoint["version"]);
        let reviewed = app
            .send(app.request(Method::POST, &path).insert_header(("If-Match", current)), Some(&json!({"finding": "verified"})))
            .await;
        assert_eq!(reviewed.status, 200, "{}", reviewed.text());
        assert_eq!(reviewed.header("etag"), Some(format!("\"{}\"", checkpoint["version"].as_i64().unwrap_or(0) + 1).as_str()));
    }
);

db_test!(
    async fn two_revocations_of_one_certificate_at_once_revoke_it_once(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        for i in 0..TRIALS {
            let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
            let enrollment = app.enrollment(&cohort, &trainee).status(EnrollmentStatus::Completed).create().await;
            let path = format!("/api/v1/enrollments/{}/certificate/revocation", enrollment["id"]);
            let (first, second) = futures::join!(
                app.post(&path, json!({"reason": "Issued in error"})),
                app.post(&path, json!({"reason": "Issued twice"})),
            );
            let mut statuses = [first.status, second.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{} / {}", first.text(), second.text());
            let winner = if first.status == 200 { &first } else { &second };
            assert_eq!(outcome(winner), (200, Some("\"2\"".to_owned())));
            let stored = app.get(&format!("/api/v1/enrollments/{}/certificate", enrollment["id"])).await.json();
            assert_eq!(stored["revoked_reason"], winner.json()["revoked_reason"]);
            assert_eq!(changes_of(&app, "certificate", &enrollment["id"]).await.len(), 1, "one revocation is audited");
        }
    }
);

/// A cohort of `TRIALS` seated trainees with an open round: one pending invitation each.
async fn pending_invitations(app: &TestApp) -> Vec<Value> {
    let program = app.program().create().await;
    let cohort = app.cohort(&program).create().await;
    for i in 0..TRIALS {
        let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
        app.enrollment(&cohort, &trainee).create().await;
    }
    let form = app.instrument().published().await;
    let round = app.round(&cohort, &form).opened().await;
    let listed = app
        .get(&format!("/api/v1/rounds/{}/invitations?limit=100", round["id"]))
        .await
        .json();
    listed["items"].as_array().expect("items").clone()
}

db_test!(
    async fn two_reissues_of_one_link_at_once_never_answer_the_same_version(app) {
        let invitation = &pending_invitations(&app).await[0];
        let path = format!("/api/v1/invitations/{}/reissue", invitation["id"]);
        let mut last = (invitation["version"].as_i64().unwrap_or(0), String::new());
        for _ in 0..TRIALS {
            let (first, second) = futures::join!(app.post(&path, json!({})), app.post(&path, json!({})));
            assert_eq!((first.status, second.status), (200, 200), "{} / {}", first.text(), second.text());
            let (a, b) = (first.json(), second.json());
            let mut versions = [a["version"].as_i64().unwrap_or(0), b["version"].as_i64().unwrap_or(0)];
            versions.sort_unstable();
            assert_eq!(versions, [last.0 + 1, last.0 + 2], "one after the other, never the same version");
            let newer = if a["version"].as_i64() == Some(versions[1]) { a } else { b };
            last = (versions[1], newer["link"].as_str().expect("a link").to_owned());
        }
        assert_eq!(
            changes_of(&app, "invitation", &invitation["id"]).await.len(),
            2 * TRIALS,
            "every reissue is audited"
        );
        let stored = app.get(&format!("/api/v1/rounds/{}/invitations", invitation["round_id"])).await.json();
        assert_eq!(stored["items"][0]["version"].as_i64(), Some(last.0));
        assert_eq!(stored["items"][0]["link"].as_str(), Some(last.1.as_str()), "only the last link works");
        let old_link = invitation["link"].as_str().expect("the first link");
        app.anonymous().get(old_link).await.assert_problem(404, "not_found");
        assert_eq!(app.anonymous().get(&last.1).await.status, 200);
    }
);

db_test!(
    async fn an_answer_through_a_link_being_reissued_either_lands_or_is_refused_never_both(app) {
        for invitation in pending_invitations(&app).await {
            let link = invitation["link"].as_str().expect("a link").to_owned();
            let reissue = format!("/api/v1/invitations/{}/reissue", invitation["id"]);
            let answer = json!({"answers": {"relevance": 4, "comments": "Hay"}});
            let trainee = app.anonymous();
            let (answered, reissued) = futures::join!(trainee.post(&link, answer), app.post(&reissue, json!({})));
            match (answered.status, reissued.status) {
                (204, 409) => {
                    reissued.assert_problem(409, "invitation_used");
                }
                (404, 200) => {
                    answered.assert_problem(404, "not_found");
                    assert!(reissued.json()["link"].is_string(), "the new link works: {}", reissued.text());
                }
                other => panic!("both or neither succeeded: {other:?}: {} / {}", answered.text(), reissued.text()),
            }
        }
    }
);

db_test!(
    async fn a_supervisors_answer_through_a_link_being_replaced_either_lands_or_is_refused_never_both(app) {
        let program = app.program().create().await;
        let months: Vec<u32> = (1..=10).collect();
        let schedule = format!("/api/v1/programs/{}/follow-up-schedule", program["id"]);
        let set = app.send(app.request(Method::PUT, &schedule), Some(&json!({"months": months}))).await;
        assert_eq!(set.status, 200, "{}", set.text());
        let cohort = app.cohort(&program).start_date("2024-01").end_date("2024-02").create().await;
        for i in 0..TRIALS.div_ceil(months.len()) {
            let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
            let enrollment = app.enrollment(&cohort, &trainee).create().await;
            app.action_plan(&enrollment).supervisor("Trần Văn Hùng", "Trưởng phòng", "hung.tv@example.vn").approved().await;
        }
        let listed = app.get(&format!("/api/v1/follow-ups?cohort_id={}&limit=100", cohort["id"])).await.json();
        for checkpoint in listed["items"].as_array().expect("items").iter().take(TRIALS) {
            let link = checkpoint["supervisor_link"].as_str().expect("a supervisor link").to_owned();
            let reissue = format!("/api/v1/checkpoints/{}/supervisor-link", checkpoint["id"]);
            let answer = json!({"ratings": [{"item": 1, "rating": 4}], "confirmed": true});
            let supervisor = app.anonymous();
            let (answered, reissued) = futures::join!(supervisor.post(&link, answer), app.post(&reissue, json!({})));
            match (answered.status, reissued.status) {
                (204, 409) => {
                    reissued.assert_problem(409, "supervisor_answered");
                }
                (404, 200) => {
                    answered.assert_problem(404, "not_found");
                    let new = reissued.json()["supervisor_link"].as_str().map(str::to_owned).expect("the new link");
                    assert_eq!(app.anonymous().get(&new).await.status, 200, "the new link works");
                }
                other => panic!("both or neither succeeded: {other:?}: {} / {}", answered.text(), reissued.text()),
            }
        }
    }
);

db_test!(
    async fn two_withdrawals_of_one_consent_at_once_withdraw_it_once(app) {
        let partner = app.partner().code("JICA").create().await;
        for i in 0..TRIALS / 4 {
            let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
            let consents = format!("/api/v1/trainees/{}/consents", trainee["id"]);
            let given = app.post(&consents, json!({"purpose": "partner_contacts", "partner_id": partner["id"]})).await;
            assert_eq!(given.status, 201, "{}", given.text());
            let path = format!("{consents}/{}/withdrawal", given.json()["id"]);
            let (first, second) = futures::join!(
                app.send(app.request(Method::POST, &path), None),
                app.send(app.request(Method::POST, &path), None),
            );
            let mut statuses = [first.status, second.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{} / {}", first.text(), second.text());
            let loser = if first.status == 200 { &second } else { &first };
            loser.assert_problem(409, "already_withdrawn");
            assert_eq!(changes_of(&app, "consent", &given.json()["id"]).await.len(), 1, "one withdrawal audited");
        }
    }
);
