//! The badges of a post's flags on its group card: one short line per flag, lists cut to a
//! few items of a few characters each, the whole within [`FLAGS_BUDGET`] UTF-16 units (the
//! card's head budget, see `card.rs`).

use crate::domain::text::{prefix_utf16, utf16_len};
use crate::flags::{FlagKind, PostFlags};
use crate::i18n::{I18n, num, text};

/// The most the flag lines take of a card (the head keeps under 650 units in all). Every flag
/// raised at once with short lists takes about 160 (`tests/bot_flags.rs`).
pub const FLAGS_BUDGET: usize = 200;
/// Items of a list shown (the rest as "…").
const ITEMS: usize = 3;
/// Characters of an item shown.
const ITEM_CHARS: usize = 24;

/// A few items, each cut, "…" when there were more.
fn short_list(items: &[String]) -> String {
    let mut shown: Vec<String> = items
        .iter()
        .take(ITEMS)
        .map(|i| {
            if i.chars().count() > ITEM_CHARS {
                format!("{}…", i.chars().take(ITEM_CHARS).collect::<String>())
            } else {
                i.clone()
            }
        })
        .collect();
    if items.len() > ITEMS {
        shown.push("…".to_owned());
    }
    shown.join(", ")
}

/// The badge lines of `flags` (none when it has none or was not computed yet).
pub fn flag_lines(i18n: &I18n, locale: &str, flags: Option<&PostFlags>) -> Vec<String> {
    let Some(flags) = flags else { return Vec::new() };
    let mut lines = Vec::new();
    let mut used = 0;
    for kind in flags.kinds() {
        let line = flag_line(i18n, locale, flags, kind);
        let len = utf16_len(&line) + 1;
        if used + len > FLAGS_BUDGET {
            // The first line that does not fit is cut and says so; the rest are left out.
            let room = FLAGS_BUDGET.saturating_sub(used + 2);
            if room > 0 {
                lines.push(format!("{}…", prefix_utf16(&line, room)));
            }
            break;
        }
        used += len;
        lines.push(line);
    }
    lines
}

fn flag_line(i18n: &I18n, locale: &str, f: &PostFlags, kind: FlagKind) -> String {
    let list = |items: &[String]| text(short_list(items));
    match kind {
        FlagKind::Duplicate => f
            .duplicate
            .map(|d| {
                let args = [("id", num(d.post_id.0)), ("percent", num(i64::from(d.percent)))];
                i18n.t_args(locale, "card-flag-duplicate", &args)
            })
            .unwrap_or_default(),
        FlagKind::StopWords => i18n.t_args(locale, "card-flag-stop-words", &[("list", list(&f.stop_words))]),
        FlagKind::Links => {
            i18n.t_args(locale, "card-flag-links", &[("count", num(i64::from(f.links))), ("list", list(&f.domains))])
        }
        FlagKind::Mentions => i18n.t_args(locale, "card-flag-mentions", &[("list", list(&f.mentions))]),
        FlagKind::Phones => i18n.t_args(locale, "card-flag-phones", &[("list", list(&f.phones))]),
        FlagKind::Forwarded => i18n.t_args(
            locale,
            "card-flag-forwarded",
            &[("origin", text(short_list(&[f.forwarded.clone().unwrap_or_default()])))],
        ),
        FlagKind::NewAuthor => i18n.t(locale, "card-flag-new-author"),
        FlagKind::Rejections => i18n.t_args(locale, "card-flag-rejections", &[("count", num(f.rejections))]),
        FlagKind::NotChecked => i18n.t(locale, "card-flag-not-checked"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::PostId;
    use crate::flags::Duplicate;

    #[test]
    fn badges_in_both_languages() {
        let i18n = I18n::new("ru").unwrap();
        let flags = PostFlags {
            checked: true,
            duplicate: Some(Duplicate { post_id: PostId(12), percent: 87 }),
            links: 2,
            domains: vec!["bit.ly".into(), "t.me".into()],
            new_author: true,
            ..PostFlags::default()
        };
        let en = flag_lines(&i18n, "en", Some(&flags));
        assert_eq!(en, ["🔁 Looks like #12 (87 %)", "🔗 Links (2): bit.ly, t.me", "🆕 New author"]);
        let ru = flag_lines(&i18n, "ru", Some(&flags));
        assert_eq!(ru[0], "🔁 Похоже на №12 (87 %)");
        assert!(flag_lines(&i18n, "en", None).is_empty());
        assert_eq!(flag_lines(&i18n, "en", Some(&PostFlags::not_checked())), ["❔ Flags not checked"]);
    }

    /// Every flag raised, every list long, every item longer than shown.
    pub(crate) fn worst_case() -> PostFlags {
        let long = |n: usize| (0..n).map(|i| format!("{i}{}", "я".repeat(60))).collect::<Vec<_>>();
        PostFlags {
            checked: true,
            stop_words: long(50),
            links: 90,
            domains: long(90),
            mentions: long(40),
            phones: long(30),
            forwarded: Some("к".repeat(200)),
            duplicate: Some(Duplicate { post_id: PostId(9_999_999_999), percent: 100 }),
            new_author: true,
            rejections: 1_000_000,
        }
    }

    #[test]
    fn the_worst_case_keeps_within_the_budget() {
        let i18n = I18n::new("ru").unwrap();
        let flags = worst_case();
        for locale in ["ru", "en"] {
            let lines = flag_lines(&i18n, locale, Some(&flags));
            let total: usize = lines.iter().map(|l| utf16_len(l) + 1).sum();
            assert!(total <= FLAGS_BUDGET, "{locale}: {total} {lines:?}");
            assert!(lines.len() >= 3, "{lines:?}");
        }
    }
}
