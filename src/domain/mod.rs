//! Pure domain types and rules: posts, media, authors, statuses and moderation actions.
//! No I/O lives here; everything is unit-tested beside the code.

mod decision;
mod ids;
mod media;
mod moderation;
mod stats;
mod status;
pub mod text;
mod version;

pub use decision::{
    AuthorEditOutcome, DecidableState, Decision, DecisionKind, Refusal, SubmitOutcome, Undecidable, check_decision,
};
pub use ids::{PostId, UserId};
pub use media::{MediaKind, MediaKindError};
pub use moderation::{ActionSource, ModerationAction, ReasonKind, RejectReason, RejectReasonError};
pub use stats::{RangeLabel, Span, StatsRange, StatsRangeError, WeekHour};
pub use status::{PostStatus, TransitionError};
pub use version::{ContentVersion, ContentVersionError, Seen};
