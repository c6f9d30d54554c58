//! The command line: `tpms serve` (the default), `tpms migrate`, and the operators' commands
//! (`tpms users`, `tpms seed`, `tpms retention`).

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::{AppConfig, AuthConfig, DatabaseConfig, HttpConfig, LogConfig};
use crate::db::{self, Db};

/// TPMS: training-programme management service.
#[derive(Debug, Parser)]
#[command(name = "tpms", version, about)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    log: LogConfig,
    #[command(subcommand)]
    command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts from the console.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Load the seed data: create what is missing, update what a seed file changed, leave the
    /// rest and every record users made. A broken file stops the run before anything is written.
    Seed {
        /// Read the seed files from this directory instead of those built into the binary.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
    /// Personal data kept for a limited time (each programme's `retention_months`).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Tools for developing TPMS.
    #[command(subcommand)]
    Dev(DevCommand),
}

/// `tpms retention …`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase free-text answers, plans' free text and contact details of every cohort whose
    /// programme's retention period after the cohort's end has passed (the schedule runs the same
    /// daily), printing what went, cohort by cohort and table by table.
    Run {
        /// Change nothing; print what would be erased.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `tpms dev …`.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Add a synthetic data set for benchmarks: a programme BENCH with cohorts and sessions,
    /// made-up trainees, enrolments and attendance (see `scripts/bench`).
    Generate(crate::dev::Sizes),
}

/// Settings of `tpms serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    http: HttpConfig,
    #[command(flatten)]
    auth: AuthConfig,
    #[command(flatten)]
    evaluations: crate::config::EvaluationConfig,
    #[command(flatten)]
    pages: crate::config::PagesConfig,
    #[command(flatten)]
    mail: crate::config::MailConfig,
    #[command(flatten)]
    reminders: crate::config::ReminderConfig,
    #[command(flatten)]
    costs: crate::config::CostConfig,
    #[command(flatten)]
    seed: crate::config::SeedConfig,
}

/// `tpms users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account; the password is read from standard input (one line).
    Create {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Role: admin, officer, liaison or reporter.
        #[arg(long)]
        role: crate::users::Role,
        /// Name shown to others (default: the email).
        #[arg(long)]
        display_name: Option<String>,
        /// The partner a liaison speaks for.
        #[arg(long)]
        partner_id: Option<i64>,
    },
}

/// Parse the command line, with a bad setting reported on one line that names it.
fn parse() -> Result<Cli, clap::Error> {
    let args: Vec<String> = std::env::args().collect();
    let cli = Cli::try_parse_from(&args)?;
    if cli.command.is_some() {
        return Ok(cli);
    }
    // No subcommand: serve, with the same arguments.
    let mut with_serve = args;
    with_serve.insert(1.min(with_serve.len()), "serve".to_owned());
    Cli::try_parse_from(with_serve)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.to_string();
            let line = rendered
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("tpms: {line}");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "tpms stopped");
            eprintln!("tpms: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    crate::telemetry::init(&cli.log)?;
    match cli.command {
        Some(Command::Migrate) => {
            let pool = db::connect(&cli.database)?;
            migrate(&pool)?;
            Ok(())
        }
        Some(Command::Serve(args)) => serve(cli.database, *args),
        Some(Command::Dev(DevCommand::Generate(sizes))) => {
            let pool = db::connect(&cli.database)?;
            migrate(&pool)?;
            let mut conn = pool.get()?;
            let started = std::time::Instant::now();
            let made = db::dialect::without_statement_timeout(&mut conn, |conn| {
                crate::dev::generate(conn, sizes, &mut |step| println!("generated {step}"))
            })??;
            println!("generated {made:?} in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Some(Command::Retention(RetentionCommand::Run { dry_run })) => {
            let pool = db::connect(&cli.database)?;
            migrate(&pool)?;
            let mut conn = pool.get()?;
            // Today in Vietnam, as the schedule counts it.
            let today = (crate::clock::now() + chrono::TimeDelta::hours(7)).date();
            let actor = crate::personal_data::retention::actor();
            let run = db::dialect::write_transaction(&mut conn, |conn| {
                crate::personal_data::retention::run(conn, &actor, today, dry_run)
            })
            .map_err(|e| anyhow::anyhow!("retention failed: {e}"))?;
            let verb = if dry_run { "would erase" } else { "erased" };
            for cohort in &run.cohorts {
                println!(
                    "cohort {} (id {}), due since {}:",
                    cohort.code, cohort.cohort_id, cohort.erase_from
                );
                for change in &cohort.changes {
                    println!(
                        "  {verb} {}.{}: {} row(s) {}",
                        change.table, change.column, change.rows, change.how
                    );
                }
            }
            println!(
                "retention {}: {} cohort(s), {} value(s) {verb}",
                if dry_run { "dry run" } else { "run" },
                run.cohorts.len(),
                run.rows()
            );
            Ok(())
        }
        Some(Command::Seed { dir }) => {
            let pool = db::connect(&cli.database)?;
            migrate(&pool)?;
            let files = match &dir {
                Some(dir) => crate::seed::files_in(dir)?,
                None => crate::seed::embedded_files(),
            };
            let mut conn = pool.get()?;
            let reports =
                crate::seed::run(&mut conn, &files, false, &mut |report| println!("{report}"))?.unwrap_or_default();
            let created: usize = reports.iter().map(|r| r.created).sum();
            let updated: usize = reports.iter().map(|r| r.updated).sum();
            println!("seeded {} file(s): {created} created, {updated} updated", reports.len());
            Ok(())
        }
        Some(Command::Users(UsersCommand::Create {
            email,
            role,
            display_name,
            partner_id,
        })) => {
            let pool = db::connect(&cli.database)?;
            migrate(&pool)?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let new = crate::users::CreateUser {
                display_name: display_name.unwrap_or_else(|| email.clone()),
                email,
                role,
                partner_id: partner_id.map(crate::ids::PartnerId),
                password,
            };
            crate::users::bootstrap::check(&new)?;
            let hash = crate::auth::passwords::hash_now(&new.password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut conn = pool.get()?;
            let user = db::dialect::write_transaction(&mut conn, |conn| crate::users::User::create(conn, &new, hash))
                .map_err(|e| anyhow::anyhow!("cannot create the account: {e}"))?;
            println!("created account {} ({}) with id {}", user.email, user.role, user.id);
            Ok(())
        }
        None => unreachable!("parse() always picks a subcommand"),
    }
}

/// Apply pending migrations, logging each, then the upkeep they leave to Rust ([`crate::upkeep`]).
pub fn migrate(pool: &db::DbPool) -> anyhow::Result<()> {
    let mut conn = pool.get().context("no database connection for migrating")?;
    let applied = db::dialect::without_statement_timeout(&mut conn, |conn| {
        db::dialect::migration_locked(conn, |conn| {
            let applied = db::dialect::run_migrations(conn)?;
            crate::upkeep::run(conn)?;
            Ok(applied)
        })
    })?
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if applied.is_empty() {
        tracing::info!("database schema is current");
    }
    for version in applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(())
}

fn serve(database: DatabaseConfig, args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        http,
        auth,
        evaluations,
        pages,
        mail,
        reminders,
        costs,
        seed,
    } = args;
    let pool = db::connect(&database)?;
    migrate(&pool)?;
    let reconverted = db::dialect::write_transaction(&mut *pool.get()?, |conn| {
        crate::costs::conversion::use_reporting_currency(conn, costs.reporting_currency)
    })
    .map_err(|e| anyhow::anyhow!("cannot convert the costs to {}: {e}", costs.reporting_currency))?;
    if reconverted > 0 {
        tracing::info!(reconverted, currency = %costs.reporting_currency, "costs converted to the new reporting currency");
    }
    if seed.seed_on_start {
        let mut conn = pool.get()?;
        let seeded = crate::seed::run(&mut conn, &crate::seed::embedded_files(), true, &mut |report| {
            tracing::info!("{report}");
        })?;
        if seeded.is_some() {
            tracing::info!("loaded the seed data into a new database (TPMS_SEED_ON_START=false starts empty)");
        }
    }
    let first_admin = crate::users::bootstrap::ensure_first_admin(
        &pool,
        auth.admin_email.as_deref(),
        auth.admin_password.as_ref().map(|s| s.0.as_str()),
    )?;
    if let crate::users::bootstrap::FirstAdmin::Configured(email) = &first_admin {
        tracing::info!(%email, "created the first admin from TPMS_ADMIN_EMAIL");
    }
    let listener =
        TcpListener::bind(http.bind).with_context(|| format!("cannot listen on {} (TPMS_BIND / --bind)", http.bind))?;
    tracing::info!(address = %http.bind, database = %database.database_url, "serving TPMS; API docs at /docs");
    if let crate::users::bootstrap::FirstAdmin::Generated { email, password } = &first_admin {
        // Printed once, to the console only (never logged or stored in clear), and last, once
        // the server listens, so that no later line of the start scrolls it away.
        let rule = "=".repeat(78);
        eprintln!(
            "\n{rule}\n  FIRST START: the admin account was created. Keep this password; it is shown only once.\n\n      \
             email:    {email}\n      password: {password}\n\n  Sign in at http://{}/docs (Authorize) or POST \
             /api/v1/auth/login, then change it with POST /api/v1/auth/password.\n  Or make your own admin: echo \
             'a long password' | cargo run --release -- users create --email you@example.org --role admin\n{rule}\n",
            http.bind
        );
    }
    let config = AppConfig {
        http,
        auth,
        evaluations,
        pages,
        mail,
        reminders,
        costs,
    };
    actix_web::rt::System::new().block_on(async move {
        crate::app::serve(listener, Db::new(pool, &database)?, config)?
            .await
            .context("server failed")
    })?;
    tracing::info!("stopped");
    Ok(())
}
