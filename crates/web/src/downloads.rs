//! 檔案下載區 as pages (issue 17; seed 004 §伍 三): `/downloads` with its
//! tabs 全府檔案, 本機關檔案 and 我的檔案 (`?tab=`), the keyword and the
//! advanced search; `/downloads/new` (新增檔案); `/downloads/{id}` (詳細,
//! 下載); `/downloads/{id}/edit`, `/delete`, `/keep` (保留).
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::downloads::DownloadQuery;
use portico_core::download::{DownloadInput, MAX_FILE, MAX_FILES};
use portico_core::files::DOCUMENT_KINDS;
use portico_core::{Error, FieldError, Msg};
use portico_store::downloads::Tab;

pub fn router() -> Router<AppState> {
    let limit = DefaultBodyLimit::max(crate::announcements::MAX_UPLOAD);
    Router::new()
        .route("/downloads", get(index))
        .route("/downloads/new", get(new_form).post(create).layer(limit))
        .route("/downloads/{id}", get(entry))
        .route(
            "/downloads/{id}/edit",
            get(edit_form).post(update).layer(limit),
        )
        .route("/downloads/{id}/delete", post(delete))
        .route("/downloads/{id}/keep", post(keep))
        .route("/downloads/{id}/files/{file}", get(file))
        .route("/downloads/{id}/files/{file}/remove", post(remove_file))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "shared" => Msg::new(
            "檔案上傳成功，已新增至檔案下載區",
            "The file is shared in the file area",
        ),
        "updated" => Msg::new("更新成功", "Updated"),
        "deleted" => Msg::new("檔案已刪除", "The file is deleted"),
        "kept" => Msg::new("保留設定已儲存", "The keep setting is saved"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(flatten)]
    q: DownloadQuery,
    page: u32,
    ok: Option<String>,
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let tab = Tab::parse(&q.q.tab);
    let (page, error, errs, status) = match st.app.downloads(&s.0.principal, &q.q, q.page).await {
        Ok(p) => (p, String::new(), Vec::new(), StatusCode::OK),
        Err(e) => crate::announcements::refused_search(e, lang)?,
    };
    let agencies = st
        .app
        .all_agencies()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let enc = crate::extract::urlencode;
    let query_string = format!(
        "tab={}&q={}&category={}&agency={}&from={}&to={}",
        tab.as_str(),
        enc(&q.q.q),
        enc(&q.q.category),
        enc(&q.q.agency),
        enc(&q.q.from),
        enc(&q.q.to)
    );
    let advanced = [&q.q.category, &q.q.agency, &q.q.from, &q.q.to]
        .iter()
        .any(|v| !v.is_empty());
    render_as(
        DownloadsPage {
            c: Chrome::of(&s.0, "downloads").with_flash(flash_of(q.ok.as_deref())),
            tab: tab.as_str(),
            page,
            q: q.q,
            agencies,
            advanced,
            query_string,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn entry(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let v = st
        .app
        .download_entry(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    render_as(
        DownloadEntryPage {
            c: Chrome::of(&s.0, "downloads").with_flash(flash_of(q.ok.as_deref())),
            v,
        },
        s.lang(),
        StatusCode::OK,
    )
}

async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: DownloadInput,
    (error, errs): (String, Vec<FieldError>),
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let p = &s.0.principal;
    let (files, agency) = match id {
        Some(id) => {
            let v = st.app.download_entry(p, id).await.map_err(err)?;
            if !v.keeper {
                return Err(WebError::page(Error::NotFound, lang));
            }
            (v.files, v.entry.agency_name)
        }
        None => (
            Vec::new(),
            st.app.borrower_agency_name(p).await.map_err(err)?,
        ),
    };
    render_as(
        DownloadFormPage {
            c: Chrome::of(&s.0, "downloads"),
            id,
            form,
            files,
            agency,
            max_files: MAX_FILES,
            max_mb: MAX_FILE / 1_048_576,
            kinds: DOCUMENT_KINDS,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn new_form(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let form = DownloadInput {
        scope: "city".into(),
        ..Default::default()
    };
    form_page(&st, &s, None, form, (String::new(), vec![]), StatusCode::OK).await
}

async fn read_form(
    mp: Multipart,
    s: &Signed,
) -> Result<(DownloadInput, Vec<portico_app::access::Upload>), WebError> {
    let mb = crate::announcements::MAX_UPLOAD / 1_048_576;
    let each = MAX_FILE / 1_048_576;
    let too_big = Error::invalid(
        "files",
        Msg::owned(
            format!("上傳內容無法讀取：一次送出的檔案合計不可超過 {mb} MB，每個檔案 {each} MB"),
            format!(
                "The upload could not be read: the files sent at once may total {mb} MB, each {each} MB"
            ),
        ),
    );
    let (f, mut files): (Pairs, _) =
        crate::support::read_multipart(mp, s.lang(), &[("files", MAX_FILES)], 2_000, too_big)
            .await?;
    s.check_csrf(f.one("_csrf"))?;
    let form = DownloadInput {
        description: f.one("description").into(),
        category: f.one("category").into(),
        scope: f.one("scope").into(),
    };
    Ok((form, files.pop().unwrap_or_default()))
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (form, files) = read_form(mp, &s).await?;
    match st
        .app
        .share_download(&s.0.principal, &form, files, &ctx)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/downloads/{id}?ok=shared")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, None, form, (banner, errs), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EditQuery {
    ok: Option<String>,
}

async fn edit_form(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = st
        .app
        .download_entry(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let form = DownloadInput {
        description: v.entry.description,
        category: v.entry.category,
        scope: v.entry.scope.as_str().into(),
    };
    form_page(
        &st,
        &s,
        Some(id),
        form,
        (String::new(), vec![]),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (form, files) = read_form(mp, &s).await?;
    match st
        .app
        .edit_download(&s.0.principal, id, &form, files, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/downloads/{id}?ok=updated")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, Some(id), form, (banner, errs), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct KeepForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    keep: String,
    /// Where to go back to (the list's own address).
    back: String,
}

async fn delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<KeepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .delete_download(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/downloads?tab=mine&ok=deleted").into_response())
}

async fn keep(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<KeepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .keep_download(&s.0.principal, id, f.keep == "yes", &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let back = if f.back.is_empty() {
        "/downloads?tab=mine".to_owned()
    } else {
        crate::support::safe_next(Some(&f.back))
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{sep}ok=kept#d-{id}")).into_response())
}

async fn file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .download_file(&s.0.principal, id, file, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::stored_file(f))
}

async fn remove_file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<KeepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .remove_download_file(&s.0.principal, id, file, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("/downloads/{id}/edit")).into_response())
}
