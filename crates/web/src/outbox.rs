//! The outbox page (通知佇列): what the system mailed and texted, and what
//! is waiting or failed. In the demo, mail is recorded here instead of sent.
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{CsrfForm, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::outbox::{Channel, DeliveryState};
use portico_store::outbox::Filter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(list))
        .route("/admin/outbox/{id}", get(message))
        .route("/admin/outbox/{id}/retry", post(retry))
}

#[derive(serde::Deserialize, Default)]
struct OutboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    to: String,
    page: Option<u32>,
}

/// System admins: the outbox, newest first.
async fn list(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OutboxQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let f = Filter {
        state: DeliveryState::parse(&q.state),
        channel: Channel::parse(&q.channel),
        recipient: Some(q.to.trim().to_lowercase()).filter(|t| !t.is_empty()),
    };
    let (page, counts) = st
        .app
        .outbox(&s.0.principal, &f, q.page.unwrap_or(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    let query_string = format!(
        "state={}&channel={}&to={}",
        e(&q.state),
        e(&q.channel),
        e(&q.to)
    );
    render(
        AdminOutboxPage {
            c: Chrome::of(&s.0, "admin-outbox"),
            page,
            counts,
            q: OutboxQueryView {
                state: q.state,
                channel: q.channel,
                to: q.to,
            },
            query_string,
            demo_channels: [Channel::Mail, Channel::Sms]
                .into_iter()
                .filter(|ch| st.app.records_only(*ch))
                .map(|ch| ch.label().get(lang).to_owned())
                .collect::<Vec<_>>()
                .join(if lang == portico_core::Lang::En {
                    " and "
                } else {
                    "、"
                }),
        },
        lang,
    )
}

/// System admins: one message, with its text.
async fn message(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let m = st
        .app
        .outbox_message(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render(
        AdminMessagePage {
            c: Chrome::of(&s.0, "admin-outbox"),
            m,
        },
        lang,
    )
}

/// System admins: sends a failed message again.
async fn retry(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .retry_message(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("/admin/outbox/{id}")).into_response())
}
