//! Tracing setup: JSON lines (or pretty text) to stdout and to a daily rolling file.
//!
//! Timestamps are RFC 3339 UTC; span fields (`update_id`, `user_id`, `post_id`, …) are carried on
//! every line. The returned [`TelemetryGuard`] must live until shutdown so the non-blocking
//! file writer flushes its last lines.

use std::io;

use tracing::Subscriber;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::time::ChronoUtc;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogConfig, LogFormat};

/// Telemetry setup failures.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("LOG_DIR {dir}: cannot create the log directory: {source}")]
    LogDir { dir: String, source: io::Error },
    #[error("LOG_LEVEL is malformed: {0}")]
    Filter(String),
    #[error("LOG_DIR: cannot open the rolling log file: {0}")]
    Appender(String),
}

/// Keeps the file writer alive; dropping it flushes the remaining lines.
#[must_use = "dropping the guard stops file logging"]
pub struct TelemetryGuard {
    _file: WorkerGuard,
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-28T15:04:05.123Z`.
fn timer() -> ChronoUtc {
    ChronoUtc::new("%Y-%m-%dT%H:%M:%S%.3fZ".to_owned())
}

/// The JSON layer used for every JSON sink: flattened fields, current span and span list.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_timer(timer())
        .with_current_span(true)
        .with_span_list(true)
        .flatten_event(true)
        .with_target(true)
        .with_writer(writer)
}

/// Installs the global subscriber. Calling it twice is harmless (the second call keeps the
/// first subscriber), which tests rely on.
pub fn init(config: &LogConfig) -> Result<TelemetryGuard, TelemetryError> {
    std::fs::create_dir_all(&config.dir)
        .map_err(|source| TelemetryError::LogDir { dir: config.dir.display().to_string(), source })?;
    let filter = EnvFilter::try_new(&config.filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("postgate")
        .filename_suffix("log")
        .max_log_files(14)
        .build(&config.dir)
        .map_err(|e| TelemetryError::Appender(e.to_string()))?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);

    let stdout_layer = match config.format {
        LogFormat::Json => json_layer(io::stdout).boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_timer(timer()).with_writer(io::stdout).boxed(),
    };
    // The file always gets JSON: it is for machines (log tail in the console, grep, shipping).
    let _ = tracing_subscriber::registry().with(filter).with(stdout_layer).with(json_layer(file_writer)).try_init();
    Ok(TelemetryGuard { _file: guard })
}
