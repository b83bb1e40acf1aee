//! The `postgate-media://localhost/<post id>/<position>` protocol: media previews for the
//! window, fetched through the Bot API into the bounded on-disk cache (`postgate::media_cache`).
//!
//! Authors choose what they send and the type it claims, so only raster images are served:
//! photos, or files declaring PNG/JPEG/GIF/WebP, whose bytes must then *be* one of those. The
//! content type comes from the bytes (never from the author), with `nosniff` and a sandboxing
//! CSP, so a document claiming `text/html` or `image/svg+xml` never runs as a page.

use postgate::domain::{MediaKind, PostId};
use postgate::store::MediaRecord;
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

/// Image types the console previews, by their first bytes.
const IMAGES: [(&[u8], &str); 4] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
];

/// The headers every preview carries: nothing sniffed, nothing run if opened as a document.
pub const NOSNIFF: &str = "nosniff";
pub const SANDBOX: &str = "default-src 'none'; sandbox";

/// Whether a media item may be previewed at all (checked before anything is downloaded).
fn previewable(item: &MediaRecord) -> bool {
    item.kind == MediaKind::Photo
        || item.mime_type.as_deref().is_some_and(|m| IMAGES.iter().any(|(_, image)| m.eq_ignore_ascii_case(image)))
}

/// The image type of `bytes`, from their signature (WebP: `RIFF....WEBP`).
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    IMAGES
        .iter()
        .find(|(magic, mime)| bytes.starts_with(magic) && (*mime != "image/webp" || bytes.get(8..12) == Some(b"WEBP")))
        .map(|(_, mime)| *mime)
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    harden(&mut response);
    response
}

fn harden(response: &mut Response<Vec<u8>>) {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static(NOSNIFF));
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(SANDBOX));
}

/// The image, typed by its bytes, or 415 when the bytes are no image the console previews.
fn image(bytes: Vec<u8>) -> Response<Vec<u8>> {
    let Some(mime) = image_type(&bytes) else { return status(StatusCode::UNSUPPORTED_MEDIA_TYPE) };
    let mut response = Response::new(bytes);
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(mime));
    harden(&mut response);
    response
}

/// The answer to one preview request (`/<post id>/<position>`).
pub async fn serve(state: &AppState, path: &str) -> Response<Vec<u8>> {
    let Some((post_id, position)) = parse(path) else { return status(StatusCode::NOT_FOUND) };
    let post = match state.services.store.post(PostId(post_id)).await {
        Ok(Some(post)) => post,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(_) => return status(StatusCode::SERVICE_UNAVAILABLE), // logged by the store
    };
    let Some(item) = post.media.iter().find(|m| m.position == position) else {
        return status(StatusCode::NOT_FOUND);
    };
    if !previewable(item) {
        tracing::warn!(post_id, position, kind = %item.kind.as_str(), "not an image the console previews; refused");
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let file = match state.media.get(&state.runtime.bot(), &item.file_unique_id, &item.file_id).await {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(post_id, position, error = %e, "media preview not available");
            return status(StatusCode::BAD_GATEWAY);
        }
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => image(bytes),
        Err(e) => {
            tracing::warn!(post_id, position, error = %e, "cached preview unreadable");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{image, image_type, parse};

    #[test]
    fn only_raster_images_are_served_typed_by_their_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        for bad in [&b"<html><script>"[..], b"<svg xmlns=", b"RIFF\0\0\0\0AVI ", b""] {
            assert_eq!(image_type(bad), None);
        }
        let html = image(b"<!doctype html><script>alert(1)</script>".to_vec());
        assert_eq!(html.status(), 415);
        assert!(html.body().is_empty());
        let png = image(b"\x89PNG\r\n\x1a\n".to_vec());
        assert_eq!(png.headers()["content-type"], "image/png");
        assert_eq!(png.headers()["x-content-type-options"], "nosniff");
        assert!(png.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    }

    #[test]
    fn only_post_and_position_paths_are_served() {
        assert_eq!(parse("/12/0"), Some((12, 0)));
        for bad in ["/", "/12", "/x/0", "/12/-1", "/0/0", "/12/0/extra", "/../etc/passwd"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
