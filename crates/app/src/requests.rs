//! Requests besides a new account (004 §第二節 伍, §第三節參 六–九): a
//! disabled account's reinstatement (復用), an agency change (機關(單位)異動),
//! an admin-rights request (機關管理者申請), and finding one's agency
//! administrators (機關管理員查詢). Each request waits in the review queue
//! of the agency that must decide it.
use crate::account_flows::eligible;
use crate::auth::self_event;
use crate::enrolment::{Submitted, applicant_event, check_unit};
use crate::sessions::Session;
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::ids::AccountId;
use portico_core::permission::{Principal, RoleKind};
use portico_core::request::RequestKind;
use portico_core::text::clean_text;
use portico_core::verify::Purpose;
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account};
use portico_store::orgs::OrgUnit;
use portico_store::requests::{self, NewRequest};
use portico_store::{audit, db_err, roles, sessions};

/// A new unit and title, and why: the reinstatement and agency-change forms.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub reason: String,
}

struct CleanMove {
    unit: OrgUnit,
    /// The unit with the agency above it (民政局／行政科): dozens of
    /// 區公所 have a 民政課.
    unit_path_name: String,
    title: String,
    reason: String,
}

impl MoveForm {
    fn validate(&self, tree: &crate::orgs::Tree, reason_required: bool) -> Result<CleanMove> {
        let mut c = Collector::new();
        let unit = c.take("unit", check_unit(tree, &self.unit));
        let title = c.take("title", clean_text(&self.title, 1, 30));
        let reason = c.take(
            "reason",
            clean_text(&self.reason, usize::from(reason_required), 200),
        );
        c.finish()?;
        match (unit, title, reason) {
            (Some(unit), Some(title), Some(reason)) => Ok(CleanMove {
                unit_path_name: tree.path_name(&unit),
                unit,
                title,
                reason,
            }),
            _ => Err(Error::internal("validated move incomplete")),
        }
    }
}

/// An agency administrator as a person looking for help sees them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdminContact {
    pub name: String,
    pub office_phone: String,
    pub office_ext: String,
    pub mail: String,
}

impl App {
    async fn proven_account(&self, token: &str, purpose: Purpose) -> Result<Account> {
        let p = self.proof(token, purpose).await?;
        let id = p.account_id.ok_or_else(crate::verify::proof_expired)?;
        accounts::get(&mut *self.db.read().await?, id)
            .await?
            .filter(|a| eligible(purpose, a.state))
            .ok_or_else(crate::verify::proof_expired)
    }

    /// The disabled account behind a reinstatement proof.
    pub async fn reinstatement_account(&self, token: &str) -> Result<Account> {
        self.proven_account(token, Purpose::Reinstate).await
    }

    /// Anyone holding a reinstatement proof: asks for the disabled account
    /// back, in the unit and with the title they have now. 004 §伍: the
    /// agency admin reviews; then the person activates it again.
    pub async fn submit_reinstatement(
        &self,
        token: &str,
        form: &MoveForm,
        ctx: &Ctx,
    ) -> Result<Submitted> {
        let a = self.reinstatement_account(token).await?;
        let tree = self.org_tree().await?;
        let m = form.validate(&tree, false)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, token).await?;
        if requests::open_of(&mut tx, a.id, RequestKind::AgencyChange)
            .await?
            .is_some()
        {
            return Err(Error::Refused(Msg::new(
                "此帳號有機關異動申請審核中，請待審核結果後再申請復用",
                "An agency change of this account waits for review; apply for reinstatement after its result",
            )));
        }
        requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::Reinstate,
                account_id: a.id,
                unit_id: m.unit.id,
                scope_path: &m.unit.path,
                from_unit_id: Some(a.unit_id),
                from_state: Some(a.state),
                title: &m.title,
                reason: &m.reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await?;
        let mut e = applicant_event(ctx, "reinstate.submit", &a);
        e.reason = m.reason.clone();
        e.detail = serde_json::json!({"unit": m.unit.name, "title": m.title}).to_string();
        audit::append(&mut tx, &e, now).await?;
        self.put_mail(
            &mut tx,
            &a.backup_email,
            mail::request_received(RequestKind::Reinstate, &a.name, &a.login, &m.unit_path_name),
            Some(a.id),
            m.unit.path.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(Submitted {
            login: a.login,
            name: a.name,
            unit_name: m.unit_path_name,
        })
    }

    /// Anyone holding a proof: the administrators of their agency, whom to
    /// ask about their account.
    pub async fn my_agency_admins(&self, token: &str) -> Result<(Account, Vec<AdminContact>)> {
        let a = self.proven_account(token, Purpose::FindAdmins).await?;
        let out = match a.agency_id {
            Some(agency) => roles::agency_admins(&mut *self.db.read().await?, agency)
                .await?
                .into_iter()
                .map(|x| AdminContact {
                    name: x.name,
                    office_phone: x.office_phone,
                    office_ext: x.office_ext,
                    mail: x.official_email,
                })
                .collect(),
            None => Vec::new(),
        };
        Ok((a, out))
    }

    /// Anyone signed in who is not an agency admin: asks to become their
    /// agency's administrator. 004 §陸: the agency's admins review it.
    pub async fn request_admin_rights(&self, s: &Session, reason: &str, ctx: &Ctx) -> Result<()> {
        let reason = clean_text(reason, 1, 200).map_err(|m| Error::invalid("reason", m))?;
        if s.principal
            .roles()
            .iter()
            .any(|r| matches!(r.kind, RoleKind::AgencyAdmin | RoleKind::SystemAdmin))
        {
            return Err(Error::Refused(Msg::new(
                "您已是機關管理者，不需再申請",
                "You are already an agency administrator",
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let a = accounts::get(&mut tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        let agency_id = a.agency_id.ok_or_else(|| {
            Error::Refused(Msg::new(
                "您的帳號不屬於任何機關",
                "Your account belongs to no agency",
            ))
        })?;
        let agency = portico_store::orgs::get(&mut tx, agency_id)
            .await?
            .ok_or(Error::NotFound)?;
        requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::AdminRights,
                account_id: a.id,
                unit_id: a.unit_id,
                // The agency's admins decide, not a unit admin below it.
                scope_path: &agency.path,
                from_unit_id: None,
                from_state: Some(a.state),
                title: &a.title,
                reason: &reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await?;
        let mut e = self_event(ctx, "admin_rights.request", &s.principal);
        e.reason = reason;
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::request_received(RequestKind::AdminRights, &a.name, &a.login, &a.agency_name),
                Some(a.id),
                agency.path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Anyone signed in: asks to move to another agency or unit. 004 §柒:
    /// the account is disabled and signed out at once; the new agency's
    /// admin approves (the account becomes active in the new unit) or
    /// rejects (it returns to its old state). Refused while the person is
    /// their agency's only agency admin.
    pub async fn request_agency_change(
        &self,
        s: &Session,
        form: &MoveForm,
        ctx: &Ctx,
    ) -> Result<()> {
        let tree = self.org_tree().await?;
        let m = form.validate(&tree, true)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, s.principal.account_id()).await?;
        let a = accounts::get(&mut tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        if m.unit.id == a.unit_id {
            return Err(Error::invalid(
                "unit",
                Msg::new(
                    "請選擇不同於目前的單位",
                    "Choose a unit other than your current one",
                ),
            ));
        }
        self.guard_before_disable(&mut tx, &a).await?;
        self.guard_pending_mailbox(&mut tx, &a).await?;
        requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::AgencyChange,
                account_id: a.id,
                unit_id: m.unit.id,
                scope_path: &m.unit.path,
                from_unit_id: Some(a.unit_id),
                from_state: Some(a.state),
                title: &m.title,
                reason: &m.reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await?;
        if !accounts::transition(
            &mut tx,
            s.principal.own_account(),
            AccountState::Active,
            AccountState::Disabled,
            now,
        )
        .await?
        {
            return Err(Error::Conflict {
                field: "state",
                message: Msg::new(
                    "帳號狀態已變更，請重新登入後再試",
                    "The account changed meanwhile; sign in again and retry",
                ),
            });
        }
        sessions::delete_all_of(&mut tx, a.id, now).await?;
        self.queue_person(&mut tx, a.id).await?;
        let mut e = self_event(ctx, "agency_change.request", &s.principal);
        e.reason = m.reason.clone();
        e.detail = serde_json::json!({"from": a.unit_name, "to": m.unit.name}).to_string();
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::request_received(
                    RequestKind::AgencyChange,
                    &a.name,
                    &a.login,
                    &m.unit_path_name,
                ),
                Some(a.id),
                m.unit.path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// The account's open requests, for its owner's page.
    pub async fn my_open_requests(&self, id: AccountId) -> Result<Vec<requests::Request>> {
        let mut c = self.db.read().await?;
        let mut out = Vec::new();
        for k in [
            RequestKind::AdminRights,
            RequestKind::AgencyChange,
            RequestKind::Cancel,
        ] {
            if let Some(r) = requests::open_of(&mut c, id, k).await? {
                out.push(r);
            }
        }
        Ok(out)
    }
}

fn already_asked() -> Error {
    Error::Refused(Msg::new(
        "您已有一件帳號註銷申請正在審核中",
        "A cancellation request of yours is already waiting for review",
    ))
}

/// 帳號註銷申請表 (002 §五): what the person prints and has signed.
fn cancellation_print(
    portal: String,
    a: &Account,
    reason: &str,
    now: time::OffsetDateTime,
) -> crate::access::print::PrintForm {
    use crate::access::printing::{phone_of, print_date};
    crate::access::print::PrintForm {
        portal,
        title: "帳號註銷申請表".into(),
        purpose_label: "註銷原因".into(),
        op: Some(portico_core::access::Op::Remove),
        date: print_date(now),
        subject: vec![
            ("註銷帳號".into(), a.login.clone()),
            (
                "所屬機關單位".into(),
                format!("{}／{}", a.agency_name, a.unit_name),
            ),
            ("職稱".into(), a.title.clone()),
        ],
        login: a.login.clone(),
        name: a.name.clone(),
        phone: phone_of(&a.office_phone, &a.office_ext),
        email: if a.official_email.is_empty() {
            a.backup_email.clone()
        } else {
            a.official_email.clone()
        },
        purpose: reason.to_owned(),
        notices: vec![
            "註銷後帳號無法再登入或復用，帳號名稱與備用信箱不會釋出。".into(),
            "帳號紀錄依規定保存；本申請書由管理者保管，於帳號註銷滿一年後銷毀。".into(),
        ],
        ..Default::default()
    }
}

impl App {
    /// 列印申請書 for a cancellation, with the reason typed so far.
    pub async fn print_cancellation(&self, s: &Session, reason: &str) -> Result<Vec<u8>> {
        let reason = clean_text(reason, 1, 200).map_err(|m| Error::invalid("reason", m))?;
        let a = accounts::get(&mut *self.db.read().await?, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        let f = cancellation_print(self.portal_name(), &a, &reason, self.now());
        self.render_pdf(move |font| crate::access::print::render_form(font, &f))
            .await
    }

    /// 帳號註銷 (002 §五, §六 (三) 4): the person, leaving the post, asks
    /// for their account to be cancelled, with the form their supervisor
    /// signed. Their agency's (or unit's) admins decide in 待簽核. What a
    /// disable would need handed over is asked first.
    pub async fn request_cancellation(
        &self,
        s: &Session,
        reason: &str,
        form: Option<crate::access::Upload>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let reason = clean_text(reason, 1, 200).map_err(|m| Error::invalid("reason", m))?;
        let Some(form) = form.filter(|u| !u.bytes.is_empty() || !u.name.is_empty()) else {
            return Err(Error::invalid(
                "form_file",
                Msg::new(
                    "請上傳主管簽章的帳號註銷申請書：請先「列印申請書」，請單位主管簽章後掃描上傳",
                    "Upload the cancellation form signed by your supervisor: print it, have it signed, then upload the scan",
                ),
            ));
        };
        let kind = portico_core::files::check_upload(
            &form.name,
            &form.bytes,
            portico_core::files::MAX_SCAN,
        )
        .map_err(|m| Error::invalid("form_file", m))?;
        {
            let mut c = self.db.read().await?;
            let a = accounts::get(&mut c, s.principal.account_id())
                .await?
                .ok_or(Error::NotFound)?;
            self.guard_before_disable(&mut c, &a).await?;
            if requests::open_of(&mut c, a.id, RequestKind::Cancel)
                .await?
                .is_some()
            {
                return Err(already_asked());
            }
        }
        let stashed = self
            .stash_upload("forms", &form.name, kind, form.bytes)
            .await?;
        let filed = self.file_cancellation(s, &reason, &stashed, ctx).await;
        if filed.is_err() {
            self.drop_stashed(&stashed).await;
        }
        filed
    }

    async fn file_cancellation(
        &self,
        s: &Session,
        reason: &str,
        stashed: &crate::files::Stashed,
        ctx: &Ctx,
    ) -> Result<i64> {
        let reason = reason.to_owned();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, s.principal.account_id()).await?;
        let a = accounts::get(&mut tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        if a.state != AccountState::Active {
            return Err(Error::Refused(portico_core::request::account_changed()));
        }
        self.guard_before_disable(&mut tx, &a).await?;
        let id = requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::Cancel,
                account_id: a.id,
                unit_id: a.unit_id,
                // 002 §五: 送機關（單位）管理者辦理 — the unit's admins too.
                scope_path: &a.unit_path,
                from_unit_id: None,
                from_state: Some(a.state),
                title: &a.title,
                reason: &reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            Error::Conflict { .. } => already_asked(),
            e => e,
        })?;
        let file = self.keep_stashed(&mut tx, a.id, stashed).await?;
        requests::set_form_file(&mut tx, id, file).await?;
        let mut e = self_event(ctx, "account.cancel_request", &s.principal);
        e.reason = reason;
        e.detail = serde_json::json!({ "request": id }).to_string();
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::request_received(RequestKind::Cancel, &a.name, &a.login, &a.agency_name),
                Some(a.id),
                a.unit_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(id)
    }

    /// The signed form a request carries, for an admin who may see the
    /// request.
    pub async fn request_attachment(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<crate::files::FileBytes> {
        let (r, _) = self.review_request(actor, id).await?;
        self.read_kept(r.form_file_id.ok_or(Error::NotFound)?).await
    }
}
