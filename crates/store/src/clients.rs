//! SQL for registered applications (應用系統), the services they apply for
//! and their daily usage. A decision on a service application is a
//! conditional update, so of two reviewers exactly one decides.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::clients::{ServiceKind, ServiceState, ips_from_stored};
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::permission::SystemWrite;
use portico_core::sso::{Claim, ClientType, SigningAlg, claims_from_stored};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use std::net::IpAddr;
use time::OffsetDateTime;

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

/// An application for one service, and when approved, its configuration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Service {
    pub id: i64,
    pub app_id: i64,
    pub kind: ServiceKind,
    pub state: ServiceState,
    pub claims: Vec<Claim>,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    pub client_type: ClientType,
    pub signing_alg: SigningAlg,
    /// Access tokens may call the portal's JSON API as the person.
    pub api_access: bool,
    pub initiate_login_uri: String,
    /// Agencies whose home page shows the tile; empty: every agency.
    pub tile_agencies: Vec<OrgUnitId>,
    pub sms_quota: i64,
    pub reason: String,
    pub submitted_login: String,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub decided_by_login: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decision_note: String,
}

const SCOLS: &str = "id, app_id, kind, state, claims, redirect_uris, post_logout_uris, client_type, signing_alg, \
    api_access, initiate_login_uri, tile_agencies, sms_quota, reason, submitted_login, submitted_at, decided_by_login, \
    decided_at, decision_note";

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn service_from_row(r: &AnyRow) -> Result<Service> {
    Ok(Service {
        id: r.i64("id")?,
        app_id: r.i64("app_id")?,
        kind: ServiceKind::parse(&r.text("kind")?)
            .ok_or_else(|| Error::internal("bad service kind"))?,
        state: ServiceState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad service state"))?,
        claims: claims_from_stored(&r.text("claims")?),
        redirect_uris: lines(&r.text("redirect_uris")?),
        post_logout_uris: lines(&r.text("post_logout_uris")?),
        client_type: ClientType::parse(&r.text("client_type")?)
            .ok_or_else(|| Error::internal("bad client type"))?,
        signing_alg: SigningAlg::parse(&r.text("signing_alg")?)
            .ok_or_else(|| Error::internal("bad signing alg"))?,
        api_access: r.flag("api_access")?,
        initiate_login_uri: r.text("initiate_login_uri")?,
        tile_agencies: r
            .text("tile_agencies")?
            .split(',')
            .filter_map(|s| s.parse().ok().map(OrgUnitId))
            .collect(),
        sms_quota: r.i64("sms_quota")?,
        reason: r.text("reason")?,
        submitted_login: r.text("submitted_login")?,
        submitted_at: at(r.i64("submitted_at")?),
        decided_by_login: r.text("decided_by_login")?,
        decided_at: r.opt_i64("decided_at")?.map(at),
        decision_note: r.text("decision_note")?,
    })
}

/// What an applicant asks for.
pub struct NewService<'a> {
    pub app_id: i64,
    pub kind: ServiceKind,
    pub claims: &'a str,
    pub redirect_uris: &'a [String],
    pub post_logout_uris: &'a [String],
    pub client_type: ClientType,
    pub signing_alg: SigningAlg,
    pub api_access: bool,
    pub initiate_login_uri: &'a str,
    pub tile_agencies: &'a [OrgUnitId],
    pub sms_quota: i64,
    pub reason: &'a str,
    pub submitted_by: AccountId,
    pub submitted_login: &'a str,
}

pub fn already_pending() -> Msg {
    Msg::new(
        "此服務已有一件申請正在審核中，請等候審核結果",
        "An application for this service is already waiting for review",
    )
}

pub async fn insert_service(c: &mut Conn, n: &NewService<'_>, now: OffsetDateTime) -> Result<i64> {
    // Stored with commas around each id, so `LIKE '%,7,%'` finds agency 7.
    let agencies = if n.tile_agencies.is_empty() {
        String::new()
    } else {
        format!(
            ",{},",
            n.tile_agencies
                .iter()
                .map(|a| a.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let row = sqlx::query(
        "INSERT INTO app_services (app_id, kind, state, claims, redirect_uris, post_logout_uris, client_type, signing_alg, \
         api_access, initiate_login_uri, tile_agencies, sms_quota, reason, submitted_by, submitted_login, submitted_at) \
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(n.app_id)
    .bind(n.kind.as_str())
    .bind(n.claims)
    .bind(n.redirect_uris.join("\n"))
    .bind(n.post_logout_uris.join("\n"))
    .bind(n.client_type.as_str())
    .bind(n.signing_alg.as_str())
    .bind(i64::from(n.api_access))
    .bind(n.initiate_login_uri)
    .bind(agencies)
    .bind(n.sms_quota)
    .bind(n.reason)
    .bind(n.submitted_by.0)
    .bind(n.submitted_login)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(crate::unique_on("kind", already_pending()))?;
    row.i64("id")
}

pub async fn service(c: &mut Conn, id: i64) -> Result<Option<Service>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SCOLS} FROM app_services WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(service_from_row).transpose()
}

/// Every application for a service of this app, newest first.
pub async fn services_of(c: &mut Conn, app_id: i64) -> Result<Vec<Service>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SCOLS} FROM app_services WHERE app_id = $1 ORDER BY id DESC"
    )))
    .bind(app_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(service_from_row)
    .collect()
}

/// The approved services of an application.
pub async fn approved_of(c: &mut Conn, app_id: i64) -> Result<Vec<Service>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SCOLS} FROM app_services WHERE app_id = $1 AND state = 'approved'"
    )))
    .bind(app_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(service_from_row)
    .collect()
}

/// Decides a pending application: false when somebody decided it first.
/// Approval supersedes the service's previously approved configuration.
pub async fn decide_service(
    c: &mut Conn,
    _w: SystemWrite,
    s: &Service,
    approve: bool,
    by_login: &str,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let state = if approve { "approved" } else { "rejected" };
    let r = sqlx::query(
        "UPDATE app_services SET state = 'decided', decided_by_login = $1, decided_at = $2, decision_note = $3 \
         WHERE id = $4 AND state = 'pending'",
    )
    .bind(by_login)
    .bind(ms(now))
    .bind(note)
    .bind(s.id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    if approve {
        sqlx::query(
            "UPDATE app_services SET state = 'superseded' WHERE app_id = $1 AND kind = $2 AND state = 'approved'",
        )
        .bind(s.app_id)
        .bind(s.kind.as_str())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    sqlx::query("UPDATE app_services SET state = $1 WHERE id = $2")
        .bind(state)
        .bind(s.id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(true)
}

/// A tile on a person's home page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tile {
    pub app_id: i64,
    pub name: String,
    pub short_name: String,
    pub description: String,
}

/// The tiles for people of this agency: approved tile services of active
/// applications that also have single sign-on, shown to every agency or to
/// this one.
pub async fn tiles_for(c: &mut Conn, agency: Option<OrgUnitId>) -> Result<Vec<Tile>> {
    let like = agency.map(|a| format!("%,{},%", a.0)).unwrap_or_default();
    sqlx::query(
        "SELECT a.id, a.name, a.short_name, a.description FROM apps a \
         JOIN app_services t ON t.app_id = a.id AND t.kind = 'tile' AND t.state = 'approved' \
         WHERE a.suspended = 0 AND (t.tile_agencies = '' OR t.tile_agencies LIKE $1) \
         AND EXISTS (SELECT 1 FROM app_services s WHERE s.app_id = a.id AND s.kind = 'sso' AND s.state = 'approved') \
         ORDER BY a.name, a.id",
    )
    .bind(like)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(Tile {
            app_id: r.i64("id")?,
            name: r.text("name")?,
            short_name: r.text("short_name")?,
            description: r.text("description")?,
        })
    })
    .collect()
}

/// What a day's usage counts.
#[derive(Debug, Clone, Copy)]
pub enum Usage {
    SignIn,
    Verify,
}

pub async fn count_usage(c: &mut Conn, app_id: i64, day: &str, what: Usage) -> Result<()> {
    let col = match what {
        Usage::SignIn => "sign_ins",
        Usage::Verify => "verifies",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO app_usage (app_id, day, {col}) VALUES ($1, $2, 1) \
         ON CONFLICT (app_id, day) DO UPDATE SET {col} = app_usage.{col} + 1"
    )))
    .bind(app_id)
    .bind(day)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Counts one SMS against the day's quota: false when the quota is spent.
/// The conditional update makes parallel senders stop at the quota exactly.
pub async fn take_sms_quota(c: &mut Conn, app_id: i64, day: &str, quota: i64) -> Result<bool> {
    sqlx::query(
        "INSERT INTO app_usage (app_id, day) VALUES ($1, $2) ON CONFLICT (app_id, day) DO NOTHING",
    )
    .bind(app_id)
    .bind(day)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    let r = sqlx::query(
        "UPDATE app_usage SET sms = sms + 1 WHERE app_id = $1 AND day = $2 AND sms < $3",
    )
    .bind(app_id)
    .bind(day)
    .bind(quota)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DayUsage {
    pub day: String,
    pub sign_ins: i64,
    pub verifies: i64,
    pub sms: i64,
}

/// Usage per day since `since_day`, newest first.
pub async fn usage_of(c: &mut Conn, app_id: i64, since_day: &str) -> Result<Vec<DayUsage>> {
    sqlx::query(
        "SELECT day, sign_ins, verifies, sms FROM app_usage WHERE app_id = $1 AND day >= $2 ORDER BY day DESC",
    )
    .bind(app_id)
    .bind(since_day)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(DayUsage {
            day: r.text("day")?,
            sign_ins: r.i64("sign_ins")?,
            verifies: r.i64("verifies")?,
            sms: r.i64("sms")?,
        })
    })
    .collect()
}
