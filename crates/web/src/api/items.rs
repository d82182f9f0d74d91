//! `/items/{kind}…`: the keeper's side of office services (物品管理) in
//! the API — the venues, cars, drivers and repair types a person keeps,
//! one with its custodian changes, making, changing and removing one, and
//! setting a custodian. The same use cases as the pages decide who may.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_core::Error;
use portico_core::booking::{CarInput, DriverInput, Kind, VenueInput};
use portico_core::repair::RepairTypeInput;
use serde_json::{Value, json};

use super::{ApiResult, ok, page};

/// The kind a path names: `venues`, `cars`, `drivers` or `repair-types`.
fn kind_of(s: &str) -> Result<Kind, WebError> {
    match s {
        "venues" => Ok(Kind::Venue),
        "cars" => Ok(Kind::Car),
        "drivers" => Ok(Kind::Driver),
        "repair-types" => Ok(Kind::Repair),
        _ => Err(WebError::api(Error::NotFound)),
    }
}

/// A body's numbers as the forms' text, but for the fields that are ids;
/// then read as the kind's input. A body of the wrong shape is 422.
fn input<T: serde::de::DeserializeOwned>(mut body: Value) -> Result<T, WebError> {
    if let Value::Object(m) = &mut body {
        for (k, v) in m.iter_mut() {
            if let Value::Number(n) = v
                && !matches!(k.as_str(), "agency_id")
            {
                *v = Value::String(n.to_string());
            }
        }
    }
    serde_json::from_value(body).map_err(|e| {
        WebError::api(Error::invalid(
            "body",
            portico_core::Msg::owned(
                format!("內容格式不符：{e}"),
                format!("The body is not as documented: {e}"),
            ),
        ))
    })
}

/// Text fields besides the item's own: the first custodian, the staff.
fn text_of(body: &Value, key: &str) -> String {
    match body.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct KeptQuery {
    q: String,
    page: u32,
}

/// The items of a kind the person keeps (custodian, or admin over their
/// agency; a system admin every one).
pub(super) async fn kept(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(k): Path<String>,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> ApiResult {
    let p = &s.principal;
    let n = q.page.max(1);
    let e = WebError::api;
    match kind_of(&k)? {
        Kind::Venue => page(st.app.kept_venues(p, &q.q, n).await.map_err(e)?),
        Kind::Car => page(st.app.kept_cars(p, &q.q, n).await.map_err(e)?),
        Kind::Driver => page(st.app.kept_drivers(p, &q.q, n).await.map_err(e)?),
        Kind::Repair => page(st.app.kept_repair_types(p, &q.q, n).await.map_err(e)?),
    }
}

/// One kept item, with its custodian changes (保管人異動紀錄).
pub(super) async fn one(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path((k, id)): Path<(String, i64)>,
) -> ApiResult {
    let p = &s.principal;
    let kind = kind_of(&k)?;
    let e = WebError::api;
    let item = match kind {
        Kind::Venue => json!(st.app.venue_kept(p, id).await.map_err(e)?),
        Kind::Car => json!(st.app.car_kept(p, id).await.map_err(e)?),
        Kind::Driver => json!(st.app.driver_kept(p, id).await.map_err(e)?),
        Kind::Repair => json!(st.app.repair_type_kept(p, id).await.map_err(e)?),
    };
    let changes = st
        .app
        .custodian_changes(p, kind, id, (None, None))
        .await
        .map_err(e)?;
    Ok(axum::Json(json!({ "item": item, "custodian_changes": changes })).into_response())
}

/// Makes an item of the kind for an agency the person may (a system admin
/// any, an agency admin theirs), with its first custodian (`custodian`, a
/// login); a repair type takes its staff's logins too (`staff`).
pub(super) async fn create(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(k): Path<String>,
    Json(body): Json<Value>,
) -> ApiResult {
    let p = &s.principal;
    let custodian = text_of(&body, "custodian");
    let e = WebError::api;
    let id = match kind_of(&k)? {
        Kind::Venue => {
            let v: VenueInput = input(body)?;
            st.app.create_venue(p, &v, &custodian, &ctx).await
        }
        Kind::Car => {
            let v: CarInput = input(body)?;
            st.app.create_car(p, &v, &custodian, &ctx).await
        }
        Kind::Driver => {
            let v: DriverInput = input(body)?;
            st.app.create_driver(p, &v, &custodian, &ctx).await
        }
        Kind::Repair => {
            let staff = text_of(&body, "staff");
            let v: RepairTypeInput = input(body)?;
            st.app
                .create_repair_type(p, &v, &custodian, &staff, &ctx)
                .await
        }
    }
    .map_err(e)?;
    Ok(axum::Json(json!({ "ok": true, "id": id })).into_response())
}

/// Changes a kept item's details (every field, as the form sends them).
pub(super) async fn update(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
    Json(body): Json<Value>,
) -> ApiResult {
    let p = &s.principal;
    let e = WebError::api;
    match kind_of(&k)? {
        Kind::Venue => {
            let v: VenueInput = input(body)?;
            st.app.update_venue(p, id, &v, &ctx).await
        }
        Kind::Car => {
            let v: CarInput = input(body)?;
            st.app.update_car(p, id, &v, &ctx).await
        }
        Kind::Driver => {
            let v: DriverInput = input(body)?;
            st.app.update_driver(p, id, &v, &ctx).await
        }
        Kind::Repair => {
            let staff = text_of(&body, "staff");
            let v: RepairTypeInput = input(body)?;
            st.app.update_repair_type(p, id, &v, &staff, &ctx).await
        }
    }
    .map_err(e)?;
    ok()
}

/// Removes a kept item from the lists; its records stay.
pub(super) async fn remove(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
) -> ApiResult {
    st.app
        .remove_item(&s.principal, kind_of(&k)?, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct CustodianBody {
    position: i64,
    /// The new custodian's login; empty clears place 2.
    to: String,
    reason: String,
}

/// Puts a person in custodian place 1 or 2 with the reason (設置保管人).
pub(super) async fn custodian(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
    Json(b): Json<CustodianBody>,
) -> ApiResult {
    st.app
        .set_custodian(
            &s.principal,
            kind_of(&k)?,
            id,
            b.position,
            &b.to,
            &b.reason,
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    ok()
}
