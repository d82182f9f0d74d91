//! The sign-in page (單一帳號認證平台, 004 §第一節 壹): one tab per method
//! offered where the request comes from, and the forms behind them.
use crate::extract::{Form, Json, LenientQuery, ReqCtx, ScriptOrForm, visitor_lang};
use crate::support::{render_as, safe_next, session_cookie};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::Ctx;
use portico_app::auth::{Credentials, SignInError};
use portico_app::sessions::NewSession;
use portico_core::zone::SignInMethod;
use portico_core::{Error, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/totp", post(login_totp))
        .route("/login/temp", post(temp_request))
        .route("/login/temp/verify", post(temp_verify))
        .route("/login/passkey/options", post(passkey_options))
        .route("/login/passkey", post(passkey_finish))
        .route("/login/card/options", post(card_options))
        .route("/login/card", post(card_finish))
        .route("/login/mobile-id", post(mobile_start))
        .route("/login/mobile-id/poll", post(mobile_poll))
}

/// Starts a mobile-ID sign-in: a push, or the QR code; then the page that
/// waits for the phone.
async fn mobile_start(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let mode = if f.mode == "qr" {
        portico_app::mobile_id::Mode::Qr
    } else {
        portico_app::mobile_id::Mode::Push
    };
    let mut v = f.view(SignInMethod::MobileId);
    v.login = f.id_num.chars().take(10).collect();
    match st.app.mobile_id_start(&f.id_num, mode, &ctx).await {
        Ok(started) => {
            v.mobile = Some(started);
            page(&st, lang, &ctx, v).await
        }
        Err(e) => outcome(&st, lang, &ctx, Err(e), v).await,
    }
}

#[derive(serde::Deserialize, Default)]
struct PollForm {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    next: String,
}

/// The page's script asks every four seconds; without the script the
/// person presses 「我已在手機上完成驗證」 and gets the same answer as a page.
async fn mobile_poll(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    ScriptOrForm(f, script): ScriptOrForm<PollForm>,
) -> Response {
    use portico_app::mobile_id::Poll;
    let lang = visitor_lang(&headers);
    let r = st.app.mobile_id_poll(&f.handle, &ctx).await;
    if script {
        return match r {
            Ok(Poll::Pending) => {
                axum::Json(serde_json::json!({ "state": "pending" })).into_response()
            }
            Ok(Poll::SignedIn(ns)) => signed_in_json(&st, Ok(ns), &f.next),
            Err(e) => json_refusal(e),
        };
    }
    let mut v = View::new(safe_next(Some(&f.next)), false);
    v.method = Some(SignInMethod::MobileId);
    let page = match r {
        Ok(Poll::Pending) => {
            v.notice = portico_app::mobile_id::not_yet().get(lang).to_owned();
            v.mobile = Some(portico_app::mobile_id::Started {
                handle: f.handle.chars().take(128).collect(),
                mode: portico_app::mobile_id::Mode::Push,
                qr_svg: String::new(),
                confirm: String::new(),
            });
            page(&st, lang, &ctx, v).await
        }
        Ok(Poll::SignedIn(ns)) => outcome(&st, lang, &ctx, Ok(ns), v).await,
        Err(e) => outcome(&st, lang, &ctx, Err(e), v).await,
    };
    page.unwrap_or_else(IntoResponse::into_response)
}

/// Starts a card sign-in: the challenge for the card to sign.
async fn card_options(State(st): State<AppState>, ReqCtx(ctx): ReqCtx) -> Response {
    match st.app.card_sign_in_start(&ctx).await {
        Ok(c) => axum::Json(c).into_response(),
        Err(e) => json_refusal(e),
    }
}

#[derive(serde::Deserialize)]
struct CardAnswer {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    next: String,
}

/// Finishes a card sign-in with the card's signature.
async fn card_finish(
    State(st): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<CardAnswer>,
) -> Response {
    let r = st.app.sign_in_card(&b.handle, &b.signature, &ctx).await;
    signed_in_json(&st, r, &b.next)
}

/// A refused sign-in as JSON for the page's script: status and message.
fn json_refusal(e: SignInError) -> Response {
    if let SignInError::Other(e) = e {
        return WebError::api(e).into_response();
    }
    let status = crate::error::sign_in_status(&e);
    (
        status,
        axum::Json(serde_json::json!({ "error": "sign_in_refused", "message": e.message() })),
    )
        .into_response()
}

/// Starts a passkey sign-in: the options for `navigator.credentials.get`.
async fn passkey_options(State(st): State<AppState>, ReqCtx(ctx): ReqCtx) -> Response {
    match st.app.passkey_sign_in_start(&ctx).await {
        Ok(c) => axum::Json(c).into_response(),
        Err(e) => json_refusal(e),
    }
}

#[derive(serde::Deserialize)]
struct PasskeyAnswer {
    #[serde(default)]
    handle: String,
    #[serde(default)]
    credential: serde_json::Value,
    #[serde(default)]
    next: String,
}

/// Finishes a passkey sign-in: the session cookie, and where to go.
async fn passkey_finish(
    State(st): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<PasskeyAnswer>,
) -> Response {
    let r = st
        .app
        .passkey_sign_in_finish(&b.handle, &b.credential, &ctx)
        .await;
    signed_in_json(&st, r, &b.next)
}

/// A script's sign-in answered: the session cookie and where to go, or
/// the refusal.
fn signed_in_json(st: &AppState, r: Result<NewSession, SignInError>, next: &str) -> Response {
    match r {
        Ok(ns) => {
            let to = if ns.must_change_password {
                "/account/password".to_owned()
            } else {
                safe_next(Some(next))
            };
            let mut r = axum::Json(serde_json::json!({ "redirect": to })).into_response();
            r.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(st, &ns.token, None));
            r
        }
        Err(e) => json_refusal(e),
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    /// Just signed out: `one` (this session) or `all` (everywhere).
    signed_out: Option<String>,
    /// A login name to fill in (an application's `login_hint`).
    login: Option<String>,
    /// The tab to show.
    method: Option<String>,
    /// The application asked for a strong method (`acr_values`).
    strong: Option<String>,
}

/// The name of the application a sign-in is for, when `next` is an
/// authorization request of a registered client.
async fn app_of_next(st: &AppState, next: &str) -> String {
    let Some(q) = next.strip_prefix("/oauth2/authorize?") else {
        return String::new();
    };
    let Some(req) = crate::extract::parse_query::<portico_app::oidc::AuthRequest>(q) else {
        return String::new();
    };
    match st.app.client(&req.client_id).await {
        Ok(Some(c)) if c.sso().is_some() && !c.app.suspended => c.app.name.clone(),
        _ => String::new(),
    }
}

/// What the sign-in page shows besides its fixed parts.
struct View {
    method: Option<SignInMethod>,
    login: String,
    next: String,
    strong: bool,
    error: String,
    notice: String,
    /// Step two of the temporary password.
    ticket: String,
    /// A mobile-ID sign-in waiting for the phone.
    mobile: Option<portico_app::mobile_id::Started>,
    status: StatusCode,
}

impl View {
    fn new(next: String, strong: bool) -> View {
        View {
            method: None,
            login: String::new(),
            next,
            strong,
            error: String::new(),
            notice: String::new(),
            ticket: String::new(),
            mobile: None,
            status: StatusCode::OK,
        }
    }
}

pub(crate) async fn login_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<LoginQuery>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let mut v = View::new(safe_next(q.next.as_deref()), q.strong.is_some());
    match q.signed_out.as_deref() {
        Some("all") => {
            v.notice = Msg::new(
                "您已登出所有裝置。為了安全，使用公用電腦時請關閉瀏覽器。",
                "You have signed out on every device. On a shared computer, close the browser too.",
            )
            .get(lang)
            .to_owned()
        }
        Some(_) => {
            v.notice = Msg::new(
                "您已登出。為了安全，使用公用電腦時請關閉瀏覽器。",
                "You have signed out. On a shared computer, close the browser too.",
            )
            .get(lang)
            .to_owned()
        }
        None => {}
    }
    if q.expired.is_some() {
        v.error = Msg::new(
            "您已閒置過久，已自動登出，請重新登入。",
            "You were signed out after a period of inactivity. Please sign in again.",
        )
        .get(lang)
        .to_owned();
    }
    v.login = q
        .login
        .as_deref()
        .filter(|l| portico_core::text::LoginName::parse(l).is_ok())
        .unwrap_or("")
        .to_owned();
    v.method = q.method.as_deref().and_then(SignInMethod::parse);
    page(&st, lang, &ctx, v).await
}

async fn page(st: &AppState, lang: Lang, ctx: &Ctx, v: View) -> Result<Response, WebError> {
    let err = |e| WebError::page(e, lang);
    let (internal, mut offered) = st.app.methods_for(ctx).await.map_err(err)?;
    if v.strong {
        offered.retain(|m| m.is_strong());
    }
    let method = v
        .method
        .filter(|m| offered.contains(m))
        .or_else(|| {
            offered
                .contains(&SignInMethod::Password)
                .then_some(SignInMethod::Password)
        })
        .or_else(|| offered.first().copied());
    let needs_captcha = matches!(
        method,
        Some(SignInMethod::Password | SignInMethod::Totp | SignInMethod::TempPassword)
    );
    let captcha_id = if needs_captcha {
        st.app.new_captcha().await.map_err(err)?
    } else {
        String::new()
    };
    let lockout = st.app.settings().await.map_err(err)?.lockout.clone();
    let notices = st.app.current_notices(None).await.map_err(err)?;
    let app_name = app_of_next(st, &v.next).await;
    let next_q = crate::extract::urlencode(&v.next);
    let strong_q = if v.strong { "&strong=1" } else { "" };
    let tabs = offered
        .iter()
        .map(|m| LoginTab {
            href: format!("/login?method={}&next={next_q}{strong_q}", m.as_str()),
            label: m.label().get(lang).to_owned(),
            current: Some(*m) == method,
        })
        .collect();
    render_as(
        LoginPage {
            c: Chrome::bare(lang),
            captcha_id,
            login: v.login,
            next_q,
            next: v.next,
            error: v.error,
            notice: v.notice,
            lockout,
            app_name,
            method: method.map(|m| m.as_str()).unwrap_or(""),
            tabs,
            internal,
            strong: v.strong,
            ticket: v.ticket,
            mobile_handle: v
                .mobile
                .as_ref()
                .map(|m| m.handle.clone())
                .unwrap_or_default(),
            mobile_qr: v
                .mobile
                .as_ref()
                .map(|m| m.qr_svg.clone())
                .unwrap_or_default(),
            mobile_confirm: v
                .mobile
                .as_ref()
                .map(|m| m.confirm.clone())
                .unwrap_or_default(),
            rp_id: st.app.passkey_rp_id(),
            notices,
            method_label: method
                .map(|m| m.label().get(lang).to_owned())
                .unwrap_or_default(),
        },
        lang,
        v.status,
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    strong: String,
    #[serde(default)]
    id_num: String,
    /// Mobile ID: `push` or `qr`.
    #[serde(default)]
    mode: String,
}

impl LoginForm {
    fn view(&self, method: SignInMethod) -> View {
        let mut v = View::new(safe_next(Some(&self.next)), !self.strong.is_empty());
        v.method = Some(method);
        v.login = self.login.chars().take(40).collect();
        v
    }
}

/// The answer to a sign-in attempt: into the session, or the same tab
/// again with the message.
async fn outcome(
    st: &AppState,
    lang: Lang,
    ctx: &Ctx,
    r: Result<NewSession, SignInError>,
    mut v: View,
) -> Result<Response, WebError> {
    match r {
        Ok(ns) => {
            let to = if ns.must_change_password {
                "/account/password".to_owned()
            } else {
                v.next
            };
            // Back to an application: its redirect leaves this site, which
            // the form-action policy forbids right after a form post.
            let mut r = if to.starts_with("/oauth2/") {
                crate::support::continue_page(&to, lang)
            } else {
                Redirect::to(&to).into_response()
            };
            r.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(st, &ns.token, None));
            Ok(r)
        }
        // Busy: the same form again, to send once more in a moment.
        Err(SignInError::Other(e @ Error::Busy(_))) => {
            v.status = crate::error::status_of(&e);
            v.error = crate::error::status_and_message(&e).2.get(lang).to_owned();
            page(st, lang, ctx, v).await
        }
        Err(SignInError::Other(e)) => Err(WebError::page(e, lang)),
        Err(e) => {
            v.status = crate::error::sign_in_status(&e);
            v.error = e.message().get(lang).to_owned();
            page(st, lang, ctx, v).await
        }
    }
}

async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let cred = Credentials {
        login: &f.login,
        password: &f.password,
        captcha_id: &f.captcha_id,
        captcha_answer: &f.captcha,
    };
    let r = st.app.sign_in(&cred, &ctx).await;
    outcome(&st, lang, &ctx, r, f.view(SignInMethod::Password)).await
}

async fn login_totp(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let r = st
        .app
        .sign_in_totp(&f.login, &f.code, &f.captcha_id, &f.captcha, &ctx)
        .await;
    outcome(&st, lang, &ctx, r, f.view(SignInMethod::Totp)).await
}

/// 臨時密碼 step one: the backup e-mail and a captcha; then the form for
/// the password from the mail.
async fn temp_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let mut v = f.view(SignInMethod::TempPassword);
    match st
        .app
        .request_temp_password(&f.email, &f.captcha_id, &f.captcha, &ctx)
        .await
    {
        Ok(ticket) => {
            v.ticket = ticket;
            v.notice = Msg::new(
                "若此備用信箱已綁定公務帳號，臨時密碼已寄出，10 分鐘內有效。請至信箱收信後輸入。",
                "If this backup address is bound to an account, a temporary password has been sent; it is valid for 10 minutes. Enter it below.",
            )
            .get(lang)
            .to_owned();
            page(&st, lang, &ctx, v).await
        }
        Err(e) => outcome(&st, lang, &ctx, Err(e), v).await,
    }
}

/// 臨時密碼 step two: the password from the mail and a new captcha.
async fn temp_verify(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let r = st
        .app
        .sign_in_temp_password(&f.ticket, &f.code, &f.captcha_id, &f.captcha, &ctx)
        .await;
    let mut v = f.view(SignInMethod::TempPassword);
    // A wrong captcha keeps the ticket, so the mail is not wasted; a wrong
    // password counts against it.
    if matches!(r, Err(SignInError::BadCaptcha)) || matches!(r, Err(SignInError::BadCredentials(_)))
    {
        v.ticket = f.ticket.chars().take(128).collect();
    }
    outcome(&st, lang, &ctx, r, v).await
}
