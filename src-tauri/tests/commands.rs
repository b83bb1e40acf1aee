//! The console's commands through Tauri IPC (mock runtime) against a real `PostgreSQL`: the
//! queue, decisions, error shapes, the ACL, and the bot switch the tray uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::fake_telegram::updates;
use support::{Console, GROUP, MODERATOR, album_post, delivered, text_post, until};

#[test]
fn queue_list_shows_seeded_posts() {
    let console = Console::start("list", &[]);
    let text = console.seed(&text_post(501, 10, "first post"));
    let album = console.seed(&album_post(502, 20, "an album", 3));

    let page = console.ok("queue_list", json!({ "query": { "status": "pending", "newest_first": false } }));
    assert_eq!(page["total"], 2);
    let posts = page["posts"].as_array().unwrap();
    assert_eq!(posts[0]["id"], text.0);
    assert_eq!(posts[0]["excerpt"], "first post");
    assert_eq!(posts[1]["id"], album.0);
    assert_eq!(posts[1]["media_count"], 3);
    assert_eq!(posts[1]["first_media_kind"], "photo");

    let stats = console.ok("queue_stats", json!({}));
    assert_eq!(stats["pending"], 2);

    let detail = console.ok("post_detail", json!({ "id": album.0 }));
    assert_eq!(detail["post"]["media"].as_array().unwrap().len(), 3);
    assert_eq!(detail["author"]["profile"]["id"], 502);
    console.stop();
}

#[test]
fn approve_decides_once_then_already_decided() {
    let console = Console::start("approve", &[]);
    let id = console.seed(&text_post(503, 11, "approve me"));

    let first = console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
    assert_eq!(first["outcome"], "decided", "{first}");
    assert_eq!(first["post"]["status"], "approved");
    assert_eq!(first["post"]["decided_by"], MODERATOR);

    let second = console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
    assert_eq!(second, json!({ "outcome": "already_decided", "status": "approved", "by": MODERATOR }));
    assert_eq!(console.status_of(id), "approved");

    let log = console.ok("audit_log", json!({ "postId": id.0 }));
    let entry = &log.as_array().unwrap()[0];
    assert_eq!(entry["source"], "console");
    assert_eq!(entry["moderator_id"], MODERATOR);
    console.stop();
}

#[test]
fn reject_with_a_custom_reason_and_a_template() {
    let console = Console::start("reject", &[]);
    let custom = console.seed(&text_post(504, 12, "reject me"));
    let template = console.seed(&text_post(505, 13, "spam spam"));

    let out = console.ok(
        "post_reject",
        json!({ "id": custom.0, "reason": { "kind": "custom", "value": "  too blurry  " }, "banAuthor": false }),
    );
    assert_eq!(out["outcome"], "decided", "{out}");
    assert_eq!(out["post"]["status"], "rejected");
    assert_eq!(out["post"]["reject_reason"], json!({ "kind": "custom", "value": "too blurry" }));

    let out = console.ok("post_reject", json!({ "id": template.0, "reason": { "kind": "template", "value": "spam" } }));
    assert_eq!(out["post"]["reject_reason"], json!({ "kind": "template", "value": "spam" }));

    let bad = console
        .invoke("post_reject", json!({ "id": template.0, "reason": { "kind": "template", "value": "nope" } }))
        .unwrap_err();
    assert_eq!(bad["code"], "invalid");
    console.stop();
}

#[test]
fn errors_have_the_contract_shape() {
    let console = Console::start("errors", &[]);
    let missing = console.invoke("post_detail", json!({ "id": 999_999 })).unwrap_err();
    assert_eq!(missing, json!({ "code": "not_found", "message": "post 999999 does not exist" }));
    assert_eq!(
        console.ok("post_approve", json!({ "id": 999_999, "version": "0123456789abcdef" })),
        json!({ "outcome": "not_found" })
    );
    console.stop();
}

#[test]
fn without_a_console_moderator_decisions_are_forbidden() {
    let console = Console::start("nomod", &[("CONSOLE_MODERATOR_ID", ""), ("MODERATOR_IDS", "")]);
    let id = console.seed(&text_post(506, 14, "nobody may decide"));
    let err = console.invoke("post_approve", json!({ "id": id.0, "version": console.version_of(id) })).unwrap_err();
    assert_eq!(err["code"], "forbidden");
    assert!(err["message"].as_str().unwrap().contains("CONSOLE_MODERATOR_ID"), "{err}");
    assert_eq!(console.status_of(id), "pending");
    console.stop();
}

#[test]
fn only_the_granted_commands_are_reachable() {
    let console = Console::start("acl", &[]);
    // The capability grants no window commands: the ACL refuses them.
    let refused = console.invoke("plugin:window|close", json!({})).unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    let unknown = console.invoke("not_a_command", json!({})).unwrap_err();
    assert!(unknown.to_string().contains("not allowed"), "{unknown}");
    let texts = console.ok("ui_texts", json!({ "locale": "en" }));
    assert_eq!(texts["locale"], "en");
    assert_eq!(texts["reject_templates"].as_array().unwrap().len(), 6);
    assert_eq!(texts["reject_templates"][0], json!({ "name": "spam", "label": "spam or advertising" }));
    console.stop();
}

#[test]
fn bot_starts_stops_and_starts_again_then_shutdown_closes_the_pool() {
    let console = Console::start("bot", &[]);
    let state = |v: &Value| v["state"].as_str().unwrap().to_owned();

    assert_eq!(state(&console.ok("bot_status", json!({}))["state"]), "stopped");
    assert_eq!(state(&console.ok("bot_start", json!({}))), "running");
    assert_eq!(state(&console.ok("bot_start", json!({}))), "running", "start is idempotent");
    assert_eq!(state(&console.ok("bot_stop", json!({}))), "stopped");
    assert_eq!(state(&console.ok("bot_start", json!({}))), "running");
    // Stop right after start (the dispatcher may still be starting) must not fail.
    assert_eq!(state(&console.ok("bot_stop", json!({}))), "stopped");
    assert_eq!(state(&console.ok("bot_start", json!({}))), "running");

    let store = console.state.services.store.clone();
    let started = std::time::Instant::now();
    tauri::async_runtime::block_on(console.state.shutdown());
    assert!(tauri::async_runtime::block_on(store.ping()).is_err(), "shutdown closes the store");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "shutdown is bounded");
    assert_eq!(console.state.runtime.status(), postgate::runtime::BotState::Stopped);
    console.stop();
}

#[test]
fn the_same_methods_serve_the_tray() {
    let console = Console::start("tray", &[]);
    let state = console.state.clone();
    let running = tauri::async_runtime::block_on(state.start_bot()).unwrap();
    assert!(matches!(running, postgate::runtime::BotState::Running { .. }));
    let status = console.ok("bot_status", json!({}));
    assert_eq!(status["state"]["state"], "running");
    assert!(status["outbox_backlog"].is_i64());
    assert_eq!(tauri::async_runtime::block_on(state.stop_bot()), postgate::runtime::BotState::Stopped);
    console.stop();
}

#[test]
fn settings_read_masked_validate_by_field_save_and_test() {
    let console = Console::start("settings", &[]);
    let current = console.ok("settings_get", json!({}));
    assert_eq!(current["bot_token"], "123456:***", "the token is masked");

    let mut bad = current.clone();
    bad["moderation_group_id"] = json!("12345");
    let err = console.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert_eq!(err["field"], "moderation_group_id");
    assert!(err["message"].as_str().unwrap().contains("MODERATION_GROUP_ID"), "{err}");

    let mut good = current.clone();
    good["channel_id"] = json!("@postgate_news");
    assert_eq!(console.ok("settings_save", json!({ "settings": good.clone() })), Value::Null);
    let saved = console.ok("settings_get", json!({}));
    assert_eq!(saved["channel_id"], "@postgate_news");
    assert_eq!(saved["bot_token"], "123456:***", "a masked token on save keeps the stored one");

    let checks = console.ok("settings_test", json!({ "settings": good }));
    for part in ["database", "redis", "telegram"] {
        assert_eq!(checks[part]["ok"], true, "{part}: {}", checks[part]["message"]);
    }
    assert!(checks["telegram"]["message"].as_str().unwrap().contains("fake_postgate_bot"));
    console.stop();
}

#[test]
fn database_changes_and_bot_states_reach_the_window_as_events() {
    use std::sync::mpsc;
    use tauri::Listener;

    let console = Console::start("events", &[]);
    let (changed_tx, changed) = mpsc::channel::<Value>();
    console.app.listen_any(postgate_desktop::EVENT_CHANGED, move |event| {
        let _ = changed_tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    let (bot_tx, bot) = mpsc::channel::<Value>();
    console.app.listen_any(postgate_desktop::EVENT_BOT, move |event| {
        let _ = bot_tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    let wait = std::time::Duration::from_secs(10);

    // The listener may still be connecting: submit until the first notification arrives.
    let mut id = None;
    for attempt in 0..20 {
        let seeded = console.seed(&text_post(507, 60 + attempt, "live"));
        if let Ok(event) = changed.recv_timeout(std::time::Duration::from_millis(500)) {
            assert_eq!(event["event"], "post_created");
            id = Some(seeded);
            break;
        }
    }
    let id = id.expect("a post_created event");
    while changed.try_recv().is_ok() {}

    console.ok("post_approve", json!({ "id": id.0, "version": console.version_of(id) }));
    let decided = loop {
        let event = changed.recv_timeout(wait).expect("a post_decided event");
        if event["event"] == "post_decided" {
            break event;
        }
    };
    assert_eq!(decided["post_id"], id.0);

    console.ok("bot_start", json!({}));
    let running = loop {
        let state = bot.recv_timeout(wait).expect("bot state events");
        if state["state"] == "running" {
            break state;
        }
    };
    assert!(running["since"].is_string());
    console.stop();
}

#[test]
fn bot_status_reports_the_backlog_and_the_updates_handled() {
    let console = Console::start("status", &[]);
    let posts = [console.seed(&text_post(870, 70, "first card")), console.seed(&text_post(871, 71, "second card"))];
    let status = console.ok("bot_status", json!({}));
    assert_eq!(status["state"]["state"], "stopped");
    assert_eq!(status["outbox_backlog"], 2, "one card waits per post: {status}");
    assert_eq!(status["updates_handled"], 0);

    console.ok("bot_start", json!({}));
    console.fake.push_update(updates::text_message(872, 872, 1, "/start", Some("en")));
    until("the bot handled the update and sent both cards", || {
        let status = console.ok("bot_status", json!({}));
        status["updates_handled"] == 1 && status["outbox_backlog"] == 0
    });
    let status = console.ok("bot_status", json!({}));
    assert_eq!(status["state"]["state"], "running", "{status}");
    let cards: Vec<Value> = delivered(&console.fake, GROUP);
    assert_eq!(cards.len(), 2, "{cards:?}");
    for id in posts {
        let card = console.post(id).moderation_message_id.expect("the card's id is stored");
        assert!(cards.iter().any(|c| c["message_id"] == card), "card {card} of post {} in {cards:?}", id.0);
    }
    assert_eq!(delivered(&console.fake, 872).len(), 1, "/start is answered");
    console.stop();
}
