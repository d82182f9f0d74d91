//! 檔案下載區 (issue 17; seed 004 §伍 三): shared entries, their files and
//! the 保留 flag. Who may read an entry is decided in the query
//! ([`Reader`]); every write takes a `DownloadKeeper`.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, like_escape, ms};
use portico_core::Error;
use portico_core::download::{Download, Scope};
use portico_core::files::FileKind;
use portico_core::ids::{AccountId, FileId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::DownloadKeeper;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct DownloadRow {
    pub id: i64,
    pub owner_id: AccountId,
    pub owner_name: String,
    pub agency_id: OrgUnitId,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub agency_name: String,
    pub description: String,
    pub category: String,
    pub scope: Scope,
    pub keep: bool,
    pub downloads: i64,
    pub files: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLS: &str = "d.id, d.owner_id, a.name AS owner_name, d.agency_id, d.agency_path, d.agency_name, \
     d.description, d.category, d.scope, d.keep, d.downloads, d.created_at, d.updated_at, \
     (SELECT COUNT(*) FROM download_files f WHERE f.download_id = d.id) AS files";
const FROM: &str = " FROM downloads d JOIN accounts a ON a.id = d.owner_id";

fn row(r: &AnyRow) -> Result<DownloadRow> {
    Ok(DownloadRow {
        id: r.i64("id")?,
        owner_id: AccountId(r.i64("owner_id")?),
        owner_name: r.text("owner_name")?,
        agency_id: OrgUnitId(r.i64("agency_id")?),
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        agency_name: r.text("agency_name")?,
        description: r.text("description")?,
        category: r.text("category")?,
        scope: Scope::parse(&r.text("scope")?).ok_or_else(|| Error::internal("bad scope"))?,
        keep: r.flag("keep")?,
        downloads: r.i64("downloads")?,
        files: r.i64("files")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

/// The uploader's agency, as it was when the entry was first shared.
#[derive(Debug, Clone, Copy)]
pub struct ForAgency<'a> {
    pub id: OrgUnitId,
    pub path: &'a TreePath,
    pub name: &'a str,
}

pub async fn insert(
    c: &mut Conn,
    owner: AccountId,
    agency: ForAgency<'_>,
    d: &Download,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO downloads (owner_id, agency_id, agency_path, agency_name, description, search_text, category, \
         scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(owner.0)
    .bind(agency.id.0)
    .bind(agency.path.as_str())
    .bind(agency.name)
    .bind(&d.description)
    .bind(d.description.to_lowercase())
    .bind(d.category)
    .bind(d.scope.as_str())
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

pub async fn update(
    c: &mut Conn,
    w: DownloadKeeper,
    d: &Download,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE downloads SET description = $1, search_text = $2, category = $3, scope = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(&d.description)
    .bind(d.description.to_lowercase())
    .bind(d.category)
    .bind(d.scope.as_str())
    .bind(ms(now))
    .bind(w.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// 保留: whether the clean-up keeps the entry. Not an edit: the update
/// time stays.
pub async fn set_keep(c: &mut Conn, w: DownloadKeeper, keep: bool) -> Result<()> {
    let r = sqlx::query("UPDATE downloads SET keep = $1 WHERE id = $2")
        .bind(i64::from(keep))
        .bind(w.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Deletes an entry and its links; returns its files' keys, their rows
/// marked destroyed. `None` when it was already gone.
pub async fn delete(
    c: &mut Conn,
    w: DownloadKeeper,
    now: OffsetDateTime,
) -> Result<Option<Vec<String>>> {
    let files = entry_files(c, w.id()).await?;
    sqlx::query("DELETE FROM download_files WHERE download_id = $1")
        .bind(w.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let r = sqlx::query("DELETE FROM downloads WHERE id = $1")
        .bind(w.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    let mut keys = Vec::with_capacity(files.len());
    for f in files {
        crate::files::mark_purged(c, f.file_id, now).await?;
        if let Some(row) = crate::files::get(c, f.file_id).await? {
            keys.push(row.key);
        }
    }
    Ok(Some(keys))
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<DownloadRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}{FROM} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .map(|r| row(&r))
    .transpose()
}

/// Who reads: their account and their agency.
#[derive(Debug, Clone, Copy)]
pub struct Reader {
    pub account: AccountId,
    pub agency: Option<OrgUnitId>,
}

impl Reader {
    /// Whether the reader may see an entry: 全府 ones, their agency's, and
    /// their own.
    pub fn reads(&self, d: &DownloadRow) -> bool {
        d.scope == Scope::City || Some(d.agency_id) == self.agency || d.owner_id == self.account
    }
}

/// 全府檔案, 本機關檔案, 我的檔案.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    City,
    Agency,
    Mine,
}

impl Tab {
    pub fn as_str(self) -> &'static str {
        match self {
            Tab::City => "city",
            Tab::Agency => "agency",
            Tab::Mine => "mine",
        }
    }
    pub fn parse(s: &str) -> Tab {
        match s {
            "agency" => Tab::Agency,
            "mine" => Tab::Mine,
            _ => Tab::City,
        }
    }
}

/// A list's conditions (進階查詢).
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub tab: Tab,
    /// 關鍵字 in the 使用說明.
    pub q: Option<&'a str>,
    pub category: Option<&'a str>,
    /// 上傳單位: the uploader's agency.
    pub agency: Option<OrgUnitId>,
    /// 更新時間 from (inclusive) and until (exclusive).
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// The entries of a tab the reader may see, newest update first.
pub async fn list(
    c: &mut Conn,
    who: &Reader,
    f: &Filter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<DownloadRow>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    match f.tab {
        Tab::City => {
            w.push(" AND d.scope = 'city'");
        }
        Tab::Agency => match who.agency {
            Some(a) => {
                w.push(" AND d.agency_id = ").i(a.0);
            }
            None => {
                w.push(" AND 1 = 0");
            }
        },
        Tab::Mine => {
            w.push(" AND d.owner_id = ").i(who.account.0);
        }
    }
    if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
        w.push(" AND d.search_text LIKE ")
            .t(format!("%{}%", like_escape(&q.to_lowercase())))
            .push(" ESCAPE '\\'");
    }
    if let Some(k) = f.category.filter(|k| !k.is_empty()) {
        w.push(" AND d.category = ").t(k.to_owned());
    }
    if let Some(a) = f.agency {
        w.push(" AND d.agency_id = ").i(a.0);
    }
    if let Some(a) = f.from {
        w.push(" AND d.updated_at >= ").i(ms(a));
    }
    if let Some(z) = f.until {
        w.push(" AND d.updated_at < ").i(ms(z));
    }
    let total = w
        .under(&format!("SELECT COUNT(*) AS n{FROM}"))
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut b = w.under(&format!("SELECT {COLS}{FROM}"));
    b.push(" ORDER BY d.updated_at DESC, d.id DESC")
        .page(page, per_page);
    let items = b
        .query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(row)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EntryFile {
    pub file_id: FileId,
    pub name: String,
    pub kind: FileKind,
    pub size: i64,
}

pub async fn add_file(c: &mut Conn, w: DownloadKeeper, file: FileId) -> Result<()> {
    sqlx::query(
        "INSERT INTO download_files (download_id, file_id, position) \
         SELECT $1, $2, COALESCE(MAX(position), 0) + 1 FROM download_files WHERE download_id = $1",
    )
    .bind(w.id())
    .bind(file.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn entry_files(c: &mut Conn, id: i64) -> Result<Vec<EntryFile>> {
    sqlx::query(
        "SELECT f.id, f.name, f.kind, f.size FROM download_files l JOIN files f ON f.id = l.file_id \
         WHERE l.download_id = $1 AND f.purged_at IS NULL ORDER BY l.position",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(EntryFile {
            file_id: FileId(r.i64("id")?),
            name: r.text("name")?,
            kind: FileKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad file kind"))?,
            size: r.i64("size")?,
        })
    })
    .collect()
}

/// Unlinks one of an entry's files and marks it destroyed; its key, or
/// `None` when it was not the entry's.
pub async fn remove_file(
    c: &mut Conn,
    w: DownloadKeeper,
    file: FileId,
    now: OffsetDateTime,
) -> Result<Option<String>> {
    let r = sqlx::query("DELETE FROM download_files WHERE download_id = $1 AND file_id = $2")
        .bind(w.id())
        .bind(file.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    crate::files::mark_purged(c, file, now).await?;
    Ok(crate::files::get(c, file).await?.map(|f| f.key))
}

pub async fn count_download(c: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE downloads SET downloads = downloads + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}
