//! The README's examples, run as written (with `bash`, `curl` and `python3`) against a fresh,
//! seeded install: if an example stops working, this fails rather than a new user.

use crate::db_test;
use crate::support::TestApp;

/// The README's shell blocks from the one that sets `API=` up to and including the reports (the
/// officer's day, the evaluation and follow-up walkthroughs between), with the documented address
/// replaced by the test app's.
fn readme_examples(address: &str) -> String {
    let readme = include_str!("../../README.md");
    let blocks: Vec<&str> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    let first = blocks
        .iter()
        .position(|b| b.starts_with("API="))
        .expect("a block that sets API=");
    let last = blocks
        .iter()
        .position(|b| b.contains("/reports/trainees/"))
        .expect("the reports block");
    blocks[first..=last]
        .join("\n")
        .replace("http://127.0.0.1:8080", address)
}

/// Whether `tool` runs here.
fn found(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

db_test!(
    async fn the_readme_examples_run_as_written_on_a_fresh_seeded_install(app) {
        let missing: Vec<&str> = ["bash", "curl", "python3"].into_iter().filter(|t| !found(t)).collect();
        if !missing.is_empty() {
            // As with PostgreSQL: skipped, and said plainly, unless CI requires the tools.
            assert!(
                std::env::var("TPMS_TEST_REQUIRE_README_TOOLS").is_err(),
                "the README examples need {missing:?}, which this machine lacks"
            );
            eprintln!("SKIPPED: the README examples need {missing:?}, which this machine lacks");
            return;
        }
        seed(&app).await;
        let token = app.sign_in(&app.admin_email, crate::support::TEST_PASSWORD).await.json()["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned();
        let dir = tempfile::tempdir().expect("a scratch directory");
        let path = dir.path().to_owned();
        // As a fresh install sends mail: to ./mail, the folder the examples read it from.
        let mail = path.join("mail");
        let sending = app.second_server_with(|c| c.mail.url = tpms::config::MailUrl::File(mail));
        let script = format!("set -euo pipefail\nTOKEN={token}\n{}", readme_examples(&sending.address));
        let output = actix_web::web::block(move || {
            std::process::Command::new("bash").arg("-c").arg(script).current_dir(path).output()
        })
        .await
        .expect("the blocking pool runs")
        .expect("bash runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
        let feed = format!("{}/f/", sending.address);
        let in_order = [
            // The officer's day: waitlisted, withdrawn, completed, still waiting.
            "5\n2\n20\n0\n",
            // The partner selects: review on, eligible and not, accepted, declined, seated, by decision.
            "True\n2 1\n2\n1\n2\n{'nominated': 0, 'accepted': 0, 'declined': 1}\n",
            // A cohort's calendar file, and a trainee's feed to subscribe to.
            "BEGIN:VCALENDAR\r\n",
            &feed,
            // Evaluating a cohort: the amended score, answers in the results, the knowledge test's mean
            // before and after and its gain, completed in the dry run and for real, the certificate
            // checked.
            "5\n6\n1.0\n2.5\n0.75\n6\n6\nvalid\n",
            // After return: the plan approved, its checkpoints' dates, the report verified, counted.
            "approved\n['2024-12-31', '2025-03-31', '2025-09-30']\nverified\n1\n",
            // What a cohort costs: the yen airfare in đồng, the class's spending, its line of the report.
            "438100000\n465600000\n434400000 465600000 moderately_efficient 23280000\n",
            // Reports: the class's six trainees from Đà Nẵng completed in 2024.
            r#"{"group":{"province":"Đà Nẵng"},"enrollments":6,"trainees":6}"#,
        ];
        let mut rest = stdout.as_ref();
        for expected in in_order {
            let at = rest.find(expected).unwrap_or_else(|| panic!("{expected:?} does not follow in the README's output:\n{stdout}"));
            rest = &rest[at + expected.len()..];
        }
    }
);

async fn seed(app: &TestApp) {
    let pool = app.pool.clone();
    actix_web::web::block(move || -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        tpms::seed::run(&mut conn, &tpms::seed::embedded_files(), false, &mut |_| {})?;
        Ok(())
    })
    .await
    .expect("the blocking pool runs")
    .expect("the seeds load");
}
