//! The console's layout at the window's smallest size (`minWidth` in tauri.conf.json), in the
//! real window under Xvfb: every control of the queue's filter rows stays inside the list pane,
//! nothing of it runs into the detail pane, and the page has no horizontal scrollbar. At 900 px
//! the author-id box and the "total" count used to run 210 px into the detail pane and the
//! header made the page 948 px wide. Checked again at the default width (1280 px).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use postgate::services::Services;
use serde_json::{Value, json};
use support::driver::{Window, until};

/// The window's sizes from tauri.conf.json: (minimum width, default width, default height).
fn configured_sizes() -> (u32, u32, u32) {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let window = &conf["app"]["windows"][0];
    let get = |k: &str| u32::try_from(window[k].as_u64().unwrap_or_else(|| panic!("{k} in tauri.conf.json"))).unwrap();
    (get("minWidth"), get("width"), get("height"))
}

/// Where the list pane, the detail pane and each filter-row control are, and whether the page
/// is wider than the window — measured in the page.
const MEASURE: &str = "
  const rect = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, width: r.width }; };
  const pane = document.querySelector('.list-pane');
  const detail = document.querySelector('.detail-pane');
  const controls = [...document.querySelectorAll('.toolbar-list .toolbar-row > *')]
    .map((el) => ({ name: el.dataset.testid || el.className, ...rect(el) }));
  return { inner: window.innerWidth, pane: rect(pane), detail: detail ? rect(detail) : null, controls,
           scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth };";

/// Sets the window's outer width and waits until the page is laid out at it.
async fn resize(window: &Window, width: u32, height: u32) {
    window.client.set_window_size(width, height).await.unwrap();
    until(&format!("the page is {width} px wide"), || async {
        let inner = window.client.execute("return window.innerWidth;", vec![]).await.unwrap();
        inner.as_u64().is_some_and(|w| w.abs_diff(u64::from(width)) <= 2)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // one more frame for the layout
}

async fn assert_fits(window: &Window, width: u32) {
    let m = window.client.execute(MEASURE, vec![]).await.unwrap();
    let pane_right = m["pane"]["right"].as_f64().unwrap();
    let controls = m["controls"].as_array().unwrap();
    assert!(controls.len() >= 6, "search, total and four filters at {width} px: {m}");
    for c in controls {
        let (name, left, right) = (&c["name"], c["left"].as_f64().unwrap(), c["right"].as_f64().unwrap());
        assert!(
            right <= pane_right + 0.5,
            "{name} ends at {right} px, past the list pane's {pane_right} at {width} px: {m}"
        );
        assert!(left >= m["pane"]["left"].as_f64().unwrap() - 0.5, "{name} starts left of the pane at {width} px: {m}");
        assert!(c["width"].as_f64().unwrap() >= 40.0, "{name} is squeezed to nothing at {width} px: {m}");
    }
    let detail_left = m["detail"]["left"].as_f64().expect("the detail pane is shown");
    assert!(pane_right <= detail_left + 0.5, "the list pane overlaps the detail pane at {width} px: {m}");
    let (scroll, client) = (m["scrollWidth"].as_u64().unwrap(), m["clientWidth"].as_u64().unwrap());
    assert!(scroll <= client, "a horizontal scrollbar at {width} px: the page is {scroll} px wide in {client}: {m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_fits_the_window_at_its_minimum_width() {
    let (min_width, width, height) = configured_sizes();
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake_api().await;
    let (db_name, db_url) = support::fresh_database("e2e_layout").await;
    let mut env = support::test_env(&db_url, &db_name, &fake.base_url(), &dir.path().join("logs"));
    env.insert("AUTOSTART_BOT".into(), "true".into());
    env.insert("MEDIA_TEMP_DIR".into(), dir.path().join("media").display().to_string());
    env.insert("POSTGATE_SETTINGS_FILE".into(), dir.path().join("settings.json").display().to_string());

    // A few posts, so the list, its total and a row are there as a moderator sees them.
    let other = Services::build(postgate::config::Config::from_map(&env).unwrap()).await.unwrap();
    for (author, message) in [(701, 10), (702, 20), (703, 30)] {
        let post = support::text_post(author, message, "a post of some length to fill the row of the queue");
        support::known_to(&fake, &post);
        other.store.submit(&post).await.unwrap();
    }

    let env: Vec<(String, String)> = env.into_iter().collect();
    let window = Window::open(std::path::Path::new(env!("CARGO_BIN_EXE_postgate-desktop")), &env, dir.path()).await;
    window.wait_for("[data-testid=\"queue\"]").await;
    window.wait_for("[data-testid^=\"row-\"]").await;
    until("the total is shown", || async {
        window.text_of("[data-testid=\"total\"]").await.is_some_and(|t| t.chars().any(|c| c.is_ascii_digit()))
    })
    .await;

    // The oldest pending post's age sits in the header too (issue #17 part 3), and still fits.
    until("the oldest pending age is shown", || async {
        window.text_of("[data-testid=\"oldest-pending\"]").await.is_some_and(|t| t.contains("мин"))
    })
    .await;

    resize(&window, min_width, height).await;
    window.screenshot("layout-min-width").await;
    assert_fits(&window, min_width).await;
    let page = window.client.execute("return document.documentElement.lang;", vec![]).await.unwrap();
    assert_eq!(page, json!("ru"), "checked in Russian, the default and the longer labels");

    resize(&window, width, height).await;
    assert_fits(&window, width).await;

    window.close().await;
    other.close().await;
    fake.shutdown().await;
    support::drop_database(&db_name).await;
}
