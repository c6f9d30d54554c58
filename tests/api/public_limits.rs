//! The limits on what answers without signing in: per client address, high enough for a class
//! answering together behind one office's address, and per link, whatever the address.

use crate::db_test;

/// A well-formed link token that names no invitation.
fn token(n: usize) -> String {
    format!("{n:0>43}")
}

db_test!(
    async fn a_class_answering_together_behind_one_address_is_not_locked_out(app) {
        // Forty trainees on one office network each open their link and send it once: eighty
        // requests from one address within the minute.
        for trainee in 0..40 {
            let link = format!("/api/v1/responses/{}", token(trainee));
            for _ in 0..2 {
                let answered = app.anonymous().get(&link).await;
                answered.assert_problem(404, "not_found");
            }
        }
    }
);

db_test!(
    async fn one_link_asked_for_again_and_again_is_limited_whatever_the_address(app) {
        let hammered = format!("/api/v1/plan-links/{}", token(7));
        for _ in 0..30 {
            app.anonymous().get(&hammered).await.assert_problem(404, "not_found");
        }
        let refused = app.anonymous().get(&hammered).await;
        let problem = refused.assert_problem(429, "rate_limited");
        assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s >= 1)));
        assert!(refused.header("content-language") == Some("vi"), "a link answers in Vietnamese: {problem}");
        let english = app
            .send(app.anonymous().request(actix_web::http::Method::GET, &hammered).insert_header(("accept-language", "en")), None)
            .await
            .assert_problem(429, "rate_limited");
        assert!(english["detail"].as_str().is_some_and(|d| d.contains("this link")), "{english}");
        // Another link from the same address still answers.
        app.anonymous().get(&format!("/api/v1/plan-links/{}", token(8))).await.assert_problem(404, "not_found");
    }
);
