//! The HTTP load benchmark: run it with `scripts/bench`, which builds the release binary first.
//!
//! For each database (SQLite; PostgreSQL when `TPMS_BENCH_POSTGRES_URL` names a server where it
//! may create databases) and each size (trainees and enrolments: 10,000 and 1,000,000 by default),
//! it generates a data set with `tpms dev generate`, starts `tpms serve` pinned to CPU 0 with one
//! worker, and loads it with `wrk` pinned to CPU 1:
//! - throughput at 64 connections, each request's p50/p99, and its ratio to `/health` measured on
//!   the same server in the same run;
//! - the floors of a request that reaches the database: a database thread and back, and one and
//!   two trivial queries (`/_bench/…`, in a build with the `bench-probes` feature);
//! - each list's latency on one connection, to compare the sizes (a list should not slow down
//!   with the table);
//! - creates and enrolments at 16 and 64 connections.
//!
//! It prints one table per database, in Markdown (the README keeps the latest).
//!
//! Options: `--databases sqlite,postgres`, `--sizes 10000,1000000`, `--seconds 10`, and
//! `--loads a,b` to run only the loads whose name holds `a` or `b` (with `/health`).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

const PASSWORD: &str = "benchmark password, long enough";
const EMAIL: &str = "bench@bench.test";

/// One load: what to send, how, and at which concurrency.
struct Load {
    name: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
    connections: u32,
    /// A wrk script that makes each request different (enrolments of distinct trainees).
    script: Option<String>,
}

/// What wrk measured.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    failures: u64,
}

/// A server under test, stopped on drop.
struct Server {
    child: Child,
    base: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_owned())
    };
    let seconds: u32 = option("--seconds", "10").parse()?;
    let sizes: Vec<usize> = option("--sizes", "10000,1000000")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let databases = option("--databases", "sqlite,postgres");
    // `--loads 'q=nguy,province'`: only the loads whose name holds one of these (and `/health`,
    // which every ratio is taken against), for a run that measures one change.
    let only: Vec<String> = option("--loads", "")
        .split(',')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect();
    let tpms = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/tpms");
    if !tpms.exists() {
        bail!("{} is missing: run scripts/bench, which builds it", tpms.display());
    }
    for tool in ["wrk", "taskset"] {
        if Command::new(tool).arg("--version").output().is_err()
            && Command::new("which")
                .arg(tool)
                .status()
                .map(|s| !s.success())
                .unwrap_or(true)
        {
            bail!(
                "`{tool}` is not installed (Debian: apt-get install {})",
                if tool == "wrk" { "wrk" } else { "util-linux" }
            );
        }
    }
    let scratch = tempfile::tempdir()?;
    for database in databases.split(',') {
        let mut table = String::new();
        let mut health_by_size = Vec::new();
        for &size in &sizes {
            let url = match database {
                "sqlite" => format!("sqlite://{}", scratch.path().join(format!("bench-{size}.db")).display()),
                "postgres" => match postgres_database(size)? {
                    Some(url) => url,
                    None => {
                        eprintln!("TPMS_BENCH_POSTGRES_URL is not set: PostgreSQL skipped");
                        break;
                    }
                },
                other => bail!("unknown database {other}: sqlite or postgres"),
            };
            generate(&tpms, &url, size)?;
            let server = start(&tpms, &url)?;
            let rows = run_loads(&server, size, seconds, &only)?;
            health_by_size.push((size, rows.first().map(|(_, m)| m.per_second).unwrap_or(0.0)));
            for (load, measured) in &rows {
                let health = rows.first().map(|(_, m)| m.per_second).unwrap_or(f64::NAN);
                writeln!(
                    table,
                    "| {size} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} % | {} |",
                    load.name,
                    load.connections,
                    measured.per_second,
                    measured.p50_ms,
                    measured.p99_ms,
                    100.0 * measured.per_second / health,
                    measured.failures,
                )?;
            }
        }
        if !table.is_empty() {
            println!("\n### {database}\n");
            println!("| trainees | request | connections | req/s | p50 ms | p99 ms | of /health | non-2xx |");
            println!("|---|---|---|---|---|---|---|---|");
            print!("{table}");
        }
    }
    Ok(())
}

/// A fresh database on the benchmark's PostgreSQL server, or `None` when none is configured.
fn postgres_database(size: usize) -> anyhow::Result<Option<String>> {
    let Ok(admin) = std::env::var("TPMS_BENCH_POSTGRES_URL") else {
        return Ok(None);
    };
    let name = format!("tpms_bench_{size}");
    let psql = |sql: &str| {
        Command::new("psql")
            .arg(&admin)
            .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
            .status()
    };
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    if !psql(&format!("CREATE DATABASE {name}"))?.success() {
        bail!("cannot create database {name} on {admin}");
    }
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&format!("/{name}"));
    Ok(Some(url.to_string()))
}

/// `tpms dev generate` at `size`, into `url`.
fn generate(tpms: &Path, url: &str, size: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let cohorts = (size / 100).clamp(20, 10_000);
    let status = Command::new(tpms)
        .env("DATABASE_URL", url)
        .env("TPMS_LOG", "warn")
        .args([
            "dev",
            "generate",
            "--trainees",
            &size.to_string(),
            "--enrollments",
            &size.to_string(),
        ])
        .args(["--cohorts", &cohorts.to_string(), "--sessions-per-cohort", "10"])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("tpms dev generate failed on {url}");
    }
    eprintln!(
        "generated {size} trainees and enrolments in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Start `tpms serve` on `url`, pinned to CPU 0 with one worker, and sign in.
fn start(tpms: &Path, url: &str) -> anyhow::Result<Server> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(tpms)
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("TPMS_BIND", format!("127.0.0.1:{port}"))
        .env("TPMS_WORKERS", "1")
        .env("TPMS_LOG", "warn")
        .env("TPMS_SEED_ON_START", "false")
        .env("TPMS_ADMIN_EMAIL", EMAIL)
        .env("TPMS_ADMIN_PASSWORD", PASSWORD)
        .env("TPMS_LOGIN_ATTEMPTS_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .spawn()?;
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        token: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(&server, "GET", "/ready", None).map(|(status, _)| status).ok() != Some(200) {
        if Instant::now() > deadline {
            bail!("the server on {url} was not ready within 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = http(
        &server,
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": EMAIL, "password": PASSWORD})),
    )?;
    if status != 200 {
        bail!("signing in answered {status}: {body}");
    }
    server.token = body["access_token"].as_str().context("an access token")?.to_owned();
    Ok(server)
}

/// One request with curl (setup only; the loads go through wrk).
fn http(server: &Server, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
    let mut curl = Command::new("curl");
    curl.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method]);
    curl.arg(format!("{}{path}", server.base));
    if !server.token.is_empty() {
        curl.args(["-H", &format!("Authorization: Bearer {}", server.token)]);
    }
    if let Some(body) = body {
        curl.args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body.to_string(),
        ]);
    }
    let output = curl.output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "000"));
    Ok((
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    ))
}

/// Every load of the benchmark, against `server`, in order: `/health` first.
fn run_loads(server: &Server, size: usize, seconds: u32, only: &[String]) -> anyhow::Result<Vec<(Load, Measured)>> {
    let (status, _) = http(server, "GET", "/_bench/hop", None)?;
    if status != 200 {
        bail!("/_bench/hop answered {status}: build with `--features bench-probes`, as scripts/bench does");
    }
    let (_, partner) = http(
        server,
        "POST",
        "/api/v1/partners",
        Some(json!({"code": "BENCH", "name": "Bench partner", "kind": "other", "country": "VN"})),
    )?;
    let (_, programs) = http(server, "GET", "/api/v1/programs?q=bench", None)?;
    let program = programs["items"][0]["id"].as_i64().context("the BENCH programme")?;
    // Fresh cohorts for the enrolment load, so that no trainee is in them yet.
    let mut cohorts = Vec::new();
    for i in 0..40 {
        let (_, cohort) = http(
            server,
            "POST",
            &format!("/api/v1/programs/{program}/cohorts"),
            Some(json!({"code": format!("LOAD{i}"), "name": "Load", "status": "open"})),
        )?;
        cohorts.push(cohort["id"].as_i64().context("a cohort")?);
    }
    let (_, generated) = http(
        server,
        "GET",
        &format!("/api/v1/programs/{program}/cohorts?limit=1"),
        None,
    )?;
    let generated = generated["items"][0]["id"].as_i64().context("a generated cohort")?;
    let (_, first) = http(server, "GET", "/api/v1/trainees?sort=created_at&limit=1", None)?;
    let first_trainee = first["items"][0]["id"].as_i64().context("a trainee")?;
    // A page nine tenths of the way down the default order (by name: the generated names start
    // with a surname, and "T" ones come late), from the cursor a client following the Link
    // headers would hold there.
    let deep = tpms::resource::list::keyset::cursor_for(
        &["full_name", "id"],
        vec![json!("Trần"), json!(0)],
        i64::try_from(size).unwrap_or(i64::MAX) / 10 * 9,
    )
    .encode();
    let loads = vec![
        get("GET /health", "/health".into(), 64),
        // The floors (`health::bench_routes`): a database thread and back, then one and two
        // trivial queries. A signed-in read by id is two queries (the account, then the record).
        get("floor: database thread, no query", "/_bench/hop".into(), 64),
        get("floor: one query (SELECT 1)", "/_bench/one-trip".into(), 64),
        get("floor: two queries", "/_bench/two-trips".into(), 64),
        get("GET /partners/{id}", format!("/api/v1/partners/{}", partner["id"]), 64),
        get("list of 50 trainees", "/api/v1/trainees?limit=50".into(), 64),
        get("list of 50 trainees", "/api/v1/trainees?limit=50".into(), 1),
        get("?q=nguy", "/api/v1/trainees?q=nguy".into(), 1),
        get("?sort=-created_at", "/api/v1/trainees?sort=-created_at".into(), 1),
        get(
            "?province=Hà Nội",
            "/api/v1/trainees?province=H%C3%A0%20N%E1%BB%99i".into(),
            1,
        ),
        // A common word in one province of twelve: the province's entries of the word are read
        // from the index that leads with it, for the page and for its total.
        get(
            "?q=nguy&province=Hà Nội",
            "/api/v1/trainees?q=nguy&province=H%C3%A0%20N%E1%BB%99i".into(),
            1,
        ),
        get(
            "?q=nguy&province=Hà Nội",
            "/api/v1/trainees?q=nguy&province=H%C3%A0%20N%E1%BB%99i".into(),
            16,
        ),
        get("deep page (cursor)", format!("/api/v1/trainees?cursor={deep}"), 1),
        get("page at offset 9,000", "/api/v1/trainees?offset=9000".into(), 1),
        get(
            "enrolments of a cohort",
            format!("/api/v1/cohorts/{generated}/enrollments"),
            1,
        ),
        post(
            "POST /trainees",
            "/api/v1/trainees".into(),
            json!({"full_name": "Nguyễn Văn Bench"}),
            16,
        ),
        post(
            "POST /trainees",
            "/api/v1/trainees".into(),
            json!({"full_name": "Nguyễn Văn Bench"}),
            64,
        ),
        enrol(&cohorts[..20], first_trainee, size, 16),
        enrol(&cohorts[20..], first_trainee, size, 64),
    ];
    let mut measured = Vec::new();
    let chosen = |load: &Load| {
        load.name == "GET /health" || only.is_empty() || only.iter().any(|part| load.name.contains(part.as_str()))
    };
    for load in loads.into_iter().filter(chosen) {
        let result = wrk(server, &load, seconds)?;
        eprintln!(
            "{size:>8} {:<28} c={:<3} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  non-2xx {}",
            load.name, load.connections, result.per_second, result.p50_ms, result.p99_ms, result.failures
        );
        measured.push((load, result));
    }
    Ok(measured)
}

fn get(name: &'static str, path: String, connections: u32) -> Load {
    Load {
        name,
        method: "GET",
        path,
        body: None,
        connections,
        script: None,
    }
}

fn post(name: &'static str, path: String, body: Value, connections: u32) -> Load {
    Load {
        name,
        method: "POST",
        path,
        body: Some(body.to_string()),
        connections,
        script: None,
    }
}

/// Enrolments of distinct trainees, spread over `cohorts` so that no pair repeats.
fn enrol(cohorts: &[i64], first_trainee: i64, trainees: usize, connections: u32) -> Load {
    let list = cohorts.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let script = format!(
        r#"local cohorts = {{{list}}}
local n = 0
wrk.headers["Content-Type"] = "application/json"
request = function()
  local trainee = {first_trainee} + (n % {trainees})
  local cohort = cohorts[(math.floor(n / {trainees}) % #cohorts) + 1]
  n = n + 1
  return wrk.format("POST", "/api/v1/cohorts/" .. cohort .. "/enrollments", nil, '{{"trainee_id":' .. trainee .. '}}')
end
"#
    );
    Load {
        name: "POST /cohorts/{id}/enrollments",
        method: "POST",
        path: format!("/api/v1/cohorts/{}/enrollments", cohorts[0]),
        body: None,
        connections,
        script: Some(script),
    }
}

/// Run `load` through wrk on CPU 1 and read its figures.
fn wrk(server: &Server, load: &Load, seconds: u32) -> anyhow::Result<Measured> {
    let dir = tempfile::tempdir()?;
    let script_path: PathBuf = dir.path().join("load.lua");
    let script = match (&load.script, &load.body) {
        (Some(script), _) => script.clone(),
        (None, Some(body)) => format!(
            "wrk.method = \"{}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{body}]]\n",
            load.method
        ),
        (None, None) => String::new(),
    };
    std::fs::write(&script_path, script)?;
    let output = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1", "--latency", "--timeout", "30s"])
        .args(["-c", &load.connections.to_string(), "-d", &format!("{seconds}s")])
        .args(["-H", &format!("Authorization: Bearer {}", server.token)])
        .arg("-s")
        .arg(&script_path)
        .arg(format!("{}{}", server.base, load.path))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).with_context(|| format!("wrk said:\n{text}{}", String::from_utf8_lossy(&output.stderr)))
}

/// The figures of wrk's `--latency` report.
fn parse_wrk(text: &str) -> anyhow::Result<Measured> {
    let ms = |value: &str| -> Option<f64> {
        let (number, unit) = value.split_at(value.find(|c: char| c.is_alphabetic())?);
        let number: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            "m" => number * 60_000.0,
            _ => return None,
        })
    };
    let mut measured = Measured::default();
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("50%"), Some(value)) => measured.p50_ms = ms(value).context("p50")?,
            (Some("99%"), Some(value)) => measured.p99_ms = ms(value).context("p99")?,
            (Some("Requests/sec:"), Some(value)) => measured.per_second = value.parse()?,
            (Some("Non-2xx"), _) => {
                measured.failures += line.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0)
            }
            (Some("Socket"), Some("errors:")) => {
                // "Socket errors: connect 0, read 0, write 0, timeout 12"
                measured.failures += line
                    .split(',')
                    .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if measured.per_second == 0.0 {
        bail!("no throughput in wrk's report");
    }
    Ok(measured)
}
