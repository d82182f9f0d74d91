//! 檔案下載區 in the API (issue 17): the tabs with their search, one entry
//! with its files, editing, 保留 and deleting. Files are shared through
//! the page (an entry needs one, and uploads are multipart there).
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::downloads::DownloadQuery;
use portico_core::download::DownloadInput;
use serde_json::{Value, json};

use super::{ApiResult, ok, page, text};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    #[serde(flatten)]
    q: DownloadQuery,
    page: u32,
}

/// 全府檔案 (`tab=city`), 本機關檔案 (`agency`), 我的檔案 (`mine`).
pub(super) async fn downloads(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> ApiResult {
    page(
        st.app
            .downloads(&s.principal, &q.q, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// 詳細: an entry the caller may read, with its files.
pub(super) async fn download(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let v = st
        .app
        .download_entry(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(json!({ "entry": v.entry, "files": v.files, "keeper": v.keeper }))
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct EntryBody {
    description: Value,
    category: Value,
    scope: Value,
}

/// 編輯 an entry the caller keeps.
pub(super) async fn edit_download(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<EntryBody>,
) -> ApiResult {
    let input = DownloadInput {
        description: text(&b.description),
        category: text(&b.category),
        scope: text(&b.scope),
    };
    st.app
        .edit_download(&s.principal, id, &input, vec![], &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct KeepBody {
    keep: Value,
}

/// 保留, for the clean-up.
pub(super) async fn keep_download(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<KeepBody>,
) -> ApiResult {
    let keep = match &b.keep {
        Value::Bool(k) => *k,
        v => matches!(text(v).as_str(), "yes" | "true"),
    };
    st.app
        .keep_download(&s.principal, id, keep, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn delete_download(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_download(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
