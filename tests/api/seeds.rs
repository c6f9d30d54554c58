//! The seed data: a fresh database opens on the real programmes, a second run changes nothing,
//! an edited file updates its records only, and a broken file writes nothing.

use serde_json::{Value, json};
use tpms::seed::{FileReport, SeedFile};

use crate::db_test;
use crate::support::TestApp;

/// Seed `files` into the app's database, as `tpms seed` does.
async fn seed(app: &TestApp, files: Vec<SeedFile>) -> anyhow::Result<Vec<FileReport>> {
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        Ok(tpms::seed::run(&mut conn, &files, false, &mut |_| {})?.unwrap_or_default())
    })
    .await
    .expect("the blocking pool runs")
}

fn total(reports: &[FileReport], count: fn(&FileReport) -> usize) -> usize {
    reports.iter().map(count).sum()
}

/// The embedded files with `from` replaced by `to` in the one at `path`.
fn edited(path: &str, from: &str, to: &str) -> Vec<SeedFile> {
    let mut files = tpms::seed::embedded_files();
    let file = files.iter_mut().find(|f| f.path == path).expect("the seed file exists");
    assert!(file.text.contains(from), "{path} holds `{from}`");
    file.text = file.text.replacen(from, to, 1);
    files
}

/// Everything the API shows of the seeded programmes, their cohorts and sessions.
async fn everything(app: &TestApp) -> Value {
    let programs = app.get("/api/v1/programs?limit=200").await.json();
    let mut cohorts = Vec::new();
    let mut roles = Vec::new();
    for program in programs["items"].as_array().expect("items") {
        let theirs = app
            .get(&format!("/api/v1/programs/{}/partners?limit=200", program["id"]))
            .await
            .json();
        roles.push(json!({"program": program["code"], "roles": theirs["items"]}));
        let list = app
            .get(&format!("/api/v1/programs/{}/cohorts?limit=200", program["id"]))
            .await
            .json();
        for cohort in list["items"].as_array().expect("items") {
            let sessions = app
                .get(&format!("/api/v1/cohorts/{}/sessions?limit=200", cohort["id"]))
                .await
                .json();
            cohorts.push(json!({"cohort": cohort, "sessions": sessions["items"]}));
        }
    }
    let partners = app.get("/api/v1/partners?limit=200").await.json();
    let contacts = app.get("/api/v1/contacts?limit=200").await.json();
    let people = app.get("/api/v1/participations?limit=200").await.json();
    json!({
        "programs": programs["items"], "roles": roles, "cohorts": cohorts, "partners": partners["items"],
        "contacts": contacts["items"], "participations": people["items"],
    })
}

db_test!(
    async fn seeding_twice_yields_the_same_rows(app) {
        let first = seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        assert!(total(&first, |r| r.created) > 50, "{first:?}");
        let before = everything(&app).await;

        let second = seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load again");
        assert_eq!(total(&second, |r| r.created) + total(&second, |r| r.updated), 0, "{second:?}");
        assert_eq!(total(&second, |r| r.unchanged), total(&first, |r| r.created));
        assert_eq!(everything(&app).await, before, "not even a version or updated_at moved");
    }
);

db_test!(
    async fn the_jica_programme_has_its_planned_figures_cohorts_and_sessions_with_their_sources(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let found = app.get("/api/v1/programs?q=JICA").await.json();
        let jica = found["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["code"] == "JICA-YL")
            .cloned()
            .expect("the young-leaders programme");
        assert_eq!(jica["planned_trainees"], 120);
        assert_eq!(jica["planned_cohorts"], 6);
        assert_eq!(jica["agreement_signed_on"], "2019", "only the year is known");
        let source = jica["source"].as_str().expect("a source").to_owned();
        assert_eq!(source, "003_f763ceca04e3ab24.txt");
        let approximate: Vec<&Value> =
            jica["figures"].as_array().expect("figures").iter().filter(|f| f["approximate"] == true).collect();
        assert!(approximate.iter().any(|f| f["value"] == 100), "\"nearly 100\" keeps its figure and that it is approximate");

        let cohorts = app.get(&format!("/api/v1/programs/{}/cohorts", jica["id"])).await.json();
        let months: Vec<(String, String)> = cohorts["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|c| c["sequence"] == 3 || c["sequence"] == 4)
            .map(|c| (c["code"].as_str().unwrap_or_default().to_owned(), c["start_date"].as_str().unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(months.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(), ["2024-02", "2024-05"], "{months:?}");
        let mut sessions = Vec::new();
        for cohort in cohorts["items"].as_array().expect("items") {
            assert_eq!(cohort["source"], source.as_str());
            let list = app.get(&format!("/api/v1/cohorts/{}/sessions", cohort["id"])).await.json();
            sessions.extend(list["items"].as_array().expect("items").iter().cloned());
        }
        let kinds: Vec<&str> = sessions.iter().filter_map(|s| s["kind"].as_str()).collect();
        assert!(kinds.contains(&"evaluation_seminar") && kinds.contains(&"study_visit"), "{kinds:?}");
        assert!(sessions.iter().all(|s| s["source"] == source.as_str()), "{sessions:?}");
        let seminar = sessions.iter().find(|s| s["kind"] == "evaluation_seminar").expect("the evaluation seminar");
        assert_eq!(seminar["date"], "2024-09-16");
        assert!(seminar["speaker_name"].is_string() && seminar["location"].is_string(), "who led it, and where: {seminar}");

        let by_source = app.get(&format!("/api/v1/programs?source={source}")).await.json();
        assert_eq!(by_source["total"], 1);
        let partners = app.get("/api/v1/partners?source=004_7ed048d3a6bf6e4d.txt&limit=200").await.json();
        let codes: Vec<&str> = partners["items"].as_array().expect("items").iter().filter_map(|p| p["code"].as_str()).collect();
        assert!(codes.contains(&"INSP") && codes.contains(&"DGAFP"), "{codes:?}");
    }
);

db_test!(
    async fn an_edited_seed_file_updates_its_record_and_never_a_users(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let mine = app.program().code("MY-OWN").create().await;
        let jica = app.get("/api/v1/programs?source=003_f763ceca04e3ab24.txt").await.json()["items"][0].clone();

        let files = edited("programs/jica-young-leaders.toml", "planned_trainees = 120", "planned_trainees = 125");
        let reports = seed(&app, files).await.expect("the edited seeds load");
        assert_eq!(total(&reports, |r| r.updated), 1, "{reports:?}");
        let after = app.get(&format!("/api/v1/programs/{}", jica["id"])).await.json();
        assert_eq!(after["planned_trainees"], 125);
        assert_eq!(after["version"], jica["version"].as_i64().expect("a version") + 1);
        assert_eq!(app.get(&format!("/api/v1/programs/{}", mine["id"])).await.json(), mine, "a user's record is untouched");

        let events = app.get(&format!("/api/v1/audit-events?entity_type=program&entity_id={}", jica["id"])).await.json();
        let update = events["items"].as_array().expect("items").iter().find(|e| e["action"] == "update").cloned().expect("an update");
        assert_eq!(update["actor"], "tpms seed");
        assert_eq!(update["changes"]["planned_trainees"], json!({"before": 120, "after": 125}));
    }
);

db_test!(
    async fn a_user_record_with_a_seed_records_code_is_left_alone(app) {
        let theirs = app.partner().code("JICA").create().await;
        let reports = seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let skipped: Vec<&String> = reports.iter().flat_map(|r| &r.skipped).collect();
        assert!(skipped.iter().any(|s| s.contains("partner JICA was made by a user")), "{skipped:?}");
        assert_eq!(app.get(&format!("/api/v1/partners/{}", theirs["id"])).await.json(), theirs);
    }
);

db_test!(
    async fn a_broken_seed_file_writes_nothing_and_names_the_file_record_and_field(app) {
        let files = edited("partners.toml", "country = \"VN\"", "country = \"XX\"");
        let error = seed(&app, files).await.expect_err("a broken file is refused").to_string();
        assert!(
            error.contains("seeds/partners.toml: partners[1] (code MOHA): country:"),
            "file, record and field are named: {error}"
        );
        let files = edited("programs/jica-young-leaders.toml", "partner = \"COC\"", "partner = \"NOBODY\"");
        let error = seed(&app, files).await.expect_err("an unknown partner is refused").to_string();
        assert!(error.contains("names partner NOBODY"), "{error}");
        let files = edited("programs/jica-young-leaders.toml", "contact = \"JICA/hiraoka-hisakazu\"", "contact = \"JICA/nobody\"");
        let error = seed(&app, files).await.expect_err("an unknown contact is refused").to_string();
        assert!(error.contains("people[2] (contact JICA/nobody): contact: names JICA/nobody"), "{error}");
        let files = edited("partners.toml", "name_order = \"family_first\"", "name_order = \"surname_first\"");
        let error = seed(&app, files).await.expect_err("a bad contact is refused").to_string();
        assert!(error.contains("partners[1].contacts[1] (key vu-dang-minh)"), "{error}");
        let files = edited("programs/jica-young-leaders.toml", "[program]", "[program\n");
        let error = seed(&app, files).await.expect_err("bad TOML is refused").to_string();
        assert!(error.contains("seeds/programs/jica-young-leaders.toml") && error.contains("not valid TOML"), "{error}");

        for path in ["/api/v1/partners", "/api/v1/programs", "/api/v1/contacts"] {
            assert_eq!(app.get(path).await.json()["total"], 0, "{path}: nothing was written");
        }
    }
);

db_test!(
    async fn a_second_run_keeps_what_officers_changed_in_seeded_records(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let jica = app.get("/api/v1/programs?source=003_f763ceca04e3ab24.txt").await.json()["items"][0].clone();
        let cohorts = app.get(&format!("/api/v1/programs/{}/cohorts", jica["id"])).await.json();
        let class3 = cohorts["items"].as_array().expect("items").iter().find(|c| c["sequence"] == 3).cloned().expect("class 3");
        let path = format!("/api/v1/cohorts/{}", class3["id"]);
        let edited = app.patch(&path, json!({"capacity": 20, "location_city": "Yokohama"})).await;
        assert_eq!(edited.status, 200, "{}", edited.text());

        let again = seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load again");
        assert_eq!(total(&again, |r| r.updated), 0, "{again:?}");
        let kept = app.get(&path).await.json();
        assert_eq!((kept["capacity"].clone(), kept["location_city"].clone()), (json!(20), json!("Yokohama")));

        // The file renames the class: the name follows the file; the officer's edits stay.
        let name = class3["name"].as_str().expect("a name").to_owned();
        let files = edited_file_text(&format!("name = \"{name}\""), "name = \"Class 3 (February 2024)\"");
        let reports = seed(&app, files).await.expect("the edited seeds load");
        assert_eq!(total(&reports, |r| r.updated), 1, "{reports:?}");
        let after = app.get(&path).await.json();
        assert_eq!(after["name"], "Class 3 (February 2024)");
        assert_eq!((after["capacity"].clone(), after["location_city"].clone()), (json!(20), json!("Yokohama")));
        assert_eq!(after["status"], class3["status"]);
    }
);

/// The embedded files with the first `from` in the JICA programme file replaced by `to`.
fn edited_file_text(from: &str, to: &str) -> Vec<SeedFile> {
    edited("programs/jica-young-leaders.toml", from, to)
}

/// The cohort the seeds call `code` in the France 2022-2025 programme.
async fn seeded_french_cohort(app: &TestApp, code: &str) -> Value {
    let program = app.get("/api/v1/programs?q=FR-CS-2022-2025").await.json()["items"][0].clone();
    let cohorts = app
        .get(&format!("/api/v1/programs/{}/cohorts", program["id"]))
        .await
        .json();
    cohorts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["code"] == code)
        .cloned()
        .expect("the cohort")
}

db_test!(
    async fn a_capacity_the_seed_file_raises_seats_the_waitlist_as_an_officers_would(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let cohort = seeded_french_cohort(&app, "INSP-PLANNED").await;
        let path = format!("/api/v1/cohorts/{}", cohort["id"]);
        assert_eq!(app.patch(&path, json!({"capacity": 1})).await.status, 200);
        let seated = app.trainee().full_name("Trần Thị Lan").create().await;
        let waiting = app.trainee().full_name("Lê Văn Minh").create().await;
        app.enrollment(&cohort, &seated).create().await;
        let waitlisted = app.enrollment(&cohort, &waiting).create().await;
        assert_eq!(waitlisted["status"], "waitlisted");

        let files = edited(
            "programs/france-civil-service-2022-2025.toml",
            "code = \"INSP-PLANNED\"",
            "code = \"INSP-PLANNED\"\ncapacity = 5",
        );
        let reports = seed(&app, files).await.expect("the edited seeds load");
        assert_eq!(total(&reports, |r| r.updated), 1, "{reports:?}");
        assert_eq!(app.get(&path).await.json()["capacity"], 5);
        let promoted = app.get(&format!("/api/v1/enrollments/{}", waitlisted["id"])).await.json();
        assert_eq!(promoted["status"], "enrolled", "the new seats go to the waitlist, as through the API");
    }
);

db_test!(
    async fn a_source_the_seed_file_corrects_is_a_change_with_a_new_version_and_an_audit_event(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let before = app.get("/api/v1/partners?q=COC-CADRE-TRAINING").await.json()["items"][0].clone();
        assert_eq!(before["source"], "003_f763ceca04e3ab24.txt");
        let files = edited(
            "partners.toml",
            "notes = \"Department of the Central Organising Commission that runs the JICA young-leaders project on the Vietnamese side.\"\nsource = \"003_f763ceca04e3ab24.txt\"",
            "notes = \"Department of the Central Organising Commission that runs the JICA young-leaders project on the Vietnamese side.\"\nsource = \"001_0904e55322f49d83.txt\"",
        );
        let reports = seed(&app, files).await.expect("the edited seeds load");
        assert_eq!(total(&reports, |r| r.updated), 1, "{reports:?}");
        let after = app.get(&format!("/api/v1/partners/{}", before["id"])).await.json();
        assert_eq!(after["source"], "001_0904e55322f49d83.txt");
        assert_eq!(after["version"], before["version"].as_i64().expect("a version") + 1, "a client's ETag must see it");
        let events = app.get(&format!("/api/v1/audit-events?entity_type=partner&entity_id={}", before["id"])).await.json();
        let update = events["items"].as_array().expect("items").iter().find(|e| e["action"] == "update").cloned().expect("an update");
        assert_eq!(
            update["changes"]["source"],
            json!({"before": "003_f763ceca04e3ab24.txt", "after": "001_0904e55322f49d83.txt"})
        );
    }
);

db_test!(
    async fn cohorts_outside_a_programme_file_are_refused_by_name(app) {
        let mut files = tpms::seed::embedded_files();
        let partners = files.iter_mut().find(|f| f.path == "partners.toml").expect("partners.toml");
        partners.text.push_str("\n[[cohorts]]\ncode = \"C1\"\nname = \"Lost\"\nsource = \"003_f763ceca04e3ab24.txt\"\n");
        let error = seed(&app, files).await.expect_err("a cohort with no programme is refused").to_string();
        assert!(error.contains("seeds/partners.toml: -: cohorts: belongs in a programme file"), "{error}");
    }
);

db_test!(
    async fn the_people_the_articles_name_are_contacts_with_their_part_and_source(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let ota = app.get("/api/v1/contacts?q=hiroko+ota").await.json();
        assert_eq!(ota["total"], 1, "{ota}");
        assert_eq!(
            (&ota["items"][0]["title"], &ota["items"][0]["source"]),
            (&json!("President"), &json!("000_f942262c67d007dc.txt"))
        );
        let son = app.get("/api/v1/contacts?q=vu+thanh+son").await.json();
        assert_eq!(son["items"][0]["name_order"], "family_first", "{son}");

        // The 2019 seminar's opening: the first secretary of Japan's embassy among its guests.
        let programs = app.get("/api/v1/programs?q=VN-JP-LGS").await.json();
        let cohorts = app.get(&format!("/api/v1/programs/{}/cohorts", programs["items"][0]["id"])).await.json();
        let hcmc = cohorts["items"].as_array().expect("items").iter().find(|c| c["code"] == "HCMC-2019").expect("HCMC-2019");
        let sessions = app.get(&format!("/api/v1/cohorts/{}/sessions", hcmc["id"])).await.json();
        let opening = sessions["items"].as_array().expect("items").iter().find(|s| s["title"] == "Opening ceremony").expect("the opening");
        let people = app.get(&format!("/api/v1/participations?session_id={}", opening["id"])).await.json();
        let tabuchi = people["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["contact_name"] == "Yuichiro Tabuchi")
            .expect("the first secretary");
        assert_eq!((&tabuchi["role"], &tabuchi["source"]), (&json!("guest"), &json!("001_0904e55322f49d83.txt")));
        let ambassador = app.get("/api/v1/contacts?q=ito+naoki").await.json();
        let history = app.get(&format!("/api/v1/participations?contact_id={}", ambassador["items"][0]["id"])).await.json();
        assert_eq!(history["total"], 1, "the 6th seminar's opening: {history}");
        assert_eq!(history["items"][0]["source"], "002_94284552c382c47a.txt");
    }
);

/// `value` without what differs between two databases holding the same records: ids, references
/// by id, times and versions.
fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !(*k == "id" || k.ends_with("_id") || k.ends_with("_at") || *k == "version"))
                .map(|(k, v)| (k.clone(), without_ids(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}

/// The seed files as they stood before the corrections of the people-at-partners issue: each
/// pair is (file, text now, text then).
fn before_the_corrections() -> Vec<SeedFile> {
    let then = [
        (
            "programs/jica-young-leaders.toml",
            "start_date = \"2024-02\"\n",
            "start_date = \"2024-02\"\nend_date = \"2024-02\"\n",
        ),
        ("programs/jica-young-leaders.toml", "qualifier = \"nearly\"\n", ""),
        ("programs/jica-young-leaders.toml", "end_date = \"2024-09-17\"\n", ""),
        ("programs/jica-young-leaders.toml", "course_length = \"P1M\"\n", ""),
        (
            "partners.toml",
            "also_sources = [\"002_94284552c382c47a.txt\", \"004_7ed048d3a6bf6e4d.txt\"]\n",
            "",
        ),
        (
            "programs/france-civil-service-2022-2025.toml",
            "status = \"completed\"\nstart_date = \"2022\"",
            "status = \"active\"\nstart_date = \"2022\"",
        ),
        (
            "programs/france-civil-service-2022-2025.toml",
            "location_country = \"FR\"\nstatus = \"completed\"",
            "location_country = \"FR\"\nstatus = \"planned\"",
        ),
        (
            "programs/vietnam-japan-local-government-seminars.toml",
            ", aimed at civil servants of administrative agencies in Asian countries,",
            " for local-government officials",
        ),
        (
            "programs/vasa-grips-short-courses.toml",
            "# The Japanese Communist Party's headquarters",
            "[[partners]]\npartner = \"JCP\"\nroles = [\"host\"]\nsource = \"000_f942262c67d007dc.txt\"\n\n[[partners]]\npartner = \"VN-EMBASSY-JP\"\nroles = [\"host\"]\nsource = \"000_f942262c67d007dc.txt\"\n\n# The Japanese Communist Party's headquarters",
        ),
    ];
    let mut files = tpms::seed::embedded_files();
    for (path, now, before) in then {
        let file = files.iter_mut().find(|f| f.path == path).expect("the seed file exists");
        assert!(file.text.contains(now), "{path} holds `{now}`");
        file.text = file.text.replacen(now, before, 1);
    }
    files
}

db_test!(
    async fn the_corrected_facts_hold_and_a_database_seeded_before_them_is_brought_to_them(app) {
        seed(&app, before_the_corrections()).await.expect("the old seeds load");
        let programs = app.get("/api/v1/programs?q=FR-CS-2022-2025").await.json();
        assert_eq!(programs["items"][0]["status"], "active", "the old files as they were");
        let officer = app.user(tpms::users::Role::Officer, None).await;
        let edited = app.as_user(&officer).patch(&format!("/api/v1/programs/{}", programs["items"][0]["id"]), json!({"planned_trainees": 12})).await;
        assert_eq!(edited.status, 200, "{}", edited.text());
        let vasa = app.get("/api/v1/programs?q=VASA-GRIPS").await.json();
        let roles = format!("/api/v1/programs/{}/partners", vasa["items"][0]["id"]);
        let listed = app.get(&roles).await.json();
        let embassy = listed["items"].as_array().expect("items").iter().find(|r| r["partner"]["code"] == "VN-EMBASSY-JP").expect("the old role");
        let embassy_role = format!("{roles}/{}", embassy["partner_id"]);
        let noted = app.as_user(&officer).patch(&embassy_role, json!({"notes": "We work with them."})).await;
        assert_eq!(noted.status, 200, "{}", noted.text());

        let reports = seed(&app, tpms::seed::embedded_files()).await.expect("the corrected seeds load");
        assert_eq!(total(&reports, |r| r.removed), 1, "the JCP's role goes: {reports:?}");
        assert!(reports.iter().flat_map(|r| &r.skipped).any(|s| s.contains("VN-EMBASSY-JP") && s.contains("a user changed it")), "{reports:?}");
        let codes: Vec<Value> = app.get(&roles).await.json()["items"].as_array().expect("items").iter().map(|r| r["partner"]["code"].clone()).collect();
        assert_eq!(codes, ["GRIPS", "VASA", "VN-EMBASSY-JP"], "the role an officer changed stays");
        assert_eq!(app.delete(&embassy_role).await.status, 204);
        let fresh = TestApp::spawn(app.backend).await.expect("the backend answered a moment ago");
        seed(&fresh, tpms::seed::embedded_files()).await.expect("the seeds load");
        let (mut resown, corrected) = (everything(&app).await, everything(&fresh).await);
        let france = resown["programs"].as_array_mut().expect("programs").iter_mut().find(|p| p["code"] == "FR-CS-2022-2025").expect("FR");
        assert_eq!(france["planned_trainees"], 12, "the officer's edit is kept");
        assert_eq!(france["status"], "completed", "the correction is applied");
        france["planned_trainees"] = Value::Null;
        assert_eq!(without_ids(&resown), without_ids(&corrected), "re-seeded equals fresh, but for the officer's edit");

        let jica = app.get("/api/v1/programs?q=JICA-YL").await.json();
        assert_eq!(jica["items"][0]["course_length"], "P1M", "each class lasts one month");
        let figures: Vec<&Value> = jica["items"][0]["figures"].as_array().expect("figures").iter().map(|f| &f["qualifier"]).collect();
        assert_eq!(figures, [&Value::Null, &json!("nearly"), &json!("more_than")]);
        let cohorts = app.get(&format!("/api/v1/programs/{}/cohorts?sort=code", jica["items"][0]["id"])).await.json();
        let ends: Vec<(&Value, &Value)> = cohorts["items"].as_array().expect("items").iter().map(|c| (&c["code"], &c["end_date"])).collect();
        assert!(ends.contains(&(&json!("C3"), &Value::Null)), "only the month of the class is known: {ends:?}");
        let evaluation = cohorts["items"].as_array().expect("items").iter().find(|c| c["code"] == "EVAL-C3-C4").expect("the evaluation");
        let sessions = app.get(&format!("/api/v1/cohorts/{}/sessions", evaluation["id"])).await.json();
        let seminar = &sessions["items"][0];
        assert_eq!((&seminar["date"], &seminar["end_date"]), (&json!("2024-09-16"), &json!("2024-09-17")), "{seminar}");
        let training = app.get("/api/v1/programs?q=VN-JP-LOCAL-TRAINING").await.json();
        assert_eq!(training["items"][0]["source"], "002_94284552c382c47a.txt", "the short-term training (002): {training}");
        let by_france = app.get("/api/v1/partners?source=004_7ed048d3a6bf6e4d.txt&limit=100").await.json();
        let moha = by_france["items"].as_array().expect("items").iter().find(|p| p["code"] == "MOHA").expect("MOHA, cited by 004 among others");
        assert_eq!(moha["source"], "001_0904e55322f49d83.txt");
        assert_eq!(
            moha["sources"],
            json!(["001_0904e55322f49d83.txt", "002_94284552c382c47a.txt", "004_7ed048d3a6bf6e4d.txt"])
        );
        let series = app.get("/api/v1/programs?q=VN-JP-LGS").await.json();
        assert!(series["items"][0]["description"].as_str().is_some_and(|d| d.contains("Asian countries")), "{series}");
    }
);

/// The seed files as they stood before the third reading (issue 32), kept beside this test.
fn before_the_third_reading() -> Vec<SeedFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/seeds_before_third_reading");
    tpms::seed::files_in(&dir).expect("the earlier seed files are readable")
}

/// `value` with every array sorted by its items' text: two databases that hold the same records,
/// created in another order, list ties in another order.
fn in_any_order(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), in_any_order(v))).collect()),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(in_any_order).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// The one item of `list` whose `field` is `value`.
fn the<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item[field] == value)
        .unwrap_or_else(|| panic!("no item with {field} = {value} in {list}"))
}

/// The programme `code`, and its cohort `cohort`'s sessions.
async fn sessions_of(app: &TestApp, code: &str, cohort: &str) -> (Value, Value) {
    let program = the(
        &app.get(&format!("/api/v1/programs?q={code}")).await.json(),
        "code",
        code,
    )
    .clone();
    let cohorts = app
        .get(&format!("/api/v1/programs/{}/cohorts?limit=200", program["id"]))
        .await
        .json();
    let cohort = the(&cohorts, "code", cohort).clone();
    let sessions = app
        .get(&format!("/api/v1/cohorts/{}/sessions?limit=200", cohort["id"]))
        .await
        .json();
    (cohort, sessions)
}

/// The names of the people taking `role` in the session or cohort `at` (`session_id=..`).
async fn people(app: &TestApp, at: &str, role: &str) -> Vec<String> {
    let list = app
        .get(&format!("/api/v1/participations?{at}&role={role}&limit=200"))
        .await
        .json();
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["contact_name"].as_str().map(str::to_owned))
        .collect()
}

db_test!(
    async fn the_third_readings_corrections_hold_and_a_database_seeded_before_them_is_brought_to_them(app) {
        seed(&app, before_the_third_reading()).await.expect("the earlier seeds load");
        let officer = app.user(tpms::users::Role::Officer, None).await;
        let (hcmc, _) = sessions_of(&app, "VN-JP-LGS", "HCMC-2019").await;
        let edited = app.as_user(&officer).patch(&format!("/api/v1/cohorts/{}", hcmc["id"]), json!({"capacity": 40})).await;
        assert_eq!(edited.status, 200, "{}", edited.text());
        let (_, visit) = sessions_of(&app, "VASA-GRIPS", "VASA-VISIT").await;
        assert_eq!(visit["total"], 4, "the earlier files dated the visit's four sessions");
        let call = the(&visit, "title", "Visit to the Japanese Communist Party headquarters").clone();
        let noted = app.as_user(&officer).patch(&format!("/api/v1/sessions/{}", call["id"]), json!({"description": "Our note."})).await;
        assert_eq!(noted.status, 200, "{}", noted.text());

        let reports = seed(&app, tpms::seed::embedded_files()).await.expect("the corrected seeds load");
        assert_eq!(total(&reports, |r| r.removed), 4, "three undated sessions and Eurogroup's role go: {reports:?}");
        assert!(
            reports.iter().flat_map(|r| &r.skipped).any(|s| s.contains("jcp-headquarters-visit") && s.contains("a user changed it")),
            "the session an officer changed stays: {reports:?}"
        );
        assert_eq!(app.delete(&format!("/api/v1/sessions/{}", call["id"])).await.status, 204);
        let fresh = TestApp::spawn(app.backend).await.expect("the backend answered a moment ago");
        seed(&fresh, tpms::seed::embedded_files()).await.expect("the seeds load");
        let (mut reseeded, corrected) = (everything(&app).await, everything(&fresh).await);
        let cohort = reseeded["cohorts"]
            .as_array_mut()
            .expect("cohorts")
            .iter_mut()
            .find(|c| c["cohort"]["code"] == "HCMC-2019")
            .expect("HCMC-2019");
        assert_eq!(cohort["cohort"]["capacity"], 40, "the officer's edit is kept");
        cohort["cohort"]["capacity"] = Value::Null;
        assert_eq!(
            in_any_order(&without_ids(&reseeded)),
            in_any_order(&without_ids(&corrected)),
            "re-seeded equals fresh, but for the officer's edit"
        );

        // 1, 2: GRIPS only said it would agree on the courses, and keeps the one role 000 states;
        // Eurogroup is no host.
        let grips = the(&app.get("/api/v1/partners?q=GRIPS").await.json(), "code", "GRIPS").clone();
        assert!(grips["notes"].as_str().is_some_and(|n| n.contains("VASA wishes") && !n.contains("plans")), "{grips}");
        let vasa = the(&app.get("/api/v1/programs?q=VASA-GRIPS").await.json(), "code", "VASA-GRIPS").clone();
        let roles = app.get(&format!("/api/v1/programs/{}/partners", vasa["id"])).await.json();
        let grips_roles: Vec<&Value> = roles["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|r| r["partner"]["code"] == "GRIPS")
            .map(|r| &r["roles"])
            .collect();
        assert_eq!(grips_roles, [&json!(["implementing_agency"])], "neither host nor lecturer");
        let france = the(&app.get("/api/v1/programs?q=FR-CS-2022-2025").await.json(), "code", "FR-CS-2022-2025").clone();
        let roles = app.get(&format!("/api/v1/programs/{}/partners", france["id"])).await.json();
        let codes: Vec<&Value> = roles["items"].as_array().expect("items").iter().map(|r| &r["partner"]["code"]).collect();
        assert!(!codes.contains(&&json!("EUROGROUP")), "{codes:?}");
        assert!(france["description"].as_str().is_some_and(|d| d.contains("senior officials")), "12: {france}");

        // 3: each record cites the article that states its facts.
        let embassy = the(&app.get("/api/v1/partners?q=EOJ-VN").await.json(), "code", "EOJ-VN").clone();
        assert_eq!(embassy["sources"], json!(["001_0904e55322f49d83.txt", "002_94284552c382c47a.txt"]));
        let minh = app.get("/api/v1/contacts?q=vu+dang+minh").await.json();
        assert_eq!(minh["items"][0]["sources"], json!(["001_0904e55322f49d83.txt", "002_94284552c382c47a.txt"]));

        // 4: the VASA visit has no date, no city and no sessions; its talks are its speakers' parts.
        let (cohort, sessions) = sessions_of(&app, "VASA-GRIPS", "VASA-VISIT").await;
        assert_eq!(
            (&cohort["start_date"], &cohort["end_date"], &cohort["location_city"], &cohort["location_country"]),
            (&Value::Null, &Value::Null, &Value::Null, &json!("JP")),
            "{cohort}"
        );
        assert_eq!(sessions["total"], 0, "{sessions}");
        let speakers = people(&app, &format!("cohort_id={}", cohort["id"]), "speaker").await;
        for name in ["Hiroko Ota", "Tanaka Hirofumi", "Trần Anh Tuấn"] {
            assert!(speakers.iter().any(|s| s == name), "{name} in {speakers:?}");
        }

        // 5, 7, 10: what 002 dates, the opening's named guests, the courtesy call, the decision and theme.
        let (hanoi, sessions) = sessions_of(&app, "VN-JP-LGS", "HANOI-2024").await;
        assert_eq!((&hanoi["start_date"], &hanoi["end_date"]), (&json!("2024-09-20"), &Value::Null));
        for title in ["Special session: sister cities Hai Phong and Kitakyushu", "Hai Phong-Kitakyushu sister-city relationship: tenth anniversary and cooperation plans"] {
            assert_eq!(the(&sessions, "title", title)["date"], "2024-09", "{title}");
        }
        let opening = the(&sessions, "title", "Opening").clone();
        assert_eq!(opening["date"], "2024-09-20");
        assert!(opening["description"].as_str().is_some_and(|d| d.contains("Theme")), "{opening}");
        let guests = people(&app, &format!("session_id={}", opening["id"]), "guest").await;
        for name in ["Hà Minh Hải", "Nghiêm Xuân Cường", "Nguyễn Thị Bích Dung", "Nguyễn Thị Minh Vân"] {
            assert!(guests.iter().any(|g| g == name), "{name} in {guests:?}");
        }
        let call = the(&sessions, "title", "Courtesy call before the opening").clone();
        assert_eq!(call["date"], "2024-09", "002 gives the call no day of its own");
        let at = format!("session_id={}", call["id"]);
        assert_eq!((people(&app, &at, "chair").await, people(&app, &at, "guest").await), (vec!["Trương Hải Long".to_owned()], vec!["Onda Kaoru".to_owned()]));
        let series = the(&app.get("/api/v1/programs?q=VN-JP-LGS").await.json(), "code", "VN-JP-LGS").clone();
        assert!(series["description"].as_str().is_some_and(|d| d.contains("Nguyễn Duy Thăng")), "{series}");

        // 6: every named speaker is a contact with a speaker's part.
        for name in [
            "le vinh tan", "trieu van cuong", "truong hai long", "le minh huong", "dao thi hong minh", "hiroshi sasaki",
            "onda kaoru", "takahiro orihara", "masayuki kohara", "kobayashi naoko", "lam hung tan", "nguyen thi bich dung",
            "tanaka hirofumi", "tran anh tuan", "stanislas guerini", "nathalie colin", "maryvonne lebrignonen", "gilles bonnenfant",
        ] {
            let found = app.get(&format!("/api/v1/contacts?q={}", name.replace(' ', "+"))).await.json();
            assert_eq!(found["total"], 1, "{name}: {found}");
            let parts = app.get(&format!("/api/v1/participations?contact_id={}&role=speaker", found["items"][0]["id"])).await.json();
            assert!(parts["total"].as_i64().is_some_and(|n| n >= 1), "{name} spoke: {parts}");
        }

        // 8, 9: the project's origin, classes 1, 2 and 5, and who came to the evaluation seminar.
        let jica = the(&app.get("/api/v1/programs?q=JICA-YL").await.json(), "code", "JICA-YL").clone();
        assert!(jica["description"].as_str().is_some_and(|d| d.contains("Phạm Minh Chính")), "{jica}");
        let cohorts = app.get(&format!("/api/v1/programs/{}/cohorts?sort=sequence&limit=200", jica["id"])).await.json();
        let classes: Vec<(&Value, &Value, &Value)> =
            cohorts["items"].as_array().expect("items").iter().map(|c| (&c["sequence"], &c["start_date"], &c["status"])).collect();
        let done = json!("completed");
        assert_eq!(
            classes[..5],
            [(&json!(1), &Value::Null, &done), (&json!(2), &Value::Null, &done), (&json!(3), &json!("2024-02"), &done), (&json!(4), &json!("2024-05"), &done), (&json!(5), &Value::Null, &done)]
        );
        let (_, evaluation) = sessions_of(&app, "JICA-YL", "EVAL-C3-C4").await;
        let seminar = the(&evaluation, "kind", "evaluation_seminar");
        assert!(seminar["description"].as_str().is_some_and(|d| d.contains("JICE") && d.contains("professors")), "{seminar}");

        // 11: 001's figures with their hedges, and who toured the exhibition.
        let figures = series["figures"].as_array().expect("figures");
        let figure = |value: i64| figures.iter().find(|f| f["value"] == value).unwrap_or_else(|| panic!("{value} in {figures:?}"));
        assert_eq!((&figure(603_000)["qualifier"], &figure(3_300)["qualifier"]), (&json!("more_than"), &json!("more_than")));
        assert_eq!((&figure(1_778)["approximate"], &figure(2_209)["as_of"], &figure(5)["as_of"]), (&json!(false), &json!("2018-04"), &json!("2019-08")));
        let (_, sessions) = sessions_of(&app, "VN-JP-LGS", "HCMC-2019").await;
        let exhibition = the(&sessions, "title", "Exhibition: Viet Nam-Japan cooperation through archival records");
        let mut touring = people(&app, &format!("session_id={}", exhibition["id"]), "guest").await;
        touring.sort();
        assert_eq!(touring, ["Hiroshi Sasaki", "Lê Vĩnh Tân"]);

        // 12: the DGAFP briefing and the INSP visit on the day of the talks.
        let (_, visit) = sessions_of(&app, "FR-CS-2022-2025", "MOHA-VISIT-2022").await;
        for title in ["Overview of the French civil service", "Visit to the Institut national du service public"] {
            assert_eq!(the(&visit, "title", title)["date"], "2022-09-23", "{title}");
        }
        assert_eq!(the(&visit, "title", "Working session at Eurogroup Consulting")["date"], "2022-09");

        // 13: one status rule.
        let statuses: Vec<(String, Value)> = app.get("/api/v1/programs?limit=200").await.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| (p["code"].as_str().unwrap_or_default().to_owned(), p["status"].clone()))
            .collect();
        for (code, status) in [("FR-CS-2022-2025", "completed"), ("JICA-YL", "active"), ("VASA-GRIPS", "planned")] {
            assert!(statuses.contains(&(code.to_owned(), json!(status))), "{code} {status}: {statuses:?}");
        }
        let insp = seeded_french_cohort(&app, "INSP-PLANNED").await;
        assert_eq!(insp["status"], "planned", "no article reports that the placements began");

        // 14: wording as the articles give it; the templates' translations.
        let tra = app.get("/api/v1/contacts?q=pham+thi+thanh+tra").await.json();
        assert_eq!(tra["items"][0]["title_vi"], "Bộ trưởng Nội vụ");
        let sugano = app.get("/api/v1/contacts?q=sugano").await.json();
        assert_eq!(sugano["items"][0]["position_vi"], "Trưởng Đại diện, Cơ quan Hợp tác quốc tế Nhật Bản tại Việt Nam (JICA Việt Nam)");
        let ozasa = app.get("/api/v1/contacts?q=ozasa").await.json();
        assert!(ozasa["items"][0]["notes"].as_str().is_some_and(|n| n.contains("Hanoi office")), "{ozasa}");
        let template = fresh.get("/api/v1/instruments?code=TPL-COURSE-REACTION").await.json();
        let text = template["items"][0]["items"].to_string();
        assert!(text.contains("at my workplace") && !text.contains("at home"), "{text}");
        let follow_up = fresh.get("/api/v1/instruments?template=true&limit=20").await.json().to_string();
        assert!(follow_up.contains("Re-training colleagues"), "{follow_up}");

        // 15: the README lists every file and names every article.
        let readme = include_str!("../../seeds/README.md");
        assert!(readme.contains("`programs/vietnam-japan-local-official-training.toml`"));
        for article in ["000_f942262c67d007dc.txt", "001_0904e55322f49d83.txt", "002_94284552c382c47a.txt", "003_f763ceca04e3ab24.txt", "004_7ed048d3a6bf6e4d.txt"] {
            assert!(readme.contains(&format!("| `{article}` |")), "{article} in the Sources table");
        }
    }
);

db_test!(
    async fn the_seeds_record_no_amount_of_money_since_the_documents_give_none(app) {
        seed(&app, tpms::seed::embedded_files()).await.expect("the seeds load");
        let programs = app.get("/api/v1/programs?limit=200").await.json();
        let programs = programs["items"].as_array().expect("items");
        assert!(!programs.is_empty(), "the seeds hold programmes");
        for program in programs {
            for what in ["budget-lines", "expenses"] {
                let listed = app.get(&format!("/api/v1/programs/{}/{what}?limit=200", program["id"])).await.json();
                assert_eq!(listed["items"], json!([]), "{} has no {what}", program["code"]);
            }
        }
        assert_eq!(app.get("/api/v1/exchange-rates?limit=200").await.json()["items"], json!([]), "nor a rate");
        let report = app.get("/api/v1/reports/costs").await.json();
        assert_eq!(report["rows"], json!([]), "{report}");
    }
);
