//! Static assets, compiled into the binary: government intranets have no
//! CDN.
use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../assets/portico.css");
const JS: &str = include_str!("../assets/portico.js");
const FAVICON: &str = include_str!("../assets/favicon.svg");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/portico.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/portico.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/assets/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
}

fn asset(ct: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
