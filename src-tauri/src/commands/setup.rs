//! The setup screen's commands: `setup_status`, `setup_token`, `setup_new_code`,
//! `setup_channel`, `setup_finish`, `setup_cancel` (see `docs/console-commands.md`).

use postgate::setup::{ChannelChecked, Progress, SetupError, SetupOutcome, SetupSession, check_channel, token};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::CommandError;
use crate::setup::{self, SetupState, command_error};
use crate::state::AppState;

/// Whether the setup is needed, and where it stands.
#[derive(Debug, Serialize)]
pub struct SetupStatus {
    /// True while the app runs without a bot configuration.
    pub required: bool,
    /// The running setup's progress, once a token was accepted.
    pub progress: Option<Progress>,
}

#[tauri::command]
pub async fn setup_status(setup: State<'_, SetupState>) -> Result<SetupStatus, CommandError> {
    let progress = setup.session().await.map(|s| s.progress());
    Ok(SetupStatus { required: setup.required(), progress })
}

/// Step 1: checks the token (shape, then `getMe`) and starts the setup-only bot with it. A
/// configured app's bot stops first: one token, one poller.
#[tauri::command]
pub async fn setup_token<R: Runtime>(
    app: AppHandle<R>,
    setup: State<'_, SetupState>,
    token: String,
) -> Result<Progress, CommandError> {
    let token = token::parse_token(&token).map_err(|e| command_error("token", &e))?;
    let identity = token::verify_token(&setup.endpoint, &token).await.map_err(|e| command_error("token", &e))?;
    if let Some(state) = app.try_state::<AppState>() {
        state.stop_bot().await;
    }
    setup.replace_session(None).await;
    let session = SetupSession::start(&setup.endpoint, token, identity, setup.i18n.clone())
        .map_err(|e| command_error("token", &e))?;
    setup::forward_progress(&app, &session);
    let progress = session.progress();
    setup.replace_session(Some(session)).await;
    tracing::info!(bot = %progress.bot.username, "setup: token accepted; waiting for /setup in the moderation group");
    Ok(progress)
}

#[tauri::command]
pub async fn setup_new_code(setup: State<'_, SetupState>) -> Result<Progress, CommandError> {
    let session = running(&setup).await?;
    session.new_code();
    Ok(session.progress())
}

/// Step 3: checks a channel (id or @username) for the bot's right to post.
#[tauri::command]
pub async fn setup_channel(setup: State<'_, SetupState>, channel: String) -> Result<ChannelChecked, CommandError> {
    let session = running(&setup).await?;
    check_channel(session.bot(), session.identity().id, &channel).await.map_err(|e| command_error("channel", &e))
}

/// Step 4: saves the settings and starts the console with them. `moderator`: record the
/// group member who sent the code as the console's moderator.
#[tauri::command]
pub async fn setup_finish<R: Runtime>(
    app: AppHandle<R>,
    setup: State<'_, SetupState>,
    channel: String,
    moderator: bool,
) -> Result<(), CommandError> {
    let session = running(&setup).await?;
    let progress = session.progress();
    let group = progress
        .group
        .ok_or_else(|| command_error("group", &SetupError::Incomplete("no moderation group has sent the code yet")))?;
    let channel =
        check_channel(session.bot(), progress.bot.id, &channel).await.map_err(|e| command_error("channel", &e))?;
    let outcome = SetupOutcome {
        token: session.token().clone(),
        group_id: group.id,
        channel,
        moderator: if moderator { group.moderator } else { None },
    };
    let overlay = setup::save(&setup.settings_path, &outcome.variables())?;
    setup.replace_session(None).await;
    tracing::info!(group_id = outcome.group_id, channel = %outcome.channel.reference(), "setup: saved");
    if let Some(state) = app.try_state::<AppState>() {
        // The running services hold the old settings: the app starts again with the new ones
        // (a graceful stop first, as on Quit).
        if state.begin_quit() {
            state.shutdown().await;
        }
        app.request_restart();
        return Ok(());
    }
    setup::activate(&app, &overlay).await
}

/// Leaves the setup without saving; a configured app's bot starts again.
#[tauri::command]
pub async fn setup_cancel<R: Runtime>(app: AppHandle<R>, setup: State<'_, SetupState>) -> Result<(), CommandError> {
    setup.replace_session(None).await;
    if let Some(state) = app.try_state::<AppState>() {
        state.start_bot().await?;
    }
    Ok(())
}

async fn running(setup: &SetupState) -> Result<SetupSession, CommandError> {
    setup.session().await.ok_or_else(|| CommandError::invalid("the setup has no bot yet: enter the token first"))
}
