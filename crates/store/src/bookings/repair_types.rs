//! Repair types (報修類型管理): the rows, their places and floors, their
//! categories and their repair staff. Custodians, the agencies listed for
//! 允許報修機關 and removal are every item kind's (kind 'repair').
use super::{
    Custodian, ItemFilter, agencies_of, count, custodians, first_custodian, item_filter,
    set_agencies,
};
use crate::{Conn, Page, Result, RowExt, SqlBuf, db_err, ms};
use portico_core::booking::{Borrowers, Kind};
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::{ItemMaker, Keeper};
use portico_core::repair::{Place, RepairType};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// One of a type's repair staff (維修人員).
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffMember {
    pub account_id: AccountId,
    pub login: String,
    pub name: String,
    pub official_email: String,
    pub state: String,
}

/// A repair type as stored, with its places, categories, staff and
/// custodians.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepairTypeRow {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub name: String,
    pub description: String,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub places: Vec<Place>,
    pub categories: Vec<String>,
    pub staff: Vec<StaffMember>,
    pub custodians: Vec<Custodian>,
}

impl RepairTypeRow {
    pub fn custodian_ids(&self) -> Vec<AccountId> {
        self.custodians.iter().map(|c| c.account_id).collect()
    }
    pub fn is_staff(&self, a: AccountId) -> bool {
        self.staff.iter().any(|s| s.account_id == a)
    }
}

const COLS: &str = "v.id, v.agency_id, g.name AS agency_name, g.path AS agency_path, v.name, v.description, v.borrowers";
const FROM: &str = " FROM repair_types v JOIN org_units g ON g.id = v.agency_id";

fn type_row(r: &AnyRow) -> Result<RepairTypeRow> {
    Ok(RepairTypeRow {
        id: r.i64("id")?,
        agency_id: r.i64("agency_id")?,
        agency_name: r.text("agency_name")?,
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        name: r.text("name")?,
        description: r.text("description")?,
        borrowers: Borrowers::parse(&r.text("borrowers")?).unwrap_or(Borrowers::Agency),
        agencies: Vec::new(),
        places: Vec::new(),
        categories: Vec::new(),
        staff: Vec::new(),
        custodians: Vec::new(),
    })
}

async fn fill(c: &mut Conn, v: &mut RepairTypeRow) -> Result<()> {
    v.agencies = agencies_of(c, Kind::Repair, v.id).await?;
    v.custodians = custodians(c, Kind::Repair, v.id).await?;
    let rows = sqlx::query(
        "SELECT location, floors FROM repair_places WHERE type_id = $1 ORDER BY position",
    )
    .bind(v.id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    v.places = rows
        .iter()
        .map(|r| {
            Ok(Place {
                location: r.text("location")?,
                floors: r.text("floors")?.split(',').map(str::to_owned).collect(),
            })
        })
        .collect::<Result<_>>()?;
    let rows =
        sqlx::query("SELECT name FROM repair_categories WHERE type_id = $1 ORDER BY position")
            .bind(v.id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    v.categories = rows.iter().map(|r| r.text("name")).collect::<Result<_>>()?;
    v.staff = staff(c, v.id).await?;
    Ok(())
}

/// A type's repair staff, by name.
pub async fn staff(c: &mut Conn, type_id: i64) -> Result<Vec<StaffMember>> {
    let rows = sqlx::query(
        "SELECT a.id, a.login, a.name, a.official_email, a.state FROM repair_staff s \
         JOIN accounts a ON a.id = s.account_id WHERE s.type_id = $1 ORDER BY a.name, a.id",
    )
    .bind(type_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(StaffMember {
                account_id: AccountId(r.i64("id")?),
                login: r.text("login")?,
                name: r.text("name")?,
                official_email: r.text("official_email")?,
                state: r.text("state")?,
            })
        })
        .collect()
}

fn name_taken() -> Error {
    Error::Conflict {
        field: "name",
        message: Msg::new(
            "此機關已有相同名稱的報修類型，請改用其他名稱",
            "The agency has a repair type of that name already; choose another",
        ),
    }
}

/// The places, categories and staff, replacing what was there.
async fn set_parts(c: &mut Conn, id: i64, v: &RepairType, staff: &[AccountId]) -> Result<()> {
    set_agencies(c, Kind::Repair, id, &v.agencies).await?;
    for table in ["repair_places", "repair_categories", "repair_staff"] {
        let sql = format!("DELETE FROM {table} WHERE type_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    }
    for (i, p) in v.places.iter().enumerate() {
        sqlx::query(
            "INSERT INTO repair_places (type_id, position, location, floors) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i as i64 + 1)
        .bind(&p.location)
        .bind(p.floors.join(","))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    for (i, n) in v.categories.iter().enumerate() {
        sqlx::query("INSERT INTO repair_categories (type_id, position, name) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(i as i64 + 1)
            .bind(n)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    }
    for a in staff {
        sqlx::query("INSERT INTO repair_staff (type_id, account_id) VALUES ($1, $2)")
            .bind(id)
            .bind(a.0)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Makes a repair type, with its first custodian and its staff.
pub async fn insert_repair_type(
    c: &mut Conn,
    who: &ItemMaker,
    v: &RepairType,
    custodian: AccountId,
    staff: &[AccountId],
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO repair_types (agency_id, name, description, borrowers, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(v.agency_id)
    .bind(&v.name)
    .bind(&v.description)
    .bind(v.borrowers.as_str())
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(|e| match db_err(e) {
        Error::Conflict { .. } => name_taken(),
        other => other,
    })?;
    let id = r.i64("id")?;
    set_parts(c, id, v, staff).await?;
    first_custodian(c, Kind::Repair, id, custodian).await?;
    Ok(id)
}

/// Changes a type's details and staff (not its custodians).
pub async fn update_repair_type(
    c: &mut Conn,
    k: &Keeper,
    v: &RepairType,
    staff: &[AccountId],
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE repair_types SET agency_id = $1, name = $2, description = $3, borrowers = $4, updated_at = $5 \
         WHERE id = $6 AND removed_at IS NULL",
    )
    .bind(v.agency_id)
    .bind(&v.name)
    .bind(&v.description)
    .bind(v.borrowers.as_str())
    .bind(ms(now))
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(|e| match db_err(e) {
        Error::Conflict { .. } => name_taken(),
        other => other,
    })?;
    if r.rows_affected() != 1 {
        return Err(Error::NotFound);
    }
    set_parts(c, k.id(), v, staff).await
}

/// A repair type still listed.
pub async fn repair_type(c: &mut Conn, id: i64) -> Result<Option<RepairTypeRow>> {
    type_by_id(c, id, " AND v.removed_at IS NULL").await
}

/// A repair type, removed or not (its reports stay their reporters').
pub async fn repair_type_any(c: &mut Conn, id: i64) -> Result<Option<RepairTypeRow>> {
    type_by_id(c, id, "").await
}

async fn type_by_id(c: &mut Conn, id: i64, listed: &str) -> Result<Option<RepairTypeRow>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE v.id = $1{listed}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    match row {
        Some(r) => {
            let mut v = type_row(&r)?;
            fill(c, &mut v).await?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// Repair types, by agency and name, a page at a time (`per_page` 0: all).
pub async fn repair_types(
    c: &mut Conn,
    f: &ItemFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<RepairTypeRow>> {
    let total = count(c, FROM, Kind::Repair, f).await?;
    let mut b = SqlBuf::new(&format!("SELECT {COLS}{FROM}"));
    item_filter(&mut b, Kind::Repair, f);
    b.push(" ORDER BY g.name, v.name, v.id");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut v = type_row(r)?;
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

/// Is the person repair staff of any listed type? One indexed probe: the
/// session asks it on every request, for the menu.
pub async fn is_repair_staff(c: &mut Conn, a: AccountId) -> Result<bool> {
    let r = sqlx::query(
        "SELECT 1 AS one FROM repair_staff s JOIN repair_types t ON t.id = s.type_id \
         WHERE s.account_id = $1 AND t.removed_at IS NULL LIMIT 1",
    )
    .bind(a.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.is_some())
}
