//! `/requests…` and `/me/requests…`: the review queue (待簽核) in the
//! admin's scope — the list with filters, one request, decisions on one or
//! a batch — and a person's own requests (admin rights, agency change).
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::forms::RequestQuery;
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::requests::MoveForm;
use portico_core::request::Decision;
use portico_core::{Error, Msg};
use serde_json::json;

use super::{ApiResult, ok, page};

/// Any admin: the requests in their scope, oldest first.
pub(super) async fn queue(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<RequestQuery>,
) -> ApiResult {
    page(
        st.app
            .review_queue(&s.principal, &q.filter(), q.page.unwrap_or(1), 50)
            .await
            .map_err(WebError::api)?,
    )
}

/// Any admin, for a request in scope: the request and the applicant (the
/// national ID masked, as on the page).
pub(super) async fn request(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let (r, a) = st
        .app
        .review_request(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    let masked = crate::support::masked_id(&a);
    Ok(
        axum::Json(json!({ "request": r, "applicant": a, "national_id_masked": masked }))
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct DecideBody {
    ids: Vec<i64>,
    /// `approve` or `reject`.
    decision: String,
    /// Optional when approving, required when rejecting.
    note: String,
    /// A new account that asked for an official mailbox: grant it or not;
    /// left out, what was asked is granted.
    official_mail: Option<bool>,
}

/// Any admin: decides one request or a batch (at most 200) with one note.
/// Each request is decided at most once, whoever else is deciding: the
/// answer says which were done, which another admin decided first, and
/// which were not this admin's to decide.
pub(super) async fn decide(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<DecideBody>,
) -> ApiResult {
    let decision = Decision::parse(&b.decision).ok_or_else(|| {
        WebError::api(Error::invalid(
            "decision",
            Msg::new(
                "decision 須為 approve 或 reject",
                "decision must be approve or reject",
            ),
        ))
    })?;
    let out = st
        .app
        .decide_requests(
            &s.principal,
            &b.ids,
            &portico_app::review::Verdict {
                decision,
                note: &b.note,
                official_mail: b.official_mail,
            },
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    let refused: Vec<_> = out
        .refused
        .iter()
        .map(|(id, m)| json!({ "id": id, "message": m }))
        .collect();
    Ok(axum::Json(json!({
        "done": out.done,
        "already_decided": out.already,
        "not_found": out.missing,
        "refused": refused,
    }))
    .into_response())
}

/// Anyone signed in: their requests still open.
pub(super) async fn my_requests(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let list = st
        .app
        .my_open_requests(s.principal.account_id())
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": list })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ReasonBody {
    reason: String,
}

/// Anyone signed in: asks their agency's admins for admin rights.
pub(super) async fn request_admin_rights(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<ReasonBody>,
) -> ApiResult {
    st.app
        .request_admin_rights(&s, &b.reason, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: asks to move to another unit (the new agency
/// decides; the account waits disabled meanwhile).
pub(super) async fn request_agency_change(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<MoveForm>,
) -> ApiResult {
    st.app
        .request_agency_change(&s, &b, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
