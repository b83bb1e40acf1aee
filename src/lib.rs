//! `PostGate` core: everything that is not a window.
//!
//! - [`config`]: validated configuration from the environment and `.env`
//! - [`telemetry`]: JSON logs to stdout and rolling files
//! - [`domain`]: posts, media, statuses, moderation actions (pure)
//! - [`store`]: storage behind a trait: embedded SQLite (default) or `PostgreSQL`, migrations
//! - [`cache`]: cache behind a trait, Redis or in process, TTL on every write
//! - [`i18n`]: Fluent locales, Russian by default
//! - [`import`]: bulk import of ban lists
//! - [`archive`]: CSV exports, backups and restores (`postgate export | backup | restore`)
//! - [`media`]: media downloads to temporary files and SHA-256 fingerprints
//! - [`media_cache`]: bounded on-disk cache of media for previews
//! - [`private_fs`]: folders (0700, ours, no symlinks) and files (0600) other local users cannot touch
//! - [`health`]: whether the database answers ("unreachable since …"), for waits and the console
//! - [`services`]: the dependencies built once and injected everywhere
//! - [`events`]: live change notifications for consoles, from the store
//! - [`flags`]: flags for a second look (stop words, links, near-duplicates …), pure
//! - [`moderation`]: the write path both faces (Telegram group, console) go through
//! - [`options`]: author options (signed or anonymous), the signature template and the channel footer
//! - [`render`]: what Telegram shows — cards, buttons, post content (bot and publisher)
//! - [`telegram`]: the one HTTP client, timeouts and flood-limit retries
//! - [`bot`]: the handler tree: intake, commands, moderation buttons
//! - [`publisher`]: the outbox worker: announce, publish, notify
//! - [`runtime`]: starts/stops the bot, one poller per token, graceful shutdown
//! - [`setup`]: first-run setup: token check, `/setup CODE` from the moderation group, channel pick

pub mod archive;
pub mod bot;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod events;
pub mod flags;
pub mod health;
pub mod i18n;
pub mod import;
pub mod limiter;
pub mod media;
pub mod media_cache;
pub mod metrics;
pub mod moderation;
pub mod options;
pub mod private_fs;
pub mod publisher;
pub mod receipts;
pub mod render;
pub mod replies;
pub mod runtime;
pub mod schedule;
pub mod services;
pub mod setup;
mod signal;
pub mod store;
pub mod telegram;
pub mod telemetry;

pub use signal::{Signals, shutdown_signal};
