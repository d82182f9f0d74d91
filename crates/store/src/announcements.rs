//! Announcements, their files and comments (issue 17; seed 004 §肆 二,
//! §伍 一). Who reads a post is decided here, in the query: released, its
//! time come, and its reach holding the reader's agency. Writes take the
//! handle that proves the writer (`PostAuthor`, `PostModerator`), and a
//! step that depends on a post's state is a conditional write on it.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, like_escape, ms};
use portico_core::Error;
use portico_core::announcement::{Post, Reach, Status};
use portico_core::files::FileKind;
use portico_core::ids::{AccountId, FileId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::{PostAuthor, PostModerator};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// A post as lists and its page show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostRow {
    pub id: i64,
    pub author_id: AccountId,
    pub author_name: String,
    pub agency_id: OrgUnitId,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub agency_name: String,
    pub title: String,
    /// The cleaned rich text; empty in lists ([`get`] reads it).
    pub body_html: String,
    pub reach: Reach,
    #[serde(with = "time::serde::rfc3339::option")]
    pub publish_at: Option<OffsetDateTime>,
    pub views: i64,
    pub updates: i64,
    pub comments: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl PostRow {
    pub fn status(&self, now: OffsetDateTime) -> Status {
        Status::of(self.publish_at, now)
    }
}

const COLS: &str = "an.id, an.author_id, a.name AS author_name, an.agency_id, an.agency_path, \
     an.agency_name, an.title, an.reach, an.publish_at, an.views, an.updates, an.comments, \
     an.created_at, an.updated_at";
const FROM: &str = " FROM announcements an JOIN accounts a ON a.id = an.author_id";

fn post_row(r: &AnyRow, body_html: String) -> Result<PostRow> {
    Ok(PostRow {
        id: r.i64("id")?,
        author_id: AccountId(r.i64("author_id")?),
        author_name: r.text("author_name")?,
        agency_id: OrgUnitId(r.i64("agency_id")?),
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        agency_name: r.text("agency_name")?,
        title: r.text("title")?,
        body_html,
        reach: Reach::parse(&r.text("reach")?).ok_or_else(|| Error::internal("bad reach"))?,
        publish_at: r.opt_i64("publish_at")?.map(at),
        views: r.i64("views")?,
        updates: r.i64("updates")?,
        comments: r.i64("comments")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

/// The agency a post is for, as it was when first posted.
#[derive(Debug, Clone, Copy)]
pub struct ForAgency<'a> {
    pub id: OrgUnitId,
    pub path: &'a TreePath,
    pub name: &'a str,
}

pub async fn insert(
    c: &mut Conn,
    author: AccountId,
    agency: ForAgency<'_>,
    p: &Post,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO announcements (author_id, agency_id, agency_path, agency_name, title, body_html, \
         body_text, search_text, reach, publish_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(author.0)
    .bind(agency.id.0)
    .bind(agency.path.as_str())
    .bind(agency.name)
    .bind(&p.title)
    .bind(&p.body_html)
    .bind(&p.body_text)
    .bind(search_text(p))
    .bind(p.reach.as_str())
    .bind(p.publish_at.map(ms))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

/// Rewrites a post and counts the update (更新次數).
pub async fn update(c: &mut Conn, w: PostAuthor, p: &Post, now: OffsetDateTime) -> Result<()> {
    let r = sqlx::query(
        "UPDATE announcements SET title = $1, body_html = $2, body_text = $3, search_text = $8, reach = $4, \
         publish_at = $5, updates = updates + 1, updated_at = $6 WHERE id = $7",
    )
    .bind(&p.title)
    .bind(&p.body_html)
    .bind(&p.body_text)
    .bind(p.reach.as_str())
    .bind(p.publish_at.map(ms))
    .bind(ms(now))
    .bind(w.id())
    .bind(search_text(p))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// What 關鍵字 reads: the title and the text, lower-cased once here so
/// the search is one LIKE on one column, the same on both databases.
fn search_text(p: &Post) -> String {
    format!("{}\n{}", p.title.to_lowercase(), p.body_text.to_lowercase())
}

/// Takes a released post down (下架) to 未發布; false when it was not
/// released (another moderator was first).
pub async fn take_down(c: &mut Conn, m: PostModerator, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE announcements SET publish_at = NULL, updated_at = $1 WHERE id = $2 AND publish_at IS NOT NULL",
    )
    .bind(ms(now))
    .bind(m.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Deletes a post with its comments and links to its files; returns the
/// files, whose bytes the caller destroys once this commits. Nothing when
/// it was already gone.
pub async fn delete(
    c: &mut Conn,
    m: PostModerator,
    now: OffsetDateTime,
) -> Result<Option<Vec<(FileId, String)>>> {
    let files = sqlx::query(
        "SELECT f.id, f.key FROM announcement_files l JOIN files f ON f.id = l.file_id \
         WHERE l.announcement_id = $1 AND f.purged_at IS NULL",
    )
    .bind(m.id())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| Ok((FileId(r.i64("id")?), r.text("key")?)))
    .collect::<Result<Vec<_>>>()?;
    for q in [
        "DELETE FROM announcement_comments WHERE announcement_id = $1",
        "DELETE FROM announcement_files WHERE announcement_id = $1",
    ] {
        sqlx::query(q)
            .bind(m.id())
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    }
    let r = sqlx::query("DELETE FROM announcements WHERE id = $1")
        .bind(m.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    for (id, _) in &files {
        crate::files::mark_purged(c, *id, now).await?;
    }
    Ok(Some(files))
}

/// One post with its rich text.
pub async fn get(c: &mut Conn, id: i64) -> Result<Option<PostRow>> {
    let sql = format!("SELECT {COLS}, an.body_html{FROM} WHERE an.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| {
            let body = r.text("body_html")?;
            post_row(&r, body)
        })
        .transpose()
}

/// Counts one reading of a post (點閱數).
pub async fn count_view(c: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE announcements SET views = views + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Who reads: their agency, and every node above their unit (an
/// 本機關(含所屬機關) post of any of them reaches them).
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub agency: Option<OrgUnitId>,
    pub above: Vec<OrgUnitId>,
}

impl Reader {
    /// The reader in a unit of this path, of this agency.
    pub fn of(unit_path: &TreePath, agency: Option<OrgUnitId>) -> Reader {
        Reader {
            agency,
            above: unit_path.ids(),
        }
    }
}

/// Which posts a list holds.
#[derive(Debug, Clone, Default)]
pub struct PostFilter<'a> {
    /// 公告專區: released posts this reader may read.
    pub reader: Option<&'a Reader>,
    /// 我的公告管理: one author's posts.
    pub author: Option<AccountId>,
    pub status: Option<Status>,
    pub reach: Option<Reach>,
    /// 關鍵字: in the title or the text.
    pub q: Option<&'a str>,
    /// 發布日期 from (inclusive) and until (exclusive).
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

fn filter(b: &mut SqlBuf, f: &PostFilter<'_>, now: OffsetDateTime) {
    b.push(" WHERE 1 = 1");
    if let Some(r) = f.reader {
        b.push(" AND an.publish_at <= ").i(ms(now));
        b.push(" AND (an.reach = 'city'");
        if let Some(agency) = r.agency {
            b.push(" OR (an.reach = 'agency' AND an.agency_id = ")
                .i(agency.0)
                .push(")");
        }
        if !r.above.is_empty() {
            b.push(" OR (an.reach = 'agency_tree' AND an.agency_id IN (");
            for (i, id) in r.above.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.i(id.0);
            }
            b.push("))");
        }
        b.push(")");
    }
    if let Some(a) = f.author {
        b.push(" AND an.author_id = ").i(a.0);
    }
    match f.status {
        Some(Status::Published) => {
            b.push(" AND an.publish_at <= ").i(ms(now));
        }
        Some(Status::Scheduled) => {
            b.push(" AND an.publish_at > ").i(ms(now));
        }
        Some(Status::Unpublished) => {
            b.push(" AND an.publish_at IS NULL");
        }
        None => {}
    }
    if let Some(r) = f.reach {
        b.push(" AND an.reach = ").t(r.as_str());
    }
    if let Some(a) = f.from {
        b.push(" AND an.publish_at >= ").i(ms(a));
    }
    if let Some(z) = f.until {
        b.push(" AND an.publish_at < ").i(ms(z));
    }
    if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", like_escape(&q.to_lowercase()));
        b.push(" AND an.search_text LIKE ")
            .t(like)
            .push(" ESCAPE '\\'");
    }
}

/// The reader may read the post: released to them, its time come.
pub async fn readable(c: &mut Conn, id: i64, reader: &Reader, now: OffsetDateTime) -> Result<bool> {
    let mut b = SqlBuf::new("SELECT 1 AS one FROM announcements an");
    let f = PostFilter {
        reader: Some(reader),
        ..Default::default()
    };
    filter(&mut b, &f, now);
    b.push(" AND an.id = ").i(id);
    Ok(b.query()
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .is_some())
}

/// The most a list counts: beyond it, "more than 1,000".
pub const COUNT_CAP: i64 = 1000;

/// Posts, a page at a time: 公告專區 newest released first, an author's
/// newest changed first. The total stops at [`COUNT_CAP`] + 1, so a
/// keyword over a hundred thousand posts does not read them all to count.
pub async fn list(
    c: &mut Conn,
    f: &PostFilter<'_>,
    now: OffsetDateTime,
    page: u32,
    per_page: u32,
) -> Result<Page<PostRow>> {
    let mut w = SqlBuf::new("");
    filter(&mut w, f, now);
    let mut b = w.under(&format!("SELECT {COLS}{FROM}"));
    if f.author.is_some() {
        b.push(" ORDER BY an.updated_at DESC, an.id DESC");
    } else {
        b.push(" ORDER BY an.publish_at DESC, an.id DESC");
    }
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    // A first page that is not full is the whole list: no second pass to
    // count it (a keyword that matches little reads the table once).
    let total = if page <= 1 && (per_page == 0 || rows.len() < per_page as usize) {
        rows.len() as i64
    } else {
        let mut n = w.wrap(&format!("SELECT COUNT(*) AS n FROM (SELECT 1{FROM}"), "");
        n.push(" LIMIT ").i(COUNT_CAP + 1).push(") capped");
        n.query()
            .fetch_one(&mut *c)
            .await
            .map_err(db_err)?
            .i64("n")?
    };
    Ok(Page {
        items: rows
            .iter()
            .map(|r| post_row(r, String::new()))
            .collect::<Result<_>>()?,
        total,
        page,
        per_page,
    })
}

/// One of a post's files: an attachment (附件) or an image (圖片).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostFile {
    pub file_id: FileId,
    /// `attachment` or `image`.
    pub role: String,
    pub name: String,
    pub kind: FileKind,
    pub size: i64,
}

pub async fn add_file(c: &mut Conn, w: PostAuthor, file: FileId, role: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO announcement_files (announcement_id, file_id, role, position) \
         SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1 FROM announcement_files WHERE announcement_id = $1",
    )
    .bind(w.id())
    .bind(file.0)
    .bind(role)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A post's files, attachments then images, in the order added.
pub async fn files(c: &mut Conn, post: i64) -> Result<Vec<PostFile>> {
    let rows = sqlx::query(
        "SELECT f.id, l.role, f.name, f.kind, f.size FROM announcement_files l JOIN files f ON f.id = l.file_id \
         WHERE l.announcement_id = $1 AND f.purged_at IS NULL ORDER BY l.role, l.position",
    )
    .bind(post)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(PostFile {
                file_id: FileId(r.i64("id")?),
                role: r.text("role")?,
                name: r.text("name")?,
                kind: FileKind::parse(&r.text("kind")?)
                    .ok_or_else(|| Error::internal("bad file kind"))?,
                size: r.i64("size")?,
            })
        })
        .collect()
}

/// Unlinks one of a post's files and marks its bytes destroyed; returns
/// its key, or `None` when it was not the post's.
pub async fn remove_file(
    c: &mut Conn,
    w: PostAuthor,
    file: FileId,
    now: OffsetDateTime,
) -> Result<Option<String>> {
    let r =
        sqlx::query("DELETE FROM announcement_files WHERE announcement_id = $1 AND file_id = $2")
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

/// A comment (留言) with its author's name and the reply (回覆).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub author_id: AccountId,
    pub author_name: String,
    pub body: String,
    pub reply: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub replied_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Adds a comment and counts it on the post.
pub async fn add_comment(
    c: &mut Conn,
    post: i64,
    author: AccountId,
    body: &str,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO announcement_comments (announcement_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(post)
    .bind(author.0)
    .bind(body)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE announcements SET comments = comments + 1 WHERE id = $1")
        .bind(post)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    r.i64("id")
}

/// A post's shown comments, oldest first.
pub async fn comments(c: &mut Conn, post: i64) -> Result<Vec<CommentRow>> {
    let rows = sqlx::query(
        "SELECT m.id, m.announcement_id, m.author_id, a.name AS author_name, m.body, m.reply, m.replied_at, \
         m.created_at FROM announcement_comments m JOIN accounts a ON a.id = m.author_id \
         WHERE m.announcement_id = $1 AND m.hidden_at IS NULL ORDER BY m.created_at, m.id",
    )
    .bind(post)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(CommentRow {
                id: r.i64("id")?,
                post_id: r.i64("announcement_id")?,
                author_id: AccountId(r.i64("author_id")?),
                author_name: r.text("author_name")?,
                body: r.text("body")?,
                reply: r.opt_text("reply")?,
                replied_at: r.opt_i64("replied_at")?.map(at),
                created_at: at(r.i64("created_at")?),
            })
        })
        .collect()
}

/// The post's author replies to a shown comment of it (or rewrites the
/// reply); false when there is no such comment.
pub async fn reply(
    c: &mut Conn,
    w: PostAuthor,
    comment: i64,
    text: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE announcement_comments SET reply = $1, replied_at = $2 \
         WHERE id = $3 AND announcement_id = $4 AND hidden_at IS NULL",
    )
    .bind(text)
    .bind(ms(now))
    .bind(comment)
    .bind(w.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Hides a shown comment of the post and uncounts it; false when it was
/// not shown (already hidden, or not the post's).
pub async fn hide_comment(
    c: &mut Conn,
    post: i64,
    comment: i64,
    by: AccountId,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE announcement_comments SET hidden_at = $1, hidden_by = $2 \
         WHERE id = $3 AND announcement_id = $4 AND hidden_at IS NULL",
    )
    .bind(ms(now))
    .bind(by.0)
    .bind(comment)
    .bind(post)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE announcements SET comments = comments - 1 WHERE id = $1")
        .bind(post)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(true)
}

/// Who wrote a comment of the post, if it is shown.
pub async fn comment_author(c: &mut Conn, post: i64, comment: i64) -> Result<Option<AccountId>> {
    let r = sqlx::query(
        "SELECT author_id FROM announcement_comments WHERE id = $1 AND announcement_id = $2 AND hidden_at IS NULL",
    )
    .bind(comment)
    .bind(post)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.map(|r| Ok(AccountId(r.i64("author_id")?))).transpose()
}
