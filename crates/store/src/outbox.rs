//! SQL for the durable outbox. Messages are inserted inside the caller's
//! transaction; workers on any node claim due messages with a lease.
use crate::{Backend, Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::Error;
use portico_core::ids::AccountId;
use portico_core::outbox::{Channel, DeliveryState};
use portico_core::permission::{SystemAdmin, SystemWrite};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The message's identity at the peer: the Message-ID of a mail, the
    /// `clientid` of an SMS. A retry sends the same one.
    pub idem_key: String,
    pub state: DeliveryState,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub next_at: OffsetDateTime,
    pub last_error: String,
    pub account_id: Option<AccountId>,
    pub secret: bool,
    /// Until when the worker that claimed it owns it (epoch ms); the
    /// worker's updates name it, so a late one cannot overwrite another's.
    #[serde(skip)]
    pub lease_until: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Its channel only records (the demo's mailbox): "sent" means kept
    /// here, nothing left the machine. Set by the application, not stored.
    pub recorded: bool,
}

impl Message {
    /// The state as an admin reads it: a recorded message is "recorded",
    /// not "sent".
    pub fn state_label(&self) -> portico_core::Msg {
        if self.recorded && self.state == DeliveryState::Sent {
            portico_core::Msg::new(
                "已記錄（示範郵箱，未寄出）",
                "Recorded (demo mailbox, not sent)",
            )
        } else {
            self.state.label()
        }
    }
}

const COLS: &str = "id, channel, recipient, subject, body, idem_key, state, attempts, next_at, last_error, account_id, secret, lease_until, created_at, sent_at";

fn from_row(r: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: r.i64("id")?,
        channel: Channel::parse(&r.text("channel")?)
            .ok_or_else(|| Error::internal("bad outbox channel"))?,
        recipient: r.text("recipient")?,
        subject: r.text("subject")?,
        body: r.text("body")?,
        idem_key: r.text("idem_key")?,
        state: DeliveryState::parse(&r.text("state")?)
            .ok_or_else(|| Error::internal("bad outbox state"))?,
        attempts: r.i64("attempts")?,
        next_at: at(r.i64("next_at")?),
        last_error: r.text("last_error")?,
        account_id: r.opt_i64("account_id")?.map(AccountId),
        secret: r.flag("secret")?,
        lease_until: r.opt_i64("lease_until")?,
        created_at: at(r.i64("created_at")?),
        sent_at: r.opt_i64("sent_at")?.map(at),
        recorded: false,
    })
}

pub struct NewMessage<'a> {
    pub channel: Channel,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub idem_key: &'a str,
    pub account_id: Option<AccountId>,
    pub scope_path: &'a str,
    /// The body carries a code: it is removed once a real peer has it.
    pub secret: bool,
}

/// Adds a message, due now, in the caller's transaction: it is delivered
/// only if the change that caused it commits.
pub async fn enqueue(c: &mut Conn, m: &NewMessage<'_>, now: OffsetDateTime) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO outbox (channel, recipient, subject, body, idem_key, state, attempts, next_at, account_id, scope_path, secret, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8, $9, $6) RETURNING id",
    )
    .bind(m.channel.as_str())
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body)
    .bind(m.idem_key)
    .bind(ms(now))
    .bind(m.account_id.map(|a| a.0))
    .bind(m.scope_path)
    .bind(i64::from(m.secret))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    row.i64("id")
}

/// Claims up to `limit` due messages for `lease`, counting the attempt now
/// (a node that dies mid-delivery still used one). On PostgreSQL, workers on
/// other nodes skip the rows this one holds; on SQLite the single writer
/// serialises claims.
pub async fn claim(
    c: &mut Conn,
    backend: Backend,
    now: OffsetDateTime,
    lease: time::Duration,
    limit: i64,
) -> Result<Vec<Message>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id IN (\
           SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $2 \
           AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_at, id LIMIT $3{lock}) \
         RETURNING {COLS}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ms(now + lease))
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|m| m.id);
    Ok(out)
}

/// The text kept of a code-carrying message once a real peer has it:
/// nobody, an admin included, can read a live code from the outbox.
pub const REDACTED: &str =
    "（本訊息含驗證碼，送出後已自內容移除）\n(This message carried a code, removed after sending.)";

/// Marks a claimed message sent, if this worker still holds its lease
/// (false when the lease ran out and another took it). `redact` replaces a
/// code-carrying body.
pub async fn mark_sent(
    c: &mut Conn,
    m: &Message,
    now: OffsetDateTime,
    redact: bool,
) -> Result<bool> {
    let body = if redact && m.secret {
        REDACTED
    } else {
        m.body.as_str()
    };
    let r = sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = '', body = $2 \
         WHERE id = $3 AND lease_until = $4",
    )
    .bind(ms(now))
    .bind(body)
    .bind(m.id)
    .bind(m.lease_until)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed try of a claimed message (if this worker still holds
/// its lease): due again at `retry_at`, or failed for good.
pub async fn mark_failed(
    c: &mut Conn,
    m: &Message,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<bool> {
    let error: String = error.chars().take(500).collect();
    let q = match retry_at {
        Some(t) => sqlx::query(
            "UPDATE outbox SET next_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND lease_until = $4",
        )
        .bind(ms(t)),
        None => sqlx::query(
            "UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1 WHERE id = $2 AND lease_until = $3",
        ),
    };
    let r = q
        .bind(error)
        .bind(m.id)
        .bind(m.lease_until)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Removes sent messages older than `before` (the outbox is a queue, not
/// the record: the audit trail is).
pub async fn purge_sent(c: &mut Conn, before: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query("DELETE FROM outbox WHERE state = 'sent' AND sent_at < $1")
        .bind(ms(before))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// An admin sends a failed message again: due now, with fresh attempts.
/// Only a failed message can be retried (true when it was).
pub async fn retry(c: &mut Conn, _w: SystemWrite, id: i64, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_at = $1, lease_until = NULL WHERE id = $2 AND state = 'failed'",
    )
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

pub async fn get(c: &mut Conn, _admin: &SystemAdmin<'_>, id: i64) -> Result<Option<Message>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM outbox WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<DeliveryState>,
    pub channel: Option<Channel>,
    pub recipient: Option<String>,
}

/// The outbox, newest first.
pub async fn list(
    c: &mut Conn,
    _admin: &SystemAdmin<'_>,
    f: &Filter,
    page: u32,
    per_page: u32,
) -> Result<Page<Message>> {
    let mut filter = SqlBuf::new(" WHERE 1 = 1");
    if let Some(s) = f.state {
        filter.push(" AND state = ").t(s.as_str());
    }
    if let Some(ch) = f.channel {
        filter.push(" AND channel = ").t(ch.as_str());
    }
    if let Some(r) = f.recipient.as_deref().filter(|r| !r.is_empty()) {
        filter.push(" AND recipient = ").t(r);
    }
    let total = filter
        .under("SELECT COUNT(*) AS n FROM outbox")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = filter.under(&format!("SELECT {COLS} FROM outbox"));
    q.push(" ORDER BY id DESC LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(from_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// How many messages are in each state.
pub async fn counts(c: &mut Conn, _admin: &SystemAdmin<'_>) -> Result<Vec<(DeliveryState, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                DeliveryState::parse(&r.text("state")?)
                    .ok_or_else(|| Error::internal("bad outbox state"))?,
                r.i64("n")?,
            ))
        })
        .collect()
}
