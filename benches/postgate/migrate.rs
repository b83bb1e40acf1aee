//! Row 6, moving up: `migrate-data` copying an embedded installation of 100 000 posts (row 1's
//! seed on SQLite: authors, posts, media) into an empty PostgreSQL database, through the same
//! function the `postgate migrate-data` command runs. Baseline, same run: reading every row it
//! copies from the SQLite file (the copy's floor on the source side).

use std::time::{Duration, Instant};

use postgate::config::DatabaseConfig;
use sqlx::Connection;

use crate::common::{self, Row, Table};

const SECTION: &str = "6 migrate-data";
const NAME: &str = "100k posts SQLite → PostgreSQL (whole installation)";

pub async fn run(table: &mut Table) {
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = crate::sqlite::database(dir.path());
    // The schema as a console makes it, then row 1's seed.
    let store = postgate::store::open(&DatabaseConfig::from_url(&url).unwrap(), Duration::ZERO).await.unwrap();
    store.close().await;
    let mut conn = crate::sqlite::connect(&path).await;
    for sql in crate::sqlite::seed() {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    let read_started = Instant::now();
    let mut read = 0_usize;
    for table in ["authors", "posts", "media"] {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}"))).fetch_all(&mut conn).await.unwrap();
        read += rows.len();
    }
    let baseline = read_started.elapsed();
    conn.close().await.unwrap();

    let (db_name, target) = common::fresh_database("migrate").await;
    let from = DatabaseConfig::from_url(&url).unwrap();
    let to = DatabaseConfig::from_url(&target).unwrap();
    let started = Instant::now();
    let counts = postgate::store::migrate_data::migrate_data(&from, &to, |_| {}).await.unwrap();
    let took = started.elapsed();
    common::drop_database(&db_name).await;
    println!(
        "migrate-data: {} rows in {:.2} s (read alone: {read} rows in {:.2} s)",
        counts.total(),
        took.as_secs_f64(),
        baseline.as_secs_f64()
    );
    table.push(Row {
        section: SECTION,
        name: NAME.into(),
        value: format!("{:.1} s, {:.0} rows/s", took.as_secs_f64(), counts.total() as f64 / took.as_secs_f64()),
        baseline: format!("SQLite read of the same rows: {:.2} s", baseline.as_secs_f64()),
        ratio: format!("{:.1}×", took.as_secs_f64() / baseline.as_secs_f64().max(1e-9)),
        target: "timed (no target)".into(),
        met: None,
    });
}
