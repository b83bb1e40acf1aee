//! The Settings screen: read (token masked), save (validated by the core `Config`, written to
//! the settings file; applies at the next start) and test connections without saving.

use std::future::IntoFuture;
use std::time::Duration;

use postgate::cache::{Cache, RedisCache};
use postgate::config::{ChannelRef, Config, mask_url};
use serde::{Deserialize, Deserializer, Serialize};
use tauri::State;
use teloxide::requests::Requester;

use crate::error::CommandError;
use crate::settings_file::{self, Overlay};
use crate::state::AppState;

/// How long each connection test may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings field → environment variable.
const FIELDS: [(&str, &str); 25] = [
    ("bot_token", "BOT_TOKEN"),
    ("moderation_group_id", "MODERATION_GROUP_ID"),
    ("channel_id", "CHANNEL_ID"),
    ("moderator_ids", "MODERATOR_IDS"),
    ("console_moderator_id", "CONSOLE_MODERATOR_ID"),
    ("database_url", "DATABASE_URL"),
    ("redis_url", "REDIS_URL"),
    ("default_locale", "DEFAULT_LOCALE"),
    ("backup_time", "BACKUP_TIME"),
    ("backup_keep", "BACKUP_KEEP"),
    ("backup_dir", "BACKUP_DIR"),
    ("publish_mode", "PUBLISH_MODE"),
    ("publish_slots", "PUBLISH_SLOTS"),
    ("publish_interval_minutes", "PUBLISH_INTERVAL_MINUTES"),
    ("publish_quiet_hours", "PUBLISH_QUIET_HOURS"),
    ("publish_timezone", "PUBLISH_TIMEZONE"),
    ("publish_missed", "PUBLISH_MISSED"),
    ("signature_default", "SIGNATURE_DEFAULT"),
    ("signature_template", "SIGNATURE_TEMPLATE"),
    ("post_footer", "POST_FOOTER"),
    ("stale_reminder_hours", "STALE_REMINDER_HOURS"),
    ("pending_expire_days", "PENDING_EXPIRE_DAYS"),
    // Flags for a second look (issue #17 part 2).
    ("flag_stop_words", "FLAG_STOP_WORDS"),
    ("flag_duplicate_days", "FLAG_DUPLICATE_DAYS"),
    ("flag_duplicate_percent", "FLAG_DUPLICATE_PERCENT"),
];

/// The editable settings; every value as text (numbers are accepted on input too).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(deserialize_with = "text")]
    pub bot_token: String,
    #[serde(deserialize_with = "text")]
    pub moderation_group_id: String,
    #[serde(deserialize_with = "text")]
    pub channel_id: String,
    #[serde(deserialize_with = "text")]
    pub moderator_ids: String,
    #[serde(deserialize_with = "text")]
    pub console_moderator_id: String,
    #[serde(deserialize_with = "text")]
    pub database_url: String,
    #[serde(deserialize_with = "text")]
    pub redis_url: String,
    #[serde(deserialize_with = "text")]
    pub default_locale: String,
    /// Scheduled backups: `HH:MM` (empty: none), how many to keep, the folder.
    #[serde(deserialize_with = "text")]
    pub backup_time: String,
    #[serde(deserialize_with = "text")]
    pub backup_keep: String,
    #[serde(deserialize_with = "text")]
    pub backup_dir: String,
    /// The publishing plan: its mode (`immediate`, `slots`, `interval`: chosen explicitly, so an
    /// emptied slot list cannot fall back to the environment's), slots, or an interval with
    /// quiet hours; the zone; missed posts.
    #[serde(deserialize_with = "text")]
    pub publish_mode: String,
    #[serde(deserialize_with = "text")]
    pub publish_slots: String,
    #[serde(deserialize_with = "text")]
    pub publish_interval_minutes: String,
    #[serde(deserialize_with = "text")]
    pub publish_quiet_hours: String,
    #[serde(deserialize_with = "text")]
    pub publish_timezone: String,
    #[serde(deserialize_with = "text")]
    pub publish_missed: String,
    /// Author options: `anonymous` or `signed` by default, the signature line, the footer.
    #[serde(deserialize_with = "text")]
    pub signature_default: String,
    #[serde(deserialize_with = "text")]
    pub signature_template: String,
    #[serde(deserialize_with = "text")]
    pub post_footer: String,
    /// The stale queue: remind the group after this many hours; expire after this many days
    /// (empty or 0: off).
    #[serde(deserialize_with = "text")]
    pub stale_reminder_hours: String,
    #[serde(deserialize_with = "text")]
    pub pending_expire_days: String,
    /// Flags: the stop-word list (one entry per line; a bad regex is refused with its line and
    /// column), how many days back and from what similarity a text is a near-duplicate.
    #[serde(deserialize_with = "text")]
    pub flag_stop_words: String,
    #[serde(deserialize_with = "text")]
    pub flag_duplicate_days: String,
    #[serde(deserialize_with = "text")]
    pub flag_duplicate_percent: String,
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

impl Settings {
    fn get(&self, field: &str) -> &str {
        match field {
            "bot_token" => &self.bot_token,
            "moderation_group_id" => &self.moderation_group_id,
            "channel_id" => &self.channel_id,
            "moderator_ids" => &self.moderator_ids,
            "console_moderator_id" => &self.console_moderator_id,
            "database_url" => &self.database_url,
            "redis_url" => &self.redis_url,
            "backup_time" => &self.backup_time,
            "backup_keep" => &self.backup_keep,
            "backup_dir" => &self.backup_dir,
            "publish_mode" => &self.publish_mode,
            "publish_slots" => &self.publish_slots,
            "publish_interval_minutes" => &self.publish_interval_minutes,
            "publish_quiet_hours" => &self.publish_quiet_hours,
            "publish_timezone" => &self.publish_timezone,
            "publish_missed" => &self.publish_missed,
            "signature_default" => &self.signature_default,
            "signature_template" => &self.signature_template,
            "post_footer" => &self.post_footer,
            "stale_reminder_hours" => &self.stale_reminder_hours,
            "pending_expire_days" => &self.pending_expire_days,
            "flag_stop_words" => &self.flag_stop_words,
            "flag_duplicate_days" => &self.flag_duplicate_days,
            "flag_duplicate_percent" => &self.flag_duplicate_percent,
            _ => &self.default_locale,
        }
    }

    /// The settings to show: the running configuration with the saved file over it; the token
    /// and URL passwords masked.
    fn shown(values: &Overlay) -> Self {
        let v = |var: &str| values.get(var).cloned().unwrap_or_default();
        Self {
            bot_token: mask_token(&v("BOT_TOKEN")),
            moderation_group_id: v("MODERATION_GROUP_ID"),
            channel_id: v("CHANNEL_ID"),
            moderator_ids: v("MODERATOR_IDS"),
            console_moderator_id: v("CONSOLE_MODERATOR_ID"),
            database_url: mask_url(&v("DATABASE_URL")),
            redis_url: mask_url(&v("REDIS_URL")),
            default_locale: v("DEFAULT_LOCALE"),
            backup_time: v("BACKUP_TIME"),
            backup_keep: v("BACKUP_KEEP"),
            backup_dir: v("BACKUP_DIR"),
            publish_mode: v("PUBLISH_MODE"),
            publish_slots: v("PUBLISH_SLOTS"),
            publish_interval_minutes: v("PUBLISH_INTERVAL_MINUTES"),
            publish_quiet_hours: v("PUBLISH_QUIET_HOURS"),
            publish_timezone: v("PUBLISH_TIMEZONE"),
            publish_missed: v("PUBLISH_MISSED"),
            signature_default: v("SIGNATURE_DEFAULT"),
            signature_template: v("SIGNATURE_TEMPLATE"),
            post_footer: v("POST_FOOTER"),
            stale_reminder_hours: v("STALE_REMINDER_HOURS"),
            pending_expire_days: v("PENDING_EXPIRE_DAYS"),
            flag_stop_words: v("FLAG_STOP_WORDS"),
            flag_duplicate_days: v("FLAG_DUPLICATE_DAYS"),
            flag_duplicate_percent: v("FLAG_DUPLICATE_PERCENT"),
        }
    }

    /// The stored overlay with these settings applied. A token left empty or masked, or a URL
    /// shown masked and sent back unchanged, keeps the value it stands for.
    fn apply_to(&self, mut overlay: Overlay, current: &Overlay) -> Overlay {
        for (field, var) in FIELDS {
            let value = self.get(field).trim();
            let unchanged_secret = match field {
                "bot_token" => value.is_empty() || value.ends_with("***"),
                "database_url" | "redis_url" => {
                    current.get(var).is_some_and(|now| now != value && mask_url(now) == value)
                }
                _ => false,
            };
            if !unchanged_secret {
                overlay.insert(var.to_owned(), value.to_owned());
            }
        }
        overlay
    }
}

/// `123456:ABC…` → `123456:***`; nothing to mask stays empty.
pub fn mask_token(token: &str) -> String {
    match token.split_once(':') {
        Some((id, _)) => format!("{id}:***"),
        None if token.is_empty() => String::new(),
        None => "***".to_owned(),
    }
}

/// The running configuration's values of the settings' variables and of the connection
/// settings a test uses (secrets exposed: internal).
fn running(config: &Config) -> Overlay {
    let t = &config.telegram;
    let channel = match &t.channel {
        ChannelRef::Id(id) => id.to_string(),
        ChannelRef::Username(name) => name.clone(),
    };
    let moderators: Vec<String> = t.moderator_ids.iter().map(ToString::to_string).collect();
    let plan = &config.schedule.settings;
    [
        ("BOT_TOKEN", t.bot_token.expose().to_owned()),
        ("MODERATION_GROUP_ID", t.moderation_group_id.to_string()),
        ("CHANNEL_ID", channel),
        ("MODERATOR_IDS", moderators.join(",")),
        ("CONSOLE_MODERATOR_ID", config.console.moderator_id.map(|id| id.to_string()).unwrap_or_default()),
        ("DATABASE_URL", config.database.url.expose().to_owned()),
        ("REDIS_URL", config.cache.url.as_ref().map(|u| u.expose().to_owned()).unwrap_or_default()),
        ("DEFAULT_LOCALE", config.default_locale.clone()),
        ("BACKUP_TIME", config.backup.as_ref().map(|b| b.at.format("%H:%M").to_string()).unwrap_or_default()),
        ("BACKUP_KEEP", config.backup.as_ref().map(|b| b.keep.to_string()).unwrap_or_default()),
        ("BACKUP_DIR", config.backup.as_ref().map(|b| b.folder.display().to_string()).unwrap_or_default()),
        (
            "PUBLISH_MODE",
            match config.schedule.mode {
                postgate::schedule::Mode::Immediate => "immediate",
                postgate::schedule::Mode::Slots { .. } => "slots",
                postgate::schedule::Mode::Interval { .. } => "interval",
            }
            .to_owned(),
        ),
        ("PUBLISH_SLOTS", plan.slots.clone().unwrap_or_default()),
        ("PUBLISH_INTERVAL_MINUTES", plan.interval_minutes.clone().unwrap_or_default()),
        ("PUBLISH_QUIET_HOURS", plan.quiet_hours.clone().unwrap_or_default()),
        ("PUBLISH_TIMEZONE", config.schedule.zone.name().to_owned()),
        ("PUBLISH_MISSED", plan.missed.clone().unwrap_or_else(|| "catch_up".to_owned())),
        ("SIGNATURE_DEFAULT", (if config.options.default_signed { "signed" } else { "anonymous" }).to_owned()),
        ("SIGNATURE_TEMPLATE", config.options.signature.as_str().to_owned()),
        ("POST_FOOTER", config.options.footer.clone().unwrap_or_default()),
        ("STALE_REMINDER_HOURS", config.stale.reminder_hours.map(|h| h.to_string()).unwrap_or_default()),
        ("PENDING_EXPIRE_DAYS", config.stale.expire_days.map(|d| d.to_string()).unwrap_or_default()),
        ("FLAG_STOP_WORDS", config.flags.stop_words.clone()),
        ("FLAG_DUPLICATE_DAYS", config.flags.duplicate_days.to_string()),
        ("FLAG_DUPLICATE_PERCENT", config.flags.duplicate_percent.to_string()),
        // Not on the form, but part of what a connection test must use.
        ("TELEGRAM_API_URL", t.api_url.to_string()),
        ("HTTP_CONNECT_TIMEOUT_SECS", t.connect_timeout.as_secs().to_string()),
        ("HTTP_TIMEOUT_SECS", t.request_timeout.as_secs().to_string()),
        ("REDIS_KEY_PREFIX", config.cache.key_prefix.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What applies at the next start: the saved file over the running configuration.
fn current(state: &AppState) -> Result<(Overlay, Overlay), CommandError> {
    let stored = stored(state)?;
    let mut values = running(&state.services.config);
    values.extend(stored.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (k.clone(), v.clone())));
    Ok((stored, values))
}

/// One connection test's result.
#[derive(Debug, Serialize)]
pub struct Check {
    pub ok: bool,
    pub message: String,
}

/// What `settings_test` found.
#[derive(Debug, Serialize)]
pub struct Checks {
    pub database: Check,
    pub redis: Check,
    pub telegram: Check,
}

fn stored(state: &AppState) -> Result<Overlay, CommandError> {
    settings_file::load(&state.settings_path)
        .map_err(|e| CommandError::internal(format!("{}: {e}", state.settings_path.display())))
}

/// Validates with the core `Config` (the overlay over `base`, then the environment); the
/// error names the field and the variable.
fn validate(overlay: &Overlay, base: &Overlay) -> Result<Config, CommandError> {
    let lookup = |var: &str| {
        overlay
            .get(var)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| base.get(var))
            .cloned()
            .or_else(|| std::env::var(var).ok())
    };
    Config::from_lookup(lookup).map_err(|e| {
        let field = FIELDS.iter().find(|(_, var)| *var == e.var()).map_or(e.var(), |(field, _)| field);
        CommandError::invalid_field(field, e.to_string())
    })
}

#[tauri::command]
#[allow(clippy::needless_pass_by_value)] // Tauri hands command arguments over by value
pub fn settings_get(state: State<'_, AppState>) -> Result<Settings, CommandError> {
    Ok(Settings::shown(&current(&state)?.1))
}

#[tauri::command]
#[allow(clippy::needless_pass_by_value)] // Tauri hands command arguments over by value
pub fn settings_save(state: State<'_, AppState>, settings: Settings) -> Result<(), CommandError> {
    let (stored, values) = current(&state)?;
    let overlay = settings.apply_to(stored, &values);
    validate(&overlay, &running(&state.services.config))?;
    settings_file::save(&state.settings_path, &overlay)
        .map_err(|e| CommandError::internal(format!("{}: {e}", state.settings_path.display())))?;
    tracing::info!(file = %state.settings_path.display(), "settings saved; they apply at the next start");
    Ok(())
}

#[tauri::command]
pub async fn settings_test(state: State<'_, AppState>, settings: Settings) -> Result<Checks, CommandError> {
    let (stored, values) = current(&state)?;
    let config = validate(&settings.apply_to(stored, &values), &running(&state.services.config))?;
    let (database, redis, telegram) = tokio::join!(test_database(&config), test_redis(&config), test_telegram(&config));
    Ok(Checks { database, redis, telegram })
}

fn check(result: Result<String, String>) -> Check {
    match result {
        Ok(message) => Check { ok: true, message },
        Err(message) => Check { ok: false, message },
    }
}

async fn bounded<T, E: std::fmt::Display>(fut: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(TEST_TIMEOUT, fut).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", TEST_TIMEOUT.as_secs())),
    }
}

async fn test_database(config: &Config) -> Check {
    check(bounded(postgate::store::probe(&config.database)).await)
}

async fn test_redis(config: &Config) -> Check {
    let Some(url) = &config.cache.url else {
        return check(Ok("in-process cache (no Redis needed for one console)".to_owned()));
    };
    let result = match RedisCache::new(url.expose(), &config.cache.key_prefix, TEST_TIMEOUT) {
        Ok(cache) => bounded(cache.ping()).await.map(|()| format!("Redis answers at {}", url.masked())),
        Err(e) => Err(e.to_string()),
    };
    check(result)
}

async fn test_telegram(config: &Config) -> Check {
    let result = match postgate::telegram::http_client(&config.telegram) {
        Ok(http) => {
            let bot = postgate::telegram::bot(&config.telegram, http);
            bounded(bot.get_me().into_future()).await.map(|me| format!("bot @{} answers", me.username()))
        }
        Err(e) => Err(e.to_string()),
    };
    check(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_masked_and_a_masked_token_keeps_the_stored_one() {
        assert_eq!(mask_token("123456:ABC-def"), "123456:***");
        assert_eq!(mask_token(""), "");
        let stored: Overlay = [("BOT_TOKEN".to_owned(), "1:secret".to_owned())].into();
        let form = Settings { bot_token: "1:***".into(), channel_id: "@news_channel".into(), ..Settings::default() };
        let applied = form.apply_to(stored, &Overlay::new());
        assert_eq!(applied["BOT_TOKEN"], "1:secret");
        assert_eq!(applied["CHANNEL_ID"], "@news_channel");
    }

    #[test]
    fn numbers_are_accepted_as_text() {
        let s: Settings =
            serde_json::from_value(serde_json::json!({"moderation_group_id": -100_123, "console_moderator_id": null}))
                .unwrap();
        assert_eq!(s.moderation_group_id, "-100123");
        assert_eq!(s.console_moderator_id, "");
    }
}
