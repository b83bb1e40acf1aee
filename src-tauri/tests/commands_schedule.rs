//! The schedule's commands through Tauri IPC (mock runtime) against a real `PostgreSQL`, with a
//! plan of three slots a day: an approval from the console takes the next slot and the
//! calendar shows it there; moves (to a free time, with a stale `seen`, into the past, onto a
//! taken time), parking and the parked list; the plan on the Settings form, each bad value
//! refused naming its field; "top of the queue": the earliest slot, the others one slot later.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use support::{Console, text_post};

const PLAN: [(&str, &str); 2] = [("PUBLISH_SLOTS", "09:00,13:00,18:30"), ("PUBLISH_TIMEZONE", "Europe/Moscow")];

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("a time: {v}")).parse().unwrap()
}

/// Every post the calendar shows, with the time of the cell it is in.
fn placed(calendar: &Value) -> Vec<(i64, DateTime<Utc>)> {
    let mut out = Vec::new();
    for day in calendar["days"].as_array().unwrap() {
        for cell in day["cells"].as_array().unwrap() {
            if let Some(id) = cell["post"]["id"].as_i64() {
                assert_eq!(cell["post"]["scheduled_at"], cell["at"], "{cell}");
                out.push((id, time(&cell["at"])));
            }
        }
    }
    out
}

#[test]
fn the_calendar_shows_approvals_in_their_slots_and_moves_are_checked() {
    let console = Console::start("schedule_cmds", &PLAN);
    let first = console.seed(&text_post(901, 10, "first"));
    let second = console.seed(&text_post(902, 20, "second"));
    for id in [first, second] {
        let out = console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
        assert_eq!(out["outcome"], "decided", "{out}");
    }
    let (t1, t2) = (console.post(first).scheduled_at.unwrap(), console.post(second).scheduled_at.unwrap());
    assert!(t1 < t2);
    let calendar = console.ok("schedule_calendar", json!({}));
    assert_eq!(calendar["zone"], "Europe/Moscow");
    assert_eq!(calendar["mode"], "slots");
    assert_eq!(placed(&calendar), [(first.0, t1), (second.0, t2)]);

    // A free slot later in the week: the first post moves there.
    let free = calendar["days"].as_array().unwrap()[3]["cells"][1]["at"].clone();
    let to = json!({ "to": "at", "at": free, "swap": false });
    let moved = console.ok("schedule_move", json!({ "id": first.0, "seen": t1, "to": to }));
    assert_eq!((&moved["outcome"], &moved["scheduled_at"]), (&json!("changed"), &free), "{moved}");
    // A console that still shows the old time is told what it is now; nothing changes.
    let stale = console.ok("schedule_move", json!({ "id": first.0, "seen": t1, "to": { "to": "park" } }));
    assert_eq!((&stale["outcome"], &stale["scheduled_at"]), (&json!("stale"), &free), "{stale}");
    // Onto the other post's time: refused without a swap, swapped with one.
    let onto = json!({ "to": "at", "at": t2, "swap": false });
    let err = console.invoke("schedule_move", json!({ "id": first.0, "seen": free, "to": onto })).unwrap_err();
    assert_eq!(err["code"], "conflict", "{err}");
    let swap = json!({ "to": "at", "at": t2, "swap": true });
    let swapped = console.ok("schedule_move", json!({ "id": first.0, "seen": free, "to": swap }));
    assert_eq!(swapped["swapped"], second.0, "{swapped}");
    assert_eq!(console.post(second).scheduled_at, Some(time(&free)));
    // Into the past: refused, named.
    let past = json!({ "to": "at", "at": Utc::now() - Duration::hours(1), "swap": false });
    let err = console.invoke("schedule_move", json!({ "id": first.0, "seen": t2, "to": past })).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(err["message"].as_str().unwrap().contains("in the past"), "{err}");
    // Parked: off the calendar, in the parked list.
    let parked = console.ok("schedule_move", json!({ "id": first.0, "seen": t2, "to": { "to": "park" } }));
    assert_eq!(parked["outcome"], "changed");
    let calendar = console.ok("schedule_calendar", json!({ "start": calendar["days"][0]["date"], "days": 7 }));
    assert_eq!(placed(&calendar), [(second.0, time(&free))]);
    assert_eq!(calendar["parked"][0]["id"], first.0);
    let log = console.log(Some(first));
    assert_eq!(log[0].action, "unschedule");
    assert_eq!(log[0].source, "console");
    console.stop();
}

#[test]
fn the_plan_is_on_the_settings_form_and_each_bad_value_names_its_field() {
    let console = Console::start("schedule_settings", &PLAN);
    let current = console.ok("settings_get", json!({}));
    assert_eq!(
        (&current["publish_mode"], &current["publish_slots"], &current["publish_timezone"]),
        (&json!("slots"), &json!("09:00,13:00,18:30"), &json!("Europe/Moscow"))
    );
    for (field, value, names) in [
        ("publish_mode", "weekly", "PUBLISH_MODE"),
        ("publish_slots", "13:00,09:00", "PUBLISH_SLOTS"),
        ("publish_slots", "09:00,24:00", "PUBLISH_SLOTS"),
        ("publish_timezone", "Mars/Olympus", "PUBLISH_TIMEZONE"),
        ("publish_missed", "drop", "PUBLISH_MISSED"),
    ] {
        let mut bad = current.clone();
        bad[field] = json!(value);
        let err = console.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
        assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!(field)), "{err}");
        assert!(err["message"].as_str().unwrap().contains(names), "{err}");
    }
    let mut good = current.clone();
    good["publish_slots"] = json!("mon-fri 10:00,16:00; sat,sun 12:00");
    assert_eq!(console.ok("settings_save", json!({ "settings": good })), Value::Null);
    assert_eq!(console.ok("settings_get", json!({}))["publish_slots"], "mon-fri 10:00,16:00; sat,sun 12:00");
    // Back to publishing at once: the mode says so, whatever slots the environment still has.
    let mut immediate = console.ok("settings_get", json!({}));
    immediate["publish_mode"] = json!("immediate");
    immediate["publish_slots"] = json!("");
    assert_eq!(console.ok("settings_save", json!({ "settings": immediate })), Value::Null);
    assert_eq!(console.ok("settings_get", json!({}))["publish_mode"], "immediate");
    console.stop();
}

#[test]
fn an_approval_can_publish_now_or_at_a_chosen_time_instead_of_the_next_slot() {
    let console = Console::start("schedule_timing", &PLAN);
    let (now_post, at_post, past_post) = (
        console.seed(&text_post(911, 10, "now")),
        console.seed(&text_post(912, 20, "at a time")),
        console.seed(&text_post(913, 30, "in the past")),
    );
    let approve = |id: postgate::domain::PostId, timing: Value| {
        console.invoke("post_approve", json!({ "id": id.0, "version": console.version_of(id), "timing": timing }))
    };
    let out = approve(now_post, json!({ "when": "now" })).unwrap();
    assert_eq!(out["outcome"], "decided", "{out}");
    assert_eq!(console.post(now_post).scheduled_at, None);
    assert!(console.outbox_of(now_post).iter().any(|k| k == "publish"), "{:?}", console.outbox_of(now_post));

    let chosen = (Utc::now() + Duration::days(2)).date_naive().and_hms_opt(15, 45, 0).unwrap().and_utc();
    approve(at_post, json!({ "when": "at", "at": chosen })).unwrap();
    assert_eq!(console.post(at_post).scheduled_at, Some(chosen));
    assert!(!console.outbox_of(at_post).iter().any(|k| k == "publish"), "waits for its time");

    let err = approve(past_post, json!({ "when": "at", "at": Utc::now() - Duration::minutes(5) })).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    let err = approve(past_post, json!({ "when": "at", "at": chosen })).unwrap_err();
    assert_eq!(err["code"], "conflict", "another post's time: {err}");
    assert_eq!(console.status_of(past_post), "pending", "nothing decided");
    console.stop();
}

#[test]
fn an_approval_to_the_top_of_the_queue_takes_the_first_slot_and_the_rest_move_one_slot_later() {
    let console = Console::start("schedule_top", &PLAN);
    let (first, second, urgent) = (
        console.seed(&text_post(921, 10, "first")),
        console.seed(&text_post(922, 20, "second")),
        console.seed(&text_post(923, 30, "urgent")),
    );
    for id in [first, second] {
        console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
    }
    let (t1, t2) = (console.post(first).scheduled_at.unwrap(), console.post(second).scheduled_at.unwrap());
    let out = console.ok(
        "post_approve",
        json!({ "id": urgent.0, "version": console.version_of(urgent), "timing": { "when": "top" } }),
    );
    assert_eq!(out["outcome"], "decided", "{out}");
    assert_eq!(console.post(urgent).scheduled_at, Some(t1), "the earliest slot");
    assert_eq!(console.post(first).scheduled_at, Some(t2), "one slot later");
    let t3 = console.post(second).scheduled_at.unwrap();
    assert!(t3 > t2, "one slot later: {t3}");
    let calendar = console.ok("schedule_calendar", json!({}));
    let order: Vec<i64> = placed(&calendar).into_iter().map(|(id, _)| id).collect();
    assert_eq!(order, [urgent.0, first.0, second.0]);
    let log = console.log(Some(first));
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("reschedule", "console"), "{log:?}");
    console.stop();
}
