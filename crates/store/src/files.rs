//! The rows that say what an uploaded file is; its bytes live in the file
//! store (`app::files`) under `key`. A purged file keeps its row, with
//! `purged_at`, so its form still shows that it had one.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::Error;
use portico_core::files::FileKind;
use portico_core::ids::{AccountId, FileId};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredFile {
    pub id: FileId,
    #[serde(skip)]
    pub key: String,
    pub name: String,
    pub kind: FileKind,
    pub size: i64,
    pub sha256: String,
    pub owner: Option<AccountId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub purged_at: Option<OffsetDateTime>,
}

const COLS: &str = "id, key, name, kind, size, sha256, owner_id, created_at, purged_at";

fn from_row(r: &AnyRow) -> Result<StoredFile> {
    Ok(StoredFile {
        id: FileId(r.i64("id")?),
        key: r.text("key")?,
        name: r.text("name")?,
        kind: FileKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad file kind"))?,
        size: r.i64("size")?,
        sha256: r.text("sha256")?,
        owner: r.opt_i64("owner_id")?.map(AccountId),
        created_at: at(r.i64("created_at")?),
        purged_at: r.opt_i64("purged_at")?.map(at),
    })
}

pub struct NewFile<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub kind: FileKind,
    pub size: i64,
    pub sha256: &'a str,
    pub owner: Option<AccountId>,
}

pub async fn insert(c: &mut Conn, f: &NewFile<'_>, now: OffsetDateTime) -> Result<FileId> {
    let r = sqlx::query(
        "INSERT INTO files (key, name, kind, size, sha256, owner_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(f.key)
    .bind(f.name)
    .bind(f.kind.as_str())
    .bind(f.size)
    .bind(f.sha256)
    .bind(f.owner.map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(FileId(r.i64("id")?))
}

pub async fn get(c: &mut Conn, id: FileId) -> Result<Option<StoredFile>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM files WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.as_ref().map(from_row).transpose()
}

/// Marks a file's bytes destroyed; false when it already was.
pub async fn mark_purged(c: &mut Conn, id: FileId, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query("UPDATE files SET purged_at = $1 WHERE id = $2 AND purged_at IS NULL")
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// The kept files of accounts cancelled at or before `cutoff`, not yet
/// destroyed (002 §六 (一): a year after the cancellation), at most
/// `limit`: (file, key, owner).
pub async fn due_for_purge(
    c: &mut Conn,
    cutoff: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(FileId, String, AccountId)>> {
    let rows = sqlx::query(
        "SELECT f.id, f.key, f.owner_id FROM files f JOIN accounts a ON a.id = f.owner_id \
         WHERE f.purged_at IS NULL AND a.state = 'cancelled' AND a.cancelled_at IS NOT NULL \
         AND a.cancelled_at <= $1 ORDER BY f.owner_id, f.id LIMIT $2",
    )
    .bind(ms(cutoff))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                FileId(r.i64("id")?),
                r.text("key")?,
                AccountId(r.i64("owner_id")?),
            ))
        })
        .collect()
}
