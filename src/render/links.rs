//! Where a post's links really go. A card is plain text, so a `text_link` shows only its
//! anchor ("our site") and hides its target (a scam page) — which the published post keeps.
//! Cards and the whole-text view list every target with its anchor.

use serde_json::Value;

/// An anchor shown beside its target is cut to this many characters.
const ANCHOR_CHARS: usize = 40;

/// A link whose target the text does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenLink {
    /// The text the reader sees (cut to [`ANCHOR_CHARS`]).
    pub anchor: String,
    /// Where it leads: the URL, or `tg://user?id=…` for a mention of a user without a username.
    pub target: String,
}

/// The hidden link targets of a text, in the order they appear. Offsets are in UTF-16 units
/// (as Telegram counts them); an entity pointing outside the text still lists its target.
pub fn hidden_links(body: &str, entities: &Value) -> Vec<HiddenLink> {
    let Value::Array(items) = entities else { return Vec::new() };
    items
        .iter()
        .filter_map(|e| {
            let target = match e.get("type")?.as_str()? {
                "text_link" => e.get("url")?.as_str()?.to_owned(),
                "text_mention" => format!("tg://user?id={}", e.get("user")?.get("id")?.as_i64()?),
                _ => return None,
            };
            let offset = usize::try_from(e.get("offset").and_then(Value::as_u64).unwrap_or(0)).unwrap_or(usize::MAX);
            let length = usize::try_from(e.get("length").and_then(Value::as_u64).unwrap_or(0)).unwrap_or(0);
            Some(HiddenLink { anchor: utf16_slice(body, offset, length, ANCHOR_CHARS), target })
        })
        .collect()
}

/// The characters of `s` from UTF-16 unit `offset` for `length` units, at most `max_chars` of
/// them (then "…"), with line breaks as spaces (one line per link).
fn utf16_slice(s: &str, offset: usize, length: usize, max_chars: usize) -> String {
    let mut at = 0;
    let mut out = String::new();
    let mut taken = 0;
    for c in s.chars() {
        let end = at + c.len_utf16();
        if at >= offset && end <= offset.saturating_add(length) {
            if taken == max_chars {
                out.push('…');
                break;
            }
            out.push(if c.is_control() { ' ' } else { c });
            taken += 1;
        }
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_links_and_mentions_are_listed_with_their_anchor_and_plain_urls_are_not() {
        let body = "😀 Наш сайт and https://ok.example and Bob";
        let entities = json!([
            {"type": "text_link", "offset": 3, "length": 8, "url": "https://evil.example/пэй"},
            {"type": "url", "offset": 16, "length": 18},
            {"type": "text_mention", "offset": 39, "length": 3, "user": {"id": 42, "is_bot": false, "first_name": "B"}},
            {"type": "bold", "offset": 0, "length": 2},
        ]);
        assert_eq!(
            hidden_links(body, &entities),
            vec![
                HiddenLink { anchor: "Наш сайт".into(), target: "https://evil.example/пэй".into() },
                HiddenLink { anchor: "Bob".into(), target: "tg://user?id=42".into() },
            ]
        );
    }

    #[test]
    fn long_anchors_are_cut_and_junk_is_tolerated() {
        let body = "x".repeat(100);
        let entities = json!([
            {"type": "text_link", "offset": 0, "length": 100, "url": "https://a.example"},
            {"type": "text_link", "offset": 500, "length": 3, "url": "https://outside.example"},
            {"type": "text_link", "offset": 0, "length": 1},
            "junk",
        ]);
        let links = hidden_links(&body, &entities);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].anchor, format!("{}…", "x".repeat(ANCHOR_CHARS)));
        assert_eq!(links[1], HiddenLink { anchor: String::new(), target: "https://outside.example".into() });
        assert!(hidden_links("x", &json!({})).is_empty());
    }
}
