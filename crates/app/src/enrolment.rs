//! The account lifecycle (004 §第二節 參–肆, §(三)): apply for an account
//! after verifying a backup e-mail, modify a pending or rejected
//! application, the agency admin's review queue (待簽核), and the two
//! "verify, then set a password" steps: activation (開通帳號) and forgotten
//! passwords.
use crate::orgs::Tree;
use crate::outbox::Outgoing;
use crate::verify::Destination;
use crate::{App, Ctx, Result, event, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::national_id::NationalId;
use portico_core::outbox::Channel;
use portico_core::permission::{DeciderOf, Principal, RoleGrant, RoleKind, Unattended};
use portico_core::request::{
    Decision, RequestKind, account_changed, check_note, decide, waiting_state,
};
use portico_core::text::{Email, LoginName, OfficePhone, PersonName, clean_text, parse_extension};
use portico_core::verify::{Method, Purpose, check_backup_email};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, Change, Enrolment, NewAccount};
use portico_store::orgs::OrgUnit;
use portico_store::requests::{self, Filter, NewRequest, Request};
use portico_store::{Page, Tx, audit, db_err, roles, sessions};

/// The account flows signed out (apply, modify, activate, forgotten
/// password) write accounts on the strength of a verified code or mobile
/// ID, which the flow checked before (`verify::Proof`), not a session.
const BY_PROOF: Unattended =
    Unattended::unattended("a verified code or mobile ID proves the person");

/// The application form of 004 §參, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EnrolmentForm {
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub login: String,
    /// `yes` or `no`: 是否需要公務郵件 (the admin decides whether to grant it).
    #[serde(default)]
    pub needs_official_mail: String,
    #[serde(default)]
    pub name: String,
    /// The chosen unit's id: the deepest level of the tree.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub office_phone: String,
    #[serde(default)]
    pub office_ext: String,
    #[serde(default)]
    pub note: String,
}

/// A checked application.
#[derive(Debug, Clone)]
pub struct CleanEnrolment {
    pub national_id: String,
    pub login: String,
    pub needs_official_mail: bool,
    pub name: String,
    pub unit: OrgUnit,
    pub title: String,
    pub office_phone: String,
    pub office_ext: String,
    pub note: String,
}

/// 004 §參: the unit is chosen down to the deepest level of the tree, and
/// must be in use.
pub fn check_unit(tree: &Tree, input: &str) -> std::result::Result<OrgUnit, Msg> {
    let u = input
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| tree.get(OrgUnitId(id)))
        .ok_or_else(|| Msg::new("請選擇隸屬單位", "Choose your unit"))?;
    if !tree.is_live(u) {
        return Err(Msg::new("所選的單位已停用", "The chosen unit is disabled"));
    }
    if u.kind == portico_core::org::OrgKind::Group || !tree.is_leaf(u) {
        return Err(Msg::new(
            "請選擇到最後一層的機關/單位",
            "Choose down to the deepest level of the org tree",
        ));
    }
    Ok(u.clone())
}

impl EnrolmentForm {
    /// Checks every field at once. When modifying, the national ID and the
    /// login name are those of the application (`fixed`), never the form's.
    pub fn validate(&self, tree: &Tree, fixed: Option<&Account>) -> Result<CleanEnrolment> {
        let mut c = Collector::new();
        let (national_id, login) = match fixed {
            Some(a) => (
                Some(a.national_id.clone().unwrap_or_default()),
                Some(a.login.clone()),
            ),
            None => {
                let id = c.take("national_id", NationalId::parse(&self.national_id));
                let login = c.take("login", LoginName::parse(&self.login));
                if let (Some(id), Some(l)) = (&id, &login) {
                    c.take("login", l.check_personal(Some(id.as_str()), None));
                }
                (
                    id.map(|i| i.as_str().to_owned()),
                    login.map(|l| l.as_str().to_owned()),
                )
            }
        };
        let needs_mail = match self.needs_official_mail.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                c.push(
                    "needs_official_mail",
                    Msg::new(
                        "請選擇是否需要公務郵件",
                        "Choose whether you need an official mailbox",
                    ),
                );
                None
            }
        };
        let name = c.take("name", PersonName::parse(&self.name));
        let unit = c.take("unit", check_unit(tree, &self.unit));
        let title = c.take("title", clean_text(&self.title, 1, 30));
        let phone = c.take("office_phone", OfficePhone::parse(&self.office_phone));
        let ext = c.take("office_ext", parse_extension(&self.office_ext));
        let note = c.take("note", clean_text(&self.note, 0, 200));
        c.finish()?;
        match (
            national_id,
            login,
            needs_mail,
            name,
            unit,
            title,
            phone,
            ext,
            note,
        ) {
            (
                Some(national_id),
                Some(login),
                Some(needs_official_mail),
                Some(name),
                Some(unit),
                Some(title),
                Some(phone),
                Some(office_ext),
                Some(note),
            ) => Ok(CleanEnrolment {
                national_id,
                login,
                needs_official_mail,
                name: name.as_str().to_owned(),
                unit,
                title,
                office_phone: phone.as_str().to_owned(),
                office_ext,
                note,
            }),
            _ => Err(Error::internal("validated application incomplete")),
        }
    }
}

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

/// The submitted application, for the confirmation page.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub login: String,
    pub name: String,
    pub unit_name: String,
}

pub(crate) fn applicant_event(ctx: &Ctx, action: &str, a: &Account) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(a.id.0);
    e.actor_login = a.login.clone();
    e.target_kind = "account".into();
    e.target_id = Some(a.id.0);
    e.target_label = a.login.clone();
    e.scope_path = a.unit_path.as_str().to_owned();
    e
}

fn parse_email(input: &str) -> Result<Email> {
    Email::parse(&input.trim().to_lowercase()).map_err(|m| Error::invalid("email", m))
}

/// The key codes of an account flow are kept under: the login, whether or
/// not it exists, so limits and answers are the same for both.
fn login_key(login: &LoginName) -> String {
    format!("login:{}", login.as_str())
}

impl App {
    pub(crate) async fn put_mail(
        &self,
        tx: &mut Tx,
        to: &str,
        t: mail::Text,
        account: Option<AccountId>,
        scope_path: &str,
    ) -> Result<()> {
        crate::outbox::put(
            tx,
            Outgoing {
                channel: Channel::Mail,
                to,
                subject: t.subject,
                body: t.body,
                account,
                scope_path,
                secret: false,
            },
            self.now(),
        )
        .await?;
        Ok(())
    }

    // ---- apply -----------------------------------------------------------

    /// Anyone: step 1 of applying, a code to the backup e-mail. 004 §參: the
    /// address must not be on the official domain and must never have been
    /// bound to an account; a bound address is told so by mail, so the page
    /// answers the same either way.
    pub async fn start_application(&self, email: &str, ctx: &Ctx) -> Result<()> {
        let email = parse_email(email)?;
        let settings = self.settings().await?;
        check_backup_email(&email, &settings.official_mail_domain)
            .map_err(|m| Error::invalid("email", m))?;
        let mut tx = self.db.begin().await?;
        let to = email.as_str();
        if accounts::email_ever_bound(&mut tx, to).await? {
            self.issue_code(&mut tx, Purpose::Apply, to, None, ctx)
                .await?;
            self.put_mail(&mut tx, to, mail::address_already_bound(), None, "")
                .await?;
        } else {
            let dest = Destination {
                channel: Channel::Mail,
                to,
                account: None,
                scope_path: "",
            };
            self.issue_code(&mut tx, Purpose::Apply, to, Some(dest), ctx)
                .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Anyone: step 2, the code from the mail. Returns the proof token.
    pub async fn confirm_application_email(&self, email: &str, code: &str) -> Result<String> {
        let email = parse_email(email)?;
        self.check_code(Purpose::Apply, email.as_str(), code, None)
            .await
    }

    /// Anyone: is this login name free? (the 檢查 button beside the field)
    pub async fn login_available(&self, login: &str) -> Result<()> {
        let l = LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        if accounts::login_exists(&mut *self.db.read().await?, l.as_str()).await? {
            return Err(Error::Conflict {
                field: "login",
                message: accounts::login_taken(),
            });
        }
        Ok(())
    }

    /// Anyone holding a verified backup e-mail: step 3, the application.
    /// The account exists from now on, pending review; the national ID is
    /// fixed from here on.
    pub async fn submit_application(
        &self,
        token: &str,
        form: &EnrolmentForm,
        ctx: &Ctx,
    ) -> Result<Submitted> {
        let proof = self.proof(token, Purpose::Apply).await?;
        let tree = self.org_tree().await?;
        let a = form.validate(&tree, None)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, token).await?;
        // An address bound meanwhile is refused by `bound_emails`' key.
        let id = accounts::insert(
            &mut tx,
            &NewAccount {
                login: &a.login,
                national_id: Some(&a.national_id),
                name: &a.name,
                unit_id: a.unit.id,
                title: &a.title,
                office_phone: &a.office_phone,
                office_ext: &a.office_ext,
                mobile: "",
                backup_email: &proof.address,
                official_email: "",
                state: AccountState::Pending,
                password_hash: None,
            },
            now,
        )
        .await?;
        self.write_application(&mut tx, id, &a, now).await?;
        let account = accounts::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        self.open_request(&mut tx, &account, &a, now).await?;
        let mut e = applicant_event(ctx, "application.submit", &account);
        e.detail =
            serde_json::json!({"unit": a.unit.name, "needs_official_mail": a.needs_official_mail})
                .to_string();
        audit::append(&mut tx, &e, now).await?;
        self.put_mail(
            &mut tx,
            &proof.address,
            mail::application_received(&a.name, &a.login, &a.unit.name),
            Some(id),
            a.unit.path.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(Submitted {
            login: a.login,
            name: a.name,
            unit_name: a.unit.name,
        })
    }

    async fn write_application(
        &self,
        tx: &mut Tx,
        id: AccountId,
        a: &CleanEnrolment,
        now: time::OffsetDateTime,
    ) -> Result<()> {
        accounts::set_application(
            tx,
            BY_PROOF.account(id),
            &Enrolment {
                name: &a.name,
                unit_id: a.unit.id,
                title: &a.title,
                office_phone: &a.office_phone,
                office_ext: &a.office_ext,
                needs_official_mail: a.needs_official_mail,
                note: &a.note,
            },
            now,
        )
        .await
    }

    async fn open_request(
        &self,
        tx: &mut Tx,
        account: &Account,
        a: &CleanEnrolment,
        now: time::OffsetDateTime,
    ) -> Result<i64> {
        requests::insert(
            tx,
            &NewRequest {
                kind: RequestKind::NewAccount,
                account_id: account.id,
                unit_id: a.unit.id,
                scope_path: &a.unit.path,
                from_unit_id: None,
                from_state: Some(account.state),
                title: &a.title,
                reason: &a.note,
                needs_official_mail: a.needs_official_mail,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await
    }

    // ---- modify a pending or rejected application -------------------------

    /// Anyone: a code to the backup e-mail of a pending or rejected
    /// application. An address without one is told so by mail.
    pub async fn start_modify(&self, email: &str, ctx: &Ctx) -> Result<()> {
        let email = parse_email(email)?;
        let to = email.as_str();
        let mut tx = self.db.begin().await?;
        let a = accounts::find_by_backup_email(&mut tx, to)
            .await?
            .filter(|a| matches!(a.state, AccountState::Pending | AccountState::Rejected));
        match &a {
            Some(a) => {
                let dest = Destination {
                    channel: Channel::Mail,
                    to,
                    account: Some(a.id),
                    scope_path: a.unit_path.as_str(),
                };
                self.issue_code(&mut tx, Purpose::ModifyApplication, to, Some(dest), ctx)
                    .await?;
            }
            None => {
                self.issue_code(&mut tx, Purpose::ModifyApplication, to, None, ctx)
                    .await?;
                self.put_mail(&mut tx, to, mail::no_application_found(), None, "")
                    .await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    pub async fn confirm_modify(&self, email: &str, code: &str) -> Result<String> {
        let email = parse_email(email)?;
        let a = accounts::find_by_backup_email(&mut *self.db.read().await?, email.as_str())
            .await?
            .filter(|a| matches!(a.state, AccountState::Pending | AccountState::Rejected));
        self.check_code(
            Purpose::ModifyApplication,
            email.as_str(),
            code,
            a.map(|a| a.id),
        )
        .await
    }

    /// The application behind a modify proof, and its latest request.
    pub async fn application_of(&self, token: &str) -> Result<(Account, Option<Request>)> {
        let proof = self.proof(token, Purpose::ModifyApplication).await?;
        let id = proof.account_id.ok_or_else(crate::verify::proof_expired)?;
        let mut c = self.db.read().await?;
        let a = accounts::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let r = requests::latest_of(&mut c, id, RequestKind::NewAccount).await?;
        Ok((a, r))
    }

    /// The applicant corrects the application (ID and backup e-mail stay
    /// fixed). A rejected application goes back to the queue.
    pub async fn modify_application(
        &self,
        token: &str,
        form: &EnrolmentForm,
        ctx: &Ctx,
    ) -> Result<Submitted> {
        let (account, _) = self.application_of(token).await?;
        let tree = self.org_tree().await?;
        let a = form.validate(&tree, Some(&account))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, token).await?;
        accounts::lock(&mut tx, account.id).await?;
        let current = accounts::get(&mut tx, account.id)
            .await?
            .ok_or(Error::NotFound)?;
        match current.state {
            AccountState::Pending => {
                let open = requests::open_of(&mut tx, account.id, RequestKind::NewAccount).await?;
                let updated = match open {
                    Some(r) => {
                        requests::update_details(
                            &mut tx,
                            r.id,
                            &requests::Details {
                                unit: a.unit.id,
                                scope_path: &a.unit.path,
                                title: &a.title,
                                needs_official_mail: a.needs_official_mail,
                                applicant_name: &a.name,
                            },
                            now,
                        )
                        .await?
                    }
                    None => false,
                };
                if !updated {
                    return Err(Error::Refused(Msg::new(
                        "申請已完成審核，無法再修改；請留意審核結果通知信",
                        "The application has been decided and can no longer change; see the result mail",
                    )));
                }
            }
            AccountState::Rejected => {
                if !accounts::transition(
                    &mut tx,
                    BY_PROOF.account(account.id),
                    AccountState::Rejected,
                    AccountState::Pending,
                    now,
                )
                .await?
                {
                    return Err(crate::verify::proof_expired());
                }
                let pending = Account {
                    state: AccountState::Pending,
                    ..current.clone()
                };
                self.open_request(&mut tx, &pending, &a, now).await?;
            }
            _ => {
                return Err(Error::Refused(Msg::new(
                    "申請已完成審核，無法再修改；請留意審核結果通知信",
                    "The application has been decided and can no longer change; see the result mail",
                )));
            }
        }
        self.write_application(&mut tx, account.id, &a, now).await?;
        let after = accounts::get(&mut tx, account.id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut e = applicant_event(ctx, "application.modify", &after);
        e.detail = serde_json::json!({"resubmitted": current.state == AccountState::Rejected, "unit": a.unit.name}).to_string();
        audit::append(&mut tx, &e, now).await?;
        self.put_mail(
            &mut tx,
            &after.backup_email,
            mail::application_received(&a.name, &after.login, &a.unit.name),
            Some(after.id),
            after.unit_path.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(Submitted {
            login: after.login,
            name: a.name,
            unit_name: a.unit.name,
        })
    }

    // ---- the review queue --------------------------------------------------

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
            admin.scope(),
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

    async fn decide_one(
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
        let mailbox = if r.kind == RequestKind::NewAccount
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
        accounts::note_change(
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
    async fn apply_decision(
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
                let title = (r.kind == RequestKind::Reinstate).then_some(r.title.as_str());
                accounts::move_to_unit(tx, decider.write(), r.unit_id, title, now).await?;
                let unit = portico_store::orgs::get(tx, r.unit_id)
                    .await?
                    .ok_or(Error::NotFound)?;
                for g in roles::revoke_outside(tx, decider.write(), &unit.path).await? {
                    revoked.push(format!("{}:{}", g.kind.as_str(), g.scope_name));
                }
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
        if r.kind == RequestKind::AgencyChange || account_to == Some(AccountState::Disabled) {
            sessions::delete_all_of(tx, a.id).await?;
        }
        Ok(revoked)
    }

    // ---- activation and forgotten passwords ---------------------------------

    /// Anyone: a code for an account flow (開通帳號 or 忘記密碼), sent to the
    /// account's backup e-mail or bound mobile. Only an account in the right
    /// state gets one, and the page answers the same whatever the case.
    pub async fn start_account_verification(
        &self,
        purpose: Purpose,
        login: &str,
        method: Method,
        ctx: &Ctx,
    ) -> Result<()> {
        let login = LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        let key = login_key(&login);
        let mut tx = self.db.begin().await?;
        let a = accounts::find_by_login(&mut tx, login.as_str())
            .await?
            .filter(|a| eligible(purpose, a.state));
        let dest = a.as_ref().and_then(|a| {
            let (channel, to) = match method {
                Method::EmailCode => (Channel::Mail, a.backup_email.as_str()),
                Method::SmsCode => (Channel::Sms, a.mobile.as_str()),
            };
            (!to.is_empty()).then_some(Destination {
                channel,
                to,
                account: Some(a.id),
                scope_path: a.unit_path.as_str(),
            })
        });
        self.issue_code(&mut tx, purpose, &key, dest, ctx).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    pub async fn confirm_account_verification(
        &self,
        purpose: Purpose,
        login: &str,
        code: &str,
    ) -> Result<String> {
        let login = LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        let a = accounts::find_by_login(&mut *self.db.read().await?, login.as_str())
            .await?
            .filter(|a| eligible(purpose, a.state));
        self.check_code(purpose, &login_key(&login), code, a.map(|a| a.id))
            .await
    }

    /// The login a proof is for, to show on the password form.
    pub async fn proof_login(&self, token: &str, purpose: Purpose) -> Result<String> {
        let p = self.proof(token, purpose).await?;
        let id = p.account_id.ok_or_else(crate::verify::proof_expired)?;
        let a = accounts::get(&mut *self.db.read().await?, id)
            .await?
            .ok_or_else(crate::verify::proof_expired)?;
        Ok(a.login)
    }

    /// Anyone holding a proof: sets the password under the policy. Activation
    /// makes the account active; a reset ends every session of the account.
    pub async fn set_password_with_proof(
        &self,
        purpose: Purpose,
        token: &str,
        new: &str,
        confirm: &str,
        ctx: &Ctx,
    ) -> Result<String> {
        let p = self.proof(token, purpose).await?;
        let id = p.account_id.ok_or_else(crate::verify::proof_expired)?;
        let a = accounts::get(&mut *self.db.read().await?, id)
            .await?
            .filter(|a| eligible(purpose, a.state))
            .ok_or_else(crate::verify::proof_expired)?;
        let settings = self.settings().await?;
        let mut c = Collector::new();
        for m in settings.password.check(new, &a.login) {
            c.push("new_password", m);
        }
        if new != confirm {
            c.push(
                "confirm_password",
                Msg::new("兩次輸入的新密碼不一致", "The two new passwords differ"),
            );
        }
        if c.is_empty() && purpose == Purpose::ResetPassword {
            self.check_history(a.id, new, settings.password.history, &mut c)
                .await?;
        }
        c.finish()?;
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, token).await?;
        accounts::set_password(&mut tx, BY_PROOF.account(a.id), &hash, false, now).await?;
        let activation = purpose == Purpose::Activate;
        if activation
            && !accounts::transition(
                &mut tx,
                BY_PROOF.account(a.id),
                AccountState::Approved,
                AccountState::Active,
                now,
            )
            .await?
        {
            return Err(crate::verify::proof_expired());
        }
        sessions::delete_all_of(&mut tx, a.id).await?;
        accounts::note_change(
            &mut tx,
            BY_PROOF.account(a.id),
            &Change {
                at: now,
                by: &a.login,
                note: if activation {
                    "開通帳號"
                } else {
                    "忘記密碼重設"
                },
            },
        )
        .await?;
        let action = if activation {
            "account.activate"
        } else {
            "account.password.reset"
        };
        let e = applicant_event(ctx, action, &a);
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::password_set(&a.login, activation),
                Some(a.id),
                a.unit_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(a.login)
    }
}

/// Which accounts an account flow serves.
pub(crate) fn eligible(purpose: Purpose, state: AccountState) -> bool {
    match purpose {
        Purpose::Activate => state == AccountState::Approved,
        Purpose::ResetPassword => state == AccountState::Active,
        // 004 §伍: reinstatement is for disabled accounts.
        Purpose::Reinstate => state == AccountState::Disabled,
        // 004: a pending or rejected application can be corrected.
        Purpose::ModifyApplication => {
            matches!(state, AccountState::Pending | AccountState::Rejected)
        }
        Purpose::FindAdmins => matches!(
            state,
            AccountState::Active | AccountState::Approved | AccountState::Disabled
        ),
        _ => false,
    }
}
