//! Values that must never be printed: the bot token, and passwords inside connection URLs.

use std::fmt;

use serde::Serialize;

/// A value that must never be printed: `Debug`/`Display`/`Serialize` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The real value, for the one place that needs it (the Telegram client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// A connection URL whose password must never be printed: shown with the password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub(super) fn new(raw: String) -> Self {
        Self(raw)
    }

    /// The real URL, for the connection itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The URL with its password replaced by `***`.
    pub fn masked(&self) -> String {
        mask_url(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

/// Query parameters that carry a password (`postgres://…?password=…`, `sslpassword=`, Redis'
/// `pass=`): compared without case, and any name containing one of these counts.
const SECRET_PARAMS: [&str; 3] = ["pass", "secret", "token"];

fn secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|secret| name.contains(secret))
}

/// Hides the password of a URL for messages and logs: the one after `user:` and any query
/// parameter naming a password. Empty stays empty; what does not parse is not shown at all.
pub fn mask_url(raw: &str) -> String {
    if raw.trim().is_empty() {
        return String::new();
    }
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            if u.query_pairs().any(|(name, _)| secret_param(&name)) {
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(name, value)| {
                        let value = if secret_param(&name) { "***".to_owned() } else { value.into_owned() };
                        (name.into_owned(), value)
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}
