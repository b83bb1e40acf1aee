//! A `postgate serve` release binary run as a child process against the fake Bot API: start-up
//! time until its "ready" log line, RSS sampling, and a clean SIGTERM stop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common;

const READY: &str = "postgate serve: ready";
const READY_WAIT: Duration = Duration::from_secs(30);
const STOP_WAIT: Duration = Duration::from_secs(20);
/// Warning and error lines of the child echoed to stderr (the rest are only counted).
const SHOW_WARNINGS: usize = 5;

pub struct Serve {
    child: Child,
    pub pid: u32,
    /// From spawn to the "ready" log line.
    pub ready_after: Duration,
    /// Counter lines (SIGUSR1 answers and the one logged when the bot stops), parsed.
    counters: std::sync::mpsc::Receiver<serde_json::Value>,
}

/// Handler latency as `postgate serve` reports it (see `Metrics::log_summary`).
#[derive(Debug, Clone, Copy)]
pub struct HandlerLatency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl HandlerLatency {
    fn from_line(line: &serde_json::Value) -> Option<Self> {
        let fields = line.get("fields").unwrap_or(line);
        let f = |k: &str| fields.get(k).and_then(serde_json::Value::as_f64);
        Some(Self {
            count: fields.get("messages_timed")?.as_u64()?,
            p50_ms: f("handler_p50_ms")?,
            p99_ms: f("handler_p99_ms")?,
            max_ms: f("handler_max_ms")?,
        })
    }
}

impl Serve {
    /// Spawns `postgate serve` with `env` and waits for its ready line.
    pub fn start(env: &[(String, String)]) -> Self {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_postgate"))
            .arg("serve")
            .envs(env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn postgate serve");
        let pid = child.id();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (counters_tx, counters) = std::sync::mpsc::channel();
        // Keeps draining stdout after the ready line so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut shown = 0;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains(READY) {
                    let _ = tx.send(Instant::now());
                } else if line.contains("handler_p99_ms") {
                    if let Ok(json) = serde_json::from_str(&line) {
                        let _ = counters_tx.send(json);
                    }
                } else if line.contains("\"ERROR\"") || line.contains("\"WARN\"") {
                    shown += 1;
                    if shown <= SHOW_WARNINGS {
                        eprintln!("serve: {line}");
                    }
                }
            }
            if shown > SHOW_WARNINGS {
                eprintln!("serve: {} more warning/error lines not shown", shown - SHOW_WARNINGS);
            }
        });
        let ready_at = rx.recv_timeout(READY_WAIT).expect("postgate serve logged no ready line within 30 s");
        Self { child, pid, ready_after: ready_at - started, counters }
    }

    /// Asks for the counters (SIGUSR1) and waits for the line; handler latency so far.
    pub fn handler_latency(&self) -> Option<HandlerLatency> {
        while self.counters.try_recv().is_ok() {}
        let _ = Command::new("kill").args(["-USR1", &self.pid.to_string()]).status();
        let line = self.counters.recv_timeout(Duration::from_secs(5)).ok()?;
        HandlerLatency::from_line(&line)
    }

    pub fn rss_kib(&self) -> u64 {
        common::rss_kib(self.pid).unwrap_or(0)
    }

    /// SIGTERM, then waits (bounded); kills it when it does not stop. Returns whether it stopped
    /// cleanly with exit code 0.
    pub fn stop(mut self) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        let deadline = Instant::now() + STOP_WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Samples a process's RSS every 20 ms until stopped; keeps the peak.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = common::rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { stop, peak, task }
    }

    /// Stops sampling; returns the peak in KiB.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

/// Spawn-to-exit time of `postgate --version`: the cost of starting the binary at all.
pub fn process_start_baseline() -> Duration {
    let mut samples = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_postgate")).arg("--version").output().unwrap();
        assert!(out.status.success());
        samples.push(start.elapsed());
    }
    common::stats(samples).median
}
