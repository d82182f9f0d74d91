//! SQL for registered applications (應用系統); the services they apply
//! for in `services`, their daily usage in `usage`.
mod services;
mod usage;

use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::Error;
use portico_core::clients::{ServiceKind, ips_from_stored};
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::permission::SystemWrite;
pub use services::{
    NewService, Service, Tile, already_pending, approved_of, decide_service, insert_service,
    service, services_of, tiles_for,
};
use sqlx::any::AnyRow;
use std::net::IpAddr;
use time::OffsetDateTime;
pub use usage::{DayUsage, Usage, count_usage, take_sms_quota, usage_of};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Client {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub short_name: String,
    pub agency_id: OrgUnitId,
    pub agency_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub vendor: String,
    pub description: String,
    pub url: String,
    pub ips: Vec<IpAddr>,
    pub owner_id: AccountId,
    pub owner_login: String,
    pub owner_name: String,
    #[serde(skip)]
    pub secret_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub secret_set_at: Option<OffsetDateTime>,
    pub suspended: bool,
    pub suspended_note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLS: &str = "a.id, a.client_id, a.name, a.short_name, a.agency_id, g.name AS agency_name, a.contact_name, \
    a.contact_phone, a.contact_email, a.vendor, a.description, a.url, a.ips, a.owner_id, o.login AS owner_login, \
    o.name AS owner_name, a.secret_hash, a.secret_set_at, a.suspended, a.suspended_note, a.created_at";
const FROM: &str =
    "FROM apps a JOIN org_units g ON g.id = a.agency_id JOIN accounts o ON o.id = a.owner_id";

fn from_row(r: &AnyRow) -> Result<Client> {
    Ok(Client {
        id: r.i64("id")?,
        client_id: r.text("client_id")?,
        name: r.text("name")?,
        short_name: r.text("short_name")?,
        agency_id: OrgUnitId(r.i64("agency_id")?),
        agency_name: r.text("agency_name")?,
        contact_name: r.text("contact_name")?,
        contact_phone: r.text("contact_phone")?,
        contact_email: r.text("contact_email")?,
        vendor: r.text("vendor")?,
        description: r.text("description")?,
        url: r.text("url")?,
        ips: ips_from_stored(&r.text("ips")?),
        owner_id: AccountId(r.i64("owner_id")?),
        owner_login: r.text("owner_login")?,
        owner_name: r.text("owner_name")?,
        secret_hash: r.opt_text("secret_hash")?,
        secret_set_at: r.opt_i64("secret_set_at")?.map(at),
        suspended: r.flag("suspended")?,
        suspended_note: r.text("suspended_note")?,
        created_at: at(r.i64("created_at")?),
    })
}

/// The stored form of an application's fields.
pub struct ClientRow<'a> {
    pub name: &'a str,
    pub short_name: &'a str,
    pub agency_id: OrgUnitId,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub contact_email: &'a str,
    pub vendor: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    pub ips: &'a str,
}

pub async fn insert(
    c: &mut Conn,
    client_id: &str,
    a: &ClientRow<'_>,
    owner: AccountId,
    now: OffsetDateTime,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO apps (client_id, name, short_name, agency_id, contact_name, contact_phone, contact_email, vendor, \
         description, url, ips, owner_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(client_id)
    .bind(a.name)
    .bind(a.short_name)
    .bind(a.agency_id.0)
    .bind(a.contact_name)
    .bind(a.contact_phone)
    .bind(a.contact_email)
    .bind(a.vendor)
    .bind(a.description)
    .bind(a.url)
    .bind(a.ips)
    .bind(owner.0)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    row.i64("id")
}

pub async fn update(c: &mut Conn, id: i64, a: &ClientRow<'_>, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE apps SET name = $1, short_name = $2, agency_id = $3, contact_name = $4, contact_phone = $5, \
         contact_email = $6, vendor = $7, description = $8, url = $9, ips = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(a.name)
    .bind(a.short_name)
    .bind(a.agency_id.0)
    .bind(a.contact_name)
    .bind(a.contact_phone)
    .bind(a.contact_email)
    .bind(a.vendor)
    .bind(a.description)
    .bind(a.url)
    .bind(a.ips)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Client>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_client_id(c: &mut Conn, client_id: &str) -> Result<Option<Client>> {
    if client_id.is_empty() || client_id.len() > 64 {
        return Ok(None);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE a.client_id = $1"
    )))
    .bind(client_id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// Takes the application's row lock for the rest of the transaction (a
/// no-op write, as for accounts).
pub async fn lock(c: &mut Conn, id: i64) -> Result<()> {
    let r = sqlx::query("UPDATE apps SET suspended = suspended WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_secret(c: &mut Conn, id: i64, hash: &str, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE apps SET secret_hash = $1, secret_set_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(hash)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Removes the client secret (a system admin's revocation); false when
/// there was none.
pub async fn clear_secret(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE apps SET secret_hash = NULL, secret_set_at = NULL, updated_at = $1 WHERE id = $2 AND secret_hash IS NOT NULL",
    )
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_suspended(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    suspended: bool,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE apps SET suspended = $1, suspended_note = $2, updated_at = $3 WHERE id = $4 AND suspended <> $1",
    )
    .bind(i64::from(suspended))
    .bind(note)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// A row of an application list, with its services at a glance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub app: Client,
    /// Kinds with an approved service.
    pub approved: Vec<ServiceKind>,
    /// Kinds with an application waiting for review.
    pub pending: Vec<ServiceKind>,
    /// Sign-ins over the last 30 days.
    pub sign_ins_30d: i64,
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only applications this account registered.
    pub owner: Option<AccountId>,
    /// Name contains.
    pub name: String,
    /// Only applications with a service waiting for review.
    pub pending_only: bool,
}

pub async fn list(
    c: &mut Conn,
    f: &ListFilter,
    since_day: &str,
    page: u32,
    per_page: u32,
) -> Result<Page<Listed>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(o) = f.owner {
        w.push(" AND a.owner_id = ").i(o.0);
    }
    let name = f.name.trim();
    if !name.is_empty() {
        w.push(" AND (a.name LIKE ")
            .t(format!("%{}%", crate::like_escape(name)))
            .push(" ESCAPE '\\' OR a.short_name LIKE ")
            .t(format!("%{}%", crate::like_escape(name)))
            .push(" ESCAPE '\\')");
    }
    if f.pending_only {
        w.push(" AND EXISTS (SELECT 1 FROM app_services s WHERE s.app_id = a.id AND s.state = 'pending')");
    }
    let total = w
        .under("SELECT COUNT(*) AS n FROM apps a")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = w.under(&format!("SELECT {COLS} {FROM}"));
    q.push(" ORDER BY a.id DESC LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let mut items: Vec<Listed> = rows
        .iter()
        .map(|r| {
            Ok(Listed {
                app: from_row(r)?,
                approved: Vec::new(),
                pending: Vec::new(),
                sign_ins_30d: 0,
            })
        })
        .collect::<Result<_>>()?;
    if !items.is_empty() {
        // The page's services and sign-ins, in one query each.
        let ids = |b: &mut SqlBuf| {
            b.push(" AND app_id IN (");
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.i(it.app.id);
            }
            b.push(")");
        };
        let mut sq = SqlBuf::new(
            "SELECT app_id, kind, state FROM app_services WHERE state IN ('approved', 'pending')",
        );
        ids(&mut sq);
        let services = sq.query().fetch_all(&mut *c).await.map_err(db_err)?;
        let mut uq = SqlBuf::new(
            "SELECT app_id, CAST(COALESCE(SUM(sign_ins), 0) AS BIGINT) AS n FROM app_usage WHERE day >= ",
        );
        uq.t(since_day);
        ids(&mut uq);
        uq.push(" GROUP BY app_id");
        let usage = uq.query().fetch_all(&mut *c).await.map_err(db_err)?;
        for it in &mut items {
            for r in services
                .iter()
                .filter(|r| r.i64("app_id").ok() == Some(it.app.id))
            {
                let kind = ServiceKind::parse(&r.text("kind")?)
                    .ok_or_else(|| Error::internal("bad service kind"))?;
                if r.text("state")? == "approved" {
                    it.approved.push(kind);
                } else {
                    it.pending.push(kind);
                }
            }
            for r in usage
                .iter()
                .filter(|r| r.i64("app_id").ok() == Some(it.app.id))
            {
                it.sign_ins_30d = r.i64("n")?;
            }
        }
    }
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// Every registered application's id.
pub async fn all_ids(c: &mut Conn) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT id FROM apps ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| r.i64("id")).collect()
}
