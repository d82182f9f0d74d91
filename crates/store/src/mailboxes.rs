//! SQL for agency and system mail accounts (issue 13 §5) and their record.
//! One agency mail account per agency and one holder of a name are unique
//! indexes, so two applications racing for either leave one standing; a
//! change of custodian or state is a conditional update on the version or
//! state the person saw.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::ids::{AccountId, MailboxId, OrgUnitId};
use portico_core::mailbox::{LogKind, MailboxKind, MailboxState, address_taken, agency_has_one};
use portico_core::org::TreePath;
use portico_core::permission::{AdminScope, MailboxWrite};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub kind: MailboxKind,
    pub agency_id: OrgUnitId,
    pub agency_name: String,
    #[serde(skip)]
    pub agency_path: TreePath,
    pub name: String,
    pub local_part: String,
    pub address: String,
    pub state: MailboxState,
    pub custodian: Custodian,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub pending_secret: String,
    pub request_id: Option<i64>,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub password_changed_at: OffsetDateTime,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The person who keeps a mail account, as 詳細 shows them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Custodian {
    pub id: AccountId,
    pub login: String,
    pub name: String,
    pub unit_name: String,
    pub title: String,
    pub office_phone: String,
    pub office_ext: String,
    pub official_email: String,
    /// Where the forgotten-password code goes (保管人備用信箱).
    #[serde(skip)]
    pub backup_email: String,
}

const COLS: &str = "m.id, m.kind, m.agency_id, g.name AS agency_name, g.path AS agency_path, m.name, m.local_part, \
    m.address, m.state, m.custodian_id, k.login AS k_login, k.name AS k_name, COALESCE(ku.name, '') AS k_unit, \
    k.title AS k_title, k.office_phone AS k_phone, k.office_ext AS k_ext, k.official_email AS k_official, \
    k.backup_email AS k_backup, m.password_hash, m.pending_secret, m.request_id, m.reason, m.password_changed_at, \
    m.version, m.created_at, m.updated_at";
const FROM: &str = "FROM mailboxes m JOIN org_units g ON g.id = m.agency_id JOIN accounts k ON k.id = m.custodian_id \
    LEFT JOIN org_units ku ON ku.id = k.unit_id";

fn from_row(r: &AnyRow) -> Result<Mailbox> {
    Ok(Mailbox {
        id: MailboxId(r.i64("id")?),
        kind: MailboxKind::parse(&r.text("kind")?)
            .ok_or_else(|| Error::internal("bad mailbox kind"))?,
        agency_id: OrgUnitId(r.i64("agency_id")?),
        agency_name: r.text("agency_name")?,
        agency_path: TreePath::from_stored(r.text("agency_path")?),
        name: r.text("name")?,
        local_part: r.text("local_part")?,
        address: r.text("address")?,
        state: MailboxState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad mailbox state"))?,
        custodian: Custodian {
            id: AccountId(r.i64("custodian_id")?),
            login: r.text("k_login")?,
            name: r.text("k_name")?,
            unit_name: r.text("k_unit")?,
            title: r.text("k_title")?,
            office_phone: r.text("k_phone")?,
            office_ext: r.text("k_ext")?,
            official_email: r.text("k_official")?,
            backup_email: r.text("k_backup")?,
        },
        password_hash: r.text("password_hash")?,
        pending_secret: r.text("pending_secret")?,
        request_id: r.opt_i64("request_id")?,
        reason: r.text("reason")?,
        password_changed_at: at(r.i64("password_changed_at")?),
        version: r.i64("version")?,
        created_at: at(r.i64("created_at")?),
        updated_at: at(r.i64("updated_at")?),
    })
}

/// Which of the two unique indexes a failed insert met.
fn taken(e: sqlx::Error) -> Error {
    let agency = match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            d.message().contains("agency") || d.constraint() == Some("mailboxes_one_per_agency")
        }
        _ => return db_err(e),
    };
    if agency {
        Error::Conflict {
            field: "kind",
            message: agency_has_one(),
        }
    } else {
        Error::Conflict {
            field: "local_part",
            message: address_taken(),
        }
    }
}

pub struct NewMailbox<'a> {
    pub kind: MailboxKind,
    pub agency_id: OrgUnitId,
    pub name: &'a str,
    pub local_part: &'a str,
    pub address: &'a str,
    pub custodian: AccountId,
    pub state: MailboxState,
    pub password_hash: &'a str,
    pub pending_secret: &'a str,
    pub request_id: Option<i64>,
    pub reason: &'a str,
}

pub async fn insert(c: &mut Conn, n: &NewMailbox<'_>, now: OffsetDateTime) -> Result<MailboxId> {
    let row = sqlx::query(
        "INSERT INTO mailboxes (kind, agency_id, name, local_part, address, custodian_id, state, password_hash, \
         pending_secret, request_id, reason, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12) RETURNING id",
    )
    .bind(n.kind.as_str())
    .bind(n.agency_id.0)
    .bind(n.name)
    .bind(n.local_part)
    .bind(n.address)
    .bind(n.custodian.0)
    .bind(n.state.as_str())
    .bind(n.password_hash)
    .bind(n.pending_secret)
    .bind(n.request_id)
    .bind(n.reason)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(taken)?;
    Ok(MailboxId(row.i64("id")?))
}

pub async fn get(c: &mut Conn, id: MailboxId) -> Result<Option<Mailbox>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// The mail account an application asked for.
pub async fn of_request(c: &mut Conn, request: i64) -> Result<Option<Mailbox>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.request_id = $1"
    )))
    .bind(request)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// Whether a name is taken by a mail account waiting or living.
pub async fn local_part_taken(c: &mut Conn, local: &str) -> Result<bool> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM mailboxes WHERE local_part = $1 AND state <> 'rejected'",
    )
    .bind(local)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

/// The agency's agency mail account, if it has one (waiting or living).
pub async fn agency_mailbox(c: &mut Conn, agency: OrgUnitId) -> Result<Option<Mailbox>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.agency_id = $1 AND m.kind = 'agency' AND m.state <> 'rejected'"
    )))
    .bind(agency.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// The approved mail accounts a person keeps (active or disabled): what
/// must be handed over before they may be disabled.
pub async fn kept_by(c: &mut Conn, custodian: AccountId) -> Result<Vec<Mailbox>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.custodian_id = $1 AND m.state IN ('active', 'disabled') ORDER BY m.id"
    )))
    .bind(custodian.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Whether a person has a mail-account application waiting.
pub async fn pending_of(c: &mut Conn, custodian: AccountId) -> Result<bool> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM mailboxes WHERE custodian_id = $1 AND state = 'pending'",
    )
    .bind(custodian.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

/// The approved mail accounts after `after_id`, in id order: what a
/// directory should hold.
pub async fn provisioned(c: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<Mailbox>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.id > $1 AND m.state IN ('active', 'disabled') ORDER BY m.id LIMIT $2"
    )))
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// The approved mail account of this name, if any.
pub async fn find_by_local_part(c: &mut Conn, local: &str) -> Result<Option<Mailbox>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE m.local_part = $1 AND m.state IN ('active', 'disabled')"
    )))
    .bind(local)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// Takes the mail account's row lock for the rest of the transaction.
pub async fn lock(c: &mut Conn, id: MailboxId) -> Result<()> {
    let r = sqlx::query("UPDATE mailboxes SET version = version WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_request(c: &mut Conn, w: MailboxWrite, request: i64) -> Result<()> {
    sqlx::query("UPDATE mailboxes SET request_id = $1 WHERE id = $2")
        .bind(request)
        .bind(w.id().0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// An application decided: the account opens (active) or not (rejected),
/// and the sealed password leaves the row. False if it was not pending.
pub async fn decide(
    c: &mut Conn,
    w: MailboxWrite,
    to: MailboxState,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE mailboxes SET state = $1, pending_secret = '', version = version + 1, updated_at = $2 \
         WHERE id = $3 AND state = 'pending'",
    )
    .bind(to.as_str())
    .bind(ms(now))
    .bind(w.id().0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// A new custodian, if the account is still at the version the person saw.
pub async fn set_custodian(
    c: &mut Conn,
    w: MailboxWrite,
    to: AccountId,
    seen_version: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE mailboxes SET custodian_id = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND state IN ('active', 'disabled')",
    )
    .bind(to.0)
    .bind(ms(now))
    .bind(w.id().0)
    .bind(seen_version)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_password(
    c: &mut Conn,
    w: MailboxWrite,
    hash: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "UPDATE mailboxes SET password_hash = $1, password_changed_at = $2, version = version + 1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(hash)
    .bind(ms(now))
    .bind(w.id().0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// 我要停用 / 我要啟用: only from the state the person saw.
pub async fn transition(
    c: &mut Conn,
    w: MailboxWrite,
    from: MailboxState,
    to: MailboxState,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE mailboxes SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.as_str())
    .bind(ms(now))
    .bind(w.id().0)
    .bind(from.as_str())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Who may see which mail accounts in a list.
#[derive(Debug, Clone)]
pub enum Seen {
    /// 我的機關及系統郵件帳號管理: the agency mail account of the person's
    /// agency, whoever keeps it, and the system ones they keep.
    Mine {
        account: AccountId,
        agency: Option<OrgUnitId>,
    },
    /// An admin: every mail account of the agencies in their scope.
    Admin(AdminScope),
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<MailboxKind>,
    pub state: Option<MailboxState>,
    /// A part of the name or the address.
    pub q: Option<String>,
}

pub async fn list(
    c: &mut Conn,
    seen: &Seen,
    f: &Filter,
    page: u32,
    per_page: u32,
) -> Result<Page<Mailbox>> {
    let mut b = SqlBuf::new(" WHERE m.state <> 'rejected'");
    match seen {
        Seen::Mine { account, agency } => {
            b.push(" AND (m.custodian_id = ").i(account.0);
            if let Some(g) = agency {
                b.push(" OR (m.kind = 'agency' AND m.agency_id = ")
                    .i(g.0)
                    .push(")");
            }
            b.push(")");
        }
        Seen::Admin(scope) => {
            b.scope(scope, "g.path");
        }
    }
    if let Some(k) = f.kind {
        b.push(" AND m.kind = ").t(k.as_str());
    }
    if let Some(s) = f.state {
        b.push(" AND m.state = ").t(s.as_str());
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pat = format!("%{}%", crate::like_escape(q));
        b.push(" AND (m.name LIKE ")
            .t(pat.clone())
            .push(" ESCAPE '\\' OR m.address LIKE ")
            .t(pat.to_ascii_lowercase())
            .push(" ESCAPE '\\')");
    }
    let total = b
        .under(&format!("SELECT COUNT(*) AS n {FROM}"))
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = b.under(&format!("SELECT {COLS} {FROM}"));
    q.push(" ORDER BY m.kind, g.path, m.local_part LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(from_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// One line of a mail account's record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub kind: LogKind,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_login: String,
    pub actor_name: String,
    pub detail: String,
}

pub async fn log(
    c: &mut Conn,
    w: MailboxWrite,
    kind: LogKind,
    actor: (&str, &str),
    detail: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mailbox_log (mailbox_id, kind, at, actor_login, actor_name, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(w.id().0)
    .bind(kind.as_str())
    .bind(ms(now))
    .bind(actor.0)
    .bind(actor.1)
    .bind(detail)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The record of one mail account, of the given kinds, between two times
/// (newest first); `per_page` 0 reads it all (an export).
pub async fn log_of(
    c: &mut Conn,
    id: MailboxId,
    kinds: &[LogKind],
    between: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    page: u32,
    per_page: u32,
) -> Result<Page<LogEntry>> {
    let mut b = SqlBuf::new(" WHERE mailbox_id = ");
    b.i(id.0).push(" AND kind IN (");
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.t(k.as_str());
    }
    b.push(")");
    if let Some(from) = between.0 {
        b.push(" AND at >= ").i(ms(from));
    }
    if let Some(to) = between.1 {
        b.push(" AND at < ").i(ms(to));
    }
    let total = b
        .under("SELECT COUNT(*) AS n FROM mailbox_log")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = b.under("SELECT kind, at, actor_login, actor_name, detail FROM mailbox_log");
    q.push(" ORDER BY at DESC, id DESC");
    if per_page > 0 {
        q.push(" LIMIT ")
            .i(i64::from(per_page))
            .push(" OFFSET ")
            .i(Page::<()>::offset(page, per_page));
    }
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(LogEntry {
                kind: LogKind::parse(&r.text("kind")?)
                    .ok_or_else(|| Error::internal("bad mailbox log kind"))?,
                at: at(r.i64("at")?),
                actor_login: r.text("actor_login")?,
                actor_name: r.text("actor_name")?,
                detail: r.text("detail")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page: per_page.max(1),
    })
}

/// The message for a mail account that changed while the person looked.
pub fn changed_meanwhile() -> Msg {
    Msg::new(
        "此郵件帳號已由其他人變更，請重新整理後再試",
        "Someone else changed this mail account meanwhile; reload and try again",
    )
}
