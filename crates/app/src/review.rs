//! The review queue (待簽核, 004 第一章 貳 圖 10–13): the requests an admin
//! may decide — new accounts and modified applications, admin rights,
//! agency changes — and their decisions, one or a batch, exactly one of two
//! racing reviewers counting.
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::permission::{DeciderOf, Principal, RoleGrant, RoleKind};
use portico_core::request::{
    Decision, RequestKind, account_changed, check_note, decide, waiting_state,
};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, Change};
use portico_store::requests::{self, Filter, Request};
use portico_store::{Page, Tx, audit, db_err, roles, sessions};

/// A reviewer's decision on one or many requests.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    pub decision: Decision,
    /// Optional when approving, required when rejecting.
    pub note: &'a str,
    /// For a new account that asked for an official mailbox: grant it or
    /// not. `None` grants what was asked (a batch).
    pub official_mail: Option<bool>,
}

/// What a batch of decisions did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decided {
    pub done: Vec<i64>,
    /// Decided by another reviewer first.
    pub already: Vec<i64>,
    /// Not found or outside the reviewer's scope.
    pub missing: Vec<i64>,
    /// Refused by a rule, with what to do.
    pub refused: Vec<(i64, Msg)>,
}

impl App {
    /// Any admin: requests within their scope.
    pub async fn review_queue(
        &self,
        actor: &Principal,
        f: &Filter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Request>> {
        let admin = actor.admin()?;
        requests::list(
            &mut *self.db.read().await?,
            &admin.visible(),
            f,
            page,
            per_page.clamp(1, 200),
        )
        .await
    }

    /// Any admin: one request within their scope, with the applicant's
    /// account. The request's scope decides, not the account's: a person
    /// moving in from another agency is reviewed by the agency they join.
    pub async fn review_request(&self, actor: &Principal, id: i64) -> Result<(Request, Account)> {
        let admin = actor.admin()?;
        let mut c = self.db.read().await?;
        let r = requests::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let held: Vec<_> = roles::of_account(&mut c, r.account_id)
            .await?
            .iter()
            .map(|g| g.role())
            .collect();
        // In the scope the request names, and about nobody above the admin.
        admin.view(&portico_core::permission::Target {
            id: r.account_id,
            unit_path: &r.scope_path,
            roles: &held,
        })?;
        let a = accounts::get(&mut c, r.account_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((r, a))
    }

    /// Any admin: the mail account a request in their scope applies for,
    /// if it is a mail-account application.
    pub async fn review_request_mailbox(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<Option<portico_store::mailboxes::Mailbox>> {
        let (r, _) = self.review_request(actor, id).await?;
        if r.kind != RequestKind::Mailbox {
            return Ok(None);
        }
        portico_store::mailboxes::of_request(&mut *self.db.read().await?, r.id).await
    }

    /// Any admin: approves or rejects requests in their scope, one or many,
    /// with one note. Each is decided in its own transaction: of two
    /// reviewers acting at once, exactly one decision counts per request and
    /// the other is told.
    pub async fn decide_requests(
        &self,
        actor: &Principal,
        ids: &[i64],
        v: &Verdict<'_>,
        ctx: &Ctx,
    ) -> Result<Decided> {
        let admin = actor.admin()?;
        let note = check_note(v.decision, v.note).map_err(|m| Error::invalid("note", m))?;
        let v = Verdict { note: &note, ..*v };
        if ids.is_empty() {
            return Err(Error::invalid(
                "ids",
                Msg::new("請勾選要審核的申請", "Select the requests to decide"),
            ));
        }
        let mut out = Decided::default();
        for &id in ids.iter().take(200) {
            match self.decide_one(&admin, id, &v, ctx).await {
                Ok(()) => out.done.push(id),
                Err(Error::NotFound) => out.missing.push(id),
                Err(Error::Conflict { .. }) => out.already.push(id),
                Err(Error::Refused(m)) => out.refused.push((id, m)),
                Err(e) => return Err(e),
            }
        }
        if !out.done.is_empty() {
            self.wake_outbox();
        }
        Ok(out)
    }

    pub(crate) async fn decide_one(
        &self,
        admin: &portico_core::permission::Admin<'_>,
        id: i64,
        v: &Verdict<'_>,
        ctx: &Ctx,
    ) -> Result<()> {
        let (decision, note) = (v.decision, v.note);
        let actor = admin.principal();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let r = requests::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        // The admin roles the account keeps whatever the decision: after an
        // approved move only those scoped over the new place (and a system
        // admin's), otherwise all of them.
        let held = roles::of_account(&mut tx, r.account_id).await?;
        let keeps: Vec<_> = held
            .iter()
            .filter(|g| {
                let moves = matches!(r.kind, RequestKind::AgencyChange | RequestKind::Reinstate)
                    && decision == Decision::Approve;
                !moves
                    || g.scope_path
                        .as_ref()
                        .is_none_or(|p| p.contains(&r.scope_path))
            })
            .map(|g| g.role())
            .collect();
        let decider = admin.decider_of(id, &r.scope_path, r.account_id, &keeps)?;
        // A decision never grants what the decider could not grant directly.
        let grant = match (r.kind, decision, r.scope_path.ids().last()) {
            (RequestKind::AdminRights, Decision::Approve, Some(&agency)) => Some(
                decider
                    .grant(RoleKind::AgencyAdmin, (agency, &r.scope_path))
                    .map_err(|_| {
                        Error::Refused(Msg::new(
                            "您不能核准此申請：核准後授予的機關管理者角色超出您可以直接指派的範圍",
                            "You cannot approve this request: it grants an agency administrator role you could not grant directly",
                        ))
                    })?,
            ),
            _ => None,
        };
        let already = || Error::Conflict {
            field: "state",
            message: portico_core::request::already_decided(),
        };
        let (to, account_to) =
            decide(r.kind, r.state, decision, r.from_state).map_err(|_| already())?;
        if !requests::decide(
            &mut tx,
            decider.request(),
            &r.scope_path,
            to,
            actor.account_id(),
            actor.login(),
            note,
            now,
        )
        .await?
        {
            return Err(already());
        }
        accounts::lock(&mut tx, r.account_id).await?;
        let a = accounts::get(&mut tx, r.account_id)
            .await?
            .ok_or(Error::NotFound)?;
        let revoked = self
            .apply_decision(
                &mut tx,
                &decider,
                grant.as_ref(),
                &r,
                &a,
                decision,
                account_to,
                now,
            )
            .await?;
        // 004 §參: the applicant asks for an official mailbox; the reviewer
        // decides (a batch grants what was asked).
        let mailbox = if r.kind == RequestKind::Mailbox {
            portico_store::mailboxes::of_request(&mut tx, id)
                .await?
                .map(|m| (decision == Decision::Approve, m.address))
        } else if r.kind == RequestKind::NewAccount
            && decision == Decision::Approve
            && r.needs_official_mail
        {
            let granted = v.official_mail.unwrap_or(true);
            let domain = self.settings().await?.official_mail_domain.clone();
            let address = format!("{}@{domain}", a.login);
            if granted {
                accounts::set_official_email(&mut tx, decider.write(), &address).await?;
            }
            Some((granted, address))
        } else {
            None
        };
        self.account_changed(
            &mut tx,
            decider.write(),
            &Change {
                at: now,
                by: actor.login(),
                note: match decision {
                    Decision::Approve => "申請審核通過",
                    Decision::Reject => "申請退回",
                },
            },
        )
        .await?;
        let mut e =
            crate::auth::admin_event(ctx, &format!("request.{}", decision.as_str()), actor, &a);
        e.reason = note.to_owned();
        e.detail = serde_json::json!({"request": id, "kind": r.kind.as_str(), "official_mail": mailbox.as_ref().map(|m| m.0), "roles_revoked": revoked}).to_string();
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::decision(r.kind, decision, &a.login, note, mailbox.as_ref()),
                Some(a.id),
                r.scope_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// What a decision does to the account. An approval applies only to an
    /// account still in the state its request left it; a rejection of a
    /// request whose account changed meanwhile leaves the account alone.
    /// Returns the roles a move took away.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_decision(
        &self,
        tx: &mut Tx,
        decider: &DeciderOf<'_>,
        grant: Option<&RoleGrant>,
        r: &Request,
        a: &Account,
        decision: Decision,
        account_to: Option<AccountState>,
        now: time::OffsetDateTime,
    ) -> Result<Vec<String>> {
        let unchanged = a.state == waiting_state(r.kind);
        if decision == Decision::Approve && !unchanged {
            return Err(Error::Refused(account_changed()));
        }
        // A cancellation hands over what a disable would (004 (三) 1 (2)).
        if r.kind == RequestKind::Cancel && decision == Decision::Approve {
            self.guard_before_disable(tx, a).await?;
        }
        if let Some(to) = account_to
            && unchanged
            && to != a.state
            && !accounts::transition(tx, decider.write(), a.state, to, now).await?
        {
            return Err(Error::Refused(account_changed()));
        }
        let mut revoked = Vec::new();
        match (r.kind, decision) {
            // The unit changes only on approval: a rejection leaves the
            // account where it was. Admin roles of the old place go.
            (RequestKind::AgencyChange | RequestKind::Reinstate, Decision::Approve) => {
                // The title asked for comes with the move (004 L2259); an
                // agency change that asked none keeps the old one.
                let title = Some(r.title.as_str()).filter(|t| !t.trim().is_empty());
                accounts::move_to_unit(tx, decider.write(), r.unit_id, title, now).await?;
                let unit = portico_store::orgs::get(tx, r.unit_id)
                    .await?
                    .ok_or(Error::NotFound)?;
                for g in roles::revoke_outside(tx, decider.write(), &unit.path).await? {
                    revoked.push(format!("{}:{}", g.kind.as_str(), g.scope_name));
                }
            }
            (RequestKind::Mailbox, _) => {
                self.decide_mailbox(tx, decider, r, decision, now).await?;
            }
            (RequestKind::AdminRights, Decision::Approve) => {
                // The agency whose admins decided: the account must still be
                // in it.
                let agency = r.scope_path.ids().last().copied();
                if agency.is_none() || a.agency_id != agency {
                    return Err(Error::Refused(account_changed()));
                }
                let held = roles::of_account(tx, a.id)
                    .await?
                    .iter()
                    .any(|g| g.kind == RoleKind::AgencyAdmin && g.scope_unit_id == agency);
                if !held && let Some(g) = grant {
                    roles::grant(tx, g, now).await?;
                }
            }
            _ => {}
        }
        if r.kind == RequestKind::AgencyChange
            || matches!(
                account_to,
                Some(AccountState::Disabled | AccountState::Cancelled)
            )
        {
            sessions::delete_all_of(tx, a.id, now).await?;
        }
        Ok(revoked)
    }
}
