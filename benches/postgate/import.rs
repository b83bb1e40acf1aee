//! Row 2, bulk import: `postgate import bans FILE` (the release binary) on a 1 000 000-line
//! file into a fresh database, against `psql \copy` of the same file into a table shaped like
//! `bans` (same key) in the same database, in the same run; a re-import and a keyless `\copy`
//! are printed for reference.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{self, Row, Table};

const LINES: u64 = 1_000_000;
const TARGET_RATIO: f64 = 0.70;

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
    let (db_name, db_url) = common::fresh_database("import").await;
    let env = common::bot_env(&db_url, "http://127.0.0.1:9/", dir.path(), &db_name);
    let bin = env!("CARGO_BIN_EXE_postgate");
    // Migrations first, so the timed run is the import alone (plus process start).
    timed(Command::new(bin).arg("migrate").envs(env.iter().cloned()));

    // Like for like: a table shaped as `bans` (same primary key and defaults), raw COPY.
    let copy = raw_copy(&db_url, &file, "copy_like_bans", "CREATE TABLE copy_like_bans (LIKE bans INCLUDING ALL)");
    let (import, report) = timed(Command::new(bin).args(["import", "bans"]).arg(&file).envs(env.iter().cloned()));
    println!("import: {report}");
    let stored: i64 = psql_scalar(&db_url, "SELECT count(*) FROM bans");
    assert_eq!(u64::try_from(stored).unwrap(), LINES, "bans stored");
    // The same file again: every row is already banned, nothing is written.
    let (again, report) = timed(Command::new(bin).args(["import", "bans"]).arg(&file).envs(env.iter().cloned()));
    println!("import again: {report}");
    assert_eq!(psql_scalar(&db_url, "SELECT count(*) FROM bans"), stored, "a re-import adds nothing");
    // For reference: the cheapest possible load, into a table without any key.
    let keyless = raw_copy(
        &db_url,
        &file,
        "copy_keyless",
        "CREATE TABLE copy_keyless (user_id BIGINT NOT NULL, reason TEXT NOT NULL)",
    );

    let rate = |d: Duration| LINES as f64 / d.as_secs_f64();
    let secs = |d: Duration| format!("{:.2} s, {:.0} rows/s", d.as_secs_f64(), rate(d));
    let ratio = rate(import) / rate(copy);
    table.push(Row {
        section: "2 import",
        name: "baseline: psql \\copy into a table like bans (same key; 1 000 000 lines)".into(),
        value: secs(copy),
        baseline: "-".into(),
        ratio: "1×".into(),
        target: "-".into(),
        met: None,
    });
    table.push(Row {
        section: "2 import",
        name: "postgate import bans (1 000 000 lines, fresh db)".into(),
        value: secs(import),
        baseline: format!("\\copy: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", ratio * 100.0),
        target: "≥ 70% of \\copy".into(),
        met: Some(ratio >= TARGET_RATIO),
    });
    table.push(Row {
        section: "2 import",
        name: "postgate import bans, same file again (all already banned)".into(),
        value: secs(again),
        baseline: format!("\\copy: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", rate(again) / rate(copy) * 100.0),
        target: "-".into(),
        met: None,
    });
    table.push(Row {
        section: "2 import",
        name: "reference: psql \\copy into a table without a key".into(),
        value: secs(keyless),
        baseline: format!("\\copy like bans: {:.0} rows/s", rate(copy)),
        ratio: format!("{:.0}%", rate(keyless) / rate(copy) * 100.0),
        target: "-".into(),
        met: None,
    });
    common::drop_database(&db_name).await;
}

fn psql_scalar(db_url: &str, sql: &str) -> i64 {
    let (_, out) = timed(Command::new("psql").args(["-qXtA", db_url, "-c", sql]));
    out.parse().unwrap()
}
