//! Booking a venue and deciding the requests: the week's grid of hours
//! (依場地查詢允許申請時間), the venues free for a span (依時間查詢允許申請場地
//! 清單), a request checked against the venue, the custodian's decision one
//! or a batch (場地借用審核), the applicant's cancelling, and their records.
use super::mail;
use super::target;
use crate::{App, Ctx, Result, event};
use portico_core::booking::{
    Kind, Span, State, VenueRequestInput, at_hour, check_decision_note, check_span, may_borrow,
    week_start,
};
use portico_core::ids::OrgUnitId;
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::bookings::{self as store, Booking, BookingFilter, NewBooking, VenueRow};
use portico_store::{Page, audit, db_err, orgs};
use serde_json::json;
use time::{Date, Duration};

/// One hour of one day on a venue's grid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekCell {
    /// Outside the opening hours, a closed day, or begun.
    Closed,
    /// Free: 「申請」.
    Free,
    /// Requested, waiting for the custodian (others may still ask).
    Asked,
    /// Held by an approved booking.
    Held,
}

/// An item's week: its days, the hours it opens, and each cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Week<T> {
    pub item: T,
    pub monday: Date,
    pub days: Vec<Date>,
    pub hours: Vec<u8>,
    /// `cells[day][hour index]`.
    pub cells: Vec<Vec<WeekCell>>,
}

/// How one request of a batch went.
#[derive(Debug, Clone)]
pub struct DecideOutcome {
    pub id: i64,
    pub label: String,
    pub refused: Option<Msg>,
}

fn not_yours() -> Msg {
    Msg::new(
        "找不到此申請，或您不是這個場地的保管人",
        "No such request, or you do not keep this venue",
    )
}

impl App {
    /// A venue the actor may borrow, or not found.
    async fn borrowable(
        &self,
        c: &mut portico_store::Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(VenueRow, portico_store::accounts::Account)> {
        let v = store::venue(c, id).await?.ok_or(Error::NotFound)?;
        let me = self.borrower(c, actor).await?;
        // 是否公開 否: only its keepers see it.
        if !v.public
            || !may_borrow(
                v.borrowers,
                v.agency_id,
                &v.agencies,
                me.agency_id.map(|a| a.0),
            )
        {
            return Err(Error::NotFound);
        }
        Ok((v, me))
    }

    /// A venue's week from `monday`, as one who may borrow it sees it.
    pub async fn venue_week(
        &self,
        actor: &Principal,
        id: i64,
        day: Date,
    ) -> Result<Week<VenueRow>> {
        let mut c = self.db.read().await?;
        let (venue, _) = self.borrowable(&mut c, actor, id).await?;
        let open = venue.opening;
        self.week(&mut c, (Kind::Venue, id), venue, open, day).await
    }

    /// The week's grid of an item open at `opening`: held hours, asked
    /// hours, free ones.
    pub(crate) async fn week<T>(
        &self,
        c: &mut portico_store::Conn,
        (kind, id): (Kind, i64),
        item: T,
        opening: portico_core::booking::Opening,
        day: Date,
    ) -> Result<Week<T>> {
        let monday = week_start(day);
        let days: Vec<Date> = (0..7).map(|i| monday + Duration::days(i)).collect();
        let hours: Vec<u8> = (opening.from..opening.until).collect();
        let (from, until) = (at_hour(monday, 0), at_hour(monday + Duration::days(7), 0));
        let held = store::held(c, kind, &[id], from, until).await?;
        let asked = store::bookings(
            c,
            &BookingFilter {
                kind: Some(kind),
                item: Some(id),
                states: &[State::Pending],
                from: Some(from),
                until: Some(until),
                ..Default::default()
            },
            1,
            0,
        )
        .await?
        .items;
        let now = self.now();
        let cells = days
            .iter()
            .map(|d| {
                hours
                    .iter()
                    .map(|h| {
                        let t = at_hour(*d, *h);
                        if !opening.open_on(*d) || t <= now {
                            WeekCell::Closed
                        } else if held.iter().any(|(_, s, _)| *s == t) {
                            WeekCell::Held
                        } else if asked.iter().any(|b| b.starts_at <= t && t < b.ends_at) {
                            WeekCell::Asked
                        } else {
                            WeekCell::Free
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Week {
            item,
            monday,
            days,
            hours,
            cells,
        })
    }

    /// The venues the actor may borrow that are open and free for the
    /// whole span (依時間查詢允許申請場地清單).
    pub async fn free_venues(
        &self,
        actor: &Principal,
        date: &str,
        from: &str,
        until: &str,
        location: &str,
    ) -> Result<(Span, Vec<VenueRow>)> {
        let all = self.borrowable_venues(actor, location).await?;
        let now = self.now();
        // The span checked against a day open around the clock: each venue's
        // own hours are checked below.
        let any = portico_core::booking::Opening {
            from: 0,
            until: 24,
            days: 0b111_1111,
        };
        let span = check_span(date, from, until, &any, now)?;
        let ids: Vec<i64> = all.iter().map(|v| v.id).collect();
        let held = store::held(
            &mut *self.db.read().await?,
            Kind::Venue,
            &ids,
            span.start(),
            span.end(),
        )
        .await?;
        let free = all
            .into_iter()
            .filter(|v| v.opening.covers(&span) && !held.iter().any(|(i, _, _)| *i == v.id))
            .collect();
        Ok((span, free))
    }

    /// The 借用單位: the person's agency, or a unit of it they belong to.
    pub(crate) async fn borrowing_unit(
        &self,
        c: &mut portico_store::Conn,
        me: &portico_store::accounts::Account,
        chosen: Option<i64>,
    ) -> Result<i64> {
        let agency = me.agency_id.ok_or_else(|| {
            Error::Refused(Msg::new(
                "您的帳號不屬於任何機關，無法借用",
                "Your account belongs to no agency, so it cannot borrow",
            ))
        })?;
        let Some(unit) = chosen.filter(|u| *u != agency.0) else {
            return Ok(agency.0);
        };
        let u = orgs::get(c, OrgUnitId(unit)).await?;
        match u {
            Some(u) if u.path.contains(&me.unit_path) && u.agency_id == Some(agency) => Ok(u.id.0),
            _ => Err(Error::invalid(
                "unit_id",
                Msg::new(
                    "借用單位須為您所屬的機關或單位",
                    "The borrowing unit is your agency or a unit you belong to",
                ),
            )),
        }
    }

    /// Files a request for a venue the person may borrow; its custodians
    /// are mailed. Returns the request's id.
    pub async fn request_venue(
        &self,
        actor: &Principal,
        id: i64,
        input: &VenueRequestInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let mut c = self.db.read().await?;
        let (venue, me) = self.borrowable(&mut c, actor, id).await?;
        let now = self.now();
        let r = input.check(&venue.opening, venue.capacity, now)?;
        let unit = self.borrowing_unit(&mut c, &me, input.unit_id).await?;
        drop(c);
        let nb = NewBooking {
            kind: Kind::Venue,
            item_id: id,
            driver_id: None,
            unit_id: unit,
            span: r.span,
            phone: &r.phone,
            ext: &r.ext,
            people: r.people,
            host: &r.host,
            purpose: &r.purpose,
            destination: "",
        };
        self.file_request(actor, &me.name, &nb, ctx).await
    }

    /// Files a checked request, records it and mails the item's
    /// custodians. Returns the request's id.
    pub(crate) async fn file_request(
        &self,
        actor: &Principal,
        who: &str,
        nb: &NewBooking<'_>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let booking = store::insert_booking(&mut tx, actor.own_account(), nb, now).await?;
        let detail = json!({
            "booking": booking,
            "span": nb.span.text(),
            "people": nb.people,
            "driver": nb.driver_id,
        });
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "booking.request",
            nb.kind,
            nb.item_id,
            detail,
        )
        .await?;
        let item = store::item(&mut tx, nb.kind, nb.item_id)
            .await?
            .ok_or(Error::NotFound)?;
        for k in &item.custodians {
            if !k.official_email.is_empty() {
                self.put_mail(
                    &mut tx,
                    &k.official_email,
                    mail::requested(&item, who, &nb.span),
                    Some(k.account_id),
                    item.agency_path.as_str(),
                )
                .await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(booking)
    }

    /// The custodian approves or rejects the ticked requests (1–200), each
    /// on its own: one whose hours another approval holds, or that is not
    /// theirs, is reported and the rest go on. A rejection says why. The
    /// applicants are mailed.
    pub async fn decide_bookings(
        &self,
        actor: &Principal,
        kind: Kind,
        ids: &[i64],
        approve: bool,
        note: &str,
        ctx: &Ctx,
    ) -> Result<Vec<DecideOutcome>> {
        let note = check_decision_note(approve, note)?;
        if ids.is_empty() || ids.len() > 200 {
            return Err(Error::invalid(
                "ids",
                Msg::new("請勾選 1–200 筆申請", "Tick 1–200 requests"),
            ));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = self
                .decide_booking(actor, kind, *id, approve, &note, ctx)
                .await;
            let (label, refused) = match r {
                Ok(label) => (label, None),
                Err((label, Error::Refused(m) | Error::Conflict { message: m, .. })) => {
                    (label, Some(m))
                }
                Err((_, Error::NotFound | Error::Forbidden)) => {
                    (format!("#{id}"), Some(not_yours()))
                }
                Err((_, e)) => return Err(e),
            };
            out.push(DecideOutcome {
                id: *id,
                label,
                refused,
            });
        }
        self.wake_outbox();
        Ok(out)
    }

    /// One decision, in its own transaction. The label names the request
    /// only to its keeper.
    async fn decide_booking(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        approve: bool,
        note: &str,
        ctx: &Ctx,
    ) -> std::result::Result<String, (String, Error)> {
        let anon = || format!("#{id}");
        let fail = |e: Error| (anon(), e);
        let mut tx = self.db.begin().await.map_err(fail)?;
        let b = store::booking(&mut tx, id)
            .await
            .map_err(fail)?
            .ok_or_else(|| fail(Error::NotFound))?;
        if b.kind != kind {
            return Err(fail(Error::NotFound));
        }
        let (item, k) = self
            .kept_item(&mut tx, actor, kind, b.item_id)
            .await
            .map_err(fail)?;
        let label = format!("{} {}（{}）", item.name, b.span().text(), b.account_name);
        let named = |e: Error| (label.clone(), e);
        let now = self.now();
        let done = if approve {
            store::approve(&mut tx, &k, id, note, now).await
        } else {
            store::reject(&mut tx, &k, id, note, now).await
        }
        .map_err(named)?;
        if !done {
            return Err(named(Error::Conflict {
                field: "state",
                message: Msg::new(
                    "此申請已處理或已取消，請重新整理頁面",
                    "This request was already decided or cancelled; reload the page",
                ),
            }));
        }
        let mut e = event(
            ctx,
            if approve {
                "booking.approve"
            } else {
                "booking.reject"
            },
        );
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &item);
        e.detail = json!({ "booking": id, "applicant": b.login }).to_string();
        e.reason = note.to_owned();
        audit::append(&mut tx, &e, now).await.map_err(named)?;
        if !b.official_email.is_empty() {
            self.put_mail(
                &mut tx,
                &b.official_email,
                mail::decided(&item, &b, approve, note),
                Some(b.account_id),
                item.agency_path.as_str(),
            )
            .await
            .map_err(named)?;
        }
        // The driver's managers hear of the dispatch (派遣).
        if let (true, Some(d)) = (approve, b.driver_id) {
            let driver = store::item(&mut tx, Kind::Driver, d).await.map_err(named)?;
            for m in driver.iter().flat_map(|d| d.custodians.iter()) {
                if !m.official_email.is_empty() {
                    self.put_mail(
                        &mut tx,
                        &m.official_email,
                        mail::dispatched(&item, &b),
                        Some(m.account_id),
                        item.agency_path.as_str(),
                    )
                    .await
                    .map_err(named)?;
                }
            }
        }
        tx.commit().await.map_err(db_err).map_err(named)?;
        Ok(label)
    }

    /// The person cancels their own request or booking before it begins.
    pub async fn cancel_booking(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let b = store::booking(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if b.account_id != actor.account_id() {
            return Err(Error::NotFound);
        }
        if !store::cancel(&mut tx, actor.own_account(), id, now).await? {
            return Err(Error::Refused(Msg::new(
                "只能取消尚未開始、未被退回的申請",
                "Only a request not yet begun nor rejected can be cancelled",
            )));
        }
        let item = store::item(&mut tx, b.kind, b.item_id).await?;
        let mut e = event(ctx, "booking.cancel");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        if let Some(v) = &item {
            target(&mut e, v);
        }
        e.detail = json!({ "booking": id }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The person's own requests and bookings of a kind (場地借用紀錄,
    /// 公務車申請紀錄).
    pub async fn my_bookings(
        &self,
        actor: &Principal,
        kind: Kind,
        q: &str,
        states: &[State],
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
        page: u32,
    ) -> Result<Page<Booking>> {
        let f = BookingFilter {
            kind: Some(kind),
            account: Some(actor.account_id()),
            states,
            from: between.0,
            until: between.1,
            q: Some(q),
            ..Default::default()
        };
        store::bookings(&mut *self.db.read().await?, &f, page, 30).await
    }

    /// The person's records of a kind as a workbook (xlsx or ODS), as
    /// filtered, every page.
    pub async fn my_bookings_sheet(
        &self,
        actor: &Principal,
        kind: Kind,
        q: &str,
        states: &[State],
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
        format: crate::export::Sheet,
    ) -> Result<crate::inspections::RecordFile> {
        let f = BookingFilter {
            kind: Some(kind),
            account: Some(actor.account_id()),
            states,
            from: between.0,
            until: between.1,
            q: Some(q),
            ..Default::default()
        };
        let all = store::bookings(&mut *self.db.read().await?, &f, 1, 0)
            .await?
            .items;
        bookings_file(kind, &all, "", format)
    }

    /// An item's approved bookings as a workbook (借用紀錄 / 派遣紀錄 匯出),
    /// for its keepers.
    pub async fn item_records_sheet(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
        format: crate::export::Sheet,
    ) -> Result<crate::inspections::RecordFile> {
        let all = self.item_records(actor, kind, id, between).await?;
        bookings_file(kind, &all, &format!("-{id}"), format)
    }

    /// The requests on the items of a kind the actor keeps (場地借用審核,
    /// 公務車借用審核), soonest first.
    pub async fn item_requests(
        &self,
        actor: &Principal,
        kind: Kind,
        states: &[State],
        page: u32,
    ) -> Result<Page<Booking>> {
        let roots = App::kept_roots(actor);
        let f = BookingFilter {
            kind: Some(kind),
            kept_by: (!actor.is_system_admin()).then_some((actor.account_id(), roots.as_slice())),
            states,
            ..Default::default()
        };
        store::bookings(&mut *self.db.read().await?, &f, page, 50).await
    }
}

/// Bookings as the seed's records lay them out, one workbook sheet.
fn bookings_file(
    kind: Kind,
    all: &[Booking],
    suffix: &str,
    format: crate::export::Sheet,
) -> Result<crate::inspections::RecordFile> {
    let name = match kind {
        Kind::Venue => "場地借用紀錄",
        Kind::Car => "公務車申請紀錄",
        Kind::Driver => "派遣紀錄",
        Kind::Repair => return Err(Error::NotFound),
    };
    let mut headers = vec![
        if kind == Kind::Venue {
            "使用場地"
        } else {
            "公務車"
        },
        "借用日期",
        "登記時段",
    ];
    if kind == Kind::Venue {
        headers.extend([
            "登記者",
            "公務電話",
            "分機",
            "借用單位",
            "與會人數",
            "主持人",
            "申請事由",
        ]);
    } else {
        headers.extend([
            "派遣司機",
            "登記者",
            "公務電話",
            "分機",
            "借用單位",
            "乘坐人數",
            "目的地",
            "申請事由",
        ]);
    }
    headers.extend(["狀態", "審核說明", "申請時間"]);
    let rows = all
        .iter()
        .map(|b| {
            let span = b.span();
            let mut row = vec![
                b.item_name.clone(),
                portico_core::time::date_str(span.date),
                format!("{}:00 - {}:00", span.from, span.until),
            ];
            if kind == Kind::Venue {
                row.extend([
                    b.account_name.clone(),
                    b.phone.clone(),
                    b.ext.clone(),
                    b.unit_name.clone(),
                    b.people.to_string(),
                    b.host.clone(),
                    b.purpose.clone(),
                ]);
            } else {
                row.extend([
                    if b.driver_name.is_empty() {
                        "自駕".to_owned()
                    } else {
                        b.driver_name.clone()
                    },
                    b.account_name.clone(),
                    b.phone.clone(),
                    b.ext.clone(),
                    b.unit_name.clone(),
                    b.people.to_string(),
                    b.destination.clone(),
                    b.purpose.clone(),
                ]);
            }
            row.extend([
                b.state.label().zh.to_string(),
                b.note.clone(),
                portico_core::time::display(b.created_at),
            ]);
            row
        })
        .collect();
    let bytes = crate::export::table(
        &crate::export::Table {
            name,
            headers: headers.into_iter().map(String::from).collect(),
            rows,
        },
        format,
    )?;
    Ok(crate::inspections::RecordFile {
        name: format!("{name}{suffix}.{}", format.extension()),
        content_type: format.content_type(),
        bytes,
    })
}
