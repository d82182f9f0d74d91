//! SQL for the OpenID provider's state: signing keys, authorization codes,
//! refresh tokens and revoked access tokens. Codes and refresh tokens are
//! kept as hashes; spending one is a conditional update, so a replay and
//! its original cannot both succeed.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::Error;
use portico_core::ids::AccountId;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub sealed: String,
    pub public_jwk: String,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

pub async fn insert_key(c: &mut Conn, k: &StoredKey) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_keys (kid, alg, sealed, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(&k.kid)
    .bind(&k.alg)
    .bind(&k.sealed)
    .bind(&k.public_jwk)
    .bind(ms(k.created_at))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Retires the current keys of an algorithm (all but `keep`).
pub async fn retire_keys(c: &mut Conn, alg: &str, keep: &str, now: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE oauth_keys SET retired_at = $1 WHERE alg = $2 AND kid <> $3 AND retired_at IS NULL",
    )
    .bind(ms(now))
    .bind(alg)
    .bind(keep)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// Keys still worth publishing: current ones, and retired ones younger than
/// `retired_after`.
pub async fn keys(c: &mut Conn, retired_after: OffsetDateTime) -> Result<Vec<StoredKey>> {
    sqlx::query(
        "SELECT kid, alg, sealed, public_jwk, created_at, retired_at FROM oauth_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid",
    )
    .bind(ms(retired_after))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(StoredKey {
            kid: r.text("kid")?,
            alg: r.text("alg")?,
            sealed: r.text("sealed")?,
            public_jwk: r.text("public_jwk")?,
            created_at: at(r.i64("created_at")?),
            retired_at: r.opt_i64("retired_at")?.map(at),
        })
    })
    .collect()
}

/// Deletes keys retired before `before` (their tokens have all expired).
pub async fn purge_keys(c: &mut Conn, before: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query("DELETE FROM oauth_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
        .bind(ms(before))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub app_id: i64,
    pub account_id: AccountId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: String,
    pub code_challenge: String,
    pub session_hash: String,
    pub auth_time: OffsetDateTime,
    /// How the session signed in (`SignInMethod::as_str`).
    pub method: String,
    /// The refresh-token family the code starts; a replayed code revokes it.
    pub family: String,
}

pub async fn insert_code(
    c: &mut Conn,
    code_hash: &str,
    g: &Grant,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, app_id, account_id, redirect_uri, scope, nonce, code_challenge, session_hash, \
         auth_time, family, created_at, expires_at, method) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(code_hash)
    .bind(g.app_id)
    .bind(g.account_id.0)
    .bind(&g.redirect_uri)
    .bind(&g.scope)
    .bind(&g.nonce)
    .bind(&g.code_challenge)
    .bind(&g.session_hash)
    .bind(ms(g.auth_time))
    .bind(&g.family)
    .bind(ms(now))
    .bind(ms(expires))
    .bind(&g.method)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A code looked up for spending.
#[derive(Debug, Clone)]
pub struct StoredCode {
    pub grant: Grant,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

pub async fn code(c: &mut Conn, code_hash: &str) -> Result<Option<StoredCode>> {
    let row = sqlx::query(
        "SELECT app_id, account_id, redirect_uri, scope, nonce, code_challenge, session_hash, auth_time, family, \
         expires_at, used_at, method FROM oauth_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(StoredCode {
        grant: Grant {
            app_id: r.i64("app_id")?,
            account_id: AccountId(r.i64("account_id")?),
            redirect_uri: r.text("redirect_uri")?,
            scope: r.text("scope")?,
            nonce: r.text("nonce")?,
            code_challenge: r.text("code_challenge")?,
            session_hash: r.text("session_hash")?,
            auth_time: at(r.i64("auth_time")?),
            method: r.text("method")?,
            family: r.text("family")?,
        },
        expires_at: at(r.i64("expires_at")?),
        used: r.opt_i64("used_at")?.is_some(),
    }))
}

/// Spends a code: false when it was spent already.
pub async fn spend_code(c: &mut Conn, code_hash: &str, now: OffsetDateTime) -> Result<bool> {
    let r =
        sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
            .bind(ms(now))
            .bind(code_hash)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct Refresh {
    pub family: String,
    pub app_id: i64,
    pub account_id: AccountId,
    pub scope: String,
    pub session_hash: String,
    pub auth_time: OffsetDateTime,
    pub method: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
    pub revoked: bool,
}

/// Records that a portal session signed into an application (an ID token
/// was issued under it, with this `sid`), if the session is still there:
/// when it ends, the application is told (`sessions::tell_applications`).
pub async fn signed_into(
    c: &mut Conn,
    session_hash: &str,
    app_id: i64,
    account: AccountId,
    sid: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_sessions (session_hash, app_id, account_id, sid, created_at, last_at) \
         SELECT $1, $2, $3, $4, $5, $5 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1) \
         ON CONFLICT (session_hash, app_id) DO UPDATE SET last_at = excluded.last_at",
    )
    .bind(session_hash)
    .bind(app_id)
    .bind(account.0)
    .bind(sid)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn insert_refresh(
    c: &mut Conn,
    token_hash: &str,
    r: &Refresh,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_refresh (token_hash, family, app_id, account_id, scope, session_hash, auth_time, created_at, expires_at, method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(token_hash)
    .bind(&r.family)
    .bind(r.app_id)
    .bind(r.account_id.0)
    .bind(&r.scope)
    .bind(&r.session_hash)
    .bind(ms(r.auth_time))
    .bind(ms(now))
    .bind(ms(r.expires_at))
    .bind(&r.method)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn refresh(c: &mut Conn, token_hash: &str) -> Result<Option<Refresh>> {
    let row = sqlx::query(
        "SELECT family, app_id, account_id, scope, session_hash, auth_time, expires_at, used_at, revoked_at, method \
         FROM oauth_refresh WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Refresh {
        family: r.text("family")?,
        app_id: r.i64("app_id")?,
        account_id: AccountId(r.i64("account_id")?),
        scope: r.text("scope")?,
        session_hash: r.text("session_hash")?,
        auth_time: at(r.i64("auth_time")?),
        method: r.text("method")?,
        expires_at: at(r.i64("expires_at")?),
        used: r.opt_i64("used_at")?.is_some(),
        revoked: r.opt_i64("revoked_at")?.is_some(),
    }))
}

/// Spends a refresh token for rotation: false when it was used or revoked.
pub async fn spend_refresh(c: &mut Conn, token_hash: &str, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE oauth_refresh SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(ms(now))
    .bind(token_hash)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Which refresh tokens a revocation ends.
#[derive(Debug, Clone, Copy)]
pub enum Grants<'a> {
    /// Every token descended from one code.
    Family(&'a str),
    /// Every token an account holds.
    Account(AccountId),
    /// Every token of an application (suspension).
    App(i64),
    /// The tokens issued under one portal session (its sign-out).
    Session(&'a str),
}

/// Revokes refresh tokens; returns how many.
pub async fn revoke(c: &mut Conn, which: Grants<'_>, now: OffsetDateTime) -> Result<u64> {
    let q = match which {
        Grants::Family(_) => {
            "UPDATE oauth_refresh SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL"
        }
        Grants::Account(_) => {
            "UPDATE oauth_refresh SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL"
        }
        Grants::App(_) => {
            "UPDATE oauth_refresh SET revoked_at = $1 WHERE app_id = $2 AND revoked_at IS NULL"
        }
        Grants::Session(_) => {
            "UPDATE oauth_refresh SET revoked_at = $1 WHERE session_hash = $2 AND revoked_at IS NULL"
        }
    };
    let q = sqlx::query(q).bind(ms(now));
    let q = match which {
        Grants::Family(f) => q.bind(f.to_owned()),
        Grants::Session("") => return Ok(0),
        Grants::Session(h) => q.bind(h.to_owned()),
        Grants::Account(a) => q.bind(a.0),
        Grants::App(a) => q.bind(a),
    };
    Ok(q.execute(&mut *c).await.map_err(db_err)?.rows_affected())
}

/// Has any token of this grant been revoked (the grant with it)?
pub async fn family_revoked(c: &mut Conn, family: &str) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 AS x FROM oauth_refresh WHERE family = $1 AND revoked_at IS NOT NULL LIMIT 1",
    )
    .bind(family)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .is_some())
}

pub async fn revoke_access(c: &mut Conn, jti: &str, expires: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_revoked (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(ms(expires))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn access_revoked(c: &mut Conn, jti: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 AS x FROM oauth_revoked WHERE jti = $1")
            .bind(jti)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?
            .is_some(),
    )
}

/// Removes expired codes, refresh tokens and revocations (a periodic job).
pub async fn purge(c: &mut Conn, now: OffsetDateTime) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM oauth_codes WHERE expires_at < $1",
        "DELETE FROM oauth_refresh WHERE expires_at < $1",
        "DELETE FROM oauth_revoked WHERE expires_at < $1",
    ] {
        n += sqlx::query(sql)
            .bind(ms(now))
            .execute(&mut *c)
            .await
            .map_err(db_err)?
            .rows_affected();
    }
    Ok(n)
}

/// An unknown stored value: a bug, never shown.
pub fn corrupt(what: &str) -> Error {
    Error::internal(format!("stored {what} is unreadable"))
}

/// An application a person signed into, or that holds their grant: what
/// the sessions page lists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedInto {
    pub app_id: i64,
    pub name: String,
    /// When it was last given an ID token or a refreshed grant.
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
    /// Refresh tokens still good: the application can act for the person
    /// without a new sign-in.
    pub grants: i64,
}

/// The applications an account signed into (under a live session) or that
/// hold a refresh token of it, the latest first.
pub async fn signed_into_by(
    c: &mut Conn,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<Vec<SignedInto>> {
    let rows = sqlx::query(
        "SELECT a.id AS app_id, a.name, MAX(x.at) AS last_at, SUM(x.grants) AS grants FROM ( \
           SELECT app_id, last_at AS at, 0 AS grants FROM oauth_sessions WHERE account_id = $1 \
           UNION ALL \
           SELECT app_id, created_at AS at, 1 AS grants FROM oauth_refresh \
             WHERE account_id = $1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $2 \
         ) x JOIN apps a ON a.id = x.app_id GROUP BY a.id, a.name ORDER BY MAX(x.at) DESC",
    )
    .bind(account.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(SignedInto {
                app_id: r.i64("app_id")?,
                name: r.text("name")?,
                last_at: at(r.i64("last_at")?),
                grants: r.i64("grants")?,
            })
        })
        .collect()
}

/// Revokes every refresh token one application holds for one account.
pub async fn revoke_app_grants(
    c: &mut Conn,
    account: AccountId,
    app_id: i64,
    now: OffsetDateTime,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE oauth_refresh SET revoked_at = $1 WHERE account_id = $2 AND app_id = $3 AND revoked_at IS NULL",
    )
    .bind(ms(now))
    .bind(account.0)
    .bind(app_id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}
