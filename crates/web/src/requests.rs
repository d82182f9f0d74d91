//! A signed-in person's requests besides a new account, as pages:
//! admin rights and an agency change (帳號異動申請).
use crate::error::split;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::unit_choices;
use crate::support::{render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::{FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/requests", get(my_requests))
        .route(
            "/account/requests/admin-rights",
            get(admin_rights_form).post(admin_rights),
        )
        .route("/account/requests/agency-change", post(agency_change))
        .route(
            "/account/requests/cancel",
            get(cancel_form)
                .post(cancel)
                .layer(axum::extract::DefaultBodyLimit::max(
                    portico_core::files::MAX_SCAN + 64 * 1024,
                )),
        )
}

// ---- 帳號註銷 ------------------------------------------------------------------

async fn cancel_page(
    st: &AppState,
    s: &Signed,
    flash: Option<Msg>,
    reason: String,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let me = st.app.me(&s.0).await.map_err(err)?;
    let open = st
        .app
        .my_open_requests(s.0.principal.account_id())
        .await
        .map_err(err)?
        .into_iter()
        .find(|r| r.kind == portico_core::request::RequestKind::Cancel);
    render_as(
        CancelRequestPage {
            c: Chrome::of(&s.0, "my-requests").with_flash(flash),
            account: me.account,
            open,
            reason,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

async fn cancel_form(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<crate::support::OkQuery>,
) -> Result<Response, WebError> {
    let sent = (q.ok.as_deref() == Some("sent")).then(|| {
        Msg::new(
            "已送出帳號註銷申請，由機關（單位）管理者審核，結果將寄至您的備用信箱",
            "Sent; your agency's (or unit's) administrators review it and the result is mailed to your backup e-mail",
        )
    });
    cancel_page(
        &st,
        &s,
        sent,
        String::new(),
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// 列印申請書 or 送出, from one multipart form.
async fn cancel(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mut mp: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let unreadable = || {
        WebError::page(
            portico_core::Error::invalid(
                "form_file",
                Msg::new(
                    "上傳內容無法讀取，檔案可能超過 10 MB",
                    "The upload could not be read; the file may exceed 10 MB",
                ),
            ),
            lang,
        )
    };
    let (mut csrf, mut reason, mut print) = (String::new(), String::new(), false);
    let mut upload = None;
    while let Some(field) = mp.next_field().await.map_err(|_| unreadable())? {
        match field.name().unwrap_or_default() {
            "form_file" => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|_| unreadable())?.to_vec();
                upload = Some(portico_app::access::Upload { name, bytes });
            }
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            "reason" => {
                reason = field
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(400)
                    .collect()
            }
            "print" => print = true,
            _ => {}
        }
    }
    s.check_csrf(&csrf)?;
    let r = if print {
        match st.app.print_cancellation(&s.0, &reason).await {
            Ok(pdf) => {
                return Ok((
                    [
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/pdf"),
                        ),
                        (
                            header::CONTENT_DISPOSITION,
                            HeaderValue::from_static("inline; filename=\"cancellation.pdf\""),
                        ),
                    ],
                    pdf,
                )
                    .into_response());
            }
            Err(e) => Err(e),
        }
    } else {
        st.app
            .request_cancellation(&s.0, &reason, upload, &ctx)
            .await
            .map(|_| ())
    };
    match r {
        Ok(()) => Ok(Redirect::to("/account/requests/cancel?ok=sent").into_response()),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            cancel_page(&st, &s, None, reason, errs, error, status).await
        }
    }
}

// ---- a signed-in person's own requests ---------------------------------------

#[allow(clippy::too_many_arguments)]
async fn my_requests_page(
    st: &AppState,
    s: &Signed,
    f: portico_app::requests::MoveForm,
    errs: Vec<FieldError>,
    notice: Option<Msg>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    // A refusal is shown at the top, like the notice after a submit.
    let (error, flash) = match notice {
        Some(m) if status.is_success() => (String::new(), Some(m)),
        Some(m) => (m.get(lang).to_owned(), None),
        None => (String::new(), None),
    };
    let err = |e| WebError::page(e, lang);
    let me = st.app.me(&s.0).await.map_err(err)?;
    let open = st.app.my_open_requests(p.account_id()).await.map_err(err)?;
    let tree = st.app.org_tree().await.map_err(err)?;
    let f = if f.title.is_empty() && f.unit.is_empty() {
        portico_app::requests::MoveForm {
            title: me.account.title.clone(),
            ..f
        }
    } else {
        f
    };
    render_as(
        MyRequestsPage {
            c: Chrome::of(&s.0, "my-requests").with_flash(flash),
            open,
            is_agency_admin: is_agency_admin(p),
            current: format!("{}／{}", me.account.agency_name, me.account.unit_name),
            f,
            units: unit_choices(&tree),
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

/// Anyone signed in: their open requests, the way to ask for admin rights,
/// and the form for an agency change.
async fn my_requests(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    my_requests_page(&st, &s, Default::default(), vec![], None, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
struct ReasonPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// 機關管理者申請 under 線上申請作業 (004 L4804–4836): the applicant as the
/// profile has them, an open request if one waits, the reason.
async fn admin_rights_page(
    st: &AppState,
    s: &Signed,
    flash: Option<Msg>,
    reason: String,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let p = &s.0.principal;
    let me = st.app.me(&s.0).await.map_err(err)?;
    let open = st
        .app
        .my_open_requests(p.account_id())
        .await
        .map_err(err)?
        .into_iter()
        .find(|r| r.kind == portico_core::request::RequestKind::AdminRights);
    render_as(
        AdminRightsPage {
            c: Chrome::of(&s.0, "admin-rights").with_flash(flash),
            account: me.account,
            open,
            is_agency_admin: is_agency_admin(p),
            reason,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

fn is_agency_admin(p: &portico_core::permission::Principal) -> bool {
    p.roles().iter().any(|r| {
        matches!(
            r.kind,
            portico_core::permission::RoleKind::AgencyAdmin
                | portico_core::permission::RoleKind::SystemAdmin
        )
    })
}

async fn admin_rights_form(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<crate::support::OkQuery>,
) -> Result<Response, WebError> {
    let sent = (q.ok.as_deref() == Some("sent")).then(|| Msg::new("已送出申請。", "Request sent."));
    admin_rights_page(
        &st,
        &s,
        sent,
        String::new(),
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Anyone signed in who is not an agency admin.
async fn admin_rights(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<ReasonPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    match st.app.request_admin_rights(&s.0, &f.reason, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account/requests/admin-rights?ok=sent").into_response()),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            admin_rights_page(&st, &s, None, f.reason, errs, error, status).await
        }
    }
}

#[derive(serde::Deserialize)]
struct MovePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    form: portico_app::requests::MoveForm,
}

/// Anyone signed in: asks to move; the account is disabled and signed out
/// at once.
async fn agency_change(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<MovePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    match st.app.request_agency_change(&s.0, &f.form, &ctx).await {
        Ok(()) => {
            let mut r = render(
                NoticePage {
                    c: Chrome::bare(lang),
                    title: Msg::new("已送出機關異動申請", "Move requested"),
                    message: Msg::new(
                        "帳號已停用並登出所有裝置。新機關的機關管理者審核通過後，即可再次登入；審核結果會寄至您的備用信箱。",
                        "Your account is disabled and signed out everywhere. Sign in again once the new agency's administrator approves; the result is mailed to your backup e-mail.",
                    ),
                    link: "/login",
                    link_text: Msg::new("回登入頁", "Back to sign-in"),
                },
                lang,
            )?;
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "portico_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                ),
            );
            Ok(r)
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            let notice = (!error.is_empty()).then(|| Msg::owned(error.clone(), error));
            my_requests_page(&st, &s, f.form, errs, notice, status).await
        }
    }
}
