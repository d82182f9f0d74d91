//! SQL for the org tree.
use crate::{Conn, Result, RowExt, at, db_err, ms, unique_on};
use portico_core::ids::OrgUnitId;
use portico_core::org::{OrgKind, TreePath};
use portico_core::permission::SystemWrite;
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    /// The nearest agency at or above this node; `None` for groups.
    pub agency_id: Option<OrgUnitId>,
    pub kind: OrgKind,
    pub name: String,
    pub oid: String,
    pub path: TreePath,
    pub sort_order: i64,
    pub enabled: bool,
    #[serde(skip)]
    pub updated_at: OffsetDateTime,
}

const COLS: &str =
    "id, parent_id, agency_id, kind, name, oid, path, sort_order, enabled, updated_at";

fn from_row(r: &AnyRow) -> Result<OrgUnit> {
    Ok(OrgUnit {
        id: OrgUnitId(r.i64("id")?),
        parent_id: r.opt_i64("parent_id")?.map(OrgUnitId),
        agency_id: r.opt_i64("agency_id")?.map(OrgUnitId),
        kind: OrgKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad org kind"))?,
        name: r.text("name")?,
        oid: r.text("oid")?,
        path: TreePath::from_stored(r.text("path")?),
        sort_order: r.i64("sort_order")?,
        enabled: r.flag("enabled")?,
        updated_at: at(r.i64("updated_at")?),
    })
}

fn oid_taken() -> Msg {
    Msg::new(
        "此 OID 已被其他單位使用",
        "Another unit already uses this OID",
    )
}

pub struct NewUnit<'a> {
    pub parent: Option<&'a OrgUnit>,
    pub kind: OrgKind,
    pub name: &'a str,
    pub oid: &'a str,
    pub sort_order: i64,
}

/// Inserts a node below `parent` and gives it its path and agency.
pub async fn insert(
    c: &mut Conn,
    _w: SystemWrite,
    n: NewUnit<'_>,
    now: OffsetDateTime,
) -> Result<OrgUnit> {
    let row = sqlx::query(
        "INSERT INTO org_units (parent_id, agency_id, kind, name, oid, path, sort_order, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, '', $6, 1, $7, $7) RETURNING id",
    )
    .bind(n.parent.map(|p| p.id.0))
    .bind(n.parent.and_then(|p| p.agency_id).map(|a| a.0))
    .bind(n.kind.as_str())
    .bind(n.name)
    .bind(n.oid)
    .bind(n.sort_order)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on("oid", oid_taken()))?;
    let id = OrgUnitId(row.i64("id")?);
    let path = match n.parent {
        Some(p) => p.path.child(id),
        None => TreePath::root_child(id),
    };
    let agency = if n.kind == OrgKind::Agency {
        Some(id)
    } else {
        n.parent.and_then(|p| p.agency_id)
    };
    sqlx::query("UPDATE org_units SET path = $1, agency_id = $2 WHERE id = $3")
        .bind(path.as_str())
        .bind(agency.map(|a| a.0))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    get(c, id).await?.ok_or(Error::NotFound)
}

pub async fn get(c: &mut Conn, id: OrgUnitId) -> Result<Option<OrgUnit>> {
    let sql = format!("SELECT {COLS} FROM org_units WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list_all(c: &mut Conn) -> Result<Vec<OrgUnit>> {
    let sql = format!("SELECT {COLS} FROM org_units ORDER BY sort_order, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Account counts per unit (direct members only).
pub async fn account_counts(c: &mut Conn) -> Result<Vec<(OrgUnitId, i64)>> {
    let rows = sqlx::query("SELECT unit_id, COUNT(*) AS n FROM accounts GROUP BY unit_id")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok((OrgUnitId(r.i64("unit_id")?), r.i64("n")?)))
        .collect()
}

pub async fn count_children(c: &mut Conn, id: OrgUnitId) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM org_units WHERE parent_id = $1")
        .bind(id.0)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    r.i64("n")
}

/// Takes the unit's row lock for the rest of the transaction (a no-op
/// write): checks that count an agency's admins serialise on it.
pub async fn lock(c: &mut Conn, id: OrgUnitId) -> Result<()> {
    sqlx::query("UPDATE org_units SET updated_at = updated_at WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// True when the node or any of its ancestors is disabled: nothing new
/// (a role scope, an account) may be placed there.
pub async fn is_disabled_on_path(c: &mut Conn, path: &TreePath) -> Result<bool> {
    let mut b =
        crate::SqlBuf::new("SELECT COUNT(*) AS n FROM org_units WHERE enabled = 0 AND id IN (");
    for (i, id) in path.ids().iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.i(id.0);
    }
    b.push(")");
    let r = b.query().fetch_one(&mut *c).await.map_err(db_err)?;
    Ok(r.i64("n")? > 0)
}

pub async fn count_accounts_in_subtree(c: &mut Conn, path: &TreePath) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM accounts a JOIN org_units u ON u.id = a.unit_id WHERE u.path >= $1 AND u.path < $2")
        .bind(path.as_str())
        .bind(path.range_end())
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    r.i64("n")
}

/// The accounts in a unit's subtree (a renamed or moved unit's people,
/// whose place in the directories changes with it).
pub async fn accounts_in_subtree(c: &mut Conn, path: &TreePath) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT a.id FROM accounts a JOIN org_units u ON u.id = a.unit_id WHERE u.path >= $1 AND u.path < $2 ORDER BY a.id")
        .bind(path.as_str())
        .bind(path.range_end())
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| r.i64("id")).collect()
}

/// What an edit of a unit sets.
#[derive(Debug, Clone, Copy)]
pub struct UnitEdit<'a> {
    pub name: &'a str,
    pub oid: &'a str,
    pub sort_order: i64,
    pub enabled: bool,
}

pub async fn update(
    c: &mut Conn,
    _w: SystemWrite,
    id: OrgUnitId,
    e: UnitEdit<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    let UnitEdit {
        name,
        oid,
        sort_order,
        enabled,
    } = e;
    let done = sqlx::query("UPDATE org_units SET name = $1, oid = $2, sort_order = $3, enabled = $4, updated_at = $5 WHERE id = $6")
        .bind(name)
        .bind(oid)
        .bind(sort_order)
        .bind(i64::from(enabled))
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(unique_on("oid", oid_taken()))?;
    if done.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Moves `node` and its subtree below `new_parent`: rewrites every path in
/// the subtree and, when a unit changes agency, the agency of its units.
pub async fn move_subtree(
    c: &mut Conn,
    _w: SystemWrite,
    node: &OrgUnit,
    new_parent: &OrgUnit,
    now: OffsetDateTime,
) -> Result<()> {
    let new_path = new_parent.path.child(node.id);
    sqlx::query(
        "UPDATE org_units SET path = $1 || substr(path, CAST($2 AS INTEGER)), updated_at = $3 WHERE path >= $4 AND path < $5",
    )
    .bind(new_path.as_str())
    .bind(node.path.as_str().len() as i64 + 1)
    .bind(ms(now))
    .bind(node.path.as_str())
    .bind(node.path.range_end())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE org_units SET parent_id = $1 WHERE id = $2")
        .bind(new_parent.id.0)
        .bind(node.id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if node.kind == OrgKind::Unit && node.agency_id != new_parent.agency_id {
        sqlx::query(
            "UPDATE org_units SET agency_id = $1 WHERE path >= $2 AND path < $3 AND agency_id = $4",
        )
        .bind(new_parent.agency_id.map(|a| a.0))
        .bind(new_path.as_str())
        .bind(new_path.range_end())
        .bind(node.agency_id.map(|a| a.0))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

pub async fn delete(c: &mut Conn, _w: SystemWrite, id: OrgUnitId) -> Result<()> {
    sqlx::query("DELETE FROM org_units WHERE id = $1")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}
