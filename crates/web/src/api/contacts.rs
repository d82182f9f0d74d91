//! `/me/contacts…` and `/me/methods…`: a person's backup e-mail and
//! mobile (bound by a code sent to them), and their own sign-in methods
//! (the authenticator app, passkeys, certificate cards). Setting up a
//! passkey or a card needs the browser's ceremony and stays on the page.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::json;

use super::{ApiResult, ok};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AddressBody {
    email: String,
    mobile: String,
    code: String,
    password: String,
    name: String,
}

/// A code to the new backup address; `…/confirm` with it binds it.
pub(super) async fn email_start(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    let to = st
        .app
        .start_bind_email(&s, &b.email, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "sent_to": to })).into_response())
}

pub(super) async fn email_confirm(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    st.app
        .confirm_bind_email(&s, &b.email, &b.code, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// A code by SMS to the new mobile; `…/confirm` with it binds it.
pub(super) async fn mobile_start(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    let to = st
        .app
        .start_bind_mobile(&s, &b.mobile, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "sent_to": to })).into_response())
}

pub(super) async fn mobile_confirm(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    st.app
        .confirm_bind_mobile(&s, &b.mobile, &b.code, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn mobile_remove(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult {
    st.app
        .unbind_mobile(&s, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// The person's sign-in methods: the authenticator app, passkeys, cards.
pub(super) async fn methods(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let me = s.principal.account_id();
    let totp = match st.app.totp_state(me).await.map_err(WebError::api)? {
        portico_app::factors::TotpState::On => "on",
        portico_app::factors::TotpState::Pending => "pending",
        portico_app::factors::TotpState::Off => "off",
    };
    let passkeys: Vec<_> = st
        .app
        .my_passkeys(me)
        .await
        .map_err(WebError::api)?
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name,
                "created_at": rfc3339(p.created_at),
                "last_used_at": p.last_used_at.map(rfc3339),
            })
        })
        .collect();
    let cards: Vec<_> = st
        .app
        .my_cards(me)
        .await
        .map_err(WebError::api)?
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id, "issuer": c.issuer, "serial": c.serial,
                "not_after": rfc3339(c.not_after),
                "last_used_at": c.last_used_at.map(rfc3339),
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "totp": totp,
        "passkeys": passkeys,
        "cards": cards,
    }))
    .into_response())
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Starts setting up the authenticator app (the password again): the
/// secret, its otpauth URI; `…/confirm` with a first code turns it on.
pub(super) async fn totp_begin(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    let t = st
        .app
        .totp_begin(&s, &b.password, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "secret": t.secret, "otpauth_uri": t.uri })).into_response())
}

pub(super) async fn totp_confirm(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    st.app
        .totp_confirm(&s, &b.code, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Turns the authenticator app off (the password again).
pub(super) async fn totp_disable(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    st.app
        .totp_disable(&s, &b.password, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn passkey_rename(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<AddressBody>,
) -> ApiResult {
    st.app
        .passkey_rename(&s, id, &b.name, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn passkey_remove(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .passkey_remove(&s, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn card_unbind(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .card_unbind(&s, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
