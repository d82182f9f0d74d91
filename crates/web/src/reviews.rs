//! The custodians' review queues (seed 004 §玖 二, 五: 場地借用審核 and
//! 公務車借用審核): `/items/venue-requests` and `/items/car-requests`, one
//! request or a batch, approved or rejected with a note; what a batch
//! could not do is shown beside what it did.
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_core::booking::{Kind, State as BookingState};
use portico_core::{FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/items/venue-requests",
            get(|st, s, q| requests(Kind::Venue, st, s, q))
                .post(|st, s, c, f| decide(Kind::Venue, st, s, c, f)),
        )
        .route(
            "/items/car-requests",
            get(|st, s, q| requests(Kind::Car, st, s, q))
                .post(|st, s, c, f| decide(Kind::Car, st, s, c, f)),
        )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RequestsQuery {
    state: String,
    page: u32,
    ok: Option<String>,
    n: u32,
}

/// What a batch sent, shown again beside its refusals.
#[derive(Default)]
struct Sent {
    ticked: Vec<i64>,
    note: String,
    outcome: Vec<(String, String)>,
    errs: Vec<FieldError>,
}

async fn requests(
    kind: Kind,
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RequestsQuery>,
) -> Result<Response, WebError> {
    let flash = crate::venues::flash_of(q.ok.as_deref(), q.n);
    requests_page(
        kind,
        &st,
        &s,
        &q.state,
        q.page,
        flash,
        Sent::default(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn requests_page(
    kind: Kind,
    st: &AppState,
    s: &Signed,
    state: &str,
    page: u32,
    flash: Option<Msg>,
    sent: Sent,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let states = [BookingState::parse(state).unwrap_or(BookingState::Pending)];
    let list = st
        .app
        .item_requests(&s.0.principal, kind, &states, page.max(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let menu = if kind == Kind::Car {
        "car-requests"
    } else {
        "venue-requests"
    };
    render_as(
        VenueRequestsPage {
            c: Chrome::of(&s.0, menu).with_flash(flash),
            kind,
            page: list,
            query_string: format!("state={}", crate::extract::urlencode(state)),
            state: state.to_owned(),
            ticked: sent.ticked,
            note: sent.note,
            outcome: sent.outcome,
            errs: Errors::new(sent.errs, lang),
        },
        lang,
        status,
    )
}

async fn decide(
    kind: Kind,
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let ids = pairs.ids("ids");
    let approve = pairs.one("decision") == "approve";
    let note = pairs.one("note").to_owned();
    let mut sent = Sent {
        ticked: ids.clone(),
        note: note.clone(),
        ..Default::default()
    };
    let lang = s.lang();
    match st
        .app
        .decide_bookings(&s.0.principal, kind, &ids, approve, &note, &ctx)
        .await
    {
        Ok(out) => {
            let refused: Vec<(String, String)> = out
                .into_iter()
                .filter_map(|o| o.refused.map(|m| (o.label, m.get(lang).to_owned())))
                .collect();
            if refused.is_empty() {
                let ok = if approve { "approved" } else { "rejected" };
                let path = if kind == Kind::Car {
                    "car-requests"
                } else {
                    "venue-requests"
                };
                return Ok(
                    Redirect::to(&format!("/items/{path}?ok={ok}&n={}", ids.len())).into_response(),
                );
            }
            sent.outcome = refused;
            requests_page(kind, &st, &s, "", 1, None, sent, crate::error::REFUSED).await
        }
        Err(e) => {
            let (errs, _, status) = crate::error::split(e, lang)?;
            sent.errs = errs;
            requests_page(kind, &st, &s, "", 1, None, sent, status).await
        }
    }
}
