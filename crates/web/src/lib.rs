//! Portico's HTTP surface: server-rendered pages and the JSON API under
//! `/api/v1`. Handlers are thin: extract, call one use case, render.
#![forbid(unsafe_code)]

mod access;
mod account_flows;
mod admin;
mod announcements;
mod api;
mod assets;
mod audit;
mod calendars;
mod cars;
mod certifications;
mod chart;
mod clients;
mod contacts;
mod content;
mod directory;
mod documents;
mod downloads;
mod enrolment;
mod error;
mod extract;
mod factors;
mod flow;
mod forms;
pub mod hipki_sim;
mod home;
mod inspections;
mod items;
mod mailboxes;
pub mod mitake_sim;
pub mod office_sim;
mod oidc;
mod org;
mod outbox;
mod pages;
mod records;
mod repair_types;
mod repairs;
mod requests;
mod review;
mod reviews;
mod sessions;
mod settings;
mod signin;
mod support;
pub mod twfido_sim;
mod venues;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use portico_app::App;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::WebError;

/// What the web layer needs besides the application.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (on everywhere but plain-HTTP development).
    pub cookie_secure: bool,
    /// The node's name, sent as `X-Portico-Node` on every response when
    /// set (several nodes behind a balancer).
    pub node: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            cookie_secure: true,
            node: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
}

/// Requests larger than this are refused before any handler runs; the
/// avatar upload has its own, larger limit.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let node = state
        .cfg
        .node
        .as_deref()
        .and_then(|n| axum::http::HeaderValue::from_str(n).ok());
    let secure = state.cfg.cookie_secure;
    let r = Router::new()
        .route("/", axum::routing::get(root))
        .merge(pages::router())
        .merge(home::router())
        .merge(access::router())
        .merge(inspections::router())
        .merge(certifications::router())
        .merge(venues::router())
        .merge(cars::router())
        .merge(calendars::router())
        .merge(items::router())
        .merge(reviews::router())
        .merge(repairs::router())
        .merge(announcements::router())
        .merge(content::router())
        .merge(documents::router())
        .merge(downloads::router())
        .merge(repair_types::router())
        .merge(signin::router())
        .merge(factors::router())
        .merge(admin::router())
        .merge(org::router())
        .merge(audit::router())
        .merge(enrolment::router())
        .merge(review::router())
        .merge(records::router())
        .merge(sessions::router())
        .merge(settings::router())
        .merge(account_flows::router())
        .merge(outbox::router())
        .merge(directory::router())
        .merge(mailboxes::router())
        .merge(contacts::router())
        .merge(requests::router())
        .merge(oidc::router())
        .merge(clients::router())
        .nest("/api/v1", api::router())
        .merge(assets::router())
        .fallback(error::no_such_page)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(same_site_writes))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::map_response(
            move |mut res: axum::response::Response| async move {
                // Cookies sent only over HTTPS: the browser should not try
                // plain HTTP for this host again (a year, RFC 6797).
                if secure {
                    res.headers_mut().insert(
                        "strict-transport-security",
                        axum::http::HeaderValue::from_static("max-age=31536000"),
                    );
                }
                res
            },
        ))
        .layer(trace_layer())
        .with_state(state);
    match node {
        Some(name) => r.layer(axum::middleware::map_response(
            move |mut res: axum::response::Response| {
                let name = name.clone();
                async move {
                    res.headers_mut().insert("x-portico-node", name);
                    res
                }
            },
        )),
        None => r,
    }
}

/// `/`: the home page for someone signed in, the sign-in page for a
/// visitor.
async fn root(
    axum::extract::State(st): axum::extract::State<AppState>,
    extract::MaybeSigned(s): extract::MaybeSigned,
    headers: axum::http::HeaderMap,
    ctx: extract::ReqCtx,
    extract::LenientQuery(q): extract::LenientQuery<support::OkQuery>,
) -> Result<axum::response::Response, WebError> {
    match s {
        Some(s) => home::home(&st, &s, q).await,
        None => {
            signin::login_page(
                axum::extract::State(st),
                headers,
                ctx,
                extract::LenientQuery(Default::default()),
            )
            .await
        }
    }
}

/// One span per request (method and route, never the query string, which
/// may carry a token), so every log line a use case writes names the
/// request it served. Responses are logged at debug (`PORTICO_LOG=debug`);
/// server errors at error, always.
fn trace_layer() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::extract::Request) -> tracing::Span + Clone,
    (),
    tower_http::trace::DefaultOnResponse,
> {
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
    TraceLayer::new_for_http()
        .make_span_with(|req: &axum::extract::Request| {
            let route = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| req.uri().path().chars().take(200).collect());
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG))
}

/// Writes come from the portal's own pages. A write another site's page
/// sends, even a sibling's under the same domain, is refused before any
/// handler: with the person's cookies it could sign them into the sender's
/// account (login CSRF) or, should a CSRF token ever leak, act for them.
/// Browsers say where a request comes from in `Sec-Fetch-Site`, older ones
/// in `Origin`; a client that sends neither is no browser and is left to
/// the CSRF token. The OpenID endpoints are called by relying parties, a
/// cross-site form post included (OpenID Connect Core §3.1.2.1, §5 of
/// RP-initiated logout), and the applications' APIs by their servers.
async fn same_site_writes(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let exempt =
        path.starts_with("/oauth2/") || path == "/api/v1/apps/verify" || path == "/api/v1/apps/sms";
    let write = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let cross = write
        && !exempt
        && match (text("sec-fetch-site"), text("origin")) {
            (Some(site), _) => site != "same-origin" && site != "none",
            (None, Some(origin)) => origin.split("://").nth(1) != Some(text("host").unwrap_or("")),
            (None, None) => false,
        };
    if !cross {
        return next
            .run(axum::extract::Request::from_parts(parts, body))
            .await;
    }
    let message = if path.starts_with("/login") {
        portico_core::Msg::new(
            "請由公務入口網的登入頁登入",
            "Sign in from the portal's own sign-in page",
        )
    } else {
        portico_core::Msg::new(
            "請由公務入口網的頁面操作，其他網站送來的請求不予受理",
            "Use the portal's own pages: a request sent by another site is not accepted",
        )
    };
    error::cross_site(portico_core::Error::Refused(message), &parts).into_response()
}

/// Headers every response carries: no framing, no sniffing, a strict
/// content security policy (all assets come from this server).
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // A response with a stricter policy of its own keeps it: an uploaded
    // file is served with `sandbox` (support::stored_file).
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        );
    }
    if !h.contains_key("cache-control") {
        h.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves until `shutdown` resolves. Tests bind `127.0.0.1:0` and pass the
/// listener in.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
