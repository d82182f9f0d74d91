//! Official cars and drivers as pages (issue 16; seed 004 §捌 三, §玖 三–五):
//! `/cars` (by car, by time), `/cars/{id}` (the week and the request, with
//! or without a driver), and the keeper's `/items/cars…` and
//! `/items/drivers…` (公務車清單管理, 派遣司機清單管理). The review queue is
//! `/items/car-requests`, shared with venues' in `venues.rs`.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::venues::{Range, date_range};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_core::booking::{CarInput, CarRequestInput, DriverInput, Kind};
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cars", get(index))
        .route("/cars/{id}", get(car).post(book))
        .route("/items/cars", get(kept_cars).post(create_car))
        .route("/items/cars/new", get(new_car))
        .route("/items/cars/{id}", get(edit_car).post(update_car))
        .route("/items/drivers", get(kept_drivers).post(create_driver))
        .route("/items/drivers/new", get(new_driver))
        .route("/items/drivers/{id}", get(edit_driver).post(update_driver))
}

fn flash_of(code: Option<&str>, driver: bool) -> Option<Msg> {
    Some(match (code?, driver) {
        ("created", false) => Msg::new("公務車已新增", "The car is added"),
        ("created", true) => Msg::new("司機已新增", "The driver is added"),
        ("saved", false) => Msg::new("公務車資訊已儲存", "The car is saved"),
        ("saved", true) => Msg::new("司機資訊已儲存", "The driver is saved"),
        ("custodian", _) => Msg::new("已設置，異動已記錄", "Set; the change is recorded"),
        ("removed", false) => Msg::new("公務車已刪除", "The car is removed"),
        ("removed", true) => Msg::new("司機已刪除", "The driver is removed"),
        ("photos", _) => Msg::new("照片已上傳", "The photos are uploaded"),
        ("photo_removed", _) => Msg::new("照片已刪除", "The photo is removed"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct IndexQuery {
    location: String,
    car_type: String,
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
    let cars = st
        .app
        .borrowable_cars(p, &q.location, &q.car_type)
        .await
        .map_err(err)?;
    let locations = st.app.item_locations(Kind::Car).await.map_err(err)?;
    let (found, errs, status) = if q.date.is_empty() {
        (None, vec![], StatusCode::OK)
    } else {
        match st
            .app
            .free_cars(p, (&q.date, &q.from, &q.until), &q.location, &q.car_type)
            .await
        {
            Ok(f) => (Some(f), vec![], StatusCode::OK),
            Err(Error::Invalid(e)) => (None, e, crate::error::INVALID_INPUT),
            Err(e) => return Err(err(e)),
        }
    };
    let or = |s: String, d: &str| if s.is_empty() { d.to_owned() } else { s };
    render_as(
        CarsPage {
            c: Chrome::of(&s.0, "cars"),
            cars,
            locations,
            location: q.location,
            car_type: q.car_type,
            from: or(q.from, "9"),
            until: or(q.until, "12"),
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
struct CarQuery {
    week: String,
    date: String,
    from: String,
    until: String,
}

async fn car(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<CarQuery>,
) -> Result<Response, WebError> {
    let form = CarRequestForm {
        date: q.date,
        from: q.from,
        until: q.until,
        people: "0".into(),
        ..Default::default()
    };
    car_page(&st, &s, id, &q.week, form, vec![], StatusCode::OK).await
}

async fn car_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    week: &str,
    form: CarRequestForm,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let today = portico_core::booking::today(st.app.now());
    let day = portico_core::time::parse_date(week)
        .or_else(|| portico_core::time::parse_date(&form.date))
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let week = st.app.car_week(p, id, day).await.map_err(err)?;
    // The drivers free for the whole span asked, when the span is whole.
    let span = portico_core::booking::check_span(
        &form.date,
        &form.from,
        &form.until,
        &week.item.opening,
        st.app.now(),
    )
    .ok();
    let drivers = st.app.free_drivers(p, id, span).await.map_err(err)?;
    let this_week = week.monday <= portico_core::booking::week_start(today);
    let units = st.app.borrowing_units(p).await.map_err(err)?;
    let photos = st
        .app
        .item_photo_places(p, Kind::Car, id)
        .await
        .map_err(err)?;
    render_as(
        CarPage {
            c: Chrome::of(&s.0, "cars"),
            photos,
            week,
            form,
            drivers,
            span_known: span.is_some(),
            units,
            registrant: format!("{}（{}）", p.name(), p.login()),
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
    with_driver: String,
    driver_id: String,
    phone: String,
    ext: String,
    people: String,
    purpose: String,
    destination: String,
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
    let input = CarRequestInput {
        date: f.date.clone(),
        from: f.from.clone(),
        until: f.until.clone(),
        with_driver: f.with_driver.clone(),
        driver_id: f.driver_id.trim().parse().ok(),
        phone: f.phone.clone(),
        ext: f.ext.clone(),
        unit_id: f.unit_id.trim().parse().ok(),
        purpose: f.purpose.clone(),
        people: f.people.clone(),
        destination: f.destination.clone(),
    };
    match st.app.request_car(&s.0.principal, id, &input, &ctx).await {
        Ok(_) => Ok(Redirect::to("/bookings?kind=car&ok=requested").into_response()),
        Err(e) => {
            let (mut errs, banner, status) = crate::error::split(e, s.lang())?;
            if !banner.is_empty() {
                errs.push(FieldError {
                    field: "date",
                    message: Msg::owned(banner.clone(), banner),
                });
            }
            let form = CarRequestForm {
                unit_id: input.unit_id.unwrap_or(0),
                with_driver: f.with_driver == "yes",
                driver_id: input.driver_id.unwrap_or(0),
                date: f.date,
                from: f.from,
                until: f.until,
                phone: f.phone,
                ext: f.ext,
                people: f.people,
                purpose: f.purpose,
                destination: f.destination,
            };
            let week = form.date.clone();
            car_page(&st, &s, id, &week, form, errs, status).await
        }
    }
}

// ---- 公務車清單管理, 派遣司機清單管理: the keeper's side --------------------

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct KeptQuery {
    q: String,
    page: u32,
    ok: Option<String>,
}

async fn kept_cars(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let page = st
        .app
        .kept_cars(p, &q.q, q.page.max(1))
        .await
        .map_err(err)?;
    let can_make = !st.app.venue_agencies(p).await.map_err(err)?.is_empty();
    render_as(
        KeptCarsPage {
            c: Chrome::of(&s.0, "items-cars").with_flash(flash_of(q.ok.as_deref(), false)),
            page,
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            q: q.q,
            can_make,
        },
        lang,
        StatusCode::OK,
    )
}

async fn kept_drivers(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let page = st
        .app
        .kept_drivers(p, &q.q, q.page.max(1))
        .await
        .map_err(err)?;
    let can_make = !st.app.venue_agencies(p).await.map_err(err)?.is_empty();
    render_as(
        KeptDriversPage {
            c: Chrome::of(&s.0, "items-drivers").with_flash(flash_of(q.ok.as_deref(), true)),
            page,
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            q: q.q,
            can_make,
        },
        lang,
        StatusCode::OK,
    )
}

fn days_of(pairs: &Pairs) -> [bool; 7] {
    let mut days = [false; 7];
    for d in pairs.ids("day") {
        if let Some(x) = days.get_mut(d as usize) {
            *x = true;
        }
    }
    days
}

fn car_form(pairs: &Pairs) -> CarForm {
    CarForm {
        location: pairs.one("location").to_owned(),
        car_type: pairs.one("car_type").to_owned(),
        plate: pairs.one("plate").to_owned(),
        passengers: pairs.one("passengers").to_owned(),
        agency_id: pairs.one("agency_id").parse().unwrap_or(0),
        brand: pairs.one("brand").to_owned(),
        year: pairs.one("year").to_owned(),
        displacement: pairs.one("displacement").to_owned(),
        number: pairs.one("number").to_owned(),
        open_from: pairs.one("open_from").to_owned(),
        open_until: pairs.one("open_until").to_owned(),
        days: days_of(pairs),
        note: pairs.one("note").to_owned(),
        public: pairs.one("public") != "0",
        borrowers: pairs.one("borrowers").to_owned(),
        agencies: pairs.ids("agencies"),
        drivers: pairs.ids("drivers"),
        custodian: pairs.one("custodian").to_owned(),
    }
}

fn car_input(f: &CarForm) -> CarInput {
    CarInput {
        location: f.location.clone(),
        car_type: f.car_type.clone(),
        plate: f.plate.clone(),
        passengers: f.passengers.clone(),
        agency_id: (f.agency_id > 0).then_some(f.agency_id),
        brand: f.brand.clone(),
        year: f.year.clone(),
        displacement: f.displacement.clone(),
        number: f.number.clone(),
        open_from: f.open_from.clone(),
        open_until: f.open_until.clone(),
        open_days: f.days.iter().map(|d| if *d { '1' } else { '0' }).collect(),
        note: f.note.clone(),
        public: f.public,
        borrowers: f.borrowers.clone(),
        agencies: f.agencies.clone(),
        drivers: f.drivers.clone(),
    }
}

fn driver_form(pairs: &Pairs) -> DriverForm {
    DriverForm {
        location: pairs.one("location").to_owned(),
        name: pairs.one("name").to_owned(),
        agency_id: pairs.one("agency_id").parse().unwrap_or(0),
        licence: pairs.one("licence").to_owned(),
        phone: pairs.one("phone").to_owned(),
        note: pairs.one("note").to_owned(),
        public: pairs.one("public") != "0",
        borrowers: pairs.one("borrowers").to_owned(),
        agencies: pairs.ids("agencies"),
        custodian: pairs.one("custodian").to_owned(),
    }
}

fn driver_input(f: &DriverForm) -> DriverInput {
    DriverInput {
        location: f.location.clone(),
        name: f.name.clone(),
        agency_id: (f.agency_id > 0).then_some(f.agency_id),
        licence: f.licence.clone(),
        phone: f.phone.clone(),
        note: f.note.clone(),
        public: f.public,
        borrowers: f.borrowers.clone(),
        agencies: f.agencies.clone(),
    }
}

/// What both item forms read besides the item: the agencies the actor may
/// make items for (with the item's own), every agency, its custodian
/// changes and records.
struct Around {
    makers: Vec<(i64, String)>,
    all: Vec<(i64, String)>,
    changes: Vec<portico_store::bookings::CustodianChange>,
    records: Vec<portico_store::bookings::Booking>,
}

async fn around(
    st: &AppState,
    s: &Signed,
    item: Option<(Kind, i64, i64, String)>,
    range: &Range,
) -> Result<Around, Error> {
    let p = &s.0.principal;
    let mut makers = st.app.venue_agencies(p).await?;
    let (changes, records) = match &item {
        Some((kind, id, agency, agency_name)) => {
            if !makers.iter().any(|(i, _)| i == agency) {
                makers.insert(0, (*agency, agency_name.clone()));
            }
            (
                st.app
                    .custodian_changes(p, *kind, *id, (None, None))
                    .await?,
                st.app
                    .item_records(p, *kind, *id, date_range(&range.from, &range.until))
                    .await?,
            )
        }
        None if makers.is_empty() => return Err(Error::Forbidden),
        None => (vec![], vec![]),
    };
    Ok(Around {
        makers,
        all: st.app.all_agencies().await?,
        changes,
        records,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn car_form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<CarForm>,
    error: String,
    errs: Vec<FieldError>,
    flash: Option<Msg>,
    status: StatusCode,
) -> Result<Response, WebError> {
    car_form_in(
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

#[allow(clippy::too_many_arguments)]
async fn car_form_in(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<CarForm>,
    (error, errs): (String, Vec<FieldError>),
    flash: Option<Msg>,
    status: StatusCode,
    range: Range,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let car = match id {
        Some(id) => Some(st.app.car_kept(&s.0.principal, id).await.map_err(err)?),
        None => None,
    };
    let item = car
        .as_ref()
        .map(|v| (Kind::Car, v.id, v.agency_id, v.agency_name.clone()));
    let a = around(st, s, item, &range).await.map_err(err)?;
    let photos = match id {
        Some(id) => st
            .app
            .item_photo_places(&s.0.principal, Kind::Car, id)
            .await
            .map_err(err)?,
        None => vec![],
    };
    let form = form.unwrap_or_else(|| match &car {
        Some(v) => CarForm::of(v),
        None => CarForm {
            open_from: "8".into(),
            open_until: "18".into(),
            days: [true, true, true, true, true, false, false],
            public: true,
            borrowers: "agency".into(),
            agency_id: a.makers.first().map(|m| m.0).unwrap_or(0),
            ..Default::default()
        },
    });
    render_as(
        CarFormPage {
            c: Chrome::of(&s.0, "items-cars").with_flash(flash),
            item_path: id.map(|i| format!("/items/cars/{i}")).unwrap_or_default(),
            photos,
            car,
            form,
            makers: a.makers,
            all: a.all,
            all_drivers: st.app.driver_choices().await.map_err(err)?,
            changes: a.changes,
            records: a.records,
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

#[allow(clippy::too_many_arguments)]
pub(crate) async fn driver_form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<DriverForm>,
    error: String,
    errs: Vec<FieldError>,
    flash: Option<Msg>,
    status: StatusCode,
) -> Result<Response, WebError> {
    driver_form_in(
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

#[allow(clippy::too_many_arguments)]
async fn driver_form_in(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<DriverForm>,
    (error, errs): (String, Vec<FieldError>),
    flash: Option<Msg>,
    status: StatusCode,
    range: Range,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let driver = match id {
        Some(id) => Some(st.app.driver_kept(&s.0.principal, id).await.map_err(err)?),
        None => None,
    };
    let item = driver
        .as_ref()
        .map(|v| (Kind::Driver, v.id, v.agency_id, v.agency_name.clone()));
    let a = around(st, s, item, &range).await.map_err(err)?;
    let form = form.unwrap_or_else(|| match &driver {
        Some(v) => DriverForm::of(v),
        None => DriverForm {
            public: true,
            borrowers: "agency".into(),
            agency_id: a.makers.first().map(|m| m.0).unwrap_or(0),
            ..Default::default()
        },
    });
    render_as(
        DriverFormPage {
            c: Chrome::of(&s.0, "items-drivers").with_flash(flash),
            item_path: id
                .map(|i| format!("/items/drivers/{i}"))
                .unwrap_or_default(),
            driver,
            form,
            makers: a.makers,
            all: a.all,
            changes: a.changes,
            records: a.records,
            manager: true,
            rec_from: range.from,
            rec_until: range.until,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn new_car(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    car_form_page(
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

async fn new_driver(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    driver_form_page(
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
    #[serde(flatten)]
    range: Range,
}

async fn edit_car(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let flash = flash_of(q.ok.as_deref(), false);
    let ok = StatusCode::OK;
    car_form_in(
        &st,
        &s,
        Some(id),
        None,
        Default::default(),
        flash,
        ok,
        q.range.clean(),
    )
    .await
}

async fn edit_driver(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let flash = flash_of(q.ok.as_deref(), true);
    let ok = StatusCode::OK;
    driver_form_in(
        &st,
        &s,
        Some(id),
        None,
        Default::default(),
        flash,
        ok,
        q.range.clean(),
    )
    .await
}

async fn create_car(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = car_form(&pairs);
    match st
        .app
        .create_car(&s.0.principal, &car_input(&f), &f.custodian, &ctx)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/items/cars/{id}?ok=created")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            car_form_page(&st, &s, None, Some(f), banner, errs, None, status).await
        }
    }
}

async fn update_car(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = car_form(&pairs);
    match st
        .app
        .update_car(&s.0.principal, id, &car_input(&f), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/items/cars/{id}?ok=saved")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            car_form_page(&st, &s, Some(id), Some(f), banner, errs, None, status).await
        }
    }
}

async fn create_driver(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = driver_form(&pairs);
    match st
        .app
        .create_driver(&s.0.principal, &driver_input(&f), &f.custodian, &ctx)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/items/drivers/{id}?ok=created")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            driver_form_page(&st, &s, None, Some(f), banner, errs, None, status).await
        }
    }
}

async fn update_driver(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = driver_form(&pairs);
    match st
        .app
        .update_driver(&s.0.principal, id, &driver_input(&f), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/items/drivers/{id}?ok=saved")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            driver_form_page(&st, &s, Some(id), Some(f), banner, errs, None, status).await
        }
    }
}
