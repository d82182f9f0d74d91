//! Calendar feeds as pages (issue 16): `/calendars` lists the person's
//! subscription addresses, makes one (their own bookings, or a venue's,
//! car's or driver's) and revokes one; `/calendar/{token}.ics` is the feed
//! itself, read by Outlook or a phone without a session — the token is the
//! key, and an unknown or revoked one is simply not found.
use crate::extract::{Form, Path, ReqCtx, Signed};
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::Error;
use portico_core::booking::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(index).post(create))
        .route("/calendars/{id}/revoke", post(revoke))
        .route("/calendar/{token}", get(feed))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct IndexQuery {
    ok: Option<String>,
}

async fn index(
    State(st): State<AppState>,
    s: Signed,
    axum::extract::Query(q): axum::extract::Query<IndexQuery>,
) -> Result<Response, WebError> {
    let flash = (q.ok.as_deref() == Some("revoked")).then(|| {
        portico_core::Msg::new(
            "已停用，該網址不再提供行事曆",
            "Revoked; that address serves nothing now",
        )
    });
    page(&st, &s, None, flash).await
}

async fn page(
    st: &AppState,
    s: &Signed,
    new_url: Option<String>,
    flash: Option<portico_core::Msg>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let feeds = st
        .app
        .my_feeds(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        CalendarsPage {
            c: Chrome::of(&s.0, "calendars").with_flash(flash),
            feeds,
            new_url,
        },
        lang,
        StatusCode::OK,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// `mine`, or `venue:ID`, `car:ID`, `driver:ID`.
    what: String,
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    let item = match f.what.split_once(':') {
        None if f.what == "mine" => None,
        Some((k, id)) => match (Kind::parse(k), id.parse::<i64>()) {
            (Some(k), Ok(id)) => Some((k, id)),
            _ => return Err(WebError::page(Error::NotFound, lang)),
        },
        None => return Err(WebError::page(Error::NotFound, lang)),
    };
    let made = st
        .app
        .create_feed(&s.0.principal, item, &ctx)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let url = format!(
        "{}/calendar/{}.ics",
        st.app.issuer().trim_end_matches('/'),
        made.token
    );
    page(&st, &s, Some(url), None).await
}

async fn revoke(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<crate::support::CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .revoke_feed(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/calendars?ok=revoked").into_response())
}

/// The feed: text/calendar, never cached by a proxy.
async fn feed(State(st): State<AppState>, Path(token): Path<String>) -> Result<Response, WebError> {
    let lang = portico_core::Lang::ZhTw;
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    if token.len() != 48 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(WebError::page(Error::NotFound, lang));
    }
    match st.app.feed_calendar(token).await {
        Ok(Some(cal)) => Ok((
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            cal,
        )
            .into_response()),
        Ok(None) => Err(WebError::page(Error::NotFound, lang)),
        Err(e) => Err(WebError::page(e, lang)),
    }
}
