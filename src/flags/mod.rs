//! Flags for a second look: what a submission contains that a moderator may want to check
//! (stop words, links, mentions, phones, a forwarded origin, a near-duplicate of a recent post,
//! a new author or one with earlier rejections). Flags point; they never decide anything.
//!
//! - [`rules`]: the stop-word and regular-expression list (Settings, `FLAG_STOP_WORDS`)
//! - [`detect`]: links and their domains, mentions, phone numbers (pure)
//! - [`minhash`]: word-shingle `MinHash` signatures, LSH bands and the exact Jaccard similarity

pub mod detect;
pub mod minhash;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::domain::PostId;

/// One kind of flag, as a bit of [`PostFlags::mask`] (stored in `posts.flag_mask`, filtered on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    StopWords,
    Links,
    Mentions,
    Phones,
    Forwarded,
    Duplicate,
    NewAuthor,
    Rejections,
    /// The flags could not be computed (a failure never blocks intake).
    NotChecked,
}

impl FlagKind {
    /// Every kind, in the order badges are shown.
    pub const ALL: [Self; 9] = [
        Self::NotChecked,
        Self::Duplicate,
        Self::StopWords,
        Self::Links,
        Self::Mentions,
        Self::Phones,
        Self::Forwarded,
        Self::NewAuthor,
        Self::Rejections,
    ];

    /// The bit of this kind in a flag mask.
    pub fn bit(self) -> i64 {
        1 << (self as u8)
    }

    /// The stored and filtered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StopWords => "stop_words",
            Self::Links => "links",
            Self::Mentions => "mentions",
            Self::Phones => "phones",
            Self::Forwarded => "forwarded",
            Self::Duplicate => "duplicate",
            Self::NewAuthor => "new_author",
            Self::Rejections => "rejections",
            Self::NotChecked => "not_checked",
        }
    }

    /// The kind a name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A recent post the submission looks like, and how much (Jaccard similarity of word shingles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub post_id: PostId,
    pub percent: u8,
}

/// What the near-duplicate lookup of a stored post came to, when there is something to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateCheck {
    /// It looks like this earlier post.
    Found(Duplicate),
    /// The lookup failed: the post is marked "not checked".
    Failed,
}

/// The flags of one post, stored with it (`posts.flags`, JSON) and shown as badges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostFlags {
    /// `false`: computing them failed; the post was stored all the same ("not checked").
    pub checked: bool,
    /// The list entries that matched (as written in the list).
    pub stop_words: Vec<String>,
    /// The domains linked to (lowercase, without `www.`), each once.
    pub domains: Vec<String>,
    /// The links found (entities and bare ones), to count them.
    pub links: u32,
    /// Mentioned users (`@name`, or the name of a text mention).
    pub mentions: Vec<String>,
    pub phones: Vec<String>,
    /// Where a forwarded message came from (a channel, a user, a hidden user's name).
    pub forwarded: Option<String>,
    pub duplicate: Option<Duplicate>,
    /// The author's first submission.
    pub new_author: bool,
    /// How many of the author's earlier submissions were rejected.
    pub rejections: i64,
}

impl PostFlags {
    /// Flags that could not be computed: the post is marked "not checked".
    pub fn not_checked() -> Self {
        Self { checked: false, ..Self::default() }
    }

    /// The kinds raised.
    pub fn kinds(&self) -> Vec<FlagKind> {
        FlagKind::ALL.into_iter().filter(|k| self.has(*k)).collect()
    }

    /// Whether `kind` is raised.
    pub fn has(&self, kind: FlagKind) -> bool {
        match kind {
            FlagKind::NotChecked => !self.checked,
            FlagKind::StopWords => !self.stop_words.is_empty(),
            FlagKind::Links => self.links > 0,
            FlagKind::Mentions => !self.mentions.is_empty(),
            FlagKind::Phones => !self.phones.is_empty(),
            FlagKind::Forwarded => self.forwarded.is_some(),
            FlagKind::Duplicate => self.duplicate.is_some(),
            FlagKind::NewAuthor => self.new_author,
            FlagKind::Rejections => self.rejections > 0,
        }
    }

    /// The bits of the kinds raised (`posts.flag_mask`).
    pub fn mask(&self) -> i64 {
        self.kinds().into_iter().map(FlagKind::bit).fold(0, |m, b| m | b)
    }
}

/// What the text-only detectors find in a body with its Telegram entities.
pub fn text_flags(rules: &rules::StopRules, body: &str, entities: &serde_json::Value) -> PostFlags {
    let links = detect::links(body, entities);
    let mut domains: Vec<String> = links.iter().filter_map(|l| detect::domain_of(l)).collect();
    domains.sort();
    domains.dedup();
    PostFlags {
        checked: true,
        stop_words: rules.matches(body),
        links: u32::try_from(links.len()).unwrap_or(u32::MAX),
        domains,
        mentions: detect::mentions(body, entities),
        phones: detect::phones(body),
        ..PostFlags::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_has_one_bit_per_kind_and_names_round_trip() {
        let mut seen = 0;
        for kind in FlagKind::ALL {
            assert_eq!(seen & kind.bit(), 0, "{kind:?}");
            seen |= kind.bit();
            assert_eq!(FlagKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(PostFlags::not_checked().mask(), FlagKind::NotChecked.bit());
        let flags = PostFlags { checked: true, links: 2, rejections: 1, ..PostFlags::default() };
        assert_eq!(flags.mask(), FlagKind::Links.bit() | FlagKind::Rejections.bit());
        assert_eq!(flags.kinds(), vec![FlagKind::Links, FlagKind::Rejections]);
    }

    #[test]
    fn the_console_knows_the_same_bits() {
        let js = include_str!("../../ui/js/flags.js");
        for kind in FlagKind::ALL {
            assert!(js.contains(&format!("{}: {}", kind.as_str(), kind.bit())), "ui/js/flags.js: {kind:?}");
        }
    }

    #[test]
    fn stored_form_reads_back_and_tolerates_missing_fields() {
        let flags = PostFlags {
            checked: true,
            duplicate: Some(Duplicate { post_id: PostId(7), percent: 87 }),
            ..PostFlags::default()
        };
        let json = serde_json::to_string(&flags).unwrap();
        assert_eq!(serde_json::from_str::<PostFlags>(&json).unwrap(), flags);
        assert_eq!(serde_json::from_str::<PostFlags>("{\"checked\":true}").unwrap().mask(), 0);
    }
}
