//! Unit tests of the published text: the signature and footer after the author's text, their
//! entities' offsets in UTF-16 units (emoji and Cyrillic before them), the author's entities
//! kept, and what is left out when a message or a caption would go over Telegram's limit.

use serde_json::{Value, json};

use super::published::{LeftOut, compose};
use crate::domain::UserId;
use crate::domain::text::{MAX_CAPTION, MAX_TEXT, TextSlot, utf16_len};
use crate::options::{PostOptions, SignatureTemplate};
use crate::store::AuthorProfile;

fn author(username: Option<&str>) -> AuthorProfile {
    AuthorProfile {
        id: UserId(777),
        username: username.map(str::to_owned),
        first_name: "Иван".into(),
        last_name: Some("Петров".into()),
        language_code: Some("ru".into()),
    }
}

fn options(template: &str, footer: Option<&str>) -> PostOptions {
    PostOptions {
        default_signed: false,
        signature: SignatureTemplate::parse(template).unwrap(),
        footer: footer.map(str::to_owned),
    }
}

fn entities(c: &super::Composed) -> Vec<Value> {
    match c.entities.to_stored() {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

#[test]
fn a_signed_post_gets_its_signature_then_the_footer_with_utf16_offsets() {
    let body = "Привет 😀 мир";
    let bold = json!({ "type": "bold", "offset": 0, "length": 6 });
    let opts = options("— {full_name}", Some("#новости @chan"));
    let c = compose(body, &json!([bold]), 0, &author(None), true, &opts);
    assert_eq!(c.text, "Привет 😀 мир\n\n— Иван Петров\n\n#новости @chan");
    assert_eq!(c.slot, TextSlot::Message);
    assert!(c.left_out.is_empty());
    // "Привет 😀 мир" is 13 units (the emoji two), the gap two more, then "— ".
    assert_eq!(utf16_len(body), 13);
    assert_eq!(
        entities(&c),
        [bold, json!({ "type": "text_link", "offset": 17, "length": 11, "url": "tg://user?id=777" })]
    );
    assert_eq!(c.length, utf16_len(&c.text));
}

#[test]
fn name_is_the_username_as_a_mention_when_the_author_has_one() {
    let opts = options("{{by}} {name}", None);
    let c = compose("😀😀", &json!([]), 0, &author(Some("ivan_p")), true, &opts);
    assert_eq!(c.text, "😀😀\n\n{by} @ivan_p");
    assert_eq!(entities(&c), [json!({ "type": "mention", "offset": 11, "length": 7 })]);
    let c = compose("", &json!([]), 0, &author(None), true, &opts);
    assert_eq!(c.text, "{by} Иван Петров", "no gap before the first line");
    assert_eq!(entities(&c)[0]["offset"], 5);
}

#[test]
fn an_anonymous_post_gets_the_footer_only_and_without_a_footer_stays_as_sent() {
    let link = json!({ "type": "text_link", "offset": 0, "length": 3, "url": "https://пример.рф/путь" });
    let opts = options("— {name}", Some("https://t.me/postgate_bot"));
    let c = compose("abc", &json!([link]), 0, &author(Some("ivan")), false, &opts);
    assert_eq!(c.text, "abc\n\nhttps://t.me/postgate_bot");
    assert_eq!(entities(&c), std::slice::from_ref(&link), "the author's entities exactly as stored");
    assert!(!c.signed);
    let plain = compose("abc", &json!([link]), 0, &author(None), false, &options("— {name}", None));
    assert_eq!((plain.text.as_str(), plain.entities.to_stored()), ("abc", json!([link])));
}

#[test]
fn a_caption_has_the_caption_limit_and_leaves_out_the_footer_first() {
    let opts = options("— {full_name}", Some("#footer"));
    // 1,005 units of caption: the signature (15 with its gap) fits, the footer (9) would not.
    let body = "я".repeat(1005);
    let c = compose(&body, &json!([]), 3, &author(None), true, &opts);
    assert_eq!((c.slot, c.limit), (TextSlot::Caption, MAX_CAPTION));
    assert_eq!(c.text, format!("{body}\n\n— Иван Петров"));
    assert_eq!(c.left_out, [LeftOut::Footer]);
    assert!(c.length <= MAX_CAPTION);
    // The same text is a message (no media): 4,096 units leave room for both.
    let c = compose(&body, &json!([]), 0, &author(None), true, &opts);
    assert_eq!((c.slot, c.limit, c.left_out.len()), (TextSlot::Message, MAX_TEXT, 0));
}

#[test]
fn a_text_at_the_limit_is_published_as_sent_and_says_what_was_left_out() {
    let opts = options("— {name}", Some("#f"));
    let body = "😀".repeat(MAX_TEXT / 2);
    let c = compose(&body, &json!([]), 0, &author(Some("a")), true, &opts);
    assert_eq!(c.text, body);
    assert_eq!(c.left_out, [LeftOut::Footer, LeftOut::Signature]);
    assert_eq!(c.length, MAX_TEXT);
    // Anonymous, only the footer is named.
    let c = compose(&body, &json!([]), 0, &author(Some("a")), false, &opts);
    assert_eq!(c.left_out, [LeftOut::Footer]);
    // One unit short of room for the footer: left out; exactly enough: kept.
    let body = "x".repeat(MAX_CAPTION - 3);
    let c = compose(&body, &json!([]), 1, &author(None), false, &opts);
    assert_eq!(c.left_out, [LeftOut::Footer]);
    let body = "x".repeat(MAX_CAPTION - 4);
    let c = compose(&body, &json!([]), 1, &author(None), false, &opts);
    assert_eq!((c.length, c.left_out.len()), (MAX_CAPTION, 0));
}

#[test]
fn the_choice_falls_back_to_the_channels_default() {
    let mut opts = options("— {name}", None);
    assert!(!opts.is_signed(None));
    opts.default_signed = true;
    assert!(opts.is_signed(None) && !opts.is_signed(Some(false)));
}
