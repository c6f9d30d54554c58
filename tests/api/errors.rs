use actix_web::http::Method;

use crate::db_test;
use crate::support::BODY_LIMIT;

db_test!(
    async fn malformed_json_gets_400_problem_json(app) {
        let response = app.send_raw(app.request(Method::POST, "/api/v1/partners"), "application/json", "{\"code\": ").await;
        response.assert_problem(400, "malformed_json");
    }
);

db_test!(
    async fn a_body_that_is_not_json_gets_415(app) {
        let response = app.send_raw(app.request(Method::POST, "/api/v1/partners"), "text/plain", "code=JICA").await;
        response.assert_problem(415, "unsupported_media_type");
    }
);

db_test!(
    async fn unknown_fields_and_wrong_types_get_422_naming_them(app) {
        let mut body = app.partner().code("JICA").json();
        body["colour"] = serde_json::json!("blue");
        let problem = app.post("/api/v1/partners", body).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/colour", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "unknown_field", "{problem}");

        let mut body = app.program().code("PP").json();
        body["planned_trainees"] = serde_json::json!("many");
        let problem = app.post("/api/v1/programs", body).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/planned_trainees", "{problem}");
    }
);

db_test!(
    async fn every_missing_and_every_bad_field_comes_in_one_answer(app) {
        let body = serde_json::json!({"planned_trainees": "many", "colour": "blue"});
        let problem = app.post("/api/v1/programs", body).await.assert_problem(422, "validation_failed");
        let named = crate::support::named_errors(&problem);
        for expected in [
            ("#/code", "required"),
            ("#/colour", "unknown_field"),
            ("#/kind", "required"),
            ("#/planned_trainees", "invalid_value"),
            ("#/title", "required"),
        ] {
            let expected = (expected.0.to_owned(), expected.1.to_owned());
            assert!(named.contains(&expected), "{expected:?} in {named:?}");
        }
    }
);

db_test!(
    async fn a_body_over_the_limit_gets_413(app) {
        let big = app.partner().code("BIG").notes("x".repeat(usize::try_from(BODY_LIMIT).expect("fits") + 1));
        big.post().await.assert_problem(413, "payload_too_large");
    }
);

db_test!(
    async fn an_unknown_route_gets_404_problem_json(app) {
        app.get("/api/v1/nothing-here").await.assert_problem(404, "not_found");
        app.get("/favicon.ico").await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_wrong_method_gets_405_with_allow(app) {
        let response = app.send(app.request(Method::PUT, "/api/v1/partners/1"), None).await;
        response.assert_problem(405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some("GET, PATCH, DELETE"));
        let response = app.delete("/api/v1/partners").await;
        assert_eq!(response.header("allow"), Some("GET, POST"));
    }
);

db_test!(
    async fn bad_query_and_path_parameters_get_400(app) {
        app.get("/api/v1/partners?limit=201").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/partners?limit=0").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/partners?offset=-1").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/partners?sort=colour").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/programs?status=sleeping").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/partners/abc").await.assert_problem(400, "invalid_path");
    }
);

db_test!(
    async fn a_query_parameter_the_operation_does_not_take_is_named_not_ignored(app) {
        let misspelt = app.get("/api/v1/programs?stauts=open").await.assert_problem(400, "invalid_query");
        let detail = misspelt["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("stauts is not a query parameter of GET /api/v1/programs"), "{misspelt}");
        assert!(detail.contains("status"), "the detail lists what the list takes: {misspelt}");
        app.get("/api/v1/trainees?fromat=csv").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/partners/1?expand=programs").await.assert_problem(400, "invalid_query");
        let known = app.get("/api/v1/programs?status=active&limit=5&_=1733100000").await;
        assert_eq!(known.status, 200, "{}", known.text());
    }
);

db_test!(
    async fn nul_and_control_characters_are_refused_not_stored(app) {
        let nul = app.partner().code("NUL").name("Bad\u{0000}name");
        let problem = nul.post().await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/name");
    }
);

db_test!(
    async fn query_values_longer_than_documented_get_400(app) {
        let long = "a".repeat(201);
        app.get(&format!("/api/v1/partners?q={long}")).await.assert_problem(400, "invalid_query");
        app.get(&format!("/api/v1/programs?q={long}")).await.assert_problem(400, "invalid_query");
        let long_id = "x".repeat(129);
        app.get(&format!("/api/v1/audit-events?request_id={long_id}")).await.assert_problem(400, "invalid_query");
        assert_eq!(app.get(&format!("/api/v1/partners?q={}", "a".repeat(200))).await.status, 200);
    }
);

db_test!(
    async fn integers_written_with_a_zero_fraction_are_accepted_as_integers(app) {
        let mut body = app.program().code("FLOATS").json();
        body["planned_trainees"] = serde_json::json!(120.0);
        let created = app.create("/api/v1/programs", body).await;
        assert_eq!(created["planned_trainees"], 120);
        let mut body = app.program().code("HALF").json();
        body["planned_trainees"] = serde_json::json!(120.5);
        app.post("/api/v1/programs", body).await.assert_problem(422, "validation_failed");
    }
);

db_test!(
    async fn lengths_count_what_was_sent_not_what_is_left_after_trimming(app) {
        let padded = app.partner().code("PADDED").name(format!("    {}", "n".repeat(298)));
        let problem = padded.post().await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/name");
        let padded_token = format!("    {}", "t".repeat(254));
        app.anonymous()
            .post("/api/v1/auth/logout", serde_json::json!({"refresh_token": padded_token}))
            .await
            .assert_problem(422, "validation_failed");
        let trimmed = app.partner().code("TRIMMED").name("  Japan International Cooperation Agency  ");
        assert_eq!(trimmed.create().await["name"], "Japan International Cooperation Agency");
    }
);

db_test!(
    async fn a_body_that_is_not_a_json_object_gets_400(app) {
        let problem = app
            .anonymous()
            .post("/api/v1/auth/logout", serde_json::json!(["a refresh token"]))
            .await
            .assert_problem(400, "malformed_json");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("object")), "{problem}");
        app.post("/api/v1/partners", serde_json::json!("JICA")).await.assert_problem(400, "malformed_json");
    }
);

db_test!(
    async fn a_control_character_in_a_filter_is_400_on_both_databases(app) {
        for path in ["/api/v1/partners?source=a%00b", "/api/v1/trainees?province=H%00N", "/api/v1/programs?q=%07"] {
            let problem = app.get(path).await.assert_problem(400, "invalid_query");
            assert!(problem["detail"].as_str().unwrap_or_default().contains("control characters"), "{path}: {problem}");
        }
    }
);

db_test!(
    async fn an_id_written_as_a_number_without_fraction_is_that_id(app) {
        let partner = app.partner().code("MOHA").create().await;
        let id = partner["id"].as_i64().expect("an id");
        let found = app.get(&format!("/api/v1/partners/{id}.0")).await;
        assert_eq!(found.status, 200, "JSON Schema counts {id}.0 as the integer {id}: {}", found.text());
        assert_eq!(found.json()["id"], id);
        app.get(&format!("/api/v1/partners/{id}.5")).await.assert_problem(400, "invalid_path");
        app.get("/api/v1/partners/1e400").await.assert_problem(400, "invalid_path");
        let filtered = app.get(&format!("/api/v1/programs?partner_id={id}.0")).await;
        assert_eq!(filtered.status, 200, "{}", filtered.text());
    }
);
