//! Office services' items and bookings (issue 16): venues with their
//! custodians and the custodians' change log, booking requests, and the
//! slot rows an approval takes — one per hour, under a primary key, so two
//! approvals of overlapping hours cannot both commit (PostgreSQL holds the
//! same with exclusion constraints besides).
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::booking::{Borrowers, Kind, Opening, Venue};
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::{ItemMaker, Keeper};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

mod cars;
mod feeds;
mod photos;
mod repair_types;
mod requests;
pub use cars::*;
pub use feeds::*;
pub use photos::*;
pub use repair_types::*;
pub use requests::*;

/// A custodian in their place (1 or 2).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Custodian {
    pub position: i64,
    pub account_id: AccountId,
    pub login: String,
    pub name: String,
    pub state: String,
    pub official_email: String,
}

/// A venue as stored, with its agency, the agencies it lends to and its
/// custodians.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VenueRow {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub location: String,
    pub floor: String,
    pub name: String,
    pub capacity: i64,
    pub opening: Opening,
    pub phone: String,
    pub description: String,
    pub rules: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub custodians: Vec<Custodian>,
}

impl VenueRow {
    pub fn custodian_ids(&self) -> Vec<AccountId> {
        self.custodians.iter().map(|c| c.account_id).collect()
    }
}

const VENUE_COLS: &str = "v.id, v.agency_id, g.name AS agency_name, g.path AS agency_path, v.location, v.floor, \
     v.name, v.capacity, v.open_from, v.open_until, v.open_days, v.phone, v.description, v.rules, v.public, v.borrowers";
const VENUE_FROM: &str = " FROM venues v JOIN org_units g ON g.id = v.agency_id";

fn venue_row(r: &AnyRow) -> Result<VenueRow> {
    let hour = |c: &str| -> Result<u8> { Ok(r.i64(c)?.clamp(0, 24) as u8) };
    Ok(VenueRow {
        id: r.i64("id")?,
        agency_id: r.i64("agency_id")?,
        agency_name: r.text("agency_name")?,
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        location: r.text("location")?,
        floor: r.text("floor")?,
        name: r.text("name")?,
        capacity: r.i64("capacity")?,
        opening: Opening {
            from: hour("open_from")?,
            until: hour("open_until")?,
            days: r.i64("open_days")?.clamp(0, 127) as u8,
        },
        phone: r.text("phone")?,
        description: r.text("description")?,
        rules: r.text("rules")?,
        public: r.flag("public")?,
        borrowers: Borrowers::parse(&r.text("borrowers")?).unwrap_or(Borrowers::Agency),
        agencies: Vec::new(),
        custodians: Vec::new(),
    })
}

async fn fill(c: &mut Conn, v: &mut VenueRow) -> Result<()> {
    v.agencies = agencies_of(c, Kind::Venue, v.id).await?;
    v.custodians = custodians(c, Kind::Venue, v.id).await?;
    Ok(())
}

/// Makes a venue, with its first custodian.
pub async fn insert_venue(
    c: &mut Conn,
    who: &ItemMaker,
    v: &Venue,
    custodian: AccountId,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO venues (agency_id, location, floor, name, capacity, open_from, open_until, open_days, \
         phone, description, rules, public, borrowers, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.floor)
    .bind(&v.name)
    .bind(v.capacity)
    .bind(i64::from(v.opening.from))
    .bind(i64::from(v.opening.until))
    .bind(i64::from(v.opening.days))
    .bind(&v.phone)
    .bind(&v.description)
    .bind(&v.rules)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    let id = r.i64("id")?;
    set_agencies(c, Kind::Venue, id, &v.agencies).await?;
    sqlx::query(
        "INSERT INTO item_custodians (kind, item_id, position, account_id) VALUES ('venue', $1, 1, $2)",
    )
    .bind(id)
    .bind(custodian.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(id)
}

/// Changes a venue's details (not its custodians).
pub async fn update_venue(c: &mut Conn, k: &Keeper, v: &Venue, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE venues SET agency_id = $1, location = $2, floor = $3, name = $4, capacity = $5, open_from = $6, \
         open_until = $7, open_days = $8, phone = $9, description = $10, rules = $11, public = $12, borrowers = $13, \
         updated_at = $14 WHERE id = $15 AND removed_at IS NULL",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.floor)
    .bind(&v.name)
    .bind(v.capacity)
    .bind(i64::from(v.opening.from))
    .bind(i64::from(v.opening.until))
    .bind(i64::from(v.opening.days))
    .bind(&v.phone)
    .bind(&v.description)
    .bind(&v.rules)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(ms(now))
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    set_agencies(c, Kind::Venue, k.id(), &v.agencies).await
}

/// The agencies an item lends to besides its own (指定機關), each an
/// agency of the tree: an id that names none is the form's fault, told on
/// its field.
async fn set_agencies(c: &mut Conn, kind: Kind, id: i64, agencies: &[i64]) -> Result<()> {
    for a in agencies {
        let found = sqlx::query("SELECT 1 AS one FROM org_units WHERE id = $1 AND kind = 'agency'")
            .bind(*a)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(Error::invalid(
                "agencies",
                Msg::owned(
                    format!("指定機關中有不存在的機關（編號 {a}），請重新選擇"),
                    format!("No agency has the number {a}; choose the agencies again"),
                ),
            ));
        }
    }
    sqlx::query("DELETE FROM item_agencies WHERE kind = $1 AND item_id = $2")
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    for a in agencies {
        sqlx::query("INSERT INTO item_agencies (kind, item_id, agency_id) VALUES ($1, $2, $3)")
            .bind(kind.as_str())
            .bind(id)
            .bind(*a)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

async fn agencies_of(c: &mut Conn, kind: Kind, id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT agency_id FROM item_agencies WHERE kind = $1 AND item_id = $2 ORDER BY agency_id",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.i64("agency_id")).collect()
}

/// A venue still listed.
pub async fn venue(c: &mut Conn, id: i64) -> Result<Option<VenueRow>> {
    let sql = format!("SELECT {VENUE_COLS}{VENUE_FROM} WHERE v.id = $1 AND v.removed_at IS NULL");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    match row {
        Some(r) => {
            let mut v = venue_row(&r)?;
            fill(c, &mut v).await?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// Only the items of `alias` (joined to its agency as `g`) a person
/// keeps, or of agencies under `roots`.
pub(crate) fn kept_by(b: &mut SqlBuf, kind: Kind, alias: &str, me: AccountId, roots: &[TreePath]) {
    b.push(" AND (EXISTS (SELECT 1 FROM item_custodians k WHERE k.kind = ")
        .t(kind.as_str())
        .push(&format!(" AND k.item_id = {alias}.id AND k.account_id = "))
        .i(me.0)
        .push(")");
    if !roots.is_empty() {
        b.push(" OR (1 = 1");
        b.in_subtrees("g.path", roots);
        b.push(")");
    }
    b.push(")");
}

/// Only the items of `alias` a person of agency `a` may borrow: public
/// ones (是否公開; a repair type has no such flag) lent to their agency.
pub(crate) fn borrowable_by(b: &mut SqlBuf, kind: Kind, alias: &str, a: i64) {
    if kind != Kind::Repair {
        b.push(&format!(" AND {alias}.public = 1"));
    }
    b.push(&format!(" AND ({alias}.borrowers = 'city' OR {alias}.agency_id = "))
        .i(a)
        .push(&format!(
            " OR ({alias}.borrowers = 'agency_and' AND EXISTS (SELECT 1 FROM item_agencies x WHERE x.kind = "
        ))
        .t(kind.as_str())
        .push(&format!(" AND x.item_id = {alias}.id AND x.agency_id = "))
        .i(a)
        .push(")))");
}

/// Which venues a list holds.
#[derive(Debug, Clone, Default)]
pub struct VenueFilter<'a> {
    /// Those a person keeps, and those of agencies under these roots
    /// (`None`: every venue, for a system admin).
    pub kept_by: Option<(AccountId, &'a [TreePath])>,
    /// Those a person of this agency may borrow.
    pub borrowable_by: Option<i64>,
    pub location: Option<&'a str>,
    /// A name or agency name, in part (以場地名稱、場地所屬機關查詢).
    pub q: Option<&'a str>,
}

/// Venues, by location and name, a page at a time (`per_page` 0: all).
pub async fn venues(
    c: &mut Conn,
    f: &VenueFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<VenueRow>> {
    let filter = |b: &mut SqlBuf| {
        b.push(" WHERE v.removed_at IS NULL");
        if let Some((me, roots)) = f.kept_by {
            kept_by(b, Kind::Venue, "v", me, roots);
        }
        if let Some(a) = f.borrowable_by {
            borrowable_by(b, Kind::Venue, "v", a);
        }
        if let Some(l) = f.location.filter(|l| !l.is_empty()) {
            b.push(" AND v.location = ").t(l);
        }
        if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
            let like = format!("%{}%", q.replace(['%', '_'], ""));
            b.push(" AND (v.name LIKE ")
                .t(like.clone())
                .push(" OR g.name LIKE ")
                .t(like)
                .push(")");
        }
    };
    let mut n = SqlBuf::new(&format!("SELECT COUNT(*) AS n{VENUE_FROM}"));
    filter(&mut n);
    let total = n
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut b = SqlBuf::new(&format!("SELECT {VENUE_COLS}{VENUE_FROM}"));
    filter(&mut b);
    b.push(" ORDER BY v.location, v.floor, v.name, v.id");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut v = venue_row(r)?;
        fill(c, &mut v).await?;
        items.push(v);
    }
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}

/// The items a person keeps with no other active custodian beside them,
/// in words (所在地 …): what waits for a new custodian before the person
/// may be disabled.
pub async fn kept_alone_by(c: &mut Conn, account: AccountId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT i.label FROM item_custodians k JOIN items i ON i.kind = k.kind AND i.id = k.item_id \
         WHERE k.account_id = $1 AND i.removed_at IS NULL AND NOT EXISTS ( \
           SELECT 1 FROM item_custodians o JOIN accounts a ON a.id = o.account_id \
           WHERE o.kind = k.kind AND o.item_id = k.item_id AND o.account_id <> $1 AND a.state = 'active') \
         ORDER BY i.kind, i.label",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.text("label")).collect()
}

/// What every kind of item shares: enough to check who keeps it and to
/// name it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemHead {
    pub kind: Kind,
    pub id: i64,
    pub name: String,
    pub label: String,
    pub agency_id: i64,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub custodians: Vec<Custodian>,
}

impl ItemHead {
    pub fn custodian_ids(&self) -> Vec<AccountId> {
        self.custodians.iter().map(|c| c.account_id).collect()
    }
}

/// An item still listed, of any kind.
pub async fn item(c: &mut Conn, kind: Kind, id: i64) -> Result<Option<ItemHead>> {
    let r = sqlx::query(
        "SELECT i.name, i.label, i.agency_id, g.path FROM items i JOIN org_units g ON g.id = i.agency_id \
         WHERE i.kind = $1 AND i.id = $2 AND i.removed_at IS NULL",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = r else {
        return Ok(None);
    };
    Ok(Some(ItemHead {
        kind,
        id,
        name: r.text("name")?,
        label: r.text("label")?,
        agency_id: r.i64("agency_id")?,
        agency_path: TreePath::from_stored(r.text("path")?),
        custodians: custodians(c, kind, id).await?,
    }))
}

/// An item's custodians, in place order.
pub async fn custodians(c: &mut Conn, kind: Kind, id: i64) -> Result<Vec<Custodian>> {
    let rows = sqlx::query(
        "SELECT k.position, a.id, a.login, a.name, a.state, a.official_email FROM item_custodians k \
         JOIN accounts a ON a.id = k.account_id WHERE k.kind = $1 AND k.item_id = $2 ORDER BY k.position",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Custodian {
                position: r.i64("position")?,
                account_id: AccountId(r.i64("id")?),
                login: r.text("login")?,
                name: r.text("name")?,
                state: r.text("state")?,
                official_email: r.text("official_email")?,
            })
        })
        .collect()
}

/// Puts a person in a custodian's place (or empties place 2), recording
/// the change. Place 1 is never emptied.
#[allow(clippy::too_many_arguments)]
pub async fn set_custodian(
    c: &mut Conn,
    k: &Keeper,
    position: i64,
    to: Option<AccountId>,
    reason: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let kind = k.kind().as_str();
    let before = sqlx::query(
        "SELECT account_id FROM item_custodians WHERE kind = $1 AND item_id = $2 AND position = $3",
    )
    .bind(kind)
    .bind(k.id())
    .bind(position)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .map(|r| r.i64("account_id"))
    .transpose()?;
    if before == to.map(|a| a.0) {
        return Err(Error::invalid(
            "to",
            Msg::new(
                "此人已是這個位置的保管人",
                "That person already holds this place",
            ),
        ));
    }
    sqlx::query("DELETE FROM item_custodians WHERE kind = $1 AND item_id = $2 AND position = $3")
        .bind(kind)
        .bind(k.id())
        .bind(position)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if let Some(to) = to {
        sqlx::query(
            "INSERT INTO item_custodians (kind, item_id, position, account_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind)
        .bind(k.id())
        .bind(position)
        .bind(to.0)
        .execute(&mut *c)
        .await
        .map_err(crate::unique_on(
            "to",
            Msg::new("此人已是這個位置的保管人", "That person already holds this place"),
        ))?;
    }
    sqlx::query(
        "INSERT INTO custodian_changes (kind, item_id, position, from_id, to_id, reason, by_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(kind)
    .bind(k.id())
    .bind(position)
    .bind(before)
    .bind(to.map(|a| a.0))
    .bind(reason)
    .bind(k.by().map(|a| a.0))
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// One custodian change (保管人異動紀錄).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CustodianChange {
    pub position: i64,
    pub from_name: Option<String>,
    pub to_name: Option<String>,
    pub reason: String,
    pub by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An item's custodian changes between two instants, newest first.
pub async fn custodian_changes(
    c: &mut Conn,
    kind: Kind,
    id: i64,
    between: (Option<OffsetDateTime>, Option<OffsetDateTime>),
) -> Result<Vec<CustodianChange>> {
    let mut b = SqlBuf::new(
        "SELECT x.position, f.name AS from_name, t.name AS to_name, x.reason, b.name AS by_name, x.at \
         FROM custodian_changes x LEFT JOIN accounts f ON f.id = x.from_id LEFT JOIN accounts t ON t.id = x.to_id \
         LEFT JOIN accounts b ON b.id = x.by_id WHERE x.kind = ",
    );
    b.t(kind.as_str()).push(" AND x.item_id = ").i(id);
    if let Some(a) = between.0 {
        b.push(" AND x.at >= ").i(ms(a));
    }
    if let Some(z) = between.1 {
        b.push(" AND x.at < ").i(ms(z));
    }
    b.push(" ORDER BY x.at DESC, x.id DESC LIMIT 1000");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(CustodianChange {
                position: r.i64("position")?,
                from_name: r.opt_text("from_name")?,
                to_name: r.opt_text("to_name")?,
                reason: r.text("reason")?,
                by_name: r.opt_text("by_name")?,
                at: at(r.i64("at")?),
            })
        })
        .collect()
}
