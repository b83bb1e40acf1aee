//! The `postgate-media://localhost/<post id>/<position>` protocol: media previews for the
//! window, fetched through the Bot API into the bounded on-disk cache (`postgate::media_cache`).

use postgate::domain::PostId;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme the window loads previews from (allowed by the CSP's `img-src`).
pub const SCHEME: &str = "postgate-media";

/// Answers one preview request without blocking the webview (the signature is Tauri's).
#[allow(clippy::needless_pass_by_value)]
pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let state = ctx.app_handle().state::<AppState>().inner().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        responder.respond(serve(&state, &path).await);
    });
}

/// `/12/0` → post 12, position 0.
fn parse(path: &str) -> Option<(i64, i16)> {
    let mut parts = path.trim_start_matches('/').split('/');
    let post = parts.next()?.parse().ok().filter(|id| *id > 0)?;
    let position = parts.next()?.parse().ok().filter(|p| *p >= 0)?;
    parts.next().is_none().then_some((post, position))
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    response
}

async fn serve(state: &AppState, path: &str) -> Response<Vec<u8>> {
    let Some((post_id, position)) = parse(path) else { return status(StatusCode::NOT_FOUND) };
    let post = match state.services.store.post(PostId(post_id)).await {
        Ok(Some(post)) => post,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(_) => return status(StatusCode::SERVICE_UNAVAILABLE), // logged by the store
    };
    let Some(item) = post.media.iter().find(|m| m.position == position) else {
        return status(StatusCode::NOT_FOUND);
    };
    let file = match state.media.get(&state.runtime.bot(), &item.file_unique_id, &item.file_id).await {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(post_id, position, error = %e, "media preview not available");
            return status(StatusCode::BAD_GATEWAY);
        }
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mime = item.mime_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
            let mut response = Response::new(bytes);
            if let Ok(value) = mime.parse() {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(e) => {
            tracing::warn!(post_id, position, error = %e, "cached preview unreadable");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_post_and_position_paths_are_served() {
        assert_eq!(parse("/12/0"), Some((12, 0)));
        for bad in ["/", "/12", "/x/0", "/12/-1", "/0/0", "/12/0/extra", "/../etc/passwd"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
