//! The handle of inspections (稽核, issue 15): who draws, marks and signs
//! off a unit's quarter or an agency's half year. A child of `permission`,
//! so it reads the principal's private fields as the other checks do.
use super::{Principal, RoleKind, Unattended};
use crate::error::Error;
use crate::ids::AccountId;
use crate::inspection::Kind;
use crate::org::TreePath;

/// What the check knows of an inspection (or of one about to be drawn).
#[derive(Debug, Clone, Copy)]
pub struct InspectionSeen<'t> {
    pub kind: Kind,
    /// The unit, or the agency.
    pub unit: &'t TreePath,
    /// The auditor it was delegated to, if any.
    pub auditor: Option<AccountId>,
}

/// Proof that the actor may work on one unit's or agency's inspection.
///
/// ```compile_fail
/// use portico_core::ids::AccountId;
/// use portico_core::permission::Inspector;
/// fn forge() -> Inspector {
///     Inspector { by: Some(AccountId(1)), delegated: false }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspector {
    by: Option<AccountId>,
    delegated: bool,
}

impl Inspector {
    /// Who acts; `None` for the portal's own schedule.
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
    /// Acting as the delegated auditor rather than as an admin: marks and
    /// signs, but does not hand the work on.
    pub fn delegated(&self) -> bool {
        self.delegated
    }
}

impl Principal {
    /// 002 §七 (一) 1: a unit's audit is its supervisor's or their
    /// delegated auditor's — here the admins whose scope holds the unit, or
    /// the auditor the inspection was delegated to. §七 (一) 2: an agency's
    /// audit is its agency admin's — an admin ranking at least agency admin
    /// over it (system admins included). Anyone else is told it is not
    /// found.
    pub fn inspector(&self, s: &InspectionSeen<'_>) -> Result<Inspector, Error> {
        let rank = self.rank_over(s.unit);
        let admin = match s.kind {
            Kind::Unit => rank.is_some(),
            Kind::Agency => rank.is_some_and(|r| r >= RoleKind::AgencyAdmin),
        };
        if admin {
            return Ok(Inspector {
                by: Some(self.account_id),
                delegated: false,
            });
        }
        if s.kind == Kind::Unit && s.auditor == Some(self.account_id) {
            return Ok(Inspector {
                by: Some(self.account_id),
                delegated: true,
            });
        }
        Err(Error::NotFound)
    }
}

impl Unattended {
    /// The schedule drawing each period's samples.
    pub fn inspector(&self) -> Inspector {
        Inspector {
            by: None,
            delegated: false,
        }
    }
    /// The demo seeder marking a sample as the named auditor would.
    pub fn inspector_for(&self, by: AccountId) -> Inspector {
        Inspector {
            by: Some(by),
            delegated: false,
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
    fn a_unit_is_audited_by_its_admins_or_its_delegated_auditor() {
        let unit = TreePath::from_stored("/1/2/3/".into());
        let seen = InspectionSeen {
            kind: Kind::Unit,
            unit: &unit,
            auditor: Some(AccountId(5)),
        };
        assert!(
            p(1, vec![role(RoleKind::UnitAdmin, "/1/2/3/")])
                .inspector(&seen)
                .is_ok()
        );
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")])
                .inspector(&seen)
                .is_ok()
        );
        assert!(p(5, vec![]).inspector(&seen).unwrap().delegated());
        assert!(matches!(
            p(6, vec![]).inspector(&seen),
            Err(Error::NotFound)
        ));
        assert!(
            p(1, vec![role(RoleKind::UnitAdmin, "/1/2/4/")])
                .inspector(&seen)
                .is_err()
        );
    }

    #[test]
    fn an_agency_is_audited_by_its_agency_admins_only() {
        let agency = TreePath::from_stored("/1/2/".into());
        let seen = InspectionSeen {
            kind: Kind::Agency,
            unit: &agency,
            auditor: Some(AccountId(5)),
        };
        assert!(
            p(1, vec![role(RoleKind::AgencyAdmin, "/1/2/")])
                .inspector(&seen)
                .is_ok()
        );
        assert!(
            p(1, vec![role(RoleKind::UnitAdmin, "/1/2/")])
                .inspector(&seen)
                .is_err()
        );
        assert!(p(5, vec![]).inspector(&seen).is_err());
    }
}
