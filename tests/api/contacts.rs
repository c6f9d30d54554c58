//! Contacts, the people at partners, and the part each took in cohorts and sessions.

use serde_json::{Value, json};
use tpms::participations::ParticipationRole;
use tpms::users::Role;

use crate::db_test;
use crate::support::{TestApp, urlencode};

/// The `contact_name` or `full_name` of each item of a list, in order.
fn names_in(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| {
            i["full_name"]
                .as_str()
                .or(i["contact_name"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// `GET path` as the admin, asserting 200.
async fn listed(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

db_test!(
    async fn a_contact_is_recorded_with_its_name_order_changed_and_deleted(app) {
        let mic = app.partner().code("MIC").create().await;
        let created = app
            .contact(&mic)
            .family_first("HIRAOKA Hisakazu")
            .position("Director")
            .position_vi("Vụ trưởng")
            .create()
            .await;
        assert_eq!(
            (&created["full_name"], &created["name_order"], &created["partner_id"]),
            (&json!("HIRAOKA Hisakazu"), &json!("family_first"), &mic["id"])
        );
        let path = format!("/api/v1/contacts/{}", created["id"]);
        let changed = app.patch(&path, json!({"position": "Director-General", "email": "hiraoka@example.test"})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(changed.json()["position"], "Director-General");
        assert_eq!(changed.json()["position_vi"], "Vụ trưởng", "what was not sent stays");
        assert_eq!(changed.json()["version"], 2);

        let unknown = app.contact(&json!({"id": 999_999})).post().await.assert_problem(422, "validation_failed");
        assert_eq!(unknown["errors"][0]["pointer"], "#/partner_id", "{unknown}");
        app.delete(&format!("/api/v1/partners/{}", mic["id"])).await.assert_problem(409, "in_use");

        assert_eq!(app.delete(&path).await.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn contacts_are_found_with_or_without_diacritics_and_in_any_word_order(app) {
        let moha = app.partner().code("MOHA").create().await;
        let jica = app.partner().code("JICA").create().await;
        app.contact(&moha).family_first("Vũ Thanh Sơn").position_vi("Vụ trưởng Vụ Hợp tác quốc tế").create().await;
        app.contact(&moha).family_first("Vũ Anh Minh").create().await;
        app.contact(&jica).family_first("HIRAOKA Hisakazu").create().await;
        for (q, expected) in [
            ("vu thanh son", vec!["Vũ Thanh Sơn"]),
            ("Sơn Vũ", vec!["Vũ Thanh Sơn"]),
            ("vu", vec!["Vũ Anh Minh", "Vũ Thanh Sơn"]),
            ("hop tac quoc te", vec!["Vũ Thanh Sơn"]),
            ("hiraoka", vec!["HIRAOKA Hisakazu"]),
            ("nobody", vec![]),
        ] {
            let page = listed(&app, &format!("/api/v1/contacts?q={}", urlencode(q))).await;
            assert_eq!(names_in(&page), expected, "q={q}");
        }
        let theirs = listed(&app, &format!("/api/v1/contacts?partner_id={}", jica["id"])).await;
        assert_eq!(names_in(&theirs), ["HIRAOKA Hisakazu"]);
    }
);

db_test!(
    async fn a_session_lists_its_people_and_a_contact_its_history(app) {
        let program = app.program().create().await;
        let seminar = app.cohort(&program).create().await;
        let opening = app.session(&seminar).create().await;
        let closing = app.session(&seminar).create().await;
        let mic = app.partner().code("MIC").create().await;
        let embassy = app.partner().code("EOJ-VN").create().await;
        let director = app.contact(&mic).family_first("HIRAOKA Hisakazu").create().await;
        let ambassador = app.contact(&embassy).full_name("An Ambassador").create().await;
        app.participation(&director, &opening).create().await;
        app.participation(&director, &closing).role(ParticipationRole::Chair).create().await;
        app.participation(&ambassador, &opening).role(ParticipationRole::Guest).create().await;
        let head = app
            .participation(&director, &opening)
            .in_cohort(&seminar)
            .role(ParticipationRole::DelegationHead)
            .create()
            .await;
        assert_eq!((&head["session_id"], &head["cohort_id"]), (&Value::Null, &seminar["id"]));

        let people = listed(&app, &format!("/api/v1/participations?session_id={}", opening["id"])).await;
        let parts: Vec<(&Value, &Value)> =
            people["items"].as_array().expect("items").iter().map(|p| (&p["contact_name"], &p["role"])).collect();
        assert_eq!(parts, [(&json!("HIRAOKA Hisakazu"), &json!("speaker")), (&json!("An Ambassador"), &json!("guest"))]);
        let of_cohort = listed(&app, &format!("/api/v1/participations?cohort_id={}", seminar["id"])).await;
        assert_eq!(of_cohort["total"], 4, "the cohort's people include its sessions': {of_cohort}");
        let history = listed(&app, &format!("/api/v1/participations?contact_id={}", director["id"])).await;
        let roles: Vec<&Value> = history["items"].as_array().expect("items").iter().map(|p| &p["role"]).collect();
        assert_eq!(roles, ["speaker", "chair", "delegation_head"]);
        assert_eq!(history["items"][1]["session_title"], closing["title"]);

        app.participation(&director, &opening).post().await.assert_problem(409, "duplicate");
        let mut both = app.participation(&ambassador, &closing).json();
        both["cohort_id"] = json!(app.cohort(&program).create().await["id"]);
        let mismatch = app.post("/api/v1/participations", both).await.assert_problem(422, "validation_failed");
        assert_eq!(mismatch["errors"][0]["pointer"], "#/cohort_id");
        let mut neither = app.participation(&ambassador, &closing).json();
        neither["session_id"] = Value::Null;
        app.post("/api/v1/participations", neither).await.assert_problem(422, "validation_failed");

        app.delete(&format!("/api/v1/sessions/{}", closing["id"])).await.assert_problem(409, "in_use");
        app.delete(&format!("/api/v1/contacts/{}", ambassador["id"])).await.assert_problem(409, "in_use");
    }
);

db_test!(
    async fn a_liaison_sees_its_own_partners_people_only(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let session = app.session(&cohort).create().await;
        let ours = app.contact(&jica).full_name("Ours").create().await;
        let theirs = app.contact(&insp).full_name("Theirs").create().await;
        app.participation(&ours, &session).create().await;
        let hidden_part = app.participation(&theirs, &session).create().await;

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let contacts = as_liaison.get("/api/v1/contacts").await.json();
        assert_eq!(names_in(&contacts), ["Ours"]);
        let asked_for_theirs = as_liaison.get(&format!("/api/v1/contacts?partner_id={}", insp["id"])).await.json();
        assert_eq!(asked_for_theirs["total"], 0, "a filter cannot widen what a liaison sees");
        as_liaison.get(&format!("/api/v1/contacts/{}", theirs["id"])).await.assert_problem(404, "not_found");
        assert_eq!(as_liaison.get(&format!("/api/v1/contacts/{}", ours["id"])).await.status, 200);

        let people = as_liaison.get(&format!("/api/v1/participations?session_id={}", session["id"])).await.json();
        assert_eq!(names_in(&people), ["Ours"]);
        let path = format!("/api/v1/participations/{}", hidden_part["id"]);
        as_liaison.get(&path).await.assert_problem(404, "not_found");
        as_liaison
            .post("/api/v1/contacts", app.contact(&jica).json())
            .await
            .assert_problem(403, "forbidden");

        let reporter = app.user(Role::Reporter, None).await;
        assert_eq!(app.as_user(&reporter).get("/api/v1/contacts").await.json()["total"], 2);
    }
);
