//! Unit tests of the card: link targets listed, a cut said with the whole length, buttons that
//! name the version shown, "Show all" on a cut card, and the whole text in messages that fit.

use chrono::Utc;
use serde_json::{Value, json};

use super::*;
use crate::domain::{PostId, UserId};
use crate::options::PostOptions;
use crate::store::AuthorProfile;

fn post(body: &str, entities: Value) -> PostRecord {
    PostRecord {
        id: PostId(42),
        author: AuthorProfile {
            id: UserId(7),
            username: Some("a".repeat(32)),
            first_name: "N".repeat(64),
            last_name: Some("L".repeat(64)),
            language_code: None,
        },
        source_chat_id: 7,
        source_message_id: 1,
        media_group_id: None,
        body: body.to_owned(),
        entities,
        status: PostStatus::Pending,
        edited_by_author: true,
        edited_by_moderator: false,
        reject_reason: None,
        decided_by: None,
        decided_at: None,
        publish_error: None,
        published_at: None,
        channel_message_id: None,
        moderation_message_id: Some(9),
        claimed_by: None,
        claim_expires_at: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        duplicate_of: Some(PostId(i64::MAX)),
        card_error: None,
        receipt_sent_at: None,
        maybe_twice: crate::store::MaybeTwice::default(),
        scheduled_at: None,
        parked: false,
        signed: None,
        changes_requested_at: None,
        // Every flag raised at its longest: the budgets below hold with them.
        flags: Some(crate::render::flags::tests::worst_case()),
        media: Vec::new(),
    }
}

fn buttons(markup: &InlineKeyboardMarkup) -> Vec<String> {
    serde_json::to_value(markup).unwrap()["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|b| b["callback_data"].as_str().unwrap().to_owned()))
        .collect()
}

/// The card of `p` without an author record or decider, under an immediate plan.
fn card_of(i18n: &I18n, locale: &str, p: &PostRecord, options: &PostOptions) -> String {
    card_text(i18n, locale, p, None, None, &crate::schedule::Plan::immediate(chrono_tz::Tz::UTC), options)
}

fn i18n() -> I18n {
    I18n::new("en").unwrap()
}

#[test]
fn a_short_post_shows_its_link_targets_and_approve_names_its_version() {
    let i18n = i18n();
    let link = json!([{"type": "text_link", "offset": 4, "length": 4, "url": "https://scam.example/x"}]);
    let p = post("our page", link);
    let card = card_of(&i18n, "en", &p, &PostOptions::default());
    assert!(card.contains("our page\n\n🔗"), "{card}");
    assert!(card.contains("page → https://scam.example/x"), "{card}");
    assert!(!card_is_cut(&i18n, "en", &p));
    let version = p.content_version();
    assert_eq!(
        buttons(&card_keyboard(&i18n, "en", &p)),
        [format!("a:42:{version}"), format!("rm:42:{version}"), "b:42".to_owned(), "ch:42".to_owned()]
    );
    assert!(buttons(&reasons_keyboard(&i18n, "en", &p, View::Card)).contains(&format!("bk:42:{version}")));
}

#[test]
fn a_long_post_is_cut_with_its_length_and_offers_show_all_instead_of_approve() {
    let i18n = i18n();
    let body = format!("{}END", "😀 слово ".repeat(700));
    let p = post(&body, json!([]));
    let card = card_of(&i18n, "en", &p, &PostOptions::default());
    assert!(utf16_len(&card) <= MAX_TEXT, "{}", utf16_len(&card));
    assert!(!card.contains("END"));
    assert!(card.contains(&format!("of {} characters shown", body.chars().count())), "{card}");
    assert!(card_is_cut(&i18n, "en", &p));
    let version = p.content_version();
    let card_buttons = buttons(&card_keyboard(&i18n, "en", &p));
    assert_eq!(card_buttons[0], format!("sa:42:{version}"), "no Approve: {card_buttons:?}");
    let whole_buttons = buttons(&review_keyboard(&i18n, "en", &p, View::Whole));
    assert_eq!(whole_buttons[..2], [format!("aw:42:{version}"), format!("rmw:42:{version}")]);

    let whole = whole_text(&i18n, "en", &p);
    assert!(whole.iter().all(|m| utf16_len(m) <= MAX_TEXT));
    assert!(whole.concat().contains(&body), "the whole text, in order");
}

#[test]
fn links_beyond_the_cards_room_are_counted_and_make_the_card_cut() {
    let i18n = i18n();
    let entities: Vec<Value> = (0..60)
        .map(|i| json!({"type": "text_link", "offset": i, "length": 1, "url": format!("https://l{i}.example/{}", "p".repeat(60))}))
        .collect();
    let p = post(&"x".repeat(60), Value::Array(entities));
    let card = card_of(&i18n, "en", &p, &PostOptions::default());
    assert!(card.contains("https://l0.example/"), "{card}");
    assert!(!card.contains("https://l59.example/"), "{card}");
    assert!(card.contains("more links"), "{card}");
    assert!(card_is_cut(&i18n, "en", &p), "approved only after all targets were shown");
    let whole = whole_text(&i18n, "en", &p).concat();
    assert!((0..60).all(|i| whole.contains(&format!("https://l{i}.example/"))), "Show all lists every target");
}

#[test]
fn the_card_says_whether_the_post_goes_out_signed() {
    let i18n = i18n();
    let anonymous = PostOptions::default();
    let signed = PostOptions { default_signed: true, ..PostOptions::default() };
    let mut p = post("hello", json!([]));
    assert!(card_of(&i18n, "en", &p, &anonymous).contains("🙈 Anonymous"), "the default");
    assert!(card_of(&i18n, "en", &p, &signed).contains("✍️ Signed"), "the default");
    p.signed = Some(true);
    let card = card_of(&i18n, "ru", &p, &anonymous);
    assert!(card.contains("✍️ С подписью автора"), "the author's choice: {card}");
    p.status = PostStatus::Rejected;
    let card = card_of(&i18n, "en", &p, &anonymous);
    assert!(!card.contains("Signed") && !card.contains("Anonymous"), "not on a rejected card: {card}");
}
