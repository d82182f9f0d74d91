//! The admin console's account management (帳號管理): accounts in scope
//! and rank, disabling, enabling, unlocking, forcing a password reset,
//! granting and revoking roles. A person's own account is `account.rs`.
use crate::auth::admin_event;
use crate::{App, Ctx, Result};
use portico_core::account::AccountState;
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::permission::{Admin, AdminOf, Principal, RoleKind, Target};
use portico_core::text::clean_text;
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, AccountRow, Change, Search};
use portico_store::{Page, audit, db_err, orgs, roles, sessions};

/// One account as the admin console opens it.
pub struct Managed {
    pub account: Account,
    pub roles: Vec<roles::Grant>,
    pub locked: bool,
    /// The sign-in methods the account has bound.
    pub bound: portico_store::factors::Bound,
    /// The mail accounts it keeps, which must be handed over before it is
    /// disabled (shown with links to their hand-over).
    pub kept_mailboxes: Vec<portico_store::mailboxes::Mailbox>,
}

/// How an account's use ends: the transition, the audit action, and the
/// words refusing one's own account.
type EndUse = (
    fn(AccountState) -> std::result::Result<AccountState, Msg>,
    &'static str,
    Option<Msg>,
);

impl App {
    // ---- admin console -------------------------------------------------

    /// Any admin: searches accounts within their scope.
    pub async fn search_accounts(
        &self,
        actor: &Principal,
        q: &Search,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AccountRow>> {
        let admin = actor.admin()?;
        let per_page = per_page.clamp(1, 200);
        accounts::search(
            &mut *self.db.read().await?,
            &admin.visible(),
            q,
            self.now(),
            page,
            per_page,
        )
        .await
    }

    /// Loads an account and proves the admin may act on it: in scope, and
    /// outranking every admin role it holds.
    pub(crate) async fn managed<'a>(
        &self,
        c: &mut portico_store::Conn,
        admin: &Admin<'a>,
        id: AccountId,
    ) -> Result<(Account, AdminOf<'a>)> {
        let a = accounts::get(c, id).await?.ok_or(Error::NotFound)?;
        let held: Vec<_> = roles::of_account(c, id)
            .await?
            .iter()
            .map(|g| g.role())
            .collect();
        let of = admin.of(&Target {
            id: a.id,
            unit_path: &a.unit_path,
            roles: &held,
        })?;
        Ok((a, of))
    }

    /// Any admin, for an account they may act on: edits the person's data
    /// (name, title, phones, birthday, addresses) and, inside the admin's
    /// own scope, their unit. A unit outside it is the agency-change
    /// request's (the new agency decides); an account holding admin roles
    /// keeps its unit here (its roles are scoped where it sits). Audited
    /// with the fields changed.
    pub async fn admin_update_profile(
        &self,
        actor: &Principal,
        id: AccountId,
        form: &crate::account::ProfileForm,
        unit: Option<OrgUnitId>,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let p = form.validate(now.to_offset(portico_core::time::TAIPEI).date())?;
        let tree = self.org_tree().await?;
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        let moving = unit.filter(|u| *u != a.unit_id);
        let to = match moving {
            None => None,
            Some(u) => {
                let Some(to) = tree
                    .get(u)
                    .filter(|t| t.kind != portico_core::org::OrgKind::Group && tree.is_live(t))
                else {
                    return Err(Error::invalid(
                        "unit",
                        Msg::new("請從清單選擇單位", "Choose a unit from the list"),
                    ));
                };
                if !admin.scope().covers(&to.path) {
                    return Err(Error::invalid(
                        "unit",
                        Msg::new(
                            "新單位不在您的管理範圍：請由當事人提出「機關(單位)異動」申請，由新機關審核",
                            "The new unit is outside your scope: the person asks for an agency change, and the new agency decides",
                        ),
                    ));
                }
                if !roles::of_account(&mut tx, id).await?.is_empty() {
                    return Err(Error::invalid(
                        "unit",
                        Msg::new(
                            "此帳號具管理者角色，須先移除角色才能變更單位",
                            "This account holds admin roles; remove them before changing its unit",
                        ),
                    ));
                }
                // Another agency: the mail accounts it keeps stay behind
                // in theirs, so they are handed over first.
                if to.agency_id != a.agency_id {
                    self.guard_custodian(&mut tx, &a).await?;
                    self.guard_pending_mailbox(&mut tx, &a).await?;
                }
                Some(to.clone())
            }
        };
        accounts::update_profile(
            &mut tx,
            of.write(),
            &p,
            &Change {
                at: now,
                by: actor.login(),
                note: "由管理者修改個人資料",
            },
        )
        .await?;
        if let Some(to) = &to {
            accounts::move_to_unit(&mut tx, of.write(), to.id, None, now).await?;
        }
        self.queue_person(&mut tx, a.id).await?;
        let mut e = admin_event(ctx, "account.profile.admin_update", actor, &a);
        let mut detail: serde_json::Value =
            serde_json::from_str(&crate::account::changed_fields(&a, &p)).unwrap_or_default();
        if let Some(to) = &to {
            detail["from"] = serde_json::json!(a.unit_name);
            detail["to"] = serde_json::json!(to.name);
        }
        e.detail = detail.to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Any admin, for an account in scope holding no role above theirs:
    /// the account and its roles.
    pub async fn managed_account(&self, actor: &Principal, id: AccountId) -> Result<Managed> {
        let admin = actor.admin()?;
        let mut c = self.db.read().await?;
        let account = accounts::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let roles = roles::of_account(&mut c, id).await?;
        let held: Vec<_> = roles.iter().map(|g| g.role()).collect();
        admin.view(&Target {
            id,
            unit_path: &account.unit_path,
            roles: &held,
        })?;
        drop(c);
        let mut account = account;
        if let Some(label) = self.withheld_login(&admin, &account.last_change_by).await? {
            account.last_change_by = label.to_owned();
        }
        let mut c = self.db.read().await?;
        let bound = portico_store::factors::bound(&mut c, id).await?;
        let kept_mailboxes = portico_store::mailboxes::kept_by(&mut c, id).await?;
        let locked = account.locked_until.is_some_and(|u| u > self.now());
        Ok(Managed {
            kept_mailboxes,
            account,
            roles,
            locked,
            bound,
        })
    }

    /// An admin who may see the account reads its national ID whole,
    /// after giving the case number, document number or reason (002 §六
    /// (三) 2); the look-up is a usage record of the admin's, audited with
    /// the rest. `None` when the account has no national ID on file.
    pub async fn reveal_national_id(
        &self,
        actor: &Principal,
        id: AccountId,
        reason_kind: &str,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<Option<String>> {
        let admin = actor.admin()?;
        let reason = portico_core::usage::Reason::parse(reason_kind, reason)?;
        // One look-up at a time, as a case needs; not a harvest.
        if !self
            .rate_allow(&format!("national-id:{}", actor.account_id().0), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "查詢次數過多，請稍候一分鐘再試",
                "Too many look-ups; wait a minute and try again",
            )));
        }
        let mut tx = self.db.begin().await?;
        let account = accounts::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let held: Vec<_> = roles::of_account(&mut tx, id)
            .await?
            .iter()
            .map(|g| g.role())
            .collect();
        admin.view(&Target {
            id,
            unit_path: &account.unit_path,
            roles: &held,
        })?;
        let asker = accounts::get(&mut tx, actor.account_id())
            .await?
            .ok_or(Error::Unauthenticated)?;
        let e = admin_event(ctx, "account.national_id", actor, &account);
        crate::usage::record_query(&mut tx, &asker, e, &reason, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(account.national_id)
    }

    /// Refuses when disabling the account would leave the city without an
    /// active system admin, or an agency without an active agency admin.
    /// 004 (三) 2: hand the role over first.
    pub(crate) async fn guard_only_agency_admin(
        &self,
        c: &mut portico_store::Conn,
        account: &Account,
    ) -> Result<()> {
        let held = roles::of_account(c, account.id).await?;
        if account.state == AccountState::Active
            && held.iter().any(|g| g.kind == RoleKind::SystemAdmin)
        {
            guard_last_system_admin(c, account).await?;
        }
        for g in held {
            if g.kind != RoleKind::AgencyAdmin {
                continue;
            }
            let Some(agency) = g.scope_unit_id else {
                continue;
            };
            // Two of an agency's last admins leaving at once: the second
            // waits here and counts after the first.
            orgs::lock(c, agency).await?;
            if account.state == AccountState::Active
                && roles::count_active_agency_admins(c, agency).await? <= 1
            {
                return Err(Error::Refused(Msg::owned(
                    format!(
                        "{}（{}）是「{}」唯一的機關管理者，請先指派同機關其他人為機關管理者。",
                        account.name, account.login, g.scope_name
                    ),
                    format!(
                        "{} ({}) is the only agency administrator of {}. Appoint another administrator in the agency first.",
                        account.name, account.login, g.scope_name
                    ),
                )));
            }
        }
        Ok(())
    }

    /// What must be handed over before an account is disabled or moves
    /// agency (004 (三) 1 (2)): the agency admin role it alone holds, and
    /// the mail accounts it keeps.
    pub(crate) async fn guard_before_disable(
        &self,
        c: &mut portico_store::Conn,
        account: &Account,
    ) -> Result<()> {
        self.guard_only_agency_admin(c, account).await?;
        self.guard_custodian(c, account).await
    }

    /// Any admin, for an account in scope: disables it with a reason, and
    /// signs it out everywhere.
    pub async fn disable_account(
        &self,
        actor: &Principal,
        id: AccountId,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let own = Msg::new("不可停用自己的帳號", "You cannot disable your own account");
        self.end_use(
            actor,
            id,
            reason,
            ctx,
            (AccountState::disable, "account.disable", Some(own)),
        )
        .await
    }

    /// A disable or a cancellation (the state it leads to, the audit
    /// action, and the refusal of one's own account if it has its own
    /// words): the reason, the hand-overs first, the
    /// state, the directory, every session ended, the event.
    async fn end_use(
        &self,
        actor: &Principal,
        id: AccountId,
        reason: &str,
        ctx: &Ctx,
        (to, action, own): EndUse,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let reason = clean_text(reason, 1, 200).map_err(|m| Error::invalid("reason", m))?;
        if let Some(own) = own
            && id == actor.account_id()
        {
            return Err(Error::Refused(own));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        let to = to(a.state).map_err(Error::Refused)?;
        self.guard_before_disable(&mut tx, &a).await?;
        if !accounts::transition(&mut tx, of.write(), a.state, to, now).await? {
            return Err(changed_meanwhile());
        }
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: &reason,
            },
        )
        .await?;
        sessions::delete_all_of(&mut tx, a.id, now).await?;
        let mut e = admin_event(ctx, action, actor, &a);
        e.reason = reason;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// 帳號註銷 (002 §五): any admin, for an account in scope, cancels it
    /// with a reason — the person left the post. It signs in nowhere from
    /// now on, keeps its records, and its signed forms are destroyed a year
    /// on. What must be handed over first is, as before a disable.
    pub async fn cancel_account(
        &self,
        actor: &Principal,
        id: AccountId,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        self.end_use(
            actor,
            id,
            reason,
            ctx,
            (AccountState::cancel, "account.cancel", None),
        )
        .await
    }

    /// Any admin, for an account in scope: enables a disabled account.
    pub async fn enable_account(
        &self,
        actor: &Principal,
        id: AccountId,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let reason = clean_text(reason, 0, 200).map_err(|m| Error::invalid("reason", m))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        let to = a
            .state
            .enable(a.password_hash.is_some())
            .map_err(Error::Refused)?;
        if !accounts::transition(&mut tx, of.write(), a.state, to, now).await? {
            return Err(changed_meanwhile());
        }
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: if reason.is_empty() { "啟用" } else { &reason },
            },
        )
        .await?;
        let mut e = admin_event(ctx, "account.enable", actor, &a);
        e.reason = reason;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Any admin, for an account in scope: lifts a lockout.
    pub async fn unlock_account(&self, actor: &Principal, id: AccountId, ctx: &Ctx) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        if a.locked_until.is_none_or(|u| u <= now) {
            return Err(Error::Refused(Msg::new(
                "此帳號目前未被鎖定",
                "This account is not locked",
            )));
        }
        accounts::unlock(&mut tx, of.write()).await?;
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: "解除鎖定",
            },
        )
        .await?;
        audit::append(&mut tx, &admin_event(ctx, "account.unlock", actor, &a), now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Any admin, for an account in scope: the person must choose a new
    /// password at the next sign-in; every session ends now.
    pub async fn force_password_reset(
        &self,
        actor: &Principal,
        id: AccountId,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        accounts::set_must_change_password(&mut tx, of.write(), true).await?;
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: "強制重設密碼",
            },
        )
        .await?;
        sessions::delete_all_of(&mut tx, a.id, now).await?;
        audit::append(
            &mut tx,
            &admin_event(ctx, "account.password.force_reset", actor, &a),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// Any admin: grants a role to an account in scope, scoped inside their
    /// own scope and no higher than their own role.
    pub async fn grant_role(
        &self,
        actor: &Principal,
        id: AccountId,
        kind: RoleKind,
        scope_unit: Option<OrgUnitId>,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        let scope = match (kind, scope_unit) {
            (RoleKind::SystemAdmin, _) => None,
            (_, Some(u)) => Some(orgs::get(&mut tx, u).await?.ok_or_else(|| {
                Error::invalid(
                    "scope_unit",
                    Msg::new("找不到所選的單位", "The chosen unit does not exist"),
                )
            })?),
            (_, None) => None,
        };
        if let Some(u) = &scope
            && orgs::is_disabled_on_path(&mut tx, &u.path).await?
        {
            return Err(Error::invalid(
                "scope_unit",
                Msg::owned(
                    format!("「{}」已停用，不能作為管理範圍", u.name),
                    format!("{} is disabled and cannot be a scope", u.name),
                ),
            ));
        }
        if let Some(u) = &scope {
            let want = if kind == RoleKind::AgencyAdmin {
                portico_core::org::OrgKind::Agency
            } else {
                portico_core::org::OrgKind::Unit
            };
            if kind == RoleKind::AgencyAdmin && u.kind != want {
                return Err(Error::invalid(
                    "scope_unit",
                    Msg::new(
                        "機關管理者的範圍必須是機關",
                        "An agency administrator's scope must be an agency",
                    ),
                ));
            }
            if kind == RoleKind::UnitAdmin && u.kind == portico_core::org::OrgKind::Group {
                return Err(Error::invalid(
                    "scope_unit",
                    Msg::new(
                        "單位管理者的範圍必須是機關或單位",
                        "A unit administrator's scope must be an agency or unit",
                    ),
                ));
            }
        }
        let proof = of.grant(kind, scope.as_ref().map(|u| (u.id, &u.path)))?;
        roles::grant(&mut tx, &proof, now).await?;
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: "角色指派",
            },
        )
        .await?;
        let mut e = admin_event(ctx, "account.role.grant", actor, &a);
        e.detail = serde_json::json!({"role": kind.as_str(), "scope_unit": scope.as_ref().map(|u| u.id.0), "scope_name": scope.as_ref().map(|u| u.name.clone())}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Any admin: revokes a role they could have granted.
    pub async fn revoke_role(
        &self,
        actor: &Principal,
        id: AccountId,
        role: RoleId,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, id).await?;
        let grants = roles::of_account(&mut tx, a.id).await?;
        let g = grants
            .iter()
            .find(|g| g.id == role)
            .ok_or(Error::NotFound)?;
        let proof = of.grant(g.kind, g.scope_unit_id.zip(g.scope_path.as_ref()))?;
        guard_role_removal(&mut tx, &a, g, actor.account_id()).await?;
        roles::revoke(&mut tx, &proof, role).await?;
        self.account_changed(
            &mut tx,
            of.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: "角色移除",
            },
        )
        .await?;
        let mut e = admin_event(ctx, "account.role.revoke", actor, &a);
        e.detail = serde_json::json!({"role": g.kind.as_str(), "scope_unit": g.scope_unit_id.map(|u| u.0), "scope_name": g.scope_name}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// What must hold before an admin role is removed, by the console or an
/// access review: an agency keeps one active agency admin (two removals at
/// once wait on the agency's row), nobody removes their own system admin
/// role, and the portal keeps one active system admin.
pub(crate) async fn guard_role_removal(
    c: &mut portico_store::Conn,
    a: &Account,
    g: &roles::Grant,
    actor: AccountId,
) -> Result<()> {
    // Two admins removing an agency's last two admins at once: the
    // second waits on the agency's row and counts after the first.
    if g.kind == RoleKind::AgencyAdmin
        && let Some(agency) = g.scope_unit_id
    {
        orgs::lock(c, agency).await?;
    }
    if g.kind == RoleKind::AgencyAdmin
        && let Some(agency) = g.scope_unit_id
        && a.state == AccountState::Active
        && roles::count_active_agency_admins(c, agency).await? <= 1
    {
        return Err(Error::Refused(Msg::owned(
            format!(
                "{} 是「{}」唯一的機關管理者，請先指派其他機關管理者再移除。",
                a.name, g.scope_name
            ),
            format!(
                "{} is the only agency administrator of {}; appoint another before removing this role.",
                a.name, g.scope_name
            ),
        )));
    }
    if g.kind == RoleKind::SystemAdmin && a.id == actor {
        return Err(Error::Refused(Msg::new(
            "不可移除自己的系統管理者角色",
            "You cannot remove your own system administrator role",
        )));
    }
    if g.kind == RoleKind::SystemAdmin && a.state == AccountState::Active {
        guard_last_system_admin(c, a).await?;
    }
    Ok(())
}

/// Refuses when `account` is the last active system admin: nobody could
/// then manage the settings, the org tree or the admins themselves.
async fn guard_last_system_admin(c: &mut portico_store::Conn, account: &Account) -> Result<()> {
    if roles::lock_and_count_active_system_admins(c).await? <= 1 {
        return Err(Error::Refused(Msg::owned(
            format!(
                "{}（{}）是唯一啟用中的系統管理者，請先指派另一位系統管理者。",
                account.name, account.login
            ),
            format!(
                "{} ({}) is the only active system administrator. Appoint another system administrator first.",
                account.name, account.login
            ),
        )));
    }
    Ok(())
}

fn changed_meanwhile() -> Error {
    Error::Conflict {
        field: "state",
        message: Msg::new(
            "此帳號已被其他管理者異動，請重新整理後再試",
            "Another administrator changed this account; reload and try again",
        ),
    }
}
