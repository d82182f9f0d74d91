//! A person's avatar, stored re-encoded as PNG.
use crate::{Conn, Result, db_err, ms};
use portico_core::ids::AccountId;
use portico_core::permission::AccountWrite;
use time::OffsetDateTime;

pub async fn set_avatar(
    c: &mut Conn,
    w: AccountWrite,
    png: &[u8],
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query("DELETE FROM avatars WHERE account_id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query("INSERT INTO avatars (account_id, image, updated_at) VALUES ($1, $2, $3)")
        .bind(id.0)
        .bind(png.to_vec())
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE accounts SET has_avatar = 1 WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn remove_avatar(c: &mut Conn, w: AccountWrite) -> Result<()> {
    let id = w.id();
    sqlx::query("DELETE FROM avatars WHERE account_id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE accounts SET has_avatar = 0 WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn avatar(c: &mut Conn, id: AccountId) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT image FROM avatars WHERE account_id = $1")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| sqlx::Row::try_get::<Vec<u8>, _>(&r, "image").map_err(db_err))
        .transpose()
}
