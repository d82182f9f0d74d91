//! Inspections as pages (issue 15; 002 §七 (一)): 稽核作業 — the periods to
//! draw and the records drawn, one inspection's sample marked and signed
//! off, its record as PDF or workbook, the open findings, and each
//! agency's ethics unit.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{CsrfForm, render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::export::Sheet;
use portico_app::inspections::MarkInput;
use portico_core::ids::OrgUnitId;
use portico_core::inspection::{Kind, Period, State as InsState};
use portico_core::{Error, FieldError, Msg};
use portico_store::inspections::ListFilter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(index))
        .route("/inspections/draw", post(draw))
        .route("/inspections/ethics", post(ethics))
        .route("/inspections/findings", get(findings))
        .route("/inspections/{id}", get(inspection))
        .route("/inspections/{id}/marks", post(marks))
        .route("/inspections/{id}/sign", post(sign))
        .route("/inspections/{id}/delegate", post(delegate))
        .route("/inspections/{id}/sent", post(sent))
        .route("/inspections/{id}/record.pdf", get(record_pdf))
        .route("/inspections/{id}/export", get(export))
        .route("/inspections/{id}/findings/{seq}/close", post(close))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "drawn" => Msg::new(
            "已完成抽樣，請逐筆標記正常或異常",
            "Drawn; mark each record normal or abnormal",
        ),
        "marked" => Msg::new("標記已儲存", "The marks are saved"),
        "signed" => Msg::new(
            "已簽核完成，稽核紀錄表可下載留存",
            "Signed off; download the record to keep",
        ),
        "delegated" => Msg::new("稽核人員已更新", "The auditor is updated"),
        "sent" => Msg::new("已登記函送", "Recorded as sent on"),
        "closed" => Msg::new("異常事項已結案", "The finding is closed"),
        "ethics" => Msg::new("政風單位信箱已儲存", "The ethics unit's address is saved"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    period: String,
    kind: String,
    state: String,
    page: u32,
    ok: Option<String>,
}

/// Anyone signed in: admins see their scope's inspections and the
/// periods to draw; an auditor sees what was delegated to them.
async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let ok = q.ok.clone();
    index_page(
        &st,
        &s,
        q,
        ok.as_deref(),
        String::new(),
        vec![],
        StatusCode::OK,
    )
    .await
}

async fn index_page(
    st: &AppState,
    s: &Signed,
    q: ListQuery,
    ok: Option<&str>,
    error: String,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let f = ListFilter {
        kind: Kind::parse(&q.kind),
        period: Period::parse(q.period.trim()),
        state: InsState::parse(&q.state),
        page: q.page,
    };
    let p = &s.0.principal;
    let o = st
        .app
        .inspections(p, &f)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let ethics = st
        .app
        .ethics_contacts(p)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        InspectionsPage {
            c: Chrome::of(&s.0, "inspections").with_flash(flash_of(ok)),
            query_string: {
                use crate::extract::urlencode as e;
                format!(
                    "period={}&kind={}&state={}",
                    e(&q.period),
                    e(&q.kind),
                    e(&q.state)
                )
            },
            page: o.inspections.clone(),
            o,
            period: q.period,
            kind: q.kind,
            state: q.state,
            ethics,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DrawForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    kind: String,
    period: String,
    unit: i64,
    include_unaudited: String,
}

/// A unit's admins draw its quarter; an agency's admins its half year.
async fn draw(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<DrawForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let p = &s.0.principal;
    let r = match (Kind::parse(&f.kind), Period::parse(&f.period)) {
        (Some(Kind::Unit), Some(period)) => {
            st.app.draw_unit(p, period, OrgUnitId(f.unit), &ctx).await
        }
        (Some(Kind::Agency), Some(period)) => {
            st.app
                .draw_agency(
                    p,
                    period,
                    OrgUnitId(f.unit),
                    f.include_unaudited == "on",
                    &ctx,
                )
                .await
        }
        _ => Err(Error::invalid(
            "period",
            Msg::new("請選擇要抽樣的期別", "Choose the period to draw"),
        )),
    };
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/inspections/{id}?ok=drawn")).into_response()),
        Err(e) => refused_on_index(&st, &s, e).await,
    }
}

/// A refusal shown on the list page, beside what was asked.
async fn refused_on_index(st: &AppState, s: &Signed, e: Error) -> Result<Response, WebError> {
    let lang = s.lang();
    let (errs, mut banner, status) = crate::error::split(e, lang)?;
    if banner.is_empty() {
        banner = errs
            .iter()
            .map(|e| e.message.get(lang).to_owned())
            .collect::<Vec<_>>()
            .join("；");
    }
    index_page(st, s, ListQuery::default(), None, banner, errs, status).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EthicsForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    agency: i64,
    email: String,
}

/// An agency's admins: the ethics unit's address.
async fn ethics(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<EthicsForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .set_ethics_contact(&s.0.principal, OrgUnitId(f.agency), &f.email, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/inspections?ok=ethics").into_response()),
        Err(e) => refused_on_index(&st, &s, e).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OneQuery {
    ok: Option<String>,
    redraw: Option<String>,
}

/// Whoever may work on it: one inspection with its sample; `?redraw=1`
/// draws again from the stored seed and says whether it is the same.
async fn inspection(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OneQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let redraw = if q.redraw.is_some() {
        let (now, kept) = st
            .app
            .redraw(&s.0.principal, id)
            .await
            .map_err(|e| WebError::page(e, lang))?;
        Some((now.len(), now == kept))
    } else {
        None
    };
    one_page(
        &st,
        &s,
        id,
        q.ok.as_deref(),
        redraw,
        vec![],
        String::new(),
        vec![],
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn one_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    ok: Option<&str>,
    redraw: Option<(usize, bool)>,
    sent: Vec<(i64, String, String)>,
    conclusion: String,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let v = st
        .app
        .inspection(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let error = if errs.is_empty() {
        String::new()
    } else {
        Msg::new(
            "有些標記未能儲存，請依下列說明修正；其他標記也尚未儲存",
            "Some marks could not be saved; correct them as below (nothing was saved)",
        )
        .get(lang)
        .to_owned()
    };
    render_as(
        InspectionPage {
            c: Chrome::of(&s.0, "inspections").with_flash(flash_of(ok)),
            v,
            sent,
            conclusion,
            redraw,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

/// The inspection's auditor saves marks: the rows sent as `seq`, `mark`,
/// `note` in order; `all_normal` marks the rest 正常.
async fn marks(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    s.check_csrf(csrf)?;
    let all_normal = pairs.iter().any(|(k, v)| k == "all_normal" && v == "on");
    let mut rows: Vec<MarkInput> = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "seq" => rows.push(MarkInput {
                seq: v.parse().unwrap_or(-1),
                ..Default::default()
            }),
            "mark" => {
                if let Some(r) = rows.last_mut() {
                    r.mark = v.clone();
                }
            }
            "note" => {
                if let Some(r) = rows.last_mut() {
                    r.note = v.clone();
                }
            }
            _ => {}
        }
    }
    if all_normal {
        for r in rows.iter_mut().filter(|r| r.mark.is_empty()) {
            r.mark = "normal".into();
        }
    }
    match st.app.mark_items(&s.0.principal, id, &rows, &ctx).await {
        Ok(_) => Ok(Redirect::to(&format!("/inspections/{id}?ok=marked")).into_response()),
        Err(e) => {
            let sent = rows.into_iter().map(|r| (r.seq, r.mark, r.note)).collect();
            refused_on_one(&st, &s, id, e, sent, String::new()).await
        }
    }
}

/// A refusal shown on the inspection's page beside what was sent: field
/// errors as they are, a rule's refusal (signed off meanwhile, …) as one.
async fn refused_on_one(
    st: &AppState,
    s: &Signed,
    id: i64,
    e: Error,
    sent: Vec<(i64, String, String)>,
    conclusion: String,
) -> Result<Response, WebError> {
    let (mut errs, banner, status) = crate::error::split(e, s.lang())?;
    if !banner.is_empty() {
        errs.push(FieldError {
            field: "state",
            message: Msg::owned(banner.clone(), banner),
        });
    }
    one_page(st, s, id, None, None, sent, conclusion, errs, status).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    conclusion: String,
}

/// The inspection's auditor signs it off once every record is marked.
async fn sign(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<SignForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .sign_inspection(&s.0.principal, id, &f.conclusion, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/inspections/{id}?ok=signed")).into_response()),
        Err(e) => refused_on_one(&st, &s, id, e, vec![], f.conclusion).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DelegateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    login: String,
}

/// An admin over the unit delegates its inspection to an auditor.
async fn delegate(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<DelegateForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .delegate_inspection(&s.0.principal, id, &f.login, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/inspections/{id}?ok=delegated")).into_response()),
        Err(e) => refused_on_one(&st, &s, id, e, vec![], String::new()).await,
    }
}

/// The agency's admins record the half year's records as sent on.
async fn sent(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.mark_inspection_sent(&s.0.principal, id, &ctx).await {
        Ok(()) => Ok(Redirect::to(&format!("/inspections/{id}?ok=sent")).into_response()),
        Err(e) => refused_on_one(&st, &s, id, e, vec![], String::new()).await,
    }
}

/// Whoever may work on it: 附件二 or 附件三 as PDF.
async fn record_pdf(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .inspection_pdf(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::download(f, true))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: String,
}

/// Whoever may work on it: the sample and its marks as xlsx or ODS.
async fn export(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let format = Sheet::parse(&q.format).unwrap_or(Sheet::Xlsx);
    let f = st
        .app
        .inspection_sheet(&s.0.principal, id, format)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::download(f, false))
}

/// Admins: the open findings in their scope.
async fn findings(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    findings_page(&st, &s, String::new(), StatusCode::OK).await
}

async fn findings_page(
    st: &AppState,
    s: &Signed,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let items = st
        .app
        .open_findings(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let mut r = render(
        FindingsPage {
            c: Chrome::of(&s.0, "inspections"),
            items,
            error,
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CloseForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    close_note: String,
}

/// The agency's admins close a finding with what was done.
async fn close(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, seq)): Path<(i64, i64)>,
    Form(f): Form<CloseForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .close_finding(&s.0.principal, id, seq, &f.close_note, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/inspections/{id}?ok=closed")).into_response()),
        Err(Error::Invalid(errs)) => {
            let m = errs
                .iter()
                .map(|e| e.message.get(s.lang()).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            findings_page(&st, &s, m, crate::error::INVALID_INPUT).await
        }
        Err(Error::Conflict { message, .. }) => {
            findings_page(
                &st,
                &s,
                message.get(s.lang()).to_owned(),
                crate::error::REFUSED,
            )
            .await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}
