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
    target_unattended(c, id).await
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

/// Targets that take changes, for the portal itself (queueing and
/// applying them needs no admin).
pub async fn enabled_targets(c: &mut Conn) -> Result<Vec<TargetRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM directory_targets WHERE enabled = 1 ORDER BY id"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// One target, for the portal itself.
pub async fn target_unattended(c: &mut Conn, id: i64) -> Result<Option<TargetRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM directory_targets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// A queued change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Op {
    pub id: i64,
    pub target_id: i64,
    /// `account:ID` or `unit:ID`: changes to one subject apply in order.
    pub subject: String,
    pub op: String,
    #[serde(skip)]
    pub secret: Option<String>,
    pub state: String,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub next_at: OffsetDateTime,
    pub last_code: Option<i64>,
    pub last_error: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub applied_at: Option<OffsetDateTime>,
}

const OP_COLS: &str = "id, target_id, subject, op, secret, state, attempts, next_at, last_code, \
    last_error, created_at, applied_at";

fn op_from_row(r: &sqlx::any::AnyRow) -> Result<Op> {
    Ok(Op {
        id: r.i64("id")?,
        target_id: r.i64("target_id")?,
        subject: r.text("subject")?,
        op: r.text("op")?,
        secret: r.opt_text("secret")?,
        state: r.text("state")?,
        attempts: r.i64("attempts")?,
        next_at: at(r.i64("next_at")?),
        last_code: r.opt_i64("last_code")?,
        last_error: r.text("last_error")?,
        created_at: at(r.i64("created_at")?),
        applied_at: r.opt_i64("applied_at")?.map(at),
    })
}

/// Queues a change, in the caller's transaction.
pub async fn enqueue(
    c: &mut Conn,
    target_id: i64,
    subject: &str,
    op: &str,
    secret: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO directory_ops (target_id, subject, op, secret, state, next_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
    )
    .bind(target_id)
    .bind(subject.to_owned())
    .bind(op.to_owned())
    .bind(secret.map(str::to_owned))
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The changes due now that head their subject's queue (an earlier change
/// of the same subject still pending holds the later ones back), oldest
/// first, unleased.
pub async fn due(c: &mut Conn, now: OffsetDateTime, limit: i64) -> Result<Vec<Op>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {OP_COLS} FROM directory_ops o WHERE o.state = 'pending' AND o.next_at <= $1 \
         AND (o.lease_until IS NULL OR o.lease_until < $1) \
         AND NOT EXISTS (SELECT 1 FROM directory_ops e WHERE e.target_id = o.target_id \
           AND e.subject = o.subject AND e.state = 'pending' AND e.id < o.id) \
         ORDER BY o.id LIMIT $2"
    )))
    .bind(ms(now))
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(op_from_row).collect()
}

/// Takes a change for `lease_until`; false when another worker has it.
pub async fn claim(
    c: &mut Conn,
    id: i64,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE directory_ops SET lease_until = $1 WHERE id = $2 AND state = 'pending' \
         AND (lease_until IS NULL OR lease_until < $3)",
    )
    .bind(ms(lease_until))
    .bind(id)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// The directory has the change: done, and its password is gone.
pub async fn mark_applied(c: &mut Conn, id: i64, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE directory_ops SET state = 'applied', secret = NULL, lease_until = NULL, \
         applied_at = $1, attempts = attempts + 1, last_error = '', last_code = NULL WHERE id = $2",
    )
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The directory could not take the change now: try again at `next_at`.
pub async fn retry_at(
    c: &mut Conn,
    id: i64,
    next_at: OffsetDateTime,
    code: Option<i64>,
    error: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE directory_ops SET attempts = attempts + 1, next_at = $1, lease_until = NULL, \
         last_code = $2, last_error = $3 WHERE id = $4",
    )
    .bind(ms(next_at))
    .bind(code)
    .bind(error.to_owned())
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The directory refused the change for good (its policy, its schema):
/// kept with the reason for the sync page; a password it carried is gone.
pub async fn mark_failed(c: &mut Conn, id: i64, code: Option<i64>, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE directory_ops SET state = 'failed', secret = NULL, lease_until = NULL, \
         attempts = attempts + 1, last_code = $1, last_error = $2 WHERE id = $3",
    )
    .bind(code)
    .bind(error.to_owned())
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A target's changes, newest first, optionally of one state.
pub async fn ops_of(
    c: &mut Conn,
    _a: &SystemAdmin<'_>,
    target_id: i64,
    state: Option<&str>,
    subject: Option<&str>,
    limit: i64,
) -> Result<Vec<Op>> {
    let mut b = crate::SqlBuf::new(&format!(
        "SELECT {OP_COLS} FROM directory_ops WHERE target_id = "
    ));
    b.i(target_id);
    if let Some(s) = state {
        b.push(" AND state = ").t(s);
    }
    if let Some(s) = subject {
        b.push(" AND subject = ").t(s);
    }
    b.push(" ORDER BY id DESC LIMIT ").i(limit);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(op_from_row).collect()
}

/// How many of a target's changes are in each state.
pub async fn op_counts(
    c: &mut Conn,
    _a: &SystemAdmin<'_>,
    target_id: i64,
) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM directory_ops WHERE target_id = $1 GROUP BY state ORDER BY state",
    )
    .bind(target_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok((r.text("state")?, r.i64("n")?)))
        .collect()
}

/// Puts refused syncs of a target back in the queue, due now: one (`id`)
/// or all. A refused password is not among them: it was removed when
/// refused, and the person sets another.
pub async fn retry_failed(
    c: &mut Conn,
    _w: SystemWrite,
    target_id: i64,
    id: Option<i64>,
    now: OffsetDateTime,
) -> Result<u64> {
    let mut b = crate::SqlBuf::new("UPDATE directory_ops SET state = 'pending', next_at = ");
    b.i(ms(now))
        .push(", lease_until = NULL WHERE state = 'failed' AND op = 'sync_person' AND target_id = ")
        .i(target_id);
    if let Some(id) = id {
        b.push(" AND id = ").i(id);
    }
    let r = b.query().execute(&mut *c).await.map_err(db_err)?;
    Ok(r.rows_affected())
}
