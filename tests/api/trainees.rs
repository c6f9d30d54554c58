use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::db::DbConnection;
use tpms::enrollments::EnrollmentStatus;
use tpms::programs::partners::PartnerRole;
use tpms::resource::Create;
use tpms::trainees::{CreateTrainee, Gender, Trainee, search};
use tpms::users::Role;

use crate::db_test;
use crate::support::{TestApp, urlencode};

/// The full names on a page of trainees, in order.
fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["full_name"].as_str().map(str::to_owned))
        .collect()
}

/// `GET /api/v1/trainees?q=…` as the admin.
async fn search_for(app: &TestApp, q: &str) -> Value {
    let response = app.get(&format!("/api/v1/trainees?q={}", urlencode(q))).await;
    assert_eq!(response.status, 200, "q={q}: {}", response.text());
    response.json()
}

/// A trainee with only a name.
fn named(full_name: &str) -> CreateTrainee {
    CreateTrainee {
        full_name: full_name.to_owned(),
        ..CreateTrainee::default()
    }
}

/// Stores, in one transaction, more trainees working at `organisation` than a search ranks at
/// once (1,100, named "Bùi Thị 0000" onwards), then `others`.
async fn store_many_working_at(app: &TestApp, organisation: &'static str, others: Vec<CreateTrainee>) {
    with_db(app, move |conn| {
        conn.transaction::<_, tpms::error::ApiError, _>(|conn| {
            for i in 0..1_100 {
                let new = CreateTrainee {
                    organisation: Some(organisation.to_owned()),
                    ..named(&format!("Bùi Thị {i:04}"))
                };
                Trainee::insert(conn, (), new)?;
            }
            for other in others {
                Trainee::insert(conn, (), other)?;
            }
            Ok(())
        })
        .expect("the trainees are stored")
    })
    .await;
}

/// Run `f` on a pooled connection of the app's database, off the async workers.
async fn with_db<T: Send + 'static>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> T + Send + 'static) -> T {
    let pool = app.pool.clone();
    actix_web::web::block(move || f(&mut pool.get().expect("a connection")))
        .await
        .expect("the blocking pool runs")
}

db_test!(
    async fn a_trainee_round_trips_changes_and_deletes_and_each_step_is_audited(app) {
        let body = json!({
            "full_name": "Nguyễn Thị Bích Dung",
            "gender": "female",
            "birth_year": 1986,
            "position": "Chuyên viên chính",
            "organisation": "Bộ Nội vụ",
            "province": "Hà Nội",
            "email": "Dung.NTB@moha.gov.vn",
            "phone": "+84 24 3825 1234",
            "notes": "Đã tham dự khoá JICA 2019.\nSpeaks Japanese."
        });
        let response = app.post("/api/v1/trainees", body.clone()).await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(response.header("etag"), Some("\"1\""));
        let created = response.json();
        for (field, value) in body.as_object().expect("an object") {
            assert_eq!(&created[field], value, "{field}");
        }
        assert!(created.get("email_key").is_none(), "{created}");
        let path = response.header("location").expect("a Location header").to_owned();
        assert_eq!(path, format!("/api/v1/trainees/{}", created["id"]));
        let fetched = app.get(&path).await;
        assert_eq!(fetched.header("etag"), Some("\"1\""));
        assert_eq!(fetched.json(), created);

        let change = json!({"position": null, "gender": null, "birth_year": 1987, "organisation": "Bộ Ngoại giao"});
        let patched = app.send(app.request(Method::PATCH, &path).insert_header(("if-match", "\"1\"")), Some(&change)).await;
        assert_eq!(patched.status, 200, "{}", patched.text());
        let patched = patched.json();
        assert_eq!(patched["version"], 2);
        assert_eq!(patched["position"], Value::Null, "null clears a field");
        assert_eq!(patched["gender"], Value::Null);
        assert_eq!(patched["birth_year"], 1987);
        assert_eq!(patched["email"], "Dung.NTB@moha.gov.vn", "fields not sent stay");
        let stale = app.send(app.request(Method::PATCH, &path).insert_header(("if-match", "\"1\"")), Some(&json!({"notes": null}))).await;
        stale.assert_problem(412, "precondition_failed");

        assert_eq!(app.delete(&path).await.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");

        let events = app.get(&format!("/api/v1/audit-events?entity_type=trainee&entity_id={}", created["id"])).await.json();
        let actions: Vec<&str> = events["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, ["delete", "update", "create"], "newest first: {events}");
        assert_eq!(events["items"][1]["changes"]["position"], json!({"before": "Chuyên viên chính", "after": null}));
        assert_eq!(events["items"][1]["changes"]["birth_year"], json!({"before": 1986, "after": 1987}));
        assert_eq!(events["items"][1]["actor"], app.admin_email.as_str());
    }
);

db_test!(
    async fn an_email_belongs_to_one_trainee_whatever_its_case(app) {
        app.trainee().full_name("Nguyễn Thị Bích Dung").email("Dung.NTB@MOHA.gov.vn").create().await;
        let again = app.trainee().full_name("Someone Else").email("dung.ntb@moha.GOV.VN");
        let problem = again.post().await.assert_problem(409, "duplicate");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("dung.ntb@moha.GOV.VN")), "{problem}");

        // Trainees without an email do not collide with each other.
        let other = app.trainee().full_name("Trần Văn Nam").create().await;
        app.trainee().full_name("Lê Thị Hoa").create().await;
        app.patch(&format!("/api/v1/trainees/{}", other["id"]), json!({"email": "DUNG.ntb@moha.gov.vn"}))
            .await
            .assert_problem(409, "duplicate");

        let found = with_db(&app, |conn| Trainee::find_by_email(conn, " DUNG.NTB@moha.gov.vn")).await.expect("the lookup runs");
        assert_eq!(found.map(|t| t.full_name).as_deref(), Some("Nguyễn Thị Bích Dung"));
        let events = app.get("/api/v1/audit-events?entity_type=trainee").await.json();
        assert_eq!(events["total"], 3, "only the successful creates: {events}");
    }
);

db_test!(
    async fn invalid_fields_are_refused_each_named_by_its_pointer(app) {
        let invalid = app.trainee().full_name("  ").email("not-an-email").birth_year(1800).phone("call me").organisation("");
        let problem = invalid.post().await.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/birth_year", "#/email", "#/full_name", "#/organisation", "#/phone"]);

        app.post("/api/v1/trainees", json!({"full_name": "A", "gender": "unknown"})).await.assert_problem(422, "validation_failed");
        app.post("/api/v1/trainees", json!({"full_name": "A", "nickname": "B"})).await.assert_problem(422, "validation_failed");
        let created = app.trainee().full_name("Phạm Minh").create().await;
        let problem = app
            .patch(&format!("/api/v1/trainees/{}", created["id"]), json!({"full_name": null}))
            .await
            .assert_problem(422, "validation_failed");
        assert!(problem["detail"].is_string());
    }
);

db_test!(
    async fn a_name_is_found_with_or_without_diacritics_in_any_case_by_word_prefix(app) {
        app.trainee().full_name("Nguyễn Văn Đức").create().await;
        app.trainee().full_name("Trần Thị Dung").create().await;
        for q in ["nguyen van duc", "NGUYỄN", "Đức", "duc", "đức nguyễn", "Nguye\u{0302}\u{0303}n", "ng v đ"] {
            assert_eq!(names(&search_for(&app, q).await), ["Nguyễn Văn Đức"], "q={q}");
        }
        for q in ["duk", "nguyen lan", "uyen"] {
            assert_eq!(search_for(&app, q).await["total"], 0, "q={q}");
        }
        assert_eq!(search_for(&app, "du").await["total"], 2, "a prefix of Đức and of Dung");
        assert_eq!(search_for(&app, " -- ").await["total"], 2, "a query of no words filters nothing");
    }
);

db_test!(
    async fn matches_that_keep_the_typed_diacritics_rank_first(app) {
        for name in ["Hoàng Văn Tuần", "Phạm Văn Tuấn", "Lê Thị Hoa"] {
            app.trainee().full_name(name).create().await;
        }
        assert_eq!(names(&search_for(&app, "tuấn").await), ["Phạm Văn Tuấn", "Hoàng Văn Tuần"]);
        assert_eq!(names(&search_for(&app, "TUẤN").await), ["Phạm Văn Tuấn", "Hoàng Văn Tuần"]);
        assert_eq!(names(&search_for(&app, "tuần").await), ["Hoàng Văn Tuần", "Phạm Văn Tuấn"]);
        assert_eq!(names(&search_for(&app, "tuan").await), ["Hoàng Văn Tuần", "Phạm Văn Tuấn"], "equal rank: by name");
        assert_eq!(
            names(&app.get("/api/v1/trainees?q=tuan&sort=-full_name").await.json()),
            ["Phạm Văn Tuấn", "Hoàng Văn Tuần"]
        );

        let first = app.get(&format!("/api/v1/trainees?q={}&limit=1", urlencode("tuấn"))).await;
        let page = first.json();
        assert_eq!(page["total"], 2, "the total counts every match, not the page");
        assert_eq!(names(&page), ["Phạm Văn Tuấn"]);
        assert!(first.header("link").is_some(), "a next link while more remain");
        let second = app.get(&format!("/api/v1/trainees?q={}&limit=1&offset=1", urlencode("tuấn"))).await.json();
        assert_eq!(names(&second), ["Hoàng Văn Tuần"]);
    }
);

db_test!(
    async fn a_match_in_the_name_ranks_above_a_match_in_the_organisation_or_position(app) {
        // Byte order puts "Nguyễn Đức…" before "Nguyễn Văn…": the name must win on rank, not order.
        app.trainee().full_name("Nguyễn Đức Anh").position("Chánh Văn phòng").create().await;
        app.trainee().full_name("Nguyễn Văn Đức").create().await;
        app.trainee().full_name("Trần Minh").organisation("Công ty Nguyễn Văn Đức").create().await;
        for q in ["nguyen van duc", "Nguyễn Văn Đức", "nguyễn văn"] {
            let found = names(&search_for(&app, q).await);
            assert_eq!(found[0], "Nguyễn Văn Đức", "q={q}: {found:?}");
        }
        assert_eq!(
            names(&search_for(&app, "van duc").await),
            ["Nguyễn Văn Đức", "Nguyễn Đức Anh", "Trần Minh"],
            "both words in the name, then one, then none"
        );
    }
);

db_test!(
    async fn province_and_organisation_filters_ignore_case_diacritics_and_spaces(app) {
        app.trainee().full_name("Minh").province("Hà Nội").organisation("Sở Nội vụ Đà Nẵng").create().await;
        app.trainee().full_name("Lan").province("Huế").organisation("Sở Nội vụ").create().await;
        for (filter, value, expected) in [
            ("province", "Ha Noi", vec!["Minh"]),
            ("province", "HÀ  NỘI", vec!["Minh"]),
            ("province", "ha noi ", vec!["Minh"]),
            ("province", "hue", vec!["Lan"]),
            ("province", "Ha", vec![]),
            ("organisation", "so noi vu da nang", vec!["Minh"]),
            ("organisation", "SỞ NỘI VỤ", vec!["Lan"]),
        ] {
            let path = format!("/api/v1/trainees?{filter}={}", urlencode(value));
            assert_eq!(names(&app.get(&path).await.json()), expected, "{path}");
            let searched = format!("{path}&q=so");
            assert_eq!(names(&app.get(&searched).await.json()), expected, "{searched}");
        }
        let moved = app.get("/api/v1/trainees?province=hue").await.json();
        app.patch(&format!("/api/v1/trainees/{}", moved["items"][0]["id"]), json!({"province": "Đà Nẵng"})).await;
        assert_eq!(names(&app.get("/api/v1/trainees?province=da%20nang").await.json()), ["Lan"], "the key follows a change");
        assert_eq!(app.get("/api/v1/trainees?province=hue").await.json()["total"], 0);
    }
);

db_test!(
    async fn rows_stored_before_places_were_folded_are_folded_when_the_server_next_starts(app) {
        app.trainee().full_name("Nguyễn Đức Anh").position("Chánh Văn phòng").province("Hà Nội").create().await;
        app.trainee().full_name("Nguyễn Văn Đức").province("Huế").create().await;
        app.program().code("VJ-SEM").description("Civil servants across Asia").create().await;
        // The state a database was in before migration 2026-12-02-000006: no keys, no name marks,
        // programme search text without the description, and no upkeep done.
        with_db(&app, |conn| {
            diesel::sql_query("UPDATE trainees SET province_key = NULL, organisation_key = NULL").execute(conn)?;
            diesel::sql_query("UPDATE trainee_terms SET in_name = FALSE, province_key = NULL").execute(conn)?;
            diesel::sql_query("UPDATE programs SET search_text = 'vj-sem'").execute(conn)?;
            diesel::sql_query("DELETE FROM upkeep").execute(conn)
        })
        .await
        .expect("the old state is restored");
        assert_eq!(app.get("/api/v1/trainees?province=ha%20noi").await.json()["total"], 0);
        assert_eq!(app.get("/api/v1/programs?q=asia").await.json()["total"], 0);

        let pool = app.pool.clone();
        actix_web::web::block(move || tpms::cli::migrate(&pool)).await.expect("blocking pool").expect("upkeep runs");

        assert_eq!(names(&app.get("/api/v1/trainees?province=ha%20noi").await.json()), ["Nguyễn Đức Anh"]);
        assert_eq!(names(&search_for(&app, "nguyen van duc").await)[0], "Nguyễn Văn Đức");
        // The terms carry the province again, for a search with `?province=` to read them by.
        let (hanoi_terms, all_terms) = with_db(&app, |conn| {
            use tpms::schema::trainee_terms;
            let hanoi = trainee_terms::table.filter(trainee_terms::province_key.eq("ha noi")).count().get_result::<i64>(conn);
            let all = trainee_terms::table.filter(trainee_terms::province_key.is_not_null()).count().get_result::<i64>(conn);
            (hanoi.expect("a count"), all.expect("a count"))
        })
        .await;
        assert_eq!((hanoi_terms, all_terms), (6, 9), "Nguyễn Đức Anh's six words in Hà Nội, and three in Huế");
        assert_eq!(app.get("/api/v1/programs?q=asia").await.json()["total"], 1);
    }
);

db_test!(
    async fn organisation_and_position_words_are_found_and_follow_changes(app) {
        let a = app
            .trainee()
            .full_name("Vũ Thị Mai")
            .organisation("Sở Nội vụ tỉnh Quảng Ninh")
            .position("Chuyên viên chính")
            .create()
            .await;
        app.trainee()
            .full_name("Đặng Quốc Bảo")
            .organisation("Học viện Hành chính Quốc gia")
            .position("Giảng viên")
            .create()
            .await;
        for (q, expected) in [
            ("quang ninh", vec!["Vũ Thị Mai"]),
            ("chuyen vien", vec!["Vũ Thị Mai"]),
            ("noi vu chuyên mai", vec!["Vũ Thị Mai"]),
            ("hoc vien giang", vec!["Đặng Quốc Bảo"]),
            ("quoc", vec!["Đặng Quốc Bảo"]),
            ("vien", vec!["Vũ Thị Mai", "Đặng Quốc Bảo"]),
        ] {
            // Sorted here: the databases may order "Đ" and "V" differently (bytes or language).
            let mut found = names(&search_for(&app, q).await);
            found.sort();
            assert_eq!(found, expected, "q={q}");
        }

        app.patch(&format!("/api/v1/trainees/{}", a["id"]), json!({"organisation": "Bộ Ngoại giao", "position": null})).await;
        assert_eq!(search_for(&app, "quang ninh").await["total"], 0, "old words are gone");
        assert_eq!(search_for(&app, "chuyen").await["total"], 0);
        assert_eq!(names(&search_for(&app, "ngoai giao").await), ["Vũ Thị Mai"]);
    }
);

db_test!(
    async fn trainees_are_filtered_by_organisation_province_gender_and_cohort(app) {
        let lan = app
            .trainee()
            .full_name("Lan")
            .gender(Gender::Female)
            .province("Đà Nẵng")
            .organisation("Bộ Nội vụ")
            .create()
            .await;
        let minh =
            app.trainee().full_name("Minh").gender(Gender::Male).province("Hà Nội").organisation("Bộ Nội vụ").create().await;
        app.trainee().full_name("Hà").gender(Gender::Other).province("Hà Nội").create().await;
        let program = app.program().code("JICA-YL").create().await;
        // One seat in the first cohort, Lan's: Minh waits for it.
        let first = app.cohort(&program).code("YL-1").capacity(1).create().await;
        let second = app.cohort(&program).code("YL-2").create().await;
        app.enrollment(&first, &lan).status(EnrollmentStatus::Enrolled).create().await;
        app.enrollment(&first, &minh).status(EnrollmentStatus::Waitlisted).create().await;
        app.enrollment(&second, &minh).status(EnrollmentStatus::Completed).create().await;

        let first_cohort = format!("/api/v1/trainees?cohort_id={}", first["id"]);
        let second_cohort = format!("/api/v1/trainees?cohort_id={}", second["id"]);
        let organisation = format!("/api/v1/trainees?organisation={}", urlencode("Bộ Nội vụ"));
        let province = format!("/api/v1/trainees?province={}", urlencode("Ha\u{0300} No\u{0323}\u{0302}i"));
        for (path, expected) in [
            (first_cohort.as_str(), vec!["Lan", "Minh"]),
            (second_cohort.as_str(), vec!["Minh"]),
            (organisation.as_str(), vec!["Lan", "Minh"]),
            (province.as_str(), vec!["Hà", "Minh"]),
            ("/api/v1/trainees?gender=female", vec!["Lan"]),
            ("/api/v1/trainees?gender=male&province=H%C3%A0%20N%E1%BB%99i", vec!["Minh"]),
            ("/api/v1/trainees?sort=-full_name", vec!["Minh", "Lan", "Hà"]),
        ] {
            let page = app.get(path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.text());
            assert_eq!(names(&page.json()), expected, "{path}");
        }
        app.get("/api/v1/trainees?gender=unknown").await.assert_problem(400, "invalid_query");
        app.get("/api/v1/trainees?sort=age").await.assert_problem(400, "invalid_query");
        let too_many = (0..=search::MAX_QUERY_WORDS).map(|i| format!("w{i}")).collect::<Vec<_>>().join("+");
        app.get(&format!("/api/v1/trainees?q={too_many}")).await.assert_problem(400, "invalid_query");
    }
);

db_test!(
    async fn a_liaison_sees_only_trainees_enrolled_in_its_partners_programmes(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let theirs = app.program().code("JICA-YL").create().await;
        let other = app.program().code("INSP-PL").create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Funder).create().await;
        app.program_partner(&other, &insp).role(PartnerRole::Host).create().await;
        // Two seats in their cohort, both taken (one by a trainee who did not complete): the
        // third trainee waits.
        let their_cohort = app.cohort(&theirs).code("YL-1").capacity(2).create().await;
        let other_cohort = app.cohort(&other).code("PL-1").create().await;

        let enrolled = app.trainee().full_name("Nguyễn Văn Đức").create().await;
        let finished = app.trainee().full_name("Nguyễn Thị Hằng").create().await;
        let waiting = app.trainee().full_name("Nguyễn Minh Tâm").create().await;
        let elsewhere = app.trainee().full_name("Nguyễn Quang Huy").create().await;
        let nowhere = app.trainee().full_name("Nguyễn Thu Trang").create().await;
        app.enrollment(&their_cohort, &enrolled).status(EnrollmentStatus::Enrolled).create().await;
        app.enrollment(&their_cohort, &finished).status(EnrollmentStatus::DidNotComplete).create().await;
        app.enrollment(&their_cohort, &waiting).status(EnrollmentStatus::Waitlisted).create().await;
        app.enrollment(&other_cohort, &elsewhere).status(EnrollmentStatus::Completed).create().await;

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let listed = as_liaison.get("/api/v1/trainees").await.json();
        assert_eq!(listed["total"], 2, "{listed}");
        assert_eq!(names(&listed), ["Nguyễn Thị Hằng", "Nguyễn Văn Đức"]);
        let searched = as_liaison.get(&format!("/api/v1/trainees?q={}", urlencode("nguyen"))).await.json();
        assert_eq!(searched["total"], 2, "search stays within what the liaison sees");
        let by_cohort = as_liaison.get(&format!("/api/v1/trainees?cohort_id={}", other_cohort["id"])).await;
        by_cohort.assert_problem(404, "not_found");
        let theirs = as_liaison.get(&format!("/api/v1/trainees?cohort_id={}", their_cohort["id"])).await.json();
        assert_eq!(theirs["total"], 2, "seated trainees only: {theirs}");

        assert_eq!(as_liaison.get(&format!("/api/v1/trainees/{}", enrolled["id"])).await.status, 200);
        for hidden in [&waiting, &elsewhere, &nowhere] {
            let response = as_liaison.get(&format!("/api/v1/trainees/{}", hidden["id"])).await;
            let problem = response.assert_problem(404, "not_found");
            let unknown = as_liaison.get("/api/v1/trainees/999999").await.json();
            assert_eq!(
                problem["detail"].as_str().map(|d| d.replace(&hidden["id"].to_string(), "N")),
                unknown["detail"].as_str().map(|d| d.replace("999999", "N")),
                "a hidden trainee looks exactly like a missing one"
            );
        }

        let reporter = app.user(Role::Reporter, None).await;
        assert_eq!(app.as_user(&reporter).get("/api/v1/trainees").await.json()["total"], 5);
    }
);

db_test!(
    async fn a_liaison_reads_what_a_partner_needs_and_contacts_only_where_shared(app) {
        let jica = app.partner().code("JICA").create().await;
        let sharing = app.program().code("JICA-YL").create().await;
        let private = app.program().code("JICA-LG").create().await;
        app.program_partner(&sharing, &jica).sharing_trainee_contacts().create().await;
        let private_link = app.program_partner(&private, &jica).create().await;
        assert_eq!(private_link["shares_trainee_contacts"], false, "sharing is off unless asked for");
        let class = app.cohort(&sharing).code("YL-1").capacity(1).create().await;
        let seminar = app.cohort(&private).code("LG-1").create().await;
        let in_class = app
            .trainee()
            .full_name("Nguyễn Văn Đức")
            .gender(Gender::Male)
            .birth_year(1986)
            .position("Chuyên viên chính")
            .organisation("Bộ Nội vụ")
            .province("Hà Nội")
            .email("duc@example.test")
            .phone("+84 24 3824 0000")
            .notes("asked for a vegetarian diet")
            .create()
            .await;
        let in_seminar = app
            .trainee()
            .full_name("Trần Thị Mai")
            .email("mai@example.test")
            .phone("+84 28 3829 0000")
            .create()
            .await;
        let waiting = app.trainee().full_name("Lê Minh Tâm").create().await;
        app.enrollment(&class, &in_class).status(EnrollmentStatus::Enrolled).create().await;
        app.enrollment(&seminar, &in_seminar).status(EnrollmentStatus::Enrolled).create().await;
        app.enrollment(&class, &waiting).status(EnrollmentStatus::Waitlisted).create().await;
        // Both agreed on paper to share their contact details with JICA (issue 31): what the
        // programmes share decides from here.
        for trainee in [&in_class, &in_seminar] {
            let consent = app
                .post(
                    &format!("/api/v1/trainees/{}/consents", trainee["id"]),
                    json!({"purpose": "partner_contacts", "partner_id": jica["id"]}),
                )
                .await;
            assert_eq!(consent.status, 201, "{}", consent.text());
        }

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let duc = as_liaison.get(&format!("/api/v1/trainees/{}", in_class["id"])).await.json();
        assert_eq!(
            [&duc["full_name"], &duc["position"], &duc["organisation"], &duc["province"]],
            ["Nguyễn Văn Đức", "Chuyên viên chính", "Bộ Nội vụ", "Hà Nội"],
            "what a partner needs: {duc}"
        );
        assert_eq!(
            [&duc["email"], &duc["phone"]],
            ["duc@example.test", "+84 24 3824 0000"],
            "shared by the class's programme"
        );
        assert_eq!([&duc["gender"], &duc["birth_year"], &duc["notes"]], [&Value::Null; 3], "never: {duc}");
        let mai = as_liaison.get(&format!("/api/v1/trainees/{}", in_seminar["id"])).await.json();
        assert_eq!([&mai["email"], &mai["phone"]], [&Value::Null; 2], "the seminar does not share them: {mai}");

        let listed = as_liaison.get("/api/v1/trainees").await.json();
        let contacts: Vec<(&Value, &Value, &Value)> = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| (&t["full_name"], &t["email"], &t["gender"]))
            .collect();
        assert_eq!(
            contacts,
            [
                (&json!("Nguyễn Văn Đức"), &json!("duc@example.test"), &Value::Null),
                (&json!("Trần Thị Mai"), &Value::Null, &Value::Null)
            ],
            "the list reads as the single trainees do"
        );
        let record = as_liaison.get(&format!("/api/v1/reports/trainees/{}/record", in_seminar["id"])).await.json();
        assert_eq!(record["trainee"]["email"], Value::Null, "nor does the trainee's record: {record}");
        as_liaison.get("/api/v1/trainees?gender=male").await.assert_problem(400, "invalid_query");

        let cohort_path = format!("/api/v1/cohorts/{}", class["id"]);
        let seen = as_liaison.get(&cohort_path).await.json();
        assert_eq!((&seen["enrolled"], &seen["waitlisted"]), (&json!(1), &Value::Null), "no count of the waitlist");
        let listed = as_liaison.get(&format!("/api/v1/programs/{}/cohorts", sharing["id"])).await.json();
        assert_eq!(listed["items"][0]["waitlisted"], Value::Null, "{listed}");
        assert_eq!(app.get(&cohort_path).await.json()["waitlisted"], 1, "staff see the waitlist");
        let staff_view = app.get(&format!("/api/v1/trainees/{}", in_class["id"])).await.json();
        assert_eq!(staff_view["notes"], "asked for a vegetarian diet", "staff read everything");

        let path = format!("/api/v1/programs/{}/partners/{}", private["id"], jica["id"]);
        let shared = app.patch(&path, json!({"shares_trainee_contacts": true})).await;
        assert_eq!(shared.status, 200, "{}", shared.text());
        let mai = as_liaison.get(&format!("/api/v1/trainees/{}", in_seminar["id"])).await.json();
        assert_eq!(mai["email"], "mai@example.test", "shared from now on: {mai}");
    }
);

db_test!(
    async fn only_admins_and_officers_change_trainees(app) {
        let reporter = app.user(Role::Reporter, None).await;
        let officer = app.user(Role::Officer, None).await;
        let partner = app.partner().code("JICA").create().await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;

        let le_van_a = app.trainee().full_name("Lê Văn A").json();
        app.as_user(&reporter).post("/api/v1/trainees", le_van_a.clone()).await.assert_problem(403, "forbidden");
        app.as_user(&liaison).post("/api/v1/trainees", le_van_a.clone()).await.assert_problem(403, "forbidden");
        let created = app.as_user(&officer).post("/api/v1/trainees", le_van_a).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let path = format!("/api/v1/trainees/{}", created.json()["id"]);
        assert_eq!(app.as_user(&reporter).get(&path).await.status, 200);
        app.as_user(&reporter).patch(&path, json!({"notes": "x"})).await.assert_problem(403, "forbidden");
        app.as_user(&reporter).delete(&path).await.assert_problem(403, "forbidden");
        assert_eq!(app.as_user(&officer).delete(&path).await.status, 204);
    }
);

db_test!(
    async fn a_trainee_with_an_enrolment_cannot_be_deleted_and_one_without_leaves_no_terms(app) {
        let program = app.program().code("JICA-YL").create().await;
        let class = app.cohort(&program).code("YL-1").create().await;
        let enrolled = app.trainee().full_name("Nguyễn Văn Đức").create().await;
        app.enrollment(&class, &enrolled).status(EnrollmentStatus::Withdrawn).create().await;
        app.delete(&format!("/api/v1/trainees/{}", enrolled["id"])).await.assert_problem(409, "in_use");
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", enrolled["id"])).await.status, 200);

        let free = app.trainee().full_name("Trần Văn Đạt").create().await;
        let free_id = free["id"].as_i64().expect("an id");
        assert_eq!(app.delete(&format!("/api/v1/trainees/{free_id}")).await.status, 204);
        let terms: i64 = with_db(&app, move |conn| {
            use tpms::schema::trainee_terms;
            trainee_terms::table.filter(trainee_terms::trainee_id.eq(free_id)).count().get_result(conn)
        })
        .await
        .expect("the count runs");
        assert_eq!(terms, 0);
    }
);

/// One line of a query plan: SQLite's `EXPLAIN QUERY PLAN` detail, or PostgreSQL's `EXPLAIN`.
#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

db_test!(
    async fn a_search_word_is_looked_up_through_the_folded_terms_index(app) {
        // Enough trainees (and terms) that a planner with fresh statistics prefers the index to a
        // scan; made through the public API the CSV import uses.
        let plan = with_db(&app, |conn| {
            conn.transaction::<_, tpms::error::ApiError, _>(|conn| {
                for i in 0..400 {
                    let new = CreateTrainee {
                        full_name: format!("Trainee{i} Family{} Given{}", i % 37, i % 11),
                        organisation: Some(format!("Organisation{} Department{}", i % 13, i % 7)),
                        position: Some(format!("Position{}", i % 5)),
                        ..CreateTrainee::default()
                    };
                    Trainee::insert(conn, (), new)?;
                }
                Trainee::insert(conn, (), named("Nguyễn Văn Đức"))?;
                Ok(())
            })
            .expect("the trainees are stored");
            let (from, to) = ("nguyen".to_owned(), search::prefix_end("nguyen"));
            let lookup = search::ids_with_folded_term_in(from.clone(), to.clone());
            // The SQL the list runs for one query word, with its binds given again below.
            let sql = |debug: String| debug.split(" -- binds:").next().unwrap_or_default().to_owned();
            let lines: Vec<String> = match conn {
                DbConnection::Sqlite(c) => {
                    diesel::connection::SimpleConnection::batch_execute(c, "ANALYZE").expect("ANALYZE");
                    let sql = sql(diesel::debug_query::<diesel::sqlite::Sqlite, _>(&lookup).to_string());
                    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                        .bind::<diesel::sql_types::Text, _>(&from)
                        .bind::<diesel::sql_types::Text, _>(&to)
                        .load::<SqlitePlanLine>(c)
                        .expect("EXPLAIN QUERY PLAN")
                        .into_iter()
                        .map(|l| l.detail)
                        .collect()
                }
                DbConnection::Postgresql(c) => {
                    diesel::connection::SimpleConnection::batch_execute(c, "VACUUM ANALYZE trainee_terms").expect("ANALYZE");
                    let sql = sql(diesel::debug_query::<diesel::pg::Pg, _>(&lookup).to_string());
                    diesel::sql_query(format!("EXPLAIN {sql}"))
                        .bind::<diesel::sql_types::Text, _>(&from)
                        .bind::<diesel::sql_types::Text, _>(&to)
                        .load::<PostgresPlanLine>(c)
                        .expect("EXPLAIN")
                        .into_iter()
                        .map(|l| l.line)
                        .collect()
                }
            };
            lines.join("\n")
        })
        .await;
        match app.backend {
            crate::support::Backend::Sqlite => {
                assert!(plan.contains("USING COVERING INDEX trainee_terms_spelling_name"), "{plan}")
            }
            crate::support::Backend::Postgres => {
                // Either index that leads with the folded term serves the lookup.
                let indexed = plan.contains("trainee_terms_spelling_name") || plan.contains("trainee_terms_name_postings");
                assert!(indexed && !plan.contains("Seq Scan"), "{plan}")
            }
        }
        assert_eq!(names(&search_for(&app, "nguyen").await), ["Nguyễn Văn Đức"]);
        let family36 = (0..400).filter(|i| i % 37 == 36).count();
        assert_eq!(search_for(&app, "family36 given").await["total"], family36, "every word matches, by prefix");
    }
);

db_test!(
    async fn a_common_word_lists_names_with_it_first_however_many_organisations_have_it_too(app) {
        // More matches than a search ranks at once (1,000), so the page is walked from the
        // terms, a rank at a time; most of them have the word only in their organisation, and
        // come before the names with it in name order.
        let with_the_word = ["Nguyễn Văn Đức", "Nguyễn Thị Lan", "Trần Nguyên Hải"].map(named);
        store_many_working_at(&app, "Sở Tài nguyên và Môi trường", with_the_word.into()).await;
        let first = search_for(&app, "nguy").await;
        let found = names(&first);
        assert_eq!(
            found[..4],
            ["Nguyễn Thị Lan", "Nguyễn Văn Đức", "Trần Nguyên Hải", "Bùi Thị 0000"],
            "the names with the word, in name order, then the organisations"
        );
        assert_eq!(found.len(), 50);
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let second = app.get(&format!("/api/v1/trainees?q=nguy&cursor={cursor}")).await.json();
        assert_eq!(names(&second)[0], "Bùi Thị 0047", "the next page goes on where the first stopped");
    }
);

db_test!(
    async fn a_name_spelt_plainly_with_the_word_typed_elsewhere_keeps_its_best_rank(app) {
        // "Tuan Minh" has the word in the name without its diacritics and as typed ("Tuấn") in
        // the position: every word in the name, every word typed, so the best rank, like "Tuấn
        // Anh". More than 1,000 others have the word in their organisation only.
        let plain = CreateTrainee {
            position: Some("Trợ lý Tuấn".to_owned()),
            ..named("Tuan Minh")
        };
        store_many_working_at(&app, "Công ty Tuấn Phát", vec![plain, named("Tuấn Anh")]).await;
        let found = names(&search_for(&app, "tuấn").await);
        assert_eq!(found[..3], ["Tuan Minh", "Tuấn Anh", "Bùi Thị 0000"], "{found:?}");
    }
);

db_test!(
    async fn a_search_with_a_province_counts_a_total_that_is_exact_or_at_least_1001(app) {
        // More trainees with the word than a search ranks at once (1,000) in each of two
        // provinces, the other province's stored first; and a few in a third.
        with_db(&app, |conn| {
            conn.transaction::<_, tpms::error::ApiError, _>(|conn| {
                let places = [("Quảng Ninh", "Văn", 1_500), ("Hà Nội", "Thị", 1_050), ("Đà Nẵng", "Hữu", 30)];
                for (province, middle, n) in places {
                    for i in 0..n {
                        let new = CreateTrainee {
                            province: Some(province.to_owned()),
                            organisation: Some("Sở Nội vụ".to_owned()),
                            ..named(&format!("Nguyễn {middle} {i:04}"))
                        };
                        Trainee::insert(conn, (), new)?;
                    }
                }
                Ok(())
            })
            .expect("the trainees are stored")
        })
        .await;
        let page = |query: &'static str| {
            let app = &app;
            async move {
                let response = app.get(&format!("/api/v1/trainees?{query}&limit=5")).await;
                assert_eq!(response.status, 200, "{query}: {}", response.text());
                response.json()
            }
        };
        // Exact, or a lower bound of at least 1,001 that is still true.
        let counted = |page: &Value, matching: i64| {
            let total = page["total"].as_i64().expect("a total");
            if page["total_exact"] == json!(true) {
                total == matching
            } else {
                (1_001..=matching).contains(&total)
            }
        };
        let hanoi = page("q=nguy&province=H%C3%A0%20N%E1%BB%99i").await;
        assert!(counted(&hanoi, 1_050), "{}", json!({"total": hanoi["total"], "total_exact": hanoi["total_exact"]}));
        assert_eq!(names(&hanoi), ["Nguyễn Thị 0000", "Nguyễn Thị 0001", "Nguyễn Thị 0002", "Nguyễn Thị 0003", "Nguyễn Thị 0004"]);
        let two_words = page("q=nguy%20thi&province=ha%20noi").await;
        assert!(counted(&two_words, 1_050), "{two_words}");
        let quang_ninh = page("q=nguy&province=Quang%20Ninh").await;
        assert!(counted(&quang_ninh, 1_500), "{quang_ninh}");
        assert_eq!(names(&quang_ninh)[0], "Nguyễn Văn 0000");
        let everywhere = page("q=nguy&organisation=S%E1%BB%9F%20N%E1%BB%99i%20v%E1%BB%A5").await;
        assert!(counted(&everywhere, 2_580), "{everywhere}");
        let da_nang = page("q=nguy&province=%C4%90%C3%A0%20N%E1%BA%B5ng").await;
        assert_eq!((da_nang["total"].clone(), da_nang["total_exact"].clone()), (json!(30), json!(true)));
        // Following the cursors reads every one of the province's matches once, in name order.
        let (hanoi_all, _) = app.every_page("/api/v1/trainees?q=nguy&province=H%C3%A0%20N%E1%BB%99i&limit=200").await;
        assert_eq!(hanoi_all.len(), 1_050);
        assert!(hanoi_all.iter().all(|t| t["province"] == "Hà Nội"));
        let ordered: Vec<&str> = hanoi_all.iter().filter_map(|t| t["full_name"].as_str()).collect();
        assert!(ordered.windows(2).all(|pair| pair[0] < pair[1]), "name order");
    }
);
