//! Mail through the outbox: a change queues its messages in its own transaction, and the sender
//! delivers each once to a real SMTP server (`support::smtp`), across restarts and servers.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};
use tpms::trainees::Language;
use tpms::users::Role;

use crate::support::smtp::{Received, SmtpServer};
use crate::support::{TestApp, sending_to};
use crate::{db_test, mail_test};

const PATIENCE: Duration = Duration::from_secs(20);

/// A cohort with trainees named and addressed as given (`None`: no address).
async fn class(app: &TestApp, people: &[(&str, Option<&str>, Language)]) -> Value {
    let program = app.program().title("Young Leaders").create().await;
    let cohort = app.cohort(&program).name("YL-2026").create().await;
    for (name, email, language) in people {
        let mut trainee = app.trainee().full_name(*name).language(*language);
        if let Some(email) = email {
            trainee = trainee.email(*email);
        }
        let trainee = trainee.create().await;
        app.enrollment(&cohort, &trainee).create().await;
    }
    cohort
}

/// The round's messages, every page, newest first.
async fn messages_of(app: &TestApp, round: &Value) -> Vec<Value> {
    app.every_page(&format!("/api/v1/messages?round_id={}", round["id"]))
        .await
        .0
}

/// Wait until none of the round's messages is queued any more.
async fn settled(app: &TestApp, round: &Value) -> Vec<Value> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let messages = messages_of(app, round).await;
        if messages.iter().all(|m| m["state"] != "queued") || std::time::Instant::now() > deadline {
            return messages;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many times each Message-ID arrived.
fn copies(received: &[Received]) -> HashMap<String, usize> {
    let mut copies = HashMap::new();
    for mail in received {
        *copies.entry(mail.message_id().expect("a Message-ID")).or_insert(0) += 1;
    }
    copies
}

mail_test!(
    async fn opening_a_round_mails_each_seated_trainee_with_an_address_once_and_names_who_has_none(app, smtp) {
        let cohort = class(
            &app,
            &[
                ("Nguyễn Thị Bích Dung", Some("dung@example.gov.vn"), Language::Vi),
                ("Trần Văn Minh", Some("minh@example.gov.vn"), Language::En),
                ("Lê Hoàng Nam", None, Language::Vi),
            ],
        )
        .await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;

        let received = smtp.wait_for(2, PATIENCE).await;
        let messages = settled(&app, &round).await;
        // Nothing more arrives once the outbox has settled.
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let received_now = smtp.received();
        assert_eq!(received_now.len(), 2, "two trainees have an address: {:?}", copies(&received_now));
        assert!(copies(&received_now).values().all(|n| *n == 1));

        let to_dung = received.iter().find(|m| m.rcpt_to == "dung@example.gov.vn").expect("Dung's invitation");
        assert_eq!(
            to_dung.subject_decoded().as_deref(),
            Some("Mời trả lời phiếu: End-of-course reaction – Young Leaders")
        );
        assert!(to_dung.header("From").unwrap_or_default().contains("daotao@example.gov.vn"));
        assert!(to_dung.header("Reply-To").unwrap_or_default().contains("hotro@example.gov.vn"));
        let text = to_dung.text_body().expect("a plain-text part");
        assert!(text.starts_with("Kính gửi Nguyễn Thị Bích Dung,"), "{text}");
        assert!(text.contains("YL-2026") && text.contains("Young Leaders"), "{text}");
        let html = to_dung.html_body().expect("an HTML alternative");
        // The trainee's own page, as the invitation list shows it to officers.
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let dungs_page = invitations["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["page_url"].as_str())
            .find(|url| text.contains(url))
            .expect("the mail carries one of the round's page links")
            .to_owned();
        assert!(html.contains(&format!("href=\"{dungs_page}\"")), "{html}");

        let to_minh = received.iter().find(|m| m.rcpt_to == "minh@example.gov.vn").expect("Minh's invitation");
        assert_eq!(
            to_minh.subject_decoded().as_deref(),
            Some("Please answer: End-of-course reaction – Young Leaders"),
            "a trainee marked English is written to in English"
        );

        // The outbox says the same, and names the trainee who must be reached another way.
        let by_name: HashMap<&str, &Value> =
            messages.iter().map(|m| (m["recipient_name"].as_str().unwrap_or_default(), m)).collect();
        assert_eq!(by_name["Nguyễn Thị Bích Dung"]["state"], "sent");
        assert_eq!(
            by_name["Nguyễn Thị Bích Dung"]["message_id"].as_str().map(|id| id.trim_matches(['<', '>'])),
            to_dung.message_id().as_deref()
        );
        assert_eq!(by_name["Lê Hoàng Nam"]["state"], "failed");
        assert!(by_name["Lê Hoàng Nam"]["error"].as_str().unwrap_or_default().contains("no email address"));
        let counts = app.get(&format!("/api/v1/rounds/{}/messages", round["id"])).await.json();
        assert_eq!(
            (&counts["sent"], &counts["failed"], &counts["without_address"], &counts["total"]),
            (&json!(2), &json!(1), &json!(1), &json!(3))
        );
        let cohort_counts = app.get(&format!("/api/v1/cohorts/{}/messages", cohort["id"])).await.json();
        assert_eq!(cohort_counts, counts);
    }
);

mail_test!(
    async fn a_refused_address_leaves_its_message_failed_with_the_reason_and_the_others_go(app, smtp) {
        let cohort = class(
            &app,
            &[
                ("Phạm Thu Hà", Some("refuse-ha@example.gov.vn"), Language::Vi),
                ("Đỗ Quang Huy", Some("huy@example.gov.vn"), Language::Vi),
            ],
        )
        .await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;

        let messages = settled(&app, &round).await;
        let refused = messages.iter().find(|m| m["recipient_name"] == "Phạm Thu Hà").expect("Hà's message");
        assert_eq!(refused["state"], "failed");
        assert!(refused["error"].as_str().unwrap_or_default().contains("550"), "{refused}");
        assert_eq!(refused["attempts"], 1, "a permanent refusal is not tried again");
        let sent = messages.iter().find(|m| m["recipient_name"] == "Đỗ Quang Huy").expect("Huy's message");
        assert_eq!(sent["state"], "sent");
        assert_eq!(smtp.received().iter().map(|m| m.rcpt_to.as_str()).collect::<Vec<_>>(), ["huy@example.gov.vn"]);
    }
);

mail_test!(
    async fn a_temporary_refusal_is_tried_again_later_and_then_delivered(app, smtp) {
        let cohort = class(&app, &[("Vũ Minh Châu", Some("busy1-chau@example.gov.vn"), Language::Vi)]).await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;

        let deadline = std::time::Instant::now() + PATIENCE;
        let waiting = loop {
            let messages = messages_of(&app, &round).await;
            // Attempts count at the claim; the error once the server answered.
            if !messages[0]["error"].is_null() || std::time::Instant::now() > deadline {
                break messages[0].clone();
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(waiting["state"], "queued", "a 451 is temporary: {waiting}");
        assert!(waiting["error"].as_str().unwrap_or_default().contains("451"), "{waiting}");
        let wait = chrono::DateTime::parse_from_rfc3339(waiting["next_attempt_at"].as_str().expect("a time"))
            .expect("RFC 3339")
            .with_timezone(&chrono::Utc)
            - chrono::Utc::now();
        assert!(wait.num_seconds() >= 20, "the next attempt waits about 30 s: {wait}");

        // The wait has passed.
        let mut conn = app.pool.get().expect("a connection");
        diesel::update(tpms::schema::messages::table)
            .set(tpms::schema::messages::next_attempt_at.eq(tpms::clock::now()))
            .execute(&mut conn)
            .expect("the wait moved");
        let messages = settled(&app, &round).await;
        assert_eq!((&messages[0]["state"], &messages[0]["attempts"]), (&json!("sent"), &json!(2)));
        assert_eq!(smtp.received().len(), 1);
    }
);

/// A round of `n` trainees opened on `app`, which sends nothing (its mail is `off`).
async fn opened_without_sending(app: &TestApp, n: usize) -> Value {
    let people: Vec<(String, String)> = (0..n)
        .map(|i| (format!("Học viên {i}"), format!("hv{i}@example.gov.vn")))
        .collect();
    let listed: Vec<(&str, Option<&str>, Language)> = people
        .iter()
        .map(|(name, email)| (name.as_str(), Some(email.as_str()), Language::Vi))
        .collect();
    let cohort = class(app, &listed).await;
    let form = app.instrument().published().await;
    let round = app.round(&cohort, &form).opened().await;
    let queued = messages_of(app, &round).await;
    assert_eq!(
        queued.len(),
        n,
        "each invitation's mail was written with the round's opening"
    );
    assert!(queued.iter().all(|m| m["state"] == "queued"));
    round
}

db_test!(
    async fn messages_queued_before_a_server_stopped_are_each_delivered_once_after_a_restart(app) {
        let Some(smtp) = SmtpServer::start() else { return };
        let round = opened_without_sending(&app, 4).await;
        // A sender that took one message and died before sending it: its lease has run out.
        let mut conn = app.pool.get().expect("a connection");
        let taken = diesel::update(
            tpms::schema::messages::table.filter(tpms::schema::messages::id.eq(round_message(&app, &round).await)),
        )
        .set((
            tpms::schema::messages::claimed_by.eq("sender-that-died"),
            tpms::schema::messages::claimed_until.eq(tpms::clock::now() - chrono::TimeDelta::seconds(1)),
            tpms::schema::messages::attempts.eq(1),
        ))
        .execute(&mut conn)
        .expect("a dead claim");
        assert_eq!(taken, 1);
        // The server stops before delivering anything (its mail was off)...
        app.stop().await;

        // ... and comes back on the same database, this time sending.
        let restarted = app.second_server_with(|c| sending_to(c, &smtp));
        let received = smtp.wait_for(4, PATIENCE).await;
        let messages = settled(&restarted, &round).await;
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.received().len(), 4, "{:?}", copies(&received));
        assert!(copies(&smtp.received()).values().all(|n| *n == 1));
        assert!(messages.iter().all(|m| m["state"] == "sent"), "{messages:?}");
    }
);

/// The id of one of the round's messages.
async fn round_message(app: &TestApp, round: &Value) -> i64 {
    messages_of(app, round).await[0]["id"].as_i64().expect("an id")
}

db_test!(
    async fn two_servers_on_one_database_deliver_each_message_once(app) {
        let Some(smtp) = SmtpServer::start() else { return };
        let round = opened_without_sending(&app, 40).await;
        let first = app.second_server_with(|c| sending_to(c, &smtp));
        let second = app.second_server_with(|c| sending_to(c, &smtp));
        let received = smtp.wait_for(40, PATIENCE).await;
        settled(&first, &round).await;
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let received_now = smtp.received();
        assert_eq!(received_now.len(), 40, "{} arrived before settling", received.len());
        assert!(copies(&received_now).values().all(|n| *n == 1), "a message arrived twice");
        drop((first, second));
    }
);

db_test!(
    async fn officers_read_retry_and_cancel_messages_reporters_read_no_body_and_liaisons_none(app) {
        let cohort = class(
            &app,
            &[
                ("Hoàng Thị Lan", Some("lan@example.gov.vn"), Language::Vi),
                ("Ngô Đức Anh", None, Language::Vi),
            ],
        )
        .await;
        let form = app.instrument().published().await;
        let round = app.round(&cohort, &form).opened().await;
        let messages = messages_of(&app, &round).await;
        let queued = messages.iter().find(|m| m["state"] == "queued").expect("Lan's, queued (mail is off)");
        let failed = messages.iter().find(|m| m["state"] == "failed").expect("Anh's, with no address");
        assert!(queued["body"].as_str().unwrap_or_default().contains("/r/"), "officers read the link");

        // Filters and CSV, like every list.
        let only_failed = app.get(&format!("/api/v1/messages?round_id={}&state=failed", round["id"])).await.json();
        assert_eq!(only_failed["items"].as_array().map(Vec::len), Some(1));
        let csv = app
            .request(actix_web::http::Method::GET, &format!("/api/v1/messages?cohort_id={}&format=csv", cohort["id"]))
            .send()
            .await
            .expect("the CSV")
            .body()
            .await
            .expect("its body");
        let mut rows = csv::Reader::from_reader(csv.as_ref());
        let header = rows.headers().expect("a header row").clone();
        assert_eq!(header.iter().take(3).collect::<Vec<_>>(), ["id", "kind", "state"]);
        let records: Vec<csv::StringRecord> = rows.records().collect::<Result<_, _>>().expect("CSV records");
        assert_eq!(records.len(), 2, "two messages");

        // A reporter reads where each stands, never a body; a liaison nothing.
        let reporter = app.user(Role::Reporter, None).await;
        let seen = app.as_user(&reporter).get(&format!("/api/v1/messages/{}", queued["id"])).await.json();
        assert_eq!((&seen["state"], &seen["body"]), (&json!("queued"), &Value::Null));
        let partner = app.partner().create().await;
        let liaison = app.user(Role::Liaison, partner["id"].as_i64()).await;
        app.as_user(&liaison).get("/api/v1/messages").await.assert_problem(403, "forbidden");
        app.as_user(&reporter)
            .post(&format!("/api/v1/messages/{}/cancel", queued["id"]), json!({}))
            .await
            .assert_problem(403, "forbidden");

        // Cancel the queued one; retrying the one without an address asks for an address first.
        let cancelled = app.post(&format!("/api/v1/messages/{}/cancel", queued["id"]), json!({})).await;
        assert_eq!(cancelled.json()["state"], "cancelled", "{}", cancelled.text());
        app.post(&format!("/api/v1/messages/{}/cancel", queued["id"]), json!({}))
            .await
            .assert_problem(409, "message_not_queued");
        app.post(&format!("/api/v1/messages/{}/retry", failed["id"]), json!({}))
            .await
            .assert_problem(409, "no_address");
        app.patch(&format!("/api/v1/trainees/{}", failed["trainee_id"]), json!({"email": "anh@example.gov.vn"}))
            .await;
        let retried = app.post(&format!("/api/v1/messages/{}/retry", failed["id"]), json!({})).await.json();
        assert_eq!(
            (&retried["state"], &retried["recipient_email"], &retried["error"]),
            (&json!("queued"), &json!("anh@example.gov.vn"), &Value::Null)
        );
        let trail = app.get(&format!("/api/v1/audit-events?entity_type=message&entity_id={}", failed["id"])).await.json();
        assert_eq!(trail["items"][0]["reason"], "retried by an officer", "{trail}");
    }
);

/// The calendar a mail carries, as text.
fn calendar_of(mail: &Received) -> String {
    String::from_utf8(mail.attachment("text/calendar").expect("a calendar attached")).expect("UTF-8")
}

mail_test!(
    async fn a_session_scheduled_moved_and_cancelled_reaches_each_trainees_calendar(app, smtp) {
        let cohort = class(&app, &[("Bùi Thị Mai", Some("mai@example.gov.vn"), Language::Vi)]).await;
        let session = app
            .post(
                &format!("/api/v1/cohorts/{}/sessions", cohort["id"]),
                json!({"title": "Quản trị địa phương", "kind": "lecture", "time_zone": "Europe/Paris",
                       "starts_at": "2031-03-27T09:00", "ends_at": "2031-03-27T12:00", "location": "INSP, Strasbourg"}),
            )
            .await
            .json();
        let scheduled = smtp.wait_for(1, PATIENCE).await;
        assert_eq!(
            scheduled[0].subject_decoded().as_deref(),
            Some("Lịch học: Quản trị địa phương – 09:00, 27/3/2031 (Europe/Paris)")
        );
        let invitation = calendar_of(&scheduled[0]);
        assert!(invitation.contains("METHOD:REQUEST") && invitation.contains("SEQUENCE:1"), "{invitation}");
        assert!(invitation.contains("DTSTART;TZID=Europe/Paris:20310327T090000"), "{invitation}");
        assert!(invitation.contains("BEGIN:VTIMEZONE"), "{invitation}");
        let uid = invitation.lines().find(|l| l.starts_with("UID:")).expect("a UID").to_owned();

        // Moved by a day: an update of the same event, its sequence raised.
        let moved = app
            .patch(&format!("/api/v1/sessions/{}", session["id"]), json!({"starts_at": "2031-03-28T09:00", "ends_at": "2031-03-28T12:00"}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        let both = smtp.wait_for(2, PATIENCE).await;
        let update = calendar_of(&both[1]);
        assert!(update.contains(&uid) && update.contains("SEQUENCE:2"), "{update}");
        assert!(update.contains("DTSTART;TZID=Europe/Paris:20310328T090000"), "{update}");
        assert!(both[1].subject_decoded().unwrap_or_default().starts_with("Thay đổi lịch học"));

        // A change that moves nothing (the speaker) sends nothing; a cancellation cancels the event.
        app.patch(&format!("/api/v1/sessions/{}", session["id"]), json!({"speaker_name": "Lê Vĩnh Tân"})).await;
        assert_eq!(app.delete(&format!("/api/v1/sessions/{}", session["id"])).await.status, 204);
        let all = smtp.wait_for(3, PATIENCE).await;
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.received().len(), 3, "scheduled, moved, cancelled: nothing for the speaker");
        let cancel = calendar_of(&all[2]);
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains(&uid) && cancel.contains("STATUS:CANCELLED"), "{cancel}");
        let listed = app.get(&format!("/api/v1/messages?cohort_id={}&kind=session_cancelled", cohort["id"])).await.json();
        assert_eq!(listed["items"][0]["session_id"], session["id"]);
    }
);
