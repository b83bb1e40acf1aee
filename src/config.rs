//! Configuration from the environment (and `.env`), validated once at start.
//!
//! Every variable is read through one lookup function so tests can feed a map instead of
//! mutating the process environment. A missing or malformed variable yields a
//! [`ConfigError`] that names it and says what was expected; binaries exit with code 2.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

mod backup;
mod endpoint;
mod flags;
mod secret;
mod stale;

pub use backup::BackupSchedule;
pub use endpoint::{Endpoint, check_bot_token, check_channel};
pub use flags::FlagsConfig;

pub use secret::{Secret, SecretUrl, mask_url};
pub use stale::StaleConfig;

/// A configuration problem, naming the variable at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is missing: expected {expected}")]
    Missing { var: &'static str, expected: &'static str },
    #[error("{var} is malformed: expected {expected}, got {got}")]
    Invalid {
        var: &'static str,
        expected: &'static str,
        /// What was found, already masked when the variable is secret.
        got: String,
    },
}

impl ConfigError {
    /// The variable this error is about.
    pub fn var(&self) -> &'static str {
        match self {
            Self::Missing { var, .. } | Self::Invalid { var, .. } => var,
        }
    }
}

/// Where approved posts go: a numeric chat id or a public `@username`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChannelRef {
    Id(i64),
    Username(String),
}

impl ChannelRef {
    /// The public username without `@`, when the channel has one (for post links).
    pub fn public_username(&self) -> Option<&str> {
        match self {
            Self::Username(name) => Some(name.trim_start_matches('@')),
            Self::Id(_) => None,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Logging settings.
#[derive(Debug, Clone, Serialize)]
pub struct LogConfig {
    pub dir: PathBuf,
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info,postgate=debug`.
    pub filter: String,
}

/// Database settings: which backend (by the URL's scheme) and its connections.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseConfig {
    pub url: SecretUrl,
    pub max_connections: u32,
    #[serde(with = "secs")]
    pub acquire_timeout: Duration,
    /// How long a submission or a decision that meets a database outage keeps trying before
    /// the author or moderator is told to try again (0: tell at once).
    #[serde(with = "secs")]
    pub outage_wait: Duration,
}

impl DatabaseConfig {
    /// Settings for a database named on the command line instead of by `DATABASE_URL`
    /// (`migrate-data --from/--to`): `url` checked as `DATABASE_URL` is (errors name that
    /// variable; the caller names its flag), the pool settings from the environment.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let lookup = |k: &str| if k == "DATABASE_URL" { Some(url.to_owned()) } else { std::env::var(k).ok() };
        Reader(&move |k: &str| lookup(k).filter(|v| !v.trim().is_empty())).database()
    }

    /// The database alone, from the environment after `.env` (`DATABASE_URL` and the pool
    /// settings, the embedded default when unset): for the commands that need no bot
    /// (`export`, `backup`, `restore`).
    pub fn from_env() -> Result<Self, ConfigError> {
        dotenvy::dotenv().ok();
        Reader(&|k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty())).database()
    }
}

/// The cache (Redis, or in-process when `REDIS_URL` is unset) and the TTLs every key is
/// written with.
#[derive(Debug, Clone, Serialize)]
pub struct CacheConfig {
    /// `None`: the in-process cache (one process needs no Redis).
    pub url: Option<SecretUrl>,
    pub key_prefix: String,
    #[serde(with = "secs")]
    pub default_ttl: Duration,
    #[serde(with = "secs")]
    pub locale_ttl: Duration,
}

/// Telegram connection settings.
#[derive(Debug, Clone, Serialize)]
pub struct TelegramConfig {
    pub bot_token: Secret,
    pub api_url: url::Url,
    pub moderation_group_id: i64,
    pub channel: ChannelRef,
    pub moderator_ids: Vec<i64>,
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    #[serde(with = "secs")]
    pub request_timeout: Duration,
    /// Sending limits applied before each message; `None` when `TELEGRAM_RATE_LIMIT=off`.
    pub send_limits: Option<crate::limiter::SendLimits>,
}

impl TelegramConfig {
    /// Where Telegram is and how long to wait for it.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            api_url: self.api_url.clone(),
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
        }
    }
}

/// Per-user intake limits.
#[derive(Debug, Clone, Serialize)]
pub struct LimitsConfig {
    pub rate_limit_max: u32,
    #[serde(with = "secs")]
    pub rate_limit_window: Duration,
    pub max_pending_per_user: u32,
    #[serde(with = "millis")]
    pub album_debounce: Duration,
}

/// Where downloaded media go while they are processed, and how large they may be.
#[derive(Debug, Clone, Serialize)]
pub struct MediaConfig {
    pub temp_dir: PathBuf,
    pub max_bytes: u64,
}

/// Who the desktop console acts as.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleConfig {
    /// The Telegram user id recorded as the moderator of console decisions.
    pub moderator_id: Option<i64>,
    pub moderator_name: String,
}

/// The whole effective configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The conversation with authors (issue #17 part 1).
    pub conversation: ConversationConfig,
    pub telegram: TelegramConfig,
    pub database: DatabaseConfig,
    pub cache: CacheConfig,
    pub limits: LimitsConfig,
    pub default_locale: String,
    pub log: LogConfig,
    #[serde(with = "secs")]
    pub shutdown_timeout: Duration,
    pub console: ConsoleConfig,
    pub media: MediaConfig,
    /// When approved posts are published (`PUBLISH_*`; at once by default).
    pub schedule: crate::schedule::Plan,
    /// Daily backups (`BACKUP_TIME`, `BACKUP_KEEP`, `BACKUP_DIR`); `None`: not scheduled.
    pub backup: Option<BackupSchedule>,
    /// How long a rejection's notice is held so the moderator can undo it unseen
    /// (`UNDO_WINDOW_SECS`, 10 by default; 0: the author is told at once).
    #[serde(with = "secs")]
    pub undo_window: Duration,
    /// Signed or anonymous by default, the signature line and the footer (`SIGNATURE_*`, `POST_FOOTER`).
    pub options: crate::options::PostOptions,
    /// The stale-queue reminder and expiry (`STALE_REMINDER_HOURS`, `PENDING_EXPIRE_DAYS`).
    pub stale: StaleConfig,
    /// Flags for a second look (`FLAG_STOP_WORDS`, `FLAG_DUPLICATE_DAYS`, …).
    pub flags: FlagsConfig,
}

impl Config {
    /// The moderator id console decisions are recorded under: `CONSOLE_MODERATOR_ID`, else the
    /// first of `MODERATOR_IDS`.
    pub fn console_moderator(&self) -> Option<i64> {
        self.console.moderator_id.or_else(|| self.telegram.moderator_ids.first().copied())
    }
}

const DEFAULT_API_URL: &str = "https://api.telegram.org";

impl Config {
    /// Loads `.env` (if present) and reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        dotenvy::dotenv().ok();
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from a map (tests, settings files).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|key| map.get(key).cloned())
    }

    /// Builds the configuration from any lookup function; empty values count as missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let r = Reader(&move |k: &str| lookup(k).filter(|v| !v.trim().is_empty()));
        let bot_token = r.bot_token()?;
        let Endpoint { api_url, connect_timeout, request_timeout } = r.endpoint()?;
        let telegram = TelegramConfig {
            bot_token,
            api_url,
            moderation_group_id: r.group_id()?,
            channel: r.channel()?,
            moderator_ids: r.id_list("MODERATOR_IDS")?,
            connect_timeout,
            request_timeout,
            send_limits: r.send_limits()?,
        };
        let database = r.database()?;
        let cache = CacheConfig {
            url: r.redis_url()?,
            key_prefix: r.string("REDIS_KEY_PREFIX", "postgate:"),
            default_ttl: r.secs("CACHE_TTL_SECS", 3600, 1..=2_592_000)?,
            locale_ttl: r.secs("LOCALE_CACHE_TTL_SECS", 86_400, 1..=2_592_000)?,
        };
        let limits = LimitsConfig {
            rate_limit_max: r.int("RATE_LIMIT_MAX", 5, 1..=10_000, "an integer from 1 to 10000")?,
            rate_limit_window: r.secs("RATE_LIMIT_WINDOW_SECS", 60, 1..=86_400)?,
            max_pending_per_user: r.int("MAX_PENDING_PER_USER", 10, 1..=10_000, "an integer from 1 to 10000")?,
            album_debounce: Duration::from_millis(u64::from(r.int(
                "ALBUM_DEBOUNCE_MS",
                1500,
                50..=60_000,
                "milliseconds from 50 to 60000",
            )?)),
        };
        let conversation = ConversationConfig {
            reply_window: Duration::from_secs(
                u64::from(r.int("CHANGES_REPLY_WINDOW_MINUTES", 60, 0..=10_080, "minutes from 0 to 10080")?) * 60,
            ),
            expire_after: Duration::from_secs(
                u64::from(r.int("CHANGES_EXPIRE_HOURS", 72, 1..=8_760, "hours from 1 to 8760")?) * 3600,
            ),
        };
        Ok(Self {
            conversation,
            telegram,
            database,
            cache,
            limits,
            default_locale: r.locale()?,
            log: LogConfig {
                dir: PathBuf::from(r.string("LOG_DIR", "logs")),
                format: r.log_format()?,
                filter: r.string("LOG_LEVEL", "info"),
            },
            shutdown_timeout: r.secs("SHUTDOWN_TIMEOUT_SECS", 10, 1..=300)?,
            console: ConsoleConfig {
                moderator_id: r.id_list("CONSOLE_MODERATOR_ID")?.first().copied(),
                moderator_name: r.string("CONSOLE_MODERATOR_NAME", "Console"),
            },
            media: MediaConfig {
                temp_dir: r.get("MEDIA_TEMP_DIR").map_or_else(|| r.default_media_dir(), PathBuf::from),
                max_bytes: u64::from(r.int("MEDIA_MAX_MB", 20, 1..=2000, "megabytes from 1 to 2000")?) * 1024 * 1024,
            },
            schedule: crate::schedule::parse_plan(&crate::schedule::PlanSettings::from_lookup(r.0))?,
            backup: r.backup()?,
            undo_window: r.secs("UNDO_WINDOW_SECS", 10, 0..=300)?,
            options: crate::options::parse(r.0)?,
            stale: r.stale()?,
            flags: r.flags()?,
        })
    }
}

/// The conversation with authors: how long after a request for changes any message of the
/// author joins the post's thread (replies to the bot's message always do), and how long an
/// unanswered request stays open before the post is rejected with the reason "no answer".
#[derive(Debug, Clone, Serialize)]
pub struct ConversationConfig {
    #[serde(with = "secs")]
    pub reply_window: Duration,
    #[serde(with = "secs")]
    pub expire_after: Duration,
}

/// Reads and validates single variables.
struct Reader<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Reader<'_> {
    fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).map(|v| v.trim().to_owned())
    }

    fn string(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    fn bot_token(&self) -> Result<Secret, ConfigError> {
        const VAR: &str = "BOT_TOKEN";
        const EXPECTED: &str = "a bot token from @BotFather, like 123456:ABC-DEF…";
        let token = self.get(VAR).ok_or(ConfigError::Missing { var: VAR, expected: EXPECTED })?;
        let valid = token.split_once(':').is_some_and(|(id, rest)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if valid {
            Ok(Secret::new(token))
        } else {
            Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: "a value of another shape (hidden)".into() })
        }
    }

    fn group_id(&self) -> Result<i64, ConfigError> {
        const VAR: &str = "MODERATION_GROUP_ID";
        const EXPECTED: &str = "a Telegram group id (a negative integer such as -1001234567890)";
        let raw = self.get(VAR).ok_or(ConfigError::Missing { var: VAR, expected: EXPECTED })?;
        match raw.parse::<i64>() {
            Ok(id) if id < 0 => Ok(id),
            _ => Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: quote(&raw) }),
        }
    }

    fn channel(&self) -> Result<ChannelRef, ConfigError> {
        const VAR: &str = "CHANNEL_ID";
        const EXPECTED: &str = "a channel id (integer such as -1001234567890) or a public @username";
        let raw = self.get(VAR).ok_or(ConfigError::Missing { var: VAR, expected: EXPECTED })?;
        if let Ok(id) = raw.parse::<i64>() {
            return Ok(ChannelRef::Id(id));
        }
        let name = raw.strip_prefix('@').unwrap_or("");
        let valid_name = (4..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        if valid_name {
            Ok(ChannelRef::Username(raw))
        } else {
            Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: quote(&raw) })
        }
    }

    fn id_list(&self, var: &'static str) -> Result<Vec<i64>, ConfigError> {
        const EXPECTED: &str = "a comma-separated list of positive Telegram user ids";
        let Some(raw) = self.get(var) else { return Ok(Vec::new()) };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<i64>() {
                Ok(id) if id > 0 => Ok(id),
                _ => Err(ConfigError::Invalid { var, expected: EXPECTED, got: quote(s) }),
            })
            .collect()
    }

    fn url(&self, var: &'static str, default: &str) -> Result<url::Url, ConfigError> {
        const EXPECTED: &str = "an http(s) URL such as https://api.telegram.org";
        let raw = self.string(var, default);
        match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u),
            _ => Err(ConfigError::Invalid { var, expected: EXPECTED, got: quote(&raw) }),
        }
    }

    fn database(&self) -> Result<DatabaseConfig, ConfigError> {
        Ok(DatabaseConfig {
            url: self.database_url()?,
            max_connections: self.int("DB_MAX_CONNECTIONS", 10, 1..=1000, "an integer from 1 to 1000")?,
            acquire_timeout: self.secs("DB_ACQUIRE_TIMEOUT_SECS", 5, 1..=300)?,
            outage_wait: self.secs("DB_OUTAGE_WAIT_SECS", 30, 0..=600)?,
        })
    }

    /// `DATABASE_URL`: `sqlite://PATH` (the embedded default, a file in the data directory
    /// when unset) or `postgres://…` (a server, for several consoles and headless setups).
    fn database_url(&self) -> Result<SecretUrl, ConfigError> {
        const VAR: &str = "DATABASE_URL";
        const EXPECTED: &str =
            "sqlite://PATH (a file, the default) or a PostgreSQL URL such as postgres://user@127.0.0.1:5432/postgate";
        let Some(raw) = self.get(VAR).filter(|v| !v.trim().is_empty()) else {
            return Ok(SecretUrl::new(self.default_sqlite_url()));
        };
        match raw.split_once("://") {
            Some(("sqlite", path)) if !path.is_empty() => Ok(SecretUrl::new(raw)),
            Some(("postgres" | "postgresql", _)) if url::Url::parse(&raw).is_ok() => Ok(SecretUrl::new(raw)),
            _ => Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: mask_url(&raw) }),
        }
    }

    /// `$XDG_DATA_HOME/postgate/postgate.db`, else `~/.local/share/postgate/postgate.db`.
    fn default_sqlite_url(&self) -> String {
        let var = |name: &str| self.get(name).or_else(|| std::env::var(name).ok()).filter(|v| !v.is_empty());
        let data = var("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| var("HOME").map(|home| std::path::Path::new(&home).join(".local/share")))
            .unwrap_or_default();
        format!("sqlite://{}", data.join("postgate").join("postgate.db").display())
    }

    /// `$XDG_CACHE_HOME/postgate/media`, else `~/.cache/postgate/media`: this user's own, not
    /// a folder in the shared temporary directory other local users could plant files in.
    fn default_media_dir(&self) -> PathBuf {
        let var = |name: &str| self.get(name).or_else(|| std::env::var(name).ok()).filter(|v| !v.is_empty());
        var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| std::path::Path::new(&home).join(".cache")))
            .map_or_else(|| std::env::temp_dir().join("postgate-media"), |cache| cache.join("postgate").join("media"))
    }

    fn redis_url(&self) -> Result<Option<SecretUrl>, ConfigError> {
        const VAR: &str = "REDIS_URL";
        const EXPECTED: &str = "a Redis URL such as redis://127.0.0.1:6379/0, or nothing for the in-process cache";
        let Some(raw) = self.get(VAR).filter(|v| !v.trim().is_empty()) else { return Ok(None) };
        match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "redis" | "rediss") => Ok(Some(SecretUrl::new(raw))),
            _ => Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: mask_url(&raw) }),
        }
    }

    fn int(
        &self,
        var: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
        expected: &'static str,
    ) -> Result<u32, ConfigError> {
        let Some(raw) = self.get(var) else { return Ok(default) };
        match raw.parse::<u32>() {
            Ok(v) if range.contains(&v) => Ok(v),
            _ => Err(ConfigError::Invalid { var, expected, got: quote(&raw) }),
        }
    }

    fn secs(
        &self,
        var: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<Duration, ConfigError> {
        const EXPECTED: &str = "a whole number of seconds within the allowed range";
        self.int(var, default, range, EXPECTED).map(|s| Duration::from_secs(u64::from(s)))
    }

    fn locale(&self) -> Result<String, ConfigError> {
        const VAR: &str = "DEFAULT_LOCALE";
        const EXPECTED: &str = "a locale that PostGate ships: ru or en";
        let raw = self.string(VAR, "ru").to_ascii_lowercase();
        if crate::i18n::AVAILABLE.contains(&raw.as_str()) {
            Ok(raw)
        } else {
            Err(ConfigError::Invalid { var: VAR, expected: EXPECTED, got: quote(&raw) })
        }
    }

    fn send_limits(&self) -> Result<Option<crate::limiter::SendLimits>, ConfigError> {
        const VAR: &str = "TELEGRAM_RATE_LIMIT";
        match self.string(VAR, "on").to_ascii_lowercase().as_str() {
            "on" => {}
            "off" => return Ok(None),
            other => return Err(ConfigError::Invalid { var: VAR, expected: "on or off", got: quote(other) }),
        }
        let d = crate::limiter::SendLimits::default();
        Ok(Some(crate::limiter::SendLimits {
            per_sec: self.int("TELEGRAM_MESSAGES_PER_SEC", d.per_sec, 1..=100_000, "an integer from 1 to 100000")?,
            private_chat_per_sec: self.int(
                "TELEGRAM_CHAT_MESSAGES_PER_SEC",
                d.private_chat_per_sec,
                1..=1000,
                "an integer from 1 to 1000",
            )?,
            group_per_min: self.int(
                "TELEGRAM_GROUP_MESSAGES_PER_MIN",
                d.group_per_min,
                1..=1_000_000,
                "an integer from 1 to 1000000",
            )?,
        }))
    }

    fn log_format(&self) -> Result<LogFormat, ConfigError> {
        const VAR: &str = "LOG_FORMAT";
        match self.string(VAR, "json").to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "pretty" => Ok(LogFormat::Pretty),
            other => Err(ConfigError::Invalid { var: VAR, expected: "json or pretty", got: quote(other) }),
        }
    }
}

fn quote(raw: &str) -> String {
    let short: String = raw.chars().take(40).collect();
    format!("{short:?}")
}

mod secs {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

mod millis {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_millis())
    }
}

#[cfg(test)]
mod tests;
