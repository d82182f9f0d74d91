//! `/audit…`: the audit trail in the admin's scope, one event, the xlsx
//! export.
use crate::extract::Path;
use crate::extract::{ApiUser, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use portico_core::Lang;

use super::{ApiResult, filter_of, page};

/// Any admin: the audit trail within their scope; one other person's
/// events with `reason_kind` and `reason` (002 §六 (三) 2).
pub(super) async fn audit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .audit_events(
                &s.principal,
                &f,
                q.grounds().as_ref(),
                q.page.unwrap_or(1),
                50,
                &ctx,
            )
            .await
            .map_err(WebError::api)?,
    )
}

/// Any admin: one event within their scope.
pub(super) async fn audit_event(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(seq): Path<i64>,
) -> ApiResult {
    let e = st
        .app
        .audit_event(&s.principal, seq)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(e).into_response())
}

/// Any admin: the matching events as an xlsx workbook, in the caller's
/// language, with `reason_kind` and `reason` (002 §六 (三) 2).
pub(super) async fn audit_export(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    let xlsx = st
        .app
        .audit_export(
            &s.principal,
            &f,
            q.grounds().as_ref(),
            Lang::from_code(&s.lang),
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.xlsx\"",
            ),
        ],
        xlsx,
    )
        .into_response())
}
