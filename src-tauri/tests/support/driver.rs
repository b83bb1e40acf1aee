//! The real console window for end-to-end tests: a virtual X display (unless one is given),
//! `tauri-driver` (which starts `WebKitWebDriver` and our binary) and a fantoccini client,
//! with the waits and lookups the window tests share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use postgate::domain::PostId;
use serde_json::json;

/// How long a window test waits for an element or a condition: the window, its bot and the
/// fake answer within a few seconds even on 2 busy cores.
pub const WAIT: Duration = Duration::from_secs(20);

/// Kills and reaps a child process when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Names a display to run the windows on (to watch them); by default each gets its own Xvfb.
pub const WATCH_DISPLAY: &str = "POSTGATE_TEST_DISPLAY";

/// The display to use: an Xvfb of this test's own (it picks a free number and says which when
/// it is ready), so windows of tests running at once never cover each other's screenshots —
/// unless [`WATCH_DISPLAY`] names one.
pub fn display() -> (String, Option<Reaped>) {
    if let Some(display) = std::env::var(WATCH_DISPLAY).ok().filter(|d| !d.is_empty()) {
        return (display, None);
    }
    let mut xvfb = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (apt install xvfb) for the window tests");
    let mut number = String::new();
    // Written once the server accepts clients; end of file if it could not start.
    BufReader::new(xvfb.stdout.take().unwrap()).read_line(&mut number).unwrap();
    let number = number.trim();
    assert!(!number.is_empty() && number.chars().all(|c| c.is_ascii_digit()), "Xvfb did not start: {number:?}");
    (format!(":{number}"), Some(Reaped(xvfb)))
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let installed = home.join(".cargo/bin/tauri-driver");
    if installed.exists() { installed } else { PathBuf::from("tauri-driver") }
}

/// A running console window driven over `WebDriver`.
pub struct Window {
    pub client: Client,
    display: String,
    _driver: Reaped,
    _xvfb: Option<Reaped>,
}

impl Window {
    /// Starts `application` with `env` (plus the display) through tauri-driver, in `workdir`.
    pub async fn open(application: &Path, env: &[(String, String)], workdir: &Path) -> Self {
        Self::open_without(application, env, &[], workdir).await
    }

    /// Like [`Self::open`], with the variables `unset` removed from the environment the window
    /// inherits from the test (e.g. `DATABASE_URL`, to run on the embedded default).
    pub async fn open_without(application: &Path, env: &[(String, String)], unset: &[&str], workdir: &Path) -> Self {
        let (display, xvfb) = display();
        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(workdir.join("tauri-driver.log")).unwrap();
        let mut driver = Command::new(tauri_driver());
        driver
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .current_dir(workdir)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            // Xvfb has no GPU: without these WebKit paints nothing WebDriver can read or shoot.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for k in unset {
            driver.env_remove(k);
        }
        for (k, v) in env {
            driver.env(k, v);
        }
        let driver = Reaped(driver.spawn().expect("tauri-driver (cargo install tauri-driver --locked --version '^2')"));
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": application.display().to_string() },
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::native().capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no WebDriver session from tauri-driver: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        };
        Self { client, display, _driver: driver, _xvfb: xvfb }
    }

    /// Saves a screenshot of the display as `target/e2e/<name>.png`. Taken with `import`
    /// from the X server: `WebKitWebDriver`'s own screenshot waits for a paint that Xvfb may
    /// deliver only after seconds.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let status = tokio::process::Command::new("/usr/bin/import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status()
            .await
            .expect("ImageMagick's import (apt install imagemagick)");
        assert!(status.success(), "screenshot {name} failed");
        path
    }

    /// Waits for the element `selector` to appear.
    pub async fn wait_for(&self, selector: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector} did not appear: {e}"))
    }

    /// Whether the element `selector` is in the page now.
    pub async fn present(&self, selector: &str) -> bool {
        self.client.find(css(selector)).await.is_ok()
    }

    /// The rendered text (`innerText`) of the element `selector` now, looked up afresh (the list
    /// re-renders on events). `WebKitWebDriver`'s "element text" reads empty for these nodes.
    pub async fn text_of(&self, selector: &str) -> Option<String> {
        self.client.find(css(selector)).await.ok()?.prop("innerText").await.ok()?
    }

    /// Waits until the element `selector` shows `needle`.
    pub async fn until_text(&self, selector: &str, needle: &str) {
        until(&format!("{selector} shows {needle:?}"), || async {
            self.text_of(selector).await.is_some_and(|t| t.contains(needle))
        })
        .await;
    }

    /// Clicks `selector`, retrying while the element is re-rendered under us.
    pub async fn click(&self, selector: &str) {
        until(&format!("a click on {selector}"), || async {
            match self.client.find(css(selector)).await {
                Ok(element) => element.click().await.is_ok(),
                Err(_) => false,
            }
        })
        .await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A CSS locator.
pub fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// The selector of a post's row in the queue.
pub fn row(id: PostId) -> String {
    format!("[data-testid=\"row-{}\"]", id.0)
}

/// Polls until `probe` holds, failing with `what` after [`WAIT`].
pub async fn until<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !probe().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On a failure, prints what the window's process (`DIR/logs/`) and tauri-driver
/// (`DIR/tauri-driver.log`) logged, before the test's temporary folder `DIR` goes.
pub struct LogsOnPanic(pub PathBuf);

impl Drop for LogsOnPanic {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let logs = std::fs::read_dir(self.0.join("logs")).into_iter().flatten().flatten().map(|e| e.path());
        for path in logs.chain([self.0.join("tauri-driver.log")]) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            eprintln!("--- {} ---\n{text}", path.display());
        }
    }
}
