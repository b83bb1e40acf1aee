//! Localisation (seed 16): both locales carry the same keys, every message formats cleanly with
//! the arguments it uses, Russian plurals are right, and negotiation falls back to Russian.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use fluent_syntax::ast::Entry;
use postgate::i18n::{AVAILABLE, Arg, I18n, SOURCES, message_variables, num, text};

/// Arguments that are numbers (they drive plural forms); every other argument is text.
const NUMERIC: [&str; 24] = [
    "count",
    "seconds",
    "id",
    "approved",
    "rejected",
    "user_id",
    "shown",
    "total",
    "length",
    "limit",
    "minutes",
    "from",
    "to",
    "day",
    "keep", // statistics (/stats):
    "days",
    "submitted",
    "published",
    "pending",
    "decided",
    "rate",
    "hours", // the stale-queue reminder (issue #17 part 3):
    // flags (issue #17 part 2):
    "percent",
    "rows", // exports from the console (issue #19)
];
/// Every text argument a message may use.
const TEXTUAL: [&str; 26] = [
    "name",
    "username",
    "date",
    "status",
    "link",
    "reason",
    "moderator",
    "time",
    "error",
    "chat",
    "title",
    "when",
    "month",
    "author",
    "excerpt",
    "size",
    "folder", // statistics (the view's caption and heat-map cells):
    "tz",
    "hour",
    "slot",  // author options: the preview's length line (message or caption)
    "quote", // conversation with the author (issue #17 part 1):
    "text",
    "age", // the stale-queue reminder (issue #17 part 3):
    // flags (issue #17 part 2):
    "list",
    "origin",
    "path", // exports from the console (issue #19)
];

/// Every message of `locale` with the variables it uses, read from the Fluent AST.
fn messages_with_vars(locale: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    for (_, file, source) in SOURCES.iter().filter(|(l, _, _)| *l == locale) {
        let resource = fluent_syntax::parser::parse(*source)
            .unwrap_or_else(|(_, errors)| panic!("locales/{locale}/{file} does not parse: {errors:?}"));
        for entry in &resource.body {
            assert!(!matches!(entry, Entry::Junk { .. }), "locales/{locale}/{file} has junk: {entry:?}");
            if let Entry::Message(m) = entry {
                out.push((m.id.name.to_owned(), message_variables(m)));
            }
        }
    }
    out
}

fn args_for(vars: &BTreeSet<String>) -> Vec<(&str, Arg)> {
    vars.iter()
        .map(|v| {
            assert!(
                NUMERIC.contains(&v.as_str()) || TEXTUAL.contains(&v.as_str()),
                "${v} is an argument this test does not know: add it to NUMERIC or TEXTUAL"
            );
            if NUMERIC.contains(&v.as_str()) { (v.as_str(), num(3)) } else { (v.as_str(), text(format!("<{v}>"))) }
        })
        .collect()
}

#[test]
fn seed_16_every_key_exists_in_every_locale() {
    let ru: BTreeSet<String> = I18n::message_ids("ru").into_iter().collect();
    let en: BTreeSet<String> = I18n::message_ids("en").into_iter().collect();
    assert!(ru.len() >= 40, "the Russian locale has its messages: {ru:?}");
    assert_eq!(ru.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "keys missing in en");
    assert_eq!(en.difference(&ru).collect::<Vec<_>>(), Vec::<&String>::new(), "keys missing in ru");
    let i18n = I18n::new("ru").unwrap();
    for locale in AVAILABLE {
        for key in &ru {
            assert!(i18n.has_message(locale, key), "{locale} lacks {key}");
        }
    }
    // Both locales use the same arguments in each message.
    let ru_vars = messages_with_vars("ru");
    let en_vars: std::collections::HashMap<_, _> = messages_with_vars("en").into_iter().collect();
    for (key, vars) in &ru_vars {
        assert_eq!(Some(vars), en_vars.get(key), "{key}: ru and en use different arguments");
    }
}

#[test]
fn seed_16_every_message_formats_without_errors_in_both_locales() {
    let capture = common::LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let i18n = I18n::new("ru").unwrap();
    for locale in AVAILABLE {
        let messages = messages_with_vars(locale);
        assert_eq!(messages.len(), I18n::message_ids(locale).len());
        for (key, vars) in &messages {
            let out = i18n.t_args(locale, key, &args_for(vars));
            assert!(!out.trim().is_empty(), "{locale}/{key} formats to nothing");
            assert_ne!(&out, key, "{locale}/{key} fell through to its key");
            assert!(!out.contains("{$") && !out.contains("{ $"), "{locale}/{key} has an unresolved argument: {out}");
            assert!(!out.contains('\u{2068}') && !out.contains('\u{2069}'), "{locale}/{key} has isolation marks");
            for v in vars.iter().filter(|v| !NUMERIC.contains(&v.as_str())) {
                assert!(out.contains(&format!("<{v}>")), "{locale}/{key} drops ${v}: {out}");
            }
        }
    }
    let errors: Vec<_> = capture.lines().into_iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "formatting logged errors: {errors:?}");
    // The negative control: a missing argument is an error that gets logged.
    let _ = i18n.t_args("ru", "receipt", &[]);
    assert!(capture.lines().iter().any(|l| l["level"] == "ERROR"), "missing arguments must be reported");
}

#[test]
fn seed_16_russian_plurals_follow_russian_rules() {
    let i18n = I18n::new("ru").unwrap();
    let ru = |n: i64| i18n.t_args("ru", "pending-count", &[("count", num(n))]);
    assert_eq!(ru(1), "1 заявка");
    assert_eq!(ru(3), "3 заявки");
    assert_eq!(ru(5), "5 заявок");
    assert_eq!(ru(11), "11 заявок");
    assert_eq!(ru(21), "21 заявка");
    assert_eq!(ru(22), "22 заявки");
    assert_eq!(ru(0), "0 заявок");
    assert_eq!(ru(111), "111 заявок");
    let en = |n: i64| i18n.t_args("en", "pending-count", &[("count", num(n))]);
    assert_eq!(en(1), "1 submission");
    assert_eq!(en(21), "21 submissions");
    let wait = i18n.t_args("ru", "rate-limited", &[("seconds", num(2))]);
    assert!(wait.contains("2 секунды"), "{wait}");
}

#[test]
fn seed_16_negotiation_prefers_the_users_language_and_falls_back_to_russian() {
    let i18n = I18n::new("ru").unwrap();
    assert_eq!(i18n.negotiate(None), "ru");
    assert_eq!(i18n.negotiate(Some("")), "ru");
    assert_eq!(i18n.negotiate(Some("  ")), "ru");
    assert_eq!(i18n.negotiate(Some("de")), "ru");
    assert_eq!(i18n.negotiate(Some("not a tag!")), "ru");
    assert_eq!(i18n.negotiate(Some("en")), "en");
    assert_eq!(i18n.negotiate(Some("en-US")), "en");
    assert_eq!(i18n.negotiate(Some("en-gb")), "en");
    assert_eq!(i18n.negotiate(Some("ru-RU")), "ru");
    assert_eq!(i18n.negotiate(Some("uk")), "ru");
    // A user with an unknown language gets Russian text, not English.
    let locale = i18n.negotiate(Some("pt-br"));
    assert_eq!(i18n.t(locale, "status-empty"), "У вас пока нет заявок.");
    // An unknown message falls back to its key rather than panicking.
    assert_eq!(i18n.t("en", "no-such-key"), "no-such-key");
    assert!(I18n::new("de").is_err());
}
