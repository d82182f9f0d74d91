//! The org tree (組織管理): everyone reads it (forms pick units from it);
//! system admins change it.
use crate::{App, Ctx, Result, event};
use portico_core::error::Collector;
use portico_core::ids::OrgUnitId;
use portico_core::org::{GovOid, OrgKind, check_move, check_oid_under_parent, parse_unit_name};
use portico_core::permission::{Principal, SystemAdmin};
use portico_core::{Error, Msg};
use portico_store::orgs::{self, NewUnit, OrgUnit};
use portico_store::{audit, db_err};
use std::collections::HashMap;

/// The whole tree, in display order.
#[derive(Debug, Clone)]
pub struct Tree {
    pub units: Vec<OrgUnit>,
    /// Depth-first order: (index into `units`, depth).
    pub order: Vec<(usize, usize)>,
    /// Accounts directly in each unit.
    pub counts: HashMap<OrgUnitId, i64>,
    /// Where each unit is in `units`, and which units have children: pages
    /// ask both for every unit they list.
    index: HashMap<OrgUnitId, usize>,
    parents: std::collections::HashSet<OrgUnitId>,
}

impl Tree {
    pub fn build(units: Vec<OrgUnit>, counts: HashMap<OrgUnitId, i64>) -> Tree {
        let mut children: HashMap<Option<OrgUnitId>, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            children.entry(u.parent_id).or_default().push(i);
        }
        for v in children.values_mut() {
            v.sort_by_key(|i| (units[*i].sort_order, units[*i].id));
        }
        let mut order = Vec::with_capacity(units.len());
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|v| v.iter().rev().map(|i| (*i, 0)).collect())
            .unwrap_or_default();
        while let Some((i, d)) = stack.pop() {
            order.push((i, d));
            if let Some(kids) = children.get(&Some(units[i].id)) {
                stack.extend(kids.iter().rev().map(|k| (*k, d + 1)));
            }
        }
        let index = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let parents = units.iter().filter_map(|u| u.parent_id).collect();
        Tree {
            units,
            order,
            counts,
            index,
            parents,
        }
    }

    pub fn get(&self, id: OrgUnitId) -> Option<&OrgUnit> {
        self.index.get(&id).map(|i| &self.units[*i])
    }

    pub fn agencies(&self) -> impl Iterator<Item = &OrgUnit> {
        self.order
            .iter()
            .map(|(i, _)| &self.units[*i])
            .filter(|u| u.kind == OrgKind::Agency)
    }

    /// True when the node and every ancestor are enabled: only such units
    /// are offered where something new is placed (a role scope, an account).
    pub fn is_live(&self, u: &OrgUnit) -> bool {
        u.path
            .ids()
            .iter()
            .all(|id| self.get(*id).is_none_or(|x| x.enabled))
    }

    /// True when nothing hangs below the node: the deepest level, which an
    /// applicant must choose.
    pub fn is_leaf(&self, u: &OrgUnit) -> bool {
        !self.parents.contains(&u.id)
    }

    /// The unit's name with its ancestors', as people tell units apart:
    /// 民政局／行政科.
    pub fn path_name(&self, u: &OrgUnit) -> String {
        u.path
            .ids()
            .iter()
            .filter_map(|id| self.get(*id).map(|x| x.name.as_str()))
            .collect::<Vec<_>>()
            .join("／")
    }

    /// For every unit, the OID its next child would take: its own OID and
    /// one more than the highest number its children's OIDs end in (`.1`
    /// for a unit without any). A suggestion for the forms; the OID rules
    /// still decide.
    pub fn next_child_oids(&self) -> HashMap<OrgUnitId, String> {
        let mut top: HashMap<OrgUnitId, u64> = HashMap::new();
        for u in &self.units {
            let Some(p) = u.parent_id.and_then(|p| self.get(p)) else {
                continue;
            };
            let arc = u
                .oid
                .strip_prefix(p.oid.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.parse::<u64>().ok());
            if let Some(n) = arc {
                let e = top.entry(p.id).or_insert(0);
                *e = (*e).max(n);
            }
        }
        self.units
            .iter()
            .filter(|u| !u.oid.is_empty())
            .map(|u| {
                let n = top.get(&u.id).copied().unwrap_or(0) + 1;
                (u.id, format!("{}.{n}", u.oid))
            })
            .collect()
    }

    /// Units whose name (or whose ancestors' names) holds `q`, or whose OID
    /// starts with it, in display order; at most `limit`.
    pub fn search(&self, q: &str, limit: usize) -> Vec<(&OrgUnit, usize)> {
        let q = q.trim().to_lowercase();
        self.order
            .iter()
            .map(|(i, d)| (&self.units[*i], *d))
            .filter(|(u, _)| {
                q.is_empty()
                    || self.path_name(u).to_lowercase().contains(&q)
                    || (!u.oid.is_empty() && u.oid.starts_with(&q))
            })
            .take(limit)
            .collect()
    }

    /// Accounts in a unit and all below it.
    pub fn subtree_count(&self, u: &OrgUnit) -> i64 {
        self.units
            .iter()
            .filter(|x| u.path.contains(&x.path))
            .map(|x| self.counts.get(&x.id).copied().unwrap_or(0))
            .sum()
    }
}

/// The fields of the unit form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub oid: String,
    #[serde(default)]
    pub sort_order: Option<i64>,
    #[serde(default)]
    pub enabled: Option<String>,
}

fn unit_event(ctx: &Ctx, action: &str, actor: &Principal, u: &OrgUnit) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "org_unit".into();
    e.target_id = Some(u.id.0);
    e.target_label = u.name.clone();
    e.scope_path = u.path.as_str().to_owned();
    e
}

impl App {
    /// Anyone signed in: the tree with account counts.
    pub async fn org_tree(&self) -> Result<Tree> {
        let mut c = self.db.read().await?;
        let units = orgs::list_all(&mut c).await?;
        let counts = orgs::account_counts(&mut c).await?.into_iter().collect();
        Ok(Tree::build(units, counts))
    }

    /// System admins: the tree as the org console edits it (the tree itself
    /// is public; the console is not).
    pub async fn org_console(&self, _: &SystemAdmin<'_>) -> Result<Tree> {
        self.org_tree().await
    }

    /// System admins: adds a unit below a parent (or a top-level group).
    pub async fn create_unit(&self, actor: &Principal, f: &UnitForm, ctx: &Ctx) -> Result<OrgUnit> {
        let admin = actor.system_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let parent = match f.parent_id {
            Some(p) => Some(orgs::get(&mut tx, OrgUnitId(p)).await?.ok_or_else(|| {
                Error::invalid(
                    "parent_id",
                    Msg::new("找不到上層單位", "The parent unit does not exist"),
                )
            })?),
            None => None,
        };
        let mut c = Collector::new();
        let kind = c.take(
            "kind",
            OrgKind::parse(&f.kind).ok_or(Msg::new("請選擇類型", "Choose a kind")),
        );
        let name = c.take("name", parse_unit_name(&f.name));
        let oid = c.take("oid", GovOid::parse(&f.oid));
        c.take("sort_order", check_sort_order(f.sort_order));
        if let (Some(k), Some(o)) = (kind, &oid) {
            if !k.may_be_child_of(parent.as_ref().map(|p| p.kind)) {
                c.push("kind", nesting_msg());
            }
            if let Some(p) = &parent {
                let parent_oid =
                    GovOid::parse(&p.oid).map_err(|_| Error::internal("stored OID invalid"))?;
                c.take("oid", check_oid_under_parent(o, Some(&parent_oid)));
            }
        }
        c.finish()?;
        let (Some(kind), Some(name), Some(oid)) = (kind, name, oid) else {
            return Err(Error::internal("validated unit incomplete"));
        };
        let u = orgs::insert(
            &mut tx,
            admin.writes(),
            NewUnit {
                parent: parent.as_ref(),
                kind,
                name: &name,
                oid: oid.as_str(),
                sort_order: f.sort_order.unwrap_or(0),
            },
            now,
        )
        .await?;
        audit::append(&mut tx, &unit_event(ctx, "org.create", actor, &u), now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(u)
    }

    /// System admins: renames, re-numbers, reorders, disables or enables.
    pub async fn update_unit(
        &self,
        actor: &Principal,
        id: OrgUnitId,
        f: &UnitForm,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let u = orgs::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let parent = match u.parent_id {
            Some(p) => orgs::get(&mut tx, p).await?,
            None => None,
        };
        let mut c = Collector::new();
        let name = c.take("name", parse_unit_name(&f.name));
        let oid = c.take("oid", GovOid::parse(&f.oid));
        c.take("sort_order", check_sort_order(f.sort_order));
        if let (Some(o), Some(p)) = (&oid, &parent) {
            let parent_oid =
                GovOid::parse(&p.oid).map_err(|_| Error::internal("stored OID invalid"))?;
            c.take("oid", check_oid_under_parent(o, Some(&parent_oid)));
        }
        if let Some(o) = &oid
            && o.as_str() != u.oid
            && orgs::count_children(&mut tx, id).await? > 0
        {
            c.push(
                "oid",
                Msg::new(
                    "此單位下仍有下層單位，無法變更 OID",
                    "This unit has units below it; its OID cannot change",
                ),
            );
        }
        c.finish()?;
        let (Some(name), Some(oid)) = (name, oid) else {
            return Err(Error::internal("validated unit incomplete"));
        };
        let enabled = f
            .enabled
            .as_deref()
            .is_some_and(|v| v == "on" || v == "true" || v == "1");
        orgs::update(
            &mut tx,
            admin.writes(),
            id,
            orgs::UnitEdit {
                name: &name,
                oid: oid.as_str(),
                sort_order: f.sort_order.unwrap_or(u.sort_order),
                enabled,
            },
            now,
        )
        .await?;
        // A new name or OID changes where its people are and what their
        // entries say, in every directory.
        if name != u.name || oid.as_str() != u.oid {
            self.queue_people_under(&mut tx, &u.path).await?;
        }
        let mut e = unit_event(ctx, "org.update", actor, &u);
        e.detail = serde_json::json!({"name": [u.name, name], "oid": [u.oid, oid.as_str()], "enabled": [u.enabled, enabled]}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// System admins: moves a unit and its subtree under another parent,
    /// with the new OID it takes there.
    pub async fn move_unit(
        &self,
        actor: &Principal,
        id: OrgUnitId,
        new_parent: OrgUnitId,
        new_oid: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let u = orgs::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let p = orgs::get(&mut tx, new_parent).await?.ok_or_else(|| {
            Error::invalid(
                "parent_id",
                Msg::new("找不到新的上層單位", "The new parent does not exist"),
            )
        })?;
        check_move(&u.path, &p.path).map_err(|m| Error::invalid("parent_id", m))?;
        if !u.kind.may_be_child_of(Some(p.kind)) {
            return Err(Error::invalid("parent_id", nesting_msg()));
        }
        let oid = GovOid::parse(new_oid).map_err(|m| Error::invalid("oid", m))?;
        let parent_oid =
            GovOid::parse(&p.oid).map_err(|_| Error::internal("stored OID invalid"))?;
        check_oid_under_parent(&oid, Some(&parent_oid)).map_err(|m| Error::invalid("oid", m))?;
        if oid.as_str() != u.oid && orgs::count_children(&mut tx, id).await? > 0 {
            return Err(Error::invalid(
                "oid",
                Msg::new(
                    "此單位下仍有下層單位，請先移動下層單位或沿用原 OID",
                    "This unit has units below it; keep its OID",
                ),
            ));
        }
        orgs::update(
            &mut tx,
            admin.writes(),
            id,
            orgs::UnitEdit {
                name: &u.name,
                oid: oid.as_str(),
                sort_order: u.sort_order,
                enabled: u.enabled,
            },
            now,
        )
        .await?;
        orgs::move_subtree(&mut tx, admin.writes(), &u, &p, now).await?;
        if let Some(moved) = orgs::get(&mut tx, id).await? {
            self.queue_people_under(&mut tx, &moved.path).await?;
        }
        let mut e = unit_event(ctx, "org.move", actor, &u);
        // Names, as a person reads the trail (ids say nothing to them).
        let from_parent = match u.parent_id {
            Some(pid) => orgs::get(&mut tx, pid).await?.map(|x| x.name),
            None => None,
        };
        e.detail = serde_json::json!({"from_parent": from_parent, "to_parent": p.name, "oid": [u.oid, oid.as_str()]}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// System admins: deletes an empty unit. A unit with accounts or units
    /// below it cannot be deleted (disable it instead).
    pub async fn delete_unit(&self, actor: &Principal, id: OrgUnitId, ctx: &Ctx) -> Result<()> {
        let admin = actor.system_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let u = orgs::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let n = orgs::count_accounts_in_subtree(&mut tx, &u.path).await?;
        if n > 0 {
            return Err(Error::Refused(Msg::owned(
                format!(
                    "「{}」仍有 {n} 個帳號，無法刪除；請先將帳號移至其他單位，或改為停用此單位。",
                    u.name
                ),
                format!(
                    "{} still has {n} accounts and cannot be deleted; move them first, or disable the unit instead.",
                    u.name
                ),
            )));
        }
        if orgs::count_children(&mut tx, id).await? > 0 {
            return Err(Error::Refused(Msg::new(
                "此單位下仍有下層單位，請先刪除或移動下層單位",
                "This unit has units below it; delete or move them first",
            )));
        }
        if portico_store::roles::count_scoped_to(&mut tx, id).await? > 0 {
            return Err(Error::Refused(Msg::new(
                "仍有管理者角色以此單位為範圍，請先移除這些角色",
                "Administrator roles are scoped to this unit; remove them first",
            )));
        }
        orgs::delete(&mut tx, admin.writes(), id).await?;
        audit::append(&mut tx, &unit_event(ctx, "org.delete", actor, &u), now).await?;
        tx.commit().await.map_err(db_err)
    }
}

fn nesting_msg() -> Msg {
    Msg::new(
        "類型與上層不符：第一層為分類，分類下為機關，機關下為所屬機關或單位，單位下為單位",
        "The kind does not fit its parent: groups at the top, agencies under groups, agencies or units under agencies, units under units",
    )
}

/// The order among siblings: 0 to 9999 (empty keeps the current one).
fn check_sort_order(v: Option<i64>) -> std::result::Result<(), Msg> {
    match v {
        Some(n) if !(0..=9999).contains(&n) => Err(Msg::new(
            "排序須為 0 至 9999 的整數",
            "The order must be a whole number from 0 to 9999",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::org::{OrgKind, TreePath};

    fn unit(id: i64, parent: Option<i64>, oid: &str) -> OrgUnit {
        let path = match parent {
            None => TreePath::root_child(OrgUnitId(id)),
            Some(p) => TreePath::root_child(OrgUnitId(p)).child(OrgUnitId(id)),
        };
        OrgUnit {
            id: OrgUnitId(id),
            parent_id: parent.map(OrgUnitId),
            agency_id: None,
            kind: OrgKind::Unit,
            name: format!("u{id}"),
            oid: oid.into(),
            path,
            sort_order: 0,
            enabled: true,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_new_child_is_offered_the_oid_after_its_siblings_highest() {
        let tree = Tree::build(
            vec![
                unit(1, None, "2.16.886.101.90028"),
                unit(2, Some(1), "2.16.886.101.90028.3"),
                unit(3, Some(1), "2.16.886.101.90028.30"),
                // Not under its parent's OID: not counted.
                unit(4, Some(1), "2.16.886.101.555"),
            ],
            HashMap::new(),
        );
        let next = tree.next_child_oids();
        assert_eq!(next[&OrgUnitId(1)], "2.16.886.101.90028.31");
        assert_eq!(
            next[&OrgUnitId(2)],
            "2.16.886.101.90028.3.1",
            "no children yet"
        );
    }
}
