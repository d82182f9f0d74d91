//! The signed-out "verify, then act" flows (004 第二節 伍–陸): activation
//! (開通帳號), a forgotten password (忘記密碼), reinstatement (帳號復用) and
//! finding one's administrators: an identity proven by a code or mobile ID,
//! then the step the proof allows.
use crate::verify::Destination;
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::outbox::Channel;
use portico_core::text::LoginName;
use portico_core::verify::{Method, Purpose};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Change};
use portico_store::{audit, db_err, sessions};

use crate::enrolment::{BY_PROOF, applicant_event, login_key};

impl App {
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
        accounts::note_change(&mut tx, BY_PROOF.account(a.id), &ch).await?;
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
