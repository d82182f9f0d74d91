//! SQL for the sign-in factors besides the password: authenticator-app
//! secrets, temporary passwords, and what an admin sees of them.
use crate::{Conn, Result, RowExt, at, db_err, ms};
use portico_core::ids::AccountId;
use portico_core::permission::AccountWrite;
use time::OffsetDateTime;

/// An authenticator-app (TOTP) secret, sealed.
#[derive(Debug, Clone)]
pub struct Totp {
    pub sealed_secret: String,
    /// `None` until the first code confirmed it.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
    pub created_at: OffsetDateTime,
}

pub async fn totp(c: &mut Conn, account: AccountId) -> Result<Option<Totp>> {
    let row = sqlx::query(
        "SELECT sealed_secret, confirmed_at, last_step, created_at FROM account_totp WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(Totp {
            sealed_secret: r.text("sealed_secret")?,
            confirmed_at: r.opt_i64("confirmed_at")?.map(at),
            last_step: r.i64("last_step")?,
            created_at: at(r.i64("created_at")?),
        })
    })
    .transpose()
}

/// Replaces an unconfirmed secret (a new setup); false when a confirmed
/// one exists, which only turning it off removes.
pub async fn totp_begin(
    c: &mut Conn,
    account: AccountId,
    sealed: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    sqlx::query("DELETE FROM account_totp WHERE account_id = $1 AND confirmed_at IS NULL")
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let r = sqlx::query(
        "INSERT INTO account_totp (account_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(sealed)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Accepts a code's time step: confirms a pending secret, or uses a
/// confirmed one. False when the step is not newer than the last accepted
/// one (a replayed code) or the state differs from `confirming`.
pub async fn totp_accept(
    c: &mut Conn,
    account: AccountId,
    step: i64,
    confirming: bool,
    now: OffsetDateTime,
) -> Result<bool> {
    let q = if confirming {
        sqlx::query(
            "UPDATE account_totp SET last_step = $1, confirmed_at = $3 \
             WHERE account_id = $2 AND confirmed_at IS NULL AND last_step < $1",
        )
        .bind(step)
        .bind(account.0)
        .bind(ms(now))
    } else {
        sqlx::query(
            "UPDATE account_totp SET last_step = $1 \
             WHERE account_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(account.0)
    };
    let r = q.execute(&mut *c).await.map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn totp_delete(c: &mut Conn, w: AccountWrite) -> Result<bool> {
    let account = w.id();
    let r = sqlx::query("DELETE FROM account_totp WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() > 0)
}

/// A temporary password waiting to be used.
#[derive(Debug, Clone)]
pub struct TempPassword {
    pub account_id: AccountId,
    pub code_hash: String,
    pub expires_at: OffsetDateTime,
    pub attempts: i64,
    pub used: bool,
}

pub async fn temp_insert(
    c: &mut Conn,
    ticket_hash: &str,
    account: AccountId,
    code_hash: &str,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO temp_passwords (ticket_hash, account_id, code_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ticket_hash)
    .bind(account.0)
    .bind(code_hash)
    .bind(ms(now))
    .bind(ms(expires))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// How many temporary passwords an account was sent since `since`.
pub async fn temp_count_since(
    c: &mut Conn,
    account: AccountId,
    since: OffsetDateTime,
) -> Result<i64> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM temp_passwords WHERE account_id = $1 AND created_at >= $2",
    )
    .bind(account.0)
    .bind(ms(since))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?
    .i64("n")
}

pub async fn temp_get(c: &mut Conn, ticket_hash: &str) -> Result<Option<TempPassword>> {
    let row = sqlx::query(
        "SELECT account_id, code_hash, expires_at, attempts, used_at FROM temp_passwords WHERE ticket_hash = $1",
    )
    .bind(ticket_hash)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(TempPassword {
            account_id: AccountId(r.i64("account_id")?),
            code_hash: r.text("code_hash")?,
            expires_at: at(r.i64("expires_at")?),
            attempts: r.i64("attempts")?,
            used: r.opt_i64("used_at")?.is_some(),
        })
    })
    .transpose()
}

/// Counts a wrong guess at a temporary password.
pub async fn temp_fail(c: &mut Conn, ticket_hash: &str) -> Result<()> {
    sqlx::query("UPDATE temp_passwords SET attempts = attempts + 1 WHERE ticket_hash = $1")
        .bind(ticket_hash)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Spends a temporary password: false when it was spent already.
pub async fn temp_spend(c: &mut Conn, ticket_hash: &str, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE temp_passwords SET used_at = $1 WHERE ticket_hash = $2 AND used_at IS NULL",
    )
    .bind(ms(now))
    .bind(ticket_hash)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Removes expired temporary passwords and challenges.
pub async fn purge(c: &mut Conn, now: OffsetDateTime) -> Result<u64> {
    let a = sqlx::query("DELETE FROM temp_passwords WHERE expires_at < $1")
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let b = sqlx::query("DELETE FROM auth_challenges WHERE expires_at < $1")
        .bind(ms(now))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(a.rows_affected() + b.rows_affected())
}

/// The methods an account has bound, for the personal and admin pages.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Bound {
    /// When the authenticator app was confirmed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub totp: Option<OffsetDateTime>,
    pub passkeys: i64,
    pub certificates: i64,
}

pub async fn bound(c: &mut Conn, account: AccountId) -> Result<Bound> {
    let row = sqlx::query(
        "SELECT (SELECT confirmed_at FROM account_totp WHERE account_id = $1) AS totp, \
         (SELECT COUNT(*) FROM passkeys WHERE account_id = $1) AS passkeys, \
         (SELECT COUNT(*) FROM account_certs WHERE account_id = $1) AS certs",
    )
    .bind(account.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(Bound {
        totp: row.opt_i64("totp")?.map(at),
        passkeys: row.i64("passkeys")?,
        certificates: row.i64("certs")?,
    })
}

/// A passkey as the personal page lists it.
#[derive(Debug, Clone)]
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub credential_id: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

pub async fn passkeys_of(c: &mut Conn, account: AccountId) -> Result<Vec<PasskeyRow>> {
    let rows = sqlx::query(
        "SELECT id, name, credential_id, created_at, last_used_at FROM passkeys \
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(PasskeyRow {
                id: r.i64("id")?,
                name: r.text("name")?,
                credential_id: r.text("credential_id")?,
                created_at: at(r.i64("created_at")?),
                last_used_at: r.opt_i64("last_used_at")?.map(at),
            })
        })
        .collect()
}

/// A stored passkey found by its credential id: (row id, account, the
/// credential as the WebAuthn library serialised it).
pub async fn passkey_by_credential(
    c: &mut Conn,
    credential_id: &str,
) -> Result<Option<(i64, AccountId, String)>> {
    let row = sqlx::query("SELECT id, account_id, passkey FROM passkeys WHERE credential_id = $1")
        .bind(credential_id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| {
        Ok((
            r.i64("id")?,
            AccountId(r.i64("account_id")?),
            r.text("passkey")?,
        ))
    })
    .transpose()
}

pub async fn passkey_insert(
    c: &mut Conn,
    account: AccountId,
    credential_id: &str,
    name: &str,
    passkey: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO passkeys (account_id, credential_id, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.0)
    .bind(credential_id)
    .bind(name)
    .bind(passkey)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(crate::unique_on(
        "credential",
        portico_core::Msg::new("此通行金鑰已註冊", "This passkey is registered already"),
    ))?;
    Ok(())
}

/// Stores a used passkey's new counter, only if `before` is still what is
/// stored: of two sign-ins with one assertion, one updates.
pub async fn passkey_used(
    c: &mut Conn,
    id: i64,
    before: &str,
    after: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3 AND passkey = $4",
    )
    .bind(after)
    .bind(ms(now))
    .bind(id)
    .bind(before)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn passkey_rename(c: &mut Conn, account: AccountId, id: i64, name: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND account_id = $3")
        .bind(name)
        .bind(id)
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Removes one passkey (`Some(id)`) or all of an account's.
pub async fn passkey_delete(c: &mut Conn, w: AccountWrite, id: Option<i64>) -> Result<u64> {
    let account = w.id();
    let r = match id {
        Some(id) => sqlx::query("DELETE FROM passkeys WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0),
        None => sqlx::query("DELETE FROM passkeys WHERE account_id = $1").bind(account.0),
    }
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// Keeps a ceremony's state under the hash of the handle the browser gets.
pub async fn challenge_put(
    c: &mut Conn,
    id_hash: &str,
    kind: &str,
    account: Option<AccountId>,
    data: &str,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO auth_challenges (id, kind, account_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id_hash)
    .bind(kind)
    .bind(account.map(|a| a.0))
    .bind(data)
    .bind(ms(now))
    .bind(ms(expires))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Spends a challenge of `kind`: its account and state, once, before it
/// expires; `None` when unknown, spent, expired or of another kind.
pub async fn challenge_take(
    c: &mut Conn,
    id_hash: &str,
    kind: &str,
    now: OffsetDateTime,
) -> Result<Option<(Option<AccountId>, String)>> {
    let r = sqlx::query(
        "UPDATE auth_challenges SET used_at = $1 WHERE id = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(ms(now))
    .bind(id_hash)
    .bind(kind)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT account_id, data FROM auth_challenges WHERE id = $1")
        .bind(id_hash)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(Some((
        row.opt_i64("account_id")?.map(AccountId),
        row.text("data")?,
    )))
}

/// A citizen certificate bound to an account.
#[derive(Debug, Clone)]
pub struct BoundCert {
    pub id: i64,
    pub account_id: AccountId,
    pub issuer: String,
    pub serial: String,
    pub subject: String,
    pub not_after: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

const CERT_COLS: &str =
    "id, account_id, issuer, serial, subject, not_after, created_at, last_used_at";

fn bound_cert(r: &sqlx::any::AnyRow) -> Result<BoundCert> {
    Ok(BoundCert {
        id: r.i64("id")?,
        account_id: AccountId(r.i64("account_id")?),
        issuer: r.text("issuer")?,
        serial: r.text("serial")?,
        subject: r.text("subject")?,
        not_after: at(r.i64("not_after")?),
        created_at: at(r.i64("created_at")?),
        last_used_at: r.opt_i64("last_used_at")?.map(at),
    })
}

pub async fn certs_of(c: &mut Conn, account: AccountId) -> Result<Vec<BoundCert>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM account_certs WHERE account_id = $1 ORDER BY id"
    )))
    .bind(account.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(bound_cert)
    .collect()
}

pub async fn cert_by_serial(c: &mut Conn, issuer: &str, serial: &str) -> Result<Option<BoundCert>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM account_certs WHERE issuer = $1 AND serial = $2"
    )))
    .bind(issuer)
    .bind(serial)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(bound_cert)
    .transpose()
}

/// Binds a certificate; a conflict when it is bound already (to anyone).
pub async fn cert_insert(
    c: &mut Conn,
    account: AccountId,
    issuer: &str,
    serial: &str,
    subject: &str,
    not_after: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_certs (account_id, issuer, serial, subject, not_after, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account.0)
    .bind(issuer)
    .bind(serial)
    .bind(subject)
    .bind(ms(not_after))
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(crate::unique_on(
        "certificate",
        portico_core::Msg::new(
            "此自然人憑證已綁定帳號；如需改綁，請先於原帳號解除綁定",
            "This card is bound to an account already; unbind it there first",
        ),
    ))?;
    Ok(())
}

pub async fn cert_used(c: &mut Conn, id: i64, now: OffsetDateTime) -> Result<()> {
    sqlx::query("UPDATE account_certs SET last_used_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Unbinds one certificate (`Some(id)`) or all of an account's.
pub async fn cert_delete(c: &mut Conn, w: AccountWrite, id: Option<i64>) -> Result<u64> {
    let account = w.id();
    let r = match id {
        Some(id) => sqlx::query("DELETE FROM account_certs WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0),
        None => sqlx::query("DELETE FROM account_certs WHERE account_id = $1").bind(account.0),
    }
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// A live challenge of `kind` (not spent, not expired): its account and
/// state, without spending it (a mobile-ID transaction being polled).
pub async fn challenge_peek(
    c: &mut Conn,
    id_hash: &str,
    kind: &str,
    now: OffsetDateTime,
) -> Result<Option<(Option<AccountId>, String)>> {
    let row = sqlx::query(
        "SELECT account_id, data FROM auth_challenges WHERE id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(id_hash)
    .bind(kind)
    .bind(ms(now))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| Ok((r.opt_i64("account_id")?.map(AccountId), r.text("data")?)))
        .transpose()
}

/// Replaces a live challenge's state, only if it is still `before`: of two
/// polls at once, one goes to the outside service.
pub async fn challenge_update(
    c: &mut Conn,
    id_hash: &str,
    before: &str,
    after: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE auth_challenges SET data = $1 WHERE id = $2 AND data = $3 AND used_at IS NULL",
    )
    .bind(after)
    .bind(id_hash)
    .bind(before)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}
