//! Evaluations: questionnaires and their revisions, rounds, trainees' single-use links,
//! partners' assessments, anonymous answers, results, completion and certificates.

use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::enrollments::EnrollmentStatus;
use tpms::instruments::Purpose;
use tpms::programs::partners::PartnerRole;
use tpms::rounds::Respondent;
use tpms::users::Role;

use crate::db_test;
use crate::support::TestApp;
use crate::support::builders::{scale_item, text_item};

/// A cohort of a programme with `n` seated trainees; returns the cohort and the enrolments.
async fn class_of(app: &TestApp, program: &Value, n: usize) -> (Value, Vec<Value>) {
    let cohort = app.cohort(program).create().await;
    let mut seated = Vec::new();
    for i in 0..n {
        let trainee = app.trainee().full_name(format!("Học viên {i}")).create().await;
        seated.push(app.enrollment(&cohort, &trainee).create().await);
    }
    (cohort, seated)
}

/// The pending links of a round, in enrolment order.
async fn links_of(app: &TestApp, round: &Value) -> Vec<String> {
    let listed = app
        .get(&format!("/api/v1/rounds/{}/invitations", round["id"]))
        .await
        .json();
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["link"].as_str().map(str::to_owned))
        .collect()
}

fn rubric() -> Vec<tpms::instruments::Item> {
    vec![scale_item("initiative", "initiative"), text_item("remarks")]
}

db_test!(
    async fn a_liaison_assesses_the_trainees_of_its_partners_cohorts_and_gets_404_for_another_partners(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let theirs = app.program().create().await;
        let other = app.program().create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Lecturer).create().await;
        app.program_partner(&other, &insp).role(PartnerRole::Host).create().await;
        let (cohort, seated) = class_of(&app, &theirs, 1).await;
        let (other_cohort, other_seated) = class_of(&app, &other, 1).await;
        let form = app.instrument().purpose(Purpose::Assessment).items(rubric()).published().await;
        let round = app.round(&cohort, &form).assessed_by(Respondent::Partner).opened().await;
        let other_round = app.round(&other_cohort, &form).assessed_by(Respondent::Partner).opened().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        let assessed = as_liaison
            .post(
                &format!("/api/v1/rounds/{}/responses", round["id"]),
                json!({"enrollment_id": seated[0]["id"], "answers": {"initiative": 4, "remarks": "Chủ động"}}),
            )
            .await;
        assert_eq!(assessed.status, 201, "{}", assessed.text());
        let assessed = assessed.json();
        assert_eq!(assessed["trainee_name"], "Học viên 0");
        assert_eq!(assessed["entered_by"], liaison.email.as_str());

        let amended = app
            .send(
                as_liaison
                    .request(actix_web::http::Method::PATCH, &format!("/api/v1/round-responses/{}", assessed["id"]))
                    .insert_header(("If-Match", format!("\"{}\"", assessed["version"]))),
                Some(&json!({"answers": {"initiative": 5}})),
            )
            .await;
        assert_eq!(amended.status, 200, "{}", amended.text());
        assert_eq!(amended.json()["answers"], json!({"initiative": 5, "remarks": "Chủ động"}), "the remark not named is kept");

        as_liaison
            .post(
                &format!("/api/v1/rounds/{}/responses", other_round["id"]),
                json!({"enrollment_id": other_seated[0]["id"], "answers": {"initiative": 3}}),
            )
            .await
            .assert_problem(404, "not_found");
        as_liaison.get(&format!("/api/v1/rounds/{}", other_round["id"])).await.assert_problem(404, "not_found");
        as_liaison.get(&format!("/api/v1/rounds/{}/responses", other_round["id"])).await.assert_problem(404, "not_found");

        let again = as_liaison
            .post(
                &format!("/api/v1/rounds/{}/responses", round["id"]),
                json!({"enrollment_id": seated[0]["id"], "answers": {"initiative": 2}}),
            )
            .await;
        again.assert_problem(409, "duplicate");

        app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"})).await;
        as_liaison
            .patch(&format!("/api/v1/round-responses/{}", assessed["id"]), json!({"answers": {"initiative": 1}}))
            .await
            .assert_problem(409, "round_closed");
    }
);

db_test!(
    async fn amending_an_assessment_changes_the_answers_it_names_and_keeps_the_rest(app) {
        let program = app.program().create().await;
        let (cohort, seated) = class_of(&app, &program, 1).await;
        let items = vec![scale_item("initiative", "initiative"), scale_item("teamwork", "teamwork"), text_item("remarks")];
        let form = app.instrument().purpose(Purpose::Assessment).items(items).published().await;
        let round = app.round(&cohort, &form).assessed_by(Respondent::Officer).opened().await;
        let assessed = app
            .create(
                &format!("/api/v1/rounds/{}/responses", round["id"]),
                json!({"enrollment_id": seated[0]["id"], "answers": {"initiative": 4, "teamwork": 3, "remarks": "Chủ động"}}),
            )
            .await;
        let path = format!("/api/v1/round-responses/{}", assessed["id"]);

        let one = app.patch(&path, json!({"answers": {"initiative": 5}})).await;
        assert_eq!(one.status, 200, "one answer is enough to amend: {}", one.text());
        assert_eq!(one.json()["answers"], json!({"initiative": 5, "teamwork": 3, "remarks": "Chủ động"}));

        let resent = app.patch(&path, json!({"answers": {"initiative": 5, "teamwork": 4}})).await;
        assert_eq!(resent.json()["answers"]["remarks"], "Chủ động", "a resend without the remark keeps it");

        let cleared = app.patch(&path, json!({"answers": {"remarks": null}})).await;
        assert_eq!(cleared.status, 200, "{}", cleared.text());
        assert_eq!(cleared.json()["answers"], json!({"initiative": 5, "teamwork": 4}), "an explicit null clears");

        let problem = app.patch(&path, json!({"answers": {"teamwork": null, "pace": 2}})).await.assert_problem(422, "validation_failed");
        let named = crate::support::named_errors(&problem);
        assert!(named.iter().any(|(at, code)| at.contains("teamwork") && code == "required"), "{problem}");
        assert!(named.iter().any(|(at, code)| at.contains("pace") && code == "unknown_item"), "{problem}");
        assert_eq!(app.get(&path).await.json()["answers"], json!({"initiative": 5, "teamwork": 4}), "a refused amendment changes nothing");
    }
);

db_test!(
    async fn a_liaison_amends_only_its_own_partners_assessments_and_entered_by_names_who_recorded_them(app) {
        let jica = app.partner().code("JICA").create().await;
        let insp = app.partner().code("INSP").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        app.program_partner(&program, &insp).role(PartnerRole::Host).create().await;
        let (cohort, seated) = class_of(&app, &program, 1).await;
        let form = app.instrument().purpose(Purpose::Assessment).items(rubric()).published().await;
        let round = app.round(&cohort, &form).assessed_by(Respondent::Partner).opened().await;
        let jica_liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let jica_colleague = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let insp_liaison = app.user(Role::Liaison, insp["id"].as_i64()).await;
        let assessed = app
            .as_user(&jica_liaison)
            .post(
                &format!("/api/v1/rounds/{}/responses", round["id"]),
                json!({"enrollment_id": seated[0]["id"], "answers": {"initiative": 4, "remarks": "Chủ động"}}),
            )
            .await
            .json();
        let path = format!("/api/v1/round-responses/{}", assessed["id"]);

        let refused = app.as_user(&insp_liaison).patch(&path, json!({"answers": {"initiative": 1}})).await;
        let problem = refused.assert_problem(403, "forbidden");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("JICA")), "says whose it is: {problem}");
        let kept = app.get(&path).await.json();
        assert_eq!(kept["answers"]["initiative"], 4, "nothing changed: {kept}");
        assert_eq!(kept["entered_by"], jica_liaison.email.as_str());

        let amended = app.as_user(&jica_colleague).patch(&path, json!({"answers": {"initiative": 5}})).await;
        assert_eq!(amended.status, 200, "a colleague at the same partner amends it: {}", amended.text());
        assert_eq!(amended.json()["entered_by"], jica_colleague.email.as_str(), "names who recorded the answers as they stand");
    }
);

db_test!(
    async fn a_published_questionnaire_never_changes_and_its_next_revision_leaves_old_answers_on_the_old_one(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let first = app.instrument().code("REACTION").published().await;
        let round = app.round(&cohort, &first).opened().await;
        let link = links_of(&app, &round).await.remove(0);
        assert_eq!(app.anonymous().post(&link, json!({"answers": {"relevance": 4}})).await.status, 204);

        app.patch(&format!("/api/v1/instruments/{}", first["id"]), json!({"title": "Changed"}))
            .await
            .assert_problem(409, "published");
        let next = app.post(&format!("/api/v1/instruments/{}/revisions", first["id"]), json!({})).await;
        assert_eq!(next.status, 201, "{}", next.text());
        let next = next.json();
        assert_eq!((next["code"].as_str(), next["revision"].as_i64(), next["status"].as_str()), (Some("REACTION"), Some(2), Some("draft")));
        let changed = app
            .patch(&format!("/api/v1/instruments/{}", next["id"]), json!({"items": [scale_item("relevance", "relevance"), scale_item("pace", "logistics")]}))
            .await;
        assert_eq!(changed.status, 200, "{}", changed.text());

        let old = app.get(&format!("/api/v1/instruments/{}", first["id"])).await.json();
        assert_eq!(old["items"].as_array().map(Vec::len), Some(2), "revision 1 keeps its two items");
        assert_eq!(old["items"][1]["key"], "comments");
        let results = app.get(&format!("/api/v1/rounds/{}/results", round["id"])).await.json();
        assert_eq!(results["items"][0]["key"], "relevance");
        assert_eq!(results["items"][0]["mean"], 4.0);
        let round_now = app.get(&format!("/api/v1/rounds/{}", round["id"])).await.json();
        assert_eq!(round_now["instrument_id"], first["id"], "the round stays on revision 1");
    }
);

db_test!(
    async fn a_trainees_link_works_once_and_not_after_the_round_closes(app) {
        let program = app.program().title_vi("Chương trình thử").create().await;
        let (cohort, _) = class_of(&app, &program, 2).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let links = links_of(&app, &round).await;
        assert_eq!(links.len(), 2);
        let trainee = app.anonymous();

        let shown = trainee.get(&links[0]).await;
        assert_eq!(shown.status, 200, "{}", shown.text());
        let shown = shown.json();
        assert_eq!(shown["language"], "vi");
        assert_eq!(shown["program_title"], "Chương trình thử");
        assert_eq!(shown["items"][0]["prompt"], "Anh/chị đánh giá relevance thế nào?");
        assert_eq!(trainee.get(&format!("{}?lang=en", links[0])).await.json()["items"][0]["prompt"], "How would you rate relevance?");
        assert!(shown.get("trainee_name").is_none() && !shown.to_string().contains("Học viên"), "a link shows no name: {shown}");

        assert_eq!(trainee.post(&links[0], json!({"answers": {"relevance": 5}})).await.status, 204);
        trainee.post(&links[0], json!({"answers": {"relevance": 1}})).await.assert_problem(404, "not_found");
        trainee.get(&links[0]).await.assert_problem(404, "not_found");

        app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"})).await;
        trainee.get(&links[1]).await.assert_problem(404, "not_found");
        trainee.post(&links[1], json!({"answers": {"relevance": 3}})).await.assert_problem(404, "not_found");
        trainee.get("/api/v1/responses/not-a-token").await.assert_problem(404, "not_found");

        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let statuses: Vec<&str> = invitations["items"].as_array().expect("items").iter().filter_map(|i| i["status"].as_str()).collect();
        assert_eq!(statuses, ["submitted", "pending"]);
        assert!(invitations["items"][1]["link"].is_null(), "a closed round lists no link to send");
    }
);

db_test!(
    async fn a_wrong_answer_is_a_422_naming_each_item_and_the_link_still_works(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().items([scale_item("relevance", "relevance"), scale_item("pace", "logistics"), text_item("comments")]).published().await;
        let round = app.round(&cohort, &form).opened().await;
        let link = links_of(&app, &round).await.remove(0);

        let problem = app
            .anonymous()
            .post(&link, json!({"answers": {"relevance": "five", "comments": 7, "extra": 1}}))
            .await
            .assert_problem(422, "validation_failed");
        let named = crate::support::named_errors(&problem);
        let expected = [
            ("#/answers/extra", "unknown_item"),
            ("#/answers/relevance", "invalid_type"),
            ("#/answers/pace", "required"),
            ("#/answers/comments", "invalid_type"),
        ];
        assert_eq!(named, expected.map(|(p, c)| (p.to_owned(), c.to_owned())));
        app.anonymous().post(&link, json!({"answers": {"relevance": 6, "pace": 3}})).await.assert_problem(422, "validation_failed");
        assert_eq!(app.anonymous().post(&link, json!({"answers": {"relevance": 5, "pace": 3}})).await.status, 204);
    }
);

db_test!(
    async fn an_anonymous_rounds_answers_name_nobody_and_its_results_hide_groups_under_five(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 6).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).anonymous().opened().await;
        let links = links_of(&app, &round).await;
        for (link, score) in links.iter().take(4).zip([5, 4, 4, 2]) {
            let sent = app.anonymous().post(link, json!({"answers": {"relevance": score, "comments": "Tốt"}})).await;
            assert_eq!(sent.status, 204, "{}", sent.text());
        }
        assert_eq!(app.anonymous().post(&format!("{}/decline", links[5]), json!({})).await.status, 204);

        let results = app.get(&format!("/api/v1/rounds/{}/results", round["id"])).await.json();
        assert_eq!(results["response_rate"], json!({"invited": 6, "submitted": 4, "declined": 1, "rate": 4.0 / 6.0}));
        assert_eq!(results["withheld"], true, "4 answers are fewer than 5: {results}");
        assert_eq!(results["items"], json!([]));
        assert_eq!(results["text_answers"], json!([]));

        // Through a paper form, the fifth answer: now the figures show, without names.
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations?status=pending", round["id"])).await.json();
        let paper = app
            .post(&format!("/api/v1/invitations/{}/paper-form", invitations["items"][0]["id"]), json!({"answers": {"relevance": 3}}))
            .await;
        assert_eq!(paper.status, 200, "{}", paper.text());
        assert_eq!(paper.json()["status"], "submitted");
        let results = app.get(&format!("/api/v1/rounds/{}/results", round["id"])).await.json();
        assert_eq!(results["withheld"], false);
        assert_eq!(results["items"][0]["count"], 5);
        assert_eq!(results["items"][0]["mean"], 3.6);
        assert_eq!(results["items"][0]["median"], 4.0);
        assert_eq!(results["items"][0]["top_two_box"], 0.6);
        assert_eq!(results["items"][0]["distribution"], json!({"2": 1, "3": 1, "4": 2, "5": 1}));
        assert_eq!(results["dimensions"], json!([{"dimension": "relevance", "count": 5, "mean": 3.6}]));
        assert!(results["text_answers"].as_array().expect("texts").iter().all(|t| t["trainee_name"].is_null()));
        app.get(&format!("/api/v1/rounds/{}/responses", round["id"])).await.assert_problem(409, "anonymous_round");

        // In the database itself: no column of an answer leads to an enrolment, an officer, an
        // invitation or the moment a link was used.
        use tpms::schema::{audit_events, responses};
        let round_id = round["id"].as_i64().expect("an id");
        let pool = app.pool.clone();
        let (rows, audited) = actix_web::web::block(move || {
            let mut conn = pool.get().expect("a connection");
            let rows: Vec<(i64, Option<i64>, Option<i64>, chrono::NaiveDateTime)> = responses::table
                .filter(responses::round_id.eq(round_id))
                .select((responses::id, responses::enrollment_id, responses::entered_by, responses::created_at))
                .load(&mut conn)
                .expect("the responses");
            let audited: i64 = audit_events::table
                .filter(audit_events::entity_type.eq_any(["response", "invitation"]))
                .count()
                .get_result(&mut conn)
                .expect("a count");
            (rows, audited)
        })
        .await
        .expect("the blocking pool runs");
        assert_eq!(rows.len(), 5);
        let created: Vec<chrono::NaiveDateTime> = rows.iter().map(|r| r.3).collect();
        assert!(rows.iter().all(|(_, enrollment, officer, _)| enrollment.is_none() && officer.is_none()), "{rows:?}");
        assert!(created.windows(2).all(|w| w[0] == w[1]), "every answer carries the same time: {created:?}");
        assert_eq!(audited, 0, "no audit event carries the moment of an anonymous answer");
    }
);

db_test!(
    async fn a_trainee_seated_after_the_round_opened_is_invited_when_the_seat_is_taken(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).capacity(1).create().await;
        let first = app.trainee().create().await;
        let second = app.trainee().create().await;
        let seated = app.enrollment(&cohort, &first).create().await;
        let waiting = app.enrollment(&cohort, &second).create().await;
        assert_eq!(waiting["status"], "waitlisted");
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        assert_eq!(links_of(&app, &round).await.len(), 1, "only the seated trainee");

        app.patch(&format!("/api/v1/enrollments/{}", seated["id"]), json!({"status": "withdrawn"})).await;
        assert_eq!(app.get(&format!("/api/v1/enrollments/{}", waiting["id"])).await.json()["status"], "enrolled");
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let invited: Vec<&Value> = invitations["items"].as_array().expect("items").iter().map(|i| &i["enrollment_id"]).collect();
        assert_eq!(invited, [&seated["id"], &waiting["id"]]);
    }
);

db_test!(
    async fn a_round_of_trainees_opens_only_once_trainees_are_seated(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let form = app.instrument().published().await;
        let draft_form = app.instrument().create().await;
        app.round(&cohort, &draft_form).post().await.assert_problem(422, "validation_failed");
        let round = app.round(&cohort, &form).create().await;
        app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "open"}))
            .await
            .assert_problem(409, "no_trainees");
    }
);

db_test!(
    async fn the_completion_dry_run_names_the_reasons_and_the_real_run_issues_certificates_that_verify(app) {
        let program = app.program().code("JICA-YL").create().await;
        let (cohort, seated) = class_of(&app, &program, 2).await;
        let session = app.session(&cohort).date("2024-09-16").create().await;
        let recorded = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/sessions/{}/attendance", session["id"])),
                Some(&json!({"records": [
                    {"enrollment_id": seated[0]["id"], "status": "present"},
                    {"enrollment_id": seated[1]["id"], "status": "absent"},
                ]})),
            )
            .await;
        assert_eq!(recorded.status, 200, "{}", recorded.text());
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let links = links_of(&app, &round).await;
        assert_eq!(app.anonymous().post(&links[0], json!({"answers": {"relevance": 5}})).await.status, 204);
        let rule_path = format!("/api/v1/cohorts/{}/completion-rule", cohort["id"]);
        let set = app
            .send(
                app.request(actix_web::http::Method::PUT, &rule_path),
                Some(&json!({"min_attendance_rate": 0.8, "required_rounds": [round["id"]]})),
            )
            .await;
        assert_eq!(set.status, 200, "{}", set.text());
        assert_eq!(set.json()["version"], 1);

        let dry = app.post(&format!("/api/v1/cohorts/{}/completion?dry_run=true", cohort["id"]), json!({})).await;
        assert_eq!(dry.status, 200, "{}", dry.text());
        let dry = dry.json();
        assert_eq!((dry["completed"].as_i64(), dry["did_not_complete"].as_i64()), (Some(1), Some(1)));
        assert_eq!(dry["trainees"][0]["outcome"], "completed");
        let reasons = dry["trainees"][1]["reasons"].as_array().expect("reasons");
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].as_str().is_some_and(|r| r.contains("attended 0 %")), "{reasons:?}");
        assert!(reasons[1].as_str().is_some_and(|r| r.contains("has not answered")), "{reasons:?}");
        assert_eq!(app.get(&format!("/api/v1/enrollments/{}", seated[0]["id"])).await.json()["status"], "enrolled", "a dry run changes nothing");

        let run = app.post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({})).await.json();
        let number = run["trainees"][0]["certificate_number"].as_str().expect("a certificate number").to_owned();
        assert_eq!(app.get(&format!("/api/v1/enrollments/{}", seated[1]["id"])).await.json()["status"], EnrollmentStatus::DidNotComplete.as_str());
        let certificate = app.get(&format!("/api/v1/enrollments/{}/certificate", seated[0]["id"])).await.json();
        let code = certificate["code"].as_str().expect("a code").to_owned();

        let verify = |number: &str, code: &str| format!("/api/v1/certificates/verify?number={}&code={}", crate::support::urlencode(number), crate::support::urlencode(code));
        let verified = app.anonymous().get(&verify(&number, &code.to_lowercase())).await.json();
        assert_eq!(verified["status"], "valid");
        assert_eq!(verified["trainee_name"], "Học viên 0");
        assert!(verified.get("email").is_none());
        assert_eq!(app.anonymous().get(&verify(&number, "AAAA-BBBB-CCCC")).await.json()["status"], "unknown");

        let revoked = app
            .post(&format!("/api/v1/enrollments/{}/certificate/revocation", seated[0]["id"]), json!({"reason": "Issued in error"}))
            .await;
        assert_eq!(revoked.status, 200, "{}", revoked.text());
        let verified = app.anonymous().get(&verify(&number, &code)).await.json();
        assert_eq!((verified["status"].as_str(), verified["revoked_on"].is_string()), (Some("revoked"), true));
    }
);

db_test!(
    async fn answers_to_an_identified_round_are_listed_with_names_and_a_lost_link_can_be_reissued(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let old_link = invitations["items"][0]["link"].as_str().expect("a link").to_owned();
        let reissued = app.post(&format!("/api/v1/invitations/{}/reissue", invitations["items"][0]["id"]), json!({})).await.json();
        let new_link = reissued["link"].as_str().expect("a new link").to_owned();
        assert_ne!(old_link, new_link);
        app.anonymous().get(&old_link).await.assert_problem(404, "not_found");
        assert_eq!(app.anonymous().post(&new_link, json!({"answers": {"relevance": 4, "comments": "Hay"}})).await.status, 204);

        let results = app.get(&format!("/api/v1/rounds/{}/results", round["id"])).await.json();
        assert_eq!(results["withheld"], false, "an identified round shows even one answer");
        assert_eq!(results["text_answers"], json!([{"key": "comments", "text": "Hay", "trainee_name": "Học viên 0"}]));
    }
);

#[actix_web::test]
async fn links_and_certificate_checks_are_limited_per_address() {
    let limited = |config: &mut tpms::config::AppConfig| config.evaluations.public_requests_per_minute = 2;
    let Some(app) = TestApp::spawn_with(crate::support::Backend::Sqlite, limited).await else {
        return;
    };
    let verify = "/api/v1/certificates/verify?number=X&code=Y";
    for _ in 0..2 {
        assert_eq!(app.anonymous().get(verify).await.json()["status"], "unknown");
    }
    let refused = app.anonymous().get(verify).await;
    refused.assert_problem(429, "rate_limited");
    assert!(
        refused
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s >= 1))
    );
    let link = format!("/api/v1/responses/{}", "a".repeat(43));
    app.anonymous().get(&link).await.assert_problem(429, "rate_limited");
}

db_test!(
    async fn a_cohort_with_a_round_cannot_be_deleted_until_the_draft_round_is(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).create().await;
        let cohort_path = format!("/api/v1/cohorts/{}", cohort["id"]);

        let problem = app.delete(&cohort_path).await.assert_problem(409, "in_use");
        assert!(problem["detail"].as_str().unwrap_or_default().contains("round"), "{problem}");
        assert_eq!(app.delete(&format!("/api/v1/rounds/{}", round["id"])).await.status, 204);
        assert_eq!(app.delete(&cohort_path).await.status, 204);
    }
);

db_test!(
    async fn a_session_that_a_round_asks_about_cannot_be_deleted_until_the_draft_round_is(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let session = app.session(&cohort).create().await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).about_session(&session).create().await;
        let session_path = format!("/api/v1/sessions/{}", session["id"]);

        let problem = app.delete(&session_path).await.assert_problem(409, "in_use");
        assert!(problem["detail"].as_str().unwrap_or_default().contains("round"), "{problem}");
        assert_eq!(app.delete(&format!("/api/v1/rounds/{}", round["id"])).await.status, 204);
        assert_eq!(app.delete(&session_path).await.status, 204);
    }
);
