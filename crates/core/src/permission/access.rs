//! The handles of access requests (issue 14): who defines an
//! application's roles, who signs off a form, and the right to change what
//! a person holds. A child of `permission`, so it reads the principal's
//! private fields as the other checks do.
use super::{Principal, Target, Unattended};
use crate::access::Approver;
use crate::error::Error;
use crate::ids::AccountId;
use crate::msg::Msg;
use crate::org::TreePath;

/// The right to define one application's roles and see its holders: its
/// managers (應用系統管理者) and system admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppManage {
    app: i64,
    by: AccountId,
}

impl AppManage {
    pub fn app(&self) -> i64 {
        self.app
    }
    pub fn by(&self) -> AccountId {
        self.by
    }
}

/// What the check knows of a form: who asked, who signs it off, and for
/// admins the part of the tree it falls in.
#[derive(Debug, Clone, Copy)]
pub struct FormSeen<'t> {
    pub id: i64,
    pub approver: Approver,
    /// The organisation's unit (a membership) or the applicant's (a role
    /// for the agency's admins); `None` for an outside organisation, which
    /// system admins sign off.
    pub scope: Option<&'t TreePath>,
    pub applicant: Target<'t>,
    /// The application's managers, for a role form.
    pub managers: &'t [AccountId],
}

/// Proof that the actor may sign off one form.
///
/// ```compile_fail
/// use portico_core::ids::AccountId;
/// use portico_core::permission::{FormDecider, Principal};
/// fn forge(p: &Principal) -> FormDecider<'_> {
///     FormDecider { actor: p, form: 1, applicant: AccountId(2) }
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FormDecider<'a> {
    actor: &'a Principal,
    form: i64,
    applicant: AccountId,
}

impl<'a> FormDecider<'a> {
    pub fn actor(&self) -> &'a Principal {
        self.actor
    }
    pub fn form(&self) -> i64 {
        self.form
    }
    /// The right to change what the applicant holds, as the form says.
    pub fn grant(&self) -> AccessGrant {
        AccessGrant {
            account: self.applicant,
            by: Some(self.actor.account_id),
        }
    }
}

/// The right to change one person's categories, memberships and roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessGrant {
    account: AccountId,
    by: Option<AccountId>,
}

impl AccessGrant {
    pub(super) fn new(account: AccountId, by: Option<AccountId>) -> AccessGrant {
        AccessGrant { account, by }
    }
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
}

fn own_form() -> Error {
    Error::Refused(Msg::new(
        "不能簽核自己的申請表單，請由其他簽核者處理",
        "You cannot sign off your own form; another approver must",
    ))
}

impl Principal {
    /// The right to define an application's roles: one of its managers,
    /// or a system admin. Anyone else is told it is not found.
    pub fn manager_of(&self, app: i64, managers: &[AccountId]) -> Result<AppManage, Error> {
        if self.is_system_admin() || managers.contains(&self.account_id) {
            Ok(AppManage {
                app,
                by: self.account_id,
            })
        } else {
            Err(Error::NotFound)
        }
    }

    /// May this person sign off this form? System admins sign off any;
    /// an application's managers its roles' forms; an agency's admins the
    /// forms in their scope, of people not above them. Nobody signs their
    /// own. Anyone else is told it is not found.
    pub fn form_decider(&self, f: &FormSeen<'_>) -> Result<FormDecider<'_>, Error> {
        if f.applicant.id == self.account_id {
            return Err(own_form());
        }
        let ok = self.is_system_admin()
            || match f.approver {
                Approver::SystemAdmins => false,
                Approver::AppManagers => f.managers.contains(&self.account_id),
                Approver::OrgAdmins => self.org_admin_of(f)?,
            };
        if !ok {
            return Err(Error::NotFound);
        }
        Ok(FormDecider {
            actor: self,
            form: f.id,
            applicant: f.applicant.id,
        })
    }
}

impl Principal {
    /// An agency's admin and a form in their scope: a membership of their
    /// organisation is theirs to grant to anyone; for their own people the
    /// rank rule of every admin decision holds (a peer is refused by name).
    fn org_admin_of(&self, f: &FormSeen<'_>) -> Result<bool, Error> {
        let (Some(path), Ok(admin)) = (f.scope, self.admin()) else {
            return Ok(false);
        };
        if !admin.scope().covers(path) {
            return Ok(false);
        }
        if !admin.scope().covers(f.applicant.unit_path) {
            return Ok(true);
        }
        admin.view(&f.applicant)?;
        if let Some(r) = f.applicant.roles.iter().find(|r| !self.outranks(r)) {
            return Err(super::outranked(r.kind));
        }
        Ok(true)
    }
}

impl Unattended {
    /// The demo seeder and the console grant directly.
    pub fn access(&self, account: AccountId) -> AccessGrant {
        AccessGrant { account, by: None }
    }
    pub fn manage_app(&self, app: i64, by: AccountId) -> AppManage {
        AppManage { app, by }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgUnitId;
    use crate::permission::{Role, RoleKind};

    fn person(id: i64, path: &str, roles: Vec<Role>) -> Principal {
        Principal::from_session(
            AccountId(id),
            format!("p{id}"),
            "x".into(),
            TreePath::from_stored(path.into()),
            roles,
        )
    }

    fn agency_admin(id: i64, path: &str) -> Principal {
        person(
            id,
            path,
            vec![Role {
                kind: RoleKind::AgencyAdmin,
                scope: Some((OrgUnitId(1), TreePath::from_stored(path.into()))),
            }],
        )
    }

    #[test]
    fn nobody_signs_off_their_own_form() {
        let sys = person(
            1,
            "/1/",
            vec![Role {
                kind: RoleKind::SystemAdmin,
                scope: None,
            }],
        );
        let path = TreePath::from_stored("/1/".into());
        let f = FormSeen {
            id: 5,
            approver: Approver::SystemAdmins,
            scope: None,
            applicant: Target {
                id: AccountId(1),
                unit_path: &path,
                roles: &[],
            },
            managers: &[],
        };
        assert!(matches!(sys.form_decider(&f), Err(Error::Refused(_))));
        let other = FormSeen {
            applicant: Target {
                id: AccountId(2),
                ..f.applicant
            },
            ..f
        };
        assert!(sys.form_decider(&other).is_ok());
    }

    #[test]
    fn each_approver_signs_off_only_their_forms() {
        let unit = TreePath::from_stored("/1/2/".into());
        let elsewhere = TreePath::from_stored("/1/9/".into());
        let applicant = Target {
            id: AccountId(7),
            unit_path: &unit,
            roles: &[],
        };
        let admin = agency_admin(3, "/1/2/");
        let manager = person(4, "/1/9/", vec![]);
        let by_org = FormSeen {
            id: 1,
            approver: Approver::OrgAdmins,
            scope: Some(&unit),
            applicant,
            managers: &[],
        };
        assert!(admin.form_decider(&by_org).is_ok());
        assert!(manager.form_decider(&by_org).is_err());
        let outside = FormSeen {
            scope: Some(&elsewhere),
            ..by_org
        };
        assert!(matches!(admin.form_decider(&outside), Err(Error::NotFound)));
        let by_app = FormSeen {
            approver: Approver::AppManagers,
            managers: &[AccountId(4)],
            ..by_org
        };
        assert!(manager.form_decider(&by_app).is_ok());
        assert!(admin.form_decider(&by_app).is_err());
        let by_sys = FormSeen {
            approver: Approver::SystemAdmins,
            ..by_org
        };
        assert!(admin.form_decider(&by_sys).is_err());
        assert!(manager.form_decider(&by_sys).is_err());
    }

    #[test]
    fn an_agency_admin_does_not_sign_off_for_someone_above_them() {
        let unit = TreePath::from_stored("/1/2/".into());
        let held = [Role {
            kind: RoleKind::AgencyAdmin,
            scope: Some((OrgUnitId(2), unit.clone())),
        }];
        let admin = agency_admin(3, "/1/2/");
        let f = FormSeen {
            id: 1,
            approver: Approver::OrgAdmins,
            scope: Some(&unit),
            applicant: Target {
                id: AccountId(8),
                unit_path: &unit,
                roles: &held,
            },
            managers: &[],
        };
        assert!(admin.form_decider(&f).is_err());
    }

    #[test]
    fn managers_define_their_application_only() {
        let m = person(4, "/1/", vec![]);
        assert!(m.manager_of(10, &[AccountId(4)]).is_ok());
        assert!(matches!(
            m.manager_of(11, &[AccountId(5)]),
            Err(Error::NotFound)
        ));
    }
}
