//! Office services in the API (issue 16): venues and cars to borrow, their
//! weeks and requests, a person's bookings, the keeper's queue and
//! decisions, calendar feeds, and repairs — reported, answered, rated,
//! returned, counted. The same use cases as the pages: the same checks,
//! the same audit, the same mail.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_core::booking::{CarRequestInput, Kind, State as BookingState, VenueRequestInput};
use portico_core::repair::{RepairState, ReportInput};
use portico_core::time::{date_str, parse_date};
use portico_core::{Error, Msg};
use serde_json::{Value, json};

use super::{ApiResult, ok, page, text};

fn day_of(s: &str, today: time::Date) -> time::Date {
    parse_date(s.trim())
        .filter(|d| *d >= today)
        .unwrap_or(today)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    q: String,
    location: String,
    car_type: String,
    kind: String,
    state: String,
    week: String,
    date: String,
    from: String,
    until: String,
    page: u32,
}

/// The venues the person may borrow; with `date`, `from` and `until`,
/// only those free for the whole span.
pub(super) async fn venues(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let p = &s.principal;
    let items = if q.date.is_empty() {
        st.app.borrowable_venues(p, &q.location).await
    } else {
        st.app
            .free_venues(p, &q.date, &q.from, &q.until, &q.location)
            .await
            .map(|(_, v)| v)
    }
    .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// A venue's week of hourly slots (from the Monday of `week`, this week by
/// default): each free, booked, closed or past.
pub(super) async fn venue_week(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let today = portico_core::booking::today(st.app.now());
    let w = st
        .app
        .venue_week(&s.principal, id, day_of(&q.week, today))
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!(w)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct RequestBody {
    date: Value,
    from: Value,
    until: Value,
    phone: Value,
    ext: Value,
    people: Value,
    host: Value,
    purpose: Value,
    with_driver: Value,
    driver_id: Option<i64>,
    destination: Value,
    /// 借用單位: the person's agency unless a unit of it they belong to.
    unit_id: Option<i64>,
}

/// Asks for a venue (場地借用申請): the custodians are mailed.
pub(super) async fn request_venue(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<RequestBody>,
) -> ApiResult {
    let input = VenueRequestInput {
        date: text(&b.date),
        from: text(&b.from),
        until: text(&b.until),
        phone: text(&b.phone),
        ext: text(&b.ext),
        unit_id: b.unit_id,
        people: text(&b.people),
        host: text(&b.host),
        purpose: text(&b.purpose),
    };
    let booking = st
        .app
        .request_venue(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "booking": booking })).into_response())
}

/// The cars the person may borrow; with `date`, `from` and `until`, only
/// those free for the whole span.
pub(super) async fn cars(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let p = &s.principal;
    let items = if q.date.is_empty() {
        st.app.borrowable_cars(p, &q.location, &q.car_type).await
    } else {
        st.app
            .free_cars(p, (&q.date, &q.from, &q.until), &q.location, &q.car_type)
            .await
            .map(|(_, v)| v)
    }
    .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// A car's week; with `date`, `from` and `until`, the drivers free for the
/// whole span too.
pub(super) async fn car_week(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let p = &s.principal;
    let now = st.app.now();
    let today = portico_core::booking::today(now);
    let w = st
        .app
        .car_week(p, id, day_of(&q.week, today))
        .await
        .map_err(WebError::api)?;
    let span =
        portico_core::booking::check_span(&q.date, &q.from, &q.until, &w.item.opening, now).ok();
    let drivers = st
        .app
        .free_drivers(p, id, span)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "week": w, "drivers": drivers })).into_response())
}

/// Asks for a car (公務車借用登記), with a driver (`with_driver`: `yes`,
/// and `driver_id`) or driving oneself.
pub(super) async fn request_car(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<RequestBody>,
) -> ApiResult {
    let input = CarRequestInput {
        date: text(&b.date),
        from: text(&b.from),
        until: text(&b.until),
        with_driver: text(&b.with_driver),
        driver_id: b.driver_id,
        phone: text(&b.phone),
        ext: text(&b.ext),
        unit_id: b.unit_id,
        purpose: text(&b.purpose),
        people: text(&b.people),
        destination: text(&b.destination),
    };
    let booking = st
        .app
        .request_car(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "booking": booking })).into_response())
}

fn kind_of(s: &str) -> Kind {
    if s == "car" { Kind::Car } else { Kind::Venue }
}

/// The person's bookings (場地及公務車申請紀錄) of a kind (`venue` by
/// default, or `car`), by keyword, state and 借用日期.
pub(super) async fn my_bookings(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let states: Vec<BookingState> = BookingState::parse(&q.state).into_iter().collect();
    page(
        st.app
            .my_bookings(
                &s.principal,
                kind_of(&q.kind),
                &q.q,
                &states,
                crate::venues::date_range(&q.from, &q.until),
                q.page.max(1),
            )
            .await
            .map_err(WebError::api)?,
    )
}

/// Cancels one's own booking before it begins.
pub(super) async fn cancel_booking(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .cancel_booking(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// The requests for the items the person keeps (場地借用審核, 公務車借用審核),
/// pending by default.
pub(super) async fn item_requests(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let states: Vec<BookingState> = if q.state == "all" {
        vec![]
    } else {
        vec![BookingState::parse(&q.state).unwrap_or(BookingState::Pending)]
    };
    page(
        st.app
            .item_requests(&s.principal, kind_of(&q.kind), &states, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct DecideBody {
    kind: String,
    ids: Vec<i64>,
    decision: String,
    note: String,
}

/// Approves or rejects one request or a batch (1–200) with a note
/// (required to reject); each on its own: the answer names the refused
/// with why.
pub(super) async fn decide_bookings(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<DecideBody>,
) -> ApiResult {
    let approve = match b.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(WebError::api(Error::invalid(
                "decision",
                Msg::new(
                    "decision 須為 approve 或 reject",
                    "decision must be approve or reject",
                ),
            )));
        }
    };
    let out = st
        .app
        .decide_bookings(
            &s.principal,
            kind_of(&b.kind),
            &b.ids,
            approve,
            &b.note,
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    let results: Vec<Value> = out
        .iter()
        .map(|o| {
            json!({
                "id": o.id,
                "label": o.label,
                "done": o.refused.is_none(),
                "refused": o.refused.as_ref().map(|m| json!({ "zh-TW": m.zh, "en": m.en })),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "results": results })).into_response())
}

/// The person's calendar feeds (行事曆訂閱); addresses are shown only
/// when made.
pub(super) async fn feeds(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let items = st.app.my_feeds(&s.principal).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FeedBody {
    /// `venue`, `car` or `driver`; left out, the person's own bookings.
    kind: Option<String>,
    item_id: Option<i64>,
}

/// Makes a feed of one's own bookings, or of an item one may follow; the
/// address is in the answer, once.
pub(super) async fn create_feed(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<FeedBody>,
) -> ApiResult {
    let item = match (b.kind.as_deref(), b.item_id) {
        (None, _) => None,
        (Some(k), Some(id)) => Some((
            Kind::parse(k)
                .ok_or(Error::NotFound)
                .map_err(WebError::api)?,
            id,
        )),
        (Some(_), None) => {
            return Err(WebError::api(Error::invalid(
                "item_id",
                Msg::new("請指定要訂閱的項目", "Name the item to follow"),
            )));
        }
    };
    let f = st
        .app
        .create_feed(&s.principal, item, &ctx)
        .await
        .map_err(WebError::api)?;
    let url = format!(
        "{}/calendar/{}.ics",
        st.app.issuer().trim_end_matches('/'),
        f.token
    );
    Ok(axum::Json(json!({ "ok": true, "id": f.id, "url": url })).into_response())
}

pub(super) async fn revoke_feed(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .revoke_feed(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// The repair types the person may report on (線上報修).
pub(super) async fn repair_types(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let items = st
        .app
        .reportable_types(&s.principal, &q.q)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ReportBody {
    location: Value,
    floor: Value,
    fault: Value,
    phone: Value,
    ext: Value,
}

/// Reports a fault under a type (新增報修案件); photos go through the page.
pub(super) async fn report(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<ReportBody>,
) -> ApiResult {
    let input = ReportInput {
        location: text(&b.location),
        floor: text(&b.floor),
        fault: text(&b.fault),
        phone: text(&b.phone),
        ext: text(&b.ext),
    };
    let repair = st
        .app
        .report_repair(&s.principal, id, &input, vec![], &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "repair": repair })).into_response())
}

/// The person's own reports (我的維修).
pub(super) async fn my_repairs(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let states: Vec<RepairState> = RepairState::parse(&q.state).into_iter().collect();
    page(
        st.app
            .my_repairs(&s.principal, None, &states, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// The reports of the types the person repairs (報修處理狀況回報),
/// pending by default.
pub(super) async fn repair_work(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let states: Vec<RepairState> = if q.state == "all" {
        vec![]
    } else {
        vec![RepairState::parse(&q.state).unwrap_or(RepairState::Pending)]
    };
    page(
        st.app
            .repair_work(&s.principal, &states, &q.q, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// One report with its steps (處理狀況回覆) and what the caller may do.
pub(super) async fn repair(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let c = st
        .app
        .repair_case(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({
        "repair": c.repair,
        "type": { "id": c.kind.id, "name": c.kind.name, "categories": c.kind.categories },
        "steps": c.steps,
        "photos": c.photos,
        "may_reply": c.may_reply(),
        "may_rate": c.may_rate(),
    }))
    .into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct StepBody {
    result: Value,
    category: Value,
    score: Value,
    note: Value,
    reason: Value,
}

/// The type's repair staff reply with the result and a category.
pub(super) async fn reply(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> ApiResult {
    st.app
        .reply_repair(&s.principal, id, &text(&b.result), &text(&b.category), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// The reporter rates a handled report, 1 to 5, with a note.
pub(super) async fn rate(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> ApiResult {
    st.app
        .rate_repair(&s.principal, id, &text(&b.score), &text(&b.note), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// The reporter returns a handled report with the reason.
pub(super) async fn give_back(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<StepBody>,
) -> ApiResult {
    st.app
        .return_repair(&s.principal, id, &text(&b.reason), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// A kept type's 處理狀況 for a period (the last six months by default):
/// totals, by day or month, and by unit.
pub(super) async fn repair_stats(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    let period = crate::repair_types::period(
        &crate::repair_types::PeriodQuery {
            from: q.from,
            until: q.until,
            page: 1,
        },
        st.app.now(),
    );
    let r = st
        .app
        .repair_stats(&s.principal, id, period)
        .await
        .map_err(WebError::api)?;
    let unit = |u: &portico_app::repairs::UnitCount| {
        json!({
            "unit": u.unit, "total": u.total, "pending": u.pending, "handled": u.handled,
            "returns": u.returns, "ratings": u.ratings,
            "mean_rating": (u.ratings > 0).then(|| u.rating_sum as f64 / u.ratings as f64),
        })
    };
    Ok(axum::Json(json!({
        "from": date_str(r.from),
        "until": date_str(r.until),
        "by": if r.by_month { "month" } else { "day" },
        "total": unit(&r.total),
        "periods": r.periods.iter().map(|p| json!({
            "label": p.label, "pending": p.pending, "done": p.done, "rated": p.rated,
        })).collect::<Vec<_>>(),
        "units": r.units.iter().map(unit).collect::<Vec<_>>(),
    }))
    .into_response())
}
