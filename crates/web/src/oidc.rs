//! The OpenID provider's endpoints: discovery, JWKS, authorize, token,
//! userinfo, introspection, revocation and RP-initiated logout; and the
//! application APIs (account verification, SMS) that clients call with
//! their credentials.
use crate::error::{cors, invalid_token, oauth_error};
use crate::extract::Path;
use crate::extract::client_auth;
use crate::extract::{Form, MaybeSigned, ReqCtx, visitor_lang};
use crate::forms::LogoutQuery;
use crate::support::continue_page;
use crate::view::{Chrome, LogoutPage};
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_app::oidc::TokenUse;
use portico_app::oidc::{AuthRequest, Authorize, Client, OAuthError, TokenRequest};
use portico_core::sso::Claim;
use portico_core::{Error, Lang, Msg};
use serde_json::json;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/jwks", get(jwks))
        .route("/oauth2/authorize", get(authorize_get).post(authorize_post))
        .route(
            "/oauth2/token",
            axum::routing::post(token).options(preflight),
        )
        .route(
            "/oauth2/userinfo",
            get(userinfo).post(userinfo).options(preflight),
        )
        .route(
            "/oauth2/introspect",
            axum::routing::post(introspect).options(preflight),
        )
        .route(
            "/oauth2/revoke",
            axum::routing::post(revoke).options(preflight),
        )
        .route("/oauth2/logout", get(logout_get).post(logout_post))
        .route("/apps/{id}/launch", get(launch))
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("authorization, content-type"),
    );
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    r
}

fn json_ok(v: serde_json::Value) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    cors(r)
}

async fn discovery(State(st): State<AppState>) -> Response {
    let iss = st.app.issuer();
    let claims: Vec<&str> = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "acr",
        "sid",
        "roles",
    ]
    .into_iter()
    .chain(Claim::ALL.iter().flat_map(|c| c.members().iter().copied()))
    .collect();
    let mut r = axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth2/authorize"),
        "token_endpoint": format!("{iss}/oauth2/token"),
        "userinfo_endpoint": format!("{iss}/oauth2/userinfo"),
        "jwks_uri": format!("{iss}/oauth2/jwks"),
        "end_session_endpoint": format!("{iss}/oauth2/logout"),
        "introspection_endpoint": format!("{iss}/oauth2/introspect"),
        "revocation_endpoint": format!("{iss}/oauth2/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "acr_values_supported": [portico_app::oidc::ACR_BASIC, portico_app::oidc::ACR_STRONG],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        // The person's scopes, then the client credentials grant's.
        "scopes_supported": portico_core::sso::SCOPES
            .iter()
            .chain(portico_app::oidc::CLIENT_SCOPES.iter().map(|(s, _)| s))
            .collect::<Vec<_>>(),
        "claims_supported": claims,
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["zh-TW", "en"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    }))
    .into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    cors(r)
}

async fn jwks(State(st): State<AppState>) -> Result<Response, WebError> {
    let ring = st.app.key_ring().await.map_err(WebError::api)?;
    let mut r = axum::Json(ring.jwks()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(cors(r))
}

async fn authorize_get(
    State(st): State<AppState>,
    MaybeSigned(s): MaybeSigned,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    authorize(st, s, headers, ctx, Some(q.as_deref().unwrap_or(""))).await
}

async fn authorize_post(
    State(st): State<AppState>,
    MaybeSigned(s): MaybeSigned,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    authorize(st, s, headers, ctx, std::str::from_utf8(&body).ok()).await
}

/// The authorization request as a same-site URL, for coming back after
/// sign-in. `prompt=login` is dropped: the sign-in it asked for is the one
/// about to happen.
fn continuation(req: &AuthRequest) -> String {
    let mut r = req.clone();
    r.prompt = r
        .prompt
        .split(' ')
        .filter(|p| !p.is_empty() && *p != "login")
        .collect::<Vec<_>>()
        .join(" ");
    r.max_age = None;
    let q = serde_urlencoded_pairs(&r);
    format!("/oauth2/authorize?{q}")
}

fn serde_urlencoded_pairs(r: &AuthRequest) -> String {
    let pairs: [(&str, &str); 13] = [
        ("client_id", &r.client_id),
        ("redirect_uri", &r.redirect_uri),
        ("response_type", &r.response_type),
        ("scope", &r.scope),
        ("state", &r.state),
        ("nonce", &r.nonce),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
        ("prompt", &r.prompt),
        ("login_hint", &r.login_hint),
        ("response_mode", &r.response_mode),
        ("ui_locales", &r.ui_locales),
        ("acr_values", &r.acr_values),
    ];
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", portico_app::oidc::form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn authorize(
    st: AppState,
    s: Option<portico_app::sessions::Session>,
    headers: HeaderMap,
    ctx: portico_app::Ctx,
    query: Option<&str>,
) -> Result<Response, WebError> {
    let lang = s
        .as_ref()
        .map(|s| Lang::from_code(&s.lang))
        .unwrap_or_else(|| visitor_lang(&headers));
    // A parameter sent twice (RFC 6749 §3.1) or a query that does not
    // decode: nobody can tell which value was meant, so nothing is
    // redirected anywhere.
    let Some(req) = query.and_then(crate::extract::parse_query::<AuthRequest>) else {
        return Err(WebError {
            status: Some(crate::error::BAD_REQUEST),
            ..WebError::page(
                Error::Refused(Msg::new(
                    "應用系統送來的登入要求有重複或無法辨識的參數，已停止登入。請洽應用系統管理者",
                    "The application's sign-in request has a repeated or unreadable parameter, so sign-in stopped; contact the application's administrator",
                )),
                lang,
            )
        });
    };
    match st
        .app
        .authorize(&req, s.as_ref(), &ctx)
        .await
        .map_err(|e| WebError::page(e, lang))?
    {
        Authorize::Page(m) => Err(WebError {
            status: Some(crate::error::BAD_REQUEST),
            ..WebError::page(Error::Refused(m), lang)
        }),
        Authorize::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        Authorize::SignIn { strong, .. } => {
            let next = continuation(&req);
            let mut hint = String::new();
            if !req.login_hint.is_empty() && req.login_hint.len() <= 40 {
                hint = format!("&login={}", crate::extract::urlencode(&req.login_hint));
            }
            let strong = if strong { "&strong=1" } else { "" };
            Ok(Redirect::to(&format!(
                "/login?next={}{hint}{strong}",
                crate::extract::urlencode(&next)
            ))
            .into_response())
        }
        Authorize::ChangePassword => Ok(Redirect::to("/account/password").into_response()),
    }
}

async fn token(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    body: axum::body::Bytes,
) -> Response {
    let req: TokenRequest = match serde_urlencoded_form(&body) {
        Some(r) => r,
        None => {
            return oauth_error(
                OAuthError::new(
                    "invalid_request",
                    "the body must be application/x-www-form-urlencoded",
                ),
                false,
            );
        }
    };
    let auth = match client_auth(&headers, &req.client_id, &req.client_secret) {
        Ok(a) => a,
        Err(e) => return oauth_error(e, true),
    };
    match st.app.token(&auth, &req, &ctx).await {
        Ok(t) => json_ok(serde_json::to_value(t).unwrap_or_default()),
        Err(e) => oauth_error(e, auth.basic),
    }
}

/// A form-encoded body, or `None` when it is not one.
fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    crate::extract::parse_query(std::str::from_utf8(body).ok()?)
}

async fn userinfo(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let Some(t) = crate::extract::bearer(&headers) else {
        return Ok(crate::error::missing_token());
    };
    Ok(match st.app.userinfo(t).await.map_err(WebError::api)? {
        TokenUse::Granted(m) => json_ok(serde_json::Value::Object(m)),
        TokenUse::Invalid => invalid_token(),
        TokenUse::Insufficient(scope) => crate::error::insufficient_scope(scope),
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    token: String,
    token_type_hint: String,
    client_id: String,
    client_secret: String,
}

async fn authenticated(
    st: &AppState,
    headers: &HeaderMap,
    ctx: &portico_app::Ctx,
    body: &[u8],
) -> Result<(Arc<Client>, TokenForm), Response> {
    let f: TokenForm = serde_urlencoded_form(body).ok_or_else(|| {
        oauth_error(
            OAuthError::new(
                "invalid_request",
                "the body must be application/x-www-form-urlencoded",
            ),
            false,
        )
    })?;
    let auth =
        client_auth(headers, &f.client_id, &f.client_secret).map_err(|e| oauth_error(e, true))?;
    let c = st
        .app
        .authenticate_client(&auth, ctx)
        .await
        .map_err(|e| oauth_error(e, auth.basic))?;
    Ok((c, f))
}

/// Did the request carry a client secret (Basic or the form)?
fn secret_sent(headers: &HeaderMap, body: &[u8]) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("basic "));
    basic || serde_urlencoded_form::<TokenForm>(body).is_some_and(|f| !f.client_secret.is_empty())
}

async fn introspect(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    body: axum::body::Bytes,
) -> Response {
    let (client, f) = match authenticated(&st, &headers, &ctx, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Introspection needs the client's secret: a public client cannot keep
    // the answers to itself.
    if client.app.secret_hash.is_none() || !secret_sent(&headers, &body) {
        return oauth_error(OAuthError::invalid_client(), false);
    }
    let _ = f.token_type_hint;
    match st.app.introspect(&client, f.token.trim()).await {
        Ok(v) => json_ok(v),
        Err(e) => oauth_error(OAuthError::from(e), false),
    }
}

async fn revoke(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    body: axum::body::Bytes,
) -> Response {
    let (client, f) = match authenticated(&st, &headers, &ctx, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if f.token.is_empty() {
        return oauth_error(
            OAuthError::new("invalid_request", "token is missing"),
            false,
        );
    }
    match st.app.revoke(&client, f.token.trim(), &ctx).await {
        Ok(()) => cors(StatusCode::OK.into_response()),
        Err(e) => oauth_error(OAuthError::from(e), false),
    }
}

/// Where to go after an application's logout: the registered
/// post-logout URI it named (exactly), else the portal's sign-in page.
async fn logout_target(
    st: &AppState,
    q: &LogoutQuery,
) -> Result<(Option<Arc<Client>>, String, Option<String>), Error> {
    let hint = if q.id_token_hint.is_empty() {
        None
    } else {
        st.app.id_token_hint(&q.id_token_hint).await?
    };
    let client_id = hint
        .as_ref()
        .map(|h| h.0.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| q.client_id.clone());
    if !q.client_id.is_empty() && q.client_id != client_id {
        return Err(Error::Refused(Msg::new(
            "登出請求的應用系統資料不一致",
            "The logout request names two different applications",
        )));
    }
    let client = if client_id.is_empty() {
        None
    } else {
        st.app.client(&client_id).await?
    };
    let mut target = "/login".to_owned();
    if !q.post_logout_redirect_uri.is_empty() {
        let registered = client
            .as_ref()
            .and_then(|c| c.sso())
            .is_some_and(|s| s.post_logout_uris.contains(&q.post_logout_redirect_uri));
        if !registered {
            return Err(Error::Refused(Msg::new(
                "登出後的導回網址未向公務入口網註冊，已停止導回",
                "The post-logout redirect URI is not registered, so you were not sent there",
            )));
        }
        target = q.post_logout_redirect_uri.clone();
        if !q.state.is_empty() {
            let sep = if target.contains('?') { '&' } else { '?' };
            target = format!(
                "{target}{sep}state={}",
                portico_app::oidc::form_encode(&q.state)
            );
        }
    }
    Ok((client, target, hint.map(|h| h.2)))
}

async fn logout_get(
    State(st): State<AppState>,
    MaybeSigned(s): MaybeSigned,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Query(q): Query<LogoutQuery>,
) -> Result<Response, WebError> {
    let lang = s
        .as_ref()
        .map(|s| Lang::from_code(&s.lang))
        .unwrap_or_else(|| visitor_lang(&headers));
    let (client, target, hint_sid) = logout_target(&st, &q)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let Some(s) = s else {
        // Nobody to sign out here: straight back.
        return Ok(Redirect::to(&target).into_response());
    };
    // With an ID token issued under this very session the application's
    // word is enough; otherwise (no hint, or an old ID token) the person
    // confirms, so a link on another site cannot sign anyone out.
    if hint_sid.is_some_and(|sid| !sid.is_empty() && sid == portico_app::App::sid_of(&s)) {
        st.app
            .end_session(&s, client.as_deref(), &ctx)
            .await
            .map_err(|e| WebError::page(e, lang))?;
        return Ok(signed_out_redirect(&st, &target));
    }
    crate::support::render(
        LogoutPage {
            c: Chrome::of(&s, ""),
            app_name: client.map(|c| c.app.name.clone()).unwrap_or_default(),
            q,
        },
        lang,
    )
}

async fn logout_post(
    State(st): State<AppState>,
    MaybeSigned(s): MaybeSigned,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(q): Form<LogoutQuery>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let (client, target, _) = logout_target(&st, &q)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let Some(s) = s else {
        return Ok(continue_page(&target, lang));
    };
    crate::extract::Signed(s.clone()).check_csrf(&q.csrf)?;
    st.app
        .end_session(&s, client.as_deref(), &ctx)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let mut r = continue_page(&target, lang);
    r.headers_mut().insert(
        header::SET_COOKIE,
        crate::support::clear_session_cookie(&st),
    );
    Ok(r)
}

fn signed_out_redirect(st: &AppState, target: &str) -> Response {
    let mut r = Redirect::to(target).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, crate::support::clear_session_cookie(st));
    r
}

async fn launch(
    State(st): State<AppState>,
    s: crate::extract::Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let url = st
        .app
        .launch_tile(&s.0, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&url).into_response())
}
