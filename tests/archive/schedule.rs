//! Scheduled backups on an injected clock (no waiting): a backup at each scheduled time, the
//! newest `keep` kept and nothing else in the folder touched, a failure reported and cleared
//! by the next backup that works, the status the console shows, and a prompt stop.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use futures::future::BoxFuture;
use postgate::archive::schedule::{BackupStatus, run};
use postgate::clock::Clock;
use postgate::config::BackupSchedule;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{Backend, Db, on_both};

on_both!(scheduled_backups_run_on_time_and_rotate);

/// A clock the test sets; sleepers wake when it reaches their time.
struct ManualClock(watch::Sender<DateTime<Utc>>);

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let mut time = self.0.subscribe();
        Box::pin(async move {
            let _ = time.wait_for(|t| *t >= at).await;
        })
    }
}

/// Waits (bounded) until the status satisfies `done`.
async fn until(status: &mut watch::Receiver<BackupStatus>, done: impl FnMut(&BackupStatus) -> bool) -> BackupStatus {
    let seen = tokio::time::timeout(Duration::from_mins(1), status.wait_for(done)).await;
    seen.expect("the scheduled backup did not happen").unwrap().clone()
}

fn names(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

async fn scheduled_backups_run_on_time_and_rotate(backend: Backend) {
    let db = Db::fresh(backend).await;
    let store = db.open().await;
    crate::installation::build(&store, 20).await;
    let folder = db.file("backups");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "not a backup").unwrap();
    let schedule = BackupSchedule { at: NaiveTime::from_hms_opt(3, 0, 0).unwrap(), keep: 3, folder: folder.clone() };
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let time = watch::Sender::new(start);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock(time.clone()));
    let status = watch::Sender::new(BackupStatus::default());
    let mut seen = status.subscribe();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(run(db.config(), schedule, clock, Utc, status, cancel.clone()));

    let mut taken = Vec::new();
    for day in 2..=6 {
        let due = Utc.with_ymd_and_hms(2026, 3, day, 3, 0, 0).unwrap();
        until(&mut seen, |s| s.next == Some(due)).await;
        let before = usize::try_from(day - 2).unwrap().min(3) + 1;
        assert_eq!(names(&folder).len(), before, "nothing before its time");
        time.send_replace(due);
        let now = until(&mut seen, |s| s.last.as_ref().is_some_and(|l| l.at == due)).await;
        let last = now.last.clone().unwrap();
        assert_eq!(last.bytes, std::fs::metadata(&last.path).unwrap().len());
        assert!(!now.needs_attention(due));
        assert!(now.needs_attention(due + chrono::Duration::hours(49)), "stale after two days");
        taken.push(last.path.file_name().unwrap().to_str().unwrap().to_owned());
    }
    let ext = if backend == Backend::Sqlite { "db" } else { "pgbackup" };
    assert_eq!(taken[0], format!("postgate-20260302-030000.{ext}"));
    let mut kept = taken[2..].to_vec();
    kept.push("notes.txt".into());
    kept.sort();
    assert_eq!(names(&folder), kept, "the newest three kept, the rest of the folder untouched");

    // A folder that cannot be used: the failure is reported, then cleared by the next backup.
    std::fs::rename(&folder, db.file("moved")).unwrap();
    std::fs::write(&folder, "a file where the folder was").unwrap();
    let due = Utc.with_ymd_and_hms(2026, 3, 7, 3, 0, 0).unwrap();
    until(&mut seen, |s| s.next == Some(due)).await;
    time.send_replace(due);
    let failed = until(&mut seen, |s| s.failed.is_some()).await;
    assert!(failed.needs_attention(due), "a failure warns");
    assert_eq!(failed.last.as_ref().map(|l| l.at), Some(Utc.with_ymd_and_hms(2026, 3, 6, 3, 0, 0).unwrap()));
    std::fs::remove_file(&folder).unwrap();
    std::fs::rename(db.file("moved"), &folder).unwrap();
    let due = Utc.with_ymd_and_hms(2026, 3, 8, 3, 0, 0).unwrap();
    until(&mut seen, |s| s.next == Some(due)).await;
    time.send_replace(due);
    let fixed = until(&mut seen, |s| s.failed.is_none()).await;
    assert_eq!(fixed.last.map(|l| l.at), Some(due));
    assert_eq!(names(&folder).len(), 4);

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("the task stops when asked").unwrap();
    store.close().await;
    db.dispose().await;
}
