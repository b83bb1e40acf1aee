//! Author options in the console: the post as the channel will show it (`post_preview`, the
//! text composed in the core by the function the publisher uses, so the two cannot drift) and
//! a moderator's signed/anonymous choice (`post_set_signed`, through `postgate::moderation`,
//! logged under the console moderator with source `console`, live to other consoles).

use postgate::domain::{ActionSource, MediaKind, PostId};
use postgate::render::{Composed, compose_post};
use postgate::store::SignedOutcome;
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// One media item of the preview's grid (its image is `postgate-media://localhost/<id>/<position>`).
#[derive(Debug, Serialize)]
pub struct PreviewMedia {
    pub position: i16,
    pub kind: MediaKind,
}

/// A post as it will be published.
#[derive(Debug, Serialize)]
pub struct PostPreview {
    pub post_id: PostId,
    /// The author's (or a moderator's) choice; `null`: none yet, the default applies.
    pub chosen: Option<bool>,
    /// The text or caption with the signature and footer, its entities, slot and length.
    pub composed: Composed,
    pub media: Vec<PreviewMedia>,
    /// Whether the choice can still change (not published, rejected or being sent).
    pub open: bool,
}

#[tauri::command]
pub async fn post_preview(state: State<'_, AppState>, id: i64) -> Result<PostPreview, CommandError> {
    let services = &state.services;
    let post = services
        .store
        .post(PostId(id))
        .await?
        .ok_or_else(|| CommandError::not_found(format!("post {id} does not exist")))?;
    let composed = compose_post(&post, &services.config.options);
    let media = post.media.iter().map(|m| PreviewMedia { position: m.position, kind: m.kind }).collect();
    Ok(PostPreview { post_id: post.id, chosen: post.signed, composed, media, open: SignedOutcome::open(post.status) })
}

/// Publishes post `id` signed (`true`) or anonymous: `SignedOutcome` (`changed`, `too_late`
/// with the status, `not_found`).
#[tauri::command]
pub async fn post_set_signed(state: State<'_, AppState>, id: i64, signed: bool) -> Result<SignedOutcome, CommandError> {
    let moderator = state.moderator()?;
    let set = postgate::moderation::options::moderator_sets_signed(
        &state.services,
        PostId(id),
        moderator,
        ActionSource::Console,
        signed,
    );
    Ok(set.await?)
}
