//! The version of a post's content that a moderator saw: a short hash of everything that is
//! published (text, entities, media), named by every approval so that text nobody reviewed
//! — an author's edit after the card was read — is never approved by a press on the old one.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex digits kept of the SHA-256: 64 bits, so an author cannot find an edit with the same
/// version, and short enough for a button's 64-byte payload.
const DIGITS: usize = 16;

/// A content version: 16 lowercase hex digits (valid by construction).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentVersion(String);

/// A string that is not a content version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a content version (16 lowercase hex digits): {0:?}")]
pub struct ContentVersionError(String);

impl ContentVersion {
    /// The version of a post's content: its text, its entities (as stored) and its media (kind
    /// and file id, in order). Each field is length-prefixed, so no two contents run together.
    pub fn of<'a>(
        body: &str,
        entities: &serde_json::Value,
        media: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        field(body.as_bytes());
        field(entities.to_string().as_bytes());
        for (kind, file_id) in media {
            field(kind.as_bytes());
            field(file_id.as_bytes());
        }
        let digest = hasher.finalize();
        Self(digest.iter().take(DIGITS / 2).fold(String::with_capacity(DIGITS), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }))
    }

    /// Reads a version back (from a button or the console).
    pub fn parse(s: &str) -> Result<Self, ContentVersionError> {
        let valid = s.len() == DIGITS && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid { Ok(Self(s.to_owned())) } else { Err(ContentVersionError(s.chars().take(40).collect())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ContentVersion {
    type Error = ContentVersionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ContentVersion> for String {
    fn from(v: ContentVersion) -> Self {
        v.0
    }
}

/// What an approval says the moderator saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "seen", content = "version", rename_all = "snake_case")]
pub enum Seen {
    /// This version of the content, read whole (the console's open post, a card after "Show
    /// all").
    Version(ContentVersion),
    /// This version as its group card showed it: when the card leaves part of the text or its
    /// links out, that is not having read it (the moderation service refuses the approval).
    Card(ContentVersion),
    /// A list row: only a post its author never edited is approved (bulk approval), so an
    /// edit after the list was read is never approved unseen.
    NeverEdited,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn any_change_of_text_entities_or_media_changes_the_version() {
        let base = ContentVersion::of("hi", &json!([]), [("photo", "F1")]);
        assert_eq!(base, ContentVersion::of("hi", &json!([]), [("photo", "F1")]), "stable");
        assert_eq!(base.as_str().len(), 16);
        let link = json!([{"type": "text_link", "offset": 0, "length": 2, "url": "https://evil.example"}]);
        for other in [
            ContentVersion::of("hi!", &json!([]), [("photo", "F1")]),
            ContentVersion::of("hi", &link, [("photo", "F1")]),
            ContentVersion::of("hi", &json!([]), [("photo", "F2")]),
            ContentVersion::of("hi", &json!([]), []),
            ContentVersion::of("h", &json!([]), [("iphoto", "F1")]),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn parse_takes_only_what_of_makes() {
        let v = ContentVersion::of("x", &json!([]), []);
        assert_eq!(ContentVersion::parse(v.as_str()), Ok(v));
        for junk in ["", "0123", "0123456789abcdeF", "0123456789abcdefa", "g123456789abcdef", "01234567-9abcdef"] {
            assert!(ContentVersion::parse(junk).is_err(), "{junk}");
        }
        assert!(serde_json::from_str::<ContentVersion>("\"zz\"").is_err());
    }
}
