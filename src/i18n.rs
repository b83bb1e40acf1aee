//! Localisation with Fluent: the `locales/` files are embedded at build time, Russian is the
//! default and the fallback, and Telegram's `language_code` picks the locale when we have it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// Locales `PostGate` ships, default first.
pub const AVAILABLE: [&str; 2] = ["ru", "en"];
/// The locale everything falls back to.
pub const FALLBACK: &str = "ru";

/// The Fluent sources of each locale, embedded so the binary runs from anywhere.
pub const SOURCES: [(&str, &str, &str); 4] = [
    ("ru", "bot.ftl", include_str!("../locales/ru/bot.ftl")),
    ("en", "bot.ftl", include_str!("../locales/en/bot.ftl")),
    ("ru", "ui.ftl", include_str!("../locales/ru/ui.ftl")),
    ("en", "ui.ftl", include_str!("../locales/en/ui.ftl")),
];

/// Loading failures (a broken `.ftl` file is a build-time bug, caught by the locale tests).
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("locales/{locale}/{file}: {detail}")]
    Parse { locale: String, file: String, detail: String },
    #[error("unknown locale {0:?}")]
    UnknownLocale(String),
}

/// An argument value for a message.
pub type Arg = FluentValue<'static>;

/// All bundles, shared cheaply (`Arc` inside).
#[derive(Clone)]
pub struct I18n {
    bundles: Arc<HashMap<&'static str, FluentBundle<FluentResource>>>,
    default_locale: &'static str,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n").field("default_locale", &self.default_locale).finish_non_exhaustive()
    }
}

impl I18n {
    /// Parses every embedded locale. `default_locale` must be one of [`AVAILABLE`].
    pub fn new(default_locale: &str) -> Result<Self, I18nError> {
        let default_locale = AVAILABLE
            .into_iter()
            .find(|l| *l == default_locale)
            .ok_or_else(|| I18nError::UnknownLocale(default_locale.to_owned()))?;
        let mut bundles = HashMap::new();
        for locale in AVAILABLE {
            let langid: LanguageIdentifier = locale.parse().map_err(|_| I18nError::UnknownLocale(locale.to_owned()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Telegram shows U+2068/U+2069 isolation marks literally in some clients.
            bundle.set_use_isolating(false);
            for (_, file, source) in SOURCES.iter().filter(|(l, _, _)| *l == locale) {
                let parse_error =
                    |detail: String| I18nError::Parse { locale: locale.to_owned(), file: (*file).to_owned(), detail };
                let resource = FluentResource::try_new((*source).to_owned())
                    .map_err(|(_, errors)| parse_error(format!("{errors:?}")))?;
                bundle.add_resource(resource).map_err(|errors| parse_error(format!("{errors:?}")))?;
            }
            bundles.insert(locale, bundle);
        }
        Ok(Self { bundles: Arc::new(bundles), default_locale })
    }

    /// The configured default locale.
    pub fn default_locale(&self) -> &'static str {
        self.default_locale
    }

    /// Picks our locale for a Telegram `language_code` (`en`, `en-US`, `pt-br`, …); anything we
    /// do not ship, or no code at all, gets the default (Russian unless configured otherwise).
    pub fn negotiate(&self, language_code: Option<&str>) -> &'static str {
        let Some(code) = language_code.map(str::trim).filter(|c| !c.is_empty()) else {
            return self.default_locale;
        };
        let requested: Vec<LanguageIdentifier> = code.parse().into_iter().collect();
        let available: Vec<LanguageIdentifier> = AVAILABLE.iter().filter_map(|l| l.parse().ok()).collect();
        let default: Option<LanguageIdentifier> = self.default_locale.parse().ok();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            default.as_ref(),
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .and_then(|id| AVAILABLE.into_iter().find(|l| *l == id.language.as_str()))
            .unwrap_or(self.default_locale)
    }

    /// Formats a message without arguments.
    pub fn t(&self, locale: &str, key: &str) -> String {
        self.format(locale, key, None)
    }

    /// Formats a message with arguments; numbers drive plural forms.
    pub fn t_args(&self, locale: &str, key: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(locale, key, Some(&fluent_args))
    }

    /// Formats `key` in `locale`, falling back to Russian, then to the key itself (logged).
    fn format(&self, locale: &str, key: &str, args: Option<&FluentArgs>) -> String {
        for candidate in [locale, self.default_locale, FALLBACK] {
            let Some(bundle) = self.bundles.get(candidate) else { continue };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else { continue };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::error!(locale = candidate, key, ?errors, "message formatted with errors");
            }
            return text.into_owned();
        }
        tracing::error!(locale, key, "message missing from every locale");
        key.to_owned()
    }

    /// Whether `locale` has a message `key` (used by the locale completeness tests).
    pub fn has_message(&self, locale: &str, key: &str) -> bool {
        self.bundles.get(locale).is_some_and(|b| b.has_message(key))
    }

    /// The message ids of a locale's sources.
    pub fn message_ids(locale: &str) -> Vec<String> {
        SOURCES
            .iter()
            .filter(|(l, _, _)| *l == locale)
            .flat_map(|(_, _, source)| {
                FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(r, _)| r)
                    .entries()
                    .filter_map(|entry| match entry {
                        fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Shorthand for a numeric argument.
pub fn num(n: i64) -> Arg {
    FluentValue::from(n)
}

/// Shorthand for a text argument.
pub fn text(s: impl Into<String>) -> Arg {
    FluentValue::from(s.into())
}

/// The variables (`$name`) a message uses, in its value and attributes, read from the AST;
/// the console fills them in itself and the locale tests supply them.
pub fn message_variables(message: &fluent_syntax::ast::Message<&str>) -> BTreeSet<String> {
    use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};

    fn pattern(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &p.elements {
            if let PatternElement::Placeable { expression: e } = element {
                expression(e, out);
            }
        }
    }
    fn expression(e: &Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            Expression::Inline(inline) => inline_expr(inline, out),
            Expression::Select { selector, variants } => {
                inline_expr(selector, out);
                for variant in variants {
                    pattern(&variant.value, out);
                }
            }
        }
    }
    fn inline_expr(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match e {
            InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            InlineExpression::FunctionReference { arguments, .. }
            | InlineExpression::TermReference { arguments: Some(arguments), .. } => {
                for arg in arguments.positional.iter().chain(arguments.named.iter().map(|n| &n.value)) {
                    inline_expr(arg, out);
                }
            }
            InlineExpression::Placeable { expression: e } => expression(e, out),
            _ => {}
        }
    }

    let mut out = BTreeSet::new();
    if let Some(value) = &message.value {
        pattern(value, &mut out);
    }
    for attribute in &message.attributes {
        pattern(&attribute.value, &mut out);
    }
    out
}
