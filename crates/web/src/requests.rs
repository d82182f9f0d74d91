//! Requests besides a new account, as pages: reinstatement (個人帳號復用)
//! and finding one's administrators (機關管理員查詢) after verifying, and a
//! signed-in person's admin-rights and agency-change requests (帳號異動申請).
use crate::account_flows::{AccountFlow, password_form};
use crate::enrolment::unit_choices;
use crate::error::split;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed, visitor_lang};
use crate::flow::{flow_cookie, flow_token};
use crate::pages::{render, with_status};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::{FieldError, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/reinstate/form",
            get(reinstate_form).post(reinstate_submit),
        )
        .route("/admins/list", get(admins_list))
        .route("/account/requests", get(my_requests))
        .route("/account/requests/admin-rights", post(admin_rights))
        .route("/account/requests/agency-change", post(agency_change))
}

async fn reinstate_page(
    st: &AppState,
    lang: Lang,
    a: &portico_store::accounts::Account,
    f: portico_app::requests::MoveForm,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tree = st
        .app
        .org_tree()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(with_status(
        render(
            ReinstatePage {
                c: Chrome::bare(lang),
                login: a.login.clone(),
                name: a.name.clone(),
                current: format!("{}／{}", a.agency_name, a.unit_name),
                f,
                units: unit_choices(&tree),
                errs: Errors::new(errs, lang),
            },
            lang,
        )?,
        status,
    ))
}

/// Anyone holding a reinstatement proof: the form (unit, title, reason).
async fn reinstate_form(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok(a) = st.app.reinstatement_account(&flow_token(&headers)).await else {
        return password_form(
            &st,
            &headers,
            AccountFlow::Reinstate,
            vec![],
            String::new(),
            StatusCode::OK,
        )
        .await;
    };
    let f = portico_app::requests::MoveForm {
        unit: a.unit_id.0.to_string(),
        title: a.title.clone(),
        reason: String::new(),
    };
    reinstate_page(&st, lang, &a, f, vec![], StatusCode::OK).await
}

/// Anyone holding a reinstatement proof: submits the request.
async fn reinstate_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<portico_app::requests::MoveForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let token = flow_token(&headers);
    let Ok(a) = st.app.reinstatement_account(&token).await else {
        return password_form(
            &st,
            &headers,
            AccountFlow::Reinstate,
            vec![],
            String::new(),
            StatusCode::OK,
        )
        .await;
    };
    match st.app.submit_reinstatement(&token, &f, &ctx).await {
        Ok(done) => {
            let mut r = render(
                NoticePage {
                    c: Chrome::bare(lang),
                    title: Msg::new("已送出復用申請", "Reinstatement requested"),
                    message: Msg::owned(
                        format!(
                            "已送出帳號 {} 的復用申請（單位：{}）。將由機關管理者審核，結果會寄至您的備用信箱；通過後請使用「開通帳號」重新設定密碼。",
                            done.login, done.unit_name
                        ),
                        format!(
                            "Reinstatement of {} requested (unit {}). An agency administrator will review it and mail you the result; once approved, use 'Activate my account' to set a password.",
                            done.login, done.unit_name
                        ),
                    ),
                    link: "/login",
                    link_text: Msg::new("回登入頁", "Back to sign-in"),
                },
                lang,
            )?;
            r.headers_mut()
                .insert(header::SET_COOKIE, flow_cookie(&st, "", 0));
            Ok(r)
        }
        Err(e) => {
            let (mut errs, error, status) = split(e, lang)?;
            if !error.is_empty() {
                errs.push(FieldError {
                    field: "form",
                    message: Msg::owned(error.clone(), error),
                });
            }
            reinstate_page(&st, lang, &a, f, errs, status).await
        }
    }
}

/// Anyone holding a proof: their agency's administrators.
async fn admins_list(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok((a, admins)) = st.app.my_agency_admins(&flow_token(&headers)).await else {
        return password_form(
            &st,
            &headers,
            AccountFlow::FindAdmins,
            vec![],
            String::new(),
            StatusCode::OK,
        )
        .await;
    };
    render(
        AdminContactsPage {
            c: Chrome::bare(lang),
            agency: a.agency_name,
            admins,
        },
        lang,
    )
}

// ---- a signed-in person's own requests ---------------------------------------

#[allow(clippy::too_many_arguments)]
async fn my_requests_page(
    st: &AppState,
    s: &Signed,
    f: portico_app::requests::MoveForm,
    reason: String,
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
    Ok(with_status(
        render(
            MyRequestsPage {
                c: Chrome::of(&s.0, "my-requests").with_flash(flash),
                open,
                is_agency_admin: p.roles().iter().any(|r| {
                    matches!(
                        r.kind,
                        portico_core::permission::RoleKind::AgencyAdmin
                            | portico_core::permission::RoleKind::SystemAdmin
                    )
                }),
                current: format!("{}／{}", me.account.agency_name, me.account.unit_name),
                f,
                reason,
                units: unit_choices(&tree),
                errs: Errors::new(errs, lang),
                error,
            },
            lang,
        )?,
        status,
    ))
}

/// Anyone signed in: their open requests, and the forms to ask for admin
/// rights or an agency change.
async fn my_requests(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<crate::pages::OkQuery>,
) -> Result<Response, WebError> {
    let done = (q.ok.as_deref() == Some("admin-rights")).then(|| {
        Msg::new(
            "已送出申請，待機關管理者審核；結果會寄至您的備用信箱",
            "Request sent; your agency's administrators will review it and mail you the result",
        )
    });
    my_requests_page(
        &st,
        &s,
        Default::default(),
        String::new(),
        vec![],
        done,
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize)]
struct ReasonPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
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
        Ok(()) => Ok(Redirect::to("/account/requests?ok=admin-rights").into_response()),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            let notice = (!error.is_empty()).then(|| Msg::owned(error.clone(), error));
            let errs = errs
                .into_iter()
                .map(|e| FieldError {
                    field: if e.field == "reason" {
                        "rights_reason"
                    } else {
                        e.field
                    },
                    message: e.message,
                })
                .collect();
            my_requests_page(&st, &s, Default::default(), f.reason, errs, notice, status).await
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
            my_requests_page(&st, &s, f.form, String::new(), errs, notice, status).await
        }
    }
}
