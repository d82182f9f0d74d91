//! An application's daily usage: sign-ins and verifications counted, and
//! the SMS quota taken.
use crate::{Conn, Result, RowExt, db_err};

/// What a day's usage counts.
#[derive(Debug, Clone, Copy)]
pub enum Usage {
    SignIn,
    Verify,
}

pub async fn count_usage(c: &mut Conn, app_id: i64, day: &str, what: Usage) -> Result<()> {
    let col = match what {
        Usage::SignIn => "sign_ins",
        Usage::Verify => "verifies",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO app_usage (app_id, day, {col}) VALUES ($1, $2, 1) \
         ON CONFLICT (app_id, day) DO UPDATE SET {col} = app_usage.{col} + 1"
    )))
    .bind(app_id)
    .bind(day)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Counts one SMS against the day's quota: false when the quota is spent.
/// The conditional update makes parallel senders stop at the quota exactly.
pub async fn take_sms_quota(c: &mut Conn, app_id: i64, day: &str, quota: i64) -> Result<bool> {
    sqlx::query(
        "INSERT INTO app_usage (app_id, day) VALUES ($1, $2) ON CONFLICT (app_id, day) DO NOTHING",
    )
    .bind(app_id)
    .bind(day)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    let r = sqlx::query(
        "UPDATE app_usage SET sms = sms + 1 WHERE app_id = $1 AND day = $2 AND sms < $3",
    )
    .bind(app_id)
    .bind(day)
    .bind(quota)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DayUsage {
    pub day: String,
    pub sign_ins: i64,
    pub verifies: i64,
    pub sms: i64,
}

/// Usage per day since `since_day`, newest first.
pub async fn usage_of(c: &mut Conn, app_id: i64, since_day: &str) -> Result<Vec<DayUsage>> {
    sqlx::query(
        "SELECT day, sign_ins, verifies, sms FROM app_usage WHERE app_id = $1 AND day >= $2 ORDER BY day DESC",
    )
    .bind(app_id)
    .bind(since_day)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        Ok(DayUsage {
            day: r.text("day")?,
            sign_ins: r.i64("sign_ins")?,
            verifies: r.i64("verifies")?,
            sms: r.i64("sms")?,
        })
    })
    .collect()
}
