//! Row 3s, the statements behind `PostgreSQL`'s CPU: row 3's burst once more at each round
//! trip, on a private server started here with `pg_stat_statements` loaded (the machine's own
//! server does not preload it, and its configuration is never touched), then the statements by
//! total execution time, printed, and the top one in the table.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::Connection;

use crate::common::{self, Row, Table};
use crate::sqlite::Backend;

const TOP: i64 = 12;

/// A throwaway `PostgreSQL` server on a loopback port, with `pg_stat_statements`; stopped when dropped.
struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn as_owner(cmd: &Path) -> Command {
    // initdb and postgres refuse to run as root.
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd);
        c
    } else {
        Command::new(cmd)
    }
}

fn ran(what: &str, out: std::io::Result<std::process::Output>) -> Result<(), String> {
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("{what} failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

impl PrivatePg {
    fn start() -> Result<Self, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("no PostgreSQL binaries: {e}"))?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()
            .ok_or("no initdb under /usr/lib/postgresql")?;
        let dir = tempfile::Builder::new().prefix("postgate-bench-pg").tempdir_in("/tmp").map_err(|e| e.to_string())?;
        let _ = Command::new("chown").arg("postgres:").arg(dir.path()).output();
        let data = dir.path().join("data");
        ran(
            "initdb",
            as_owner(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .output(),
        )?;
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -k {} -c shared_preload_libraries=pg_stat_statements \
             -c pg_stat_statements.track=top",
            dir.path().display()
        );
        ran(
            "pg_ctl start",
            as_owner(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("log"))
                .args(["-w", "-o", &options, "start"])
                .output(),
        )?;
        Ok(Self { dir, bin, port })
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .output();
    }
}

/// (calls, total ms, statement) by total execution time, the bench's own statements left out.
async fn statements(conn: &mut sqlx::PgConnection) -> Vec<(i64, f64, String)> {
    sqlx::query_as(
        "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_statements \
         WHERE query NOT ILIKE '%insert_baseline%' AND query NOT ILIKE '%pg_stat_statements%' \
           AND query NOT ILIKE '%DATABASE%' AND query NOT ILIKE 'SELECT count(%' \
         ORDER BY total_exec_time DESC LIMIT $1",
    )
    .bind(TOP)
    .fetch_all(conn)
    .await
    .unwrap()
}

pub async fn run(table: &mut Table) {
    let server = match PrivatePg::start() {
        Ok(server) => server,
        Err(why) => return table.skipped("3s statements", "statements by total time", &why),
    };
    let mut conn = sqlx::PgConnection::connect(&server.url()).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute(&mut conn).await.unwrap();
    common::set_server(Some(server.url()));
    let n = common::submissions();
    for rtt in common::round_trips() {
        sqlx::query("SELECT pg_stat_statements_reset()").execute(&mut conn).await.unwrap();
        let mut scratch = Table::default();
        let section = common::section_at("3s statements", Some("private PostgreSQL"), rtt);
        crate::intake::run_on(&mut scratch, Backend::Postgres, rtt, true, false).await;
        let top = statements(&mut conn).await;
        let total: f64 = top.iter().map(|(_, ms, _)| ms).sum();
        println!("statements at RTT {} ms ({n} submissions), by total execution time:", rtt.as_millis());
        for (calls, ms, query) in &top {
            println!("  {ms:9.1} ms  {calls:7} calls  {:6.3} ms/submission  {query}", ms / n as f64);
        }
        let Some((calls, ms, query)) = top.first() else { continue };
        table.push(Row {
            section,
            name: format!(
                "top statement by total time ({calls} calls): {}",
                query.chars().take(90).collect::<String>()
            ),
            value: format!("{:.3} ms per submission", ms / n as f64),
            baseline: format!("top {TOP} statements: {:.3} ms per submission", total / n as f64),
            ratio: format!("{:.0}%", ms / total.max(1e-9) * 100.0),
            target: "-".into(),
            met: None,
        });
    }
    common::set_server(None);
    conn.close().await.unwrap();
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;
}
