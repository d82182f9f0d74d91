//! 帳號登入紀錄 and 帳號使用紀錄: everyone's own sign-in and usage
//! records, with filters and one record's detail.
use crate::extract::Path;
use crate::extract::{LenientQuery, Signed};
use crate::support::{RecordsQuery, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records/sign-in", get(sign_in_records))
        .route("/records/usage", get(usage_records))
        .route("/records/{seq}", get(record))
}

async fn records(
    st: &AppState,
    s: &Signed,
    q: RecordsQuery,
    kind: &'static str,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    let page = if !errs.is_empty() {
        portico_store::Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 20,
        }
    } else if kind == "sign-in" {
        st.app
            .my_sign_in_records(&s.0, &f, q.page.unwrap_or(1))
            .await
            .map_err(|e| WebError::page(e, lang))?
    } else {
        st.app
            .my_usage_records(&s.0, &f, q.page.unwrap_or(1))
            .await
            .map_err(|e| WebError::page(e, lang))?
    };
    let nav = if kind == "sign-in" {
        "sign-in"
    } else {
        "usage"
    };
    render(
        RecordsPage {
            c: Chrome::of(&s.0, nav),
            kind,
            page,
            q: q.view(),
            query_string: q.query_string(),
            errs: Errors::new(errs, lang),
        },
        lang,
    )
}

/// Anyone signed in: their sign-in records.
async fn sign_in_records(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    records(&st, &s, q, "sign-in").await
}

/// Anyone signed in: their usage records.
async fn usage_records(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    records(&st, &s, q, "usage").await
}

#[derive(serde::Deserialize, Default)]
struct BackQuery {
    back: Option<String>,
}

/// Anyone signed in: one of their own records.
async fn record(
    State(st): State<AppState>,
    s: Signed,
    Path(seq): Path<i64>,
    LenientQuery(q): LenientQuery<BackQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let e = st
        .app
        .my_record(&s.0, seq)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let back = if q.back.as_deref() == Some("usage") {
        "/records/usage"
    } else {
        "/records/sign-in"
    };
    render(
        RecordPage {
            c: Chrome::of(
                &s.0,
                if back.ends_with("usage") {
                    "usage"
                } else {
                    "sign-in"
                },
            ),
            e,
            back: back.into(),
        },
        lang,
    )
}
