//! SQL for access requests (issue 14): the forms, their lines (what is held
//! before and after), the queue each approver sees, and what a person
//! holds. One form waits per person and target (a unique index); a
//! decision is a conditional update on the pending state, so of two
//! approvers racing exactly one counts.
pub mod defs;
mod holdings;

pub use holdings::*;

use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, like_escape, ms};
use portico_core::Error;
use portico_core::access::{
    Approver, FormState, Line, Op, Step, already_decided, already_pending, form_number,
};
use portico_core::ids::{AccountId, FileId, FormId};
use portico_core::org::TreePath;
use portico_core::permission::Visible;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The item a form is about, as its target key: one waits per person and
/// key.
pub fn target_key(step: Step, item: i64) -> String {
    match step {
        Step::Category => format!("category:{item}"),
        Step::Org => format!("org:{item}"),
        Step::Role => format!("app:{item}"),
    }
}

pub struct NewForm<'a> {
    pub step: Step,
    pub op: Op,
    pub account: AccountId,
    pub category: Option<i64>,
    pub org: Option<i64>,
    pub title_before: Option<i64>,
    pub title: Option<i64>,
    pub app: Option<i64>,
    pub purpose: &'a str,
    pub note: &'a str,
    pub attrs: &'a BTreeMap<String, String>,
    pub approver: Approver,
    pub scope_path: Option<&'a TreePath>,
    pub form_file: Option<FileId>,
    pub undertaking_file: Option<FileId>,
    pub lines: &'a [Line],
}

impl NewForm<'_> {
    fn item(&self) -> i64 {
        match self.step {
            Step::Category => self.category,
            Step::Org => self.org,
            Step::Role => self.app,
        }
        .unwrap_or_default()
    }
}

/// Files a form; its number follows from its step, the year it was filed
/// and its id, so it is never stored. A second form for the
/// same target while one waits is refused.
pub async fn insert(
    c: &mut Conn,
    f: &NewForm<'_>,
    now: OffsetDateTime,
) -> Result<(FormId, String)> {
    let attrs =
        serde_json::to_string(f.attrs).map_err(|e| Error::internal(format!("attrs: {e}")))?;
    let r = sqlx::query(
        "INSERT INTO access_forms (step, op, account_id, target, category_id, org_id, title_before_id, title_id, \
         app_id, purpose, note, attrs, approver, scope_path, state, form_file_id, undertaking_file_id, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending', $15, $16, $17) RETURNING id",
    )
    .bind(f.step.as_str())
    .bind(f.op.as_str())
    .bind(f.account.0)
    .bind(target_key(f.step, f.item()))
    .bind(f.category)
    .bind(f.org)
    .bind(f.title_before)
    .bind(f.title)
    .bind(f.app)
    .bind(f.purpose)
    .bind(f.note)
    .bind(attrs)
    .bind(f.approver.as_str())
    .bind(f.scope_path.map(|p| p.as_str().to_owned()).unwrap_or_default())
    .bind(f.form_file.map(|x| x.0))
    .bind(f.undertaking_file.map(|x| x.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(crate::unique_on("form", already_pending()))?;
    let id = FormId(r.i64("id")?);
    let number = form_number(
        f.step,
        now.to_offset(portico_core::time::TAIPEI).year(),
        id.0,
    );
    for l in f.lines {
        sqlx::query(
            "INSERT INTO access_form_lines (form_id, item_id, held_before, held_after) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(l.item)
        .bind(i64::from(l.before))
        .bind(i64::from(l.after))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    Ok((id, number))
}

/// The person a form is about, as the form, the queue and the print show
/// them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applicant {
    pub id: AccountId,
    pub login: String,
    pub name: String,
    pub unit_name: String,
    pub agency_name: String,
    #[serde(skip)]
    pub unit_path: TreePath,
    pub office_phone: String,
    pub office_ext: String,
    pub email: String,
    #[serde(skip)]
    pub state: String,
}

/// One line of a form with the item's code and name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormLine {
    pub item: i64,
    pub code: String,
    pub name: String,
    pub before: bool,
    pub after: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Form {
    pub id: FormId,
    pub number: String,
    pub step: Step,
    pub op: Op,
    pub applicant: Applicant,
    pub category_id: Option<i64>,
    pub org_id: Option<i64>,
    /// The organisation's name and OID, for a membership.
    pub org_name: String,
    pub org_oid: String,
    pub title_before: String,
    pub title_id: Option<i64>,
    pub title: String,
    pub app_id: Option<i64>,
    pub app_name: String,
    pub purpose: String,
    pub note: String,
    pub attrs: BTreeMap<String, String>,
    pub approver: Approver,
    #[serde(skip)]
    pub scope_path: Option<TreePath>,
    pub state: FormState,
    pub form_file: Option<FileId>,
    pub undertaking_file: Option<FileId>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub decided_by: Option<AccountId>,
    pub decided_by_name: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decision_note: String,
    pub lines: Vec<FormLine>,
}

const COLS: &str = "f.id, f.step, f.op, f.account_id, p.login AS p_login, p.name AS p_name, \
    COALESCE(pu.name, '') AS p_unit, COALESCE(pg.name, '') AS p_agency, COALESCE(pu.path, '/') AS p_path, \
    p.office_phone AS p_phone, p.office_ext AS p_ext, \
    CASE WHEN p.official_email <> '' THEN p.official_email ELSE p.backup_email END AS p_email, p.state AS p_state, \
    f.category_id, f.org_id, COALESCE(o.name, '') AS org_name, COALESCE(o.oid, '') AS org_oid, \
    COALESCE(tb.name, '') AS title_before, f.title_id, COALESCE(t.name, '') AS title_name, f.app_id, \
    COALESCE(a.name, '') AS app_name, f.purpose, f.note, f.attrs, f.approver, f.scope_path, f.state, f.form_file_id, \
    f.undertaking_file_id, f.submitted_at, f.decided_by, COALESCE(d.name, '') AS d_name, f.decided_at, f.decision_note";
/// Where an admin's scope must reach to sign a form off: the applicant's
/// unit now for a role form, the organisation's unit for a membership.
const FORM_PLACE: &str =
    "(CASE WHEN f.step = 'role' THEN COALESCE(pu.path, '/') ELSE f.scope_path END)";

/// What the queue's filters need, and nothing more: the count reads this.
const FILTER_FROM: &str = "FROM access_forms f JOIN accounts p ON p.id = f.account_id \
    LEFT JOIN org_units pu ON pu.id = p.unit_id";
const FROM: &str = "FROM access_forms f JOIN accounts p ON p.id = f.account_id \
    LEFT JOIN org_units pu ON pu.id = p.unit_id LEFT JOIN org_units pg ON pg.id = pu.agency_id \
    LEFT JOIN access_orgs o ON o.id = f.org_id LEFT JOIN access_org_titles tb ON tb.id = f.title_before_id \
    LEFT JOIN access_org_titles t ON t.id = f.title_id LEFT JOIN apps a ON a.id = f.app_id \
    LEFT JOIN accounts d ON d.id = f.decided_by";

fn from_row(r: &AnyRow) -> Result<Form> {
    let mut f = form_of_row(r)?;
    f.number = form_number(
        f.step,
        f.submitted_at.to_offset(portico_core::time::TAIPEI).year(),
        f.id.0,
    );
    Ok(f)
}

fn form_of_row(r: &AnyRow) -> Result<Form> {
    let bad = |what: &str| Error::internal(format!("bad form {what}"));
    let scope = r.text("scope_path")?;
    Ok(Form {
        id: FormId(r.i64("id")?),
        number: String::new(),
        step: Step::parse(&r.text("step")?).ok_or_else(|| bad("step"))?,
        op: Op::parse(&r.text("op")?).ok_or_else(|| bad("op"))?,
        applicant: Applicant {
            id: AccountId(r.i64("account_id")?),
            login: r.text("p_login")?,
            name: r.text("p_name")?,
            unit_name: r.text("p_unit")?,
            agency_name: r.text("p_agency")?,
            unit_path: TreePath::from_stored(r.text("p_path")?),
            office_phone: r.text("p_phone")?,
            office_ext: r.text("p_ext")?,
            email: r.text("p_email")?,
            state: r.text("p_state")?,
        },
        category_id: r.opt_i64("category_id")?,
        org_id: r.opt_i64("org_id")?,
        org_name: r.text("org_name")?,
        org_oid: r.text("org_oid")?,
        title_before: r.text("title_before")?,
        title_id: r.opt_i64("title_id")?,
        title: r.text("title_name")?,
        app_id: r.opt_i64("app_id")?,
        app_name: r.text("app_name")?,
        purpose: r.text("purpose")?,
        note: r.text("note")?,
        attrs: serde_json::from_str(&r.text("attrs")?).map_err(|_| bad("attrs"))?,
        approver: Approver::parse(&r.text("approver")?).ok_or_else(|| bad("approver"))?,
        scope_path: (!scope.is_empty()).then(|| TreePath::from_stored(scope)),
        state: FormState::parse(&r.text("state")?).ok_or_else(|| bad("state"))?,
        form_file: r.opt_i64("form_file_id")?.map(FileId),
        undertaking_file: r.opt_i64("undertaking_file_id")?.map(FileId),
        submitted_at: at(r.i64("submitted_at")?),
        decided_by: r.opt_i64("decided_by")?.map(AccountId),
        decided_by_name: r.text("d_name")?,
        decided_at: r.opt_i64("decided_at")?.map(at),
        decision_note: r.text("decision_note")?,
        lines: Vec::new(),
    })
}

impl Form {
    /// Where an admin's scope must reach to sign it off (`FORM_PLACE`).
    pub fn place(&self) -> Option<&TreePath> {
        if self.step == Step::Role && self.scope_path.is_some() {
            Some(&self.applicant.unit_path)
        } else {
            self.scope_path.as_ref()
        }
    }
}

/// The lines of the given forms, with their items' codes and names.
async fn with_lines(c: &mut Conn, mut forms: Vec<Form>) -> Result<Vec<Form>> {
    if forms.is_empty() {
        return Ok(forms);
    }
    let mut b = SqlBuf::new(
        "SELECT l.form_id, l.item_id, l.held_before, l.held_after, f.step, \
         COALESCE(mc.code, ao.oid, r.code, '') AS code, COALESCE(mc.name, ao.name, r.name, '') AS name \
         FROM access_form_lines l JOIN access_forms f ON f.id = l.form_id \
         LEFT JOIN member_categories mc ON f.step = 'category' AND mc.id = l.item_id \
         LEFT JOIN access_orgs ao ON f.step = 'org' AND ao.id = l.item_id \
         LEFT JOIN app_roles r ON f.step = 'role' AND r.id = l.item_id WHERE l.form_id IN (",
    );
    for (i, f) in forms.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.i(f.id.0);
    }
    b.push(") ORDER BY l.form_id, l.item_id");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    for r in &rows {
        let id = FormId(r.i64("form_id")?);
        if let Some(f) = forms.iter_mut().find(|f| f.id == id) {
            f.lines.push(FormLine {
                item: r.i64("item_id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                before: r.flag("held_before")?,
                after: r.flag("held_after")?,
            });
        }
    }
    Ok(forms)
}

pub async fn get(c: &mut Conn, id: FormId) -> Result<Option<Form>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE f.id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(f) = r.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    Ok(with_lines(c, vec![f]).await?.pop())
}

/// Whether a form for this item waits already.
pub async fn pending_for(c: &mut Conn, account: AccountId, step: Step, item: i64) -> Result<bool> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM access_forms WHERE account_id = $1 AND target = $2 AND state = 'pending'",
    )
    .bind(account.0)
    .bind(target_key(step, item))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

/// Decides a pending form: exactly one of two racing approvers gets here;
/// the other is told another decided first.
pub async fn decide(
    c: &mut Conn,
    id: FormId,
    state: FormState,
    by: AccountId,
    note: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE access_forms SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
         WHERE id = $5 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(by.0)
    .bind(ms(now))
    .bind(note)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::Conflict {
            field: "state",
            message: already_decided(),
        })
    }
}

/// The applicant takes back a form nobody decided yet.
pub async fn withdraw(
    c: &mut Conn,
    id: FormId,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE access_forms SET state = 'withdrawn', decided_at = $1 \
         WHERE id = $2 AND account_id = $3 AND state = 'pending'",
    )
    .bind(ms(now))
    .bind(id.0)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::Conflict {
            field: "state",
            message: already_decided(),
        })
    }
}

/// A person's own forms of one step (or all), newest first.
pub async fn of_account(c: &mut Conn, account: AccountId, step: Option<Step>) -> Result<Vec<Form>> {
    let mut b = SqlBuf::new(&format!("SELECT {COLS} {FROM} WHERE f.account_id = "));
    b.i(account.0);
    if let Some(s) = step {
        b.push(" AND f.step = ").t(s.as_str());
    }
    b.push(" ORDER BY f.submitted_at DESC, f.id DESC LIMIT 200");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let forms = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    with_lines(c, forms).await
}

/// Who is looking at the queue: a system admin sees every form; others the
/// forms of the applications they manage and, as admins, those in their
/// scope of people not above them.
#[derive(Debug, Clone)]
pub struct Approving {
    pub account: AccountId,
    pub system_admin: bool,
    pub managed_apps: Vec<i64>,
    /// An admin's visibility (`Admin::visible`), if they are one.
    pub admin: Option<Visible>,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub step: Option<Step>,
    /// A form number, an applicant's login or name.
    pub q: Option<String>,
}

fn approvable(b: &mut SqlBuf, who: &Approving) {
    b.push(" AND f.account_id <> ").i(who.account.0);
    if who.system_admin {
        return;
    }
    b.push(" AND (1 = 0");
    if !who.managed_apps.is_empty() {
        b.push(" OR (f.approver = 'app_managers' AND f.app_id IN (");
        for (i, a) in who.managed_apps.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.i(*a);
        }
        b.push("))");
    }
    if let Some(v) = &who.admin {
        // In scope: the form's place; and for their own people, nobody
        // above the admin (what `Admin::view` would hide).
        // A role form's place is where the applicant is now (they may have
        // moved since); a membership's, the organisation's.
        b.push(" OR (f.approver = 'org_admins' AND f.scope_path <> ''");
        b.scope(&v.scope, FORM_PLACE);
        b.push(" AND (NOT (1 = 1");
        b.scope(&v.scope, "COALESCE(pu.path, '/')");
        b.push(") OR (1 = 1");
        b.not_above(v, "f.account_id");
        b.push(")))");
    }
    b.push(")");
}

/// 待簽核表單: the pending forms this approver may sign off, oldest first.
pub async fn queue(
    c: &mut Conn,
    who: &Approving,
    f: &QueueFilter,
    page: u32,
    per_page: u32,
) -> Result<Page<Form>> {
    let mut b = SqlBuf::new(" WHERE f.state = 'pending'");
    approvable(&mut b, who);
    if let Some(s) = f.step {
        b.push(" AND f.step = ").t(s.as_str());
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pat = format!("%{}%", like_escape(q));
        // A form number names its id.
        b.push(" AND (f.id = ")
            .i(portico_core::access::form_seq(q).unwrap_or(0))
            .push(" OR p.login LIKE ")
            .t(pat.clone())
            .push(" ESCAPE '\\' OR p.name LIKE ")
            .t(pat)
            .push(" ESCAPE '\\')");
    }
    let total = capped_count(c, &b).await?;
    let mut s = b.under(&format!("SELECT {COLS} {FROM}"));
    s.push(" ORDER BY f.submitted_at, f.id LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = s.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items: with_lines(c, items).await?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// How many forms wait for this approver (the menu's count).
pub async fn queue_count(c: &mut Conn, who: &Approving) -> Result<i64> {
    let mut b = SqlBuf::new(" WHERE f.state = 'pending'");
    approvable(&mut b, who);
    capped_count(c, &b).await
}

/// Counted no further than this: a queue longer than it reads "1,000+",
/// and a person filters rather than pages through it. Counting 50,000
/// forms on every page costs more than the page.
pub const QUEUE_COUNT_CAP: i64 = 1_000;

/// How many forms the filter matches, up to one past the cap.
async fn capped_count(c: &mut Conn, b: &SqlBuf) -> Result<i64> {
    let mut q = b.under(&format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one {FILTER_FROM}"
    ));
    q.push(" LIMIT ").i(QUEUE_COUNT_CAP + 1).push(") capped");
    q.query().fetch_one(&mut *c).await.map_err(db_err)?.i64("n")
}

/// 個人簽核記錄查詢: the forms this person decided, newest first.
pub async fn decided_by(
    c: &mut Conn,
    by: AccountId,
    page: u32,
    per_page: u32,
) -> Result<Page<Form>> {
    let total = sqlx::query("SELECT COUNT(*) AS n FROM access_forms WHERE decided_by = $1")
        .bind(by.0)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} {FROM} WHERE f.decided_by = $1 ORDER BY f.decided_at DESC, f.id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(by.0)
    .bind(i64::from(per_page))
    .bind(Page::<()>::offset(page, per_page))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items: with_lines(c, items).await?,
        total,
        page: page.max(1),
        per_page,
    })
}
