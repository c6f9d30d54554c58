//! Selection (issue 30): a cohort's eligibility criteria checked against each nominee, and the
//! partner that reviews a programme's nominations accepting or declining them before they take
//! seats.

use actix_web::http::Method;
use serde_json::{Value, json};
use tpms::access::Role;
use tpms::programs::partners::PartnerRole;

use crate::db_test;
use crate::import::import;
use crate::support::{TestApp, enrollments_of};

async fn put(app: &TestApp, path: &str, body: Value) -> crate::support::TestResponse {
    app.send(app.request(Method::PUT, path), Some(&body)).await
}

fn criteria_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/eligibility-criteria", cohort["id"])
}

fn eligibility_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/eligibility", cohort["id"])
}

fn moves_of(cohort: &Value) -> String {
    format!("{}/moves", enrollments_of(cohort))
}

fn enrollment(e: &Value) -> String {
    format!("/api/v1/enrollments/{}", e["id"])
}

async fn certificate(app: &TestApp, trainee: &Value, test: &str, score: f64) -> Value {
    let path = format!("/api/v1/trainees/{}/language-certificates", trainee["id"]);
    let created = app
        .post(
            &path,
            json!({"language": "en", "test": test, "score": score, "taken_on": "2025-05-10"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

/// The nominee of `report` whose enrolment is `e`.
fn nominee<'a>(report: &'a Value, e: &Value) -> &'a Value {
    report["nominees"]
        .as_array()
        .and_then(|all| all.iter().find(|n| n["enrollment_id"] == e["id"]))
        .unwrap_or_else(|| panic!("enrolment {} is not among the nominees: {report}", e["id"]))
}

/// The verdict of `criterion` for a nominee.
fn verdict(nominee: &Value, criterion: &str) -> String {
    nominee["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["criterion"] == criterion))
        .and_then(|c| c["verdict"].as_str())
        .unwrap_or_else(|| panic!("no {criterion} check: {nominee}"))
        .to_owned()
}

db_test!(
    async fn each_criterion_is_met_failed_or_left_unknown_with_its_reason(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).start_date("2026-03-01").create().await;
        let set = put(
            &app,
            &criteria_of(&cohort),
            json!({"min_service_years": 5, "max_age": 45, "position_levels": ["Chuyên viên chính"],
                   "language": "en", "language_test": "IELTS", "min_language_score": 6.5,
                   "nomination_deadline": "2099-12-31"}),
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.text());
        assert_eq!(set.json()["version"], 1);

        // Meets everything: 35 or 36, 10 or 11 years in service, the level written without diacritics.
        let meets = app.trainee().full_name("Lê Thị Mai").birth_year(1990).service_start_year(2015).position_level("chuyen vien chinh").create().await;
        certificate(&app, &meets, "IELTS", 7.0).await;
        // Fails everything it can: 55 or 56, 1 or 2 years in service, another level, IELTS 5.5.
        let fails = app.trainee().full_name("Trần Văn Bình").birth_year(1970).service_start_year(2024).position_level("Chuyên viên").create().await;
        certificate(&app, &fails, "IELTS", 5.5).await;
        // Undecidable: 45 or 46, 4 or 5 years, no level, only a TOEIC score.
        let unknown = app.trainee().full_name("Phạm Thu Hà").birth_year(1980).service_start_year(2021).create().await;
        certificate(&app, &unknown, "TOEIC", 800.0).await;
        let e_meets = app.enrollment(&cohort, &meets).nominated().create().await;
        let e_fails = app.enrollment(&cohort, &fails).nominated().create().await;
        let e_unknown = app.enrollment(&cohort, &unknown).nominated().create().await;

        let report = app.get(&eligibility_of(&cohort)).await;
        assert_eq!(report.status, 200, "{}", report.text());
        let report = report.json();
        assert_eq!((report["eligible"].as_i64(), report["not_eligible"].as_i64(), report["unknown"].as_i64()), (Some(1), Some(1), Some(1)));
        assert_eq!(report["nominations"], json!({"nominated": 3, "accepted": 0, "declined": 0}));

        let first = nominee(&report, &e_meets);
        assert_eq!(first["eligibility"], "eligible");
        assert_eq!(first["reasons"], json!([]));
        for criterion in ["service_years", "age", "position_level", "language", "nomination_deadline"] {
            assert_eq!(verdict(first, criterion), "met", "{criterion}: {first}");
        }

        let second = nominee(&report, &e_fails);
        assert_eq!(second["eligibility"], "not_eligible");
        for criterion in ["service_years", "age", "position_level", "language"] {
            assert_eq!(verdict(second, criterion), "failed", "{criterion}: {second}");
        }
        assert_eq!(second["reasons"].as_array().map(Vec::len), Some(4), "{second}");
        assert!(second["reasons"][1].as_str().is_some_and(|r| r.contains("at least 55")), "{second}");

        let third = nominee(&report, &e_unknown);
        assert_eq!(third["eligibility"], "unknown", "an undecidable criterion is not a failure");
        for criterion in ["service_years", "age", "position_level", "language"] {
            assert_eq!(verdict(third, criterion), "unknown", "{criterion}: {third}");
        }
        assert!(third["reasons"][3].as_str().is_some_and(|r| r.contains("TOEIC 800") && r.contains("IELTS 6.5")), "{third}");

        // A deadline already past: every nomination was made after it.
        let later = put(&app, &criteria_of(&cohort), json!({"nomination_deadline": "2000-01-31"})).await;
        assert_eq!(later.json()["version"], 2);
        let report = app.get(&eligibility_of(&cohort)).await.json();
        let first = nominee(&report, &e_meets);
        assert_eq!(first["eligibility"], "not_eligible");
        assert_eq!(verdict(first, "nomination_deadline"), "failed");
        assert_eq!(first["checks"].as_array().map(Vec::len), Some(1), "only the criteria stated are checked");
    }
);

db_test!(
    async fn criteria_need_a_start_date_and_their_parts(app) {
        let program = app.program().create().await;
        let undated = app.cohort(&program).create().await;
        let trainee = app.trainee().birth_year(1990).create().await;
        let e = app.enrollment(&undated, &trainee).nominated().create().await;
        put(&app, &criteria_of(&undated), json!({"max_age": 40})).await;
        let report = app.get(&eligibility_of(&undated)).await.json();
        assert_eq!(verdict(nominee(&report, &e), "age"), "unknown", "no start date: the age cannot be counted");

        let problem = put(&app, &criteria_of(&undated), json!({"language_test": "IELTS", "min_language_score": 6})).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/language_test", "{problem}");
        put(&app, &criteria_of(&undated), json!({"language": "English"})).await.assert_problem(422, "validation_failed");
        assert_eq!(app.get(&criteria_of(&undated)).await.json()["max_age"], 40, "a refused change keeps the criteria");
    }
);

db_test!(
    async fn language_certificates_are_kept_with_the_trainee(app) {
        let trainee = app.trainee().create().await;
        let made = certificate(&app, &trainee, "IELTS", 6.0).await;
        assert_eq!(made["language"], "en");
        let path = format!("/api/v1/language-certificates/{}", made["id"]);
        let changed = app.patch(&path, json!({"score": 6.5})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(changed.json()["score"], 6.5);
        let list = app.get(&format!("/api/v1/trainees/{}/language-certificates?language=en", trainee["id"])).await.json();
        assert_eq!(list["total"], 1);
        app.post(&format!("/api/v1/trainees/{}/language-certificates", trainee["id"]), json!({"language": "en", "test": "IELTS", "score": 12000, "taken_on": "2025-01-01"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(app.delete(&path).await.status, 204);
        app.get(&path).await.assert_problem(404, "not_found");
    }
);

/// A programme whose partner JICA reviews the nominations, a cohort of one seat, and a liaison
/// of JICA.
async fn reviewed(app: &TestApp) -> (Value, Value, crate::support::TestUser) {
    let program = app.program().create().await;
    let jica = app.partner().code("JICA").create().await;
    app.program_partner(&program, &jica)
        .role(PartnerRole::Host)
        .reviewing_nominations()
        .create()
        .await;
    let cohort = app.cohort(&program).capacity(1).create().await;
    let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
    (program, cohort, liaison)
}

db_test!(
    async fn a_liaison_accepts_and_declines_nominations_one_at_a_time(app) {
        let (_, cohort, liaison) = reviewed(&app).await;
        let as_liaison = app.as_user(&liaison);
        let an = app.trainee().full_name("Nguyễn Văn An").organisation("Sở Nội vụ Huế").position("Chuyên viên").service_start_year(2010).position_level("Chuyên viên").create().await;
        let binh = app.trainee().full_name("Trần Thị Bình").create().await;
        let e_an = app.enrollment(&cohort, &an).nominated().create().await;
        let e_binh = app.enrollment(&cohort, &binh).nominated().create().await;

        // What the liaison reads: what a decision needs.
        let report = as_liaison.get(&eligibility_of(&cohort)).await;
        assert_eq!(report.status, 200, "{}", report.text());
        let report = report.json();
        let seen = nominee(&report, &e_an);
        assert_eq!((seen["trainee_name"].as_str(), seen["organisation"].as_str(), seen["position"].as_str()), (Some("Nguyễn Văn An"), Some("Sở Nội vụ Huế"), Some("Chuyên viên")));
        assert_eq!(seen["eligibility"], "eligible", "a cohort without criteria asks nothing");
        assert!(seen.get("trainee_id").is_none() && seen.get("notes").is_none(), "{seen}");
        as_liaison.get(&format!("/api/v1/trainees/{}", an["id"])).await.assert_problem(404, "not_found");

        let accepted = as_liaison.patch(&enrollment(&e_an), json!({"status": "accepted"})).await;
        assert_eq!(accepted.status, 200, "{}", accepted.text());
        assert_eq!(accepted.json()["status"], "accepted");
        as_liaison.patch(&enrollment(&e_binh), json!({"status": "declined"})).await.assert_problem(422, "validation_failed");
        let declined = as_liaison.patch(&enrollment(&e_binh), json!({"status": "declined", "reason": "Needs two more years in post"})).await;
        assert_eq!(declined.status, 200, "{}", declined.text());
        assert_eq!(declined.json()["end_reason"], "Needs two more years in post");
        as_liaison.patch(&enrollment(&e_an), json!({"status": "enrolled"})).await.assert_problem(403, "forbidden");
        as_liaison.patch(&enrollment(&e_an), json!({"notes": "fine"})).await.assert_problem(403, "forbidden");

        let audit = app.get(&format!("/api/v1/audit-events?entity_type=enrollment&entity_id={}&actor={}", e_an["id"], liaison.email)).await.json();
        assert_eq!(audit["total"], 1, "the decision is audited as the liaison's: {audit}");

        let counted = app.get(&format!("/api/v1/cohorts/{}", cohort["id"])).await.json();
        assert_eq!(counted["nominations"], json!({"nominated": 0, "accepted": 1, "declined": 1}));
        assert_eq!(counted["enrolled"], 0, "an accepted nomination holds no seat yet");

        // Only the accepted nominee takes a seat.
        let seated = app.patch(&enrollment(&e_an), json!({"status": "enrolled"})).await;
        assert_eq!(seated.status, 200, "{}", seated.text());
        assert_eq!(seated.json()["status"], "enrolled");
        app.patch(&enrollment(&e_binh), json!({"status": "enrolled"})).await.assert_problem(409, "illegal_transition");

        // Seated, the trainee is the liaison's to read, without the year their service began.
        let read = as_liaison.get(&format!("/api/v1/trainees/{}", an["id"])).await.json();
        assert_eq!((read["position_level"].as_str(), &read["service_start_year"]), (Some("Chuyên viên"), &Value::Null), "{read}");
        assert_eq!(app.get(&format!("/api/v1/trainees/{}", an["id"])).await.json()["service_start_year"], 2010);
    }
);

db_test!(
    async fn a_liaison_decides_in_bulk_and_only_accepted_nominees_take_seats(app) {
        let (_, cohort, liaison) = reviewed(&app).await;
        let as_liaison = app.as_user(&liaison);
        let mut nominated = Vec::new();
        for name in ["Đỗ Minh Châu", "Vũ Quốc Dũng", "Hoàng Lan"] {
            let trainee = app.trainee().full_name(name).create().await;
            nominated.push(app.enrollment(&cohort, &trainee).nominated().create().await);
        }
        let ids = |es: &[&Value]| es.iter().map(|e| e["id"].clone()).collect::<Vec<_>>();

        // The officer cannot seat a nominee the partner has not accepted, however it is sent.
        app.patch(&enrollment(&nominated[0]), json!({"status": "enrolled"})).await.assert_problem(409, "not_accepted");
        app.post(&moves_of(&cohort), json!({"status": "enrolled", "enrollment_ids": ids(&[&nominated[0]])})).await.assert_problem(409, "refused");
        let newcomer = app.trainee().create().await;
        app.enrollment(&cohort, &newcomer).post().await.assert_problem(409, "review_required");
        import(&app, &cohort, "?status=enrolled", "full_name\r\nLý Thị Hoa\r\n").await.assert_problem(409, "review_required");
        let imported = import(&app, &cohort, "", "full_name\r\nLý Thị Hoa\r\n").await;
        assert_eq!(imported.status, 200, "{}", imported.text());
        assert_eq!(imported.json()["nominated"], 1, "an import only nominates");

        as_liaison.post(&moves_of(&cohort), json!({"status": "enrolled", "enrollment_ids": ids(&[&nominated[0]])})).await.assert_problem(403, "forbidden");
        let accepted = as_liaison.post(&moves_of(&cohort), json!({"status": "accepted", "enrollment_ids": ids(&[&nominated[0], &nominated[1]])})).await;
        assert_eq!(accepted.status, 200, "{}", accepted.text());
        assert_eq!(accepted.json()["moved"], 2);
        let declined = as_liaison.post(&moves_of(&cohort), json!({"status": "declined", "reason": "Course full at our side", "enrollment_ids": ids(&[&nominated[2]])})).await;
        assert_eq!(declined.status, 200, "{}", declined.text());
        assert_eq!(declined.json()["items"][0]["end_reason"], "Course full at our side");

        // One seat: the first accepted nominee takes it, the second waits.
        let seated = app.post(&moves_of(&cohort), json!({"status": "enrolled", "enrollment_ids": ids(&[&nominated[0]])})).await;
        assert_eq!(seated.status, 200, "{}", seated.text());
        let waiting = app.patch(&enrollment(&nominated[1]), json!({"status": "waitlisted"})).await;
        assert_eq!(waiting.json()["status"], "waitlisted");
        let counted = app.get(&format!("/api/v1/cohorts/{}", cohort["id"])).await.json();
        assert_eq!((counted["enrolled"].as_i64(), counted["waitlisted"].as_i64()), (Some(1), Some(1)));
        assert_eq!(counted["nominations"], json!({"nominated": 1, "accepted": 0, "declined": 1}));
    }
);

db_test!(
    async fn another_partners_liaison_finds_nothing(app) {
        let (program, cohort, _) = reviewed(&app).await;
        let trainee = app.trainee().create().await;
        let e = app.enrollment(&cohort, &trainee).nominated().create().await;
        // A partner of the same programme that does not review, and one outside it.
        let moha = app.partner().code("MOHA").create().await;
        app.program_partner(&program, &moha).role(PartnerRole::Counterpart).create().await;
        let grips = app.partner().code("GRIPS").create().await;
        for partner in [&moha, &grips] {
            let other = app.user(Role::Liaison, partner["id"].as_i64()).await;
            let as_other = app.as_user(&other);
            as_other.get(&eligibility_of(&cohort)).await.assert_problem(404, "not_found");
            as_other.get(&enrollment(&e)).await.assert_problem(404, "not_found");
            as_other.patch(&enrollment(&e), json!({"status": "accepted"})).await.assert_problem(404, "not_found");
            as_other.post(&moves_of(&cohort), json!({"status": "accepted", "enrollment_ids": [e["id"]]})).await.assert_problem(404, "not_found");
        }
        assert_eq!(app.get(&enrollment(&e)).await.json()["status"], "nominated");
    }
);

db_test!(
    async fn where_no_partner_reviews_officers_seat_nominees_as_before(app) {
        let program = app.program().create().await;
        let jica = app.partner().code("JICA").create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Host).create().await;
        let cohort = app.cohort(&program).capacity(2).create().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let first = app.trainee().create().await;
        let second = app.trainee().create().await;
        let nominated = app.enrollment(&cohort, &first).nominated().create().await;
        let direct = app.enrollment(&cohort, &second).create().await;
        assert_eq!(direct["status"], "enrolled", "a seat at once, as before");

        app.patch(&enrollment(&nominated), json!({"status": "accepted"})).await.assert_problem(409, "not_reviewed");
        app.as_user(&liaison).get(&eligibility_of(&cohort)).await.assert_problem(404, "not_found");
        app.as_user(&liaison).patch(&enrollment(&nominated), json!({"status": "accepted"})).await.assert_problem(404, "not_found");
        let seated = app.patch(&enrollment(&nominated), json!({"status": "enrolled"})).await;
        assert_eq!(seated.json()["status"], "enrolled");
        let seated_count = app.get(&format!("/api/v1/cohorts/{}", cohort["id"])).await.json();
        assert_eq!(seated_count["enrolled"], 2);
    }
);
