//! The backup e-mail and mobile page (備用信箱與手機): each change is
//! confirmed by a code sent to the new address.
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{CsrfForm, OkQuery, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/contacts", get(page))
        .route("/account/contacts/email", post(send))
        .route("/account/contacts/email/confirm", post(confirm))
        .route("/account/contacts/mobile", post(send))
        .route("/account/contacts/mobile/confirm", post(confirm))
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
    render_as(
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
        status,
    )
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
            crate::error::INVALID_INPUT,
        )),
        Error::Conflict { message, .. } | Error::Refused(message) => {
            Ok((vec![FieldError { field, message }], crate::error::REFUSED))
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

/// Which of the two addresses a request is about, from its path.
#[derive(Clone, Copy)]
enum Address {
    Email,
    Mobile,
}

impl FromRequestParts<AppState> for Address {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(
            if parts.uri.path().starts_with("/account/contacts/mobile") {
                Address::Mobile
            } else {
                Address::Email
            },
        )
    }
}

impl Address {
    fn field(self) -> &'static str {
        match self {
            Address::Email => "email",
            Address::Mobile => "mobile",
        }
    }
    fn code_field(self) -> &'static str {
        match self {
            Address::Email => "email_code",
            Address::Mobile => "mobile_code",
        }
    }
    fn typed(self, f: &AddressPost) -> &str {
        match self {
            Address::Email => &f.email,
            Address::Mobile => &f.mobile,
        }
    }
    /// The page with this address's form at `stage` (`address` or `code`).
    fn view(self, stage: &'static str, value: String, errs: Vec<FieldError>) -> View {
        match self {
            Address::Email => View {
                email_stage: stage,
                new_email: value,
                errs,
                ..View::default()
            },
            Address::Mobile => View {
                mobile_stage: stage,
                new_mobile: value,
                errs,
                ..View::default()
            },
        }
    }
}

/// Anyone signed in: a code to a new backup e-mail, or by SMS to a mobile.
async fn send(
    State(st): State<AppState>,
    s: Signed,
    kind: Address,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let typed = kind.typed(&f);
    let r = match kind {
        Address::Email => st.app.start_bind_email(&s.0, typed, &ctx).await,
        Address::Mobile => st.app.start_bind_mobile(&s.0, typed, &ctx).await,
    };
    match r {
        Ok(clean) => show(&st, &s, kind.view("code", clean, vec![]), StatusCode::OK).await,
        Err(e) => {
            let (errs, status) = on(kind.field(), e, s.lang())?;
            show(
                &st,
                &s,
                kind.view("address", typed.to_owned(), errs),
                status,
            )
            .await
        }
    }
}

/// Anyone signed in: the code from the new address binds it.
async fn confirm(
    State(st): State<AppState>,
    s: Signed,
    kind: Address,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AddressPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let typed = kind.typed(&f);
    let r = match kind {
        Address::Email => st.app.confirm_bind_email(&s.0, typed, &f.code, &ctx).await,
        Address::Mobile => st.app.confirm_bind_mobile(&s.0, typed, &f.code, &ctx).await,
    };
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("/account/contacts?ok={}", kind.field())).into_response())
        }
        Err(e) => {
            let (errs, status) = on(kind.code_field(), e, s.lang())?;
            show(&st, &s, kind.view("code", typed.to_owned(), errs), status).await
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
