//! The UI's texts: every message of the console's Fluent files (`locales/*/ui.ftl`) in one
//! locale, plus the reject templates with their localized labels.
//!
//! Variables stay as `{ $name }` placeholders in the returned text; the UI fills them in.

use std::collections::{BTreeMap, BTreeSet};

use postgate::domain::RejectReason;
use postgate::i18n::{self, I18n};
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::setup::SetupState;

/// The Fluent file the console's own texts live in.
const UI_FILE: &str = "ui.ftl";

/// A reject template and its label in the requested locale.
#[derive(Debug, Serialize)]
pub struct RejectTemplate {
    pub name: &'static str,
    pub label: String,
}

/// Everything the UI shows in one locale.
#[derive(Debug, Serialize)]
pub struct UiTexts {
    pub locale: &'static str,
    pub messages: BTreeMap<String, String>,
    pub reject_templates: Vec<RejectTemplate>,
}

#[tauri::command]
#[allow(clippy::needless_pass_by_value)] // Tauri hands command arguments over by value
pub fn ui_texts(setup: State<'_, SetupState>, locale: Option<String>) -> Result<UiTexts, CommandError> {
    // The setup's texts are the services' (the same default locale), and exist before them.
    texts(&setup.i18n, locale.as_deref())
}

/// Builds the texts of `locale` (the configured default when absent).
pub fn texts(i18n: &I18n, locale: Option<&str>) -> Result<UiTexts, CommandError> {
    let locale = match locale {
        None => i18n.default_locale(),
        Some(wanted) => i18n::AVAILABLE
            .into_iter()
            .find(|l| *l == wanted)
            .ok_or_else(|| CommandError::invalid(format!("locale: expected one of ru, en, got {wanted:?}")))?,
    };
    let messages = messages_with_variables(locale)
        .into_iter()
        .map(|(id, vars)| {
            let args: Vec<(&str, i18n::Arg)> =
                vars.iter().map(|v| (v.as_str(), i18n::text(format!("{{ ${v} }}")))).collect();
            let text = i18n.t_args(locale, &id, &args);
            (id, text)
        })
        .collect();
    let reject_templates = RejectReason::TEMPLATES
        .into_iter()
        .map(|name| RejectTemplate { name, label: i18n.t(locale, &format!("reject-reason-{name}")) })
        .collect();
    Ok(UiTexts { locale, messages, reject_templates })
}

/// The message ids of the locale's `ui.ftl` sources with the variables each uses. Until a
/// locale has a `ui.ftl`, every message id it has (`I18n::message_ids`).
fn messages_with_variables(locale: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut found = BTreeMap::new();
    let sources = i18n::SOURCES.iter().filter(|(l, _, _)| *l == locale);
    for (_, _, source) in sources.filter(|(_, file, _)| *file == UI_FILE) {
        collect(source, &mut found);
    }
    if found.is_empty() {
        let ids: BTreeSet<String> = I18n::message_ids(locale).into_iter().collect();
        for (_, _, source) in i18n::SOURCES.iter().filter(|(l, _, _)| *l == locale) {
            collect(source, &mut found);
        }
        found.retain(|id, _| ids.contains(id));
    }
    found
}

fn collect(source: &str, found: &mut BTreeMap<String, BTreeSet<String>>) {
    let resource = fluent_syntax::parser::parse(source).unwrap_or_else(|(partial, _)| partial);
    for entry in resource.body {
        if let fluent_syntax::ast::Entry::Message(message) = entry {
            found.insert(message.id.name.to_owned(), i18n::message_variables(&message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_texts_and_labelled_templates() {
        let i18n = I18n::new("ru").unwrap();
        for locale in i18n::AVAILABLE {
            let texts = texts(&i18n, Some(locale)).unwrap();
            assert_eq!(texts.locale, locale);
            assert!(!texts.messages.is_empty(), "{locale} has no messages");
            assert_eq!(texts.reject_templates.len(), RejectReason::TEMPLATES.len());
            for t in &texts.reject_templates {
                assert_ne!(t.label, format!("reject-reason-{}", t.name), "{locale}: {} has no label", t.name);
            }
        }
        assert_eq!(texts(&i18n, None).unwrap().locale, "ru");
        assert_eq!(texts(&i18n, Some("de")).unwrap_err().code, crate::error::ErrorCode::Invalid);
    }

    #[test]
    fn variables_stay_placeholders() {
        let mut found = BTreeMap::new();
        let source = "hello = Hi { $name }, { $n ->\n    [one] one post\n   *[other] { NUMBER($n) } posts\n}\n";
        collect(source, &mut found);
        let vars: Vec<_> = found["hello"].iter().cloned().collect();
        assert_eq!(vars, ["n", "name"]);
    }
}
