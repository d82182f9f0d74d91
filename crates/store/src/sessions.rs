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

pub async fn delete(c: &mut Conn, id_hash: &str) -> Result<()> {
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
pub async fn delete_all_of(c: &mut Conn, account: AccountId) -> Result<u64> {
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

pub async fn delete_idle(c: &mut Conn, idle_since: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
        .bind(ms(idle_since))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
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
pub async fn delete_others_of(c: &mut Conn, account: AccountId, keep: &str) -> Result<u64> {
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
