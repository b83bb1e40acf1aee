//! The `postgate` command line: `serve`, `setup`, `migrate`, `check-config`, `import bans FILE`,
//! `migrate-data --from sqlite://PATH --to postgres://…`, `export`, `backup`, `restore`
//! (the last three in [`crate::archive::cli`]).
//!
//! Exit codes: 0 success, 1 a failure while running, 2 bad configuration or a dependency that
//! cannot be reached at start (the message names the variable to fix).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, DatabaseConfig};
use crate::runtime::{Runtime, RuntimeError};
use crate::services::Services;
use crate::store::migrate_data::MigrateDataError;
use crate::telemetry;

#[derive(Parser)]
#[command(name = "postgate", version, about = "PostGate: Telegram submissions bot and moderation core")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run headless until SIGINT/SIGTERM.
    Serve,
    /// Set the bot up step by step (token, moderation group, channel) and write the settings.
    Setup {
        /// The file to write (merged: other lines are kept).
        #[arg(long, value_name = "PATH", default_value = ".env")]
        out: PathBuf,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets masked) and exit.
    CheckConfig,
    /// Bulk-import data from a file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Move a SQLite installation into an empty PostgreSQL database (created if missing).
    MigrateData {
        /// The SQLite database to move; no console may be running on it meanwhile.
        #[arg(long, value_name = "sqlite://PATH")]
        from: String,
        /// The PostgreSQL database to fill: created when missing, refused when not empty.
        #[arg(long, value_name = "postgres://…")]
        to: String,
    },
    /// Write the posts or the decision log of a range of days (UTC) as CSV (UTF-8 with BOM).
    Export {
        what: crate::archive::cli::ExportWhat,
        /// The first day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// The last day (included), YYYY-MM-DD; at most a year after --from.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
        /// The file to write (replaced only once the new one is whole).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Take a consistent backup of the database (also while the bot runs) and verify it.
    Backup {
        /// A file, or a folder to put `postgate-YYYYMMDD-HHMMSS.*` in (default: this folder).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Restore a backup into the configured database, which must be empty.
    Restore { path: PathBuf },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// A ban list: one `user_id[,reason]` per line.
    Bans { file: PathBuf },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::MigrateData { from, to } = &cli.command {
        return migrate_data(from, to);
    }
    if let Command::Setup { out } = &cli.command {
        return setup(out);
    }
    match &cli.command {
        Command::Export { what, from, to, out } => return crate::archive::cli::export(*what, from, to, out),
        Command::Backup { out } => return crate::archive::cli::backup(out.as_deref()),
        Command::Restore { path } => return crate::archive::cli::restore(path),
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) if crate::setup::needed(&e) => {
            return fail(
                2,
                &format!(
                    "{e}\nThe bot is not set up yet: run `postgate setup` (it writes .env), or set it in .env by hand"
                ),
            );
        }
        Err(e) => return fail(2, &e),
    };
    if matches!(cli.command, Command::CheckConfig) {
        return match serde_json::to_string_pretty(&config) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, &e),
        };
    }
    let guard = match telemetry::init(&config.log) {
        Ok(g) => g,
        Err(e) => return fail(2, &e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(1, &e),
    };
    let code = runtime.block_on(run(cli.command, config));
    drop(runtime);
    drop(guard); // flushes the file log last
    code
}

pub(crate) fn fail(code: u8, error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("postgate: {error}");
    tracing::error!(error = %error, "postgate stopped");
    ExitCode::from(code)
}

async fn run(command: Command, config: Config) -> ExitCode {
    // Before anything slow: a SIGTERM during start-up then ends in a clean shutdown.
    let mut signals = match crate::Signals::register() {
        Ok(s) => s,
        Err(e) => return fail(1, &e),
    };
    let services = match Services::build(config).await {
        Ok(s) => s,
        Err(e) => return fail(2, &e),
    };
    let code = match command {
        Command::Migrate => {
            tracing::info!("migrations applied");
            ExitCode::SUCCESS
        }
        Command::Serve => serve(&services, &mut signals).await,
        Command::Import { what: ImportWhat::Bans { file } } => import_bans(&services, &file).await,
        Command::CheckConfig
        | Command::MigrateData { .. }
        | Command::Setup { .. }
        | Command::Export { .. }
        | Command::Backup { .. }
        | Command::Restore { .. } => ExitCode::SUCCESS,
    };
    services.close().await;
    code
}

/// Runs the bot until a signal. When another instance polls this token, waits as a standby
/// and takes over when the lock frees.
async fn serve(services: &Services, signals: &mut crate::Signals) -> ExitCode {
    let runtime = match Runtime::new(services.clone()) {
        Ok(r) => r,
        Err(e) => return fail(2, &e),
    };
    loop {
        match runtime.start().await {
            Ok(()) => break,
            Err(RuntimeError::HeldElsewhere { .. }) => {}
            Err(e) => return fail(1, &e),
        }
        tokio::select! {
            name = signals.recv() => return stopped(name),
            () = tokio::time::sleep(STANDBY_RETRY) => {}
        }
    }
    tracing::info!("postgate serve: ready");
    let name = loop {
        match signals.next().await {
            crate::signal::SignalEvent::Shutdown(name) => break name,
            crate::signal::SignalEvent::Stats => services.metrics.log_summary("bot counters (SIGUSR1)"),
        }
    };
    tracing::info!(signal = name, "shutting down: stopping intake, draining in-flight work");
    runtime.stop().await;
    stopped(name)
}

const STANDBY_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

fn stopped(signal: &'static str) -> ExitCode {
    tracing::info!(signal, "stopped cleanly");
    ExitCode::SUCCESS
}

async fn import_bans(services: &Services, file: &std::path::Path) -> ExitCode {
    match crate::import::import_bans_file(services.store.as_ref(), file).await {
        Ok(report) => {
            for m in &report.malformed {
                eprintln!("{}:{}: {}", file.display(), m.line, m.problem);
            }
            println!(
                "imported {} of {} data lines: {} new bans, {} already present, {} malformed",
                report.valid,
                report.data_lines,
                report.counts.inserted,
                report.counts.skipped_existing,
                report.malformed.len()
            );
            if report.malformed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) }
        }
        Err(e) => fail(1, &e),
    }
}

/// `migrate-data` needs no bot configuration: only the two databases its flags name.
fn migrate_data(from: &str, to: &str) -> ExitCode {
    dotenvy::dotenv().ok();
    let database = |flag: &str, url: &str| {
        DatabaseConfig::from_url(url).map_err(|e| match e {
            ConfigError::Invalid { expected, got, .. } => {
                format!("{flag} is malformed: expected {expected}, got {got}")
            }
            ConfigError::Missing { .. } => format!("{flag}: {e}"),
        })
    };
    let (from, to) = match (database("--from", from), database("--to", to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return fail(2, &e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(1, &e),
    };
    let bar = progress_bar();
    let result = runtime.block_on(crate::store::migrate_data::migrate_data(&from, &to, |p| {
        bar.set_length(p.total);
        bar.set_position(p.copied);
        bar.set_message(p.table);
    }));
    bar.finish_and_clear();
    match result {
        Ok(counts) => {
            for (table, rows) in &counts.tables {
                println!("{table:<15} {rows:>10}");
            }
            println!("{:<15} {:>10} rows copied into {}", "total", counts.total(), to.url);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let flag = match e {
                MigrateDataError::SourceNotSqlite(_)
                | MigrateDataError::SourceMissing(_)
                | MigrateDataError::Source(_) => "--from: ",
                MigrateDataError::TargetNotPostgres(_)
                | MigrateDataError::Target(_)
                | MigrateDataError::TargetNotEmpty(_) => "--to: ",
                MigrateDataError::Schema(_) | MigrateDataError::Copy(_) => "",
            };
            fail(if e.is_setup() { 2 } else { 1 }, &format!("{flag}{e}"))
        }
    }
}

/// A bar on stderr while rows are copied; nothing when stderr is not a terminal (logs, pipes).
pub(crate) fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>14} [{bar:40}] {human_pos}/{human_len} rows, {per_sec}, {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `postgate setup`: needs no configuration but the Telegram endpoint (and `DEFAULT_LOCALE`
/// for the bot's answers in the group).
fn setup(out: &std::path::Path) -> ExitCode {
    dotenvy::dotenv().ok();
    let endpoint = match crate::config::Endpoint::from_lookup(|k| std::env::var(k).ok()) {
        Ok(e) => e,
        Err(e) => return fail(2, &e),
    };
    let locale = std::env::var("DEFAULT_LOCALE").ok().filter(|l| crate::i18n::AVAILABLE.contains(&l.as_str()));
    let i18n = match crate::i18n::I18n::new(locale.as_deref().unwrap_or(crate::i18n::FALLBACK)) {
        Ok(i) => i,
        Err(e) => return fail(1, &e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(1, &e),
    };
    match runtime.block_on(crate::setup::terminal::run(&endpoint, i18n, out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &e),
    }
}
