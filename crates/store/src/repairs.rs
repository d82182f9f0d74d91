//! Repair reports (線上報修) and their steps (處理狀況回覆). A step that
//! moves a report is a conditional write on its state: two repair staff
//! replying at once, or a reporter rating and returning it at once, one
//! wins and the other is told.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::ids::{AccountId, FileId};
use portico_core::repair::{RepairState, Report};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A report as lists and its page show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepairRow {
    pub id: i64,
    pub type_id: i64,
    pub type_name: String,
    pub reporter_id: AccountId,
    pub reporter_name: String,
    pub reporter_login: String,
    pub reporter_email: String,
    /// 報修單位, as it was when reported.
    pub unit_name: String,
    pub phone: String,
    pub ext: String,
    pub location: String,
    pub floor: String,
    pub fault: String,
    pub state: RepairState,
    /// 退回次數.
    pub returns: i64,
    pub rating: Option<i64>,
    pub rating_note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLS: &str = "r.id, r.type_id, t.name AS type_name, r.reporter_id, a.name AS reporter_name, \
     a.login AS reporter_login, a.official_email AS reporter_email, r.unit_name, r.phone, r.ext, r.location, \
     r.floor, r.fault, r.state, r.returns, r.rating, r.rating_note, r.created_at, r.updated_at";
const FROM: &str = " FROM repairs r JOIN repair_types t ON t.id = r.type_id JOIN accounts a ON a.id = r.reporter_id";

fn repair_row(r: &AnyRow) -> Result<RepairRow> {
    Ok(RepairRow {
        id: r.i64("id")?,
        type_id: r.i64("type_id")?,
        type_name: r.text("type_name")?,
        reporter_id: AccountId(r.i64("reporter_id")?),
        reporter_name: r.text("reporter_name")?,
        reporter_login: r.text("reporter_login")?,
        reporter_email: r.text("reporter_email")?,
        unit_name: r.text("unit_name")?,
        phone: r.text("phone")?,
        ext: r.text("ext")?,
        location: r.text("location")?,
        floor: r.text("floor")?,
        fault: r.text("fault")?,
        state: RepairState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad repair state"))?,
        returns: r.i64("returns")?,
        rating: r.opt_i64("rating")?,
        rating_note: r.text("rating_note")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

/// Files a report; its photos follow with [`add_photo`].
pub async fn insert_repair(
    c: &mut Conn,
    type_id: i64,
    reporter: AccountId,
    unit: (Option<i64>, &str),
    v: &Report,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO repairs (type_id, reporter_id, unit_id, unit_name, phone, ext, location, floor, fault, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(type_id)
    .bind(reporter.0)
    .bind(unit.0)
    .bind(unit.1)
    .bind(&v.phone)
    .bind(&v.ext)
    .bind(&v.location)
    .bind(&v.floor)
    .bind(&v.fault)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

pub async fn add_photo(c: &mut Conn, repair: i64, position: i64, file: FileId) -> Result<()> {
    sqlx::query("INSERT INTO repair_photos (repair_id, position, file_id) VALUES ($1, $2, $3)")
        .bind(repair)
        .bind(position)
        .bind(file.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// A report's photos, in order.
pub async fn photos(c: &mut Conn, repair: i64) -> Result<Vec<FileId>> {
    let rows =
        sqlx::query("SELECT file_id FROM repair_photos WHERE repair_id = $1 ORDER BY position")
            .bind(repair)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    rows.iter().map(|r| Ok(FileId(r.i64("file_id")?))).collect()
}

pub async fn repair(c: &mut Conn, id: i64) -> Result<Option<RepairRow>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE r.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| repair_row(&r))
        .transpose()
}

/// One step of a report (處理狀況回覆).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// 'reply', 'return' or 'rating'.
    pub kind: String,
    pub by_name: Option<String>,
    pub text: String,
    pub category: String,
    pub rating: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A report's steps, oldest first.
pub async fn steps(c: &mut Conn, repair: i64) -> Result<Vec<Step>> {
    let rows = sqlx::query(
        "SELECT s.kind, a.name AS by_name, s.text, s.category, s.rating, s.at FROM repair_steps s \
         LEFT JOIN accounts a ON a.id = s.by_id WHERE s.repair_id = $1 ORDER BY s.at, s.id",
    )
    .bind(repair)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(step_row).collect()
}

fn step_row(r: &AnyRow) -> Result<Step> {
    Ok(Step {
        kind: r.text("kind")?,
        by_name: r.opt_text("by_name")?,
        text: r.text("text")?,
        category: r.text("category")?,
        rating: r.opt_i64("rating")?,
        at: at(r.i64("at")?),
    })
}

/// A step as written: who, what they said, and the category or score.
struct NewStep<'a> {
    kind: &'a str,
    by: AccountId,
    text: &'a str,
    category: &'a str,
    rating: Option<i64>,
}

fn moved_meanwhile() -> Error {
    Error::Conflict {
        field: "state",
        message: Msg::new(
            "這件報修的處理狀況剛有變動，請重新整理後再看",
            "The report changed meanwhile; reload it and look again",
        ),
    }
}

/// Moves a report from `from` to `to` if it is still at `from`, with its
/// step: the conditional write that lets one of two at once win. `set`
/// names more columns, bound as $5 and $6 for a rating.
async fn step(
    c: &mut Conn,
    repair: i64,
    (from, to): (RepairState, RepairState),
    set: &str,
    s: &NewStep<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    let sql =
        format!("UPDATE repairs SET state = $1, updated_at = $2{set} WHERE id = $3 AND state = $4");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(ms(now))
        .bind(repair)
        .bind(from.as_str());
    if s.kind == "rating" {
        q = q.bind(s.rating).bind(s.text);
    }
    let r = q.execute(&mut *c).await.map_err(db_err)?;
    if r.rows_affected() != 1 {
        return Err(moved_meanwhile());
    }
    sqlx::query(
        "INSERT INTO repair_steps (repair_id, kind, by_id, text, category, rating, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(repair)
    .bind(s.kind)
    .bind(s.by.0)
    .bind(s.text)
    .bind(s.category)
    .bind(s.rating)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The staff's reply (處理狀況回報): 待處理 → 已處理.
pub async fn reply(
    c: &mut Conn,
    repair: i64,
    by: AccountId,
    result: &str,
    category: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let s = NewStep {
        kind: "reply",
        by,
        text: result,
        category,
        rating: None,
    };
    step(
        c,
        repair,
        (RepairState::Pending, RepairState::Done),
        "",
        &s,
        now,
    )
    .await
}

/// The reporter's rating (評分): 已處理 → 已評分.
pub async fn rate(
    c: &mut Conn,
    repair: i64,
    by: AccountId,
    score: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let s = NewStep {
        kind: "rating",
        by,
        text: note,
        category: "",
        rating: Some(score),
    };
    let set = ", rating = $5, rating_note = $6";
    step(
        c,
        repair,
        (RepairState::Done, RepairState::Rated),
        set,
        &s,
        now,
    )
    .await
}

/// The reporter's return (退回): 已處理 → 待處理, counted.
pub async fn return_repair(
    c: &mut Conn,
    repair: i64,
    by: AccountId,
    reason: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let s = NewStep {
        kind: "return",
        by,
        text: reason,
        category: "",
        rating: None,
    };
    let set = ", returns = returns + 1";
    step(
        c,
        repair,
        (RepairState::Done, RepairState::Pending),
        set,
        &s,
        now,
    )
    .await
}

/// Which reports a list holds.
#[derive(Debug, Clone, Default)]
pub struct RepairFilter<'a> {
    pub type_id: Option<i64>,
    pub reporter: Option<AccountId>,
    /// Of the types this person is repair staff of.
    pub staffed_by: Option<AccountId>,
    pub states: &'a [RepairState],
    /// Reported at or after, and before.
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// A fault, place or reporter, in part.
    pub q: Option<&'a str>,
}

fn filter(b: &mut SqlBuf, f: &RepairFilter<'_>) {
    b.push(" WHERE 1 = 1");
    if let Some(t) = f.type_id {
        b.push(" AND r.type_id = ").i(t);
    }
    if let Some(a) = f.reporter {
        b.push(" AND r.reporter_id = ").i(a.0);
    }
    if let Some(a) = f.staffed_by {
        b.push(" AND t.removed_at IS NULL AND EXISTS (SELECT 1 FROM repair_staff s WHERE s.type_id = r.type_id AND s.account_id = ")
            .i(a.0)
            .push(")");
    }
    if !f.states.is_empty() {
        b.push(" AND r.state IN (");
        for (i, s) in f.states.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.t(s.as_str());
        }
        b.push(")");
    }
    if let Some(a) = f.from {
        b.push(" AND r.created_at >= ").i(ms(a));
    }
    if let Some(z) = f.until {
        b.push(" AND r.created_at < ").i(ms(z));
    }
    if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.replace(['%', '_'], ""));
        b.push(" AND (r.fault LIKE ")
            .t(like.clone())
            .push(" OR r.location LIKE ")
            .t(like.clone())
            .push(" OR a.name LIKE ")
            .t(like)
            .push(")");
    }
}

/// Reports, newest first, a page at a time (`per_page` 0: all).
pub async fn repairs(
    c: &mut Conn,
    f: &RepairFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<RepairRow>> {
    let mut n = SqlBuf::new(&format!("SELECT COUNT(*) AS n{FROM}"));
    filter(&mut n, f);
    let total = n
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut b = SqlBuf::new(&format!("SELECT {COLS}{FROM}"));
    filter(&mut b, f);
    b.push(" ORDER BY r.created_at DESC, r.id DESC");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(repair_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// The last reply of each report a filter holds (for 處理狀況詳細).
pub async fn last_replies(c: &mut Conn, f: &RepairFilter<'_>) -> Result<HashMap<i64, Step>> {
    let mut b = SqlBuf::new(
        "SELECT s.repair_id, s.kind, p.name AS by_name, s.text, s.category, s.rating, s.at \
         FROM repair_steps s JOIN repairs r ON r.id = s.repair_id JOIN repair_types t ON t.id = r.type_id \
         JOIN accounts a ON a.id = r.reporter_id LEFT JOIN accounts p ON p.id = s.by_id",
    );
    filter(&mut b, f);
    b.push(" AND s.kind = 'reply' ORDER BY s.at, s.id");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut out = HashMap::new();
    for r in &rows {
        out.insert(r.i64("repair_id")?, step_row(r)?);
    }
    Ok(out)
}

/// What the statistics count of one report.
#[derive(Debug, Clone)]
pub struct StatRow {
    pub created_at: OffsetDateTime,
    pub state: RepairState,
    pub unit_name: String,
    pub returns: i64,
    pub rating: Option<i64>,
}

/// The reports a filter holds, as the statistics count them.
pub async fn stat_rows(c: &mut Conn, f: &RepairFilter<'_>) -> Result<Vec<StatRow>> {
    let mut b = SqlBuf::new(&format!(
        "SELECT r.created_at, r.state, r.unit_name, r.returns, r.rating{FROM}"
    ));
    filter(&mut b, f);
    b.push(" ORDER BY r.created_at");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(StatRow {
                created_at: at(r.i64("created_at")?),
                state: RepairState::parse(&r.text("state")?)
                    .ok_or_else(|| Error::internal("bad repair state"))?,
                unit_name: r.text("unit_name")?,
                returns: r.i64("returns")?,
                rating: r.opt_i64("rating")?,
            })
        })
        .collect()
}
