//! Follows the core's change events (passed on by `forward`) for the tray and the desktop:
//! new submissions while the console window is hidden or unfocused raise a notification
//! (the notification plugin; when, is `notify_policy`), and the tray shows the pending count.
//! A click on the notification opens the queue where the notification server reports clicks.

use std::time::{Duration, Instant};

use postgate::events::ChangeEvent;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::Notification;
use tokio::sync::mpsc;

use crate::MAIN_WINDOW;
use crate::notify_policy::Policy;
use crate::state::AppState;

/// Asks the window to open a view (`"queue"`), e.g. after a click on a notification.
pub const EVENT_OPEN: &str = "postgate://open";
/// The change event of a new submission.
const CREATED: &str = "post_created";
/// The pending count is read again this long after a change: a burst costs one query.
const PENDING_REFRESH: Duration = Duration::from_millis(300);

/// What the notifier hears about.
enum Signal {
    /// A change event; `created` for a new submission.
    Change { created: bool },
    /// The console window gained (true) or lost the focus.
    Focus(bool),
}

/// The notifier's inbox; managed, so the focus tracker and `forward` reach it.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<Signal>,
}

impl Notifier {
    /// Passes a change event on (never blocks the forwarder).
    pub fn change(&self, event: &ChangeEvent) {
        let _ = self.tx.send(Signal::Change { created: event.event == CREATED });
    }

    pub fn focus(&self, focused: bool) {
        let _ = self.tx.send(Signal::Focus(focused));
    }
}

/// Starts the notifier (until `state.background` is cancelled) and manages its inbox.
pub fn spawn<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Notifier {
    let (tx, rx) = mpsc::unbounded_channel();
    let notifier = Notifier { tx };
    app.manage(notifier.clone());
    // Read after the inbox exists: a focus change from now on is queued behind this value.
    let focused = app.get_webview_window(MAIN_WINDOW).and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if let Some(notifications) = app.try_state::<Notification<R>>() {
        let handle = app.clone();
        let clicks = notifications.on_action(move |performed| {
            if performed.action_id() == "tap" {
                tracing::info!("notification clicked: opening the queue");
                open_queue(&handle);
            }
        });
        if let Err(e) = clicks {
            tracing::warn!(error = %e, "notifications: clicks will not open the queue");
        }
    }
    tauri::async_runtime::spawn(run(app.clone(), state.clone(), rx, focused));
    notifier
}

/// Shows the console on its queue.
pub fn open_queue<R: Runtime>(app: &AppHandle<R>) {
    crate::show_console(app);
    if let Err(e) = app.emit(EVENT_OPEN, "queue") {
        tracing::warn!(error = %e, "cannot ask the window to open the queue");
    }
}

async fn run<R: Runtime>(app: AppHandle<R>, state: AppState, mut rx: mpsc::UnboundedReceiver<Signal>, focused: bool) {
    let cancel = state.background.clone();
    let mut policy = Policy::new();
    let mut focused = focused;
    // The tray's count is read once at start, then after changes.
    let mut refresh_at = Some(Instant::now());
    loop {
        let wake = [policy.due(), refresh_at].into_iter().flatten().min();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = sleep_until(wake) => {}
            signal = rx.recv() => match signal {
                None => return,
                Some(Signal::Focus(now_focused)) => {
                    focused = now_focused;
                    if focused {
                        policy.seen();
                    }
                    tracing::debug!(focused, "console window focus changed");
                }
                Some(Signal::Change { created }) => {
                    refresh_at.get_or_insert_with(|| Instant::now() + PENDING_REFRESH);
                    if created {
                        let attentive = focused && shown(&app);
                        policy.submitted(Instant::now(), attentive);
                        tracing::debug!(attentive, "new submission: {}", if attentive { "in view, no notification" } else { "to notify" });
                    }
                }
            },
        }
        let now = Instant::now();
        if let Some(count) = policy.poll(now) {
            raise(&app, &state, count);
        }
        if refresh_at.is_some_and(|at| at <= now) {
            refresh_at = None;
            match state.services.store.stats().await {
                Ok(counts) => crate::tray::set_pending(&app, counts.pending),
                // The next change tries again; the header says when the database is down.
                Err(e) => tracing::debug!(error = %e, "cannot count pending submissions for the tray"),
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Whether the window is on screen (shown and not minimized): with the focus, the moderator
/// sees the live queue.
fn shown<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.get_webview_window(MAIN_WINDOW)
        .is_some_and(|w| w.is_visible().unwrap_or(false) && !w.is_minimized().unwrap_or(false))
}

/// Raises "N new submissions" in the console's default locale.
fn raise<R: Runtime>(app: &AppHandle<R>, state: &AppState, count: u32) {
    let body = text(&state.services.i18n, count);
    // Without the plugin (tests on the mock runtime) there is nothing to show.
    let Some(notifications) = app.try_state::<Notification<R>>() else { return };
    match notifications.builder().title("PostGate").body(body).show() {
        Ok(()) => tracing::info!(count, "notification raised: new submissions"),
        Err(e) => tracing::warn!(error = %e, count, "cannot raise a notification"),
    }
}

/// "5 new submissions", in the console's default locale.
fn text(i18n: &postgate::i18n::I18n, count: u32) -> String {
    let count = postgate::i18n::num(i64::from(count));
    i18n.t_args(i18n.default_locale(), "notify-new-submissions", &[("count", count)])
}

#[cfg(test)]
mod tests {
    use postgate::i18n::I18n;

    use super::*;

    #[test]
    fn the_count_is_worded_in_russian_by_default_and_in_english() {
        let ru = I18n::new("ru").unwrap();
        assert_eq!(text(&ru, 1), "1 новая заявка");
        assert_eq!(text(&ru, 3), "3 новые заявки");
        assert_eq!(text(&ru, 5), "5 новых заявок");
        assert_eq!(text(&ru, 21), "21 новая заявка");
        let en = I18n::new("en").unwrap();
        assert_eq!(text(&en, 1), "1 new submission");
        assert_eq!(text(&en, 5), "5 new submissions");
    }
}
