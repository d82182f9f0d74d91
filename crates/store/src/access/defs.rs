//! The definitions access requests ask for: member categories,
//! organisations with their 職稱/身分, application roles, and the
//! applications' managers. A code, an OID, a unit and a role code within
//! its application are unique by index.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, like_escape, ms, unique_on};
use portico_core::Error;
use portico_core::Msg;
use portico_core::access::{Approver, AttrField, CategoryFields, OrgFields, RoleFields};
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::org::TreePath;
use portico_core::permission::{AppManage, SystemWrite};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub needs_form: bool,
    pub active: bool,
}

fn category_row(r: &AnyRow) -> Result<Category> {
    Ok(Category {
        id: r.i64("id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        description: r.text("description")?,
        needs_form: r.flag("needs_form")?,
        active: r.flag("active")?,
    })
}

const CATEGORY_COLS: &str = "id, code, name, description, needs_form, active";

pub async fn categories(c: &mut Conn, with_inactive: bool) -> Result<Vec<Category>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CATEGORY_COLS} FROM member_categories {} ORDER BY code",
        if with_inactive {
            ""
        } else {
            "WHERE active = 1"
        }
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(category_row).collect()
}

pub async fn category(c: &mut Conn, id: i64) -> Result<Option<Category>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CATEGORY_COLS} FROM member_categories WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.as_ref().map(category_row).transpose()
}

fn code_taken() -> Msg {
    Msg::new("此代碼已被使用", "This code is already used")
}

pub async fn insert_category(
    c: &mut Conn,
    _w: SystemWrite,
    f: &CategoryFields,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO member_categories (code, name, description, needs_form, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(i64::from(f.needs_form))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on("code", code_taken()))?;
    r.i64("id")
}

pub async fn update_category(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    f: &CategoryFields,
    active: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE member_categories SET code = $1, name = $2, description = $3, needs_form = $4, \
         active = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(i64::from(f.needs_form))
    .bind(i64::from(active))
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(unique_on("code", code_taken()))?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Title {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AccessOrg {
    pub id: i64,
    pub unit_id: Option<OrgUnitId>,
    #[serde(skip)]
    pub unit_path: Option<TreePath>,
    pub name: String,
    pub oid: String,
    pub description: String,
    pub needs_form: bool,
    pub roles_only: bool,
    pub active: bool,
    pub titles: Vec<Title>,
}

const ORG_COLS: &str = "o.id, o.unit_id, u.path AS unit_path, o.name, o.oid, o.description, o.needs_form, \
    o.roles_only, o.active";
const ORG_FROM: &str = "FROM access_orgs o LEFT JOIN org_units u ON u.id = o.unit_id";

fn org_row(r: &AnyRow) -> Result<AccessOrg> {
    Ok(AccessOrg {
        id: r.i64("id")?,
        unit_id: r.opt_i64("unit_id")?.map(OrgUnitId),
        unit_path: r.opt_text("unit_path")?.map(TreePath::from_stored),
        name: r.text("name")?,
        oid: r.text("oid")?,
        description: r.text("description")?,
        needs_form: r.flag("needs_form")?,
        roles_only: r.flag("roles_only")?,
        active: r.flag("active")?,
        titles: Vec::new(),
    })
}

async fn with_titles(c: &mut Conn, mut orgs: Vec<AccessOrg>) -> Result<Vec<AccessOrg>> {
    if orgs.is_empty() {
        return Ok(orgs);
    }
    let mut b =
        SqlBuf::new("SELECT id, org_id, name, active FROM access_org_titles WHERE org_id IN (");
    for (i, o) in orgs.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.i(o.id);
    }
    b.push(") ORDER BY position, id");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    for r in &rows {
        let org = r.i64("org_id")?;
        if let Some(o) = orgs.iter_mut().find(|o| o.id == org) {
            o.titles.push(Title {
                id: r.i64("id")?,
                name: r.text("name")?,
                active: r.flag("active")?,
            });
        }
    }
    Ok(orgs)
}

/// Organisations by name or OID (seed 000: 查詢 組織名稱或OID), a page.
pub async fn orgs(
    c: &mut Conn,
    q: &str,
    with_inactive: bool,
    page: u32,
    per_page: u32,
) -> Result<Page<AccessOrg>> {
    let mut b = SqlBuf::new(" WHERE 1 = 1");
    if !with_inactive {
        b.push(" AND o.active = 1");
    }
    let q = q.trim();
    if !q.is_empty() {
        let pat = format!("%{}%", like_escape(q));
        b.push(" AND (o.name LIKE ")
            .t(pat.clone())
            .push(" ESCAPE '\\' OR o.oid LIKE ")
            .t(pat)
            .push(" ESCAPE '\\')");
    }
    let total = b
        .under(&format!("SELECT COUNT(*) AS n {ORG_FROM}"))
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut s = b.under(&format!("SELECT {ORG_COLS} {ORG_FROM}"));
    s.push(" ORDER BY o.oid LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = s.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let items = rows.iter().map(org_row).collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items: with_titles(c, items).await?,
        total,
        page: page.max(1),
        per_page,
    })
}

pub async fn org(c: &mut Conn, id: i64) -> Result<Option<AccessOrg>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORG_COLS} {ORG_FROM} WHERE o.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(o) = r.as_ref().map(org_row).transpose()? else {
        return Ok(None);
    };
    Ok(with_titles(c, vec![o]).await?.pop())
}

/// The organisations a person belongs to by their agency: those marked
/// roles-only whose unit holds the person's unit.
pub async fn roles_only_orgs_over(c: &mut Conn, unit_path: &TreePath) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT o.id FROM access_orgs o JOIN org_units u ON u.id = o.unit_id \
         WHERE o.roles_only = 1 AND o.active = 1 AND substr($1, 1, length(u.path)) = u.path",
    )
    .bind(unit_path.as_str())
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.i64("id")).collect()
}

fn org_taken(e: sqlx::Error) -> Error {
    let unit = matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()
        && (d.message().contains("unit_id") || d.constraint().is_some_and(|c| c.contains("unit"))));
    if unit {
        Error::Conflict {
            field: "unit",
            message: Msg::new(
                "此機關已是可加入的組織",
                "This agency is already an organisation",
            ),
        }
    } else {
        unique_on(
            "oid",
            Msg::new("此 OID 已有組織使用", "Another organisation has this OID"),
        )(e)
    }
}

pub async fn insert_org(
    c: &mut Conn,
    _w: SystemWrite,
    f: &OrgFields,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO access_orgs (unit_id, name, oid, description, needs_form, roles_only, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(f.unit)
    .bind(&f.name)
    .bind(&f.oid)
    .bind(&f.description)
    .bind(i64::from(f.needs_form))
    .bind(i64::from(f.roles_only))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(org_taken)?;
    r.i64("id")
}

pub async fn update_org(
    c: &mut Conn,
    _w: SystemWrite,
    id: i64,
    f: &OrgFields,
    active: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE access_orgs SET unit_id = $1, name = $2, oid = $3, description = $4, needs_form = $5, \
         roles_only = $6, active = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(f.unit)
    .bind(&f.name)
    .bind(&f.oid)
    .bind(&f.description)
    .bind(i64::from(f.needs_form))
    .bind(i64::from(f.roles_only))
    .bind(i64::from(active))
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(org_taken)?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn insert_title(c: &mut Conn, _w: SystemWrite, org: i64, name: &str) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO access_org_titles (org_id, name, position) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM access_org_titles WHERE org_id = $1)) \
         RETURNING id",
    )
    .bind(org)
    .bind(name)
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on(
        "title",
        Msg::new("此組織已有同名的職稱/身分", "The organisation already has this title"),
    ))?;
    r.i64("id")
}

pub async fn set_title_active(
    c: &mut Conn,
    _w: SystemWrite,
    org: i64,
    title: i64,
    active: bool,
) -> Result<()> {
    let r = sqlx::query("UPDATE access_org_titles SET active = $1 WHERE id = $2 AND org_id = $3")
        .bind(i64::from(active))
        .bind(title)
        .bind(org)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AppRole {
    pub id: i64,
    pub app_id: i64,
    pub app_name: String,
    pub code: String,
    pub name: String,
    pub description: String,
    /// The category and organisation it needs, with their names.
    pub needs_category: Option<(i64, String)>,
    pub needs_org: Option<(i64, String)>,
    pub needs_form: bool,
    pub needs_undertaking: bool,
    pub approver: Approver,
    pub schema: Vec<AttrField>,
    pub active: bool,
}

const ROLE_COLS: &str = "r.id, r.app_id, a.name AS app_name, r.code, r.name, r.description, \
    r.needs_category_id, mc.name AS category_name, r.needs_org_id, ao.name AS org_name, r.needs_form, \
    r.needs_undertaking, r.approver, r.attr_schema, r.active";
const ROLE_FROM: &str = "FROM app_roles r JOIN apps a ON a.id = r.app_id \
    LEFT JOIN member_categories mc ON mc.id = r.needs_category_id \
    LEFT JOIN access_orgs ao ON ao.id = r.needs_org_id";

fn role_row(r: &AnyRow) -> Result<AppRole> {
    let pair = |id: Option<i64>, name: Option<String>| id.map(|i| (i, name.unwrap_or_default()));
    Ok(AppRole {
        id: r.i64("id")?,
        app_id: r.i64("app_id")?,
        app_name: r.text("app_name")?,
        code: r.text("code")?,
        name: r.text("name")?,
        description: r.text("description")?,
        needs_category: pair(
            r.opt_i64("needs_category_id")?,
            r.opt_text("category_name")?,
        ),
        needs_org: pair(r.opt_i64("needs_org_id")?, r.opt_text("org_name")?),
        needs_form: r.flag("needs_form")?,
        needs_undertaking: r.flag("needs_undertaking")?,
        approver: Approver::parse(&r.text("approver")?)
            .ok_or_else(|| Error::internal("bad approver"))?,
        schema: serde_json::from_str(&r.text("attr_schema")?)
            .map_err(|e| Error::internal(format!("attr_schema: {e}")))?,
        active: r.flag("active")?,
    })
}

/// An application's roles, in the order they were defined.
pub async fn roles_of(c: &mut Conn, app: i64, with_inactive: bool) -> Result<Vec<AppRole>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROLE_COLS} {ROLE_FROM} WHERE r.app_id = $1 {} ORDER BY r.position, r.id",
        if with_inactive {
            ""
        } else {
            "AND r.active = 1"
        }
    )))
    .bind(app)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(role_row).collect()
}

pub async fn role(c: &mut Conn, id: i64) -> Result<Option<AppRole>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROLE_COLS} {ROLE_FROM} WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.as_ref().map(role_row).transpose()
}

/// The applications that offer roles (at least one active), by name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoleApp {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub roles: i64,
}

pub async fn apps_with_roles(c: &mut Conn) -> Result<Vec<RoleApp>> {
    let rows = sqlx::query(
        "SELECT a.id, a.name, a.description, COUNT(r.id) AS n FROM apps a JOIN app_roles r ON r.app_id = a.id \
         WHERE r.active = 1 AND a.suspended = 0 GROUP BY a.id, a.name, a.description ORDER BY a.name",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(RoleApp {
                id: r.i64("id")?,
                name: r.text("name")?,
                description: r.text("description")?,
                roles: r.i64("n")?,
            })
        })
        .collect()
}

fn role_taken() -> Msg {
    Msg::new(
        "此應用系統已有相同代碼的角色",
        "The application already has a role with this code",
    )
}

fn schema_json(f: &RoleFields) -> Result<String> {
    serde_json::to_string(&f.schema).map_err(|e| Error::internal(format!("schema: {e}")))
}

pub async fn insert_role(
    c: &mut Conn,
    w: AppManage,
    f: &RoleFields,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO app_roles (app_id, code, name, description, needs_category_id, needs_org_id, needs_form, \
         needs_undertaking, approver, attr_schema, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         (SELECT COALESCE(MAX(position), 0) + 1 FROM app_roles WHERE app_id = $1), $11, $11) RETURNING id",
    )
    .bind(w.app())
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(f.needs_category)
    .bind(f.needs_org)
    .bind(i64::from(f.needs_form))
    .bind(i64::from(f.needs_undertaking))
    .bind(f.approver.as_str())
    .bind(schema_json(f)?)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on("code", role_taken()))?;
    r.i64("id")
}

pub async fn update_role(
    c: &mut Conn,
    w: AppManage,
    id: i64,
    f: &RoleFields,
    active: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE app_roles SET code = $1, name = $2, description = $3, needs_category_id = $4, needs_org_id = $5, \
         needs_form = $6, needs_undertaking = $7, approver = $8, attr_schema = $9, active = $10, updated_at = $11 \
         WHERE id = $12 AND app_id = $13",
    )
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(f.needs_category)
    .bind(f.needs_org)
    .bind(i64::from(f.needs_form))
    .bind(i64::from(f.needs_undertaking))
    .bind(f.approver.as_str())
    .bind(schema_json(f)?)
    .bind(i64::from(active))
    .bind(ms(now))
    .bind(id)
    .bind(w.app())
    .execute(&mut *c)
    .await
    .map_err(unique_on("code", role_taken()))?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Manager {
    pub id: AccountId,
    pub login: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
}

/// An application's managers, the ids for the permission check: those
/// appointed, and the person who registered it.
pub async fn manager_ids(c: &mut Conn, app: i64) -> Result<Vec<AccountId>> {
    let rows = sqlx::query(
        "SELECT account_id FROM app_managers WHERE app_id = $1 \
         UNION SELECT owner_id AS account_id FROM apps WHERE id = $1",
    )
    .bind(app)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok(AccountId(r.i64("account_id")?)))
        .collect()
}

pub async fn managers(c: &mut Conn, app: i64) -> Result<Vec<Manager>> {
    let rows = sqlx::query(
        "SELECT m.account_id, a.login, a.name, m.granted_at FROM app_managers m \
         JOIN accounts a ON a.id = m.account_id WHERE m.app_id = $1 ORDER BY a.login",
    )
    .bind(app)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Manager {
                id: AccountId(r.i64("account_id")?),
                login: r.text("login")?,
                name: r.text("name")?,
                granted_at: at(r.i64("granted_at")?),
            })
        })
        .collect()
}

/// The applications a person manages: appointed, or registered by them.
pub async fn managed_apps(c: &mut Conn, account: AccountId) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT app_id FROM app_managers WHERE account_id = $1 \
         UNION SELECT id AS app_id FROM apps WHERE owner_id = $1 ORDER BY app_id",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| r.i64("app_id")).collect()
}

/// Appoints a manager; appointing one twice changes nothing.
pub async fn add_manager(
    c: &mut Conn,
    w: AppManage,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO app_managers (app_id, account_id, granted_by, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (app_id, account_id) DO NOTHING",
    )
    .bind(w.app())
    .bind(account.0)
    .bind(w.by().0)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_manager(c: &mut Conn, w: AppManage, account: AccountId) -> Result<bool> {
    let r = sqlx::query("DELETE FROM app_managers WHERE app_id = $1 AND account_id = $2")
        .bind(w.app())
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}
