//! The decision and submission vocabulary and the rules that say whether a decision may be
//! taken now. Both storage backends apply [`check_decision`] inside their transaction, so the
//! rule is written once and the group and the console meet the same answer.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::version::{ContentVersion, Seen};
use super::{ActionSource, ModerationAction, PostId, PostStatus, RejectReason, UserId};

/// A moderator's decision on a post.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub post_id: PostId,
    pub moderator: UserId,
    pub source: ActionSource,
    pub kind: DecisionKind,
}

/// What the moderator decided.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionKind {
    /// Approve what the post holds at the time, as is or with the moderator's edited text.
    /// Names no version: for callers that showed nobody the post (seeding, benchmarks). Both
    /// faces approve with [`DecisionKind::ApproveSeen`].
    Approve { edited_body: Option<String> },
    /// Approve the content the moderator saw, as is or with their edited text; refused
    /// ([`Undecidable::Changed`]) when the author changed it since.
    ApproveSeen { seen: Seen, edited_body: Option<String> },
    /// Reject with a reason the author sees; optionally ban the author too.
    Reject { reason: RejectReason, ban_author: bool },
    /// Send a failed publication to the channel again.
    RetryPublish,
}

impl Decision {
    /// The moderator its log rows name: none for the system's own decisions (the expiry of old
    /// pending posts, decided as [`UserId::SYSTEM`]), as for the schedule's catch-up.
    pub fn logged_moderator(&self) -> Option<UserId> {
        (self.source != ActionSource::System).then_some(self.moderator)
    }
}

impl DecisionKind {
    /// The status the post takes and the action the log records.
    pub fn effect(&self) -> (PostStatus, ModerationAction) {
        match self {
            Self::Approve { edited_body: None } | Self::ApproveSeen { edited_body: None, .. } => {
                (PostStatus::Approved, ModerationAction::Approve)
            }
            Self::Approve { edited_body: Some(_) } | Self::ApproveSeen { edited_body: Some(_), .. } => {
                (PostStatus::Approved, ModerationAction::EditApprove)
            }
            Self::Reject { .. } => (PostStatus::Rejected, ModerationAction::Reject),
            Self::RetryPublish => (PostStatus::Approved, ModerationAction::RetryPublish),
        }
    }

    /// The moderator's edited text, if the decision approves one.
    pub fn edited_body(&self) -> Option<&str> {
        match self {
            Self::Approve { edited_body } | Self::ApproveSeen { edited_body, .. } => edited_body.as_deref(),
            _ => None,
        }
    }
}

/// Why a decision cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecidable {
    /// Another moderator holds an unexpired claim on the pending post.
    ClaimedByOther { by: UserId, until: DateTime<Utc> },
    /// The post's state does not allow it (somebody decided first, or a retry of a post that
    /// did not fail).
    AlreadyDecided { status: PostStatus, by: Option<UserId> },
    /// The author changed the post since the moderator saw it: this is its version now.
    Changed { version: ContentVersion },
}

/// The post as a decision sees it.
#[derive(Debug, Clone)]
pub struct DecidableState {
    pub status: PostStatus,
    pub decided_by: Option<UserId>,
    pub claimed_by: Option<UserId>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    /// The version of the content now.
    pub version: ContentVersion,
    pub edited_by_author: bool,
}

/// Whether `moderator` may take `kind` on a post in `state` at `now`: a plain decision only on
/// a pending post nobody else holds a claim on; a retry only of a failed publication; an
/// approval only of the content the moderator saw.
pub fn check_decision(
    state: &DecidableState,
    moderator: UserId,
    kind: &DecisionKind,
    now: DateTime<Utc>,
) -> Result<(PostStatus, ModerationAction), Undecidable> {
    if let (Some(by), Some(until)) = (state.claimed_by, state.claim_expires_at)
        && by != moderator
        && until > now
        && state.status == PostStatus::Pending
    {
        return Err(Undecidable::ClaimedByOther { by, until });
    }
    let (target, action) = kind.effect();
    let allowed = match kind {
        DecisionKind::RetryPublish => state.status == PostStatus::PublishFailed,
        _ => state.status.is_decidable() && state.status.can_become(target),
    };
    if !allowed {
        return Err(Undecidable::AlreadyDecided { status: state.status, by: state.decided_by });
    }
    let changed = match kind {
        DecisionKind::ApproveSeen { seen: Seen::Version(seen) | Seen::Card(seen), .. } => *seen != state.version,
        DecisionKind::ApproveSeen { seen: Seen::NeverEdited, .. } => state.edited_by_author,
        _ => false,
    };
    if changed {
        return Err(Undecidable::Changed { version: state.version.clone() });
    }
    Ok((target, action))
}

/// Why a submission was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "refusal", content = "pending", rename_all = "snake_case")]
pub enum Refusal {
    Banned,
    RateLimited,
    /// The author already has this many posts waiting.
    TooManyPending(i64),
}

/// What a submission came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum SubmitOutcome {
    Created(PostId),
    /// A later part of an album joined the post of its first part.
    AlbumPart(PostId),
    /// The same source message was stored before; nothing changed (checked before admission,
    /// so a redelivered update is never refused).
    Duplicate(PostId),
    /// Not stored: the author is banned, over the rate limit or over the pending cap.
    Refused(Refusal),
}

impl SubmitOutcome {
    /// The post concerned; `None` when the submission was refused.
    pub fn post_id(self) -> Option<PostId> {
        match self {
            Self::Created(id) | Self::AlbumPart(id) | Self::Duplicate(id) => Some(id),
            Self::Refused(_) => None,
        }
    }
}

/// What an author's edit came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorEditOutcome {
    Updated(PostId),
    /// The post was already decided; the edit is not applied.
    TooLate(PostId),
    /// The message is not part of any submission.
    Unknown,
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const A: UserId = UserId(1);
    const B: UserId = UserId(2);

    fn pending() -> DecidableState {
        DecidableState {
            status: PostStatus::Pending,
            decided_by: None,
            claimed_by: None,
            claim_expires_at: None,
            version: version("v1"),
            edited_by_author: false,
        }
    }

    fn version(body: &str) -> ContentVersion {
        ContentVersion::of(body, &serde_json::json!([]), [])
    }

    fn approve() -> DecisionKind {
        DecisionKind::Approve { edited_body: None }
    }

    #[test]
    fn a_pending_post_is_decidable_and_says_what_it_becomes() {
        let now = Utc::now();
        assert_eq!(
            check_decision(&pending(), A, &approve(), now),
            Ok((PostStatus::Approved, ModerationAction::Approve))
        );
        let edit = DecisionKind::Approve { edited_body: Some("x".into()) };
        assert_eq!(check_decision(&pending(), A, &edit, now).unwrap().1, ModerationAction::EditApprove);
        let reject = DecisionKind::Reject { reason: RejectReason::rules(), ban_author: true };
        assert_eq!(check_decision(&pending(), A, &reject, now).unwrap().0, PostStatus::Rejected);
    }

    #[test]
    fn another_moderators_live_claim_blocks_and_an_expired_one_does_not() {
        let now = Utc::now();
        let held =
            DecidableState { claimed_by: Some(B), claim_expires_at: Some(now + Duration::seconds(60)), ..pending() };
        assert_eq!(
            check_decision(&held, A, &approve(), now),
            Err(Undecidable::ClaimedByOther { by: B, until: now + Duration::seconds(60) })
        );
        assert!(check_decision(&held, B, &approve(), now).is_ok(), "the holder decides");
        let expired = DecidableState { claim_expires_at: Some(now - Duration::seconds(1)), ..held.clone() };
        assert!(check_decision(&expired, A, &approve(), now).is_ok());
    }

    #[test]
    fn decided_posts_take_no_decision_and_only_failures_are_retried() {
        let now = Utc::now();
        let approved = DecidableState { status: PostStatus::Approved, decided_by: Some(B), ..pending() };
        assert_eq!(
            check_decision(&approved, A, &approve(), now),
            Err(Undecidable::AlreadyDecided { status: PostStatus::Approved, by: Some(B) })
        );
        assert!(check_decision(&pending(), A, &DecisionKind::RetryPublish, now).is_err());
        let failed = DecidableState { status: PostStatus::PublishFailed, ..approved.clone() };
        assert_eq!(
            check_decision(&failed, A, &DecisionKind::RetryPublish, now),
            Ok((PostStatus::Approved, ModerationAction::RetryPublish))
        );
        assert!(check_decision(&failed, A, &approve(), now).is_err());
    }

    #[test]
    fn an_approval_of_content_the_author_changed_since_is_refused_with_the_new_version() {
        let now = Utc::now();
        let seen = |body: &str| DecisionKind::ApproveSeen { seen: Seen::Version(version(body)), edited_body: None };
        assert_eq!(
            check_decision(&pending(), A, &seen("v1"), now),
            Ok((PostStatus::Approved, ModerationAction::Approve))
        );
        let edited = DecidableState { version: version("v2"), edited_by_author: true, ..pending() };
        assert_eq!(check_decision(&edited, A, &seen("v1"), now), Err(Undecidable::Changed { version: version("v2") }));
        assert!(check_decision(&edited, A, &seen("v2"), now).is_ok());
        // As a card showed it: the same rule (whether the card showed it whole is the
        // moderation service's check).
        let card = |body: &str| DecisionKind::ApproveSeen { seen: Seen::Card(version(body)), edited_body: None };
        assert_eq!(check_decision(&edited, A, &card("v1"), now), Err(Undecidable::Changed { version: version("v2") }));
        assert!(check_decision(&edited, A, &card("v2"), now).is_ok());
        let bulk = DecisionKind::ApproveSeen { seen: Seen::NeverEdited, edited_body: None };
        assert!(check_decision(&pending(), A, &bulk, now).is_ok());
        assert_eq!(check_decision(&edited, A, &bulk, now), Err(Undecidable::Changed { version: version("v2") }));
        // Rejections and the unchecked approval name no version.
        let reject = DecisionKind::Reject { reason: RejectReason::rules(), ban_author: false };
        assert!(check_decision(&edited, A, &reject, now).is_ok());
        // A decided post says so, whatever version was seen.
        let decided = DecidableState { status: PostStatus::Approved, ..edited };
        assert!(matches!(check_decision(&decided, A, &seen("v1"), now), Err(Undecidable::AlreadyDecided { .. })));
    }
}
