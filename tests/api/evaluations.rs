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
        assert_eq!(statuses, ["submitted", "expired"], "a closed round has nothing pending");
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
    async fn trainees_answering_an_anonymous_round_at_the_same_moment_are_all_recorded(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 12).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).anonymous().opened().await;
        let links = links_of(&app, &round).await;
        // Each anonymous answer rewrites a handful of the round's earlier ones (all of them, in a
        // round this small): answers arriving together must not rewrite the same ones at once.
        let first = app.anonymous().post(&links[0], json!({"answers": {"relevance": 3}})).await;
        assert_eq!(first.status, 204, "{}", first.text());
        let app = &app;
        for wave in links[1..].chunks(4) {
            let sent = futures::future::join_all(
                wave.iter().map(|link| async move { app.anonymous().post(link, json!({"answers": {"relevance": 4}})).await }),
            )
            .await;
            for answer in sent {
                assert_eq!(answer.status, 204, "{}", answer.text());
            }
        }
        let results = app.get(&format!("/api/v1/rounds/{}/results", round["id"])).await.json();
        assert_eq!(results["response_rate"]["submitted"], 12, "{results}");
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
        assert_eq!(results["withheld"], true, "an open round releases nothing: {results}");
        app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"})).await;
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

        under_way(&app, &cohort).await;
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

db_test!(
    async fn a_links_choice_options_come_in_the_order_the_author_gave_them(app) {
        use tpms::instruments::items::Choice;
        use tpms::instruments::{Item, ItemKind};
        let choice = |value: &str, label: &str, label_vi: &str| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            label_vi: label_vi.to_owned(),
        };
        let pace = Item {
            key: "pace".to_owned(),
            prompt: "The pace was".to_owned(),
            prompt_vi: "Tốc độ".to_owned(),
            kind: ItemKind::SingleChoice,
            scale: None,
            options: vec![choice("too_slow", "Too slow", "Quá chậm"), choice("right", "Right", "Vừa"), choice("too_fast", "Too fast", "Quá nhanh")],
            required: true,
            dimension: None,
            scoring: None,
        };
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().items([pace]).published().await;
        let round = app.round(&cohort, &form).opened().await;
        let link = links_of(&app, &round).await.remove(0);

        let shown = app.anonymous().get(&link).await.json();
        assert_eq!(
            shown["items"][0]["options"],
            json!([
                {"value": "too_slow", "label": "Quá chậm"},
                {"value": "right", "label": "Vừa"},
                {"value": "too_fast", "label": "Quá nhanh"}
            ]),
            "{shown}"
        );
    }
);

db_test!(
    async fn a_text_answer_with_control_characters_or_a_direction_override_is_refused_by_pointer(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let link = links_of(&app, &round).await.remove(0);

        for bad in ["Tốt\u{0}", "Tốt\u{7} lắm", "Tốt \u{202e}lắm"] {
            let problem = app
                .anonymous()
                .post(&link, json!({"answers": {"relevance": 5, "comments": bad}}))
                .await
                .assert_problem(422, "validation_failed");
            let named = crate::support::named_errors(&problem);
            assert_eq!(named.len(), 1, "{problem}");
            assert_eq!(named[0].0, "#/answers/comments", "{problem}");
        }
        let kept = app.anonymous().post(&link, json!({"answers": {"relevance": 5, "comments": "Tốt\nlắm"}})).await;
        assert_eq!(kept.status, 204, "a line break is text: {}", kept.text());
    }
);

db_test!(
    async fn a_liaison_reading_the_answers_of_a_round_trainees_answer_is_told_why_not_that_it_does_not_exist(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);

        assert_eq!(as_liaison.get(&format!("/api/v1/rounds/{}", round["id"])).await.status, 200);
        let problem = as_liaison
            .get(&format!("/api/v1/rounds/{}/responses", round["id"]))
            .await
            .assert_problem(403, "forbidden");
        let detail = problem["detail"].as_str().expect("a detail");
        assert!(!detail.contains("no round"), "the round exists and the liaison sees it: {detail}");
        assert!(detail.contains("results"), "it says where to look instead: {detail}");
    }
);

db_test!(
    async fn an_invitations_updated_at_moves_when_it_changes(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 2).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let listed = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let (first, second) = (&listed["items"][0], &listed["items"][1]);

        let reissued = app.post(&format!("/api/v1/invitations/{}/reissue", first["id"]), json!({})).await.json();
        assert!(reissued["updated_at"].as_str() > first["updated_at"].as_str(), "{first} then {reissued}");
        let paper = app
            .post(&format!("/api/v1/invitations/{}/paper-form", second["id"]), json!({"answers": {"relevance": 3}}))
            .await
            .json();
        assert!(paper["updated_at"].as_str() > second["updated_at"].as_str(), "{second} then {paper}");
    }
);

/// Each of `links` answers, in order, with `relevance` from `scores` and a comment naming it.
async fn answer_all(app: &TestApp, links: &[String], scores: &[i64]) {
    for (link, score) in links.iter().zip(scores) {
        let sent = app
            .anonymous()
            .post(
                link,
                json!({"answers": {"relevance": score, "comments": format!("Ý kiến {score}")}}),
            )
            .await;
        assert_eq!(sent.status, 204, "{}", sent.text());
    }
}

db_test!(
    async fn an_anonymous_rounds_results_do_not_move_when_one_named_trainee_submits(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 7).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).anonymous().opened().await;
        let links = links_of(&app, &round).await;
        answer_all(&app, &links[..5], &[4, 4, 4, 4, 4]).await;
        let results = format!("/api/v1/rounds/{}/results", round["id"]);
        let before = app.get(&results).await.json();

        // The invitations name who submits next; the results must not show what that trainee said.
        answer_all(&app, &links[5..6], &[1]).await;
        let after = app.get(&results).await.json();
        assert_eq!(after["response_rate"]["submitted"], 6, "the response rate still shows: {after}");
        for part in ["items", "dimensions", "text_answers"] {
            assert_eq!(before[part], after[part], "{part} moved while the round was open: {before} then {after}");
            assert_eq!(after[part], json!([]), "{after}");
        }
        assert_eq!(after["withheld"], true);
        assert!(after["withheld_because"].as_str().expect("a reason").contains("closed"), "{after}");

        app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"})).await;
        let released = app.get(&results).await.json();
        assert_eq!(released["withheld"], false, "{released}");
        assert_eq!(released["items"][0]["count"], 6);
        assert!(released["withheld_because"].is_null());
    }
);

db_test!(
    async fn nothing_stored_pairs_an_anonymous_answer_with_its_invitation(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 6).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).anonymous().opened().await;
        let links = links_of(&app, &round).await;
        answer_all(&app, &links, &[1, 2, 3, 4, 5, 5]).await;

        let round_id = round["id"].as_i64().expect("an id");
        let pool = app.pool.clone();
        let (times, versions, paired) = actix_web::web::block(move || {
            use tpms::schema::responses;
            let mut conn = pool.get().expect("a connection");
            let rows: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime, i32)> = responses::table
                .filter(responses::round_id.eq(round_id))
                .select((responses::created_at, responses::updated_at, responses::version))
                .load(&mut conn)
                .expect("the responses");
            // On PostgreSQL: the transaction that wrote each row.
            let paired = match &mut *conn {
                tpms::db::DbConnection::Postgresql(pg) => {
                    let sql = format!(
                        "SELECT count(*) AS n FROM responses r JOIN invitations i ON r.xmin = i.xmin \
                         WHERE r.round_id = {round_id} AND i.round_id = {round_id}"
                    );
                    let mut count = |sql: &str| {
                        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("({sql})")))
                            .get_result::<i64>(pg)
                            .expect("the count")
                    };
                    // Each answer is written with a random handful of the round's earlier ones
                    // (all of them, in a round this small): one writer for the lot.
                    let writers = count(&format!(
                        "SELECT count(DISTINCT xmin::text) FROM responses WHERE round_id = {round_id}"
                    ));
                    Some((count(&sql), writers))
                }
                tpms::db::DbConnection::Sqlite(_) => None,
            };
            let times: Vec<_> = rows.iter().flat_map(|r| [r.0, r.1]).collect();
            let versions: Vec<i32> = rows.iter().map(|r| r.2).collect();
            (times, versions, paired)
        })
        .await
        .expect("the blocking pool runs");
        assert_eq!(versions.len(), 6);
        assert!(times.windows(2).all(|w| w[0] == w[1]), "no answer carries a time of its own: {times:?}");
        assert!(versions.iter().all(|v| *v == versions[0]), "no answer carries a count of its own: {versions:?}");
        if let Some((paired, writers)) = paired {
            assert_eq!(paired, 0, "responses.xmin = invitations.xmin pairs answers with trainees");
            assert_eq!(writers, 1, "the answers' transaction ids say which came when");
        }
        let listed = app.get(&format!("/api/v1/rounds/{round_id}/invitations")).await.json();
        let answered: Vec<&str> = listed["items"].as_array().expect("items").iter().filter_map(|i| i["updated_at"].as_str()).collect();
        assert!(answered.windows(2).all(|w| w[0] < w[1]), "each invitation says when its trainee took part: {answered:?}");
    }
);

db_test!(
    async fn a_reissued_link_is_audited_as_reissued_and_no_audit_event_holds_a_link(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let invitation = &app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json()["items"][0];
        let reissued = app.post(&format!("/api/v1/invitations/{}/reissue", invitation["id"]), json!({})).await.json();
        let link = reissued["link"].as_str().expect("a new link").to_owned();
        let token = link.rsplit('/').next().expect("a token").to_owned();

        let events = app.get(&format!("/api/v1/audit-events?entity_type=invitation&entity_id={}", invitation["id"])).await;
        assert_eq!(events.status, 200, "{}", events.text());
        let events = events.json();
        let reissue = events["items"].as_array().expect("items").iter().find(|e| e["reason"] == "the link was re-issued").cloned();
        let reissue = reissue.unwrap_or_else(|| panic!("the reissue is audited: {events}"));
        assert!(reissue["changes"]["issued_at"].is_object(), "it says when: {reissue}");
        let pool = app.pool.clone();
        let stored: Vec<String> = actix_web::web::block(move || {
            use tpms::schema::audit_events;
            let mut conn = pool.get().expect("a connection");
            audit_events::table.select(audit_events::changes).load(&mut conn).expect("the trail")
        })
        .await
        .expect("the blocking pool runs");
        for changes in stored {
            assert!(!changes.contains(&token) && !changes.contains("/api/v1/responses/"), "a link in the trail: {changes}");
        }
    }
);

db_test!(
    async fn an_officer_reopens_a_declined_invitation_and_sees_why_it_was_declined(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let link = links_of(&app, &round).await.remove(0);
        app.anonymous()
            .post(&format!("{link}/decline"), json!({"reason": "Bấm nhầm", "mood": "sad"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(app.anonymous().post(&format!("{link}/decline"), json!({"reason": "Bấm nhầm"})).await.status, 204);
        let invitation = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json()["items"][0].clone();
        assert_eq!((invitation["status"].as_str(), invitation["decline_reason"].as_str()), (Some("declined"), Some("Bấm nhầm")));

        let paper = format!("/api/v1/invitations/{}/paper-form", invitation["id"]);
        let refused = app.post(&paper, json!({"answers": {"relevance": 4}})).await.assert_problem(409, "invitation_declined");
        let detail = refused["detail"].as_str().expect("a detail");
        assert!(!detail.contains("answers are recorded") && detail.contains("reopen"), "{detail}");
        app.post(&format!("/api/v1/invitations/{}/reissue", invitation["id"]), json!({})).await.assert_problem(409, "invitation_declined");

        let reopened = app.post(&format!("/api/v1/invitations/{}/reopen", invitation["id"]), json!({})).await;
        assert_eq!(reopened.status, 200, "{}", reopened.text());
        let reopened = reopened.json();
        assert_eq!((reopened["status"].as_str(), reopened["decline_reason"].is_null()), (Some("pending"), true));
        app.post(&format!("/api/v1/invitations/{}/reopen", invitation["id"]), json!({})).await.assert_problem(409, "not_declined");
        let reissued = app.post(&format!("/api/v1/invitations/{}/reissue", invitation["id"]), json!({})).await;
        assert_eq!(reissued.status, 200, "{}", reissued.text());
        let entered = app.post(&paper, json!({"answers": {"relevance": 4}})).await;
        assert_eq!(entered.status, 200, "{}", entered.text());

        let events = app.get(&format!("/api/v1/audit-events?entity_type=invitation&entity_id={}", invitation["id"])).await.json();
        assert!(
            events["items"].as_array().expect("items").iter().any(|e| e["reason"] == "the decline was undone"),
            "the reopening is audited: {events}"
        );
    }
);

db_test!(
    async fn a_round_reads_closed_once_its_closing_time_passes_and_one_already_past_cannot_be_opened(app) {
        let program = app.program().create().await;
        let (cohort, _) = class_of(&app, &program, 1).await;
        let form = app.instrument().published().await;
        let rounds = format!("/api/v1/cohorts/{}/rounds", cohort["id"]);
        let body = |closes_at: chrono::DateTime<chrono::Utc>| {
            json!({"instrument_id": form["id"], "title": "Reaction", "subject": "course", "respondent": "trainee", "wave": "post",
                   "closes_at": closes_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)})
        };
        let past = chrono::Utc::now() - chrono::Duration::hours(1);
        let refused = app.post(&rounds, body(past)).await.assert_problem(422, "validation_failed");
        assert_eq!(crate::support::named_errors(&refused), [("#/closes_at".to_owned(), "in_the_past".to_owned())]);

        let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
        let opened = app.create(&rounds, body(soon)).await;
        let draft = app.create(&rounds, body(soon)).await;
        let opened = app.patch(&format!("/api/v1/rounds/{}", opened["id"]), json!({"status": "open"})).await.json();
        let link = links_of(&app, &opened).await.remove(0);
        tokio::time::sleep(std::time::Duration::from_millis(1600)).await;

        let refused = app.patch(&format!("/api/v1/rounds/{}", draft["id"]), json!({"status": "open"})).await.assert_problem(422, "validation_failed");
        assert!(refused.to_string().contains("already passed"), "{refused}");
        assert_eq!(app.get(&format!("/api/v1/rounds/{}", opened["id"])).await.json()["status"], "closed");
        let open: Vec<Value> = app.get(&format!("{rounds}?status=open")).await.json()["items"].as_array().expect("items").clone();
        assert!(open.is_empty(), "{open:?}");
        let closed = app.get(&format!("{rounds}?status=closed")).await.json();
        assert_eq!(closed["items"][0]["id"], opened["id"], "{closed}");
        let invitations = format!("/api/v1/rounds/{}/invitations", opened["id"]);
        assert_eq!(app.get(&invitations).await.json()["items"][0]["status"], "expired");
        assert_eq!(app.get(&format!("{invitations}?status=pending")).await.json()["items"], json!([]));
        assert_eq!(app.get(&format!("{invitations}?status=expired")).await.json()["items"].as_array().map(Vec::len), Some(1));
        app.anonymous().get(&link).await.assert_problem(404, "not_found");
    }
);

/// Move `cohort` (planned) through `open` to `in_progress`, as an officer does when the course
/// starts.
async fn under_way(app: &TestApp, cohort: &Value) {
    for status in ["open", "in_progress"] {
        let moved = app
            .patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": status}))
            .await;
        assert_eq!(moved.status, 200, "moving the cohort to {status}: {}", moved.text());
    }
}

db_test!(
    async fn completion_is_refused_with_the_reason_until_the_cohort_is_under_way_and_a_dry_run_is_not(app) {
        let program = app.program().create().await;
        let (cohort, seated) = class_of(&app, &program, 1).await;
        let run = format!("/api/v1/cohorts/{}/completion", cohort["id"]);
        for status in ["planned", "open"] {
            if status == "open" {
                assert_eq!(app.patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": "open"})).await.status, 200);
            }
            let refused = app.post(&run, json!({})).await.assert_problem(409, "cohort_not_underway");
            let detail = refused["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(&format!("still {status}")) && detail.contains("in_progress"), "{detail}");
            assert_eq!(app.post(&format!("{run}?dry_run=true"), json!({})).await.status, 200, "a dry run changes nothing, so it may run");
            assert_eq!(app.get(&format!("/api/v1/enrollments/{}", seated[0]["id"])).await.json()["status"], "enrolled");
        }
        assert_eq!(app.patch(&format!("/api/v1/cohorts/{}", cohort["id"]), json!({"status": "in_progress"})).await.status, 200);
        let done = app.post(&run, json!({})).await;
        assert_eq!(done.status, 200, "{}", done.text());
        assert_eq!(done.json()["completed"], 1);
    }
);

db_test!(
    async fn a_trainee_completes_on_the_courses_last_day_at_the_precision_its_end_is_known(app) {
        let program = app.program().create().await;
        for (end, ended) in [("2024-09-20", "2024-09-20T00:00:00Z"), ("2024-09", "2024-09-30T00:00:00Z"), ("2023", "2023-12-31T00:00:00Z")] {
            let cohort = app.cohort(&program).start_date("2023").end_date(end).create().await;
            let trainee = app.trainee().create().await;
            let seated = app.enrollment(&cohort, &trainee).create().await;
            under_way(&app, &cohort).await;
            let run = app.post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({})).await;
            assert_eq!(run.status, 200, "{}", run.text());
            let completed = app.get(&format!("/api/v1/enrollments/{}", seated["id"])).await.json();
            assert_eq!((completed["ended_at"].as_str(), completed["completed_at"].as_str()), (Some(ended), Some(ended)), "ended {end}: {completed}");
            let listed = app
                .get(&format!("/api/v1/cohorts/{}/enrollments?status=completed&ended_from={}&ended_to={}", cohort["id"], &ended[..10], &ended[..10]))
                .await
                .json();
            assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "the course's last day finds it: {listed}");
        }

        // A cohort with no end date ends its trainees when the run is made.
        let open_ended = app.cohort(&program).create().await;
        let trainee = app.trainee().create().await;
        let seated = app.enrollment(&open_ended, &trainee).create().await;
        under_way(&app, &open_ended).await;
        app.post(&format!("/api/v1/cohorts/{}/completion", open_ended["id"]), json!({})).await;
        let today = chrono::Utc::now().date_naive().to_string();
        let ended = app.get(&format!("/api/v1/enrollments/{}", seated["id"])).await.json();
        assert!(ended["ended_at"].as_str().is_some_and(|at| at.starts_with(&today)), "{ended}");
    }
);

db_test!(
    async fn a_liaison_reads_why_a_trainee_did_not_complete_without_learning_who_skipped_an_anonymous_round(app) {
        let jica = app.partner().code("JICA").create().await;
        let program = app.program().create().await;
        app.program_partner(&program, &jica).role(PartnerRole::Lecturer).create().await;
        let (cohort, seated) = class_of(&app, &program, 2).await;
        let session = app.session(&cohort).date("2024-09-16").create().await;
        let marked = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/sessions/{}/attendance", session["id"])),
                Some(&json!({"records": [
                    {"enrollment_id": seated[0]["id"], "status": "present"},
                    {"enrollment_id": seated[1]["id"], "status": "absent"},
                ]})),
            )
            .await;
        assert_eq!(marked.status, 200, "{}", marked.text());
        let reaction = app.round(&cohort, &app.instrument().published().await).anonymous().opened().await;
        let rule = app
            .send(
                app.request(actix_web::http::Method::PUT, &format!("/api/v1/cohorts/{}/completion-rule", cohort["id"])),
                Some(&json!({"min_attendance_rate": 0.8, "required_rounds": [reaction["id"]]})),
            )
            .await;
        assert_eq!(rule.status, 200, "{}", rule.text());
        under_way(&app, &cohort).await;
        let run = app.post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({})).await.json();
        assert_eq!(run["did_not_complete"], 2, "neither answered the reaction round: {run}");

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let title = reaction["title"].as_str().expect("a title");
        let (only_skipped, also_absent) = (&seated[0], &seated[1]);
        let officer_reads = app.get(&format!("/api/v1/enrollments/{}", only_skipped["id"])).await.json();
        assert!(officer_reads["end_reason"].as_str().is_some_and(|r| r.contains(title)), "the officer reads every reason: {officer_reads}");
        let read = as_liaison.get(&format!("/api/v1/enrollments/{}", only_skipped["id"])).await.json();
        let reason = read["end_reason"].as_str().expect("a reason");
        assert!(!reason.contains(title) && !reason.contains(&format!("round {}", reaction["id"])), "{reason}");
        assert!(reason.contains("completion rule"), "{reason}");
        let read = as_liaison.get(&format!("/api/v1/enrollments/{}", also_absent["id"])).await.json();
        assert_eq!(read["end_reason"], "attended 0 % of sessions; the rule asks 80 %", "{read}");
        let listed = as_liaison.get(&format!("/api/v1/cohorts/{}/enrollments", cohort["id"])).await.json();
        for item in listed["items"].as_array().expect("items") {
            assert!(item["end_reason"].as_str().is_some_and(|r| !r.contains(title)), "{item}");
        }
    }
);

db_test!(
    async fn a_cohorts_certificates_come_with_their_codes_in_one_list_to_print(app) {
        let program = app.program().code("JICA-YL").create().await;
        let (cohort, seated) = class_of(&app, &program, 3).await;
        under_way(&app, &cohort).await;
        let run = app.post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({})).await;
        assert_eq!(run.status, 200, "{}", run.text());
        let revoked = app
            .post(&format!("/api/v1/enrollments/{}/certificate/revocation", seated[1]["id"]), json!({"reason": "Issued in error"}))
            .await;
        assert_eq!(revoked.status, 200, "{}", revoked.text());

        let path = format!("/api/v1/cohorts/{}/certificates", cohort["id"]);
        let listed = app.get(&path).await.json();
        let items = listed["items"].as_array().expect("items");
        assert_eq!(items.len(), 3, "{listed}");
        for (item, enrollment) in items.iter().zip(&seated) {
            let certificate = app.get(&format!("/api/v1/enrollments/{}/certificate", enrollment["id"])).await.json();
            assert_eq!((&item["number"], &item["code"]), (&certificate["number"], &certificate["code"]));
            assert_eq!(item["trainee_name"], enrollment["trainee_name"]);
        }
        let valid = app.get(&format!("{path}?status=valid")).await.json();
        assert_eq!(valid["items"].as_array().map(|i| i.iter().map(|c| c["enrollment_id"].clone()).collect::<Vec<_>>()), Some(vec![seated[0]["id"].clone(), seated[2]["id"].clone()]));
        let csv = app.get(&format!("{path}?status=valid&format=csv")).await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.text().lines().count(), 3, "a heading and two certificates: {}", csv.text());
        assert!(csv.text().contains(items[0]["code"].as_str().unwrap_or("?")));

        let paged = app.get(&format!("{path}?limit=2")).await.json();
        assert_eq!((paged["items"].as_array().map(Vec::len), paged["total"].as_i64()), (Some(2), Some(3)));
        let outsider = app.partner().create().await;
        let liaison = app.user(Role::Liaison, outsider["id"].as_i64()).await;
        app.as_user(&liaison).get(&path).await.assert_problem(403, "forbidden");
    }
);

db_test!(
    async fn a_revoked_certificate_is_reissued_after_the_name_is_corrected_with_a_new_code(app) {
        let program = app.program().code("JICA-YL").create().await;
        let cohort = app.cohort(&program).create().await;
        let trainee = app.trainee().full_name("Nguyen Van Tuan").create().await;
        let seated = app.enrollment(&cohort, &trainee).create().await;
        under_way(&app, &cohort).await;
        app.post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({})).await;
        let certificate_path = format!("/api/v1/enrollments/{}/certificate", seated["id"]);
        let first = app.get(&certificate_path).await.json();
        let reissue = format!("{certificate_path}/reissue");
        let standing = app.post(&reissue, json!({})).await.assert_problem(409, "not_revoked");
        assert!(standing["detail"].as_str().is_some_and(|d| d.contains("revoke it first")), "{standing}");

        app.post(&format!("{certificate_path}/revocation"), json!({"reason": "The name lacks its diacritics"})).await;
        let corrected = app.patch(&format!("/api/v1/trainees/{}", trainee["id"]), json!({"full_name": "Nguyễn Văn Tuấn"})).await;
        assert_eq!(corrected.status, 200, "{}", corrected.text());
        let reissued = app.post(&reissue, json!({})).await;
        assert_eq!(reissued.status, 200, "{}", reissued.text());
        assert_eq!(reissued.header("etag"), Some(format!("\"{}\"", reissued.json()["version"]).as_str()));
        let reissued = reissued.json();
        assert_eq!((&reissued["number"], &reissued["revoked_at"], &reissued["revoked_reason"]), (&first["number"], &Value::Null, &Value::Null));
        assert_ne!(reissued["code"], first["code"], "a new code, so the misprinted copy no longer verifies");

        let verify = |code: &Value| {
            format!(
                "/api/v1/certificates/verify?number={}&code={}",
                crate::support::urlencode(first["number"].as_str().unwrap_or_default()),
                crate::support::urlencode(code.as_str().unwrap_or_default())
            )
        };
        let now_valid = app.anonymous().get(&verify(&reissued["code"])).await.json();
        assert_eq!((now_valid["status"].as_str(), now_valid["trainee_name"].as_str()), (Some("valid"), Some("Nguyễn Văn Tuấn")));
        assert_eq!(app.anonymous().get(&verify(&first["code"])).await.json()["status"], "unknown");
        let audited = app.get(&format!("/api/v1/audit-events?entity_type=certificate&entity_id={}&action=update", seated["id"])).await.json();
        assert!(
            audited["items"].as_array().expect("events").iter().any(|e| e["reason"] == "reissued after its revocation"),
            "{audited}"
        );
        app.post(&reissue, json!({})).await.assert_problem(409, "not_revoked");
    }
);

/// A trainee with a name full of Vietnamese diacritics who completed a cohort with known dates;
/// returns the enrolment.
async fn completed_with_diacritics(app: &TestApp) -> Value {
    let program = app
        .program()
        .code("JICA-YL")
        .title("Young Leaders in Public Administration")
        .title_vi("Lãnh đạo trẻ trong quản lý hành chính công")
        .create()
        .await;
    let cohort = app
        .cohort(&program)
        .name("Khóa 3 – Tokyo")
        .start_date("2024-09-20")
        .end_date("2024-12")
        .create()
        .await;
    let trainee = app
        .trainee()
        .full_name("Đặng Thị Ngọc Diễm Hương Trưởng Ứng Vỹ Phượng")
        .create()
        .await;
    let seated = app.enrollment(&cohort, &trainee).create().await;
    under_way(app, &cohort).await;
    let run = app
        .post(&format!("/api/v1/cohorts/{}/completion", cohort["id"]), json!({}))
        .await;
    assert_eq!(run.status, 200, "{}", run.text());
    seated
}

/// `path` asked for with `Accept: accept`.
async fn get_accepting(app: &TestApp, path: &str, accept: &str) -> crate::support::TestResponse {
    let request = app
        .request(actix_web::http::Method::GET, path)
        .insert_header(("Accept", accept));
    app.send(request, None).await
}

/// The text of a PDF as a reader extracts it (through each font's ToUnicode map), its spacing
/// folded, and its pages, media box and embedded font files.
fn read_pdf(bytes: &[u8]) -> (String, usize, Vec<f32>, usize) {
    assert!(
        bytes.starts_with(b"%PDF-"),
        "a PDF: {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
    );
    let text = pdf_extract::extract_text_from_mem(bytes).expect("extractable text");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let doc = pdf_extract::Document::load_mem(bytes).expect("a readable PDF");
    let pages = doc.get_pages();
    let page = pages.values().next().copied().expect("a page");
    let media_box = doc
        .get_dictionary(page)
        .and_then(|page| page.get(b"MediaBox"))
        .and_then(|b| b.as_array())
        .expect("the page's MediaBox")
        .iter()
        .map(|n| n.as_float().expect("a number"))
        .collect();
    let embedded = doc
        .objects
        .values()
        .filter_map(|object| object.as_dict().ok())
        .filter(|dict| {
            dict.get(b"Type")
                .and_then(|t| t.as_name())
                .is_ok_and(|t| t == b"FontDescriptor")
        })
        .filter(|dict| dict.has(b"FontFile2") || dict.has(b"FontFile3"))
        .count();
    (text, pages.len(), media_box, embedded)
}

db_test!(
    async fn a_completed_trainees_certificate_prints_as_an_a4_pdf_with_the_name_in_full_diacritics(app) {
        let seated = completed_with_diacritics(&app).await;
        let path = format!("/api/v1/enrollments/{}/certificate", seated["id"]);
        let record = app.get(&path).await.json();
        let (number, code) = (record["number"].as_str().expect("a number"), record["code"].as_str().expect("a code"));

        let started = std::time::Instant::now();
        let pdf = get_accepting(&app, &path, "application/pdf").await;
        let took = started.elapsed();
        assert_eq!(pdf.status, 200, "{}", pdf.text());
        println!("certificate PDF: {} bytes, answered in {took:?} (debug build, SQLite or PostgreSQL)", pdf.body.len());
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        let sanitised: String = number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        assert_eq!(
            pdf.header("content-disposition"),
            Some(format!("inline; filename=\"certificate-{}.pdf\"", sanitised.trim_matches('-')).as_str())
        );
        assert_eq!(pdf.header("content-language"), Some("vi"));
        assert!(pdf.body.len() < 200_000, "subsetted fonts keep it small: {} bytes", pdf.body.len());

        let (text, pages, media_box, embedded) = read_pdf(&pdf.body);
        assert_eq!(pages, 1);
        assert_eq!(media_box.len(), 4);
        for (got, want) in media_box.iter().zip([0.0, 0.0, 595.28, 841.89]) {
            assert!((got - want).abs() < 0.01, "A4 portrait: {media_box:?}");
        }
        assert_eq!(embedded, 2, "regular and bold, embedded");
        for expected in [
            "GIẤY CHỨNG NHẬN",
            "Chứng nhận",
            "Đặng Thị Ngọc Diễm Hương Trưởng Ứng Vỹ Phượng",
            "đã hoàn thành",
            "Lãnh đạo trẻ trong quản lý hành chính công",
            "Khóa 3 – Tokyo",
            "20/9/2024 – tháng 12/2024",
            number,
            code,
        ] {
            assert!(text.contains(expected), "`{expected}` in the certificate's text: {text}");
        }
        // The address under the QR code, which the code holds (the QR itself is decoded in the
        // documents module's tests).
        let url = format!("/verify?number={}&code={}", crate::support::urlencode(number), crate::support::urlencode(code));
        assert!(text.contains("http://") && text.contains(&url), "`{url}` in {text}");
    }
);

db_test!(
    async fn a_certificate_prints_in_english_with_lang_en_and_json_stays_the_default(app) {
        let seated = completed_with_diacritics(&app).await;
        let path = format!("/api/v1/enrollments/{}/certificate", seated["id"]);
        let pdf = get_accepting(&app, &format!("{path}?lang=en"), "application/pdf").await;
        assert_eq!(pdf.status, 200, "{}", pdf.text());
        assert_eq!(pdf.header("content-language"), Some("en"));
        let (text, ..) = read_pdf(&pdf.body);
        for expected in [
            "CERTIFICATE OF COMPLETION",
            "This certifies that",
            "Đặng Thị Ngọc Diễm Hương Trưởng Ứng Vỹ Phượng",
            "has completed",
            "Young Leaders in Public Administration",
            "20 September 2024 – December 2024",
        ] {
            assert!(text.contains(expected), "`{expected}` in the certificate's text: {text}");
        }
        assert!(!text.contains("GIẤY CHỨNG NHẬN"), "{text}");

        let plain = app.get(&path).await;
        for accept in ["application/json", "*/*", "text/csv", "application/json, application/pdf;q=0.5"] {
            let json = get_accepting(&app, &path, accept).await;
            assert_eq!(json.status, 200, "{accept}: {}", json.text());
            assert_eq!(json.header("content-type"), Some("application/json"), "{accept}");
            assert_eq!(json.json(), plain.json(), "{accept}");
            assert_eq!(json.header("etag"), plain.header("etag"), "{accept}");
        }
        get_accepting(&app, &format!("{path}?lang=fr"), "application/pdf").await.assert_problem(400, "invalid_query");
    }
);

db_test!(
    async fn a_revoked_certificate_gives_no_pdf_but_says_when_it_was_revoked(app) {
        let seated = completed_with_diacritics(&app).await;
        let path = format!("/api/v1/enrollments/{}/certificate", seated["id"]);
        let revoked = app.post(&format!("{path}/revocation"), json!({"reason": "Issued in error"})).await;
        assert_eq!(revoked.status, 200, "{}", revoked.text());
        let on = revoked.json()["revoked_at"].as_str().expect("revoked_at")[..10].to_owned();
        let problem = get_accepting(&app, &path, "application/pdf").await.assert_problem(409, "certificate_revoked");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&format!("revoked on {on}"))), "{problem}");
        assert_eq!(app.get(&path).await.json()["revoked_reason"], "Issued in error", "its record still reads");

        let never = app.enrollment(&app.cohort(&app.program().create().await).create().await, &app.trainee().create().await).create().await;
        get_accepting(&app, &format!("/api/v1/enrollments/{}/certificate", never["id"]), "application/pdf")
            .await
            .assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_liaison_lists_the_assessments_still_to_make_in_its_partners_open_rounds(app) {
        let jica = app.partner().code("JICA").create().await;
        let theirs = app.program().create().await;
        let other = app.program().create().await;
        app.program_partner(&theirs, &jica).role(PartnerRole::Lecturer).create().await;
        let (cohort, seated) = class_of(&app, &theirs, 3).await;
        let (other_cohort, _) = class_of(&app, &other, 2).await;
        let form = app.instrument().purpose(Purpose::Assessment).items(rubric()).published().await;
        let round = app.round(&cohort, &form).assessed_by(Respondent::Partner).opened().await;
        app.round(&cohort, &form).assessed_by(Respondent::Partner).create().await;
        let officers = app.round(&cohort, &form).assessed_by(Respondent::Officer).opened().await;
        app.round(&other_cohort, &form).assessed_by(Respondent::Partner).opened().await;
        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        let as_liaison = app.as_user(&liaison);
        let assessed = as_liaison
            .post(&format!("/api/v1/rounds/{}/responses", round["id"]), json!({"enrollment_id": seated[1]["id"], "answers": {"initiative": 4}}))
            .await;
        assert_eq!(assessed.status, 201, "{}", assessed.text());

        let to_do = as_liaison.get("/api/v1/pending-assessments").await;
        assert_eq!(to_do.status, 200, "{}", to_do.text());
        let to_do = to_do.json();
        let pairs: Vec<(Value, Value)> =
            to_do["items"].as_array().expect("items").iter().map(|p| (p["round_id"].clone(), p["enrollment_id"].clone())).collect();
        assert_eq!(
            pairs,
            [(round["id"].clone(), seated[0]["id"].clone()), (round["id"].clone(), seated[2]["id"].clone())],
            "its open partner round's trainees not yet assessed; no draft, officers' or other partner's round: {to_do}"
        );
        assert_eq!(to_do["items"][0]["trainee_name"], "Học viên 0");

        let officer_to_do = app.get(&format!("/api/v1/pending-assessments?cohort_id={}", cohort["id"])).await.json();
        assert_eq!(officer_to_do["total"], 5, "an officer also sees the officers' round: {officer_to_do}");
        let in_round = app.get(&format!("/api/v1/pending-assessments?round_id={}", officers["id"])).await.json();
        assert_eq!(in_round["total"], 3);
        let reporter = app.user(Role::Reporter, None).await;
        app.as_user(&reporter).get("/api/v1/pending-assessments").await.assert_problem(403, "forbidden");
    }
);
