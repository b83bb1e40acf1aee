//! A post as the channel shows it: the author's text and entities, then the signature line of
//! a signed post and the channel's footer, with the added entities' offsets in UTF-16 units.
//! Computed here once, for the publisher and for the console's preview alike, so the preview
//! cannot drift from what is published.

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::text::{TextSlot, utf16_len};
use crate::options::{Piece, PostOptions};
use crate::store::{AuthorProfile, PostRecord};
use crate::telegram::entities::Entities;

/// Between the author's text and each addition.
const GAP: &str = "\n\n";

/// What was left out of a post to keep it within its slot's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOut {
    Footer,
    Signature,
}

/// The text (or caption) a post is published with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Composed {
    pub text: String,
    pub entities: Entities,
    /// A message of its own, or the caption of the first media item.
    #[serde(serialize_with = "slot_name")]
    pub slot: TextSlot,
    /// The slot's limit and the text's length, in UTF-16 units.
    pub limit: usize,
    pub length: usize,
    pub signed: bool,
    /// Additions that would have taken the text over the limit (footer first, then signature).
    pub left_out: Vec<LeftOut>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
fn slot_name<S: serde::Serializer>(slot: &TextSlot, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(slot.as_str())
}

/// The signature line for `author` and its entities (offsets from the line's start).
pub fn signature_line(options: &PostOptions, author: &AuthorProfile) -> (String, Vec<Value>) {
    let mut line = String::new();
    let mut entities = Vec::new();
    let linked_name = |line: &mut String, entities: &mut Vec<Value>| {
        let name = author.display_name();
        let name = if name.trim().is_empty() { author.id.0.to_string() } else { name };
        let offset = utf16_len(line);
        entities.push(json!({
            "type": "text_link", "offset": offset, "length": utf16_len(&name),
            "url": format!("tg://user?id={}", author.id.0),
        }));
        line.push_str(&name);
    };
    for piece in options.signature.pieces() {
        match piece {
            Piece::Text(text) => line.push_str(text),
            Piece::Name => match author.username.as_deref().filter(|u| !u.is_empty()) {
                Some(username) => {
                    let mention = format!("@{username}");
                    entities
                        .push(json!({ "type": "mention", "offset": utf16_len(&line), "length": utf16_len(&mention) }));
                    line.push_str(&mention);
                }
                None => linked_name(&mut line, &mut entities),
            },
            Piece::FullName => linked_name(&mut line, &mut entities),
        }
    }
    (line, entities)
}

/// The author's text and entities with the signature (when `signed`) and the footer appended,
/// within the limit of the slot `media_count` puts the text in: when both additions do not
/// fit, the footer is left out, then the signature (the author's text itself fits: Telegram
/// took it, and a moderator's edit is checked against the same limit).
pub fn compose(
    body: &str,
    entities: &Value,
    media_count: usize,
    author: &AuthorProfile,
    signed: bool,
    options: &PostOptions,
) -> Composed {
    let slot = TextSlot::for_media_count(media_count);
    let signature = signed.then(|| signature_line(options, author));
    let footer = options.footer.as_deref();
    let limit = slot.limit();
    let fits = |sig, foot| Some(join(body, sig, foot)).filter(|(text, _)| utf16_len(text) <= limit);
    let sig = signature.as_ref();
    let (text, added, left_out) = if let Some((text, added)) = fits(sig, footer) {
        (text, added, Vec::new())
    } else if let Some((text, added)) = footer.and(fits(sig, None)) {
        (text, added, vec![LeftOut::Footer])
    } else {
        let (text, added) = join(body, None, None);
        let left_out = [footer.map(|_| LeftOut::Footer), sig.map(|_| LeftOut::Signature)].into_iter().flatten();
        (text, added, left_out.collect())
    };
    let mut items = match Entities::from_stored(entities).to_stored() {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    items.extend(added);
    let length = utf16_len(&text);
    Composed { text, entities: Entities::from(items), slot, limit, length, signed, left_out }
}

/// `body`, then each addition after a gap; the additions' entities shifted to where they land.
fn join(body: &str, signature: Option<&(String, Vec<Value>)>, footer: Option<&str>) -> (String, Vec<Value>) {
    let mut text = body.to_owned();
    let mut added = Vec::new();
    let append = |text: &mut String, line: &str| {
        if !text.is_empty() {
            text.push_str(GAP);
        }
        let at = utf16_len(text);
        text.push_str(line);
        at
    };
    if let Some((line, entities)) = signature {
        let at = append(&mut text, line);
        for e in entities {
            let mut e = e.clone();
            let offset = e["offset"].as_u64().unwrap_or(0);
            e["offset"] = json!(offset + at as u64);
            added.push(e);
        }
    }
    if let Some(footer) = footer {
        append(&mut text, footer);
    }
    (text, added)
}

/// [`compose`] for a stored post: its own choice, else the channel's default.
pub fn compose_post(post: &PostRecord, options: &PostOptions) -> Composed {
    let signed = options.is_signed(post.signed);
    compose(&post.body, &post.entities, post.media.len(), &post.author, signed, options)
}
