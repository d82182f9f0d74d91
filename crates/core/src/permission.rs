//! Who may do what. Roles are system admin, agency admin and unit admin, each
//! admin role scoped to a subtree of the org tree (DESIGN.md "Least privilege
//! by scope"). A check returns a handle; only the handle reaches the
//! privileged operation, and the store filters every admin query by the
//! scope it carries.
use crate::error::Error;
use crate::ids::{AccountId, OrgUnitId};
use crate::msg::Msg;
use crate::org::TreePath;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// 單位管理者: a unit's subtree.
    UnitAdmin,
    /// 機關管理者: an agency's subtree.
    AgencyAdmin,
    /// 系統管理者: everything.
    SystemAdmin,
}

impl RoleKind {
    pub const ALL: [RoleKind; 3] = [
        RoleKind::SystemAdmin,
        RoleKind::AgencyAdmin,
        RoleKind::UnitAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::SystemAdmin => "system_admin",
            RoleKind::AgencyAdmin => "agency_admin",
            RoleKind::UnitAdmin => "unit_admin",
        }
    }

    pub fn parse(s: &str) -> Option<RoleKind> {
        RoleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> Msg {
        match self {
            RoleKind::SystemAdmin => Msg::new("系統管理者", "System administrator"),
            RoleKind::AgencyAdmin => Msg::new("機關管理者", "Agency administrator"),
            RoleKind::UnitAdmin => Msg::new("單位管理者", "Unit administrator"),
        }
    }
}

/// One role an account holds. System admins have no scope unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Role {
    pub kind: RoleKind,
    pub scope: Option<(OrgUnitId, TreePath)>,
}

/// The part of the org tree an admin acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminScope {
    All,
    Subtrees(Vec<TreePath>),
}

impl AdminScope {
    pub fn covers(&self, path: &TreePath) -> bool {
        match self {
            AdminScope::All => true,
            AdminScope::Subtrees(roots) => roots.iter().any(|r| r.contains(path)),
        }
    }
}

/// The signed-in person, as every use case sees them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
    pub login: String,
    pub name: String,
    pub unit_path: TreePath,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn is_system_admin(&self) -> bool {
        self.roles.iter().any(|r| r.kind == RoleKind::SystemAdmin)
    }

    /// The highest role held, if any.
    pub fn top_role(&self) -> Option<RoleKind> {
        self.roles.iter().map(|r| r.kind).max()
    }

    /// The admin scope, or `None` for a general user.
    pub fn admin_scope(&self) -> Option<AdminScope> {
        if self.is_system_admin() {
            return Some(AdminScope::All);
        }
        let roots: Vec<TreePath> = self
            .roles
            .iter()
            .filter_map(|r| r.scope.as_ref().map(|(_, p)| p.clone()))
            .collect();
        (!roots.is_empty()).then_some(AdminScope::Subtrees(roots))
    }

    /// The admin console's door: any admin role.
    pub fn admin(&self) -> Result<Admin<'_>, Error> {
        let scope = self.admin_scope().ok_or(Error::Forbidden)?;
        Ok(Admin {
            principal: self,
            scope,
        })
    }

    /// System-wide settings and the org tree: system admins only.
    pub fn system_admin(&self) -> Result<SystemAdmin<'_>, Error> {
        if self.is_system_admin() {
            Ok(SystemAdmin { principal: self })
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// Proof that the actor is some admin, with the scope they act in.
#[derive(Debug, Clone)]
pub struct Admin<'a> {
    pub principal: &'a Principal,
    pub scope: AdminScope,
}

/// Proof that the actor is a system admin.
#[derive(Debug, Clone, Copy)]
pub struct SystemAdmin<'a> {
    pub principal: &'a Principal,
}

/// Proof that an admin may act on one account: the only way into the
/// privileged account operations.
#[derive(Debug, Clone, Copy)]
pub struct AdminOf<'a> {
    pub actor: &'a Principal,
    pub target: AccountId,
}

impl<'a> Admin<'a> {
    /// An account outside the scope is reported as not found, so an admin
    /// learns nothing about accounts they may not manage.
    pub fn of(&self, target: AccountId, target_unit: &TreePath) -> Result<AdminOf<'a>, Error> {
        if self.scope.covers(target_unit) {
            Ok(AdminOf {
                actor: self.principal,
                target,
            })
        } else {
            Err(Error::NotFound)
        }
    }

    /// May this admin grant (or revoke) `kind` scoped at `scope_unit`? Only
    /// system admins make system admins; others grant roles no higher than
    /// their own, inside their own scope.
    pub fn may_grant(&self, kind: RoleKind, scope_unit: Option<&TreePath>) -> Result<(), Error> {
        let top = self.principal.top_role().ok_or(Error::Forbidden)?;
        match (kind, scope_unit) {
            (RoleKind::SystemAdmin, _) if top != RoleKind::SystemAdmin => Err(Error::Forbidden),
            (RoleKind::SystemAdmin, _) => Ok(()),
            (_, None) => Err(Error::invalid(
                "scope_unit",
                Msg::new("請選擇管理範圍", "Choose the scope of the role"),
            )),
            (k, Some(_)) if k > top => Err(Error::Forbidden),
            (_, Some(p)) if !self.scope.covers(p) => Err(Error::Forbidden),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(ids: &[i64]) -> TreePath {
        ids[1..]
            .iter()
            .fold(TreePath::root_child(OrgUnitId(ids[0])), |p, i| {
                p.child(OrgUnitId(*i))
            })
    }

    fn principal(roles: Vec<Role>) -> Principal {
        Principal {
            account_id: AccountId(1),
            login: "a".into(),
            name: "A".into(),
            unit_path: path(&[1, 2, 3]),
            roles,
        }
    }

    fn agency_admin_of(p: &[i64]) -> Principal {
        principal(vec![Role {
            kind: RoleKind::AgencyAdmin,
            scope: Some((OrgUnitId(*p.last().unwrap()), path(p))),
        }])
    }

    #[test]
    fn general_user_has_no_admin_door() {
        assert!(matches!(principal(vec![]).admin(), Err(Error::Forbidden)));
    }

    #[test]
    fn agency_admin_cannot_reach_account_outside_subtree() {
        let p = agency_admin_of(&[1, 2]);
        let admin = p.admin().unwrap();
        assert!(admin.of(AccountId(9), &path(&[1, 2, 7])).is_ok());
        assert!(matches!(
            admin.of(AccountId(9), &path(&[1, 20, 7])),
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn system_admin_reaches_everything() {
        let p = principal(vec![Role {
            kind: RoleKind::SystemAdmin,
            scope: None,
        }]);
        assert!(p.admin().unwrap().of(AccountId(9), &path(&[5, 6])).is_ok());
        assert!(p.system_admin().is_ok());
    }

    #[test]
    fn only_system_admins_make_system_admins() {
        let p = agency_admin_of(&[1, 2]);
        assert!(matches!(
            p.admin().unwrap().may_grant(RoleKind::SystemAdmin, None),
            Err(Error::Forbidden)
        ));
    }

    #[test]
    fn unit_admin_cannot_grant_agency_admin() {
        let p = principal(vec![Role {
            kind: RoleKind::UnitAdmin,
            scope: Some((OrgUnitId(3), path(&[1, 2, 3]))),
        }]);
        let a = p.admin().unwrap();
        assert!(
            a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[1, 2, 3])))
                .is_err()
        );
        assert!(
            a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2, 3, 4])))
                .is_ok()
        );
        assert!(
            a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2])))
                .is_err()
        );
    }

    #[test]
    fn agency_admin_grants_only_inside_own_agency() {
        let p = agency_admin_of(&[1, 2]);
        let a = p.admin().unwrap();
        assert!(
            a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[1, 2])))
                .is_ok()
        );
        assert!(
            a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 9])))
                .is_err()
        );
        assert!(!p.is_system_admin() && p.system_admin().is_err());
    }
}
