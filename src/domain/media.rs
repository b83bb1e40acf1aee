//! Media kinds a submission may carry, and which of them Telegram lets share an album.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of one media item of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
    Animation,
    Document,
    Audio,
    Voice,
}

/// An unknown media kind name (e.g. from the database or an import file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown media kind {0:?}")]
pub struct MediaKindError(pub String);

impl MediaKind {
    pub const ALL: [Self; 6] = [Self::Photo, Self::Video, Self::Animation, Self::Document, Self::Audio, Self::Voice];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Video => "video",
            Self::Animation => "animation",
            Self::Document => "document",
            Self::Audio => "audio",
            Self::Voice => "voice",
        }
    }

    /// Whether items of these two kinds may be sent together as one album.
    /// Telegram mixes photos and videos; documents and audio only group with their own kind;
    /// animations and voice notes never form albums.
    pub fn album_compatible(self, other: Self) -> bool {
        use MediaKind::{Audio, Document, Photo, Video};
        matches!((self, other), (Photo | Video, Photo | Video) | (Document, Document) | (Audio, Audio))
    }

    /// Whether a whole album of these kinds can be published as one media group.
    pub fn valid_album(kinds: &[Self]) -> bool {
        (2..=10).contains(&kinds.len()) && kinds.iter().all(|k| kinds[0].album_compatible(*k))
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaKind {
    type Err = MediaKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| MediaKindError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in MediaKind::ALL {
            assert_eq!(kind.as_str().parse::<MediaKind>().unwrap(), kind);
        }
        assert!("sticker".parse::<MediaKind>().is_err());
    }

    #[test]
    fn album_rules_follow_telegram() {
        use MediaKind::*;
        assert!(MediaKind::valid_album(&[Photo, Video, Photo]));
        assert!(MediaKind::valid_album(&[Document, Document]));
        assert!(!MediaKind::valid_album(&[Photo, Document]));
        assert!(!MediaKind::valid_album(&[Animation, Animation]));
        assert!(!MediaKind::valid_album(&[Voice, Voice]));
        assert!(!MediaKind::valid_album(&[Photo]));
        assert!(!MediaKind::valid_album(&[Photo; 11]));
    }
}
