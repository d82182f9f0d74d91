//! Enrolment (004 §第二節 參–肆, §(三)): apply for an account after
//! verifying a backup e-mail, and modify a pending or rejected
//! application. Its review is `review.rs`; the signed-out flows after it
//! (activate, forgotten password) are `account_flows.rs`.
use crate::orgs::Tree;
use crate::outbox::Outgoing;
use crate::verify::Destination;
use crate::{App, Ctx, Result, event, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::national_id::NationalId;
use portico_core::outbox::Channel;
use portico_core::permission::Unattended;
use portico_core::request::RequestKind;
use portico_core::text::{Email, LoginName, OfficePhone, PersonName, clean_text, parse_extension};
use portico_core::verify::{Purpose, check_backup_email};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, Enrolment, NewAccount};
use portico_store::orgs::OrgUnit;
use portico_store::requests::{self, NewRequest, Request};
use portico_store::{Tx, audit, db_err};

/// The account flows signed out (apply, modify, activate, forgotten
/// password) write accounts on the strength of a verified code or mobile
/// ID, which the flow checked before (`verify::Proof`), not a session.
pub(crate) const BY_PROOF: Unattended =
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
    /// `who` is the verified backup address asking: the answer says whether
    /// a name exists, so it is given at most ten times a minute to one
    /// applicant and thirty to one address (a name list cannot be drawn
    /// from it at speed).
    pub async fn login_available(&self, login: &str, who: &str, ctx: &Ctx) -> Result<()> {
        let l = LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        if !self.rate_allow(&format!("check-login:{who}"), 10).await?
            || !self
                .rate_allow(&format!("check-login-ip:{}", ctx.ip), 30)
                .await?
        {
            return Err(Error::Refused(portico_core::Msg::new(
                "檢查帳號的次數過多，請稍候一分鐘再試",
                "Too many login names checked; wait a minute and try again",
            )));
        }
        if login_taken(&mut *self.db.read().await?, l.as_str()).await? {
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
        // A person's login is their official address: not a mail account's
        // name, nor one the mail system keeps (accounts' own clash is the
        // unique key's).
        if login_taken(&mut tx, &a.login).await? {
            return Err(Error::Conflict {
                field: "login",
                message: accounts::login_taken(),
            });
        }
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

    // ---- activation and forgotten passwords ---------------------------------
}

/// Whether a login is taken: by an account, an agency or system mail
/// account, or a name the mail system and the directory keep.
async fn login_taken(c: &mut portico_store::Conn, login: &str) -> Result<bool> {
    Ok(portico_core::mailbox::is_reserved(login)
        || accounts::login_exists(c, login).await?
        || portico_store::mailboxes::local_part_taken(c, login).await?)
}
