//! Calendars: a cohort's sessions as an `.ics` for those who may see the cohort, a seated
//! trainee's private feed, and what an independent parser (Python's `icalendar`,
//! `tests/calendar/check.py`) reads in them: the venue's wall-clock time on both sides of a clock
//! change, all-day sessions as dates, a `SEQUENCE` that rises with each change, and the
//! invitations and cancellations the mail will carry.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, TestResponse, sessions_of};
use tpms::programs::partners::PartnerRole;
use tpms::sessions::calendar::{Calendar, Method, Person};
use tpms::users::Role;

/// The path of a cohort's (its JSON's) calendar.
fn calendar_of(cohort: &Value) -> String {
    format!("/api/v1/cohorts/{}/calendar.ics", cohort["id"])
}

/// Assert an iCalendar answer and return its text.
fn ics(response: &TestResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/calendar; charset=utf-8"));
    let text = response.text();
    assert!(
        text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"),
        "{text}"
    );
    text
}

/// A Python 3 that has the `icalendar` package: `python3` on the path, or Debian's own (which a
/// `pyenv` or a virtual environment may hide). `None`, said on stderr, when there is none, unless
/// `TPMS_TEST_REQUIRE_SMTP=1` (the mail and calendar tools are installed) makes that a failure.
fn python() -> Option<&'static str> {
    static FOUND: std::sync::OnceLock<Option<&'static str>> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        let found = ["python3", "/usr/bin/python3"].into_iter().find(|python| {
            Command::new(python)
                .args(["-c", "import icalendar, pytz"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        });
        if found.is_none() {
            let required = std::env::var("TPMS_TEST_REQUIRE_SMTP").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "TPMS_TEST_REQUIRE_SMTP=1 but no python3 with the icalendar package was found: apt-get install python3-icalendar"
            );
            crate::support::say(
                "NOTE: no python3 with the icalendar package (apt-get install python3-icalendar), so the .ics files were \
                 not read with an independent parser; those checks were SKIPPED.",
            );
        }
        found
    })
}

/// What Python's `icalendar` reads in a calendar file (`tests/calendar/check.py`), or `None`
/// when it is not installed.
fn parsed(ics: &str) -> Option<Value> {
    let python = python()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/calendar/check.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("a stdin")
        .write_all(ics.as_bytes())
        .expect("the calendar is written to the parser");
    let output = child.wait_with_output().expect("the parser finishes");
    assert!(
        output.status.success(),
        "icalendar does not parse it: {}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the parser prints JSON"))
}

/// The parsed event with this summary.
fn event<'a>(calendar: &'a Value, summary: &str) -> &'a Value {
    calendar["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["summary"] == summary)
        .unwrap_or_else(|| panic!("no event {summary} in {calendar}"))
}

/// A programme run with the partner JICA, and one of its cohorts.
async fn cohort_with_jica(app: &TestApp) -> (Value, Value) {
    let jica = app.partner().code("JICA").create().await;
    let program = app.program().code("JICA-YL").create().await;
    app.program_partner(&program, &jica)
        .role(PartnerRole::Funder)
        .create()
        .await;
    let cohort = app.cohort(&program).name("Class 3").create().await;
    (jica, cohort)
}

db_test!(
    async fn a_cohorts_calendar_is_for_whoever_may_list_its_sessions(app) {
        let (jica, cohort) = cohort_with_jica(&app).await;
        let session = app.session(&cohort).title("Opening").location("JICA Tokyo").create().await;
        let path = calendar_of(&cohort);

        for role in [Role::Officer, Role::Reporter] {
            let user = app.user(role, None).await;
            let text = ics(&app.as_user(&user).get(&path).await);
            assert!(text.contains("METHOD:PUBLISH\r\n"), "{text}");
            assert!(text.contains("X-WR-CALNAME:JICA-YL Class 3\r\n"), "{text}");
            assert!(text.contains(&format!("UID:session-{}@127.0.0.1\r\n", session["id"])), "{text}");
            assert!(text.contains("SUMMARY:Opening\r\n") && text.contains("LOCATION:JICA Tokyo\r\n"), "{text}");
        }
        let response = app.get(&path).await;
        assert_eq!(
            response.header("content-disposition"),
            Some(format!("attachment; filename=\"cohort-{}.ics\"", cohort["id"]).as_str())
        );

        let liaison = app.user(Role::Liaison, jica["id"].as_i64()).await;
        ics(&app.as_user(&liaison).get(&path).await);
        let other = app.partner().code("INSP").create().await;
        let outsider = app.user(Role::Liaison, other["id"].as_i64()).await;
        app.as_user(&outsider).get(&path).await.assert_problem(404, "not_found");
        app.anonymous().get(&path).await.assert_problem(401, "unauthorized");
        app.get("/api/v1/cohorts/999999/calendar.ics").await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn a_seated_trainees_feed_opens_without_signing_in_until_they_leave_the_cohort(app) {
        let (_, cohort) = cohort_with_jica(&app).await;
        app.session(&cohort).title("Opening").create().await;
        let trainee = app.trainee().full_name("Nguyễn Văn An").create().await;
        let enrollment = app.enrollment(&cohort, &trainee).create().await;
        let issue = format!("/api/v1/enrollments/{}/calendar-feed", enrollment["id"]);

        let first = app.post(&issue, json!({})).await;
        assert_eq!(first.status, 200, "{}", first.text());
        let feed = first.json();
        let link = feed["link"].as_str().expect("a link").to_owned();
        let url = feed["feed_url"].as_str().expect("a feed URL").to_owned();
        let token = link.strip_prefix("/api/v1/calendar-feeds/").expect("the feed's API path").to_owned();
        assert_eq!(token.len(), 43, "{feed}");
        assert_eq!(url, format!("{}/f/{token}.ics", app.address), "under TPMS_PUBLIC_URL");
        assert_eq!(app.post(&issue, json!({})).await.json()["feed_url"], url.as_str(), "one feed, the same every time");

        let read = app.anonymous().get(&link).await;
        let text = ics(&read);
        assert!(text.contains("SUMMARY:Opening\r\n") && text.contains("X-WR-CALNAME:JICA-YL Class 3\r\n"), "{text}");
        assert_eq!(read.header("cache-control"), Some("private, no-store"));
        let short = url.strip_prefix(&app.address).expect("a path on this server");
        assert!(ics(&app.anonymous().get(short).await).contains("SUMMARY:Opening\r\n"), "the address to subscribe to");

        let unknown = format!("/api/v1/calendar-feeds/{}", "A".repeat(43));
        app.anonymous().get(&unknown).await.assert_problem(404, "not_found");
        app.anonymous().get(&format!("/f/{}.ics", "A".repeat(43))).await.assert_problem(404, "not_found");
        app.anonymous().get(&link[..link.len() - 1]).await.assert_problem(404, "not_found");

        let audit = app.get(&format!("/api/v1/audit-events?entity_type=calendar_feed&entity_id={}", enrollment["id"])).await;
        assert_eq!(audit.json()["total"], 1, "made once, audited once: {}", audit.text());
        assert!(!audit.text().contains(&token), "the trail never holds the feed's token");

        let nominee = app.trainee().create().await;
        let nominated = app.enrollment(&cohort, &nominee).nominated().create().await;
        app.post(&format!("/api/v1/enrollments/{}/calendar-feed", nominated["id"]), json!({}))
            .await
            .assert_problem(409, "not_seated");
        app.post("/api/v1/enrollments/999999/calendar-feed", json!({})).await.assert_problem(404, "not_found");

        let left = app.patch(&format!("/api/v1/enrollments/{}", enrollment["id"]), json!({"status": "withdrawn"})).await;
        assert_eq!(left.status, 200, "{}", left.text());
        let ended = app.anonymous().get(&link).await.assert_problem(404, "not_found");
        let detail = ended["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("no longer holds a seat"), "says why plainly: {detail}");
        app.anonymous().get(short).await.assert_problem(404, "not_found");
    }
);

db_test!(
    async fn calendars_parse_with_a_standard_parser_and_keep_the_venues_time_across_a_clock_change(app) {
        let (_, cohort) = cohort_with_jica(&app).await;
        let sessions = sessions_of(&cohort);
        // Paris moves its clocks forward on 29 March 2026: 09:00 is 08:00 UTC before, 07:00 after.
        let before = app
            .create(&sessions, json!({"title": "Before the change", "kind": "lecture", "time_zone": "Europe/Paris",
                "starts_at": "2026-03-27T09:00", "ends_at": "2026-03-27T12:00", "location": "OECD; salle 2, Paris",
                "description": "Gouvernance locale, décentralisation\nĐào tạo cán bộ lãnh đạo, quản lý; ngày 1 \\ phòng 2"}))
            .await;
        let after = app
            .create(&sessions, json!({"title": "After the change", "kind": "lecture", "time_zone": "Europe/Paris",
                "starts_at": "2026-03-30T09:00", "ends_at": "2026-03-30T12:00"}))
            .await;
        app.create(&sessions, json!({"title": "Tokyo", "kind": "seminar", "time_zone": "Asia/Tokyo",
            "starts_at": "2024-09-20T09:30", "ends_at": "2024-09-20T12:00"}))
            .await;
        app.create(&sessions, json!({"title": "Hanoi", "kind": "ceremony", "time_zone": "Asia/Ho_Chi_Minh",
            "starts_at": "2024-10-01T08:00"}))
            .await;
        app.create(&sessions, json!({"title": "Two days", "kind": "study_visit", "time_zone": "Asia/Tokyo",
            "date": "2024-09-21", "end_date": "2024-09-22"}))
            .await;
        app.create(&sessions, json!({"title": "Some day in October", "kind": "study_visit",
            "time_zone": "Asia/Tokyo", "date": "2024-10"}))
            .await;

        let text = ics(&app.get(&calendar_of(&cohort)).await);
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "a line of {} octets: {line}", line.len());
        }
        let Some(calendar) = parsed(&text) else { return };
        assert_eq!(calendar["method"], "PUBLISH");
        assert_eq!(calendar["time_zones"], json!(["Asia/Ho_Chi_Minh", "Asia/Tokyo", "Europe/Paris"]), "{calendar}");
        assert_eq!(calendar["events"].as_array().map(Vec::len), Some(5), "the one known by its month is left out");

        let local = |summary: &str, end: &str| event(&calendar, summary)[end].clone();
        let expect = |summary: &str, end: &str, at: &str, tzid: &str, utc: &str| {
            let when = local(summary, end);
            assert_eq!(
                (&when["kind"], &when["local"], &when["tzid"], &when["utc"]),
                (&json!("date-time"), &json!(at), &json!(tzid), &json!(utc)),
                "{summary} {end}: {when}"
            );
            assert_eq!(when["utc_by_vtimezone"], when["utc"], "the file's VTIMEZONE agrees: {summary} {end}");
        };
        expect("Before the change", "dtstart", "2026-03-27T09:00:00", "Europe/Paris", "2026-03-27T08:00:00Z");
        expect("Before the change", "dtend", "2026-03-27T12:00:00", "Europe/Paris", "2026-03-27T11:00:00Z");
        expect("After the change", "dtstart", "2026-03-30T09:00:00", "Europe/Paris", "2026-03-30T07:00:00Z");
        expect("After the change", "dtend", "2026-03-30T12:00:00", "Europe/Paris", "2026-03-30T10:00:00Z");
        expect("Tokyo", "dtstart", "2024-09-20T09:30:00", "Asia/Tokyo", "2024-09-20T00:30:00Z");
        expect("Hanoi", "dtstart", "2024-10-01T08:00:00", "Asia/Ho_Chi_Minh", "2024-10-01T01:00:00Z");
        assert_eq!(local("Hanoi", "dtend"), Value::Null, "no end was given, so none is invented");
        assert_eq!(local("Two days", "dtstart"), json!({"kind": "date", "date": "2024-09-21"}));
        assert_eq!(local("Two days", "dtend"), json!({"kind": "date", "date": "2024-09-23"}), "the day after the last");

        let first = event(&calendar, "Before the change");
        assert_eq!(first["uid"], format!("session-{}@127.0.0.1", before["id"]));
        assert_eq!(first["status"], "CONFIRMED");
        assert_eq!(first["location"], "OECD; salle 2, Paris", "escaped and read back");
        assert_eq!(
            first["description"],
            "Gouvernance locale, décentralisation\nĐào tạo cán bộ lãnh đạo, quản lý; ngày 1 \\ phòng 2"
        );
        let sequence = event(&calendar, "After the change")["sequence"].as_i64().expect("a SEQUENCE");
        assert_eq!(sequence, after["version"].as_i64().expect("a version"));

        // Moved an hour later: the same event, a higher SEQUENCE, the new time on the venue's clock.
        let moved = app
            .patch(&format!("/api/v1/sessions/{}", after["id"]), json!({"starts_at": "2026-03-30T10:00"}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text());
        let again = parsed(&ics(&app.get(&calendar_of(&cohort)).await)).expect("parsed before");
        let changed = event(&again, "After the change");
        assert_eq!(changed["uid"], format!("session-{}@127.0.0.1", after["id"]));
        assert!(changed["sequence"].as_i64() > Some(sequence), "{changed}");
        assert_eq!(changed["dtstart"]["local"], "2026-03-30T10:00:00");
        assert_eq!(changed["dtstart"]["utc"], "2026-03-30T08:00:00Z");
    }
);

db_test!(
    async fn an_invitation_and_its_cancellation_parse_and_name_who_sends_and_who_is_asked(app) {
        let (_, cohort) = cohort_with_jica(&app).await;
        let created = app
            .create(&sessions_of(&cohort), json!({"title": "Workshop", "kind": "workshop", "time_zone": "Europe/Paris",
                "starts_at": "2026-03-30T09:00", "ends_at": "2026-03-30T12:00"}))
            .await;

        let cohort_id = tpms::ids::CohortId(cohort["id"].as_i64().expect("an id"));
        let mut conn = app.pool.get().expect("a connection");
        let sessions = tpms::sessions::calendar::of_cohort(&mut conn, cohort_id).expect("the sessions");
        let stamp = tpms::clock::now();
        let organizer = Person { email: "daotao@example.gov.vn", name: Some("Phòng Đào tạo, Học viện") };
        let attendees = [Person { email: "an@example.vn", name: Some("Nguyễn Văn An") }];
        let invitation = |method| {
            Calendar { method, name: "JICA-YL Class 3", uid_domain: "tpms.example.gov.vn", stamp, organizer: Some(organizer), attendees: &attendees }
                .write(&sessions)
        };
        let request = invitation(Method::Request);
        assert!(request.contains("METHOD:REQUEST\r\n"), "{request}");
        let cancel = invitation(Method::Cancel);
        assert!(cancel.contains("METHOD:CANCEL\r\n"), "{cancel}");
        let (Some(request), Some(cancel)) = (parsed(&request), parsed(&cancel)) else { return };

        let asked = event(&request, "Workshop");
        assert_eq!(asked["uid"], format!("session-{}@tpms.example.gov.vn", created["id"]));
        assert_eq!(asked["status"], "CONFIRMED");
        assert_eq!(asked["sequence"], created["version"]);
        assert_eq!(asked["organizer"], "mailto:daotao@example.gov.vn");
        assert_eq!(asked["attendees"], json!(["mailto:an@example.vn"]));
        assert_eq!(asked["dtstart"]["utc"], "2026-03-30T07:00:00Z");

        let cancelled = event(&cancel, "Workshop");
        assert_eq!(cancelled["uid"], asked["uid"], "the same event");
        assert_eq!(cancelled["status"], "CANCELLED");
        assert!(cancelled["sequence"].as_i64() > asked["sequence"].as_i64(), "after the invitation: {cancelled}");
    }
);
