//! `backup_status` through Tauri IPC (mock runtime): off and silent without `BACKUP_TIME`;
//! with it, the schedule (shown and validated by the Settings form), no backup yet (so the header warns), and the next backup's time once
//! the bot (whose runtime owns the scheduled task) runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Console, until};

#[test]
fn backup_status_is_off_or_reports_the_schedule_and_warns_until_a_backup_exists() {
    let off = Console::start("backups_off", &[]);
    let status = off.ok("backup_status", json!({}));
    assert_eq!(status["scheduled"], false, "{status}");
    assert_eq!(status["warn"], false, "nothing scheduled, nothing to warn about");
    assert!(status["last"].is_null() && status["failed"].is_null(), "{status}");
    off.stop();

    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    let on = Console::start("backups_on", &[("BACKUP_TIME", "03:00"), ("BACKUP_KEEP", "2"), ("BACKUP_DIR", dir)]);
    let status = on.ok("backup_status", json!({}));
    assert_eq!(status["scheduled"], true, "{status}");
    assert_eq!(status["at"], "03:00");
    assert_eq!(status["keep"], 2);
    assert_eq!(status["folder"], dir);
    assert_eq!(status["warn"], true, "no backup yet: the header warns");
    // The Settings form shows and validates the schedule.
    let settings = on.ok("settings_get", json!({}));
    assert_eq!((&settings["backup_time"], &settings["backup_keep"]), (&json!("03:00"), &json!("2")));
    assert_eq!(settings["backup_dir"], dir);
    let mut bad = settings.clone();
    bad["backup_time"] = json!("25:00");
    let err = on.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
    assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!("backup_time")), "{err}");
    let mut good = settings;
    good["backup_keep"] = json!("5");
    on.ok("settings_save", json!({ "settings": good }));
    assert_eq!(on.ok("settings_get", json!({}))["backup_keep"], "5", "applies at the next start");
    on.ok("bot_start", json!({}));
    until("the scheduled task reports its next backup", || !on.ok("backup_status", json!({}))["next"].is_null());
    on.stop();
}
