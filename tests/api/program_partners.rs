use serde_json::json;
use tpms::programs::partners::PartnerRole;

use crate::db_test;

db_test!(
    async fn a_partner_is_given_roles_in_a_programme_and_listed_with_them(app) {
        let program = app.program().code("JICA-YL").create().await;
        let jica = app.partner().code("JICA").create().await;
        let moha = app.partner().code("MOHA").create().await;
        let base = format!("/api/v1/programs/{}/partners", program["id"]);

        let response = app
            .program_partner(&program, &jica)
            .roles([PartnerRole::Funder, PartnerRole::ImplementingAgency])
            .notes("Funds travel")
            .post()
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(response.header("location").map(str::to_owned), Some(format!("{base}/{}", jica["id"])));
        let link = response.json();
        assert_eq!(link["partner"]["code"], "JICA");
        assert_eq!(link["roles"], json!(["funder", "implementing_agency"]));
        app.program_partner(&program, &moha).role(PartnerRole::Counterpart).create().await;

        let list = app.get(&base).await.json();
        assert_eq!(list["total"], 2);
        assert_eq!(list["items"][0]["partner"]["code"], "JICA");
        let funders = app.get(&format!("{base}?role=funder")).await.json();
        assert_eq!(funders["total"], 1);
        assert_eq!(funders["items"][0]["partner_id"], jica["id"]);

        let partners_of_programme = app.get(&format!("/api/v1/partners?program_id={}", program["id"])).await.json();
        assert_eq!(partners_of_programme["total"], 2);
    }
);

db_test!(
    async fn a_partner_holds_one_place_per_programme(app) {
        let program = app.program().code("PP").create().await;
        let partner = app.partner().code("JICA").create().await;
        app.program_partner(&program, &partner).role(PartnerRole::Host).create().await;
        let again = app.program_partner(&program, &partner).role(PartnerRole::Funder);
        again.post().await.assert_problem(409, "duplicate");
    }
);

db_test!(
    async fn unknown_partners_roles_and_programmes_are_refused(app) {
        let program = app.program().code("PP").create().await;
        let base = format!("/api/v1/programs/{}/partners", program["id"]);
        let problem = app.post(&base, json!({"partner_id": 999, "roles": ["host"]})).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/partner_id");
        let partner = app.partner().code("JICA").create().await;
        app.program_partner(&program, &partner).roles([]).post().await.assert_problem(422, "validation_failed");
        app.post(&base, json!({"partner_id": partner["id"], "roles": ["landlord"]})).await.assert_problem(422, "validation_failed");
        app.post("/api/v1/programs/999/partners", app.program_partner(&program, &partner).role(PartnerRole::Host).json())
            .await
            .assert_problem(404, "not_found");
        app.get("/api/v1/programs/999/partners").await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn roles_are_changed_with_patch_and_removed_with_delete(app) {
        let program = app.program().code("PP").create().await;
        let partner = app.partner().code("GRIPS").create().await;
        let path = format!("/api/v1/programs/{}/partners/{}", program["id"], partner["id"]);
        app.program_partner(&program, &partner).role(PartnerRole::Host).create().await;

        let changed = app.patch(&path, json!({"roles": ["host", "lecturer"]})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(changed.header("etag"), Some("\"2\""));
        assert_eq!(changed.json()["roles"], json!(["host", "lecturer"]));

        assert_eq!(app.delete(&path).await.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");
    }
);
