//! The post status state machine.
//!
//! ```text
//! pending ──approve──▶ approved ──publish ok──▶ published
//!    │                    │  ▲
//!    │                    │  └──retry── publish_failed ──reject──▶ rejected
//!    └──────reject──────────────────────────────────────────────▶ rejected
//!                         └──publish error──▶ publish_failed
//! pending ──ask for changes──▶ changes_requested ──answer / revision──▶ pending
//!                                 │  └──approve──▶ approved
//!                                 └──reject / withdraw / no answer──▶ rejected
//! ```
//! Author edits are allowed while pending or while changes are requested. Published and
//! rejected are final. A moderator may still approve or reject a post whose author was asked
//! for changes (the answer may have come another way, or the moderator changed their mind).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a submission is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Pending,
    Approved,
    Published,
    PublishFailed,
    Rejected,
    /// A moderator asked the author for changes; the post waits for the author's answer.
    ChangesRequested,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} post cannot become {to}")]
pub struct TransitionError {
    pub from: PostStatus,
    pub to: PostStatus,
}

impl PostStatus {
    pub const ALL: [Self; 6] =
        [Self::Pending, Self::Approved, Self::Published, Self::PublishFailed, Self::Rejected, Self::ChangesRequested];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::PublishFailed => "publish_failed",
            Self::Rejected => "rejected",
            Self::ChangesRequested => "changes_requested",
        }
    }

    /// Whether `self → to` is an allowed transition.
    pub fn can_become(self, to: Self) -> bool {
        use PostStatus::{Approved, ChangesRequested, Pending, PublishFailed, Published, Rejected};
        matches!(
            (self, to),
            (Pending | PublishFailed | ChangesRequested, Approved | Rejected)
                | (Approved, Published | PublishFailed)
                | (Pending, ChangesRequested)
                | (ChangesRequested, Pending)
        )
    }

    /// The checked transition.
    pub fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.can_become(to) { Ok(to) } else { Err(TransitionError { from: self, to }) }
    }

    /// Waiting for a moderator's decision.
    pub fn is_awaiting_decision(self) -> bool {
        self == Self::Pending
    }

    /// Nothing more will happen to the post.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Published | Self::Rejected)
    }

    /// The author may still change the text.
    pub fn accepts_author_edits(self) -> bool {
        matches!(self, Self::Pending | Self::ChangesRequested)
    }

    /// A moderator may approve or reject it now (a retry of a failed publication aside).
    pub fn is_decidable(self) -> bool {
        matches!(self, Self::Pending | Self::ChangesRequested)
    }
}

impl fmt::Display for PostStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown post status {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::PostStatus::*;
    use super::*;

    #[test]
    fn happy_path() {
        assert_eq!(Pending.transition(Approved), Ok(Approved));
        assert_eq!(Approved.transition(Published), Ok(Published));
    }

    #[test]
    fn failed_publish_can_be_retried_or_given_up() {
        assert_eq!(Approved.transition(PublishFailed), Ok(PublishFailed));
        assert_eq!(PublishFailed.transition(Approved), Ok(Approved));
        assert_eq!(PublishFailed.transition(Rejected), Ok(Rejected));
    }

    #[test]
    fn final_states_stay_final() {
        for to in PostStatus::ALL {
            assert!(!Published.can_become(to), "published -> {to}");
            assert!(!Rejected.can_become(to), "rejected -> {to}");
        }
        assert!(Published.is_final() && Rejected.is_final() && !Pending.is_final());
    }

    #[test]
    fn cannot_skip_the_decision() {
        assert_eq!(Pending.transition(Published), Err(TransitionError { from: Pending, to: Published }));
        assert!(!Approved.can_become(Rejected));
        assert!(!Pending.can_become(Pending));
    }

    #[test]
    fn only_undecided_posts_take_author_edits() {
        for s in PostStatus::ALL {
            assert_eq!(s.accepts_author_edits(), s == Pending || s == ChangesRequested);
        }
    }

    #[test]
    fn a_request_for_changes_goes_back_to_pending_or_ends_in_a_decision() {
        assert_eq!(Pending.transition(ChangesRequested), Ok(ChangesRequested));
        assert_eq!(ChangesRequested.transition(Pending), Ok(Pending));
        assert_eq!(ChangesRequested.transition(Rejected), Ok(Rejected));
        assert_eq!(ChangesRequested.transition(Approved), Ok(Approved));
        assert!(!ChangesRequested.can_become(Published));
        assert!(!Approved.can_become(ChangesRequested) && !Rejected.can_become(ChangesRequested));
        assert!(!ChangesRequested.is_awaiting_decision() && ChangesRequested.is_decidable());
    }

    #[test]
    fn names_round_trip() {
        for s in PostStatus::ALL {
            assert_eq!(s.as_str().parse::<PostStatus>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
    }
}
