//! Venue booking as pages (issue 16; seed 004 §捌 二, 四, §玖 二):
//! `/venues` (by venue, by time), `/venues/{id}` (the week and the
//! request), `/bookings` (the person's records, cancel), and the keeper's
//! `/items/venues…` (場地清單管理). The review queues are in `reviews.rs`.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::booking::{Kind, State as BookingState, VenueRequestInput};
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/venues", get(index))
        .route("/venues/{id}", get(venue).post(book))
        .route("/bookings", get(bookings))
        .route("/bookings/export", get(bookings_export))
        .route("/bookings/{id}/cancel", post(cancel))
        .route("/items/venues", get(kept).post(create))
        .route("/items/venues/new", get(new_venue))
        .route("/items/venues/{id}", get(edit).post(update))
}

pub(crate) fn flash_of(code: Option<&str>, n: u32) -> Option<Msg> {
    Some(match code? {
        "requested" => Msg::new(
            "申請已送出，將由保管人審核，結果會以電子郵件通知",
            "Sent; its custodian reviews it and you are mailed the result",
        ),
        "cancelled" => Msg::new("申請已取消", "The booking is cancelled"),
        "approved" => Msg::owned(format!("已核准 {n} 筆申請"), format!("{n} approved")),
        "created" => Msg::new("場地已新增", "The venue is added"),
        "saved" => Msg::new("場地資訊已儲存", "The venue is saved"),
        "custodian" => Msg::new(
            "保管人已設置，異動已記錄",
            "The custodian is set and the change recorded",
        ),
        "removed" => Msg::new("場地已刪除", "The venue is removed"),
        "photos" => Msg::new("照片已上傳", "The photos are uploaded"),
        "photo_removed" => Msg::new("照片已刪除", "The photo is removed"),
        "rejected" => Msg::owned(format!("已退回 {n} 筆申請"), format!("{n} rejected")),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct IndexQuery {
    location: String,
    date: String,
    from: String,
    until: String,
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<IndexQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let venues = st
        .app
        .borrowable_venues(p, &q.location)
        .await
        .map_err(err)?;
    let locations = st.app.item_locations(Kind::Venue).await.map_err(err)?;
    let (found, errs, status) = if q.date.is_empty() {
        (None, vec![], StatusCode::OK)
    } else {
        match st
            .app
            .free_venues(p, &q.date, &q.from, &q.until, &q.location)
            .await
        {
            Ok(f) => (Some(f), vec![], StatusCode::OK),
            Err(Error::Invalid(e)) => (None, e, crate::error::INVALID_INPUT),
            Err(e) => return Err(err(e)),
        }
    };
    render_as(
        VenuesPage {
            c: Chrome::of(&s.0, "venues"),
            venues,
            locations,
            location: q.location,
            from: if q.from.is_empty() {
                "9".into()
            } else {
                q.from
            },
            until: if q.until.is_empty() {
                "10".into()
            } else {
                q.until
            },
            date: q.date,
            found,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct VenueQuery {
    week: String,
    date: String,
    from: String,
    until: String,
}

async fn venue(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<VenueQuery>,
) -> Result<Response, WebError> {
    let form = RequestForm {
        date: q.date.clone(),
        from: q.from.clone(),
        until: q.until.clone(),
        people: "1".into(),
        ..Default::default()
    };
    venue_page(&st, &s, id, &q.week, form, vec![], StatusCode::OK).await
}

async fn venue_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    week: &str,
    form: RequestForm,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let today = portico_core::booking::today(st.app.now());
    let day = portico_core::time::parse_date(week)
        .or_else(|| portico_core::time::parse_date(&form.date))
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let week = st
        .app
        .venue_week(&s.0.principal, id, day)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let this_week = week.monday <= portico_core::booking::week_start(today);
    let units = st
        .app
        .borrowing_units(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let photos = st
        .app
        .item_photo_places(&s.0.principal, Kind::Venue, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        VenuePage {
            c: Chrome::of(&s.0, "venues"),
            photos,
            week,
            form,
            units,
            registrant: format!("{}（{}）", s.0.principal.name(), s.0.principal.login()),
            this_week,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct BookForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    date: String,
    from: String,
    until: String,
    phone: String,
    ext: String,
    people: String,
    host: String,
    purpose: String,
    unit_id: String,
}

async fn book(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<BookForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let input = VenueRequestInput {
        date: f.date.clone(),
        from: f.from.clone(),
        until: f.until.clone(),
        phone: f.phone.clone(),
        ext: f.ext.clone(),
        unit_id: f.unit_id.trim().parse().ok(),
        people: f.people.clone(),
        host: f.host.clone(),
        purpose: f.purpose.clone(),
    };
    match st.app.request_venue(&s.0.principal, id, &input, &ctx).await {
        Ok(_) => Ok(Redirect::to("/bookings?ok=requested").into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            let mut errs = errs;
            if !banner.is_empty() {
                errs.push(FieldError {
                    field: "date",
                    message: Msg::owned(banner.clone(), banner),
                });
            }
            let form = RequestForm {
                unit_id: input.unit_id.unwrap_or(0),
                date: f.date,
                from: f.from,
                until: f.until,
                phone: f.phone,
                ext: f.ext,
                people: f.people,
                host: f.host,
                purpose: f.purpose,
            };
            let week = form.date.clone();
            venue_page(&st, &s, id, &week, form, errs, status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct BookingsQuery {
    kind: String,
    q: String,
    state: String,
    from: String,
    until: String,
    page: u32,
    ok: Option<String>,
    n: u32,
}

async fn bookings(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<BookingsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let states: Vec<BookingState> = BookingState::parse(&q.state).into_iter().collect();
    let kind = record_kind(&q.kind);
    let page = st
        .app
        .my_bookings(
            &s.0.principal,
            kind,
            &q.q,
            &states,
            date_range(&q.from, &q.until),
            q.page.max(1),
        )
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    render_as(
        BookingsPage {
            c: Chrome::of(&s.0, "bookings").with_flash(flash_of(q.ok.as_deref(), q.n)),
            page,
            query_string: format!(
                "kind={}&q={}&state={}&from={}&until={}",
                kind.as_str(),
                e(&q.q),
                e(&q.state),
                e(&q.from),
                e(&q.until)
            ),
            kind,
            q: q.q,
            state: q.state,
            from: q.from,
            until: q.until,
            now: st.app.now(),
        },
        lang,
        StatusCode::OK,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    kind: String,
    q: String,
    state: String,
    from: String,
    until: String,
    format: String,
}

/// Which records a list shows: a venue's unless cars are asked for.
pub(crate) fn record_kind(s: &str) -> Kind {
    if s == "car" { Kind::Car } else { Kind::Venue }
}

/// A 借用日期 range as typed (either end may be empty), as instants:
/// from the first day's start to the day after the last.
pub(crate) fn date_range(
    from: &str,
    until: &str,
) -> (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>) {
    let day = |s: &str| portico_core::time::parse_date(s.trim());
    (
        day(from).map(|d| portico_core::booking::at_hour(d, 0)),
        day(until).map(|d| portico_core::booking::at_hour(d, 24)),
    )
}

/// The person's records, as filtered, in xlsx or ODS.
async fn bookings_export(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let format = portico_app::export::Sheet::parse(&q.format)
        .ok_or_else(|| WebError::page(Error::NotFound, lang))?;
    let states: Vec<BookingState> = BookingState::parse(&q.state).into_iter().collect();
    let f = st
        .app
        .my_bookings_sheet(
            &s.0.principal,
            record_kind(&q.kind),
            &q.q,
            &states,
            date_range(&q.from, &q.until),
            format,
        )
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(crate::support::download(f, false))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CancelForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// Which records to go back to.
    kind: String,
}

async fn cancel(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .cancel_booking(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let kind = record_kind(&f.kind).as_str();
    Ok(Redirect::to(&format!("/bookings?ok=cancelled&kind={kind}")).into_response())
}

// ---- 場地清單管理: the keeper's side -----------------------------------

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct KeptQuery {
    q: String,
    page: u32,
    ok: Option<String>,
}

async fn kept(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let page = st
        .app
        .kept_venues(p, &q.q, q.page.max(1))
        .await
        .map_err(err)?;
    let can_make = !st.app.venue_agencies(p).await.map_err(err)?.is_empty();
    render_as(
        KeptVenuesPage {
            c: Chrome::of(&s.0, "items-venues").with_flash(flash_of(q.ok.as_deref(), 0)),
            page,
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            q: q.q,
            can_make,
        },
        lang,
        StatusCode::OK,
    )
}

/// The venue form's fields, read from its pairs (the days and agencies
/// repeat).
fn venue_form(pairs: &Pairs) -> VenueForm {
    let mut days = [false; 7];
    for d in pairs.ids("day") {
        if let Some(x) = days.get_mut(d as usize) {
            *x = true;
        }
    }
    VenueForm {
        location: pairs.one("location").to_owned(),
        floor: pairs.one("floor").to_owned(),
        name: pairs.one("name").to_owned(),
        agency_id: pairs.one("agency_id").parse().unwrap_or(0),
        capacity: pairs.one("capacity").to_owned(),
        open_from: pairs.one("open_from").to_owned(),
        open_until: pairs.one("open_until").to_owned(),
        days,
        phone: pairs.one("phone").to_owned(),
        description: pairs.one("description").to_owned(),
        rules: pairs.one("rules").to_owned(),
        public: pairs.one("public") != "0",
        borrowers: pairs.one("borrowers").to_owned(),
        agencies: pairs.ids("agencies"),
        custodian: pairs.one("custodian").to_owned(),
    }
}

fn venue_input(f: &VenueForm) -> portico_core::booking::VenueInput {
    portico_core::booking::VenueInput {
        location: f.location.clone(),
        floor: f.floor.clone(),
        name: f.name.clone(),
        agency_id: (f.agency_id > 0).then_some(f.agency_id),
        capacity: f.capacity.clone(),
        open_from: f.open_from.clone(),
        open_until: f.open_until.clone(),
        open_days: f.days.iter().map(|d| if *d { '1' } else { '0' }).collect(),
        phone: f.phone.clone(),
        description: f.description.clone(),
        rules: f.rules.clone(),
        public: f.public,
        borrowers: f.borrowers.clone(),
        agencies: f.agencies.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<VenueForm>,
    error: String,
    errs: Vec<FieldError>,
    flash: Option<Msg>,
    status: StatusCode,
) -> Result<Response, WebError> {
    form_page_in(
        st,
        s,
        id,
        form,
        (error, errs),
        flash,
        status,
        Range::default(),
    )
    .await
}

/// The 借用日期 range a record list was asked for: only real dates kept.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct Range {
    pub from: String,
    pub until: String,
}

impl Range {
    pub fn clean(self) -> Range {
        let keep = |s: String| {
            portico_core::time::parse_date(s.trim())
                .map(portico_core::time::date_str)
                .unwrap_or_default()
        };
        Range {
            from: keep(self.from),
            until: keep(self.until),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page_in(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<VenueForm>,
    (error, errs): (String, Vec<FieldError>),
    flash: Option<Msg>,
    status: StatusCode,
    range: Range,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let (venue, changes, records) = match id {
        Some(id) => (
            Some(st.app.venue_kept(p, id).await.map_err(err)?),
            st.app
                .custodian_changes(p, Kind::Venue, id, (None, None))
                .await
                .map_err(err)?,
            st.app
                .item_records(p, Kind::Venue, id, date_range(&range.from, &range.until))
                .await
                .map_err(err)?,
        ),
        None => {
            if st.app.venue_agencies(p).await.map_err(err)?.is_empty() {
                return Err(err(Error::Forbidden));
            }
            (None, vec![], vec![])
        }
    };
    let photos = match id {
        Some(id) => st
            .app
            .item_photo_places(p, Kind::Venue, id)
            .await
            .map_err(err)?,
        None => vec![],
    };
    let mut makers = st.app.venue_agencies(p).await.map_err(err)?;
    if let Some(v) = &venue
        && !makers.iter().any(|(i, _)| *i == v.agency_id)
    {
        makers.insert(0, (v.agency_id, v.agency_name.clone()));
    }
    let form = form.unwrap_or_else(|| match &venue {
        Some(v) => VenueForm::of(v),
        None => VenueForm {
            open_from: "8".into(),
            open_until: "18".into(),
            days: [true, true, true, true, true, false, false],
            public: true,
            borrowers: "agency".into(),
            agency_id: makers.first().map(|m| m.0).unwrap_or(0),
            ..Default::default()
        },
    });
    render_as(
        VenueFormPage {
            c: Chrome::of(&s.0, "items-venues").with_flash(flash),
            venue,
            form,
            makers,
            all: st.app.all_agencies().await.map_err(err)?,
            changes,
            records,
            item_path: id.map(|i| format!("/items/venues/{i}")).unwrap_or_default(),
            photos,
            manager: false,
            rec_from: range.from,
            rec_until: range.until,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn new_venue(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    form_page(
        &st,
        &s,
        None,
        None,
        String::new(),
        vec![],
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EditQuery {
    ok: Option<String>,
    from: String,
    until: String,
}

async fn edit(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let flash = flash_of(q.ok.as_deref(), 0);
    let range = Range {
        from: q.from,
        until: q.until,
    }
    .clean();
    form_page_in(
        &st,
        &s,
        Some(id),
        None,
        (String::new(), vec![]),
        flash,
        StatusCode::OK,
        range,
    )
    .await
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = venue_form(&pairs);
    match st
        .app
        .create_venue(&s.0.principal, &venue_input(&f), &f.custodian, &ctx)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/items/venues/{id}?ok=created")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, None, Some(f), banner, errs, None, status).await
        }
    }
}

async fn update(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = venue_form(&pairs);
    match st
        .app
        .update_venue(&s.0.principal, id, &venue_input(&f), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/items/venues/{id}?ok=saved")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, Some(id), Some(f), banner, errs, None, status).await
        }
    }
}
