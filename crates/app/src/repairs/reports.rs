//! A report's way (圖 17): filed with photos by a person the type allows
//! (線上報修); answered by the type's repair staff (報修處理狀況回報);
//! rated or returned by its reporter (處理狀況回覆 評分 / 退回).
use super::mail;
use crate::access::Upload;
use crate::files::FileBytes;
use crate::{App, Ctx, Result, event};
use portico_core::audit::Outcome;
use portico_core::booking::{Kind, may_borrow};
use portico_core::files::check_photo;
use portico_core::permission::{KeptItem, Principal};
use portico_core::repair::{
    MAX_PHOTO, MAX_PHOTOS, RepairState, ReportInput, check_rating, check_reply, check_return,
};
use portico_core::{Error, Msg};
use portico_store::bookings::{self as items, ItemFilter, RepairTypeRow};
use portico_store::repairs::{self as store, RepairFilter, RepairRow, Step};
use portico_store::{Conn, Page, audit, db_err, orgs};
use serde_json::json;

/// A report as its page shows it, with what the viewer may do.
#[derive(Debug, Clone)]
pub struct RepairCase {
    pub repair: RepairRow,
    pub kind: RepairTypeRow,
    pub steps: Vec<Step>,
    pub photos: usize,
    /// The viewer reported it: they rate or return it once handled.
    pub reporter: bool,
    /// The viewer repairs its type: they reply while it is pending.
    pub staff: bool,
}

impl RepairCase {
    pub fn may_reply(&self) -> bool {
        self.staff && self.repair.state == RepairState::Pending
    }
    pub fn may_rate(&self) -> bool {
        self.reporter && self.repair.state == RepairState::Done
    }
}

/// A step on a report, as the actor, against its type: the report's
/// number and `detail`'s fields in its detail.
fn repair_event(
    ctx: &Ctx,
    actor: &Principal,
    action: &str,
    case: &RepairCase,
    detail: serde_json::Value,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = Kind::Repair.as_str().into();
    e.target_id = Some(case.kind.id);
    e.target_label = format!("報修類型 {}", case.kind.name);
    e.scope_path = case.kind.agency_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
    let mut d = json!({ "repair": case.repair.id });
    if let (Some(d), serde_json::Value::Object(more)) = (d.as_object_mut(), detail) {
        d.extend(more);
    }
    e.detail = d.to_string();
    e
}

fn photo_error(m: Msg) -> Error {
    Error::invalid("photos", m)
}

impl App {
    /// The repair types the person may report on (線上報修), by name.
    pub async fn reportable_types(&self, actor: &Principal, q: &str) -> Result<Vec<RepairTypeRow>> {
        let mut c = self.db.read().await?;
        let me = self.borrower(&mut c, actor).await?;
        let Some(agency) = me.agency_id else {
            return Ok(Vec::new());
        };
        let f = ItemFilter {
            borrowable_by: Some(agency.0),
            q: Some(q),
            ..Default::default()
        };
        Ok(items::repair_types(&mut c, &f, 1, 0).await?.items)
    }

    /// A type the person may report on; one they may not is not found.
    pub async fn reportable_type(&self, actor: &Principal, id: i64) -> Result<RepairTypeRow> {
        let mut c = self.db.read().await?;
        self.reportable(&mut c, actor, id).await
    }

    async fn reportable(&self, c: &mut Conn, actor: &Principal, id: i64) -> Result<RepairTypeRow> {
        let t = items::repair_type(c, id).await?.ok_or(Error::NotFound)?;
        let me = self.borrower(c, actor).await?;
        if !may_borrow(
            t.borrowers,
            t.agency_id,
            &t.agencies,
            me.agency_id.map(|a| a.0),
        ) {
            return Err(Error::NotFound);
        }
        Ok(t)
    }

    /// Files a report (新增報修案件) with up to three photos; the type's
    /// repair staff are mailed. Returns its id.
    pub async fn report_repair(
        &self,
        actor: &Principal,
        type_id: i64,
        input: &ReportInput,
        photos: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let mut c = self.db.read().await?;
        let t = self.reportable(&mut c, actor, type_id).await?;
        let report = input.check(&t.places)?;
        if photos.len() > MAX_PHOTOS {
            return Err(photo_error(Msg::owned(
                format!("照片至多 {MAX_PHOTOS} 張"),
                format!("At most {MAX_PHOTOS} photos"),
            )));
        }
        let kinds = photos
            .iter()
            .map(|p| check_photo(&p.name, &p.bytes, MAX_PHOTO).map_err(photo_error))
            .collect::<Result<Vec<_>>>()?;
        if !self
            .rate_allow(&format!("repair-report:{}", actor.account_id().0), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "報修次數過多，請稍候一分鐘再試",
                "Too many reports; wait a minute and try again",
            )));
        }
        let me = self.borrower(&mut c, actor).await?;
        let unit = match me.agency_id {
            Some(a) => orgs::get(&mut c, a)
                .await?
                .map(|u| u.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        drop(c);
        // The bytes first: a row never names bytes not kept.
        let mut stashed = Vec::with_capacity(photos.len());
        for (p, kind) in photos.into_iter().zip(kinds) {
            stashed.push(self.stash_upload("repairs", &p.name, kind, p.bytes).await?);
        }
        let filed = async {
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let id = store::insert_repair(
                &mut tx,
                type_id,
                actor.account_id(),
                (me.agency_id.map(|a| a.0), &unit),
                &report,
                now,
            )
            .await?;
            for (i, s) in stashed.iter().enumerate() {
                let file = self.keep_stashed(&mut tx, actor.account_id(), s).await?;
                store::add_photo(&mut tx, id, i as i64 + 1, file).await?;
            }
            let detail = json!({
                "repair": id,
                "place": format!("{} {}", report.location, report.floor),
                "photos": stashed.len(),
            });
            self.booked_event(
                &mut tx,
                ctx,
                actor,
                "repair.report",
                Kind::Repair,
                type_id,
                detail,
            )
            .await?;
            for s in t.staff.iter().filter(|s| !s.official_email.is_empty()) {
                let m = mail::reported(&t, id, &me.name, &unit, &report);
                self.put_mail(
                    &mut tx,
                    &s.official_email,
                    m,
                    Some(s.account_id),
                    t.agency_path.as_str(),
                )
                .await?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok::<_, Error>(id)
        }
        .await;
        if filed.is_err() {
            for s in &stashed {
                self.drop_stashed(s).await;
            }
        } else {
            self.wake_outbox();
        }
        filed
    }

    /// The person's own reports (我的維修), of one type or all.
    pub async fn my_repairs(
        &self,
        actor: &Principal,
        type_id: Option<i64>,
        states: &[RepairState],
        page: u32,
    ) -> Result<Page<RepairRow>> {
        let f = RepairFilter {
            type_id,
            reporter: Some(actor.account_id()),
            states,
            ..Default::default()
        };
        store::repairs(&mut *self.db.read().await?, &f, page, 20).await
    }

    /// The reports of the types the person repairs (報修處理狀況回報).
    pub async fn repair_work(
        &self,
        actor: &Principal,
        states: &[RepairState],
        q: &str,
        page: u32,
    ) -> Result<Page<RepairRow>> {
        let f = RepairFilter {
            staffed_by: Some(actor.account_id()),
            states,
            q: Some(q),
            ..Default::default()
        };
        store::repairs(&mut *self.db.read().await?, &f, page, 20).await
    }

    /// A report and who the viewer is to it: its reporter, its type's
    /// repair staff, or its type's keeper. Anyone else finds nothing.
    async fn case_of(&self, c: &mut Conn, actor: &Principal, id: i64) -> Result<RepairCase> {
        let repair = store::repair(c, id).await?.ok_or(Error::NotFound)?;
        // A removed type's reports stay readable to their reporters.
        let kind = match items::repair_type(c, repair.type_id).await? {
            Some(t) => t,
            None if repair.reporter_id == actor.account_id() => {
                items::repair_type_any(c, repair.type_id)
                    .await?
                    .ok_or(Error::NotFound)?
            }
            None => return Err(Error::NotFound),
        };
        let me = actor.account_id();
        let reporter = repair.reporter_id == me;
        let staff = kind.is_staff(me);
        let custodians = kind.custodian_ids();
        let keeps = actor
            .keeper(&KeptItem {
                kind: Kind::Repair,
                id: kind.id,
                agency: &kind.agency_path,
                custodians: &custodians,
            })
            .is_ok();
        if !(reporter || staff || keeps) {
            return Err(Error::NotFound);
        }
        Ok(RepairCase {
            steps: store::steps(c, id).await?,
            photos: store::photos(c, id).await?.len(),
            repair,
            kind,
            reporter,
            staff,
        })
    }

    /// A report, for its reporter, its type's staff and keepers.
    pub async fn repair_case(&self, actor: &Principal, id: i64) -> Result<RepairCase> {
        let mut c = self.db.read().await?;
        self.case_of(&mut c, actor, id).await
    }

    /// A report's photo (1-based), for those who may see the report.
    pub async fn repair_photo(&self, actor: &Principal, id: i64, n: usize) -> Result<FileBytes> {
        let mut c = self.db.read().await?;
        self.case_of(&mut c, actor, id).await?;
        let files = store::photos(&mut c, id).await?;
        drop(c);
        let file = *files.get(n.wrapping_sub(1)).ok_or(Error::NotFound)?;
        self.read_kept(file).await
    }

    /// The type's repair staff reply (處理狀況回報): the result and a
    /// category; the report is 已處理 and its reporter is mailed.
    pub async fn reply_repair(
        &self,
        actor: &Principal,
        id: i64,
        result: &str,
        category: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut c = self.db.read().await?;
        let case = self.case_of(&mut c, actor, id).await?;
        drop(c);
        if !case.staff {
            return Err(Error::Forbidden);
        }
        let (result, category) = check_reply(result, category, &case.kind.categories)?;
        if case.repair.state != RepairState::Pending {
            return Err(not_pending());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::reply(&mut tx, id, actor.account_id(), &result, &category, now).await?;
        let e = repair_event(
            ctx,
            actor,
            "repair.reply",
            &case,
            json!({ "category": category }),
        );
        audit::append(&mut tx, &e, now).await?;
        if !case.repair.reporter_email.is_empty() {
            let m = mail::replied(&case, actor.name(), &result, &category);
            self.put_mail(
                &mut tx,
                &case.repair.reporter_email,
                m,
                Some(case.repair.reporter_id),
                case.kind.agency_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// The reporter rates a handled report (評分, 1–5, with 備註); it is
    /// then closed.
    pub async fn rate_repair(
        &self,
        actor: &Principal,
        id: i64,
        score: &str,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let case = self.reporters_case(actor, id).await?;
        let (score, note) = check_rating(score, note)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::rate(&mut tx, id, actor.account_id(), score, &note, now).await?;
        let e = repair_event(ctx, actor, "repair.rate", &case, json!({ "score": score }));
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The reporter returns a handled report (退回) with the reason: it is
    /// pending again, the return counted, and the staff are mailed.
    pub async fn return_repair(
        &self,
        actor: &Principal,
        id: i64,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let case = self.reporters_case(actor, id).await?;
        let reason = check_return(reason)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::return_repair(&mut tx, id, actor.account_id(), &reason, now).await?;
        let mut e = repair_event(ctx, actor, "repair.return", &case, json!({}));
        e.reason = reason.clone();
        audit::append(&mut tx, &e, now).await?;
        for s in case
            .kind
            .staff
            .iter()
            .filter(|s| !s.official_email.is_empty())
        {
            let m = mail::returned(&case, &reason);
            self.put_mail(
                &mut tx,
                &s.official_email,
                m,
                Some(s.account_id),
                case.kind.agency_path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// The report, if the actor reported it and it waits for their word.
    async fn reporters_case(&self, actor: &Principal, id: i64) -> Result<RepairCase> {
        let mut c = self.db.read().await?;
        let case = self.case_of(&mut c, actor, id).await?;
        if !case.reporter {
            return Err(Error::Forbidden);
        }
        if case.repair.state != RepairState::Done {
            return Err(Error::Conflict {
                field: "state",
                message: Msg::new(
                    "這件報修尚未處理完成或已評分，目前不能評分或退回",
                    "The report is not handled yet, or rated already; it cannot be rated or returned now",
                ),
            });
        }
        Ok(case)
    }
}

fn not_pending() -> Error {
    Error::Conflict {
        field: "state",
        message: Msg::new(
            "這件報修已回報處理狀況，待報修人評分或退回",
            "The report is answered already; it waits for its reporter",
        ),
    }
}
