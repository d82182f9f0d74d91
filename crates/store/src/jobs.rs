//! SQL for periodic jobs: the database decides which node runs a job.
use crate::{Conn, Result, db_err, ms};
use time::{Duration, OffsetDateTime};

/// Claims `name` when it last ran at least `every` ago: true for exactly one
/// caller per period, whichever node asks.
pub async fn claim(c: &mut Conn, name: &str, every: Duration, now: OffsetDateTime) -> Result<bool> {
    sqlx::query("INSERT INTO jobs (name, last_run) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let r = sqlx::query("UPDATE jobs SET last_run = $1 WHERE name = $2 AND last_run <= $3")
        .bind(ms(now))
        .bind(name)
        .bind(ms(now - every))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}
