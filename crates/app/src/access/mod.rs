//! Access requests (issue 14; seed 000, 002 §五): 個人會員類別維護, 個人組織
//! 維護 and 應用系統角色維護. A person asks, in order, for a member
//! category, a membership of an organisation and roles in an application;
//! prints the form (列印申請書), has it signed, uploads the scan and sends
//! it; the right approver signs it off in 待簽核表單 (`decide.rs`). The
//! definitions are `defs.rs`; the printed forms `print.rs`.
mod decide;
mod defs;
pub mod print;
pub(crate) mod printing;

pub use decide::{Approval, BatchOutcome};
pub use defs::{AppRoles, OrgDraft, RoleDraft};

use crate::files::FileBytes;
use crate::{App, Ctx, Result, event};
use portico_core::access::{
    Approver, Holdings, Line, Op, Step, check_attrs, check_purpose, form_missing, op_of,
    role_prerequisites, step_open, undertaking_missing,
};
use portico_core::account::AccountState;
use portico_core::files::{MAX_SCAN, check_upload};
use portico_core::ids::{FileId, FormId};
use portico_core::org::TreePath;
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::access::defs::{self as store_defs, AccessOrg, AppRole, Category, RoleApp};
use portico_store::access::{self as store, Form, HeldCategory, HeldOrg, HeldRole, NewForm};
use portico_store::accounts::{self, Account};
use portico_store::{Conn, audit, db_err, files};
use std::collections::BTreeMap;

/// What a person asks for on one form.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub step: Option<Step>,
    /// The category, organisation or application.
    pub item: i64,
    /// The 職稱/身分 asked for (a membership).
    pub title: Option<i64>,
    /// 類型 刪除: leave the category or organisation.
    pub remove: bool,
    /// For roles: every role of the application the person wants to hold
    /// once the form is approved (what they hold now and do not list here
    /// is removed).
    pub roles: Vec<i64>,
    pub purpose: String,
    pub note: String,
    /// The fields the roles' holders fill in.
    pub attrs: BTreeMap<String, String>,
}

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An ask, checked against the definitions and what the person holds:
/// what the form will say and who will sign it off.
#[derive(Debug, Clone)]
pub struct Checked {
    pub step: Step,
    pub op: Op,
    pub lines: Vec<Line>,
    pub category: Option<Category>,
    pub org: Option<AccessOrg>,
    pub title_before: Option<i64>,
    pub title: Option<i64>,
    pub app: Option<RoleApp>,
    /// The roles the lines name.
    pub roles: Vec<AppRole>,
    pub approver: Approver,
    pub scope_path: Option<TreePath>,
    pub needs_form: bool,
    pub needs_undertaking: bool,
    pub purpose: String,
    pub note: String,
    pub attrs: BTreeMap<String, String>,
}

/// One choice on a request page and where the person stands with it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Standing {
    /// 已申請 / 已加入: held since then.
    Held {
        #[serde(with = "time::serde::rfc3339")]
        since: time::OffsetDateTime,
    },
    /// 簽核中: a form waits.
    Pending { form: FormId, number: String },
    /// 未申請.
    Open,
}

impl Standing {
    pub fn since(&self) -> Option<time::OffsetDateTime> {
        match self {
            Standing::Held { since } => Some(*since),
            _ => None,
        }
    }
    pub fn form(&self) -> Option<FormId> {
        match self {
            Standing::Pending { form, .. } => Some(*form),
            _ => None,
        }
    }
    pub fn number(&self) -> &str {
        match self {
            Standing::Pending { number, .. } => number,
            _ => "",
        }
    }
    pub fn is_open(&self) -> bool {
        matches!(self, Standing::Open)
    }
}

/// 個人會員類別維護, 個人組織維護, 應用系統角色維護: what a person holds,
/// what waits, and whether the step is open to them yet.
#[derive(Debug, Clone)]
pub struct MyAccess {
    pub categories: Vec<HeldCategory>,
    pub orgs: Vec<HeldOrg>,
    /// Organisations they belong to by their agency (roles-only).
    pub implicit_orgs: Vec<AccessOrg>,
    pub roles: Vec<HeldRole>,
    pub forms: Vec<Form>,
    /// For each step, why it is not open yet.
    pub closed: BTreeMap<Step, Msg>,
}

impl MyAccess {
    pub fn pending_for(&self, step: Step, item: i64) -> Option<&Form> {
        self.forms.iter().find(|f| {
            f.step == step
                && f.state == portico_core::access::FormState::Pending
                && match step {
                    Step::Category => f.category_id == Some(item),
                    Step::Org => f.org_id == Some(item),
                    Step::Role => f.app_id == Some(item),
                }
        })
    }

    pub fn standing(&self, step: Step, item: i64) -> Standing {
        if let Some(f) = self.pending_for(step, item) {
            return Standing::Pending {
                form: f.id,
                number: f.number.clone(),
            };
        }
        let since = match step {
            Step::Category => self
                .categories
                .iter()
                .find(|c| c.category_id == item)
                .map(|c| c.granted_at),
            Step::Org => self
                .orgs
                .iter()
                .find(|o| o.org_id == item)
                .map(|o| o.granted_at),
            Step::Role => self
                .roles
                .iter()
                .filter(|r| r.app_id == item)
                .map(|r| r.granted_at)
                .max(),
        };
        match since {
            Some(since) => Standing::Held { since },
            None => Standing::Open,
        }
    }
}

/// A form as its applicant or an approver opens it.
#[derive(Debug, Clone)]
pub struct FormView {
    pub form: Form,
    /// The attachments' rows (a purged file says so).
    pub form_file: Option<files::StoredFile>,
    pub undertaking_file: Option<files::StoredFile>,
    pub may_decide: bool,
    pub may_withdraw: bool,
    /// Why it cannot be signed off as it stands (the applicant was
    /// disabled, a prerequisite lapsed), for the approver.
    pub blocked: Option<Msg>,
    /// The fields the holder filled in, by their labels.
    pub attr_labels: Vec<(String, String)>,
}

fn upload_error(field: &'static str, m: Msg) -> Error {
    Error::invalid(field, m)
}

impl App {
    async fn account_of(&self, c: &mut Conn, p: &Principal) -> Result<Account> {
        accounts::get(c, p.account_id())
            .await?
            .ok_or(Error::NotFound)
    }

    /// What the person holds and asked for: every request page starts here.
    pub async fn my_access(&self, p: &Principal) -> Result<MyAccess> {
        let mut c = self.db.read().await?;
        let a = self.account_of(&mut c, p).await?;
        let h = store::holdings(&mut c, a.id, &a.unit_path).await?;
        let mut implicit_orgs = Vec::new();
        for id in &h.roles_only_orgs {
            if let Some(o) = store_defs::org(&mut c, *id).await? {
                implicit_orgs.push(o);
            }
        }
        let closed = Step::ALL
            .into_iter()
            .filter_map(|s| step_open(s, &h).err().map(|m| (s, m)))
            .collect();
        Ok(MyAccess {
            categories: store::held_categories(&mut c, a.id).await?,
            orgs: store::held_orgs(&mut c, a.id).await?,
            implicit_orgs,
            roles: store::held_roles(&mut c, a.id, None).await?,
            forms: store::of_account(&mut c, a.id, None).await?,
            closed,
        })
    }

    /// Checks an ask against the definitions and what the person holds
    /// now: the order, the prerequisites, that something changes.
    async fn check_ask(&self, c: &mut Conn, a: &Account, ask: &Ask) -> Result<Checked> {
        let step = ask.step.ok_or_else(|| {
            Error::invalid("step", Msg::new("請選擇申請項目", "Choose what to ask for"))
        })?;
        let (purpose, note) = check_purpose(&ask.purpose, &ask.note)?;
        // One form waits per item: said before anything is printed or
        // uploaded (the unique index holds it against a race).
        if store::pending_for(c, a.id, step, ask.item).await? {
            return Err(Error::Refused(portico_core::access::already_pending()));
        }
        let h = store::holdings(c, a.id, &a.unit_path).await?;
        let mut k = Checked {
            step,
            op: Op::Add,
            lines: Vec::new(),
            category: None,
            org: None,
            title_before: None,
            title: None,
            app: None,
            roles: Vec::new(),
            approver: Approver::SystemAdmins,
            scope_path: None,
            needs_form: false,
            needs_undertaking: false,
            purpose,
            note,
            attrs: BTreeMap::new(),
        };
        let unchanged = |zh: &'static str, en: &'static str| Error::Refused(Msg::new(zh, en));
        match step {
            Step::Category => {
                let cat = store_defs::category(c, ask.item)
                    .await?
                    .filter(|x| x.active)
                    .ok_or(Error::NotFound)?;
                let before = h.categories.contains(&cat.id);
                if before != ask.remove {
                    return Err(if before {
                        unchanged(
                            "您已具有此會員類別",
                            "You already hold this member category",
                        )
                    } else {
                        unchanged(
                            "您沒有此會員類別，無需申請刪除",
                            "You do not hold this member category",
                        )
                    });
                }
                k.lines.push(Line {
                    item: cat.id,
                    before,
                    after: !ask.remove,
                });
                k.op = if ask.remove { Op::Remove } else { Op::Add };
                k.needs_form = cat.needs_form;
                k.category = Some(cat);
            }
            Step::Org => self.check_org_ask(c, a, ask, &h, &mut k).await?,
            Step::Role => self.check_role_ask(c, a, ask, &h, &mut k).await?,
        }
        Ok(k)
    }

    async fn check_org_ask(
        &self,
        c: &mut Conn,
        a: &Account,
        ask: &Ask,
        h: &Holdings,
        k: &mut Checked,
    ) -> Result<()> {
        let org = store_defs::org(c, ask.item)
            .await?
            .filter(|o| o.active)
            .ok_or(Error::NotFound)?;
        if h.roles_only_orgs.contains(&org.id) {
            return Err(Error::Refused(Msg::new(
                "您所屬機關已是此組織的成員，無需申請加入，可直接申請應用系統角色",
                "Your agency already makes you a member; ask for application roles directly",
            )));
        }
        let held = store::held_orgs(c, a.id)
            .await?
            .into_iter()
            .find(|x| x.org_id == org.id);
        k.title_before = held.as_ref().and_then(|x| x.title_id);
        if ask.remove {
            if held.is_none() {
                return Err(Error::Refused(Msg::new(
                    "您不是此組織的成員，無需申請退出",
                    "You are not a member of this organisation",
                )));
            }
            k.op = Op::Remove;
            k.title = k.title_before;
        } else {
            step_open(Step::Org, h).map_err(Error::Refused)?;
            let titles: Vec<_> = org.titles.iter().filter(|t| t.active).collect();
            k.title = match ask.title {
                Some(t) if titles.iter().any(|x| x.id == t) => Some(t),
                Some(_) | None if !titles.is_empty() => {
                    return Err(Error::invalid(
                        "title",
                        Msg::new("請勾選職稱/身分", "Choose a title"),
                    ));
                }
                _ => None,
            };
            k.op = match &held {
                None => Op::Add,
                Some(_) if k.title != k.title_before => Op::Change,
                Some(_) => {
                    return Err(Error::Refused(Msg::new(
                        "您已是此組織的成員，且職稱/身分相同",
                        "You are already a member with this title",
                    )));
                }
            };
        }
        k.lines.push(Line {
            item: org.id,
            before: held.is_some(),
            after: !ask.remove,
        });
        k.needs_form = org.needs_form;
        // The organisation's admins; an outside one's, the system admins.
        match &org.unit_path {
            Some(p) => {
                k.approver = Approver::OrgAdmins;
                k.scope_path = Some(p.clone());
            }
            None => k.approver = Approver::SystemAdmins,
        }
        k.org = Some(org);
        Ok(())
    }

    async fn check_role_ask(
        &self,
        c: &mut Conn,
        a: &Account,
        ask: &Ask,
        h: &Holdings,
        k: &mut Checked,
    ) -> Result<()> {
        let app = store_defs::apps_with_roles(c)
            .await?
            .into_iter()
            .find(|x| x.id == ask.item)
            .ok_or(Error::NotFound)?;
        let roles = store_defs::roles_of(c, app.id, false).await?;
        if ask.roles.iter().any(|r| !roles.iter().any(|x| x.id == *r)) {
            return Err(Error::invalid(
                "roles",
                Msg::new(
                    "所選角色不屬於此應用系統",
                    "A chosen role is not this application's",
                ),
            ));
        }
        let held: Vec<i64> = store::held_roles(c, a.id, Some(app.id))
            .await?
            .iter()
            .map(|r| r.role_id)
            .collect();
        for r in &roles {
            let (before, after) = (held.contains(&r.id), ask.roles.contains(&r.id));
            if before != after {
                k.lines.push(Line {
                    item: r.id,
                    before,
                    after,
                });
                k.roles.push(r.clone());
            }
        }
        k.op = op_of(&k.lines, false).ok_or_else(|| {
            if held.is_empty() {
                Error::invalid(
                    "roles",
                    Msg::new("請勾選要申請的角色", "Tick the roles you ask for"),
                )
            } else {
                Error::Refused(Msg::new(
                    "勾選的角色與您目前持有的相同，沒有需要申請的異動",
                    "The roles chosen are the ones you hold; there is nothing to ask for",
                ))
            }
        })?;
        let added: Vec<&AppRole> = k
            .roles
            .iter()
            .filter(|r| k.lines.iter().any(|l| l.item == r.id && l.after))
            .collect();
        if !added.is_empty() {
            step_open(Step::Role, h).map_err(Error::Refused)?;
            for r in &added {
                role_prerequisites(
                    r.needs_category.as_ref().map(|(i, n)| (*i, n.as_str())),
                    r.needs_org.as_ref().map(|(i, n)| (*i, n.as_str())),
                    h,
                )
                .map_err(Error::Refused)?;
            }
            // The fields of every role held afterwards: those of a role
            // kept come back filled from its holding.
            let schema: Vec<_> = roles
                .iter()
                .filter(|r| ask.roles.contains(&r.id))
                .flat_map(|r| r.schema.clone())
                .collect();
            k.attrs = check_attrs(&schema, &ask.attrs)?;
        }
        k.needs_form = k.roles.iter().any(|r| r.needs_form);
        k.needs_undertaking = added.iter().any(|r| r.needs_undertaking);
        // The strictest approver of the roles the form changes.
        k.approver = if k.roles.iter().any(|r| r.approver == Approver::SystemAdmins) {
            Approver::SystemAdmins
        } else if k.roles.iter().any(|r| r.approver == Approver::AppManagers) {
            Approver::AppManagers
        } else {
            Approver::OrgAdmins
        };
        if k.approver == Approver::OrgAdmins {
            k.scope_path = Some(a.unit_path.clone());
        }
        k.app = Some(app);
        Ok(())
    }

    /// 送出: files the form with its signed scan (and undertaking). Checks
    /// the uploads by their content, the order and prerequisites again
    /// under the account's lock, then writes the form; nothing is half
    /// written when anything fails.
    pub async fn submit_ask(
        &self,
        p: &Principal,
        ctx: &Ctx,
        ask: &Ask,
        form_file: Option<Upload>,
        undertaking: Option<Upload>,
    ) -> Result<(FormId, String)> {
        let me = p.account_id();
        let checked = {
            let mut c = self.db.read().await?;
            let a = self.account_of(&mut c, p).await?;
            self.check_ask(&mut c, &a, ask).await?
        };
        let form_file = form_file.filter(|u| !(u.bytes.is_empty() && u.name.is_empty()));
        let undertaking = undertaking.filter(|u| !(u.bytes.is_empty() && u.name.is_empty()));
        if checked.needs_form && form_file.is_none() {
            return Err(upload_error("form_file", form_missing()));
        }
        if checked.needs_undertaking && undertaking.is_none() {
            return Err(upload_error("undertaking_file", undertaking_missing()));
        }
        // Sending again and again to fill the file store is refused; so is
        // an undertaking no role asked for (it is not kept).
        if !self
            .rate_allow(&format!("access-submit:{}", me.0), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "送出次數過多，請稍候一分鐘再試",
                "Too many forms sent; wait a minute and try again",
            )));
        }
        let undertaking = undertaking.filter(|_| checked.needs_undertaking);
        let mut stashed = [None, None];
        for (slot, (field, u)) in stashed
            .iter_mut()
            .zip([("form_file", form_file), ("undertaking_file", undertaking)])
        {
            if let Some(u) = u {
                let kind = check_upload(&u.name, &u.bytes, MAX_SCAN)
                    .map_err(|m| upload_error(field, m))?;
                // The bytes first: a row never names bytes not kept.
                *slot = Some(self.stash_upload("forms", &u.name, kind, u.bytes).await?);
            }
        }
        let filed = self.file_ask(p, ctx, ask, &stashed).await;
        if filed.is_err() {
            // Refused after all (a race, a change meanwhile): the bytes go.
            for s in stashed.iter().flatten() {
                self.drop_stashed(s).await;
            }
        }
        filed
    }

    /// The form's rows, in one transaction under the applicant's lock, the
    /// ask checked again there.
    async fn file_ask(
        &self,
        p: &Principal,
        ctx: &Ctx,
        ask: &Ask,
        stashed: &[Option<crate::files::Stashed>; 2],
    ) -> Result<(FormId, String)> {
        let me = p.account_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, me).await?;
        let a = accounts::get(&mut tx, me).await?.ok_or(Error::NotFound)?;
        if a.state != AccountState::Active {
            return Err(Error::Refused(portico_core::request::account_changed()));
        }
        let k = self.check_ask(&mut tx, &a, ask).await?;
        let mut ids: [Option<FileId>; 2] = [None, None];
        for (id, s) in ids.iter_mut().zip(stashed) {
            if let Some(s) = s {
                *id = Some(self.keep_stashed(&mut tx, me, s).await?);
            }
        }
        let [form_id, undertaking_id] = ids;
        let (id, number) = store::insert(
            &mut tx,
            &NewForm {
                step: k.step,
                op: k.op,
                account: me,
                category: k.category.as_ref().map(|x| x.id),
                org: k.org.as_ref().map(|x| x.id),
                title_before: k.title_before,
                title: k.title,
                app: k.app.as_ref().map(|x| x.id),
                purpose: &k.purpose,
                note: &k.note,
                attrs: &k.attrs,
                approver: k.approver,
                scope_path: k.scope_path.as_ref(),
                form_file: form_id,
                undertaking_file: undertaking_id,
                lines: &k.lines,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            Error::Conflict { message, .. } => Error::Refused(message),
            e => e,
        })?;
        let mut e = form_event(ctx, "access.submit", p, id, &number, &a.unit_path);
        e.reason = k.purpose.clone();
        e.detail = serde_json::json!({
            "step": k.step.as_str(),
            "op": k.op.as_str(),
            "name": subject_name(&k),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((id, number))
    }

    /// 撤回: the applicant takes back a form nobody has decided.
    pub async fn withdraw_form(&self, p: &Principal, ctx: &Ctx, id: FormId) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let f = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if f.applicant.id != p.account_id() {
            return Err(Error::NotFound);
        }
        store::withdraw(&mut tx, id, p.account_id(), now).await?;
        let e = form_event(
            ctx,
            "access.withdraw",
            p,
            id,
            &f.number,
            &f.applicant.unit_path,
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// One form, for its applicant or anyone who may sign it off.
    pub async fn form_view(&self, p: &Principal, id: FormId) -> Result<FormView> {
        let mut c = self.db.read().await?;
        let form = store::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let mine = form.applicant.id == p.account_id();
        let decider = self.may_decide(&mut c, p, &form).await?;
        // Who decided it once but signs these off no longer (a manager
        // removed, an admin moved) does not see it, nor its scans.
        if !mine && !decider {
            return Err(Error::NotFound);
        }
        let pending = form.state == portico_core::access::FormState::Pending;
        let blocked = if decider && pending {
            self.why_blocked(&mut c, &form).await?
        } else {
            None
        };
        let form_file = match form.form_file {
            Some(f) => files::get(&mut c, f).await?,
            None => None,
        };
        let undertaking_file = match form.undertaking_file {
            Some(f) => files::get(&mut c, f).await?,
            None => None,
        };
        let mut attr_labels = Vec::new();
        if let Some(app) = form.app_id
            && !form.attrs.is_empty()
        {
            let roles = store_defs::roles_of(&mut c, app, true).await?;
            for (k, v) in &form.attrs {
                let label = roles
                    .iter()
                    .flat_map(|r| r.schema.iter())
                    .find(|f| &f.key == k)
                    .map(|f| f.label.clone())
                    .unwrap_or_else(|| k.clone());
                attr_labels.push((label, v.clone()));
            }
        }
        Ok(FormView {
            attr_labels,
            may_decide: decider && pending,
            may_withdraw: mine && pending,
            blocked,
            form_file,
            undertaking_file,
            form,
        })
    }

    /// A form's attachment (`form` or `undertaking`), opened inline by the
    /// applicant or an approver.
    pub async fn form_attachment(
        &self,
        p: &Principal,
        id: FormId,
        undertaking: bool,
    ) -> Result<FileBytes> {
        let v = self.form_view(p, id).await?;
        let file = if undertaking {
            v.form.undertaking_file
        } else {
            v.form.form_file
        };
        self.read_kept(file.ok_or(Error::NotFound)?).await
    }
}

/// What the form's subject is, in words (the audit's name).
fn subject_name(k: &Checked) -> String {
    match k.step {
        Step::Category => k
            .category
            .as_ref()
            .map(|x| format!("{} {}", x.code, x.name))
            .unwrap_or_default(),
        Step::Org => k.org.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
        Step::Role => k.app.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
    }
}

/// An event about a form.
pub(crate) fn form_event(
    ctx: &Ctx,
    action: &str,
    actor: &Principal,
    id: FormId,
    number: &str,
    scope: &TreePath,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "access_form".into();
    e.target_id = Some(id.0);
    e.target_label = number.to_owned();
    e.scope_path = scope.as_str().to_owned();
    e
}
