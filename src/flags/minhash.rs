//! Near-duplicate text: `MinHash` signatures over word shingles, cut into LSH bands stored in
//! `post_fingerprints(band, hash, post_id)`. Posts sharing a band with a submission are its
//! candidates (one indexed query); their similarity is then computed exactly (Jaccard of the
//! shingle sets) for those few.
//!
//! Shingles are the text's words, normalised (lowercase, `ё` as `е`, punctuation dropped): a
//! copy with its sentences reordered is the same set, and a few words changed in twenty still
//! leave it near (3 of 20 changed: 78 %). Word pairs were tried too and dropped: they halve the
//! similarity of an edited copy (the labelled corpus, `tests/flags_corpus.rs`: 68 % for those 3
//! words) while unrelated texts stay under 20 % either way. With 16 bands of 4 rows a pair at
//! 75 % similarity shares a band with probability 0.998, at 50 % 0.64, at 30 % 0.12
//! (1 − (1 − s⁴)¹⁶): candidates above the default threshold are not missed.

use std::collections::HashSet;

/// Bands per signature.
pub const BANDS: usize = 16;
/// Rows (hash functions) per band.
pub const ROWS: usize = 4;
/// Texts with fewer words are not fingerprinted: too short to call a copy.
pub const MIN_WORDS: usize = 4;

/// One LSH band of a signature: its number and the hash of its rows (as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Band {
    pub band: i16,
    pub hash: i64,
}

/// A text's shingle set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shingles(HashSet<String>);

impl Shingles {
    /// Whether there are none (a text too short to fingerprint).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The normalised shingles of a text (empty when it has fewer than [`MIN_WORDS`] words).
pub fn shingles(text: &str) -> Shingles {
    let mut out = HashSet::new();
    let mut words = 0;
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        words += 1;
        out.insert(word.to_lowercase().replace('ё', "е"));
    }
    Shingles(if words < MIN_WORDS { HashSet::new() } else { out })
}

/// Jaccard similarity of two shingle sets, in whole percent (0 when either is empty).
pub fn similarity(a: &Shingles, b: &Shingles) -> u8 {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let common = a.0.intersection(&b.0).count();
    let union = a.len() + b.len() - common;
    u8::try_from(common * 100 / union).unwrap_or(100)
}

/// FNV-1a: stable across processes and builds (the bands are stored).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// `SplitMix64`'s finaliser: the `i`-th hash function is `mix(h + i·φ)`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The LSH bands of a shingle set (none for an empty one).
pub fn bands(shingles: &Shingles) -> Vec<Band> {
    if shingles.is_empty() {
        return Vec::new();
    }
    let mut signature = [u64::MAX; BANDS * ROWS];
    for shingle in &shingles.0 {
        let h = fnv(shingle.as_bytes());
        for (i, slot) in (0u64..).zip(signature.iter_mut()) {
            *slot = (*slot).min(mix(h.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))));
        }
    }
    (0i16..)
        .zip(signature.chunks(ROWS))
        .map(|(band, rows)| {
            let bytes: Vec<u8> = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
            Band { band, hash: i64::from_le_bytes(fnv(&bytes).to_le_bytes()) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Продаю велосипед Stels в хорошем состоянии. Пробег небольшой, все детали родные. \
                        Забирать в центре города, торг уместен.";

    fn shared(a: &str, b: &str) -> usize {
        let (a, b) = (bands(&shingles(a)), bands(&shingles(b)));
        a.iter().filter(|x| b.contains(x)).count()
    }

    #[test]
    fn a_copy_with_a_small_edit_or_reordered_sentences_is_near() {
        let edited = TEXT.replace("хорошем", "отличном");
        let reordered = "Забирать в центре города, торг уместен. Продаю велосипед Stels в хорошем состоянии. \
                         Пробег небольшой, все детали родные.";
        assert_eq!(similarity(&shingles(TEXT), &shingles(TEXT)), 100);
        assert!(
            similarity(&shingles(TEXT), &shingles(&edited)) >= 80,
            "{}",
            similarity(&shingles(TEXT), &shingles(&edited))
        );
        assert_eq!(similarity(&shingles(TEXT), &shingles(reordered)), 100);
        assert!(shared(TEXT, &edited) > 0 && shared(TEXT, reordered) == BANDS);
    }

    #[test]
    fn another_text_is_far_and_short_texts_are_not_fingerprinted() {
        let other = "Ищу попутчиков до Казани на выходные, выезд в субботу утром, двое мест свободно.";
        assert!(similarity(&shingles(TEXT), &shingles(other)) < 20);
        assert_eq!(shared(TEXT, other), 0);
        assert!(shingles("Всем привет!").is_empty());
        assert!(bands(&shingles("")).is_empty());
    }

    #[test]
    fn bands_are_stable_across_builds() {
        // Stored bands must keep their meaning: a changed hash would miss every older post.
        let b = bands(&shingles("один два три четыре"));
        assert_eq!(b.len(), BANDS);
        assert_eq!(b[0].band, 0);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
