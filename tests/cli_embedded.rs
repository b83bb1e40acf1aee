//! The `postgate` binary on its embedded default, with no database server and no Redis: the
//! SQLite file is made in the data directory on first start and shown by `check-config`; a
//! second process on the same file is refused with the holder's name and the way to share a
//! queue; an unknown `DATABASE_URL` scheme stops it with exit code 2 naming the variable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const VALID: [(&str, &str); 3] =
    [("BOT_TOKEN", "123:abc"), ("MODERATION_GROUP_ID", "-100123"), ("CHANNEL_ID", "-100456")];

/// `postgate ARGS` in `home` with only `PATH`, `HOME`, `LOG_DIR` and `env` (no `DATABASE_URL` or
/// `REDIS_URL` unless given).
fn command(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postgate"));
    cmd.args(args)
        .current_dir(home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LOG_DIR", home.join("logs"))
        .envs(VALID);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(home, args, env).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn with_no_database_url_the_data_lives_in_a_file_in_the_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["check-config"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = home.path().join(".local/share/postgate/postgate.db");
    assert_eq!(config["database"]["url"], format!("sqlite://{}", file.display()), "{config}");

    let out = run(home.path(), &["migrate"], &[]);
    assert!(out.status.success(), "migrate on the embedded default: {}", stderr(&out));
    assert!(file.exists(), "the database file is created on first start");
    let xdg = home.path().join("xdg-data");
    let out = run(home.path(), &["migrate"], &[("XDG_DATA_HOME", xdg.to_str().unwrap())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(xdg.join("postgate/postgate.db").exists(), "XDG_DATA_HOME is honoured");
}

#[test]
fn a_second_process_on_the_same_file_is_refused_naming_the_holder() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("queue.db");
    let url = format!("sqlite://{}", db.display());
    // The first holds the file while it serves (its Telegram is unreachable: it keeps retrying).
    let mut first = command(
        home.path(),
        &["serve"],
        &[("DATABASE_URL", &url), ("TELEGRAM_API_URL", "http://127.0.0.1:9/"), ("LOG_DIR", "logs1")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let lock = home.path().join("queue.db.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("since")) {
        assert!(Instant::now() < deadline, "the first process never took the file");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run(home.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    let _ = first.kill();
    let _ = first.wait();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("DATABASE_URL"), "names the variable: {err}");
    assert!(err.contains(&format!("pid {}", first.id())), "names the holder: {err}");
    assert!(err.contains("PostgreSQL"), "says how several consoles share a queue: {err}");

    let out = run(home.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    assert!(out.status.success(), "free again once the holder is gone: {}", stderr(&out));
}

#[test]
fn an_unknown_database_scheme_stops_with_code_2_naming_the_variable() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["check-config"], &[("DATABASE_URL", "mysql://root@localhost/postgate")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("DATABASE_URL") && err.contains("sqlite://"), "{err}");
}

/// Issue #14 (11) on the embedded store: `postgate import bans` reports an over-long line and a
/// NUL byte with their line numbers (exit code 3) and imports the other lines.
#[test]
fn import_reports_an_over_long_line_and_a_nul_byte_by_line_and_imports_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("hostile.csv");
    let mut bytes = b"user_id,reason\n21,first\n22,has a \0 byte\n23,".to_vec();
    bytes.extend(std::iter::repeat_n(b'y', 100_000));
    bytes.extend_from_slice(b"\n24,last\n");
    std::fs::write(&file, bytes).unwrap();
    let out = run(home.path(), &["import", "bans", file.to_str().unwrap()], &[]);
    let (stdout, err) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "stdout:\n{stdout}\nstderr:\n{err}");
    assert!(stdout.contains("imported 2 of 4 data lines: 2 new bans, 0 already present, 2 malformed"), "{stdout}");
    let shown = file.display().to_string();
    assert!(err.contains(&format!("{shown}:3: contains a NUL byte")), "{err}");
    assert!(err.contains(&format!("{shown}:4: line longer than 8192 bytes")), "{err}");
    assert!(err.len() < 10_000, "the long line is not echoed: {} bytes", err.len());
    let again = run(home.path(), &["import", "bans", file.to_str().unwrap()], &[]);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.contains("0 new bans, 2 already present"), "the two good lines were stored: {again}");
}
