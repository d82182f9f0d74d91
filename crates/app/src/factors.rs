//! Sign-in factors besides the password: the authenticator app (動態驗證碼,
//! 004 §第一節 三, §參 十一) and the temporary password by mail (臨時密碼,
//! §第一節 四); what a person and an admin see of the bound methods, and the
//! admin's reset.
use crate::auth::{CheckedPassword, SignInError, Subject, admin_event, self_event};
use crate::outbox::{Outgoing, put};
use crate::sessions::NewSession;
use crate::{App, Ctx, Result, constant_time_eq, random_token, token_hash};
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_core::outbox::Channel;
use portico_core::permission::Principal;
use portico_core::zone::SignInMethod;
use portico_core::{Error, Msg};
use portico_store::{accounts, audit, db_err, factors};
use time::Duration;
use totp_rs::{Builder, Totp};

/// What the person's authenticator app shows the account as.
const TOTP_ISSUER: &str = "臺南市政府公務入口網";
/// A temporary password works this long (004 §第一節 四; issue 5).
pub const TEMP_PASSWORD_TTL: Duration = Duration::minutes(10);
/// Temporary passwords one account may be sent per TTL: a person who lost
/// the mail can ask again, a script cannot fill the mailbox.
const TEMP_PASSWORDS_PER_TTL: i64 = 3;
/// Wrong guesses one temporary password survives.
const TEMP_PASSWORD_ATTEMPTS: i64 = 5;
/// Letters and digits nobody misreads (no 0/O, 1/I/L).
const TEMP_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Setting up the authenticator app: what the page shows.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

/// The authenticator app's state on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpState {
    Off,
    /// A secret was shown; the first code has not confirmed it yet.
    Pending,
    On,
}

fn totp_of(secret: Vec<u8>) -> Result<Totp> {
    Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| Error::internal(format!("totp: {e}")))
}

fn totp_kid(account: AccountId) -> String {
    format!("totp:{}", account.0)
}

/// A typed code: digits only, spaces allowed between.
fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

fn wrong_code() -> Error {
    Error::invalid(
        "code",
        Msg::new(
            "驗證碼不正確或已使用，請輸入 APP 目前顯示的 6 位數字",
            "The code is wrong or was used already; enter the 6 digits the app shows now",
        ),
    )
}

impl App {
    /// Keeps a ceremony's state (a card's challenge, a WebAuthn ceremony, a
    /// mobile-ID transaction) for `ttl` under a fresh handle for the
    /// browser; only the handle's hash is stored.
    pub(crate) async fn put_challenge(
        &self,
        kind: &str,
        account: Option<AccountId>,
        data: &str,
        ttl: Duration,
    ) -> Result<String> {
        let handle = random_token(24)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        factors::challenge_put(
            &mut tx,
            &token_hash(&handle),
            kind,
            account,
            data,
            now,
            now + ttl,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(handle)
    }

    /// Spends a challenge of `kind`: its account and state, once, before it
    /// expires; `None` for anything else.
    pub(crate) async fn take_challenge(
        &self,
        kind: &str,
        handle: &str,
    ) -> Result<Option<(Option<AccountId>, String)>> {
        if handle.is_empty() || handle.len() > 128 {
            return Ok(None);
        }
        let mut tx = self.db.begin().await?;
        let r = factors::challenge_take(&mut tx, &token_hash(handle), kind, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(r)
    }

    pub async fn totp_state(&self, account: AccountId) -> Result<TotpState> {
        let t = factors::totp(&mut *self.db.read().await?, account).await?;
        Ok(match t {
            None => TotpState::Off,
            Some(t) if t.confirmed_at.is_none() => TotpState::Pending,
            Some(_) => TotpState::On,
        })
    }

    /// Starts (or restarts) setting up the authenticator app: a new secret,
    /// unconfirmed until [`App::totp_confirm`].
    pub async fn totp_begin(
        &self,
        s: &crate::sessions::Session,
        password: &str,
        ctx: &Ctx,
    ) -> Result<TotpSetup> {
        self.reauthenticate(&s.principal, password, "account.totp.begin", ctx)
            .await?;
        let account = s.principal.account_id();
        let mut secret = [0u8; 20];
        getrandom::fill(&mut secret).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
        let sealed = self.master()?.seal(&totp_kid(account), &secret)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !factors::totp_begin(&mut tx, account, &sealed, now).await? {
            return Err(Error::Refused(Msg::new(
                "動態驗證碼已啟用；如要更換手機，請先關閉再重新綁定",
                "The authenticator app is on already; to move it to another phone, turn it off first",
            )));
        }
        audit::append(
            &mut tx,
            &self_event(ctx, "account.totp.begin", &s.principal),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.totp_setup_of(s.principal.login(), secret.to_vec())
    }

    /// The pending setup again (the page was reloaded), if any.
    pub async fn totp_pending(&self, p: &Principal) -> Result<Option<TotpSetup>> {
        let t = factors::totp(&mut *self.db.read().await?, p.account_id()).await?;
        match t {
            Some(t) if t.confirmed_at.is_none() => {
                let secret = self
                    .master()?
                    .open(&totp_kid(p.account_id()), &t.sealed_secret)?;
                self.totp_setup_of(p.login(), secret).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn totp_setup_of(&self, login: &str, secret: Vec<u8>) -> Result<TotpSetup> {
        let t = totp_of(secret)?;
        let b32 = t.secret().to_base32();
        let uri = format!(
            "otpauth://totp/{}:{}?secret={b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
            crate::oidc::form_encode(TOTP_ISSUER),
            crate::oidc::form_encode(login),
            crate::oidc::form_encode(TOTP_ISSUER)
        );
        let qr =
            qrcode::QrCode::new(uri.as_bytes()).map_err(|e| Error::internal(format!("qr: {e}")))?;
        let qr_svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build();
        Ok(TotpSetup {
            secret: b32,
            uri,
            qr_svg,
        })
    }

    /// Confirms the pending secret with the first code the app shows.
    pub async fn totp_confirm(
        &self,
        s: &crate::sessions::Session,
        code: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let account = s.principal.account_id();
        let t = factors::totp(&mut *self.db.read().await?, account)
            .await?
            .filter(|t| t.confirmed_at.is_none())
            .ok_or_else(|| {
                Error::Refused(Msg::new(
                    "沒有待確認的動態驗證碼設定，請重新開始",
                    "There is no setup waiting for a code; start again",
                ))
            })?;
        let secret = self.master()?.open(&totp_kid(account), &t.sealed_secret)?;
        let step = totp_of(secret)?.check(&normalize_code(code), self.epoch());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let ok = match step {
            Some(step) => factors::totp_accept(&mut tx, account, step as i64, true, now).await?,
            None => false,
        };
        let mut e = self_event(ctx, "account.totp.enable", &s.principal);
        if !ok {
            e.outcome = Some(Outcome::Failed);
            e.reason = "bad_code".into();
        }
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        if ok { Ok(()) } else { Err(wrong_code()) }
    }

    /// Turns the authenticator app off, after the password is entered again.
    pub async fn totp_disable(
        &self,
        s: &crate::sessions::Session,
        password: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        self.reauthenticate(&s.principal, password, "account.totp.disable", ctx)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        factors::totp_delete(&mut tx, s.principal.own_account()).await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.totp.disable", &s.principal),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// Signs in with login name and authenticator code (004 §第一節 三).
    /// A code works once, within one time step of drift either way; wrong
    /// and replayed codes count towards the lockout.
    pub async fn sign_in_totp(
        &self,
        login: &str,
        code: &str,
        captcha_id: &str,
        captcha_answer: &str,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        let method = SignInMethod::Totp;
        self.zone_gate(method, login, ctx).await?;
        // A captcha, as on the password tab: five scripted guesses would
        // otherwise lock anyone's account.
        self.captcha_gate(captcha_id, captcha_answer, login, method, ctx)
            .await?;
        let fail = crate::auth::attempt_event(ctx, login, method.as_str());
        let (account, fail) = self.sign_in_subject(Subject::Login(login), fail).await?;
        let check = self.totp_check(account.id, code).await?;
        let checked: CheckedPassword = self.sign_in_verdict(account, fail, check, method).await?;
        self.start_session(checked, method, ctx).await
    }

    /// Checks and spends a sign-in code: `Err(reason)` when it is wrong.
    async fn totp_check(
        &self,
        account: AccountId,
        code: &str,
    ) -> Result<std::result::Result<(), &'static str>> {
        let t = factors::totp(&mut *self.db.read().await?, account).await?;
        let Some(t) = t.filter(|t| t.confirmed_at.is_some()) else {
            return Ok(Err("no_totp"));
        };
        let secret = self.master()?.open(&totp_kid(account), &t.sealed_secret)?;
        let Some(step) = totp_of(secret)?.check(&normalize_code(code), self.epoch()) else {
            return Ok(Err("bad_code"));
        };
        // Spent in its own transaction: of two requests with one code,
        // exactly one gets the step.
        let mut tx = self.db.begin().await?;
        let fresh = factors::totp_accept(&mut tx, account, step as i64, false, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(if fresh { Ok(()) } else { Err("code_replay") })
    }

    fn epoch(&self) -> u64 {
        self.now().unix_timestamp().max(0) as u64
    }

    /// 臨時密碼, step one: the bound backup e-mail and a captcha. If the
    /// address belongs to an active account, a one-time password goes to
    /// it. The answer is the same either way (a ticket for step two), so
    /// the page tells nobody which addresses are bound.
    pub async fn request_temp_password(
        &self,
        email: &str,
        captcha_id: &str,
        captcha_answer: &str,
        ctx: &Ctx,
    ) -> Result<String, SignInError> {
        let method = SignInMethod::TempPassword;
        let email = email.trim().to_lowercase();
        self.zone_gate(method, &email, ctx).await?;
        self.captcha_gate(captcha_id, captcha_answer, &email, method, ctx)
            .await?;
        let ticket = random_token(24)?;
        let now = self.now();
        let mut e = crate::event(ctx, "auth.temp_password.request");
        e.target_kind = "account".into();
        e.target_label = email.chars().take(60).collect();
        let found = if email.is_empty() || email.len() > 254 {
            None
        } else {
            accounts::find_by_backup_email(&mut *self.db.read().await?, &email).await?
        };
        let mut tx = self.db.begin().await?;
        match found {
            Some(a) if a.state == portico_core::account::AccountState::Active => {
                e.target_id = Some(a.id.0);
                e.target_label = a.login.clone();
                e.scope_path = a.unit_path.as_str().to_owned();
                let recent =
                    factors::temp_count_since(&mut tx, a.id, now - TEMP_PASSWORD_TTL).await?;
                if recent >= TEMP_PASSWORDS_PER_TTL {
                    e.outcome = Some(Outcome::Refused);
                    e.reason = "too_many".into();
                } else {
                    let code = temp_code()?;
                    factors::temp_insert(
                        &mut tx,
                        &token_hash(&ticket),
                        a.id,
                        &token_hash(&code),
                        now,
                        now + TEMP_PASSWORD_TTL,
                    )
                    .await?;
                    let t = crate::mail::temp_password(
                        &a.login,
                        &code,
                        TEMP_PASSWORD_TTL.whole_minutes(),
                    );
                    put(
                        &mut tx,
                        Outgoing {
                            channel: Channel::Mail,
                            to: &a.backup_email,
                            subject: t.subject,
                            body: t.body,
                            account: Some(a.id),
                            scope_path: a.unit_path.as_str(),
                            secret: true,
                        },
                        now,
                    )
                    .await?;
                }
            }
            Some(a) => {
                e.target_id = Some(a.id.0);
                e.target_label = a.login.clone();
                e.outcome = Some(Outcome::Refused);
                e.reason = "account_inactive".into();
            }
            None => {
                e.outcome = Some(Outcome::Failed);
                e.reason = "unknown_email".into();
            }
        }
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(ticket)
    }

    /// 臨時密碼, step two: the password from the mail and a new captcha.
    /// It works once, for ten minutes; wrong guesses count towards the
    /// account's lockout, and five end the ticket.
    pub async fn sign_in_temp_password(
        &self,
        ticket: &str,
        code: &str,
        captcha_id: &str,
        captcha_answer: &str,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        let method = SignInMethod::TempPassword;
        self.zone_gate(method, "", ctx).await?;
        self.captcha_gate(captcha_id, captcha_answer, "", method, ctx)
            .await?;
        let ticket_hash = token_hash(ticket);
        let row = if ticket.is_empty() || ticket.len() > 128 {
            None
        } else {
            factors::temp_get(&mut *self.db.read().await?, &ticket_hash).await?
        };
        let now = self.now();
        let mut fail = crate::auth::attempt_event(ctx, "", method.as_str());
        let unusable = match &row {
            None => Some("unknown_ticket"),
            Some(r) if r.used => Some("temp_password_used"),
            Some(r) if r.expires_at <= now => Some("temp_password_expired"),
            Some(r) if r.attempts >= TEMP_PASSWORD_ATTEMPTS => Some("too_many_attempts"),
            Some(_) => None,
        };
        if let (Some(reason), row) = (unusable, &row) {
            fail.target_id = row.as_ref().map(|r| r.account_id.0);
            return self.failed_attempt(fail, reason, method).await;
        }
        let row = row.ok_or(Error::NotFound)?;
        // A locked account answers like a wrong password here: otherwise six
        // guesses would tell which addresses are bound.
        let (account, fail) = match self
            .sign_in_subject(Subject::Account(row.account_id), fail)
            .await
        {
            Err(SignInError::Refused(_)) => return Err(SignInError::BadCredentials(method)),
            r => r?,
        };
        let typed = code.trim().to_uppercase();
        let right = constant_time_eq(token_hash(&typed).as_bytes(), row.code_hash.as_bytes());
        let mut tx = self.db.begin().await?;
        let check = if !right {
            factors::temp_fail(&mut tx, &ticket_hash).await?;
            Err("bad_temp_password")
        } else if factors::temp_spend(&mut tx, &ticket_hash, now).await? {
            Ok(())
        } else {
            Err("temp_password_used")
        };
        tx.commit().await.map_err(db_err)?;
        let checked = self.sign_in_verdict(account, fail, check, method).await?;
        self.start_session(checked, method, ctx).await
    }

    /// The methods an account has bound.
    pub async fn bound_methods(&self, account: AccountId) -> Result<factors::Bound> {
        factors::bound(&mut *self.db.read().await?, account).await
    }

    /// An admin removes a bound method of an account in their scope (a
    /// lost phone, a lost card): audited.
    pub async fn reset_method(
        &self,
        actor: &Principal,
        account: AccountId,
        method: SignInMethod,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (a, of) = self.managed(&mut tx, &admin, account).await?;
        let removed = match method {
            SignInMethod::Totp => factors::totp_delete(&mut tx, of.write()).await?,
            SignInMethod::Passkey => factors::passkey_delete(&mut tx, of.write(), None).await? > 0,
            SignInMethod::Certificate => factors::cert_delete(&mut tx, of.write(), None).await? > 0,
            _ => {
                return Err(Error::Refused(Msg::new(
                    "此登入方式沒有可重設的綁定",
                    "This method has nothing bound to reset",
                )));
            }
        };
        let mut e = admin_event(ctx, "account.method.reset", actor, &a);
        e.detail = serde_json::json!({"method": method.as_str(), "removed": removed}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// A temporary password: 10 characters from [`TEMP_ALPHABET`] (about 49
/// bits), good for one sign-in within ten minutes behind a captcha.
fn temp_code() -> Result<String> {
    let n = TEMP_ALPHABET.len();
    // Bytes at or above the largest multiple of the alphabet's size are
    // dropped, so every letter is equally likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(10);
    while out.len() < 10 {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
        for x in b.iter().map(|x| usize::from(*x)).filter(|x| *x < limit) {
            if out.len() < 10 {
                out.push(TEMP_ALPHABET[x % n] as char);
            }
        }
    }
    Ok(out)
}
