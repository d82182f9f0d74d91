//! The one place errors become HTTP: 4xx with the person's message, 5xx
//! logged with context and never echoed.
use crate::view::{Chrome, ErrorPage};
use askama::Template;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use portico_app::oidc::OAuthError;
use portico_core::{Error, FieldError, Lang, Msg};
use serde_json::json;

/// Input a form shows again beside its fields.
pub(crate) const INVALID_INPUT: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
/// A rule said no, or someone else got there first: the page says why.
pub(crate) const REFUSED: StatusCode = StatusCode::CONFLICT;
/// A signed-out flow's proof ran out: the flow starts over.
pub(crate) const PROOF_EXPIRED: StatusCode = StatusCode::UNAUTHORIZED;
/// A request that cannot be served as asked (an authorization request
/// that may not be redirected back), shown as a page.
pub(crate) const BAD_REQUEST: StatusCode = StatusCode::BAD_REQUEST;
/// A body over the size limit.
pub(crate) const TOO_LARGE: StatusCode = StatusCode::PAYLOAD_TOO_LARGE;

#[derive(Debug)]
pub struct WebError {
    pub err: Error,
    pub lang: Lang,
    pub json: bool,
    /// A status other than the error kind's (413 for an oversized body).
    pub status: Option<StatusCode>,
}

impl WebError {
    pub fn page(err: Error, lang: Lang) -> WebError {
        WebError {
            err,
            lang,
            json: false,
            status: None,
        }
    }
    pub fn api(err: Error) -> WebError {
        WebError {
            err,
            lang: Lang::ZhTw,
            json: true,
            status: None,
        }
    }
}

/// The status and the message a person sees for an error.
pub fn status_and_message(err: &Error) -> (StatusCode, &'static str, Msg) {
    match err {
        Error::Invalid(_) => (
            INVALID_INPUT,
            "invalid",
            Msg::new(
                "輸入資料有誤，請修正後再送出",
                "Some input is not valid; correct it and submit again",
            ),
        ),
        Error::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            Msg::new("找不到這個頁面或資料", "The page or record was not found"),
        ),
        Error::Conflict { message, .. } => (REFUSED, "conflict", message.clone()),
        Error::Refused(m) => (REFUSED, "refused", m.clone()),
        Error::Forbidden => (
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new(
                "您沒有權限執行此操作",
                "You do not have permission to do this",
            ),
        ),
        Error::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            Msg::new("請先登入", "Please sign in first"),
        ),
        Error::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, "busy", m.clone()),
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Msg::new(
                "系統發生錯誤，請稍後再試；若持續發生請聯絡系統管理者",
                "Something went wrong; try again later, and tell the administrators if it persists",
            ),
        ),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Error::Internal(detail) = &self.err {
            tracing::error!(%detail, "request failed");
        }
        let (status, code, msg) = status_and_message(&self.err);
        let status = self.status.unwrap_or(status);
        // A busy server says when to come back (RFC 9110 §10.2.3).
        let retry =
            matches!(self.err, Error::Busy(_)).then_some([(axum::http::header::RETRY_AFTER, "2")]);
        if self.json {
            let fields: Vec<_> = match &self.err {
                Error::Invalid(errs) => errs
                    .iter()
                    .map(|e| serde_json::json!({"field": e.field, "message": e.message}))
                    .collect(),
                Error::Conflict { field, message } => {
                    vec![serde_json::json!({"field": field, "message": message})]
                }
                _ => vec![],
            };
            let body = serde_json::json!({ "error": code, "message": msg, "fields": fields });
            return (status, retry, axum::Json(body)).into_response();
        }
        let page = ErrorPage {
            c: Chrome::bare(self.lang),
            status: status.as_u16(),
            message: msg.get(self.lang).to_owned(),
        };
        match page.render() {
            Ok(html) => (status, retry, Html(html)).into_response(),
            Err(_) => (status, retry, msg.get(self.lang).to_owned()).into_response(),
        }
    }
}

/// Splits an error into field errors (shown beside fields) and a message
/// for the top of the page; an internal error is passed on.
pub(crate) fn split(
    e: Error,
    lang: Lang,
) -> Result<(Vec<FieldError>, String, StatusCode), WebError> {
    match e {
        Error::Invalid(errs) => Ok((errs, String::new(), INVALID_INPUT)),
        Error::Conflict { field, message } => {
            Ok((vec![FieldError { field, message }], String::new(), REFUSED))
        }
        Error::Refused(m) => Ok((vec![], m.get(lang).to_owned(), REFUSED)),
        e => Err(WebError::page(e, lang)),
    }
}

/// The status of a refused sign-in (never `Other`, which is an error of
/// its own): 403 when the account or the network may not sign in, 401 for
/// wrong credentials or captcha.
pub(crate) fn sign_in_status(e: &portico_app::auth::SignInError) -> StatusCode {
    use portico_app::auth::SignInError;
    match e {
        SignInError::Refused(_) | SignInError::OutsideNetwork => StatusCode::FORBIDDEN,
        SignInError::Other(e) => status_and_message(e).0,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// The status of a form page: 200 on first show, 422 shown again with
/// field errors.
pub(crate) fn form_status(errs: &[FieldError]) -> StatusCode {
    if errs.is_empty() {
        StatusCode::OK
    } else {
        INVALID_INPUT
    }
}

/// The status of a page shown with a refusal at its top (a rule said no):
/// 200 without one, 409 with one.
pub(crate) fn banner_status(banner: &str) -> StatusCode {
    if banner.is_empty() {
        StatusCode::OK
    } else {
        REFUSED
    }
}

/// The status an error gets when a page shows it in place of its content.
pub(crate) fn status_of(e: &Error) -> StatusCode {
    status_and_message(e).0
}

/// A request refused before any handler because it came from elsewhere
/// (a write another site sent): 403, as JSON or a page.
pub(crate) fn cross_site(err: Error, parts: &axum::http::request::Parts) -> WebError {
    WebError {
        status: Some(StatusCode::FORBIDDEN),
        ..for_caller(err, parts)
    }
}

/// Maps a use case's error to an error page in the person's language.
pub(crate) fn page_err(lang: Lang) -> impl Fn(Error) -> WebError {
    move |e| WebError::page(e, lang)
}

/// Endpoints a browser application calls across origins carry no cookies,
/// so any origin may call them (CORS).
pub(crate) fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    r
}

/// An OAuth error response (RFC 6749 §5.2).
pub(crate) fn oauth_error(e: OAuthError, basic: bool) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (
        status,
        axum::Json(json!({"error": e.error, "error_description": e.description})),
    )
        .into_response();
    if e.status == 401 {
        let v = if basic {
            "Basic realm=\"portico\""
        } else {
            "Basic realm=\"portico\", error=\"invalid_client\""
        };
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(v));
    }
    if e.status == 429 {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    cors(r)
}

pub(crate) fn invalid_token() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(
            json!({"error": "invalid_token", "error_description": "the access token is not valid"}),
        ),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    cors(r)
}

/// A valid token without the scope the resource needs (RFC 6750 §3.1):
/// 403, naming the scope to ask for.
pub(crate) fn insufficient_scope(scope: &'static str) -> Response {
    let mut r = (
        StatusCode::FORBIDDEN,
        axum::Json(json!({
            "error": "insufficient_scope",
            "error_description": format!("this resource needs a token with the scope {scope}"),
            "scope": scope,
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
    )) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    cors(r)
}

/// A bearer token was required and none came (RFC 6750 §3).
/// No error code, as §3.1 asks of a request without authentication; the
/// body says what is missing, for the developer reading it.
pub(crate) fn missing_token() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({
            "error_description": "a bearer access token is required (Authorization: Bearer …)"
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"portico\""),
    );
    cors(r)
}

/// An image or file that is not there: a bare 404, no page.
pub(crate) fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// The error as the request's caller reads it: JSON under `/api/`, a page
/// in the person's language elsewhere (`OriginalUri`: under `nest` the URI
/// has lost its `/api/v1`).
pub(crate) fn for_caller(err: Error, parts: &axum::http::request::Parts) -> WebError {
    let api = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |o| &o.0)
        .path()
        .starts_with("/api/");
    if api {
        WebError::api(err)
    } else {
        WebError::page(err, crate::extract::visitor_lang(&parts.headers))
    }
}

/// A page or API path that does not exist: the person's own 404, never an
/// empty body.
pub(crate) async fn no_such_page(parts: axum::http::request::Parts) -> WebError {
    for_caller(Error::NotFound, &parts)
}

/// A path that exists, asked with a method it does not take: 405, said in
/// the person's language.
pub(crate) async fn wrong_method(parts: axum::http::request::Parts) -> Response {
    // A page's form step opened by address (Back, reload, a bookmark of
    // where the form landed): lead back to the page it belongs to, one
    // level up (`/apply/email` → `/apply`). Machine endpoints keep 405.
    let path = parts.uri.path();
    let machine = ["/api/", "/oauth2/", "/b2c/", "/moise/", "/sim/"]
        .iter()
        .any(|p| path.starts_with(p));
    if matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && !machine
    {
        let up = path
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or("/", |(p, _)| p);
        let up = if up.is_empty() { "/" } else { up };
        return axum::response::Redirect::to(up).into_response();
    }
    let err = Error::Refused(Msg::new(
        "此網址不接受這種請求方式",
        "This address does not accept that request method",
    ));
    WebError {
        status: Some(StatusCode::METHOD_NOT_ALLOWED),
        ..for_caller(err, &parts)
    }
    .into_response()
}
