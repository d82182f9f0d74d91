//! 登入裝置與應用系統: the person's own sessions (browser, address,
//! started, last used) with a way to end any other, and the applications
//! they signed into or that hold a grant of theirs, with a way to end an
//! application's access — as Keycloak's account console shows them.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{CsrfForm, OkQuery, flash, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/sessions", get(page))
        .route("/account/sessions/{sid}/end", post(end_session))
        .route("/account/apps/{id}/end", post(end_application))
}

pub(crate) async fn sessions_page(
    st: &AppState,
    s: &Signed,
    flash_code: Option<&str>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (sessions, apps) = st
        .app
        .my_sessions(&s.0)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        SessionsPage {
            c: Chrome::of(&s.0, "sessions").with_flash(flash(flash_code)),
            sessions,
            apps,
            error,
        },
        lang,
        status,
    )
}

async fn page(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    sessions_page(&st, &s, q.ok.as_deref(), String::new(), StatusCode::OK).await
}

async fn end_session(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(sid): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.end_my_session(&s.0, &sid, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account/sessions?ok=session-ended").into_response()),
        Err(e) => refused(&st, &s, e).await,
    }
}

async fn end_application(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.end_my_application(&s.0, id, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account/sessions?ok=app-ended").into_response()),
        Err(e) => refused(&st, &s, e).await,
    }
}

/// The page again, saying why (a session already gone is not found).
async fn refused(st: &AppState, s: &Signed, e: portico_core::Error) -> Result<Response, WebError> {
    let (_, msg, status) = crate::error::split(e, s.lang())?;
    sessions_page(st, s, None, msg, status).await
}
