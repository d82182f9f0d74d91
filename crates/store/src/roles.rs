//! SQL for role grants.
use crate::{Conn, Result, RowExt, db_err, ms, unique_on};
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::org::TreePath;
use portico_core::permission::{AccountWrite, Role, RoleGrant, RoleKind};
use portico_core::{Error, Msg};
use time::OffsetDateTime;

/// A grant as the admin console lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Grant {
    pub id: RoleId,
    pub kind: RoleKind,
    pub scope_unit_id: Option<OrgUnitId>,
    pub scope_name: String,
    #[serde(skip)]
    pub scope_path: Option<TreePath>,
}

impl Grant {
    pub fn role(&self) -> Role {
        Role {
            kind: self.kind,
            scope: self.scope_unit_id.zip(self.scope_path.clone()),
        }
    }
}

pub async fn of_account(c: &mut Conn, id: AccountId) -> Result<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT r.id, r.kind, r.scope_unit_id, COALESCE(u.name, '') AS scope_name, u.path AS scope_path \
         FROM roles r LEFT JOIN org_units u ON u.id = r.scope_unit_id WHERE r.account_id = $1 ORDER BY r.id",
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Grant {
                id: RoleId(r.i64("id")?),
                kind: RoleKind::parse(&r.text("kind")?)
                    .ok_or_else(|| Error::internal("bad role kind"))?,
                scope_unit_id: r.opt_i64("scope_unit_id")?.map(OrgUnitId),
                scope_name: r.text("scope_name")?,
                scope_path: r.opt_text("scope_path")?.map(TreePath::from_stored),
            })
        })
        .collect()
}

/// Writes a grant that a handle proved ([`RoleGrant`]).
pub async fn grant(c: &mut Conn, g: &RoleGrant, now: OffsetDateTime) -> Result<RoleId> {
    let row = sqlx::query("INSERT INTO roles (account_id, kind, scope_unit_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(g.account().0)
        .bind(g.kind().as_str())
        .bind(g.scope().map(|s| s.0))
        .bind(g.by().0)
        .bind(ms(now))
        .fetch_one(&mut *c)
        .await
        .map_err(unique_on("role", Msg::new("此帳號已有相同的角色", "The account already holds this role")))?;
    Ok(RoleId(row.i64("id")?))
}

/// Removes one grant, which must be of the account, kind and scope the
/// proof covers.
pub async fn revoke(c: &mut Conn, g: &RoleGrant, role: RoleId) -> Result<()> {
    let r = sqlx::query(
        "DELETE FROM roles WHERE id = $1 AND account_id = $2 AND kind = $3 \
         AND COALESCE(scope_unit_id, 0) = COALESCE($4, 0)",
    )
    .bind(role.0)
    .bind(g.account().0)
    .bind(g.kind().as_str())
    .bind(g.scope().map(|s| s.0))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Removes the account's roles scoped outside `unit` (the place it moved
/// to) and returns them.
pub async fn revoke_outside(c: &mut Conn, w: AccountWrite, unit: &TreePath) -> Result<Vec<Grant>> {
    let mut gone = Vec::new();
    for g in of_account(c, w.id()).await? {
        if let Some(p) = &g.scope_path
            && !p.contains(unit)
        {
            sqlx::query("DELETE FROM roles WHERE id = $1 AND account_id = $2")
                .bind(g.id.0)
                .bind(w.id().0)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
            gone.push(g);
        }
    }
    Ok(gone)
}

/// How many enabled accounts hold agency admin for `agency`.
pub async fn count_active_agency_admins(c: &mut Conn, agency: OrgUnitId) -> Result<i64> {
    sqlx::query(
        "SELECT COUNT(DISTINCT r.account_id) AS n FROM roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.kind = 'agency_admin' AND r.scope_unit_id = $1 AND a.state = 'active'",
    )
    .bind(agency.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    .i64("n")
}

/// How many active accounts hold the system admin role, after taking the
/// row locks of every system admin grant: of two admins removing the last
/// two at once, the second counts after the first commits.
pub async fn lock_and_count_active_system_admins(c: &mut Conn) -> Result<i64> {
    sqlx::query("UPDATE roles SET kind = kind WHERE kind = 'system_admin'")
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "SELECT COUNT(DISTINCT r.account_id) AS n FROM roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.kind = 'system_admin' AND a.state = 'active'",
    )
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    .i64("n")
}

/// An agency's active administrators, with how to reach them.
#[derive(Debug, Clone)]
pub struct AgencyAdmin {
    pub id: AccountId,
    pub name: String,
    pub login: String,
    pub office_phone: String,
    pub office_ext: String,
    pub official_email: String,
    pub backup_email: String,
}

pub async fn agency_admins(c: &mut Conn, agency: OrgUnitId) -> Result<Vec<AgencyAdmin>> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.name, a.login, a.office_phone, a.office_ext, a.official_email, a.backup_email \
         FROM roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.kind = 'agency_admin' AND r.scope_unit_id = $1 AND a.state = 'active' ORDER BY a.name",
    )
    .bind(agency.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(admin_row).collect()
}

/// The active system admins.
pub async fn system_admins(c: &mut Conn) -> Result<Vec<AgencyAdmin>> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.name, a.login, a.office_phone, a.office_ext, a.official_email, a.backup_email \
         FROM roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.kind = 'system_admin' AND a.state = 'active' ORDER BY a.name",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(admin_row).collect()
}

/// The active unit admins scoped to exactly this unit.
pub async fn unit_admins_of(c: &mut Conn, unit: OrgUnitId) -> Result<Vec<AgencyAdmin>> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.name, a.login, a.office_phone, a.office_ext, a.official_email, a.backup_email \
         FROM roles r JOIN accounts a ON a.id = r.account_id \
         WHERE r.kind = 'unit_admin' AND r.scope_unit_id = $1 AND a.state = 'active' ORDER BY a.name",
    )
    .bind(unit.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(admin_row).collect()
}

fn admin_row(r: &sqlx::any::AnyRow) -> Result<AgencyAdmin> {
    Ok(AgencyAdmin {
        id: AccountId(r.i64("id")?),
        name: r.text("name")?,
        login: r.text("login")?,
        office_phone: r.text("office_phone")?,
        office_ext: r.text("office_ext")?,
        official_email: r.text("official_email")?,
        backup_email: r.text("backup_email")?,
    })
}

/// How many grants are scoped to a unit.
pub async fn count_scoped_to(c: &mut Conn, unit: OrgUnitId) -> Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM roles WHERE scope_unit_id = $1")
        .bind(unit.0)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")
}
