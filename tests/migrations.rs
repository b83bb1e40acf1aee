//! Migrations (seed 13): one forward-only history that applies to an empty database, re-runs as
//! a no-op, and refuses an edited, already-applied migration with an error naming its version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, Utc};
use postgate::store::StoreError;
use postgate::store::postgres::{MIGRATOR, PgStore};
use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migrator};

type Applied = (i64, String, bool, Vec<u8>, DateTime<Utc>);

async fn applied(pool: &PgPool) -> Vec<Applied> {
    sqlx::query_as(
        "SELECT version, description, success, checksum, installed_on FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn public_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[test]
fn seed_13_the_history_is_linear_and_forward_only() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(!names.is_empty());
    let mut versions = Vec::new();
    for name in &names {
        let (version, rest) = name.split_once('_').unwrap_or_else(|| panic!("{name}: expected VERSION_name.sql"));
        assert!(version.len() == 14 && version.bytes().all(|b| b.is_ascii_digit()), "{name}: version is a timestamp");
        let stem = Path::new(rest);
        assert_eq!(stem.extension().and_then(|e| e.to_str()), Some("sql"), "{name}: migrations are .sql files");
        let inner = Path::new(stem.file_stem().unwrap()).extension();
        assert!(inner.is_none(), "{name}: forward-only migrations have no .up/.down part");
        versions.push(version.parse::<i64>().unwrap());
    }
    let embedded: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(embedded, versions, "the embedded migrations are exactly the files in migrations/postgres/");
    assert!(MIGRATOR.iter().all(|m| !m.migration_type.is_down_migration()));
}

#[sqlx::test(migrations = false)]
async fn seed_13_migrations_apply_to_an_empty_database_and_rerun_as_a_no_op(pool: PgPool) {
    assert!(public_tables(&pool).await.is_empty(), "the database starts empty");
    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.unwrap();

    let tables = public_tables(&pool).await;
    for table in ["_sqlx_migrations", "authors", "bans", "media", "moderation_log", "moderators", "outbox", "posts"] {
        assert!(tables.iter().any(|t| t == table), "{table} missing after migrating: {tables:?}");
    }
    let first = applied(&pool).await;
    assert_eq!(first.len(), MIGRATOR.iter().count());
    assert!(first.iter().all(|m| m.2), "every migration succeeded");

    store.migrate().await.expect("a second run is a no-op");
    MIGRATOR.run(&pool).await.expect("and so is a third");
    assert_eq!(applied(&pool).await, first, "re-running changed _sqlx_migrations");
}

#[sqlx::test(migrations = false)]
async fn seed_13_an_edited_applied_migration_is_refused_with_its_version(pool: PgPool) {
    MIGRATOR.run(&pool).await.unwrap();
    let before = applied(&pool).await;

    // A copy of migrations/postgres/ with one applied file edited by hand.
    let copy = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&source).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in &files {
        std::fs::copy(file, copy.path().join(file.file_name().unwrap())).unwrap();
    }
    let edited = copy.path().join(files[0].file_name().unwrap());
    let version: i64 = files[0].file_name().unwrap().to_str().unwrap().split('_').next().unwrap().parse().unwrap();
    let mut sql = std::fs::read_to_string(&edited).unwrap();
    sql.push_str("\nCREATE TABLE sneaky_hand_edit (id BIGINT);\n");
    std::fs::write(&edited, sql).unwrap();

    // The unchanged copy is accepted: the failure below is about the edit only.
    let pristine = tempfile::tempdir().unwrap();
    for file in &files {
        std::fs::copy(file, pristine.path().join(file.file_name().unwrap())).unwrap();
    }
    Migrator::new(pristine.path()).await.unwrap().run(&pool).await.expect("an unchanged history passes");

    let migrator = Migrator::new(copy.path()).await.unwrap();
    let err = migrator.run(&pool).await.expect_err("an edited migration must be refused");
    assert!(matches!(err, MigrateError::VersionMismatch(v) if v == version), "got {err:?}");
    // Through the store's error type, the message still names the version for the operator.
    let message = StoreError::from(err).to_string();
    assert!(message.contains(&version.to_string()), "{message}");
    assert!(message.contains("modified"), "{message}");

    let tables = public_tables(&pool).await;
    assert!(!tables.iter().any(|t| t == "sneaky_hand_edit"), "the edited SQL must not run");
    assert_eq!(applied(&pool).await, before);
}
