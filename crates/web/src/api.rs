//! The JSON API under `/api/v1`. It accepts the session cookie, with the
//! `X-CSRF-Token` header on every write. Bad input answers 422 with the
//! fields and their messages in both languages.
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portico_core::ids::AccountId;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/me/sign-in-records", get(my_sign_ins))
        .route("/accounts", get(search))
        .route("/accounts/{id}", get(account))
        .route("/accounts/{id}/disable", post(disable))
        .route("/accounts/{id}/enable", post(enable))
        .route("/accounts/{id}/unlock", post(unlock))
        .route("/org", get(org))
        .route("/audit", get(audit))
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}

/// Anyone signed in.
async fn me(State(st): State<AppState>, ApiUser(s): ApiUser) -> Result<Response, WebError> {
    let me = st.app.me(&s).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "account": me.account, "roles": me.roles, "active_sessions": me.active_sessions, "password_days_left": s.password_days_left })).into_response())
}

/// Anyone signed in: their sign-in records.
async fn my_sign_ins(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::pages::RecordsQuery>,
) -> Result<Response, WebError> {
    let (f, errs) = q.filter();
    if !errs.is_empty() {
        return Err(WebError::api(portico_core::Error::Invalid(errs)));
    }
    let p = st
        .app
        .my_sign_in_records(&s, &f, q.page.unwrap_or(1))
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(
        json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items }),
    )
    .into_response())
}

/// Any admin: accounts within their scope.
async fn search(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::admin::AccountQuery>,
) -> Result<Response, WebError> {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let search = q.search(&tree, st.app.now());
    let p = st
        .app
        .search_accounts(&s.principal, &search, q.page.unwrap_or(1), 50)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(
        json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items }),
    )
    .into_response())
}

/// Any admin, for an account in scope.
async fn account(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let m = st
        .app
        .managed_account(&s.principal, AccountId(id))
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(json!({ "account": m.account, "roles": m.roles, "locked": m.locked }))
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
struct Reason {
    #[serde(default)]
    reason: String,
}

/// Any admin, for an account in scope.
async fn disable(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(r): Json<Reason>,
) -> Result<Response, WebError> {
    st.app
        .disable_account(&s.principal, AccountId(id), &r.reason, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

/// Any admin, for an account in scope.
async fn enable(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(r): Json<Reason>,
) -> Result<Response, WebError> {
    st.app
        .enable_account(&s.principal, AccountId(id), &r.reason, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

/// Any admin, for an account in scope.
async fn unlock(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    st.app
        .unlock_account(&s.principal, AccountId(id), &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

/// Anyone signed in: the org tree.
async fn org(State(st): State<AppState>, ApiUser(_): ApiUser) -> Result<Response, WebError> {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let items: Vec<_> = tree
        .order
        .iter()
        .map(|(i, d)| json!({ "unit": tree.units[*i], "depth": d }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Any admin: the audit trail within their scope.
async fn audit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::pages::RecordsQuery>,
) -> Result<Response, WebError> {
    let (f, errs) = q.filter();
    if !errs.is_empty() {
        return Err(WebError::api(portico_core::Error::Invalid(errs)));
    }
    let p = st
        .app
        .audit_events(&s.principal, &f, q.page.unwrap_or(1), 50)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(
        json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items }),
    )
    .into_response())
}
