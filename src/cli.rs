//! The command line: `tpms serve` (the default) and `tpms migrate`.

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::{AppConfig, DatabaseConfig, HttpConfig, LogConfig};
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
    Serve(HttpConfig),
    /// Apply pending database migrations and exit.
    Migrate,
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
        Some(Command::Serve(http)) => serve(cli.database, http),
        None => unreachable!("parse() always picks a subcommand"),
    }
}

/// Apply pending migrations, logging each.
pub fn migrate(pool: &db::DbPool) -> anyhow::Result<()> {
    let mut conn = pool.get().context("no database connection for migrating")?;
    let applied = db::dialect::run_migrations(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if applied.is_empty() {
        tracing::info!("database schema is current");
    }
    for version in applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(())
}

fn serve(database: DatabaseConfig, http: HttpConfig) -> anyhow::Result<()> {
    let pool = db::connect(&database)?;
    migrate(&pool)?;
    let listener =
        TcpListener::bind(http.bind).with_context(|| format!("cannot listen on {} (TPMS_BIND / --bind)", http.bind))?;
    tracing::info!(address = %http.bind, database = %database.database_url, "serving TPMS; API docs at /docs");
    let config = AppConfig { http };
    actix_web::rt::System::new().block_on(async move {
        crate::app::serve(listener, Db::new(pool), config)?
            .await
            .context("server failed")
    })?;
    tracing::info!("stopped");
    Ok(())
}
