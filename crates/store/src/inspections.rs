//! SQL for inspections (稽核, 002 §七 (一)): a unit's quarter or an agency's
//! half year, its drawn sample with the auditor's marks, the findings those
//! marks open, and each agency's ethics contact.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, backend_of, db_err, ms, unique_on};
use portico_core::Msg;
use portico_core::inspection::{Kind, Mark, Period, State};
use portico_core::permission::{AdminScope, Inspector};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Inspection {
    pub id: i64,
    pub kind: Kind,
    #[serde(serialize_with = "period_code")]
    pub period: Period,
    pub unit_id: i64,
    /// With its agency's name before it, for a unit.
    pub unit_name: String,
    pub unit_path: String,
    pub agency_id: Option<i64>,
    #[serde(skip)]
    pub seed: u64,
    pub through_seq: i64,
    pub population: i64,
    pub people: i64,
    pub target_records: i64,
    pub target_people: i64,
    pub include_unaudited: bool,
    pub auditor_id: Option<i64>,
    pub auditor_name: Option<String>,
    pub state: State,
    pub drawn_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub drawn_at: OffsetDateTime,
    pub signed_by: Option<i64>,
    pub signed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signed_at: Option<OffsetDateTime>,
    pub conclusion: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// How many of its records are sampled, marked and 異常.
    pub sampled: i64,
    pub marked: i64,
    pub abnormal: i64,
}

fn period_code<S: serde::Serializer>(p: &Period, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&p.code())
}

const COLS: &str = "i.id, i.kind, i.period, i.unit_id, u.name AS unit_name, u.path AS unit_path, \
     u.agency_id, i.seed, i.through_seq, i.population, i.people, i.target_records, i.target_people, \
     i.include_unaudited, i.auditor_id, au.name AS auditor_name, i.state, i.drawn_by, i.drawn_at, \
     i.signed_by, sb.name AS signed_by_name, i.signed_at, i.conclusion, i.sent_at, \
     (SELECT COUNT(*) FROM inspection_items x WHERE x.inspection_id = i.id) AS sampled, \
     (SELECT COUNT(*) FROM inspection_items x WHERE x.inspection_id = i.id AND x.mark IS NOT NULL) AS marked, \
     (SELECT COUNT(*) FROM inspection_items x WHERE x.inspection_id = i.id AND x.mark = 'abnormal') AS abnormal, \
     ag.name AS agency_name";
const FROM: &str = " FROM inspections i JOIN org_units u ON u.id = i.unit_id \
     LEFT JOIN org_units ag ON ag.id = u.agency_id \
     LEFT JOIN accounts au ON au.id = i.auditor_id LEFT JOIN accounts sb ON sb.id = i.signed_by";

fn from_row(r: &AnyRow) -> Result<Inspection> {
    let bad = |what: &str| portico_core::Error::internal(format!("bad inspection {what}"));
    Ok(Inspection {
        id: r.i64("id")?,
        kind: Kind::parse(&r.text("kind")?).ok_or_else(|| bad("kind"))?,
        period: Period::parse(&r.text("period")?).ok_or_else(|| bad("period"))?,
        unit_id: r.i64("unit_id")?,
        // A unit is named with its agency: 民政局 行政科.
        unit_name: match r.opt_text("agency_name")? {
            Some(a) if a != r.text("unit_name")? => format!("{a} {}", r.text("unit_name")?),
            _ => r.text("unit_name")?,
        },
        unit_path: r.text("unit_path")?,
        agency_id: r.opt_i64("agency_id")?,
        seed: r.i64("seed")? as u64,
        through_seq: r.i64("through_seq")?,
        population: r.i64("population")?,
        people: r.i64("people")?,
        target_records: r.i64("target_records")?,
        target_people: r.i64("target_people")?,
        include_unaudited: r.flag("include_unaudited")?,
        auditor_id: r.opt_i64("auditor_id")?,
        auditor_name: r.opt_text("auditor_name")?,
        state: State::parse(&r.text("state")?).ok_or_else(|| bad("state"))?,
        drawn_by: r.opt_i64("drawn_by")?,
        drawn_at: at(r.i64("drawn_at")?),
        signed_by: r.opt_i64("signed_by")?,
        signed_by_name: r.opt_text("signed_by_name")?,
        signed_at: r.opt_i64("signed_at")?.map(at),
        conclusion: r.text("conclusion")?,
        sent_at: r.opt_i64("sent_at")?.map(at),
        sampled: r.i64("sampled")?,
        marked: r.i64("marked")?,
        abnormal: r.i64("abnormal")?,
    })
}

/// An inspection about to be written, with its sample.
#[derive(Debug, Clone)]
pub struct NewInspection {
    pub kind: Kind,
    pub period: Period,
    pub unit_id: i64,
    pub seed: u64,
    pub through_seq: i64,
    pub population: i64,
    pub people: i64,
    pub target_records: i64,
    pub target_people: i64,
    pub include_unaudited: bool,
}

/// A sampled record.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct NewItem {
    pub seq: i64,
    pub month: u8,
    pub account_id: i64,
    pub unit_id: i64,
}

/// Writes an inspection and its sample. A second draw of the same period
/// and unit is refused by the unique index: two admins drawing at once
/// get one sample.
pub async fn insert(
    c: &mut Conn,
    who: &Inspector,
    n: &NewInspection,
    items: &[NewItem],
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO inspections (kind, period, unit_id, seed, through_seq, population, people, \
         target_records, target_people, include_unaudited, state, drawn_by, drawn_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12) RETURNING id",
    )
    .bind(n.kind.as_str())
    .bind(n.period.code())
    .bind(n.unit_id)
    .bind(n.seed as i64)
    .bind(n.through_seq)
    .bind(n.population)
    .bind(n.people)
    .bind(n.target_records)
    .bind(n.target_people)
    .bind(i64::from(n.include_unaudited))
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on(
        "period",
        Msg::new(
            "這一期已經抽樣過了，請開啟已有的稽核紀錄",
            "This period has been drawn already; open its record",
        ),
    ))?;
    let id = r.i64("id")?;
    if items.is_empty() {
        return Ok(id);
    }
    let json = serde_json::to_string(items).unwrap_or_default();
    let sql = match backend_of(c) {
        crate::Backend::Postgres => {
            "INSERT INTO inspection_items (inspection_id, seq, month, account_id, unit_id) \
             SELECT $1, seq, month, account_id, unit_id FROM json_to_recordset($2::json) \
             AS v(seq BIGINT, month BIGINT, account_id BIGINT, unit_id BIGINT)"
        }
        crate::Backend::Sqlite => {
            "INSERT INTO inspection_items (inspection_id, seq, month, account_id, unit_id) \
             SELECT $1, v.value ->> 'seq', v.value ->> 'month', v.value ->> 'account_id', \
             v.value ->> 'unit_id' FROM json_each($2) AS v"
        }
    };
    sqlx::query(sql)
        .bind(id)
        .bind(json)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(id)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Inspection>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE i.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.as_ref().map(from_row).transpose()
}

/// The inspection of this period and unit, if drawn.
pub async fn find(
    c: &mut Conn,
    kind: Kind,
    period: Period,
    unit: i64,
) -> Result<Option<Inspection>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE i.kind = $1 AND i.period = $2 AND i.unit_id = $3");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(kind.as_str())
        .bind(period.code())
        .bind(unit)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.as_ref().map(from_row).transpose()
}

/// The records several inspections sampled, as usage rows, in chain
/// order: an agency's population.
pub async fn sampled_used(c: &mut Conn, ids: &[i64]) -> Result<Vec<crate::usage::Used>> {
    let mut out = Vec::new();
    for id in ids {
        let rows = sqlx::query(
            "SELECT r.seq, r.used_at, r.account_id, r.unit_id FROM inspection_items x \
             JOIN usage_records r ON r.seq = x.seq WHERE x.inspection_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
        for r in &rows {
            out.push(crate::usage::Used {
                seq: r.i64("seq")?,
                used: at(r.i64("used_at")?),
                account_id: r.i64("account_id")?,
                unit_id: r.i64("unit_id")?,
            });
        }
    }
    out.sort_by_key(|u| u.seq);
    out.dedup_by_key(|u| u.seq);
    Ok(out)
}

/// What the inspections page lists.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<Kind>,
    pub period: Option<Period>,
    pub state: Option<State>,
    /// From 1; 0 is the first.
    pub page: u32,
}

/// The inspections of units in `scope`, and those delegated to `auditor`,
/// newest period first, a page at a time (`per_page` 0: all).
pub async fn list(
    c: &mut Conn,
    scope: Option<&AdminScope>,
    auditor: i64,
    f: &ListFilter,
    per_page: u32,
) -> Result<Page<Inspection>> {
    let filter = |b: &mut SqlBuf| {
        b.push(" WHERE (i.auditor_id = ").i(auditor);
        if let Some(s) = scope {
            b.push(" OR (1 = 1");
            b.scope(s, "u.path");
            b.push(")");
        }
        b.push(")");
        if let Some(k) = f.kind {
            b.push(" AND i.kind = ").t(k.as_str());
        }
        if let Some(p) = f.period {
            b.push(" AND i.period = ").t(p.code());
        }
        if let Some(s) = f.state {
            b.push(" AND i.state = ").t(s.as_str());
        }
    };
    let mut n = SqlBuf::new(&format!("SELECT COUNT(*) AS n{FROM}"));
    filter(&mut n);
    let total = n
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let page = f.page.max(1);
    let mut b = SqlBuf::new(&format!("SELECT {COLS}{FROM}"));
    filter(&mut b);
    b.push(" ORDER BY i.period DESC, i.kind DESC, u.path");
    b.page(page, per_page);
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(from_row).collect::<Result<_>>()?,
        total,
        page,
        per_page,
    })
}

/// The unit inspections of `quarters` for units of `agency`: what the
/// agency's half year audits.
pub async fn of_agency_quarters(
    c: &mut Conn,
    agency: i64,
    quarters: &[Period],
) -> Result<Vec<Inspection>> {
    let mut out = Vec::new();
    for q in quarters {
        let sql = format!(
            "SELECT {COLS}{FROM} WHERE i.kind = 'unit' AND i.period = $1 AND u.agency_id = $2 ORDER BY i.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(q.code())
            .bind(agency)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
        for r in &rows {
            out.push(from_row(r)?);
        }
    }
    Ok(out)
}

/// A sampled record with what the auditor sees of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    pub inspection_id: i64,
    pub seq: i64,
    pub month: u8,
    pub account_id: i64,
    pub login: String,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub used_at: OffsetDateTime,
    pub app_name: Option<String>,
    /// The audit event's action, its target and its detail (JSON).
    pub action: String,
    pub target_label: String,
    #[serde(skip)]
    pub detail: String,
    pub mark: Option<Mark>,
    pub note: String,
    pub marked_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub marked_at: Option<OffsetDateTime>,
    pub closed_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub close_note: String,
}

const ITEM_COLS: &str = "x.inspection_id, x.seq, x.month, x.account_id, a.login, a.name, x.unit_id, \
     ou.name AS unit_name, r.used_at, ap.name AS app_name, e.action, e.target_label, e.detail, x.mark, \
     x.note, x.marked_by, x.marked_at, x.closed_by, x.closed_at, x.close_note";
const ITEM_FROM: &str = " FROM inspection_items x JOIN accounts a ON a.id = x.account_id \
     JOIN org_units ou ON ou.id = x.unit_id JOIN usage_records r ON r.seq = x.seq \
     JOIN audit_events e ON e.seq = x.seq LEFT JOIN apps ap ON ap.id = r.app_id";

fn item_row(r: &AnyRow) -> Result<Item> {
    let mark = match r.opt_text("mark")? {
        None => None,
        Some(m) => Some(
            Mark::parse(&m).ok_or_else(|| portico_core::Error::internal("bad inspection mark"))?,
        ),
    };
    Ok(Item {
        inspection_id: r.i64("inspection_id")?,
        seq: r.i64("seq")?,
        month: r.i64("month")? as u8,
        account_id: r.i64("account_id")?,
        login: r.text("login")?,
        name: r.text("name")?,
        unit_id: r.i64("unit_id")?,
        unit_name: r.text("unit_name")?,
        used_at: at(r.i64("used_at")?),
        app_name: r.opt_text("app_name")?,
        action: r.text("action")?,
        target_label: r.text("target_label")?,
        detail: r.text("detail")?,
        mark,
        note: r.text("note")?,
        marked_by: r.opt_i64("marked_by")?,
        marked_at: r.opt_i64("marked_at")?.map(at),
        closed_by: r.opt_i64("closed_by")?,
        closed_at: r.opt_i64("closed_at")?.map(at),
        close_note: r.text("close_note")?,
    })
}

/// An inspection's sample in chain order.
pub async fn items(c: &mut Conn, id: i64) -> Result<Vec<Item>> {
    let sql = format!("SELECT {ITEM_COLS}{ITEM_FROM} WHERE x.inspection_id = $1 ORDER BY x.seq");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(item_row).collect()
}

/// Marks one sampled record, while the inspection is open, only by
/// someone other than the person who used it, and not once it is 異常 (a
/// finding, which only closing ends). False when any fails.
pub async fn mark(
    c: &mut Conn,
    who: &Inspector,
    id: i64,
    seq: i64,
    mark: Mark,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let by = who.by().map_or(0, |a| a.0);
    let r = sqlx::query(
        "UPDATE inspection_items SET mark = $1, note = $2, marked_by = $3, marked_at = $4 \
         WHERE inspection_id = $5 AND seq = $6 AND account_id <> $3 \
         AND (mark IS NULL OR mark <> 'abnormal') \
         AND EXISTS (SELECT 1 FROM inspections i WHERE i.id = $5 AND i.state = 'open')",
    )
    .bind(mark.as_str())
    .bind(note)
    .bind(by)
    .bind(ms(now))
    .bind(id)
    .bind(seq)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Signs off an open inspection whose every record is marked. False when
/// it is signed already or a record is still unmarked.
pub async fn sign(
    c: &mut Conn,
    who: &Inspector,
    id: i64,
    conclusion: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let by = who.by().map(|a| a.0);
    let r = sqlx::query(
        "UPDATE inspections SET state = 'signed', signed_by = $1, signed_at = $2, conclusion = $3 \
         WHERE id = $4 AND state = 'open' \
         AND NOT EXISTS (SELECT 1 FROM inspection_items x WHERE x.inspection_id = $4 AND x.mark IS NULL)",
    )
    .bind(by)
    .bind(ms(now))
    .bind(conclusion)
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Delegates an open inspection to an auditor (or takes it back, `None`).
pub async fn set_auditor(
    c: &mut Conn,
    _who: &Inspector,
    id: i64,
    auditor: Option<i64>,
) -> Result<bool> {
    let r = sqlx::query("UPDATE inspections SET auditor_id = $1 WHERE id = $2 AND state = 'open'")
        .bind(auditor)
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Records that an agency's records were sent on (函送).
pub async fn mark_sent(
    c: &mut Conn,
    _who: &Inspector,
    id: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE inspections SET sent_at = $1 WHERE id = $2 AND state = 'signed' AND sent_at IS NULL",
    )
    .bind(ms(now))
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Open findings (異常 marks not yet closed) on units in `scope`.
/// How many findings are open in `scope`.
pub async fn count_open_findings(c: &mut Conn, scope: &AdminScope) -> Result<i64> {
    let mut b = SqlBuf::new(&format!(
        "SELECT COUNT(*) AS n{ITEM_FROM} WHERE x.mark = 'abnormal' AND x.closed_at IS NULL"
    ));
    b.scope(scope, "ou.path");
    b.query().fetch_one(&mut *c).await.map_err(db_err)?.i64("n")
}

pub async fn open_findings(c: &mut Conn, scope: &AdminScope) -> Result<Vec<Item>> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {ITEM_COLS}{ITEM_FROM} WHERE x.mark = 'abnormal' AND x.closed_at IS NULL"
    ));
    b.scope(scope, "ou.path");
    b.push(" ORDER BY x.marked_at, x.seq LIMIT 500");
    let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(item_row).collect()
}

/// One sampled record.
pub async fn item(c: &mut Conn, id: i64, seq: i64) -> Result<Option<Item>> {
    let sql = format!("SELECT {ITEM_COLS}{ITEM_FROM} WHERE x.inspection_id = $1 AND x.seq = $2");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(seq)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.as_ref().map(item_row).transpose()
}

/// Closes a finding with a note. False when it is closed already.
pub async fn close_finding(
    c: &mut Conn,
    who: &Inspector,
    id: i64,
    seq: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let by = who.by().map(|a| a.0);
    let r = sqlx::query(
        "UPDATE inspection_items SET closed_by = $1, closed_at = $2, close_note = $3 \
         WHERE inspection_id = $4 AND seq = $5 AND mark = 'abnormal' AND closed_at IS NULL",
    )
    .bind(by)
    .bind(ms(now))
    .bind(note)
    .bind(id)
    .bind(seq)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// The agency's ethics unit's address, if set.
pub async fn ethics(c: &mut Conn, agency: i64) -> Result<Option<String>> {
    let r = sqlx::query("SELECT email FROM ethics_contacts WHERE agency_id = $1")
        .bind(agency)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    r.map(|r| r.text("email")).transpose()
}

pub async fn set_ethics(
    c: &mut Conn,
    _who: &Inspector,
    agency: i64,
    email: &str,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ethics_contacts (agency_id, email, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (agency_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
    )
    .bind(agency)
    .bind(email)
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Removes the inspections of periods that ended before `cutoff`, with
/// their samples (002 §七 (一) 5: kept at least the retention period).
pub async fn purge_before(c: &mut Conn, cutoff: time::Date) -> Result<u64> {
    let rows = sqlx::query("SELECT id, period FROM inspections")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let mut n = 0;
    for r in &rows {
        let Some(p) = Period::parse(&r.text("period")?) else {
            continue;
        };
        if p.end() > cutoff {
            continue;
        }
        let id = r.i64("id")?;
        sqlx::query("DELETE FROM inspection_items WHERE inspection_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM inspections WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        n += 1;
    }
    Ok(n)
}
