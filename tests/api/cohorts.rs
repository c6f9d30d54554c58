//! Cohorts: dates to the month, capacity, status moves, and what a liaison may see.

use serde_json::{Value, json};

use crate::db_test;
use crate::support::cohorts_of;
use tpms::cohorts::CohortStatus;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

db_test!(
    async fn a_cohort_known_only_to_the_month_keeps_that_precision(app) {
        let program = app.program().code("JICA-YL").create().await;
        let created = app
            .cohort(&program)
            .code("C3")
            .name("Class 3")
            .sequence(3)
            .start_date("2024-02")
            .end_date("2024-03")
            .location_city("Tokyo")
            .location_country("JP")
            .capacity(20)
            .create()
            .await;
        assert_eq!(created["start_date"], "2024-02", "no day is invented");
        assert_eq!(created["end_date"], "2024-03");
        assert_eq!(created["status"], "planned");
        assert_eq!(created["program_id"], program["id"]);
        assert_eq!(created["enrolled"], 0);
        let fetched = app.get(&format!("/api/v1/cohorts/{}", created["id"])).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.header("etag"), Some("\"1\""));
        assert_eq!(fetched.json()["start_date"], "2024-02");

        let changed = app.patch(&format!("/api/v1/cohorts/{}", created["id"]), json!({"start_date": "2024-02-05"})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(changed.json()["start_date"], "2024-02-05");
    }
);

db_test!(
    async fn an_end_month_before_the_start_is_refused_but_the_same_month_is_not(app) {
        let program = app.program().code("P1").create().await;
        let same = app.cohort(&program).code("C1").name("Class 1").start_date("2024-02-10").end_date("2024-02");
        same.create().await;
        let before = app.cohort(&program).code("C2").name("Class 2").start_date("2024-02-10").end_date("2024-01");
        let problem = before.post().await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/end_date");
        let nonsense = app.cohort(&program).code("C3").name("Class 3").start_date("2024-02-30");
        let problem = nonsense.post().await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/start_date");
        assert_eq!(problem["errors"][0]["code"], "invalid_date");
    }
);

db_test!(
    async fn a_cohort_code_is_unique_within_its_programme_only(app) {
        let first = app.program().code("P1").create().await;
        let second = app.program().code("P2").create().await;
        app.cohort(&first).code("C1").name("Class 1").create().await;
        app.cohort(&second).code("C1").name("Class 1").create().await;
        app.cohort(&first).code("C1").name("Again").post().await.assert_problem(409, "duplicate");
    }
);

db_test!(
    async fn status_moves_forward_one_step_at_a_time_or_to_cancelled(app) {
        let program = app.program().code("P1").create().await;
        let cohort = app.cohort(&program).code("C1").name("Class 1").create().await;
        let path = format!("/api/v1/cohorts/{}", cohort["id"]);

        let skip = app.patch(&path, json!({"status": "in_progress"})).await.assert_problem(409, "illegal_transition");
        let detail = skip["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("open, cancelled"), "the allowed moves are named: {detail}");

        for status in ["open", "in_progress", "completed"] {
            let moved = app.patch(&path, json!({"status": status})).await;
            assert_eq!(moved.status, 200, "{status}: {}", moved.text());
        }
        for status in ["planned", "open", "in_progress", "cancelled"] {
            let problem = app.patch(&path, json!({"status": status})).await.assert_problem(409, "illegal_transition");
            assert!(problem["detail"].as_str().unwrap_or_default().contains("final"), "{problem}");
        }

        let other = app.cohort(&program).code("C2").name("Class 2").create().await;
        let other = format!("/api/v1/cohorts/{}", other["id"]);
        assert_eq!(app.patch(&other, json!({"status": "cancelled"})).await.status, 200);
        app.patch(&other, json!({"status": "open"})).await.assert_problem(409, "illegal_transition");
    }
);

db_test!(
    async fn cohorts_are_listed_in_series_order_and_filtered_by_status(app) {
        let program = app.program().code("P1").create().await;
        for (code, seq) in [("C4", 4), ("C3", 3)] {
            app.cohort(&program).code(code).name(code).sequence(seq).create().await;
        }
        app.cohort(&program).code("XX").name("No number").status(CohortStatus::Open).create().await;
        let cohorts = cohorts_of(&program);
        let codes = |body: Value| -> Vec<String> {
            body["items"].as_array().expect("items").iter().filter_map(|c| c["code"].as_str().map(str::to_owned)).collect()
        };
        assert_eq!(codes(app.get(&cohorts).await.json()), ["C3", "C4", "XX"]);
        assert_eq!(codes(app.get(&format!("{cohorts}?sort=-sequence")).await.json()), ["C4", "C3", "XX"]);
        assert_eq!(codes(app.get(&format!("{cohorts}?status=open")).await.json()), ["XX"]);
        app.get("/api/v1/programs/999999/cohorts").await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_programme_with_cohorts_cannot_be_deleted(app) {
        let program = app.program().code("P1").create().await;
        let cohort = app.cohort(&program).code("C1").name("Class 1").create().await;
        app.delete(&format!("/api/v1/programs/{}", program["id"])).await.assert_problem(409, "in_use");
        assert_eq!(app.delete(&format!("/api/v1/cohorts/{}", cohort["id"])).await.status, 204);
        assert_eq!(app.delete(&format!("/api/v1/programs/{}", program["id"])).await.status, 204);
    }
);

db_test!(
    async fn a_liaison_sees_the_cohorts_of_its_partners_programmes_only(app) {
        let mine = app.program().code("MINE").create().await;
        let other = app.program().code("OTHER").create().await;
        let partner = app.partner().code("JICA").create().await;
        app.program_partner(&mine, &partner).role(PartnerRole::Funder).create().await;
        let visible = app.cohort(&mine).code("C1").name("Class 1").create().await;
        let hidden = app.cohort(&other).code("C1").name("Class 1").create().await;
        let (my_cohorts, other_cohorts) = (cohorts_of(&mine), cohorts_of(&other));
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        assert_eq!(as_liaison.get(&my_cohorts).await.json()["total"], 1);
        assert_eq!(as_liaison.get(&format!("/api/v1/cohorts/{}", visible["id"])).await.status, 200);
        as_liaison.get(&other_cohorts).await.assert_problem(404, "not_found");
        as_liaison.get(&format!("/api/v1/cohorts/{}", hidden["id"])).await.assert_problem(404, "not_found");
        as_liaison.post(&my_cohorts, app.cohort(&mine).code("C2").name("Class 2").json()).await.assert_problem(403, "forbidden");
    }
);
