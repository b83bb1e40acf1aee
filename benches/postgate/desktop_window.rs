//! Machinery of the desktop row: a private Xvfb, process trees and their PSS, and a minimal
//! `WebDriver` client speaking straight to `WebKitWebDriver` over loopback HTTP (no tauri-driver
//! in between: it would only rename the capability, and it is one more process to start).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// `WebKitGTK`'s own minimal browser (Debian's `libwebkit2gtk-4.1-0`): the baseline.
pub fn minibrowser() -> PathBuf {
    PathBuf::from(format!("/usr/lib/{}-linux-gnu/webkit2gtk-4.1/MiniBrowser", std::env::consts::ARCH))
}

/// Kills (SIGTERM, then SIGKILL) and reaps a child and everything it started, when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        stop_tree(self.0.id(), Duration::from_secs(8));
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A virtual X display of its own (`Xvfb -displayfd`: the server picks a free number).
pub struct Display {
    pub name: String,
    _xvfb: Reaped,
}

impl Display {
    pub fn start() -> Result<Self, String> {
        if !on_path("Xvfb") {
            return Err("no Xvfb (apt install xvfb)".into());
        }
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        let mut line = String::new();
        let stdout = xvfb.stdout.take().ok_or("Xvfb has no stdout")?;
        std::io::BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("Xvfb: {e}"))?;
        let number: u32 = line.trim().parse().map_err(|_| format!("Xvfb did not report a display ({line:?})"))?;
        Ok(Self { name: format!(":{number}"), _xvfb: Reaped(xvfb) })
    }
}

/// One process of a tree: pid, name, PSS and RSS in KiB.
#[derive(Clone)]
pub struct ProcMem {
    pub pid: u32,
    pub name: String,
    pub pss_kib: u64,
    pub rss_kib: u64,
}

/// Parent pid of `pid` (field 4 of /proc/PID/stat, after the parenthesised name).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

pub fn name_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// `root` and all its descendants, parents first.
pub fn tree(root: u32) -> Vec<u32> {
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, parent_of(pid)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(all.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    out
}

fn rollup(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// PSS and RSS of every process in `root`'s tree (from `/proc/PID/smaps_rollup`).
pub fn tree_memory(root: u32) -> Vec<ProcMem> {
    tree(root)
        .into_iter()
        .filter_map(|pid| {
            Some(ProcMem { pid, name: name_of(pid), pss_kib: rollup(pid, "Pss:")?, rss_kib: rollup(pid, "Rss:")? })
        })
        .collect()
}

pub fn total_pss(procs: &[ProcMem]) -> u64 {
    procs.iter().map(|p| p.pss_kib).sum()
}

/// The name /proc/PID/comm shows for processes running `program` (cut to 15 bytes).
pub fn comm(program: &Path) -> String {
    let name = program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.chars()
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= 15).then_some(c)
        })
        .collect()
}

/// The first process named `name` (as /proc/PID/comm shows it) in `root`'s tree.
pub fn find_in_tree(root: u32, name: &str) -> Option<u32> {
    tree(root).into_iter().find(|pid| name_of(*pid) == name)
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).stderr(Stdio::null()).status();
}

/// SIGTERM to every process of `root`'s tree (the console quits gracefully on it), then SIGKILL
/// to whatever is left after `grace`.
pub fn stop_tree(root: u32, grace: Duration) {
    let pids = tree(root);
    for pid in pids.iter().rev() {
        signal(*pid, "-TERM");
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|p| alive(*p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in pids.iter().filter(|p| alive(**p)) {
        signal(*pid, "-KILL");
    }
}

/// Running (a zombie waiting to be reaped counts as gone).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// A command run inside a private D-Bus session when `dbus-run-session` exists (as `make test`
/// runs the window), so the tray finds a bus as on a desktop. X11 only (the display is ours).
pub fn with_session_bus(program: &Path) -> Command {
    let mut cmd = if on_path("dbus-run-session") {
        let mut cmd = Command::new("dbus-run-session");
        cmd.arg("--").arg(program);
        cmd
    } else {
        Command::new(program)
    };
    cmd.env_remove("WAYLAND_DISPLAY");
    cmd
}

/// `WebKitWebDriver` on a free loopback port, with a tiny synchronous-looking async client.
pub struct Driver {
    base: String,
    http: reqwest::Client,
    pub process: Reaped,
}

impl Driver {
    /// Starts the driver with `env` (inherited by the browser it launches) and waits until ready.
    pub async fn start(env: &[(String, String)], log: &Path) -> Result<Self, String> {
        if !on_path("WebKitWebDriver") {
            return Err("no WebKitWebDriver (apt install webkit2gtk-driver)".into());
        }
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let log = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let mut cmd = with_session_bus(&PathBuf::from("WebKitWebDriver"));
        cmd.args([format!("--port={port}"), "--host=127.0.0.1".to_owned()])
            .envs(env.iter().cloned())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let process = Reaped(cmd.spawn().map_err(|e| format!("cannot start WebKitWebDriver: {e}"))?);
        let driver = Self { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), process };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(v) = driver.call(reqwest::Method::GET, "/status", None).await
                && v.pointer("/value/ready") == Some(&Value::Bool(true))
            {
                return Ok(driver);
            }
            if Instant::now() > deadline {
                return Err("WebKitWebDriver did not become ready in 15 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let value: Value = resp.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(value)
        } else {
            Err(value.pointer("/value/error").and_then(Value::as_str).unwrap_or("?").to_owned())
        }
    }

    /// A new session: `WebKitWebDriver` launches `binary` with `args` and attaches to it.
    pub async fn new_session(&self, binary: &Path, args: &[&str]) -> Result<String, String> {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary.display().to_string(), "args": args },
        } } });
        let v = self.call(reqwest::Method::POST, "/session", Some(caps)).await?;
        v.pointer("/value/sessionId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no session id in {v}"))
    }

    pub async fn navigate(&self, session: &str, url: &str) -> Result<(), String> {
        self.call(reqwest::Method::POST, &format!("/session/{session}/url"), Some(json!({ "url": url })))
            .await
            .map(|_| ())
    }

    /// Polls for an element matching `css` every 20 ms until `deadline`.
    pub async fn wait_for(&self, session: &str, css: &str, deadline: Instant) -> Result<(), String> {
        let body = json!({ "using": "css selector", "value": css });
        loop {
            let Err(last) =
                self.call(reqwest::Method::POST, &format!("/session/{session}/element"), Some(body.clone())).await
            else {
                return Ok(());
            };
            if Instant::now() > deadline {
                return Err(format!("{css} did not appear ({last})"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn delete_session(&self, session: &str) {
        let _ = self.call(reqwest::Method::DELETE, &format!("/session/{session}"), None).await;
    }
}
