//! Announcements as pages (issue 17; seed 004 §肆 二 我的公告管理, §伍 一
//! 公告專區): `/announcements` (what the person may read, searched),
//! `/announcements/{id}` (a post, its files and comments),
//! `/announcements/mine` (the author's tabs), `/announcements/new` and
//! `/announcements/{id}/edit` (the form, with attachments and images).
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::announcements::{PostQuery, PostUploads};
use portico_core::announcement::{
    MAX_ATTACHMENT, MAX_ATTACHMENTS, MAX_IMAGE, MAX_IMAGES, PostInput, Reach,
};
use portico_core::files::DOCUMENT_KINDS;
use portico_core::{Error, FieldError, Msg};

/// The most one form's upload carries, files and fields together.
pub(crate) const MAX_UPLOAD: usize = 60 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/announcements", get(index))
        .route("/announcements/mine", get(mine))
        .route("/announcements/mine/export", get(export_mine))
        .route(
            "/announcements/new",
            get(new_form)
                .post(create)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/announcements/{id}", get(show))
        .route(
            "/announcements/{id}/edit",
            get(edit_form)
                .post(update)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/announcements/{id}/take-down", post(take_down))
        .route("/announcements/{id}/delete", post(delete))
        .route("/announcements/{id}/files/{file}", get(file))
        .route("/announcements/{id}/files/{file}/remove", post(remove_file))
        .route("/announcements/{id}/comments", post(comment))
        .route("/announcements/{id}/comments/{comment}/reply", post(reply))
        .route("/announcements/{id}/comments/{comment}/hide", post(hide))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "posted" => Msg::new("公告已發布", "The announcement is posted"),
        "scheduled" => Msg::new(
            "公告已預約發布，時間一到即出現在公告專區",
            "The announcement is scheduled; it appears when its time comes",
        ),
        "kept" => Msg::new(
            "公告已儲存為未發布；編輯並選擇發布方式即可發布",
            "The announcement is saved unpublished; edit it and choose how to publish it",
        ),
        "updated" => Msg::new("公告已更新", "The announcement is updated"),
        "taken-down" => Msg::new(
            "公告已下架，改為未發布",
            "The announcement is taken down and unpublished",
        ),
        "deleted" => Msg::new("公告已刪除", "The announcement is deleted"),
        "file-removed" => Msg::new("檔案已移除", "The file is removed"),
        "commented" => Msg::new("留言已送出", "Your comment is posted"),
        "replied" => Msg::new("回覆已新增", "Your reply is added"),
        "hidden" => Msg::new("留言已移除", "The comment is removed"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(flatten)]
    q: PostQuery,
    page: u32,
    ok: Option<String>,
}

fn query_string(q: &PostQuery) -> String {
    format!(
        "status={}&q={}&reach={}&from={}&to={}",
        crate::extract::urlencode(&q.status),
        crate::extract::urlencode(&q.q),
        crate::extract::urlencode(&q.reach),
        crate::extract::urlencode(&q.from),
        crate::extract::urlencode(&q.to)
    )
}

/// A list whose search was refused: empty, with the search's faults.
pub(crate) fn refused_search<T>(
    e: Error,
    lang: portico_core::Lang,
) -> Result<(portico_store::Page<T>, String, Vec<FieldError>, StatusCode), WebError> {
    let (errs, banner, status) = crate::error::split(e, lang)?;
    Ok((portico_store::Page::empty(20), banner, errs, status))
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (page, error, errs, status) = match st.app.announcements(&s.0.principal, &q.q, q.page).await
    {
        Ok(p) => (p, String::new(), Vec::new(), StatusCode::OK),
        Err(e) => refused_search(e, lang)?,
    };
    render_as(
        AnnouncementsPage {
            c: Chrome::of(&s.0, "announcements").with_flash(flash_of(q.ok.as_deref())),
            page,
            query_string: query_string(&q.q),
            q: q.q,
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (page, error, errs, status) =
        match st.app.my_announcements(&s.0.principal, &q.q, q.page).await {
            Ok(p) => (p, String::new(), Vec::new(), StatusCode::OK),
            Err(e) => refused_search(e, lang)?,
        };
    render_as(
        MyAnnouncementsPage {
            c: Chrome::of(&s.0, "my-announcements").with_flash(flash_of(q.ok.as_deref())),
            page,
            query_string: query_string(&q.q),
            q: q.q,
            now: st.app.now(),
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
    q: PostQuery,
    format: String,
}

/// 我所發布的公告 as xlsx or ODS, searched as the list is.
async fn export_mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let format =
        portico_app::export::Sheet::parse(&q.format).unwrap_or(portico_app::export::Sheet::Xlsx);
    let f = st
        .app
        .my_announcements_sheet(&s.0.principal, &q.q, format)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::download(f, false))
}

fn limits() -> PostLimits {
    PostLimits {
        attachments: MAX_ATTACHMENTS,
        attachment_mb: MAX_ATTACHMENT / 1_048_576,
        images: MAX_IMAGES,
        image_mb: MAX_IMAGE / 1_048_576,
        kinds: DOCUMENT_KINDS,
    }
}

async fn new_form(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let form = PostInput {
        reach: Reach::Agency.as_str().into(),
        release: "now".into(),
        ..Default::default()
    };
    form_page(&st, &s, None, form, (String::new(), vec![]), StatusCode::OK).await
}

async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    mut form: PostInput,
    (error, errs): (String, Vec<FieldError>),
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let err = |e| WebError::page(e, lang);
    let (files, agency) = match id {
        Some(id) => {
            let v = st.app.announcement_for_edit(p, id).await.map_err(err)?;
            (v.files, v.post.agency_name)
        }
        None => (
            Vec::new(),
            st.app.borrower_agency_name(p).await.map_err(err)?,
        ),
    };
    // What the editor shows again is the cleaned text: raw markup typed
    // into a refused form never reaches the page's editor.
    if !form.body.is_empty() {
        form.body = portico_core::richtext::clean_html(&form.body);
    }
    render_as(
        AnnouncementFormPage {
            c: Chrome::of(&s.0, "my-announcements"),
            id,
            form,
            files,
            agency,
            limits: limits(),
            error,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

/// The post's form and files as a multipart body sends them.
async fn read_post_form(mp: Multipart, s: &Signed) -> Result<(PostInput, PostUploads), WebError> {
    let too_big = Error::invalid(
        "attachments",
        Msg::owned(
            format!(
                "上傳內容無法讀取：一次送出的檔案合計不可超過 {} MB，每個附件 {} MB、每張圖片 {} MB",
                MAX_UPLOAD / 1_048_576,
                MAX_ATTACHMENT / 1_048_576,
                MAX_IMAGE / 1_048_576
            ),
            format!(
                "The upload could not be read: the files sent at once may total {} MB, each attachment {} MB and each image {} MB",
                MAX_UPLOAD / 1_048_576,
                MAX_ATTACHMENT / 1_048_576,
                MAX_IMAGE / 1_048_576
            ),
        ),
    );
    let (fields, mut files): (Pairs, _) = crate::support::read_multipart(
        mp,
        s.lang(),
        &[("attachments", MAX_ATTACHMENTS), ("images", MAX_IMAGES)],
        200_000,
        too_big,
    )
    .await?;
    s.check_csrf(fields.one("_csrf"))?;
    let images = files.pop().unwrap_or_default();
    let attachments = files.pop().unwrap_or_default();
    let form = PostInput {
        title: fields.one("title").to_owned(),
        body: fields.one("body").to_owned(),
        reach: fields.one("reach").to_owned(),
        release: fields.one("release").to_owned(),
        at: fields.one("at").to_owned(),
    };
    Ok((
        form,
        PostUploads {
            attachments,
            images,
        },
    ))
}

fn released_flash(form: &PostInput) -> &'static str {
    match form.release.as_str() {
        "at" => "scheduled",
        "draft" => "kept",
        _ => "posted",
    }
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (form, uploads) = read_post_form(mp, &s).await?;
    match st
        .app
        .post_announcement(&s.0.principal, &form, uploads, &ctx)
        .await
    {
        Ok(id) => Ok(
            Redirect::to(&format!("/announcements/{id}?ok={}", released_flash(&form)))
                .into_response(),
        ),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, None, form, (banner, errs), status).await
        }
    }
}

async fn edit_form(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = st
        .app
        .announcement_for_edit(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let scheduled = v.status == portico_core::announcement::Status::Scheduled;
    let form = PostInput {
        title: v.post.title,
        body: v.post.body_html,
        reach: v.post.reach.as_str().into(),
        release: match v.status {
            portico_core::announcement::Status::Published => "now",
            portico_core::announcement::Status::Scheduled => "at",
            portico_core::announcement::Status::Unpublished => "draft",
        }
        .into(),
        at: match v.post.publish_at {
            Some(t) if scheduled => portico_core::time::datetime_local(t),
            _ => String::new(),
        },
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
    let (form, uploads) = read_post_form(mp, &s).await?;
    match st
        .app
        .edit_announcement(&s.0.principal, id, &form, uploads, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/announcements/{id}?ok=updated")).into_response()),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            form_page(&st, &s, Some(id), form, (banner, errs), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    ok: Option<String>,
}

async fn show(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ShowQuery>,
) -> Result<Response, WebError> {
    post_page(
        &st,
        &s,
        id,
        flash_of(q.ok.as_deref()),
        (String::new(), vec![]),
        String::new(),
    )
    .await
}

async fn post_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    flash: Option<Msg>,
    (error, errs): (String, Vec<FieldError>),
    typed: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let v = st
        .app
        .read_announcement(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    let nav = if v.author {
        "my-announcements"
    } else {
        "announcements"
    };
    render_as(
        AnnouncementPage {
            c: Chrome::of(&s.0, nav).with_flash(flash),
            v,
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
    text: String,
}

/// After a step on a post: where it leads, with the flash, or the post's
/// page again with what was refused.
async fn after(
    st: &AppState,
    s: &Signed,
    id: i64,
    done: Result<(), Error>,
    to: String,
    typed: String,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(Error::NotFound) => Err(WebError::page(Error::NotFound, s.lang())),
        Err(e) => {
            let (errs, banner, _) = crate::error::split(e, s.lang())?;
            post_page(st, s, id, None, (banner, errs), typed).await
        }
    }
}

async fn take_down(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .take_down_announcement(&s.0.principal, id, &ctx)
        .await;
    after(
        &st,
        &s,
        id,
        done,
        format!("/announcements/{id}?ok=taken-down"),
        String::new(),
    )
    .await
}

async fn delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st.app.delete_announcement(&s.0.principal, id, &ctx).await;
    after(
        &st,
        &s,
        id,
        done,
        "/announcements/mine?ok=deleted".into(),
        String::new(),
    )
    .await
}

async fn file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .announcement_file(&s.0.principal, id, file, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::stored_file(f))
}

async fn remove_file(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .remove_announcement_file(&s.0.principal, id, file, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("/announcements/{id}/edit")).into_response())
}

async fn comment(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .comment_announcement(&s.0.principal, id, &f.text, &ctx)
        .await
        .map(|c| format!("/announcements/{id}?ok=commented#comment-{c}"));
    match done {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => after(&st, &s, id, Err(e), String::new(), f.text).await,
    }
}

async fn reply(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, comment)): Path<(i64, i64)>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st
        .app
        .reply_comment(&s.0.principal, id, comment, &f.text, &ctx)
        .await;
    after(
        &st,
        &s,
        id,
        done,
        format!("/announcements/{id}?ok=replied#comment-{comment}"),
        String::new(),
    )
    .await
}

async fn hide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, comment)): Path<(i64, i64)>,
    Form(f): Form<StepForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let done = st.app.hide_comment(&s.0.principal, id, comment, &ctx).await;
    after(
        &st,
        &s,
        id,
        done,
        format!("/announcements/{id}?ok=hidden#comments-h"),
        String::new(),
    )
    .await
}
