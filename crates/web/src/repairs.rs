//! Repair requests as pages (issue 16; seed 004 §捌 一, 表 2): `/repairs`
//! (線上報修: the types a person may report on), `/repairs/types/{id}`
//! (報修類型詳細頁 with the person's reports and 新增報修), `/repairs/mine`
//! (我的維修), `/repairs/{id}` (the report with 處理狀況回覆, rating and
//! return, or the staff's reply) and `/repairs/work` (報修處理狀況回報).
//! The keeper's pages are in `repair_types.rs`.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::repair::{MAX_PHOTO, MAX_PHOTOS, RepairState, ReportInput};
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repairs", get(index))
        .route("/repairs/mine", get(mine))
        .route("/repairs/work", get(work))
        .route("/repairs/types/{id}", get(kind))
        .route(
            "/repairs/types/{id}/new",
            get(new_report)
                // Every photo at its limit, and the form's fields.
                .post(report)
                .layer(DefaultBodyLimit::max(MAX_PHOTOS * MAX_PHOTO + 256 * 1024)),
        )
        .route("/repairs/{id}", get(case))
        .route("/repairs/{id}/reply", post(reply))
        .route("/repairs/{id}/rate", post(rate))
        .route("/repairs/{id}/return", post(give_back))
        .route("/repairs/{id}/photos/{n}", get(photo))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "reported" => Msg::new(
            "報修已送出，維修人員會收到通知；處理狀況請見下方",
            "Reported; the repair staff are told. Follow it below",
        ),
        "replied" => Msg::new(
            "已回報處理狀況，報修人會收到通知",
            "Replied; the reporter is told",
        ),
        "rated" => Msg::new("已評分，謝謝您的回饋", "Rated; thank you"),
        "returned" => Msg::new(
            "已退回，維修人員會收到通知重新處理",
            "Returned; the repair staff are told to handle it again",
        ),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    state: String,
    page: u32,
    ok: Option<String>,
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let types = st
        .app
        .reportable_types(&s.0.principal, &q.q)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        RepairsPage {
            c: Chrome::of(&s.0, "repairs"),
            types,
            q: q.q,
        },
        lang,
        StatusCode::OK,
    )
}

async fn kind(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let kind = st.app.reportable_type(p, id).await.map_err(err)?;
    let page = st
        .app
        .my_repairs(p, Some(id), &[], q.page.max(1))
        .await
        .map_err(err)?;
    render_as(
        RepairTypePage {
            c: Chrome::of(&s.0, "repairs"),
            kind,
            page,
            query_string: String::new(),
        },
        lang,
        StatusCode::OK,
    )
}

async fn mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let states: Vec<RepairState> = RepairState::parse(&q.state).into_iter().collect();
    let page = st
        .app
        .my_repairs(p, None, &states, q.page.max(1))
        .await
        .map_err(err)?;
    let work = st.app.repairs_anything(p).await.map_err(err)?;
    render_as(
        MyRepairsPage {
            c: Chrome::of(&s.0, "repairs"),
            page,
            query_string: format!("state={}", crate::extract::urlencode(&q.state)),
            state: q.state,
            work,
        },
        lang,
        StatusCode::OK,
    )
}

async fn work(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    // Pending first: what waits for the staff is what they come for.
    let state = if q.state.is_empty() {
        "pending".to_owned()
    } else {
        q.state
    };
    let states: Vec<RepairState> = RepairState::parse(&state).into_iter().collect();
    let page = st
        .app
        .repair_work(&s.0.principal, &states, &q.q, q.page.max(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        RepairWorkPage {
            c: Chrome::of(&s.0, "repair-work"),
            page,
            query_string: format!(
                "q={}&state={}",
                crate::extract::urlencode(&q.q),
                crate::extract::urlencode(&state)
            ),
            q: q.q,
            state,
        },
        lang,
        StatusCode::OK,
    )
}

async fn new_report(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    // The office phone on the person's account, to call back on.
    let me = st
        .app
        .me(&s.0)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let form = ReportInput {
        phone: me.account.office_phone,
        ..Default::default()
    };
    report_page(&st, &s, id, form, String::new(), vec![], StatusCode::OK).await
}

async fn report_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    form: ReportInput,
    error: String,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let kind = st.app.reportable_type(p, id).await.map_err(err)?;
    let unit = st.app.borrower_agency_name(p).await.map_err(err)?;
    render_as(
        ReportFormPage {
            c: Chrome::of(&s.0, "repairs"),
            kind,
            form,
            reporter: format!("{}（{}）", p.name(), p.login()),
            unit,
            max_photos: MAX_PHOTOS,
            max_photo_mb: MAX_PHOTO / 1_048_576,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn report(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (fields, photos) = crate::items::read_upload_form(mp, lang, "photos", MAX_PHOTOS).await?;
    s.check_csrf(fields.one("_csrf"))?;
    let form = ReportInput {
        location: fields.one("location").to_owned(),
        floor: fields.one("floor").to_owned(),
        fault: fields.one("fault").to_owned(),
        phone: fields.one("phone").to_owned(),
        ext: fields.one("ext").to_owned(),
    };
    match st
        .app
        .report_repair(&s.0.principal, id, &form, photos, &ctx)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/repairs/{r}?ok=reported")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, lang)?;
            report_page(&st, &s, id, form, banner, errs, status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CaseQuery {
    ok: Option<String>,
}

async fn case(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<CaseQuery>,
) -> Result<Response, WebError> {
    let flash = flash_of(q.ok.as_deref());
    case_page(&st, &s, id, flash, (String::new(), vec![]), String::new()).await
}

async fn case_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    flash: Option<Msg>,
    (error, errs): (String, Vec<FieldError>),
    typed: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let case = st
        .app
        .repair_case(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let nav = if case.reporter {
        "repairs"
    } else if case.staff {
        "repair-work"
    } else {
        "items-repairs"
    };
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    render_as(
        RepairCasePage {
            c: Chrome::of(&s.0, nav).with_flash(flash),
            case,
            error,
            errs: Errors::new(errs, lang),
            typed,
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StepForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    result: String,
    category: String,
    score: String,
    note: String,
    reason: String,
}

/// After a step: the report again, with the flash, or the form's faults.
async fn after(
    st: &AppState,
    s: &Signed,
    id: i64,
    done: Result<(), Error>,
    ok: &str,
    typed: String,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/repairs/{id}?ok={ok}")).into_response()),
        Err(e) => {
            let (errs, banner, _) = crate::error::split(e, s.lang())?;
            case_page(st, s, id, None, (banner, errs), typed).await
        }
    }
}

async fn reply(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .reply_repair(&s.0.principal, id, &f.result, &f.category, &ctx)
        .await;
    after(&st, &s, id, done, "replied", f.result).await
}

async fn rate(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .rate_repair(&s.0.principal, id, &f.score, &f.note, &ctx)
        .await;
    after(&st, &s, id, done, "rated", String::new()).await
}

async fn give_back(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .return_repair(&s.0.principal, id, &f.reason, &ctx)
        .await;
    after(&st, &s, id, done, "returned", f.reason).await
}

async fn photo(
    State(st): State<AppState>,
    s: Signed,
    Path((id, n)): Path<(i64, usize)>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .repair_photo(&s.0.principal, id, n)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::photo(f, "private, no-store"))
}
