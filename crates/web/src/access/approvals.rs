//! 待簽核表單 and 個人簽核記錄查詢 (seed 000): the approver's queue, one
//! or a batch decided, and what each approver decided, with its exports.
use super::{ListQuery, decision_of, flash_of};
use crate::error::split;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use portico_app::export::Sheet;
use portico_core::FieldError;
use portico_core::access::Step;
use portico_core::ids::FormId;
use portico_store::access::QueueFilter;

// ---- 待簽核表單 -------------------------------------------------------------

fn queue_filter(q: &ListQuery) -> QueueFilter {
    QueueFilter {
        step: Step::parse(&q.step),
        q: Some(q.q.trim().chars().take(40).collect()),
    }
}

/// What a batch sent, kept beside its errors.
#[derive(Default)]
pub(super) struct SentBatch {
    decision: String,
    note: String,
    ticked: Vec<i64>,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn approvals_page(
    st: &AppState,
    s: &Signed,
    q: ListQuery,
    sent: SentBatch,
    outcome: Vec<(String, String)>,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .approvals(&s.0.principal, &queue_filter(&q), q.page.unwrap_or(1), 20)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    render_as(
        AccessApprovalsPage {
            c: Chrome::of(&s.0, "access-approvals").with_flash(flash_of(q.ok.as_deref())),
            query_string: format!("step={}&q={}", e(&q.step), e(&q.q)),
            page,
            decision: sent.decision,
            note: sent.note,
            ticked: sent.ticked,
            step: q.step,
            q: q.q,
            outcome,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

pub(super) async fn approvals(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    approvals_page(
        &st,
        &s,
        q,
        SentBatch::default(),
        vec![],
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The ticked forms, decided one by one: those another approver took, or
/// that cannot be approved now, are listed with why.
/// The body repeats `forms`, so it is read as pairs.
pub(super) async fn decide_batch(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = crate::support::Pairs(pairs);
    let get = |k: &str| pairs.one(k);
    s.check_csrf(get("_csrf"))?;
    let lang = s.lang();
    let ids: Vec<FormId> = pairs.ids("forms").into_iter().map(FormId).collect();
    let sent = SentBatch {
        decision: get("decision").to_owned(),
        note: get("note").to_owned(),
        ticked: ids.iter().map(|i| i.0).collect(),
    };
    let r = match decision_of(get("decision")) {
        Ok(approve) => {
            st.app
                .decide_forms(&s.0.principal, &ctx, &ids, approve, get("note"))
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(out) => {
            let refused: Vec<(String, String)> = out
                .into_iter()
                .filter_map(|o| o.refused.map(|m| (o.number, m.get(lang).to_owned())))
                .collect();
            if refused.is_empty() {
                return Ok(Redirect::to("/access/approvals?ok=batch").into_response());
            }
            approvals_page(
                &st,
                &s,
                ListQuery::default(),
                SentBatch::default(),
                refused,
                vec![],
                String::new(),
                crate::error::REFUSED,
            )
            .await
        }
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            approvals_page(
                &st,
                &s,
                ListQuery::default(),
                sent,
                vec![],
                errs,
                error,
                status,
            )
            .await
        }
    }
}

// ---- 個人簽核記錄查詢 -------------------------------------------------------

pub(super) async fn decided(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .my_decisions(&s.0.principal, q.page.unwrap_or(1), 20)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        AccessDecidedPage {
            c: Chrome::of(&s.0, "access-decided"),
            page,
            query_string: String::new(),
        },
        lang,
        StatusCode::OK,
    )
}

pub(super) async fn decided_export(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let format = Sheet::parse(&q.format).unwrap_or(Sheet::Xlsx);
    let bytes = st
        .app
        .my_decisions_export(&s.0.principal, format, lang)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"decisions.{}\"", format.extension()),
            ),
        ],
        bytes,
    )
        .into_response())
}
