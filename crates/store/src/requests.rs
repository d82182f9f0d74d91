//! SQL for the requests admins review (待簽核). The queue is filtered by the
//! reviewer's scope in the query; a decision is a conditional update, so of
//! two reviewers acting at once exactly one succeeds.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::account::AccountState;
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::Visible;
use portico_core::request::{RequestKind, RequestState};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Request {
    pub id: i64,
    pub kind: RequestKind,
    pub state: RequestState,
    pub account_id: AccountId,
    pub unit_id: OrgUnitId,
    pub unit_name: String,
    pub agency_name: String,
    #[serde(skip)]
    pub scope_path: TreePath,
    pub from_unit_id: Option<OrgUnitId>,
    #[serde(skip)]
    pub from_state: Option<AccountState>,
    pub title: String,
    pub reason: String,
    pub needs_official_mail: bool,
    pub applicant_name: String,
    pub applicant_login: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by_login: String,
    pub decision_note: String,
    /// The address a mail-account application asks for (empty otherwise).
    #[serde(skip)]
    pub mailbox_address: String,
    /// The signed form a cancellation request carries.
    #[serde(skip)]
    pub form_file_id: Option<portico_core::ids::FileId>,
}

const COLS: &str = "r.id, r.kind, r.state, r.account_id, r.unit_id, u.name AS unit_name, COALESCE(g.name, '') AS agency_name, \
    r.scope_path, r.from_unit_id, r.from_state, r.title, r.reason, r.needs_official_mail, r.applicant_name, r.applicant_login, \
    r.created_at, r.decided_at, r.decided_by_login, r.decision_note, COALESCE(mb.address, '') AS mailbox_address, \
    r.form_file_id";
const FROM: &str = "FROM requests r JOIN org_units u ON u.id = r.unit_id LEFT JOIN org_units g ON g.id = u.agency_id \
    LEFT JOIN mailboxes mb ON mb.request_id = r.id";

fn from_row(r: &AnyRow) -> Result<Request> {
    Ok(Request {
        id: r.i64("id")?,
        kind: RequestKind::parse(&r.text("kind")?)
            .ok_or_else(|| Error::internal("bad request kind"))?,
        state: RequestState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad request state"))?,
        account_id: AccountId(r.i64("account_id")?),
        unit_id: OrgUnitId(r.i64("unit_id")?),
        unit_name: r.text("unit_name")?,
        agency_name: r.text("agency_name")?,
        scope_path: TreePath::from_stored(r.text("scope_path")?),
        from_unit_id: r.opt_i64("from_unit_id")?.map(OrgUnitId),
        from_state: AccountState::parse(&r.text("from_state")?),
        title: r.text("title")?,
        reason: r.text("reason")?,
        needs_official_mail: r.flag("needs_official_mail")?,
        applicant_name: r.text("applicant_name")?,
        applicant_login: r.text("applicant_login")?,
        created_at: at(r.i64("created_at")?),
        decided_at: r.opt_i64("decided_at")?.map(at),
        decided_by_login: r.text("decided_by_login")?,
        decision_note: r.text("decision_note")?,
        mailbox_address: r.text("mailbox_address")?,
        form_file_id: r.opt_i64("form_file_id")?.map(portico_core::ids::FileId),
    })
}

pub struct NewRequest<'a> {
    pub kind: RequestKind,
    pub account_id: AccountId,
    pub unit_id: OrgUnitId,
    /// The subtree whose admins review it: the target unit's path.
    pub scope_path: &'a TreePath,
    pub from_unit_id: Option<OrgUnitId>,
    pub from_state: Option<AccountState>,
    pub title: &'a str,
    pub reason: &'a str,
    pub needs_official_mail: bool,
    pub applicant_name: &'a str,
    pub applicant_login: &'a str,
}

pub fn already_open() -> Msg {
    Msg::new(
        "已有一件相同的申請正在審核中，請等候審核結果",
        "The same kind of request is already waiting for review",
    )
}

pub async fn insert(c: &mut Conn, n: &NewRequest<'_>, now: OffsetDateTime) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO requests (kind, state, account_id, unit_id, scope_path, from_unit_id, from_state, title, reason, \
         needs_official_mail, applicant_name, applicant_login, created_at, updated_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(n.kind.as_str())
    .bind(n.account_id.0)
    .bind(n.unit_id.0)
    .bind(n.scope_path.as_str())
    .bind(n.from_unit_id.map(|u| u.0))
    .bind(n.from_state.map(|s| s.as_str()).unwrap_or(""))
    .bind(n.title)
    .bind(n.reason)
    .bind(i64::from(n.needs_official_mail))
    .bind(n.applicant_name)
    .bind(n.applicant_login)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(crate::unique_on("kind", already_open()))?;
    row.i64("id")
}

/// Puts every pending account without an open application request in the
/// review queue (accounts created outside the application form: the demo,
/// imports).
pub async fn open_for_pending_accounts(c: &mut Conn) -> Result<u64> {
    let r = sqlx::query(
        "INSERT INTO requests (kind, state, account_id, unit_id, scope_path, from_unit_id, from_state, title, reason, needs_official_mail, applicant_name, applicant_login, created_at, updated_at) SELECT 'new_account', 'pending', a.id, a.unit_id, u.path, NULL, 'pending', a.title, '', 0, a.name, a.login, a.applied_at, a.applied_at FROM accounts a JOIN org_units u ON u.id = a.unit_id WHERE a.state = 'pending' AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.account_id = a.id AND r.state = 'pending') ",
    )
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Request>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// The open request of this kind for an account, if any.
pub async fn open_of(
    c: &mut Conn,
    account: AccountId,
    kind: RequestKind,
) -> Result<Option<Request>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE r.account_id = $1 AND r.kind = $2 AND r.state = 'pending'"
    )))
    .bind(account.0)
    .bind(kind.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// The latest request of this kind for an account, whatever its state.
pub async fn latest_of(
    c: &mut Conn,
    account: AccountId,
    kind: RequestKind,
) -> Result<Option<Request>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE r.account_id = $1 AND r.kind = $2 ORDER BY r.id DESC LIMIT 1"
    )))
    .bind(account.0)
    .bind(kind.as_str())
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// What an applicant may correct in a pending request.
pub struct Details<'a> {
    pub unit: OrgUnitId,
    /// The reviewers' scope follows the unit.
    pub scope_path: &'a TreePath,
    pub title: &'a str,
    pub needs_official_mail: bool,
    pub applicant_name: &'a str,
}

/// An applicant corrects a pending request: false when it was decided
/// meanwhile.
pub async fn update_details(
    c: &mut Conn,
    id: i64,
    d: &Details<'_>,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE requests SET unit_id = $1, scope_path = $2, title = $3, needs_official_mail = $4, applicant_name = $5, \
         updated_at = $6 WHERE id = $7 AND state = 'pending'",
    )
    .bind(d.unit.0)
    .bind(d.scope_path.as_str())
    .bind(d.title)
    .bind(i64::from(d.needs_official_mail))
    .bind(d.applicant_name)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Records a decision, only if the request is still pending and in the
/// scope the reviewer saw (an applicant may move it meanwhile): false
/// otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    c: &mut Conn,
    id: i64,
    seen_scope: &TreePath,
    to: RequestState,
    by: AccountId,
    by_login: &str,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE requests SET state = $1, decided_at = $2, decided_by = $3, decided_by_login = $4, decision_note = $5, \
         updated_at = $2 WHERE id = $6 AND state = 'pending' AND scope_path = $7",
    )
    .bind(to.as_str())
    .bind(ms(now))
    .bind(by.0)
    .bind(by_login)
    .bind(note)
    .bind(id)
    .bind(seen_scope.as_str())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<RequestState>,
    pub kind: Option<RequestKind>,
    /// Applicant login or name prefix.
    pub who: Option<String>,
}

/// The review queue within a scope, oldest first (first come, first served).
pub async fn list(
    c: &mut Conn,
    visible: &Visible,
    f: &Filter,
    page: u32,
    per_page: u32,
) -> Result<Page<Request>> {
    let mut filter = SqlBuf::new(" WHERE 1 = 1");
    // The request's scope decides where it is reviewed; a request about
    // someone above the reviewer is not listed (nor found when opened).
    filter.visible(visible, "r.scope_path", "r.account_id");
    if let Some(s) = f.state {
        filter.push(" AND r.state = ").t(s.as_str());
    }
    if let Some(k) = f.kind {
        filter.push(" AND r.kind = ").t(k.as_str());
    }
    if let Some(w) = f.who.as_deref().filter(|w| !w.is_empty()) {
        let (lo, hi) = portico_core::text::prefix_range(w);
        let (llo, lhi) = portico_core::text::prefix_range(&w.to_ascii_lowercase());
        filter
            .push(" AND ((r.applicant_name >= ")
            .t(lo)
            .push(" AND r.applicant_name < ")
            .t(hi)
            .push(") OR (r.applicant_login >= ")
            .t(llo)
            .push(" AND r.applicant_login < ")
            .t(lhi)
            .push("))");
    }
    let total = filter
        .under("SELECT COUNT(*) AS n FROM requests r")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    // The page is cut from `requests` alone, then joined: the unit and
    // agency names are looked up for 50 rows, not for the whole queue.
    let mut q = filter.under("SELECT * FROM requests r");
    q.push(" ORDER BY r.created_at, r.id LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let q = q.wrap(
        &format!("SELECT {COLS} FROM ("),
        ") r JOIN org_units u ON u.id = r.unit_id LEFT JOIN org_units g ON g.id = u.agency_id \
         LEFT JOIN mailboxes mb ON mb.request_id = r.id ORDER BY r.created_at, r.id",
    );
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(from_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// Attaches the signed form to a request just filed.
pub async fn set_form_file(c: &mut Conn, id: i64, file: portico_core::ids::FileId) -> Result<()> {
    sqlx::query("UPDATE requests SET form_file_id = $1 WHERE id = $2")
        .bind(file.0)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}
