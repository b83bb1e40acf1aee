//! Exports from the console: the posts or the decision log of the Statistics view's range of
//! days (in its zone) as CSV (UTF-8 with BOM), written by the core's streamed export ([`postgate::archive::export`], as
//! `postgate export` does) to a file the moderator picks in the system's save dialog, with
//! progress events to the window. The webview never names a path: the dialog does.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use postgate::archive::export::{DayRange, ExportError, ExportReport, export};
use postgate::store::archive::ExportKind;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::CommandError;
use crate::state::AppState;

/// Progress of the export under way: `{ kind, rows, total }`.
pub const EVENT_EXPORT: &str = "postgate://export";

/// Asks where to save a file; `None` when the moderator cancels.
pub trait SavePicker: Send + Sync + 'static {
    fn pick(&self, suggested: String) -> BoxFuture<'static, Option<PathBuf>>;
}

/// The managed picker the command asks (the system's dialog in the app; tests manage their own).
pub type Picker = Arc<dyn SavePicker>;

/// The system's save dialog (Tauri's dialog plugin), filtered to CSV files.
pub struct DialogPicker<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> SavePicker for DialogPicker<R> {
    fn pick(&self, suggested: String) -> BoxFuture<'static, Option<PathBuf>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0.dialog().file().set_file_name(suggested).add_filter("CSV", &["csv"]).save_file(move |path| {
            let _ = tx.send(path);
        });
        Box::pin(async move { rx.await.ok().flatten().and_then(|p| p.into_path().ok()) })
    }
}

#[derive(Debug, Clone, Serialize)]
struct Progress {
    kind: &'static str,
    rows: u64,
    total: u64,
}

fn parse_kind(kind: &str) -> Result<(ExportKind, &'static str), CommandError> {
    match kind {
        "posts" => Ok((ExportKind::Posts, "posts")),
        "log" => Ok((ExportKind::Log, "log")),
        other => Err(CommandError::invalid_field("kind", format!("{other:?} is neither \"posts\" nor \"log\""))),
    }
}

fn command_error(e: &ExportError) -> CommandError {
    if e.is_refusal() { CommandError::invalid(e.to_string()) } else { CommandError::unavailable(e.to_string()) }
}

/// Exports `kind` (`posts` or `log`) for the days `from..=to` (`YYYY-MM-DD`) in the IANA zone
/// `tz` (the Statistics view's) to a file the save dialog asks for: the report (`path`,
/// `rows`, `bytes`), or `null` when the moderator cancels. A bad or empty range, an unknown
/// zone or a folder that cannot be written is `invalid` and writes nothing; the range is
/// checked before the dialog opens.
#[tauri::command]
pub async fn export_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    kind: String,
    from: String,
    to: String,
    tz: String,
) -> Result<Option<ExportReport>, CommandError> {
    let (kind, name) = parse_kind(&kind)?;
    let zone: chrono_tz::Tz =
        tz.parse().map_err(|_| CommandError::invalid_field("tz", format!("{tz:?} is not an IANA time zone")))?;
    let range = DayRange::parse(&from, &to).map_err(|e| command_error(&e))?.in_zone(zone);
    let picker = app
        .try_state::<Picker>()
        .ok_or_else(|| CommandError::unavailable("no save dialog in this console"))?
        .inner()
        .clone();
    let Some(out) = picker.pick(format!("postgate-{name}-{}_{}.csv", from.trim(), to.trim())).await else {
        return Ok(None);
    };
    let events = app.clone();
    let progress = Arc::new(move |rows, total| {
        if let Err(e) = events.emit(EVENT_EXPORT, Progress { kind: name, rows, total }) {
            tracing::debug!(error = %e, "export progress not delivered");
        }
    });
    let report =
        export(&state.services.config.database, kind, range, &out, progress).await.map_err(|e| command_error(&e))?;
    tracing::info!(kind = name, rows = report.rows, bytes = report.bytes, "exported from the console");
    Ok(Some(report))
}
