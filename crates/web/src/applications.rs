//! The account lifecycle's pages: for everyone (個人帳號申請/修改/復用,
//! 開通帳號, 忘記密碼) and the admins' review queue (待簽核).
//!
//! A signed-out flow has no session: after a code is accepted, the proof
//! travels in a short-lived HttpOnly cookie (`portico_flow`, SameSite
//! Strict), never in a URL.
use crate::extract::{Form, LenientQuery, ReqCtx, ScriptOrForm, Signed, cookie, visitor_lang};
use crate::pages::render;
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::applications::ApplicationForm;
use portico_app::orgs::Tree;
use portico_core::org::OrgKind;
use portico_core::request::{Decision, RequestKind, RequestState};
use portico_core::verify::{Method, Purpose};
use portico_core::{Error, FieldError, Lang, Msg};

pub const FLOW_COOKIE: &str = "portico_flow";

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
        .route("/activate", get(flow_start))
        .route("/activate/send", post(flow_send))
        .route("/activate/code", post(flow_code))
        .route("/activate/mobile", post(flow_mobile))
        .route("/activate/password", get(flow_password).post(flow_set))
        .route("/forgot", get(flow_start))
        .route("/forgot/send", post(flow_send))
        .route("/forgot/code", post(flow_code))
        .route("/forgot/mobile", post(flow_mobile))
        .route("/forgot/password", get(flow_password).post(flow_set))
        .route("/reinstate", get(flow_start))
        .route("/reinstate/send", post(flow_send))
        .route("/reinstate/code", post(flow_code))
        .route("/reinstate/mobile", post(flow_mobile))
        .route("/admins", get(flow_start))
        .route("/admins/send", post(flow_send))
        .route("/admins/code", post(flow_code))
        .route("/admins/mobile", post(flow_mobile))
        .route("/admin/requests", get(queue))
        .route("/admin/requests/decide", post(decide))
        .route("/admin/requests/{id}", get(request_page))
}

pub(crate) fn flow_cookie(st: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if st.cfg.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

pub(crate) fn flow_token(headers: &HeaderMap) -> String {
    cookie(headers, FLOW_COOKIE)
        .unwrap_or("")
        .chars()
        .take(100)
        .collect()
}

pub(crate) fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

/// Splits an error into field errors (shown beside fields) and a message
/// for the top of the page; an internal error is passed on.
pub(crate) fn split(
    e: Error,
    lang: Lang,
) -> Result<(Vec<FieldError>, String, StatusCode), WebError> {
    match e {
        Error::Invalid(errs) => Ok((errs, String::new(), StatusCode::UNPROCESSABLE_ENTITY)),
        Error::Conflict { field, message } => Ok((
            vec![FieldError { field, message }],
            String::new(),
            StatusCode::CONFLICT,
        )),
        Error::Refused(m) => Ok((vec![], m.get(lang).to_owned(), StatusCode::CONFLICT)),
        e => Err(WebError::page(e, lang)),
    }
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
    Ok(with_status(
        render(
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
        )?,
        status,
    ))
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
        Ok(token) => {
            let mut r = Redirect::to(&format!("{}/form", flow.action())).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                flow_cookie(
                    &st,
                    &token,
                    portico_core::verify::VERIFIED_TTL.whole_seconds(),
                ),
            );
            Ok(r)
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            email_page(&st, lang, flow, "code", f.email, errs, error, status)
        }
    }
}

// ---- the application form ------------------------------------------------------

/// The deepest units, grouped under "top group／agency", in tree order.
pub(crate) fn unit_choices(tree: &Tree) -> Vec<(String, Vec<(i64, String)>)> {
    let mut groups: Vec<(String, Vec<(i64, String)>)> = Vec::new();
    for (i, _) in &tree.order {
        let u = &tree.units[*i];
        if u.kind == OrgKind::Group || !tree.is_leaf(u) || !tree.is_live(u) {
            continue;
        }
        let names: Vec<&str> = u
            .path
            .ids()
            .iter()
            .filter_map(|id| tree.get(*id).map(|x| x.name.as_str()))
            .collect();
        // [group, agency, …, unit]: the optgroup names the first two.
        let (head, rest) = names.split_at(names.len().min(2));
        let label = if rest.is_empty() {
            names.last().copied().unwrap_or("").to_owned()
        } else {
            rest.join("／")
        };
        let group = head.join("／");
        match groups.last_mut() {
            Some((g, opts)) if *g == group => opts.push((u.id.0, label)),
            _ => groups.push((group, vec![(u.id.0, label)])),
        }
    }
    groups
}

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
    f: ApplicationForm,
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
    Ok(with_status(
        render(
            ApplicationPage {
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
        )?,
        status,
    ))
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
        StatusCode::UNAUTHORIZED,
    )
}

/// Anyone with a verified backup e-mail: the application form.
async fn apply_form(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok(proof) = st.app.proof(&flow_token(&headers), Purpose::Apply).await else {
        return verify_again(&st, lang, EmailFlow::Apply);
    };
    let f = ApplicationForm {
        needs_official_mail: String::new(),
        ..ApplicationForm::default()
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
    Form(f): Form<ApplicationForm>,
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
    done: portico_app::applications::Submitted,
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
    let mut r = render(
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
    r.headers_mut()
        .insert(header::SET_COOKIE, flow_cookie(st, "", 0));
    Ok(r)
}

/// Anyone with a verified backup e-mail: is the typed login name free?
/// The whole form comes back as typed, with the answer beside the field.
async fn check_login(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<ApplicationForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let Ok(proof) = st.app.proof(&flow_token(&headers), Purpose::Apply).await else {
        return verify_again(&st, lang, EmailFlow::Apply);
    };
    let (errs, ok) = match st.app.login_available(&f.login).await {
        Ok(()) => (
            vec![],
            Msg::new("此帳號可以使用", "This login name is available")
                .get(lang)
                .to_owned(),
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
fn form_of(a: &portico_store::accounts::Account, note: &str, mail: bool) -> ApplicationForm {
    ApplicationForm {
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

fn masked_id(a: &portico_store::accounts::Account) -> String {
    a.national_id
        .as_deref()
        .and_then(|i| portico_core::national_id::NationalId::parse(i).ok())
        .map(|i| i.masked())
        .unwrap_or_default()
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
    Form(f): Form<ApplicationForm>,
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

// ---- activation and forgotten passwords ---------------------------------------

#[derive(Clone, Copy)]
pub(crate) enum AccountFlow {
    Activate,
    Forgot,
    Reinstate,
    FindAdmins,
}

impl AccountFlow {
    fn purpose(self) -> Purpose {
        match self {
            AccountFlow::Activate => Purpose::Activate,
            AccountFlow::Forgot => Purpose::ResetPassword,
            AccountFlow::Reinstate => Purpose::Reinstate,
            AccountFlow::FindAdmins => Purpose::FindAdmins,
        }
    }
    fn action(self) -> &'static str {
        match self {
            AccountFlow::Activate => "/activate",
            AccountFlow::Forgot => "/forgot",
            AccountFlow::Reinstate => "/reinstate",
            AccountFlow::FindAdmins => "/admins",
        }
    }
    /// Where a verified person goes next.
    fn next(self) -> &'static str {
        match self {
            AccountFlow::Activate => "/activate/password",
            AccountFlow::Forgot => "/forgot/password",
            AccountFlow::Reinstate => "/reinstate/form",
            AccountFlow::FindAdmins => "/admins/list",
        }
    }
    fn title(self) -> Msg {
        match self {
            AccountFlow::Activate => Msg::new("開通帳號", "Activate my account"),
            AccountFlow::Forgot => Msg::new("忘記密碼", "Forgot password"),
            AccountFlow::Reinstate => Msg::new("個人帳號復用", "Reinstate my account"),
            AccountFlow::FindAdmins => Msg::new("機關管理員查詢", "Find my administrators"),
        }
    }
    fn intro(self) -> Msg {
        match self {
            AccountFlow::Activate => Msg::new(
                "申請審核通過後，請先驗證身分，再設定密碼以開通帳號。",
                "Once your application is approved, verify yourself and set a password to activate the account.",
            ),
            AccountFlow::Forgot => Msg::new(
                "驗證身分後即可設定新密碼；設定完成後，此帳號在所有裝置上的登入都會登出。",
                "Verify yourself, then set a new password; every session of the account ends.",
            ),
            AccountFlow::Reinstate => Msg::new(
                "帳號停用後（例如復職）須復用時，請先驗證身分，再更新隸屬單位與職稱後送出，由機關管理者審核；通過後請使用「開通帳號」重新設定密碼。",
                "To use a disabled account again (for example on returning to work), verify yourself, update your unit and title and submit; an agency administrator reviews it, then activate the account again.",
            ),
            AccountFlow::FindAdmins => Msg::new(
                "驗證身分後，即可查看您所屬機關的機關管理者及聯絡方式。",
                "Verify yourself to see your agency's administrators and how to reach them.",
            ),
        }
    }
}

/// The flow is the first segment of the path: `/activate/…`, `/forgot/…`,
/// `/reinstate/…`, `/admins/…`.
impl FromRequestParts<AppState> for AccountFlow {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let first = parts.uri.path().trim_start_matches('/');
        let first = first.split('/').next().unwrap_or("");
        match first {
            "activate" => Ok(AccountFlow::Activate),
            "forgot" => Ok(AccountFlow::Forgot),
            "reinstate" => Ok(AccountFlow::Reinstate),
            "admins" => Ok(AccountFlow::FindAdmins),
            _ => Err(WebError::page(
                Error::NotFound,
                visitor_lang(&parts.headers),
            )),
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct AccountVerifyForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    code: String,
}

#[allow(clippy::too_many_arguments)]
fn account_page(
    st: &AppState,
    lang: Lang,
    flow: AccountFlow,
    stage: &'static str,
    login: &str,
    method: &str,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    Ok(with_status(
        render(
            VerifyAccountPage {
                c: Chrome::bare(lang),
                title: flow.title(),
                intro: flow.intro(),
                action: flow.action(),
                stage,
                login: login.chars().take(40).collect(),
                method: match method {
                    "sms" | "mobile_id" => method,
                    _ => "email",
                }
                .into(),
                error,
                errs: Errors::new(errs, lang),
                mobile_enabled: st.app.mobile_id_enabled(),
                handle: String::new(),
                confirm: String::new(),
            },
            lang,
        )?,
        status,
    ))
}

pub(crate) async fn password_form(
    st: &AppState,
    headers: &HeaderMap,
    flow: AccountFlow,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = visitor_lang(headers);
    let Ok(login) = st
        .app
        .proof_login(&flow_token(headers), flow.purpose())
        .await
    else {
        return account_page(
            st,
            lang,
            flow,
            "login",
            "",
            "email",
            vec![],
            portico_app::verify::proof_expired_msg()
                .get(lang)
                .to_owned(),
            StatusCode::UNAUTHORIZED,
        );
    };
    let policy = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .password
        .clone();
    Ok(with_status(
        render(
            SetPasswordPage {
                c: Chrome::bare(lang),
                title: flow.title(),
                action: flow.next(),
                login,
                policy,
                error,
                errs: Errors::new(errs, lang),
            },
            lang,
        )?,
        status,
    ))
}

#[derive(serde::Deserialize, Default)]
struct NewPasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Anyone: step 1 of an account flow (login name and method).
async fn flow_start(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    account_page(
        &st,
        visitor_lang(&headers),
        flow,
        "login",
        "",
        "email",
        vec![],
        String::new(),
        StatusCode::OK,
    )
}

/// Anyone: sends the flow's code to the account's address.
async fn flow_send(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AccountVerifyForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    if f.method == "mobile_id" && st.app.mobile_id_enabled() {
        return match st
            .app
            .start_mobile_id_verification(
                flow.purpose(),
                portico_app::mobile_id::Who::Login(&f.login),
                &ctx,
            )
            .await
        {
            Ok(started) => mobile_wait_page(
                &st,
                lang,
                flow,
                f.login.trim(),
                (&started.handle, &started.confirm),
                "",
            ),
            Err(e) => {
                let (errs, error, status) = split(e, lang)?;
                account_page(
                    &st, lang, flow, "login", &f.login, &f.method, errs, error, status,
                )
            }
        };
    }
    let method = Method::parse(&f.method).unwrap_or(Method::EmailCode);
    match st
        .app
        .start_account_verification(flow.purpose(), &f.login, method, &ctx)
        .await
    {
        Ok(()) => account_page(
            &st,
            lang,
            flow,
            "code",
            f.login.trim(),
            method.as_str(),
            vec![],
            String::new(),
            StatusCode::OK,
        ),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            account_page(
                &st, lang, flow, "login", &f.login, &f.method, errs, error, status,
            )
        }
    }
}

/// The page that waits for the phone in an account flow.
fn mobile_wait_page(
    st: &AppState,
    lang: Lang,
    flow: AccountFlow,
    login: &str,
    handle: (&str, &str),
    notice: &str,
) -> Result<Response, WebError> {
    mobile_wait(
        st,
        lang,
        (flow.title(), flow.intro(), flow.action()),
        login,
        handle,
        notice,
    )
}

/// The page that waits for the phone: (title, intro, the step's path).
/// `handle` is the transaction's handle and the two digits the phone shows.
fn mobile_wait(
    st: &AppState,
    lang: Lang,
    (title, intro, action): (Msg, Msg, &'static str),
    login: &str,
    (handle, confirm): (&str, &str),
    notice: &str,
) -> Result<Response, WebError> {
    render(
        VerifyAccountPage {
            c: Chrome::bare(lang),
            title,
            intro,
            action,
            stage: "mobile",
            login: login.chars().take(40).collect(),
            method: "mobile_id".into(),
            error: notice.to_owned(),
            errs: Errors::new(vec![], lang),
            mobile_enabled: st.app.mobile_id_enabled(),
            handle: handle.chars().take(128).collect(),
            confirm: confirm.chars().take(2).collect(),
        },
        lang,
    )
}

#[derive(serde::Deserialize, Default)]
struct MobilePoll {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    login: String,
}

/// Anyone: how the flow's mobile-ID check stands.
async fn flow_mobile(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    poll: ScriptOrForm<MobilePoll>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let step = (flow.title(), flow.intro(), flow.action());
    mobile_check(
        &st,
        lang,
        &ctx,
        poll,
        flow.purpose(),
        flow.next(),
        step,
        |e, login| {
            let (errs, error, status) = split(e, lang)?;
            account_page(
                &st,
                lang,
                flow,
                "login",
                login,
                "mobile_id",
                errs,
                error,
                status,
            )
        },
    )
    .await
}

/// How a mobile-ID identity check stands. The page's script asks every
/// four seconds (JSON); without it the person presses a button and gets
/// the waiting page again. Settled, the proof's cookie and the step
/// `next`, or the error on the step's first page.
#[allow(clippy::too_many_arguments)]
async fn mobile_check(
    st: &AppState,
    lang: Lang,
    ctx: &portico_app::Ctx,
    ScriptOrForm(f, script): ScriptOrForm<MobilePoll>,
    purpose: portico_core::verify::Purpose,
    next: &str,
    step: (Msg, Msg, &'static str),
    first_page: impl FnOnce(Error, &str) -> Result<Response, WebError>,
) -> Result<Response, WebError> {
    let r = st
        .app
        .poll_mobile_id_verification(purpose, &f.handle, ctx)
        .await;
    let token = match (r, script) {
        (Ok(Some(token)), _) => token,
        (Ok(None), true) => {
            return Ok(axum::Json(serde_json::json!({ "state": "pending" })).into_response());
        }
        (Err(e), true) => return Err(WebError::api(e)),
        (Ok(None), false) => {
            let notice = portico_app::mobile_id::not_yet();
            return mobile_wait(st, lang, step, &f.login, (&f.handle, ""), notice.get(lang));
        }
        (Err(e), false) => return first_page(e, &f.login),
    };
    let mut r = if script {
        axum::Json(serde_json::json!({ "redirect": next })).into_response()
    } else {
        Redirect::to(next).into_response()
    };
    r.headers_mut().insert(
        header::SET_COOKIE,
        flow_cookie(
            st,
            &token,
            portico_core::verify::VERIFIED_TTL.whole_seconds(),
        ),
    );
    Ok(r)
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
        |e, email| {
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

/// Anyone: checks the flow's code.
async fn flow_code(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    Form(f): Form<AccountVerifyForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    match st
        .app
        .confirm_account_verification(flow.purpose(), &f.login, &f.code)
        .await
    {
        Ok(token) => {
            let mut r = Redirect::to(flow.next()).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                flow_cookie(
                    &st,
                    &token,
                    portico_core::verify::VERIFIED_TTL.whole_seconds(),
                ),
            );
            Ok(r)
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            account_page(
                &st, lang, flow, "code", &f.login, "email", errs, error, status,
            )
        }
    }
}

/// Anyone holding an activation or reset proof: the password form.
async fn flow_password(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    password_form(&st, &headers, flow, vec![], String::new(), StatusCode::OK).await
}

/// Anyone holding an activation or reset proof: sets the password.
async fn flow_set(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    match st
        .app
        .set_password_with_proof(
            flow.purpose(),
            &flow_token(&headers),
            &f.new_password,
            &f.confirm_password,
            &ctx,
        )
        .await
    {
        Ok(login) => {
            let (title, zh, en) = match flow {
                AccountFlow::Activate | AccountFlow::Reinstate | AccountFlow::FindAdmins => (
                    Msg::new("帳號已開通", "Account activated"),
                    "帳號已開通，現在可以使用新密碼登入",
                    "activated; sign in with your new password",
                ),
                AccountFlow::Forgot => (
                    Msg::new("密碼已重設", "Password reset"),
                    "密碼已重設，所有裝置上的登入均已登出，請使用新密碼登入",
                    "password reset; every session ended. Sign in with the new password",
                ),
            };
            let mut r = render(
                NoticePage {
                    c: Chrome::bare(lang),
                    title,
                    message: Msg::owned(
                        format!("帳號 {login}：{zh}。"),
                        format!("Account {login}: {en}."),
                    ),
                    link: "/login",
                    link_text: Msg::new("前往登入", "Sign in"),
                },
                lang,
            )?;
            r.headers_mut()
                .insert(header::SET_COOKIE, flow_cookie(&st, "", 0));
            Ok(r)
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            password_form(&st, &headers, flow, errs, error, status).await
        }
    }
}

// ---- the review queue (待簽核) ---------------------------------------------------

#[derive(serde::Deserialize, Default)]
pub(crate) struct RequestQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub who: String,
    pub page: Option<u32>,
}

impl RequestQuery {
    pub(crate) fn filter(&self) -> portico_store::requests::Filter {
        portico_store::requests::Filter {
            kind: RequestKind::parse(&self.kind),
            state: match self.state.as_str() {
                "all" => None,
                "" => Some(RequestState::Pending),
                s => RequestState::parse(s).or(Some(RequestState::Pending)),
            },
            who: Some(self.who.trim().chars().take(30).collect::<String>())
                .filter(|w| !w.is_empty()),
        }
    }
}

async fn queue_page(
    st: &AppState,
    s: &Signed,
    q: RequestQuery,
    outcome: String,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .review_queue(&s.0.principal, &q.filter(), q.page.unwrap_or(1), 50)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    let query_string = format!(
        "kind={}&amp;state={}&amp;who={}",
        e(&q.kind),
        e(&q.state),
        e(&q.who)
    );
    let pending_shown = page.items.iter().any(|r| r.state == RequestState::Pending);
    Ok(with_status(
        render(
            AdminRequestsPage {
                c: Chrome::of(&s.0, "admin-requests"),
                page,
                q: RequestQueryView {
                    kind: q.kind,
                    state: q.state,
                    who: q.who,
                },
                query_string,
                pending_shown,
                outcome,
                error,
            },
            lang,
        )?,
        status,
    ))
}

#[derive(serde::Deserialize, Default)]
struct QueueQuery {
    #[serde(flatten)]
    q: RequestQueryFields,
    done: Option<usize>,
    already: Option<usize>,
}

#[derive(serde::Deserialize, Default)]
struct RequestQueryFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    who: String,
    page: Option<u32>,
}

/// Any admin: the requests in their scope, oldest first.
async fn queue(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<QueueQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let outcome = match (q.done, q.already) {
        (Some(d), Some(a)) if a > 0 => Msg::owned(
            format!("已完成審核 {d} 件；{a} 件已由其他管理者處理"),
            format!("{d} decided; {a} had already been decided by another administrator"),
        )
        .get(lang)
        .to_owned(),
        (Some(d), _) => Msg::owned(format!("已完成審核 {d} 件"), format!("{d} decided"))
            .get(lang)
            .to_owned(),
        _ => String::new(),
    };
    let rq = RequestQuery {
        kind: q.q.kind,
        state: q.q.state,
        who: q.q.who,
        page: q.q.page,
    };
    queue_page(&st, &s, rq, outcome, String::new(), StatusCode::OK).await
}

async fn one_request_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    note: String,
    note_error: String,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (r, a) = st
        .app
        .review_request(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(with_status(
        render(
            AdminRequestPage {
                c: Chrome::of(&s.0, "admin-requests"),
                national_id_masked: masked_id(&a),
                r,
                a,
                note,
                note_error,
                error,
            },
            lang,
        )?,
        status,
    ))
}

/// Any admin, for a request in scope.
async fn request_page(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    one_request_page(
        &st,
        &s,
        id,
        String::new(),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Any admin: approves or rejects the chosen requests (one, or a batch),
/// with one note. The body repeats `ids`, so it is read as pairs.
async fn decide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    s.check_csrf(get("_csrf"))?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(n, _)| n == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let one = get("back") == "one" && ids.len() == 1;
    let note = get("note").to_owned();
    let r = match Decision::parse(get("decision")) {
        Some(d) => {
            st.app
                .decide_requests(
                    &s.0.principal,
                    &ids,
                    &portico_app::applications::Verdict {
                        decision: d,
                        note: &note,
                        // The detail page asks; a batch grants what was asked.
                        official_mail: (get("mail_decided") == "1")
                            .then(|| get("official_mail") == "on"),
                    },
                    &ctx,
                )
                .await
        }
        None => Err(Error::invalid(
            "decision",
            Msg::new("請選擇通過或退回", "Choose approve or reject"),
        )),
    };
    match r {
        Ok(out) if one && !out.done.is_empty() => {
            Ok(Redirect::to(&format!("/admin/requests/{}", ids[0])).into_response())
        }
        Ok(out) if one => {
            let msg = out
                .refused
                .first()
                .map(|(_, m)| m.clone())
                .unwrap_or(portico_core::request::already_decided());
            one_request_page(
                &st,
                &s,
                ids[0],
                note,
                String::new(),
                msg.get(lang).to_owned(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Ok(out) => Ok(Redirect::to(&format!(
            "/admin/requests?done={}&already={}",
            out.done.len(),
            out.already.len() + out.missing.len() + out.refused.len()
        ))
        .into_response()),
        Err(Error::Invalid(errs)) => {
            let text = errs
                .iter()
                .map(|e| e.message.get(lang).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            if one {
                one_request_page(
                    &st,
                    &s,
                    ids[0],
                    note,
                    text,
                    String::new(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            } else {
                queue_page(
                    &st,
                    &s,
                    RequestQuery::default(),
                    String::new(),
                    text,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
        Err(e) => Err(WebError::page(e, lang)),
    }
}
