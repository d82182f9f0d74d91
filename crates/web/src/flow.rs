//! What the signed-out flows share (enrolment and the account flows): the
//! proof that travels, after a code or mobile ID is accepted, in a
//! short-lived HttpOnly cookie (`portico_flow`, SameSite Strict), never in
//! a URL; and the wait for the phone in a mobile-ID check.
use crate::AppState;
use crate::WebError;
use crate::extract::ScriptOrForm;
use crate::extract::cookie;
use crate::support::render;
use crate::view::{Chrome, Errors, VerifyAccountPage};
use axum::http::header;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use portico_core::{Error, Lang, Msg};

pub const FLOW_COOKIE: &str = "portico_flow";

fn flow_cookie(st: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if st.cfg.cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// `r`, handing the browser the flow's proof (`token`, good for
/// `VERIFIED_TTL`) for the step it goes on to.
pub(crate) fn with_proof(st: &AppState, mut r: Response, token: &str) -> Response {
    r.headers_mut().insert(
        header::SET_COOKIE,
        flow_cookie(
            st,
            token,
            portico_core::verify::VERIFIED_TTL.whole_seconds(),
        ),
    );
    r
}

/// `r`, taking back a proof that has been used.
pub(crate) fn proof_spent(st: &AppState, mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::SET_COOKIE, flow_cookie(st, "", 0));
    r
}

pub(crate) fn flow_token(headers: &HeaderMap) -> String {
    cookie(headers, FLOW_COOKIE)
        .unwrap_or("")
        .chars()
        .take(100)
        .collect()
}

/// The page that waits for the phone: (title, intro, the step's path).
/// `handle` is the transaction's handle and the two digits the phone shows.
pub(crate) fn mobile_wait(
    _st: &AppState,
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
            who: login.chars().take(254).collect(),
            shown: shown(login),
            method: "mobile_id".into(),
            tabs: vec![],
            captcha_id: String::new(),
            error: notice.to_owned(),
            errs: Errors::new(vec![], lang),
            handle: handle.chars().take(128).collect(),
            confirm: confirm.chars().take(2).collect(),
        },
        lang,
    )
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct MobilePoll {
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) login: String,
}

/// How a mobile-ID identity check stands. The page's script asks every
/// four seconds (JSON); without it the person presses a button and gets
/// the waiting page again. Settled, the proof's cookie and the step
/// `next`, or the error on the step's first page.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn mobile_check(
    st: &AppState,
    lang: Lang,
    ctx: &portico_app::Ctx,
    ScriptOrForm(f, script): ScriptOrForm<MobilePoll>,
    purpose: portico_core::verify::Purpose,
    next: &str,
    step: (Msg, Msg, &'static str),
    first_page: impl AsyncFnOnce(Error, &str) -> Result<Response, WebError>,
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
        (Err(e), false) => return first_page(e, &f.login).await,
    };
    let r = if script {
        axum::Json(serde_json::json!({ "redirect": next })).into_response()
    } else {
        Redirect::to(next).into_response()
    };
    Ok(with_proof(st, r, &token))
}

/// What a person typed, as a page shows it back: a national ID masked.
pub(crate) fn shown(who: &str) -> String {
    let up = who.trim().to_uppercase();
    if portico_core::national_id::NationalId::parse(&up).is_ok() {
        portico_app::mobile_id::mask(&up)
    } else {
        who.to_owned()
    }
}
