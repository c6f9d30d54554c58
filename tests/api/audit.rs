use serde_json::json;

use crate::db_test;

db_test!(
    async fn every_create_change_and_delete_leaves_an_audit_event_with_before_and_after(app) {
        let created = app.partner().code("AFD").create().await;
        let path = format!("/api/v1/partners/{}", created["id"]);
        let patched = app
            .send(
                app.request(actix_web::http::Method::PATCH, &path).insert_header(("x-request-id", "change-42")),
                Some(&json!({"country": "FR", "name": "Agence française de développement"})),
            )
            .await;
        assert_eq!(patched.status, 200);
        assert_eq!(app.delete(&path).await.status, 204);

        let events = app.get(&format!("/api/v1/audit-events?entity_type=partner&entity_id={}", created["id"])).await.json();
        assert_eq!(events["total"], 3);
        let actions: Vec<&str> = events["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, ["delete", "update", "create"], "newest first");

        let update = &events["items"][1];
        assert_eq!(update["actor"], app.admin_email.as_str(), "the signed-in account is the actor");
        assert_eq!(update["request_id"], "change-42");
        assert_eq!(update["changes"], json!({
            "country": {"before": "JP", "after": "FR"},
            "name": {"before": "Partner AFD", "after": "Agence française de développement"},
        }));
        assert_eq!(events["items"][2]["changes"]["code"], json!({"before": null, "after": "AFD"}));
        assert_eq!(events["items"][0]["changes"]["code"], json!({"before": "AFD", "after": null}));

        let by_request = app.get("/api/v1/audit-events?request_id=change-42").await.json();
        assert_eq!(by_request["total"], 1);
        let deletes = app.get("/api/v1/audit-events?action=delete").await.json();
        assert_eq!(deletes["total"], 1);
    }
);

db_test!(
    async fn a_refused_change_leaves_no_audit_event(app) {
        app.partner().code("JICA").create().await;
        app.partner().code("JICA").post().await.assert_problem(409, "duplicate");
        let events = app.get("/api/v1/audit-events").await.json();
        assert_eq!(events["total"], 1, "only the successful create: {events}");
    }
);
