//! The signed-out flows' proof: after a code (or mobile ID) is accepted,
//! the proof travels in a short-lived HttpOnly cookie (`portico_flow`,
//! SameSite Strict), never in a URL.
use crate::AppState;
use crate::extract::cookie;
use axum::http::{HeaderMap, HeaderValue};

pub const FLOW_COOKIE: &str = "portico_flow";

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
