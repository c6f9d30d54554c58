//! Two servers on one database, as docker-compose runs them behind a load balancer: what one
//! server decides, the other must respect, because the state lives in the database and not in
//! either process.

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::users::Role;

use crate::db_test;
use crate::support::{TEST_PASSWORD, TestApp, enrollments_of};

/// The status of `GET /auth/me` with `token` on `server`.
async fn me_with(server: &TestApp, token: &str) -> u16 {
    server.as_token(token).get("/api/v1/auth/me").await.status
}

db_test!(
    async fn twenty_enrolments_sent_to_two_servers_at_once_fill_five_seats_exactly(app) {
        let other = app.second_server();
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(5).create().await;
        let mut trainees = Vec::new();
        for i in 0..20 {
            trainees.push(app.trainee().full_name(format!("Racer {i}")).create().await);
        }
        let path = enrollments_of(&cohort);
        let responses = futures::future::join_all(trainees.iter().enumerate().map(|(i, t)| {
            let server = if i % 2 == 0 { &app } else { &other };
            server.post(&path, app.enrollment(&cohort, t).json())
        }))
        .await;
        let mut statuses: Vec<String> = Vec::new();
        for response in &responses {
            assert_eq!(response.status, 201, "no error but by design: {}", response.text());
            statuses.push(response.json()["status"].as_str().unwrap_or("?").to_owned());
        }
        let enrolled = statuses.iter().filter(|s| *s == "enrolled").count();
        let waitlisted = statuses.iter().filter(|s| *s == "waitlisted").count();
        assert_eq!((enrolled, waitlisted), (5, 15), "{statuses:?}");
        let stored = other.get(&format!("/api/v1/cohorts/{}", cohort["id"])).await.json();
        assert_eq!((&stored["enrolled"], &stored["waitlisted"]), (&json!(5), &json!(15)));
    }
);

db_test!(
    async fn a_create_retried_on_the_other_server_is_replayed_not_repeated(app) {
        let other = app.second_server();
        let body = json!({"full_name": "Nguyễn Văn Đức"});
        let send = |server: &TestApp| {
            server
                .request(Method::POST, "/api/v1/trainees")
                .insert_header(("Idempotency-Key", "cut-off-by-a-restart"))
        };
        let first = app.send(send(&app), Some(&body)).await;
        assert_eq!(first.status, 201, "{}", first.text());
        // The first server went away before answering; the load balancer sends the retry elsewhere.
        let again = other.send(send(&other), Some(&body)).await;
        assert_eq!(again.status, 201, "{}", again.text());
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first.json()["id"], "one trainee, not two");
        let changed = other.send(send(&other), Some(&json!({"full_name": "Trần Thị Mai"}))).await;
        changed.assert_problem(422, "idempotency_key_reused");
        assert_eq!(app.get("/api/v1/trainees").await.json()["total"], 1);
    }
);

db_test!(
    async fn failed_sign_ins_on_one_server_delay_the_email_on_the_other(app) {
        let other = app.second_server();
        let officer = app.user(Role::Officer, None).await;
        for attempt in 1..=5 {
            let server = if attempt % 2 == 0 { &app } else { &other };
            assert_eq!(server.sign_in(&officer.email, "a wrong password, again").await.status, 401);
        }
        for server in [&app, &other] {
            server.sign_in(&officer.email, TEST_PASSWORD).await.assert_problem(429, "too_many_failures");
        }
        // Lifted on one server, lifted on both.
        let lifted = app.post(&format!("/api/v1/users/{}/unlock", officer.id), json!({})).await;
        assert!(lifted.status < 300, "{}", lifted.text());
        assert_eq!(other.sign_in(&officer.email, TEST_PASSWORD).await.status, 200);
    }
);

db_test!(
    async fn a_refresh_token_reused_on_the_other_server_ends_the_sign_in_on_both(app) {
        let other = app.second_server();
        let officer = app.user(Role::Officer, None).await;
        let rotated: Value = app
            .anonymous()
            .post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token}))
            .await
            .json();
        let new_access = rotated["access_token"].as_str().expect("an access token").to_owned();
        assert_eq!(me_with(&other, &new_access).await, 200, "a token from one server works on the other");

        let reuse = other.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token})).await;
        reuse.assert_problem(401, "unauthorized");
        let legitimate = rotated["refresh_token"].clone();
        let after = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": legitimate})).await;
        after.assert_problem(401, "unauthorized");
        for server in [&app, &other] {
            for access in [&officer.access_token, &new_access] {
                assert_eq!(me_with(server, access).await, 401, "the whole chain ends, on every server");
            }
        }
    }
);
