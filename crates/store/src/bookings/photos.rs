//! Photos of venues and cars (場地照片): rows naming files in the file
//! store, in the order their keepers added them.
use crate::{Conn, Result, RowExt, db_err};
use portico_core::booking::Kind;
use portico_core::ids::FileId;
use portico_core::permission::Keeper;

/// An item's photos: (position, file), in order.
pub async fn item_photos(c: &mut Conn, kind: Kind, id: i64) -> Result<Vec<(i64, FileId)>> {
    let rows = sqlx::query(
        "SELECT position, file_id FROM item_photos WHERE kind = $1 AND item_id = $2 ORDER BY position",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok((r.i64("position")?, FileId(r.i64("file_id")?))))
        .collect()
}

/// Adds a photo after the last; two added at once cannot take one place
/// (the primary key refuses the second).
pub async fn add_item_photo(c: &mut Conn, k: &Keeper, file: FileId) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO item_photos (kind, item_id, position, file_id) \
         SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3 FROM item_photos WHERE kind = $1 AND item_id = $2 \
         RETURNING position",
    )
    .bind(k.kind().as_str())
    .bind(k.id())
    .bind(file.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("position")
}

/// Takes a photo off its item; the file it named, if there was one.
pub async fn remove_item_photo(c: &mut Conn, k: &Keeper, position: i64) -> Result<Option<FileId>> {
    let r = sqlx::query(
        "DELETE FROM item_photos WHERE kind = $1 AND item_id = $2 AND position = $3 RETURNING file_id",
    )
    .bind(k.kind().as_str())
    .bind(k.id())
    .bind(position)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.map(|r| Ok(FileId(r.i64("file_id")?))).transpose()
}
