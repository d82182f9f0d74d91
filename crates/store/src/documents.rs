//! Official documents' attachments (issue 17; seed 004 §肆 三, §伍 四):
//! topics (公文主題), their files, and the failed guesses at the public
//! page. One topic per document: a unique index on word, number and
//! branch, so two people filing the same document at once make one.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, like_escape, ms, unique_on};
use portico_core::document::{Guesses, Lookup, Topic};
use portico_core::files::FileKind;
use portico_core::ids::{AccountId, FileId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::TopicKeeper;
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, serde::Serialize)]
pub struct TopicRow {
    pub id: i64,
    pub owner_id: AccountId,
    pub owner_name: String,
    pub agency_id: OrgUnitId,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub agency_name: String,
    pub word: String,
    pub number: String,
    pub branch: String,
    pub summary: String,
    /// 識別碼: only its keepers' reads carry it (see [`TopicRow::without_code`]).
    pub code: String,
    #[serde(with = "date_text")]
    pub takedown: Date,
    pub public: bool,
    pub downloads: i64,
    pub files: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl TopicRow {
    /// `南市研資字第1150001234-A號`.
    pub fn full_number(&self) -> String {
        portico_core::document::full_number(&self.word, &self.number, &self.branch)
    }
    /// 下架日期 as `YYYY-MM-DD`.
    pub fn takedown_text(&self) -> String {
        portico_core::time::date_str(self.takedown)
    }
    /// The row as one who is not its keeper sees it: without its code.
    pub fn without_code(mut self) -> TopicRow {
        self.code = String::new();
        self
    }
}

mod date_text {
    pub fn serialize<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&portico_core::time::date_str(*d))
    }
}

const COLS: &str = "t.id, t.owner_id, a.name AS owner_name, t.agency_id, t.agency_path, t.agency_name, t.word, \
     t.number, t.branch, t.summary, t.code, t.takedown, t.public, t.downloads, t.created_at, t.updated_at, \
     (SELECT COUNT(*) FROM doc_topic_files f WHERE f.topic_id = t.id) AS files";
const FROM: &str = " FROM doc_topics t JOIN accounts a ON a.id = t.owner_id";

fn topic_row(r: &AnyRow) -> Result<TopicRow> {
    Ok(TopicRow {
        id: r.i64("id")?,
        owner_id: AccountId(r.i64("owner_id")?),
        owner_name: r.text("owner_name")?,
        agency_id: OrgUnitId(r.i64("agency_id")?),
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        agency_name: r.text("agency_name")?,
        word: r.text("word")?,
        number: r.text("number")?,
        branch: r.text("branch")?,
        summary: r.text("summary")?,
        code: r.text("code")?,
        takedown: portico_core::time::parse_date(&r.text("takedown")?)
            .ok_or_else(|| Error::internal("bad takedown date"))?,
        public: r.flag("public")?,
        downloads: r.i64("downloads")?,
        files: r.i64("files")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

fn taken() -> Msg {
    Msg::new(
        "這份公文（公文字、公文號與支號）已經建立過公文主題；請到「我的公文附件管理」找到它後編輯，或確認字號是否正確",
        "This document (word, number and branch) already has a topic; find it in My document attachments and edit it, or check the number",
    )
}

/// The agency a topic is filed for, as it was then.
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
    t: &Topic,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO doc_topics (owner_id, agency_id, agency_path, agency_name, word, number, branch, summary, code, \
         takedown, public, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(owner.0)
    .bind(agency.id.0)
    .bind(agency.path.as_str())
    .bind(agency.name)
    .bind(&t.word)
    .bind(&t.number)
    .bind(&t.branch)
    .bind(&t.summary)
    .bind(&t.code)
    .bind(portico_core::time::date_str(t.takedown))
    .bind(i64::from(t.public))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on("number", taken()))?;
    r.i64("id")
}

/// Rewrites a topic (its code stays as the caller passes it: the one kept).
pub async fn update(c: &mut Conn, w: TopicKeeper, t: &Topic, now: OffsetDateTime) -> Result<()> {
    let r = sqlx::query(
        "UPDATE doc_topics SET word = $1, number = $2, branch = $3, summary = $4, takedown = $5, public = $6, \
         updated_at = $7 WHERE id = $8",
    )
    .bind(&t.word)
    .bind(&t.number)
    .bind(&t.branch)
    .bind(&t.summary)
    .bind(portico_core::time::date_str(t.takedown))
    .bind(i64::from(t.public))
    .bind(ms(now))
    .bind(w.id())
    .execute(&mut *c)
    .await
    .map_err(unique_on("number", taken()))?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Deletes a topic and its links to its files; returns the files' keys,
/// their rows marked destroyed. `None` when it was already gone.
pub async fn delete(
    c: &mut Conn,
    w: TopicKeeper,
    now: OffsetDateTime,
) -> Result<Option<Vec<String>>> {
    let files = topic_files(c, w.id()).await?;
    sqlx::query("DELETE FROM doc_topic_files WHERE topic_id = $1")
        .bind(w.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let r = sqlx::query("DELETE FROM doc_topics WHERE id = $1")
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

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<TopicRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}{FROM} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .map(|r| topic_row(&r))
    .transpose()
}

/// Which topics a list holds.
#[derive(Debug, Clone, Default)]
pub struct TopicFilter<'a> {
    pub owner: Option<AccountId>,
    /// 關鍵字: in the word and number, or the summary.
    pub q: Option<&'a str>,
    /// 發布日期 from (inclusive) and until (exclusive).
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// A person's topics, newest first.
pub async fn list(
    c: &mut Conn,
    f: &TopicFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<TopicRow>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(o) = f.owner {
        w.push(" AND t.owner_id = ").i(o.0);
    }
    if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", like_escape(&q.to_lowercase()));
        w.push(" AND (LOWER(t.word || t.number || t.branch) LIKE ")
            .t(like.clone())
            .push(" ESCAPE '\\' OR LOWER(t.summary) LIKE ")
            .t(like)
            .push(" ESCAPE '\\')");
    }
    if let Some(a) = f.from {
        w.push(" AND t.created_at >= ").i(ms(a));
    }
    if let Some(z) = f.until {
        w.push(" AND t.created_at < ").i(ms(z));
    }
    let total = w
        .under(&format!("SELECT COUNT(*) AS n{FROM}"))
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut b = w.under(&format!("SELECT {COLS}{FROM}"));
    b.push(" ORDER BY t.created_at DESC, t.id DESC")
        .page(page, per_page);
    let items = b
        .query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(topic_row)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// The topic a lookup names exactly, code included, if any (served or not:
/// the caller decides).
pub async fn lookup(c: &mut Conn, l: &Lookup) -> Result<Option<TopicRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}{FROM} WHERE t.word = $1 AND t.number = $2 AND t.branch = $3 AND t.code = $4"
    )))
    .bind(&l.word)
    .bind(&l.number)
    .bind(&l.branch)
    .bind(&l.code)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .map(|r| topic_row(&r))
    .transpose()
}

/// 公文附件下載區: an agency's topics of a number with this code, every
/// branch, served on `today`.
pub async fn find(
    c: &mut Conn,
    agency: OrgUnitId,
    number: &str,
    code: &str,
    today: Date,
) -> Result<Vec<TopicRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}{FROM} WHERE t.agency_id = $1 AND t.number = $2 AND t.code = $3 AND t.takedown >= $4 \
         ORDER BY t.branch"
    )))
    .bind(agency.0)
    .bind(number)
    .bind(code)
    .bind(portico_core::time::date_str(today))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(topic_row)
    .collect()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TopicFile {
    pub file_id: FileId,
    pub name: String,
    pub kind: FileKind,
    pub size: i64,
}

pub async fn add_file(c: &mut Conn, w: TopicKeeper, file: FileId) -> Result<()> {
    sqlx::query(
        "INSERT INTO doc_topic_files (topic_id, file_id, position) \
         SELECT $1, $2, COALESCE(MAX(position), 0) + 1 FROM doc_topic_files WHERE topic_id = $1",
    )
    .bind(w.id())
    .bind(file.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn topic_files(c: &mut Conn, topic: i64) -> Result<Vec<TopicFile>> {
    sqlx::query(
        "SELECT f.id, f.name, f.kind, f.size FROM doc_topic_files l JOIN files f ON f.id = l.file_id \
         WHERE l.topic_id = $1 AND f.purged_at IS NULL ORDER BY l.position",
    )
    .bind(topic)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(TopicFile {
            file_id: FileId(r.i64("id")?),
            name: r.text("name")?,
            kind: FileKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad file kind"))?,
            size: r.i64("size")?,
        })
    })
    .collect()
}

/// Unlinks one of a topic's files and marks it destroyed; its key, or
/// `None` when it was not the topic's.
pub async fn remove_file(
    c: &mut Conn,
    w: TopicKeeper,
    file: FileId,
    now: OffsetDateTime,
) -> Result<Option<String>> {
    let r = sqlx::query("DELETE FROM doc_topic_files WHERE topic_id = $1 AND file_id = $2")
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

pub async fn count_download(c: &mut Conn, topic: i64) -> Result<()> {
    sqlx::query("UPDATE doc_topics SET downloads = downloads + 1 WHERE id = $1")
        .bind(topic)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn guesses(c: &mut Conn, key: &str) -> Result<Option<Guesses>> {
    sqlx::query("SELECT failures, window_start, blocked_until FROM doc_guesses WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| {
            Ok(Guesses {
                failures: r.i64("failures")?,
                window_start: at(r.i64("window_start")?),
                blocked_until: r.opt_i64("blocked_until")?.map(at),
            })
        })
        .transpose()
}

pub async fn record_guesses(c: &mut Conn, key: &str, g: &Guesses) -> Result<()> {
    sqlx::query(
        "INSERT INTO doc_guesses (key, failures, window_start, blocked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, \
         blocked_until = excluded.blocked_until",
    )
    .bind(key)
    .bind(g.failures)
    .bind(ms(g.window_start))
    .bind(g.blocked_until.map(ms))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}
