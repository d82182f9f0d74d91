//! The personal page's sign-in methods (個人帳號管理 > OTP 驗證, 004 §參
//! 十一): setting up and turning off the authenticator app.
use crate::extract::{Form, ReqCtx, Signed};
use crate::pages::{account_page, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/totp", get(totp_page))
        .route("/account/totp/begin", post(totp_begin))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/totp/disable", post(totp_disable))
}

#[derive(serde::Deserialize)]
struct CodeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

async fn totp_begin(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .totp_begin(&s.0, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/account/totp").into_response())
}

async fn totp_page(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    setup_page(&st, &s, Vec::new()).await
}

/// The pending setup: the QR code, the key, and the form for the first
/// code. Without one, back to the account page.
async fn setup_page(
    st: &AppState,
    s: &Signed,
    errs: Vec<portico_core::FieldError>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let Some(setup) = st
        .app
        .totp_pending(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?
    else {
        return Ok(Redirect::to("/account#methods").into_response());
    };
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(
        TotpPage {
            c: Chrome::of(&s.0, "account"),
            secret: grouped(&setup.secret),
            qr_svg: setup.qr_svg,
            uri: setup.uri,
            errs: Errors::new(errs, lang),
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// A base32 key in groups of four, easier to type.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn totp_confirm(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.totp_confirm(&s.0, &f.code, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account?ok=totp-on#methods").into_response()),
        Err(Error::Invalid(errs)) => setup_page(&st, &s, errs).await,
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

async fn totp_disable(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.totp_disable(&s.0, &f.password, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account?ok=totp-off#methods").into_response()),
        Err(Error::Invalid(errs)) => account_page(&st, &s, None, errs, None).await,
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}
