//! The pages people open without an account, read as HTML over HTTP: what they show, what they
//! keep, what they refuse, and the headers that keep a token in the path safe. The same pages are
//! driven in a real browser by `browser.rs`.

use awc::http::Method;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::TestApp;
use crate::support::builders::{scale_item, text_item};

/// A cohort with one seated trainee and an open named round on a published questionnaire;
/// returns the round and the trainee's invitation as officers list it.
async fn open_round(app: &TestApp, trainee_name: &str) -> (Value, Value) {
    let program = app.program().title_vi("Chương trình thử nghiệm").create().await;
    let cohort = app.cohort(&program).create().await;
    let trainee = app.trainee().full_name(trainee_name).create().await;
    app.enrollment(&cohort, &trainee).create().await;
    let form = app
        .instrument()
        .items([scale_item("relevance", "relevance"), text_item("comments")])
        .published()
        .await;
    let round = app.round(&cohort, &form).opened().await;
    let invitations = app
        .get(&format!("/api/v1/rounds/{}/invitations", round["id"]))
        .await
        .json();
    (round, invitations["items"][0].clone())
}

/// The path of a page's address (`http://host:port/r/…` → `/r/…`).
fn path_of(page_url: &Value) -> String {
    let url = page_url.as_str().expect("a page_url");
    let rest = url.split_once("://").expect("an absolute address").1;
    rest[rest.find('/').expect("a path")..].to_owned()
}

async fn post_form(app: &TestApp, path: &str, form: &str) -> crate::support::TestResponse {
    let request = app.anonymous().request(Method::POST, path);
    app.send_raw(request, "application/x-www-form-urlencoded", form.as_bytes().to_vec())
        .await
}

db_test!(
    async fn every_invitation_carries_a_short_page_address_under_the_public_url(app) {
        let (_, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let page_url = invitation["page_url"].as_str().expect("a page_url");
        let public = app.address.as_str();
        assert!(page_url.starts_with(&format!("{public}/r/")), "{page_url}");
        assert!(path_of(&invitation["page_url"]).len() <= 50, "short enough for an SMS: {page_url}");
    }
);

db_test!(
    async fn the_questionnaire_page_is_html_in_vietnamese_with_the_headers_that_keep_its_token_safe(app) {
        let (_, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let page = app.anonymous().get(&path_of(&invitation["page_url"])).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let html = page.text();
        assert!(html.contains("<html lang=\"vi\">") && html.contains("Gửi câu trả lời"), "{html}");
        assert!(html.contains("Chương trình thử nghiệm"), "the programme's Vietnamese title");
        assert!(!html.contains("<script"), "no script at all");
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert_eq!(page.header("x-robots-tag"), Some("noindex, nofollow"));
        let policy = page.header("content-security-policy").expect("a policy");
        assert!(policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"), "{policy}");
        assert!(page.body.len() < 50 * 1024, "{} bytes", page.body.len());

        let english = app.anonymous().get(&format!("{}?lang=en", path_of(&invitation["page_url"]))).await;
        assert!(english.text().contains("<html lang=\"en\">") && english.text().contains("Send my answers"));
    }
);

db_test!(
    async fn a_mistake_comes_back_next_to_its_question_with_what_was_typed_and_the_answer_then_shows_as_a_receipt(app) {
        let (round, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let path = path_of(&invitation["page_url"]);
        let refused = post_form(&app, &path, "comments=R%E1%BA%A5t+b%E1%BB%95+%C3%ADch").await;
        assert_eq!(refused.status, 422);
        let html = refused.text();
        assert!(html.contains("error-summary") && html.contains("href=\"#q-relevance\""), "{html}");
        assert!(html.contains("Rất bổ ích"), "what was typed is kept");
        assert!(html.contains("<title>Lỗi: "), "the title says there is an error");

        let taken = post_form(&app, &path, "relevance=4&comments=R%E1%BA%A5t+b%E1%BB%95+%C3%ADch").await;
        assert!(taken.status == 303 || taken.status == 200, "{}", taken.status);
        let receipt = app.anonymous().get(&path).await;
        assert_eq!(receipt.status, 200);
        let html = receipt.text();
        assert!(html.contains("câu trả lời đã được ghi nhận") && html.contains("Rất bổ ích"), "{html}");
        assert!(!html.contains("<form"), "the link shows the receipt instead of the form");

        // The same answer, stored as the JSON operation stores it.
        let responses = app.get(&format!("/api/v1/rounds/{}/responses", round["id"])).await.json();
        assert_eq!(responses["items"][0]["answers"], json!({"relevance": 4, "comments": "Rất bổ ích"}));

        // A second press of the button loses nothing and records nothing twice.
        let again = post_form(&app, &path, "relevance=1").await;
        assert!(again.status == 303 || again.status == 200);
        let responses = app.get(&format!("/api/v1/rounds/{}/responses", round["id"])).await.json();
        assert_eq!(responses["items"].as_array().map(Vec::len), Some(1));
    }
);

db_test!(
    async fn a_form_posted_from_another_site_is_refused(app) {
        let (_, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let path = path_of(&invitation["page_url"]);
        let request = app
            .anonymous()
            .request(Method::POST, &path)
            .insert_header(("origin", "https://evil.example"));
        let refused = app.send_raw(request, "application/x-www-form-urlencoded", b"relevance=4".to_vec()).await;
        assert_eq!(refused.status, 403);
        assert_eq!(app.anonymous().get(&path).await.status, 200, "the form still opens");
    }
);

db_test!(
    async fn a_replaced_or_unknown_link_says_which_and_whom_to_ask(app) {
        let (_, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let old = path_of(&invitation["page_url"]);
        let request = app
            .request(Method::POST, &format!("/api/v1/invitations/{}/reissue", invitation["id"]))
            .insert_header(("if-match", format!("\"{}\"", invitation["version"])));
        assert_eq!(app.send(request, None).await.status, 200);
        let replaced = app.anonymous().get(&old).await;
        assert_eq!(replaced.status, 410);
        assert!(replaced.text().contains("đã được thay thế") && replaced.text().contains("daotao@example.gov.vn"));

        let unknown = app.anonymous().get(&format!("/r/{}", "A".repeat(43))).await;
        assert_eq!(unknown.status, 404);
        assert!(unknown.text().contains("không dùng được"), "{}", unknown.text());
    }
);

db_test!(
    async fn a_decline_with_a_reason_is_recorded_and_the_link_then_says_so(app) {
        let (_, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let path = path_of(&invitation["page_url"]);
        let declined = post_form(&app, &format!("{path}/decline"), "reason=T%C3%B4i+%C4%91%C3%A3+ngh%E1%BB%89+vi%E1%BB%87c").await;
        assert!(declined.status == 303 || declined.status == 200);
        let page = app.anonymous().get(&path).await.text();
        assert!(page.contains("Bạn đã chọn không trả lời") && page.contains("Tôi đã nghỉ việc"), "{page}");
    }
);

db_test!(
    async fn a_completed_trainees_own_link_offers_the_certificate_whose_qr_code_opens_the_public_verify_page(app) {
        let program = app.program().code("JICA-YL").title_vi("Chương trình Lãnh đạo trẻ").create().await;
        let cohort = app.cohort(&program).code("C3").create().await;
        let trainee = app.trainee().full_name("Phạm Minh Tuấn").create().await;
        let enrollment = app.enrollment(&cohort, &trainee).create().await;
        let issued = app.post(&format!("/api/v1/cohorts/{}/action-plan-links", cohort["id"]), json!({})).await.json();
        let link = path_of(&issued["plans"][0]["page_url"]);
        assert!(!app.anonymous().get(&link).await.text().contains("/certificate"), "no certificate before completion");

        let done = app.patch(&format!("/api/v1/enrollments/{}", enrollment["id"]), json!({"status": "completed"})).await;
        assert_eq!(done.status, 200, "{}", done.text());
        let page = app.anonymous().get(&link).await.text();
        assert!(page.contains(&format!("href=\"{link}/certificate\"")) && page.contains("Tải giấy chứng nhận"), "{page}");

        let pdf = app.anonymous().get(&format!("{link}/certificate")).await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF-"));
        let text = pdf_extract::extract_text_from_mem(&pdf.body).expect("the PDF's text");
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(compact.contains("Phạm Minh Tuấn"), "{compact}");
        assert!(compact.contains(&format!("{}/verify?number=JICA-YL", app.address)), "the QR code's address is the public one: {compact}");
    }
);

db_test!(
    async fn a_link_to_a_closed_round_says_it_expired(app) {
        let (round, invitation) = open_round(&app, "Nguyễn Thị Hoa").await;
        let closed = app.patch(&format!("/api/v1/rounds/{}", round["id"]), json!({"status": "closed"})).await;
        assert_eq!(closed.status, 200, "{}", closed.text());
        let page = app.anonymous().get(&path_of(&invitation["page_url"])).await;
        assert_eq!(page.status, 410);
        assert!(page.text().contains("Đường dẫn này đã hết hạn"), "{}", page.text());
    }
);
