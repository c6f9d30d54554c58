use actix_web::http::Method;

use crate::db_test;

db_test!(
    async fn health_and_ready_answer_200_and_ready_names_the_database(app) {
        let health = app.get("/health").await;
        assert_eq!(health.status, 200);
        assert_eq!(health.json()["status"], "ok");
        let ready = app.get("/ready").await;
        assert_eq!(ready.status, 200, "{}", ready.text());
        let expected = match app.backend {
            crate::support::Backend::Sqlite => "sqlite",
            crate::support::Backend::Postgres => "postgresql",
        };
        assert_eq!(ready.json()["database"], expected);
    }
);

db_test!(
    async fn the_benchmarks_floors_are_served_only_by_a_build_for_the_benchmark(app) {
        // `scripts/bench` builds with `bench-probes`; the service as built by default has none.
        let expected = if cfg!(feature = "bench-probes") { 200 } else { 404 };
        for path in ["/_bench/hop", "/_bench/one-trip", "/_bench/two-trips"] {
            assert_eq!(app.anonymous().get(path).await.status, expected, "{path}");
        }
    }
);

db_test!(
    async fn every_response_carries_a_request_id_echoed_when_given(app) {
        let generated = app.get("/health").await;
        let id = generated.header("x-request-id").expect("a generated request id");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        let echoed = app.send(app.request(Method::GET, "/api/v1/nowhere").insert_header(("x-request-id", "abc-123")), None).await;
        assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
        assert_eq!(echoed.status, 404);
    }
);

db_test!(
    async fn the_openapi_document_and_the_offline_docs_page_are_served(app) {
        let spec = app.get("/api-spec/openapi.json").await;
        assert_eq!(spec.status, 200);
        let spec = spec.json();
        assert!(spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", spec["openapi"]);
        assert!(spec["paths"]["/api/v1/partners/{id}"]["patch"].is_object());

        let docs = app.get("/docs/").await;
        assert_eq!(docs.status, 200);
        assert!(docs.text().contains("swagger"), "the Swagger UI page");
        let script = app.get("/docs/swagger-ui-bundle.js").await;
        assert_eq!(script.status, 200, "the UI's script is served by TPMS itself, not a CDN");
        let bare = app.get("/docs").await;
        assert!(bare.status == 200 && bare.text().contains("swagger"), "`/docs` leads to the page too");
    }
);

db_test!(
    async fn the_docs_page_is_titled_for_tpms_keeps_the_token_and_fills_no_filter(app) {
        let page = app.get("/docs/").await.text();
        assert!(page.contains("<title>TPMS API"), "the browser tab says TPMS: {page}");
        let settings = app.get("/docs/swagger-initializer.js").await.text();
        assert!(settings.contains("\"persistAuthorization\": true"), "a reload keeps the token: {settings}");
        let spec = app.get("/api-spec/openapi.json").await.json();
        let id_schema = &spec["components"]["schemas"]["PartnerId"];
        assert!(id_schema.get("example").is_none() && id_schema.get("examples").is_none(), "{id_schema}");
        let tags: Vec<&str> = spec["tags"].as_array().expect("tags").iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(&tags[..5], ["auth", "programs", "partners", "contacts", "cohorts"], "in the order an officer works");
        assert!(tags.contains(&"reports") && tags.last() == Some(&"operations"), "{tags:?}");
    }
);

db_test!(
    async fn ready_answers_503_until_the_database_is_migrated(app) {
        let backend = app.backend;
        drop(app);
        let unmigrated = crate::support::TestApp::spawn_unmigrated(backend).await.expect("the backend answered a moment ago");
        let problem = unmigrated.get("/ready").await.assert_problem(503, "unavailable");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("tpms migrate")), "{problem}");
        assert_eq!(unmigrated.get("/health").await.status, 200, "alive, only not ready");
    }
);

db_test!(
    async fn commands_run_without_the_requests_statement_timeout_and_give_it_back(app) {
        let pool = app.pool.clone();
        let (inside, after) = actix_web::web::block(move || {
            use diesel::prelude::*;
            let mut conn = pool.get().expect("a connection");
            let setting = |conn: &mut tpms::db::DbConnection| -> Option<String> {
                match conn {
                    tpms::db::DbConnection::Postgresql(pg) => diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                        "current_setting('statement_timeout')",
                    ))
                    .get_result(pg)
                    .ok(),
                    tpms::db::DbConnection::Sqlite(_) => None,
                }
            };
            let inside = tpms::db::dialect::without_statement_timeout(&mut conn, |conn| setting(conn)).expect("it runs");
            (inside, setting(&mut conn))
        })
        .await
        .expect("the blocking pool runs");
        if app.backend == crate::support::Backend::Postgres {
            assert_eq!(inside.as_deref(), Some("0"), "no timeout while a command runs");
            assert_ne!(after.as_deref(), Some("0"), "the pool's connection gets its timeout back");
        } else {
            assert_eq!((inside, after), (None, None), "SQLite has no statement timeout");
        }
    }
);
