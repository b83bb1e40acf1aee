//! The stop-word list moderators edit in Settings (or `FLAG_STOP_WORDS` / `FLAG_STOP_WORDS_FILE`
//! headless): one entry per line (or separated by `;` in the variable).
//!
//! - `казино` matches the whole word only, in any case (Cyrillic too), `е` also as `ё`;
//! - `казино*` is a stem: it matches words that begin with it (`казино`, `казиношный`), so
//!   a stem written without its ending matches the inflections (`ставк*`: ставка, ставки, ставкой);
//! - several words (`быстрый заработок`) match that phrase, words separated by any spaces;
//! - `/регулярное выражение/` is a regular expression (the `regex` crate's syntax), matched
//!   case-insensitively anywhere; a bad one is refused with its line and column.
//!
//! Empty lines and lines starting with `#` are skipped.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// An entry of the list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RuleError {
    /// 1-based line of the list.
    pub line: usize,
    /// 1-based column (in characters) of the fault within the line.
    pub column: usize,
    pub message: String,
}

/// The compiled list: every entry as a pattern of one set, matched in one pass.
#[derive(Debug, Clone)]
pub struct StopRules {
    entries: Vec<String>,
    set: RegexSet,
}

impl Default for StopRules {
    fn default() -> Self {
        Self::parse("").unwrap_or_else(|_| unreachable!("an empty list compiles"))
    }
}

/// The most an entry's compiled pattern may take, so a pasted monster cannot stall intake.
const SIZE_LIMIT: usize = 1 << 20;

impl StopRules {
    /// Compiles the list (one entry per line); the first bad entry is refused with where it is.
    pub fn parse(list: &str) -> Result<Self, RuleError> {
        let mut entries = Vec::new();
        let mut patterns = Vec::new();
        for (index, raw) in list.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let lead = raw.chars().take_while(|c| c.is_whitespace()).count();
            let pattern = pattern_of(line).map_err(|(column, message)| RuleError {
                line: index + 1,
                column: lead + column,
                message,
            })?;
            entries.push(line.to_owned());
            patterns.push(pattern);
        }
        let set = RegexSetBuilder::new(&patterns)
            .size_limit(SIZE_LIMIT * patterns.len().max(1))
            .build()
            .map_err(|e| RuleError { line: 0, column: 0, message: e.to_string() })?;
        Ok(Self { entries, set })
    }

    /// The list as the variable gives it: entries separated by `;` (then entry n is reported as
    /// line n) or new lines.
    pub fn parse_variable(value: &str) -> Result<Self, RuleError> {
        if value.contains('\n') {
            Self::parse(value)
        } else {
            // Entry n is line n, its columns counted from its first character.
            Self::parse(&value.split(';').map(str::trim).collect::<Vec<_>>().join("\n"))
        }
    }

    /// How many entries the list has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries (as written) that match `text`, in list order.
    pub fn matches(&self, text: &str) -> Vec<String> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        self.set.matches(text).into_iter().map(|i| self.entries[i].clone()).collect()
    }
}

/// The pattern of one trimmed entry, or where (1-based column) and why it is refused.
fn pattern_of(entry: &str) -> Result<String, (usize, String)> {
    if let Some(inner) = entry.strip_prefix('/').and_then(|r| r.strip_suffix('/')).filter(|_| entry.len() > 1) {
        check_regex(inner).map_err(|(offset, message)| (offset + 2, message))?;
        return Ok(format!("(?i:{inner})"));
    }
    let (words, stem) = match entry.strip_suffix('*') {
        Some(stem) => (stem.trim_end(), true),
        None => (entry, false),
    };
    if words.is_empty() {
        return Err((1, "a stem needs at least one letter before `*`".to_owned()));
    }
    if let Some((at, c)) = words.char_indices().find(|(_, c)| *c == '*') {
        let column = entry[..at].chars().count() + 1;
        return Err((column, format!("`{c}` is only allowed at the end of a stem")));
    }
    let body: Vec<String> = words.split_whitespace().map(word_pattern).collect();
    let tail = if stem { r"\w*" } else { r"\b" };
    Ok(format!(r"(?i)\b{}{tail}", body.join(r"\s+")))
}

/// A literal word, `е` and `ё` matching each other.
fn word_pattern(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'е' | 'ё' => "[её]".to_owned(),
            'Е' | 'Ё' => "[ЕЁ]".to_owned(),
            c => regex::escape(&c.to_string()),
        })
        .collect()
}

/// Checks a regular expression; its fault's character offset (0-based) and message.
fn check_regex(pattern: &str) -> Result<(), (usize, String)> {
    let parsed = regex_syntax::ast::parse::Parser::new().parse(pattern);
    if let Err(e) = parsed {
        let offset = pattern[..e.span().start.offset.min(pattern.len())].chars().count();
        return Err((offset, e.kind().to_string()));
    }
    // Also what the parser of the AST refuses (e.g. an invalid Unicode class) and the size.
    RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).build().map(|_: Regex| ()).map_err(|e| (0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_in_any_case_and_e_with_yo() {
        let rules = StopRules::parse("казино\nещё").unwrap();
        assert_eq!(rules.matches("Лучшее КАЗИНО города"), vec!["казино"]);
        assert!(rules.matches("казиношный бонус").is_empty(), "a whole word only");
        assert_eq!(rules.matches("Еще раз"), vec!["ещё"]);
    }

    #[test]
    fn stems_match_inflections() {
        let rules = StopRules::parse("ставк*\nзаработ*").unwrap();
        for text in ["Ставки на спорт", "со ставкой", "ставку", "Заработок без вложений", "заработать"]
        {
            assert!(!rules.matches(text).is_empty(), "{text}");
        }
        assert!(rules.matches("наставка").is_empty(), "a stem starts a word");
    }

    #[test]
    fn phrases_and_regexes() {
        let rules = StopRules::parse("  быстрый заработок\n# comment\n\n/bit\\.ly|goo\\.gl/").unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules.matches("Быстрый   заработок тут"), vec!["быстрый заработок"]);
        assert_eq!(rules.matches("see BIT.LY/x"), vec!["/bit\\.ly|goo\\.gl/"]);
    }

    #[test]
    fn a_bad_regex_is_refused_with_its_position() {
        let err = StopRules::parse("казино\n/(abc/").unwrap_err();
        assert_eq!((err.line, err.column), (2, 2), "{err}");
        assert!(err.message.contains("unclosed group"), "{err}");
        let err = StopRules::parse("ok\n  /ab[c/").unwrap_err();
        assert_eq!((err.line, err.column), (2, 6), "{err}");
        let err = StopRules::parse("ка*зино").unwrap_err();
        assert_eq!((err.line, err.column), (1, 3), "{err}");
        assert!(err.to_string().starts_with("line 1, column 3:"));
    }

    #[test]
    fn the_variable_separates_entries_with_semicolons() {
        let rules = StopRules::parse_variable("казино; ставк*").unwrap();
        assert_eq!(rules.len(), 2);
        assert!(StopRules::default().matches("anything").is_empty());
    }
}
