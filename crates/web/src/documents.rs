//! Official documents' attachments as pages (issue 17; seed 004 §肆 三,
//! §伍 四): `/documents/mine` (我的公文附件管理), `/documents/new` and
//! `/documents/{id}/edit` (the topic with its files), `/documents`
//! (公文附件下載區: agency, number and code, posted so the code stays out
//! of addresses and logs), and `/filedownload`, the signed-out page for
//! agencies outside the city.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed, visitor_lang};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::documents::TopicQuery;
use portico_core::document::{LookupInput, MAX_FILE, MAX_FILES, TopicInput};
use portico_core::files::DOCUMENT_KINDS;
use portico_core::{Error, FieldError, Msg};

pub fn router() -> Router<AppState> {
    let limit = DefaultBodyLimit::max(crate::announcements::MAX_UPLOAD);
    Router::new()
        .route("/documents", get(area).post(find))
        .route("/documents/mine", get(mine))
        .route("/documents/mine/export", get(export_mine))
        .route("/documents/new", get(new_form).post(create).layer(limit))
        .route(
            "/documents/{id}/edit",
            get(edit_form).post(update).layer(limit),
        )
        .route("/documents/{id}/delete", post(delete))
        .route("/documents/{id}/files/{file}", get(kept_file).post(file))
        .route("/documents/{id}/files/{file}/remove", post(remove_file))
        .route("/filedownload", get(public_page).post(public_lookup))
        .route("/filedownload/file", post(public_file))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "filed" => Msg::new(
            "公文主題已發布；請將公文字號與識別碼告知收文機關",
            "The topic is published; give the number and the code to the receiving agencies",
        ),
        "updated" => Msg::new("公文主題已更新", "The topic is updated"),
        "deleted" => Msg::new("公文主題已刪除", "The topic is deleted"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(flatten)]
    q: TopicQuery,
    page: u32,
    ok: Option<String>,
}

async fn mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (page, error, errs, status) = match st.app.my_topics(&s.0.principal, &q.q, q.page).await {
        Ok(p) => (p, String::new(), Vec::new(), StatusCode::OK),
        Err(e) => crate::announcements::refused_search(e, lang)?,
    };
    let query_string = format!(
        "q={}&from={}&to={}",
        crate::extract::urlencode(&q.q.q),
        crate::extract::urlencode(&q.q.from),
        crate::extract::urlencode(&q.q.to)
    );
    render_as(
        MyTopicsPage {
            c: Chrome::of(&s.0, "my-documents").with_flash(flash_of(q.ok.as_deref())),
            page,
            q: q.q,
            query_string,
            today: portico_core::booking::today(st.app.now()),
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    #[serde(flatten)]
    q: TopicQuery,
    format: String,
}

/// 我的公文附件管理 as xlsx or ODS, searched as the list is.
async fn export_mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let format =
        portico_app::export::Sheet::parse(&q.format).unwrap_or(portico_app::export::Sheet::Xlsx);
    let f = st
        .app
        .my_topics_sheet(&s.0.principal, &q.q, format)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::download(f, false))
}

async fn new_form(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let err = |e| WebError::page(e, s.lang());
    let form = TopicInput {
        word: st
            .app
            .last_document_word(&s.0.principal)
            .await
            .map_err(err)?,
        code: st.app.new_document_code().map_err(err)?,
        takedown: portico_core::time::date_str(
            portico_core::booking::today(st.app.now()) + time::Duration::days(30),
        ),
        public: "yes".into(),
        ..Default::default()
    };
    form_page(
        &st,
        &s,
        None,
        form,
        None,
        (String::new(), vec![]),
        StatusCode::OK,
    )
    .await
}

async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    mut form: TopicInput,
    flash: Option<Msg>,
    (error, errs): (String, Vec<FieldError>),
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let p = &s.0.principal;
    let (files, agency) = match id {
        Some(id) => {
            let v = st.app.topic_for_edit(p, id).await.map_err(err)?;
            // The code shown is the one kept, whatever was typed.
            form.code = v.topic.code.clone();
            (v.files, v.topic.agency_name)
        }
        None => (
            Vec::new(),
            st.app.borrower_agency_name(p).await.map_err(err)?,
        ),
    };
    render_as(
        TopicFormPage {
            c: Chrome::of(&s.0, "my-documents").with_flash(flash),
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

async fn read_topic_form(
    mp: Multipart,
    s: &Signed,
) -> Result<(TopicInput, Vec<portico_app::access::Upload>), WebError> {
    let mb = crate::announcements::MAX_UPLOAD / 1_048_576;
    let too_big = Error::invalid(
        "files",
        Msg::owned(
            format!(
                "上傳內容無法讀取：一次送出的檔案合計不可超過 {mb} MB，每個附件 {} MB",
                MAX_FILE / 1_048_576
            ),
            format!(
                "The upload could not be read: the files sent at once may total {mb} MB, each {} MB",
                MAX_FILE / 1_048_576
            ),
        ),
    );
    let (f, mut files): (Pairs, _) =
        crate::support::read_multipart(mp, s.lang(), &[("files", MAX_FILES)], 2_000, too_big)
            .await?;
    s.check_csrf(f.one("_csrf"))?;
    let form = TopicInput {
        word: f.one("word").into(),
        number: f.one("number").into(),
        branch: f.one("branch").into(),
        summary: f.one("summary").into(),
        code: f.one("code").into(),
        takedown: f.one("takedown").into(),
        public: f.one("public").into(),
    };
    Ok((form, files.pop().unwrap_or_default()))
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (form, files) = read_topic_form(mp, &s).await?;
    match st.app.file_topic(&s.0.principal, &form, files, &ctx).await {
        Ok(id) => Ok(Redirect::to(&format!("/documents/{id}/edit?ok=filed")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, None, form, None, (banner, errs), status).await
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
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let v = st
        .app
        .topic_for_edit(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let t = v.topic;
    let form = TopicInput {
        word: t.word,
        number: t.number,
        branch: t.branch,
        summary: t.summary,
        code: t.code,
        takedown: portico_core::time::date_str(t.takedown),
        public: if t.public { "yes" } else { "no" }.into(),
    };
    form_page(
        &st,
        &s,
        Some(id),
        form,
        flash_of(q.ok.as_deref()),
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
    let (form, files) = read_topic_form(mp, &s).await?;
    match st
        .app
        .edit_topic(&s.0.principal, id, &form, files, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/documents/{id}/edit?ok=updated")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, Some(id), form, None, (banner, errs), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    code: String,
}

async fn delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .delete_topic(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/documents/mine?ok=deleted").into_response())
}

async fn remove_file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .remove_topic_file(&s.0.principal, id, file, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("/documents/{id}/edit")).into_response())
}

/// A keeper's own file, from the edit page.
async fn kept_file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .topic_file(&s.0.principal, id, file, "", &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::stored_file(f))
}

/// A file from the download area, with the code that found it.
async fn file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let f = st
        .app
        .topic_file(&s.0.principal, id, file, &f.code, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::stored_file(f))
}

async fn area(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    area_page(
        &st,
        &s,
        AreaSearch::default(),
        None,
        (String::new(), vec![]),
        StatusCode::OK,
    )
    .await
}

async fn area_page(
    st: &AppState,
    s: &Signed,
    search: AreaSearch,
    found: Option<Vec<portico_app::documents::TopicView>>,
    (error, errs): (String, Vec<FieldError>),
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let agencies = st
        .app
        .all_agencies()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        DocumentAreaPage {
            c: Chrome::of(&s.0, "documents"),
            agencies,
            search,
            found,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn find(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let p = Pairs(p);
    s.check_csrf(p.one("_csrf"))?;
    let search = AreaSearch {
        agency: p.one("agency").into(),
        number: p.one("number").into(),
        code: p.one("code").into(),
    };
    let agency = search.agency.trim().parse::<i64>().unwrap_or(0);
    match st
        .app
        .find_topics(&s.0.principal, agency, &search.number, &search.code, &ctx)
        .await
    {
        Ok(found) => {
            area_page(
                &st,
                &s,
                search,
                Some(found),
                (String::new(), vec![]),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            area_page(&st, &s, search, None, (banner, errs), status).await
        }
    }
}

// ---- the signed-out page -------------------------------------------------------

fn lookup_of(p: &Pairs) -> LookupInput {
    LookupInput {
        word: p.one("word").into(),
        number: p.one("number").into(),
        branch: p.one("branch").into(),
        code: p.one("code").into(),
    }
}

async fn public_page(headers: HeaderMap) -> Result<Response, WebError> {
    public_render(
        visitor_lang(&headers),
        LookupInput::default(),
        None,
        (String::new(), vec![]),
        StatusCode::OK,
    )
}

fn public_render(
    lang: portico_core::Lang,
    mut form: LookupInput,
    found: Option<portico_app::documents::TopicView>,
    (error, errs): (String, Vec<FieldError>),
    status: StatusCode,
) -> Result<Response, WebError> {
    if found.is_none() {
        // A miss does not leave the code on the page.
        form.code = String::new();
    }
    render_as(
        PublicDownloadPage {
            c: Chrome::bare(lang),
            form,
            found,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn public_lookup(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let form = lookup_of(&Pairs(p));
    match st.app.public_lookup(&form, &ctx).await {
        Ok(v) => public_render(lang, form, Some(v), (String::new(), vec![]), StatusCode::OK),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, lang)?;
            public_render(lang, form, None, (banner, errs), status)
        }
    }
}

async fn public_file(
    State(st): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = visitor_lang(&headers);
    let p = Pairs(p);
    let form = lookup_of(&p);
    let file = p.one("file").trim().parse::<i64>().unwrap_or(0);
    match st.app.public_file(&form, file, &ctx).await {
        Ok(f) => Ok(crate::support::stored_file(f)),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, lang)?;
            public_render(lang, form, None, (banner, errs), status)
        }
    }
}
