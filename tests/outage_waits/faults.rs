//! Real outages for the tests: a private PostgreSQL cluster the test stops and starts again,
//! and a SQLite folder made unwritable (`chattr +i`) or a small filesystem filled up (a tmpfs).
//! Each probes its mechanism first and fails with a clear message when it cannot work here —
//! a test must never pass because its outage did not happen.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `program args` (as the `postgres` user when `as_postgres` and we are root); panics
/// with its output when it fails.
fn run(as_postgres: bool, program: &Path, args: &[&str]) -> String {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if as_postgres && root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} {args:?} failed: {text}", program.display());
    text
}

/// A PostgreSQL cluster of the test's own on a loopback port (trust auth), stopped on drop.
pub struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PrivatePg {
    /// initdb + start, from the newest installed server binaries.
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql (apt install postgresql)")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let dir = tempfile::Builder::new().prefix("postgate-outage-pg").tempdir().unwrap();
        // initdb and postgres refuse to run as root: the folder is the postgres user's.
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
        let data = dir.path().join("data");
        run(true, &bin.join("initdb"), &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Self { dir, bin, port };
        pg.start_again();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Starts the stopped cluster on the same port; returns once it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        run(
            true,
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-l", &log, "-w", "-t", "60", "-o", &options, "start"],
        );
    }

    /// Stops the cluster (`-m fast`: sessions are ended, as in a restart by an administrator).
    pub fn stop(&self) {
        run(true, &self.bin.join("pg_ctl"), &["-D", &self.data(), "-m", "fast", "-w", "-t", "60", "stop"]);
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.data();
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_ctl)
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A folder whose files can be made unwritable for real, also for root and through file
/// descriptors already open: the ext2/3/4 immutable flag (`chattr +i`), on the folder and
/// every file in it but SQLite's `-shm` (shared memory mapped into the process, not data: a
/// write into an immutable mapping is a SIGBUS, not an error SQLite could report).
pub struct Immutable {
    pub dir: tempfile::TempDir,
}

impl Immutable {
    /// A folder under `/var/tmp` (a disk filesystem, not a tmpfs); panics, saying why, when
    /// the immutable flag does not stop a write here.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("postgate-outage-ro").tempdir_in("/var/tmp").unwrap();
        let probe = dir.path().join("probe");
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&probe).unwrap();
        let set = Command::new("chattr").arg("+i").arg(&probe).output();
        let works = set.as_ref().is_ok_and(|o| o.status.success())
            && std::io::Write::write_all(&mut file, b"x").and_then(|()| file.sync_all()).is_err();
        let _ = Command::new("chattr").arg("-i").arg(&probe).status();
        assert!(
            works,
            "cannot make a file unwritable here: `chattr +i` is missing, refused ({set:?}) or does not stop writes \
             on {}; this test needs root on ext2/3/4 (or another filesystem with the immutable flag)",
            dir.path().display()
        );
        drop(file);
        std::fs::remove_file(&probe).unwrap();
        Self { dir }
    }

    fn flag(&self, sign: &str) {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| !p.to_string_lossy().ends_with("-shm"))
            .collect();
        paths.push(self.dir.path().to_owned());
        let mut cmd = Command::new("chattr");
        cmd.arg(sign).args(&paths);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "chattr {sign} failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The folder and its files become unwritable.
    pub fn lock(&self) {
        self.flag("+i");
    }

    /// Writable again.
    pub fn unlock(&self) {
        self.flag("-i");
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        self.unlock();
    }
}

/// A small tmpfs of the test's own, to fill up ("disk full"); unmounted on drop.
pub struct SmallDisk {
    pub dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes`; panics, saying why, when mounting is not allowed here.
    pub fn new(megabytes: u32) -> Self {
        let dir = tempfile::Builder::new().prefix("postgate-outage-full").tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0755"), "tmpfs"])
            .arg(dir.path())
            .output();
        assert!(
            out.as_ref().is_ok_and(|o| o.status.success()),
            "cannot mount a small tmpfs to fill ({out:?}): this test needs root with CAP_SYS_ADMIN"
        );
        Self { dir }
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }

    /// Fills every byte left; returns how many were written.
    pub fn fill(&self) -> u64 {
        let mut file = std::fs::File::create(self.filler()).unwrap();
        let block = vec![0_u8; 64 * 1024];
        let mut written = 0_u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match std::io::Write::write(&mut file, &block) {
                Ok(0) | Err(_) => break,
                Ok(n) => written += n as u64,
            }
        }
        let _ = file.sync_all();
        written
    }

    /// Frees the space again.
    pub fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}
