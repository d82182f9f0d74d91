//! The keeper's repair pages (issue 16; seed 004 §玖 六 報修類型管理):
//! `/items/repairs` (the types kept, with 新增), `/items/repairs/{id}`
//! (報修類型資訊 with 報修廠商資訊, and 保管人設定 through `items.rs`) and
//! `/items/repairs/{id}/status` (處理狀況: the period's statistics as
//! charts and tables, its reports, and the export at `…/records`).
use crate::chart::{self, Bar, Series};
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_app::repairs::RepairStats;
use portico_core::booking::Kind;
use portico_core::repair::RepairTypeInput;
use portico_core::time::{TAIPEI, date_str, parse_date};
use portico_core::{Error, FieldError, Msg};
use time::Date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items/repairs", get(kept).post(create))
        .route("/items/repairs/new", get(new_type))
        .route("/items/repairs/{id}", get(edit).post(update))
        .route("/items/repairs/{id}/status", get(status))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "created" => Msg::new("報修類型已新增", "The repair type is added"),
        "saved" => Msg::new("報修類型資訊已儲存", "The repair type is saved"),
        "custodian" => Msg::new("已設置，異動已記錄", "Set; the change is recorded"),
        "removed" => Msg::new("報修類型已刪除", "The repair type is removed"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct KeptQuery {
    q: String,
    page: u32,
    ok: Option<String>,
}

async fn kept(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let page = st
        .app
        .kept_repair_types(p, &q.q, q.page.max(1))
        .await
        .map_err(err)?;
    let can_make = !st.app.venue_agencies(p).await.map_err(err)?.is_empty();
    render_as(
        KeptRepairTypesPage {
            c: Chrome::of(&s.0, "items-repairs").with_flash(flash_of(q.ok.as_deref())),
            page,
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            q: q.q,
            can_make,
        },
        lang,
        StatusCode::OK,
    )
}

fn type_form(p: &Pairs) -> RepairTypeForm {
    RepairTypeForm {
        name: p.one("name").to_owned(),
        agency_id: p.one("agency_id").parse().unwrap_or(0),
        description: p.one("description").to_owned(),
        borrowers: p.one("borrowers").to_owned(),
        agencies: p.ids("agencies"),
        places: p.one("places").to_owned(),
        categories: p.one("categories").to_owned(),
        staff: p.one("staff").to_owned(),
        custodian: p.one("custodian").to_owned(),
    }
}

fn type_input(f: &RepairTypeForm) -> RepairTypeInput {
    RepairTypeInput {
        name: f.name.clone(),
        agency_id: (f.agency_id > 0).then_some(f.agency_id),
        description: f.description.clone(),
        borrowers: f.borrowers.clone(),
        agencies: f.agencies.clone(),
        places: f.places.clone(),
        categories: f.categories.clone(),
    }
}

/// The form page: new, or a kept type with its custodians and their log.
pub(crate) async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: Option<RepairTypeForm>,
    (error, errs): (String, Vec<FieldError>),
    flash: Option<Msg>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let kind = match id {
        Some(id) => Some(st.app.repair_type_kept(p, id).await.map_err(err)?),
        None => None,
    };
    let mut makers = st.app.venue_agencies(p).await.map_err(err)?;
    let changes = match &kind {
        Some(v) => {
            if !makers.iter().any(|(i, _)| *i == v.agency_id) {
                makers.insert(0, (v.agency_id, v.agency_name.clone()));
            }
            st.app
                .custodian_changes(p, Kind::Repair, v.id, (None, None))
                .await
                .map_err(err)?
        }
        None if makers.is_empty() => return Err(err(Error::Forbidden)),
        None => vec![],
    };
    let form = form.unwrap_or_else(|| match &kind {
        Some(v) => RepairTypeForm::of(v),
        None => RepairTypeForm {
            borrowers: "agency".into(),
            agency_id: makers.first().map(|m| m.0).unwrap_or(0),
            ..Default::default()
        },
    });
    render_as(
        RepairTypeFormPage {
            c: Chrome::of(&s.0, "items-repairs").with_flash(flash),
            item_path: id
                .map(|i| format!("/items/repairs/{i}"))
                .unwrap_or_default(),
            kind,
            form,
            makers,
            all: st.app.all_agencies().await.map_err(err)?,
            changes,
            manager: false,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn new_type(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    form_page(
        &st,
        &s,
        None,
        None,
        Default::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn edit(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<KeptQuery>,
) -> Result<Response, WebError> {
    let flash = flash_of(q.ok.as_deref());
    form_page(
        &st,
        &s,
        Some(id),
        None,
        Default::default(),
        flash,
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = type_form(&pairs);
    match st
        .app
        .create_repair_type(
            &s.0.principal,
            &type_input(&f),
            &f.custodian,
            &f.staff,
            &ctx,
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/items/repairs/{id}?ok=created")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, None, Some(f), (banner, errs), None, status).await
        }
    }
}

async fn update(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    s.check_csrf(pairs.one("_csrf"))?;
    let f = type_form(&pairs);
    match st
        .app
        .update_repair_type(&s.0.principal, id, &type_input(&f), &f.staff, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/items/repairs/{id}?ok=saved")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, Some(id), Some(f), (banner, errs), None, status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct PeriodQuery {
    pub from: String,
    pub until: String,
    pub page: u32,
}

/// The period asked (報修日期 from–until), or the last six months: from
/// the first of the month five months back until today, in Taipei.
pub(crate) fn period(q: &PeriodQuery, now: time::OffsetDateTime) -> (Date, Date) {
    let today = now.to_offset(TAIPEI).date();
    let mut start = today.replace_day(1).unwrap_or(today);
    for _ in 0..5 {
        start = start
            .previous_day()
            .and_then(|d| d.replace_day(1).ok())
            .unwrap_or(start);
    }
    (
        parse_date(q.from.trim()).unwrap_or(start),
        parse_date(q.until.trim()).unwrap_or(today),
    )
}

/// The charts' parts, in the page's language (fills dark enough on white).
fn series(en: bool) -> [Series<'static>; 3] {
    let name = |zh, e| if en { e } else { zh };
    [
        Series {
            name: name("待處理", "Pending"),
            fill: "#b45309",
        },
        Series {
            name: name("已處理", "Done"),
            fill: "#1d4ed8",
        },
        Series {
            name: name("已評分", "Rated"),
            fill: "#15803d",
        },
    ]
}

fn charts(stats: &RepairStats, en: bool) -> (String, String) {
    let series = series(en);
    let bars: Vec<Bar> = stats
        .periods
        .iter()
        .map(|p| Bar {
            label: p.label.clone(),
            values: vec![p.pending, p.done, p.rated],
        })
        .collect();
    let (from, until) = (date_str(stats.from), date_str(stats.until));
    let t = &stats.total;
    let (title, desc) = if en {
        (
            "Reports by state".to_owned(),
            format!(
                "{from} to {until}: {} reports, {} pending, {} handled ({} rated)",
                t.total, t.pending, t.handled, t.ratings
            ),
        )
    } else {
        (
            "報修案量及處理狀況".to_owned(),
            format!(
                "{from} 至 {until}，共 {} 件：待處理 {}、已處理 {}（其中已評分 {}）",
                t.total, t.pending, t.handled, t.ratings
            ),
        )
    };
    let by_period = chart::columns("per-chart", &title, &desc, &series, &bars);
    let units: Vec<Bar> = stats
        .units
        .iter()
        .map(|u| Bar {
            label: u.unit.clone(),
            values: vec![u.pending, u.handled],
        })
        .collect();
    let (title, desc) = if en {
        (
            "Reports by unit".to_owned(),
            format!(
                "{from} to {until}: pending and handled reports of {} units",
                stats.units.len()
            ),
        )
    } else {
        (
            "單位案件統計".to_owned(),
            format!(
                "{from} 至 {until}，{} 個報修單位的待處理與已處理件數",
                stats.units.len()
            ),
        )
    };
    let by_unit = chart::rows("unit-chart", &title, &desc, &series[..2], &units);
    (by_period, by_unit)
}

async fn status(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<PeriodQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let kind = st.app.repair_type_kept(p, id).await.map_err(err)?;
    let (from, until) = period(&q, st.app.now());
    // A typed date that is no date is told as such, not read as the default.
    let unread: Vec<FieldError> = [("from", &q.from), ("until", &q.until)]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty() && parse_date(v.trim()).is_none())
        .map(|(field, _)| FieldError {
            field,
            message: Msg::new(
                "請輸入正確的日期（如 2026-12-31）",
                "Enter a real date (such as 2026-12-31)",
            ),
        })
        .collect();
    let checked = if unread.is_empty() {
        st.app.repair_stats(p, id, (from, until)).await
    } else {
        Err(Error::Invalid(unread))
    };
    let (stats, errs, code) = match checked {
        Ok(x) => (x, vec![], StatusCode::OK),
        Err(Error::Invalid(e)) => (
            RepairStats::empty(from, until),
            e,
            crate::error::INVALID_INPUT,
        ),
        Err(e) => return Err(err(e)),
    };
    let page = if errs.is_empty() {
        st.app
            .type_repairs(p, id, (from, until), q.page.max(1))
            .await
            .map_err(err)?
    } else {
        portico_store::Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 20,
        }
    };
    let (by_period, by_unit) = charts(&stats, lang == portico_core::Lang::En);
    let (from, until) = (date_str(from), date_str(until));
    render_as(
        RepairStatusPage {
            c: Chrome::of(&s.0, "items-repairs"),
            kind,
            stats,
            query_string: format!("from={from}&until={until}"),
            from,
            until,
            by_period,
            by_unit,
            page,
            errs: Errors::new(errs, lang),
        },
        lang,
        code,
    )
}
