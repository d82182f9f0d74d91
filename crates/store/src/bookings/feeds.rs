//! Calendar feeds: who subscribed to what, by the SHA-256 of an
//! unguessable token, until revoked.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::ids::AccountId;
use portico_core::permission::AccountWrite;
use time::OffsetDateTime;

/// A feed as its owner lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Feed {
    pub id: i64,
    pub account_id: AccountId,
    /// 'mine', 'venue', 'car' or 'driver'.
    pub kind: String,
    pub item_id: Option<i64>,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub async fn insert_feed(
    c: &mut Conn,
    who: AccountWrite,
    token_hash: &str,
    kind: &str,
    item: Option<i64>,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO calendar_feeds (token_hash, account_id, kind, item_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(token_hash)
    .bind(who.id().0)
    .bind(kind)
    .bind(item)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

const FEED_COLS: &str = "f.id, f.account_id, f.kind, f.item_id, f.created_at, \
     COALESCE(i.label, '') AS label FROM calendar_feeds f \
     LEFT JOIN items i ON i.kind = f.kind AND i.id = f.item_id";

fn feed_row(r: &sqlx::any::AnyRow) -> Result<Feed> {
    Ok(Feed {
        id: r.i64("id")?,
        account_id: AccountId(r.i64("account_id")?),
        kind: r.text("kind")?,
        item_id: r.opt_i64("item_id")?,
        label: r.text("label")?,
        created_at: at(r.i64("created_at")?),
    })
}

/// The person's feeds still in use, newest first.
pub async fn feeds_of(c: &mut Conn, account: AccountId) -> Result<Vec<Feed>> {
    let sql = format!(
        "SELECT {FEED_COLS} WHERE f.account_id = $1 AND f.revoked_at IS NULL ORDER BY f.id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(feed_row).collect()
}

/// The feed a token opens, unless revoked.
pub async fn feed_by_hash(c: &mut Conn, token_hash: &str) -> Result<Option<Feed>> {
    let sql = format!("SELECT {FEED_COLS} WHERE f.token_hash = $1 AND f.revoked_at IS NULL");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.as_ref().map(feed_row).transpose()
}

/// The owner revokes a feed: its address opens nothing from now on.
pub async fn revoke_feed(
    c: &mut Conn,
    who: AccountWrite,
    id: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(ms(now))
    .bind(id)
    .bind(who.id().0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}
