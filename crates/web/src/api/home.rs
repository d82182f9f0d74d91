//! `/me/office` and `/me/layout`: the home page's 訊息介接 blocks and the
//! person's layout over the API (issue 17), for a client that draws its
//! own home page. The blocks wait as the page does (a slow system says
//! `pending`).
use crate::extract::{ApiUser, Json};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::office::Block;
use portico_core::home::{Arrangement, Mode, Part};
use portico_core::office::Reading;
use serde_json::{Value, json};

use super::{ApiResult, ok, text};

fn at(t: time::OffsetDateTime) -> Value {
    t.format(&time::format_description::well_known::Rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn reading(r: &Reading) -> Value {
    match r {
        Reading::Mail(m) => json!({
            "unread": m.unread,
            "latest": m.latest.iter().map(|x| json!({
                "subject": x.subject, "from": x.from, "received": x.received.map(at),
            })).collect::<Vec<_>>(),
        }),
        Reading::Documents(d) => json!({ "todo": d.todo, "overdue": d.overdue, "url": d.link }),
        Reading::Petitions(p) => json!({
            "todo": p.todo, "overdue": p.overdue, "url": p.link,
            "items": p.latest.iter().map(|x| json!({
                "subject": x.subject,
                "due": x.due.map(portico_core::time::date_str),
                "overdue": x.overdue,
            })).collect::<Vec<_>>(),
        }),
        Reading::Attendance(a) => json!({
            "to_sign": a.to_sign, "submitted": a.submitted, "deputy": a.deputy,
            "anomalies": a.anomalies, "url": a.link,
        }),
        Reading::Punches(p) => json!({
            "date": portico_core::time::date_str(p.date),
            "punches": p.times.iter().map(|t| format!("{:02}:{:02}", t.hour(), t.minute())).collect::<Vec<_>>(),
        }),
    }
}

/// Anyone signed in: their own blocks.
pub(super) async fn my_office(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let blocks: Vec<Value> = st
        .app
        .office_blocks(&s.principal)
        .await
        .iter()
        .map(|b| match &b.block {
            Block::Ready { reading: r, as_of } => {
                json!({ "source": b.source.key(), "state": "ready", "as_of": at(*as_of), "data": reading(r) })
            }
            Block::Pending => json!({ "source": b.source.key(), "state": "pending" }),
            Block::Unavailable => json!({ "source": b.source.key(), "state": "unavailable" }),
        })
        .collect();
    Ok(axum::Json(json!({ "items": blocks })).into_response())
}

fn arrangement(a: &Arrangement) -> Value {
    json!(
        a.order
            .iter()
            .zip(a.shown)
            .map(|(p, s)| json!({ "block": p.key(), "shown": s }))
            .collect::<Vec<_>>()
    )
}

/// Anyone signed in: their layout, both arrangements.
pub(super) async fn my_layout(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let l = st
        .app
        .home_layout(&s.principal)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({
        "mode": l.mode.as_str(),
        "classic": arrangement(&l.classic),
        "grid": arrangement(&l.grid),
    }))
    .into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct LayoutBody {
    mode: Value,
    /// The nine blocks' keys in order (經典款 top to bottom, 自訂儀表板 row
    /// by row).
    order: Vec<Value>,
    /// The keys of the blocks shown.
    shown: Vec<Value>,
}

/// Saves one mode's arrangement and makes it the one in use.
pub(super) async fn save_my_layout(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Json(b): Json<LayoutBody>,
) -> ApiResult {
    let mode = Mode::parse(&text(&b.mode)).ok_or_else(|| {
        WebError::api(portico_core::Error::invalid(
            "mode",
            portico_core::Msg::new(
                "排版方式須為 classic 或 grid",
                "mode must be classic or grid",
            ),
        ))
    })?;
    let keys: Vec<String> = b.order.iter().map(text).collect();
    let places: Vec<String> = (1..=keys.len()).map(|n| n.to_string()).collect();
    let positions: Vec<(Part, &str)> = keys
        .iter()
        .zip(&places)
        .filter_map(|(k, n)| Part::parse(k).map(|p| (p, n.as_str())))
        .collect();
    if positions.len() != keys.len() {
        return Err(WebError::api(portico_core::Error::invalid(
            "order",
            portico_core::Msg::new(
                "order 含有不認得的區塊",
                "order names a block that does not exist",
            ),
        )));
    }
    let shown: Vec<Part> = b
        .shown
        .iter()
        .filter_map(|k| Part::parse(&text(k)))
        .collect();
    let a = Arrangement::from_form(&positions, &shown)
        .map_err(|m| WebError::api(portico_core::Error::invalid("order", m)))?;
    st.app
        .save_home_layout(&s.principal, mode, a)
        .await
        .map_err(WebError::api)?;
    ok()
}
