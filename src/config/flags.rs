//! The flags' settings: the stop-word list (`FLAG_STOP_WORDS`, entries separated by `;` or new
//! lines, or `FLAG_STOP_WORDS_FILE`, one entry per line; the syntax is in
//! [`crate::flags::rules`]), and the near-duplicate search: posts of the last
//! `FLAG_DUPLICATE_DAYS` days (30) at `FLAG_DUPLICATE_PERCENT` similarity or more (75: a copy with
//! 3 words of 20 changed is 78 %, unrelated texts stay under 20 %; see `crate::flags::minhash`).

use serde::Serialize;

use super::{ConfigError, Reader};
use crate::flags::rules::StopRules;

/// What the flags computed at intake look for.
#[derive(Debug, Clone, Serialize)]
pub struct FlagsConfig {
    /// The stop-word list as written.
    pub stop_words: String,
    /// The list compiled.
    #[serde(skip)]
    pub rules: StopRules,
    /// How far back a near-duplicate is looked for, in days.
    pub duplicate_days: u32,
    /// The similarity (Jaccard of word shingles, %) from which a text is called a near-duplicate.
    pub duplicate_percent: u8,
}

impl Default for FlagsConfig {
    fn default() -> Self {
        Self { stop_words: String::new(), rules: StopRules::default(), duplicate_days: 30, duplicate_percent: 75 }
    }
}

const STOP_WORDS_EXPECTED: &str = "stop words (`word`, `stem*`, `/regex/`) separated by `;` or new lines";

impl Reader<'_> {
    pub(super) fn flags(&self) -> Result<FlagsConfig, ConfigError> {
        let (var, list) = match (self.get("FLAG_STOP_WORDS"), self.get("FLAG_STOP_WORDS_FILE")) {
            (Some(list), _) => ("FLAG_STOP_WORDS", list),
            (None, Some(path)) => {
                let list = std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
                    var: "FLAG_STOP_WORDS_FILE",
                    expected: "a readable text file with one stop word per line",
                    got: format!("{path:?}: {e}"),
                })?;
                ("FLAG_STOP_WORDS_FILE", list)
            }
            (None, None) => ("FLAG_STOP_WORDS", String::new()),
        };
        let rules = StopRules::parse_variable(&list).map_err(|e| ConfigError::Invalid {
            var,
            expected: STOP_WORDS_EXPECTED,
            got: e.to_string(),
        })?;
        let percent = self.int("FLAG_DUPLICATE_PERCENT", 75, 50..=100, "a percentage from 50 to 100")?;
        Ok(FlagsConfig {
            stop_words: list,
            rules,
            duplicate_days: self.int("FLAG_DUPLICATE_DAYS", 30, 1..=365, "days from 1 to 365")?,
            duplicate_percent: u8::try_from(percent).unwrap_or(100),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn flags(vars: &[(&str, &str)]) -> Result<FlagsConfig, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Reader(&move |k: &str| map.get(k).cloned()).flags()
    }

    #[test]
    fn defaults_and_a_list() {
        let f = flags(&[]).unwrap();
        assert_eq!((f.duplicate_days, f.duplicate_percent, f.rules.len()), (30, 75, 0));
        let f = flags(&[("FLAG_STOP_WORDS", "казино; ставк*"), ("FLAG_DUPLICATE_PERCENT", "70")]).unwrap();
        assert_eq!((f.rules.len(), f.duplicate_percent), (2, 70));
    }

    #[test]
    fn a_bad_regex_names_the_variable_and_the_position() {
        let err = flags(&[("FLAG_STOP_WORDS", "казино; /(x/")]).unwrap_err();
        assert_eq!(err.var(), "FLAG_STOP_WORDS");
        assert!(err.to_string().contains("line 2, column 2"), "{err}");
        assert_eq!(flags(&[("FLAG_DUPLICATE_PERCENT", "20")]).unwrap_err().var(), "FLAG_DUPLICATE_PERCENT");
    }

    #[test]
    fn a_list_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stop.txt");
        std::fs::write(&path, "казино\n# a comment\nставк*\n").unwrap();
        let f = flags(&[("FLAG_STOP_WORDS_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(f.rules.len(), 2);
        assert_eq!(flags(&[("FLAG_STOP_WORDS_FILE", "/nonexistent/x")]).unwrap_err().var(), "FLAG_STOP_WORDS_FILE");
    }
}
