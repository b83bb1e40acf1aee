//! Unit tests for configuration parsing and validation.

use super::*;

fn base() -> HashMap<String, String> {
    [
        ("BOT_TOKEN", "123456:ABCdef_ghi-JKL"),
        ("MODERATION_GROUP_ID", "-1001234567890"),
        ("CHANNEL_ID", "@postgate_news"),
        ("DATABASE_URL", "postgres://app:hunter2@db.example:5432/postgate"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with(key: &str, value: &str) -> HashMap<String, String> {
    let mut m = base();
    m.insert(key.to_owned(), value.to_owned());
    m
}

fn without(key: &str) -> HashMap<String, String> {
    let mut m = base();
    m.remove(key);
    m
}

#[test]
fn minimal_config_gets_defaults() {
    let c = Config::from_map(&base()).unwrap();
    assert_eq!(c.telegram.moderation_group_id, -1_001_234_567_890);
    assert_eq!(c.telegram.channel, ChannelRef::Username("@postgate_news".into()));
    assert_eq!(c.default_locale, "ru");
    assert_eq!(c.database.max_connections, 10);
    assert_eq!(c.telegram.api_url.as_str(), "https://api.telegram.org/");
    assert_eq!(c.log.format, LogFormat::Json);
    assert!(c.telegram.moderator_ids.is_empty());
}

#[test]
fn missing_group_id_names_the_variable() {
    let err = Config::from_map(&without("MODERATION_GROUP_ID")).unwrap_err();
    assert_eq!(err.var(), "MODERATION_GROUP_ID");
    assert!(err.to_string().starts_with("MODERATION_GROUP_ID is missing"), "{err}");
}

#[test]
fn non_numeric_or_positive_group_id_is_rejected() {
    for bad in ["abc", "12345", "-12x"] {
        let err = Config::from_map(&with("MODERATION_GROUP_ID", bad)).unwrap_err();
        assert_eq!(err.var(), "MODERATION_GROUP_ID", "{bad}");
        assert!(err.to_string().contains("negative integer"), "{err}");
    }
}

#[test]
fn empty_value_counts_as_missing() {
    let err = Config::from_map(&with("BOT_TOKEN", "  ")).unwrap_err();
    assert!(matches!(err, ConfigError::Missing { var: "BOT_TOKEN", .. }));
}

#[test]
fn malformed_token_is_rejected_without_echoing_it() {
    let err = Config::from_map(&with("BOT_TOKEN", "not a token secret-part")).unwrap_err();
    assert_eq!(err.var(), "BOT_TOKEN");
    assert!(!err.to_string().contains("secret-part"), "{err}");
}

#[test]
fn channel_accepts_id_or_username() {
    let c = Config::from_map(&with("CHANNEL_ID", "-1009876543210")).unwrap();
    assert_eq!(c.telegram.channel, ChannelRef::Id(-1_009_876_543_210));
    assert!(Config::from_map(&with("CHANNEL_ID", "news")).is_err());
    assert!(Config::from_map(&with("CHANNEL_ID", "@1bad")).is_err());
}

#[test]
fn moderator_ids_parse_and_validate() {
    let c = Config::from_map(&with("MODERATOR_IDS", "1, 22 ,333")).unwrap();
    assert_eq!(c.telegram.moderator_ids, vec![1, 22, 333]);
    let err = Config::from_map(&with("MODERATOR_IDS", "1,x")).unwrap_err();
    assert_eq!(err.var(), "MODERATOR_IDS");
}

#[test]
fn numbers_out_of_range_are_rejected() {
    assert_eq!(Config::from_map(&with("DB_MAX_CONNECTIONS", "0")).unwrap_err().var(), "DB_MAX_CONNECTIONS");
    assert_eq!(Config::from_map(&with("HTTP_TIMEOUT_SECS", "soon")).unwrap_err().var(), "HTTP_TIMEOUT_SECS");
    assert_eq!(Config::from_map(&with("DEFAULT_LOCALE", "de")).unwrap_err().var(), "DEFAULT_LOCALE");
    assert_eq!(Config::from_map(&with("LOG_FORMAT", "xml")).unwrap_err().var(), "LOG_FORMAT");
    assert_eq!(Config::from_map(&with("DATABASE_URL", "mysql://x")).unwrap_err().var(), "DATABASE_URL");
}

#[test]
fn secrets_never_appear_in_debug_or_json() {
    let c = Config::from_map(&base()).unwrap();
    let debug = format!("{c:?}");
    let json = serde_json::to_string(&c).unwrap();
    for shown in [&debug, &json] {
        assert!(!shown.contains("ABCdef_ghi"), "token leaked: {shown}");
        assert!(!shown.contains("hunter2"), "password leaked: {shown}");
        assert!(shown.contains("db.example"), "host should stay visible: {shown}");
    }
}

#[test]
fn without_database_url_the_store_is_a_sqlite_file_in_the_data_directory() {
    let mut map = without("DATABASE_URL");
    map.insert("XDG_DATA_HOME".into(), "/home/ann/.local/share".into());
    let c = Config::from_map(&map).unwrap();
    assert_eq!(c.database.url.expose(), "sqlite:///home/ann/.local/share/postgate/postgate.db");
    map.insert("DATABASE_URL".into(), "  ".into());
    assert_eq!(Config::from_map(&map).unwrap().database.url.expose(), c.database.url.expose(), "blank = unset");
    map.remove("XDG_DATA_HOME");
    map.insert("HOME".into(), "/home/bob".into());
    map.remove("DATABASE_URL");
    assert_eq!(
        Config::from_map(&map).unwrap().database.url.expose(),
        "sqlite:///home/bob/.local/share/postgate/postgate.db"
    );
    let own = Config::from_map(&with("DATABASE_URL", "sqlite:///srv/pg/queue.db")).unwrap();
    assert_eq!(own.database.url.expose(), "sqlite:///srv/pg/queue.db");
    let err = Config::from_map(&with("DATABASE_URL", "sqlite://")).unwrap_err();
    assert_eq!(err.var(), "DATABASE_URL");
    assert!(err.to_string().contains("sqlite://PATH"), "{err}");
}

#[test]
fn without_redis_url_the_cache_is_in_process() {
    assert!(Config::from_map(&base()).unwrap().cache.url.is_none());
    assert!(Config::from_map(&with("REDIS_URL", "")).unwrap().cache.url.is_none());
    let redis = Config::from_map(&with("REDIS_URL", "redis://127.0.0.1:6379/0")).unwrap();
    assert_eq!(redis.cache.url.map(|u| u.expose().to_owned()).as_deref(), Some("redis://127.0.0.1:6379/0"));
    assert_eq!(Config::from_map(&with("REDIS_URL", "http://x")).unwrap_err().var(), "REDIS_URL");
}

#[test]
fn the_outage_wait_defaults_to_30_s_and_is_bounded() {
    assert_eq!(Config::from_map(&base()).unwrap().database.outage_wait, Duration::from_secs(30));
    assert_eq!(Config::from_map(&with("DB_OUTAGE_WAIT_SECS", "0")).unwrap().database.outage_wait, Duration::ZERO);
    assert_eq!(
        Config::from_map(&with("DB_OUTAGE_WAIT_SECS", "600")).unwrap().database.outage_wait,
        Duration::from_mins(10)
    );
    for bad in ["601", "-1", "soon", "1.5"] {
        let err = Config::from_map(&with("DB_OUTAGE_WAIT_SECS", bad)).unwrap_err();
        assert_eq!(err.var(), "DB_OUTAGE_WAIT_SECS", "{bad}");
    }
}

#[test]
fn passwords_in_the_query_are_masked_too() {
    assert_eq!(
        mask_url("postgres://app@db:5432/q?password=hunter2&sslmode=require"),
        "postgres://app@db:5432/q?password=***&sslmode=require"
    );
    assert_eq!(
        mask_url("postgres://app@db/q?sslpassword=x&PassWord=y"),
        "postgres://app@db/q?sslpassword=***&PassWord=***"
    );
    assert_eq!(mask_url("postgres://app:pw@db/q?application_name=pg"), "postgres://app:***@db/q?application_name=pg");
    assert_eq!(mask_url("redis+unix:///run/redis.sock?db=0&pass=s3cret"), "redis+unix:///run/redis.sock?db=0&pass=***");
    assert_eq!(mask_url(""), "", "nothing set stays empty");
    let c = Config::from_map(&with("DATABASE_URL", "postgres://app@db/q?password=hunter2")).unwrap();
    assert!(!format!("{:?} {}", c.database, serde_json::to_string(&c).unwrap()).contains("hunter2"));
}

#[test]
fn the_media_folder_defaults_to_the_users_cache_not_the_shared_temp_dir() {
    let mut map = with("XDG_CACHE_HOME", "/home/ann/.cache-x");
    assert_eq!(Config::from_map(&map).unwrap().media.temp_dir, PathBuf::from("/home/ann/.cache-x/postgate/media"));
    map.insert("MEDIA_TEMP_DIR".into(), "/srv/media".into());
    assert_eq!(Config::from_map(&map).unwrap().media.temp_dir, PathBuf::from("/srv/media"));
    let c = Config::from_map(&base()).unwrap();
    assert!(!c.media.temp_dir.starts_with(std::env::temp_dir()) || std::env::var_os("HOME").is_none(), "{c:?}");
}
