//! Who may call what: read from the OpenAPI document, so that every operation is covered, and an
//! operation that names no roles fails here.

use std::collections::BTreeMap;

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;

/// Operations anyone may call.
const PUBLIC: [&str; 12] = [
    "/health",
    "/ready",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/responses/{token}",
    "/api/v1/responses/{token}/decline",
    "/api/v1/certificates/verify",
    "/api/v1/plan-links/{token}",
    "/api/v1/checkpoint-links/{token}",
    "/api/v1/supervisor-links/{token}",
    "/api/v1/calendar-feeds/{token}",
];

db_test!(
    async fn every_operation_is_closed_to_anonymous_callers_and_to_roles_outside_its_scopes(app) {
        let partner = app.partner().code("JICA").create().await;
        let partner_id = partner["id"].as_i64().expect("an id");
        let mut tokens = BTreeMap::new();
        for role in [Role::Admin, Role::Officer, Role::Reporter, Role::Liaison] {
            let partner = (role == Role::Liaison).then_some(partner_id);
            tokens.insert(role.as_str(), app.user(role, partner).await.access_token);
        }
        let doc: Value = serde_json::from_str(&tpms::app::docs::document_json()).expect("the document is JSON");
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("an HTTP method");
                // Every path parameter is an id here (`{id}`, `{partner_id}`, `{consent_id}`), but for
                // the links' tokens, whose operations are public.
                let concrete: String = path
                    .split('/')
                    .map(|segment| if segment.starts_with('{') && segment.ends_with('}') { "999" } else { segment })
                    .collect::<Vec<_>>()
                    .join("/");
                let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
                let Some(scopes) = operation["security"][0]["bearer_auth"].as_array() else {
                    assert!(PUBLIC.contains(&path.as_str()), "{method} {path} names no roles: it must be secured or public");
                    continue;
                };
                let anonymous = app.anonymous().send(method.clone(), &concrete, body.as_ref()).await;
                assert_eq!(anonymous.status, 401, "anonymous {method} {path}: {}", anonymous.text());
                for (role, token) in &tokens {
                    let allowed = scopes.iter().any(|s| s == role);
                    let response = app.as_token(token).send(method.clone(), &concrete, body.as_ref()).await;
                    if allowed {
                        assert!(![401, 403].contains(&response.status), "{role} may {method} {path}: {}", response.text());
                    } else {
                        assert_eq!(response.status, 403, "{role} may not {method} {path}: {}", response.text());
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} operations checked");
    }
);

db_test!(
    async fn a_liaison_sees_only_the_programmes_its_partner_takes_part_in(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let theirs = app.program().code("JICA-YL").create().await;
        let other = app.program().code("INSP-PL").create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Funder).create().await;
        app.program_partner(&other, &insp).role(PartnerRole::Host).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let listed = as_liaison.get("/api/v1/programs").await.json();
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["code"], "JICA-YL");
        assert_eq!(as_liaison.get(&format!("/api/v1/programs/{}", theirs["id"])).await.status, 200);
        assert_eq!(as_liaison.get(&format!("/api/v1/programs/{}/partners", theirs["id"])).await.status, 200);

        as_liaison.get(&format!("/api/v1/programs/{}", other["id"])).await.assert_problem(404, "not_found");
        as_liaison.get(&format!("/api/v1/programs/{}/partners", other["id"])).await.assert_problem(404, "not_found");
        as_liaison
            .get(&format!("/api/v1/programs/{}/partners/{}", other["id"], insp["id"]))
            .await
            .assert_problem(404, "not_found");
        as_liaison.get("/api/v1/partners").await.assert_problem(403, "forbidden");
        as_liaison.post("/api/v1/programs", app.program().code("NEW").json()).await.assert_problem(403, "forbidden");
    }
);
