//! 待簽核表單 and 個人簽核記錄查詢 (seed 000): the forms an approver may
//! sign off, 同意 / 不同意 with 備註, one or a batch, and what each
//! approver decided. A decision is a conditional write on the pending
//! state: of two approvers racing, exactly one counts.
use super::form_event;
use crate::{App, Ctx, Result, mail};
use portico_core::access::{FormState, Step, check_decision_note, role_prerequisites, step_open};
use portico_core::account::AccountState;
use portico_core::ids::{AccountId, FormId};
use portico_core::permission::{FormSeen, Principal, Target};
use portico_core::{Error, Msg};
use portico_store::access::defs as store_defs;
use portico_store::access::{self as store, Approving, Form, QueueFilter};
use portico_store::{Conn, Page, audit, db_err, roles};

/// A form in the queue, and why it cannot be approved as it stands.
#[derive(Debug, Clone)]
pub struct Approval {
    pub form: Form,
    pub blocked: Option<Msg>,
}

/// What became of one form of a batch.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub id: FormId,
    pub number: String,
    pub refused: Option<Msg>,
}

fn applicant_gone() -> Msg {
    Msg::new(
        "申請人的帳號已停用或註銷，此表單無法同意，請選擇不同意並註明原因",
        "The applicant's account is disabled or cancelled; this form cannot be approved, decline it with a note",
    )
}

/// What the permission check knows of a form.
fn seen<'t>(
    form: &'t Form,
    held: &'t [portico_core::permission::Role],
    managers: &'t [AccountId],
) -> FormSeen<'t> {
    FormSeen {
        id: form.id.0,
        approver: form.approver,
        scope: form.place(),
        applicant: Target {
            id: form.applicant.id,
            unit_path: &form.applicant.unit_path,
            roles: held,
        },
        managers,
    }
}

impl App {
    /// Who the person is as an approver.
    async fn approving(&self, c: &mut Conn, p: &Principal) -> Result<Approving> {
        Ok(Approving {
            account: p.account_id(),
            system_admin: p.is_system_admin(),
            managed_apps: store_defs::managed_apps(c, p.account_id()).await?,
            admin: p.admin().ok().map(|a| a.visible()),
        })
    }

    /// 待簽核表單: a page of the forms waiting for this person, oldest
    /// first, each with what blocks its approval.
    pub async fn approvals(
        &self,
        p: &Principal,
        f: &QueueFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Approval>> {
        let mut c = self.db.read().await?;
        let who = self.approving(&mut c, p).await?;
        let forms = store::queue(&mut c, &who, f, page, per_page).await?;
        let mut items = Vec::with_capacity(forms.items.len());
        for form in forms.items {
            let blocked = self.why_blocked(&mut c, &form).await?;
            items.push(Approval { form, blocked });
        }
        Ok(Page {
            items,
            total: forms.total,
            page: forms.page,
            per_page: forms.per_page,
        })
    }

    /// How many forms wait for this person: the menu's 待簽核表單 (n).
    pub async fn approvals_count(&self, p: &Principal) -> Result<i64> {
        let mut c = self.db.read().await?;
        let who = self.approving(&mut c, p).await?;
        if !who.system_admin && who.managed_apps.is_empty() && who.admin.is_none() {
            return Ok(0);
        }
        store::queue_count(&mut c, &who).await
    }

    /// The check every decision passes, from what the form says.
    async fn seen_parts(
        &self,
        c: &mut Conn,
        form: &Form,
    ) -> Result<(Vec<portico_core::permission::Role>, Vec<AccountId>)> {
        let held = roles::of_account(c, form.applicant.id)
            .await?
            .iter()
            .map(|g| g.role())
            .collect();
        let managers = match form.app_id {
            Some(app) => store_defs::manager_ids(c, app).await?,
            None => Vec::new(),
        };
        Ok((held, managers))
    }

    /// May this person sign off the form?
    pub(crate) async fn may_decide(
        &self,
        c: &mut Conn,
        p: &Principal,
        form: &Form,
    ) -> Result<bool> {
        let (held, managers) = self.seen_parts(c, form).await?;
        let seen = seen(form, &held, &managers);
        Ok(p.form_decider(&seen).is_ok())
    }

    /// Why the form cannot be approved now: the applicant is no longer
    /// active, or a step before it or a role's prerequisite lapsed while
    /// it waited. Declining is always possible.
    pub(crate) async fn why_blocked(&self, c: &mut Conn, form: &Form) -> Result<Option<Msg>> {
        if form.applicant.state != AccountState::Active.as_str() {
            return Ok(Some(applicant_gone()));
        }
        // Removing, or changing a title, needs nothing held before it; a
        // category needs nothing at all.
        if form.step == Step::Category || !form.lines.iter().any(|l| l.after && !l.before) {
            return Ok(None);
        }
        let h = store::holdings(c, form.applicant.id, &form.applicant.unit_path).await?;
        if let Err(m) = step_open(form.step, &h) {
            return Ok(Some(m));
        }
        if form.step == Step::Role {
            for l in form.lines.iter().filter(|l| l.after && !l.before) {
                let Some(r) = store_defs::role(c, l.item).await?.filter(|r| r.active) else {
                    return Ok(Some(Msg::new(
                        "申請的角色已停用，此表單無法同意",
                        "A role asked for was withdrawn; this form cannot be approved",
                    )));
                };
                if let Err(m) = role_prerequisites(
                    r.needs_category.as_ref().map(|(i, n)| (*i, n.as_str())),
                    r.needs_org.as_ref().map(|(i, n)| (*i, n.as_str())),
                    &h,
                ) {
                    return Ok(Some(m));
                }
            }
        }
        Ok(None)
    }

    /// 同意 or 不同意 one form, with 備註 (required to decline). The
    /// applicant is mailed the result.
    pub async fn decide_form(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: FormId,
        approve: bool,
        note: &str,
    ) -> Result<()> {
        let note = check_decision_note(approve, note).map_err(|m| Error::invalid("note", m))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let form = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        // The applicant's row first: a disable waits for this decision, or
        // this decision sees it.
        portico_store::accounts::lock(&mut tx, form.applicant.id).await?;
        let form = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let (held, managers) = self.seen_parts(&mut tx, &form).await?;
        let seen = seen(&form, &held, &managers);
        let d = p.form_decider(&seen)?;
        if form.state != FormState::Pending {
            return Err(Error::Conflict {
                field: "state",
                message: portico_core::access::already_decided(),
            });
        }
        if approve && let Some(m) = self.why_blocked(&mut tx, &form).await? {
            return Err(Error::Refused(m));
        }
        let state = if approve {
            FormState::Approved
        } else {
            FormState::Rejected
        };
        store::decide(&mut tx, id, state, p.account_id(), &note, now).await?;
        if approve {
            store::apply(&mut tx, d.grant(), &form, now).await?;
        }
        let mut e = form_event(
            ctx,
            if approve {
                "access.approve"
            } else {
                "access.reject"
            },
            p,
            id,
            &form.number,
            &form.applicant.unit_path,
        );
        e.reason = note.clone();
        e.detail = serde_json::json!({
            "step": form.step.as_str(),
            "op": form.op.as_str(),
            "login": form.applicant.login,
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        let to = form.applicant.email.clone();
        if !to.is_empty() {
            self.put_mail(
                &mut tx,
                &to,
                mail::form_decided(&form, approve, &note),
                Some(form.applicant.id),
                form.applicant.unit_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// A batch of forms, each decided on its own: one that fails (decided
    /// by someone else, blocked) is reported and the rest go on.
    pub async fn decide_forms(
        &self,
        p: &Principal,
        ctx: &Ctx,
        ids: &[FormId],
        approve: bool,
        note: &str,
    ) -> Result<Vec<BatchOutcome>> {
        check_decision_note(approve, note).map_err(|m| Error::invalid("note", m))?;
        if ids.is_empty() || ids.len() > 100 {
            return Err(Error::invalid(
                "forms",
                Msg::new("請勾選 1–100 張表單", "Tick 1–100 forms"),
            ));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let number = store::get(&mut *self.db.read().await?, *id)
                .await?
                .map(|f| f.number)
                .unwrap_or_default();
            let (refused, number) = match self.decide_form(p, ctx, *id, approve, note).await {
                Ok(()) => (None, number),
                Err(Error::Refused(m)) | Err(Error::Conflict { message: m, .. }) => {
                    (Some(m), number)
                }
                // A form one may not see is named by what was sent, not
                // by its number.
                Err(Error::NotFound | Error::Forbidden) => (
                    Some(Msg::new(
                        "找不到此表單，或您不是它的簽核者",
                        "No such form, or you do not sign it off",
                    )),
                    format!("#{}", id.0),
                ),
                Err(e) => return Err(e),
            };
            out.push(BatchOutcome {
                id: *id,
                number,
                refused,
            });
        }
        Ok(out)
    }

    /// 個人簽核記錄查詢 as a workbook (xlsx or ODS): every form this
    /// person decided.
    pub async fn my_decisions_export(
        &self,
        p: &Principal,
        format: crate::export::Sheet,
        lang: portico_core::Lang,
    ) -> Result<Vec<u8>> {
        let all =
            store::decided_by(&mut *self.db.read().await?, p.account_id(), 1, 100_000).await?;
        let tr = |zh: &str, en: &str| {
            if lang == portico_core::Lang::En {
                en
            } else {
                zh
            }
            .to_owned()
        };
        let table = crate::export::Table {
            name: &tr("個人簽核記錄", "My decisions"),
            headers: vec![
                tr("申請單號", "Form no."),
                tr("表單類別", "Form"),
                tr("類型", "Type"),
                tr("申請人帳號", "Applicant login"),
                tr("申請人", "Applicant"),
                tr("申請項目", "Asked for"),
                tr("申請日期", "Submitted"),
                tr("簽核結果", "Decision"),
                tr("簽核時間", "Decided"),
                tr("簽核備註", "Note"),
            ],
            rows: all
                .items
                .iter()
                .map(|f| {
                    vec![
                        f.number.clone(),
                        f.step.queue_title().get(lang).to_owned(),
                        f.op.label().get(lang).to_owned(),
                        f.applicant.login.clone(),
                        f.applicant.name.clone(),
                        f.lines
                            .iter()
                            .map(|l| format!("{} {}", l.code, l.name))
                            .collect::<Vec<_>>()
                            .join("、"),
                        portico_core::time::display(f.submitted_at),
                        f.state.label().get(lang).to_owned(),
                        f.decided_at
                            .map(portico_core::time::display)
                            .unwrap_or_default(),
                        f.decision_note.clone(),
                    ]
                })
                .collect(),
        };
        crate::export::table(&table, format)
    }

    /// 個人簽核記錄查詢: what this person decided, newest first.
    pub async fn my_decisions(
        &self,
        p: &Principal,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Form>> {
        store::decided_by(&mut *self.db.read().await?, p.account_id(), page, per_page).await
    }
}
