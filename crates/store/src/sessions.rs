//! SQL for sessions. A session row is keyed by the SHA-256 of the cookie's
//! token, so a copy of the table signs nobody in.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::ids::AccountId;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub account_id: AccountId,
    pub csrf: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// How it signed in (`SignInMethod::as_str`).
    pub method: String,
}

/// A session to start.
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub account: AccountId,
    pub csrf: &'a str,
    pub method: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert(c: &mut Conn, s: &NewSession<'_>, now: OffsetDateTime) -> Result<()> {
    sqlx::query("INSERT INTO sessions (id, account_id, csrf, created_at, last_seen_at, ip, user_agent, method) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)")
        .bind(s.id_hash)
        .bind(s.account.0)
        .bind(s.csrf)
        .bind(ms(now))
        .bind(s.ip)
        .bind(s.user_agent)
        .bind(s.method)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn get(c: &mut Conn, id_hash: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT id, account_id, csrf, created_at, last_seen_at, method FROM sessions WHERE id = $1",
    )
    .bind(id_hash)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(Session {
            id: r.text("id")?,
            account_id: AccountId(r.i64("account_id")?),
            csrf: r.text("csrf")?,
            created_at: at(r.i64("created_at")?),
            last_seen_at: at(r.i64("last_seen_at")?),
            method: r.text("method")?,
        })
    })
    .transpose()
}

pub async fn touch(c: &mut Conn, id_hash: &str, now: OffsetDateTime) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id_hash)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn delete(c: &mut Conn, id_hash: &str, now: OffsetDateTime) -> Result<()> {
    tell_applications(c, Ending::One(id_hash), now).await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id_hash)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Ends every session of an account, and what the sessions granted to
/// applications (their refresh tokens); returns how many sessions ended.
/// Every way of signing a person out everywhere (disable, password reset,
/// agency change, sign out everywhere) goes through here. Such tokens get
/// `revoked_at = 0`: revoked, at the time the audit event of the sign-out
/// records.
pub async fn delete_all_of(c: &mut Conn, account: AccountId, now: OffsetDateTime) -> Result<u64> {
    tell_applications(c, Ending::AllOf(account), now).await?;
    let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "UPDATE oauth_refresh SET revoked_at = 0 WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

pub async fn delete_idle(
    c: &mut Conn,
    idle_since: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<u64> {
    tell_applications(c, Ending::IdleSince(idle_since), now).await?;
    let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
        .bind(ms(idle_since))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// A session as its person sees it on the sessions page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    #[serde(skip)]
    pub id_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    pub ip: String,
    pub user_agent: String,
    pub method: String,
}

/// An account's sessions, the latest used first.
pub async fn list_of(c: &mut Conn, account: AccountId) -> Result<Vec<Listed>> {
    let rows = sqlx::query(
        "SELECT id, created_at, last_seen_at, ip, user_agent, method FROM sessions WHERE account_id = $1 ORDER BY last_seen_at DESC LIMIT 100",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                id_hash: r.text("id")?,
                created_at: at(r.i64("created_at")?),
                last_seen_at: at(r.i64("last_seen_at")?),
                ip: r.text("ip")?,
                user_agent: r.text("user_agent")?,
                method: r.text("method")?,
            })
        })
        .collect()
}

/// Forgets that this account's sessions signed into one application, and
/// tells it (back-channel logout): the person ended the application's
/// access from their sessions page.
pub async fn forget_application(
    c: &mut Conn,
    account: AccountId,
    app_id: i64,
    now: OffsetDateTime,
) -> Result<()> {
    tell_applications(c, Ending::AppOf(account, app_id), now).await
}

pub async fn count_of(c: &mut Conn, account: AccountId) -> Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1")
        .bind(account.0)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")
}

/// Ends every session of an account but `keep` (after a password change),
/// with the application grants made under them.
pub async fn delete_others_of(
    c: &mut Conn,
    account: AccountId,
    keep: &str,
    now: OffsetDateTime,
) -> Result<u64> {
    tell_applications(c, Ending::OthersOf(account, keep), now).await?;
    let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
        .bind(account.0)
        .bind(keep)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE oauth_refresh SET revoked_at = 0 WHERE account_id = $1 AND session_hash <> $2 AND revoked_at IS NULL")
        .bind(account.0)
        .bind(keep)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// Which sessions are ending.
enum Ending<'a> {
    One(&'a str),
    AllOf(AccountId),
    OthersOf(AccountId, &'a str),
    IdleSince(OffsetDateTime),
    /// Not sessions: one application's sign-ins under every session of
    /// the account.
    AppOf(AccountId, i64),
}

/// Before sessions end, in the same transaction: a back-channel logout
/// queued in the outbox for every application they signed into that
/// registered a logout URI (OpenID Connect Back-Channel Logout 1.0), and
/// the record of those sign-ins removed. Every way a session ends goes
/// through the functions above, so none is missed.
async fn tell_applications(c: &mut Conn, ending: Ending<'_>, now: OffsetDateTime) -> Result<()> {
    // `{a}` and `{b}` are the filter's parameters.
    let filter = match ending {
        Ending::One(_) => "o.session_hash = {a}",
        Ending::AllOf(_) => "o.account_id = {a}",
        Ending::OthersOf(..) => "o.account_id = {a} AND o.session_hash <> {b}",
        Ending::IdleSince(_) => {
            "o.session_hash IN (SELECT id FROM sessions WHERE last_seen_at < {a})"
        }
        Ending::AppOf(..) => "o.account_id = {a} AND o.app_id = {b}",
    };
    let queue = format!(
        "INSERT INTO outbox (channel, recipient, subject, body, idem_key, state, attempts, next_at, account_id, scope_path, secret, created_at) \
         SELECT 'logout', s.backchannel_logout_uri, a.client_id, o.sid, 'logout:' || a.client_id || ':' || o.sid, 'pending', 0, $1, o.account_id, '', 0, $1 \
         FROM oauth_sessions o JOIN apps a ON a.id = o.app_id \
         JOIN app_services s ON s.app_id = o.app_id AND s.kind = 'sso' AND s.state = 'approved' \
         WHERE s.backchannel_logout_uri <> '' AND {} \
         ON CONFLICT (idem_key) DO NOTHING",
        filter.replace("{a}", "$2").replace("{b}", "$3")
    );
    let forget = format!(
        "DELETE FROM oauth_sessions AS o WHERE {}",
        filter.replace("{a}", "$1").replace("{b}", "$2")
    );
    for (sql, with_now) in [(queue, true), (forget, false)] {
        // Built from the fixed filters above, never from input.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if with_now {
            q = q.bind(ms(now));
        }
        let q = match ending {
            Ending::One(id) => q.bind(id),
            Ending::AllOf(a) => q.bind(a.0),
            Ending::OthersOf(a, keep) => q.bind(a.0).bind(keep),
            Ending::IdleSince(t) => q.bind(ms(t)),
            Ending::AppOf(a, app) => q.bind(a.0).bind(app),
        };
        q.execute(&mut *c).await.map_err(db_err)?;
    }
    Ok(())
}
