//! The demo's usage records and inspections (issue 15): a year of the
//! sample application's land-registry look-ups by people of three units,
//! each with its document number; the last two quarters' unit audits
//! signed off, the last quarter's drawn with 民政局行政科's part-marked and
//! one 異常 finding open, and 民政局's half-year agency audit drawn.
use super::{Rng, SEED};
use crate::{App, Ctx, Result};
use portico_core::ids::AccountId;
use portico_core::inspection::{Kind, Mark, Period};
use portico_store::accounts::Account;
use portico_store::{Tx, accounts, clients, db_err, inspections, orgs};
use time::OffsetDateTime;

/// The units whose people use the sample application, by path name.
const UNITS: [&str; 3] = ["民政局/行政科", "民政局/綜合企劃科", "教育局/行政科"];

const ADMINS: [&str; 6] = [
    "admin",
    "civil_admin",
    "unit_admin",
    "edu_admin",
    "stat_mgr",
    "anping_admin",
];

const OBJECTS: [&str; 6] = [
    "安平區國平段 1021 地號",
    "東區崇德段 533 地號",
    "中西區赤崁段 87 地號",
    "永康區大灣段 1204 地號",
    "北區公園段 311 地號",
    "安南區海佃段 902 地號",
];

/// The quarters seeded: the three before today's and today's own.
fn quarters(today: time::Date) -> Vec<Period> {
    let mut q = Period::quarter_before(today);
    let mut out = vec![q];
    for _ in 0..2 {
        q = Period::quarter_before(q.start());
        out.push(q);
    }
    out.reverse();
    out
}

impl App {
    /// Usage records, inside the seed's transaction.
    pub(super) async fn seed_demo_usage(&self, tx: &mut Tx, now: OffsetDateTime) -> Result<()> {
        let Some(app) = clients::by_client_id(tx, super::clients::SAMPLE_CLIENT_ID).await? else {
            return Ok(());
        };
        let today = now.to_offset(portico_core::time::TAIPEI).date();
        let tree = orgs::list_all(tx).await?;
        let mut rng = Rng(0x5EED_1A5D);
        for (k, name) in UNITS.iter().enumerate() {
            let Some((agency, unit)) = name.split_once('/') else {
                continue;
            };
            let Some(u) = tree.iter().find(|u| {
                u.name == unit
                    && u.agency_id
                        .and_then(|a| tree.iter().find(|x| x.id == a))
                        .is_some_and(|a| a.name == agency)
            }) else {
                continue;
            };
            let mut people: Vec<Account> = Vec::new();
            for id in orgs::accounts_in_subtree(tx, &u.path)
                .await?
                .into_iter()
                .take(12)
            {
                // 民政局's named admins audit its units; their own use is
                // left out, so every sample they are shown is theirs to mark.
                // Only opened accounts use anything (a pending one cannot
                // sign in; the usage API refuses its records too).
                if let Some(a) = accounts::get(tx, AccountId(id)).await?
                    && matches!(
                        a.state,
                        portico_core::account::AccountState::Active
                            | portico_core::account::AccountState::Disabled
                    )
                    && !(agency == "民政局" && ADMINS.contains(&a.login.as_str()))
                {
                    people.push(a);
                }
            }
            if people.is_empty() {
                continue;
            }
            let mut periods = quarters(today);
            periods.push(Period::quarter_before(today + time::Duration::days(92)));
            for p in periods {
                let start = portico_core::time::taipei_day_start(p.start());
                let end = portico_core::time::taipei_day_start(p.end()).min(now);
                let span = (end - start).whole_minutes().max(1) as u64;
                // 行政科 uses it most; the sizes differ so the rules show.
                let n = [640, 230, 120][k] + rng.below(60) as usize;
                let mut events = Vec::with_capacity(n);
                let mut rows = Vec::with_capacity(n);
                for _ in 0..n {
                    let a = rng.pick(&people);
                    let used = start + time::Duration::minutes(rng.below(span) as i64);
                    let reason = portico_core::usage::Reason {
                        kind: portico_core::usage::ReasonKind::Document,
                        text: format!("南市民字第 {} 號", 1_150_000_000 + rng.below(90_000)),
                    };
                    let object = *rng.pick(&OBJECTS);
                    let e = crate::usage::usage_event(
                        &Ctx::new("127.0.0.1", "sample-rp"),
                        a,
                        &app,
                        &crate::usage::Use {
                            at: used,
                            action: "查詢地籍資料",
                            object,
                            reason: &reason,
                            ext_id: None,
                        },
                    );
                    events.push(e);
                    rows.push((a, used, Some(app.id), None));
                }
                crate::usage::append_usage(tx, &events, rows.into_iter(), now).await?;
            }
        }
        Ok(())
    }

    /// The inspections, once the seed is committed: drawn by the schedule,
    /// marked and signed as each unit's admin would.
    pub(super) async fn seed_demo_inspections(&self) -> Result<()> {
        let today = self.today();
        let ctx = Ctx::new("127.0.0.1", "portico demo");
        let tree = self.org_tree().await?;
        let qs = quarters(today);
        let mut c = self.db.read().await?;
        let admin = accounts::find_by_login(&mut c, "admin")
            .await?
            .map(|a| a.id);
        let unit_admin = accounts::find_by_login(&mut c, "unit_admin")
            .await?
            .map(|a| a.id);
        drop(c);
        for (i, q) in qs.iter().enumerate() {
            let last = i + 1 == qs.len();
            for name in UNITS {
                let Some((agency, unit)) = name.split_once('/') else {
                    continue;
                };
                let Some(u) = tree.units.iter().find(|u| {
                    u.name == unit
                        && u.agency_id
                            .and_then(|a| tree.get(a))
                            .is_some_and(|a| a.name == agency)
                }) else {
                    continue;
                };
                let id = match self
                    .draw(SEED.inspector(), Kind::Unit, *q, u.id, false, false, &ctx)
                    .await
                {
                    Ok(id) => id,
                    Err(crate::Error::Refused(_)) | Err(crate::Error::Conflict { .. }) => continue,
                    Err(e) => return Err(e),
                };
                // The last quarter's audits wait for their auditors, but
                // 民政局行政科's is half done, with a finding.
                if last && name != "民政局/行政科" {
                    continue;
                }
                let by = if name == "民政局/行政科" {
                    unit_admin
                } else {
                    admin
                };
                let Some(by) = by.or(admin) else { continue };
                self.demo_mark(id, by, admin, last, &ctx).await?;
            }
        }
        // 民政局's half year, drawn for its agency admin.
        let h = Period::half_before(today);
        if let Some(civil) = tree.agencies().find(|a| a.name == "民政局") {
            let _ = self
                .draw(
                    SEED.inspector(),
                    Kind::Agency,
                    h,
                    civil.id,
                    false,
                    false,
                    &ctx,
                )
                .await;
            let mut tx = self.db.begin().await?;
            inspections::set_ethics(
                &mut tx,
                &SEED.inspector(),
                civil.id.0,
                "ethics.civil@mail.tainan.gov.tw",
                self.now(),
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(())
    }

    /// Marks a drawn sample as `by` would: all 正常 and signed off, or for
    /// the open quarter the first half with one 異常. A record of `by`'s
    /// own is marked by `other`.
    async fn demo_mark(
        &self,
        id: i64,
        by: AccountId,
        other: Option<AccountId>,
        partly: bool,
        _ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let items = inspections::items(&mut tx, id).await?;
        let upto = if partly { items.len() / 2 } else { items.len() };
        for (k, it) in items.iter().take(upto).enumerate() {
            let who = if it.account_id == by.0 {
                match other {
                    Some(o) => o,
                    None => continue,
                }
            } else {
                by
            };
            let (mark, note) = if partly && k == 1 {
                (
                    Mark::Abnormal,
                    "查詢對象與承辦案件無關，公文號查無此案，已請當事人說明",
                )
            } else {
                (Mark::Normal, "")
            };
            inspections::mark(
                &mut tx,
                &SEED.inspector_for(who),
                id,
                it.seq,
                mark,
                note,
                now,
            )
            .await?;
        }
        if !partly {
            inspections::sign(
                &mut tx,
                &SEED.inspector_for(by),
                id,
                "抽查紀錄均有公文號可稽，使用情形正常。",
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)
    }
}
