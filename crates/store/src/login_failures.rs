//! SQL for failed sign-ins under login names no account has: counted by
//! the same lockout policy as an account's, so an unknown name locks too
//! and "locked" does not tell who exists.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::account::Failures;
use time::OffsetDateTime;

/// The failures counted so far under `login`: (count, window start,
/// locked until).
pub async fn get(
    c: &mut Conn,
    login: &str,
) -> Result<Option<(u32, OffsetDateTime, Option<OffsetDateTime>)>> {
    let row = sqlx::query(
        "SELECT failed_count, window_start, locked_until FROM unknown_login_failures WHERE login = $1",
    )
    .bind(login)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok((
            r.i64("failed_count")?.max(0) as u32,
            at(r.i64("window_start")?),
            r.opt_i64("locked_until")?.map(at),
        ))
    })
    .transpose()
}

pub async fn record(c: &mut Conn, login: &str, f: &Failures) -> Result<()> {
    sqlx::query(
        "INSERT INTO unknown_login_failures (login, failed_count, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (login) DO UPDATE SET failed_count = excluded.failed_count, \
         window_start = excluded.window_start, locked_until = excluded.locked_until",
    )
    .bind(login)
    .bind(i64::from(f.count))
    .bind(ms(f.window_start))
    .bind(f.locked_until.map(ms))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Removes counts whose window began before `window_since` and whose lock,
/// if any, has ended (housekeeping).
pub async fn purge(c: &mut Conn, window_since: OffsetDateTime, now: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query(
        "DELETE FROM unknown_login_failures WHERE window_start < $1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(ms(window_since))
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}
