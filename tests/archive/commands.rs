//! The command line: `export`, `backup` and `restore` need only `DATABASE_URL`; bad input is
//! refused with exit 2 and a message naming what to fix; a backup taken by the command restores
//! by the command.

use std::process::{Command, Output};

use crate::{Backend, Db, on_both};

on_both!(the_commands_round_trip_and_refuse_bad_input);

fn postgate(db: &Db, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postgate"))
        .args(args)
        .current_dir(db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn the_commands_round_trip_and_refuse_bad_input(backend: Backend) {
    let source = Db::fresh(backend).await;
    let store = source.open().await;
    crate::installation::build(&store, 20).await;
    store.close().await;

    for (args, message) in [
        (["export", "posts", "--from", "2026-13-01", "--to", "2026-12-31"], "--from: \"2026-13-01\" is not a date"),
        (
            ["export", "log", "--from", "2024-01-01", "--to", "2026-01-01"],
            "spans 732 days; an export takes at most 366",
        ),
        (["export", "log", "--from", "2026-02-01", "--to", "2026-01-01"], "--from 2026-02-01 is after --to 2026-01-01"),
        (["export", "posts", "--from", "2001-01-01", "--to", "2001-01-02"], "no posts from 2001-01-01 to 2001-01-02"),
    ] {
        let out = postgate(&source, &[&args[..], &["--out", "x.csv"]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(message), "{args:?}: {}", text(&out.stderr));
        assert!(!source.file("x.csv").exists());
    }
    let today = chrono::Utc::now().date_naive().to_string();
    let out = postgate(&source, &["export", "posts", "--from", &today, "--to", &today, "--out", "posts.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("20 rows"), "{}", text(&out.stderr));

    let out = postgate(&source, &["backup", "--out", "."]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("verified"), "{stdout}");
    let name = std::fs::read_dir(source.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("postgate-"))
        .expect("the backup is named by its time");
    let backup = source.file(&name);

    let target = Db::fresh(backend).await;
    let out = postgate(&target, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|l| l.split_whitespace().eq(["posts", "20"])), "{stdout}");
    let again = postgate(&target, &["restore", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("the database is not empty"), "{}", text(&again.stderr));
    let missing = postgate(&target, &["restore", "/nonexistent/backup.db"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/backup.db"), "{}", text(&missing.stderr));
    source.dispose().await;
    target.dispose().await;
}
