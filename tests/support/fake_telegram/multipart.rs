//! Minimal `multipart/form-data` parser: text fields to a JSON object, file parts to metadata.

use serde_json::{Map, Value};

use super::state::UploadedFile;

/// Upper bound on parts per request, so a malformed body cannot loop for long.
const MAX_PARTS: usize = 1000;

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `boundary` parameter of a `Content-Type: multipart/form-data; boundary=…` header.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// `name="…"` style parameter of a `Content-Disposition` header value.
fn disposition_param(disposition: &str, param: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim().eq_ignore_ascii_case(param).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Parses a body. Text parts become string fields; parts with a `filename` become
/// [`UploadedFile`]s. Returns `None` when the body is not multipart with this boundary.
pub fn parse(boundary: &str, body: &[u8]) -> Option<(Map<String, Value>, Vec<UploadedFile>)> {
    let delimiter = format!("--{boundary}");
    let separator = format!("\r\n--{boundary}");
    let mut fields = Map::new();
    let mut files = Vec::new();
    let mut pos = find(body, delimiter.as_bytes())? + delimiter.len();
    for _ in 0..MAX_PARTS {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let end = find(rest, separator.as_bytes())?;
        let part = &rest[..end];
        pos = body.len() - rest.len() + end + separator.len();

        let header_end = find(part, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&part[..header_end]);
        let content = &part[header_end + 4..];
        let mut disposition = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-disposition") {
                    disposition = Some(value.trim().to_owned());
                } else if name.trim().eq_ignore_ascii_case("content-type") {
                    content_type = Some(value.trim().to_owned());
                }
            }
        }
        let disposition = disposition.unwrap_or_default();
        let Some(name) = disposition_param(&disposition, "name") else { continue };
        match disposition_param(&disposition, "filename") {
            Some(file_name) => {
                files.push(UploadedFile { name, file_name: Some(file_name), content_type, size: content.len() });
            }
            None => {
                fields.insert(name, Value::String(String::from_utf8_lossy(content).into_owned()));
            }
        }
    }
    Some((fields, files))
}
