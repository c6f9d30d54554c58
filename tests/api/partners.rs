use serde_json::json;
use tpms::partners::PartnerKind;
use tpms::programs::partners::PartnerRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::urlencode;

db_test!(
    async fn creating_a_partner_answers_201_with_location_etag_and_the_object(app) {
        let response = app
            .partner()
            .code("GRIPS")
            .name("National Graduate Institute for Policy Studies")
            .name_local("政策研究大学院大学")
            .kind(PartnerKind::University)
            .country("JP")
            .website("https://www.grips.ac.jp/")
            .post()
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        let created = response.json();
        let location = response.header("location").expect("a Location header");
        assert_eq!(location, format!("/api/v1/partners/{}", created["id"]));
        assert_eq!(response.header("etag"), Some("\"1\""));
        assert_eq!(created["version"], 1);
        assert_eq!(created["kind"], "university");
        assert!(created["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{created}");

        let fetched = app.get(location).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.header("etag"), Some("\"1\""));
        assert_eq!(fetched.json(), created);
    }
);

db_test!(
    async fn vietnamese_and_japanese_names_round_trip_exactly_and_decomposed_input_is_stored_composed(app) {
        let vietnamese = "Học viện Hành chính Quốc gia";
        let created = app
            .partner()
            .code("NAPA")
            .name("National Academy of Public Administration")
            .name_local(vietnamese)
            .kind(PartnerKind::TrainingInstitute)
            .country("VN")
            .create()
            .await;
        assert_eq!(created["name_local"], vietnamese);

        let japanese = "国際協力機構";
        let created = app
            .partner()
            .code("JICA")
            .name("Japan International Cooperation Agency")
            .name_local(japanese)
            .kind(PartnerKind::DevelopmentAgency)
            .country("JP")
            .create()
            .await;
        assert_eq!(app.get(&format!("/api/v1/partners/{}", created["id"])).await.json()["name_local"], japanese);

        // "Bộ Nội vụ" typed with combining marks (NFD) comes back composed (NFC).
        let decomposed = "Bo\u{0323}\u{0302} No\u{0323}\u{0302}i vu\u{0323}";
        let created = app
            .partner()
            .code("MOHA")
            .name("Ministry of Home Affairs")
            .name_local(decomposed)
            .kind(PartnerKind::GovernmentMinistry)
            .country("VN")
            .create()
            .await;
        assert_eq!(created["name_local"], "Bộ Nội vụ");
    }
);

db_test!(
    async fn a_duplicate_code_is_refused_with_409(app) {
        app.partner().code("JICA").create().await;
        let response = app.partner().code("JICA").post().await;
        let problem = response.assert_problem(409, "duplicate");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("JICA")), "{problem}");
    }
);

db_test!(
    async fn invalid_fields_are_all_named_with_json_pointers(app) {
        let response = app
            .partner()
            .code("jica!")
            .name("   ")
            .kind(PartnerKind::DevelopmentAgency)
            .country("XX")
            .website("not a url")
            .post()
            .await;
        let problem = response.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> = problem["errors"]
            .as_array()
            .expect("an errors list")
            .iter()
            .filter_map(|e| e["pointer"].as_str())
            .collect();
        assert_eq!(pointers, ["#/code", "#/country", "#/name", "#/website"]);
    }
);

db_test!(
    async fn the_list_pages_with_total_and_a_next_link_in_a_stable_order(app) {
        for code in ["CC", "AA", "EE", "BB", "DD"] {
            app.partner().code(code).create().await;
        }
        let first = app.get("/api/v1/partners?limit=2").await;
        assert_eq!(first.status, 200);
        let body = first.json();
        assert_eq!(body["total"], 5);
        assert_eq!(body["limit"], 2);
        assert_eq!(body["offset"], 0);
        let codes: Vec<&str> = body["items"].as_array().expect("items").iter().filter_map(|p| p["code"].as_str()).collect();
        assert_eq!(codes, ["AA", "BB"]);
        let link = first.header("link").expect("a Link header while more remain");
        let cursor = body["next_cursor"].as_str().expect("a cursor while more remain");
        assert_eq!(link, format!("</api/v1/partners?limit=2&cursor={cursor}>; rel=\"next\""));
        let second = app.get(&format!("/api/v1/partners?limit=2&cursor={cursor}")).await.json();
        let codes: Vec<&str> = second["items"].as_array().expect("items").iter().filter_map(|p| p["code"].as_str()).collect();
        assert_eq!(codes, ["CC", "DD"]);
        assert_eq!(second["offset"], 2);

        let last = app.get("/api/v1/partners?limit=2&offset=4&sort=code").await;
        assert_eq!(last.json()["items"][0]["code"], "EE");
        assert!(last.header("link").is_none(), "no next link on the last page");

        let descending = app.get("/api/v1/partners?sort=-code&limit=1").await.json();
        assert_eq!(descending["items"][0]["code"], "EE");
    }
);

db_test!(
    async fn partners_are_found_by_name_without_diacritics_and_filtered_by_kind_and_country(app) {
        app.partner()
            .code("MOHA")
            .name("Ministry of Home Affairs")
            .name_local("Bộ Nội vụ")
            .kind(PartnerKind::GovernmentMinistry)
            .country("VN")
            .create()
            .await;
        app.partner().code("JICA").create().await;

        for q in ["bo noi vu", "BỘ NỘI", "home affairs", "moha"] {
            let found = app.get(&format!("/api/v1/partners?q={}", urlencode(q))).await.json();
            assert_eq!(found["total"], 1, "q={q}: {found}");
            assert_eq!(found["items"][0]["code"], "MOHA");
        }
        let by_country = app.get("/api/v1/partners?country=JP").await.json();
        assert_eq!(by_country["total"], 1);
        assert_eq!(by_country["items"][0]["code"], "JICA");
        let by_kind = app.get("/api/v1/partners?kind=government_ministry").await.json();
        assert_eq!(by_kind["items"][0]["code"], "MOHA");
        let wildcard = app.get("/api/v1/partners?q=%25").await.json();
        assert_eq!(wildcard["total"], 0, "`%` is a literal, not a wildcard");
    }
);

db_test!(
    async fn patch_changes_only_the_given_fields_clears_nulls_and_bumps_the_version(app) {
        let created = app
            .partner()
            .code("INSP")
            .name("Institut national du service public")
            .kind(PartnerKind::TrainingInstitute)
            .country("FR")
            .website("https://insp.gouv.fr")
            .notes("Strasbourg")
            .create()
            .await;
        let path = format!("/api/v1/partners/{}", created["id"]);
        let response = app.patch(&path, json!({"name": "National Institute of Public Service", "notes": null})).await;
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("etag"), Some("\"2\""));
        let changed = response.json();
        assert_eq!(changed["name"], "National Institute of Public Service");
        assert_eq!(changed["notes"], serde_json::Value::Null);
        assert_eq!(changed["website"], "https://insp.gouv.fr", "untouched fields stay");
        assert_eq!(changed["version"], 2);

        let refused = app.patch(&path, json!({"name": null})).await;
        let refused = refused.assert_problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["pointer"], "#/name", "{refused}");
    }
);

db_test!(
    async fn a_stale_if_match_gets_412_and_changes_nothing(app) {
        let created = app.partner().code("AFD").create().await;
        let path = format!("/api/v1/partners/{}", created["id"]);
        let first = app
            .send(app.request(actix_web::http::Method::PATCH, &path).insert_header(("if-match", "\"1\"")), Some(&json!({"name": "First"})))
            .await;
        assert_eq!(first.status, 200, "{}", first.text());

        let second = app
            .send(app.request(actix_web::http::Method::PATCH, &path).insert_header(("if-match", "\"1\"")), Some(&json!({"name": "Second"})))
            .await;
        second.assert_problem(412, "precondition_failed");
        assert_eq!(app.get(&path).await.json()["name"], "First");

        let stale_delete = app.send(app.request(actix_web::http::Method::DELETE, &path).insert_header(("if-match", "\"1\"")), None).await;
        stale_delete.assert_problem(412, "precondition_failed");
    }
);

db_test!(
    async fn deleting_a_partner_answers_204_and_then_it_is_gone(app) {
        let created = app.partner().code("GONE").create().await;
        let path = format!("/api/v1/partners/{}", created["id"]);
        let response = app.delete(&path).await;
        assert_eq!(response.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");
        app.delete(&path).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_partner_that_takes_part_in_a_programme_cannot_be_deleted(app) {
        let partner = app.partner().code("JICA").create().await;
        let program = app.program().code("YL").create().await;
        app.program_partner(&program, &partner).role(PartnerRole::Funder).create().await;
        let response = app.delete(&format!("/api/v1/partners/{}", partner["id"])).await;
        response.assert_problem(409, "in_use");
        assert_eq!(app.get(&format!("/api/v1/partners/{}", partner["id"])).await.status, 200);
    }
);

db_test!(
    async fn a_partner_with_a_liaison_account_cannot_be_deleted(app) {
        let partner = app.partner().code("JICA").create().await;
        app.user(Role::Liaison, partner["id"].as_i64()).await;
        let response = app.delete(&format!("/api/v1/partners/{}", partner["id"])).await;
        let problem = response.assert_problem(409, "in_use");
        assert!(problem["detail"].as_str().unwrap_or_default().contains("account"), "{problem}");
        assert_eq!(app.get(&format!("/api/v1/partners/{}", partner["id"])).await.status, 200);
    }
);

db_test!(
    async fn concurrent_creates_of_one_code_make_exactly_one_partner(app) {
        let attempts = (0..8).map(|_| app.post("/api/v1/partners", app.partner().code("RACE").json()));
        let responses = futures::future::join_all(attempts).await;
        let created = responses.iter().filter(|r| r.status == 201).count();
        let duplicates = responses.iter().filter(|r| r.status == 409).count();
        assert_eq!((created, duplicates), (1, 7), "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());

        let distinct = (0..8).map(|i| app.post("/api/v1/partners", app.partner().code(format!("P{i}")).json()));
        let responses = futures::future::join_all(distinct).await;
        assert!(responses.iter().all(|r| r.status == 201), "{:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    }
);

db_test!(
    async fn a_liaison_reads_its_own_partner_without_the_departments_notes_and_no_other(app) {
        let jica = app.partner().code("JICA").notes("pays late; ask twice").create().await;
        let other = app.partner().code("KOICA").create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let own = as_liaison.get(&format!("/api/v1/partners/{}", jica["id"])).await;
        assert_eq!(own.status, 200, "its own partner: {}", own.text());
        let own = own.json();
        assert_eq!(own["code"], "JICA");
        assert_eq!(own["notes"], json!(null), "the department's notes stay with the department: {own}");
        assert_eq!(app.get(&format!("/api/v1/partners/{}", jica["id"])).await.json()["notes"], "pays late; ask twice");

        as_liaison.get(&format!("/api/v1/partners/{}", other["id"])).await.assert_problem(404, "not_found");
        as_liaison.get("/api/v1/partners").await.assert_problem(403, "forbidden");
    }
);
