//! Enrolments: capacity under concurrency, the waitlist, every state move, certificates,
//! idempotent creation, and what a liaison sees.

use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, enrollments_of};
use tpms::enrollments::EnrollmentStatus;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

fn path_of(enrollment: &Value) -> String {
    format!("/api/v1/enrollments/{}", enrollment["id"])
}

async fn move_to(app: &TestApp, enrollment: &Value, status: &str) -> crate::support::TestResponse {
    app.patch(&path_of(enrollment), json!({"status": status})).await
}

db_test!(
    async fn twenty_concurrent_enrolments_into_five_free_seats_enrol_five_and_waitlist_fifteen(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(7).create().await;
        for name in ["Seated One", "Seated Two"] {
            let t = app.trainee().full_name(name).create().await;
            assert_eq!(app.enrollment(&cohort, &t).create().await["status"], "enrolled");
        }
        let mut trainees = Vec::new();
        for i in 0..20 {
            trainees.push(app.trainee().full_name(format!("Racer {i}")).create().await);
        }
        let path = enrollments_of(&cohort);
        let responses = futures::future::join_all(
            trainees.iter().map(|t| app.post(&path, app.enrollment(&cohort, t).json())),
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
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let an = app.trainee().full_name("Nguyễn Văn An").create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let cuong = app.trainee().full_name("Lê Văn Cường").create().await;
        let first = app.enrollment(&cohort, &an).create().await;
        let second = app.enrollment(&cohort, &binh).create().await;
        let third = app.enrollment(&cohort, &cuong).create().await;
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
    ("nominated", &["enrolled", "waitlisted", "rejected", "withdrawn"]),
    ("waitlisted", &["enrolled", "withdrawn", "rejected"]),
    ("enrolled", &["withdrawn", "completed", "did_not_complete"]),
    ("rejected", &[]),
    ("withdrawn", &[]),
    ("completed", &[]),
    ("did_not_complete", &[]),
];

/// A new enrolment brought to `status` by allowed moves, in a cohort of its own of `program`
/// with one seat (taken first by another trainee, for `waitlisted`).
async fn enrolment_in(app: &TestApp, program: &Value, n: usize, status: &str) -> Value {
    let cohort = app
        .cohort(program)
        .code(format!("C{n}"))
        .name(format!("Class {n}"))
        .capacity(1)
        .create()
        .await;
    if status == "waitlisted" {
        let holder = app.trainee().full_name(format!("Holder {n}")).create().await;
        app.enrollment(&cohort, &holder).create().await;
    }
    let trainee = app.trainee().full_name(format!("Trainee {n}")).create().await;
    let wanted: EnrollmentStatus = status.parse().expect("a known status");
    let enrollment = app.enrollment(&cohort, &trainee).status(wanted).create().await;
    let current = app.get(&path_of(&enrollment)).await.json();
    assert_eq!(current["status"], status);
    current
}

db_test!(
    async fn every_move_outside_the_allowed_ones_is_409_naming_the_allowed_ones(app) {
        let program = app.program().code("P1").create().await;
        let statuses: Vec<&str> = ALLOWED.iter().map(|(s, _)| *s).collect();
        for (n, (from, allowed)) in ALLOWED.iter().enumerate() {
            let enrollment = enrolment_in(&app, &program, n, from).await;
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
        let program = app.program().code("JICA-YL").create().await;
        let cohort = app.cohort(&program).code("C3").name("Class 3").create().await;
        let mut numbers = Vec::new();
        for name in ["Phạm Minh Tuấn", "Đỗ Thu Hà"] {
            let trainee = app.trainee().full_name(name).create().await;
            let e = app.enrollment(&cohort, &trainee).create().await;
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
    async fn seats_held_by_completed_and_unfinished_trainees_waitlist_the_next_enrolment(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(2).create().await;
        for (name, end) in [("Done Trainee", "completed"), ("Left Trainee", "did_not_complete")] {
            let trainee = app.trainee().full_name(name).create().await;
            let seated = app.enrollment(&cohort, &trainee).create().await;
            assert_eq!(move_to(&app, &seated, end).await.json()["status"], end);
        }
        let late = app.trainee().full_name("Late Trainee").create().await;
        let placed = app.enrollment(&cohort, &late).create().await;
        assert_eq!(placed["status"], "waitlisted", "{placed}");
    }
);

db_test!(
    async fn a_trainee_is_in_a_cohort_at_most_once_and_a_full_cohort_takes_no_direct_enrolment(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let a = app.trainee().full_name("A Trainee").create().await;
        app.enrollment(&cohort, &a).create().await;
        app.enrollment(&cohort, &a).post().await.assert_problem(409, "duplicate");

        let b = app.trainee().full_name("B Trainee").create().await;
        let nominated = app.enrollment(&cohort, &b).nominated().create().await;
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
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let first = app.trainee().full_name("First").create().await;
        let second = app.trainee().full_name("Second").create().await;
        app.enrollment(&cohort, &first).create().await;
        let waiting = app.enrollment(&cohort, &second).create().await;
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
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let t = app.trainee().full_name("Retried Trainee").create().await;
        let path = enrollments_of(&cohort);
        let body = app.enrollment(&cohort, &t).json();
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

        let other = app.trainee().full_name("Someone Else").create().await;
        send("enrol-42", app.enrollment(&cohort, &other).json()).await.assert_problem(422, "idempotency_key_reused");
        // Without a key a repeat is a plain duplicate.
        app.post(&path, body).await.assert_problem(409, "duplicate");
    }
);

db_test!(
    async fn a_liaison_sees_only_seated_trainees_of_its_partners_cohorts(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let partner = app.partner().code("JICA").create().await;
        app.program_partner(&program, &partner).role(PartnerRole::Funder).create().await;
        let first = app.trainee().full_name("Seated").create().await;
        let second = app.trainee().full_name("Waiting").create().await;
        let seated = app.enrollment(&cohort, &first).create().await;
        let waiting = app.enrollment(&cohort, &second).create().await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let listed = as_liaison.get(&enrollments_of(&cohort)).await.json();
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["id"], seated["id"]);
        assert_eq!(as_liaison.get(&path_of(&seated)).await.status, 200);
        as_liaison.get(&path_of(&waiting)).await.assert_problem(404, "not_found");
        as_liaison.patch(&path_of(&seated), json!({"status": "withdrawn"})).await.assert_problem(403, "forbidden");

        let outsider = app.partner().code("OTHER").create().await;
        let other_liaison = app.user(Role::Liaison, outsider["id"].as_i64()).await;
        app.as_user(&other_liaison).get(&path_of(&seated)).await.assert_problem(404, "not_found");
        app.as_user(&other_liaison).get(&enrollments_of(&cohort)).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_cohort_with_enrolments_cannot_be_deleted(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let someone = app.trainee().full_name("Someone").create().await;
        app.enrollment(&cohort, &someone).create().await;
        app.delete(&format!("/api/v1/cohorts/{}", cohort["id"])).await.assert_problem(409, "in_use");
    }
);

db_test!(
    async fn a_nomination_waitlisted_while_seats_are_free_is_enrolled_at_once(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(2).create().await;
        let t = app.trainee().full_name("Early Nominee").create().await;
        let nominated = app.enrollment(&cohort, &t).nominated().create().await;
        let moved = move_to(&app, &nominated, "waitlisted").await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        assert_eq!(moved.json()["status"], "enrolled", "it does not wait behind later enrolments");
        assert!(moved.json()["waitlisted_at"].is_string(), "it was on the waitlist, briefly");
    }
);

db_test!(
    async fn a_liaison_filters_trainees_only_by_cohorts_it_can_see(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let partner = app.partner().code("JICA").create().await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let path = format!("/api/v1/trainees?cohort_id={}", cohort["id"]);
        app.as_user(&liaison).get(&path).await.assert_problem(404, "not_found");
        let seen = app.trainee().full_name("Seen By Staff").create().await;
        app.enrollment(&cohort, &seen).create().await;
        assert_eq!(app.get(&path).await.json()["total"], 1);
    }
);

/// A cohort of `capacity` seats with `n` trainees nominated into it, and their enrolments.
async fn nominated_class(app: &TestApp, capacity: i32, n: usize) -> (Value, Vec<Value>) {
    let program = app.program().create().await;
    let cohort = app.cohort(&program).capacity(capacity).create().await;
    let mut nominated = Vec::with_capacity(n);
    for i in 0..n {
        let trainee = app.trainee().full_name(format!("Nguyễn Văn {i}")).create().await;
        nominated.push(
            app.enrollment(&cohort, &trainee)
                .status(EnrollmentStatus::Nominated)
                .create()
                .await,
        );
    }
    (cohort, nominated)
}

async fn bulk_move(app: &TestApp, cohort: &Value, body: Value) -> crate::support::TestResponse {
    app.post(&format!("{}/moves", enrollments_of(cohort)), body).await
}

db_test!(
    async fn approving_a_class_of_nominations_is_one_request_and_each_move_is_audited(app) {
        let (cohort, nominated) = nominated_class(&app, 20, 3).await;
        let ids: Vec<&Value> = nominated.iter().map(|e| &e["id"]).collect();
        let moved = bulk_move(&app, &cohort, json!({"status": "enrolled", "enrollment_ids": ids})).await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        let moved = moved.json();
        assert_eq!(moved["moved"], 3);
        assert!(moved["items"].as_array().expect("items").iter().all(|e| e["status"] == "enrolled"), "{moved}");
        for enrollment in &nominated {
            let events = app.get(&format!("/api/v1/audit-events?entity_type=enrollment&entity_id={}", enrollment["id"])).await.json();
            let changed = events["items"].as_array().expect("items").iter().filter(|e| e["action"] == "update").count();
            assert_eq!(changed, 1, "one update event for enrolment {}: {events}", enrollment["id"]);
        }
    }
);

db_test!(
    async fn a_bulk_move_with_one_refusal_moves_nothing_and_names_each_refusal_by_pointer(app) {
        let (cohort, nominated) = nominated_class(&app, 1, 3).await;
        let (_, elsewhere) = nominated_class(&app, 5, 1).await;
        let ids = json!([nominated[0]["id"], nominated[1]["id"], elsewhere[0]["id"]]);
        let problem = bulk_move(&app, &cohort, json!({"status": "enrolled", "enrollment_ids": ids}))
            .await
            .assert_problem(409, "refused");
        let refusals = crate::support::named_errors(&problem);
        let expected = [("#/enrollment_ids/1", "cohort_full"), ("#/enrollment_ids/2", "not_found")];
        assert_eq!(refusals, expected.map(|(p, c)| (p.to_owned(), c.to_owned())));
        let first = app.get(&path_of(&nominated[0])).await.json();
        assert_eq!(first["status"], "nominated", "the first move was undone with the rest");
    }
);

db_test!(
    async fn a_waitlisted_trainee_can_withdraw_and_completing_the_cohort_closes_the_waitlist(app) {
        let (cohort, nominated) = nominated_class(&app, 1, 4).await;
        for enrollment in &nominated[..3] {
            let status = if enrollment == &nominated[0] { "enrolled" } else { "waitlisted" };
            let moved = move_to(&app, enrollment, status).await;
            assert_eq!(moved.status, 200, "{}", moved.text());
        }
        let withdrawn = app
            .patch(&path_of(&nominated[1]), json!({"status": "withdrawn", "reason": "took another posting"}))
            .await
            .json();
        assert_eq!(withdrawn["status"], "withdrawn");
        assert_eq!(withdrawn["end_reason"], "took another posting");
        assert!(withdrawn["ended_at"].is_string(), "{withdrawn}");

        let cohort_path = format!("/api/v1/cohorts/{}", cohort["id"]);
        for status in ["open", "in_progress", "completed"] {
            let moved = app.patch(&cohort_path, json!({"status": status})).await;
            assert_eq!(moved.status, 200, "{}", moved.text());
        }
        for stuck in [&nominated[2], &nominated[3]] {
            let closed = app.get(&path_of(stuck)).await.json();
            assert_eq!(closed["status"], "rejected", "{closed}");
            let reason = closed["end_reason"].as_str().unwrap_or_default();
            assert!(reason.contains("waitlist closed") && reason.contains("completed"), "{reason}");
            assert!(closed["ended_at"].is_string(), "{closed}");
        }
        let seated = app.get(&path_of(&nominated[0])).await.json();
        assert_eq!(seated["status"], "enrolled", "a seated trainee is not touched: {seated}");
    }
);

db_test!(
    async fn when_an_enrolment_completed_is_recorded_and_filterable(app) {
        let (cohort, nominated) = nominated_class(&app, 5, 2).await;
        for enrollment in &nominated {
            move_to(&app, enrollment, "enrolled").await;
        }
        let done = move_to(&app, &nominated[0], "completed").await.json();
        let completed_at = done["completed_at"].as_str().expect("completed_at").to_owned();
        assert_eq!(done["ended_at"], completed_at.as_str());
        assert_eq!(app.get(&path_of(&nominated[1])).await.json()["completed_at"], Value::Null);

        let today = &completed_at[..10];
        let found = app.get(&format!("{}?status=completed&ended_from={today}&ended_to={today}", enrollments_of(&cohort))).await.json();
        assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
        let none = app.get(&format!("{}?status=completed&ended_to=2000-01-01", enrollments_of(&cohort))).await.json();
        assert_eq!(none["items"].as_array().map(Vec::len), Some(0), "{none}");
    }
);

db_test!(
    async fn a_liaison_reads_no_officers_notes_on_an_enrolment_one_by_one_listed_or_exported(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let partner = app.partner().code("JICA").create().await;
        app.program_partner(&program, &partner).role(PartnerRole::Funder).create().await;
        let trainee = app.trainee().full_name("Noted Trainee").create().await;
        let enrolled = app.enrollment(&cohort, &trainee).notes("nominated as a favour to the director").create().await;
        assert_eq!(app.get(&path_of(&enrolled)).await.json()["notes"], "nominated as a favour to the director", "staff read them");
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let one = as_liaison.get(&path_of(&enrolled)).await.json();
        assert_eq!(one["notes"], json!(null), "{one}");
        let listed = as_liaison.get(&enrollments_of(&cohort)).await.json();
        assert_eq!(listed["items"][0]["notes"], json!(null), "{listed}");
        let exported = as_liaison.get(&format!("{}?format=csv", enrollments_of(&cohort))).await;
        assert_eq!(exported.status, 200);
        assert!(!exported.text().contains("favour"), "{}", exported.text());
    }
);
