//! Inline-button payloads: short, versionless strings under Telegram's 64-byte limit, parsed
//! strictly (anything else is a stale or forged button).

use crate::domain::{PostId, RejectReason};

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Approve(PostId),
    /// Show the reason templates.
    RejectMenu(PostId),
    /// Reject with the template at this index of [`RejectReason::TEMPLATES`].
    Reject(PostId, usize),
    /// Reject as abuse and ban the author.
    Ban(PostId),
    /// Back from the reasons to the main buttons.
    Back(PostId),
    RetryPublish(PostId),
    /// A user picks a language (private chat).
    Language(String),
}

/// Telegram's limit for `callback_data`.
pub const MAX_LEN: usize = 64;

impl Action {
    pub fn encode(&self) -> String {
        match self {
            Self::Approve(p) => format!("a:{p}"),
            Self::RejectMenu(p) => format!("rm:{p}"),
            Self::Reject(p, i) => format!("r:{p}:{i}"),
            Self::Ban(p) => format!("b:{p}"),
            Self::Back(p) => format!("bk:{p}"),
            Self::RetryPublish(p) => format!("rp:{p}"),
            Self::Language(l) => format!("lang:{l}"),
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
        let action = match tag {
            "a" => Self::Approve(post),
            "rm" => Self::RejectMenu(post),
            "r" => {
                let index = parts.next()?.parse::<usize>().ok().filter(|i| *i < RejectReason::TEMPLATES.len())?;
                Self::Reject(post, index)
            }
            "b" => Self::Ban(post),
            "bk" => Self::Back(post),
            "rp" => Self::RetryPublish(post),
            _ => return None,
        };
        parts.next().is_none().then_some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fits_the_limit() {
        let big = PostId(i64::MAX);
        for action in [
            Action::Approve(big),
            Action::RejectMenu(big),
            Action::Reject(big, 4),
            Action::Ban(big),
            Action::Back(big),
            Action::RetryPublish(big),
            Action::Language("en".into()),
        ] {
            let data = action.encode();
            assert!(data.len() <= MAX_LEN, "{data}");
            assert_eq!(Action::parse(&data), Some(action));
        }
    }

    #[test]
    fn junk_is_rejected() {
        for junk in ["", "a", "a:", "a:x", "a:-1", "a:1:2", "r:1:99", "zz:1", "lang:de", &"a:1".repeat(30)] {
            assert_eq!(Action::parse(junk), None, "{junk}");
        }
    }
}
