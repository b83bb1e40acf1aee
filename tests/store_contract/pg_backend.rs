//! The `PostgreSQL` backend of the contract: a database of its own per test, made and migrated
//! the production way, dropped afterwards.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use postgate::config::Config;
use postgate::store::Store;
use postgate::store::postgres::PgStore;
use sqlx::{Connection, PgConnection};

use crate::harness::Backend;

static SEQ: AtomicU32 = AtomicU32::new(0);

/// `PostgreSQL`: a database of its own per test, `pg_contract_<pid>_<n>` on the server of
/// `DATABASE_URL`, made and migrated the production way (`Config` → `PgStore::connect` →
/// `migrate`), dropped at the end.
pub struct Postgres {
    name: String,
    store: PgStore,
}

/// The server's maintenance database, from `DATABASE_URL`.
fn admin_url() -> String {
    let url = crate::common::url_for_database("postgres");
    url.trim_end_matches('/').to_owned()
}

async fn admin(sql: String) {
    let mut conn = PgConnection::connect(&admin_url()).await.expect("the PostgreSQL server answers");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("admin statement");
    conn.close().await.ok();
}

impl Backend for Postgres {
    async fn fresh() -> Self {
        let name = format!("pg_contract_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let env: HashMap<String, String> = [
            ("BOT_TOKEN", "123:abc".to_owned()),
            ("MODERATION_GROUP_ID", "-100123".to_owned()),
            ("CHANNEL_ID", "-100456".to_owned()),
            ("DATABASE_URL", crate::common::url_for_database(&name)),
            // Enough for the concurrency tests (8 decisions at once) without crowding the server.
            ("DB_MAX_CONNECTIONS", "6".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let config = Config::from_map(&env).expect("test configuration");
        // `connect` creates the database when it does not exist.
        let store = PgStore::connect(&config.database).await.expect("connect").with_album_debounce(Duration::ZERO);
        store.migrate().await.expect("migrate");
        Self { name, store }
    }

    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    fn backdater(&self) -> crate::backdate::Backdater {
        crate::backdate::Backdater::Postgres(self.store.pool().clone())
    }

    async fn dispose(self) {
        self.store.close().await;
        admin(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}
