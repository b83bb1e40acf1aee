//! Structured logs (seed 17): every line `json_layer` writes is JSON with level, an RFC 3339 UTC
//! timestamp, the target and the fields of the enclosing spans; `telemetry::init` writes the same
//! lines to the rolling file in `LOG_DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{LogCapture, assert_rfc3339_utc};
use postgate::config::{LogConfig, LogFormat};

#[test]
fn seed_17_log_lines_are_json_with_level_timestamp_target_and_span_fields() {
    let capture = LogCapture::default();
    {
        let _guard = tracing::subscriber::set_default(capture.subscriber());
        tracing::info!(answer = 42, "outside any span");
        let update = tracing::info_span!("update", update_id = 7, user_id = 42);
        let _entered = update.enter();
        tracing::info!("update received");
        let post = tracing::info_span!("submit", post_id = 1234);
        let _in_post = post.enter();
        tracing::warn!(attempt = 2, "cache slow, \"quoted\"\nand multi-line");
        tracing::error!(error = "boom", "store failed");
    }
    let text = capture.text();
    assert_eq!(text.lines().count(), 4, "one line per event: {text}");
    let lines = capture.lines();

    for line in &lines {
        let level = line["level"].as_str().unwrap_or_else(|| panic!("no level: {line}"));
        assert!(["INFO", "WARN", "ERROR"].contains(&level), "{line}");
        assert_rfc3339_utc("timestamp", line["timestamp"].as_str().unwrap_or_else(|| panic!("no timestamp: {line}")));
        assert_eq!(line["target"], "telemetry", "{line}");
        assert!(line["message"].is_string(), "{line}");
    }
    assert_eq!(lines[0]["answer"], 42, "event fields are flattened: {}", lines[0]);
    assert!(lines[0].get("span").is_none(), "no span outside spans: {}", lines[0]);

    let received = &lines[1];
    assert_eq!(received["level"], "INFO");
    assert_eq!(received["message"], "update received");
    assert_eq!(received["span"]["name"], "update");
    assert_eq!(received["span"]["update_id"], 7);
    assert_eq!(received["span"]["user_id"], 42);

    let warn = &lines[2];
    assert_eq!(warn["level"], "WARN");
    assert_eq!(warn["message"], "cache slow, \"quoted\"\nand multi-line");
    assert_eq!(warn["attempt"], 2);
    assert_eq!(warn["span"]["name"], "submit");
    assert_eq!(warn["span"]["post_id"], 1234);
    // The whole span stack is on the line: the update's ids reach events of inner spans.
    let spans = warn["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    assert_eq!((spans[0]["name"].as_str(), spans[0]["update_id"].as_i64()), (Some("update"), Some(7)));
    assert_eq!(spans[0]["user_id"], 42);
    assert_eq!(spans[1]["post_id"], 1234);

    assert_eq!(lines[3]["level"], "ERROR");
    assert_eq!(lines[3]["error"], "boom");
}

#[test]
fn seed_17_init_writes_json_lines_to_the_rolling_file() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("nested").join("logs");
    let config = LogConfig { dir: logs.clone(), format: LogFormat::Json, filter: "info".into() };
    let guard = postgate::telemetry::init(&config).unwrap();
    {
        let span = tracing::info_span!("update", update_id = 99, user_id = 5);
        let _entered = span.enter();
        tracing::info!(post_id = 3, "to the file");
        tracing::debug!("filtered out at info");
    }
    drop(guard); // flushes the non-blocking writer

    let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one daily file: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("postgate"), "{name}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("log"), "{name}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let line = lines.iter().find(|l| l["message"] == "to the file").unwrap_or_else(|| panic!("not logged: {text}"));
    assert_rfc3339_utc("timestamp", line["timestamp"].as_str().unwrap());
    assert_eq!((line["level"].as_str(), line["target"].as_str()), (Some("INFO"), Some("telemetry")));
    assert_eq!((line["span"]["update_id"].as_i64(), line["span"]["user_id"].as_i64()), (Some(99), Some(5)));
    assert_eq!(line["post_id"], 3);
    assert!(!text.contains("filtered out"), "LOG_LEVEL filters the file too");

    // A LOG_DIR that cannot be created is a startup error naming LOG_DIR.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a dir").unwrap();
    let bad = LogConfig { dir: blocker.join("logs"), format: LogFormat::Json, filter: "info".into() };
    let err = postgate::telemetry::init(&bad).err().expect("a file in the way");
    assert!(err.to_string().contains("LOG_DIR"), "{err}");
}
