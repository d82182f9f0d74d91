//! Official cars (公務車清單管理) and their drivers (派遣司機清單管理): the
//! rows, the drivers a car may go with, and what every item kind shares —
//! removal and the locations pickers offer.
use super::{Custodian, agencies_of, borrowable_by, custodians, kept_by, set_agencies};
use crate::{Conn, Page, Result, RowExt, SqlBuf, db_err, ms};
use portico_core::booking::{Borrowers, Car, Driver, Kind, Opening};
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::{ItemMaker, Keeper};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// A driver as a car's page lists them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DriverBrief {
    pub id: i64,
    pub name: String,
    pub licence: String,
    pub phone: String,
}

/// A car as stored, with its agency, custodians and drivers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CarRow {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub location: String,
    pub car_type: String,
    pub plate: String,
    pub passengers: i64,
    pub brand: String,
    pub year: i64,
    pub displacement: i64,
    pub number: String,
    pub opening: Opening,
    pub note: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub custodians: Vec<Custodian>,
    pub drivers: Vec<DriverBrief>,
}

impl CarRow {
    /// 車型 車號, as lists name it.
    pub fn name(&self) -> String {
        format!("{} {}", self.car_type, self.plate)
    }
}

/// A driver as stored, with their managers (管理人).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DriverRow {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub location: String,
    pub name: String,
    pub licence: String,
    pub phone: String,
    pub note: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub custodians: Vec<Custodian>,
}

const CAR_COLS: &str = "v.id, v.agency_id, g.name AS agency_name, g.path AS agency_path, v.location, v.car_type, \
     v.plate, v.passengers, v.brand, v.year, v.displacement, v.number, v.open_from, v.open_until, v.open_days, \
     v.note, v.public, v.borrowers";
const CAR_FROM: &str = " FROM cars v JOIN org_units g ON g.id = v.agency_id";
const DRIVER_COLS: &str = "v.id, v.agency_id, g.name AS agency_name, g.path AS agency_path, v.location, v.name, \
     v.licence, v.phone, v.note, v.public, v.borrowers";
const DRIVER_FROM: &str = " FROM drivers v JOIN org_units g ON g.id = v.agency_id";

fn car_row(r: &AnyRow) -> Result<CarRow> {
    let hour = |c: &str| -> Result<u8> { Ok(r.i64(c)?.clamp(0, 24) as u8) };
    Ok(CarRow {
        id: r.i64("id")?,
        agency_id: r.i64("agency_id")?,
        agency_name: r.text("agency_name")?,
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        location: r.text("location")?,
        car_type: r.text("car_type")?,
        plate: r.text("plate")?,
        passengers: r.i64("passengers")?,
        brand: r.text("brand")?,
        year: r.i64("year")?,
        displacement: r.i64("displacement")?,
        number: r.text("number")?,
        opening: Opening {
            from: hour("open_from")?,
            until: hour("open_until")?,
            days: r.i64("open_days")?.clamp(0, 127) as u8,
        },
        note: r.text("note")?,
        public: r.flag("public")?,
        borrowers: Borrowers::parse(&r.text("borrowers")?).unwrap_or(Borrowers::Agency),
        agencies: Vec::new(),
        custodians: Vec::new(),
        drivers: Vec::new(),
    })
}

fn driver_row(r: &AnyRow) -> Result<DriverRow> {
    Ok(DriverRow {
        id: r.i64("id")?,
        agency_id: r.i64("agency_id")?,
        agency_name: r.text("agency_name")?,
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        location: r.text("location")?,
        name: r.text("name")?,
        licence: r.text("licence")?,
        phone: r.text("phone")?,
        note: r.text("note")?,
        public: r.flag("public")?,
        borrowers: Borrowers::parse(&r.text("borrowers")?).unwrap_or(Borrowers::Agency),
        agencies: Vec::new(),
        custodians: Vec::new(),
    })
}

pub(super) async fn first_custodian(
    c: &mut Conn,
    kind: Kind,
    id: i64,
    who: AccountId,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO item_custodians (kind, item_id, position, account_id) VALUES ($1, $2, 1, $3)",
    )
    .bind(kind.as_str())
    .bind(id)
    .bind(who.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn plate_taken() -> portico_core::Error {
    portico_core::Error::Conflict {
        field: "plate",
        message: portico_core::Msg::new(
            "已有相同車號的公務車，請確認車號",
            "A car with this plate is listed already; check the plate",
        ),
    }
}

/// Makes a car, with its first custodian and its drivers.
pub async fn insert_car(
    c: &mut Conn,
    who: &ItemMaker,
    v: &Car,
    custodian: AccountId,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO cars (agency_id, location, car_type, plate, passengers, brand, year, displacement, number, \
         open_from, open_until, open_days, note, public, borrowers, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.car_type)
    .bind(&v.plate)
    .bind(v.passengers)
    .bind(&v.brand)
    .bind(v.year)
    .bind(v.displacement)
    .bind(&v.number)
    .bind(i64::from(v.opening.from))
    .bind(i64::from(v.opening.until))
    .bind(i64::from(v.opening.days))
    .bind(&v.note)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(|e| match crate::db_err(e) {
        portico_core::Error::Conflict { .. } => plate_taken(),
        other => other,
    })?;
    let id = r.i64("id")?;
    set_agencies(c, Kind::Car, id, &v.agencies).await?;
    set_car_drivers(c, id, &v.drivers).await?;
    first_custodian(c, Kind::Car, id, custodian).await?;
    Ok(id)
}

/// Changes a car's details and drivers (not its custodians).
pub async fn update_car(c: &mut Conn, k: &Keeper, v: &Car, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE cars SET agency_id = $1, location = $2, car_type = $3, plate = $4, passengers = $5, brand = $6, \
         year = $7, displacement = $8, number = $9, open_from = $10, open_until = $11, open_days = $12, note = $13, \
         public = $14, borrowers = $15, updated_at = $16 WHERE id = $17 AND removed_at IS NULL",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.car_type)
    .bind(&v.plate)
    .bind(v.passengers)
    .bind(&v.brand)
    .bind(v.year)
    .bind(v.displacement)
    .bind(&v.number)
    .bind(i64::from(v.opening.from))
    .bind(i64::from(v.opening.until))
    .bind(i64::from(v.opening.days))
    .bind(&v.note)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(ms(now))
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(|e| match crate::db_err(e) {
        portico_core::Error::Conflict { .. } => plate_taken(),
        other => other,
    })?;
    set_agencies(c, Kind::Car, k.id(), &v.agencies).await?;
    set_car_drivers(c, k.id(), &v.drivers).await
}

async fn set_car_drivers(c: &mut Conn, car: i64, drivers: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM car_drivers WHERE car_id = $1")
        .bind(car)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    for d in drivers {
        sqlx::query(
            "INSERT INTO car_drivers (car_id, driver_id) SELECT $1, id FROM drivers WHERE id = $2 AND removed_at IS NULL",
        )
        .bind(car)
        .bind(*d)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

/// The drivers a car may go with, by name.
pub async fn car_drivers(c: &mut Conn, car: i64) -> Result<Vec<DriverBrief>> {
    let rows = sqlx::query(
        "SELECT d.id, d.name, d.licence, d.phone FROM car_drivers x JOIN drivers d ON d.id = x.driver_id \
         WHERE x.car_id = $1 AND d.removed_at IS NULL ORDER BY d.name, d.id",
    )
    .bind(car)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(DriverBrief {
                id: r.i64("id")?,
                name: r.text("name")?,
                licence: r.text("licence")?,
                phone: r.text("phone")?,
            })
        })
        .collect()
}

/// Removes an item of any kind from the lists (its records stay).
pub async fn remove_item(c: &mut Conn, k: &Keeper, now: OffsetDateTime) -> Result<bool> {
    let sql = match k.kind() {
        Kind::Venue => "UPDATE venues SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
        Kind::Car => "UPDATE cars SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
        Kind::Driver => "UPDATE drivers SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
        Kind::Repair => {
            "UPDATE repair_types SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL"
        }
    };
    let r = sqlx::query(sql)
        .bind(ms(now))
        .bind(k.id())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Where the listed items of a kind are (所在地), for the pickers.
pub async fn locations(c: &mut Conn, kind: Kind) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT location FROM items WHERE kind = $1 AND removed_at IS NULL ORDER BY location",
    )
    .bind(kind.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.text("location")).collect()
}

/// A car still listed.
pub async fn car(c: &mut Conn, id: i64) -> Result<Option<CarRow>> {
    let sql = format!("SELECT {CAR_COLS}{CAR_FROM} WHERE v.id = $1 AND v.removed_at IS NULL");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    match row {
        Some(r) => {
            let mut v = car_row(&r)?;
            fill_car(c, &mut v).await?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

async fn fill_car(c: &mut Conn, v: &mut CarRow) -> Result<()> {
    v.agencies = agencies_of(c, Kind::Car, v.id).await?;
    v.custodians = custodians(c, Kind::Car, v.id).await?;
    v.drivers = car_drivers(c, v.id).await?;
    Ok(())
}

/// Which cars or drivers a list holds.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter<'a> {
    /// Those a person keeps, and those of agencies under these roots
    /// (`None`: every one, for a system admin).
    pub kept_by: Option<(AccountId, &'a [TreePath])>,
    /// Those a person of this agency may borrow.
    pub borrowable_by: Option<i64>,
    pub location: Option<&'a str>,
    /// A car's type (車型).
    pub car_type: Option<&'a str>,
    /// A name, plate, type or agency name, in part.
    pub q: Option<&'a str>,
}

pub(super) fn item_filter(b: &mut SqlBuf, kind: Kind, f: &ItemFilter<'_>) {
    b.push(" WHERE v.removed_at IS NULL");
    if let Some((me, roots)) = f.kept_by {
        kept_by(b, kind, "v", me, roots);
    }
    if let Some(a) = f.borrowable_by {
        borrowable_by(b, kind, "v", a);
    }
    if let Some(l) = f.location.filter(|l| !l.is_empty()) {
        b.push(" AND v.location = ").t(l);
    }
    if let Some(t) = f.car_type.filter(|t| !t.is_empty()) {
        b.push(" AND v.car_type = ").t(t);
    }
    if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.replace(['%', '_'], ""));
        let own = match kind {
            Kind::Car => "(v.plate LIKE ",
            _ => "(v.name LIKE ",
        };
        b.push(" AND ").push(own).t(like.clone());
        if kind == Kind::Car {
            b.push(" OR v.car_type LIKE ").t(like.clone());
        }
        b.push(" OR g.name LIKE ").t(like).push(")");
    }
}

pub(super) async fn count(c: &mut Conn, from: &str, kind: Kind, f: &ItemFilter<'_>) -> Result<i64> {
    let mut n = SqlBuf::new(&format!("SELECT COUNT(*) AS n{from}"));
    item_filter(&mut n, kind, f);
    n.query().fetch_one(&mut *c).await.map_err(db_err)?.i64("n")
}

/// Cars, by location, type and plate, a page at a time (`per_page` 0: all).
pub async fn cars(
    c: &mut Conn,
    f: &ItemFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<CarRow>> {
    let total = count(c, CAR_FROM, Kind::Car, f).await?;
    let mut b = SqlBuf::new(&format!("SELECT {CAR_COLS}{CAR_FROM}"));
    item_filter(&mut b, Kind::Car, f);
    b.push(" ORDER BY v.location, v.car_type, v.plate, v.id");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut v = car_row(r)?;
        fill_car(c, &mut v).await?;
        items.push(v);
    }
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}

/// Makes a driver, with their first manager.
pub async fn insert_driver(
    c: &mut Conn,
    who: &ItemMaker,
    v: &Driver,
    manager: AccountId,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO drivers (agency_id, location, name, licence, phone, note, public, borrowers, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.name)
    .bind(&v.licence)
    .bind(&v.phone)
    .bind(&v.note)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    let id = r.i64("id")?;
    set_agencies(c, Kind::Driver, id, &v.agencies).await?;
    first_custodian(c, Kind::Driver, id, manager).await?;
    Ok(id)
}

/// Changes a driver's details (not their managers).
pub async fn update_driver(
    c: &mut Conn,
    k: &Keeper,
    v: &Driver,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "UPDATE drivers SET agency_id = $1, location = $2, name = $3, licence = $4, phone = $5, note = $6, \
         public = $7, borrowers = $8, updated_at = $9 WHERE id = $10 AND removed_at IS NULL",
    )
    .bind(v.agency_id)
    .bind(&v.location)
    .bind(&v.name)
    .bind(&v.licence)
    .bind(&v.phone)
    .bind(&v.note)
    .bind(i64::from(v.public))
    .bind(v.borrowers.as_str())
    .bind(ms(now))
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    set_agencies(c, Kind::Driver, k.id(), &v.agencies).await
}

/// A driver still listed.
pub async fn driver(c: &mut Conn, id: i64) -> Result<Option<DriverRow>> {
    let sql = format!("SELECT {DRIVER_COLS}{DRIVER_FROM} WHERE v.id = $1 AND v.removed_at IS NULL");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    match row {
        Some(r) => {
            let mut v = driver_row(&r)?;
            v.agencies = agencies_of(c, Kind::Driver, v.id).await?;
            v.custodians = custodians(c, Kind::Driver, v.id).await?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// Drivers, by location and name, a page at a time (`per_page` 0: all).
pub async fn drivers(
    c: &mut Conn,
    f: &ItemFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<DriverRow>> {
    let total = count(c, DRIVER_FROM, Kind::Driver, f).await?;
    let mut b = SqlBuf::new(&format!("SELECT {DRIVER_COLS}{DRIVER_FROM}"));
    item_filter(&mut b, Kind::Driver, f);
    b.push(" ORDER BY v.location, v.name, v.id");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut v = driver_row(r)?;
        v.agencies = agencies_of(c, Kind::Driver, v.id).await?;
        v.custodians = custodians(c, Kind::Driver, v.id).await?;
        items.push(v);
    }
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}
