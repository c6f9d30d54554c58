//! The pages for people without accounts, driven in headless Chromium at 360×740 on both
//! databases, as a trainee and a supervisor would use them: answer a questionnaire, make a
//! mistake and correct it, decline another, draft, save, come back and submit a plan, report at a
//! checkpoint, confirm as the supervisor, verify a certificate, switch language, and open a used
//! link again. axe-core checks every page against WCAG 2.1 A and AA, and each page leaves a
//! screenshot (the folder is printed).

use serde_json::{Value, json};

use crate::db_test;
use crate::support::TestApp;
use crate::support::browser::Browser;
use crate::support::builders::{plan_item, scale_item, text_item};

/// The path of a page's address (`http://host:port/r/…` → `/r/…`).
fn path_of(page_url: &Value) -> String {
    let url = page_url
        .as_str()
        .unwrap_or_else(|| panic!("a page_url, not {page_url}"));
    let rest = url.split_once("://").expect("an absolute address").1;
    rest[rest.find('/').expect("a path")..].to_owned()
}

/// Check the page with axe-core and keep its screenshot.
async fn looked_at(browser: &Browser, name: &str) {
    browser.assert_accessible().await;
    browser.screenshot(name).await;
}

/// A cohort of a programme with a Vietnamese title and these seated trainees.
async fn class(app: &TestApp, names: &[&str]) -> (Value, Vec<Value>) {
    let program = app
        .program()
        .title("Young Leaders Programme")
        .title_vi("Chương trình Lãnh đạo trẻ")
        .create()
        .await;
    let cohort = app.cohort(&program).name("Khóa 3").create().await;
    let mut seated = Vec::new();
    for name in names {
        let trainee = app.trainee().full_name(*name).create().await;
        seated.push(app.enrollment(&cohort, &trainee).create().await);
    }
    (cohort, seated)
}

db_test!(
    async fn a_trainee_answers_after_correcting_a_mistake_another_declines_and_a_used_link_shows_the_receipt(app) {
        let Some(browser) = Browser::start(&app).await else { return };
        let (cohort, _) = class(&app, &["Nguyễn Thị Hoa", "Trần Văn Nam"]).await;
        let form = app
            .instrument()
            .items([scale_item("relevance", "relevance"), text_item("comments")])
            .published()
            .await;
        let round = app.round(&cohort, &form).opened().await;
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        let (hoa, nam) = (path_of(&invitations["items"][0]["page_url"]), path_of(&invitations["items"][1]["page_url"]));

        browser.open(&hoa).await;
        assert!(browser.text(".caption").await.contains("Chương trình Lãnh đạo trẻ"), "the programme's Vietnamese title");
        assert!(browser.text("main").await.contains("Anh/chị đánh giá relevance thế nào?"));
        assert!(browser.text("main").await.contains("1 = Kém · 5 = Xuất sắc"), "the scale's words");
        looked_at(&browser, "questionnaire").await;

        // A mistake: the required question left out, a comment typed.
        browser.fill("Ý kiến khác về comments? (không bắt buộc)", "Rất bổ ích cho công việc").await;
        browser.press("Gửi câu trả lời").await;
        assert!(browser.title().await.starts_with("Lỗi: "), "{}", browser.title().await);
        assert!(browser.exists(".error-summary a[href='#q-relevance']").await);
        assert_eq!(
            browser.find("#q-comments").await.prop("value").await.expect("a value").as_deref(),
            Some("Rất bổ ích cho công việc"),
            "what was typed is kept"
        );
        looked_at(&browser, "questionnaire-error").await;

        // Corrected and sent: the receipt says what was recorded.
        browser.click("#q-relevance-3").await;
        browser.press("Gửi câu trả lời").await;
        assert_eq!(browser.text("h1").await, "Cảm ơn bạn: câu trả lời đã được ghi nhận");
        assert!(browser.text("main").await.contains("Rất bổ ích cho công việc"));
        looked_at(&browser, "questionnaire-receipt").await;

        // The link opened again shows the receipt, not the form.
        browser.open(&hoa).await;
        assert!(!browser.exists("form").await, "no form on a used link");
        assert!(browser.text("main").await.contains("Đã ghi nhận lúc"));

        // Stored exactly as an answer through the JSON operation would be.
        let responses = app.get(&format!("/api/v1/rounds/{}/responses", round["id"])).await.json();
        assert_eq!(responses["items"][0]["answers"], json!({"relevance": 4, "comments": "Rất bổ ích cho công việc"}));

        // Another trainee reads it in English, then declines with a reason.
        browser.open(&nam).await;
        browser.follow("header nav a[lang='en']").await;
        assert!(browser.text("main").await.contains("How would you rate relevance?"));
        assert!(browser.exists("html[lang='en']").await);
        looked_at(&browser, "questionnaire-english").await;
        browser.fill("Why not? (optional)", "I have left the department").await;
        browser.press("I will not answer").await;
        assert_eq!(browser.text("h1").await, "You chose not to answer");
        assert!(browser.text("main").await.contains("I have left the department"));
        looked_at(&browser, "declined").await;
        let invitations = app.get(&format!("/api/v1/rounds/{}/invitations", round["id"])).await.json();
        assert_eq!(invitations["items"][1]["status"], "declined");

        // A link copied short says so, and whom to ask.
        browser.open(&format!("/r/{}", "A".repeat(43))).await;
        assert_eq!(browser.text("h1").await, "Đường dẫn này không dùng được");
        assert!(browser.text("footer").await.contains("daotao@example.gov.vn"));
        looked_at(&browser, "link-unknown").await;
    }
);

db_test!(
    async fn a_trainee_drafts_a_plan_saves_it_comes_back_with_the_same_link_and_submits_it(app) {
        let Some(browser) = Browser::start(&app).await else { return };
        let (cohort, _) = class(&app, &["Lê Thị Mai"]).await;
        let issued = app.post(&format!("/api/v1/cohorts/{}/action-plan-links", cohort["id"]), json!({})).await;
        assert_eq!(issued.status, 200, "{}", issued.text());
        let link = path_of(&issued.json()["plans"][0]["page_url"]);

        browser.open(&link).await;
        looked_at(&browser, "plan").await;
        browser.fill("Tên kế hoạch của bạn là gì?", "Tiếp nhận hồ sơ hộ tịch trực tuyến").await;
        browser.fill("Kế hoạch giải quyết vấn đề gì?", "Người dân phải đến trụ sở nhiều lần.").await;
        browser.fill("Bạn sẽ đo điều gì?", "Tỷ lệ hồ sơ nộp trực tuyến").await;
        browser.fill("Hiện nay đạt mức nào?", "10 %").await;
        browser.fill("Mục tiêu là bao nhiêu?", "60 %").await;
        browser.fill("Ngày", "30").await;
        browser.fill("Tháng", "6").await;
        browser.fill("Năm", "2025").await;
        browser.press("Lưu bản nháp").await;
        assert!(browser.text(".notice").await.contains("Bản nháp đã được lưu"));
        looked_at(&browser, "plan-saved").await;

        // Back later with the same link: the draft is there; a step is added without JavaScript.
        browser.open(&link).await;
        assert_eq!(browser.find("#title").await.prop("value").await.expect("a value").as_deref(), Some("Tiếp nhận hồ sơ hộ tịch trực tuyến"));
        assert_eq!(browser.find("#items-0-due-month").await.prop("value").await.expect("a value").as_deref(), Some("6"));
        browser.press("Thêm một bước").await;
        assert!(browser.exists("#items-1-indicator").await, "a second step");

        // A submit with the second step half written: each missing part is named, nothing lost.
        browser.find("#items-1-indicator").await.send_keys("Cán bộ được đào tạo").await.expect("typed");
        browser.press("Nộp kế hoạch").await;
        assert!(browser.title().await.starts_with("Lỗi: "), "{}", browser.title().await);
        assert!(browser.exists(".error-summary a[href='#items-1-baseline']").await);
        assert_eq!(browser.find("#items-1-indicator").await.prop("value").await.expect("a value").as_deref(), Some("Cán bộ được đào tạo"));
        looked_at(&browser, "plan-error").await;

        // The second step taken out again, the plan goes.
        browser.press("Bỏ bước cuối").await;
        assert!(!browser.exists("#items-1-indicator").await);
        browser.press("Nộp kế hoạch").await;
        assert_eq!(browser.text("h1").await, "Kế hoạch hành động của bạn đã được nộp");
        assert!(browser.text("main").await.contains("10 % → 60 % (30/6/2025)"));
        looked_at(&browser, "plan-receipt").await;

        let plans = app.get(&format!("/api/v1/cohorts/{}/action-plans", cohort["id"])).await.json();
        assert_eq!(plans["items"][0]["status"], "submitted");
        assert_eq!(plans["items"][0]["items"][0]["due_on"], "2025-06-30");
    }
);

db_test!(
    async fn a_trainee_sees_their_consents_from_their_plan_link_and_withdraws_one_but_not_the_legal_duty(app) {
        let Some(browser) = Browser::start(&app).await else { return };
        let (cohort, seated) = class(&app, &["Đỗ Văn Hùng"]).await;
        let trainee = seated[0]["trainee_id"].clone();
        let partner = app.partner().name("Japan International Cooperation Agency").create().await;
        let consents = format!("/api/v1/trainees/{trainee}/consents");
        for body in [
            json!({"purpose": "partner_contacts", "partner_id": partner["id"], "given_on": "2025-03-04"}),
            json!({"purpose": "follow_up", "given_on": "2025-03-04"}),
            json!({"purpose": "department_reporting", "given_on": "2025-03-04"}),
        ] {
            let recorded = app.post(&consents, body).await;
            assert_eq!(recorded.status, 201, "{}", recorded.text());
        }
        let issued = app.post(&format!("/api/v1/cohorts/{}/action-plan-links", cohort["id"]), json!({})).await;
        assert_eq!(issued.status, 200, "{}", issued.text());
        let link = path_of(&issued.json()["plans"][0]["page_url"]);

        browser.open(&link).await;
        browser.follow("p.consents a").await;
        assert_eq!(browser.text("h1").await, "Sự đồng ý về dữ liệu cá nhân");
        let listed = browser.text("main").await;
        assert!(listed.contains("Japan International Cooperation Agency"), "{listed}");
        assert!(listed.contains("Đồng ý ngày 4/3/2025."), "{listed}");
        assert!(listed.contains("Nghị định 13/2023/NĐ-CP"), "the legal duty says why it stays: {listed}");
        looked_at(&browser, "consents").await;

        // Two buttons: the department's own reporting has none.
        assert!(browser.exists("section.consent:nth-of-type(2) form button").await);
        assert!(!browser.exists("section.consent:nth-of-type(3) form").await);
        browser.follow("section.consent:nth-of-type(2) form button").await;
        assert!(browser.text(".notice").await.contains("Bạn đã rút lại sự đồng ý"));
        assert!(browser.text("section.consent:nth-of-type(2)").await.contains("Đã rút lại ngày"));
        assert!(!browser.exists("section.consent:nth-of-type(2) form").await, "withdrawn once, no button again");
        looked_at(&browser, "consents-withdrawn").await;

        let stored = app.get(&consents).await.json();
        let by_purpose = |purpose: &str| {
            stored["items"].as_array().expect("items").iter().find(|c| c["purpose"] == purpose).cloned().expect(purpose)
        };
        let follow_up = by_purpose("follow_up");
        assert!(follow_up["withdrawn_at"].is_string(), "{follow_up}");
        assert_eq!(follow_up["withdrawn_by"], Value::Null, "the trainee's own word, through the link");
        assert_eq!(by_purpose("partner_contacts")["withdrawn_at"], Value::Null);
        assert_eq!(by_purpose("department_reporting")["withdrawn_at"], Value::Null);

        // Another trainee's consent cannot be withdrawn through this link.
        let other = app.trainee().full_name("Người Khác").create().await;
        let others = app
            .post(&format!("/api/v1/trainees/{}/consents", other["id"]), json!({"purpose": "follow_up"}))
            .await
            .json();
        let refused = app
            .send_raw(
                app.anonymous().request(actix_web::http::Method::POST, &format!("{link}/consents/{}/withdrawal", others["id"])),
                "application/x-www-form-urlencoded",
                Vec::new(),
            )
            .await;
        assert_eq!(refused.status, 404, "{}", refused.text());
        let still = app.get(&format!("/api/v1/trainees/{}/consents", other["id"])).await.json();
        assert_eq!(still["items"][0]["withdrawn_at"], Value::Null);
    }
);

db_test!(
    async fn a_trainee_reports_at_a_checkpoint_and_the_supervisor_rates_and_confirms_it(app) {
        let Some(browser) = Browser::start(&app).await else { return };
        let program = app.program().title("Young Leaders").title_vi("Lãnh đạo trẻ").create().await;
        let cohort = app.cohort(&program).start_date("2023-10").end_date("2024-01").create().await;
        let trainee = app.trainee().full_name("Vũ Thị Lan").create().await;
        let enrollment = app.enrollment(&cohort, &trainee).create().await;
        app.action_plan(&enrollment)
            .items([plan_item("Online filings", "2025-06-30"), plan_item("Staff trained", "2025-03-31")])
            .supervisor("Trần Văn Hùng", "Trưởng phòng Tư pháp", "hung.tv@longbien.gov.vn")
            .approved()
            .await;
        let listed = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        let first = &listed["items"][0];
        let (report, review) = (path_of(&first["page_url"]), path_of(&first["supervisor_page_url"]));

        browser.open(&report).await;
        looked_at(&browser, "checkpoint").await;
        browser.click("#progress-1-3").await;
        browser.press("Gửi báo cáo").await;
        assert!(browser.title().await.starts_with("Lỗi: "), "the second step's progress is missing");
        assert!(browser.exists(".error-summary a[href='#progress-2']").await);
        assert!(browser.find("#progress-1-3").await.prop("checked").await.expect("a state").is_some_and(|c| c == "true"), "the first answer is kept");
        looked_at(&browser, "checkpoint-error").await;
        browser.click("#progress-2-1").await;
        browser.fill("Điều gì đang cản trở bạn? (không bắt buộc)", "Thiếu máy quét").await;
        browser.press("Gửi báo cáo").await;
        assert_eq!(browser.text("h1").await, "Cảm ơn bạn: báo cáo đã được ghi nhận");
        looked_at(&browser, "checkpoint-receipt").await;

        browser.open(&review).await;
        assert!(browser.text("main").await.contains("Vũ Thị Lan"));
        looked_at(&browser, "supervisor").await;
        browser.click("#rating-1-3").await;
        browser.click("#rating-2-2").await;
        browser.click("#confirmed").await;
        browser.press("Gửi đánh giá").await;
        assert_eq!(browser.text("h1").await, "Cảm ơn ông/bà: đánh giá đã được ghi nhận");
        looked_at(&browser, "supervisor-receipt").await;
        browser.open(&review).await;
        assert!(!browser.exists("form").await, "the supervisor's link works once");

        let listed = app.get(&format!("/api/v1/follow-ups?cohort_id={}", cohort["id"])).await.json();
        assert_eq!(listed["items"][0]["supervisor_status"], "confirmed");
        assert_eq!(listed["items"][0]["status"], "submitted");
    }
);

db_test!(
    async fn anyone_verifies_a_certificate_in_either_language(app) {
        let Some(browser) = Browser::start(&app).await else { return };
        let program = app.program().code("JICA-YL").title_vi("Chương trình Lãnh đạo trẻ").create().await;
        let cohort = app.cohort(&program).code("C3").create().await;
        let trainee = app.trainee().full_name("Phạm Minh Tuấn").create().await;
        let enrollment = app.enrollment(&cohort, &trainee).create().await;
        let done = app.patch(&format!("/api/v1/enrollments/{}", enrollment["id"]), json!({"status": "completed"})).await;
        assert_eq!(done.status, 200, "{}", done.text());
        let certificate = app.get(&format!("/api/v1/enrollments/{}/certificate", enrollment["id"])).await.json();

        browser.open("/verify").await;
        looked_at(&browser, "verify").await;
        browser.fill("Số giấy chứng nhận", certificate["number"].as_str().expect("a number")).await;
        browser.fill("Mã xác thực", &certificate["code"].as_str().expect("a code").to_lowercase()).await;
        browser.press("Kiểm tra").await;
        assert_eq!(browser.text(".panel h2").await, "Giấy chứng nhận này hợp lệ");
        assert!(browser.text(".panel").await.contains("Phạm Minh Tuấn"));
        looked_at(&browser, "verify-valid").await;

        browser.open("/verify?lang=en").await;
        browser.fill("Certificate number", certificate["number"].as_str().expect("a number")).await;
        browser.fill("Verification code", "AAAA-BBBB-CCCC").await;
        browser.press("Check").await;
        assert_eq!(browser.text(".panel h2").await, "No certificate has this number and code");
        looked_at(&browser, "verify-unknown").await;
    }
);
