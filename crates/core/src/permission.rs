//! Who may do what. Roles are system admin, agency admin and unit admin, each
//! admin role scoped to a subtree of the org tree (DESIGN.md "Least privilege
//! by scope"). A check returns a handle; only the handle reaches the
//! privileged operation, and the store filters every admin query by the
//! scope it carries.
use crate::error::Error;
use crate::ids::{AccountId, MailboxId, OrgUnitId};
use crate::msg::Msg;
use crate::org::TreePath;

mod access;
mod booking;
mod certification;
mod content;
mod inspection;
pub use access::{AccessGrant, AppManage, FormDecider, FormSeen};
pub use booking::{ItemMaker, ItemSeen as KeptItem, Keeper};
pub use certification::{
    CampaignOwner, CampaignSeen, Certifier, ItemSeen, Reviewing, could_review,
};
pub use content::{DownloadKeeper, PostAuthor, PostModerator, PostSeen, TopicKeeper};
pub use inspection::{InspectionSeen, Inspector};

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

/// The signed-in person, as every use case sees them. The fields are
/// private: a `Principal` comes from a loaded session
/// ([`Principal::from_session`], called by the session loader alone) or,
/// for the console and tests, from the loudly named
/// [`Principal::unchecked_for_command_line`]. Every admin handle below is
/// built from one, by a check.
///
/// ```compile_fail
/// // Outside core, nobody writes a principal (or any handle) by hand.
/// use portico_core::ids::AccountId;
/// use portico_core::org::TreePath;
/// use portico_core::permission::{Principal, Role, RoleKind};
/// let forged = Principal {
///     account_id: AccountId(1),
///     login: "x".into(),
///     name: "x".into(),
///     unit_path: TreePath::from_stored("/1/".into()),
///     roles: vec![Role { kind: RoleKind::SystemAdmin, scope: None }],
/// };
/// ```
#[derive(Debug, Clone)]
pub struct Principal {
    account_id: AccountId,
    login: String,
    name: String,
    unit_path: TreePath,
    roles: Vec<Role>,
}

/// What a permission check knows of the account acted on: where it sits
/// and the roles it holds.
#[derive(Debug, Clone, Copy)]
pub struct Target<'t> {
    pub id: AccountId,
    pub unit_path: &'t TreePath,
    pub roles: &'t [Role],
}

impl Principal {
    /// The person a loaded session names, with the roles read with it.
    /// Only the session loader (`app::auth`) calls this; the architecture
    /// test holds it so.
    pub fn from_session(
        account_id: AccountId,
        login: String,
        name: String,
        unit_path: TreePath,
        roles: Vec<Role>,
    ) -> Principal {
        Principal {
            account_id,
            login,
            name,
            unit_path,
            roles,
        }
    }

    /// A person nobody signed in: for `portico admin …`, benchmarks and
    /// tests only, named so a reader stops at it (lldap's
    /// `unsafe_get_handler`). The architecture test keeps it out of the
    /// web layer and the use cases.
    pub fn unchecked_for_command_line(
        account_id: AccountId,
        login: String,
        name: String,
        unit_path: TreePath,
        roles: Vec<Role>,
    ) -> Principal {
        Principal::from_session(account_id, login, name, unit_path, roles)
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn login(&self) -> &str {
        &self.login
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn unit_path(&self) -> &TreePath {
        &self.unit_path
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The right to change this person's own rows (profile, password,
    /// preferences), from their own session.
    pub fn own_account(&self) -> AccountWrite {
        AccountWrite(self.account_id)
    }

    /// The right to manage a mail account this person keeps (保管人).
    /// Anyone else is told it is not found.
    pub fn keeper_of(
        &self,
        mailbox: MailboxId,
        custodian: AccountId,
    ) -> Result<MailboxWrite, Error> {
        if custodian == self.account_id {
            Ok(MailboxWrite(mailbox))
        } else {
            Err(Error::NotFound)
        }
    }

    pub fn is_system_admin(&self) -> bool {
        self.roles.iter().any(|r| r.kind == RoleKind::SystemAdmin)
    }

    /// The highest role held, if any.
    pub fn top_role(&self) -> Option<RoleKind> {
        self.roles.iter().map(|r| r.kind).max()
    }

    /// The highest role whose scope covers `path`: what this person is
    /// there. A unit admin in one place and agency admin in another is a
    /// unit admin in the first place only.
    pub fn rank_over(&self, path: &TreePath) -> Option<RoleKind> {
        self.roles
            .iter()
            .filter(|r| match &r.scope {
                None => r.kind == RoleKind::SystemAdmin,
                Some((_, root)) => root.contains(path),
            })
            .map(|r| r.kind)
            .max()
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

    /// Does this person outrank `role` where it applies? System admins
    /// rank over everyone, other system admins included (the top rank has
    /// nobody above it; the last one is kept by a guard, not by rank).
    fn outranks(&self, role: &Role) -> bool {
        if self.is_system_admin() {
            return true;
        }
        match &role.scope {
            None => false,
            Some((_, path)) => self.rank_over(path).is_some_and(|mine| mine > role.kind),
        }
    }
}

/// The accounts an admin may see, for a query over many (a search, the
/// review queue): the scope, and for each admin role the subtrees where the
/// admin ranks at or above it. An account holding a system admin role, or
/// an admin role outside those subtrees, is above the admin and hidden, as
/// `Admin::view` hides it one at a time. `ranks` is `None` for a system
/// admin, above everyone.
#[derive(Debug, Clone)]
pub struct Visible {
    pub scope: AdminScope,
    pub ranks: Option<Vec<(RoleKind, Vec<TreePath>)>>,
}

impl Visible {
    /// No limit: for a person's own records (filtered to their account by
    /// the query) and the portal's own jobs.
    pub fn everything() -> Visible {
        Visible {
            scope: AdminScope::All,
            ranks: None,
        }
    }
}

/// Proof that the actor is some admin, with the scope they act in.
#[derive(Debug, Clone)]
pub struct Admin<'a> {
    principal: &'a Principal,
    scope: AdminScope,
}

/// Proof that the actor is a system admin.
///
/// ```compile_fail
/// // Only `Principal::system_admin` makes one, after checking.
/// use portico_core::permission::{Principal, SystemAdmin};
/// fn forge(p: &Principal) -> SystemAdmin<'_> {
///     SystemAdmin { principal: p }
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SystemAdmin<'a> {
    principal: &'a Principal,
}

impl<'a> SystemAdmin<'a> {
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    /// The right to change the org tree and the system parameters.
    pub fn writes(&self) -> SystemWrite {
        SystemWrite {
            by: Some(self.principal.account_id),
        }
    }
}

/// Proof that an admin may act on one account: the only way into the
/// privileged account operations.
///
/// ```compile_fail
/// // Only `Admin::of` makes one, after the scope and rank checks.
/// use portico_core::ids::AccountId;
/// use portico_core::permission::{AdminOf, Principal};
/// fn forge(p: &Principal) -> AdminOf<'_> {
///     AdminOf { actor: p, target: AccountId(1) }
/// }
/// ```
///
/// The same through the check compiles:
///
/// ```
/// use portico_core::Error;
/// use portico_core::permission::{AdminOf, Principal, Target};
/// fn checked<'a>(p: &'a Principal, t: &Target<'_>) -> Result<AdminOf<'a>, Error> {
///     p.admin()?.of(t)
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AdminOf<'a> {
    actor: &'a Principal,
    target: AccountId,
}

impl<'a> AdminOf<'a> {
    pub fn actor(&self) -> &'a Principal {
        self.actor
    }

    pub fn target(&self) -> AccountId {
        self.target
    }

    /// The right to change the account's rows.
    pub fn write(&self) -> AccountWrite {
        AccountWrite(self.target)
    }

    /// The right to grant (or revoke) `kind` over `scope` to this account:
    /// only system admins make system admins; others grant roles below the
    /// one they hold over that unit, so they can take them back.
    pub fn grant(
        &self,
        kind: RoleKind,
        scope: Option<(OrgUnitId, &TreePath)>,
    ) -> Result<RoleGrant, Error> {
        may_grant(self.actor, kind, scope.map(|(_, p)| p), Reach::Above)?;
        Ok(RoleGrant {
            account: self.target,
            kind,
            scope: scope.map(|(u, _)| u),
            by: self.actor.account_id,
        })
    }
}

/// The right to change one account's rows. Store writes that change an
/// account take this, never a bare id, and it comes only from a handle
/// that proved the right: an admin's [`AdminOf::write`], the person's own
/// session ([`Principal::own_account`]), or the portal acting on its own
/// ([`Unattended::account`]).
///
/// ```compile_fail
/// use portico_core::ids::AccountId;
/// use portico_core::permission::AccountWrite;
/// let forged = AccountWrite(AccountId(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountWrite(AccountId);

impl AccountWrite {
    pub fn id(&self) -> AccountId {
        self.0
    }
}

/// The right to change one agency or system mail account: its custodian's
/// ([`Principal::keeper_of`]), an admin's whose scope holds its agency
/// ([`Admin::mailbox`]), the decider's of its application
/// ([`DeciderOf::mailbox`]), or the portal's own ([`Unattended::mailbox`]).
///
/// ```compile_fail
/// use portico_core::ids::MailboxId;
/// use portico_core::permission::MailboxWrite;
/// let forged = MailboxWrite(MailboxId(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxWrite(MailboxId);

impl MailboxWrite {
    pub fn id(&self) -> MailboxId {
        self.0
    }
}

/// The right to grant one role to one account, proved by
/// [`AdminOf::grant`] (in scope, outranking the account, and holding at
/// least that role over the subtree) or given by [`Unattended::grant`].
#[derive(Debug, Clone)]
pub struct RoleGrant {
    account: AccountId,
    kind: RoleKind,
    scope: Option<OrgUnitId>,
    by: AccountId,
}

impl RoleGrant {
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn kind(&self) -> RoleKind {
        self.kind
    }
    pub fn scope(&self) -> Option<OrgUnitId> {
        self.scope
    }
    /// Who granted it.
    pub fn by(&self) -> AccountId {
        self.by
    }
}

/// The right to change the org tree or the system parameters: a system
/// admin's ([`SystemAdmin::writes`]) or the portal's own
/// ([`Unattended::system`]).
#[derive(Debug, Clone, Copy)]
pub struct SystemWrite {
    by: Option<AccountId>,
}

impl SystemWrite {
    /// The system admin who writes, or `None` for the portal itself.
    pub fn by(&self) -> Option<AccountId> {
        self.by
    }
}

/// The portal acting on its own, with no person's session behind it:
/// scheduled jobs, the demo seeder, `portico admin …`, sign-in bookkeeping,
/// and the account flows whose proof is a verified code rather than a
/// session (activation, forgotten password). Loudly named, like lldap's
/// `unsafe_get_handler`; the architecture test lists the modules that may
/// use it, and the admin console is not among them.
#[derive(Debug, Clone, Copy)]
pub struct Unattended {
    why: &'static str,
}

impl Unattended {
    /// `why` says which unattended work this is, for a reader and a log.
    /// The name repeats the type so that every call reads
    /// `Unattended::unattended(…)`, which a reviewer stops at.
    #[allow(clippy::self_named_constructors)]
    pub const fn unattended(why: &'static str) -> Unattended {
        Unattended { why }
    }
    pub fn why(&self) -> &'static str {
        self.why
    }
    pub fn account(&self, id: AccountId) -> AccountWrite {
        AccountWrite(id)
    }
    pub fn grant(
        &self,
        account: AccountId,
        kind: RoleKind,
        scope: Option<OrgUnitId>,
        by: AccountId,
    ) -> RoleGrant {
        RoleGrant {
            account,
            kind,
            scope,
            by,
        }
    }
    pub fn system(&self) -> SystemWrite {
        SystemWrite { by: None }
    }
    pub fn mailbox(&self, id: MailboxId) -> MailboxWrite {
        MailboxWrite(id)
    }
}

/// Proof that an admin may decide one request: in scope, not their own,
/// not about themselves.
#[derive(Debug, Clone, Copy)]
pub struct DeciderOf<'a> {
    actor: &'a Principal,
    request: i64,
    concerns: AccountId,
}

impl<'a> DeciderOf<'a> {
    pub fn actor(&self) -> &'a Principal {
        self.actor
    }

    pub fn request(&self) -> i64 {
        self.request
    }

    /// The right to change the account the request is about, as the
    /// decision says.
    pub fn write(&self) -> AccountWrite {
        AccountWrite(self.concerns)
    }

    /// The right to open or close the mail account an application asked
    /// for: the request's own, found by it.
    pub fn mailbox(&self, id: MailboxId) -> MailboxWrite {
        MailboxWrite(id)
    }

    /// The role an approval grants, which must be one the decider could
    /// grant directly: a decision never grants more.
    pub fn grant(&self, kind: RoleKind, scope: (OrgUnitId, &TreePath)) -> Result<RoleGrant, Error> {
        may_grant(self.actor, kind, Some(scope.1), Reach::AtLeast)?;
        Ok(RoleGrant {
            account: self.concerns,
            kind,
            scope: Some(scope.0),
            by: self.actor.account_id,
        })
    }
}

/// Why an admin may not act on an account they can see.
fn outranked(held: RoleKind) -> Error {
    let what = held.label();
    Error::Refused(Msg::owned(
        format!(
            "此帳號是{}，與您同級或更高，請由更上一級的管理者處理",
            what.zh
        ),
        {
            let en = what.en.to_lowercase();
            let article = if en.starts_with(['a', 'e', 'i', 'o']) {
                "an"
            } else {
                "a"
            };
            format!(
                "This account is {article} {en}, at or above your rank; ask a higher-ranked administrator"
            )
        },
    ))
}

impl<'a> Admin<'a> {
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    pub fn scope(&self) -> &AdminScope {
        &self.scope
    }

    /// What `view` lets through, as data for a query over many accounts.
    pub fn visible(&self) -> Visible {
        let p = self.principal;
        let ranks = (!p.is_system_admin()).then(|| {
            [RoleKind::AgencyAdmin, RoleKind::UnitAdmin]
                .into_iter()
                .map(|kind| {
                    let roots = p
                        .roles
                        .iter()
                        .filter(|r| r.kind >= kind)
                        .filter_map(|r| r.scope.as_ref().map(|(_, path)| path.clone()))
                        .collect();
                    (kind, roots)
                })
                .collect()
        });
        Visible {
            scope: self.scope.clone(),
            ranks,
        }
    }

    /// May this admin see the account? Within the scope, and holding no
    /// role above the admin's own there. Anything else is reported as not
    /// found, so an admin learns nothing about accounts they may not manage.
    pub fn view(&self, target: &Target<'_>) -> Result<(), Error> {
        if !self.scope.covers(target.unit_path) {
            return Err(Error::NotFound);
        }
        let p = self.principal;
        let above = target.roles.iter().any(|r| {
            !p.is_system_admin()
                && match &r.scope {
                    None => true,
                    Some((_, path)) => p.rank_over(path).is_none_or(|mine| mine < r.kind),
                }
        });
        if above { Err(Error::NotFound) } else { Ok(()) }
    }

    /// May this admin act on the account? It must be in scope, and the
    /// admin must outrank every admin role it holds: a unit admin never
    /// resets the password of the agency admin sitting in that unit. An
    /// account outside the scope, or above the admin, is not found; a peer
    /// is refused by name.
    pub fn of(&self, target: &Target<'_>) -> Result<AdminOf<'a>, Error> {
        self.view(target)?;
        // One's own account is changed from one's own pages: an admin who
        // forces their own password reset or strips their own roles from
        // the console would lock themselves out mid-task.
        if target.id == self.principal.account_id {
            return Err(Error::Refused(Msg::new(
                "不能在管理主控台變更自己的帳號，請使用「個人帳號管理」，或請其他管理者處理",
                "You cannot change your own account from the console; use My account, or ask another administrator",
            )));
        }
        if let Some(r) = target.roles.iter().find(|r| !self.principal.outranks(r)) {
            return Err(outranked(r.kind));
        }
        Ok(AdminOf {
            actor: self.principal,
            target: target.id,
        })
    }

    /// May this admin decide a request? Within the scope it names, not
    /// about themselves (a request is made by the person it concerns:
    /// nobody approves their own), and outranking every admin role the
    /// account keeps whatever the decision (`keeps`): a unit admin never
    /// reinstates a disabled system admin, nor returns an agency admin from
    /// an agency change, since either brings back a role above them.
    pub fn decider_of(
        &self,
        request: i64,
        scope: &TreePath,
        concerns: AccountId,
        keeps: &[Role],
    ) -> Result<DeciderOf<'a>, Error> {
        if !self.scope.covers(scope) {
            return Err(Error::NotFound);
        }
        if concerns == self.principal.account_id {
            return Err(Error::Refused(Msg::new(
                "不能審核自己提出或與自己有關的申請，請由其他管理者審核",
                "You cannot decide a request you made or that concerns you; another administrator must",
            )));
        }
        // Above the admin: not even seen. A peer: refused by name.
        self.view(&Target {
            id: concerns,
            unit_path: scope,
            roles: keeps,
        })?;
        if let Some(r) = keeps.iter().find(|r| !self.principal.outranks(r)) {
            return Err(outranked(r.kind));
        }
        Ok(DeciderOf {
            actor: self.principal,
            request,
            concerns,
        })
    }

    /// May this admin manage a mail account of the agency at
    /// `agency_path`? Agency admins manage their agency's, system admins
    /// all; a unit admin's scope does not hold the agency itself. Outside
    /// the scope it is not found.
    pub fn mailbox(&self, id: MailboxId, agency_path: &TreePath) -> Result<MailboxWrite, Error> {
        if self.scope.covers(agency_path) {
            Ok(MailboxWrite(id))
        } else {
            Err(Error::NotFound)
        }
    }

    /// May this admin grant (or revoke) `kind` scoped at `scope_unit`? Only
    /// system admins make system admins; others grant roles below the one
    /// they hold over that unit, inside their own scope.
    pub fn may_grant(&self, kind: RoleKind, scope_unit: Option<&TreePath>) -> Result<(), Error> {
        may_grant(self.principal, kind, scope_unit, Reach::Above)
    }
}

/// How far a granter's own role must reach over the one granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// An admin's own grant: strictly above, so they can also take it back
    /// (a unit admin makes no peer unit admins they could not revoke).
    Above,
    /// A decided request (機關管理者申請, 004 第三節 捌 六): the seed's way for
    /// an agency admin to name another for the same agency.
    AtLeast,
}

fn may_grant(
    p: &Principal,
    kind: RoleKind,
    scope_unit: Option<&TreePath>,
    reach: Reach,
) -> Result<(), Error> {
    match (kind, scope_unit) {
        (RoleKind::SystemAdmin, _) if !p.is_system_admin() => Err(Error::Forbidden),
        (RoleKind::SystemAdmin, _) => Ok(()),
        (_, None) => Err(Error::invalid(
            "scope_unit",
            Msg::new("請選擇管理範圍", "Choose the scope of the role"),
        )),
        (k, Some(path)) => match p.rank_over(path) {
            Some(mine)
                if mine > k || (mine == k && (reach == Reach::AtLeast || p.is_system_admin())) =>
            {
                Ok(())
            }
            Some(mine) if mine == k => Err(Error::Refused(Msg::owned(
                format!(
                    "您只能指派低於自己層級的角色；要增加{}，請由當事人提出「機關管理者申請」，或洽更上一級的管理者",
                    k.label().zh
                ),
                format!(
                    "You can grant only roles below your own; for another {}, have the person request admin rights, or ask a higher-ranked administrator",
                    k.label().en.to_lowercase()
                ),
            ))),
            _ => Err(Error::Forbidden),
        },
    }
}

#[cfg(test)]
mod tests;
