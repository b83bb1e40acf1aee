//! `export posts|log`: the fixture's range exported byte for byte the same on both backends
//! (BOM, CRLF, quoting, Cyrillic, defused formulas, range edges to the microsecond); an empty
//! range and a folder that cannot be written refused, leaving no file and an old file as it was.

use std::sync::Arc;

use postgate::archive::export::{DayRange, ExportError, export};
use postgate::store::archive::ExportKind;

use crate::{Backend, Db, on_both};

on_both!(the_fixture_exports_byte_for_byte, an_empty_range_or_a_bad_folder_writes_nothing);

fn no_progress() -> postgate::archive::export::Progress {
    Arc::new(|_, _| {})
}

async fn fixture(backend: Backend) -> Db {
    let db = Db::fresh(backend).await;
    let store = db.open().await;
    store.close().await;
    drop(store);
    db.execute(include_str!("fixture.sql")).await;
    db
}

async fn the_fixture_exports_byte_for_byte(backend: Backend) {
    let db = fixture(backend).await;
    let range = DayRange::parse("2026-03-01", "2026-03-02").unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = {
        let seen = seen.clone();
        Arc::new(move |done, total| seen.lock().unwrap().push((done, total)))
    };
    let posts = db.file("posts.csv");
    let report = export(&db.config(), ExportKind::Posts, range, &posts, progress).await.unwrap();
    assert_eq!(report.rows, 3);
    assert_eq!(std::fs::read(&posts).unwrap(), include_bytes!("fixture_posts.csv"), "posts.csv on {backend:?}");
    assert_eq!(report.bytes, include_bytes!("fixture_posts.csv").len() as u64);
    assert_eq!(seen.lock().unwrap().last(), Some(&(3, 3)), "progress ends at the whole");

    let log = db.file("log.csv");
    let report = export(&db.config(), ExportKind::Log, range, &log, no_progress()).await.unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(std::fs::read(&log).unwrap(), include_bytes!("fixture_log.csv"), "log.csv on {backend:?}");
    // Only the export's files in the folder: no temporary file left behind.
    let mut names: Vec<String> =
        std::fs::read_dir(db.dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.retain(|n| !n.starts_with("postgate.db"));
    names.sort();
    assert_eq!(names, ["log.csv", "posts.csv"]);
    db.dispose().await;
}

async fn an_empty_range_or_a_bad_folder_writes_nothing(backend: Backend) {
    let db = fixture(backend).await;
    let out = db.file("old.csv");
    std::fs::write(&out, "an earlier export").unwrap();
    let quiet = DayRange::parse("2025-01-01", "2025-01-31").unwrap();
    let empty = export(&db.config(), ExportKind::Log, quiet, &out, no_progress()).await.unwrap_err();
    assert!(matches!(empty, ExportError::Empty { .. }), "{empty:?}");
    assert!(empty.is_refusal());
    assert_eq!(empty.to_string(), "no log entries from 2025-01-01 to 2025-01-31 (UTC): nothing was written");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "an earlier export", "the old file is kept");
    let entries = std::fs::read_dir(db.dir.path()).unwrap().count();

    let range = DayRange::parse("2026-03-01", "2026-03-02").unwrap();
    for folder in [db.file("missing"), db.file("old.csv")] {
        let bad =
            export(&db.config(), ExportKind::Posts, range, &folder.join("x.csv"), no_progress()).await.unwrap_err();
        assert!(matches!(bad, ExportError::Folder { .. }), "{bad:?}");
        assert!(bad.to_string().starts_with(&format!("cannot write in {}", folder.display())), "{bad}");
    }
    assert_eq!(std::fs::read_dir(db.dir.path()).unwrap().count(), entries, "nothing was created");
    db.dispose().await;
}
