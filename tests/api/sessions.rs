//! Sessions: time zones, dates without a time, speakers.

use serde_json::{Value, json};

use crate::db_test;
use crate::support::sessions_of;
use tpms::sessions::SessionKind;

db_test!(
    async fn a_timed_session_takes_its_date_from_the_venues_time_zone(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = sessions_of(&cohort);
        // 23:30 UTC on 19 September is 08:30 on 20 September in Tokyo. Sent as written, with its
        // offset: how the API reads that is what this is about.
        let created = app
            .create(
                &sessions,
                json!({"title": "Opening", "kind": "ceremony", "starts_at": "2024-09-20T08:30:00+09:00",
                       "ends_at": "2024-09-20T09:00:00+09:00", "time_zone": "Asia/Tokyo", "language": "ja"}),
            )
            .await;
        assert_eq!(created["starts_at"], "2024-09-19T23:30:00Z", "stored and shown in UTC");
        assert_eq!(created["date"], "2024-09-20", "the local date at the venue");
        assert_eq!(created["time_zone"], "Asia/Tokyo");
        assert_eq!(created["starts_at_local"], "2024-09-20T08:30:00+09:00", "shown on the venue's clock too");
    }
);

db_test!(
    async fn a_time_without_an_offset_is_read_on_the_venues_clock(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = sessions_of(&cohort);
        let created = app
            .create(
                &sessions,
                json!({"title": "Seminar", "kind": "seminar", "starts_at": "2024-09-20T09:30",
                       "ends_at": "2024-09-20T12:00", "time_zone": "Asia/Ho_Chi_Minh"}),
            )
            .await;
        assert_eq!(created["starts_at"], "2024-09-20T02:30:00Z");
        assert_eq!(created["ends_at_local"], "2024-09-20T12:00:00+07:00");

        let moved = app
            .patch(&format!("/api/v1/sessions/{}", created["id"]), json!({"starts_at": "2024-09-20T08:00", "time_zone": "Asia/Tokyo"}))
            .await
            .json();
        assert_eq!(moved["starts_at"], "2024-09-19T23:00:00Z", "read in the time zone the change sets");

        let problem = app
            .post(&sessions, json!({"title": "Typo", "kind": "seminar", "starts_at": "20/09/2024 9h30", "time_zone": "Asia/Tokyo"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/starts_at", "{problem}");
        let detail = problem["errors"][0]["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("time_zone") && detail.contains("2024-09-20T09:30"), "says how to write it: {detail}");

        let skipped = app
            .post(&sessions, json!({"title": "Spring", "kind": "seminar", "starts_at": "2024-03-31T02:30", "time_zone": "Europe/Paris"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(skipped["errors"][0]["code"], "not_a_local_time", "{skipped}");
    }
);

db_test!(
    async fn a_session_known_only_by_its_month_has_no_invented_time(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let created = app
            .session(&cohort)
            .title("Field visit")
            .kind(SessionKind::StudyVisit)
            .date("2024-02")
            .time_zone("Asia/Ho_Chi_Minh")
            .create()
            .await;
        assert_eq!(created["date"], "2024-02");
        assert_eq!(created["starts_at"], Value::Null);
    }
);

db_test!(
    async fn bad_time_zones_dates_and_ends_are_named(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = sessions_of(&cohort);
        let lecture = || app.session(&cohort).title("T").kind(SessionKind::Lecture);
        let problem = lecture()
            .date("2024-09-20")
            .time_zone("Asia/Hanoi")
            .post()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/time_zone");

        let problem = app
            .post(&sessions, json!({"title": "T", "kind": "lecture", "time_zone": "Asia/Tokyo"}))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/date");

        let problem = lecture()
            .date("2024-09-21")
            .time_zone("Asia/Tokyo")
            .starts_at("2024-09-20T01:00:00Z")
            .ends_at("2024-09-20T00:00:00Z")
            .post()
            .await
            .assert_problem(422, "validation_failed");
        let pointers: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert_eq!(pointers, ["#/date", "#/ends_at"]);

        let problem = lecture()
            .date("2024-09-20")
            .time_zone("Asia/Tokyo")
            .speaker_partner_id(999999)
            .post()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["pointer"], "#/speaker_partner_id");
    }
);

db_test!(
    async fn a_speaker_from_a_partner_is_kept_and_the_partner_cannot_then_be_deleted(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let partner = app.partner().code("CLAIR").create().await;
        let created = app
            .session(&cohort)
            .title("Decentralisation in Japan")
            .kind(SessionKind::Lecture)
            .date("2024-09-20")
            .time_zone("Asia/Ho_Chi_Minh")
            .speaker_name("A Speaker")
            .speaker_title("Director")
            .speaker_partner(&partner)
            .location("Hanoi")
            .create()
            .await;
        assert_eq!(created["speaker_partner_id"], partner["id"]);
        app.delete(&format!("/api/v1/partners/{}", partner["id"])).await.assert_problem(409, "in_use");

        let path = format!("/api/v1/sessions/{}", created["id"]);
        let changed = app.patch(&path, json!({"speaker_partner_id": null, "starts_at": "2024-09-20T02:00:00Z"})).await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        assert_eq!(changed.json()["speaker_partner_id"], Value::Null);
        assert_eq!(changed.json()["date"], "2024-09-20");
        assert_eq!(app.delete(&path).await.status, 204);
    }
);

db_test!(
    async fn sessions_are_listed_by_date_with_untimed_ones_after_timed_ones(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = sessions_of(&cohort);
        for (title, date, starts_at) in [
            ("Untimed", Some("2019-08-29"), None),
            ("Second day", Some("2019-08-30"), None),
            ("Timed", None, Some("2019-08-29T02:00:00Z")),
        ] {
            let mut session = app.session(&cohort).title(title).kind(SessionKind::Seminar).time_zone("Asia/Ho_Chi_Minh");
            if let Some(date) = date {
                session = session.date(date);
            }
            if let Some(start) = starts_at {
                session = session.starts_at(start);
            }
            session.create().await;
        }
        let body = app.get(&sessions).await.json();
        let titles: Vec<&str> = body["items"].as_array().expect("items").iter().filter_map(|s| s["title"].as_str()).collect();
        assert_eq!(titles, ["Timed", "Untimed", "Second day"]);
    }
);

db_test!(
    async fn a_session_over_two_days_keeps_its_last_day(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let seminar = app.session(&cohort).ends_on("2024-09-21").create().await;
        assert_eq!((&seminar["date"], &seminar["end_date"]), (&json!("2024-09-20"), &json!("2024-09-21")));
        let one_day = app.session(&cohort).create().await;
        assert_eq!(one_day["end_date"], Value::Null, "a one-day session has no last day of its own");

        let same_day = app.session(&cohort).ends_on("2024-09-20").post().await.assert_problem(422, "validation_failed");
        assert_eq!(same_day["errors"][0]["pointer"], "#/end_date", "{same_day}");
        let path = format!("/api/v1/sessions/{}", seminar["id"]);
        let cleared = app.patch(&path, json!({"end_date": null})).await;
        assert_eq!(cleared.status, 200, "{}", cleared.text());
        assert_eq!(cleared.json()["end_date"], Value::Null);
    }
);
