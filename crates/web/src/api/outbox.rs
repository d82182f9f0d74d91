//! `/outbox…`: the mail and SMS the portal sends (system admins): the list
//! with filters, one message (a live code never shown), sending a failed
//! one again.
use crate::extract::Path;
use crate::extract::{ApiUser, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_core::outbox::{Channel, DeliveryState};
use portico_store::outbox::Filter;
use serde_json::json;

use super::{ApiResult, ok};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct OutboxQuery {
    state: String,
    channel: String,
    to: String,
    page: Option<u32>,
}

/// System admins: the outbox, newest first, with counts by state.
pub(super) async fn outbox(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<OutboxQuery>,
) -> ApiResult {
    let f = Filter {
        state: DeliveryState::parse(&q.state),
        channel: Channel::parse(&q.channel),
        recipient: Some(q.to.trim().to_lowercase()).filter(|t| !t.is_empty()),
    };
    let (p, counts) = st
        .app
        .outbox(&s.principal, &f, q.page.unwrap_or(1))
        .await
        .map_err(WebError::api)?;
    let counts: serde_json::Map<String, serde_json::Value> = counts
        .into_iter()
        .map(|(state, n)| (state.as_str().to_owned(), json!(n)))
        .collect();
    Ok(axum::Json(json!({
        "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items, "counts": counts,
    }))
    .into_response())
}

/// System admins: one message.
pub(super) async fn message(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let m = st
        .app
        .outbox_message(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(m).into_response())
}

/// System admins: sends a failed message again.
pub(super) async fn retry(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .retry_message(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
