//! Sessions: what a page needs about the signed-in person from one lookup
//! (by the cookie's token or an API access token), the idle clock, signing
//! out here or everywhere, and the purge of idle ones. Signing in is
//! `auth.rs`.
use crate::oidc::TokenUse;
use crate::{App, Ctx, Result, token_hash};
use portico_core::ids::AccountId;
use portico_core::permission::Principal;
use portico_core::zone::SignInMethod;
use portico_store::{accounts, audit, db_err, roles, sessions};
use time::{Duration, OffsetDateTime};

use crate::auth::self_event;

/// A new session: the cookie's secret token (only its hash is stored).
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub account_id: AccountId,
    /// The password has expired or an admin asked for a new one.
    pub must_change_password: bool,
}

/// Everything a page needs about the signed-in person, from one session
/// lookup.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub principal: Principal,
    pub csrf: String,
    pub lang: String,
    pub theme: String,
    pub has_avatar: bool,
    /// Seconds until the session ends if nothing happens.
    pub idle_remaining: i64,
    /// Days until the password expires, when it expires at all.
    pub password_days_left: Option<i64>,
    pub must_change_password: bool,
    /// The sign-in before this one (上次登入); `None` the first time.
    pub prev_sign_in_at: Option<OffsetDateTime>,
    /// The latest failed attempt on this account since that sign-in, if
    /// any: shown beside it, so a person can spot someone else's try.
    pub failed_since: Option<OffsetDateTime>,
    /// The agency the person's unit belongs to (the home page's tiles).
    pub agency_id: Option<portico_core::ids::OrgUnitId>,
    /// When this session's sign-in happened (OIDC `auth_time`).
    pub auth_time: OffsetDateTime,
    /// How this session signed in.
    pub method: SignInMethod,
    /// The person is repair staff of a listed repair type: 報修處理狀況回報
    /// is in their menu.
    pub repairs: bool,
}

struct SessionBits {
    id_hash: String,
    csrf: String,
    idle_remaining: i64,
    auth_time: OffsetDateTime,
    method: SignInMethod,
    repairs: bool,
}

fn session_of(
    a: accounts::Account,
    grants: Vec<roles::Grant>,
    settings: &portico_core::settings::SystemSettings,
    now: OffsetDateTime,
    b: SessionBits,
) -> Session {
    let days_left = a
        .password_changed_at
        .and_then(|t| settings.password.days_left(t, now));
    let failed_since = a.failed_since_prev_sign_in();
    Session {
        id_hash: b.id_hash,
        principal: Principal::from_session(
            a.id,
            a.login,
            a.name,
            a.unit_path,
            grants.iter().map(|g| g.role()).collect(),
        ),
        csrf: b.csrf,
        lang: a.lang,
        theme: a.theme,
        has_avatar: a.has_avatar,
        idle_remaining: b.idle_remaining,
        password_days_left: days_left,
        prev_sign_in_at: a.prev_sign_in_at,
        failed_since,
        agency_id: a.agency_id,
        auth_time: b.auth_time,
        method: b.method,
        repairs: b.repairs,
        must_change_password: a.must_change_password
            || a.password_changed_at
                .is_some_and(|t| settings.password.is_expired(t, now)),
    }
}

impl App {
    /// Finds the session behind a cookie token. Ends it when idle too long.
    /// Refreshes its idle clock at most once a minute, so most requests are
    /// reads only.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let id_hash = token_hash(token);
        let settings = self.settings().await?;
        let now = self.now();
        let idle = Duration::minutes(i64::from(settings.session_idle_minutes));
        let mut c = self.db.read().await?;
        let Some(s) = sessions::get(&mut c, &id_hash).await? else {
            return Ok(None);
        };
        if s.last_seen_at + idle <= now {
            drop(c);
            let mut tx = self.db.begin().await?;
            sessions::delete(&mut tx, &id_hash, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        }
        let Some(a) = accounts::get(&mut c, s.account_id).await? else {
            return Ok(None);
        };
        if a.state != portico_core::account::AccountState::Active {
            return Ok(None);
        }
        let grants = roles::of_account(&mut c, a.id).await?;
        let repairs = portico_store::bookings::is_repair_staff(&mut c, a.id).await?;
        drop(c);
        let mut last_seen = s.last_seen_at;
        if now - s.last_seen_at >= Duration::minutes(1) {
            let mut tx = self.db.begin().await?;
            sessions::touch(&mut tx, &id_hash, now).await?;
            tx.commit().await.map_err(db_err)?;
            last_seen = now;
        }
        Ok(Some(session_of(
            a,
            grants,
            &settings,
            now,
            SessionBits {
                id_hash,
                csrf: s.csrf,
                idle_remaining: (last_seen + idle - now).whole_seconds().max(0),
                auth_time: s.created_at,
                method: SignInMethod::parse(&s.method).unwrap_or(SignInMethod::Password),
                repairs,
            },
        )))
    }

    /// The person behind an OAuth access token allowed to call the JSON API
    /// (scope `portico.api`), as a session without a cookie: no CSRF token
    /// (a bearer token is not sent by browsers on their own), no idle clock.
    pub async fn bearer_session(&self, token: &str) -> Result<TokenUse<Session>> {
        let Some(t) = self.verify_access_token(token).await? else {
            return Ok(TokenUse::Invalid);
        };
        // The scope was granted, and the client is still approved for it.
        let (Some(account), true) = (t.account, t.has_scope("portico.api") && t.api_access) else {
            return Ok(TokenUse::Insufficient("portico.api"));
        };
        let settings = self.settings().await?;
        let mut c = self.db.read().await?;
        let Some(a) = accounts::get(&mut c, account).await? else {
            return Ok(TokenUse::Invalid);
        };
        let grants = roles::of_account(&mut c, a.id).await?;
        let now = self.now();
        Ok(TokenUse::Granted(session_of(
            a,
            grants,
            &settings,
            now,
            SessionBits {
                id_hash: String::new(),
                csrf: String::new(),
                idle_remaining: (t.exp - now.unix_timestamp()).max(0),
                auth_time: now,
                // What the token's sign-in was is not carried in the
                // token; a bearer session counts as the weakest.
                method: SignInMethod::Password,
                repairs: false,
            },
        )))
    }

    /// The person a calendar feed reads as, with their roles as they are
    /// now: `None` unless the account is active.
    pub(crate) async fn principal_now(&self, id: AccountId) -> Result<Option<Principal>> {
        let settings = self.settings().await?;
        let mut c = self.db.read().await?;
        let Some(a) = accounts::get(&mut c, id).await? else {
            return Ok(None);
        };
        if a.state != portico_core::account::AccountState::Active {
            return Ok(None);
        }
        let grants = roles::of_account(&mut c, a.id).await?;
        let now = self.now();
        let s = session_of(
            a,
            grants,
            &settings,
            now,
            SessionBits {
                id_hash: String::new(),
                csrf: String::new(),
                idle_remaining: 0,
                auth_time: now,
                method: SignInMethod::Password,
                repairs: false,
            },
        );
        Ok(Some(s.principal))
    }

    /// "延長作業時間": restarts the idle clock now.
    pub async fn extend_session(&self, s: &Session) -> Result<i64> {
        let settings = self.settings().await?;
        let mut tx = self.db.begin().await?;
        sessions::touch(&mut tx, &s.id_hash, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(i64::from(settings.session_idle_minutes) * 60)
    }

    /// Signs out of this session only, and of what it granted to
    /// applications (their refresh tokens).
    pub async fn sign_out(&self, s: &Session, ctx: &Ctx) -> Result<()> {
        let detail = serde_json::json!({ "method": s.method.as_str() }).to_string();
        self.end_session_with(s, ctx, detail).await
    }

    /// Ends one session and the refresh tokens it granted; `detail` says
    /// how, for the audit event.
    pub(crate) async fn end_session_with(
        &self,
        s: &Session,
        ctx: &Ctx,
        detail: String,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        end_one(&mut tx, &s.id_hash, now).await?;
        let mut e = self_event(ctx, "auth.sign_out", &s.principal);
        e.detail = detail;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Signs out of every session of this account, on every device.
    pub async fn sign_out_everywhere(&self, s: &Session, ctx: &Ctx) -> Result<u64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let n = sessions::delete_all_of(&mut tx, s.principal.account_id(), now).await?;
        let mut e = self_event(ctx, "auth.sign_out_everywhere", &s.principal);
        e.detail = format!(r#"{{"sessions":{n}}}"#);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// Removes sessions idle past the timeout (a periodic job).
    pub async fn purge_idle_sessions(&self) -> Result<u64> {
        let settings = self.settings().await?;
        let now = self.now();
        let cutoff: OffsetDateTime =
            now - Duration::minutes(i64::from(settings.session_idle_minutes));
        let mut tx = self.db.begin().await?;
        let n = sessions::delete_idle(&mut tx, cutoff, now).await?;
        portico_store::captchas::delete_expired(&mut tx, now).await?;
        portico_store::factors::purge(&mut tx, now).await?;
        let window = Duration::minutes(i64::from(settings.lockout.window_minutes));
        portico_store::login_failures::purge(&mut tx, now - window, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }
}

/// Ends one session with the refresh tokens it granted (its applications
/// are told by the store).
async fn end_one(tx: &mut portico_store::Conn, id_hash: &str, now: OffsetDateTime) -> Result<()> {
    sessions::delete(tx, id_hash, now).await?;
    portico_store::oauth::revoke(tx, portico_store::oauth::Grants::Session(id_hash), now).await?;
    Ok(())
}

/// One of the person's sessions, as their sessions page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MySession {
    /// The handle the page and the API use to end it (the `sid` the
    /// applications were given, never the cookie's hash).
    pub sid: String,
    /// The session this request came with.
    pub current: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    pub ip: String,
    pub user_agent: String,
    pub method: SignInMethod,
}

impl App {
    /// The person's own sessions (this one first) and the applications
    /// they signed into or that hold a grant of theirs.
    pub async fn my_sessions(
        &self,
        s: &Session,
    ) -> Result<(Vec<MySession>, Vec<portico_store::oauth::SignedInto>)> {
        let me = s.principal.account_id();
        let mut c = self.db.read().await?;
        let mut list: Vec<MySession> = sessions::list_of(&mut c, me)
            .await?
            .into_iter()
            .map(|l| MySession {
                sid: crate::oidc::logout::sid_of_hash(&l.id_hash),
                current: l.id_hash == s.id_hash,
                created_at: l.created_at,
                last_seen_at: l.last_seen_at,
                ip: l.ip,
                user_agent: l.user_agent,
                method: SignInMethod::parse(&l.method).unwrap_or(SignInMethod::Password),
            })
            .collect();
        list.sort_by_key(|m| !m.current);
        let apps = portico_store::oauth::signed_into_by(&mut c, me, self.now()).await?;
        Ok((list, apps))
    }

    /// Ends another of the person's sessions (a browser left signed in
    /// elsewhere), with what it granted to applications; they are told.
    pub async fn end_my_session(&self, s: &Session, sid: &str, ctx: &Ctx) -> Result<()> {
        let me = s.principal.account_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let target = sessions::list_of(&mut tx, me)
            .await?
            .into_iter()
            .find(|l| crate::oidc::logout::sid_of_hash(&l.id_hash) == sid)
            .ok_or(portico_core::Error::NotFound)?;
        if target.id_hash == s.id_hash {
            return Err(portico_core::Error::Refused(portico_core::Msg::new(
                "這是您目前使用的工作階段，請使用「登出」",
                "This is the session you are using; sign out instead",
            )));
        }
        end_one(&mut tx, &target.id_hash, now).await?;
        let mut e = self_event(ctx, "auth.session.end", &s.principal);
        e.detail = serde_json::json!({
            "ip": target.ip,
            "method": target.method,
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Ends one application's access for the person: its refresh tokens
    /// are revoked, and it is told the person's sessions there ended.
    pub async fn end_my_application(&self, s: &Session, app_id: i64, ctx: &Ctx) -> Result<()> {
        let me = s.principal.account_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let apps = portico_store::oauth::signed_into_by(&mut tx, me, now).await?;
        let app = apps
            .iter()
            .find(|a| a.app_id == app_id)
            .ok_or(portico_core::Error::NotFound)?;
        let revoked = portico_store::oauth::revoke_app_grants(&mut tx, me, app_id, now).await?;
        sessions::forget_application(&mut tx, me, app_id, now).await?;
        let mut e = self_event(ctx, "account.app.revoke", &s.principal);
        e.target_kind = "app".into();
        e.target_id = Some(app_id);
        e.target_label = app.name.clone();
        e.detail = serde_json::json!({ "app": app.name, "grants": revoked }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }
}
