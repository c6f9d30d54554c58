//! Enrolments: capacity under concurrency, the waitlist, every state move, certificates,
//! idempotent creation, and what a liaison sees.

use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, build};
use tpms::users::Role;

/// A cohort with this capacity (`None`: no limit).
pub async fn cohort(app: &TestApp, capacity: Option<i64>) -> Value {
    let (_, cohorts) = crate::cohorts::program_with_cohorts(app, "JICA-YL").await;
    let mut body = json!({"code": "C3", "name": "Class 3", "status": "open"});
    if let Some(capacity) = capacity {
        body["capacity"] = json!(capacity);
    }
    app.create(&cohorts, body).await
}

/// A trainee with this name.
pub async fn trainee(app: &TestApp, full_name: &str) -> Value {
    app.create("/api/v1/trainees", json!({"full_name": full_name})).await
}

/// Enrol a trainee and return the enrolment.
pub async fn enrol(app: &TestApp, cohort: &Value, trainee: &Value) -> Value {
    app.create(&enrollments_of(cohort), json!({"trainee_id": trainee["id"]}))
        .await
}

pub fn enrollments_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/enrollments", cohort["id"])
}

fn path_of(enrollment: &Value) -> String {
    format!("/api/v1/enrollments/{}", enrollment["id"])
}

async fn move_to(app: &TestApp, enrollment: &Value, status: &str) -> crate::support::TestResponse {
    app.patch(&path_of(enrollment), json!({"status": status})).await
}

db_test!(
    async fn twenty_concurrent_enrolments_into_five_free_seats_enrol_five_and_waitlist_fifteen(app) {
        let cohort = cohort(&app, Some(7)).await;
        for name in ["Seated One", "Seated Two"] {
            let t = trainee(&app, name).await;
            assert_eq!(enrol(&app, &cohort, &t).await["status"], "enrolled");
        }
        let mut trainees = Vec::new();
        for i in 0..20 {
            trainees.push(trainee(&app, &format!("Racer {i}")).await);
        }
        let path = enrollments_of(&cohort);
        let responses = futures::future::join_all(
            trainees.iter().map(|t| app.post(&path, json!({"trainee_id": t["id"]}))),
        )
        .await;
        let mut enrolled = 0;
        let mut waitlisted = 0;
        for response in &responses {
            assert_eq!(response.status, 201, "no error but by design: {}", response.text());
            match response.json()["status"].as_str() {
                Some("enrolled") => enrolled += 1,
                Some("waitlisted") => waitlisted += 1,
                other => panic!("unexpected status {other:?}"),
            }
        }
        assert_eq!((enrolled, waitlisted), (5, 15));
        let stored = app.get(&format!("/api/v1/cohorts/{}", cohort["id"])).await.json();
        assert_eq!((stored["enrolled"].clone(), stored["waitlisted"].clone()), (json!(7), json!(15)));
        let listed = app.get(&format!("{path}?status=enrolled")).await.json();
        assert_eq!(listed["total"], 7);
    }
);

db_test!(
    async fn a_withdrawal_enrols_the_longest_waiting_trainee_and_the_audit_trail_says_so(app) {
        let cohort = cohort(&app, Some(1)).await;
        let first = enrol(&app, &cohort, &trainee(&app, "Nguyễn Văn An").await).await;
        let second = enrol(&app, &cohort, &trainee(&app, "Trần Thị Bình").await).await;
        let third = enrol(&app, &cohort, &trainee(&app, "Lê Văn Cường").await).await;
        assert_eq!(
            [&first, &second, &third].map(|e| e["status"].clone()),
            [json!("enrolled"), json!("waitlisted"), json!("waitlisted")]
        );

        let withdrawn = move_to(&app, &first, "withdrawn").await;
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
        assert_eq!(app.get(&path_of(&second)).await.json()["status"], "enrolled", "the longest-waiting moves up");
        assert_eq!(app.get(&path_of(&third)).await.json()["status"], "waitlisted");

        let events = app
            .get(&format!("/api/v1/audit-events?entity_type=enrollment&entity_id={}", second["id"]))
            .await
            .json();
        let promotion = events["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|e| e["action"] == "update")
            .cloned()
            .expect("an update event for the promoted enrolment");
        assert_eq!(promotion["changes"]["status"], json!({"before": "waitlisted", "after": "enrolled"}));
        let reason = promotion["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("waitlist") && reason.contains("withdrew"), "{reason}");
    }
);

/// The moves the issue allows, from each status.
const ALLOWED: [(&str, &[&str]); 7] = [
    ("nominated", &["enrolled", "waitlisted", "rejected"]),
    ("waitlisted", &["enrolled"]),
    ("enrolled", &["withdrawn", "completed", "did_not_complete"]),
    ("rejected", &[]),
    ("withdrawn", &[]),
    ("completed", &[]),
    ("did_not_complete", &[]),
];

/// A new enrolment brought to `status` by allowed moves, in a cohort of its own.
async fn enrolment_in(app: &TestApp, cohorts: &str, n: usize, status: &str) -> Value {
    let cohort = app
        .create(
            cohorts,
            json!({"code": format!("C{n}"), "name": format!("Class {n}"), "capacity": 1}),
        )
        .await;
    let path = enrollments_of(&cohort);
    if status == "waitlisted" {
        let holder = trainee(app, &format!("Holder {n}")).await;
        app.create(&path, json!({"trainee_id": holder["id"]})).await;
    }
    let t = trainee(app, &format!("Trainee {n}")).await;
    let placement = if matches!(status, "nominated" | "rejected") {
        "nominated"
    } else {
        "enrolled"
    };
    let enrollment = app
        .create(&path, json!({"trainee_id": t["id"], "status": placement}))
        .await;
    let via = match status {
        "rejected" => Some("rejected"),
        "withdrawn" | "completed" | "did_not_complete" => Some(status),
        _ => None,
    };
    if let Some(next) = via {
        let moved = move_to(app, &enrollment, next).await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
    let current = app.get(&path_of(&enrollment)).await.json();
    assert_eq!(current["status"], status);
    current
}

db_test!(
    async fn every_move_outside_the_allowed_ones_is_409_naming_the_allowed_ones(app) {
        let (_, cohorts) = crate::cohorts::program_with_cohorts(&app, "P1").await;
        let statuses: Vec<&str> = ALLOWED.iter().map(|(s, _)| *s).collect();
        for (n, (from, allowed)) in ALLOWED.iter().enumerate() {
            let enrollment = enrolment_in(&app, &cohorts, n, from).await;
            for to in statuses.iter().filter(|s| *s != from && !allowed.contains(s)) {
                let problem = move_to(&app, &enrollment, to).await.assert_problem(409, "illegal_transition");
                let detail = problem["detail"].as_str().unwrap_or_default();
                let named = if allowed.is_empty() { "final".to_owned() } else { allowed.join(", ") };
                assert!(detail.contains(&named), "{from} -> {to}: {detail}");
            }
            assert_eq!(app.get(&path_of(&enrollment)).await.json()["version"], enrollment["version"], "{from} unchanged");
        }
    }
);

db_test!(
    async fn completing_issues_a_unique_certificate_number(app) {
        let cohort = cohort(&app, None).await;
        let mut numbers = Vec::new();
        for name in ["Phạm Minh Tuấn", "Đỗ Thu Hà"] {
            let e = enrol(&app, &cohort, &trainee(&app, name).await).await;
            assert_eq!(e["certificate_number"], Value::Null);
            let done = move_to(&app, &e, "completed").await.json();
            let number = done["certificate_number"].as_str().expect("a certificate number").to_owned();
            assert!(number.starts_with("JICA-YL/C3/"), "{number}");
            numbers.push(number);
        }
        assert_ne!(numbers[0], numbers[1]);
    }
);

db_test!(
    async fn a_trainee_is_in_a_cohort_at_most_once_and_a_full_cohort_takes_no_direct_enrolment(app) {
        let cohort = cohort(&app, Some(1)).await;
        let a = trainee(&app, "A Trainee").await;
        enrol(&app, &cohort, &a).await;
        app.post(&enrollments_of(&cohort), json!({"trainee_id": a["id"]})).await.assert_problem(409, "duplicate");

        let b = trainee(&app, "B Trainee").await;
        let nominated = app.create(&enrollments_of(&cohort), json!({"trainee_id": b["id"], "status": "nominated"})).await;
        assert_eq!(nominated["status"], "nominated");
        let problem = move_to(&app, &nominated, "enrolled").await.assert_problem(409, "cohort_full");
        assert!(problem["detail"].as_str().unwrap_or_default().contains("1 of 1"), "{problem}");
        assert_eq!(move_to(&app, &nominated, "waitlisted").await.json()["status"], "waitlisted");

        let problem = app.post(&enrollments_of(&cohort), json!({"trainee_id": 999999})).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/trainee_id");
    }
);

db_test!(
    async fn raising_the_capacity_enrols_the_waitlist_and_it_cannot_drop_below_the_seats_taken(app) {
        let cohort = cohort(&app, Some(1)).await;
        enrol(&app, &cohort, &trainee(&app, "First").await).await;
        let waiting = enrol(&app, &cohort, &trainee(&app, "Second").await).await;
        assert_eq!(waiting["status"], "waitlisted");
        let path = format!("/api/v1/cohorts/{}", cohort["id"]);
        app.patch(&path, json!({"capacity": 0})).await.assert_problem(409, "capacity_below_enrolled");
        let raised = app.patch(&path, json!({"capacity": 2})).await;
        assert_eq!(raised.status, 200, "{}", raised.text());
        assert_eq!(raised.json()["enrolled"], 2);
        assert_eq!(app.get(&path_of(&waiting)).await.json()["status"], "enrolled");
    }
);

db_test!(
    async fn a_retried_enrolment_with_the_same_idempotency_key_enrols_once(app) {
        let cohort = cohort(&app, None).await;
        let t = trainee(&app, "Retried Trainee").await;
        let path = enrollments_of(&cohort);
        let body = json!({"trainee_id": t["id"]});
        let (client, to) = (&app, &path);
        let send = |key: &'static str, body: Value| async move {
            let request = client.request(actix_web::http::Method::POST, to).insert_header(("Idempotency-Key", key));
            client.send(request, Some(&body)).await
        };
        let first = send("enrol-42", body.clone()).await;
        assert_eq!(first.status, 201, "{}", first.text());
        let again = send("enrol-42", body.clone()).await;
        assert_eq!(again.status, 201, "{}", again.text());
        assert_eq!(again.json()["id"], first.json()["id"], "the first answer, not a second enrolment");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(app.get(&path).await.json()["total"], 1);

        let other = trainee(&app, "Someone Else").await;
        send("enrol-42", json!({"trainee_id": other["id"]})).await.assert_problem(422, "idempotency_key_reused");
        // Without a key a repeat is a plain duplicate.
        app.post(&path, body).await.assert_problem(409, "duplicate");
    }
);

db_test!(
    async fn a_liaison_sees_only_seated_trainees_of_its_partners_cohorts(app) {
        let cohort = cohort(&app, Some(1)).await;
        let partner = app.create("/api/v1/partners", build::partner("JICA")).await;
        app.create(
            &format!("/api/v1/programs/{}/partners", cohort["program_id"]),
            json!({"partner_id": partner["id"], "roles": ["funder"]}),
        )
        .await;
        let seated = enrol(&app, &cohort, &trainee(&app, "Seated").await).await;
        let waiting = enrol(&app, &cohort, &trainee(&app, "Waiting").await).await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let listed = as_liaison.get(&enrollments_of(&cohort)).await.json();
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["id"], seated["id"]);
        assert_eq!(as_liaison.get(&path_of(&seated)).await.status, 200);
        as_liaison.get(&path_of(&waiting)).await.assert_problem(404, "not_found");
        as_liaison.patch(&path_of(&seated), json!({"status": "withdrawn"})).await.assert_problem(403, "forbidden");

        let outsider = app.create("/api/v1/partners", build::partner("OTHER")).await;
        let other_liaison = app.user(Role::Liaison, outsider["id"].as_i64()).await;
        app.as_user(&other_liaison).get(&path_of(&seated)).await.assert_problem(404, "not_found");
        app.as_user(&other_liaison).get(&enrollments_of(&cohort)).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_cohort_with_enrolments_cannot_be_deleted(app) {
        let cohort = cohort(&app, None).await;
        enrol(&app, &cohort, &trainee(&app, "Someone").await).await;
        app.delete(&format!("/api/v1/cohorts/{}", cohort["id"])).await.assert_problem(409, "in_use");
    }
);

db_test!(
    async fn a_nomination_waitlisted_while_seats_are_free_is_enrolled_at_once(app) {
        let cohort = cohort(&app, Some(2)).await;
        let t = trainee(&app, "Early Nominee").await;
        let nominated = app.create(&enrollments_of(&cohort), json!({"trainee_id": t["id"], "status": "nominated"})).await;
        let moved = move_to(&app, &nominated, "waitlisted").await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        assert_eq!(moved.json()["status"], "enrolled", "it does not wait behind later enrolments");
        assert!(moved.json()["waitlisted_at"].is_string(), "it was on the waitlist, briefly");
    }
);

db_test!(
    async fn a_liaison_filters_trainees_only_by_cohorts_it_can_see(app) {
        let cohort = cohort(&app, None).await;
        let partner = app.create("/api/v1/partners", build::partner("JICA")).await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let path = format!("/api/v1/trainees?cohort_id={}", cohort["id"]);
        app.as_user(&liaison).get(&path).await.assert_problem(404, "not_found");
        enrol(&app, &cohort, &trainee(&app, "Seen By Staff").await).await;
        assert_eq!(app.get(&path).await.json()["total"], 1);
    }
);
