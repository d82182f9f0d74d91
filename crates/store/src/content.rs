//! What system admins publish on the portal (issue 17): banners, notices,
//! the FAQ and the links of the application list and dashboard. Every
//! write takes a `SystemWrite`; what a reader sees (in its period, for its
//! agency) is decided in the query.
use crate::{Conn, Result, RowExt, SqlBuf, at, db_err, like_escape, ms};
use portico_core::Error;
use portico_core::content::{Audience, Banner, Faq, Link, Notice};
use portico_core::ids::{FileId, OrgUnitId};
use portico_core::permission::{SystemAdmin, SystemWrite};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

fn opt_at(r: &AnyRow, col: &str) -> Result<Option<OffsetDateTime>> {
    Ok(r.opt_i64(col)?.map(at))
}

/// `AND` the row's period (`starts_at`, `ends_at`) holds `now`.
fn in_period(b: &mut SqlBuf, now: OffsetDateTime) {
    b.push(" AND (starts_at IS NULL OR starts_at <= ")
        .i(ms(now))
        .push(") AND (ends_at IS NULL OR ends_at > ")
        .i(ms(now))
        .push(")");
}

/// `AND` the row (`id`) is for everyone, or lists one of `agencies` in
/// `table`'s `key` column.
fn for_reader(b: &mut SqlBuf, table: &str, key: &str, agencies: &[OrgUnitId]) {
    b.push(" AND (audience = 'all'");
    if !agencies.is_empty() {
        b.push(" OR EXISTS (SELECT 1 FROM ")
            .push(table)
            .push(" x WHERE x.")
            .push(key)
            .push(" = id AND x.agency_id IN (");
        for (i, a) in agencies.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.i(a.0);
        }
        b.push("))");
    }
    b.push(")");
}

async fn set_agencies(
    c: &mut Conn,
    table: &str,
    key: &str,
    id: i64,
    agencies: &[i64],
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE {key} = $1"
    )))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    for a in agencies {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({key}, agency_id) VALUES ($1, $2)"
        )))
        .bind(id)
        .bind(*a)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

async fn agencies_of(c: &mut Conn, table: &str, key: &str, id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT agency_id FROM {table} WHERE {key} = $1 ORDER BY agency_id"
    )))
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.i64("agency_id")).collect()
}

async fn delete_row(c: &mut Conn, table: &str, id: i64) -> Result<bool> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

// ---- banners -------------------------------------------------------------

#[derive(Debug, Clone, serde::Serialize)]
pub struct BannerRow {
    pub id: i64,
    pub title: String,
    pub alt: String,
    pub link: String,
    pub file_id: FileId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    pub position: i64,
}

fn banner_row(r: &AnyRow) -> Result<BannerRow> {
    Ok(BannerRow {
        id: r.i64("id")?,
        title: r.text("title")?,
        alt: r.text("alt")?,
        link: r.text("link")?,
        file_id: FileId(r.i64("file_id")?),
        starts_at: opt_at(r, "starts_at")?,
        ends_at: opt_at(r, "ends_at")?,
        position: r.i64("position")?,
    })
}

const BANNER_COLS: &str = "id, title, alt, link, file_id, starts_at, ends_at, position";

pub async fn insert_banner(
    c: &mut Conn,
    _w: SystemWrite,
    b: &Banner,
    file: FileId,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO banners (title, alt, link, file_id, starts_at, ends_at, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&b.title)
    .bind(&b.alt)
    .bind(&b.link)
    .bind(file.0)
    .bind(b.starts.map(ms))
    .bind(b.ends.map(ms))
    .bind(b.position)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

/// Rewrites a banner; a new image replaces the old one, whose file is
/// returned for its bytes to go.
pub async fn update_banner(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    b: &Banner,
    file: Option<FileId>,
    now: OffsetDateTime,
) -> Result<Option<FileId>> {
    let old = banner(c, id).await?.ok_or(Error::NotFound)?;
    sqlx::query(
        "UPDATE banners SET title = $1, alt = $2, link = $3, file_id = $4, starts_at = $5, ends_at = $6, \
         position = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&b.title)
    .bind(&b.alt)
    .bind(&b.link)
    .bind(file.unwrap_or(old.file_id).0)
    .bind(b.starts.map(ms))
    .bind(b.ends.map(ms))
    .bind(b.position)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(file.map(|_| old.file_id))
}

pub async fn banner(c: &mut Conn, id: i64) -> Result<Option<BannerRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BANNER_COLS} FROM banners WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .map(|r| banner_row(&r))
    .transpose()
}

/// Every banner (`now` `None`), or those shown at `now`, in order.
pub async fn banners(c: &mut Conn, now: Option<OffsetDateTime>) -> Result<Vec<BannerRow>> {
    let mut b = SqlBuf::new(&format!("SELECT {BANNER_COLS} FROM banners WHERE 1 = 1"));
    if let Some(now) = now {
        in_period(&mut b, now);
    }
    b.push(" ORDER BY position, id");
    b.query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(banner_row)
        .collect()
}

/// Every banner, for the console.
pub async fn all_banners(c: &mut Conn, _by: &SystemAdmin<'_>) -> Result<Vec<BannerRow>> {
    banners(c, None).await
}

/// Deletes a banner; returns its image's file.
pub async fn delete_banner(c: &mut Conn, _w: SystemWrite, id: i64) -> Result<Option<FileId>> {
    let Some(old) = banner(c, id).await? else {
        return Ok(None);
    };
    Ok(delete_row(c, "banners", id).await?.then_some(old.file_id))
}

// ---- notices -------------------------------------------------------------

#[derive(Debug, Clone, serde::Serialize)]
pub struct NoticeRow {
    pub id: i64,
    pub title: String,
    pub body_html: String,
    pub audience: Audience,
    pub agencies: Vec<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const NOTICE_COLS: &str = "id, title, body_html, audience, starts_at, ends_at, updated_at";

fn notice_row(r: &AnyRow) -> Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.i64("id")?,
        title: r.text("title")?,
        body_html: r.text("body_html")?,
        audience: Audience::parse(&r.text("audience")?)
            .ok_or_else(|| Error::internal("bad audience"))?,
        agencies: Vec::new(),
        starts_at: opt_at(r, "starts_at")?,
        ends_at: opt_at(r, "ends_at")?,
        updated_at: at(r.i64("updated_at")?),
    })
}

pub async fn save_notice(
    c: &mut Conn,
    _w: SystemWrite,
    id: Option<i64>,
    n: &Notice,
    now: OffsetDateTime,
) -> Result<i64> {
    let id = match id {
        Some(id) => {
            let r = sqlx::query(
                "UPDATE notices SET title = $1, body_html = $2, audience = $3, starts_at = $4, ends_at = $5, \
                 updated_at = $6 WHERE id = $7",
            )
            .bind(&n.title)
            .bind(&n.body_html)
            .bind(n.audience.as_str())
            .bind(n.starts.map(ms))
            .bind(n.ends.map(ms))
            .bind(ms(now))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
            if r.rows_affected() == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => sqlx::query(
            "INSERT INTO notices (title, body_html, audience, starts_at, ends_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&n.title)
        .bind(&n.body_html)
        .bind(n.audience.as_str())
        .bind(n.starts.map(ms))
        .bind(n.ends.map(ms))
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("id")?,
    };
    set_agencies(c, "notice_agencies", "notice_id", id, &n.agencies).await?;
    Ok(id)
}

pub async fn notice(c: &mut Conn, id: i64) -> Result<Option<NoticeRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE_COLS} FROM notices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = r else { return Ok(None) };
    let mut n = notice_row(&r)?;
    n.agencies = agencies_of(c, "notice_agencies", "notice_id", id).await?;
    Ok(Some(n))
}

/// Every notice, newest first (`reader` `None`), or those shown now to a
/// reader of these agencies (`Some(&[])`: signed out, everyone's only).
pub async fn notices(
    c: &mut Conn,
    reader: Option<&[OrgUnitId]>,
    now: OffsetDateTime,
) -> Result<Vec<NoticeRow>> {
    let mut b = SqlBuf::new(&format!("SELECT {NOTICE_COLS} FROM notices WHERE 1 = 1"));
    if let Some(agencies) = reader {
        in_period(&mut b, now);
        for_reader(&mut b, "notice_agencies", "notice_id", agencies);
        b.push(" ORDER BY starts_at DESC, id DESC LIMIT 10");
    } else {
        b.push(" ORDER BY updated_at DESC, id DESC");
    }
    b.query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(notice_row)
        .collect()
}

/// Every notice, newest first, for the console.
pub async fn all_notices(c: &mut Conn, _by: &SystemAdmin<'_>) -> Result<Vec<NoticeRow>> {
    notices(c, None, OffsetDateTime::UNIX_EPOCH).await
}

/// One notice with its agencies, for the console's form.
pub async fn notice_for(c: &mut Conn, _by: &SystemAdmin<'_>, id: i64) -> Result<Option<NoticeRow>> {
    notice(c, id).await
}

pub async fn delete_notice(c: &mut Conn, _w: SystemWrite, id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM notice_agencies WHERE notice_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    delete_row(c, "notices", id).await
}

// ---- the FAQ -------------------------------------------------------------

#[derive(Debug, Clone, serde::Serialize)]
pub struct FaqRow {
    pub id: i64,
    pub category: String,
    pub question: String,
    pub answer_html: String,
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The category of this name, made when missing.
async fn category_id(c: &mut Conn, name: &str) -> Result<i64> {
    if let Some(r) = sqlx::query("SELECT id FROM faq_categories WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
    {
        return r.i64("id");
    }
    sqlx::query(
        "INSERT INTO faq_categories (name, position) \
         SELECT $1, COALESCE(MAX(position), 0) + 1 FROM faq_categories RETURNING id",
    )
    .bind(name)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    .i64("id")
}

pub async fn save_faq(
    c: &mut Conn,
    _w: SystemWrite,
    id: Option<i64>,
    f: &Faq,
    now: OffsetDateTime,
) -> Result<i64> {
    let cat = category_id(c, &f.category).await?;
    let id = match id {
        Some(id) => {
            let r = sqlx::query(
                "UPDATE faqs SET category_id = $1, question = $2, answer_html = $3, answer_text = $4, position = $5, \
                 updated_at = $6 WHERE id = $7",
            )
            .bind(cat)
            .bind(&f.question)
            .bind(&f.answer_html)
            .bind(&f.answer_text)
            .bind(f.position)
            .bind(ms(now))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
            if r.rows_affected() == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => sqlx::query(
            "INSERT INTO faqs (category_id, question, answer_html, answer_text, position, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(cat)
        .bind(&f.question)
        .bind(&f.answer_html)
        .bind(&f.answer_text)
        .bind(f.position)
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("id")?,
    };
    // A category left without questions goes.
    sqlx::query("DELETE FROM faq_categories WHERE NOT EXISTS (SELECT 1 FROM faqs WHERE faqs.category_id = faq_categories.id)")
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(id)
}

/// The FAQ by category and order, searched in questions and answers.
pub async fn faqs(c: &mut Conn, q: &str) -> Result<Vec<FaqRow>> {
    let mut b = SqlBuf::new(
        "SELECT f.id, k.name AS category, f.question, f.answer_html, f.position, f.updated_at \
         FROM faqs f JOIN faq_categories k ON k.id = f.category_id WHERE 1 = 1",
    );
    let q = q.trim();
    if !q.is_empty() {
        let like = format!("%{}%", like_escape(&q.to_lowercase()));
        b.push(" AND (LOWER(f.question) LIKE ")
            .t(like.clone())
            .push(" ESCAPE '\\' OR LOWER(f.answer_text) LIKE ")
            .t(like)
            .push(" ESCAPE '\\')");
    }
    b.push(" ORDER BY k.position, k.id, f.position, f.id");
    b.query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(FaqRow {
                id: r.i64("id")?,
                category: r.text("category")?,
                question: r.text("question")?,
                answer_html: r.text("answer_html")?,
                position: r.i64("position")?,
                updated_at: at(r.i64("updated_at")?),
            })
        })
        .collect()
}

pub async fn faq_categories(c: &mut Conn) -> Result<Vec<String>> {
    sqlx::query("SELECT name FROM faq_categories ORDER BY position, id")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| r.text("name"))
        .collect()
}

/// Every question with the category names, for the console.
pub async fn all_faqs(c: &mut Conn, _by: &SystemAdmin<'_>) -> Result<(Vec<FaqRow>, Vec<String>)> {
    Ok((faqs(c, "").await?, faq_categories(c).await?))
}

pub async fn delete_faq(c: &mut Conn, _w: SystemWrite, id: i64) -> Result<bool> {
    let gone = delete_row(c, "faqs", id).await?;
    sqlx::query("DELETE FROM faq_categories WHERE NOT EXISTS (SELECT 1 FROM faqs WHERE faqs.category_id = faq_categories.id)")
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(gone)
}

// ---- links ---------------------------------------------------------------

#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub icon: String,
    pub description: String,
    pub audience: Audience,
    pub agencies: Vec<i64>,
    pub position: i64,
    pub on_home: bool,
    pub in_list: bool,
}

const LINK_COLS: &str = "id, name, url, icon, description, audience, position, on_home, in_list";

fn link_row(r: &AnyRow) -> Result<LinkRow> {
    Ok(LinkRow {
        id: r.i64("id")?,
        name: r.text("name")?,
        url: r.text("url")?,
        icon: r.text("icon")?,
        description: r.text("description")?,
        audience: Audience::parse(&r.text("audience")?)
            .ok_or_else(|| Error::internal("bad audience"))?,
        agencies: Vec::new(),
        position: r.i64("position")?,
        on_home: r.flag("on_home")?,
        in_list: r.flag("in_list")?,
    })
}

pub async fn save_link(
    c: &mut Conn,
    _w: SystemWrite,
    id: Option<i64>,
    l: &Link,
    now: OffsetDateTime,
) -> Result<i64> {
    let id = match id {
        Some(id) => {
            let r = sqlx::query(
                "UPDATE portal_links SET name = $1, url = $2, icon = $3, description = $4, audience = $5, \
                 position = $6, on_home = $7, in_list = $8, updated_at = $9 WHERE id = $10",
            )
            .bind(&l.name)
            .bind(&l.url)
            .bind(&l.icon)
            .bind(&l.description)
            .bind(l.audience.as_str())
            .bind(l.position)
            .bind(i64::from(l.on_home))
            .bind(i64::from(l.in_list))
            .bind(ms(now))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
            if r.rows_affected() == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => sqlx::query(
            "INSERT INTO portal_links (name, url, icon, description, audience, position, on_home, in_list, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&l.name)
        .bind(&l.url)
        .bind(&l.icon)
        .bind(&l.description)
        .bind(l.audience.as_str())
        .bind(l.position)
        .bind(i64::from(l.on_home))
        .bind(i64::from(l.in_list))
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("id")?,
    };
    set_agencies(c, "portal_link_agencies", "link_id", id, &l.agencies).await?;
    Ok(id)
}

pub async fn link(c: &mut Conn, id: i64) -> Result<Option<LinkRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLS} FROM portal_links WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = r else { return Ok(None) };
    let mut l = link_row(&r)?;
    l.agencies = agencies_of(c, "portal_link_agencies", "link_id", id).await?;
    Ok(Some(l))
}

/// Where a link list is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPlace {
    Home,
    List,
}

/// Every link (`reader` `None`), or those a reader of these agencies sees
/// in one place; in order.
pub async fn links(
    c: &mut Conn,
    reader: Option<(&[OrgUnitId], LinkPlace)>,
) -> Result<Vec<LinkRow>> {
    let mut b = SqlBuf::new(&format!("SELECT {LINK_COLS} FROM portal_links WHERE 1 = 1"));
    if let Some((agencies, place)) = reader {
        b.push(match place {
            LinkPlace::Home => " AND on_home = 1",
            LinkPlace::List => " AND in_list = 1",
        });
        for_reader(&mut b, "portal_link_agencies", "link_id", agencies);
    }
    b.push(" ORDER BY position, id");
    b.query()
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?
        .iter()
        .map(link_row)
        .collect()
}

/// Every link, for the console.
pub async fn all_links(c: &mut Conn, _by: &SystemAdmin<'_>) -> Result<Vec<LinkRow>> {
    links(c, None).await
}

/// One link with its agencies, for the console's form.
pub async fn link_for(c: &mut Conn, _by: &SystemAdmin<'_>, id: i64) -> Result<Option<LinkRow>> {
    link(c, id).await
}

pub async fn delete_link(c: &mut Conn, _w: SystemWrite, id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM portal_link_agencies WHERE link_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    delete_row(c, "portal_links", id).await
}
