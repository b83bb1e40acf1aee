//! Inline-button payloads: short strings under Telegram's 64-byte limit, parsed strictly
//! (anything else is a forged or broken button). Buttons that lead to an approval name the
//! version of the content their card shows; a card sent before versions existed has buttons
//! without one, read as [`Action::Stale`] (the card is shown again, current).

use crate::domain::{ContentVersion, PostId, RejectReason};

/// What the moderator has read of a post: its card, or — after "Show all" — the whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Card,
    Whole,
}

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Approve the version the card shows.
    Approve(PostId, ContentVersion, View),
    /// Send the whole text of a cut card (then "Approve" replaces "Show all").
    ShowAll(PostId, ContentVersion),
    /// Show the reason templates.
    RejectMenu(PostId, ContentVersion, View),
    /// Reject with the template at this index of [`RejectReason::TEMPLATES`].
    Reject(PostId, usize),
    /// Reject as abuse and ban the author.
    Ban(PostId),
    /// Back from the reasons to the main buttons.
    Back(PostId, ContentVersion, View),
    RetryPublish(PostId),
    /// Publish a scheduled post now; the time (Unix seconds) its card showed.
    PublishNow(PostId, i64),
    /// Take a scheduled post's time away (it waits, approved); the time its card showed.
    Unschedule(PostId, i64),
    /// Give an approved post without a time the plan's next free slot.
    NextSlot(PostId),
    /// Take an approval back (the moderator who approved, while nothing was published).
    Undo(PostId),
    /// A button of a card sent before buttons named a version ("a:", "rm:", "bk:" with a post
    /// id only): nothing is decided, the card is shown again with the current version.
    Stale(PostId),
    /// A user picks a language (private chat).
    Language(String),
    /// The author of a post chooses to publish it signed (`true`) or anonymous: the toggle
    /// under their receipt, which carries the choice it makes.
    Signed(PostId, bool),
    /// The author withdraws their post (under a request for changes, in their private chat).
    Withdraw(PostId),
    /// A moderator asks the author for changes (the card's button: the text comes as a reply).
    AskChanges(PostId),
}

/// Telegram's limit for `callback_data`.
pub const MAX_LEN: usize = 64;

impl Action {
    pub fn encode(&self) -> String {
        let w = |view: &View| if *view == View::Whole { "w" } else { "" };
        match self {
            Self::Approve(p, v, view) => format!("a{}:{p}:{v}", w(view)),
            Self::ShowAll(p, v) => format!("sa:{p}:{v}"),
            Self::RejectMenu(p, v, view) => format!("rm{}:{p}:{v}", w(view)),
            Self::Reject(p, i) => format!("r:{p}:{i}"),
            Self::Ban(p) => format!("b:{p}"),
            Self::Back(p, v, view) => format!("bk{}:{p}:{v}", w(view)),
            Self::RetryPublish(p) => format!("rp:{p}"),
            Self::PublishNow(p, at) => format!("pn:{p}:{at}"),
            Self::Unschedule(p, at) => format!("us:{p}:{at}"),
            Self::NextSlot(p) => format!("ns:{p}"),
            Self::Undo(p) => format!("ud:{p}"),
            Self::Stale(p) => format!("a:{p}"),
            Self::Language(l) => format!("lang:{l}"),
            Self::Signed(p, signed) => format!("sg:{p}:{}", u8::from(*signed)),
            Self::Withdraw(p) => format!("wd:{p}"),
            Self::AskChanges(p) => format!("ch:{p}"),
        }
    }

    pub fn parse(data: &str) -> Option<Self> {
        if data.len() > MAX_LEN {
            return None;
        }
        let mut parts = data.split(':');
        let tag = parts.next()?;
        if tag == "lang" {
            let locale = parts.next()?;
            return (crate::i18n::AVAILABLE.contains(&locale) && parts.next().is_none())
                .then(|| Self::Language(locale.to_owned()));
        }
        let post = PostId(parts.next()?.parse::<i64>().ok().filter(|id| *id > 0)?);
        let third = parts.next();
        let version = || third.and_then(|v| ContentVersion::parse(v).ok());
        let action = match (tag, third) {
            ("a" | "rm" | "bk", None) => Self::Stale(post),
            ("a", _) => Self::Approve(post, version()?, View::Card),
            ("aw", _) => Self::Approve(post, version()?, View::Whole),
            ("sa", _) => Self::ShowAll(post, version()?),
            ("rm", _) => Self::RejectMenu(post, version()?, View::Card),
            ("rmw", _) => Self::RejectMenu(post, version()?, View::Whole),
            ("bk", _) => Self::Back(post, version()?, View::Card),
            ("bkw", _) => Self::Back(post, version()?, View::Whole),
            ("r", Some(index)) => {
                let index = index.parse::<usize>().ok().filter(|i| *i < RejectReason::TEMPLATES.len())?;
                Self::Reject(post, index)
            }
            ("b", None) => Self::Ban(post),
            ("rp", None) => Self::RetryPublish(post),
            ("pn", Some(at)) => Self::PublishNow(post, at.parse().ok()?),
            ("us", Some(at)) => Self::Unschedule(post, at.parse().ok()?),
            ("ns", None) => Self::NextSlot(post),
            ("ud", None) => Self::Undo(post),
            ("sg", Some("1")) => Self::Signed(post, true),
            ("sg", Some("0")) => Self::Signed(post, false),
            ("wd", None) => Self::Withdraw(post),
            ("ch", None) => Self::AskChanges(post),
            _ => return None,
        };
        parts.next().is_none().then_some(action)
    }

    /// The post a moderation button is about (`None` for a language choice).
    pub fn post(&self) -> Option<PostId> {
        match self {
            Self::Approve(p, ..)
            | Self::ShowAll(p, _)
            | Self::RejectMenu(p, ..)
            | Self::Reject(p, _)
            | Self::Ban(p)
            | Self::Back(p, ..)
            | Self::RetryPublish(p)
            | Self::PublishNow(p, _)
            | Self::Unschedule(p, _)
            | Self::NextSlot(p)
            | Self::Undo(p)
            | Self::Stale(p)
            | Self::Signed(p, _)
            | Self::Withdraw(p)
            | Self::AskChanges(p) => Some(*p),
            Self::Language(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> ContentVersion {
        ContentVersion::of("text", &serde_json::json!([]), [])
    }

    #[test]
    fn round_trips_and_fits_the_limit() {
        let big = PostId(i64::MAX);
        for action in [
            Action::Approve(big, v(), View::Card),
            Action::Approve(big, v(), View::Whole),
            Action::ShowAll(big, v()),
            Action::RejectMenu(big, v(), View::Card),
            Action::RejectMenu(big, v(), View::Whole),
            Action::Reject(big, 4),
            Action::Ban(big),
            Action::Back(big, v(), View::Card),
            Action::Back(big, v(), View::Whole),
            Action::RetryPublish(big),
            Action::PublishNow(big, i64::MAX),
            Action::Unschedule(big, -1),
            Action::NextSlot(big),
            Action::Undo(big),
            Action::Stale(big),
            Action::Language("en".into()),
            Action::Signed(big, true),
            Action::Signed(big, false),
            Action::Withdraw(big),
            Action::AskChanges(big),
        ] {
            let data = action.encode();
            assert!(data.len() <= MAX_LEN, "{data}");
            assert_eq!(Action::parse(&data), Some(action));
        }
    }

    #[test]
    fn buttons_of_cards_sent_before_versions_are_stale_and_the_rest_still_work() {
        assert_eq!(Action::parse("a:7"), Some(Action::Stale(PostId(7))));
        assert_eq!(Action::parse("rm:7"), Some(Action::Stale(PostId(7))));
        assert_eq!(Action::parse("bk:7"), Some(Action::Stale(PostId(7))));
        assert_eq!(Action::parse("r:7:1"), Some(Action::Reject(PostId(7), 1)));
        assert_eq!(Action::parse("b:7"), Some(Action::Ban(PostId(7))));
        assert_eq!(Action::parse("rp:7"), Some(Action::RetryPublish(PostId(7))));
    }

    #[test]
    fn junk_is_rejected() {
        let good = v().to_string();
        for junk in [
            "",
            "a",
            "a:",
            "a:x",
            "a:-1",
            "a:1:2",
            "a:1:ZZZZZZZZZZZZZZZZ",
            &format!("a:1:{good}:x"),
            "aw:1",
            "pn:1",
            "pn:1:x",
            "us:1",
            "ns:1:2",
            "ud:1:2",
            "sg:1",
            "sg:1:2",
            "sg:1:1:1",
            "wd:1:2",
            "ch:x",
            "sa:1",
            "b:1:2",
            "r:1",
            "r:1:99",
            "zz:1",
            "lang:de",
            &"a:1".repeat(30),
        ] {
            assert_eq!(Action::parse(junk), None, "{junk}");
        }
    }
}
