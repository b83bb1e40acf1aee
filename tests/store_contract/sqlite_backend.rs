//! The SQLite backend of the contract: a database file of its own per test, in a temporary
//! directory, opened and migrated the production way, deleted afterwards.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use postgate::config::Config;
use postgate::store::Store;
use postgate::store::sqlite::SqliteStore;

use crate::harness::Backend;

/// SQLite: `contract.db` in a fresh temporary directory, made and migrated the production way
/// (`Config` → `SqliteStore::connect` → `migrate`), removed with its directory at the end.
pub struct Sqlite {
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Backend for Sqlite {
    async fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let env: HashMap<String, String> = [
            ("BOT_TOKEN", "123:abc".to_owned()),
            ("MODERATION_GROUP_ID", "-100123".to_owned()),
            ("CHANNEL_ID", "-100456".to_owned()),
            ("DATABASE_URL", format!("sqlite://{}", dir.path().join("contract.db").display())),
            ("DB_MAX_CONNECTIONS", "6".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let config = Config::from_map(&env).expect("test configuration");
        let store = SqliteStore::connect(&config.database).await.expect("open").with_album_debounce(Duration::ZERO);
        Store::migrate(&store).await.expect("migrate");
        Self { dir, store }
    }

    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    fn backdater(&self) -> crate::backdate::Backdater {
        crate::backdate::Backdater::Sqlite(self.dir.path().join("contract.db"))
    }

    async fn dispose(self) {
        Store::close(&self.store).await;
        drop(self.store);
        self.dir.close().expect("remove the temporary directory");
    }
}
