//! Access reviews as pages (權限清查, issue 15; 002 §六 (二)): the campaigns
//! and the form that opens one, one campaign's items decided one or a
//! batch at a time, and its report as xlsx, ODS or PDF.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_app::certifications::{Action, OpenInput, ViewFilter};
use portico_app::export::Sheet;
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/access-reviews", get(index).post(open))
        .route("/access-reviews/{id}", get(campaign).post(decide))
        .route("/access-reviews/{id}/report", get(report))
}

fn flash_of(code: Option<&str>, n: u32) -> Option<Msg> {
    Some(match code? {
        "opened" => Msg::new(
            "權限清查已開始，清查人已收到通知",
            "The review has opened and its reviewers are told",
        ),
        "kept" => Msg::owned(format!("已保留 {n} 項權限"), format!("{n} rights kept")),
        "revoked" => Msg::owned(format!("已撤銷 {n} 項權限"), format!("{n} rights revoked")),
        "handed" => Msg::owned(
            format!("已轉交 {n} 項，對方已收到通知"),
            format!("{n} handed on; the person is told"),
        ),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: u32,
    ok: Option<String>,
    n: u32,
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    index_page(
        &st,
        &s,
        q.page,
        q.ok.as_deref(),
        OpenInput::default(),
        String::new(),
        vec![],
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn index_page(
    st: &AppState,
    s: &Signed,
    page: u32,
    ok: Option<&str>,
    sent: OpenInput,
    error: String,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let list = st
        .app
        .campaigns(p, page.max(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let choices = st
        .app
        .campaign_choices(p)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let today = st.app.now().to_offset(portico_core::time::TAIPEI).date();
    render_as(
        CampaignsPage {
            c: Chrome::of(&s.0, "access-reviews").with_flash(flash_of(ok, 0)),
            page: list,
            query_string: String::new(),
            choices,
            name: sent.name,
            scope_kind: sent.scope_kind,
            unit: sent.unit.unwrap_or(0),
            app: sent.app.unwrap_or(0),
            deadline: if sent.deadline.is_empty() {
                portico_core::time::date_str(today + time::Duration::days(30))
            } else {
                sent.deadline
            },
            deadline_min: portico_core::time::date_str(
                portico_core::certification::deadline_range(today).0,
            ),
            deadline_max: portico_core::time::date_str(
                portico_core::certification::deadline_range(today).1,
            ),
            on_expiry: sent.on_expiry,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OpenForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    scope_kind: String,
    unit: String,
    app: String,
    deadline: String,
    on_expiry: String,
}

async fn open(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<OpenForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let input = OpenInput {
        name: f.name,
        scope_kind: f.scope_kind,
        unit: f.unit.trim().parse().ok(),
        app: f.app.trim().parse().ok(),
        deadline: f.deadline,
        on_expiry: f.on_expiry,
    };
    match st.app.open_campaign(&s.0.principal, &input, &ctx).await {
        Ok(id) => Ok(Redirect::to(&format!("/access-reviews/{id}?ok=opened")).into_response()),
        Err(e) => {
            let lang = s.lang();
            let (errs, banner, status) = crate::error::split(e, lang)?;
            index_page(&st, &s, 1, None, input, banner, errs, status).await
        }
    }
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct ItemsQuery {
    show: String,
    state: String,
    kind: String,
    q: String,
    page: u32,
    ok: Option<String>,
    n: u32,
}

async fn campaign(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ItemsQuery>,
) -> Result<Response, WebError> {
    campaign_page(&st, &s, id, q, Sent::default(), StatusCode::OK).await
}

/// What a batch sent, shown again beside its refusals.
#[derive(Default)]
struct Sent {
    ticked: Vec<i64>,
    action: String,
    to: String,
    note: String,
    outcome: Vec<(String, String)>,
    error: String,
    errs: Vec<FieldError>,
}

async fn campaign_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    q: ItemsQuery,
    sent: Sent,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let f = ViewFilter {
        show: q.show.clone(),
        state: q.state.clone(),
        kind: q.kind.clone(),
        q: q.q.chars().take(40).collect(),
        page: q.page.max(1),
    };
    let v = st
        .app
        .campaign(&s.0.principal, id, &f)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    render_as(
        CampaignPage {
            c: Chrome::of(&s.0, "access-reviews").with_flash(flash_of(q.ok.as_deref(), q.n)),
            campaign: v.campaign,
            owner: v.owner,
            mine: v.mine,
            page: v.items,
            query_string: format!(
                "show={}&state={}&kind={}&q={}",
                e(&q.show),
                e(&q.state),
                e(&q.kind),
                e(&q.q)
            ),
            show: q.show,
            state: q.state,
            kind: q.kind,
            q: q.q,
            ticked: sent.ticked,
            action: sent.action,
            to: sent.to,
            note: sent.note,
            outcome: sent.outcome,
            error: sent.error,
            errs: Errors::new(sent.errs, lang),
        },
        lang,
        status,
    )
}

/// The ticked items, each decided on its own. The body repeats `items`,
/// so it is read as pairs.
async fn decide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    let get = |k: &str| pairs.one(k);
    s.check_csrf(get("_csrf"))?;
    let lang = s.lang();
    let ids = pairs.ids("items");
    let action = match get("action") {
        "keep" => Ok(Action::Keep),
        "revoke" => Ok(Action::Revoke),
        "hand" => Ok(Action::HandOn(get("to").to_owned())),
        _ => Err(Error::invalid(
            "action",
            Msg::new("請選擇保留、撤銷或轉交", "Choose keep, revoke or hand on"),
        )),
    };
    let mut sent = Sent {
        ticked: ids.clone(),
        action: get("action").to_owned(),
        to: get("to").to_owned(),
        note: get("note").to_owned(),
        ..Default::default()
    };
    let back = ItemsQuery {
        show: get("show").to_owned(),
        ..Default::default()
    };
    let handing = matches!(action, Ok(Action::HandOn(_)));
    let r = match action {
        Ok(a) => {
            st.app
                .decide_items(&s.0.principal, id, &ids, &a, get("note"), &ctx)
                .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(out) => {
            let refused: Vec<(String, String)> = out
                .into_iter()
                .filter_map(|o| o.refused.map(|m| (o.label, m.get(lang).to_owned())))
                .collect();
            if refused.is_empty() {
                let ok = match get("action") {
                    _ if handing => "handed",
                    "revoke" => "revoked",
                    _ => "kept",
                };
                let show = if back.show == "all" { "&show=all" } else { "" };
                let n = ids.len();
                return Ok(
                    Redirect::to(&format!("/access-reviews/{id}?ok={ok}&n={n}{show}"))
                        .into_response(),
                );
            }
            sent.outcome = refused;
            campaign_page(&st, &s, id, back, sent, crate::error::REFUSED).await
        }
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, lang)?;
            sent.errs = errs;
            sent.error = banner;
            campaign_page(&st, &s, id, back, sent, status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReportQuery {
    format: String,
}

/// The campaign's owner: every decision, as xlsx, ODS or PDF.
async fn report(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ReportQuery>,
) -> Result<Response, WebError> {
    let p = &s.0.principal;
    let r = match q.format.as_str() {
        "pdf" => st.app.campaign_pdf(p, id, &ctx).await,
        other => match Sheet::parse(other) {
            Some(f) => st.app.campaign_sheet(p, id, f, &ctx).await,
            None => Err(Error::NotFound),
        },
    };
    let f = r.map_err(|e| WebError::page(e, s.lang()))?;
    let inline = f.content_type == "application/pdf";
    Ok(crate::support::download(f, inline))
}
