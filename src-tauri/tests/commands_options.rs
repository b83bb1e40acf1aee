//! Author options through Tauri IPC (mock runtime) against a real `PostgreSQL`: `post_preview`
//! answers the text the publisher would send (signature and footer with UTF-16 offsets, the
//! slot and its limit, what would not fit), `post_set_signed` changes the choice through the
//! one write path (logged as the console's, live to other consoles) and is refused once the
//! post is rejected, and the options are on the Settings form, a bad template named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::{Console, album_post, text_post};

const OPTIONS: [(&str, &str); 2] = [("SIGNATURE_TEMPLATE", "— {full_name}"), ("POST_FOOTER", "#канал 📣")];

#[test]
fn the_preview_is_the_published_text_and_the_choice_changes_until_it_is_too_late() {
    let console = Console::start("options_cmds", &OPTIONS);
    let id = console.seed(&text_post(931, 10, "Привет 😀"));
    let preview = console.ok("post_preview", json!({ "id": id.0 }));
    assert_eq!((&preview["chosen"], &preview["open"]), (&Value::Null, &json!(true)), "{preview}");
    let composed = &preview["composed"];
    assert_eq!(composed["text"], "Привет 😀\n\n#канал 📣", "anonymous by default: the footer only");
    assert_eq!(
        (&composed["slot"], &composed["limit"], &composed["length"]),
        (&json!("message"), &json!(4096), &json!(20))
    );

    let changes = console.changes();
    let out = console.ok("post_set_signed", json!({ "id": id.0, "signed": true }));
    assert_eq!(out, json!({ "outcome": "changed", "signed": true }));
    changes.expect("post_updated", Some(id.0));
    let log = console.log(Some(id));
    assert_eq!((log[0].action.as_str(), log[0].source.as_str()), ("set_signed", "console"));
    assert_eq!(log[0].moderator_id.map(|m| m.0), Some(support::MODERATOR));

    let composed = console.ok("post_preview", json!({ "id": id.0 }))["composed"].clone();
    assert_eq!(composed["text"], "Привет 😀\n\n— Анна\n\n#канал 📣");
    // "Привет 😀" is 9 UTF-16 units, the gap 2, "— " 2: the name at 13.
    assert_eq!(
        composed["entities"],
        json!([{ "type": "text_link", "offset": 13, "length": 4, "url": "tg://user?id=931" }])
    );
    assert_eq!(composed["signed"], true);

    let reject = json!({ "id": id.0, "reason": { "kind": "custom", "value": "no" } });
    console.ok("post_reject", reject);
    let late = console.ok("post_set_signed", json!({ "id": id.0, "signed": false }));
    assert_eq!(late, json!({ "outcome": "too_late", "status": "rejected" }));
    assert_eq!(console.ok("post_preview", json!({ "id": id.0 }))["open"], false);
    let err = console.invoke("post_preview", json!({ "id": 999_999 })).unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    console.stop();
}

#[test]
fn an_albums_caption_has_the_caption_limit_and_says_what_is_left_out() {
    let console = Console::start("options_album", &OPTIONS);
    let id = console.seed(&album_post(941, 10, &"я".repeat(1020), 3));
    let preview = console.ok("post_preview", json!({ "id": id.0 }));
    let composed = &preview["composed"];
    assert_eq!((&composed["slot"], &composed["limit"]), (&json!("caption"), &json!(1024)));
    assert_eq!(composed["left_out"], json!(["footer"]), "{composed}");
    assert_eq!(composed["text"], "я".repeat(1020));
    let positions: Vec<i64> =
        preview["media"].as_array().unwrap().iter().map(|m| m["position"].as_i64().unwrap()).collect();
    assert_eq!(positions.len(), 3);
    console.stop();
}

#[test]
fn the_options_are_on_the_settings_form_and_a_bad_template_names_its_placeholder() {
    let console = Console::start("options_settings", &OPTIONS);
    let current = console.ok("settings_get", json!({}));
    assert_eq!(
        (&current["signature_default"], &current["signature_template"], &current["post_footer"]),
        (&json!("anonymous"), &json!("— {full_name}"), &json!("#канал 📣"))
    );
    let mut bad = current.clone();
    bad["signature_template"] = json!("— {nick}");
    let err = console.invoke("settings_save", json!({ "settings": bad })).unwrap_err();
    assert_eq!((&err["code"], &err["field"]), (&json!("invalid"), &json!("signature_template")), "{err}");
    assert!(err["message"].as_str().unwrap().contains("{nick}"), "{err}");
    let mut good = current.clone();
    good["signature_default"] = json!("signed");
    assert_eq!(console.ok("settings_save", json!({ "settings": good })), Value::Null);
    assert_eq!(console.ok("settings_get", json!({}))["signature_default"], "signed");
    console.stop();
}
