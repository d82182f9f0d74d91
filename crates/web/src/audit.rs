//! The audit trail's console pages (日誌紀錄管理): the log in the admin's
//! scope with filters, one event, and the xlsx export.
use crate::error::page_err;
use crate::extract::Path;
use crate::extract::{LenientQuery, Signed};
use crate::support::{RecordsQuery, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_core::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(audit))
        .route("/admin/audit/export.xlsx", get(audit_export))
        .route("/admin/audit/{seq}", get(audit_event))
}

/// Any admin: the audit trail within their scope.
async fn audit(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    // A filter that does not parse shows its errors over an empty page,
    // to admins only (the use case checks).
    let page = st
        .app
        .audit_events(&s.0.principal, &f, q.page.unwrap_or(1), 30)
        .await
        .map_err(page_err(lang))?;
    let page = if errs.is_empty() {
        page
    } else {
        portico_store::Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 30,
        }
    };
    let qv = q.view();
    render(
        AdminAuditPage {
            c: Chrome::of(&s.0, "admin-audit"),
            page,
            q: qv,
            actor: q.actor.clone(),
            query_string: q.query_string(),
            errs: Errors::new(errs, lang),
        },
        lang,
    )
}

/// Any admin: the filtered trail as an xlsx file.
async fn audit_export(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    if !errs.is_empty() {
        return Err(WebError::page(Error::Invalid(errs), lang));
    }
    let bytes = st
        .app
        .audit_export(&s.0.principal, &f, lang)
        .await
        .map_err(page_err(lang))?;
    let name = format!(
        "audit-{}.xlsx",
        portico_core::time::date_str(st.app.now().to_offset(portico_core::time::TAIPEI).date())
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Any admin: one event within their scope.
async fn audit_event(
    State(st): State<AppState>,
    s: Signed,
    Path(seq): Path<i64>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let e = st
        .app
        .audit_event(&s.0.principal, seq)
        .await
        .map_err(page_err(lang))?;
    render(
        AdminEventPage {
            c: Chrome::of(&s.0, "admin-audit"),
            e,
            back: "/admin/audit".into(),
        },
        lang,
    )
}
