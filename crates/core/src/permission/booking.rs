//! The handles of office services (issue 16; seed 004 表 2 物品管理):
//! who makes an item (a system admin anywhere, an agency admin for their
//! agency), who keeps it (its custodians, and the admins over its agency),
//! and who borrows it. A child of `permission`, so it reads the
//! principal's private fields as the other checks do.
use super::{Principal, RoleKind, Unattended};
use crate::booking::Kind;
use crate::error::Error;
use crate::ids::AccountId;
use crate::org::TreePath;

/// What the check knows of an item.
#[derive(Debug, Clone, Copy)]
pub struct ItemSeen<'t> {
    pub kind: Kind,
    pub id: i64,
    /// The managing agency's path.
    pub agency: &'t TreePath,
    /// Its custodians (保管人), in place order.
    pub custodians: &'t [AccountId],
}

/// Proof that the actor may make an item for an agency.
///
/// ```compile_fail
/// use portico_core::permission::ItemMaker;
/// fn forge() -> ItemMaker {
///     ItemMaker { by: None }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemMaker {
    by: Option<AccountId>,
}

impl ItemMaker {
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
}

/// Proof that the actor keeps one item: edits it, sets its custodians,
/// reviews its bookings and reads its history.
///
/// ```compile_fail
/// use portico_core::booking::Kind;
/// use portico_core::permission::Keeper;
/// fn forge() -> Keeper {
///     Keeper { by: None, kind: Kind::Venue, id: 1 }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keeper {
    by: Option<AccountId>,
    kind: Kind,
    id: i64,
}

impl Keeper {
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl Principal {
    /// A system admin makes an item for any agency; an agency admin for
    /// an agency in their scope. Anyone else is refused.
    pub fn item_maker(&self, agency: &TreePath) -> Result<ItemMaker, Error> {
        if self
            .rank_over(agency)
            .is_some_and(|r| r >= RoleKind::AgencyAdmin)
        {
            Ok(ItemMaker {
                by: Some(self.account_id),
            })
        } else {
            Err(Error::Forbidden)
        }
    }

    /// An item is kept by its custodians, by the agency admins over its
    /// agency and by the system admins (物品管理: 系統管理者 all, 機關管理者
    /// their agency's, a person the items they keep). Anyone else is told
    /// it is not found.
    pub fn keeper(&self, s: &ItemSeen<'_>) -> Result<Keeper, Error> {
        let ok = s.custodians.contains(&self.account_id)
            || self
                .rank_over(s.agency)
                .is_some_and(|r| r >= RoleKind::AgencyAdmin);
        if ok {
            Ok(Keeper {
                by: Some(self.account_id),
                kind: s.kind,
                id: s.id,
            })
        } else {
            Err(Error::NotFound)
        }
    }
}

impl Unattended {
    /// The demo seeder making an item as the named admin would.
    pub fn item_maker_for(&self, by: AccountId) -> ItemMaker {
        ItemMaker { by: Some(by) }
    }
    /// The demo seeder deciding bookings as the named custodian would.
    pub fn keeper_for(&self, by: AccountId, kind: Kind, id: i64) -> Keeper {
        Keeper {
            by: Some(by),
            kind,
            id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgUnitId;
    use crate::permission::Role;

    fn p(id: i64, roles: Vec<Role>) -> Principal {
        Principal::unchecked_for_command_line(
            AccountId(id),
            "x".into(),
            "x".into(),
            TreePath::from_stored("/1/2/3/".into()),
            roles,
        )
    }
    fn role(kind: RoleKind, path: &str) -> Role {
        Role {
            kind,
            scope: Some((OrgUnitId(9), TreePath::from_stored(path.into()))),
        }
    }

    #[test]
    fn items_are_made_by_system_admins_and_their_agencys_admins() {
        let agency = TreePath::from_stored("/1/2/".into());
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")])
                .item_maker(&agency)
                .is_ok()
        );
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/5/")])
                .item_maker(&agency)
                .is_err()
        );
        assert!(
            p(1, vec![role(RoleKind::UnitAdmin, "/1/2/")])
                .item_maker(&agency)
                .is_err()
        );
        let sys = Role {
            kind: RoleKind::SystemAdmin,
            scope: None,
        };
        assert!(p(1, vec![sys]).item_maker(&agency).is_ok());
    }

    #[test]
    fn an_item_is_kept_by_its_custodians_and_the_admins_over_its_agency() {
        let agency = TreePath::from_stored("/1/2/".into());
        let seen = ItemSeen {
            kind: Kind::Venue,
            id: 4,
            agency: &agency,
            custodians: &[AccountId(7)],
        };
        let k = p(7, vec![]).keeper(&seen).unwrap();
        assert_eq!(
            (k.kind(), k.id(), k.by()),
            (Kind::Venue, 4, Some(AccountId(7)))
        );
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")])
                .keeper(&seen)
                .is_ok()
        );
        assert!(matches!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/5/")]).keeper(&seen),
            Err(Error::NotFound)
        ));
        assert!(
            p(8, vec![role(RoleKind::UnitAdmin, "/1/2/")])
                .keeper(&seen)
                .is_err()
        );
    }
}
