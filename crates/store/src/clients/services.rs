//! The services an application applies for (單一登入, 帳號驗證, 轉登,
//! 簡訊發送), their review, and the home-page tiles the approved ones make.
//! A decision is a conditional update, so of two reviewers exactly one
//! decides.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::clients::{ServiceKind, ServiceState};
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::permission::SystemWrite;
use portico_core::sso::{Claim, ClientType, SigningAlg, claims_from_stored};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

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
    /// Where the application hears that a session ended (single sign-on's
    /// back-channel logout URI); empty: it does not want to.
    pub backchannel_logout_uri: String,
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
    api_access, initiate_login_uri, backchannel_logout_uri, tile_agencies, sms_quota, reason, submitted_login, submitted_at, \
    decided_by_login, decided_at, decision_note";

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
        backchannel_logout_uri: r.text("backchannel_logout_uri")?,
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
    pub backchannel_logout_uri: &'a str,
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
         api_access, initiate_login_uri, tile_agencies, sms_quota, reason, submitted_by, submitted_login, submitted_at, \
         backchannel_logout_uri) \
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
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
    .bind(n.backchannel_logout_uri)
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
