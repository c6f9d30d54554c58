//! A trainee's consents (issue 31, item 1): recorded by officers, withdrawn at the trainee's word,
//! and read at every request by the one rule that lets a partner's liaison see contact details.

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::enrollments::EnrollmentStatus;
use tpms::users::Role;

use crate::db_test;
use crate::support::TestApp;

/// `POST` a consent for `trainee` as the admin and return the answer.
async fn consent(app: &TestApp, trainee: &Value, body: Value) -> crate::support::TestResponse {
    app.post(&format!("/api/v1/trainees/{}/consents", trainee["id"]), body)
        .await
}

/// Withdraw `consent` of `trainee` at the version it holds.
async fn withdraw(app: &TestApp, consent: &Value) -> crate::support::TestResponse {
    let path = format!(
        "/api/v1/trainees/{}/consents/{}/withdrawal",
        consent["trainee_id"], consent["id"]
    );
    let version = format!("\"{}\"", consent["version"]);
    app.send(
        app.request(Method::POST, &path).insert_header(("If-Match", version)),
        None,
    )
    .await
}

db_test!(
    async fn a_liaison_reads_contacts_with_the_trainees_consent_and_not_after_its_withdrawal(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let koica = app.partner().code("KOICA").country("KR").create().await;
        let program = app.program().code("JICA-YL").create().await;
        app.program_partner(&program, &jica).sharing_trainee_contacts().create().await;
        let class = app.cohort(&program).code("YL-1").create().await;
        let duc = app
            .trainee()
            .full_name("Nguyễn Văn Đức")
            .email("duc@example.test")
            .phone("+84 24 3824 0000")
            .create()
            .await;
        let mai = app.trainee().full_name("Trần Thị Mai").email("mai@example.test").create().await;
        app.enrollment(&class, &duc).status(EnrollmentStatus::Enrolled).create().await;
        app.enrollment(&class, &mai).status(EnrollmentStatus::Enrolled).create().await;
        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        let duc_path = format!("/api/v1/trainees/{}", duc["id"]);

        let seen = as_liaison.get(&duc_path).await.json();
        assert_eq!([&seen["email"], &seen["phone"]], [&Value::Null; 2], "shared, but not consented: {seen}");

        // Mai agreed to share hers with another partner only.
        assert_eq!(consent(&app, &mai, json!({"purpose": "partner_contacts", "partner_id": koica["id"]})).await.status, 201);
        let officer = app.user(Role::Officer, None).await;
        let given = app
            .as_user(&officer)
            .post(
                &format!("/api/v1/trainees/{}/consents", duc["id"]),
                json!({"purpose": "partner_contacts", "partner_id": jica["id"], "given_on": "2026-01-15",
                       "note": "signed form, file 12"}),
            )
            .await;
        assert_eq!(given.status, 201, "{}", given.text());
        let given = given.json();
        assert_eq!(
            (&given["method"], &given["recorded_by"], &given["given_at"], &given["withdrawable"]),
            (&json!("paper"), &json!(officer.id), &json!("2026-01-15T00:00:00Z"), &json!(true)),
            "{given}"
        );

        let seen = as_liaison.get(&duc_path).await.json();
        assert_eq!([&seen["email"], &seen["phone"]], ["duc@example.test", "+84 24 3824 0000"], "{seen}");
        let listed = as_liaison.get("/api/v1/trainees?sort=full_name").await.json();
        let emails: Vec<&Value> = listed["items"].as_array().expect("items").iter().map(|t| &t["email"]).collect();
        assert_eq!(emails, [&json!("duc@example.test"), &Value::Null], "the list reads as the record: {listed}");
        let csv = as_liaison.get("/api/v1/trainees?format=csv").await.text();
        assert!(csv.contains("duc@example.test") && !csv.contains("mai@example.test"), "and the export: {csv}");

        let withdrawn = withdraw(&app, &given).await;
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
        let withdrawn = withdrawn.json();
        assert!(withdrawn["withdrawn_at"].is_string(), "{withdrawn}");
        let seen = as_liaison.get(&duc_path).await.json();
        assert_eq!([&seen["email"], &seen["phone"]], [&Value::Null; 2], "from the next request on: {seen}");
        let csv = as_liaison.get("/api/v1/trainees?format=csv").await.text();
        assert!(!csv.contains("duc@example.test"), "{csv}");
        withdraw(&app, &withdrawn).await.assert_problem(409, "already_withdrawn");

        let history = app.get(&format!("/api/v1/trainees/{}/consents", duc["id"])).await.json();
        assert_eq!(history["total"], 1, "a withdrawn consent stays, with its day: {history}");
        let standing = app.get(&format!("/api/v1/trainees/{}/consents?standing=true", duc["id"])).await.json();
        assert_eq!(standing["total"], 0);
        // Given again, it counts again.
        assert_eq!(consent(&app, &duc, json!({"purpose": "partner_contacts", "partner_id": jica["id"]})).await.status, 201);
        assert_eq!(as_liaison.get(&duc_path).await.json()["email"], "duc@example.test");

        let audit = app.get(&format!("/api/v1/audit-events?entity_type=consent&entity_id={}", given["id"])).await.json();
        assert_eq!(audit["total"], 2, "recorded and withdrawn, each audited: {audit}");
    }
);

db_test!(
    async fn a_liaison_reads_no_contacts_the_trainee_consented_to_where_the_programme_does_not_share_them(app) {
        let jica = app.partner().code("JICA").country("JP").create().await;
        let program = app.program().code("JICA-NS").create().await;
        // The partner's link to the programme does not share trainees' contact details.
        app.program_partner(&program, &jica).create().await;
        let class = app.cohort(&program).code("NS-1").create().await;
        let lan = app
            .trainee()
            .full_name("Đỗ Thị Lan")
            .email("lan@example.test")
            .phone("+84 24 3733 1111")
            .create()
            .await;
        app.enrollment(&class, &lan).status(EnrollmentStatus::Enrolled).create().await;
        let given = consent(&app, &lan, json!({"purpose": "partner_contacts", "partner_id": jica["id"]})).await;
        assert_eq!(given.status, 201, "{}", given.text());

        let as_liaison = app.as_user(&app.user(Role::Liaison, jica["id"].as_i64()).await);
        let seen = as_liaison.get(&format!("/api/v1/trainees/{}", lan["id"])).await;
        assert_eq!(seen.status, 200, "the liaison sees the trainee: {}", seen.text());
        let seen = seen.json();
        assert_eq!(seen["full_name"], "Đỗ Thị Lan");
        assert_eq!([&seen["email"], &seen["phone"]], [&Value::Null; 2], "consented, but not shared: {seen}");
        let listed = as_liaison.get("/api/v1/trainees").await.json();
        assert_eq!(listed["items"][0]["email"], Value::Null, "the list reads as the record: {listed}");
        let csv = as_liaison.get("/api/v1/trainees?format=csv").await.text();
        assert!(csv.contains("Đỗ Thị Lan") && !csv.contains("lan@example.test") && !csv.contains("3733"), "and the export: {csv}");
    }
);

db_test!(
    async fn the_departments_own_reporting_is_shown_but_cannot_be_withdrawn(app) {
        let trainee = app.trainee().full_name("Lê Minh Tâm").create().await;
        let duty = consent(&app, &trainee, json!({"purpose": "department_reporting"})).await;
        assert_eq!(duty.status, 201, "{}", duty.text());
        let duty = duty.json();
        assert_eq!(duty["withdrawable"], false, "{duty}");
        let refused = withdraw(&app, &duty).await.assert_problem(409, "not_withdrawable");
        assert!(refused["detail"].as_str().is_some_and(|d| d.contains("law")), "{refused}");
        let follow_up = consent(&app, &trainee, json!({"purpose": "follow_up", "method": "import"})).await.json();
        assert_eq!(withdraw(&app, &follow_up).await.status, 200);
        let listed = app.get(&format!("/api/v1/trainees/{}/consents", trainee["id"])).await.json();
        let purposes: Vec<(&Value, bool)> = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| (&c["purpose"], c["withdrawn_at"].is_null()))
            .collect();
        assert_eq!(purposes, [(&json!("department_reporting"), true), (&json!("follow_up"), false)]);
    }
);

db_test!(
    async fn a_consent_names_a_partner_exactly_when_it_shares_contacts_and_stands_once(app) {
        let jica = app.partner().code("JICA").create().await;
        let trainee = app.trainee().full_name("Phạm Thu Hà").create().await;
        let problem = consent(&app, &trainee, json!({"purpose": "partner_contacts"})).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/partner_id", "{problem}");
        consent(&app, &trainee, json!({"purpose": "follow_up", "partner_id": jica["id"]}))
            .await
            .assert_problem(422, "validation_failed");
        consent(&app, &trainee, json!({"purpose": "partner_contacts", "partner_id": 999_999}))
            .await
            .assert_problem(422, "validation_failed");
        consent(&app, &trainee, json!({"purpose": "follow_up", "method": "link"}))
            .await
            .assert_problem(422, "validation_failed");
        consent(&app, &trainee, json!({"purpose": "follow_up", "given_on": "2999-01-01"}))
            .await
            .assert_problem(422, "validation_failed");
        let first = consent(&app, &trainee, json!({"purpose": "partner_contacts", "partner_id": jica["id"]})).await;
        assert_eq!(first.status, 201, "{}", first.text());
        consent(&app, &trainee, json!({"purpose": "partner_contacts", "partner_id": jica["id"]}))
            .await
            .assert_problem(409, "duplicate");
        app.get("/api/v1/trainees/999999/consents").await.assert_problem(404, "not_found");
        let other = app.trainee().full_name("Vũ Thanh Sơn").create().await;
        app.get(&format!("/api/v1/trainees/{}/consents/{}", other["id"], first.json()["id"]))
            .await
            .assert_problem(404, "not_found");

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let path = format!("/api/v1/trainees/{}/consents", trainee["id"]);
        app.as_user(&liaison).get(&path).await.assert_problem(403, "forbidden");
        let reporter = app.user(Role::Reporter, None).await;
        assert_eq!(app.as_user(&reporter).get(&path).await.json()["total"], 1);
        app.as_user(&reporter)
            .post(&path, json!({"purpose": "follow_up"}))
            .await
            .assert_problem(403, "forbidden");
    }
);
