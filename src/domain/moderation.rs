//! Moderation actions and rejection reasons, as recorded in the append-only moderation log.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a moderator (or the system) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    Approve,
    EditApprove,
    Reject,
    Ban,
    Unban,
    RetryPublish,
    Published,
    PublishFailed,
    /// Telegram refused a post's card for good.
    CardFailed,
    /// A moderator sent a failed card again.
    RetryCard,
}

impl ModerationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::EditApprove => "edit_approve",
            Self::Reject => "reject",
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::RetryPublish => "retry_publish",
            Self::Published => "published",
            Self::PublishFailed => "publish_failed",
            Self::CardFailed => "card_failed",
            Self::RetryCard => "retry_card",
        }
    }
}

impl fmt::Display for ModerationAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which face an action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSource {
    Telegram,
    Console,
    System,
}

impl ActionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Telegram => "telegram",
            Self::Console => "console",
            Self::System => "system",
        }
    }
}

/// Why a post was rejected: a template from the locale files, or the moderator's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RejectReason {
    /// A key suffix of `reject-reason-*` in `locales/`, e.g. `spam`.
    Template(String),
    /// Free text written by the moderator, shown to the author as is.
    Custom(String),
}

/// A reason that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReasonError {
    #[error("the reason is empty")]
    Empty,
    #[error("the reason is longer than {max} characters")]
    TooLong { max: usize },
    #[error("unknown reason template {0:?}")]
    UnknownTemplate(String),
}

impl RejectReason {
    pub const MAX_CUSTOM_CHARS: usize = 500;
    /// The templates every locale carries as `reject-reason-<name>`.
    pub const TEMPLATES: [&'static str; 5] = ["spam", "off-topic", "duplicate", "rules", "low-quality"];

    /// A validated template reason.
    pub fn template(name: &str) -> Result<Self, RejectReasonError> {
        if Self::TEMPLATES.contains(&name) {
            Ok(Self::Template(name.to_owned()))
        } else {
            Err(RejectReasonError::UnknownTemplate(name.to_owned()))
        }
    }

    /// A validated free-text reason (trimmed, non-empty, bounded).
    pub fn custom(text: &str) -> Result<Self, RejectReasonError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RejectReasonError::Empty);
        }
        if text.chars().count() > Self::MAX_CUSTOM_CHARS {
            return Err(RejectReasonError::TooLong { max: Self::MAX_CUSTOM_CHARS });
        }
        Ok(Self::Custom(text.to_owned()))
    }

    /// The stored form: `template:spam` or `custom:<text>`.
    pub fn encode(&self) -> String {
        match self {
            Self::Template(name) => format!("template:{name}"),
            Self::Custom(text) => format!("custom:{text}"),
        }
    }

    /// Parses the stored form; anything unrecognised is kept as custom text.
    pub fn decode(stored: &str) -> Self {
        match stored.split_once(':') {
            Some(("template", name)) => Self::Template(name.to_owned()),
            Some(("custom", text)) => Self::Custom(text.to_owned()),
            _ => Self::Custom(stored.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_validated() {
        assert_eq!(RejectReason::template("spam"), Ok(RejectReason::Template("spam".into())));
        assert!(matches!(RejectReason::template("nope"), Err(RejectReasonError::UnknownTemplate(_))));
    }

    #[test]
    fn custom_reasons_are_trimmed_and_bounded() {
        assert_eq!(RejectReason::custom("  too blurry "), Ok(RejectReason::Custom("too blurry".into())));
        assert_eq!(RejectReason::custom("   "), Err(RejectReasonError::Empty));
        let long = "я".repeat(RejectReason::MAX_CUSTOM_CHARS + 1);
        assert_eq!(RejectReason::custom(&long), Err(RejectReasonError::TooLong { max: 500 }));
        assert!(RejectReason::custom(&"я".repeat(500)).is_ok());
    }

    #[test]
    fn stored_form_round_trips() {
        for r in [RejectReason::Template("rules".into()), RejectReason::Custom("a: b".into())] {
            assert_eq!(RejectReason::decode(&r.encode()), r);
        }
    }
}
