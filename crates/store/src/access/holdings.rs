//! What a person holds — categories, memberships, roles — as the order,
//! the prerequisites and the tokens read it, and the writes an approved
//! form makes to it.
use super::Form;
use crate::{Conn, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::Error;
use portico_core::access::{Holdings, Step};
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::AccessGrant;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What a person holds, as the order and prerequisites see it.
pub async fn holdings(c: &mut Conn, account: AccountId, unit_path: &TreePath) -> Result<Holdings> {
    let ids = |sql: &'static str| sqlx::query(sql).bind(account.0);
    let categories = ids(
        "SELECT h.category_id AS id FROM account_categories h JOIN member_categories m ON m.id = h.category_id \
         WHERE h.account_id = $1 AND m.active = 1",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| r.i64("id"))
    .collect::<Result<Vec<_>>>()?;
    let orgs = ids(
        "SELECT h.org_id AS id FROM account_orgs h JOIN access_orgs o ON o.id = h.org_id \
         WHERE h.account_id = $1 AND o.active = 1",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| r.i64("id"))
    .collect::<Result<Vec<_>>>()?;
    Ok(Holdings {
        categories,
        orgs,
        roles_only_orgs: super::defs::roles_only_orgs_over(c, unit_path).await?,
    })
}

/// A role a person holds, with its application.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeldRole {
    pub role_id: i64,
    pub app_id: i64,
    pub app_name: String,
    pub code: String,
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
}

/// The roles a person holds, in one application or all.
pub async fn held_roles(
    c: &mut Conn,
    account: AccountId,
    app: Option<i64>,
) -> Result<Vec<HeldRole>> {
    let mut b = SqlBuf::new(
        "SELECT h.role_id, r.app_id, a.name AS app_name, r.code, r.name, h.attrs, h.granted_at \
         FROM account_roles h JOIN app_roles r ON r.id = h.role_id JOIN apps a ON a.id = r.app_id \
         WHERE r.active = 1 AND h.account_id = ",
    );
    b.i(account.0);
    if let Some(a) = app {
        b.push(" AND r.app_id = ").i(a);
    }
    b.push(" ORDER BY a.name, r.position, r.id");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(HeldRole {
                role_id: r.i64("role_id")?,
                app_id: r.i64("app_id")?,
                app_name: r.text("app_name")?,
                code: r.text("code")?,
                name: r.text("name")?,
                attrs: serde_json::from_str(&r.text("attrs")?)
                    .map_err(|e| Error::internal(format!("attrs: {e}")))?,
                granted_at: at(r.i64("granted_at")?),
            })
        })
        .collect()
}

/// A membership a person holds, with its 職稱/身分.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeldOrg {
    pub org_id: i64,
    pub name: String,
    pub oid: String,
    pub title_id: Option<i64>,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
}

pub async fn held_orgs(c: &mut Conn, account: AccountId) -> Result<Vec<HeldOrg>> {
    let rows = sqlx::query(
        "SELECT h.org_id, o.name, o.oid, h.title_id, COALESCE(t.name, '') AS title, h.granted_at \
         FROM account_orgs h JOIN access_orgs o ON o.id = h.org_id \
         LEFT JOIN access_org_titles t ON t.id = h.title_id WHERE h.account_id = $1 AND o.active = 1 ORDER BY o.oid",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(HeldOrg {
                org_id: r.i64("org_id")?,
                name: r.text("name")?,
                oid: r.text("oid")?,
                title_id: r.opt_i64("title_id")?,
                title: r.text("title")?,
                granted_at: at(r.i64("granted_at")?),
            })
        })
        .collect()
}

/// A category a person holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeldCategory {
    pub category_id: i64,
    pub code: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
}

pub async fn held_categories(c: &mut Conn, account: AccountId) -> Result<Vec<HeldCategory>> {
    let rows = sqlx::query(
        "SELECT h.category_id, m.code, m.name, h.granted_at FROM account_categories h \
         JOIN member_categories m ON m.id = h.category_id WHERE h.account_id = $1 AND m.active = 1 ORDER BY m.code",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(HeldCategory {
                category_id: r.i64("category_id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                granted_at: at(r.i64("granted_at")?),
            })
        })
        .collect()
}

/// Applies an approved form to what the applicant holds: each line's
/// "after", and a membership's 職稱/身分.
pub async fn apply(c: &mut Conn, g: AccessGrant, f: &Form, now: OffsetDateTime) -> Result<()> {
    let account = g.account().0;
    let form = Some(f.id.0);
    for l in &f.lines {
        let add = match f.step {
            Step::Category => {
                "INSERT INTO account_categories (account_id, category_id, form_id, granted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, category_id) DO NOTHING"
            }
            Step::Org => {
                "INSERT INTO account_orgs (account_id, org_id, form_id, granted_at, title_id) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (account_id, org_id) DO UPDATE SET title_id = excluded.title_id, form_id = excluded.form_id"
            }
            Step::Role => {
                "INSERT INTO account_roles (account_id, role_id, form_id, granted_at, attrs) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (account_id, role_id) DO UPDATE SET attrs = excluded.attrs, form_id = excluded.form_id"
            }
        };
        if l.after {
            let q = sqlx::query(add)
                .bind(account)
                .bind(l.item)
                .bind(form)
                .bind(ms(now));
            let q = match f.step {
                Step::Category => q,
                Step::Org => q.bind(f.title_id),
                Step::Role => q.bind(own_attrs(c, l.item, &f.attrs).await?),
            };
            q.execute(&mut *c).await.map_err(db_err)?;
        } else {
            remove(c, g, f.step, l.item).await?;
        }
    }
    Ok(())
}

/// Takes one category, membership or role away from a person; the roles
/// that need what was given up go with it. Returns whether it was held.
pub async fn remove(c: &mut Conn, g: AccessGrant, step: Step, item: i64) -> Result<bool> {
    let sql = match step {
        Step::Category => {
            "DELETE FROM account_categories WHERE account_id = $1 AND category_id = $2"
        }
        Step::Org => "DELETE FROM account_orgs WHERE account_id = $1 AND org_id = $2",
        Step::Role => "DELETE FROM account_roles WHERE account_id = $1 AND role_id = $2",
    };
    let account = g.account().0;
    let held = sqlx::query(sql)
        .bind(account)
        .bind(item)
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected()
        > 0;
    let needing = match step {
        Step::Category => Some("needs_category_id"),
        Step::Org => Some("needs_org_id"),
        Step::Role => None,
    };
    if let Some(col) = needing {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM account_roles WHERE account_id = $1 AND role_id IN \
             (SELECT id FROM app_roles WHERE {col} = $2)"
        )))
        .bind(account)
        .bind(item)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    }
    Ok(held)
}

/// The attributes a form gave that this role defines, as stored.
async fn own_attrs(c: &mut Conn, role: i64, attrs: &BTreeMap<String, String>) -> Result<String> {
    let r = sqlx::query("SELECT attr_schema FROM app_roles WHERE id = $1")
        .bind(role)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    let schema: Vec<portico_core::access::AttrField> =
        serde_json::from_str(&r.text("attr_schema")?)
            .map_err(|e| Error::internal(format!("attr_schema: {e}")))?;
    let own: BTreeMap<&String, &String> = attrs
        .iter()
        .filter(|(k, _)| schema.iter().any(|f| &f.key == *k))
        .collect();
    serde_json::to_string(&own).map_err(|e| Error::internal(format!("attrs: {e}")))
}

/// Grants directly, with no form (the demo seeder).
pub async fn grant_directly(
    c: &mut Conn,
    g: AccessGrant,
    step: Step,
    item: i64,
    title: Option<i64>,
    now: OffsetDateTime,
) -> Result<()> {
    let sql = match step {
        Step::Category => {
            "INSERT INTO account_categories (account_id, category_id, granted_at) VALUES ($1, $2, $3)"
        }
        Step::Org => {
            "INSERT INTO account_orgs (account_id, org_id, granted_at, title_id) VALUES ($1, $2, $3, $4)"
        }
        Step::Role => {
            "INSERT INTO account_roles (account_id, role_id, granted_at) VALUES ($1, $2, $3)"
        }
    };
    let q = sqlx::query(sql)
        .bind(g.account().0)
        .bind(item)
        .bind(ms(now));
    let q = if step == Step::Org { q.bind(title) } else { q };
    q.execute(&mut *c).await.map_err(db_err)?;
    Ok(())
}

/// A person's `roles` claim in one application: the codes they hold
/// there, or `None` when the application defines no roles. One query, as
/// every token issued asks it.
pub async fn roles_claim(
    c: &mut Conn,
    account: AccountId,
    app: i64,
) -> Result<Option<Vec<String>>> {
    let rows = sqlx::query(
        "SELECT r.code, CASE WHEN h.account_id IS NULL THEN 0 ELSE 1 END AS held FROM app_roles r \
         LEFT JOIN account_roles h ON h.role_id = r.id AND h.account_id = $1 \
         WHERE r.app_id = $2 AND r.active = 1 ORDER BY r.code",
    )
    .bind(account.0)
    .bind(app)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut codes = Vec::new();
    for r in &rows {
        if r.flag("held")? {
            codes.push(r.text("code")?);
        }
    }
    Ok(Some(codes))
}
