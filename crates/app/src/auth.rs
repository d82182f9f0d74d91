//! Password sign-in. 004 §第一節 五 (一般登入): login name, password and
//! an image captcha; the gates every method passes (network zone, lockout,
//! account state) and the session it starts. The session itself is
//! `sessions.rs`.
use crate::sessions::NewSession;
use crate::{App, Ctx, Result, event, random_token, token_hash};
use portico_core::account::{SignInRefusal, sign_in_gate};
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_core::permission::{Principal, Unattended};
use portico_core::zone::SignInMethod;
use portico_core::{Error, Msg};
use portico_store::{accounts, audit, db_err, login_failures, sessions};

/// Sign-in writes the account's own bookkeeping (the failure counter, the
/// last sign-in) before any session exists.
const SIGN_IN: Unattended = Unattended::unattended("sign-in bookkeeping");

/// Why a sign-in failed, with what the page says.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong login or secret: one generic message per method, whatever
    /// was wrong.
    BadCredentials(SignInMethod),
    /// The method is not offered where the request comes from.
    OutsideNetwork,
    /// An outside service (mobile ID) refused or could not answer; the
    /// message says what to do.
    Service(Msg),
    /// The captcha was wrong, expired or already used.
    BadCaptcha,
    /// The credentials were right (or the account is locked), but the
    /// account may not sign in now.
    Refused(SignInRefusal),
    Other(Error),
}

impl SignInError {
    pub fn message(&self) -> Msg {
        match self {
            SignInError::BadCredentials(m) => bad_credentials(*m),
            SignInError::OutsideNetwork => Msg::new(
                "您目前不在府內網路，此登入方式僅限府內使用；請改用自然人憑證、行動自然人憑證或通行金鑰登入。",
                "You are outside the government network, where this method is not allowed; sign in with the citizen certificate card, mobile ID or a passkey.",
            ),
            SignInError::BadCaptcha => crate::captcha::wrong_captcha(),
            SignInError::Refused(r) => r.message(),
            SignInError::Service(m) => m.clone(),
            SignInError::Other(_) => Msg::new(
                "系統暫時無法登入，請稍後再試",
                "Sign-in is unavailable right now; try again shortly",
            ),
        }
    }
}

fn bad_credentials(m: SignInMethod) -> Msg {
    match m {
        SignInMethod::Totp => Msg::new(
            "帳號或動態驗證碼錯誤",
            "Wrong login name or authenticator code",
        ),
        SignInMethod::TempPassword => Msg::new(
            "臨時密碼錯誤或已失效，請重新申請",
            "The temporary password is wrong or no longer valid; ask for a new one",
        ),
        SignInMethod::Certificate => Msg::new(
            "自然人憑證驗證失敗，或此憑證尚未綁定帳號",
            "The card could not be verified, or it is not bound to an account",
        ),
        SignInMethod::MobileId => {
            Msg::new("行動自然人憑證驗證失敗", "Mobile ID verification failed")
        }
        SignInMethod::Passkey => Msg::new(
            "通行金鑰驗證失敗，或此通行金鑰未註冊",
            "The passkey could not be verified, or it is not registered",
        ),
        // Applicants sign in with a password only once approved and
        // activated; said to everyone, so it tells nobody who applied.
        SignInMethod::Password => Msg::new(
            "帳號或密碼錯誤。剛申請帳號者，須經機關管理者核准並完成「開通帳號」設定密碼後才能登入。",
            "Wrong login name or password. If you have just applied for an account, you can sign in once your agency administrator has approved it and you have set a password under \"Activate my account\".",
        ),
    }
}

/// Who a sign-in attempt names.
pub(crate) enum Subject<'a> {
    Login(&'a str),
    Account(AccountId),
}

fn ctx_ip(ctx: &Ctx) -> Option<std::net::IpAddr> {
    ctx.address()
}

/// The method recorded in an attempt's event detail.
fn method_of(e: &audit::NewEvent) -> SignInMethod {
    serde_json::from_str::<serde_json::Value>(&e.detail)
        .ok()
        .and_then(|v| v.get("method")?.as_str().and_then(SignInMethod::parse))
        .unwrap_or(SignInMethod::Password)
}

impl From<Error> for SignInError {
    fn from(e: Error) -> Self {
        SignInError::Other(e)
    }
}

pub struct Credentials<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub captcha_id: &'a str,
    pub captcha_answer: &'a str,
}

impl App {
    /// Signs in with login name, password and captcha.
    pub async fn sign_in(
        &self,
        cred: &Credentials<'_>,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        self.zone_gate(SignInMethod::Password, cred.login, ctx)
            .await?;
        self.captcha_gate(
            cred.captcha_id,
            cred.captcha_answer,
            cred.login,
            SignInMethod::Password,
            ctx,
        )
        .await?;
        let checked = self
            .check_password(cred.login, cred.password, ctx, "password", "")
            .await?;
        self.start_session(checked, SignInMethod::Password, ctx)
            .await
    }

    /// Spends a captcha in its own transaction, so a wrong guess at it
    /// cannot be retried; a wrong one is audited as a failed sign-in.
    pub(crate) async fn captcha_gate(
        &self,
        id: &str,
        answer: &str,
        login: &str,
        method: SignInMethod,
        ctx: &Ctx,
    ) -> Result<(), SignInError> {
        let mut tx = self.db.begin().await?;
        let ok = self.spend_captcha(&mut tx, id, answer).await?;
        if !ok {
            let mut fail = attempt_event(ctx, login, method.as_str());
            fail.outcome = Some(Outcome::Failed);
            fail.reason = "captcha".into();
            audit::append(&mut tx, &fail, self.now()).await?;
        }
        tx.commit().await.map_err(db_err)?;
        if ok {
            Ok(())
        } else {
            Err(SignInError::BadCaptcha)
        }
    }

    /// The sign-in methods offered to a request from this address.
    pub async fn methods_for(&self, ctx: &Ctx) -> Result<(bool, Vec<SignInMethod>)> {
        let zones = self.zones().await?;
        let internal = ctx_ip(ctx).is_some_and(|ip| zones.is_internal(ip));
        let offered = SignInMethod::ALL
            .into_iter()
            .filter(|m| {
                self.method_available(*m) && (internal || zones.outside_methods.contains(m))
            })
            .collect();
        Ok((internal, offered))
    }

    /// Whether a method is configured here: the card needs trust anchors,
    /// mobile ID the service's address and key, passkeys a public URL.
    pub fn method_available(&self, m: SignInMethod) -> bool {
        match m {
            SignInMethod::Certificate => self.card_enabled(),
            SignInMethod::Passkey => self.webauthn.is_some(),
            SignInMethod::MobileId => self.mobile_id_enabled(),
            SignInMethod::Password | SignInMethod::Totp | SignInMethod::TempPassword => true,
        }
    }

    /// Refuses, and audits, a method the request's network zone does not
    /// allow (004 §第一節 壹: outside the government network only the
    /// certificate methods).
    pub(crate) async fn zone_gate(
        &self,
        method: SignInMethod,
        login: &str,
        ctx: &Ctx,
    ) -> Result<(), SignInError> {
        let zones = self.zones().await?;
        // An unknown address (a proxy forwarded none) is outside.
        let allowed = match ctx_ip(ctx) {
            Some(ip) => zones.allows(method, ip),
            None => zones.outside_methods.contains(&method),
        };
        if allowed {
            return Ok(());
        }
        let mut e = attempt_event(ctx, login, method.as_str());
        e.outcome = Some(Outcome::Refused);
        e.reason = "outside_network".into();
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Err(SignInError::OutsideNetwork)
    }

    /// Starts the session of a sign-in that passed its checks, in the
    /// checks' transaction, and commits.
    pub(crate) async fn start_session(
        &self,
        checked: CheckedPassword,
        method: SignInMethod,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        let mut tx = checked.tx;
        let now = self.now();
        accounts::record_sign_in(&mut tx, SIGN_IN.account(checked.account.id), now).await?;
        let token = random_token(32)?;
        let csrf = random_token(24)?;
        sessions::insert(
            &mut tx,
            &sessions::NewSession {
                id_hash: &token_hash(&token),
                account: checked.account.id,
                csrf: &csrf,
                method: method.as_str(),
                ip: &ctx.ip,
                user_agent: &ctx.user_agent,
            },
            now,
        )
        .await?;
        let mut ok_ev = checked.event;
        if checked.password_due {
            ok_ev.reason = "password_change_required".into();
        }
        audit::append(&mut tx, &ok_ev, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(NewSession {
            token,
            account_id: checked.account.id,
            must_change_password: checked.password_due,
        })
    }

    /// Checks a login name and password under the sign-in rules: the
    /// lockout counter, the account's state, password expiry. Every failure
    /// is audited (as `auth.sign_in` with the given method) and committed;
    /// on success the caller gets the open transaction, the account row
    /// locked, and the success event to append after its own writes.
    /// `via` names an application for the account-verification API.
    pub(crate) async fn check_password(
        &self,
        login: &str,
        password: &str,
        ctx: &Ctx,
        method: &str,
        via: &str,
    ) -> Result<CheckedPassword, SignInError> {
        let mut fail = attempt_event(ctx, login, method);
        if !via.is_empty() {
            fail.detail = serde_json::json!({"method": method, "app": via}).to_string();
        }
        let found = self.sign_in_subject(Subject::Login(login), fail).await;
        let (account, fail) = match found {
            Ok(f) => f,
            Err(e) => {
                if matches!(e, SignInError::BadCredentials(_)) {
                    // As slow as a real check, so timing does not tell
                    // which logins exist; and busy like a real check, so a
                    // full pool does not tell either.
                    self.hasher.verify(password, None).await?;
                }
                return Err(e);
            }
        };
        let ok = self
            .hasher
            .verify(password, account.password_hash.as_deref())
            .await?;
        self.sign_in_verdict(
            account,
            fail,
            ok.then_some(()).ok_or("bad_password"),
            SignInMethod::Password,
        )
        .await
    }

    /// The signed-in person enters the password again before binding or
    /// removing a sign-in method. A wrong one is audited under `action`
    /// and counts towards the lockout, as at sign-in: a stolen session
    /// cannot guess it freely.
    pub(crate) async fn reauthenticate(
        &self,
        p: &Principal,
        password: &str,
        action: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let wrong = || {
            Error::invalid(
                "password",
                Msg::new(
                    "密碼不正確，請輸入目前的密碼以確認是您本人",
                    "The password is wrong; enter your current password to confirm it is you",
                ),
            )
        };
        let fail = self_event(ctx, action, p);
        let as_error = |e: SignInError| match e {
            SignInError::Other(e) => e,
            SignInError::Refused(r) => Error::Refused(r.message()),
            _ => wrong(),
        };
        let (account, fail) = self
            .sign_in_subject(Subject::Account(p.account_id()), fail)
            .await
            .map_err(as_error)?;
        let ok = self
            .hasher
            .verify(password, account.password_hash.as_deref())
            .await?;
        let checked = self
            .sign_in_verdict(
                account,
                fail,
                ok.then_some(()).ok_or("bad_password"),
                SignInMethod::Password,
            )
            .await
            .map_err(as_error)?;
        // Right: nothing to write; the caller audits what it does next.
        checked.tx.commit().await.map_err(db_err)
    }

    /// Audits an attempt that failed before it could name an account (an
    /// unknown ticket, challenge or credential), and refuses it.
    pub(crate) async fn failed_attempt(
        &self,
        mut fail: audit::NewEvent,
        reason: &str,
        method: SignInMethod,
    ) -> Result<NewSession, SignInError> {
        fail.outcome = Some(Outcome::Failed);
        fail.reason = reason.to_owned();
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, &fail, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Err(SignInError::BadCredentials(method))
    }

    /// The account a sign-in attempt names, unless it is unknown or locked
    /// (both audited and committed). `fail` is the attempt's event.
    pub(crate) async fn sign_in_subject(
        &self,
        who: Subject<'_>,
        mut fail: audit::NewEvent,
    ) -> Result<(accounts::Account, audit::NewEvent), SignInError> {
        let method = method_of(&fail);
        let mut name = None;
        let account = match who {
            Subject::Login(login) => match portico_core::text::LoginName::parse(login) {
                Ok(l) => {
                    let a =
                        accounts::find_by_login(&mut *self.db.read().await?, l.as_str()).await?;
                    name = Some(l);
                    a
                }
                Err(_) => None,
            },
            Subject::Account(id) => accounts::get(&mut *self.db.read().await?, id).await?,
        };
        let Some(account) = account else {
            return Err(self.unknown_login(name, fail, method).await?);
        };
        fail.target_id = Some(account.id.0);
        fail.target_label = account.login.clone();
        fail.scope_path = account.unit_path.as_str().to_owned();

        // A locked account is refused without looking at the secret, so
        // guessing cannot go on while it is locked.
        if let Err(r @ SignInRefusal::Locked { .. }) =
            sign_in_gate(account.state, account.locked_until, self.now())
        {
            let mut tx = self.db.begin().await?;
            fail.outcome = Some(Outcome::Refused);
            fail.reason = r.code().into();
            audit::append(&mut tx, &fail, self.now()).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(SignInError::Refused(r));
        }
        Ok((account, fail))
    }

    /// A sign-in under a name no account has. A name that could be an
    /// account's counts failures and locks exactly as an account does, so
    /// "locked" tells nobody whether the name exists (only a name no
    /// account could ever have is simply wrong). Audited and committed.
    async fn unknown_login(
        &self,
        name: Option<portico_core::text::LoginName>,
        mut fail: audit::NewEvent,
        method: SignInMethod,
    ) -> Result<SignInError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut answer = SignInError::BadCredentials(method);
        fail.outcome = Some(Outcome::Failed);
        fail.reason = "unknown_login".into();
        if let Some(name) = name {
            let key = name.as_str();
            let prev = login_failures::get(&mut tx, key).await?;
            match prev {
                Some((_, _, Some(until))) if until > now => {
                    fail.outcome = Some(Outcome::Refused);
                    fail.reason = "unknown_login_locked".into();
                    answer = SignInError::Refused(SignInRefusal::Locked { until });
                }
                _ => {
                    let settings = self.settings().await?;
                    let f = settings
                        .lockout
                        .register_failure(prev.map(|(n, start, _)| (n, start)), now);
                    login_failures::record(&mut tx, key, &f).await?;
                }
            }
        }
        audit::append(&mut tx, &fail, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(answer)
    }

    /// Concludes a sign-in attempt whose secret was checked: a wrong one
    /// (`Err(reason)`) counts towards the lockout; a right one must still
    /// pass the account's state. Failures are audited and committed.
    pub(crate) async fn sign_in_verdict(
        &self,
        account: accounts::Account,
        mut fail: audit::NewEvent,
        check: std::result::Result<(), &str>,
        method: SignInMethod,
    ) -> Result<CheckedPassword, SignInError> {
        let settings = self.settings().await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, account.id).await?;
        // Re-read under the lock: another attempt may have counted meanwhile.
        let fresh = accounts::get(&mut tx, account.id)
            .await?
            .ok_or(Error::NotFound)?;
        if let Err(reason) = check {
            let prev = fresh
                .failed_window_start
                .map(|s| (fresh.failed_count.max(0) as u32, s));
            let f = settings.lockout.register_failure(prev, now);
            accounts::record_failure(&mut tx, SIGN_IN.account(account.id), &f, now).await?;
            fail.outcome = Some(Outcome::Failed);
            fail.reason = if f.locked_until.is_some() {
                format!("{reason}_locked")
            } else {
                reason.to_owned()
            };
            audit::append(&mut tx, &fail, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(SignInError::BadCredentials(method));
        }
        if let Err(r) = sign_in_gate(fresh.state, fresh.locked_until, now) {
            fail.outcome = Some(Outcome::Refused);
            fail.reason = r.code().into();
            audit::append(&mut tx, &fail, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(SignInError::Refused(r));
        }
        let expired = fresh
            .password_changed_at
            .is_some_and(|t| settings.password.is_expired(t, now));
        let mut ok_ev = fail;
        ok_ev.actor_id = Some(account.id.0);
        ok_ev.actor_login = account.login.clone();
        ok_ev.target_label = account.login.clone();
        ok_ev.outcome = Some(Outcome::Ok);
        Ok(CheckedPassword {
            tx,
            password_due: fresh.must_change_password || expired,
            account: fresh,
            event: ok_ev,
        })
    }
}

/// The audit event of a sign-in attempt, before its outcome is known.
pub(crate) fn attempt_event(ctx: &Ctx, login: &str, method: &str) -> audit::NewEvent {
    let label: String = login.trim().chars().take(40).collect();
    let mut e = event(ctx, "auth.sign_in");
    e.actor_login = label.clone();
    e.target_kind = "account".into();
    e.target_label = label;
    e.detail = serde_json::json!({ "method": method }).to_string();
    e
}

/// A password that passed [`App::check_password`].
pub(crate) struct CheckedPassword {
    pub tx: portico_store::Tx,
    pub account: accounts::Account,
    /// The password has expired or an admin asked for a new one.
    pub password_due: bool,
    /// The success event, to append once the caller's writes are done.
    pub event: audit::NewEvent,
}

/// An event a person causes about their own account.
pub(crate) fn self_event(ctx: &Ctx, action: &str, p: &Principal) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(p.account_id().0);
    e.actor_login = p.login().to_owned();
    e.target_kind = "account".into();
    e.target_id = Some(p.account_id().0);
    e.target_label = p.login().to_owned();
    e.scope_path = p.unit_path().as_str().to_owned();
    e
}

/// An event an admin causes about an account.
pub(crate) fn admin_event(
    ctx: &Ctx,
    action: &str,
    actor: &Principal,
    target: &accounts::Account,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "account".into();
    e.target_id = Some(target.id.0);
    e.target_label = target.login.clone();
    e.scope_path = target.unit_path.as_str().to_owned();
    e
}
