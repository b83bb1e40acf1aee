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
    /// An approved post was given another publication time (or swapped times with another).
    Reschedule,
    /// An approved post lost its time: it waits until it is given one.
    Unschedule,
    /// A scheduled post was sent to be published at once.
    PublishNow,
    /// An approved post went back to the queue, undecided.
    ReturnToQueue,
    /// A post's author or a moderator chose to publish it signed or anonymous.
    SetSigned,
    // Conversation with the author (issue #17 part 1).
    /// A moderator asked the author for changes (the post became `changes_requested`).
    RequestChanges,
    /// A moderator wrote to the author through the bot.
    MessageAuthor,
    /// The author answered in the post's thread (the content unchanged).
    AuthorReply,
    /// The author sent a new version: it replaced the post's content.
    Revised,
    /// The author withdrew the post (rejected, reason `withdrawn`).
    Withdraw,
    /// A request for changes went unanswered for too long (rejected, reason `no-answer`).
    ChangesExpired,
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
            Self::Reschedule => "reschedule",
            Self::Unschedule => "unschedule",
            Self::PublishNow => "publish_now",
            Self::ReturnToQueue => "return_to_queue",
            Self::SetSigned => "set_signed",
            Self::RequestChanges => "request_changes",
            Self::MessageAuthor => "message_author",
            Self::AuthorReply => "author_reply",
            Self::Revised => "revised",
            Self::Withdraw => "withdraw",
            Self::ChangesExpired => "changes_expired",
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
/// Valid by construction: built only by [`RejectReason::template`] / [`RejectReason::custom`]
/// (or from JSON through them), so a decision can never carry an unknown template or an empty
/// or oversized text. Read it through [`RejectReason::kind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReasonWire", into = "ReasonWire")]
pub struct RejectReason(Reason);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Template(&'static str),
    Custom(String),
}

/// What a reason says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind<'a> {
    /// A key suffix of `reject-reason-*` in `locales/`, e.g. `spam`.
    Template(&'a str),
    /// Free text written by the moderator, shown to the author as is.
    Custom(&'a str),
}

/// The JSON shape: `{"kind": "template", "value": "spam"}` or `{"kind": "custom", "value": "…"}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
enum ReasonWire {
    Template(String),
    Custom(String),
}

impl TryFrom<ReasonWire> for RejectReason {
    type Error = RejectReasonError;

    fn try_from(wire: ReasonWire) -> Result<Self, Self::Error> {
        match wire {
            ReasonWire::Template(name) => Self::template(&name),
            ReasonWire::Custom(text) => Self::custom(&text),
        }
    }
}

impl From<RejectReason> for ReasonWire {
    fn from(reason: RejectReason) -> Self {
        match reason.0 {
            Reason::Template(name) => Self::Template(name.to_owned()),
            Reason::Custom(text) => Self::Custom(text),
        }
    }
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
    /// The templates every locale carries as `reject-reason-<name>`. `expired`: the system's
    /// expiry of old pending posts (`PENDING_EXPIRE_DAYS`); moderators may pick it too.
    pub const TEMPLATES: [&'static str; 6] = ["spam", "off-topic", "duplicate", "rules", "low-quality", "expired"];
    /// Templates the system gives, never offered to moderators in the reasons menu: the author
    /// withdrew the post, or never answered a request for changes.
    pub const SYSTEM_TEMPLATES: [&'static str; 2] = ["withdrawn", "no-answer"];

    /// A validated template reason.
    pub fn template(name: &str) -> Result<Self, RejectReasonError> {
        match Self::TEMPLATES.iter().chain(Self::SYSTEM_TEMPLATES.iter()).find(|t| **t == name) {
            Some(known) => Ok(Self(Reason::Template(known))),
            None => Err(RejectReasonError::UnknownTemplate(name.to_owned())),
        }
    }

    /// "Expired": the reason the system rejects pending posts with once they are too old.
    pub fn expired() -> Self {
        Self(Reason::Template("expired"))
    }

    /// "Against the rules": the reason of the card's Ban button.
    pub fn rules() -> Self {
        Self(Reason::Template("rules"))
    }

    /// "Withdrawn by the author".
    pub fn withdrawn() -> Self {
        Self(Reason::Template("withdrawn"))
    }

    /// "No answer to the moderators' request for changes".
    pub fn no_answer() -> Self {
        Self(Reason::Template("no-answer"))
    }

    /// The `index`-th template (the group's reason buttons carry the index).
    pub fn template_at(index: usize) -> Option<Self> {
        Self::TEMPLATES.get(index).map(|name| Self(Reason::Template(name)))
    }

    /// What the reason says.
    pub fn kind(&self) -> ReasonKind<'_> {
        match &self.0 {
            Reason::Template(name) => ReasonKind::Template(name),
            Reason::Custom(text) => ReasonKind::Custom(text),
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
        Ok(Self(Reason::Custom(text.to_owned())))
    }

    /// The stored form: `template:spam` or `custom:<text>`.
    pub fn encode(&self) -> String {
        match self.kind() {
            ReasonKind::Template(name) => format!("template:{name}"),
            ReasonKind::Custom(text) => format!("custom:{text}"),
        }
    }

    /// Reads the stored form back. It was valid when written; anything unrecognised (a
    /// template a later version dropped, a hand edit) is kept as custom text, unvalidated,
    /// so nothing stored is lost.
    pub fn decode(stored: &str) -> Self {
        match stored.split_once(':') {
            Some(("template", name)) => Self::template(name).unwrap_or_else(|_| Self(Reason::Custom(name.to_owned()))),
            Some(("custom", text)) => Self(Reason::Custom(text.to_owned())),
            _ => Self(Reason::Custom(stored.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_validated() {
        assert_eq!(RejectReason::template("spam").unwrap().kind(), ReasonKind::Template("spam"));
        assert!(matches!(RejectReason::template("nope"), Err(RejectReasonError::UnknownTemplate(_))));
        assert_eq!(RejectReason::template("withdrawn").unwrap(), RejectReason::withdrawn());
        assert_eq!(RejectReason::decode(&RejectReason::no_answer().encode()), RejectReason::no_answer());
    }

    #[test]
    fn custom_reasons_are_trimmed_and_bounded() {
        assert_eq!(RejectReason::custom("  too blurry ").unwrap().kind(), ReasonKind::Custom("too blurry"));
        assert_eq!(RejectReason::custom("   "), Err(RejectReasonError::Empty));
        let long = "я".repeat(RejectReason::MAX_CUSTOM_CHARS + 1);
        assert_eq!(RejectReason::custom(&long), Err(RejectReasonError::TooLong { max: 500 }));
        assert!(RejectReason::custom(&"я".repeat(500)).is_ok());
    }

    #[test]
    fn stored_form_round_trips() {
        for r in [RejectReason::template("rules").unwrap(), RejectReason::custom("a: b").unwrap()] {
            assert_eq!(RejectReason::decode(&r.encode()), r);
        }
    }

    #[test]
    fn json_is_validated_on_the_way_in() {
        let r: RejectReason = serde_json::from_str(r#"{"kind":"template","value":"spam"}"#).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"kind":"template","value":"spam"}"#);
        assert!(serde_json::from_str::<RejectReason>(r#"{"kind":"template","value":"nope"}"#).is_err());
        assert!(serde_json::from_str::<RejectReason>(r#"{"kind":"custom","value":"   "}"#).is_err());
        let long = format!(r#"{{"kind":"custom","value":"{}"}}"#, "x".repeat(501));
        assert!(serde_json::from_str::<RejectReason>(&long).is_err());
        assert_eq!(RejectReason::template_at(0).unwrap().kind(), ReasonKind::Template("spam"));
        assert_eq!(RejectReason::template_at(99), None);
    }
}
