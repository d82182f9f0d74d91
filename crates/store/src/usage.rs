//! SQL for usage records (使用紀錄, 002 §六 (三) 2): every one is an audit
//! event, chained with the rest; `usage_records` indexes those events by
//! unit and time of use, which is what an inspection draws from.
use crate::{Conn, Result, RowExt, db_err, ms};
use time::OffsetDateTime;

/// A usage record's index row, for an event just appended as `seq`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewUsage {
    pub seq: i64,
    #[serde(skip)]
    pub used: OffsetDateTime,
    pub account_id: i64,
    pub unit_id: i64,
    /// `None`: a query in the portal itself.
    pub app_id: Option<i64>,
    /// The application's own id for the record.
    pub ext_id: Option<String>,
}

/// Writes the index rows in one statement (the rows travel as one JSON
/// array, as the audit events do).
pub async fn insert(c: &mut Conn, rows: &[NewUsage]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        r: &'a NewUsage,
        used_at: i64,
    }
    let json: Vec<Row<'_>> = rows
        .iter()
        .map(|r| Row {
            r,
            used_at: ms(r.used),
        })
        .collect();
    let json = serde_json::to_string(&json).unwrap_or_default();
    let sql = match crate::backend_of(c) {
        crate::Backend::Postgres => {
            "INSERT INTO usage_records (seq, used_at, account_id, unit_id, app_id, ext_id) \
             SELECT seq, used_at, account_id, unit_id, app_id, ext_id FROM json_to_recordset($1::json) \
             AS v(seq BIGINT, used_at BIGINT, account_id BIGINT, unit_id BIGINT, app_id BIGINT, ext_id TEXT)"
        }
        crate::Backend::Sqlite => {
            "INSERT INTO usage_records (seq, used_at, account_id, unit_id, app_id, ext_id) \
             SELECT v.value ->> 'seq', v.value ->> 'used_at', v.value ->> 'account_id', v.value ->> 'unit_id', \
             v.value ->> 'app_id', v.value ->> 'ext_id' FROM json_each($1) AS v"
        }
    };
    sqlx::query(sql)
        .bind(json)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Which of `ids` the application has reported already.
pub async fn known_ext_ids(c: &mut Conn, app_id: i64, ids: &[&str]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).unwrap_or_default();
    let sql = match crate::backend_of(c) {
        crate::Backend::Postgres => {
            "SELECT ext_id FROM usage_records WHERE app_id = $1 AND ext_id IN \
             (SELECT json_array_elements_text($2::json))"
        }
        crate::Backend::Sqlite => {
            "SELECT ext_id FROM usage_records WHERE app_id = $1 AND ext_id IN \
             (SELECT value FROM json_each($2))"
        }
    };
    let rows = sqlx::query(sql)
        .bind(app_id)
        .bind(json)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| r.text("ext_id")).collect()
}

/// A unit's use in a period: how many records, by how many people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitUse {
    pub unit_id: i64,
    pub records: i64,
    pub people: i64,
}

/// Every unit with usage in `[from, to)` among records up to `through`
/// (the chain head an inspection read), with its counts, by unit id.
pub async fn units_with_use(
    c: &mut Conn,
    from: OffsetDateTime,
    to: OffsetDateTime,
    through: i64,
) -> Result<Vec<UnitUse>> {
    let rows = sqlx::query(
        "SELECT unit_id, COUNT(*) AS n, COUNT(DISTINCT account_id) AS p FROM usage_records \
         WHERE used_at >= $1 AND used_at < $2 AND seq <= $3 GROUP BY unit_id ORDER BY unit_id",
    )
    .bind(ms(from))
    .bind(ms(to))
    .bind(through)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(UnitUse {
                unit_id: r.i64("unit_id")?,
                records: r.i64("n")?,
                people: r.i64("p")?,
            })
        })
        .collect()
}

/// One record as a draw reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Used {
    pub seq: i64,
    pub used: OffsetDateTime,
    pub account_id: i64,
    pub unit_id: i64,
}

/// A unit's records in `[from, to)` up to `through`, in chain order: the
/// population a unit inspection draws from.
pub async fn of_unit(
    c: &mut Conn,
    unit_id: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
    through: i64,
) -> Result<Vec<Used>> {
    let rows = sqlx::query(
        "SELECT seq, used_at, account_id, unit_id FROM usage_records \
         WHERE unit_id = $1 AND used_at >= $2 AND used_at < $3 AND seq <= $4 ORDER BY seq",
    )
    .bind(unit_id)
    .bind(ms(from))
    .bind(ms(to))
    .bind(through)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(used).collect()
}

fn used(r: &sqlx::any::AnyRow) -> Result<Used> {
    Ok(Used {
        seq: r.i64("seq")?,
        used: crate::at(r.i64("used_at")?),
        account_id: r.i64("account_id")?,
        unit_id: r.i64("unit_id")?,
    })
}

/// Every record in `[from, to)` up to `through`, in chain order: the one
/// full scan the benchmark measures a draw against.
pub async fn scan(
    c: &mut Conn,
    from: OffsetDateTime,
    to: OffsetDateTime,
    through: i64,
) -> Result<Vec<Used>> {
    let rows = sqlx::query(
        "SELECT seq, used_at, account_id, unit_id FROM usage_records \
         WHERE used_at >= $1 AND used_at < $2 AND seq <= $3 ORDER BY seq",
    )
    .bind(ms(from))
    .bind(ms(to))
    .bind(through)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(used).collect()
}

/// Every record of the agency's units (those whose nearest agency it is)
/// in `[from, to)` up to `through`, in chain order.
pub async fn of_agency(
    c: &mut Conn,
    agency: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
    through: i64,
) -> Result<Vec<Used>> {
    let rows = sqlx::query(
        "SELECT r.seq, r.used_at, r.account_id, r.unit_id FROM usage_records r \
         JOIN org_units u ON u.id = r.unit_id \
         WHERE u.agency_id = $1 AND r.used_at >= $2 AND r.used_at < $3 AND r.seq <= $4 ORDER BY r.seq",
    )
    .bind(agency)
    .bind(ms(from))
    .bind(ms(to))
    .bind(through)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(used).collect()
}
