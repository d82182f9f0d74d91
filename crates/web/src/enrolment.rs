//! The account lifecycle's pages for everyone (個人帳號申請/修改/復用,
//! 開通帳號, 忘記密碼, 機關管理員查詢); the admins' review queue (待簽核)
//! is `review.rs`.
//!
//! A signed-out flow has no session: after a code is accepted, the proof
//! travels in a short-lived HttpOnly cookie (`portico_flow`, SameSite
//! Strict), never in a URL.
use crate::error::split;
use crate::extract::{Form, ReqCtx, ScriptOrForm, visitor_lang};
use crate::flow::{MobilePoll, mobile_check, mobile_wait};
use crate::flow::{flow_token, proof_spent, with_proof};
use crate::support::unit_choices;
use crate::support::{masked_id, render, render_as, with_status};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::enrolment::EnrolmentForm;
use portico_core::request::RequestState;
use portico_core::verify::Purpose;
use portico_core::{FieldError, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(services))
        .route("/apply", get(email_start))
        .route("/apply/email", post(email_send))
        .route("/apply/code", post(email_code))
        .route("/apply/form", get(apply_form).post(apply_submit))
        .route("/apply/check-login", post(check_login))
        .route("/apply/modify", get(email_start))
        .route("/apply/modify/email", post(email_send))
        .route("/apply/modify/code", post(email_code))
        .route("/apply/modify/mobile", post(modify_mobile))
        .route("/apply/modify/form", get(modify_form).post(modify_submit))
}

/// Anyone: the hub of 個人帳號申請/修改/復用.
async fn services(headers: HeaderMap) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    render(
        ServicesPage {
            c: Chrome::bare(lang),
        },
        lang,
    )
}

// ---- verifying a backup e-mail (apply, modify) --------------------------------

#[derive(serde::Deserialize, Default)]
struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    /// `mobile_id` to verify by mobile ID instead of a mailed code.
    #[serde(default)]
    method: String,
}

#[derive(Clone, Copy)]
enum EmailFlow {
    Apply,
    Modify,
}

impl EmailFlow {
    fn action(self) -> &'static str {
        match self {
            EmailFlow::Apply => "/apply",
            EmailFlow::Modify => "/apply/modify",
        }
    }
    fn title(self) -> Msg {
        match self {
            EmailFlow::Apply => Msg::new(
                "個人帳號申請：備用信箱驗證",
                "Apply: verify your backup e-mail",
            ),
            EmailFlow::Modify => Msg::new(
                "修改個人帳號申請內容：身分驗證",
                "Modify my application: verify yourself",
            ),
        }
    }
    fn intro(self) -> Msg {
        match self {
            EmailFlow::Apply => Msg::new(
                "申請前須以備用信箱完成身分驗證。此信箱必須從未綁定過臺南市政府公務帳號，且不可為公務信箱。",
                "Verify a backup e-mail before applying. It must never have been bound to a Tainan official account and must not be an official address.",
            ),
            EmailFlow::Modify => Msg::new(
                "請輸入申請時使用的備用信箱，以驗證碼完成身分驗證後即可修改申請內容（身分證號與備用信箱不可修改）。",
                "Enter the backup e-mail of your application and verify it with a code; then change the application (the national ID and e-mail stay).",
            ),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn email_page(
    st: &AppState,
    lang: Lang,
    flow: EmailFlow,
    stage: &'static str,
    email: String,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    render_as(
        VerifyEmailPage {
            c: Chrome::bare(lang),
            title: flow.title(),
            intro: flow.intro(),
            action: flow.action(),
            stage,
            email: email.chars().take(254).collect(),
            error,
            errs: Errors::new(errs, lang),
            mobile_enabled: matches!(flow, EmailFlow::Modify) && st.app.mobile_id_enabled(),
        },
        lang,
        status,
    )
}

impl FromRequestParts<AppState> for EmailFlow {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(if parts.uri.path().starts_with("/apply/modify") {
            EmailFlow::Modify
        } else {
            EmailFlow::Apply
        })
    }
}

/// Anyone: step 1 of applying, or of modifying an application.
async fn email_start(
    State(st): State<AppState>,
    flow: EmailFlow,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    email_page(
        &st,
        visitor_lang(&headers),
        flow,
        "email",
        String::new(),
        vec![],
        String::new(),
        StatusCode::OK,
    )
}

/// Anyone: sends the code to the backup e-mail.
async fn email_send(
    State(st): State<AppState>,
    flow: EmailFlow,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<EmailForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    if matches!(flow, EmailFlow::Modify) && f.method == "mobile_id" && st.app.mobile_id_enabled() {
        return match st
            .app
            .start_mobile_id_verification(
                portico_core::verify::Purpose::ModifyApplication,
                portico_app::mobile_id::Who::Email(&f.email),
                &ctx,
            )
            .await
        {
            Ok(started) => mobile_wait(
                &st,
                lang,
                (flow.title(), flow.intro(), flow.action()),
                f.email.trim(),
                (&started.handle, &started.confirm),
                "",
            ),
            Err(e) => {
                let (errs, error, status) = split(e, lang)?;
                email_page(&st, lang, flow, "email", f.email, errs, error, status)
            }
        };
    }
    let r = match flow {
        EmailFlow::Apply => st.app.start_application(&f.email, &ctx).await,
        EmailFlow::Modify => st.app.start_modify(&f.email, &ctx).await,
    };
    match r {
        Ok(()) => email_page(
            &st,
            lang,
            flow,
            "code",
            f.email.trim().to_lowercase(),
            vec![],
            String::new(),
            StatusCode::OK,
        ),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            email_page(&st, lang, flow, "email", f.email, errs, error, status)
        }
    }
}

/// Anyone: checks the code from the backup e-mail.
async fn email_code(
    State(st): State<AppState>,
    flow: EmailFlow,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let r = match flow {
        EmailFlow::Apply => st.app.confirm_application_email(&f.email, &f.code).await,
        EmailFlow::Modify => st.app.confirm_modify(&f.email, &f.code).await,
    };
    match r {
        Ok(token) => Ok(with_proof(
            &st,
            Redirect::to(&format!("{}/form", flow.action())).into_response(),
            &token,
        )),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            email_page(&st, lang, flow, "code", f.email, errs, error, status)
        }
    }
}

// ---- the application form ------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum AppFlow {
    Apply,
    Modify,
}

struct FormView {
    fixed: Option<(String, String)>,
    backup_email: String,
    /// A message for the top of the form (why an application came back).
    notice: String,
}

#[allow(clippy::too_many_arguments)]
async fn application_page(
    st: &AppState,
    lang: Lang,
    flow: AppFlow,
    view: FormView,
    f: EnrolmentForm,
    errs: Vec<FieldError>,
    login_ok: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tree = st
        .app
        .org_tree()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let (title, action) = match flow {
        AppFlow::Apply => (
            Msg::new("個人帳號申請", "Apply for an account"),
            "/apply/form",
        ),
        AppFlow::Modify => (
            Msg::new("修改個人帳號申請內容", "Modify my application"),
            "/apply/modify/form",
        ),
    };
    let (fixed, national_id_masked) = match &view.fixed {
        Some((masked, _)) => (true, masked.clone()),
        None => (false, String::new()),
    };
    let mut f = f;
    if let Some((_, login)) = &view.fixed {
        f.login = login.clone();
    }
    render_as(
        EnrolmentPage {
            c: Chrome::bare(lang),
            title,
            action,
            fixed,
            national_id_masked,
            backup_email: view.backup_email,
            notice: view.notice,
            f,
            units: unit_choices(&tree),
            login_ok,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

/// The page for a flow whose verification is missing or over.
fn verify_again(st: &AppState, lang: Lang, flow: EmailFlow) -> Result<Response, WebError> {
    email_page(
        st,
        lang,
        flow,
        "email",
        String::new(),
        vec![],
        portico_app::verify::proof_expired_msg()
            .get(lang)
            .to_owned(),
        crate::error::PROOF_EXPIRED,
    )
}

/// Anyone with a verified backup e-mail: the application form.
async fn apply_form(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok(proof) = st.app.proof(&flow_token(&headers), Purpose::Apply).await else {
        return verify_again(&st, lang, EmailFlow::Apply);
    };
    let f = EnrolmentForm {
        needs_official_mail: String::new(),
        ..EnrolmentForm::default()
    };
    application_page(
        &st,
        lang,
        AppFlow::Apply,
        FormView {
            fixed: None,
            backup_email: proof.address,
            notice: String::new(),
        },
        f,
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Anyone with a verified backup e-mail: submits the application.
async fn apply_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<EnrolmentForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let token = flow_token(&headers);
    let Ok(proof) = st.app.proof(&token, Purpose::Apply).await else {
        return verify_again(&st, lang, EmailFlow::Apply);
    };
    match st.app.submit_application(&token, &f, &ctx).await {
        Ok(done) => submitted(&st, lang, done, false),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            if !error.is_empty() {
                return verify_again(&st, lang, EmailFlow::Apply);
            }
            application_page(
                &st,
                lang,
                AppFlow::Apply,
                FormView {
                    fixed: None,
                    backup_email: proof.address,
                    notice: String::new(),
                },
                f,
                errs,
                String::new(),
                status,
            )
            .await
        }
    }
}

fn submitted(
    st: &AppState,
    lang: Lang,
    done: portico_app::enrolment::Submitted,
    modified: bool,
) -> Result<Response, WebError> {
    let message = Msg::owned(
        format!(
            "{}（帳號：{}，單位：{}）。將由機關管理者進行審核，審核結果會寄至您的備用信箱；審核通過後請使用「開通帳號」設定密碼。",
            if modified {
                "已更新申請內容"
            } else {
                "已送出申請"
            },
            done.login,
            done.unit_name
        ),
        format!(
            "{} (login {}, unit {}). Your agency administrator will review it and the result is mailed to your backup e-mail; once approved, use 'Activate my account' to set a password.",
            if modified {
                "Your application was updated"
            } else {
                "Your application was submitted"
            },
            done.login,
            done.unit_name
        ),
    );
    let r = render(
        NoticePage {
            c: Chrome::bare(lang),
            title: if modified {
                Msg::new("已更新申請", "Application updated")
            } else {
                Msg::new("已送出申請", "Application submitted")
            },
            message,
            link: "/login",
            link_text: Msg::new("回登入頁", "Back to sign-in"),
        },
        lang,
    )?;
    Ok(proof_spent(st, r))
}

/// Anyone with a verified backup e-mail: is the typed login name free?
/// The whole form comes back as typed, with the answer beside the field.
async fn check_login(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<EnrolmentForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok(proof) = st.app.proof(&flow_token(&headers), Purpose::Apply).await else {
        return verify_again(&st, lang, EmailFlow::Apply);
    };
    let (errs, ok) = match st.app.login_available(&f.login, &proof.address, &ctx).await {
        Ok(()) => (
            vec![],
            Msg::new("此帳號可以使用", "This login name is available")
                .get(lang)
                .to_owned(),
        ),
        Err(portico_core::Error::Refused(m)) => (
            vec![portico_core::FieldError {
                field: "login",
                message: m,
            }],
            String::new(),
        ),
        Err(e) => (split(e, lang)?.0, String::new()),
    };
    application_page(
        &st,
        lang,
        AppFlow::Apply,
        FormView {
            fixed: None,
            backup_email: proof.address,
            notice: String::new(),
        },
        f,
        errs,
        ok,
        StatusCode::OK,
    )
    .await
}

/// The form as the application stands.
fn form_of(a: &portico_store::accounts::Account, note: &str, mail: bool) -> EnrolmentForm {
    EnrolmentForm {
        national_id: String::new(),
        login: a.login.clone(),
        needs_official_mail: if mail { "yes" } else { "no" }.into(),
        name: a.name.clone(),
        unit: a.unit_id.0.to_string(),
        title: a.title.clone(),
        office_phone: a.office_phone.clone(),
        office_ext: a.office_ext.clone(),
        note: note.to_owned(),
    }
}

/// Anyone holding a modify proof: the application as it stands.
async fn modify_form(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok((a, r)) = st.app.application_of(&flow_token(&headers)).await else {
        return verify_again(&st, lang, EmailFlow::Modify);
    };
    let (note, mail) = r
        .as_ref()
        .map(|r| (r.reason.as_str(), r.needs_official_mail))
        .unwrap_or(("", false));
    let notice = r
        .as_ref()
        .filter(|r| r.state == RequestState::Rejected)
        .map(|r| {
            Msg::owned(
                format!("申請已被退回，審核說明：{}。修正後送出即重新申請。", r.decision_note),
                format!(
                    "The application was rejected. Reviewer's note: {}. Correct it and submit to apply again.",
                    r.decision_note
                ),
            )
            .get(lang)
            .to_owned()
        })
        .unwrap_or_default();
    let f = form_of(&a, note, mail);
    let view = FormView {
        fixed: Some((masked_id(&a), a.login.clone())),
        backup_email: a.backup_email.clone(),
        notice,
    };
    application_page(
        &st,
        lang,
        AppFlow::Modify,
        view,
        f,
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Anyone holding a modify proof: saves the changes.
async fn modify_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<EnrolmentForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let token = flow_token(&headers);
    let Ok((a, _)) = st.app.application_of(&token).await else {
        return verify_again(&st, lang, EmailFlow::Modify);
    };
    match st.app.modify_application(&token, &f, &ctx).await {
        Ok(done) => submitted(&st, lang, done, true),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            if !error.is_empty() {
                return render(
                    NoticePage {
                        c: Chrome::bare(lang),
                        title: Msg::new("無法修改申請", "The application cannot change"),
                        message: Msg::owned(error.clone(), error),
                        link: "/services",
                        link_text: Msg::new("回個人帳號申請/修改/復用", "Back to account services"),
                    },
                    lang,
                )
                .map(|r| with_status(r, status));
            }
            let view = FormView {
                fixed: Some((masked_id(&a), a.login.clone())),
                backup_email: a.backup_email.clone(),
                notice: String::new(),
            };
            application_page(
                &st,
                lang,
                AppFlow::Modify,
                view,
                f,
                errs,
                String::new(),
                status,
            )
            .await
        }
    }
}

/// Anyone: how the mobile-ID check of modifying an application stands.
async fn modify_mobile(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    poll: ScriptOrForm<MobilePoll>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let flow = EmailFlow::Modify;
    let step = (flow.title(), flow.intro(), flow.action());
    let purpose = portico_core::verify::Purpose::ModifyApplication;
    mobile_check(
        &st,
        lang,
        &ctx,
        poll,
        purpose,
        "/apply/modify/form",
        step,
        async |e, email| {
            let (errs, error, status) = split(e, lang)?;
            email_page(
                &st,
                lang,
                flow,
                "email",
                email.to_owned(),
                errs,
                error,
                status,
            )
        },
    )
    .await
}
