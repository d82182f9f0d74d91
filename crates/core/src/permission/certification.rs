//! The handles of access-review campaigns (權限清查, issue 15): who opens
//! a campaign and reads its whole report, who decides each item, and what
//! each reviewer's list holds. A child of `permission`, so it reads the
//! principal's private fields as the other checks do.
use super::access::AccessGrant;
use super::{AccountWrite, Principal, Role, RoleGrant, RoleKind, Unattended};
use crate::certification::{Reviewer, ScopeKind};
use crate::error::Error;
use crate::ids::{AccountId, OrgUnitId};
use crate::msg::Msg;
use crate::org::TreePath;

/// What the check knows of a campaign's scope.
#[derive(Debug, Clone, Copy)]
pub struct CampaignSeen<'t> {
    pub kind: ScopeKind,
    /// The agency or unit; for an application, its agency. `None` for the
    /// city.
    pub place: Option<&'t TreePath>,
}

/// Proof that the actor may open a campaign over a scope, follow all of
/// it and take its report.
///
/// ```compile_fail
/// use portico_core::permission::CampaignOwner;
/// fn forge() -> CampaignOwner {
///     CampaignOwner { by: None }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignOwner {
    by: Option<AccountId>,
}

impl CampaignOwner {
    /// Who acts; `None` for the six-monthly schedule.
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
}

/// What the check knows of one item.
#[derive(Debug, Clone, Copy)]
pub struct ItemSeen<'t> {
    /// Whose right it is.
    pub account: AccountId,
    pub reviewer: Reviewer,
    /// The reviewing unit's or agency's path, for those reviewers.
    pub place: Option<&'t TreePath>,
    /// The application's managers, for an application's role.
    pub managers: &'t [AccountId],
}

/// Proof that the actor may decide one person's item.
///
/// ```compile_fail
/// use portico_core::ids::AccountId;
/// use portico_core::permission::Certifier;
/// fn forge() -> Certifier {
///     Certifier { by: None, account: AccountId(2) }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certifier {
    by: Option<AccountId>,
    account: AccountId,
}

impl Certifier {
    /// Who decides; `None` for the deadline.
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
    /// Whose right it is.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The right to record the change on the person's account (and queue
    /// it for the directories).
    pub fn write(&self) -> AccountWrite {
        AccountWrite(self.account)
    }
    /// The right to take away the person's categories, memberships and
    /// application roles.
    pub fn access(&self) -> AccessGrant {
        AccessGrant::new(self.account, self.by)
    }
    /// The right to remove one admin role of the person. A removal
    /// writes no grantor; the deadline names the person themselves.
    pub fn role(&self, kind: RoleKind, scope: Option<OrgUnitId>) -> RoleGrant {
        RoleGrant {
            account: self.account,
            kind,
            scope,
            by: self.by.unwrap_or(self.account),
        }
    }
}

/// Which items a person's review list holds: read by the store as a
/// filter. Built only from a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewing {
    me: AccountId,
    all: bool,
    unit_roots: Vec<TreePath>,
    agency_roots: Vec<TreePath>,
    apps: Vec<i64>,
}

impl Reviewing {
    pub fn me(&self) -> AccountId {
        self.me
    }
    /// A system admin's list holds every item.
    pub fn all(&self) -> bool {
        self.all
    }
    /// Subtrees where the person answers for a unit's items.
    pub fn unit_roots(&self) -> &[TreePath] {
        &self.unit_roots
    }
    /// Subtrees where the person answers for an agency's items.
    pub fn agency_roots(&self) -> &[TreePath] {
        &self.agency_roots
    }
    /// Applications the person manages.
    pub fn apps(&self) -> &[i64] {
        &self.apps
    }
}

fn own_item() -> Error {
    Error::Refused(Msg::new(
        "不能清查自己的權限，請由其他清查人處理",
        "You cannot review your own rights; another reviewer must",
    ))
}

impl Principal {
    /// Opening a campaign is a system admin's for the city, and an admin's
    /// ranking at least agency admin over the agency, the unit or the
    /// application's agency otherwise. Anyone else is told it is not
    /// found.
    pub fn campaign_owner(&self, s: &CampaignSeen<'_>) -> Result<CampaignOwner, Error> {
        let ok = match (s.kind, s.place) {
            (ScopeKind::City, _) => self.is_system_admin(),
            (_, Some(place)) => self
                .rank_over(place)
                .is_some_and(|r| r >= RoleKind::AgencyAdmin),
            (_, None) => self.is_system_admin(),
        };
        if ok {
            Ok(CampaignOwner {
                by: Some(self.account_id),
            })
        } else {
            Err(Error::NotFound)
        }
    }

    /// An item is decided by its reviewer: an admin whose scope holds the
    /// unit, an admin ranking agency admin over the agency, one of the
    /// application's managers, the person it was handed to — or any
    /// system admin. Nobody decides their own rights.
    pub fn certifier(&self, s: &ItemSeen<'_>) -> Result<Certifier, Error> {
        if s.account == self.account_id {
            return Err(own_item());
        }
        let ok = matches!(s.reviewer, Reviewer::Person(id) if id == self.account_id.0)
            || could_review(self.account_id, &self.roles, s);
        if ok {
            Ok(Certifier {
                by: Some(self.account_id),
                account: s.account,
            })
        } else {
            Err(Error::NotFound)
        }
    }

    /// The filter of this person's review list; `apps` are the
    /// applications they manage.
    pub fn reviewing(&self, apps: Vec<i64>) -> Reviewing {
        let roots = |min: RoleKind| {
            self.roles
                .iter()
                .filter(|r| r.kind >= min)
                .filter_map(|r| r.scope.as_ref().map(|(_, p)| p.clone()))
                .collect()
        };
        Reviewing {
            me: self.account_id,
            all: self.is_system_admin(),
            unit_roots: roots(RoleKind::UnitAdmin),
            agency_roots: roots(RoleKind::AgencyAdmin),
            apps,
        }
    }
}

/// Would the person `who`, holding `roles`, review this item by their
/// rank (any system admin; an admin over the unit; an agency admin over
/// the agency; one of the application's managers)? Never their own. An
/// item is handed on only to such a person: someone else who could judge
/// it, never a colleague without the rank (who could then revoke an
/// admin's role).
pub fn could_review(who: AccountId, roles: &[Role], s: &ItemSeen<'_>) -> bool {
    if s.account == who {
        return false;
    }
    let rank = |path: &TreePath| {
        roles
            .iter()
            .filter(|r| match &r.scope {
                None => r.kind == RoleKind::SystemAdmin,
                Some((_, root)) => root.contains(path),
            })
            .map(|r| r.kind)
            .max()
    };
    roles.iter().any(|r| r.kind == RoleKind::SystemAdmin)
        || match s.reviewer {
            Reviewer::Unit(_) => s.place.is_some_and(|p| rank(p).is_some()),
            Reviewer::Agency(_) => s
                .place
                .is_some_and(|p| rank(p).is_some_and(|r| r >= RoleKind::AgencyAdmin)),
            Reviewer::App(_) => s.managers.contains(&who),
            Reviewer::Person(_) | Reviewer::System => false,
        }
}

impl Unattended {
    /// The six-monthly schedule opening campaigns.
    pub fn campaign_owner(&self) -> CampaignOwner {
        CampaignOwner { by: None }
    }
    /// The demo seeder opening a campaign as the named admin would.
    pub fn campaign_owner_for(&self, by: AccountId) -> CampaignOwner {
        CampaignOwner { by: Some(by) }
    }
    /// The deadline deciding what nobody did.
    pub fn certifier(&self, account: AccountId) -> Certifier {
        Certifier { by: None, account }
    }
    /// The demo seeder deciding as the named reviewer would.
    pub fn certifier_for(&self, by: AccountId, account: AccountId) -> Certifier {
        Certifier {
            by: Some(by),
            account,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn system() -> Role {
        Role {
            kind: RoleKind::SystemAdmin,
            scope: None,
        }
    }

    #[test]
    fn a_campaign_is_opened_by_an_agency_admin_over_its_scope_or_a_system_admin() {
        let agency = TreePath::from_stored("/1/2/".into());
        let seen = CampaignSeen {
            kind: ScopeKind::Agency,
            place: Some(&agency),
        };
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")])
                .campaign_owner(&seen)
                .is_ok()
        );
        assert!(
            p(1, vec![role(RoleKind::UnitAdmin, "/1/2/")])
                .campaign_owner(&seen)
                .is_err()
        );
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/4/")])
                .campaign_owner(&seen)
                .is_err()
        );
        let city = CampaignSeen {
            kind: ScopeKind::City,
            place: None,
        };
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/")])
                .campaign_owner(&city)
                .is_err()
        );
        assert!(p(1, vec![system()]).campaign_owner(&city).is_ok());
    }

    #[test]
    fn each_item_is_decided_by_its_reviewer_and_never_by_its_holder() {
        let unit = TreePath::from_stored("/1/2/3/".into());
        let item = |reviewer| ItemSeen {
            account: AccountId(7),
            reviewer,
            place: Some(&unit),
            managers: &[AccountId(8)],
        };
        let unit_admin = p(1, vec![role(RoleKind::UnitAdmin, "/1/2/3/")]);
        assert!(unit_admin.certifier(&item(Reviewer::Unit(3))).is_ok());
        assert!(unit_admin.certifier(&item(Reviewer::Agency(2))).is_err());
        let agency_admin = p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")]);
        assert!(agency_admin.certifier(&item(Reviewer::Agency(2))).is_ok());
        assert!(agency_admin.certifier(&item(Reviewer::System)).is_err());
        assert!(p(8, vec![]).certifier(&item(Reviewer::App(4))).is_ok());
        assert!(p(9, vec![]).certifier(&item(Reviewer::App(4))).is_err());
        assert!(p(9, vec![]).certifier(&item(Reviewer::Person(9))).is_ok());
        assert!(
            p(1, vec![system()])
                .certifier(&item(Reviewer::System))
                .is_ok()
        );
        assert!(matches!(
            p(7, vec![system()]).certifier(&item(Reviewer::System)),
            Err(Error::Refused(_))
        ));
        let elsewhere = p(1, vec![role(RoleKind::AgencyAdmin, "/1/5/")]);
        assert!(matches!(
            elsewhere.certifier(&item(Reviewer::Unit(3))),
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn a_review_list_holds_the_subtrees_by_rank() {
        let r = p(
            1,
            vec![
                role(RoleKind::UnitAdmin, "/1/2/3/"),
                role(RoleKind::AgencyAdmin, "/1/4/"),
            ],
        )
        .reviewing(vec![5]);
        assert!(!r.all());
        assert_eq!(r.unit_roots().len(), 2);
        assert_eq!(r.agency_roots(), [TreePath::from_stored("/1/4/".into())]);
        assert_eq!(r.apps(), [5]);
    }
}
