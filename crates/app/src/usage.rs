//! Usage records (使用紀錄, 002 §六 (三) 2, §七 (一) 5): what connected
//! applications report through `POST /api/v1/apps/usage`, and the portal's
//! own queries into another person's data, each with its reason. Every one
//! is an audit event in the one chain, and an index row the inspections
//! draw from; a batch is one transaction, so it is chained whole or not at
//! all.
use crate::oidc::Client;
use crate::{App, Ctx, Result, event};
use portico_core::Error;
use portico_core::account::AccountState;
use portico_core::audit::Outcome;
use portico_core::clients::ServiceKind;
use portico_core::ids::AccountId;
use portico_core::inspection::{Kind, Period};
use portico_core::usage::{Reason, RecordIn, Who, check_batch};
use portico_store::accounts::{self, Account};
use portico_store::audit::{self, NewEvent};
use portico_store::{Conn, db_err, usage};
use serde_json::json;
use std::collections::HashMap;
use time::OffsetDateTime;

/// What a batch came to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reported {
    /// Records chained now.
    pub recorded: usize,
    /// Records whose `id` the application had reported before: skipped.
    pub duplicates: usize,
    /// Their places in the audit chain.
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
}

impl App {
    /// An application with the usage-reporting service, from a registered
    /// IP, reports up to 1,000 usage records at once.
    pub async fn report_usage(
        &self,
        client: &Client,
        batch: &[RecordIn],
        ctx: &Ctx,
    ) -> Result<Reported> {
        client
            .service(ServiceKind::Usage)
            .ok_or_else(|| crate::clients::not_approved(ServiceKind::Usage))?;
        if !portico_core::clients::ip_allowed(&client.app.ips, ctx.address_text()) {
            self.audit_client(
                ctx,
                "app.usage",
                &client.app.client_id,
                Some(client),
                "ip_not_registered",
            )
            .await?;
            return Err(crate::clients::from_registered_ip());
        }
        let now = self.now();
        let records = check_batch(batch, now)?;
        let mut tx = self.db.begin().await?;
        // The people, each looked up once.
        let mut people: HashMap<Who, Option<Account>> = HashMap::new();
        for r in &records {
            if !people.contains_key(&r.who) {
                let a = match &r.who {
                    Who::Sub(id) => accounts::get(&mut tx, AccountId(*id)).await?,
                    Who::Login(l) => accounts::find_by_login(&mut tx, l).await?,
                };
                // An account never opened (still applying, awaiting
                // activation, turned down) used nothing.
                let a = a.filter(|a| {
                    !matches!(
                        a.state,
                        AccountState::Pending | AccountState::Approved | AccountState::Rejected
                    )
                });
                people.insert(r.who.clone(), a);
            }
        }
        let unknown: Vec<portico_core::FieldError> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| people.get(&r.who).is_none_or(|a| a.is_none()))
            .take(50)
            .map(|(i, r)| portico_core::FieldError {
                field: "records",
                message: portico_core::Msg::owned(
                    format!(
                        "第 {} 筆：查無此帳號，或帳號尚未開通（{}）",
                        i + 1,
                        who_text(&r.who)
                    ),
                    format!(
                        "record {}: no such account, or one never opened ({})",
                        i + 1,
                        who_text(&r.who)
                    ),
                ),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(Error::Invalid(unknown));
        }
        // A quarter its unit has drawn takes no more records: they would
        // escape its sample (002 §七 (一) 1 audits what the quarter held).
        let mut drawn: HashMap<(i64, Period), bool> = HashMap::new();
        let mut late = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let Some(Some(a)) = people.get(&r.who) else {
                continue;
            };
            let q = Period::quarter_of(r.used.to_offset(portico_core::time::TAIPEI).date());
            let key = (a.unit_id.0, q);
            let is_drawn = match drawn.get(&key) {
                Some(d) => *d,
                None => {
                    let d = portico_store::inspections::find(&mut tx, Kind::Unit, q, a.unit_id.0)
                        .await?
                        .is_some();
                    drawn.insert(key, d);
                    d
                }
            };
            if is_drawn && late.len() < 50 {
                late.push(portico_core::FieldError {
                    field: "records",
                    message: portico_core::Msg::owned(
                        format!(
                            "第 {} 筆：{} {}已完成稽核抽樣，不再補報；請洽機關管理者",
                            i + 1,
                            a.unit_name,
                            q.label().zh
                        ),
                        format!(
                            "record {}: {} has drawn its {} audit sample; late records are not taken (ask the agency admin)",
                            i + 1,
                            a.unit_name,
                            q.label().en
                        ),
                    ),
                });
            }
        }
        if !late.is_empty() {
            return Err(Error::Invalid(late));
        }
        let ids: Vec<&str> = records.iter().filter_map(|r| r.ext_id.as_deref()).collect();
        let known = usage::known_ext_ids(&mut tx, client.app.id, &ids).await?;
        let fresh: Vec<_> = records
            .iter()
            .filter(|r| r.ext_id.as_ref().is_none_or(|id| !known.contains(id)))
            .collect();
        let mut events = Vec::with_capacity(fresh.len());
        let mut rows = Vec::with_capacity(fresh.len());
        for r in &fresh {
            let Some(Some(a)) = people.get(&r.who) else {
                return Err(Error::internal("usage: a checked person vanished"));
            };
            let e = usage_event(
                ctx,
                a,
                &client.app,
                &Use {
                    at: r.used,
                    action: &r.action,
                    object: &r.object,
                    reason: &r.reason,
                    ext_id: r.ext_id.as_deref(),
                },
            );
            events.push(e);
            rows.push((a, r.used, r.ext_id.clone()));
        }
        let seqs = append_usage(
            &mut tx,
            &events,
            rows.iter()
                .map(|(a, used, ext)| (*a, *used, Some(client.app.id), ext.clone())),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Reported {
            recorded: seqs.len(),
            duplicates: records.len() - fresh.len(),
            first_seq: seqs.first().copied(),
            last_seq: seqs.last().copied(),
        })
    }
}

fn who_text(w: &Who) -> String {
    match w {
        Who::Sub(s) => format!("sub {s}"),
        Who::Login(l) => format!("login {}", l.chars().take(64).collect::<String>()),
    }
}

/// Appends `events` and their index rows, in the caller's transaction.
pub(crate) async fn append_usage<'a>(
    c: &mut Conn,
    events: &[NewEvent],
    rows: impl Iterator<Item = (&'a Account, OffsetDateTime, Option<i64>, Option<String>)>,
    now: OffsetDateTime,
) -> Result<Vec<i64>> {
    let timed: Vec<(&NewEvent, OffsetDateTime)> = events.iter().map(|e| (e, now)).collect();
    let seqs = audit::append_many(c, &timed).await?;
    let index: Vec<usage::NewUsage> = seqs
        .iter()
        .zip(rows)
        .map(|(seq, (a, used, app_id, ext_id))| usage::NewUsage {
            seq: *seq,
            used,
            account_id: a.id.0,
            unit_id: a.unit_id.0,
            app_id,
            ext_id,
        })
        .collect();
    usage::insert(c, &index).await?;
    Ok(seqs)
}

/// One use an application reported.
pub(crate) struct Use<'a> {
    pub at: OffsetDateTime,
    pub action: &'a str,
    pub object: &'a str,
    pub reason: &'a Reason,
    /// The application's own id for the record.
    pub ext_id: Option<&'a str>,
}

/// The audit event of one application's usage record: the person as its
/// actor, the application as its target, what was done to what and why.
pub(crate) fn usage_event(
    ctx: &Ctx,
    person: &Account,
    app: &portico_store::clients::Client,
    u: &Use<'_>,
) -> NewEvent {
    let mut e = event(ctx, "usage.record");
    e.actor_id = Some(person.id.0);
    e.actor_login = person.login.clone();
    e.target_kind = "app".into();
    e.target_id = Some(app.id);
    e.target_label = app.name.clone();
    e.scope_path = person.unit_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
    e.detail = json!({
        "app": app.name, "client_id": app.client_id,
        "used_at": u.at.to_offset(portico_core::time::TAIPEI)
            .format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "use": u.action, "object": u.object,
        "reason_kind": u.reason.kind.as_str(), "query_reason": u.reason.text,
        "id": u.ext_id,
    })
    .to_string();
    e
}

/// Records one of the portal's own queries (another person's national ID,
/// their records, an export of personal data) as a usage record of the
/// person who asked, with the reason they gave, in the caller's
/// transaction. `e` is the event as the use case built it.
pub(crate) async fn record_query(
    c: &mut Conn,
    asker: &Account,
    mut e: NewEvent,
    reason: &Reason,
    now: OffsetDateTime,
) -> Result<i64> {
    let mut detail: serde_json::Value =
        serde_json::from_str(&e.detail).unwrap_or_else(|_| json!({}));
    detail["reason_kind"] = json!(reason.kind.as_str());
    detail["query_reason"] = json!(reason.text);
    e.detail = detail.to_string();
    e.actor_id = Some(asker.id.0);
    e.actor_login = asker.login.clone();
    let seqs = append_usage(
        c,
        std::slice::from_ref(&e),
        std::iter::once((asker, now, None, None)),
        now,
    )
    .await?;
    seqs.first()
        .copied()
        .ok_or_else(|| Error::internal("no usage event appended"))
}
