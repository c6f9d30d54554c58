//! Reminders on the durable schedule, delivered to a real SMTP server: a round's to those who have
//! neither answered nor declined, once, whichever of two servers runs the sweep; a plan's after its
//! link waited; a checkpoint's to the trainee and the supervisor; a trainee without an address on
//! the officers' list of failed messages; the officers' digest for those who asked for it.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::mail_test;
use crate::support::smtp::{Received, SmtpServer};
use crate::support::{TestApp, sending_to};
use tpms::users::Role;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// An open round of `cohort` that trainees answer, closing `in_hours` from now.
async fn round_closing_in(app: &TestApp, cohort: &Value, form: &Value, in_hours: i64) -> Value {
    let closes_at = Utc::now() + chrono::Duration::hours(in_hours);
    let round = app
        .create(
            &format!("/api/v1/cohorts/{}/rounds", cohort["id"]),
            json!({"instrument_id": form["id"], "title": "Đánh giá cuối khóa", "subject": "course",
                   "respondent": "trainee", "wave": "post",
                   "closes_at": closes_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)}),
        )
        .await;
    let opened = app
        .patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "open"}))
        .await;
    assert_eq!(opened.status, 200, "opening: {}", opened.text());
    opened.json()
}

/// Date a round's invitations back `days`, as if they were sent that long ago (a test cannot wait).
async fn invited_days_ago(app: &TestApp, round: &Value, days: i64) {
    use tpms::schema::invitations;
    let (pool, round) = (app.pool.clone(), round["id"].as_i64().expect("a round id"));
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("a connection");
        diesel::update(invitations::table.filter(invitations::round_id.eq(round)))
            .set(invitations::issued_at.eq(now() - chrono::Duration::days(days)))
            .execute(&mut conn)
            .expect("the invitations dated back");
    })
    .await
    .expect("the blocking pool");
}

/// The links of a round's invitations, by trainee name.
async fn links_by_name(app: &TestApp, round: &Value) -> std::collections::HashMap<String, String> {
    let listed = app
        .get(&format!("/api/v1/rounds/{}/invitations", round["id"]))
        .await
        .json();
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| Some((i["trainee_name"].as_str()?.to_owned(), i["link"].as_str()?.to_owned())))
        .collect()
}

/// What was received with a subject starting `prefix`.
fn with_subject(received: &[Received], prefix: &str) -> Vec<Received> {
    received
        .iter()
        .filter(|m| m.subject_decoded().is_some_and(|s| s.starts_with(prefix)))
        .cloned()
        .collect()
}

/// Wait until `count` messages with a subject starting `prefix` arrived (or 20 seconds passed).
async fn wait_for_subject(smtp: &SmtpServer, prefix: &str, count: usize) -> Vec<Received> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = with_subject(&smtp.received(), prefix);
        if found.len() >= count || std::time::Instant::now() >= deadline {
            return found;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A few of the scheduler's ticks, for what must not happen to have had its chance.
async fn a_few_ticks() {
    actix_web::rt::time::sleep(Duration::from_secs(4)).await;
}

/// The stages recorded of `kind`, sorted.
async fn stages(app: &TestApp, kind: &'static str) -> Vec<String> {
    use tpms::schema::reminders;
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("a connection");
        reminders::table
            .filter(reminders::kind.eq(kind))
            .order((reminders::subject_id, reminders::stage))
            .select(reminders::stage)
            .load::<String>(&mut conn)
            .expect("the reminders")
    })
    .await
    .expect("the blocking pool")
}

/// Three seated trainees with addresses, and a round of theirs closing in `in_hours`, sent
/// `sent_days_ago`.
async fn three_invited(app: &TestApp, in_hours: i64, sent_days_ago: i64) -> (Value, Value) {
    let program = app.program().title("Young Leaders").create().await;
    let cohort = app.cohort(&program).name("YL-2026").create().await;
    for (name, email) in TRAINEES {
        let trainee = app.trainee().full_name(name).email(email).create().await;
        app.enrollment(&cohort, &trainee).create().await;
    }
    let form = app.instrument().published().await;
    let round = round_closing_in(app, &cohort, &form, in_hours).await;
    invited_days_ago(app, &round, sent_days_ago).await;
    (cohort, round)
}

const TRAINEES: [(&str, &str); 3] = [
    ("Nguyễn Văn An", "an@example.org"),
    ("Trần Thị Bình", "binh@example.org"),
    ("Lê Văn Cường", "cuong@example.org"),
];

const ROUND_REMINDER: &str = "Nhắc trả lời phiếu";

mail_test!(
    async fn a_round_closing_in_two_days_reminds_only_who_neither_answered_nor_declined_and_once(app, smtp) {
        let program = app.program().title("Young Leaders").create().await;
        let cohort = app.cohort(&program).name("YL-2026").create().await;
        for (name, email) in TRAINEES {
            let trainee = app.trainee().full_name(name).email(email).create().await;
            app.enrollment(&cohort, &trainee).create().await;
        }
        let form = app.instrument().published().await;
        let round = round_closing_in(&app, &cohort, &form, 48).await;
        let links = links_by_name(&app, &round).await;
        let answered = app.anonymous().post(&links["Nguyễn Văn An"], json!({"answers": {"relevance": 5}})).await;
        assert_eq!(answered.status, 204, "{}", answered.text());
        assert_eq!(app.anonymous().post(&format!("{}/decline", links["Trần Thị Bình"]), json!({})).await.status, 204);
        a_few_ticks().await;
        assert_eq!(with_subject(&smtp.received(), ROUND_REMINDER).len(), 0, "the invitation, just sent, said when it closes");

        invited_days_ago(&app, &round, 4).await;
        let reminded = wait_for_subject(&smtp, ROUND_REMINDER, 1).await;
        assert_eq!(reminded.len(), 1);
        assert_eq!(reminded[0].rcpt_to, "cuong@example.org");
        assert_eq!(reminded[0].subject_decoded().as_deref(), Some("Nhắc trả lời phiếu: Đánh giá cuối khóa – Young Leaders"));
        let body = reminded[0].text_body().expect("a text body");
        assert!(body.starts_with("Kính gửi Lê Văn Cường,"), "{body}");
        assert!(body.contains("YL-2026") && body.contains("(giờ Việt Nam)"), "{body}");
        let token = links["Lê Văn Cường"].rsplit('/').next().expect("a token");
        assert!(body.contains(&format!("{}/r/{token}", app.address)), "the trainee's page: {body}");

        a_few_ticks().await;
        assert_eq!(with_subject(&smtp.received(), ROUND_REMINDER).len(), 1, "once");
        assert_eq!(stages(&app, "round").await, ["3d"]);
        let listed = app.get(&format!("/api/v1/messages?kind=round_reminder&round_id={}", round["id"])).await.json();
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
        assert_eq!(listed["items"][0]["recipient_role"], "trainee");
    }
);

mail_test!(
    async fn a_round_whose_two_stages_fell_due_while_nothing_ran_sends_one_reminder(app, smtp) {
        let (_, _) = three_invited(&app, 12, 5).await;
        let reminded = wait_for_subject(&smtp, ROUND_REMINDER, 3).await;
        assert_eq!(reminded.len(), 3);
        a_few_ticks().await;
        let reminded = with_subject(&smtp.received(), ROUND_REMINDER);
        let mut to: Vec<&str> = reminded.iter().map(|m| m.rcpt_to.as_str()).collect();
        to.sort_unstable();
        assert_eq!(to, TRAINEES.map(|(_, email)| email), "one each");
        assert_eq!(stages(&app, "round").await, ["1d", "3d", "1d", "3d", "1d", "3d"], "both stages recorded for each");
    }
);

mail_test!(
    async fn two_servers_on_one_database_send_each_reminder_once(app, smtp) {
        let second = app.second_server_with(|c| sending_to(c, &smtp));
        let (_, round) = three_invited(&app, 48, 4).await;
        let reminded = wait_for_subject(&smtp, ROUND_REMINDER, 3).await;
        assert_eq!(reminded.len(), 3);
        a_few_ticks().await;
        assert_eq!(with_subject(&smtp.received(), ROUND_REMINDER).len(), 3, "each once, from either server");
        let listed = second.get(&format!("/api/v1/messages?kind=round_reminder&round_id={}", round["id"])).await.json();
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(3), "{listed}");
        assert_eq!(stages(&app, "round").await, ["3d", "3d", "3d"]);
    }
);

/// A cohort of `program` that ended on `end`, with one seated trainee with an address.
async fn returned(app: &TestApp, program: &Value, end: &str, email: Option<&str>) -> Value {
    let cohort = app
        .cohort(program)
        .name("YL-2025")
        .start_date("2024-01-01")
        .end_date(end)
        .create()
        .await;
    let trainee = app.trainee().full_name("Vũ Thị Lan");
    let trainee = match email {
        Some(email) => trainee.email(email),
        None => trainee,
    };
    let trainee = trainee.create().await;
    app.enrollment(&cohort, &trainee).create().await
}

mail_test!(
    async fn a_plan_link_not_used_for_a_week_gets_one_reminder(app, smtp) {
        use tpms::schema::action_plans;
        let program = app.program().title("Young Leaders").create().await;
        let enrollment = returned(&app, &program, "2025-06-30", Some("lan@example.org")).await;
        let plan = app.action_plan(&enrollment).empty().create().await;
        let issued = app.post(&format!("/api/v1/action-plans/{}/link", plan["id"]), json!({})).await.json();
        let page = issued["page_url"].as_str().expect("a page").to_owned();
        a_few_ticks().await;
        assert_eq!(with_subject(&smtp.received(), "Nhắc nộp kế hoạch").len(), 0, "not before a week");

        let (pool, id) = (app.pool.clone(), plan["id"].as_i64().expect("an id"));
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("a connection");
            diesel::update(action_plans::table.find(id))
                .set(action_plans::link_issued_at.eq(now() - chrono::Duration::days(8)))
                .execute(&mut conn)
                .expect("the link dated back");
        })
        .await
        .expect("the blocking pool");
        let reminded = wait_for_subject(&smtp, "Nhắc nộp kế hoạch", 1).await;
        assert_eq!(reminded.len(), 1);
        assert_eq!(reminded[0].rcpt_to, "lan@example.org");
        assert_eq!(reminded[0].subject_decoded().as_deref(), Some("Nhắc nộp kế hoạch hành động – Young Leaders"));
        let body = reminded[0].text_body().expect("a body");
        assert!(body.contains(&page) && body.contains("YL-2025") && body.contains("7 ngày"), "{body}");
        a_few_ticks().await;
        assert_eq!(with_subject(&smtp.received(), "Nhắc nộp kế hoạch").len(), 1, "once");
    }
);

mail_test!(
    async fn a_checkpoint_due_in_ten_days_reminds_the_trainee_and_the_supervisor(app, smtp) {
        let due = Utc::now().date_naive() + chrono::Duration::days(10);
        let end = due.checked_sub_months(chrono::Months::new(3)).expect("a date");
        let program = app.program().title("Young Leaders").create().await;
        let enrollment = returned(&app, &program, &end.to_string(), Some("lan@example.org")).await;
        app.action_plan(&enrollment)
            .supervisor("Trần Văn Hùng", "Trưởng phòng Tư pháp", "hung.tv@longbien.gov.vn")
            .approved()
            .await;
        let trainee = wait_for_subject(&smtp, "Sắp đến hạn báo cáo sau 3 tháng", 1).await;
        let supervisor = wait_for_subject(&smtp, "Nhắc xác nhận báo cáo sau 3 tháng", 1).await;
        assert_eq!((trainee.len(), supervisor.len()), (1, 1));
        assert_eq!(trainee[0].rcpt_to, "lan@example.org");
        assert_eq!(trainee[0].subject_decoded().as_deref(), Some("Sắp đến hạn báo cáo sau 3 tháng – Young Leaders"));
        let body = trainee[0].text_body().expect("a body");
        assert!(body.contains(&format!("{}/c/", app.address)), "the trainee's report page: {body}");
        assert_eq!(supervisor[0].rcpt_to, "hung.tv@longbien.gov.vn");
        assert_eq!(
            supervisor[0].subject_decoded().as_deref(),
            Some("Nhắc xác nhận báo cáo sau 3 tháng của Vũ Thị Lan")
        );
        let body = supervisor[0].text_body().expect("a body");
        assert!(body.starts_with("Kính gửi Trần Văn Hùng,"), "{body}");
        assert!(body.contains(&format!("{}/s/", app.address)), "the supervisor's page: {body}");
        a_few_ticks().await;
        let later = smtp.received();
        assert_eq!(with_subject(&later, "Sắp đến hạn báo cáo").len(), 1, "once, and no other checkpoint is near");
        assert_eq!(with_subject(&later, "Nhắc xác nhận").len(), 1);
    }
);

mail_test!(
    async fn a_trainee_without_an_address_is_on_the_officers_list_of_failed_reminders(app, smtp) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let trainee = app.trainee().full_name("Đỗ Văn Nam").create().await;
        app.enrollment(&cohort, &trainee).create().await;
        let form = app.instrument().published().await;
        let round = round_closing_in(&app, &cohort, &form, 48).await;
        invited_days_ago(&app, &round, 4).await;
        let path = format!("/api/v1/messages?state=failed&kind=round_reminder&round_id={}", round["id"]);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let failed = loop {
            let listed = app.get(&path).await.json();
            if listed["items"].as_array().is_some_and(|items| !items.is_empty()) || std::time::Instant::now() >= deadline {
                break listed;
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        };
        let items = failed["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{failed}");
        assert_eq!(items[0]["recipient_name"], "Đỗ Văn Nam");
        assert_eq!(items[0]["recipient_email"], Value::Null);
        assert!(items[0]["error"].as_str().is_some_and(|e| e.starts_with("no email address")), "{failed}");
        assert_eq!(items[0]["trainee_id"], trainee["id"]);
        assert!(with_subject(&smtp.received(), ROUND_REMINDER).is_empty());
    }
);

mail_test!(
    async fn an_officer_who_asked_gets_the_morning_digest_and_one_who_did_not_gets_none(app, smtp) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let trainee = app.trainee().full_name("Đỗ Văn Nam").create().await;
        app.enrollment(&cohort, &trainee).create().await;
        let form = app.instrument().published().await;
        let closes_at = Utc::now() + chrono::Duration::milliseconds(1500);
        let round = app
            .create(
                &format!("/api/v1/cohorts/{}/rounds", cohort["id"]),
                json!({"instrument_id": form["id"], "title": "Reaction", "subject": "course", "respondent": "trainee",
                       "wave": "post", "closes_at": closes_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)}),
            )
            .await;
        assert_eq!(app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "open"})).await.status, 200);
        actix_web::rt::time::sleep(Duration::from_millis(1700)).await;

        let reader = app.user(Role::Officer, None).await;
        let other = app.user(Role::Officer, None).await;
        let reporter = app.user(Role::Reporter, None).await;
        app.as_user(&reporter)
            .patch("/api/v1/auth/me", json!({"daily_digest": true}))
            .await
            .assert_problem(422, "validation_failed");
        let me = app.as_user(&reader).patch("/api/v1/auth/me", json!({"daily_digest": true})).await;
        assert_eq!(me.status, 200, "{}", me.text());
        assert_eq!(me.json()["daily_digest"], true);
        assert_eq!(app.as_user(&other).get("/api/v1/auth/me").await.json()["daily_digest"], false);

        let digest = wait_for_subject(&smtp, "Tóm tắt ngày", 1).await;
        assert_eq!(digest.len(), 1);
        assert_eq!(digest[0].rcpt_to, reader.email.to_lowercase());
        let subject = digest[0].subject_decoded().expect("a subject");
        assert!(subject.ends_with(": 2 việc quá hạn"), "a closed round and a message with no address: {subject}");
        let body = digest[0].text_body().expect("a body");
        assert!(body.contains(&format!("GET /api/v1/rounds/{}/invitations?status=expired", round["id"])), "{body}");
        assert!(body.contains("1 lời mời chưa trả lời") && body.contains("GET /api/v1/messages?state=failed"), "{body}");
        a_few_ticks().await;
        let digests = with_subject(&smtp.received(), "Tóm tắt ngày");
        assert_eq!(digests.len(), 1, "once a day, and none to who did not ask");
    }
);
