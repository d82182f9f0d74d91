//! The portal's content in the API (issue 17): announcements — read,
//! searched, posted, edited, taken down, deleted, their files downloaded,
//! commented, answered — and what system admins publish: notices, the FAQ,
//! the links. The same use cases as the pages, with their checks and audit.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::announcements::{PostQuery, PostUploads};
use portico_core::announcement::PostInput;
use portico_core::content::{FaqInput, LinkInput, NoticeInput};
use portico_store::content::LinkPlace;
use serde_json::{Value, json};

use super::{ApiResult, ok, page, text};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct PostsQuery {
    #[serde(flatten)]
    q: PostQuery,
    page: u32,
}

/// 公告專區: what the caller may read, newest first.
pub(super) async fn announcements(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<PostsQuery>,
) -> ApiResult {
    page(
        st.app
            .announcements(&s.principal, &q.q, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// 我所發布的公告, by tab (`status`).
pub(super) async fn my_announcements(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<PostsQuery>,
) -> ApiResult {
    page(
        st.app
            .my_announcements(&s.principal, &q.q, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct PostBody {
    title: Value,
    body: Value,
    reach: Value,
    release: Value,
    at: Value,
}

impl PostBody {
    fn input(&self) -> PostInput {
        PostInput {
            title: text(&self.title),
            body: text(&self.body),
            reach: text(&self.reach),
            release: text(&self.release),
            at: text(&self.at),
        }
    }
}

/// 發布新公告 (files go through the page).
pub(super) async fn post_announcement(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<PostBody>,
) -> ApiResult {
    let id = st
        .app
        .post_announcement(&s.principal, &b.input(), PostUploads::default(), &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "announcement": id })).into_response())
}

/// A post with its files, comments and what the caller may do.
pub(super) async fn announcement(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let v = st
        .app
        .read_announcement(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({
        "announcement": v.post,
        "status": v.status,
        "files": v.files,
        "comments": v.comments,
        "author": v.author,
        "moderator": v.moderator,
    }))
    .into_response())
}

/// 編輯: the author rewrites the post.
pub(super) async fn edit_announcement(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<PostBody>,
) -> ApiResult {
    st.app
        .edit_announcement(&s.principal, id, &b.input(), PostUploads::default(), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// 下架.
pub(super) async fn take_down_announcement(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .take_down_announcement(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// 刪除, with its comments and files.
pub(super) async fn delete_announcement(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_announcement(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// One of a post's files, as the page serves it (audited for attachments).
pub(super) async fn announcement_file(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, file)): Path<(i64, i64)>,
) -> ApiResult {
    let f = st
        .app
        .announcement_file(&s.principal, id, file, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(crate::support::stored_file(f))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct TextBody {
    text: Value,
}

/// 確定留言.
pub(super) async fn comment(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<TextBody>,
) -> ApiResult {
    let c = st
        .app
        .comment_announcement(&s.principal, id, &text(&b.text), &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "comment": c })).into_response())
}

/// 回覆: the author answers a comment.
pub(super) async fn reply_comment(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, comment)): Path<(i64, i64)>,
    Json(b): Json<TextBody>,
) -> ApiResult {
    st.app
        .reply_comment(&s.principal, id, comment, &text(&b.text), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Removes a comment (its writer, the author, an admin over the agency).
pub(super) async fn hide_comment(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, comment)): Path<(i64, i64)>,
) -> ApiResult {
    st.app
        .hide_comment(&s.principal, id, comment, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FaqQuery {
    q: String,
}

/// 常見問題, searched.
pub(super) async fn faq(
    State(st): State<AppState>,
    ApiUser(_s): ApiUser,
    LenientQuery(q): LenientQuery<FaqQuery>,
) -> ApiResult {
    let items = st.app.faqs(&q.q).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// The caller's links: the application list's and the dashboard's.
pub(super) async fn links(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let list = st
        .app
        .links_for(&s.principal, LinkPlace::List)
        .await
        .map_err(WebError::api)?;
    let home = st
        .app
        .links_for(&s.principal, LinkPlace::Home)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "list": list, "home": home })).into_response())
}

/// The notices shown to the caller now.
pub(super) async fn notices(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let items = st
        .app
        .current_notices(Some(&s.principal))
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct NoticeBody {
    title: Value,
    body: Value,
    audience: Value,
    agencies: Vec<i64>,
    starts: Value,
    ends: Value,
}

/// 訊息管理: every notice (system admins).
pub(super) async fn all_notices(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let items = st
        .app
        .all_notices(&s.principal)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

async fn save_notice(
    st: AppState,
    s: &portico_app::sessions::Session,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    b: NoticeBody,
) -> ApiResult {
    let input = NoticeInput {
        title: text(&b.title),
        body: text(&b.body),
        audience: text(&b.audience),
        agencies: b.agencies,
        starts: text(&b.starts),
        ends: text(&b.ends),
    };
    let id = st
        .app
        .save_notice(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "notice": id })).into_response())
}

pub(super) async fn create_notice(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<NoticeBody>,
) -> ApiResult {
    save_notice(st, &s, ctx, None, b).await
}

pub(super) async fn update_notice(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<NoticeBody>,
) -> ApiResult {
    save_notice(st, &s, ctx, Some(id), b).await
}

pub(super) async fn delete_notice(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_notice(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FaqBody {
    category: Value,
    question: Value,
    answer: Value,
    position: Value,
}

async fn save_faq(
    st: AppState,
    s: &portico_app::sessions::Session,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    b: FaqBody,
) -> ApiResult {
    let input = FaqInput {
        category: text(&b.category),
        question: text(&b.question),
        answer: text(&b.answer),
        position: text(&b.position),
    };
    let id = st
        .app
        .save_faq(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "faq": id })).into_response())
}

pub(super) async fn create_faq(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<FaqBody>,
) -> ApiResult {
    save_faq(st, &s, ctx, None, b).await
}

pub(super) async fn update_faq(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<FaqBody>,
) -> ApiResult {
    save_faq(st, &s, ctx, Some(id), b).await
}

pub(super) async fn delete_faq(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_faq(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct LinkBody {
    name: Value,
    url: Value,
    icon: Value,
    description: Value,
    audience: Value,
    agencies: Vec<i64>,
    position: Value,
    on_home: bool,
    in_list: bool,
}

/// 首頁應用程式管理: every link (system admins).
pub(super) async fn all_links(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let items = st
        .app
        .all_links(&s.principal)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

async fn save_link(
    st: AppState,
    s: &portico_app::sessions::Session,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    b: LinkBody,
) -> ApiResult {
    let input = LinkInput {
        name: text(&b.name),
        url: text(&b.url),
        icon: text(&b.icon),
        description: text(&b.description),
        audience: text(&b.audience),
        agencies: b.agencies,
        position: text(&b.position),
        on_home: b.on_home,
        in_list: b.in_list,
    };
    let id = st
        .app
        .save_link(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "link": id })).into_response())
}

pub(super) async fn create_link(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<LinkBody>,
) -> ApiResult {
    save_link(st, &s, ctx, None, b).await
}

pub(super) async fn update_link(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<LinkBody>,
) -> ApiResult {
    save_link(st, &s, ctx, Some(id), b).await
}

pub(super) async fn delete_link(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_link(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// 常見問題管理: every question and the categories (system admins).
pub(super) async fn all_faqs(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let (items, categories) = st.app.all_faqs(&s.principal).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "items": items, "categories": categories })).into_response())
}
