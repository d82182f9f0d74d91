//! What every kept item's page shares (場地, 公務車, 派遣司機, 報修類型):
//! setting a custodian (保管人設定; a driver's 管理人), removing it, and
//! exporting its custodian changes and its records (借用紀錄, 派遣紀錄; a
//! repair type's reports in the seed's 報表 columns) in xlsx or ODS.
//! `/items/{venues|cars|drivers|repairs}/{id}/…`.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::Pairs;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::access::Upload;
use portico_app::bookings::MAX_ITEM_PHOTOS;
use portico_core::Error;
use portico_core::Msg;
use portico_core::booking::Kind;
use portico_core::repair::MAX_PHOTO;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items/{kinds}/{id}/custodian", post(custodian))
        .route("/items/{kinds}/{id}/remove", post(remove))
        .route("/items/{kinds}/{id}/changes", get(changes))
        .route("/items/{kinds}/{id}/records", get(records))
        .route(
            "/items/{kinds}/{id}/photos",
            // Every photo at its limit, and the form's token.
            post(add_photos).layer(DefaultBodyLimit::max(
                MAX_ITEM_PHOTOS * MAX_PHOTO + 64 * 1024,
            )),
        )
        .route("/items/{kinds}/{id}/photos/{n}", get(photo))
        .route("/items/{kinds}/{id}/photos/{n}/remove", post(remove_photo))
}

/// A multipart form's text fields, and its files under `files` (at most
/// `max` + 1 kept, so one too many is still told).
pub(crate) async fn read_upload_form(
    mp: Multipart,
    lang: portico_core::Lang,
    files: &str,
    max: usize,
) -> Result<(Pairs, Vec<Upload>), WebError> {
    let too_big = Error::invalid(
        "photos",
        Msg::owned(
            format!(
                "上傳內容無法讀取，照片可能超過 {} MB",
                MAX_PHOTO / 1_048_576
            ),
            format!(
                "The upload could not be read; a photo may exceed {} MB",
                MAX_PHOTO / 1_048_576
            ),
        ),
    );
    let (fields, mut uploads) =
        crate::support::read_multipart(mp, lang, &[(files, max)], 2_000, too_big).await?;
    Ok((fields, uploads.pop().unwrap_or_default()))
}

/// The keeper's form page of an item, shown again with what was refused
/// (as `error::split` gives it).
async fn kept_form_again(
    st: &AppState,
    s: &Signed,
    kind: Kind,
    id: i64,
    (errs, banner, status): (
        Vec<portico_core::FieldError>,
        String,
        axum::http::StatusCode,
    ),
) -> Result<Response, WebError> {
    match kind {
        Kind::Venue => {
            crate::venues::form_page(st, s, Some(id), None, banner, errs, None, status).await
        }
        Kind::Car => {
            crate::cars::car_form_page(st, s, Some(id), None, banner, errs, None, status).await
        }
        Kind::Driver => {
            crate::cars::driver_form_page(st, s, Some(id), None, banner, errs, None, status).await
        }
        Kind::Repair => {
            crate::repair_types::form_page(st, s, Some(id), None, (banner, errs), None, status)
                .await
        }
    }
}

async fn add_photos(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&k).map_err(|e| WebError::page(e, lang))?;
    let (fields, photos) = read_upload_form(mp, lang, "photos", MAX_ITEM_PHOTOS).await?;
    s.check_csrf(fields.one("_csrf"))?;
    match st
        .app
        .add_item_photos(&s.0.principal, kind, id, photos, &ctx)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/items/{}/{id}?ok=photos#photos", kinds(kind))).into_response(),
        ),
        Err(e) => {
            let split = crate::error::split(e, lang)?;
            kept_form_again(&st, &s, kind, id, split).await
        }
    }
}

async fn remove_photo(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((k, id, n)): Path<(String, i64, i64)>,
    Form(f): Form<crate::support::CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    let kind = kind_of(&k).map_err(|e| WebError::page(e, lang))?;
    st.app
        .remove_item_photo(&s.0.principal, kind, id, n, &ctx)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(Redirect::to(&format!(
        "/items/{}/{id}?ok=photo_removed#photos",
        kinds(kind)
    ))
    .into_response())
}

/// A photo of a venue or car, for its keepers and those who may borrow it.
async fn photo(
    State(st): State<AppState>,
    s: Signed,
    Path((k, id, n)): Path<(String, i64, i64)>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&k).map_err(|e| WebError::page(e, lang))?;
    let f = st
        .app
        .item_photo(&s.0.principal, kind, id, n)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(crate::support::photo(f, "private, max-age=300"))
}

/// The kind a path names, or not found.
fn kind_of(kinds: &str) -> Result<Kind, Error> {
    match kinds {
        "venues" => Ok(Kind::Venue),
        "cars" => Ok(Kind::Car),
        "drivers" => Ok(Kind::Driver),
        "repairs" => Ok(Kind::Repair),
        _ => Err(Error::NotFound),
    }
}

/// The path segment of a kind's pages.
pub(crate) fn kinds(kind: Kind) -> &'static str {
    match kind {
        Kind::Venue => "venues",
        Kind::Car => "cars",
        Kind::Driver => "drivers",
        Kind::Repair => "repairs",
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CustodianForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    position: i64,
    to: String,
    reason: String,
}

async fn custodian(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
    Form(f): Form<CustodianForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let kind = kind_of(&k).map_err(|e| WebError::page(e, s.lang()))?;
    match st
        .app
        .set_custodian(&s.0.principal, kind, id, f.position, &f.to, &f.reason, &ctx)
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/items/{}/{id}?ok=custodian#keepers", kinds(kind)))
                .into_response(),
        ),
        Err(e) => {
            let split = crate::error::split(e, s.lang())?;
            kept_form_again(&st, &s, kind, id, split).await
        }
    }
}

async fn remove(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((k, id)): Path<(String, i64)>,
    Form(f): Form<crate::support::CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let kind = kind_of(&k).map_err(|e| WebError::page(e, s.lang()))?;
    st.app
        .remove_item(&s.0.principal, kind, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("/items/{}?ok=removed", kinds(kind))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: String,
    from: String,
    until: String,
}

async fn changes(
    State(st): State<AppState>,
    s: Signed,
    Path((k, id)): Path<(String, i64)>,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&k).map_err(|e| WebError::page(e, lang))?;
    let format = portico_app::export::Sheet::parse(&q.format)
        .ok_or_else(|| WebError::page(Error::NotFound, lang))?;
    let f = st
        .app
        .changes_sheet(&s.0.principal, kind, id, format)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(crate::support::download(f, false))
}

/// An item's approved bookings between two dates (借用日期), exported.
async fn records(
    State(st): State<AppState>,
    s: Signed,
    Path((k, id)): Path<(String, i64)>,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&k).map_err(|e| WebError::page(e, lang))?;
    let format = portico_app::export::Sheet::parse(&q.format)
        .ok_or_else(|| WebError::page(Error::NotFound, lang))?;
    if kind == Kind::Repair {
        let period = crate::repair_types::period(
            &crate::repair_types::PeriodQuery {
                from: q.from,
                until: q.until,
                page: 1,
            },
            st.app.now(),
        );
        let f = st
            .app
            .repair_sheet(&s.0.principal, id, period, format)
            .await
            .map_err(|e| WebError::page(e, lang))?;
        return Ok(crate::support::download(f, false));
    }
    let f = st
        .app
        .item_records_sheet(
            &s.0.principal,
            kind,
            id,
            crate::venues::date_range(&q.from, &q.until),
            format,
        )
        .await
        .map_err(|e| WebError::page(e, lang))?;
    Ok(crate::support::download(f, false))
}
