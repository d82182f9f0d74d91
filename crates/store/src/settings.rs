//! SQL for system parameters: one JSON document per key (`system`), saved
//! with a version so two admins saving at once cannot lose a change, and
//! every saved version kept for telling them what conflicted.
use crate::{Conn, Result, RowExt, db_err, ms};
use portico_core::permission::SystemWrite;
use time::OffsetDateTime;

/// The saved document and its version.
#[derive(Debug, Clone)]
pub struct Stored {
    pub value: String,
    pub version: i64,
}

pub async fn get(c: &mut Conn, key: &str) -> Result<Option<Stored>> {
    let row = sqlx::query("SELECT value, version FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| {
        Ok(Stored {
            value: r.text("value")?,
            version: r.i64("version")?,
        })
    })
    .transpose()
}

/// The document as it was saved at `version`, when that save is kept.
pub async fn at_version(c: &mut Conn, key: &str, version: i64) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings_history WHERE key = $1 AND version = $2")
        .bind(key)
        .bind(version)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| r.text("value")).transpose()
}

/// Saves `value` as the version after `base` (0: nothing saved yet), with a
/// conditional write: `None` when another save came first (nothing is
/// written), else the new version. The settings cache's version moves in
/// the same transaction, so every node reloads.
pub async fn put(
    c: &mut Conn,
    _w: SystemWrite,
    key: &str,
    value: &str,
    by: &str,
    now: OffsetDateTime,
    base: i64,
) -> Result<Option<i64>> {
    let written = if base == 0 {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .bind(ms(now))
        .bind(by)
        .execute(&mut *c)
        .await
    } else {
        sqlx::query(
            "UPDATE settings SET value = $1, updated_at = $2, updated_by = $3, version = version + 1 \
             WHERE key = $4 AND version = $5",
        )
        .bind(value)
        .bind(ms(now))
        .bind(by)
        .bind(key)
        .bind(base)
        .execute(&mut *c)
        .await
    }
    .map_err(db_err)?;
    if written.rows_affected() != 1 {
        return Ok(None);
    }
    let version = base + 1;
    sqlx::query(
        "INSERT INTO settings_history (key, version, value, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key)
    .bind(version)
    .bind(value)
    .bind(ms(now))
    .bind(by)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    crate::versions::bump(c, crate::versions::SETTINGS).await?;
    Ok(Some(version))
}
