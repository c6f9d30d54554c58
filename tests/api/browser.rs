//! The browser harness itself (`support::browser`), on both databases: the real app and a
//! headless Chromium at 360×740, a form filled and sent, axe-core on a page that passes and on one
//! that must not, under a Content-Security-Policy that allows no script, and screenshots.

use actix_web::{App, HttpResponse, HttpServer, web};

use crate::db_test;
use crate::support::browser::{Browser, HEIGHT, WIDTH, png_size};

/// What the product's pages for trainees are to send: no script, no inline style, nothing from
/// elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'";

const INLINE_SCRIPT_BLOCKED: &str = "Inline scripts are blocked here.";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Content-Security-Policy", CSP))
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
             <body><main>{body}</main></body></html>"
        ))
}

#[derive(serde::Deserialize)]
struct Greeting {
    name: String,
}

/// Test-only pages, on a server of their own beside the app: a form that is accessible (and an
/// inline script the CSP must block), its answer, and a form that is not (an unlabelled input).
fn fixture_server() -> (String, actix_web::dev::ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("a bound address"));
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/style.css",
                web::get().to(|| async {
                    HttpResponse::Ok().content_type("text/css").body(
                        "body { font-family: sans-serif; margin: 1rem; }\n\
                         label, input, button { display: block; font-size: 1rem; margin: 0.5rem 0; }\n",
                    )
                }),
            )
            .route(
                "/form",
                web::get().to(|| async {
                    page(
                        "Say hello",
                        &format!(
                            "<h1>Say hello</h1>\
                             <p id=\"script-state\">{INLINE_SCRIPT_BLOCKED}</p>\
                             <script>document.getElementById('script-state').textContent = 'An inline script ran.';</script>\
                             <form method=\"post\" action=\"/greet\">\
                             <label for=\"name\">Full name</label>\
                             <input id=\"name\" name=\"name\" type=\"text\" autocomplete=\"name\" required>\
                             <button type=\"submit\">Send</button></form>"
                        ),
                    )
                }),
            )
            .route(
                "/greet",
                web::post().to(|form: web::Form<Greeting>| async move {
                    page("Hello", &format!("<h1 id=\"greeting\">Hello, {}!</h1>", escape(&form.name)))
                }),
            )
            .route(
                "/broken",
                web::get().to(|| async {
                    page(
                        "Search",
                        "<h1>Search</h1><form method=\"post\" action=\"/greet\">\
                         <input name=\"name\" type=\"text\"><button type=\"submit\">Search</button></form>",
                    )
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("the fixture server listens")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (address, handle)
}

db_test!(
    async fn the_browser_harness_drives_the_app_checks_accessibility_and_keeps_screenshots(app) {
        let started = std::time::Instant::now();
        let Some(browser) = Browser::start(&app).await else { return };
        // The product's own HTML page (Swagger UI, served from the app, nothing from elsewhere).
        browser.open("/docs/").await;
        assert_eq!(browser.title().await, "TPMS API: training-programme management service");
        let heading = browser.text(".swagger-ui .info .title").await;
        assert!(heading.starts_with("TPMS: training-programme management service"), "{heading}");
        let docs = browser.screenshot("docs").await;

        // A form under a CSP that allows no script: WebDriver still runs scripts (axe among them).
        let (fixtures, fixture_server) = fixture_server();
        browser.open_url(&format!("{fixtures}/form")).await;
        assert_eq!(
            browser.text("#script-state").await,
            INLINE_SCRIPT_BLOCKED,
            "the CSP is in force: the page's own inline script did not run"
        );
        let viewport = browser
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        assert_eq!(viewport, serde_json::json!([WIDTH, HEIGHT]), "a phone's viewport");
        browser.assert_accessible().await;
        browser.fill("Full name", "Nguyễn Văn Đức").await;
        browser.screenshot("form-filled").await;
        browser.press("Send").await;
        assert_eq!(browser.text("#greeting").await, "Hello, Nguyễn Văn Đức!");
        browser.assert_accessible().await;
        let answer = browser.screenshot("form-sent").await;

        // The check can fail: an input without a label is reported, with where it is.
        browser.open_url(&format!("{fixtures}/broken")).await;
        assert!(!browser.exists("label").await, "the broken page has no label");
        let violations = browser.axe().await;
        let label = violations
            .iter()
            .find(|v| v.id == "label")
            .unwrap_or_else(|| panic!("axe-core reports the unlabelled input: {violations:?}"));
        assert_eq!(label.targets, ["input"], "{label:?}");
        let report = browser.check_accessible().await.expect_err("the broken page fails the check");
        assert!(
            report.contains("label (critical): Form elements must have labels") && report.contains("at input"),
            "the failure names the rule, its impact, its help and the node:\n{report}"
        );

        for shot in [&docs, &answer] {
            let png = std::fs::read(shot).expect("the screenshot is kept");
            assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{}", shot.display());
        }
        drop(browser);
        fixture_server.stop(true).await;
        println!("browser smoke test on {:?}: {:?}", app.backend, started.elapsed());
    }
);
