//! The queue does not go stale (issue #17 part 3) through Tauri IPC (mock runtime) against a
//! real `PostgreSQL`: the header's counts carry the oldest pending arrival and the reminder age
//! it is marked past; the two settings on the Settings form, a bad value refused naming its
//! field, a good one saved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::{Console, text_post};

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("a time: {v}")).parse().unwrap()
}

#[test]
fn the_header_counts_carry_the_oldest_pending_arrival_and_the_reminder_age() {
    let console = Console::start("stale_header", &[("STALE_REMINDER_HOURS", "24")]);
    let empty = console.ok("queue_stats", json!({}));
    assert_eq!((&empty["oldest_pending_at"], &empty["stale_after_hours"]), (&Value::Null, &json!(24)), "{empty}");
    let first = console.seed(&text_post(951, 10, "first"));
    std::thread::sleep(std::time::Duration::from_millis(30));
    let second = console.seed(&text_post(952, 20, "second"));
    let stats = console.ok("queue_stats", json!({}));
    assert_eq!(stats["pending"], 2, "{stats}");
    assert_eq!(time(&stats["oldest_pending_at"]), console.post(first).created_at, "{stats}");
    let out = console.ok("post_approve", json!({ "id": first.0, "version": console.version_of(first) }));
    assert_eq!(out["outcome"], "decided", "{out}");
    let stats = console.ok("queue_stats", json!({}));
    assert_eq!(time(&stats["oldest_pending_at"]), console.post(second).created_at, "the next oldest: {stats}");
    console.stop();

    let off = Console::start("stale_header_off", &[]);
    assert_eq!(off.ok("queue_stats", json!({}))["stale_after_hours"], Value::Null, "no reminder age");
    off.stop();
}

#[test]
fn the_stale_settings_are_checked_naming_their_field() {
    let console = Console::start("stale_settings", &[("STALE_REMINDER_HOURS", "24")]);
    let current = console.ok("settings_get", json!({}));
    assert_eq!((&current["stale_reminder_hours"], &current["pending_expire_days"]), (&json!("24"), &json!("")));
    for (field, value, names) in [
        ("stale_reminder_hours", "a day", "STALE_REMINDER_HOURS"),
        ("stale_reminder_hours", "9000", "STALE_REMINDER_HOURS"),
        ("pending_expire_days", "-3", "PENDING_EXPIRE_DAYS"),
        ("pending_expire_days", "400", "PENDING_EXPIRE_DAYS"),
    ] {
        let mut bad = current.clone();
        bad[field] = json!(value);
        let err = console.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
        assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!(field)), "{err}");
        assert!(err["message"].as_str().unwrap().contains(names), "{err}");
    }
    let mut good = current.clone();
    good["stale_reminder_hours"] = json!(12);
    good["pending_expire_days"] = json!("14");
    assert_eq!(console.ok("settings_save", json!({ "settings": good })), Value::Null);
    let saved = console.ok("settings_get", json!({}));
    assert_eq!((&saved["stale_reminder_hours"], &saved["pending_expire_days"]), (&json!("12"), &json!("14")));
    console.stop();
}
