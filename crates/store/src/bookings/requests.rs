//! Booking requests and the custodian's decisions on them: an approval
//! takes one `booking_slots` row an hour, which the primary key holds
//! unique, so two approvals of overlapping hours cannot both commit.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::booking::{Kind, Span, State};
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::{AccountWrite, Keeper};
use portico_core::{Error, Msg};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// A booking request, as checked.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub kind: Kind,
    pub item_id: i64,
    pub driver_id: Option<i64>,
    pub unit_id: i64,
    pub span: Span,
    pub phone: &'a str,
    pub ext: &'a str,
    pub people: i64,
    pub host: &'a str,
    pub purpose: &'a str,
    pub destination: &'a str,
}

/// Files a person's request; it waits for the custodian.
pub async fn insert_booking(
    c: &mut Conn,
    who: AccountWrite,
    b: &NewBooking<'_>,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO bookings (kind, item_id, driver_id, account_id, unit_id, starts_at, ends_at, phone, ext, \
         people, host, purpose, destination, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14) RETURNING id",
    )
    .bind(b.kind.as_str())
    .bind(b.item_id)
    .bind(b.driver_id)
    .bind(who.id().0)
    .bind(b.unit_id)
    .bind(ms(b.span.start()))
    .bind(ms(b.span.end()))
    .bind(b.phone)
    .bind(b.ext)
    .bind(b.people)
    .bind(b.host)
    .bind(b.purpose)
    .bind(b.destination)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    r.i64("id")
}

/// A booking as its pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Booking {
    pub id: i64,
    pub kind: Kind,
    pub item_id: i64,
    pub item_name: String,
    /// The item in words (所在地 …).
    pub item_label: String,
    pub driver_id: Option<i64>,
    pub driver_name: String,
    pub account_id: AccountId,
    pub login: String,
    pub account_name: String,
    pub official_email: String,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub phone: String,
    pub ext: String,
    pub people: i64,
    pub host: String,
    pub purpose: String,
    pub destination: String,
    pub state: State,
    pub note: String,
    pub decided_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Booking {
    /// Its hours, as the day and whole hours in Taipei.
    pub fn span(&self) -> Span {
        let s = self.starts_at.to_offset(portico_core::time::TAIPEI);
        let hours = (self.ends_at - self.starts_at).whole_hours().clamp(1, 24) as u8;
        Span {
            date: s.date(),
            from: s.hour(),
            until: s.hour().saturating_add(hours).min(24),
        }
    }
}

const BOOKING_COLS: &str = "b.id, b.kind, b.item_id, COALESCE(i.name, '') AS item_name, COALESCE(i.label, '') AS item_label, \
     b.driver_id, COALESCE(dr.name, '') AS driver_name, b.account_id, \
     a.login, a.name AS account_name, a.official_email, b.unit_id, u.name AS unit_name, b.starts_at, b.ends_at, b.phone, \
     b.ext, b.people, b.host, b.purpose, b.destination, b.state, b.note, d.name AS decided_by_name, b.decided_at, b.created_at";
const BOOKING_FROM: &str = " FROM bookings b JOIN accounts a ON a.id = b.account_id JOIN org_units u ON u.id = b.unit_id \
     LEFT JOIN items i ON i.kind = b.kind AND i.id = b.item_id LEFT JOIN drivers dr ON dr.id = b.driver_id \
     LEFT JOIN accounts d ON d.id = b.decided_by";

fn booking_row(r: &AnyRow) -> Result<Booking> {
    Ok(Booking {
        id: r.i64("id")?,
        kind: Kind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("booking kind"))?,
        item_id: r.i64("item_id")?,
        item_name: r.text("item_name")?,
        item_label: r.text("item_label")?,
        driver_id: r.opt_i64("driver_id")?,
        driver_name: r.text("driver_name")?,
        account_id: AccountId(r.i64("account_id")?),
        login: r.text("login")?,
        account_name: r.text("account_name")?,
        official_email: r.text("official_email")?,
        unit_id: r.i64("unit_id")?,
        unit_name: r.text("unit_name")?,
        starts_at: at(r.i64("starts_at")?),
        ends_at: at(r.i64("ends_at")?),
        phone: r.text("phone")?,
        ext: r.text("ext")?,
        people: r.i64("people")?,
        host: r.text("host")?,
        purpose: r.text("purpose")?,
        destination: r.text("destination")?,
        state: State::parse(&r.text("state")?).ok_or_else(|| Error::internal("booking state"))?,
        note: r.text("note")?,
        decided_by_name: r.opt_text("decided_by_name")?,
        decided_at: r.opt_i64("decided_at")?.map(at),
        created_at: at(r.i64("created_at")?),
    })
}

pub async fn booking(c: &mut Conn, id: i64) -> Result<Option<Booking>> {
    let sql = format!("SELECT {BOOKING_COLS}{BOOKING_FROM} WHERE b.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.as_ref().map(booking_row).transpose()
}

fn taken() -> Error {
    Error::Conflict {
        field: "slot",
        message: Msg::new(
            "此時段已核准給另一筆申請，不能重複借用；請退回此申請或請申請人改選時段",
            "Another booking already holds these hours; reject this request or ask for other hours",
        ),
    }
}

/// Approves a pending request, taking its hours (and its driver's): if
/// any is held, nothing changes and the caller is told.
pub async fn approve(
    c: &mut Conn,
    k: &Keeper,
    id: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE bookings SET state = 'approved', note = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND kind = $5 AND item_id = $6 AND state = 'pending'",
    )
    .bind(note)
    .bind(k.by().map(|a| a.0))
    .bind(ms(now))
    .bind(id)
    .bind(k.kind().as_str())
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(|e| match db_err(e) {
        Error::Conflict { .. } => taken(),
        other => other,
    })?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    let b = booking(c, id).await?.ok_or(Error::NotFound)?;
    let mut holders = vec![(b.kind, b.item_id)];
    if let Some(d) = b.driver_id {
        holders.push((Kind::Driver, d));
    }
    for (kind, item) in holders {
        let mut t = b.starts_at;
        while t < b.ends_at {
            sqlx::query(
                "INSERT INTO booking_slots (kind, item_id, slot_at, booking_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(kind.as_str())
            .bind(item)
            .bind(ms(t))
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(|e| match db_err(e) {
                Error::Conflict { .. } => taken(),
                other => other,
            })?;
            t += time::Duration::hours(1);
        }
    }
    Ok(true)
}

/// Rejects a pending request with why.
pub async fn reject(
    c: &mut Conn,
    k: &Keeper,
    id: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE bookings SET state = 'rejected', note = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND kind = $5 AND item_id = $6 AND state = 'pending'",
    )
    .bind(note)
    .bind(k.by().map(|a| a.0))
    .bind(ms(now))
    .bind(id)
    .bind(k.kind().as_str())
    .bind(k.id())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// The person cancels their own request or booking before it begins; its
/// hours are free again.
pub async fn cancel(c: &mut Conn, who: AccountWrite, id: i64, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE bookings SET state = 'cancelled', cancelled_at = $1 WHERE id = $2 AND account_id = $3 \
         AND state IN ('pending', 'approved') AND starts_at > $1",
    )
    .bind(ms(now))
    .bind(id)
    .bind(who.id().0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM booking_slots WHERE booking_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(true)
}

/// Which bookings a list holds.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter<'a> {
    pub kind: Option<Kind>,
    /// One item's.
    pub item: Option<i64>,
    /// One driver's (派遣紀錄).
    pub driver: Option<i64>,
    /// One person's.
    pub account: Option<AccountId>,
    /// The items a person keeps, or those of agencies under these roots
    /// (`None` roots with `Some` person: only what they keep).
    pub kept_by: Option<(AccountId, &'a [TreePath])>,
    pub states: &'a [State],
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// 場地、登記者、借用單位或主持人, in part.
    pub q: Option<&'a str>,
}

/// Bookings by start, a page at a time (`per_page` 0: all).
pub async fn bookings(
    c: &mut Conn,
    f: &BookingFilter<'_>,
    page: u32,
    per_page: u32,
) -> Result<Page<Booking>> {
    let filter = |b: &mut SqlBuf| {
        b.push(" WHERE 1 = 1");
        if let Some(k) = f.kind {
            b.push(" AND b.kind = ").t(k.as_str());
        }
        if let Some(i) = f.item {
            b.push(" AND b.item_id = ").i(i);
        }
        if let Some(d) = f.driver {
            b.push(" AND b.driver_id = ").i(d);
        }
        if let Some(a) = f.account {
            b.push(" AND b.account_id = ").i(a.0);
        }
        if let Some((me, roots)) = f.kept_by {
            b.push(" AND (EXISTS (SELECT 1 FROM item_custodians k WHERE k.kind = b.kind AND k.item_id = b.item_id AND k.account_id = ")
                .i(me.0)
                .push(")");
            if !roots.is_empty() {
                b.push(" OR EXISTS (SELECT 1 FROM items ki JOIN org_units kg ON kg.id = ki.agency_id WHERE ki.kind = b.kind AND ki.id = b.item_id");
                b.in_subtrees("kg.path", roots);
                b.push(")");
            }
            b.push(")");
        }
        if !f.states.is_empty() {
            b.push(" AND b.state IN (");
            for (i, s) in f.states.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.t(s.as_str());
            }
            b.push(")");
        }
        if let Some(t) = f.from {
            b.push(" AND b.ends_at > ").i(ms(t));
        }
        if let Some(t) = f.until {
            b.push(" AND b.starts_at < ").i(ms(t));
        }
        if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
            let like = format!("%{}%", q.replace(['%', '_'], ""));
            b.push(" AND (i.name LIKE ")
                .t(like.clone())
                .push(" OR a.name LIKE ")
                .t(like.clone())
                .push(" OR u.name LIKE ")
                .t(like.clone())
                .push(" OR b.host LIKE ")
                .t(like)
                .push(")");
        }
    };
    let mut n = SqlBuf::new(&format!("SELECT COUNT(*) AS n{BOOKING_FROM}"));
    filter(&mut n);
    let total = n
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut b = SqlBuf::new(&format!("SELECT {BOOKING_COLS}{BOOKING_FROM}"));
    filter(&mut b);
    b.push(" ORDER BY b.starts_at, b.id");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(booking_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

/// The hours of `items` held between two instants: (item, hour, booking).
pub async fn held(
    c: &mut Conn,
    kind: Kind,
    items: &[i64],
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<(i64, OffsetDateTime, i64)>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuf::new("SELECT item_id, slot_at, booking_id FROM booking_slots WHERE kind = ");
    b.t(kind.as_str()).push(" AND item_id IN (");
    for (i, id) in items.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.i(*id);
    }
    b.push(") AND slot_at >= ")
        .i(ms(from))
        .push(" AND slot_at < ")
        .i(ms(until))
        .push(" ORDER BY item_id, slot_at");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.i64("item_id")?,
                at(r.i64("slot_at")?),
                r.i64("booking_id")?,
            ))
        })
        .collect()
}
