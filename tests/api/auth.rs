use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tpms::users::Role;

use crate::db_test;
use crate::support::{TEST_JWT_SECRET, TEST_PASSWORD, TestApp};

fn claims(app_user_id: i64, role: &str, sid: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": app_user_id.to_string(), "role": role, "iss": "tpms", "aud": "tpms-api",
           "exp": now + 600, "nbf": now, "iat": now, "jti": "test", "sid": sid})
}

/// The sign-in session (`sid`) an access token names, read from its payload.
fn session_of(access_token: &str) -> String {
    let payload = access_token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["sid"].as_str().expect("a sid").to_owned()
}

fn mint(secret: &str, algorithm: Algorithm, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signs")
}

fn unsigned(claims: &Value) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(claims))
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.as_token(token).get("/api/v1/auth/me").await.status
}

db_test!(
    async fn signing_in_returns_a_token_pair_and_me_names_the_caller(app) {
        let officer = app.user(Role::Officer, None).await;
        let response = app.sign_in(&officer.email.to_uppercase(), TEST_PASSWORD).await;
        assert_eq!(response.status, 200, "emails match regardless of case: {}", response.text());
        let pair = response.json();
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        assert!(pair["refresh_token"].as_str().is_some_and(|t| t.len() >= 43), "256 bits: {pair}");

        let me = app.as_user(&officer).get("/api/v1/auth/me").await;
        assert_eq!(me.status, 200);
        let me = me.json();
        assert_eq!(me["email"], officer.email.as_str());
        assert_eq!(me["role"], "officer");
        assert!(me.get("password_hash").is_none(), "no hash leaves the server: {me}");
        assert!(me["last_login_at"].is_string());
    }
);

db_test!(
    async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(app) {
        let officer = app.user(Role::Officer, None).await;
        let wrong_password = app.sign_in(&officer.email, "not the password at all").await;
        let unknown_email = app.sign_in("nobody@example.test", "not the password at all").await;
        for response in [&wrong_password, &unknown_email] {
            response.assert_problem(401, "invalid_credentials");
            assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        }
        assert_eq!(wrong_password.json()["detail"], unknown_email.json()["detail"]);
    }
);

db_test!(
    async fn tokens_that_are_expired_early_foreign_unsigned_or_for_another_audience_are_refused(app) {
        let officer = app.user(Role::Officer, None).await;
        let good = claims(officer.id, "officer", &session_of(&officer.access_token));
        assert_eq!(status_with(&app, &mint(TEST_JWT_SECRET, Algorithm::HS256, &good)).await, 200, "a well-made token works");

        let now = chrono::Utc::now().timestamp();
        let mut expired = good.clone();
        expired["exp"] = json!(now - 3600);
        let mut early = good.clone();
        early["nbf"] = json!(now + 3600);
        let mut audience = good.clone();
        audience["aud"] = json!("someone-else");
        let mut issuer = good.clone();
        issuer["iss"] = json!("someone-else");
        let cases = [
            ("expired", mint(TEST_JWT_SECRET, Algorithm::HS256, &expired)),
            ("not yet valid", mint(TEST_JWT_SECRET, Algorithm::HS256, &early)),
            ("another secret", mint("another-secret-of-at-least-thirty-two-bytes", Algorithm::HS256, &good)),
            ("another algorithm", mint(TEST_JWT_SECRET, Algorithm::HS512, &good)),
            ("alg none", unsigned(&good)),
            ("another audience", mint(TEST_JWT_SECRET, Algorithm::HS256, &audience)),
            ("another issuer", mint(TEST_JWT_SECRET, Algorithm::HS256, &issuer)),
            ("garbage", "not.a.token".to_owned()),
        ];
        for (what, token) in cases {
            let response = app.as_token(&token).get("/api/v1/auth/me").await;
            assert_eq!(response.status, 401, "{what}: {}", response.text());
            assert_eq!(response.header("www-authenticate"), Some("Bearer"), "{what}");
        }
        app.anonymous().get("/api/v1/programs").await.assert_problem(401, "unauthorized");
    }
);

db_test!(
    async fn a_well_signed_token_is_refused_unless_its_session_is_a_live_sign_in_of_its_own_account(app) {
        let officer = app.user(Role::Officer, None).await;
        let other = app.user(Role::Officer, None).await;
        let signed = |sid: &str| mint(TEST_JWT_SECRET, Algorithm::HS256, &claims(officer.id, "officer", sid));
        let own = session_of(&officer.access_token);
        assert_eq!(status_with(&app, &signed(&own)).await, 200, "its own live sign-in works");

        let random = uuid::Uuid::new_v4().to_string();
        let another_users = session_of(&other.access_token);
        for (what, sid) in [("a made-up sign-in", random.as_str()), ("another account's sign-in", another_users.as_str())] {
            let response = app.as_token(&signed(sid)).get("/api/v1/auth/me").await;
            let problem = response.assert_problem(401, "unauthorized");
            assert!(
                problem["detail"].as_str().is_some_and(|d| d.contains("sign in again")),
                "{what}: the answer says what to do: {problem}"
            );
        }

        let signed_out = app.anonymous().post("/api/v1/auth/logout", json!({"refresh_token": officer.refresh_token})).await;
        assert_eq!(signed_out.status, 204);
        app.as_token(&signed(&own)).get("/api/v1/auth/me").await.assert_problem(401, "unauthorized");
    }
);

db_test!(
    async fn a_refresh_token_rotates_once_and_the_old_one_stops_working(app) {
        let officer = app.user(Role::Officer, None).await;
        let rotated = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token})).await;
        assert_eq!(rotated.status, 200, "{}", rotated.text());
        let pair = rotated.json();
        assert_ne!(pair["refresh_token"], officer.refresh_token.as_str());
        let access = pair["access_token"].as_str().expect("an access token");
        assert_eq!(status_with(&app, access).await, 200);

        let next = pair["refresh_token"].as_str().expect("a refresh token");
        let again = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": next})).await;
        assert_eq!(again.status, 200, "the new token rotates in turn");
    }
);

db_test!(
    async fn presenting_a_rotated_refresh_token_again_revokes_the_whole_chain(app) {
        let officer = app.user(Role::Officer, None).await;
        let stolen = officer.refresh_token.clone();
        let rotated = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": stolen})).await.json();
        let legitimate = rotated["refresh_token"].as_str().expect("a refresh token").to_owned();

        let new_access = rotated["access_token"].as_str().expect("an access token").to_owned();
        assert_eq!(status_with(&app, &new_access).await, 200);

        let reuse = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": stolen})).await;
        reuse.assert_problem(401, "unauthorized");
        let after = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": legitimate})).await;
        after.assert_problem(401, "unauthorized");
        for access in [&officer.access_token, &new_access] {
            assert_eq!(status_with(&app, access).await, 401, "every access token of the chain ends with it");
        }
    }
);

db_test!(
    async fn logout_ends_the_refresh_token_and_the_access_token_of_that_sign_in_only(app) {
        let officer = app.user(Role::Officer, None).await;
        let elsewhere = app.sign_in(&officer.email, TEST_PASSWORD).await.json();
        let elsewhere = elsewhere["access_token"].as_str().expect("an access token").to_owned();
        let out = app.anonymous().post("/api/v1/auth/logout", json!({"refresh_token": officer.refresh_token})).await;
        assert_eq!(out.status, 204);
        let refresh = app.anonymous().post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token})).await;
        refresh.assert_problem(401, "unauthorized");
        let signed_out = app.as_token(&officer.access_token).get("/api/v1/auth/me").await;
        signed_out.assert_problem(401, "unauthorized");
        assert!(signed_out.json()["detail"].as_str().is_some_and(|d| d.contains("sign in again")));
        assert_eq!(status_with(&app, &elsewhere).await, 200, "another sign-in of the account goes on");
    }
);

db_test!(
    async fn failed_sign_ins_delay_that_email_at_that_address_alike_whether_or_not_it_has_an_account(app) {
        let backend = app.backend;
        drop(app);
        let app = TestApp::spawn_with(backend, |config| config.auth.lockout_secs = 2).await.expect("it answered a moment ago");
        let officer = app.user(Role::Officer, None).await;
        let mut answers = Vec::new();
        for email in [officer.email.as_str(), "nobody-here@example.test"] {
            let mut statuses = Vec::new();
            for _ in 1..=5 {
                statuses.push(app.sign_in(email, "a wrong password, again").await.status);
            }
            let delayed = app.sign_in(email, TEST_PASSWORD).await;
            delayed.assert_problem(429, "too_many_failures");
            let retry_after: u64 = delayed.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After seconds");
            assert!((1..=2).contains(&retry_after), "{retry_after}");
            answers.push((statuses, delayed.json()["detail"].clone()));
        }
        assert_eq!(answers[0], answers[1], "an account and no account are answered alike");
        assert_eq!(answers[0].0, [401; 5]);

        // The same email from another address is not delayed: an attacker's failures cost the attacker.
        let pool = app.pool.clone();
        let email = officer.email.clone();
        let elsewhere = actix_web::web::block(move || {
            let mut conn = pool.get().expect("a connection");
            let here = tpms::auth::throttle::Attempt::new(&email, "127.0.0.1").check(&mut conn).is_err();
            let there = tpms::auth::throttle::Attempt::new(&email, "203.0.113.9").check(&mut conn).is_ok();
            (here, there)
        })
        .await
        .expect("the blocking pool runs");
        assert_eq!(elsewhere, (true, true));

        actix_web::rt::time::sleep(std::time::Duration::from_millis(2200)).await;
        assert_eq!(app.sign_in(&officer.email, TEST_PASSWORD).await.status, 200, "free once the wait ends");
    }
);

db_test!(
    async fn an_admin_lifts_the_wait_of_an_account_at_once(app) {
        let officer = app.user(Role::Officer, None).await;
        for _ in 1..=5 {
            app.sign_in(&officer.email, "a wrong password, again").await;
        }
        app.sign_in(&officer.email, TEST_PASSWORD).await.assert_problem(429, "too_many_failures");
        let path = format!("/api/v1/users/{}/unlock", officer.id);
        app.as_user(&officer).post(&path, json!({})).await.assert_problem(403, "forbidden");
        let lifted = app.request(actix_web::http::Method::POST, &path).send().await.expect("the server answers");
        assert_eq!(lifted.status(), 204);
        assert_eq!(app.sign_in(&officer.email, TEST_PASSWORD).await.status, 200);
        let audit = app.get(&format!("/api/v1/audit-events?entity_type=user&entity_id={}", officer.id)).await.json();
        assert!(audit["items"].as_array().is_some_and(|events| events.iter().any(|e| e["reason"].as_str().is_some_and(|r| r.contains("lifted")))), "{audit}");
    }
);

db_test!(
    async fn sign_in_attempts_from_one_address_are_rate_limited(app) {
        let backend = app.backend;
        drop(app);
        let app = TestApp::spawn_with(backend, |config| config.auth.login_attempts_per_minute = 3)
            .await
            .expect("it answered a moment ago");
        // The harness's own admin sign-in used one attempt of the three.
        let statuses: Vec<u16> = futures::future::join_all((0..4).map(|_| app.sign_in("nobody@example.test", "wrong password"))).await
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 2, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
        let limited = app.sign_in("nobody@example.test", "wrong password").await;
        limited.assert_problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)));
    }
);

db_test!(
    async fn a_deactivated_account_is_refused_at_its_very_next_request(app) {
        let officer = app.user(Role::Officer, None).await;
        assert_eq!(app.as_user(&officer).get("/api/v1/programs").await.status, 200);
        let deactivated = app.patch(&format!("/api/v1/users/{}", officer.id), json!({"active": false})).await;
        assert_eq!(deactivated.status, 200, "{}", deactivated.text());

        app.as_user(&officer).get("/api/v1/programs").await.assert_problem(401, "unauthorized");
        app.anonymous()
            .post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token}))
            .await
            .assert_problem(401, "unauthorized");
        app.sign_in(&officer.email, TEST_PASSWORD).await.assert_problem(401, "invalid_credentials");
    }
);

db_test!(
    async fn a_changed_role_takes_effect_at_the_next_request(app) {
        let officer = app.user(Role::Officer, None).await;
        let changed = app.patch(&format!("/api/v1/users/{}", officer.id), json!({"role": "reporter"})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        app.as_user(&officer).get("/api/v1/programs").await.assert_problem(401, "unauthorized");
        let again = app.sign_in(&officer.email, TEST_PASSWORD).await.json();
        let reporter = app.as_token(again["access_token"].as_str().expect("a token"));
        assert_eq!(reporter.get("/api/v1/programs").await.status, 200);
        reporter.post("/api/v1/programs", app.program().code("NOPE").json()).await.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn changing_ones_password_needs_the_current_one_and_ends_other_sessions(app) {
        let officer = app.user(Role::Officer, None).await;
        let me = app.as_user(&officer);
        let new_password = "a brand new long password";
        me.post("/api/v1/auth/password", json!({"current_password": "wrong", "new_password": new_password}))
            .await
            .assert_problem(422, "validation_failed");
        me.post("/api/v1/auth/password", json!({"current_password": TEST_PASSWORD, "new_password": officer.email}))
            .await
            .assert_problem(422, "validation_failed");
        let changed = me
            .post("/api/v1/auth/password", json!({"current_password": TEST_PASSWORD, "new_password": new_password}))
            .await;
        assert_eq!(changed.status, 204, "{}", changed.text());
        assert_eq!(status_with(&app, &officer.access_token).await, 401, "the access token ends with its session");

        app.anonymous()
            .post("/api/v1/auth/refresh", json!({"refresh_token": officer.refresh_token}))
            .await
            .assert_problem(401, "unauthorized");
        app.sign_in(&officer.email, TEST_PASSWORD).await.assert_problem(401, "invalid_credentials");
        assert_eq!(app.sign_in(&officer.email, new_password).await.status, 200);
    }
);
