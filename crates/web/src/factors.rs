//! The personal page's sign-in methods (個人帳號管理 > OTP 驗證, 004 §參
//! 十一): setting up and turning off the authenticator app; registering,
//! naming and removing passkeys.
use crate::extract::Path;
use crate::extract::{Form, Json, ReqCtx, Signed};
use crate::pages::account_page;
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/totp", get(totp_page))
        .route("/account/totp/begin", post(totp_begin))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/totp/disable", post(totp_disable))
        .route("/account/passkeys/options", post(passkey_options))
        .route("/account/passkeys", post(passkey_add))
        .route("/account/passkeys/{id}/rename", post(passkey_rename))
        .route("/account/passkeys/{id}/delete", post(passkey_delete))
        .route("/account/card/options", post(card_options))
        .route("/account/card", post(card_bind))
        .route("/account/card/{id}/delete", post(card_unbind))
}

/// Starts binding a card: the challenge for it to sign.
async fn card_options(
    State(st): State<AppState>,
    s: Signed,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    s.check_csrf(header_csrf(&headers))
        .map_err(|e| WebError::api(e.err))?;
    let c = st.app.card_bind_start(&s.0).await.map_err(WebError::api)?;
    Ok(axum::Json(c).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct CardSignature {
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) signature: String,
}

async fn card_bind(
    State(st): State<AppState>,
    s: Signed,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<CardSignature>,
) -> Result<Response, WebError> {
    s.check_csrf(header_csrf(&headers))
        .map_err(|e| WebError::api(e.err))?;
    st.app
        .card_bind_finish(&s.0, &b.handle, &b.signature, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(serde_json::json!({ "redirect": "/account?ok=card-bound#methods" }))
            .into_response(),
    )
}

async fn card_unbind(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .card_unbind(&s.0, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/account?ok=card-unbound#methods").into_response())
}

/// The CSRF token of a script's request.
fn header_csrf(headers: &HeaderMap) -> &str {
    headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Starts registering a passkey named in the body: the options for
/// `navigator.credentials.create`.
async fn passkey_options(
    State(st): State<AppState>,
    s: Signed,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<NewPasskey>,
) -> Result<Response, WebError> {
    s.check_csrf(header_csrf(&headers))
        .map_err(|e| WebError::api(e.err))?;
    let c = st
        .app
        .passkey_register_start(&s.0, &b.name, &b.password, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(c).into_response())
}

#[derive(serde::Deserialize)]
struct NewPasskey {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    credential: serde_json::Value,
}

async fn passkey_add(
    State(st): State<AppState>,
    s: Signed,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<NewPasskey>,
) -> Result<Response, WebError> {
    s.check_csrf(header_csrf(&headers))
        .map_err(|e| WebError::api(e.err))?;
    st.app
        .passkey_register_finish(&s.0, &b.handle, &b.name, &b.credential, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(serde_json::json!({ "redirect": "/account?ok=passkey-added#methods" }))
            .into_response(),
    )
}

#[derive(serde::Deserialize)]
struct NameForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn passkey_rename(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.passkey_rename(&s.0, id, &f.name, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account?ok=passkey-renamed#methods").into_response()),
        Err(Error::Invalid(errs)) => account_page(&st, &s, None, errs, None).await,
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

async fn passkey_delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .passkey_remove(&s.0, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/account?ok=passkey-removed#methods").into_response())
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
    match st.app.totp_begin(&s.0, &f.password, &ctx).await {
        Ok(_) => Ok(Redirect::to("/account/totp").into_response()),
        Err(Error::Invalid(errs)) => account_page(&st, &s, None, errs, None).await,
        Err(e) => Err(WebError::page(e, s.lang())),
    }
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
    let status = crate::error::form_status(&errs);
    render_as(
        TotpPage {
            c: Chrome::of(&s.0, "account"),
            secret: grouped(&setup.secret),
            qr_svg: setup.qr_svg,
            uri: setup.uri,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
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
