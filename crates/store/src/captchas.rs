//! SQL for image captchas: one use, short-lived.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use time::OffsetDateTime;

pub async fn insert(
    c: &mut Conn,
    id: &str,
    answer: &str,
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query("INSERT INTO captchas (id, answer, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(answer)
        .bind(ms(expires_at))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Removes the captcha and returns its answer and expiry: whatever the
/// outcome, it cannot be used twice.
pub async fn take(c: &mut Conn, id: &str) -> Result<Option<(String, OffsetDateTime)>> {
    let row = sqlx::query("DELETE FROM captchas WHERE id = $1 RETURNING answer, expires_at")
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| Ok((r.text("answer")?, at(r.i64("expires_at")?))))
        .transpose()
}

pub async fn delete_expired(c: &mut Conn, now: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query("DELETE FROM captchas WHERE expires_at < $1")
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// The answer, without spending it (to draw the picture).
pub async fn peek(c: &mut Conn, id: &str) -> Result<Option<(String, OffsetDateTime)>> {
    let row = sqlx::query("SELECT answer, expires_at FROM captchas WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| Ok((r.text("answer")?, at(r.i64("expires_at")?))))
        .transpose()
}
