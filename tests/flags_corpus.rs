//! The flags on a labelled corpus (`tests/data/flags/corpus.jsonl`, its stop-word list beside
//! it): stop words in Cyrillic inflections, links in several forms, phones, mentions,
//! near-duplicates with small edits and with reordered sentences, and true negatives. Prints
//! precision and recall per flag and holds each to a floor. The near-duplicate search runs as
//! intake runs it — LSH bands of each text, candidates sharing a band among the earlier items,
//! the exact similarity of those — with an in-memory index in place of `post_fingerprints`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use postgate::domain::PostId;
use postgate::flags::rules::StopRules;
use postgate::flags::{FlagKind, minhash, text_flags};
use postgate::moderation::flags::closest;
use serde::Deserialize;

#[derive(Deserialize)]
struct Item {
    id: String,
    text: String,
    #[serde(default)]
    flags: Vec<String>,
    dup_of: Option<String>,
    #[serde(default)]
    entities: serde_json::Value,
}

/// The default threshold (`FLAG_DUPLICATE_PERCENT`).
const THRESHOLD: u8 = 75;

#[derive(Default, Debug)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
    misses: Vec<String>,
}

impl Score {
    fn add(&mut self, id: &str, expected: bool, found: bool) {
        match (expected, found) {
            (true, true) => self.tp += 1,
            (false, true) => {
                self.fp += 1;
                self.misses.push(format!("+{id}"));
            }
            (true, false) => {
                self.fn_ += 1;
                self.misses.push(format!("-{id}"));
            }
            (false, false) => {}
        }
    }

    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }

    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
}

fn corpus() -> Vec<Item> {
    let raw = include_str!("data/flags/corpus.jsonl");
    raw.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Each item's near-duplicate as intake finds it among the items before it (their index).
fn duplicates(items: &[Item]) -> Vec<Option<usize>> {
    let mut index: HashMap<minhash::Band, Vec<usize>> = HashMap::new();
    let mut found = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let shingles = minhash::shingles(&item.text);
        let bands = minhash::bands(&shingles);
        let candidates: HashSet<usize> = bands.iter().filter_map(|b| index.get(b)).flatten().copied().collect();
        let candidates: Vec<(PostId, String)> =
            candidates.into_iter().map(|c| (PostId(i64::try_from(c).unwrap()), items[c].text.clone())).collect();
        found.push(closest(&shingles, &candidates, THRESHOLD).map(|d| usize::try_from(d.post_id.0).unwrap()));
        for b in bands {
            index.entry(b).or_default().push(i);
        }
    }
    found
}

#[test]
fn flags_on_the_labelled_corpus_reach_their_floors() {
    let items = corpus();
    assert!(items.len() >= 60, "the corpus has {} items", items.len());
    let rules = StopRules::parse(include_str!("data/flags/stop_words.txt")).unwrap();
    let kinds = [FlagKind::StopWords, FlagKind::Links, FlagKind::Mentions, FlagKind::Phones];
    let mut scores: Vec<(FlagKind, Score)> = kinds.iter().map(|k| (*k, Score::default())).collect();
    for item in &items {
        let flags = text_flags(&rules, &item.text, &item.entities);
        for (kind, score) in &mut scores {
            score.add(&item.id, item.flags.iter().any(|f| f == kind.as_str()), flags.has(*kind));
        }
    }
    let group = |i: usize| items[i].dup_of.clone().unwrap_or_else(|| items[i].id.clone());
    let mut duplicate = Score::default();
    for (i, found) in duplicates(&items).into_iter().enumerate() {
        let expected = items[i].dup_of.is_some();
        let right = found.is_some_and(|f| group(f) == group(i));
        // A wrong match is a false positive and, for a labelled copy, a miss as well.
        duplicate.add(&items[i].id, expected, right);
        if found.is_some() && !right {
            duplicate.add(&items[i].id, false, true);
        }
    }
    scores.push((FlagKind::Duplicate, duplicate));
    println!("| flag | precision | recall | tp | fp | fn | wrong |");
    println!("|---|---|---|---|---|---|---|");
    for (kind, s) in &scores {
        println!(
            "| {} | {:.2} | {:.2} | {} | {} | {} | {} |",
            kind.as_str(),
            s.precision(),
            s.recall(),
            s.tp,
            s.fp,
            s.fn_,
            s.misses.join(" ")
        );
    }
    for (kind, s) in &scores {
        assert!(s.tp >= 5, "{kind:?}: the corpus holds at least 5 positives ({s:?})");
        assert!(s.precision() >= 0.9, "{kind:?} precision {:.2}: {:?}", s.precision(), s.misses);
        assert!(s.recall() >= 0.9, "{kind:?} recall {:.2}: {:?}", s.recall(), s.misses);
    }
}
