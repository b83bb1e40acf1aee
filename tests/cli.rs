//! The `postgate` binary's configuration handling (seed 18): run with a clean environment in an
//! empty directory, a missing or malformed variable or an unreachable database stops it with
//! exit code 2 and a message naming the variable; `.env` is read; `check-config` hides secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const VALID: [(&str, &str); 3] =
    [("BOT_TOKEN", "123:abc"), ("MODERATION_GROUP_ID", "-100123"), ("CHANNEL_ID", "-100456")];

/// Runs `postgate ARGS` in `cwd` with only PATH, `LOG_DIR` (inside `cwd`) and `env`.
fn postgate(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postgate"));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LOG_DIR", cwd.join("logs"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn env_without(var: &str) -> Vec<(&'static str, &'static str)> {
    VALID.into_iter().filter(|(k, _)| *k != var).collect()
}

fn env_with(var: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut env = env_without(var);
    env.push((var, value));
    env
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn seed_18_a_missing_moderation_group_id_stops_with_code_2_and_names_it() {
    let cwd = tempfile::tempdir().unwrap();
    for command in [&["check-config"][..], &["migrate"], &["serve"]] {
        let out = postgate(cwd.path(), command, &env_without("MODERATION_GROUP_ID"));
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("MODERATION_GROUP_ID"), "{command:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    }
}

#[test]
fn seed_18_a_malformed_variable_stops_with_code_2_and_names_it() {
    let cwd = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 6] = [
        ("MODERATION_GROUP_ID", "abc"),
        ("MODERATION_GROUP_ID", "100123"), // a group id is negative
        ("BOT_TOKEN", "not-a-token"),
        ("CHANNEL_ID", "@x"),
        ("DB_MAX_CONNECTIONS", "0"),
        ("DATABASE_URL", "mysql://localhost/x"),
    ];
    for (var, value) in cases {
        let out = postgate(cwd.path(), &["check-config"], &env_with(var, value));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(var), "{var}={value}: the message names the variable: {err}");
        assert!(err.contains("malformed"), "{var}={value}: {err}");
    }
    // The secret itself is never echoed back.
    let out = postgate(cwd.path(), &["check-config"], &env_with("BOT_TOKEN", "123:abc def"));
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("abc def"), "{}", stderr(&out));
}

#[test]
fn seed_18_an_unreachable_database_stops_with_code_2_naming_database_url() {
    let cwd = tempfile::tempdir().unwrap();
    let mut env = VALID.to_vec();
    env.push(("DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:1/postgate"));
    env.push(("DB_ACQUIRE_TIMEOUT_SECS", "3"));
    let started = Instant::now();
    let out = postgate(cwd.path(), &["migrate"], &env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(!err.contains("hunter2"), "the password is masked: {err}");
    assert!(started.elapsed() < Duration::from_secs(20), "gave up in {:?}", started.elapsed());
}

#[test]
fn seed_18_check_config_prints_json_without_secrets() {
    let cwd = tempfile::tempdir().unwrap();
    let mut env = VALID.to_vec();
    env.push(("DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:5432/postgate"));
    env.push(("MODERATOR_IDS", "1, 2,3"));
    let out = postgate(cwd.path(), &["check-config"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert!(!stdout.contains("123:abc"), "the token leaked: {stdout}");
    assert!(!stdout.contains("hunter2"), "the database password leaked: {stdout}");
    assert_eq!(json["telegram"]["bot_token"], "***");
    assert_eq!(json["telegram"]["moderation_group_id"], -100_123);
    assert_eq!(json["telegram"]["channel"], -100_456);
    assert_eq!(json["telegram"]["moderator_ids"], serde_json::json!([1, 2, 3]));
    assert_eq!(json["default_locale"], "ru");
}

#[test]
fn seed_18_dotenv_in_the_working_directory_is_read() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join(".env"), "# local settings\nMODERATION_GROUP_ID=-100777\nDEFAULT_LOCALE=en\n")
        .unwrap();
    let out = postgate(cwd.path(), &["check-config"], &env_without("MODERATION_GROUP_ID"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["telegram"]["moderation_group_id"], -100_777);
    assert_eq!(json["default_locale"], "en");

    // The process environment wins over .env; a malformed .env value is still named.
    let out = postgate(cwd.path(), &["check-config"], &VALID);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["telegram"]["moderation_group_id"], -100_123);
    std::fs::write(cwd.path().join(".env"), "MODERATION_GROUP_ID=abc\n").unwrap();
    let out = postgate(cwd.path(), &["check-config"], &env_without("MODERATION_GROUP_ID"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("MODERATION_GROUP_ID"), "{}", stderr(&out));
}

/// Issue #14 (9): a password given as `?password=` (libpq's form) is masked like one in the
/// user part, by `check-config` and by the start-up error of an unreachable database.
#[test]
fn a_password_in_the_query_is_masked_by_check_config_and_start_up_errors() {
    let cwd = tempfile::tempdir().unwrap();
    let mut env = VALID.to_vec();
    env.push(("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgate?sslmode=disable&password=hunter2"));
    env.push(("REDIS_URL", "redis://127.0.0.1:1/0?password=redissecret"));
    env.push(("DB_ACQUIRE_TIMEOUT_SECS", "3"));
    let out = postgate(cwd.path(), &["check-config"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("hunter2") && !stdout.contains("redissecret"), "a password leaked: {stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["database"]["url"], "postgres://postgres@127.0.0.1:1/postgate?sslmode=disable&password=***");

    let out = postgate(cwd.path(), &["migrate"], &env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("DATABASE_URL") && err.contains("password=***"), "{err}");
    assert!(!err.contains("hunter2"), "the password is masked: {err}");

    // A malformed URL is named but never echoed.
    let bad = [("DATABASE_URL", "postgres://postgres@127.0.0.1:x/postgate?password=hunter2")];
    let out = postgate(cwd.path(), &["check-config"], &[VALID.as_slice(), bad.as_slice()].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
}
