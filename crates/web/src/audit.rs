//! The audit trail's console pages (日誌紀錄管理): the log in the admin's
//! scope with filters, one event, and the xlsx export.
use crate::error::page_err;
use crate::extract::Path;
use crate::extract::{LenientQuery, ReqCtx, Signed};
use crate::support::{RecordsQuery, render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_core::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(audit))
        .route("/admin/audit/export.xlsx", get(audit_export))
        .route("/admin/audit/{seq}", get(audit_event))
}

/// Any admin: the audit trail within their scope. One person's events
/// (someone else's) wait for the grounds, 002 §六 (三) 2.
async fn audit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let (f, mut errs) = q.filter();
    let person = f.actor_login.as_deref().is_some_and(|l| l != p.login());
    let grounds = q.grounds();
    let mut status = StatusCode::OK;
    let mut page = empty_page();
    if !errs.is_empty() {
        // A filter that does not parse shows its errors over an empty
        // page, to admins only.
        admins_only(&st, &s, &ctx).await?;
    } else {
        if person && grounds.is_some() {
            s.check_csrf(&q.csrf)?;
        }
        match st
            .app
            .audit_events(p, &f, grounds.as_ref(), q.page.unwrap_or(1), 30, &ctx)
            .await
        {
            Ok(found) => page = found,
            // One person's events wait for the grounds: asked for, and an
            // error only once something was typed.
            Err(Error::Invalid(e)) => {
                if grounds.is_some() {
                    errs = e;
                    status = crate::error::INVALID_INPUT;
                }
            }
            Err(e) => return Err(WebError::page(e, lang)),
        }
    }
    let needs = person && grounds.is_none();
    audit_page(&s, &q, page, errs, (person, needs), status)
}

fn empty_page() -> portico_store::Page<portico_store::audit::Event> {
    portico_store::Page {
        items: vec![],
        total: 0,
        page: 1,
        per_page: 30,
    }
}

/// The trail's pages are admins' only: the use case says who may read it.
async fn admins_only(st: &AppState, s: &Signed, ctx: &portico_app::Ctx) -> Result<(), WebError> {
    st.app
        .audit_events(&s.0.principal, &Default::default(), None, 1, 1, ctx)
        .await
        .map(|_| ())
        .map_err(|e| WebError::page(e, s.lang()))
}

fn audit_page(
    s: &Signed,
    q: &RecordsQuery,
    page: portico_store::Page<portico_store::audit::Event>,
    errs: Vec<portico_core::FieldError>,
    (asks, needs_grounds): (bool, bool),
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    render_as(
        AdminAuditPage {
            c: Chrome::of(&s.0, "admin-audit"),
            page,
            q: q.view(),
            actor: q.actor.clone(),
            query_string: if asks {
                q.query_string_with_grounds()
            } else {
                q.query_string()
            },
            errs: Errors::new(errs, lang),
            asks,
            needs_grounds,
            reason_kind: q.reason_kind.clone(),
            reason: q.reason.clone(),
        },
        lang,
        status,
    )
}

/// Any admin: the filtered trail as an xlsx file, with the grounds for
/// exporting people's records; without them, the page asks.
async fn audit_export(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    if !errs.is_empty() {
        admins_only(&st, &s, &ctx).await?;
        let page = empty_page();
        return audit_page(
            &s,
            &q,
            page,
            errs,
            (true, false),
            crate::error::INVALID_INPUT,
        );
    }
    if q.grounds().is_some() {
        s.check_csrf(&q.csrf)?;
    }
    let bytes = match st
        .app
        .audit_export(&s.0.principal, &f, q.grounds().as_ref(), lang, &ctx)
        .await
    {
        Ok(b) => b,
        Err(Error::Invalid(errs)) => {
            // The list stays as it was (one person's only with grounds),
            // the grounds asked for beside it.
            let page = match q.grounds() {
                None if f
                    .actor_login
                    .as_deref()
                    .is_none_or(|l| l == s.0.principal.login()) =>
                {
                    st.app
                        .audit_events(&s.0.principal, &f, None, q.page.unwrap_or(1), 30, &ctx)
                        .await
                        .unwrap_or_else(|_| empty_page())
                }
                _ => empty_page(),
            };
            return audit_page(
                &s,
                &q,
                page,
                errs,
                (true, false),
                crate::error::INVALID_INPUT,
            );
        }
        Err(e) => return Err(WebError::page(e, lang)),
    };
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
