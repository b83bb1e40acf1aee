//! `export_csv` through Tauri IPC (mock runtime): the posts and the decision log of a range of
//! days in a zone written to the file a save picker names (the system's dialog in the app, a stand-in
//! here that records what it was asked), byte for byte what `postgate export` writes, with
//! progress events; a cancelled dialog writes nothing; a bad range, an empty one or an unknown
//! kind or zone is refused before or without writing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

use futures::future::BoxFuture;
use postgate::archive::export::{DayRange, export};
use postgate::store::archive::ExportKind;
use postgate_desktop::commands::export::{EVENT_EXPORT, Picker, SavePicker};
use serde_json::json;
use support::{Console, text_post};
use tauri::{Listener, Manager};

/// Answers the dialog with the path set last (`None`: cancelled) and records the file names it
/// was offered.
#[derive(Default)]
struct StandIn {
    answer: Mutex<Option<PathBuf>>,
    offered: Mutex<Vec<String>>,
}

impl StandIn {
    fn answer(&self, answer: Option<PathBuf>) {
        *self.answer.lock().unwrap() = answer;
        self.offered.lock().unwrap().clear();
    }

    fn offered(&self) -> Vec<String> {
        self.offered.lock().unwrap().clone()
    }
}

impl SavePicker for StandIn {
    fn pick(&self, suggested: String) -> BoxFuture<'static, Option<PathBuf>> {
        self.offered.lock().unwrap().push(suggested);
        let answer = self.answer.lock().unwrap().clone();
        Box::pin(async move { answer })
    }
}

#[test]
fn the_range_goes_to_the_file_the_dialog_names_with_progress_and_nothing_on_refusal() {
    let console = Console::start("export", &[]);
    let dir = tempfile::tempdir().unwrap();
    // Yesterday and today in Moscow (the view's zone here): the posts arrive now, whatever the hour.
    let zone = chrono_tz::Europe::Moscow;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let (from, to) = ((today - chrono::Duration::days(1)).to_string(), today.to_string());
    let ids: Vec<_> = (0..3).map(|i| console.seed(&text_post(900 + i, 10, &format!("пост номер {i}")))).collect();
    console.ok("post_approve", json!({ "id": ids[0].0, "version": console.version_of(ids[0]) }));

    let stand_in = Arc::new(StandIn::default());
    let managed: Picker = stand_in.clone();
    assert!(console.app.manage(managed), "no other picker managed in the test app");
    let (tx, progress) = mpsc::channel();
    console.app.listen(EVENT_EXPORT, move |e| {
        let _ = tx.send(serde_json::from_str::<serde_json::Value>(e.payload()).unwrap());
    });

    // Posts: the file holds what the CLI's export of the same range writes.
    let out = dir.path().join("chosen.csv");
    stand_in.answer(Some(out.clone()));
    let report = console.ok("export_csv", json!({ "kind": "posts", "from": from, "to": to, "tz": "Europe/Moscow" }));
    assert_eq!((report["rows"].as_u64(), report["path"].as_str()), (Some(3), out.to_str()), "{report}");
    assert_eq!(stand_in.offered(), [format!("postgate-posts-{from}_{to}.csv")]);
    let written = std::fs::read(&out).unwrap();
    assert!(written.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    assert!(String::from_utf8_lossy(&written).contains("пост номер 2"));
    let cli = dir.path().join("cli.csv");
    let range = DayRange::parse(&from, &to).unwrap().in_zone(zone);
    let config = console.state.services.config.database.clone();
    support::block_on(export(&config, ExportKind::Posts, range, &cli, Arc::new(|_, _| {}))).unwrap();
    assert_eq!(written, std::fs::read(&cli).unwrap(), "byte for byte the CLI's file");
    let last = progress.try_iter().last().expect("progress events");
    assert_eq!((&last["kind"], &last["rows"], &last["total"]), (&json!("posts"), &json!(3), &json!(3)), "{last}");

    // The log: the approval is in it.
    let log = dir.path().join("log.csv");
    stand_in.answer(Some(log.clone()));
    let report = console.ok("export_csv", json!({ "kind": "log", "from": from, "to": to, "tz": "Europe/Moscow" }));
    assert!(report["rows"].as_u64().unwrap() >= 1, "{report}");
    assert!(std::fs::read_to_string(&log).unwrap().contains("approve"));

    // Cancelled: null, nothing written (not even a temporary file).
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    };
    let before = listing();
    stand_in.answer(None);
    assert!(
        console.ok("export_csv", json!({ "kind": "posts", "from": from, "to": to, "tz": "Europe/Moscow" })).is_null()
    );
    assert_eq!(listing(), before);

    // Refused: a reversed range (before the dialog opens), an empty one, an unknown kind.
    let refused = dir.path().join("refused.csv");
    stand_in.answer(Some(refused.clone()));
    let err = console
        .invoke("export_csv", json!({ "kind": "posts", "from": to, "to": "2020-01-01", "tz": "UTC" }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(stand_in.offered().is_empty(), "the dialog never opened for a bad range");
    let err = console
        .invoke("export_csv", json!({ "kind": "posts", "from": "2020-01-01", "to": "2020-01-31", "tz": "UTC" }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(err["message"].as_str().unwrap().contains("nothing was written"), "{err}");
    let err =
        console.invoke("export_csv", json!({ "kind": "authors", "from": from, "to": to, "tz": "UTC" })).unwrap_err();
    assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!("kind")), "{err}");
    stand_in.answer(Some(refused.clone()));
    let err = console
        .invoke("export_csv", json!({ "kind": "posts", "from": from, "to": to, "tz": "Mars/Olympus" }))
        .unwrap_err();
    assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!("tz")), "{err}");
    assert!(stand_in.offered().is_empty(), "the dialog never opened for a refused request");
    assert!(!refused.exists(), "nothing written on refusal");
    assert_eq!(listing(), before);
    console.stop();
}
