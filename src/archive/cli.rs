//! The command-line faces of exports and backups: `postgate export`, `backup`, `restore`. They
//! need only the database (`DATABASE_URL`, or the embedded default), no bot configuration,
//! and run beside a console (a restore excepted: it needs the database to itself).
//!
//! Exit codes: 0 done, 1 failed while running, 2 refused (bad input, nothing to export, a
//! folder that cannot be written, a file that is no backup, a database that is not empty);
//! nothing is changed in either failing case.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::{fail, progress_bar};
use crate::config::DatabaseConfig;
use crate::store::archive::ExportKind;

/// What `postgate export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportWhat {
    /// Submissions, by the day they arrived.
    Posts,
    /// The decision log (every moderator action), by the day of the action.
    Log,
}

fn setup() -> Result<(DatabaseConfig, tokio::runtime::Runtime), ExitCode> {
    let config = DatabaseConfig::from_env().map_err(|e| fail(2, &e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| fail(1, &e))?;
    Ok((config, runtime))
}

/// `postgate export posts|log --from --to --out`.
pub fn export(what: ExportWhat, from: &str, to: &str, out: &Path) -> ExitCode {
    let range = match super::export::DayRange::parse(from, to) {
        Ok(r) => r,
        Err(e) => return fail(2, &e),
    };
    let (config, runtime) = match setup() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let kind = match what {
        ExportWhat::Posts => ExportKind::Posts,
        ExportWhat::Log => ExportKind::Log,
    };
    let bar = progress_bar();
    let shown = bar.clone();
    let progress = Arc::new(move |done, total| {
        shown.set_length(total);
        shown.set_position(done);
    });
    let result = runtime.block_on(super::export::export(&config, kind, range, out, progress));
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            eprintln!("{} rows, {} bytes written to {}", report.rows, report.bytes, report.path.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(if e.is_refusal() { 2 } else { 1 }, &e),
    }
}

/// `postgate backup [--out PATH]`.
pub fn backup(out: Option<&Path>) -> ExitCode {
    let (config, runtime) = match setup() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let out: PathBuf = super::backup::target(&config, out, chrono::Utc::now());
    match runtime.block_on(super::backup::backup(&config, &out)) {
        Ok(report) => {
            print_counts(&report.counts);
            println!(
                "backup of {} rows ({} bytes, {} format) written to {} and verified",
                report.counts.total(),
                report.bytes,
                report.format,
                report.path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(if e.is_refusal() { 2 } else { 1 }, &e),
    }
}

/// `postgate restore PATH`.
pub fn restore(path: &Path) -> ExitCode {
    let (config, runtime) = match setup() {
        Ok(s) => s,
        Err(code) => return code,
    };
    match runtime.block_on(super::backup::restore(&config, path)) {
        Ok(counts) => {
            print_counts(&counts);
            println!("{:<15} {:>10} rows restored into {}", "total", counts.total(), config.url.masked());
            ExitCode::SUCCESS
        }
        Err(e) => fail(if e.is_refusal() { 2 } else { 1 }, &e),
    }
}

fn print_counts(counts: &crate::store::archive::TableCounts) {
    for (table, rows) in &counts.tables {
        println!("{table:<15} {rows:>10}");
    }
}
