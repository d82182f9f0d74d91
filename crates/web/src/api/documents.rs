//! Official documents' attachments in the API (issue 17): the caller's
//! topics, filing and editing one (files go through the page), deleting
//! it, and the download area's search. The signed-out page stays a page:
//! its guard counts by caller, and a script has no business guessing.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::documents::TopicQuery;
use portico_core::document::TopicInput;
use serde_json::{Value, json};

use super::{ApiResult, ok, page, text};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct TopicsQuery {
    #[serde(flatten)]
    q: TopicQuery,
    page: u32,
}

/// 我的公文附件管理: the caller's topics, with their codes.
pub(super) async fn my_topics(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<TopicsQuery>,
) -> ApiResult {
    page(
        st.app
            .my_topics(&s.principal, &q.q, q.page.max(1))
            .await
            .map_err(WebError::api)?,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct TopicBody {
    word: Value,
    number: Value,
    branch: Value,
    summary: Value,
    code: Value,
    takedown: Value,
    public: Value,
}

impl TopicBody {
    fn input(&self) -> TopicInput {
        TopicInput {
            word: text(&self.word),
            number: text(&self.number),
            branch: text(&self.branch),
            summary: text(&self.summary),
            code: text(&self.code),
            takedown: text(&self.takedown),
            public: match &self.public {
                Value::Bool(true) => "yes".into(),
                Value::Bool(false) => "no".into(),
                v => text(v),
            },
        }
    }
}

/// 新增公文主題 → 確定發布.
pub(super) async fn file_topic(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<TopicBody>,
) -> ApiResult {
    let id = st
        .app
        .file_topic(&s.principal, &b.input(), vec![], &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "topic": id })).into_response())
}

/// One of the caller's topics (or one they keep as an admin), with files.
pub(super) async fn topic(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let v = st
        .app
        .topic_for_edit(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(json!({ "topic": v.topic, "number": v.topic.full_number(), "files": v.files }))
            .into_response(),
    )
}

/// 編輯 (the code stays).
pub(super) async fn edit_topic(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<TopicBody>,
) -> ApiResult {
    st.app
        .edit_topic(&s.principal, id, &b.input(), vec![], &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

pub(super) async fn delete_topic(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_topic(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct FindBody {
    agency: Value,
    number: Value,
    code: Value,
}

/// 公文附件下載區: an agency's served topics of a number with its code.
pub(super) async fn find_topics(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<FindBody>,
) -> ApiResult {
    let agency = text(&b.agency).trim().parse::<i64>().unwrap_or(0);
    let found = st
        .app
        .find_topics(&s.principal, agency, &text(&b.number), &text(&b.code), &ctx)
        .await
        .map_err(WebError::api)?;
    let items: Vec<Value> = found
        .into_iter()
        .map(|v| json!({ "topic": v.topic, "number": v.topic.full_number(), "files": v.files }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}
