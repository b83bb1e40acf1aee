//! Background tasks that keep the window live: database changes → `postgate://changed`, bot
//! state → `postgate://bot` and the tray, the database's health → `postgate://database` (and
//! a probe that clears it when the database is back). Changes also go to the notifier (desktop
//! notifications, the tray's pending count). All stop when `AppState::background` is cancelled.

use std::time::Duration;

use futures::StreamExt;
use postgate::events::{self, ChangeEvent};
use postgate::runtime::BotState;
use tauri::{AppHandle, Emitter, Runtime};

use crate::notifier::Notifier;
use crate::state::AppState;
use crate::{EVENT_BOT, EVENT_CHANGED, EVENT_DATABASE};

/// Wait before listening again after the database refused.
const RELISTEN_DELAY: Duration = Duration::from_secs(5);

/// Starts the forwarders and the health probe on Tauri's async runtime.
pub fn spawn<R: Runtime>(app: &AppHandle<R>, state: &AppState) {
    let notifier = crate::notifier::spawn(app, state);
    tauri::async_runtime::spawn(changes(app.clone(), state.clone(), notifier));
    tauri::async_runtime::spawn(bot_states(app.clone(), state.clone()));
    tauri::async_runtime::spawn(database_health(app.clone(), state.clone()));
    let services = &state.services;
    let probe =
        postgate::health::probe_while_down(services.store.clone(), services.health.clone(), state.background.clone());
    tauri::async_runtime::spawn(probe);
}

async fn changes<R: Runtime>(app: AppHandle<R>, state: AppState, notifier: Notifier) {
    let cancel = state.background.clone();
    let mut first = true;
    loop {
        match events::listen(state.services.store.as_ref()).await {
            Ok(stream) => {
                let mut stream = Box::pin(stream);
                tracing::info!("listening for changes");
                if !first {
                    // Changes made while we were not listening are lost: refresh everything.
                    let resync = ChangeEvent { event: "resync".to_owned(), post_id: None };
                    emit(&app, &resync);
                    notifier.change(&resync);
                }
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        next = stream.next() => match next {
                            Some(event) => {
                                emit(&app, &event);
                                notifier.change(&event);
                            }
                            None => break,
                        },
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for changes; retrying"),
        }
        first = false;
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(RELISTEN_DELAY) => {}
        }
    }
}

fn emit<R: Runtime>(app: &AppHandle<R>, event: &ChangeEvent) {
    if let Err(e) = app.emit(EVENT_CHANGED, event) {
        tracing::warn!(error = %e, "cannot forward a change event to the window");
    }
}

async fn bot_states<R: Runtime>(app: AppHandle<R>, state: AppState) {
    let mut states = state.runtime.subscribe();
    let cancel = state.background.clone();
    loop {
        let current: BotState = states.borrow_and_update().clone();
        crate::tray::update(&app, &current);
        if let Err(e) = app.emit(EVENT_BOT, &current) {
            tracing::warn!(error = %e, "cannot forward the bot state to the window");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = states.changed() => if changed.is_err() { return },
        }
    }
}

async fn database_health<R: Runtime>(app: AppHandle<R>, state: AppState) {
    let mut health = state.services.health.subscribe();
    let cancel = state.background.clone();
    loop {
        let current = health.borrow_and_update().clone();
        if let Err(e) = app.emit(EVENT_DATABASE, &current) {
            tracing::warn!(error = %e, "cannot forward the database's health to the window");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = health.changed() => if changed.is_err() { return },
        }
    }
}
