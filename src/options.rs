//! Author options and what the channel adds to every post: signed or anonymous by default
//! (`SIGNATURE_DEFAULT`), the signature line of a signed post (`SIGNATURE_TEMPLATE`, with
//! `{name}` and `{full_name}`), and the footer of every published post (`POST_FOOTER`).
//! Read once with the configuration; a bad template names its variable and the placeholder.

use serde::Serialize;

use crate::config::ConfigError;
use crate::domain::text::{MAX_CAPTION, utf16_len};

/// The signature when `SIGNATURE_TEMPLATE` is unset.
pub const DEFAULT_SIGNATURE: &str = "— {name}";
/// Longest signature template and footer (UTF-16 units): both must leave room for a caption.
const MAX_TEMPLATE: usize = 256;
const MAX_FOOTER: usize = MAX_CAPTION;

const TEMPLATE_EXPECTED: &str = "a line with {name} (the author's @username, or their name linked to them) or \
     {full_name} (their name linked to them), {{ and }} for braces, at most 256 characters";

/// One piece of a signature template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `{name}`: `@username` when the author has one, else their name linked to them.
    Name,
    /// `{full_name}`: the author's first and last name linked to them.
    FullName,
}

/// A checked signature template: text and placeholders, at least one placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureTemplate {
    /// As written (what the settings form shows).
    raw: String,
    #[serde(skip)]
    pieces: Vec<Piece>,
}

impl SignatureTemplate {
    /// Parses a template; the error says what is wrong (an unknown placeholder by name).
    pub fn parse(raw: &str) -> Result<Self, String> {
        if utf16_len(raw) > MAX_TEMPLATE {
            return Err(format!("{} characters, more than {MAX_TEMPLATE}", utf16_len(raw)));
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("{{{name} is not closed")),
                        }
                    }
                    let piece = match name.as_str() {
                        "name" => Piece::Name,
                        "full_name" => Piece::FullName,
                        other => return Err(format!("unknown placeholder {{{other}}}")),
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(piece);
                }
                '}' => return Err("a lone }".into()),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Name | Piece::FullName)) {
            return Err("no {name} or {full_name}".into());
        }
        Ok(Self { raw: raw.to_owned(), pieces })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }
}

impl Default for SignatureTemplate {
    fn default() -> Self {
        Self { raw: DEFAULT_SIGNATURE.to_owned(), pieces: vec![Piece::Text("— ".into()), Piece::Name] }
    }
}

/// What the channel adds to posts, and the author's choice when they made none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PostOptions {
    /// Whether a post is signed while its author has not chosen.
    pub default_signed: bool,
    pub signature: SignatureTemplate,
    /// Appended to every published post (plain text; Telegram links its URLs and hashtags).
    pub footer: Option<String>,
}

impl PostOptions {
    /// Whether a post is signed: its author's (or a moderator's) choice, else the default.
    pub fn is_signed(&self, choice: Option<bool>) -> bool {
        choice.unwrap_or(self.default_signed)
    }
}

/// The options from a variable lookup (empty values count as missing).
pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<PostOptions, ConfigError> {
    let var = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let default_signed = match var("SIGNATURE_DEFAULT").as_deref() {
        None | Some("anonymous") => false,
        Some("signed") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                var: "SIGNATURE_DEFAULT",
                expected: "anonymous or signed",
                got: short(other),
            });
        }
    };
    let signature = match var("SIGNATURE_TEMPLATE") {
        None => SignatureTemplate::default(),
        Some(raw) => SignatureTemplate::parse(&raw).map_err(|why| ConfigError::Invalid {
            var: "SIGNATURE_TEMPLATE",
            expected: TEMPLATE_EXPECTED,
            got: format!("{} ({why})", short(&raw)),
        })?,
    };
    // A footer written on one line of `.env` can ask for line breaks with `\n`.
    let footer = var("POST_FOOTER").map(|f| f.replace("\\n", "\n"));
    if let Some(f) = &footer
        && utf16_len(f) > MAX_FOOTER
    {
        return Err(ConfigError::Invalid {
            var: "POST_FOOTER",
            expected: "at most 1024 characters (emoji count as two), so that it fits a caption",
            got: format!("{} characters", utf16_len(f)),
        });
    }
    Ok(PostOptions { default_signed, signature, footer })
}

fn short(raw: &str) -> String {
    let short: String = raw.chars().take(40).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<PostOptions, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        parse(&move |k: &str| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_anonymous_the_dash_signature_and_no_footer() {
        let options = from(&[]).unwrap();
        assert!(!options.default_signed);
        assert_eq!(options.signature.as_str(), "— {name}");
        assert_eq!(options.signature, SignatureTemplate::parse("— {name}").unwrap());
        assert_eq!(options.footer, None);
        assert!(options.is_signed(Some(true)) && !options.is_signed(None));
    }

    #[test]
    fn templates_are_read_with_placeholders_and_escaped_braces() {
        let t = SignatureTemplate::parse("{{by}} {full_name} ({name})").unwrap();
        assert_eq!(
            t.pieces(),
            &[
                Piece::Text("{by} ".into()),
                Piece::FullName,
                Piece::Text(" (".into()),
                Piece::Name,
                Piece::Text(")".into())
            ]
        );
        let options = from(&[("SIGNATURE_DEFAULT", "signed"), ("POST_FOOTER", "#news\\nhttps://t.me/bot")]).unwrap();
        assert!(options.default_signed);
        assert_eq!(options.footer.as_deref(), Some("#news\nhttps://t.me/bot"));
    }

    #[test]
    fn bad_values_name_their_variable_and_what_is_wrong() {
        let err = from(&[("SIGNATURE_TEMPLATE", "— {nick}")]).unwrap_err();
        assert_eq!(err.var(), "SIGNATURE_TEMPLATE");
        assert!(err.to_string().contains("unknown placeholder {nick}"), "{err}");
        for bad in ["— anonymous", "— {name", "a } b", &"x{name}".repeat(60)] {
            assert_eq!(from(&[("SIGNATURE_TEMPLATE", bad)]).unwrap_err().var(), "SIGNATURE_TEMPLATE", "{bad}");
        }
        assert_eq!(from(&[("SIGNATURE_DEFAULT", "maybe")]).unwrap_err().var(), "SIGNATURE_DEFAULT");
        let err = from(&[("POST_FOOTER", &"😀".repeat(513))]).unwrap_err();
        assert_eq!(err.var(), "POST_FOOTER");
        assert!(err.to_string().contains("1026"), "{err}");
    }
}
