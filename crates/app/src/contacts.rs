//! A signed-in person's contact details for verification (004 §第三節參
//! 七, 八): the backup e-mail and the mobile phone, each confirmed by a code
//! sent to the new address before it counts.
use crate::auth::self_event;
use crate::sessions::Session;
use crate::verify::Destination;
use crate::{App, Ctx, Result, mail};
use portico_core::Error;
use portico_core::outbox::Channel;
use portico_core::text::{Email, MobilePhone};
use portico_core::verify::{Purpose, check_backup_email};
use portico_store::{accounts, audit, db_err};

fn bind_key(s: &Session, address: &str) -> String {
    format!("bind:{}:{address}", s.principal.account_id())
}

impl App {
    /// Anyone signed in: a code to a new backup e-mail. 004 §參: not the
    /// official domain, and never bound to an account before.
    pub async fn start_bind_email(&self, s: &Session, email: &str, ctx: &Ctx) -> Result<String> {
        let email =
            Email::parse(&email.trim().to_lowercase()).map_err(|m| Error::invalid("email", m))?;
        let settings = self.settings().await?;
        check_backup_email(&email, &settings.official_mail_domain)
            .map_err(|m| Error::invalid("email", m))?;
        let mut tx = self.db.begin().await?;
        if accounts::email_ever_bound(&mut tx, email.as_str()).await? {
            return Err(Error::invalid("email", accounts::email_taken()));
        }
        let dest = Destination {
            channel: Channel::Mail,
            to: email.as_str(),
            account: Some(s.principal.account_id()),
            scope_path: s.principal.unit_path().as_str(),
        };
        self.issue_code(
            &mut tx,
            Purpose::BindAddress,
            &bind_key(s, email.as_str()),
            Some(dest),
            ctx,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(email.as_str().to_owned())
    }

    /// Anyone signed in: the code from the new address binds it. The old
    /// address is told, so a takeover does not go unnoticed.
    pub async fn confirm_bind_email(
        &self,
        s: &Session,
        email: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let email =
            Email::parse(&email.trim().to_lowercase()).map_err(|m| Error::invalid("email", m))?;
        let token = self
            .check_code(
                Purpose::BindAddress,
                &bind_key(s, email.as_str()),
                code,
                Some(s.principal.account_id()),
            )
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, &token).await?;
        let before = accounts::get(&mut tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        accounts::bind_email(&mut tx, s.principal.own_account(), email.as_str(), now).await?;
        accounts::set_contact(
            &mut tx,
            s.principal.own_account(),
            Some(email.as_str()),
            None,
            now,
        )
        .await?;
        let mut e = self_event(ctx, "account.backup_email.bind", &s.principal);
        e.detail = serde_json::json!({"email": email.as_str()}).to_string();
        audit::append(&mut tx, &e, now).await?;
        if !before.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &before.backup_email,
                mail::contact_changed(&before.login, "backup_email"),
                Some(before.id),
                before.unit_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Anyone signed in: a code by SMS to a mobile to bind.
    pub async fn start_bind_mobile(&self, s: &Session, mobile: &str, ctx: &Ctx) -> Result<String> {
        let m = MobilePhone::parse(mobile).map_err(|m| Error::invalid("mobile", m))?;
        let mut tx = self.db.begin().await?;
        let dest = Destination {
            channel: Channel::Sms,
            to: m.as_str(),
            account: Some(s.principal.account_id()),
            scope_path: s.principal.unit_path().as_str(),
        };
        self.issue_code(
            &mut tx,
            Purpose::BindAddress,
            &bind_key(s, m.as_str()),
            Some(dest),
            ctx,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(m.as_str().to_owned())
    }

    /// Anyone signed in: the code from the SMS binds the mobile.
    pub async fn confirm_bind_mobile(
        &self,
        s: &Session,
        mobile: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let m = MobilePhone::parse(mobile).map_err(|m| Error::invalid("mobile", m))?;
        let token = self
            .check_code(
                Purpose::BindAddress,
                &bind_key(s, m.as_str()),
                code,
                Some(s.principal.account_id()),
            )
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, &token).await?;
        accounts::set_contact(
            &mut tx,
            s.principal.own_account(),
            None,
            Some(m.as_str()),
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.mobile.bind", &s.principal),
            now,
        )
        .await?;
        self.tell_backup_address(&mut tx, s).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Anyone signed in: removes the bound mobile (SMS codes stop).
    pub async fn unbind_mobile(&self, s: &Session, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::set_contact(&mut tx, s.principal.own_account(), None, Some(""), now).await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.mobile.unbind", &s.principal),
            now,
        )
        .await?;
        self.tell_backup_address(&mut tx, s).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// A new mobile can reset the password by SMS: the backup address hears
    /// of every change, so a stolen session cannot add one unnoticed.
    async fn tell_backup_address(&self, tx: &mut portico_store::Tx, s: &Session) -> Result<()> {
        let a = accounts::get(tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                tx,
                &a.backup_email,
                mail::contact_changed(&a.login, "mobile"),
                Some(a.id),
                a.unit_path.as_str(),
            )
            .await?;
        }
        Ok(())
    }
}
