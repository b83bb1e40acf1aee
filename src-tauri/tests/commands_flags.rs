//! Flags for a second look in the console, through Tauri IPC (mock runtime) against a real
//! `PostgreSQL`: the queue filtered by flag kind (rows carry their flag bits, the detail the
//! flags themselves), and the Settings' stop-word list, a bad regular expression refused with
//! its line and column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use postgate::domain::UserId;
use postgate::flags::FlagKind;
use postgate::moderation::flags::{FlagInput, check};
use serde_json::{Value, json};
use support::{Console, block_on, text_post};

#[test]
fn the_queue_filters_by_flag_and_the_detail_carries_them() {
    let console = Console::start("flags_filter", &[]);
    let services = console.state.services.clone();
    let mut ids = Vec::new();
    for (author, message, body) in [(601, 10, "просто текст без ничего"), (602, 11, "смотри https://bit.ly/x сегодня")]
    {
        let id = console.seed(&text_post(author, message, body));
        let input = FlagInput { author: UserId(author), body: body.into(), entities: json!([]), forwarded: None };
        block_on(check(services.store.as_ref(), &services.config.flags, id, &input));
        ids.push(id);
    }
    let links = FlagKind::Links.bit();
    let page = console.ok("queue_list", json!({ "query": { "flags": links } }));
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["posts"][0]["id"], ids[1].0);
    assert_eq!(page["posts"][0]["flag_mask"], links | FlagKind::NewAuthor.bit());
    let new = console.ok("queue_list", json!({ "query": { "flags": FlagKind::NewAuthor.bit() } }));
    assert_eq!(new["total"], 2, "both authors are new: {new}");
    let all = console.ok("queue_list", json!({ "query": {} }));
    assert_eq!(all["total"], 2);

    let detail = console.ok("post_detail", json!({ "id": ids[1].0 }));
    assert_eq!(detail["post"]["flags"]["domains"], json!(["bit.ly"]));
    assert_eq!(detail["post"]["flags"]["checked"], true);
    console.stop();
}

#[test]
fn a_bad_stop_word_regex_is_refused_with_its_position() {
    let console = Console::start("flags_settings", &[]);
    let current = console.ok("settings_get", json!({}));
    assert_eq!(current["flag_duplicate_percent"], "75");

    let mut bad = current.clone();
    bad["flag_stop_words"] = json!("казино*\n/(ставк/");
    let err = console.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert_eq!(err["field"], "flag_stop_words");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("line 2, column 2") && message.contains("unclosed group"), "{message}");

    let mut good = current.clone();
    good["flag_stop_words"] = json!("казино*\nставк*\n/bit\\.ly/");
    good["flag_duplicate_percent"] = json!(85);
    assert_eq!(console.ok("settings_save", json!({ "settings": good })), Value::Null);
    let saved = console.ok("settings_get", json!({}));
    assert_eq!(saved["flag_stop_words"], "казино*\nставк*\n/bit\\.ly/");
    assert_eq!(saved["flag_duplicate_percent"], "85");
    console.stop();
}
