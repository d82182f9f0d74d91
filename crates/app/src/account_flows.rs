//! The signed-out "verify, then act" flows (004 第二節 伍–陸): activation
//! (開通帳號), a forgotten password (忘記密碼), reinstatement (帳號復用) and
//! finding one's administrators: an identity proven by a code or mobile ID,
//! then the step the proof allows.
use crate::verify::{Destination, Who};
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::national_id::NationalId;
use portico_core::outbox::Channel;
use portico_core::text::{Email, MobilePhone};
use portico_core::verify::{Check, Purpose, too_many_sends};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, Change, Contact};
use portico_store::{audit, db_err, sessions};

use crate::enrolment::{BY_PROOF, applicant_event};

/// The account a signed-out identity check is about, as the person named
/// it: the key its codes and proof are kept under, and the one account of
/// that name that may use the step, if there is exactly one. (Two active
/// accounts sharing a mobile cannot be told apart by a code to it.)
pub(crate) struct Subject {
    pub key: String,
    pub account: Option<Account>,
}

impl App {
    /// Who a signed-out check is about: the typed address, mobile or ID,
    /// checked for shape (a field error otherwise), and the account it
    /// names for `purpose`.
    pub(crate) async fn flow_subject(&self, purpose: Purpose, who: Who<'_>) -> Result<Subject> {
        let mut c = self.db.read().await?;
        let (key, found) = match who {
            Who::Email(e) => {
                let e = Email::parse(&e.trim().to_lowercase())
                    .map_err(|m| Error::invalid("email", m))?;
                let found =
                    accounts::with_contact(&mut c, Contact::BackupEmail, e.as_str()).await?;
                (e.as_str().to_owned(), found)
            }
            Who::Mobile(m) => {
                let m = MobilePhone::parse(m).map_err(|m| Error::invalid("mobile", m))?;
                let found = accounts::with_contact(&mut c, Contact::Mobile, m.as_str()).await?;
                (m.as_str().to_owned(), found)
            }
            Who::NationalId(n) => {
                let n = NationalId::parse(&n.trim().to_uppercase())
                    .map_err(|m| Error::invalid("national_id", m))?;
                let found = accounts::find_by_national_id(&mut c, n.as_str()).await?;
                // Kept as a hash: the proof names the person, not their ID.
                (
                    format!("national_id:{}", crate::token_hash(n.as_str())),
                    found.into_iter().collect(),
                )
            }
        };
        let mut fit = found.into_iter().filter(|a| eligible(purpose, a.state));
        let account = match (fit.next(), fit.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        };
        Ok(Subject { key, account })
    }

    /// Anyone: a code for an account flow (開通帳號, 忘記密碼, 帳號復用,
    /// 機關管理員查詢) to the backup e-mail or bound mobile the person
    /// typed, after a captcha (004 L691, L883, L928). Only an account in
    /// the right state gets one, and the page answers the same whatever
    /// the case.
    pub async fn start_account_verification(
        &self,
        purpose: Purpose,
        who: Who<'_>,
        (captcha_id, captcha): (&str, &str),
        ctx: &Ctx,
    ) -> Result<()> {
        let (check, channel) = match who {
            Who::Email(_) => (Check::EmailCode, Channel::Mail),
            Who::Mobile(_) => (Check::SmsCode, Channel::Sms),
            Who::NationalId(_) => return Err(not_offered()),
        };
        if !purpose.checks().contains(&check) {
            return Err(not_offered());
        }
        let s = self.flow_subject(purpose, who).await?;
        self.captcha_checked(captcha_id, captcha).await?;
        let mut tx = self.db.begin().await?;
        let dest = s.account.as_ref().map(|a| Destination {
            channel,
            to: s.key.as_str(),
            account: Some(a.id),
            scope_path: a.unit_path.as_str(),
        });
        self.issue_code(&mut tx, purpose, &s.key, dest, ctx).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    pub async fn confirm_account_verification(
        &self,
        purpose: Purpose,
        who: Who<'_>,
        code: &str,
    ) -> Result<String> {
        let s = self.flow_subject(purpose, who).await?;
        self.check_code(purpose, &s.key, code, s.account.map(|a| a.id))
            .await
    }

    /// Anyone: 忘記帳號 (seeds 000, 001). Every login whose backup e-mail
    /// this is goes to that address, after a captcha; the page answers the
    /// same whether or not any does, and the send limits of codes apply.
    pub async fn remind_login(
        &self,
        email: &str,
        (captcha_id, captcha): (&str, &str),
        ctx: &Ctx,
    ) -> Result<()> {
        let email =
            Email::parse(&email.trim().to_lowercase()).map_err(|m| Error::invalid("email", m))?;
        self.captcha_checked(captcha_id, captcha).await?;
        if !self.note_send("remind_login", email.as_str(), ctx).await? {
            return Err(Error::Refused(too_many_sends()));
        }
        let found = accounts::with_contact(
            &mut *self.db.read().await?,
            Contact::BackupEmail,
            email.as_str(),
        )
        .await?;
        let Some(first) = found.first() else {
            return Ok(());
        };
        let logins: Vec<(String, Msg)> = found
            .iter()
            .map(|a| (a.login.clone(), a.state.label()))
            .collect();
        let mut tx = self.db.begin().await?;
        self.put_mail(
            &mut tx,
            email.as_str(),
            mail::login_reminder(&logins),
            Some(first.id),
            first.unit_path.as_str(),
        )
        .await?;
        for a in &found {
            let mut e = applicant_event(ctx, "account.login.remind", a);
            e.actor_id = None;
            e.actor_login = String::new();
            audit::append(&mut tx, &e, self.now()).await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
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
        // Activation too (004 L635): a reinstated account sets a password
        // again and must not bring back one it used before.
        if c.is_empty() {
            self.check_history(a.id, new, settings.password.history, &mut c)
                .await?;
        }
        c.finish()?;
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, token).await?;
        let activation = purpose == Purpose::Activate;
        let ch = Change {
            at: now,
            by: &a.login,
            note: if activation {
                "開通帳號"
            } else {
                "忘記密碼重設"
            },
        };
        accounts::set_password(&mut tx, BY_PROOF.account(a.id), &hash, false, &ch).await?;
        self.queue_password(&mut tx, a.id, new).await?;
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
        sessions::delete_all_of(&mut tx, a.id, now).await?;
        self.account_changed(&mut tx, BY_PROOF.account(a.id), &ch)
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

fn not_offered() -> Error {
    Error::invalid(
        "method",
        Msg::new(
            "此項作業不提供這種驗證方式",
            "This step does not offer that check",
        ),
    )
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
        // 004 L1730, L1789: applicants still waiting, or turned down, are
        // who most needs to know whom to ask.
        Purpose::FindAdmins => matches!(
            state,
            AccountState::Active
                | AccountState::Approved
                | AccountState::Disabled
                | AccountState::Pending
                | AccountState::Rejected
        ),
        _ => false,
    }
}
