//! SQL for one-time verification codes and the short-lived proof that a
//! code was accepted. Only hashes are stored.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::ids::AccountId;
use time::OffsetDateTime;

pub struct NewCode<'a> {
    pub purpose: &'a str,
    pub address: &'a str,
    pub code_hash: &'a str,
    pub expires_at: OffsetDateTime,
    pub ip: &'a str,
}

/// Stores a new code; earlier unused codes for the same purpose and address
/// stop counting (only the newest one is accepted).
pub async fn insert(c: &mut Conn, n: &NewCode<'_>, now: OffsetDateTime) -> Result<()> {
    sqlx::query(
        "UPDATE verification_codes SET used_at = $1 WHERE purpose = $2 AND address = $3 AND used_at IS NULL",
    )
    .bind(ms(now))
    .bind(n.purpose)
    .bind(n.address)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO verification_codes (purpose, address, code_hash, tries, expires_at, ip, created_at) \
         VALUES ($1, $2, $3, 0, $4, $5, $6)",
    )
    .bind(n.purpose)
    .bind(n.address)
    .bind(n.code_hash)
    .bind(ms(n.expires_at))
    .bind(n.ip)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Codes sent to an address, and for a client address, since `since`.
pub async fn sends_since(
    c: &mut Conn,
    address: &str,
    ip: &str,
    since: OffsetDateTime,
) -> Result<(i64, i64)> {
    let r = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM verification_codes WHERE address = $1 AND created_at >= $3) AS by_address, \
                (SELECT COUNT(*) FROM verification_codes WHERE ip = $2 AND created_at >= $3) AS by_ip",
    )
    .bind(address)
    .bind(ip)
    .bind(ms(since))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok((r.i64("by_address")?, r.i64("by_ip")?))
}

#[derive(Debug, Clone)]
pub struct OpenCode {
    pub id: i64,
    pub code_hash: String,
    pub tries: i64,
    pub expires_at: OffsetDateTime,
}

/// The newest unused code for this purpose and address.
pub async fn open(c: &mut Conn, purpose: &str, address: &str) -> Result<Option<OpenCode>> {
    let row = sqlx::query(
        "SELECT id, code_hash, tries, expires_at FROM verification_codes \
         WHERE purpose = $1 AND address = $2 AND used_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(purpose)
    .bind(address)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(OpenCode {
            id: r.i64("id")?,
            code_hash: r.text("code_hash")?,
            tries: r.i64("tries")?,
            expires_at: at(r.i64("expires_at")?),
        })
    })
    .transpose()
}

/// Counts one try, if the code has tries left and is unused: false when
/// it has none (the limit holds under parallel guesses).
pub async fn claim_try(c: &mut Conn, id: i64, max: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE verification_codes SET tries = tries + 1 WHERE id = $1 AND tries < $2 AND used_at IS NULL",
    )
    .bind(id)
    .bind(max)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Uses the code up, once: false when another request used it first.
pub async fn consume(c: &mut Conn, id: i64, now: OffsetDateTime) -> Result<bool> {
    let r =
        sqlx::query("UPDATE verification_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Proof of a verified address, for the next step of a signed-out flow.
#[derive(Debug, Clone)]
pub struct Verified {
    pub purpose: String,
    pub address: String,
    pub account_id: Option<AccountId>,
    pub expires_at: OffsetDateTime,
}

pub async fn insert_verified(
    c: &mut Conn,
    token_hash: &str,
    v: &Verified,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO verified_tokens (token_hash, purpose, address, account_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(&v.purpose)
    .bind(&v.address)
    .bind(v.account_id.map(|a| a.0))
    .bind(ms(v.expires_at))
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn verified(c: &mut Conn, token_hash: &str) -> Result<Option<Verified>> {
    let row = sqlx::query(
        "SELECT purpose, address, account_id, expires_at FROM verified_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(Verified {
            purpose: r.text("purpose")?,
            address: r.text("address")?,
            account_id: r.opt_i64("account_id")?.map(AccountId),
            expires_at: at(r.i64("expires_at")?),
        })
    })
    .transpose()
}

/// Ends a proof once the step it allowed is done: false when it was
/// already used (a double submit).
pub async fn delete_verified(c: &mut Conn, token_hash: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM verified_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Removes expired proofs and codes older than a day.
pub async fn purge(c: &mut Conn, now: OffsetDateTime) -> Result<u64> {
    let a = sqlx::query("DELETE FROM verified_tokens WHERE expires_at < $1")
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected();
    let b = sqlx::query("DELETE FROM verification_codes WHERE created_at < $1")
        .bind(ms(now - time::Duration::days(1)))
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(a + b)
}
