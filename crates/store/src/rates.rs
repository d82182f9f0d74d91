//! Fixed-window rate limits, counted in the database so that a limit holds
//! across nodes (DESIGN.md "Stateless nodes").
use crate::{Conn, Result, RowExt, db_err};

/// Counts `n` hits for `key` in the window that starts at `window_start`
/// (epoch milliseconds) and returns the hits in that window so far, these
/// included. One statement: two nodes counting at once each see the
/// other's hits. Windows only move forward: a node whose clock is behind
/// counts into the newer window rather than starting an older one over.
pub async fn hit(c: &mut Conn, key: &str, window_start: i64, n: i64) -> Result<i64> {
    sqlx::query(
        "INSERT INTO rate_windows (key, window_start, hits) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN excluded.window_start > rate_windows.window_start THEN excluded.hits \
             ELSE rate_windows.hits + excluded.hits END, \
           window_start = CASE WHEN excluded.window_start > rate_windows.window_start \
             THEN excluded.window_start ELSE rate_windows.window_start END \
         RETURNING hits",
    )
    .bind(key)
    .bind(window_start)
    .bind(n)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    .i64("hits")
}

/// Forgets windows that ended before `before`.
pub async fn sweep(c: &mut Conn, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM rate_windows WHERE window_start < $1")
        .bind(before)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}
