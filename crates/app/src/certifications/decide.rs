//! A reviewer's decisions — keep, revoke, hand on; one or a batch, each
//! item on its own — and the schedule: campaigns opened every few months,
//! reminders before the deadline, and the deadline revoking or flagging
//! what is left.
use super::{Opening, Scope, target, what};
use crate::{App, Ctx, Result, event, mail};
use portico_core::access::Step;
use portico_core::account::AccountState;
use portico_core::audit::Outcome;
use portico_core::certification::{
    self as rules, Decision, ItemKind, NewCampaign, OnExpiry, Reviewer, State,
};
use portico_core::ids::{AccountId, RoleId};
use portico_core::org::OrgKind;
use portico_core::permission::{Certifier, Principal, Unattended};
use portico_core::{Error, Msg};
use portico_store::certifications::{self as store, Campaign, Item, ItemFilter};
use portico_store::{Conn, accounts, audit, db_err, orgs, roles};
use serde_json::json;
use time::Duration;

/// What a reviewer does with the items ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Keep,
    Revoke,
    /// To the account with this login.
    HandOn(String),
}

/// How one item of a batch went.
#[derive(Debug, Clone)]
pub struct DecideOutcome {
    pub id: i64,
    /// The person and the right, in words.
    pub label: String,
    pub refused: Option<Msg>,
}

fn closed() -> Error {
    Error::Conflict {
        field: "state",
        message: Msg::new(
            "這次權限清查已結束，不能再修改",
            "This access review has ended and can no longer change",
        ),
    }
}

fn taken() -> Error {
    Error::Conflict {
        field: "item",
        message: Msg::new(
            "此項目已由其他清查人處理，請重新整理頁面",
            "Another reviewer has already handled this item; reload the page",
        ),
    }
}

fn custody() -> Error {
    Error::Refused(Msg::new(
        "郵件帳號必須有保管人，不能直接撤銷；請於「郵件帳號管理」移交保管人後，再選擇保留",
        "A mail account always has a custodian; hand it over in Mail accounts, then keep this item",
    ))
}

impl App {
    /// Decides the ticked items (1–500), each on its own: one another
    /// reviewer took, or a guard refuses, is reported and the rest go on.
    pub async fn decide_items(
        &self,
        actor: &Principal,
        campaign: i64,
        ids: &[i64],
        action: &Action,
        note: &str,
        ctx: &Ctx,
    ) -> Result<Vec<DecideOutcome>> {
        let note = rules::check_note(note)?;
        if ids.is_empty() || ids.len() > rules::MAX_BATCH {
            return Err(Error::invalid(
                "items",
                Msg::owned(
                    format!("請勾選 1–{} 個項目", rules::MAX_BATCH),
                    format!("Tick 1–{} items", rules::MAX_BATCH),
                ),
            ));
        }
        let to = match action {
            Action::HandOn(login) => Some(self.hand_target(login).await?),
            _ => None,
        };
        let mut out = Vec::with_capacity(ids.len());
        let mut handed = Vec::new();
        for id in ids {
            // Named only to someone who may decide it: a guessed id tells
            // nobody whose right it is.
            let label = {
                let mut c = self.db.read().await?;
                match store::item(&mut c, campaign, *id).await? {
                    Some(i) if self.certifier_of(&mut c, actor, &i).await.is_ok() => {
                        format!("{}（{}）{}", i.account_name, i.login, what(&i))
                    }
                    _ => format!("#{id}"),
                }
            };
            let refused = match self
                .decide_item(actor, campaign, *id, action, &note, to.as_ref(), ctx)
                .await
            {
                Ok(()) => {
                    handed.push(label.clone());
                    None
                }
                Err(Error::Refused(m)) | Err(Error::Conflict { message: m, .. }) => Some(m),
                // Who it may go to depends on the item: one refused, the
                // rest go on.
                Err(Error::Invalid(errs)) if !errs.is_empty() => Some(errs[0].message.clone()),
                Err(Error::NotFound | Error::Forbidden) => Some(Msg::new(
                    "找不到此項目，或您不是它的清查人",
                    "No such item, or you do not review it",
                )),
                Err(e) => return Err(e),
            };
            out.push(DecideOutcome {
                id: *id,
                label,
                refused,
            });
        }
        // The person handed to hears once, of all of them.
        if let (Some(to), Some(first)) = (&to, handed.first())
            && !to.official_email.is_empty()
        {
            let mut tx = self.db.begin().await?;
            let c = store::get(&mut tx, campaign)
                .await?
                .ok_or(Error::NotFound)?;
            self.put_mail(
                &mut tx,
                &to.official_email,
                mail::review_handed(&c, actor.name(), first, handed.len(), &note),
                Some(to.id),
                to.unit_path.as_str(),
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
            self.wake_outbox();
        }
        Ok(out)
    }

    /// The person an item is handed to: an active account, named by login.
    async fn hand_target(&self, login: &str) -> Result<accounts::Account> {
        if login.trim().is_empty() {
            return Err(Error::invalid(
                "to",
                Msg::new(
                    "請輸入轉交對象的帳號",
                    "Enter the login of the person to hand it to",
                ),
            ));
        }
        let a = accounts::find_by_login(&mut *self.db.read().await?, login.trim()).await?;
        match a {
            Some(a) if a.state == AccountState::Active => Ok(a),
            _ => Err(Error::invalid(
                "to",
                Msg::new(
                    "找不到這個啟用中的帳號，請輸入轉交對象的帳號",
                    "No active account by that login; enter the login of the person to hand to",
                ),
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn decide_item(
        &self,
        actor: &Principal,
        campaign: i64,
        id: i64,
        action: &Action,
        note: &str,
        to: Option<&accounts::Account>,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let item = store::item(&mut tx, campaign, id)
            .await?
            .ok_or(Error::NotFound)?;
        let cert = self.certifier_of(&mut tx, actor, &item).await?;
        if let (Action::HandOn(_), Some(to)) = (action, to) {
            self.may_hand_to(&mut tx, &item, to, actor.account_id())
                .await?;
        }
        self.certify(&mut tx, &cert, actor.login(), &item, action, note, to, ctx)
            .await?;
        tx.commit().await.map_err(db_err)
    }

    /// Writes one decision `cert` allows, with its effect and its event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn certify(
        &self,
        tx: &mut portico_store::Tx,
        cert: &Certifier,
        by_login: &str,
        item: &Item,
        action: &Action,
        note: &str,
        to: Option<&accounts::Account>,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let id = item.id;
        let c = store::get(tx, item.campaign_id)
            .await?
            .ok_or(Error::NotFound)?;
        if c.state != State::Open {
            return Err(closed());
        }
        if item.decision.is_some() {
            return Err(taken());
        }
        let (action_name, detail) = match action {
            Action::Keep => {
                if !store::decide(tx, cert, id, Decision::Keep, note, now).await? {
                    return Err(taken());
                }
                ("certification.keep", json!({}))
            }
            Action::Revoke => {
                if !item.kind.revocable() {
                    return Err(custody());
                }
                if !store::decide(tx, cert, id, Decision::Revoke, note, now).await? {
                    return Err(taken());
                }
                let held = self.revoke_right(tx, cert, item, by_login).await?;
                ("certification.revoke", json!({ "held": held }))
            }
            Action::HandOn(_) => {
                let to = to.ok_or(Error::NotFound)?;
                if !store::hand_on(tx, cert, id, to.id.0, note, now).await? {
                    return Err(taken());
                }
                ("certification.hand", json!({ "to": to.login }))
            }
        };
        let mut e = event(ctx, action_name);
        self.as_actor(tx, &mut e, cert.by()).await?;
        self.item_event(tx, &mut e, &c, item, detail).await?;
        e.reason = note.to_owned();
        audit::append(tx, &e, now).await?;
        Ok(())
    }

    /// An item goes on to someone else who could judge it by their rank
    /// (an admin over the unit or the agency, one of the application's
    /// managers, a system admin) — never the holder, nor the one handing
    /// it, nor a colleague without the rank.
    async fn may_hand_to(
        &self,
        c: &mut Conn,
        item: &Item,
        to: &accounts::Account,
        by: AccountId,
    ) -> Result<()> {
        let refuse = |zh: &str, en: &str| {
            Err(Error::invalid(
                "to",
                Msg::owned(zh.to_owned(), en.to_owned()),
            ))
        };
        if to.id.0 == item.account_id {
            return refuse(
                "不能轉交給權限持有人本人清查",
                "The holder cannot review their own right",
            );
        }
        if to.id == by {
            return refuse("不能轉交給自己", "You cannot hand it to yourself");
        }
        let roles: Vec<_> = roles::of_account(c, to.id)
            .await?
            .iter()
            .map(|g| g.role())
            .collect();
        let managers = match item.reviewer {
            Reviewer::App(app) => portico_store::access::defs::manager_ids(c, app).await?,
            _ => Vec::new(),
        };
        let seen = portico_core::permission::ItemSeen {
            account: AccountId(item.account_id),
            reviewer: item.reviewer,
            place: item.reviewer_path.as_ref(),
            managers: &managers,
        };
        if portico_core::permission::could_review(to.id, &roles, &seen) {
            Ok(())
        } else {
            refuse(
                "只能轉交給也有權清查此項目的管理者：同單位或機關的管理者、該應用系統的管理者，或系統管理者",
                "Hand it only to someone else who may review it: an admin of the unit or agency, one of the application's managers, or a system admin",
            )
        }
    }

    /// Names the holder and the right on an event.
    async fn item_event(
        &self,
        c: &mut Conn,
        e: &mut audit::NewEvent,
        campaign: &Campaign,
        item: &Item,
        mut detail: serde_json::Value,
    ) -> Result<()> {
        let holder = accounts::get(c, AccountId(item.account_id)).await?;
        e.target_kind = "account".into();
        e.target_id = Some(item.account_id);
        e.target_label = format!("{}（{}）", item.account_name, item.login);
        e.scope_path = holder
            .map(|h| h.unit_path.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        e.outcome = Some(Outcome::Ok);
        detail["campaign"] = json!(campaign.name);
        detail["right"] = json!(what(item));
        detail["kind"] = json!(item.kind.as_str());
        e.detail = detail.to_string();
        Ok(())
    }

    /// Takes the right away. Returns whether it was still held (a role
    /// that needed a membership revoked before it is already gone).
    async fn revoke_right(
        &self,
        tx: &mut portico_store::Tx,
        cert: &Certifier,
        item: &Item,
        by: &str,
    ) -> Result<bool> {
        let step = match item.kind {
            ItemKind::AdminRole => {
                let a = accounts::get(tx, cert.account())
                    .await?
                    .ok_or(Error::NotFound)?;
                let grants = roles::of_account(tx, cert.account()).await?;
                let Some(g) = grants.iter().find(|g| g.id.0 == item.ref_id) else {
                    return Ok(false);
                };
                crate::accounts::guard_role_removal(tx, &a, g, cert.by().unwrap_or(AccountId(0)))
                    .await?;
                roles::revoke(tx, &cert.role(g.kind, g.scope_unit_id), RoleId(item.ref_id)).await?;
                self.account_changed(
                    tx,
                    cert.write(),
                    &accounts::Change {
                        at: self.now(),
                        by,
                        note: "權限清查撤銷角色",
                    },
                )
                .await?;
                return Ok(true);
            }
            ItemKind::AppRole => Step::Role,
            ItemKind::Membership => Step::Org,
            ItemKind::Category => Step::Category,
            ItemKind::Custodian => return Err(custody()),
        };
        portico_store::access::remove(tx, cert.access(), step, item.ref_id).await
    }

    /// Closes the campaigns whose deadline has passed: what nobody decided
    /// is revoked or flagged, as each campaign chose; a right a guard keeps
    /// (an agency's only admin, a mail account's custodian) is flagged
    /// with why. Returns how many closed.
    pub async fn close_due_campaigns(&self, u: &Unattended) -> Result<usize> {
        let today = self.today();
        let open = store::open(&mut *self.db.read().await?).await?;
        let mut n = 0;
        for c in open.into_iter().filter(|c| c.deadline < today) {
            self.close_campaign(u, &c).await?;
            n += 1;
        }
        Ok(n)
    }

    async fn close_campaign(&self, u: &Unattended, c: &Campaign) -> Result<()> {
        let ctx = Ctx::new("system", "portico access review deadline");
        let mut seen = std::collections::HashSet::new();
        loop {
            let now = self.now();
            let page = store::items(
                &mut *self.db.read().await?,
                c.id,
                &ItemFilter {
                    pending: Some(true),
                    ..Default::default()
                },
                now,
                1,
                500,
            )
            .await?;
            let fresh: Vec<Item> = page
                .items
                .into_iter()
                .filter(|i| seen.insert(i.id))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for item in fresh {
                self.expire_item(u, c, &item, &ctx).await?;
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::close(&mut tx, c.id, now).await? {
            return Ok(());
        }
        let closed = store::get(&mut tx, c.id).await?.ok_or(Error::NotFound)?;
        let mut e = event(&ctx, "certification.close");
        target(&mut e, &closed);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({
            "items": closed.total, "kept": closed.kept, "revoked": closed.revoked,
            "flagged": closed.flagged,
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        if let Some(by) = closed.opened_by
            && let Some(a) = accounts::get(&mut tx, AccountId(by)).await?
            && !a.official_email.is_empty()
        {
            self.put_mail(
                &mut tx,
                &a.official_email,
                mail::campaign_closed(&closed),
                Some(a.id),
                &e.scope_path,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// One undecided item at the deadline.
    async fn expire_item(
        &self,
        u: &Unattended,
        c: &Campaign,
        item: &Item,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let cert = u.certifier(AccountId(item.account_id));
        if c.on_expiry == OnExpiry::Revoke {
            let note = "逾期未清查，依設定撤銷";
            let mut tx = self.db.begin().await?;
            if !store::decide(&mut tx, &cert, item.id, Decision::Revoke, note, now).await? {
                return Ok(());
            }
            let kept = if item.kind.revocable() {
                match self.revoke_right(&mut tx, &cert, item, "system").await {
                    Ok(held) => {
                        let mut e = event(ctx, "certification.expire");
                        self.item_event(&mut tx, &mut e, c, item, json!({ "held": held }))
                            .await?;
                        e.reason = note.into();
                        audit::append(&mut tx, &e, now).await?;
                        tx.commit().await.map_err(db_err)?;
                        return Ok(());
                    }
                    Err(Error::Refused(m)) => m,
                    Err(e) => return Err(e),
                }
            } else {
                match custody() {
                    Error::Refused(m) => m,
                    _ => unreachable!("custody() is a refusal"),
                }
            };
            drop(tx);
            return self
                .flag(
                    &cert,
                    c,
                    item,
                    &format!("逾期未清查；未撤銷：{}", kept.zh),
                    ctx,
                )
                .await;
        }
        self.flag(&cert, c, item, "逾期未清查", ctx).await
    }

    async fn flag(
        &self,
        cert: &Certifier,
        c: &Campaign,
        item: &Item,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if store::decide(&mut tx, cert, item.id, Decision::Flag, note, now).await? {
            let mut e = event(ctx, "certification.flag");
            self.item_event(&mut tx, &mut e, c, item, json!({})).await?;
            e.reason = note.into();
            audit::append(&mut tx, &e, now).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    /// Reminds each reviewer still holding items, once, when the deadline
    /// is a week off. Returns how many campaigns reminded.
    pub async fn remind_campaigns(&self) -> Result<usize> {
        let today = self.today();
        let open = store::open(&mut *self.db.read().await?).await?;
        let mut n = 0;
        for c in open {
            if c.reminded_at.is_some()
                || c.pending == 0
                || c.deadline - today > Duration::days(rules::REMIND_DAYS)
            {
                continue;
            }
            let mut tx = self.db.begin().await?;
            if !store::set_reminded(&mut tx, c.id, self.now()).await? {
                continue;
            }
            self.mail_reviewers(&mut tx, &c, mail::campaign_reminder)
                .await?;
            tx.commit().await.map_err(db_err)?;
            n += 1;
        }
        if n > 0 {
            self.wake_outbox();
        }
        Ok(n)
    }

    /// 002 §六 (二), at least every six months: opens each agency's
    /// campaign when the last covering it (its own or the city's) opened
    /// `review_every_months` ago, for thirty days. Returns how many opened.
    pub async fn open_scheduled_campaigns(&self, u: &Unattended) -> Result<usize> {
        let s = self.settings().await?;
        let every = s.review_every_months.min(6) as u8;
        if every == 0 {
            return Ok(0);
        }
        let today = self.today();
        let agencies: Vec<_> = orgs::list_all(&mut *self.db.read().await?)
            .await?
            .into_iter()
            .filter(|u| u.kind == OrgKind::Agency && u.enabled)
            .collect();
        let ctx = Ctx::new("system", "portico access review schedule");
        let mut n = 0;
        for a in agencies {
            let last = store::last_covering(&mut *self.db.read().await?, a.id.0)
                .await?
                .map(|t| t.to_offset(portico_core::time::TAIPEI).date());
            if !rules::due(last, today, every) {
                continue;
            }
            let scope = Scope::agency(&a);
            let n_ = NewCampaign {
                name: format!(
                    "{} {} 年 {} 月定期權限清查",
                    a.name,
                    today.year() - 1911,
                    today.month() as u8
                ),
                deadline: today + Duration::days(rules::SCHEDULED_DAYS),
                on_expiry: if s.review_revokes {
                    OnExpiry::Revoke
                } else {
                    OnExpiry::Flag
                },
            };
            match self
                .open_as(u.campaign_owner(), &scope, &n_, Opening::Schedule, &ctx)
                .await
            {
                Ok(_) => n += 1,
                // An open campaign already covers it, or it holds nothing.
                Err(Error::Conflict { .. } | Error::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}
