//! SQL for system parameters: one JSON document under the key `system`.
use crate::{Conn, Result, RowExt, db_err, ms};
use portico_core::permission::SystemWrite;
use time::OffsetDateTime;

pub async fn get(c: &mut Conn, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| r.text("value")).transpose()
}

pub async fn put(
    c: &mut Conn,
    _w: SystemWrite,
    key: &str,
    value: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(key)
    .bind(value)
    .bind(ms(now))
    .bind(by)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}
