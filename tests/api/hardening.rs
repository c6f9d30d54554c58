//! What a hostile client can do to the service, and what stops it (issue: hardening).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::json;

use crate::support::{Backend, TestApp};

/// Send `head_and_body` on a fresh connection and read until the server closes it (or 15 s
/// pass): what it answered, and how long the connection stayed open.
async fn send_and_wait_for_close(app: &TestApp, head_and_body: Vec<u8>) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://").to_owned();
    actix_web::web::block(move || {
        let mut stream = TcpStream::connect(address).expect("the server accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("a read timeout");
        let started = Instant::now();
        stream.write_all(&head_and_body).expect("the request is sent");
        let mut answer = Vec::new();
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
        (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
    })
    .await
    .expect("the blocking pool runs")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

#[actix_web::test]
async fn a_body_that_stops_arriving_is_answered_408_and_its_connection_closed() {
    let quick = |config: &mut tpms::config::AppConfig| {
        config.http.body_timeout_secs = 1;
        config.http.header_timeout_secs = 1;
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, quick).await else {
        return;
    };
    // 19 of the 100 bytes announced, then nothing: without a deadline this held the connection
    // for as long as the client liked.
    let unfinished = b"POST /api/v1/auth/refresh HTTP/1.1\r\nHost: tpms\r\nContent-Type: application/json\r\n\
                       Content-Length: 100\r\n\r\n{\"refresh_token\":\"a"
        .to_vec();
    let (answer, open_for) = send_and_wait_for_close(&app, unfinished).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("body_timeout") && answer.contains("application/problem+json"),
        "{answer}"
    );
    assert!(open_for < Duration::from_secs(10), "closed after {open_for:?}");

    // Half a head, then nothing.
    let (_, open_for) = send_and_wait_for_close(&app, b"POST /api/v1/auth/refresh HTTP/1.1\r\nHost: tp".to_vec()).await;
    assert!(open_for < Duration::from_secs(10), "closed after {open_for:?}");

    // The server still answers everyone else.
    assert_eq!(app.anonymous().get("/health").await.status, 200);
}

#[actix_web::test]
async fn a_compressed_body_is_limited_by_its_unpacked_size_and_other_encodings_are_refused() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // 8 MiB of spaces in about 8 KiB: the limit applies to what it unpacks to. (Small as sent, so
    // that the server has read all of it when it answers, and the client reads the answer.)
    let bomb = gzip(&vec![b' '; 8 * 1024 * 1024]);
    assert!(
        u64::try_from(bomb.len()).is_ok_and(|n| n < crate::support::BODY_LIMIT),
        "under the limit as sent"
    );
    let request = app
        .anonymous()
        .request(Method::POST, "/api/v1/auth/refresh")
        .insert_header(("content-encoding", "gzip"));
    app.send_raw(request, "application/json", bomb)
        .await
        .assert_problem(413, "payload_too_large");

    // A small gzip body is read as its JSON.
    let login = gzip(
        json!({"email": app.admin_email, "password": crate::support::TEST_PASSWORD})
            .to_string()
            .as_bytes(),
    );
    let request = app
        .anonymous()
        .request(Method::POST, "/api/v1/auth/login")
        .insert_header(("content-encoding", "gzip"));
    let signed_in = app.send_raw(request, "application/json", login).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());

    // Not gzip although it says so.
    let request = app
        .anonymous()
        .request(Method::POST, "/api/v1/auth/login")
        .insert_header(("content-encoding", "gzip"));
    app.send_raw(request, "application/json", b"{\"email\":1}".to_vec())
        .await
        .assert_problem(400, "malformed_body");

    for encoding in ["br", "deflate", "zstd", "gzip, gzip"] {
        let request = app
            .anonymous()
            .request(Method::POST, "/api/v1/auth/login")
            .insert_header(("content-encoding", encoding));
        let refused = app.send_raw(request, "application/json", b"{}".to_vec()).await;
        refused.assert_problem(415, "unsupported_media_type");
        assert!(
            refused.json()["detail"].as_str().is_some_and(|d| d.contains(encoding)),
            "{encoding}"
        );
    }
}

crate::db_test!(
    async fn names_that_show_nothing_or_read_reversed_are_refused(app) {
        for (name, code) in [
            ("\u{200b}\u{200b}\u{200b}", "invisible"),
            ("\u{feff}", "invisible"),
            ("Nguyen \u{202e}evil\u{202c} Van", "bidi_control"),
        ] {
            let refused = app.post("/api/v1/trainees", json!({"full_name": name})).await;
            refused.assert_problem(422, "validation_failed");
            assert_eq!(crate::support::named_errors(&refused.json()), [("#/full_name".to_owned(), code.to_owned())], "{name:?}");
            let partner = app.partner().name(name).json();
            let refused = app.post("/api/v1/partners", partner).await;
            assert_eq!(crate::support::named_errors(&refused.json()), [("#/name".to_owned(), code.to_owned())], "{name:?}");
        }
        assert_eq!(app.get("/api/v1/trainees").await.json()["total"], 0, "nothing was stored");
    }
);

crate::db_test!(
    async fn dates_and_instants_stay_in_the_years_a_client_can_read(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = format!("/api/v1/cohorts/{}/sessions", cohort["id"]);
        for starts_at in ["9999-12-31T23:59:59Z", "+10000-01-01T00:00:00Z", "2199-12-31T23:59:59Z"] {
            let body = json!({"title": "Far", "kind": "lecture", "starts_at": starts_at, "time_zone": "Pacific/Kiritimati"});
            let refused = app.post(&sessions, body).await;
            refused.assert_problem(422, "validation_failed");
            assert_eq!(
                crate::support::named_errors(&refused.json()),
                [("#/starts_at".to_owned(), "date_out_of_range".to_owned())],
                "{starts_at}: {}",
                refused.text()
            );
        }
        let near = json!({"title": "Near", "kind": "lecture", "starts_at": "2199-12-30T00:00:00Z", "time_zone": "Pacific/Kiritimati"});
        assert_eq!(app.post(&sessions, near).await.status, 201, "the last years are fine");

        let refused = app.post("/api/v1/programs", app.program().code("FAR").start_date("2200").json()).await;
        refused.assert_problem(422, "validation_failed");
        app.get("/api/v1/audit-events?since=%2B10000-01-01T00:00:00Z").await.assert_problem(400, "invalid_query");
    }
);

#[actix_web::test]
async fn repeated_keys_undecodable_queries_and_errors_below_the_handlers_are_problems() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // Which "role" would a proxy have checked? Neither: the body is refused.
    let request = app.request(Method::POST, "/api/v1/trainees");
    let twice = app
        .send_raw(
            request,
            "application/json",
            br#"{"full_name": "A", "full_name": "B"}"#.to_vec(),
        )
        .await;
    twice.assert_problem(400, "malformed_json");
    assert!(
        twice.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`full_name` appears twice")),
        "{}",
        twice.text()
    );
    let request = app.request(Method::POST, "/api/v1/trainees");
    let nested = br#"{"full_name": "A", "notes": null, "x": {"a": 1, "a": 2}}"#.to_vec();
    app.send_raw(request, "application/json", nested)
        .await
        .assert_problem(400, "malformed_json");

    let garbled = app.get("/api/v1/trainees?q=%ff%fe").await;
    garbled.assert_problem(400, "invalid_query");
    assert!(
        garbled.json()["detail"].as_str().is_some_and(|d| d.starts_with("q ")),
        "{}",
        garbled.text()
    );
    assert_eq!(
        app.get("/api/v1/trainees?q=%C4%91%E1%BB%A9c").await.status,
        200,
        "UTF-8 escapes are fine"
    );

    let missing = app.anonymous().get("/docs/no-such-file.js").await;
    missing.assert_problem(404, "not_found");
}

crate::db_test!(
    async fn every_create_can_be_retried_safely_with_an_idempotency_key(app) {
        let program = app.program().create().await;
        let cohort = app.cohort(&program).create().await;
        let sessions = format!("/api/v1/cohorts/{}/sessions", cohort["id"]);
        let creates = [
            ("/api/v1/trainees", json!({"full_name": "Nguyễn Văn Đức"})),
            ("/api/v1/partners", app.partner().code("RETRY").json()),
            (sessions.as_str(), json!({"title": "Opening", "kind": "lecture", "date": "2024-09-20", "time_zone": "Asia/Tokyo"})),
        ];
        for (path, body) in creates {
            let send = || {
                app.request(Method::POST, path).insert_header(("Idempotency-Key", format!("retry-{path}")))
            };
            let first = app.send(send(), Some(&body)).await;
            assert_eq!(first.status, 201, "{path}: {}", first.text());
            // The answer was lost to a restart; the client sends the same request again.
            let again = app.send(send(), Some(&body)).await;
            assert_eq!(again.status, 201, "{path}");
            assert_eq!(again.header("idempotent-replayed"), Some("true"), "{path}");
            assert_eq!(again.json()["id"], first.json()["id"], "{path}: one record, not two");
            let list = app.get(path).await.json();
            let ids: Vec<&serde_json::Value> = list["items"].as_array().expect("items").iter().map(|i| &i["id"]).collect();
            assert_eq!(ids.iter().filter(|id| **id == &first.json()["id"]).count(), 1, "{path}");
        }
    }
);
