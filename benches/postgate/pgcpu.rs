//! `PostgreSQL`'s CPU spent on one database: the user + system time of the server processes
//! serving it, read from /proc (their process title names the database: `postgres: USER DB
//! HOST(PORT) ...`), sampled every 50 ms so a connection that closes keeps its last reading.
//! Nothing is asked of the server itself (no extension, no setting changed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EVERY: Duration = Duration::from_millis(50);

/// Clock ticks per second of /proc/PID/stat's times.
fn ticks_per_sec() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of a process, in ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks as time.
pub fn ticks_to_time(ticks: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / ticks_per_sec())
}

/// Server processes serving `database` now.
fn backends(database: &str) -> Vec<u32> {
    let needle = format!(" {database} ");
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let title = String::from_utf8_lossy(&c);
                title.starts_with("postgres: ") && title.contains(&needle)
            })
        })
        .collect()
}

/// Per process: the ticks at the start (0 for one that began during the measurement) and the last seen.
type Seen = HashMap<u32, (u64, u64)>;

/// Reads the ticks of `database`'s server processes into `seen`; returns the ticks used by all
/// of them since the start.
fn sample(database: &str, seen: &Mutex<Seen>) -> u64 {
    let now: Vec<(u32, u64)> = backends(database).into_iter().filter_map(|pid| Some((pid, cpu_ticks(pid)?))).collect();
    let mut seen = seen.lock().unwrap();
    for (pid, t) in now {
        seen.entry(pid).and_modify(|e| e.1 = e.1.max(t)).or_insert((0, t));
    }
    seen.values().map(|(start, last)| last - start).sum()
}

/// Samples until [`PgCpu::finish`].
pub struct PgCpu {
    database: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl PgCpu {
    pub fn start(database: &str) -> Self {
        let mut first = Seen::new();
        for pid in backends(database) {
            if let Some(t) = cpu_ticks(pid) {
                first.insert(pid, (t, t));
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(first));
        let (s, m, db) = (Arc::clone(&stop), Arc::clone(&seen), database.to_owned());
        let task = tokio::spawn(async move {
            loop {
                let done = s.load(Ordering::Relaxed);
                sample(&db, &m);
                if done {
                    break;
                }
                tokio::time::sleep(EVERY).await;
            }
        });
        Self { database: database.to_owned(), stop, seen, task }
    }

    /// The CPU time used since the start, as of a sample taken now.
    pub fn so_far(&self) -> Duration {
        ticks_to_time(sample(&self.database, &self.seen))
    }

    /// Takes a last sample and returns the CPU time used since the start, and by how many processes.
    pub async fn finish(self) -> (Duration, usize) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let seen = self.seen.lock().unwrap();
        let ticks: u64 = seen.values().map(|(start, last)| last - start).sum();
        (ticks_to_time(ticks), seen.len())
    }
}
