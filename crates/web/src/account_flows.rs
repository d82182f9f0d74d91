//! The account flows verified by a code or mobile ID, signed out:
//! 開通帳號 (activate), 忘記密碼 (forgot password), 帳號復用 (reinstate),
//! 機關管理員查詢 (find the agency's admins), and the mobile-ID check of an
//! application being modified.
use crate::error::split;
use crate::extract::{Form, ReqCtx, ScriptOrForm, visitor_lang};
use crate::flow::{MobilePoll, mobile_check};
use crate::flow::{flow_token, proof_spent, with_proof};
use crate::flow::{mobile_wait, shown};
use crate::support::unit_choices;
use crate::support::{render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::verify::Who;
use portico_core::verify::{Check, Purpose};
use portico_core::{Error, FieldError, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activate", get(flow_start))
        .route("/activate/send", post(flow_send))
        .route("/activate/code", post(flow_code))
        .route("/activate/mobile", post(flow_mobile))
        .route("/activate/password", get(flow_password).post(flow_set))
        .route("/forgot", get(flow_start))
        .route("/forgot/send", post(flow_send))
        .route("/forgot/code", post(flow_code))
        .route("/forgot/mobile", post(flow_mobile))
        .route("/forgot/card/options", post(flow_card_options))
        .route("/forgot/card", post(flow_card))
        .route("/forgot/password", get(flow_password).post(flow_set))
        .route("/reinstate", get(flow_start))
        .route(
            "/reinstate/form",
            get(reinstate_form).post(reinstate_submit),
        )
        .route("/admins/list", get(admins_list))
        .route("/forgot-login", get(remind_start).post(remind_send))
        .route("/reinstate/send", post(flow_send))
        .route("/reinstate/code", post(flow_code))
        .route("/reinstate/mobile", post(flow_mobile))
        .route("/admins", get(flow_start))
        .route("/admins/send", post(flow_send))
        .route("/admins/code", post(flow_code))
        .route("/admins/mobile", post(flow_mobile))
}

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
    method: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

impl AccountVerifyForm {
    fn check(&self) -> Check {
        Check::parse(&self.method).unwrap_or(Check::EmailCode)
    }
    /// How the person named themselves, by the chosen check.
    fn who(&self) -> Who<'_> {
        match self.check() {
            Check::SmsCode => Who::Mobile(&self.mobile),
            Check::MobileId => Who::NationalId(&self.national_id),
            Check::EmailCode | Check::Card => Who::Email(&self.email),
        }
    }
    fn typed(&self) -> &str {
        match self.who() {
            Who::Email(s) | Who::Mobile(s) | Who::NationalId(s) => s.trim(),
        }
    }
}

/// The checks a flow offers on this installation: the seed's, less the
/// card and mobile ID where they are not configured.
fn offered(st: &AppState, flow: AccountFlow) -> Vec<Check> {
    flow.purpose()
        .checks()
        .iter()
        .copied()
        .filter(|c| match c {
            Check::Card => st.app.card_enabled(),
            Check::MobileId => st.app.mobile_id_enabled(),
            Check::EmailCode | Check::SmsCode => true,
        })
        .collect()
}

/// A page of an account flow: naming oneself by `check` (stage `login`,
/// a fresh captcha where a code is sent) or typing the code (`code`).
#[allow(clippy::too_many_arguments)]
async fn account_page(
    st: &AppState,
    lang: Lang,
    flow: AccountFlow,
    stage: &'static str,
    check: Check,
    typed: &str,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let offered = offered(st, flow);
    let check = if offered.contains(&check) {
        check
    } else {
        Check::EmailCode
    };
    let captcha_id = if stage == "login" && check.sends_code() {
        st.app
            .new_captcha()
            .await
            .map_err(|e| WebError::page(e, lang))?
    } else {
        String::new()
    };
    let who: String = typed.chars().take(254).collect();
    render_as(
        VerifyAccountPage {
            c: Chrome::bare(lang),
            title: flow.title(),
            intro: flow.intro(),
            action: flow.action(),
            stage,
            method: check.as_str().into(),
            tabs: offered
                .iter()
                .map(|c| LoginTab {
                    href: format!("{}?by={}", flow.action(), c.as_str()),
                    label: c.label().get(lang).to_owned(),
                    current: *c == check,
                })
                .collect(),
            shown: shown(&who),
            who,
            captcha_id,
            error,
            errs: Errors::new(errs, lang),
            handle: String::new(),
            confirm: String::new(),
        },
        lang,
        status,
    )
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
            Check::EmailCode,
            "",
            vec![],
            portico_app::verify::proof_expired_msg()
                .get(lang)
                .to_owned(),
            crate::error::PROOF_EXPIRED,
        )
        .await;
    };
    let policy = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .password
        .clone();
    render_as(
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
        status,
    )
}

#[derive(serde::Deserialize, Default)]
struct NewPasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

#[derive(serde::Deserialize, Default)]
struct ByQuery {
    #[serde(default)]
    by: String,
}

/// Anyone: step 1 of an account flow: the check, and what it needs typed.
async fn flow_start(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    crate::extract::LenientQuery(q): crate::extract::LenientQuery<ByQuery>,
) -> Result<Response, WebError> {
    account_page(
        &st,
        visitor_lang(&headers),
        flow,
        "login",
        Check::parse(&q.by).unwrap_or(Check::EmailCode),
        "",
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Anyone: sends the flow's code to the typed address, or the mobile-ID
/// push to the typed national ID.
async fn flow_send(
    State(st): State<AppState>,
    flow: AccountFlow,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AccountVerifyForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let check = f.check();
    let r = if check == Check::MobileId && st.app.mobile_id_enabled() {
        match st
            .app
            .start_mobile_id_verification(flow.purpose(), f.who(), &ctx)
            .await
        {
            Ok(started) => {
                return mobile_wait_page(
                    &st,
                    lang,
                    flow,
                    f.typed(),
                    (&started.handle, &started.confirm),
                    "",
                );
            }
            Err(e) => Err(e),
        }
    } else {
        st.app
            .start_account_verification(flow.purpose(), f.who(), (&f.captcha_id, &f.captcha), &ctx)
            .await
    };
    let (stage, errs, error, status) = match r {
        Ok(()) => ("code", vec![], String::new(), StatusCode::OK),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            ("login", errs, error, status)
        }
    };
    account_page(
        &st,
        lang,
        flow,
        stage,
        check,
        f.typed(),
        errs,
        error,
        status,
    )
    .await
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
        async |e, id| {
            let (errs, error, status) = split(e, lang)?;
            account_page(
                &st,
                lang,
                flow,
                "login",
                Check::MobileId,
                id,
                errs,
                error,
                status,
            )
            .await
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
        .confirm_account_verification(flow.purpose(), f.who(), &f.code)
        .await
    {
        Ok(token) => Ok(with_proof(
            &st,
            Redirect::to(flow.next()).into_response(),
            &token,
        )),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            account_page(
                &st,
                lang,
                flow,
                "code",
                f.check(),
                f.typed(),
                errs,
                error,
                status,
            )
            .await
        }
    }
}

/// Anyone: the challenge for a card check (忘記密碼 by 自然人憑證).
async fn flow_card_options(
    State(st): State<AppState>,
    flow: AccountFlow,
    ReqCtx(ctx): ReqCtx,
) -> Result<Response, WebError> {
    let c = st
        .app
        .card_verification_start(flow.purpose(), &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(c).into_response())
}

/// Anyone: the card's signature; verified, the proof and the next step.
async fn flow_card(
    State(st): State<AppState>,
    flow: AccountFlow,
    ReqCtx(ctx): ReqCtx,
    axum::Json(b): axum::Json<crate::factors::CardSignature>,
) -> Result<Response, WebError> {
    let token = st
        .app
        .card_verification_finish(flow.purpose(), &b.handle, &b.signature, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(with_proof(
        &st,
        axum::Json(serde_json::json!({ "redirect": flow.next() })).into_response(),
        &token,
    ))
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
                    "已開通，現在可以使用新密碼登入",
                    "activated; sign in with your new password",
                ),
                AccountFlow::Forgot => (
                    Msg::new("密碼已重設", "Password reset"),
                    "密碼已重設，所有裝置上的登入均已登出，請使用新密碼登入",
                    "password reset; every session ended. Sign in with the new password",
                ),
            };
            let r = render(
                NoticePage {
                    c: Chrome::bare(lang),
                    title,
                    message: Msg::owned(
                        format!("帳號 {login} {zh}。"),
                        format!("Account {login}: {en}."),
                    ),
                    link: "/login",
                    link_text: Msg::new("前往登入", "Sign in"),
                },
                lang,
            )?;
            Ok(proof_spent(&st, r))
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            password_form(&st, &headers, flow, errs, error, status).await
        }
    }
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
    render_as(
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
        status,
    )
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
            let r = render(
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
            Ok(proof_spent(&st, r))
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

#[derive(serde::Deserialize, Default)]
struct RemindForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

async fn remind_page(
    st: &AppState,
    lang: Lang,
    email: &str,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let captcha_id = st
        .app
        .new_captcha()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        RemindLoginPage {
            c: Chrome::bare(lang),
            email: email.chars().take(254).collect(),
            captcha_id,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

/// Anyone: 忘記帳號, the backup e-mail and a captcha.
async fn remind_start(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    remind_page(
        &st,
        visitor_lang(&headers),
        "",
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Anyone: mails the logins bound to the address; says the same either way.
async fn remind_send(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<RemindForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    match st
        .app
        .remind_login(&f.email, (&f.captcha_id, &f.captcha), &ctx)
        .await
    {
        Ok(()) => render(
            NoticePage {
                c: Chrome::bare(lang),
                title: Msg::new("已處理您的查詢", "Request received"),
                message: Msg::owned(
                    format!(
                        "若 {} 已綁定公務帳號，帳號已寄至該信箱，請前往收信。若沒有收到，請確認信箱是否正確，或洽所屬機關管理者。",
                        f.email.trim()
                    ),
                    format!(
                        "If {} is bound to an official account, its login name has been mailed there. If nothing arrives, check the address or ask your agency administrator.",
                        f.email.trim()
                    ),
                ),
                link: "/login",
                link_text: Msg::new("回登入頁", "Back to sign-in"),
            },
            lang,
        ),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            remind_page(&st, lang, &f.email, errs, error, status).await
        }
    }
}
