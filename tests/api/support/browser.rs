//! Browser tests: a headless Chromium, driven over WebDriver (fantoccini), against a [`TestApp`]
//! that serves the real app on 127.0.0.1.
//!
//! ```ignore
//! db_test!(
//!     async fn a_page_works_in_a_phone_sized_browser(app) {
//!         let Some(browser) = Browser::start(&app).await else { return };
//!         browser.open("/some/page").await;
//!         browser.fill("Full name", "Nguyễn Văn Đức").await;
//!         browser.press("Send").await;
//!         assert_eq!(browser.text("h1").await, "Thank you");
//!         browser.assert_accessible().await;
//!         browser.screenshot("some-page-sent").await;
//!     }
//! );
//! ```
//!
//! - One chromedriver per test binary, started at the first [`Browser::start`] on a free port and
//!   shared by every test; it ends with the binary (see [`driver`]). Each test gets a Chromium
//!   session of its own (headless, 360×740, a fresh profile), ended when its [`Browser`] drops.
//! - [`Browser::axe`] runs axe-core (WCAG 2.0/2.1, A and AA) in the page. axe-core comes from npm,
//!   pinned in `tests/browser/package-lock.json`: `cd tests/browser && npm ci` puts it where this
//!   looks by default; `TPMS_AXE_JS` names another `axe.min.js`. WebDriver's script execution is
//!   not subject to the page's Content-Security-Policy, so this works on pages that allow no
//!   script at all (a test checks it).
//! - Screenshots go to one folder per run, `$TMPDIR/tpms-screenshots-<date>-<pid>/` (or
//!   `TPMS_SCREENSHOT_DIR`), as `<database>-<name>.png`; the folder is said once on stderr, and each
//!   file's path printed (`cargo test -- --nocapture` shows them). chromedriver's log is there too.
//! - Without Chromium, chromedriver or axe-core the browser tests are skipped, and said so loudly,
//!   as PostgreSQL is; `TPMS_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.
//!   `TPMS_CHROMIUM` and `TPMS_CHROMEDRIVER` name the programs when they are not on PATH.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{Backend, TestApp, say};

/// The viewport every page is seen at: a small phone, as trainees mostly have.
pub const WIDTH: u32 = 360;
pub const HEIGHT: u32 = 740;

/// How long [`Browser::find`] and friends wait for an element to appear.
const FIND_WAIT: Duration = Duration::from_secs(5);

/// The axe-core rule tags a page must pass: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const INSTALL: &str = "install Chromium and its WebDriver (Debian: `apt-get install chromium chromium-driver`) \
                       and axe-core (`cd tests/browser && npm ci`), or run `.ci/run`, which does both";

/// What the browser tests need on the machine.
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    /// The source of axe.min.js.
    axe: String,
}

/// A program named by `env`, or the first of `names` on PATH.
fn program(env: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{env}={} is not a file", path.display()))
        };
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("none of {names:?} is on PATH (or set {env})"))
}

/// Where `cd tests/browser && npm ci` puts axe-core, unless `TPMS_AXE_JS` says otherwise.
fn axe_path() -> PathBuf {
    match std::env::var_os("TPMS_AXE_JS").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js"),
    }
}

/// The tools, found once per run; `None` (said loudly) when one is missing and not required.
fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Option<Tools>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let chromium = program("TPMS_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]);
            let chromedriver = program("TPMS_CHROMEDRIVER", &["chromedriver"]);
            let axe = axe_path();
            let axe = std::fs::read_to_string(&axe).map_err(|e| format!("axe-core: cannot read {}: {e}", axe.display()));
            match (chromium, chromedriver, axe) {
                (Ok(chromium), Ok(chromedriver), Ok(axe)) => Some(Tools {
                    chromium,
                    chromedriver,
                    axe,
                }),
                (chromium, chromedriver, axe) => {
                    let why = [chromium.err(), chromedriver.err(), axe.err()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; ");
                    if std::env::var("TPMS_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                        panic!("TPMS_TEST_REQUIRE_BROWSER=1 but the browser tests cannot run ({why}): {INSTALL}.");
                    }
                    say(&format!(
                        "NOTE: the BROWSER TESTS were SKIPPED and passed without running ({why}). To run them, {INSTALL}."
                    ));
                    None
                }
            }
        })
        .as_ref()
}

/// This run's folder for screenshots and chromedriver's log, made and said once.
fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = match std::env::var_os("TPMS_SCREENSHOT_DIR").filter(|p| !p.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => std::env::temp_dir().join(format!(
                "tpms-screenshots-{}-{}",
                chrono::Local::now().format("%Y%m%d-%H%M%S"),
                std::process::id()
            )),
        };
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
        say(&format!(
            "Browser tests: screenshots and chromedriver.log in {}",
            dir.display()
        ));
        dir
    })
}

/// The chromedriver all of this binary's tests share.
struct Driver {
    port: u16,
    /// The shell that started chromedriver (in a process group of its own) and waits on its
    /// stdin: when this process ends, however it ends, the pipe closes and the shell stops that
    /// group, chromedriver and the Chromiums it started. Rust runs no destructors of statics, so
    /// this is what ends it.
    _keeper: Mutex<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Start chromedriver, once per test binary, and wait until it listens.
fn driver(tools: &Tools) -> &'static Driver {
    static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();
    let started = DRIVER.get_or_init(|| {
        let port = free_port();
        let log = run_dir().join("chromedriver.log");
        let log_file = std::fs::File::create(&log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let keeper = r#"setsid "$1" --port="$2" --log-level=WARNING </dev/null &
driver=$!
read _closed
kill -TERM -"$driver" 2>/dev/null || kill -TERM "$driver" 2>/dev/null"#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(keeper)
            .arg("tpms-chromedriver")
            .arg(&tools.chromedriver)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", tools.chromedriver.display()))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "chromedriver exited ({status}) before listening; see {}",
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver did not listen on port {port} within 20 s; see {}",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Driver {
            port,
            _keeper: Mutex::new(child),
        })
    });
    started.as_ref().unwrap_or_else(|why| panic!("{why}"))
}

/// One axe-core finding: a rule the page breaks, and where.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AxeViolation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    /// Each offending node's CSS selector.
    pub targets: Vec<String>,
}

/// A headless Chromium session on a [`TestApp`], ended when dropped.
pub struct Browser {
    client: Client,
    session: String,
    driver_port: u16,
    base: String,
    backend: Backend,
    /// Chromium's profile, fresh for each session; removed after the session ends.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new session, looking at `app`; `None` (said once, loudly) when the browser tools are not
    /// installed and `TPMS_TEST_REQUIRE_BROWSER` is not `1`.
    pub async fn start(app: &TestApp) -> Option<Browser> {
        let tools = tools()?;
        let driver = driver(tools);
        let profile = tempfile::Builder::new()
            .prefix("tpms-browser-profile-")
            .tempdir()
            .expect("a profile directory");
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"script": 30_000, "pageLoad": 30_000, "implicit": 0},
            "goog:chromeOptions": {
                "binary": tools.chromium,
                // A headless window is at least 500 px wide whatever --window-size says; device
                // emulation gives the page (and the screenshot) the phone's viewport exactly, and
                // lays out as a phone does (a page without a viewport meta tag gets 980 px).
                "mobileEmulation": {
                    "deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 1.0, "mobile": true, "touch": true},
                },
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    format!("--window-size={WIDTH},{HEIGHT}"),
                    format!("--user-data-dir={}", profile.path().display()),
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-extensions",
                    // A trainee's phone in Vietnam: its pages' language unless one is chosen.
                    "--lang=vi-VN",
                ],
                "prefs": {"intl": {"accept_languages": "vi-VN,vi"}},
            },
        });
        let capabilities = capabilities
            .as_object()
            .expect("the capabilities are an object")
            .clone();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("chromedriver would not open a Chromium session: {e}"));
        let session = client
            .session_id()
            .await
            .expect("the session's id")
            .expect("a session id");
        Some(Browser {
            client,
            session,
            driver_port: driver.port,
            base: app.address.clone(),
            backend: app.backend,
            _profile: profile,
        })
    }

    /// The WebDriver client, for what the helpers here do not cover.
    #[allow(dead_code)] // for the pages' own tests, to come
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Go to `path` on the app and wait for the page to load.
    pub async fn open(&self, path: &str) {
        self.open_url(&format!("{}{path}", self.base)).await;
    }

    /// Go to any URL (a test's own server, say).
    pub async fn open_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// Where the browser is.
    pub async fn url(&self) -> String {
        self.client.current_url().await.map(String::from).unwrap_or_default()
    }

    /// The page's title.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("the page's title")
    }

    /// The first element matching `css`, waiting a little for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(FIND_WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no element matches `{css}` on {} ({e})", self.url().await),
        }
    }

    /// Whether anything matches `css` now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("the search runs")
            .is_empty()
    }

    /// The form control a `<label>` with this text (spaces collapsed) labels, as assistive
    /// technology would find it: `label.control`, whether by `for=` or by nesting.
    pub async fn field(&self, label: &str) -> Element {
        const FIND: &str = "const text = arguments[0];
            const label = [...document.querySelectorAll('label')]
                .find(l => l.textContent.replace(/\\s+/g, ' ').trim() === text);
            return label ? label.control : null;";
        let deadline = Instant::now() + FIND_WAIT;
        loop {
            let found = self
                .client
                .execute(FIND, vec![json!(label)])
                .await
                .expect("the label search runs");
            if let Some(id) = found.get("element-6066-11e4-a52e-4f735466cecf").and_then(Value::as_str) {
                return Element::from_element_id(self.client.clone(), ElementRef::from(id.to_owned()));
            }
            if Instant::now() > deadline {
                panic!("no control labelled {label:?} on {}", self.url().await);
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Type `value` into the field labelled `label`, replacing what it held.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {label:?}: {e}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("typing into {label:?}: {e}"));
    }

    /// Click the first element matching `css` (a submit waits for the next page to load).
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    /// Click the button (or submit input) whose text is `text`.
    pub async fn press(&self, text: &str) {
        let quoted = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={quoted}] | //input[(@type='submit' or @type='button') and @value={quoted}]"
        );
        let button = match self
            .client
            .wait()
            .at_most(FIND_WAIT)
            .for_element(Locator::XPath(&xpath))
            .await
        {
            Ok(button) => button,
            Err(e) => panic!("no button {text:?} on {} ({e})", self.url().await),
        };
        self.navigating(|| async {
            button
                .click()
                .await
                .unwrap_or_else(|e| panic!("pressing {text:?}: {e}"));
        })
        .await;
    }

    /// Follow the link (or press the button) matching `css`, and wait for the page it opens.
    pub async fn follow(&self, css: &str) {
        let element = self.find(css).await;
        self.navigating(|| async {
            element
                .click()
                .await
                .unwrap_or_else(|e| panic!("following `{css}`: {e}"));
        })
        .await;
    }

    /// Run `act`, which leaves the page, and wait until the next page has loaded: WebDriver's
    /// click returns once the click is sent, not once a form's answer has arrived. The old page
    /// is marked, and the wait ends when a page without the mark is complete.
    async fn navigating<F, Fut>(&self, act: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        self.execute("window.__tpmsLeaving = true;", vec![]).await;
        act().await;
        let deadline = Instant::now() + FIND_WAIT;
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.__tpmsLeaving === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                panic!("no new page loaded after the click, on {}", self.url().await);
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading `{css}`: {e}"))
    }

    /// Run `script` in the page (as a function body; `arguments` holds `args`).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("running a script in the page: {e}"))
    }

    /// axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now.
    pub async fn axe(&self) -> Vec<AxeViolation> {
        let tools = tools().expect("a Browser exists only when the tools do");
        let loaded = self.execute("return typeof window.axe === 'object';", vec![]).await;
        if loaded != json!(true) {
            self.execute(&tools.axe, vec![]).await;
        }
        const RUN: &str = "const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
                .then(result => done({violations: result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    targets: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' ')),
                }))}))
                .catch(e => done({error: String(e)}));";
        let result = match self.client.execute_async(RUN, vec![json!(AXE_TAGS)]).await {
            Ok(result) => result,
            Err(e) => panic!("running axe-core on {}: {e}", self.url().await),
        };
        if let Some(error) = result.get("error") {
            panic!("axe-core failed on {}: {error}", self.url().await);
        }
        serde_json::from_value(result["violations"].clone())
            .unwrap_or_else(|e| panic!("axe-core's answer reads ({e}): {result}"))
    }

    /// `Err` listing each violation (rule, impact, help, the nodes' selectors) unless axe-core
    /// finds none on the page.
    pub async fn check_accessible(&self) -> Result<(), String> {
        let violations = self.axe().await;
        if violations.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} breaks {} accessibility rule(s) (axe-core, {AXE_TAGS:?}):\n{}",
            self.url().await,
            violations.len(),
            describe(&violations)
        ))
    }

    /// Fail, listing each violation, unless axe-core finds none on the page.
    pub async fn assert_accessible(&self) {
        if let Err(report) = self.check_accessible().await {
            panic!("{report}");
        }
    }

    /// Save what the browser shows as `<database>-<name>.png` in this run's folder, print its
    /// path, and return it.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("taking the screenshot {name:?}: {e}"));
        let database = match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let path = run_dir().join(format!("{database}-{name}.png"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("writing {} ({e}): is the name {name:?} used twice?", path.display()));
        file.write_all(&png).expect("the screenshot is written");
        println!("screenshot: {}", path.display());
        path
    }
}

/// The violations, one line each, then their nodes.
pub fn describe(violations: &[AxeViolation]) -> String {
    violations
        .iter()
        .map(|v| {
            format!(
                "  - {} ({}): {} <{}>\n      at {}",
                v.id,
                v.impact.as_deref().unwrap_or("no impact given"),
                v.help,
                v.help_url,
                v.targets.join("\n      at ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` as an XPath string literal.
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}

/// The width and height a PNG's header gives.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let at = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (at(16), at(20))
}

impl Drop for Browser {
    /// End the session, and so its Chromium, at once and without the async runtime (which may be
    /// going away, or the test panicking): a plain `DELETE /session/{id}` to chromedriver.
    fn drop(&mut self) {
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session, self.driver_port
        );
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver_port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            if stream.write_all(request.as_bytes()).is_ok() {
                read_response(&mut stream);
            }
        }
    }
}

/// Read one HTTP response to its end, as its Content-Length says: chromedriver keeps the
/// connection open after answering, whatever `Connection: close` asks.
fn read_response(stream: &mut TcpStream) {
    let mut response = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        if let Some(head_end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&response[..head_end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if response.len() >= head_end + 4 + length {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => response.extend_from_slice(&chunk[..n]),
        }
    }
}
