//! `/audit…`: the audit trail in the admin's scope, one event, the xlsx
//! export.
use crate::extract::Path;
use crate::extract::{ApiUser, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use portico_core::Lang;

use super::{ApiResult, filter_of, page};

/// Any admin: the audit trail within their scope; one other person's
/// events with `reason_kind` and `reason` (002 §六 (三) 2).
pub(super) async fn audit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    headers: HeaderMap,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    grounds_sent_here(&headers, &s, &q)?;
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
    headers: HeaderMap,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    grounds_sent_here(&headers, &s, &q)?;
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

/// Grounds stated with a session cookie need the session's token beside
/// them (`X-CSRF-Token`), as a write would: stating grounds records a
/// usage, and a link from another site carries the cookie but not the
/// token. A bearer token is never sent by a browser by itself.
fn grounds_sent_here(
    h: &HeaderMap,
    s: &portico_app::sessions::Session,
    q: &crate::support::RecordsQuery,
) -> Result<(), WebError> {
    if q.grounds().is_none() || h.contains_key(header::AUTHORIZATION) {
        return Ok(());
    }
    let sent = h
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !sent.is_empty() && crate::extract::constant_time_eq(sent.as_bytes(), s.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(WebError::api(portico_core::Error::Refused(
            crate::extract::csrf_msg(),
        )))
    }
}
