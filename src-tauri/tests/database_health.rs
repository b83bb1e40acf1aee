//! The header's database line through Tauri IPC (mock runtime): `database_health` answers
//! without touching the database, every change reaches the window as `postgate://database`,
//! and the console's probe clears an outage once the database answers again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::mpsc;
use std::time::Duration;

use postgate::store::StoreError;
use serde_json::{Value, json};
use support::Console;
use tauri::Listener;

#[test]
fn an_outage_reaches_the_header_and_clears_when_the_database_answers() {
    let console = Console::start("health", &[]);
    let (tx, events) = mpsc::channel::<Value>();
    console.app.listen_any(postgate_desktop::EVENT_DATABASE, move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    assert_eq!(console.ok("database_health", json!({})), json!({ "state": "reachable" }));

    // As the service layer reports a write that met an outage.
    let health = &console.state.services.health;
    health.unreachable(&StoreError::Unavailable("connection refused".into()));
    let shown = console.ok("database_health", json!({}));
    assert_eq!(shown["state"], "unreachable", "{shown}");
    assert!(shown["since"].as_str().is_some_and(|s| s.ends_with('Z')), "RFC 3339 UTC: {shown}");
    assert!(shown["error"].as_str().is_some_and(|e| e.contains("connection refused")), "{shown}");
    let wait = Duration::from_secs(10);
    let event = loop {
        let event = events.recv_timeout(wait).expect("the outage reaches the window");
        if event["state"] == "unreachable" {
            break event;
        }
    };
    assert_eq!(event["since"], shown["since"], "the event and the command agree");

    // The database is in fact there: the console's probe finds it and the line goes.
    loop {
        let event = events.recv_timeout(wait).expect("the probe clears the outage");
        if event["state"] == "reachable" {
            break;
        }
    }
    assert_eq!(console.ok("database_health", json!({})), json!({ "state": "reachable" }));
    console.stop();
}
