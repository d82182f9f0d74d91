//! The auditor's work on a drawn sample: marks (正常 / 異常 with a note),
//! the sign-off, handing the work to an auditor, findings and their
//! closing (§七 (一) 3: an 異常 is reported to the agency admin and the
//! ethics unit), the ethics unit's address, and the agency's records sent
//! on (§七 (一) 2).
use super::{inspector_of, target};
use crate::{App, Ctx, Result, event, mail};
use portico_core::audit::Outcome;
use portico_core::ids::OrgUnitId;
use portico_core::inspection::{Kind, Mark, State, check_mark};
use portico_core::permission::{InspectionSeen, Principal};
use portico_core::text::Email;
use portico_core::{Error, FieldError, Msg};
use portico_store::inspections::{self, Inspection, Item};
use portico_store::{Conn, accounts, audit, db_err, roles};
use serde_json::json;

/// One mark as the auditor sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MarkInput {
    pub seq: i64,
    pub mark: String,
    pub note: String,
}

fn not_open() -> Error {
    Error::Conflict {
        field: "state",
        message: Msg::new(
            "這份稽核紀錄已簽核完成，不能再修改",
            "This audit record is signed off and can no longer change",
        ),
    }
}

impl App {
    /// The inspection's auditor marks sampled records, one or many. Every
    /// mark is checked first (an 異常 needs a note; nobody marks their own
    /// record); then all are written, or none. An 異常 tells the agency's
    /// admins and its ethics unit.
    pub async fn mark_items(
        &self,
        actor: &Principal,
        id: i64,
        marks: &[MarkInput],
        ctx: &Ctx,
    ) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let who = inspector_of(actor, &ins)?;
        if ins.state != State::Open {
            return Err(not_open());
        }
        let items = inspections::items(&mut tx, id).await?;
        let mut errors = Vec::new();
        let mut checked = Vec::new();
        for m in marks.iter().filter(|m| !m.mark.is_empty()) {
            let Some(item) = items.iter().find(|i| i.seq == m.seq) else {
                return Err(Error::NotFound);
            };
            let Some(mark) = Mark::parse(&m.mark) else {
                errors.push(field_msg(
                    item.seq,
                    Msg::new("請選擇正常或異常", "Choose normal or abnormal"),
                ));
                continue;
            };
            // What the page sends again unchanged is not a new mark.
            if item.mark == Some(mark) && item.note == m.note.trim() {
                continue;
            }
            if item.mark == Some(Mark::Abnormal) {
                errors.push(field_msg(
                    item.seq,
                    Msg::new(
                        "已標記為異常的紀錄是異常事項，不能改標；處理後由機關管理者結案",
                        "A record marked abnormal is a finding and cannot be re-marked; the agency admin closes it once handled",
                    ),
                ));
                continue;
            }
            if item.account_id == actor.account_id().0 {
                errors.push(field_msg(
                    item.seq,
                    Msg::new(
                        "這是您本人的使用紀錄，請由其他稽核人員標記",
                        "This is your own record; another auditor marks it",
                    ),
                ));
                continue;
            }
            match check_mark(mark, &m.note) {
                Ok(note) => checked.push((item, mark, note)),
                Err(Error::Invalid(f)) => {
                    errors.extend(f.into_iter().map(|e| field_msg(item.seq, e.message)))
                }
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if checked.is_empty() {
            if marks.iter().any(|m| !m.mark.is_empty()) {
                return Ok(0);
            }
            return Err(Error::invalid(
                "marks",
                Msg::new("請至少標記一筆紀錄", "Mark at least one record"),
            ));
        }
        let now = self.now();
        let mut events = Vec::new();
        let mut abnormal: Vec<(&Item, String)> = Vec::new();
        for (item, mark, note) in &checked {
            if !inspections::mark(&mut tx, &who, id, item.seq, *mark, note, now).await? {
                return Err(not_open());
            }
            let mut e = event(ctx, "inspection.mark");
            self.as_inspector(&mut tx, &mut e, who).await?;
            target(&mut e, &ins);
            e.outcome = Some(Outcome::Ok);
            e.detail =
                json!({"seq": item.seq, "login": item.login, "mark": mark.as_str(), "note": note})
                    .to_string();
            events.push(e);
            // A record marked 異常 again is one finding, told once.
            if *mark == Mark::Abnormal && item.mark != Some(Mark::Abnormal) {
                abnormal.push((item, note.clone()));
            }
        }
        let timed: Vec<_> = events.iter().map(|e| (e, now)).collect();
        audit::append_many(&mut tx, &timed).await?;
        for (item, note) in &abnormal {
            for to in finding_mail(&mut tx, &ins).await? {
                self.put_mail(
                    &mut tx,
                    &to,
                    mail::finding_opened(&ins, item, note),
                    None,
                    &ins.unit_path,
                )
                .await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        if !abnormal.is_empty() {
            self.wake_outbox();
        }
        Ok(checked.len())
    }

    /// Signs off an inspection whose every record is marked, with its
    /// conclusion: the record (附件二 or 附件三) is then final.
    pub async fn sign_inspection(
        &self,
        actor: &Principal,
        id: i64,
        conclusion: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let conclusion = portico_core::text::clean_text(conclusion, 0, 1000)
            .map_err(|m| Error::invalid("conclusion", m))?;
        let mut tx = self.db.begin().await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let who = inspector_of(actor, &ins)?;
        if ins.state != State::Open {
            return Err(not_open());
        }
        if ins.marked < ins.sampled {
            return Err(Error::Refused(Msg::owned(
                format!(
                    "尚有 {} 筆紀錄未標記，全部標記後才能簽核",
                    ins.sampled - ins.marked
                ),
                format!(
                    "{} records are not marked yet; mark them all first",
                    ins.sampled - ins.marked
                ),
            )));
        }
        let now = self.now();
        if !inspections::sign(&mut tx, &who, id, &conclusion, now).await? {
            return Err(not_open());
        }
        let mut e = event(ctx, "inspection.sign");
        self.as_inspector(&mut tx, &mut e, who).await?;
        target(&mut e, &ins);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"period": ins.period.code(), "sampled": ins.sampled, "records": ins.abnormal, "note": conclusion}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// An admin over the unit hands its open inspection to an auditor (an
    /// active account of the unit's agency), or takes it back (`login`
    /// empty).
    pub async fn delegate_inspection(
        &self,
        actor: &Principal,
        id: i64,
        login: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let who = inspector_of(actor, &ins)?;
        if who.delegated() || ins.kind != Kind::Unit {
            return Err(Error::Forbidden);
        }
        let auditor = match login.trim() {
            "" => None,
            l => {
                let a = accounts::find_by_login(&mut tx, l)
                    .await?
                    .filter(|a| {
                        a.state == portico_core::account::AccountState::Active
                            && a.agency_id.map(|x| x.0) == ins.agency_id
                    })
                    .ok_or_else(|| {
                        Error::invalid(
                            "auditor",
                            Msg::new(
                                "查無此帳號，或不是本機關在職的使用者",
                                "No such account, or not an active person of this agency",
                            ),
                        )
                    })?;
                Some(a)
            }
        };
        if !inspections::set_auditor(&mut tx, &who, id, auditor.as_ref().map(|a| a.id.0)).await? {
            return Err(not_open());
        }
        let now = self.now();
        let mut e = event(ctx, "inspection.delegate");
        self.as_inspector(&mut tx, &mut e, who).await?;
        target(&mut e, &ins);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"login": auditor.as_ref().map(|a| a.login.clone()).unwrap_or_default()})
            .to_string();
        audit::append(&mut tx, &e, now).await?;
        if let Some(a) = &auditor
            && !a.official_email.is_empty()
        {
            self.put_mail(
                &mut tx,
                &a.official_email,
                mail::inspection_drawn(&ins),
                Some(a.id),
                &ins.unit_path,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// Open findings in the actor's scope: 異常 marks not yet closed, each
    /// with whether the actor may close it (its agency's admins).
    pub async fn open_findings(&self, actor: &Principal) -> Result<Vec<(Item, bool)>> {
        let admin = actor.admin()?;
        let mut c = self.db.read().await?;
        let items = inspections::open_findings(&mut c, admin.scope()).await?;
        drop(c);
        let tree = self.org_tree().await?;
        Ok(items
            .into_iter()
            .map(|i| {
                let closes = tree
                    .get(OrgUnitId(i.unit_id))
                    .and_then(|u| u.agency_id)
                    .and_then(|a| tree.get(a))
                    .is_some_and(|a| {
                        actor
                            .inspector(&InspectionSeen {
                                kind: Kind::Agency,
                                unit: &a.path,
                                auditor: None,
                            })
                            .is_ok()
                    });
                (i, closes)
            })
            .collect())
    }

    /// The agency's admins close a finding with what was done about it.
    pub async fn close_finding(
        &self,
        actor: &Principal,
        id: i64,
        seq: i64,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let note = portico_core::text::clean_text(note, 2, 500).map_err(|m| {
            Error::invalid(
                "close_note",
                if note.trim().is_empty() {
                    Msg::new(
                        "請說明處理情形（如已提報懲處、已通報政風單位）",
                        "Say what was done (reported for discipline, told the ethics unit …)",
                    )
                } else {
                    m
                },
            )
        })?;
        let mut tx = self.db.begin().await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let agency = ins.agency_id.ok_or(Error::NotFound)?;
        let tree = self.org_tree().await?;
        let a = tree.get(OrgUnitId(agency)).ok_or(Error::NotFound)?;
        // Findings are the agency's: its agency admins close them.
        let who = actor.inspector(&InspectionSeen {
            kind: Kind::Agency,
            unit: &a.path,
            auditor: None,
        })?;
        let item = inspections::item(&mut tx, id, seq)
            .await?
            .ok_or(Error::NotFound)?;
        if item.mark != Some(Mark::Abnormal) {
            return Err(Error::NotFound);
        }
        let now = self.now();
        if !inspections::close_finding(&mut tx, &who, id, seq, &note, now).await? {
            return Err(Error::Conflict {
                field: "close_note",
                message: Msg::new("這項異常已結案", "This finding is closed already"),
            });
        }
        let mut e = event(ctx, "inspection.close");
        self.as_inspector(&mut tx, &mut e, who).await?;
        target(&mut e, &ins);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"seq": seq, "login": item.login, "note": note}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// An agency's admins set the address of its ethics unit (政風).
    pub async fn set_ethics_contact(
        &self,
        actor: &Principal,
        agency: OrgUnitId,
        email: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let email = Email::parse(email).map_err(|m| Error::invalid("email", m))?;
        let tree = self.org_tree().await?;
        let a = tree
            .get(agency)
            .filter(|a| a.kind == portico_core::org::OrgKind::Agency)
            .ok_or(Error::NotFound)?;
        let who = actor.inspector(&InspectionSeen {
            kind: Kind::Agency,
            unit: &a.path,
            auditor: None,
        })?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        inspections::set_ethics(&mut tx, &who, agency.0, email.as_str(), now).await?;
        let mut e = event(ctx, "inspection.ethics");
        self.as_inspector(&mut tx, &mut e, who).await?;
        e.target_kind = "org_unit".into();
        e.target_id = Some(agency.0);
        e.target_label = a.name.clone();
        e.scope_path = a.path.as_str().to_owned();
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"email": email.as_str()}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The agencies whose ethics contact the actor may set, with the
    /// address on file: an agency admin's agencies; for system admins, the
    /// agencies with an inspection.
    pub async fn ethics_contacts(&self, actor: &Principal) -> Result<Vec<(i64, String, String)>> {
        if actor.admin_scope().is_none() {
            return Ok(Vec::new());
        }
        let tree = self.org_tree().await?;
        let mut c = self.db.read().await?;
        let with_inspections: Vec<i64> = if actor.is_system_admin() {
            let all = portico_core::permission::AdminScope::All;
            inspections::list(
                &mut c,
                Some(&all),
                0,
                &inspections::ListFilter::default(),
                0,
            )
            .await?
            .items
            .into_iter()
            .filter_map(|i| i.agency_id)
            .collect()
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        for a in tree.agencies() {
            let seen = InspectionSeen {
                kind: Kind::Agency,
                unit: &a.path,
                auditor: None,
            };
            if actor.inspector(&seen).is_err()
                || (actor.is_system_admin() && !with_inspections.contains(&a.id.0))
            {
                continue;
            }
            let email = inspections::ethics(&mut c, a.id.0)
                .await?
                .unwrap_or_default();
            out.push((a.id.0, tree.path_name(a), email));
        }
        Ok(out)
    }

    /// The agency admin records that the half year's unit and agency
    /// records were sent on (函送), which ends the reminders.
    pub async fn mark_inspection_sent(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let ins = inspections::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let who = inspector_of(actor, &ins)?;
        if ins.kind != Kind::Agency {
            return Err(Error::NotFound);
        }
        let now = self.now();
        if !inspections::mark_sent(&mut tx, &who, id, now).await? {
            return Err(Error::Refused(Msg::new(
                "簽核完成後才能登記函送，且只能登記一次",
                "Sign the record off first; it is sent on once",
            )));
        }
        let mut e = event(ctx, "inspection.sent");
        self.as_inspector(&mut tx, &mut e, who).await?;
        target(&mut e, &ins);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"period": ins.period.code()}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

impl App {
    /// The daily reminders: an inspection not signed off a week before it
    /// is due; an agency's signed record not yet sent on two weeks before
    /// the end of February or August. Each is sent once. Returns how many.
    pub async fn remind_inspections(&self) -> Result<usize> {
        let today = self.today();
        let mut c = self.db.read().await?;
        let all = portico_core::permission::AdminScope::All;
        let open = inspections::list(
            &mut c,
            Some(&all),
            0,
            &inspections::ListFilter {
                state: Some(State::Open),
                ..Default::default()
            },
            0,
        )
        .await?
        .items;
        let signed = inspections::list(
            &mut c,
            Some(&all),
            0,
            &inspections::ListFilter {
                kind: Some(Kind::Agency),
                state: Some(State::Signed),
                ..Default::default()
            },
            0,
        )
        .await?
        .items;
        drop(c);
        let mut n = 0;
        let near = |d: time::Date, days: i64| today >= d - time::Duration::days(days) && today <= d;
        for (ins, send_on) in open
            .iter()
            .filter(|i| near(i.period.due(), 7))
            .map(|i| (i, false))
            .chain(
                signed
                    .iter()
                    .filter(|i| i.sent_at.is_none() && near(i.period.send_by(), 14))
                    .map(|i| (i, true)),
            )
        {
            let mut tx = self.db.begin().await?;
            let name = format!(
                "inspection_remind:{}:{}",
                ins.id,
                if send_on { "send" } else { "due" }
            );
            if !portico_store::jobs::claim(&mut tx, &name, time::Duration::days(3650), self.now())
                .await?
            {
                continue;
            }
            let to = if send_on {
                finding_mail(&mut tx, ins).await?
            } else {
                self.inspectors_mail(&mut tx, ins).await?
            };
            for t in &to {
                self.put_mail(
                    &mut tx,
                    t,
                    mail::inspection_reminder(ins, send_on),
                    None,
                    &ins.unit_path,
                )
                .await?;
            }
            tx.commit().await.map_err(db_err)?;
            n += 1;
        }
        if n > 0 {
            self.wake_outbox();
        }
        Ok(n)
    }
}

fn field_msg(seq: i64, m: Msg) -> FieldError {
    FieldError {
        field: "marks",
        message: Msg::owned(
            format!("紀錄 {seq}：{}", m.zh),
            format!("record {seq}: {}", m.en),
        ),
    }
}

/// Who hears of a finding: the agency's admins and its ethics unit.
async fn finding_mail(c: &mut Conn, ins: &Inspection) -> Result<Vec<String>> {
    let Some(agency) = ins.agency_id else {
        return Ok(Vec::new());
    };
    let mut to: Vec<String> = roles::agency_admins(c, OrgUnitId(agency))
        .await?
        .into_iter()
        .map(|a| a.official_email)
        .collect();
    if let Some(e) = inspections::ethics(c, agency).await? {
        to.push(e);
    }
    to.retain(|t| !t.is_empty());
    to.sort();
    to.dedup();
    Ok(to)
}
