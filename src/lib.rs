//! `PostGate` core: everything that is not a window.
//!
//! - [`config`]: validated configuration from the environment and `.env`
//! - [`telemetry`]: JSON logs to stdout and rolling files
//! - [`domain`]: posts, media, statuses, moderation actions (pure)
//! - [`store`]: storage behind a trait, `PostgreSQL` implementation and migrations
//! - [`cache`]: cache behind a trait, Redis implementation, TTL on every write
//! - [`i18n`]: Fluent locales, Russian by default
//! - [`import`]: bulk import of ban lists
//! - [`services`]: the dependencies built once and injected everywhere

pub mod cache;
pub mod cli;
pub mod config;
pub mod domain;
pub mod i18n;
pub mod import;
pub mod services;
mod signal;
pub mod store;
pub mod telemetry;

pub use signal::shutdown_signal;
