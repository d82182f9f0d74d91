//! Extractors: who is asking (session), from where (audit context), in
//! which language, and forms whose rejection becomes a clear message.
use crate::error::{invalid_token, oauth_error};
use crate::{AppState, WebError};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use portico_app::Ctx;
use portico_app::oidc::TokenUse;
use portico_app::oidc::{Client, ClientAuth, OAuthError};
use portico_app::sessions::Session;
use portico_core::{Error, Lang, Msg};
use std::net::SocketAddr;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "portico_session";
pub const LANG_COOKIE: &str = "portico_lang";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The language of a signed-out visitor: their cookie, else the browser's.
pub fn visitor_lang(headers: &HeaderMap) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE) {
        return Lang::from_code(l);
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("en") {
        Lang::En
    } else {
        Lang::ZhTw
    }
}

/// The audit context: client address and user agent.
pub struct ReqCtx(pub Ctx);

impl FromRequestParts<AppState> for ReqCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let zones = state.app.zones().await.ok();
        let proxies = zones.as_ref().map(|z| z.proxies.as_slice()).unwrap_or(&[]);
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ctx = match peer {
            Some(p) => match client_ip(&parts.headers, p, proxies) {
                Some(ip) => Ctx::new(ip, ua),
                None => Ctx::unlocated(portico_core::zone::unmap(p).to_string(), ua),
            },
            None => Ctx::unlocated("", ua),
        };
        Ok(ReqCtx(ctx))
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy
/// (system parameter 可信任的反向代理); then the nearest `X-Forwarded-For`
/// entry that is not one. Entries further left are whatever the client
/// wrote, and a forged one must not make a request internal or pass an
/// IP check. `None` when the client is unknown (a proxy that forwards no
/// readable address, or a forwarded-for header from a peer that is not a
/// proxy): such a request is outside every range and passes no IP check.
pub(crate) fn client_ip(
    headers: &HeaderMap,
    peer: std::net::IpAddr,
    proxies: &[portico_core::zone::Cidr],
) -> Option<String> {
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    portico_core::zone::client_address(peer, &xff, proxies).map(|ip| ip.to_string())
}

/// Paths a person whose password must change may still use.
fn allowed_while_password_due(path: &str) -> bool {
    matches!(
        path,
        "/account/password" | "/logout" | "/logout/all" | "/session/extend" | "/prefs"
    )
}

/// A signed-in person, for pages. Signed-out visitors are sent to the
/// sign-in page; a person whose password has expired is sent to change it.
pub struct Signed(pub Session);

impl Signed {
    pub fn lang(&self) -> Lang {
        Lang::from_code(&self.0.lang)
    }

    /// Every state-changing form carries the session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if !token.is_empty() && constant_time_eq(token.as_bytes(), self.0.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::page(Error::Refused(csrf_msg()), self.lang()))
        }
    }
}

pub fn csrf_msg() -> Msg {
    Msg::new(
        "表單已過期或來源不明，請重新整理頁面後再試",
        "The form has expired or did not come from this site; reload the page and try again",
    )
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub enum SignedRejection {
    ToLogin(String),
    ToPasswordChange,
    Failed(WebError),
}

impl IntoResponse for SignedRejection {
    fn into_response(self) -> Response {
        match self {
            SignedRejection::ToLogin(next) => {
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            SignedRejection::ToPasswordChange => Redirect::to("/account/password").into_response(),
            SignedRejection::Failed(e) => e.into_response(),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<Session>, Error> {
    match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => state.app.session(token).await,
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignedRejection;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = visitor_lang(&parts.headers);
        match session_of(parts, state).await {
            Ok(Some(s)) => {
                if s.must_change_password && !allowed_while_password_due(parts.uri.path()) {
                    return Err(SignedRejection::ToPasswordChange);
                }
                Ok(Signed(s))
            }
            Ok(None) => {
                let next = if parts.method == Method::GET {
                    parts.uri.path().to_owned()
                } else {
                    "/".to_owned()
                };
                Err(SignedRejection::ToLogin(next))
            }
            Err(e) => Err(SignedRejection::Failed(WebError::page(e, lang))),
        }
    }
}

/// A visitor who may or may not be signed in.
pub struct MaybeSigned(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSigned {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        session_of(parts, state)
            .await
            .map(MaybeSigned)
            .map_err(|e| WebError::page(e, visitor_lang(&parts.headers)))
    }
}

/// A caller of the JSON API: the session cookie, and for every write the
/// `X-CSRF-Token` header; or an OAuth access token with the `portico.api`
/// scope in `Authorization: Bearer` (no CSRF token: browsers never send a
/// bearer token by themselves).
pub struct ApiUser(pub Session);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let refuse = |e: Error| WebError::api(e).into_response();
        let (s, by_token) = match bearer(&parts.headers) {
            Some(t) => match state.app.bearer_session(t).await.map_err(refuse)? {
                TokenUse::Granted(s) => (Some(s), true),
                // RFC 6750 §3.1: a token that is not (or no longer) valid.
                TokenUse::Invalid => return Err(invalid_token()),
                TokenUse::Insufficient(scope) => {
                    return Err(crate::error::insufficient_scope(scope));
                }
            },
            None => (session_of(parts, state).await.map_err(refuse)?, false),
        };
        let s = s.ok_or_else(|| refuse(Error::Unauthenticated))?;
        // A token acts as the person: it reads what they may read, and
        // writes only their own account. Administration and the application
        // registry need a session of the person themself.
        if by_token && !matches!(parts.method, Method::GET | Method::HEAD) {
            let p = parts.uri.path();
            let p = p.strip_prefix("/api/v1").unwrap_or(p);
            if !(p == "/me" || p.starts_with("/me/")) {
                return Err(refuse(Error::Refused(Msg::new(
                    "以存取權杖呼叫時只能變更自己的帳號；管理作業請登入公務入口網",
                    "With an access token only your own account can be changed; sign in to the portal for administration",
                ))));
            }
        }
        // Inside the nested router the path has lost its `/api/v1` prefix.
        let path = parts.uri.path();
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        if s.must_change_password
            && !matches!(
                path,
                "/me" | "/me/password" | "/me/prefs" | "/me/sign-out-everywhere"
            )
        {
            return Err(refuse(Error::Refused(Msg::new(
                "密碼已到期，請先變更密碼（POST /api/v1/me/password）",
                "Your password has expired; change it first (POST /api/v1/me/password)",
            ))));
        }
        if !by_token && !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), s.csrf.as_bytes()) {
                return Err(refuse(Error::Refused(csrf_msg())));
            }
        }
        Ok(ApiUser(s))
    }
}

/// A URL-encoded form. A body that is not a form, is not UTF-8, or lacks
/// fields becomes a 400 page with a message, never a crash or a raw text.
pub struct Form<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequest<AppState> for Form<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = visitor_lang(req.headers());
        let unreadable = || {
            WebError::page(
                Error::invalid(
                    "form",
                    Msg::new(
                        "表單內容無法解析，請重新整理頁面後再試",
                        "The form could not be read; reload the page and try again",
                    ),
                ),
                lang,
            )
        };
        // Invalid UTF-8, raw or percent-encoded, is refused rather than
        // decoded lossily into a stored replacement character.
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| WebError {
                status: Some(crate::error::TOO_LARGE),
                ..WebError::page(
                    Error::invalid("form", Msg::new("表單內容過大", "The form is too large")),
                    lang,
                )
            })?;
        if !form_is_utf8(&bytes) {
            return Err(unreadable());
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(rej) => {
                tracing::debug!(error = %rej, "form rejected");
                Err(WebError::page(
                    Error::invalid(
                        "form",
                        Msg::new(
                            "表單內容無法解析，請重新整理頁面後再試",
                            "The form could not be read; reload the page and try again",
                        ),
                    ),
                    lang,
                ))
            }
        }
    }
}

/// True when the URL-encoded body decodes to valid UTF-8 in every field.
fn form_is_utf8(body: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    body.split(|b| *b == b'&').all(|pair| {
        let mut out = Vec::with_capacity(pair.len());
        let mut i = 0;
        while i < pair.len() {
            match pair[i] {
                b'%' if i + 2 < pair.len() => match (hex(pair[i + 1]), hex(pair[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                    }
                    _ => return false,
                },
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&out).is_ok()
    })
}

/// A JSON body for the API, with the same treatment.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequest<AppState> for Json<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => Err(WebError::api(Error::invalid(
                "body",
                Msg::owned(
                    format!("JSON 內容無法解析：{}", rej.body_text()),
                    format!("The JSON body could not be read: {}", rej.body_text()),
                ),
            ))),
        }
    }
}

/// A body from a page's script (JSON) or from its form when the script
/// does not run; `.1` is true for the script. A body that does not fit is
/// read as empty: the handler then answers as for an unknown request.
pub struct ScriptOrForm<T>(pub T, pub bool);

impl<T: serde::de::DeserializeOwned + Default + Send> FromRequest<AppState> for ScriptOrForm<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| WebError::api(Error::NotFound))?;
        let v = if json {
            serde_json::from_slice(&body).unwrap_or_default()
        } else {
            parse_query(&String::from_utf8_lossy(&body)).unwrap_or_default()
        };
        Ok(ScriptOrForm(v, json))
    }
}

/// A query string that fails to parse is treated as empty, not an error:
/// filters in links people edit by hand should never crash a list page.
pub struct LenientQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Default + Send> FromRequestParts<AppState>
    for LenientQuery<T>
{
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(LenientQuery(serde_urlencoded_lenient(q)))
    }
}

fn serde_urlencoded_lenient<T: serde::de::DeserializeOwned + Default>(q: &str) -> T {
    parse_query(q).unwrap_or_default()
}

/// A query string (or form body) as `T`, or `None` when it does not fit.
pub(crate) fn parse_query<T: serde::de::DeserializeOwned>(q: &str) -> Option<T> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{q}").parse().ok()?)
        .ok()
        .map(|x| x.0)
}

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// An application calling an application API: HTTP Basic with its client
/// id and secret, or a bearer token from the client credentials grant with
/// the API's scope.
pub(crate) struct AppCaller(pub Arc<Client>);

impl FromRequestParts<AppState> for AppCaller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = crate::extract::ReqCtx::from_request_parts(parts, st)
            .await
            .map(|c| c.0)
            .unwrap_or_default();
        if let Some(t) = crate::extract::bearer(&parts.headers) {
            let scope = match parts.uri.path().rsplit('/').next() {
                Some("verify") => "account.verify",
                Some("usage") => "usage.report",
                _ => "sms.send",
            };
            let tok = st
                .app
                .verify_access_token(t)
                .await
                .map_err(|e| WebError::api(e).into_response())?;
            let Some(tok) = tok else {
                return Err(invalid_token());
            };
            // A person's token, or one without this API's scope, is valid
            // but not enough.
            if tok.account.is_some() || !tok.has_scope(scope) {
                return Err(crate::error::insufficient_scope(scope));
            }
            // A client token gets the same per-application limit as the
            // client's own credentials would.
            if !st
                .app
                .client_rate(&tok.client_id, &ctx)
                .await
                .map_err(|e| WebError::api(e).into_response())?
            {
                return Err(oauth_error(OAuthError::slow_down(), false));
            }
            let c = st
                .app
                .client(&tok.client_id)
                .await
                .map_err(|e| WebError::api(e).into_response())?
                .ok_or_else(invalid_token)?;
            return Ok(AppCaller(c));
        }
        let auth = client_auth(&parts.headers, "", "").map_err(|e| oauth_error(e, true))?;
        if auth.secret.is_none() {
            return Err(oauth_error(OAuthError::invalid_client(), true));
        }
        st.app
            .authenticate_client(&auth, &ctx)
            .await
            .map(AppCaller)
            .map_err(|e| oauth_error(e, true))
    }
}

/// Reads client credentials: HTTP Basic (RFC 6749 §2.3.1, each part
/// form-encoded) or the form's `client_id` / `client_secret`; both at once
/// is refused.
pub(crate) fn client_auth(
    headers: &HeaderMap,
    form_id: &str,
    form_secret: &str,
) -> Result<ClientAuth, OAuthError> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(b) = v
            .strip_prefix("Basic ")
            .or_else(|| v.strip_prefix("basic "))
    {
        if !form_secret.is_empty() {
            return Err(OAuthError::new(
                "invalid_request",
                "use one client authentication method, not two",
            ));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(OAuthError::invalid_client)?;
        let (id, secret) = raw.split_once(':').ok_or_else(OAuthError::invalid_client)?;
        let dec = |s: &str| form_urlencoded_decode(s).ok_or_else(OAuthError::invalid_client);
        let id = dec(id)?;
        if !form_id.is_empty() && form_id != id {
            return Err(OAuthError::new(
                "invalid_request",
                "client_id differs from the Basic credentials",
            ));
        }
        return Ok(ClientAuth {
            client_id: id,
            secret: Some(dec(secret)?),
            basic: true,
        });
    }
    if form_id.is_empty() {
        return Err(OAuthError::invalid_client());
    }
    Ok(ClientAuth {
        client_id: form_id.to_owned(),
        secret: (!form_secret.is_empty()).then(|| form_secret.to_owned()),
        basic: false,
    })
}

fn form_urlencoded_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = (b[i + 1] as char).to_digit(16)?;
                let l = (b[i + 2] as char).to_digit(16)?;
                out.push((h * 16 + l) as u8);
                i += 2;
            }
            b'%' => return None,
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A path parameter. One that does not parse (`/admin/org/abc`) names a
/// page or record that does not exist: 404 in the person's language (JSON
/// under `/api/`), never the framework's English text.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(_) => Err(crate::error::for_caller(Error::NotFound, parts)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_a_proxy_the_last_forwarded_address_counts_not_the_clients_own() {
        let proxies = portico_core::zone::parse_ranges("10.0.0.1").unwrap();
        let peer: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "127.0.0.1, 203.0.113.9".parse().unwrap());
        assert_eq!(
            client_ip(&h, peer, &proxies).as_deref(),
            Some("203.0.113.9")
        );
        h.append("x-forwarded-for", "198.51.100.7".parse().unwrap());
        assert_eq!(
            client_ip(&h, peer, &proxies).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(
            client_ip(&h, peer, &[]),
            None,
            "a header from an untrusted peer"
        );
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, &[]).as_deref(),
            Some("10.0.0.1"),
            "no proxy, no header"
        );
        assert_eq!(
            client_ip(&HeaderMap::new(), peer, &proxies),
            None,
            "nothing forwarded"
        );
    }
}
