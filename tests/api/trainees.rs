use actix_web::http::Method;
use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::db::DbConnection;
use tpms::resource::Create;
use tpms::trainees::{CreateTrainee, Trainee, search};
use tpms::users::Role;

use crate::db_test;
use crate::partners::urlencode;
use crate::support::{TestApp, build};

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

/// Run `f` on a pooled connection of the app's database, off the async workers.
async fn with_db<T: Send + 'static>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> T + Send + 'static) -> T {
    let pool = app.pool.clone();
    actix_web::web::block(move || f(&mut pool.get().expect("a connection")))
        .await
        .expect("the blocking pool runs")
}

/// A cohort of a programme, written straight to the database: this branch has no cohorts API yet.
async fn cohort(app: &TestApp, program_id: &Value, code: &str) -> i64 {
    use tpms::schema::cohorts;
    let program_id = program_id.as_i64().expect("a programme id");
    let code = code.to_owned();
    with_db(app, move |conn| {
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(cohorts::table)
            .values((
                cohorts::program_id.eq(program_id),
                cohorts::code.eq(&code),
                cohorts::name.eq(format!("Cohort {code}")),
                cohorts::status.eq("open"),
                cohorts::created_at.eq(now),
                cohorts::updated_at.eq(now),
            ))
            .execute(conn)
            .expect("the cohort is stored");
        cohorts::table
            .filter(cohorts::program_id.eq(program_id))
            .filter(cohorts::code.eq(&code))
            .select(cohorts::id)
            .first(conn)
            .expect("the cohort reads back")
    })
    .await
}

/// An enrolment of a trainee in a cohort with a status, written straight to the database.
async fn enrol(app: &TestApp, cohort_id: i64, trainee: &Value, status: &'static str) {
    use tpms::schema::enrollments;
    let trainee_id = trainee["id"].as_i64().expect("a trainee id");
    with_db(app, move |conn| {
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(enrollments::table)
            .values((
                enrollments::cohort_id.eq(cohort_id),
                enrollments::trainee_id.eq(trainee_id),
                enrollments::status.eq(status),
                enrollments::created_at.eq(now),
                enrollments::updated_at.eq(now),
            ))
            .execute(conn)
            .expect("the enrolment is stored");
    })
    .await;
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
        app.create("/api/v1/trainees", json!({"full_name": "Nguyễn Thị Bích Dung", "email": "Dung.NTB@MOHA.gov.vn"})).await;
        let again = json!({"full_name": "Someone Else", "email": "dung.ntb@moha.GOV.VN"});
        let problem = app.post("/api/v1/trainees", again).await.assert_problem(409, "duplicate");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("dung.ntb@moha.GOV.VN")), "{problem}");

        // Trainees without an email do not collide with each other.
        let other = app.create("/api/v1/trainees", build::trainee("Trần Văn Nam")).await;
        app.create("/api/v1/trainees", build::trainee("Lê Thị Hoa")).await;
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
        let body = json!({"full_name": "  ", "email": "not-an-email", "birth_year": 1800, "phone": "call me", "organisation": ""});
        let problem = app.post("/api/v1/trainees", body).await.assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/birth_year", "#/email", "#/full_name", "#/organisation", "#/phone"]);

        app.post("/api/v1/trainees", json!({"full_name": "A", "gender": "unknown"})).await.assert_problem(400, "malformed_json");
        app.post("/api/v1/trainees", json!({"full_name": "A", "nickname": "B"})).await.assert_problem(400, "malformed_json");
        let created = app.create("/api/v1/trainees", build::trainee("Phạm Minh")).await;
        let problem = app
            .patch(&format!("/api/v1/trainees/{}", created["id"]), json!({"full_name": null}))
            .await
            .assert_problem(400, "malformed_json");
        assert!(problem["detail"].is_string());
    }
);

db_test!(
    async fn a_name_is_found_with_or_without_diacritics_in_any_case_by_word_prefix(app) {
        app.create("/api/v1/trainees", build::trainee("Nguyễn Văn Đức")).await;
        app.create("/api/v1/trainees", build::trainee("Trần Thị Dung")).await;
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
            app.create("/api/v1/trainees", build::trainee(name)).await;
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
    async fn organisation_and_position_words_are_found_and_follow_changes(app) {
        let a = app
            .create(
                "/api/v1/trainees",
                json!({"full_name": "Vũ Thị Mai", "organisation": "Sở Nội vụ tỉnh Quảng Ninh", "position": "Chuyên viên chính"}),
            )
            .await;
        app.create(
            "/api/v1/trainees",
            json!({"full_name": "Đặng Quốc Bảo", "organisation": "Học viện Hành chính Quốc gia", "position": "Giảng viên"}),
        )
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
            .create("/api/v1/trainees", json!({"full_name": "Lan", "gender": "female", "province": "Đà Nẵng", "organisation": "Bộ Nội vụ"}))
            .await;
        let minh = app
            .create("/api/v1/trainees", json!({"full_name": "Minh", "gender": "male", "province": "Hà Nội", "organisation": "Bộ Nội vụ"}))
            .await;
        app.create("/api/v1/trainees", json!({"full_name": "Hà", "gender": "other", "province": "Hà Nội"})).await;
        let program = app.create("/api/v1/programs", build::program("JICA-YL")).await;
        let first = cohort(&app, &program["id"], "YL-1").await;
        let second = cohort(&app, &program["id"], "YL-2").await;
        enrol(&app, first, &lan, "enrolled").await;
        enrol(&app, first, &minh, "waitlisted").await;
        enrol(&app, second, &minh, "completed").await;

        let first_cohort = format!("/api/v1/trainees?cohort_id={first}");
        let second_cohort = format!("/api/v1/trainees?cohort_id={second}");
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
        let jica = app.create("/api/v1/partners", build::partner("JICA")).await;
        let insp = app.create("/api/v1/partners", build::partner("INSP")).await;
        let theirs = app.create("/api/v1/programs", build::program("JICA-YL")).await;
        let other = app.create("/api/v1/programs", build::program("INSP-PL")).await;
        app.create(&format!("/api/v1/programs/{}/partners", theirs["id"]), json!({"partner_id": jica["id"], "roles": ["funder"]}))
            .await;
        app.create(&format!("/api/v1/programs/{}/partners", other["id"]), json!({"partner_id": insp["id"], "roles": ["host"]}))
            .await;
        let their_cohort = cohort(&app, &theirs["id"], "YL-1").await;
        let other_cohort = cohort(&app, &other["id"], "PL-1").await;

        let enrolled = app.create("/api/v1/trainees", build::trainee("Nguyễn Văn Đức")).await;
        let finished = app.create("/api/v1/trainees", build::trainee("Nguyễn Thị Hằng")).await;
        let waiting = app.create("/api/v1/trainees", build::trainee("Nguyễn Minh Tâm")).await;
        let elsewhere = app.create("/api/v1/trainees", build::trainee("Nguyễn Quang Huy")).await;
        let nowhere = app.create("/api/v1/trainees", build::trainee("Nguyễn Thu Trang")).await;
        enrol(&app, their_cohort, &enrolled, "enrolled").await;
        enrol(&app, their_cohort, &finished, "did_not_complete").await;
        enrol(&app, their_cohort, &waiting, "waitlisted").await;
        enrol(&app, other_cohort, &elsewhere, "completed").await;

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let listed = as_liaison.get("/api/v1/trainees").await.json();
        assert_eq!(listed["total"], 2, "{listed}");
        assert_eq!(names(&listed), ["Nguyễn Thị Hằng", "Nguyễn Văn Đức"]);
        let searched = as_liaison.get(&format!("/api/v1/trainees?q={}", urlencode("nguyen"))).await.json();
        assert_eq!(searched["total"], 2, "search stays within what the liaison sees");
        let by_cohort = as_liaison.get(&format!("/api/v1/trainees?cohort_id={other_cohort}")).await;
        by_cohort.assert_problem(404, "not_found");
        let theirs = as_liaison.get(&format!("/api/v1/trainees?cohort_id={their_cohort}")).await.json();
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
    async fn only_admins_and_officers_change_trainees(app) {
        let reporter = app.user(Role::Reporter, None).await;
        let officer = app.user(Role::Officer, None).await;
        let partner = app.create("/api/v1/partners", build::partner("JICA")).await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;

        app.as_user(&reporter).post("/api/v1/trainees", build::trainee("Lê Văn A")).await.assert_problem(403, "forbidden");
        app.as_user(&liaison).post("/api/v1/trainees", build::trainee("Lê Văn A")).await.assert_problem(403, "forbidden");
        let created = app.as_user(&officer).post("/api/v1/trainees", build::trainee("Lê Văn A")).await;
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
        let program = app.create("/api/v1/programs", build::program("JICA-YL")).await;
        let class = cohort(&app, &program["id"], "YL-1").await;
        let enrolled = app.create("/api/v1/trainees", build::trainee("Nguyễn Văn Đức")).await;
        enrol(&app, class, &enrolled, "withdrawn").await;
        app.delete(&format!("/api/v1/trainees/{}", enrolled["id"])).await.assert_problem(409, "in_use");
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", enrolled["id"])).await.status, 200);

        let free = app.create("/api/v1/trainees", build::trainee("Trần Văn Đạt")).await;
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
                Trainee::insert(conn, (), CreateTrainee { full_name: "Nguyễn Văn Đức".to_owned(), ..CreateTrainee::default() })?;
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
                assert!(plan.contains("USING COVERING INDEX trainee_terms_folded"), "{plan}")
            }
            crate::support::Backend::Postgres => {
                assert!(plan.contains("trainee_terms_folded") && !plan.contains("Seq Scan"), "{plan}")
            }
        }
        assert_eq!(names(&search_for(&app, "nguyen").await), ["Nguyễn Văn Đức"]);
        let family36 = (0..400).filter(|i| i % 37 == 36).count();
        assert_eq!(search_for(&app, "family36 given").await["total"], family36, "every word matches, by prefix");
    }
);
