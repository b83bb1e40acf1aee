//! The storage backend a window test runs on: a fresh `PostgreSQL` database, or an SQLite file
//! in the test's folder with the in-process cache (the embedded default). An SQLite file has one
//! process at a time, so such a test opens the store through the core before the window and
//! after it (`Db::open` waits while the closing window still holds the file), and reads
//! everything in between from the window and the fake Bot API.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use postgate::config::Config;
use postgate::services::{Services, StartupError};
use postgate::store::StoreError;

use super::driver::{WAIT, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A test's database and the environment its window and its own core share.
pub struct Db {
    pub backend: Backend,
    pub env: HashMap<String, String>,
    pg_name: Option<String>,
}

impl Db {
    /// A fresh database on `backend`, with [`super::test_env`] for the fake Bot API at `api_url`
    /// and logs under `dir`.
    pub async fn fresh(backend: Backend, tag: &str, api_url: &str, dir: &Path) -> Self {
        let logs = dir.join("logs");
        match backend {
            Backend::Postgres => {
                let (name, url) = super::fresh_database(tag).await;
                let env = super::test_env(&url, &name, api_url, &logs);
                Self { backend, env, pg_name: Some(name) }
            }
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.join("postgate.db").display());
                let mut env = super::test_env(&url, "", api_url, &logs);
                env.remove("REDIS_URL");
                Self { backend, env, pg_name: None }
            }
        }
    }

    /// Whether the test may keep its own core open while the window runs.
    pub fn shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// The environment as the window is given it.
    pub fn window_env(&self) -> Vec<(String, String)> {
        self.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Variables of the test's own environment the window must not inherit.
    pub fn unset(&self) -> &'static [&'static str] {
        match self.backend {
            Backend::Postgres => &[],
            Backend::Sqlite => &["REDIS_URL"],
        }
    }

    /// The test's own core on the database, waiting (bounded by [`WAIT`]) while the window's
    /// process, shutting down, still holds an SQLite file.
    pub async fn open(&self) -> Services {
        open_waiting(&self.env).await
    }

    /// Hands the database over to the window: the test's own core stays open beside it on
    /// `PostgreSQL` (returned), and is closed for an SQLite file, the window's alone while it runs.
    pub async fn hand_over(&self, core: Services) -> Option<Services> {
        if self.shared() {
            return Some(core);
        }
        core.close().await;
        None
    }

    /// The console window on this database (logs and the driver's files under `dir`).
    pub async fn window(&self, dir: &Path) -> Window {
        let application = Path::new(env!("CARGO_BIN_EXE_postgate-desktop"));
        Window::open_without(application, &self.window_env(), self.unset(), dir).await
    }

    /// The test's core once the window has closed: the one kept, or the file opened again.
    pub async fn take_back(&self, kept: Option<Services>) -> Services {
        match kept {
            Some(core) => core,
            None => self.open().await,
        }
    }

    /// Drops a `PostgreSQL` database (an SQLite file goes with the test's folder).
    pub async fn drop(self) {
        if let Some(name) = self.pg_name {
            super::drop_database(&name).await;
        }
    }
}

/// Builds the core from `env`, waiting (bounded by [`WAIT`]) while another process still holds
/// its SQLite file.
pub async fn open_waiting(env: &HashMap<String, String>) -> Services {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match Services::build(Config::from_map(env).unwrap()).await {
            Ok(services) => return services,
            Err(StartupError::Database { source: StoreError::InUse { holder, .. }, .. })
                if tokio::time::Instant::now() < deadline =>
            {
                eprintln!("the database file is still held by {holder}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("cannot open the database through the core: {e}"),
        }
    }
}
