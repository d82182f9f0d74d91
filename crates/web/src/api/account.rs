//! `/me…`: a person's own account over the API (個人帳號管理).
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::account::ProfileForm;
use portico_core::{Error, Msg};
use serde_json::json;

use super::{ApiResult, filter_of, ok, page};

/// Anyone signed in.
pub(super) async fn me(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let me = st.app.me(&s).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "account": me.account, "roles": me.roles, "active_sessions": me.active_sessions, "password_days_left": s.password_days_left, "bound_methods": me.bound })).into_response())
}

/// Anyone signed in: their name, title, phone, birthday and addresses.
pub(super) async fn save_profile(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(f): Json<ProfileForm>,
) -> ApiResult {
    st.app
        .update_my_profile(&s, &f, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
pub(super) struct PasswordBody {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Anyone signed in (also while a password change is due).
pub(super) async fn change_password(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<PasswordBody>,
) -> ApiResult {
    st.app
        .change_my_password(
            &s,
            &b.old_password,
            &b.new_password,
            &b.confirm_password,
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: the body is the PNG or JPEG itself.
pub(super) async fn upload_avatar(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let body = body.map_err(|_| WebError {
        status: Some(crate::error::TOO_LARGE),
        ..WebError::api(Error::invalid(
            "avatar",
            Msg::new("圖片不可超過 2 MB", "The image must be at most 2 MB"),
        ))
    })?;
    st.app
        .set_my_avatar(&s, &body, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in.
pub(super) async fn remove_avatar(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult {
    st.app
        .remove_my_avatar(&s, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
pub(super) struct PrefsBody {
    lang: Option<String>,
    theme: Option<String>,
}

/// Anyone signed in: language (`zh-TW`, `en`) and theme (`light`, `dark`).
pub(super) async fn save_prefs(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Json(b): Json<PrefsBody>,
) -> ApiResult {
    let mut c = portico_core::error::Collector::new();
    if let Some(l) = &b.lang
        && !matches!(l.as_str(), "zh-TW" | "en")
    {
        c.push(
            "lang",
            Msg::new("語言須為 zh-TW 或 en", "lang is zh-TW or en"),
        );
    }
    if let Some(t) = &b.theme
        && !matches!(t.as_str(), "light" | "dark")
    {
        c.push(
            "theme",
            Msg::new("佈景須為 light 或 dark", "theme is light or dark"),
        );
    }
    c.finish().map_err(WebError::api)?;
    st.app
        .set_my_prefs(&s, b.lang.as_deref(), b.theme.as_deref())
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: ends every session of theirs, this one included.
pub(super) async fn sign_out_everywhere(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult {
    let n = st
        .app
        .sign_out_everywhere(&s, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "ended": n })).into_response())
}

/// Anyone signed in: their sign-in records.
pub(super) async fn my_sign_ins(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .my_sign_in_records(&s, &f, q.page.unwrap_or(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// Anyone signed in: their usage records.
pub(super) async fn my_usage(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .my_usage_records(&s, &f, q.page.unwrap_or(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// Anyone signed in: one of their own records.
pub(super) async fn my_record(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(seq): Path<i64>,
) -> ApiResult {
    let e = st.app.my_record(&s, seq).await.map_err(WebError::api)?;
    Ok(axum::Json(e).into_response())
}

/// Anyone signed in: their sessions (this one first) and the applications
/// they signed into.
pub(super) async fn my_sessions(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let (sessions, apps) = st.app.my_sessions(&s).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "sessions": sessions, "applications": apps })).into_response())
}

/// Anyone signed in: ends another of their sessions, by its `sid`.
pub(super) async fn end_my_session(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(sid): Path<String>,
) -> ApiResult {
    st.app
        .end_my_session(&s, &sid, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: ends one application's access to their account.
pub(super) async fn end_my_application(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .end_my_application(&s, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
