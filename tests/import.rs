//! Bulk import of ban lists (seed 11): 200 000 rows arrive exactly, malformed lines are reported
//! with their line numbers, a second run inserts nothing, and the `postgate import bans` binary
//! reports the same with exit code 3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::count;
use postgate::import::import_bans_file;
use postgate::store::postgres::PgStore;
use sqlx::PgPool;

const VALID: u64 = 200_000;

/// A ban list of `VALID` good rows (ids 1..=VALID) with comments, blanks, a header and a few
/// malformed lines. Returns the 1-based line numbers of the malformed lines.
fn write_ban_list(path: &Path) -> Vec<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut line = 0u64;
    let mut malformed = Vec::new();
    let mut emit = |out: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8], bad: bool| {
        line += 1;
        out.write_all(bytes).unwrap();
        out.write_all(b"\n").unwrap();
        if bad {
            malformed.push(line);
        }
    };
    emit(&mut out, b"# exported ban list", false);
    emit(&mut out, b"user_id,reason", false);
    emit(&mut out, b"", false);
    for id in 1..=VALID {
        let row = match id {
            5 => "5, spam, again and again".to_owned(),
            6 => "6,he said \"buy\" twice".to_owned(),
            7 => "7".to_owned(),
            _ => format!("{id},spam {id}"),
        };
        emit(&mut out, row.as_bytes(), false);
        match id {
            10 => emit(&mut out, b"abc,not a number", true),
            1_000 => emit(&mut out, b"-42,negative id", true),
            50_000 => emit(&mut out, b"0,zero is not a user", true),
            100_000 => emit(&mut out, format!("99999999,{}", "x".repeat(1001)).as_bytes(), true),
            150_000 => emit(&mut out, b"12345,caf\xe9 latin-1", true),
            150_001 => emit(&mut out, b"# a comment in the middle", false),
            199_999 => emit(&mut out, b"   ", false),
            _ => {}
        }
    }
    emit(&mut out, b"99999999999999999999,too big for bigint", true);
    out.flush().unwrap();
    malformed
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_11_a_large_ban_list_arrives_exactly_and_reimports_as_no_op(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bans.csv");
    let malformed = write_ban_list(&file);
    assert_eq!(malformed.len(), 6);
    let store = PgStore::from_pool(pool.clone());

    let report = import_bans_file(&store, &file).await.unwrap();
    assert_eq!(report.valid, VALID);
    assert_eq!(report.data_lines, VALID + malformed.len() as u64);
    assert_eq!(report.malformed.iter().map(|m| m.line).collect::<Vec<_>>(), malformed);
    assert!(report.malformed[0].problem.contains("abc"), "{:?}", report.malformed[0]);
    assert!(report.malformed[3].problem.contains("longer than"), "{:?}", report.malformed[3]);
    assert!(report.malformed[4].problem.contains("UTF-8"), "{:?}", report.malformed[4]);
    assert_eq!((report.counts.received, report.counts.inserted, report.counts.skipped_existing), (VALID, VALID, 0));
    assert_eq!(u64::try_from(count(&pool, "bans").await).unwrap(), VALID, "every valid row is in the table");
    let (min, max): (i64, i64) =
        sqlx::query_as("SELECT min(user_id), max(user_id) FROM bans").fetch_one(&pool).await.unwrap();
    assert_eq!((min, max), (1, 200_000));

    // Reasons arrive intact through COPY (commas, quotes, none at all).
    let reason = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT reason FROM bans WHERE user_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(reason(5).await, "spam, again and again");
    assert_eq!(reason(6).await, "he said \"buy\" twice");
    assert_eq!(reason(7).await, "");
    assert_eq!(reason(123_456).await, "spam 123456");
    let banned_by_nobody: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bans WHERE banned_by IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(u64::try_from(banned_by_nobody).unwrap(), VALID);

    // The same file again: everything is already there.
    let again = import_bans_file(&store, &file).await.unwrap();
    assert_eq!(again.valid, VALID);
    assert_eq!((again.counts.received, again.counts.inserted, again.counts.skipped_existing), (VALID, 0, VALID));
    assert_eq!(u64::try_from(count(&pool, "bans").await).unwrap(), VALID);
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_11_the_import_command_reports_counts_and_exits_3_on_malformed_lines(pool: PgPool) {
    let url = common::url_of(&pool).await;
    // Two bans exist already; the file repeats one of them.
    sqlx::query("INSERT INTO bans (user_id, reason) VALUES (1, 'old'), (500, 'old')").execute(&pool).await.unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let file = cwd.path().join("list.txt");
    let mut text = String::from("user_id,reason\n");
    for id in 1..=300 {
        writeln!(text, "{id},reason {id}").unwrap();
    }
    text.push_str("oops,bad\n-1,neg\n");
    std::fs::write(&file, text).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_postgate"))
        .args(["import", "bans"])
        .arg(&file)
        .current_dir(cwd.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BOT_TOKEN", "123:abc")
        .env("MODERATION_GROUP_ID", "-100123")
        .env("CHANNEL_ID", "-100456")
        .env("DATABASE_URL", &url)
        .env("REDIS_URL", std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into()))
        .env("LOG_DIR", cwd.path().join("logs"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let summary = stdout.lines().find(|l| l.starts_with("imported ")).unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert_eq!(summary, "imported 300 of 302 data lines: 299 new bans, 1 already present, 2 malformed");
    let shown = file.display().to_string();
    assert!(stderr.contains(&format!("{shown}:302:")), "line numbers count the header: {stderr}");
    assert!(stderr.contains(&format!("{shown}:303:")), "{stderr}");
    assert_eq!(count(&pool, "bans").await, 301);
    let kept: String = sqlx::query_scalar("SELECT reason FROM bans WHERE user_id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(kept, "old", "an existing ban is left as it was");
    // The run logged JSON lines to LOG_DIR.
    let logs: Vec<_> = std::fs::read_dir(cwd.path().join("logs")).unwrap().collect();
    assert!(!logs.is_empty(), "a log file was written");
}

#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn seed_11_a_spreadsheet_export_with_bom_and_crlf_imports_cleanly(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    std::fs::write(&file, "\u{feff}user_id,reason\r\n11,spam\r\n12,\"flood, twice\"\r\n13\r\n\r\n").unwrap();
    let store = PgStore::from_pool(pool.clone());
    let report = import_bans_file(&store, &file).await.unwrap();
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
    assert_eq!((report.data_lines, report.valid, report.counts.inserted), (3, 3, 3));
    let reasons: Vec<(i64, String)> =
        sqlx::query_as("SELECT user_id, reason FROM bans ORDER BY user_id").fetch_all(&pool).await.unwrap();
    assert_eq!(reasons, [(11, "spam".into()), (12, "flood, twice".into()), (13, String::new())]);
}

/// The ban list of issue #14 (11): a NUL byte on line 3 and a line of 100 000 bytes on line 4,
/// between good lines.
fn hostile_ban_list(path: &Path) {
    let mut bytes = b"user_id,reason\n21,first\n22,has a \0 byte\n23,".to_vec();
    bytes.extend(std::iter::repeat_n(b'y', 100_000));
    bytes.extend_from_slice(b"\n24,last\n");
    std::fs::write(path, bytes).unwrap();
}

/// Issue #14 (11), on PostgreSQL (whose text cannot hold NUL: one such line used to roll the
/// whole import back): an over-long line and a NUL byte are reported with their line numbers,
/// and the other lines are imported.
#[sqlx::test(migrator = "postgate::store::postgres::MIGRATOR")]
async fn an_over_long_line_and_a_nul_byte_are_reported_by_line_and_the_rest_imported(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.csv");
    hostile_ban_list(&file);
    let store = PgStore::from_pool(pool.clone());
    let report = import_bans_file(&store, &file).await.unwrap();
    let found: Vec<(u64, &str)> = report.malformed.iter().map(|m| (m.line, m.problem.as_str())).collect();
    assert_eq!(found, [(3, "contains a NUL byte"), (4, "line longer than 8192 bytes")]);
    assert_eq!((report.data_lines, report.valid, report.counts.inserted), (4, 2, 2));
    let ids: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM bans ORDER BY user_id").fetch_all(&pool).await.unwrap();
    assert_eq!(ids, [21, 24]);
}
