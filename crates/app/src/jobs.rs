//! Periodic jobs. Each is claimed in the database before it runs, so with
//! several nodes it runs once per period.
use crate::{App, Ctx, Result, event, mail};
use portico_core::permission::Unattended;

/// The daily idle sweep: 002 §五, accounts unused for the configured
/// period are disabled by the portal itself.
const SWEEP: Unattended = Unattended::unattended("the daily idle sweep");
/// 002 §七 (一) 5: records past retention destroyed daily.
const RETENTION: Unattended = Unattended::unattended("the daily retention purge");
/// 002 §七 (一) 1, 2: each period's samples drawn when it ends.
const SCHEDULE: Unattended = Unattended::unattended("the inspection schedule");
/// 002 §六 (二): access reviews opened every few months, closed at their
/// deadlines.
const REVIEWS: Unattended = Unattended::unattended("the access review schedule");
use portico_core::Error;
use portico_core::account::AccountState;
use portico_store::accounts::{self, Change};
use portico_store::{audit, db_err, jobs, roles, sessions};
use time::Duration;

/// What one idle sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdleSweep {
    pub disabled: Vec<String>,
    /// Kept because they are their agency's only administrator; the
    /// agency's administrators were told.
    pub kept: Vec<String>,
}

/// Accounts handled per sweep, so one run stays short.
const SWEEP_LIMIT: i64 = 2_000;

impl App {
    /// Runs the jobs that are due: the daily idle sweep, and every ten
    /// minutes forgetting the rate-limit windows that ended.
    pub async fn run_due_jobs(&self) -> Result<Option<IdleSweep>> {
        let mut tx = self.db.begin().await?;
        let rates_due =
            jobs::claim(&mut tx, "rate_sweep", Duration::minutes(10), self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        if rates_due {
            self.sweep_rate_windows().await?;
        }
        let mut tx = self.db.begin().await?;
        let purge_due = jobs::claim(&mut tx, "forms_purge", Duration::days(1), self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        if purge_due {
            let n = self.purge_kept_forms().await?;
            if n > 0 {
                tracing::info!(files = n, "destroyed signed forms kept past their year");
            }
        }
        let mut tx = self.db.begin().await?;
        let records_due =
            jobs::claim(&mut tx, "records_purge", Duration::days(1), self.now()).await?;
        let inspections_due =
            jobs::claim(&mut tx, "inspections", Duration::days(1), self.now()).await?;
        let reviews_due =
            jobs::claim(&mut tx, "certifications", Duration::days(1), self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        if records_due {
            let n = self.purge_expired_records(&RETENTION).await?;
            if n > 0 {
                tracing::info!(events = n, "destroyed records kept past retention");
            }
        }
        if inspections_due {
            let n = self.draw_due_inspections(&SCHEDULE).await?;
            let m = self.remind_inspections().await?;
            if n + m > 0 {
                tracing::info!(drawn = n, reminded = m, "inspections");
            }
        }
        if reviews_due {
            let closed = self.close_due_campaigns(&REVIEWS).await?;
            let reminded = self.remind_campaigns().await?;
            let opened = self.open_scheduled_campaigns(&REVIEWS).await?;
            if closed + reminded + opened > 0 {
                tracing::info!(closed, reminded, opened, "access reviews");
            }
        }
        let mut tx = self.db.begin().await?;
        let due = jobs::claim(&mut tx, "idle_disable", Duration::days(1), self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        if due {
            Ok(Some(self.disable_idle_accounts().await?))
        } else {
            Ok(None)
        }
    }

    /// 002 §六 (一): signed application forms and undertakings are kept
    /// until a year after the account's cancellation, then destroyed. The
    /// bytes go; each file's row stays with `purged_at`, and each account's
    /// destruction is an audit event. Returns how many files went.
    pub async fn purge_kept_forms(&self) -> Result<usize> {
        let now = self.now();
        let cutoff = now - Duration::days(365);
        let due =
            portico_store::files::due_for_purge(&mut *self.db.read().await?, cutoff, 5_000).await?;
        let ctx = Ctx::new("system", "portico forms purge");
        let mut done = 0;
        for chunk in due.chunk_by(|a, b| a.2 == b.2) {
            let owner = chunk[0].2;
            // The bytes first: a row marked destroyed never names bytes
            // that are still kept.
            for (_, key, _) in chunk {
                self.files.delete(key).await?;
            }
            let mut tx = self.db.begin().await?;
            let mut n = 0;
            for (id, _, _) in chunk {
                if portico_store::files::mark_purged(&mut tx, *id, now).await? {
                    n += 1;
                }
            }
            let a = accounts::get(&mut tx, owner).await?;
            let mut e = event(&ctx, "access.purge");
            e.actor_login = "portico".into();
            e.target_kind = "account".into();
            e.target_id = Some(owner.0);
            e.target_label = a.as_ref().map(|a| a.login.clone()).unwrap_or_default();
            e.scope_path = a
                .as_ref()
                .map(|a| a.unit_path.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            e.detail = serde_json::json!({ "files": n }).to_string();
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            done += n;
        }
        Ok(done)
    }

    /// 002 §五: accounts unused for the configured period (default 180
    /// days; 0 turns it off) are disabled and signed out. 004 §(三): an
    /// agency's only administrator is not; the agency's administrators are
    /// told to hand the role over.
    pub async fn disable_idle_accounts(&self) -> Result<IdleSweep> {
        let days = self.settings().await?.idle_disable_days;
        let mut out = IdleSweep::default();
        if days == 0 {
            return Ok(out);
        }
        let now = self.now();
        let cutoff = now - Duration::days(i64::from(days));
        let idle = accounts::idle_since(&mut *self.db.read().await?, cutoff, SWEEP_LIMIT).await?;
        let ctx = Ctx::new("system", "portico idle sweep");
        for a in idle {
            let mut tx = self.db.begin().await?;
            accounts::lock(&mut tx, a.id).await?;
            // Which hand-over is missing, for the trail.
            let blocked = match self.guard_only_agency_admin(&mut tx, &a).await {
                Err(Error::Refused(why)) => Err((why, "only admin (agency or system)")),
                Err(e) => return Err(e),
                Ok(()) => match self.guard_custodian(&mut tx, &a).await {
                    Err(Error::Refused(why)) => Err((why, "keeps mail accounts")),
                    Err(e) => return Err(e),
                    Ok(()) => Ok(()),
                },
            };
            match blocked {
                Err((why, reason)) => {
                    if let Some(agency) = a.agency_id {
                        for admin in roles::agency_admins(&mut tx, agency).await? {
                            let to = if admin.official_email.is_empty() {
                                admin.backup_email
                            } else {
                                admin.official_email
                            };
                            if !to.is_empty() {
                                self.put_mail(
                                    &mut tx,
                                    &to,
                                    mail::idle_kept(&a.name, &a.login, days, &why),
                                    Some(admin.id),
                                    a.unit_path.as_str(),
                                )
                                .await?;
                            }
                        }
                    }
                    let mut e = system_event(&ctx, "account.disable.idle", &a);
                    e.outcome = Some(portico_core::audit::Outcome::Failed);
                    e.reason = reason.into();
                    audit::append(&mut tx, &e, now).await?;
                    tx.commit().await.map_err(db_err)?;
                    out.kept.push(a.login);
                }
                Ok(()) => {
                    if !accounts::transition(
                        &mut tx,
                        SWEEP.account(a.id),
                        AccountState::Active,
                        AccountState::Disabled,
                        now,
                    )
                    .await?
                    {
                        continue;
                    }
                    sessions::delete_all_of(&mut tx, a.id, now).await?;
                    self.account_changed(
                        &mut tx,
                        SWEEP.account(a.id),
                        &Change {
                            at: now,
                            by: "system",
                            note: "閒置停用",
                        },
                    )
                    .await?;
                    let mut e = system_event(&ctx, "account.disable.idle", &a);
                    e.reason = format!("{days} 天未使用 / unused for {days} days");
                    audit::append(&mut tx, &e, now).await?;
                    tx.commit().await.map_err(db_err)?;
                    out.disabled.push(a.login);
                }
            }
        }
        if !out.kept.is_empty() {
            self.wake_outbox();
        }
        tracing::info!(
            disabled = out.disabled.len(),
            kept = out.kept.len(),
            "idle sweep"
        );
        Ok(out)
    }
}

fn system_event(ctx: &Ctx, action: &str, a: &accounts::Account) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_login = "system".into();
    e.target_kind = "account".into();
    e.target_id = Some(a.id.0);
    e.target_label = a.login.clone();
    e.scope_path = a.unit_path.as_str().to_owned();
    e
}
