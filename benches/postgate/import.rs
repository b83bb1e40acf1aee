//! Row 2, bulk import: `postgate import bans FILE` (the release binary) on a 1 000 000-line
//! file into a fresh database, against `psql \copy` of the same file into a table shaped like
//! `bans` (same key) in the same database, in the same run; a re-import and a keyless `\copy`
//! are printed for reference. The same import into a SQLite file, beside a prepared
//! single-row `INSERT` loop in one transaction on a SQLite file (the plain way to load it).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::common::{self, Row, Table};
use crate::sqlite::{self, Backend};

const LINES: u64 = 1_000_000;
const TARGET_RATIO: f64 = 0.70;
const SQLITE_TARGET: f64 = 200_000.0;

fn section(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "2 import (PostgreSQL)",
        Backend::Sqlite => "2 import (SQLite)",
    }
}

fn write_file(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for id in 1..=LINES {
        writeln!(out, "{},spam wave {}", id * 7 + 1_000_000, id % 97).unwrap();
    }
    out.flush().unwrap();
}

fn timed(cmd: &mut Command) -> (Duration, String) {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    (took, text.trim().to_owned())
}

/// `psql \copy` of the file into a new table `name` created by `create`; returns the time.
fn raw_copy(db_url: &str, file: &Path, name: &str, create: &str) -> Duration {
    timed(Command::new("psql").args(["-qX", "-v", "ON_ERROR_STOP=1", db_url, "-c", create]));
    let copy_sql = format!("\\copy {name} (user_id, reason) FROM '{}' (FORMAT csv)", file.display());
    let (took, _) = timed(Command::new("psql").args(["-qX", "-v", "ON_ERROR_STOP=1", db_url, "-c", &copy_sql]));
    assert_eq!(u64::try_from(psql_scalar(db_url, &format!("SELECT count(*) FROM {name}"))).unwrap(), LINES);
    took
}

pub async fn run(table: &mut Table) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bans.csv");
    write_file(&file);
    let first = table.len();
    postgres(table, dir.path(), &file).await;
    let second = table.len();
    embedded(table, &file).await;
    table.interleave(first, second);
}

async fn postgres(table: &mut Table, dir: &Path, file: &Path) {
    let (db_name, db_url) = common::fresh_database("import").await;
    let env = common::bot_env(&db_url, "http://127.0.0.1:9/", dir, &db_name);
    let bin = env!("CARGO_BIN_EXE_postgate");
    // Migrations first, so the timed run is the import alone (plus process start).
    timed(Command::new(bin).arg("migrate").envs(env.iter().cloned()));

    // Like for like: a table shaped as `bans` (same primary key and defaults), raw COPY.
    let copy = raw_copy(&db_url, file, "copy_like_bans", "CREATE TABLE copy_like_bans (LIKE bans INCLUDING ALL)");
    let (import, report) = timed(Command::new(bin).args(["import", "bans"]).arg(file).envs(env.iter().cloned()));
    println!("import: {report}");
    let stored: i64 = psql_scalar(&db_url, "SELECT count(*) FROM bans");
    assert_eq!(u64::try_from(stored).unwrap(), LINES, "bans stored");
    // The same file again: every row is already banned, nothing is written.
    let (again, report) = timed(Command::new(bin).args(["import", "bans"]).arg(file).envs(env.iter().cloned()));
    println!("import again: {report}");
    assert_eq!(psql_scalar(&db_url, "SELECT count(*) FROM bans"), stored, "a re-import adds nothing");
    // For reference: the cheapest possible load, into a table without any key.
    let keyless = raw_copy(
        &db_url,
        file,
        "copy_keyless",
        "CREATE TABLE copy_keyless (user_id BIGINT NOT NULL, reason TEXT NOT NULL)",
    );

    let rate = |d: Duration| LINES as f64 / d.as_secs_f64();
    let secs = |d: Duration| format!("{:.2} s, {:.0} rows/s", d.as_secs_f64(), rate(d));
    let ratio = rate(import) / rate(copy);
    table.push(Row {
        section: section(Backend::Postgres),
        name: "baseline: psql \\copy into a table like bans (same key; 1 000 000 lines)".into(),
        value: secs(copy),
        baseline: "-".into(),
        ratio: "1×".into(),
        target: "-".into(),
        met: None,
    });
    table.push(Row {
        section: section(Backend::Postgres),
        name: "postgate import bans (1 000 000 lines, fresh db)".into(),
        value: secs(import),
        baseline: format!("\\copy: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", ratio * 100.0),
        target: "≥ 70% of \\copy".into(),
        met: Some(ratio >= TARGET_RATIO),
    });
    table.push(Row {
        section: section(Backend::Postgres),
        name: "postgate import bans, same file again (all already banned)".into(),
        value: secs(again),
        baseline: format!("\\copy: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", rate(again) / rate(copy) * 100.0),
        target: "-".into(),
        met: None,
    });
    table.push(Row {
        section: section(Backend::Postgres),
        name: "reference: psql \\copy into a table without a key".into(),
        value: secs(keyless),
        baseline: format!("\\copy like bans: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", rate(keyless) / rate(copy) * 100.0),
        target: "-".into(),
        met: None,
    });
    common::drop_database(&db_name).await;
}

/// `postgate import bans FILE` into a fresh, migrated SQLite file (process start + import; no
/// Redis), beside the prepared `INSERT` loop on a file of its own; counts read-only after.
async fn embedded(table: &mut Table, file: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = sqlite::database(dir.path());
    let env = sqlite::bot_env(&url, "http://127.0.0.1:9/", dir.path(), "import-sqlite");
    let bin = env!("CARGO_BIN_EXE_postgate");
    timed(Command::new(bin).arg("migrate").envs(env.iter().cloned()));
    let (looped, looped_rows) = sqlite::insert_loop_bans(&dir.path().join("baseline.db"), file).await;
    assert_eq!(u64::try_from(looped_rows).unwrap(), LINES, "baseline rows");
    let (import, report) = timed(Command::new(bin).args(["import", "bans"]).arg(file).envs(env.iter().cloned()));
    println!("import (SQLite): {report}");
    let count = || async {
        let mut conn = sqlite::read_only(&path).await;
        let n = sqlite::scalar(&mut conn, "SELECT count(*) FROM bans").await;
        conn.close().await.unwrap();
        n
    };
    let stored = count().await;
    assert_eq!(u64::try_from(stored).unwrap(), LINES, "bans stored (SQLite)");
    let (again, report) = timed(Command::new(bin).args(["import", "bans"]).arg(file).envs(env.iter().cloned()));
    println!("import again (SQLite): {report}");
    assert_eq!(count().await, stored, "a re-import adds nothing (SQLite)");

    let rate = |d: Duration| LINES as f64 / d.as_secs_f64();
    let secs = |d: Duration| format!("{:.2} s, {:.0} rows/s", d.as_secs_f64(), rate(d));
    let base = format!("INSERT loop: {:.0} rows/s", rate(looped));
    table.push(Row {
        section: section(Backend::Sqlite),
        name: "baseline: prepared single-row INSERT loop, one transaction, into a table like bans (same key; 1 000 000 lines)"
            .into(),
        value: secs(looped),
        baseline: "-".into(),
        ratio: "1×".into(),
        target: "-".into(),
        met: None,
    });
    table.push(Row {
        section: section(Backend::Sqlite),
        name: "postgate import bans (1 000 000 lines, fresh file)".into(),
        value: secs(import),
        baseline: base.clone(),
        ratio: format!("{:.0}%", rate(import) / rate(looped) * 100.0),
        target: "≥ 200 000 rows/s".into(),
        met: Some(rate(import) >= SQLITE_TARGET),
    });
    table.push(Row {
        section: section(Backend::Sqlite),
        name: "postgate import bans, same file again (all already banned)".into(),
        value: secs(again),
        baseline: base,
        ratio: format!("{:.0}%", rate(again) / rate(looped) * 100.0),
        target: "-".into(),
        met: None,
    });
}

fn psql_scalar(db_url: &str, sql: &str) -> i64 {
    let (_, out) = timed(Command::new("psql").args(["-qXtA", db_url, "-c", sql]));
    out.parse().unwrap()
}
