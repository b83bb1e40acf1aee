//! `backup` and `restore`: an installation (posts, albums, decisions, bans, the log, the outbox
//! in every state) backed up, verified and restored into an empty database reads back the same,
//! with exact counts, new ids after the restored ones; a database that is not empty, a file cut
//! short, a damaged one and another program's file are refused, changing nothing.

use postgate::archive::backup::{BackupError, backup, restore};
use postgate::store::archive::ArchiveError;

use crate::installation::{build, snapshot};
use crate::{Backend, Db, on_both};

on_both!(an_installation_round_trips_exactly, bad_files_and_full_databases_are_refused);

async fn an_installation_round_trips_exactly(backend: Backend) {
    let source = Db::fresh(backend).await;
    let store = source.open().await;
    let ids = build(&store, 200).await;
    let before = snapshot(store.as_ref(), &ids).await;
    // Taken while the store is open (on SQLite, while this process holds the file's lock).
    let file = source.file("backup.bin");
    let report = backup(&source.config(), &file).await.unwrap();
    assert_eq!(report.path, file);
    assert_eq!(report.bytes, std::fs::metadata(&file).unwrap().len());
    assert_eq!(report.format, if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert_eq!(report.counts.rows("posts"), Some(200));
    assert_eq!(report.counts.rows("bans"), Some(3));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "private");
    }
    store.close().await;
    drop(store);

    let target = Db::fresh(backend).await;
    let counts = restore(&target.config(), &file).await.unwrap();
    assert_eq!(counts, report.counts, "exact counts");
    let restored = target.open().await;
    let after = snapshot(restored.as_ref(), &ids).await;
    assert_eq!(before.len(), after.len());
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{what} differs after the restore");
    }
    let max = ids.iter().map(|p| p.0).max().unwrap();
    let fresh = crate::common::text_post(1000, 99_999_999, "after the restore");
    let id = restored.submit(&fresh).await.unwrap().post_id().unwrap();
    assert!(id.0 > max, "new post {} after restored {max}", id.0);
    restored.close().await;
    source.dispose().await;
    target.dispose().await;
}

fn assert_refused(e: &BackupError, what: &str) {
    assert!(e.is_refusal(), "{what}: {e:?}");
    assert!(e.to_string().contains(what), "expected {what:?} in: {e}");
}

async fn bad_files_and_full_databases_are_refused(backend: Backend) {
    let source = Db::fresh(backend).await;
    let store = source.open().await;
    build(&store, 20).await;
    let file = source.file("backup.bin");
    backup(&source.config(), &file).await.unwrap();
    let bytes = std::fs::read(&file).unwrap();

    // Into a database that is not empty: the source itself.
    let before = source.total_rows().await;
    let full = restore(&source.config(), &file).await.unwrap_err();
    if backend == Backend::Sqlite {
        // The console holds the file: the restore says who.
        assert!(matches!(full, BackupError::Archive(ArchiveError::Store(_))), "{full:?}");
        assert!(full.to_string().contains("is in use by"), "{full}");
        store.close().await;
        let full = restore(&source.config(), &file).await.unwrap_err();
        assert_refused(&full, "the database is not empty (authors, moderators, bans, posts, media");
    } else {
        assert_refused(&full, "the database is not empty (authors, moderators, bans, posts, media");
        store.close().await;
    }
    assert_eq!(source.total_rows().await, before, "nothing was written");

    let target = Db::fresh(backend).await;
    let cut = source.file("cut.bin");
    let other = source.file("other.bin");
    let changed = source.file("changed.bin");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    std::fs::write(&other, b"\x89PNG\r\n\x1a\n not a backup").unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    std::fs::write(&changed, &flipped).unwrap();
    let empty = source.file("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let mut bad = vec![(&cut, "ends early"), (&other, "is not a PostGate backup"), (&empty, "ends early")];
    if backend == Backend::Postgres {
        // The app's format closes with a SHA-256; a SQLite file has no checksum of its rows
        // (`quick_check` finds broken structure, not a changed letter in a post).
        bad.push((&changed, "is damaged"));
    }
    for (path, what) in bad {
        let e = restore(&target.config(), path).await.unwrap_err();
        assert_refused(&e, what);
        assert_eq!(target.total_rows().await, 0, "{what}: nothing restored");
    }
    if backend == Backend::Sqlite {
        assert!(!target.file("postgate.db").exists(), "the target was not even created");
    }
    // A SQLite file that is not PostGate's.
    let foreign = source.file("foreign.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", foreign.display())).await.unwrap();
    sqlx::query("CREATE TABLE notes (t TEXT)").execute(&pool).await.unwrap();
    pool.close().await;
    let e = restore(&target.config(), &foreign).await.unwrap_err();
    assert_refused(&e, "is not a PostGate backup (a SQLite file without PostGate's migrations)");
    // The good file still restores.
    restore(&target.config(), &file).await.unwrap();
    assert_eq!(target.total_rows().await, before);
    source.dispose().await;
    target.dispose().await;
}
