//! Inspections (稽核, 002 §七 (一)): the quarterly unit audit and the
//! half-yearly agency audit. A sample is drawn once per period and unit or
//! agency, by `core::inspection::draw` from a stored seed over the usage
//! records up to a stored chain position, so drawing again from the same
//! records gives the same sample (`redraw`). Marking, signing off and
//! findings are `work.rs`; the records 附件二 and 附件三 are `record.rs`.
use crate::{App, Ctx, Result, event, mail};
use portico_core::Error;
use portico_core::Msg;
use portico_core::audit::Outcome;
use portico_core::ids::OrgUnitId;
use portico_core::inspection::{self as rules, Kind, Period, Row, Targets};
use portico_core::org::OrgKind;
use portico_core::permission::{InspectionSeen, Inspector, Principal, Unattended};
use portico_store::inspections::{self, Inspection, Item, ListFilter, NewInspection, NewItem};
use portico_store::usage::{self, Used};
use portico_store::{Conn, audit, db_err, roles};
use serde_json::json;
use std::collections::HashMap;

mod record;
mod work;

pub use record::RecordFile;
pub use work::MarkInput;

/// One line of the inspections page: a unit (or agency) and period, drawn
/// or still to draw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Due {
    pub kind: Kind,
    #[serde(serialize_with = "period_code")]
    pub period: Period,
    pub unit_id: i64,
    pub unit_name: String,
    pub records: i64,
    pub people: i64,
}

fn period_code<S: serde::Serializer>(p: &Period, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&p.code())
}

/// The inspections listed a page.
pub const PER_PAGE: u32 = 50;

/// What the inspections page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub inspections: portico_store::Page<Inspection>,
    /// Units and agencies in the actor's scope with a finished period
    /// still to draw.
    pub due: Vec<Due>,
    pub open_findings: i64,
}

/// A sampled record as the auditor reads it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sampled {
    #[serde(flatten)]
    pub item: Item,
    /// The application, or the portal itself.
    pub system: String,
    /// What was done (the application's words, or the portal's action).
    pub what: Msg,
    pub object: String,
    pub reason: String,
    /// The actor's own record: someone else marks it.
    pub own: bool,
}

/// One inspection with its sample.
#[derive(Debug, Clone)]
pub struct InspectionView {
    pub inspection: Inspection,
    pub items: Vec<Sampled>,
    /// The actor may mark and sign off.
    pub may_work: bool,
    /// The actor may hand it to an auditor (an admin, not the auditor).
    pub may_delegate: bool,
    /// For an agency: its ethics unit's address.
    pub ethics: Option<String>,
}

/// How many records a quarter at least needs audited, for a unit with
/// `records` records by `people` people: shown beside each unit to draw.
pub fn targets_for(records: i64, people: i64) -> Targets {
    Targets {
        records: rules::unit_records(records.max(0) as u64),
        people: rules::half_of(people.max(0) as u64),
    }
}

impl App {
    /// The inspections the actor may work on (their scope's, and those
    /// delegated to them), the periods still to draw in their scope, and
    /// how many findings are open there.
    pub async fn inspections(&self, actor: &Principal, f: &ListFilter) -> Result<Overview> {
        let scope = actor.admin_scope();
        let mut c = self.db.read().await?;
        let list =
            inspections::list(&mut c, scope.as_ref(), actor.account_id().0, f, PER_PAGE).await?;
        let open_findings = match &scope {
            Some(s) => inspections::count_open_findings(&mut c, s).await?,
            None => 0,
        };
        drop(c);
        let due = if scope.is_some() {
            self.due(actor, f.period).await?
        } else {
            Vec::new()
        };
        Ok(Overview {
            inspections: list,
            due,
            open_findings,
        })
    }

    /// Finished periods not yet drawn for units and agencies in the actor's
    /// scope: the last quarter and half year before today, or `period`.
    async fn due(&self, actor: &Principal, period: Option<Period>) -> Result<Vec<Due>> {
        let today = self.today();
        let periods: Vec<Period> = match period {
            Some(p) if p.end() <= today => vec![p],
            Some(_) => vec![],
            None => vec![Period::quarter_before(today), Period::half_before(today)],
        };
        let tree = self.org_tree().await?;
        let mut out = Vec::new();
        let mut c = self.db.read().await?;
        let (through, _) = audit::head(&mut c).await?;
        for p in periods {
            match p {
                Period::Quarter { .. } => {
                    let used = usage::units_with_use(
                        &mut c,
                        portico_core::time::taipei_day_start(p.start()),
                        portico_core::time::taipei_day_start(p.end()),
                        through,
                    )
                    .await?;
                    for u in used {
                        let Some(unit) = tree.get(OrgUnitId(u.unit_id)) else {
                            continue;
                        };
                        let seen = InspectionSeen {
                            kind: Kind::Unit,
                            unit: &unit.path,
                            auditor: None,
                        };
                        if actor.inspector(&seen).is_err() {
                            continue;
                        }
                        if inspections::find(&mut c, Kind::Unit, p, u.unit_id)
                            .await?
                            .is_some()
                        {
                            continue;
                        }
                        out.push(Due {
                            kind: Kind::Unit,
                            period: p,
                            unit_id: u.unit_id,
                            unit_name: tree.path_name(unit),
                            records: u.records,
                            people: u.people,
                        });
                    }
                }
                Period::Half { .. } => {
                    for a in tree.agencies() {
                        let seen = InspectionSeen {
                            kind: Kind::Agency,
                            unit: &a.path,
                            auditor: None,
                        };
                        if actor.inspector(&seen).is_err() {
                            continue;
                        }
                        let units =
                            inspections::of_agency_quarters(&mut c, a.id.0, &p.quarters()).await?;
                        if units.is_empty()
                            || inspections::find(&mut c, Kind::Agency, p, a.id.0)
                                .await?
                                .is_some()
                        {
                            continue;
                        }
                        out.push(Due {
                            kind: Kind::Agency,
                            period: p,
                            unit_id: a.id.0,
                            unit_name: tree.path_name(a),
                            records: units.iter().map(|i| i.sampled).sum(),
                            people: units.len() as i64,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn today(&self) -> time::Date {
        self.now().to_offset(portico_core::time::TAIPEI).date()
    }

    /// Draws a unit's quarter (§七 (一) 1): the unit's admins, for a
    /// quarter that has ended. Returns the inspection's id.
    pub async fn draw_unit(
        &self,
        actor: &Principal,
        period: Period,
        unit: OrgUnitId,
        ctx: &Ctx,
    ) -> Result<i64> {
        let tree = self.org_tree().await?;
        let u = tree.get(unit).ok_or(Error::NotFound)?;
        let who = actor.inspector(&InspectionSeen {
            kind: Kind::Unit,
            unit: &u.path,
            auditor: None,
        })?;
        self.draw(who, Kind::Unit, period, unit, false, true, ctx)
            .await
    }

    /// Draws an agency's half year (§七 (一) 2): its agency admins, once
    /// its units' quarters are drawn; `include_unaudited` adds the units'
    /// records their samples left out ("必要時亦得就單位未稽核部分實施稽核").
    pub async fn draw_agency(
        &self,
        actor: &Principal,
        period: Period,
        agency: OrgUnitId,
        include_unaudited: bool,
        ctx: &Ctx,
    ) -> Result<i64> {
        let tree = self.org_tree().await?;
        let a = tree
            .get(agency)
            .filter(|a| a.kind == OrgKind::Agency)
            .ok_or(Error::NotFound)?;
        let who = actor.inspector(&InspectionSeen {
            kind: Kind::Agency,
            unit: &a.path,
            auditor: None,
        })?;
        self.draw(
            who,
            Kind::Agency,
            period,
            agency,
            include_unaudited,
            true,
            ctx,
        )
        .await
    }

    /// Draws and keeps one sample; `notify` mails whoever audits it (the
    /// demo's past quarters are drawn without).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn draw(
        &self,
        who: Inspector,
        kind: Kind,
        period: Period,
        unit: OrgUnitId,
        include_unaudited: bool,
        notify: bool,
        ctx: &Ctx,
    ) -> Result<i64> {
        let fits = matches!(
            (kind, period),
            (Kind::Unit, Period::Quarter { .. }) | (Kind::Agency, Period::Half { .. })
        );
        if !fits {
            return Err(Error::invalid(
                "period",
                Msg::new(
                    "單位稽核以季為期，機關稽核以半年為期",
                    "A unit audits a quarter, an agency a half year",
                ),
            ));
        }
        if period.end() > self.today() {
            return Err(Error::Refused(Msg::owned(
                format!("{}尚未結束，結束後才能抽樣", period.label().zh),
                format!("{} has not ended; draw once it has", period.label().en),
            )));
        }
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
        let seed = u64::from_le_bytes(seed);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (through, _) = audit::head(&mut tx).await?;
        let pop = population(&mut tx, kind, period, unit.0, through, include_unaudited).await?;
        if pop.used.is_empty() {
            return Err(Error::Refused(match kind {
                Kind::Unit => Msg::new(
                    "這一季此單位沒有使用紀錄，不需抽樣",
                    "The unit has no usage this quarter; there is nothing to draw",
                ),
                Kind::Agency => Msg::new(
                    "此機關所屬單位尚未完成該半年的單位抽樣，請先辦理單位稽核",
                    "The agency's units have not drawn that half year's quarters; they audit first",
                ),
            }));
        }
        let picks = rules::draw(&pop.rows, pop.targets, seed);
        // Every sample is checked against the rules before it is kept.
        rules::check(&pop.rows, &picks, pop.targets)
            .map_err(|s| Error::internal(format!("draw broke a rule: {}", s.message().en)))?;
        let items: Vec<NewItem> = picks
            .iter()
            .map(|&i| {
                let u = pop.used[i];
                NewItem {
                    seq: u.seq,
                    month: pop.rows[i].month,
                    account_id: u.account_id,
                    unit_id: u.unit_id,
                }
            })
            .collect();
        let n = NewInspection {
            kind,
            period,
            unit_id: unit.0,
            seed,
            through_seq: through,
            population: pop.used.len() as i64,
            people: pop.people as i64,
            target_records: pop.targets.records as i64,
            target_people: pop.targets.people as i64,
            include_unaudited,
        };
        let id = inspections::insert(&mut tx, &who, &n, &items, now).await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut e = event(ctx, "inspection.draw");
        self.as_inspector(&mut tx, &mut e, who).await?;
        target(&mut e, &ins);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({
            "period": period.code(), "records": n.population, "people": n.people,
            "sampled": items.len(),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        // The unit's admins (or the agency's) are told their sample waits.
        let to = if notify {
            self.inspectors_mail(&mut tx, &ins).await?
        } else {
            Vec::new()
        };
        for to in to {
            self.put_mail(
                &mut tx,
                &to,
                mail::inspection_drawn(&ins),
                None,
                &ins.unit_path,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(id)
    }

    /// Fills the actor's fields of an event: the inspector, or the portal.
    pub(crate) async fn as_inspector(
        &self,
        c: &mut Conn,
        e: &mut audit::NewEvent,
        who: Inspector,
    ) -> Result<()> {
        self.as_actor(c, e, who.by()).await
    }

    /// The addresses of whoever audits `ins`: its delegated auditor, or the
    /// admins of the unit (the narrowest admins over it), or the agency's.
    pub(crate) async fn inspectors_mail(
        &self,
        c: &mut Conn,
        ins: &Inspection,
    ) -> Result<Vec<String>> {
        let mut to = Vec::new();
        if let Some(a) = ins.auditor_id {
            if let Some(a) =
                portico_store::accounts::get(c, portico_core::ids::AccountId(a)).await?
            {
                to.push(a.official_email);
            }
        } else {
            let unit_admins = roles::unit_admins_of(c, OrgUnitId(ins.unit_id)).await?;
            if ins.kind == Kind::Unit && !unit_admins.is_empty() {
                to.extend(unit_admins.into_iter().map(|a| a.official_email));
            } else if let Some(agency) = ins.agency_id {
                to.extend(
                    roles::agency_admins(c, OrgUnitId(agency))
                        .await?
                        .into_iter()
                        .map(|a| a.official_email),
                );
            }
        }
        to.retain(|t| !t.is_empty());
        to.sort();
        to.dedup();
        Ok(to)
    }

    /// One inspection with its sample, for whoever may work on it.
    pub async fn inspection(&self, actor: &Principal, id: i64) -> Result<InspectionView> {
        let mut c = self.db.read().await?;
        let ins = inspections::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let who = inspector_of(actor, &ins)?;
        let items = inspections::items(&mut c, id).await?;
        let ethics = match ins.agency_id {
            Some(a) => inspections::ethics(&mut c, a).await?,
            None => None,
        };
        let me = actor.account_id().0;
        let items = items.into_iter().map(|i| sampled(i, me)).collect();
        Ok(InspectionView {
            may_work: ins.state == rules::State::Open,
            may_delegate: ins.state == rules::State::Open
                && !who.delegated()
                && ins.kind == Kind::Unit,
            inspection: ins,
            items,
            ethics,
        })
    }

    /// Draws an inspection's sample again from its stored seed and chain
    /// position: the same records give the same sample. Returns the
    /// sequence numbers drawn now and those kept, for the actor to compare
    /// (and `portico inspection redraw` to check).
    pub async fn redraw(&self, actor: &Principal, id: i64) -> Result<(Vec<i64>, Vec<i64>)> {
        let mut c = self.db.read().await?;
        let ins = inspections::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        inspector_of(actor, &ins)?;
        let pop = population(
            &mut c,
            ins.kind,
            ins.period,
            ins.unit_id,
            ins.through_seq,
            ins.include_unaudited,
        )
        .await?;
        let now: Vec<i64> = rules::draw(&pop.rows, pop.targets, ins.seed)
            .into_iter()
            .map(|i| pop.used[i].seq)
            .collect();
        let kept = inspections::items(&mut c, id)
            .await?
            .into_iter()
            .map(|i| i.seq)
            .collect();
        Ok((now, kept))
    }

    /// The schedule (daily): in the month after a quarter, every unit with
    /// usage gets its sample; in January and July every agency whose units
    /// have drawn gets its half year's. Returns how many were drawn.
    pub async fn draw_due_inspections(&self, u: &Unattended) -> Result<usize> {
        let today = self.today();
        let ctx = Ctx::default();
        let q = Period::quarter_before(today);
        let mut n = 0;
        // Only in the month the rules name; a missed month is drawn by hand.
        if today < q.due().next_day().unwrap_or(today) {
            let mut c = self.db.read().await?;
            let (through, _) = audit::head(&mut c).await?;
            let used = usage::units_with_use(
                &mut c,
                portico_core::time::taipei_day_start(q.start()),
                portico_core::time::taipei_day_start(q.end()),
                through,
            )
            .await?;
            drop(c);
            for unit in used {
                n += usize::from(
                    self.draw_if_new(u, Kind::Unit, q, OrgUnitId(unit.unit_id), &ctx)
                        .await?,
                );
            }
        }
        let h = Period::half_before(today);
        if today < h.due().next_day().unwrap_or(today) {
            let tree = self.org_tree().await?;
            for a in tree.agencies() {
                let mut c = self.db.read().await?;
                let units = inspections::of_agency_quarters(&mut c, a.id.0, &h.quarters()).await?;
                drop(c);
                // Both quarters' units drawn first: the second quarter's
                // draw is this same month's.
                if units.iter().any(|i| i.period == h.quarters()[1]) {
                    n += usize::from(self.draw_if_new(u, Kind::Agency, h, a.id, &ctx).await?);
                }
            }
        }
        Ok(n)
    }

    async fn draw_if_new(
        &self,
        u: &Unattended,
        kind: Kind,
        p: Period,
        unit: OrgUnitId,
        ctx: &Ctx,
    ) -> Result<bool> {
        let mut c = self.db.read().await?;
        let exists = inspections::find(&mut c, kind, p, unit.0).await?.is_some();
        drop(c);
        if exists {
            return Ok(false);
        }
        match self
            .draw(u.inspector(), kind, p, unit, false, true, ctx)
            .await
        {
            Ok(_) => Ok(true),
            // Another node drew it, or there was nothing to draw.
            Err(Error::Conflict { .. }) | Err(Error::Refused(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The actor's right over a stored inspection.
pub(crate) fn inspector_of(actor: &Principal, ins: &Inspection) -> Result<Inspector> {
    let path = portico_core::org::TreePath::from_stored(ins.unit_path.clone());
    actor.inspector(&InspectionSeen {
        kind: ins.kind,
        unit: &path,
        auditor: ins.auditor_id.map(portico_core::ids::AccountId),
    })
}

/// An inspection as an event's target.
pub(crate) fn target(e: &mut audit::NewEvent, ins: &Inspection) {
    e.target_kind = "inspection".into();
    e.target_id = Some(ins.id);
    e.target_label = format!("{} {}", ins.period.label().zh, ins.unit_name);
    e.scope_path = ins.unit_path.clone();
}

/// A sampled record in words.
fn sampled(item: Item, me: i64) -> Sampled {
    let d: serde_json::Value = serde_json::from_str(&item.detail).unwrap_or_default();
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let (system, what, object) = match &item.app_name {
        Some(app) => (app.clone(), Msg::owned(s("use"), s("use")), s("object")),
        None => (
            "公務入口網".to_owned(),
            portico_core::audit::labels::action_label(&item.action),
            item.target_label.clone(),
        ),
    };
    let kind = portico_core::usage::ReasonKind::parse(&s("reason_kind"))
        .unwrap_or(portico_core::usage::ReasonKind::Other);
    let reason = format!("{}：{}", kind.label().zh, s("query_reason"));
    Sampled {
        own: item.account_id == me,
        system,
        what,
        object,
        reason,
        item,
    }
}

/// What a draw reads: the records, their rows for the rules, the targets.
struct Population {
    used: Vec<Used>,
    rows: Vec<Row>,
    people: u64,
    targets: Targets,
}

/// The records an inspection draws from. A unit's: its people's usage in
/// the quarter. An agency's: its units' samples of the half year (and with
/// `include_unaudited`, every record of its units in it); its people are
/// (unit, person) pairs, as the units counted them.
async fn population(
    c: &mut Conn,
    kind: Kind,
    period: Period,
    unit: i64,
    through: i64,
    include_unaudited: bool,
) -> Result<Population> {
    let from = portico_core::time::taipei_day_start(period.start());
    let to = portico_core::time::taipei_day_start(period.end());
    let month = |u: &Used| {
        period
            .month_of(u.used.to_offset(portico_core::time::TAIPEI).date())
            .unwrap_or(0)
    };
    match kind {
        Kind::Unit => {
            let used = usage::of_unit(c, unit, from, to, through).await?;
            let rows: Vec<Row> = used
                .iter()
                .map(|u| Row {
                    seq: u.seq,
                    month: month(u),
                    person: u.account_id,
                })
                .collect();
            let targets = Targets::unit(&rows);
            let people = rules::distinct_people(&rows);
            Ok(Population {
                used,
                rows,
                people,
                targets,
            })
        }
        Kind::Agency => {
            let units = inspections::of_agency_quarters(c, unit, &period.quarters()).await?;
            let ids: Vec<i64> = units.iter().map(|i| i.id).collect();
            let sampled = inspections::sampled_used(c, &ids).await?;
            let mut pairs: HashMap<(i64, i64), i64> = HashMap::new();
            let mut person = |u: &Used| {
                let n = pairs.len() as i64;
                *pairs.entry((u.unit_id, u.account_id)).or_insert(n)
            };
            let sampled_rows: Vec<Row> = sampled
                .iter()
                .map(|u| Row {
                    seq: u.seq,
                    month: month(u),
                    person: person(u),
                })
                .collect();
            let targets = Targets::agency(
                rules::distinct_people(&sampled_rows),
                sampled_rows.len() as u64,
            );
            let people = rules::distinct_people(&sampled_rows);
            if !include_unaudited {
                return Ok(Population {
                    used: sampled,
                    rows: sampled_rows,
                    people,
                    targets,
                });
            }
            let used = usage::of_agency(c, unit, from, to, through).await?;
            let rows: Vec<Row> = used
                .iter()
                .map(|u| Row {
                    seq: u.seq,
                    month: month(u),
                    person: person(u),
                })
                .collect();
            Ok(Population {
                used,
                rows,
                people,
                targets,
            })
        }
    }
}
