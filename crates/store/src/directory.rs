//! SQL for directory targets (issue 13): the servers Portico writes
//! accounts and units to. The bind password is stored sealed; the app
//! layer seals and opens it.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::directory::{DirectoryKind, Security, Target, parse_url};
use portico_core::permission::{SystemAdmin, SystemWrite};
use portico_core::{Error, Msg};
use time::OffsetDateTime;

/// A stored target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetRow {
    pub id: i64,
    #[serde(flatten)]
    pub target: Target,
    #[serde(skip)]
    pub bind_secret: String,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_probe_at: Option<OffsetDateTime>,
    pub last_probe_ok: Option<bool>,
    pub last_probe_message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLS: &str = "id, name, kind, url, starttls, ca_pem, bind_dn, bind_secret, people_base, mail_base, \
    unit_ous, password_sync, oid_attribute, enabled, version, last_probe_at, last_probe_ok, \
    last_probe_message, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<TargetRow> {
    let url = r.text("url")?;
    let starttls = r.flag("starttls")?;
    let (host, port, security) = parse_url(&url, starttls)
        .map_err(|m| Error::internal(format!("stored directory URL: {}", m.en)))?;
    let kind = DirectoryKind::parse(&r.text("kind")?)
        .ok_or_else(|| Error::internal("stored directory kind"))?;
    Ok(TargetRow {
        id: r.i64("id")?,
        target: Target {
            name: r.text("name")?,
            kind,
            url,
            host,
            port,
            security,
            ca_pem: r.text("ca_pem")?,
            bind_dn: r.text("bind_dn")?,
            people_base: r.text("people_base")?,
            mail_base: r.text("mail_base")?,
            unit_ous: r.flag("unit_ous")?,
            password_sync: r.flag("password_sync")?,
            oid_attribute: r.text("oid_attribute")?,
            enabled: r.flag("enabled")?,
        },
        bind_secret: r.text("bind_secret")?,
        version: r.i64("version")?,
        last_probe_at: r.opt_i64("last_probe_at")?.map(at),
        last_probe_ok: r.opt_i64("last_probe_ok")?.map(|v| v != 0),
        last_probe_message: r.text("last_probe_message")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

fn name_taken(e: Error) -> Error {
    match e {
        Error::Conflict {
            field: "unique", ..
        } => Error::Conflict {
            field: "name",
            message: Msg::new("已有同名的目錄", "A directory of that name exists"),
        },
        e => e,
    }
}

/// System admins: every target (the handle proves who reads).
pub async fn list(c: &mut Conn, _a: &SystemAdmin<'_>) -> Result<Vec<TargetRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM directory_targets ORDER BY name, id"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

pub async fn get(c: &mut Conn, _a: &SystemAdmin<'_>, id: i64) -> Result<Option<TargetRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM directory_targets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

pub async fn insert(
    c: &mut Conn,
    _w: SystemWrite,
    t: &Target,
    bind_secret: &str,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO directory_targets (name, kind, url, starttls, ca_pem, bind_dn, bind_secret, \
         people_base, mail_base, unit_ous, password_sync, oid_attribute, enabled, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14) RETURNING id",
    )
    .bind(t.name.clone())
    .bind(t.kind.as_str())
    .bind(t.url.clone())
    .bind(i64::from(t.security == Security::StartTls))
    .bind(t.ca_pem.clone())
    .bind(t.bind_dn.clone())
    .bind(bind_secret.to_owned())
    .bind(t.people_base.clone())
    .bind(t.mail_base.clone())
    .bind(i64::from(t.unit_ous))
    .bind(i64::from(t.password_sync))
    .bind(t.oid_attribute.clone())
    .bind(i64::from(t.enabled))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(|e| name_taken(db_err(e)))?;
    r.i64("id")
}

/// Saves an edit made on `version`; false when someone saved meanwhile.
/// `bind_secret` `None` keeps the stored password.
pub async fn update(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    t: &Target,
    bind_secret: Option<&str>,
    version: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE directory_targets SET name = $1, kind = $2, url = $3, starttls = $4, ca_pem = $5, \
         bind_dn = $6, bind_secret = COALESCE($7, bind_secret), people_base = $8, mail_base = $9, \
         unit_ous = $10, password_sync = $11, oid_attribute = $12, enabled = $13, \
         version = version + 1, updated_at = $14 WHERE id = $15 AND version = $16",
    )
    .bind(t.name.clone())
    .bind(t.kind.as_str())
    .bind(t.url.clone())
    .bind(i64::from(t.security == Security::StartTls))
    .bind(t.ca_pem.clone())
    .bind(t.bind_dn.clone())
    .bind(bind_secret.map(str::to_owned))
    .bind(t.people_base.clone())
    .bind(t.mail_base.clone())
    .bind(i64::from(t.unit_ous))
    .bind(i64::from(t.password_sync))
    .bind(t.oid_attribute.clone())
    .bind(i64::from(t.enabled))
    .bind(ms(now))
    .bind(id)
    .bind(version)
    .execute(&mut *c)
    .await
    .map_err(|e| name_taken(db_err(e)))?;
    Ok(r.rows_affected() == 1)
}

/// Keeps the last connection test's outcome, shown as the target's health.
pub async fn record_probe(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    ok: bool,
    message: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "UPDATE directory_targets SET last_probe_at = $1, last_probe_ok = $2, last_probe_message = $3 WHERE id = $4",
    )
    .bind(ms(now))
    .bind(i64::from(ok))
    .bind(message.to_owned())
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}
