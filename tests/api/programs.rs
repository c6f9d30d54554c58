use serde_json::json;
use tpms::programs::ProgramStatus;
use tpms::programs::partners::PartnerRole;

use crate::db_test;
use crate::support::urlencode;

db_test!(
    async fn a_programme_round_trips_every_field(app) {
        let body = json!({
            "code": "JICA-YL",
            "title": "Young leaders training in Japan",
            "title_vi": "Đào tạo cán bộ lãnh đạo trẻ tại Nhật Bản",
            "kind": "training_course",
            "status": "active",
            "start_date": "2023-01-01",
            "end_date": "2026-12-31",
            "agreement_signed_on": "2022-12-01",
            "planned_trainees": 120,
            "planned_cohorts": 6,
            "focus_areas": ["urban_planning", "waste_management"],
            "description": "Six one-month cohorts in Japan."
        });
        let created = app.create("/api/v1/programs", body.clone()).await;
        for (field, value) in body.as_object().expect("an object") {
            assert_eq!(&created[field], value, "{field}");
        }
        let fetched = app.get(&format!("/api/v1/programs/{}", created["id"])).await;
        assert_eq!(fetched.json(), created);
    }
);

db_test!(
    async fn a_new_programme_is_planned_with_no_focus_areas_by_default(app) {
        let created = app.program().code("P1").create().await;
        assert_eq!(created["status"], "planned");
        assert_eq!(created["focus_areas"], json!([]));
    }
);

db_test!(
    async fn an_end_before_the_start_is_refused_on_create_and_on_patch(app) {
        let reversed = app.program().code("P1").start_date("2024-05-01").end_date("2024-04-30");
        let problem = reversed.post().await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/end_date");

        let created = app.program().code("P2").start_date("2024-05-01").create().await;
        let path = format!("/api/v1/programs/{}", created["id"]);
        let problem = app.patch(&path, json!({"end_date": "2024-01-01"})).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/end_date");
        assert_eq!(app.get(&path).await.json()["version"], 1, "nothing changed");
    }
);

db_test!(
    async fn negative_counts_and_bad_tags_are_refused(app) {
        let negative = app.program().code("P1").planned_trainees(-1).focus_areas(["urban_planning", "urban_planning"]);
        let problem = negative.post().await.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/focus_areas", "#/planned_trainees"]);
    }
);

db_test!(
    async fn programmes_are_filtered_by_status_focus_area_partner_and_text(app) {
        let a = app
            .program()
            .code("GRIPS-SC")
            .title_vi("Khóa ngắn hạn tại GRIPS")
            .status(ProgramStatus::Active)
            .focus_areas(["decentralisation"])
            .create()
            .await;
        app.program().code("INSP-PL").focus_areas(["decentralisation_x"]).create().await;
        let partner = app.partner().code("GRIPS").create().await;
        app.program_partner(&a, &partner).role(PartnerRole::Host).create().await;

        let by_partner = format!("/api/v1/programs?partner_id={}", partner["id"]);
        for path in [
            "/api/v1/programs?status=active",
            "/api/v1/programs?focus_area=decentralisation",
            by_partner.as_str(),
            "/api/v1/programs?q=khoa%20ngan%20han",
        ] {
            let body = app.get(path).await.json();
            assert_eq!(body["total"], 1, "{path}: {body}");
            assert_eq!(body["items"][0]["code"], "GRIPS-SC", "{path}");
        }
    }
);

db_test!(
    async fn a_search_finds_every_word_in_any_order_in_titles_and_descriptions(app) {
        app.program()
            .code("VJ-SEM")
            .title("Vietnam–Japan local-government seminars")
            .title_vi("Hội thảo chính quyền địa phương Việt Nam – Nhật Bản")
            .description("Aimed at civil servants of administrative agencies across Asia.")
            .create()
            .await;
        app.program().code("INSP-PL").title("Placements at INSP").create().await;
        for q in ["administrative asia", "ASIA civil", "nhat ban dia phuong", "vj-sem seminars", "Nhật hội"] {
            let body = app.get(&format!("/api/v1/programs?q={}", urlencode(q))).await.json();
            assert_eq!(body["total"], 1, "q={q}: {body}");
            assert_eq!(body["items"][0]["code"], "VJ-SEM", "q={q}");
        }
        for q in ["asia insp", "europe"] {
            let body = app.get(&format!("/api/v1/programs?q={}", urlencode(q))).await.json();
            assert_eq!(body["total"], 0, "q={q}: every word must be found");
        }
    }
);

db_test!(
    async fn sorting_by_start_date_puts_undated_programmes_last_on_both_databases(app) {
        for (code, start) in [("LATE", Some("2025-01-01")), ("NONE", None), ("EARLY", Some("2019-08-29"))] {
            let mut program = app.program().code(code);
            if let Some(start) = start {
                program = program.start_date(start);
            }
            program.create().await;
        }
        let codes = |body: serde_json::Value| -> Vec<String> {
            body["items"].as_array().expect("items").iter().filter_map(|p| p["code"].as_str().map(str::to_owned)).collect()
        };
        assert_eq!(codes(app.get("/api/v1/programs?sort=start_date").await.json()), ["EARLY", "LATE", "NONE"]);
        assert_eq!(codes(app.get("/api/v1/programs?sort=-start_date").await.json()), ["LATE", "EARLY", "NONE"]);
    }
);

db_test!(
    async fn a_programme_with_partners_cannot_be_deleted_until_they_are_removed(app) {
        let program = app.program().code("VJ-LGS").create().await;
        let partner = app.partner().code("CLAIR").create().await;
        let roles = format!("/api/v1/programs/{}/partners", program["id"]);
        app.program_partner(&program, &partner).role(PartnerRole::CoOrganiser).create().await;

        let path = format!("/api/v1/programs/{}", program["id"]);
        app.delete(&path).await.assert_problem(409, "in_use");
        assert_eq!(app.delete(&format!("{roles}/{}", partner["id"])).await.status, 204);
        assert_eq!(app.delete(&path).await.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_programme_states_how_long_each_course_lasts_as_an_iso_duration(app) {
        let created = app.post("/api/v1/programs", json!({"code": "YL", "title": "Young leaders", "kind": "training_course", "course_length": "P1M"})).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert_eq!(created.json()["course_length"], "P1M");
        for bad in ["1 month", "P", "P0D", "PT4H", "P1M2Y"] {
            let refused = app.post("/api/v1/programs", json!({"code": "YL2", "title": "x", "kind": "training_course", "course_length": bad})).await;
            let problem = refused.assert_problem(422, "validation_failed");
            assert_eq!(problem["errors"][0]["pointer"], "#/course_length", "{bad}: {problem}");
        }
    }
);
