//! Migrations (seed 13) on the embedded SQLite backend: the same rules as on PostgreSQL — one
//! forward-only history in `migrations/sqlite/`, applied to an empty file, re-run as a no-op,
//! an edited applied migration refused with its version; and a database from a newer version
//! of `PostGate` is refused, never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::str::FromStr;

use postgate::store::StoreError;
use postgate::store::sqlite::MIGRATOR;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

const DIR: &str = "migrations/sqlite";

fn files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

async fn pool(path: &Path) -> SqlitePool {
    let options =
        SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap().create_if_missing(true);
    SqlitePool::connect_with(options).await.unwrap()
}

async fn applied(pool: &SqlitePool) -> Vec<(i64, Vec<u8>)> {
    sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version").fetch_all(pool).await.unwrap()
}

#[test]
fn seed_13_the_sqlite_history_is_linear_and_forward_only() {
    let mut versions = Vec::new();
    for file in files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (version, rest) = name.split_once('_').unwrap_or_else(|| panic!("{name}: expected VERSION_name.sql"));
        assert!(version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()), "{name}: version is a timestamp");
        let sql = Path::new(rest).extension().is_some_and(|e| e == "sql");
        assert!(sql && !rest.contains(".up.") && !rest.contains(".down."), "{name}: forward-only .sql");
        versions.push(version.parse::<i64>().unwrap());
    }
    let embedded: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(embedded, versions, "the embedded migrations are exactly the files in {DIR}/");
    assert!(MIGRATOR.iter().all(|m| !m.migration_type.is_down_migration()));
}

#[tokio::test]
async fn seed_13_sqlite_migrations_apply_to_an_empty_file_and_rerun_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let pool = pool(&db).await;
    MIGRATOR.run(&pool).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    for table in ["authors", "bans", "media", "moderation_log", "moderators", "outbox", "posts", "posts_search"] {
        assert!(tables.iter().any(|t| t == table), "{table} missing: {tables:?}");
    }
    let first = applied(&pool).await;
    assert_eq!(first.len(), MIGRATOR.iter().count());
    MIGRATOR.run(&pool).await.expect("a second run is a no-op");
    assert_eq!(applied(&pool).await, first);
}

#[tokio::test]
async fn seed_13_an_edited_applied_sqlite_migration_is_refused_with_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir.path().join("edited.db")).await;
    MIGRATOR.run(&pool).await.unwrap();
    let copy = tempfile::tempdir().unwrap();
    let files = files();
    for file in &files {
        std::fs::copy(file, copy.path().join(file.file_name().unwrap())).unwrap();
    }
    let edited = copy.path().join(files[0].file_name().unwrap());
    let version: i64 = files[0].file_name().unwrap().to_str().unwrap().split('_').next().unwrap().parse().unwrap();
    let mut sql = std::fs::read_to_string(&edited).unwrap();
    sql.push_str("\nCREATE TABLE sneaky_hand_edit (id INTEGER);\n");
    std::fs::write(&edited, sql).unwrap();
    let err = Migrator::new(copy.path()).await.unwrap().run(&pool).await.expect_err("an edited migration is refused");
    assert!(matches!(err, MigrateError::VersionMismatch(v) if v == version), "got {err:?}");
    assert!(StoreError::from(err).to_string().contains(&version.to_string()));
}

#[tokio::test]
async fn a_file_from_a_newer_version_or_not_a_database_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let config = |path: &Path| {
        let env: std::collections::HashMap<String, String> = [
            ("BOT_TOKEN", "123:abc".to_owned()),
            ("MODERATION_GROUP_ID", "-100123".to_owned()),
            ("CHANNEL_ID", "-100456".to_owned()),
            ("DATABASE_URL", format!("sqlite://{}", path.display())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        postgate::config::Config::from_map(&env).unwrap()
    };

    // A newer PostGate applied a migration this one does not know.
    let newer = dir.path().join("newer.db");
    let pool = pool(&newer).await;
    MIGRATOR.run(&pool).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000000, 'from the future', 1, x'00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    let before = (applied(&pool).await, schema(&pool).await);
    pool.close().await;
    let err = postgate::store::open(&config(&newer).database, std::time::Duration::ZERO).await.err().expect("refused");
    assert!(err.to_string().contains("29991231000000"), "names the unknown version: {err}");
    let pool = self::pool(&newer).await;
    assert!((applied(&pool).await, schema(&pool).await) == before, "the newer database is left as it was");

    // Not a database at all.
    let junk = dir.path().join("notes.db");
    std::fs::write(&junk, b"shopping list: milk, bread\n".repeat(200)).unwrap();
    let before = std::fs::read(&junk).unwrap();
    let store = postgate::store::open(&config(&junk).database, std::time::Duration::ZERO).await;
    let err = store.err().expect("refused");
    assert!(err.to_string().contains("not a database") || err.to_string().contains("file"), "{err}");
    assert!(std::fs::read(&junk).unwrap() == before, "never overwritten");
}

async fn schema(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT coalesce(sql, name) FROM sqlite_master ORDER BY name").fetch_all(pool).await.unwrap()
}

#[tokio::test]
async fn a_closed_store_frees_its_file_for_the_next_opener() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("one.db").display());
    let config = postgate::config::DatabaseConfig::from_url(&url).unwrap();
    let first = postgate::store::open(&config, std::time::Duration::ZERO).await.unwrap();
    let refused = postgate::store::open(&config, std::time::Duration::ZERO).await.err().expect("held by the first");
    assert!(matches!(refused, StoreError::InUse { .. }), "{refused}");
    first.close().await;
    let second = postgate::store::open(&config, std::time::Duration::ZERO).await.expect("free once closed");
    second.close().await;
}

/// Seed 4 on SQLite: every time column is RFC 3339 UTC text the database writes itself — NOT
/// NULL ones default to `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` — so times sort and compare as
/// text and come back as `DateTime<Utc>`.
#[tokio::test]
async fn seed_04_every_sqlite_time_column_is_rfc3339_utc_text_with_a_now_default() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir.path().join("times.db")).await;
    MIGRATOR.run(&pool).await.unwrap();
    let mut columns = Vec::new();
    for table in ["authors", "moderators", "bans", "posts", "media", "moderation_log", "outbox"] {
        let info: Vec<(i64, String, String, i64, Option<String>, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})"))).fetch_all(&pool).await.unwrap();
        assert!(info.iter().any(|c| c.1 == "created_at"), "{table}.created_at missing");
        columns.extend(info.into_iter().filter(|c| c.1.ends_with("_at")).map(|c| (table, c)));
    }
    assert!(columns.len() >= 15, "expected the schema's time columns: {columns:?}");
    for (table, (_, name, kind, not_null, default, _)) in &columns {
        assert_eq!(kind, "TEXT", "{table}.{name} is {kind}");
        if *not_null == 1 {
            assert_eq!(
                default.as_deref(),
                Some("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"),
                "{table}.{name} is NOT NULL without the RFC 3339 now() default"
            );
        }
    }
    sqlx::query("INSERT INTO authors (id, first_name) VALUES (1, 'a')").execute(&pool).await.unwrap();
    let (text, parsed): (String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT created_at, created_at FROM authors").fetch_one(&pool).await.unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(&text).is_ok() && text.ends_with('Z'), "{text}");
    assert!((chrono::Utc::now() - parsed).num_seconds().abs() < 60, "the database's now is UTC: {parsed}");
}
