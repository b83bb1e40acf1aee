//! Links (with their domains), mentions and phone numbers in a post's text: from the Telegram
//! entities the author's client marked (`url`, `text_link`, `mention`, `text_mention`) and
//! from the bare text, since a client does not mark `example.ru` or `+7 916 …` everywhere.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// Top-level domains a bare `name.tld` (without `http` or `www.`) is taken as a link for: the
/// common ones, so `file.txt` or `т.е.` is not a link.
const BARE_TLDS: &[&str] = &[
    "ru", "com", "net", "org", "io", "me", "su", "рф", "ua", "by", "kz", "info", "biz", "pro", "xyz", "site", "online",
    "top", "shop", "club", "app", "dev", "co", "uk", "de", "tv", "cc", "ly", "gl", "gg", "to", "link", "store", "live",
    "space", "fun", "us", "eu",
];

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)[^\s<>()\[\]{}]+|\b(?:[\p{L}\p{N}-]+\.)+[\p{L}]{2,}(?:/[^\s<>()]*)?")
        .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w@.])@([A-Za-z][A-Za-z0-9_]{4,31})\b").unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w+(])(\+?\(?\d[\d\s\-().]{7,20}\d)").unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// The part of `body` an entity covers (offsets in UTF-16 units, as Telegram counts).
fn entity_text(body: &str, entity: &Value) -> Option<String> {
    let offset = usize::try_from(entity.get("offset")?.as_u64()?).ok()?;
    let length = usize::try_from(entity.get("length")?.as_u64()?).ok()?;
    let units: Vec<u16> = body.encode_utf16().collect();
    units.get(offset..offset + length).map(String::from_utf16_lossy)
}

fn entities_of<'a>(entities: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    entities.as_array().into_iter().flatten().filter(move |e| e.get("type").and_then(Value::as_str) == Some(kind))
}

/// Every link in the post: entity targets and URLs, and bare links the entities missed.
pub fn links(body: &str, entities: &Value) -> Vec<String> {
    let mut out: Vec<String> = entities_of(entities, "text_link")
        .filter_map(|e| e.get("url").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let marked: Vec<String> = entities_of(entities, "url").filter_map(|e| entity_text(body, e)).collect();
    for m in URL.find_iter(body) {
        if body[..m.start()].ends_with('@') {
            continue; // an e-mail address
        }
        let found = m.as_str().trim_end_matches(['.', ',', '!', '?', ':', ';', '"', '\'']);
        if !marked.iter().any(|u| u.contains(found) || found.contains(u.as_str())) && is_link(found) {
            out.push(found.to_owned());
        }
    }
    out.extend(marked);
    out
}

/// Whether a bare match is a link: with a scheme or `www.`, or a known top-level domain.
fn is_link(found: &str) -> bool {
    let lower = found.to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return true;
    }
    domain_of(found).is_some_and(|d| d.rsplit('.').next().is_some_and(|tld| BARE_TLDS.contains(&tld)))
}

/// The domain of a link, lowercase, without `www.` (`None` when it has none, e.g. `tg://`).
pub fn domain_of(link: &str) -> Option<String> {
    let lower = link.trim().to_lowercase();
    let rest = match lower.split_once("://") {
        Some((scheme, rest)) if scheme == "http" || scheme == "https" => rest,
        Some(_) => return None,
        None => lower.as_str(),
    };
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.trim_start_matches("www.").trim_end_matches('.');
    (host.contains('.') && !host.is_empty()).then(|| host.to_owned())
}

/// Mentioned users: `@name` (marked or bare) and text mentions (by their shown name).
pub fn mentions(body: &str, entities: &Value) -> Vec<String> {
    let mut out: Vec<String> = MENTION.captures_iter(body).map(|c| format!("@{}", &c[1])).collect();
    for e in entities_of(entities, "text_mention") {
        if let Some(name) = entity_text(body, e) {
            out.push(name);
        }
    }
    for e in entities_of(entities, "mention") {
        if let Some(name) = entity_text(body, e)
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out.dedup();
    out
}

/// Phone numbers: 10–15 digits with a `+`, an 11-digit number starting 7 or 8, or digits
/// grouped as phones are (brackets or dashes), not dates, sums or long ids.
pub fn phones(body: &str) -> Vec<String> {
    PHONE
        .captures_iter(body)
        .filter_map(|c| {
            let found = c[1].trim();
            let digits: String = found.chars().filter(char::is_ascii_digit).collect();
            let grouped = found.contains(['(', '-']) || found.contains(' ');
            let phone = match digits.len() {
                10..=15 if found.starts_with('+') => true,
                11 => digits.starts_with('7') || digits.starts_with('8'),
                10 => grouped && !found.contains('.'),
                _ => false,
            };
            phone.then(|| found.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn links_from_entities_and_bare_text() {
        let body = "Смотри тут и example.ru/page, www.site.com или https://t.me/chan. Файл: report.txt, т.е. ничего";
        let entities = json!([{ "type": "text_link", "offset": 7, "length": 3, "url": "https://Bit.ly/x" }]);
        let found = links(body, &entities);
        let domains: Vec<String> = found.iter().filter_map(|l| domain_of(l)).collect();
        assert_eq!(domains, vec!["bit.ly", "example.ru", "site.com", "t.me"], "{found:?}");
    }

    #[test]
    fn marked_urls_are_counted_once() {
        let body = "go https://a.io now";
        let entities = json!([{ "type": "url", "offset": 3, "length": 12 }]);
        assert_eq!(links(body, &entities), vec!["https://a.io"]);
        assert_eq!(domain_of("HTTPS://user@WWW.Кто.рф:8080/x?y"), Some("кто.рф".into()));
        assert_eq!(domain_of("tg://resolve?domain=x"), None);
    }

    #[test]
    fn mentions_bare_marked_and_text_mentions() {
        let body = "Пишите @seller_bot или Ивану, mail: a@mail.ru";
        let entities = json!([
            { "type": "mention", "offset": 7, "length": 11 },
            { "type": "text_mention", "offset": 23, "length": 5, "user": { "id": 1 } }
        ]);
        assert_eq!(mentions(body, &entities), vec!["@seller_bot", "Ивану"]);
    }

    #[test]
    fn phones_but_not_dates_sums_or_ids() {
        let body = "Звоните +7 (916) 123-45-67 или 8 800 555 35 35, 89161234567, (495) 123-45-67. \
                    Дата 2026-12-06, цена 1 500 000 руб, id 123456789012345678, сумма 12.345.678";
        assert_eq!(phones(body), vec!["+7 (916) 123-45-67", "8 800 555 35 35", "89161234567", "(495) 123-45-67"]);
    }
}
