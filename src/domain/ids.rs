//! Identifier newtypes so a post id can never be passed where a user id is meant.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A submission's id in our database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PostId(pub i64);

/// A Telegram user id (authors and moderators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl UserId {
    /// Who the system's own decisions are recorded under (`posts.decided_by` must name
    /// someone): Telegram never gives a user the id 0. Shown as "system" by both faces.
    pub const SYSTEM: Self = Self(0);
}

impl fmt::Display for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
