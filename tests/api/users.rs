use serde_json::json;

use crate::db_test;
use crate::support::{TEST_PASSWORD, urlencode};

db_test!(
    async fn an_admin_creates_an_account_that_can_sign_in(app) {
        let response = app
            .post(
                "/api/v1/users",
                json!({"email": "Lan.Nguyen@Example.gov.vn", "display_name": "Nguyễn Thị Lan", "role": "officer",
                       "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        let user = response.json();
        assert_eq!(user["display_name"], "Nguyễn Thị Lan");
        assert_eq!(user["active"], true);
        assert!(user.get("password").is_none() && user.get("password_hash").is_none(), "{user}");
        assert_eq!(app.sign_in("lan.nguyen@example.gov.vn", TEST_PASSWORD).await.status, 200);

        let duplicate = app
            .post("/api/v1/users", json!({"email": "LAN.NGUYEN@example.gov.vn", "display_name": "Again", "role": "reporter",
                                           "password": TEST_PASSWORD}))
            .await;
        duplicate.assert_problem(409, "duplicate");

        let listed = app.get("/api/v1/users?role=officer").await.json();
        assert_eq!(listed["total"], 1);
        for q in ["nguyen thi", "NGUYỄN", "lan.nguyen@"] {
            let found = app.get(&format!("/api/v1/users?q={}", urlencode(q))).await.json();
            assert_eq!(found["total"], 1, "q={q}: {found}");
        }
        let events = app.get(&format!("/api/v1/audit-events?entity_type=user&entity_id={}", user["id"])).await.json();
        assert_eq!(events["items"][0]["actor"], app.admin_email.as_str());
    }
);

db_test!(
    async fn a_liaison_needs_a_partner_and_other_roles_must_not_have_one(app) {
        let partner = app.partner().code("JICA").create().await;
        let liaison = |partner_id: serde_json::Value, role: &str| {
            json!({"email": format!("{role}@example.test"), "display_name": "X", "role": role,
                   "partner_id": partner_id, "password": TEST_PASSWORD})
        };
        let problem = app.post("/api/v1/users", liaison(json!(null), "liaison")).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/partner_id");
        let problem = app.post("/api/v1/users", liaison(partner["id"].clone(), "officer")).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/partner_id");
        let problem = app.post("/api/v1/users", liaison(json!(999), "liaison")).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/partner_id");
        assert_eq!(app.post("/api/v1/users", liaison(partner["id"].clone(), "liaison")).await.status, 201);
    }
);

db_test!(
    async fn passwords_must_be_long_and_not_the_email(app) {
        let body = |password: &str| json!({"email": "x@example.test", "display_name": "X", "role": "reporter", "password": password});
        let problem = app.post("/api/v1/users", body("short")).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/password");
        let problem = app.post("/api/v1/users", body("X@example.test")).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/password");
        app.post("/api/v1/users", body(&"p".repeat(129))).await.assert_problem(422, "validation_failed");
    }
);

db_test!(
    async fn an_admin_sets_a_new_password_and_the_old_sessions_end(app) {
        let officer = app.user(tpms::users::Role::Officer, None).await;
        let new_password = "set by the administrator";
        let changed = app.patch(&format!("/api/v1/users/{}", officer.id), json!({"password": new_password})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        app.anonymous()
            .post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token}))
            .await
            .assert_problem(401, "unauthorized");
        assert_eq!(app.sign_in(&officer.email, new_password).await.status, 200);
    }
);

db_test!(
    async fn an_admin_cannot_lock_themselves_out(app) {
        let me = app.get("/api/v1/auth/me").await.json();
        let path = format!("/api/v1/users/{}", me["id"]);
        app.patch(&path, json!({"active": false})).await.assert_problem(409, "own_account");
        app.patch(&path, json!({"role": "reporter"})).await.assert_problem(409, "own_account");
        app.patch(&path, json!({"password": "a new password for me"})).await.assert_problem(409, "own_account");
        assert_eq!(app.patch(&path, json!({"display_name": "Still me"})).await.status, 200);
    }
);
