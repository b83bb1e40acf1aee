//! Exports and backups (`postgate export | backup | restore`) on both backends: a fixture
//! exported byte for byte (`exports.rs`), an installation backed up and restored whole, with the
//! refusals that change nothing (`backups.rs`), a backup taken during a burst of submissions
//! restoring exactly what was committed at that moment (`burst.rs`), and the command line's
//! exit codes and messages (`commands.rs`), scheduled backups on an injected clock
//! (`schedule.rs`). Each test runs once per backend (`on_both!`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../migrate_data/installation.rs"]
mod installation;

mod backups;
mod burst;
mod commands;
mod exports;
mod schedule;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use postgate::config::{Config, DatabaseConfig};
use postgate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgate".into());
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b).to_owned();
    format!("{base}/postgres")
}

async fn admin(sql: String) {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
}

/// A database that does not exist yet (opening or restoring creates it); dropped by `dispose`.
pub struct Db {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl Db {
    pub async fn fresh(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("postgate.db").display());
                Self { backend, url, dir, pg_name: None }
            }
            Backend::Postgres => {
                let name = format!("pg_archive_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
                admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                let url = format!("{}/{name}", admin_url().rsplit_once('/').unwrap().0);
                Self { backend, url, dir, pg_name: Some(name) }
            }
        }
    }

    pub fn config(&self) -> DatabaseConfig {
        let env: HashMap<String, String> = [
            ("BOT_TOKEN", "123:abc"),
            ("MODERATION_GROUP_ID", "-100123"),
            ("CHANNEL_ID", "-100456"),
            ("DATABASE_URL", self.url.as_str()),
            ("DB_MAX_CONNECTIONS", "4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Config::from_map(&env).unwrap().database
    }

    /// Opens (creating and migrating) the store, as a console would.
    pub async fn open(&self) -> Arc<dyn Store> {
        postgate::store::open(&self.config(), Duration::ZERO).await.unwrap()
    }

    /// A file in this test's own folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs SQL straight on the database (fixtures), outside any store.
    pub async fn execute(&self, sql: &'static str) {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Rows in every table, read straight from the database (0 for a database not created).
    pub async fn total_rows(&self) -> i64 {
        let sql = "SELECT (SELECT count(*) FROM authors) + (SELECT count(*) FROM moderators) \
                   + (SELECT count(*) FROM bans) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM media) \
                   + (SELECT count(*) FROM moderation_log) + (SELECT count(*) FROM outbox)";
        match self.backend {
            Backend::Sqlite => {
                let Ok(pool) = sqlx::SqlitePool::connect(&format!("{}?mode=ro", self.url)).await else { return 0 };
                let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap_or(0);
                pool.close().await;
                n
            }
            Backend::Postgres => {
                let Ok(pool) = sqlx::PgPool::connect(&self.url).await else { return 0 };
                let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap_or(0);
                pool.close().await;
                n
            }
        }
    }

    pub async fn dispose(self) {
        if let Some(name) = &self.pg_name {
            admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

/// One `#[tokio::test]` per backend for each `async fn(Backend)` named.
macro_rules! on_both {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(crate::Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(crate::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use on_both;
