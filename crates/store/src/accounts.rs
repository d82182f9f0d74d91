//! SQL for accounts and their password history; the console's search in
//! `search`, avatars in `avatar`.
mod avatar;
mod search;

use crate::{Conn, Result, RowExt, SqlBuf, at, db_err, ms, unique_on};
pub use avatar::{avatar, remove_avatar, set_avatar};
use portico_core::account::AccountState;
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::{AccountWrite, Unattended};
use portico_core::{Error, Msg};
pub use search::{AccountRow, Search, search};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// An account with its unit and agency, as pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub id: AccountId,
    pub login: String,
    #[serde(skip)]
    pub national_id: Option<String>,
    pub name: String,
    pub unit_id: OrgUnitId,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: TreePath,
    pub agency_id: Option<OrgUnitId>,
    pub agency_name: String,
    pub title: String,
    pub office_phone: String,
    pub office_ext: String,
    pub mobile: String,
    pub backup_email: String,
    pub official_email: String,
    pub birthday: String,
    pub home_address: String,
    pub work_address: String,
    pub state: AccountState,
    #[serde(skip)]
    pub password_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_changed_at: Option<OffsetDateTime>,
    /// Who last set the password, and why (the password section's 修改人
    /// and 備註).
    pub password_changed_by: String,
    pub password_change_note: String,
    pub must_change_password: bool,
    #[serde(skip)]
    pub failed_count: i64,
    #[serde(skip)]
    pub failed_window_start: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    pub sign_in_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// The sign-in before the latest: what the person's own pages call
    /// 上次登入 (the latest is the one they are in).
    #[serde(with = "time::serde::rfc3339::option")]
    pub prev_sign_in_at: Option<OffsetDateTime>,
    /// The latest failed sign-in attempt naming this account.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_failed_at: Option<OffsetDateTime>,
    pub lang: String,
    pub theme: String,
    pub has_avatar: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_change_at: Option<OffsetDateTime>,
    pub last_change_by: String,
    pub last_change_note: String,
}

impl Account {
    /// The latest failed sign-in since the sign-in before the latest
    /// (`prev_sign_in_at`): what 上次登入 shows beside it.
    pub fn failed_since_prev_sign_in(&self) -> Option<OffsetDateTime> {
        self.last_failed_at
            .filter(|f| self.prev_sign_in_at.is_none_or(|p| *f > p))
    }
}

const COLS: &str = "a.id, a.login, a.national_id, a.name, a.unit_id, u.name AS unit_name, u.path AS unit_path, \
    u.agency_id, COALESCE(g.name, '') AS agency_name, a.title, a.office_phone, a.office_ext, a.mobile, a.backup_email, \
    a.official_email, a.birthday, a.home_address, a.work_address, a.state, a.password_hash, a.password_changed_at, \
    a.password_changed_by, a.password_change_note, \
    a.must_change_password, a.failed_count, a.failed_window_start, a.locked_until, a.sign_in_count, a.last_sign_in_at, \
    a.prev_sign_in_at, a.last_failed_at, a.lang, a.theme, a.has_avatar, a.applied_at, a.last_change_at, a.last_change_by, a.last_change_note";
const FROM: &str = "FROM accounts a JOIN org_units u ON u.id = a.unit_id LEFT JOIN org_units g ON g.id = u.agency_id";

fn from_row(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: AccountId(r.i64("id")?),
        login: r.text("login")?,
        national_id: r.opt_text("national_id")?,
        name: r.text("name")?,
        unit_id: OrgUnitId(r.i64("unit_id")?),
        unit_name: r.text("unit_name")?,
        unit_path: TreePath::from_stored(r.text("unit_path")?),
        agency_id: r.opt_i64("agency_id")?.map(OrgUnitId),
        agency_name: r.text("agency_name")?,
        title: r.text("title")?,
        office_phone: r.text("office_phone")?,
        office_ext: r.text("office_ext")?,
        mobile: r.text("mobile")?,
        backup_email: r.text("backup_email")?,
        official_email: r.text("official_email")?,
        birthday: r.text("birthday")?,
        home_address: r.text("home_address")?,
        work_address: r.text("work_address")?,
        state: AccountState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad account state"))?,
        password_hash: r.opt_text("password_hash")?,
        password_changed_at: r.opt_i64("password_changed_at")?.map(at),
        password_changed_by: r.text("password_changed_by")?,
        password_change_note: r.text("password_change_note")?,
        must_change_password: r.flag("must_change_password")?,
        failed_count: r.i64("failed_count")?,
        failed_window_start: r.opt_i64("failed_window_start")?.map(at),
        locked_until: r.opt_i64("locked_until")?.map(at),
        sign_in_count: r.i64("sign_in_count")?,
        last_sign_in_at: r.opt_i64("last_sign_in_at")?.map(at),
        prev_sign_in_at: r.opt_i64("prev_sign_in_at")?.map(at),
        last_failed_at: r.opt_i64("last_failed_at")?.map(at),
        lang: r.text("lang")?,
        theme: r.text("theme")?,
        has_avatar: r.flag("has_avatar")?,
        applied_at: at(r.i64("applied_at")?),
        last_change_at: r.opt_i64("last_change_at")?.map(at),
        last_change_by: r.text("last_change_by")?,
        last_change_note: r.text("last_change_note")?,
    })
}

async fn one(c: &mut Conn, where_: &str, v: crate::Val) -> Result<Option<Account>> {
    let mut b = SqlBuf::new(&format!("SELECT {COLS} {FROM} WHERE {where_}"));
    b.bind(v);
    let row = b.query().fetch_optional(&mut *c).await.map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get(c: &mut Conn, id: AccountId) -> Result<Option<Account>> {
    one(c, "a.id = ", crate::Val::I(id.0)).await
}

pub async fn find_by_login(c: &mut Conn, login: &str) -> Result<Option<Account>> {
    one(c, "a.login = ", crate::Val::T(login.to_owned())).await
}

/// The account with this national ID (stored upper-case).
pub async fn find_by_national_id(c: &mut Conn, id: &str) -> Result<Option<Account>> {
    one(c, "a.national_id = ", crate::Val::T(id.to_uppercase())).await
}

/// The account whose backup e-mail this is (addresses are stored lower-case).
pub async fn find_by_backup_email(c: &mut Conn, email: &str) -> Result<Option<Account>> {
    one(c, "a.backup_email = ", crate::Val::T(email.to_lowercase())).await
}

/// Every account a directory should hold (approved, active or disabled),
/// for reconciling one; a page of `limit` after `after_id`.
pub async fn provisioned(c: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<Account>> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLS} {FROM} WHERE a.state IN ('approved', 'active', 'disabled') AND a.id > "
    ));
    b.i(after_id).push(" ORDER BY a.id LIMIT ").i(limit);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Active accounts of an agency whose name or login starts with `prefix`
/// (a custodian choosing whom to hand a mail account to), at most `limit`.
pub async fn active_in_agency_named(
    c: &mut Conn,
    agency: OrgUnitId,
    prefix: &str,
    limit: i64,
) -> Result<Vec<Account>> {
    let (lo, hi) = portico_core::text::prefix_range(prefix.trim());
    let (llo, lhi) = portico_core::text::prefix_range(&prefix.trim().to_ascii_lowercase());
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLS} {FROM} WHERE a.state = 'active' AND u.agency_id = "
    ));
    b.i(agency.0)
        .push(" AND ((a.name >= ")
        .t(lo)
        .push(" AND a.name < ")
        .t(hi)
        .push(") OR (a.login >= ")
        .t(llo)
        .push(" AND a.login < ")
        .t(lhi)
        .push(")) ORDER BY a.name, a.id LIMIT ")
        .i(limit);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// A contact a signed-out person names their account by.
#[derive(Debug, Clone, Copy)]
pub enum Contact {
    BackupEmail,
    Mobile,
}

/// The accounts (a few at most) with this backup e-mail or bound mobile;
/// e-mail is stored lower-case, a mobile as `MobilePhone` writes it.
pub async fn with_contact(c: &mut Conn, which: Contact, value: &str) -> Result<Vec<Account>> {
    let (col, v) = match which {
        Contact::BackupEmail => ("a.backup_email = ", value.to_lowercase()),
        Contact::Mobile => ("a.mobile = ", value.to_owned()),
    };
    let mut b = SqlBuf::new(&format!("SELECT {COLS} {FROM} WHERE {col}"));
    b.bind(crate::Val::T(v)).push(" ORDER BY a.id LIMIT 5");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Active accounts unused since `cutoff`: no sign-in (or, never signed in,
/// no activation) after it. 002 §五: disabled after six months unused.
pub async fn idle_since(c: &mut Conn, cutoff: OffsetDateTime, limit: i64) -> Result<Vec<Account>> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLS} {FROM} WHERE a.state = 'active' AND COALESCE(a.last_sign_in_at, a.password_changed_at, a.applied_at) < "
    ));
    b.i(ms(cutoff)).push(" ORDER BY a.id LIMIT ").i(limit);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Is this login name or national ID taken?
pub async fn login_exists(c: &mut Conn, login: &str) -> Result<bool> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM accounts WHERE login = $1")
        .bind(login)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

/// The fields an applicant fills in, beyond the profile: whether they want
/// an official mailbox, and a note to the reviewer.
pub async fn set_application(
    c: &mut Conn,
    w: AccountWrite,
    a: &Enrolment<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query(
        "UPDATE accounts SET name = $1, unit_id = $2, title = $3, office_phone = $4, office_ext = $5, \
         needs_official_mail = $6, note = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(a.name)
    .bind(a.unit_id.0)
    .bind(a.title)
    .bind(a.office_phone)
    .bind(a.office_ext)
    .bind(i64::from(a.needs_official_mail))
    .bind(a.note)
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub struct Enrolment<'a> {
    pub name: &'a str,
    pub unit_id: OrgUnitId,
    pub title: &'a str,
    pub office_phone: &'a str,
    pub office_ext: &'a str,
    pub needs_official_mail: bool,
    pub note: &'a str,
}

/// The fields a new account starts with.
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub national_id: Option<&'a str>,
    pub name: &'a str,
    pub unit_id: OrgUnitId,
    pub title: &'a str,
    pub office_phone: &'a str,
    pub office_ext: &'a str,
    pub mobile: &'a str,
    pub backup_email: &'a str,
    pub official_email: &'a str,
    pub state: AccountState,
    pub password_hash: Option<&'a str>,
}

pub fn login_taken() -> Msg {
    Msg::new(
        "此帳號已被使用，請改用其他帳號",
        "This login name is taken; choose another",
    )
}

pub async fn insert(c: &mut Conn, n: &NewAccount<'_>, now: OffsetDateTime) -> Result<AccountId> {
    let row = sqlx::query(
        "INSERT INTO accounts (login, national_id, name, unit_id, title, office_phone, office_ext, mobile, backup_email, \
         official_email, state, password_hash, password_changed_at, applied_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14) RETURNING id",
    )
    .bind(n.login)
    .bind(n.national_id)
    .bind(n.name)
    .bind(n.unit_id.0)
    .bind(n.title)
    .bind(n.office_phone)
    .bind(n.office_ext)
    .bind(n.mobile)
    .bind(n.backup_email)
    .bind(n.official_email)
    .bind(n.state.as_str())
    .bind(n.password_hash)
    .bind(n.password_hash.map(|_| ms(now)))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(|e| {
        let msg = e.as_database_error().map(|d| d.message().to_owned()).unwrap_or_default();
        if msg.contains("national_id") {
            unique_on("national_id", Msg::new("此身分證號已有帳號", "An account with this national ID exists"))(e)
        } else {
            unique_on("login", login_taken())(e)
        }
    })?;
    let id = AccountId(row.i64("id")?);
    if !n.backup_email.is_empty() {
        // The account was made just now, in this transaction.
        let new = Unattended::unattended("a new account's backup email").account(id);
        bind_email(c, new, n.backup_email, now).await?;
    }
    Ok(id)
}

pub fn email_taken() -> Msg {
    Msg::new(
        "此電子郵件已綁定過帳號，不可再使用",
        "This e-mail address has been bound to an account before and cannot be used",
    )
}

/// Records that `email` is bound to `id`. 004 §參: an address that was ever
/// bound to an account is never accepted again.
pub async fn bind_email(
    c: &mut Conn,
    w: AccountWrite,
    email: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query("INSERT INTO bound_emails (email, account_id, bound_at) VALUES ($1, $2, $3)")
        .bind(email.to_lowercase())
        .bind(id.0)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(unique_on("backup_email", email_taken()))?;
    Ok(())
}

/// Has this address ever been bound to an account?
pub async fn email_ever_bound(c: &mut Conn, email: &str) -> Result<bool> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM bound_emails WHERE email = $1")
        .bind(email.to_lowercase())
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

/// Takes the account's row lock for the rest of the transaction (a no-op
/// write: portable, and on SQLite the writer already serialises).
pub async fn lock(c: &mut Conn, id: AccountId) -> Result<()> {
    let r = sqlx::query("UPDATE accounts SET failed_count = failed_count WHERE id = $1")
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

/// The editable personal and official data (004 §參 五).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub office_phone: String,
    pub office_ext: String,
    pub birthday: String,
    pub home_address: String,
    pub work_address: String,
}

/// Who changed an account last, shown on the account page.
pub struct Change<'a> {
    pub at: OffsetDateTime,
    pub by: &'a str,
    pub note: &'a str,
}

pub async fn update_profile(
    c: &mut Conn,
    w: AccountWrite,
    p: &Profile,
    ch: &Change<'_>,
) -> Result<()> {
    let id = w.id();
    sqlx::query(
        "UPDATE accounts SET name = $1, title = $2, office_phone = $3, office_ext = $4, birthday = $5, home_address = $6, \
         work_address = $7, updated_at = $8, last_change_at = $8, last_change_by = $9, last_change_note = $10 WHERE id = $11",
    )
    .bind(&p.name)
    .bind(&p.title)
    .bind(&p.office_phone)
    .bind(&p.office_ext)
    .bind(&p.birthday)
    .bind(&p.home_address)
    .bind(&p.work_address)
    .bind(ms(ch.at))
    .bind(ch.by)
    .bind(ch.note)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn note_change(c: &mut Conn, w: AccountWrite, ch: &Change<'_>) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET updated_at = $1, last_change_at = $1, last_change_by = $2, last_change_note = $3 WHERE id = $4")
        .bind(ms(ch.at))
        .bind(ch.by)
        .bind(ch.note)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Sets a new password hash, keeps the old one in the history, and clears
/// any lock.
/// Sets the password (the old one goes to the history), with who did it
/// and why (`ch`).
pub async fn set_password(
    c: &mut Conn,
    w: AccountWrite,
    hash: &str,
    must_change: bool,
    ch: &Change<'_>,
) -> Result<()> {
    let now = ch.at;
    let id = w.id();
    sqlx::query(
        "INSERT INTO password_history (account_id, hash, created_at) \
         SELECT id, password_hash, $1 FROM accounts WHERE id = $2 AND password_hash IS NOT NULL",
    )
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = $3, failed_count = 0, \
         failed_window_start = NULL, locked_until = NULL, updated_at = $2, password_changed_by = $5, password_change_note = $6 \
         WHERE id = $4",
    )
    .bind(hash)
    .bind(ms(now))
    .bind(i64::from(must_change))
    .bind(id.0)
    .bind(ch.by)
    .bind(ch.note)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The newest `n` previous password hashes (the current one excluded).
pub async fn recent_password_hashes(c: &mut Conn, id: AccountId, n: u32) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT hash FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id.0)
    .bind(i64::from(n))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.text("hash")).collect()
}

pub async fn set_must_change_password(c: &mut Conn, w: AccountWrite, v: bool) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET must_change_password = $1 WHERE id = $2")
        .bind(i64::from(v))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn record_failure(
    c: &mut Conn,
    w: AccountWrite,
    f: &portico_core::account::Failures,
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET failed_count = $1, failed_window_start = $2, locked_until = $3, last_failed_at = $5 WHERE id = $4")
        .bind(i64::from(f.count))
        .bind(ms(f.window_start))
        .bind(f.locked_until.map(ms))
        .bind(id.0)
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn record_sign_in(c: &mut Conn, w: AccountWrite, now: OffsetDateTime) -> Result<()> {
    let id = w.id();
    sqlx::query(
        "UPDATE accounts SET failed_count = 0, failed_window_start = NULL, locked_until = NULL, \
         sign_in_count = sign_in_count + 1, prev_sign_in_at = last_sign_in_at, last_sign_in_at = $1 WHERE id = $2",
    )
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn unlock(c: &mut Conn, w: AccountWrite) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET failed_count = 0, failed_window_start = NULL, locked_until = NULL WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Moves the account from `from` to `to`, only if it is still in `from`:
/// of two admins acting at once, exactly one succeeds.
pub async fn transition(
    c: &mut Conn,
    w: AccountWrite,
    from: AccountState,
    to: AccountState,
    now: OffsetDateTime,
) -> Result<bool> {
    let id = w.id();
    // A cancellation starts the one-year clock on its forms (002 §六 (一)).
    let r = sqlx::query(
        "UPDATE accounts SET state = $1, updated_at = $2, \
         cancelled_at = CASE WHEN $1 = 'cancelled' THEN $2 ELSE cancelled_at END \
         WHERE id = $3 AND state = $4",
    )
    .bind(to.as_str())
    .bind(ms(now))
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Moves the account to another unit (an agency change, a reinstatement),
/// with a new title when one is given.
pub async fn move_to_unit(
    c: &mut Conn,
    w: AccountWrite,
    unit: OrgUnitId,
    title: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET unit_id = $1, title = COALESCE($2, title), updated_at = $3 WHERE id = $4")
        .bind(unit.0)
        .bind(title)
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The official mailbox a reviewer granted.
pub async fn set_official_email(c: &mut Conn, w: AccountWrite, email: &str) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET official_email = $1 WHERE id = $2")
        .bind(email)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The backup e-mail or mobile a person confirmed with a code.
pub async fn set_contact(
    c: &mut Conn,
    w: AccountWrite,
    backup_email: Option<&str>,
    mobile: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query(
        "UPDATE accounts SET backup_email = COALESCE($1, backup_email), mobile = COALESCE($2, mobile), updated_at = $3 WHERE id = $4",
    )
    .bind(backup_email)
    .bind(mobile)
    .bind(ms(now))
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn set_prefs(c: &mut Conn, w: AccountWrite, lang: &str, theme: &str) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET lang = $1, theme = $2 WHERE id = $3")
        .bind(lang)
        .bind(theme)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn count(c: &mut Conn) -> Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM accounts")
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")
}

/// Sets when the password was last changed (the demo's "about to expire").
pub async fn backdate_password(
    c: &mut Conn,
    w: AccountWrite,
    changed_at: OffsetDateTime,
) -> Result<()> {
    let id = w.id();
    sqlx::query("UPDATE accounts SET password_changed_at = $1 WHERE id = $2")
        .bind(ms(changed_at))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}
