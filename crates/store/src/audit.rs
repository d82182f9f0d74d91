//! SQL for the audit trail. Appending takes the chain's head row inside the
//! caller's transaction, so events are numbered and chained in commit order
//! on every node.
use crate::{Backend, Conn, Page, Result, RowExt, SqlBuf, at, backend_of, db_err, ms};
use portico_core::audit::{EventFields, Outcome};
use portico_core::permission::Visible;
use portico_core::{Error, ids::AccountId};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// An event about to be written.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub actor_id: Option<i64>,
    pub actor_login: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    /// The org path the event belongs to (the target's unit, else the
    /// actor's), so agency admins see the events of their subtree.
    pub scope_path: String,
    pub ip: String,
    pub user_agent: String,
    pub outcome: Option<Outcome>,
    pub reason: String,
    /// JSON with the event's particulars (method, changed fields …).
    pub detail: String,
}

/// A stored event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor_login: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub scope_path: String,
    pub ip: String,
    pub user_agent: String,
    pub outcome: String,
    pub reason: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            seq: self.seq,
            at_ms: ms(self.at),
            actor_id: self.actor_id,
            actor_login: &self.actor_login,
            action: &self.action,
            target_kind: &self.target_kind,
            target_id: self.target_id,
            target_label: &self.target_label,
            scope_path: &self.scope_path,
            ip: &self.ip,
            user_agent: &self.user_agent,
            outcome: &self.outcome,
            reason: &self.reason,
            detail: &self.detail,
        }
    }
}

const COLS: &str = "seq, at, actor_id, actor_login, action, target_kind, target_id, target_label, scope_path, ip, user_agent, outcome, reason, detail, prev_hash, hash";

fn from_row(r: &AnyRow) -> Result<Event> {
    Ok(Event {
        seq: r.i64("seq")?,
        at: at(r.i64("at")?),
        actor_id: r.opt_i64("actor_id")?,
        actor_login: r.text("actor_login")?,
        action: r.text("action")?,
        target_kind: r.text("target_kind")?,
        target_id: r.opt_i64("target_id")?,
        target_label: r.text("target_label")?,
        scope_path: r.text("scope_path")?,
        ip: r.text("ip")?,
        user_agent: r.text("user_agent")?,
        outcome: r.text("outcome")?,
        reason: r.text("reason")?,
        detail: r.text("detail")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// Appends an event to the chain, inside the caller's transaction.
pub async fn append(c: &mut Conn, e: &NewEvent, now: OffsetDateTime) -> Result<i64> {
    let seqs = append_many(c, &[(e, now)]).await?;
    seqs.first()
        .copied()
        .ok_or_else(|| portico_core::Error::internal("no event appended"))
}

/// One event of a batch with its place in the chain.
struct Chained<'e> {
    seq: i64,
    at_ms: i64,
    outcome: &'static str,
    e: &'e NewEvent,
    prev: String,
    hash: String,
}

/// Links `events` after the head `(last_seq, last_hash)`: their numbers,
/// hashes and the new head's hash.
fn chain<'e>(
    last_seq: i64,
    last_hash: String,
    events: &[(&'e NewEvent, OffsetDateTime)],
) -> (Vec<Chained<'e>>, String) {
    let mut prev = last_hash;
    let mut rows = Vec::with_capacity(events.len());
    for (i, (e, now)) in events.iter().enumerate() {
        let seq = last_seq + 1 + i as i64;
        let outcome = e.outcome.unwrap_or(Outcome::Ok).as_str();
        let at_ms = ms(*now);
        let fields = EventFields {
            seq,
            at_ms,
            actor_id: e.actor_id,
            actor_login: &e.actor_login,
            action: &e.action,
            target_kind: &e.target_kind,
            target_id: e.target_id,
            target_label: &e.target_label,
            scope_path: &e.scope_path,
            ip: &e.ip,
            user_agent: &e.user_agent,
            outcome,
            reason: &e.reason,
            detail: &e.detail,
        };
        let hash = fields.chain_hash(&prev);
        rows.push(Chained {
            seq,
            at_ms,
            outcome,
            e,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    (rows, prev)
}

/// The rows of a batch travel as one JSON array, so the statement that
/// inserts them has the same text for any batch size and stays prepared, and
/// binds one parameter however many rows there are.
fn rows_json(rows: &[Chained<'_>]) -> String {
    /// A row as the INSERT reads it: the columns by name, borrowed.
    #[derive(serde::Serialize)]
    struct Row<'a> {
        seq: i64,
        at: i64,
        actor_id: Option<i64>,
        actor_login: &'a str,
        action: &'a str,
        target_kind: &'a str,
        target_id: Option<i64>,
        target_label: &'a str,
        scope_path: &'a str,
        ip: &'a str,
        user_agent: &'a str,
        outcome: &'a str,
        reason: &'a str,
        detail: &'a str,
        prev_hash: &'a str,
        hash: &'a str,
    }
    let rows: Vec<Row<'_>> = rows
        .iter()
        .map(|r| Row {
            seq: r.seq,
            at: r.at_ms,
            actor_id: r.e.actor_id,
            actor_login: &r.e.actor_login,
            action: &r.e.action,
            target_kind: &r.e.target_kind,
            target_id: r.e.target_id,
            target_label: &r.e.target_label,
            scope_path: &r.e.scope_path,
            ip: &r.e.ip,
            user_agent: &r.e.user_agent,
            outcome: r.outcome,
            reason: &r.e.reason,
            detail: &r.e.detail,
            prev_hash: &r.prev,
            hash: &r.hash,
        })
        .collect();
    // Strings and integers only: serialising cannot fail.
    serde_json::to_string(&rows).unwrap_or_default()
}

/// `INSERT INTO audit_events … SELECT` the rows of the JSON array `$json`,
/// only if `cond` holds (SQL, or `TRUE`).
fn insert_json_sql(backend: Backend, json: &str, cond: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "INSERT INTO audit_events ({COLS}) SELECT {COLS} FROM json_to_recordset({json}::json) AS v(\
             seq BIGINT, at BIGINT, actor_id BIGINT, actor_login TEXT, action TEXT, target_kind TEXT, \
             target_id BIGINT, target_label TEXT, scope_path TEXT, ip TEXT, user_agent TEXT, outcome TEXT, \
             reason TEXT, detail TEXT, prev_hash TEXT, hash TEXT) WHERE {cond}"
        ),
        Backend::Sqlite => {
            let fields = COLS
                .split(", ")
                .map(|c| format!("v.value ->> '{c}'"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "INSERT INTO audit_events ({COLS}) SELECT {fields} FROM jsonb_each({json}) AS v WHERE {cond}"
            )
        }
    }
}

/// A statement per backend, built once.
fn built(
    backend: Backend,
    cell: &'static [std::sync::OnceLock<String>; 2],
    f: impl FnOnce() -> String,
) -> &'static str {
    cell[backend as usize].get_or_init(f)
}

/// Appends events to the chain in order, inside the caller's transaction,
/// moving the head once for all of them: what a group commit writes.
/// Returns their sequence numbers.
pub async fn append_many(c: &mut Conn, events: &[(&NewEvent, OffsetDateTime)]) -> Result<Vec<i64>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    Ok(append_many_head(c, events).await?.0)
}

/// `append_many`, also answering the head it left: `(seq, hash)`.
pub async fn append_many_head(
    c: &mut Conn,
    events: &[(&NewEvent, OffsetDateTime)],
) -> Result<(Vec<i64>, (i64, String))> {
    let n = events.len() as i64;
    // Advancing the head first takes its lock until commit (PostgreSQL) and
    // the write lock (SQLite): appends are serialised, the chain stays linear.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    let last = head.i64("seq")?;
    if events.is_empty() {
        return Ok((Vec::new(), (last, head.text("hash")?)));
    }
    // The chain is computed here, then written with one INSERT.
    let (rows, prev) = chain(last - n, head.text("hash")?, events);
    static SQL: [std::sync::OnceLock<String>; 2] = [const { std::sync::OnceLock::new() }; 2];
    let backend = backend_of(c);
    let sql = built(backend, &SQL, || insert_json_sql(backend, "$1", "TRUE"));
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rows_json(&rows))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok((rows.iter().map(|r| r.seq).collect(), (last, prev)))
}

/// Appends `events` after `head` in one round trip, on a connection with no
/// transaction open (where `append_many` takes five). The head moves only if
/// it is still `head`; when another transaction appended meanwhile nothing
/// is written and the answer is `None` (the caller then appends the locking
/// way).
///
/// On PostgreSQL it is one statement: a CTE moves the head and the INSERT
/// runs only if it did. On SQLite it is one script in its own transaction
/// (the driver runs a script's statements in one call to its connection
/// thread); the INSERT runs only if the head is now the one it set.
pub async fn append_after(
    c: &mut Conn,
    head: &(i64, String),
    events: &[(&NewEvent, OffsetDateTime)],
) -> Result<Option<(Vec<i64>, (i64, String))>> {
    if events.is_empty() {
        return Ok(Some((Vec::new(), head.clone())));
    }
    static SQL: [std::sync::OnceLock<String>; 2] = [const { std::sync::OnceLock::new() }; 2];
    let backend = backend_of(c);
    let sql = built(backend, &SQL, || match backend {
        Backend::Postgres => format!(
            "WITH h AS (UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4 RETURNING 1) {}",
            insert_json_sql(backend, "$5", "EXISTS (SELECT 1 FROM h)")
        ),
        Backend::Sqlite => format!(
            "BEGIN IMMEDIATE; \
             UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4; \
             {}; SELECT changes() AS n; COMMIT;",
            insert_json_sql(
                backend,
                "$5",
                "(SELECT seq = $1 AND hash = $2 FROM audit_head WHERE id = 1)"
            )
        ),
    });
    let (rows, last_hash) = chain(head.0, head.1.clone(), events);
    let last_seq = head.0 + rows.len() as i64;
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(last_seq)
        .bind(&last_hash)
        .bind(head.0)
        .bind(&head.1)
        .bind(rows_json(&rows));
    // PostgreSQL counts the rows inserted. SQLite's driver adds up every
    // statement of a script (a BEGIN repeats the count before it), so the
    // script reports the INSERT's own count; and it is fetched whole, since
    // the driver stops a script at the row a `fetch_one` asks for, before
    // its COMMIT.
    let done = match backend {
        Backend::Postgres => done.execute(&mut *c).await.map(|d| d.rows_affected()),
        Backend::Sqlite => done.fetch_all(&mut *c).await.and_then(|rows| {
            rows.first()
                .map_or(Ok(0), |r| sqlx::Row::try_get::<i64, _>(r, "n"))
                .map(|n| n as u64)
        }),
    };
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            if backend == Backend::Sqlite {
                // A script that failed part-way leaves its transaction
                // open: end it before the connection goes back to the pool.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *c).await;
            }
            return Err(db_err(e));
        }
    };
    if done != rows.len() as u64 {
        return Ok(None);
    }
    Ok(Some((
        rows.iter().map(|r| r.seq).collect(),
        (last_seq, last_hash),
    )))
}

/// Filters for browsing the trail.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub actor_login: Option<String>,
    /// An action or an action family (`auth.` matches every sign-in event).
    pub action_prefix: Option<String>,
    pub outcome: Option<Outcome>,
    pub target_id: Option<i64>,
    pub actor_id: Option<AccountId>,
    pub ip: Option<String>,
    /// The sign-in method an event's detail names (`SignInMethod::as_str`).
    pub method: Option<&'static str>,
}

/// The events an admin may read: in their scope, and none about an account
/// above them (its sign-ins, addresses and the reasons given about it are
/// that account's superiors' to read).
fn filtered(v: &Visible, f: &Filter) -> SqlBuf {
    let mut b = SqlBuf::new(" WHERE 1 = 1");
    b.scope(&v.scope, "scope_path");
    if v.ranks.is_some() {
        b.push(" AND (target_kind <> 'account' OR target_id IS NULL OR (1 = 1");
        b.not_above(v, "target_id");
        b.push("))");
    }
    if let Some(t) = f.from {
        b.push(" AND at >= ").i(ms(t));
    }
    if let Some(t) = f.until {
        b.push(" AND at < ").i(ms(t));
    }
    if let Some(l) = f.actor_login.as_deref().filter(|s| !s.is_empty()) {
        b.push(" AND actor_login = ").t(l);
    }
    if let Some(a) = f.action_prefix.as_deref().filter(|s| !s.is_empty()) {
        let (lo, hi) = portico_core::text::prefix_range(a);
        b.push(" AND action >= ").t(lo).push(" AND action < ").t(hi);
    }
    if let Some(o) = f.outcome {
        b.push(" AND outcome = ").t(o.as_str());
    }
    if let Some(t) = f.target_id {
        b.push(" AND target_id = ").i(t);
    }
    if let Some(a) = f.actor_id {
        b.push(" AND actor_id = ").i(a.0);
    }
    if let Some(ip) = f.ip.as_deref().filter(|s| !s.is_empty()) {
        b.push(" AND ip = ").t(ip);
    }
    // Searching by who or from where finds only what the admin is shown:
    // an actor above them (withheld on the page) matches no such search,
    // or the search would name them one query at a time.
    let by_actor = f.actor_login.as_deref().is_some_and(|s| !s.is_empty())
        || f.actor_id.is_some()
        || f.ip.as_deref().is_some_and(|s| !s.is_empty());
    if by_actor && v.ranks.is_some() {
        b.push(" AND (actor_id IS NULL OR NOT EXISTS (SELECT 1 FROM roles ar WHERE ar.account_id = actor_id) OR EXISTS (SELECT 1 FROM accounts aa JOIN org_units au ON au.id = aa.unit_id WHERE aa.id = actor_id");
        b.scope(&v.scope, "au.path");
        b.not_above(v, "aa.id");
        b.push("))");
    }
    if let Some(m) = f.method {
        // The detail is compact JSON written by the portal, and the method
        // one of its own names.
        b.push(" AND detail LIKE ")
            .t(format!("%\"method\":\"{m}\"%"));
    }
    b
}

/// A page of events, newest first, within the admin's scope.
pub async fn list(
    c: &mut Conn,
    scope: &Visible,
    f: &Filter,
    page: u32,
    per_page: u32,
) -> Result<Page<Event>> {
    let w = filtered(scope, f);
    let total = w
        .under("SELECT COUNT(*) AS n FROM audit_events")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = w.under(&format!("SELECT {COLS} FROM audit_events"));
    q.push(" ORDER BY seq DESC LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}

/// Every event matching, newest first, up to `limit` (for exports).
pub async fn export(c: &mut Conn, scope: &Visible, f: &Filter, limit: i64) -> Result<Vec<Event>> {
    let w = filtered(scope, f);
    let mut q = w.under(&format!("SELECT {COLS} FROM audit_events"));
    q.push(" ORDER BY seq DESC LIMIT ").i(limit);
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// One event, if the admin may read it (`filtered`'s rule).
pub async fn get_visible(c: &mut Conn, v: &Visible, seq: i64) -> Result<Option<Event>> {
    let mut w = filtered(v, &Filter::default());
    w.push(" AND seq = ").i(seq);
    let row = w
        .under(&format!("SELECT {COLS} FROM audit_events"))
        .query()
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get(c: &mut Conn, seq: i64) -> Result<Option<Event>> {
    let sql = format!("SELECT {COLS} FROM audit_events WHERE seq = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(seq)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// Events in sequence order from `after` on, `limit` at a time (for
/// verifying the chain without loading it whole).
pub async fn batch(c: &mut Conn, after: i64, limit: i64) -> Result<Vec<Event>> {
    let sql = format!("SELECT {COLS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

pub async fn head(c: &mut Conn) -> Result<(i64, String)> {
    let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    Ok((r.i64("seq")?, r.text("hash")?))
}

/// Reports a missing head as an internal error (the migration creates it).
pub fn missing_head() -> Error {
    Error::internal("audit head row missing")
}

/// The last purge's checkpoint: the chain verifies from the event after it.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub purged: i64,
    pub cutoff: OffsetDateTime,
    pub at: OffsetDateTime,
    pub signature: String,
}

impl Checkpoint {
    /// What the signature covers, in a fixed form.
    pub fn signed_text(
        seq: i64,
        hash: &str,
        purged: i64,
        cutoff: OffsetDateTime,
        at: OffsetDateTime,
    ) -> String {
        format!(
            "portico-audit-checkpoint:{seq}:{hash}:{purged}:{}:{}",
            ms(cutoff),
            ms(at)
        )
    }
    pub fn text(&self) -> String {
        Checkpoint::signed_text(self.seq, &self.hash, self.purged, self.cutoff, self.at)
    }
}

pub async fn checkpoint(c: &mut Conn) -> Result<Option<Checkpoint>> {
    let r = sqlx::query(
        "SELECT seq, hash, purged, cutoff, at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    r.map(|r| {
        Ok(Checkpoint {
            seq: r.i64("seq")?,
            hash: r.text("hash")?,
            purged: r.i64("purged")?,
            cutoff: at(r.i64("cutoff")?),
            at: at(r.i64("at")?),
            signature: r.text("signature")?,
        })
    })
    .transpose()
}

/// The last event that may go when everything before `cutoff` goes: the
/// one before the first event at or after it (so nothing younger goes,
/// whatever the nodes' clocks did), with its hash and how many events from
/// `after` on it ends. `None` when nothing is that old.
pub async fn purge_point(
    c: &mut Conn,
    after: i64,
    cutoff: OffsetDateTime,
) -> Result<Option<(i64, String, i64)>> {
    let r = sqlx::query(
        "SELECT COALESCE((SELECT MIN(seq) FROM audit_events WHERE at >= $1) - 1, (SELECT MAX(seq) FROM audit_events)) AS s",
    )
    .bind(ms(cutoff))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(s) = r.opt_i64("s")?.filter(|s| *s > after) else {
        return Ok(None);
    };
    let e = get(c, s)
        .await?
        .ok_or_else(|| Error::internal("purge point vanished"))?;
    Ok(Some((s, e.hash, s - after)))
}

/// Writes the checkpoint, then removes the events it covers and their
/// usage records (the delete trigger lets only a checkpoint's prefix go).
pub async fn purge_through(c: &mut Conn, cp: &Checkpoint) -> Result<u64> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, hash, purged, cutoff, at, signature) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(cp.seq)
    .bind(&cp.hash)
    .bind(cp.purged)
    .bind(ms(cp.cutoff))
    .bind(ms(cp.at))
    .bind(&cp.signature)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    sqlx::query("DELETE FROM usage_records WHERE seq <= $1")
        .bind(cp.seq)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let r = sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
        .bind(cp.seq)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected())
}
