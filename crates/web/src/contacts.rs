//! The backup e-mail and mobile page (備用信箱與手機): each change is
//! confirmed by a code sent to the new address.
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::pages::{CsrfForm, OkQuery, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/contacts", get(page))
        .route("/account/contacts/email", post(send_email))
        .route("/account/contacts/email/confirm", post(confirm_email))
        .route("/account/contacts/mobile", post(send_mobile))
        .route("/account/contacts/mobile/confirm", post(confirm_mobile))
        .route("/account/contacts/mobile/remove", post(remove_mobile))
}

#[derive(Default)]
struct View {
    email_stage: &'static str,
    mobile_stage: &'static str,
    new_email: String,
    new_mobile: String,
    errs: Vec<FieldError>,
    flash: Option<Msg>,
}

async fn show(
    st: &AppState,
    s: &Signed,
    v: View,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let me = st.app.me(&s.0).await.map_err(|e| WebError::page(e, lang))?;
    let mut r = render(
        ContactsPage {
            c: Chrome::of(&s.0, "account").with_flash(v.flash),
            backup_email: me.account.backup_email,
            mobile: me.account.mobile,
            email_stage: v.email_stage,
            mobile_stage: v.mobile_stage,
            new_email: v.new_email,
            new_mobile: v.new_mobile,
            errs: Errors::new(v.errs, lang),
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// An error as field messages under `field`, or a page error.
fn on(
    field: &'static str,
    e: Error,
    lang: portico_core::Lang,
) -> Result<(Vec<FieldError>, StatusCode), WebError> {
    match e {
        Error::Invalid(errs) => Ok((
            errs.into_iter()
                .map(|x| FieldError {
                    field,
                    message: x.message,
                })
                .collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Error::Conflict { message, .. } | Error::Refused(message) => {
            Ok((vec![FieldError { field, message }], StatusCode::CONFLICT))
        }
        e => Err(WebError::page(e, lang)),
    }
}

/// Anyone signed in.
async fn page(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    let flash = match q.ok.as_deref() {
        Some("email") => Some(Msg::new("備用信箱已變更", "Backup e-mail changed")),
        Some("mobile") => Some(Msg::new("手機號碼已綁定", "Mobile bound")),
        Some("mobile-removed") => Some(Msg::new("手機號碼已解除綁定", "Mobile unbound")),
        _ => None,
    };
    show(
        &st,
        &s,
        View {
            flash,
            ..View::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize)]
struct AddressPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    code: String,
}

/// Anyone signed in: a code to a new backup e-mail.
async fn send_email(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.start_bind_email(&s.0, &f.email, &ctx).await {
        Ok(email) => {
            let v = View {
                email_stage: "code",
                new_email: email,
                ..View::default()
            };
            show(&st, &s, v, StatusCode::OK).await
        }
        Err(e) => {
            let (errs, status) = on("email", e, s.lang())?;
            show(
                &st,
                &s,
                View {
                    new_email: f.email,
                    errs,
                    ..View::default()
                },
                status,
            )
            .await
        }
    }
}

/// Anyone signed in: the code binds the new backup e-mail.
async fn confirm_email(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .confirm_bind_email(&s.0, &f.email, &f.code, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/contacts?ok=email").into_response()),
        Err(e) => {
            let (errs, status) = on("email_code", e, s.lang())?;
            let v = View {
                email_stage: "code",
                new_email: f.email,
                errs,
                ..View::default()
            };
            show(&st, &s, v, status).await
        }
    }
}

/// Anyone signed in: a code by SMS to a mobile to bind.
async fn send_mobile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.start_bind_mobile(&s.0, &f.mobile, &ctx).await {
        Ok(m) => {
            let v = View {
                mobile_stage: "code",
                new_mobile: m,
                ..View::default()
            };
            show(&st, &s, v, StatusCode::OK).await
        }
        Err(e) => {
            let (errs, status) = on("mobile", e, s.lang())?;
            show(
                &st,
                &s,
                View {
                    new_mobile: f.mobile,
                    errs,
                    ..View::default()
                },
                status,
            )
            .await
        }
    }
}

/// Anyone signed in: the code binds the mobile.
async fn confirm_mobile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .confirm_bind_mobile(&s.0, &f.mobile, &f.code, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account/contacts?ok=mobile").into_response()),
        Err(e) => {
            let (errs, status) = on("mobile_code", e, s.lang())?;
            let v = View {
                mobile_stage: "code",
                new_mobile: f.mobile,
                errs,
                ..View::default()
            };
            show(&st, &s, v, status).await
        }
    }
}

/// Anyone signed in: unbinds the mobile.
async fn remove_mobile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .unbind_mobile(&s.0, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/account/contacts?ok=mobile-removed").into_response())
}
