//! A faithful simulator of the Mitake SMS HTTP API (`SmSend`), for tests and
//! local trials where the carrier cannot be reached: it checks credentials,
//! numbers and length as the real service does, answers in its INI-style
//! format, refuses a repeated `clientid` (`Duplicate=Y`), and keeps what it
//! "delivered" for inspection at `GET /sim/messages`.
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A message the simulator accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SimMessage {
    pub msgid: String,
    pub dstaddr: String,
    pub smbody: String,
    pub clientid: String,
}

#[derive(Debug, Default)]
struct Inner {
    messages: Vec<SimMessage>,
    by_client: HashMap<String, String>,
    /// While set, answers HTTP 503: the carrier is down.
    down: bool,
}

/// The simulator's state; cloning shares it.
#[derive(Debug, Clone)]
pub struct MitakeSim {
    username: String,
    password: String,
    inner: Arc<Mutex<Inner>>,
}

impl MitakeSim {
    pub fn new(username: &str, password: &str) -> MitakeSim {
        MitakeSim {
            username: username.to_owned(),
            password: password.to_owned(),
            inner: Arc::default(),
        }
    }

    pub fn messages(&self) -> Vec<SimMessage> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .messages
            .clone()
    }

    /// Makes the carrier unreachable (HTTP 503) or reachable again.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).down = down;
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/b2c/mtk/SmSend", post(send))
            .route("/sim/messages", get(list))
            .with_state(self.clone())
    }
}

fn ini(lines: &[(&str, String)]) -> Response {
    let mut s = String::from("[1]\r\n");
    for (k, v) in lines {
        s.push_str(&format!("{k}={v}\r\n"));
    }
    ([("content-type", "text/plain; charset=utf-8")], s).into_response()
}

async fn send(
    State(sim): State<MitakeSim>,
    Query(q): Query<HashMap<String, String>>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let mut g = sim.inner.lock().unwrap_or_else(|e| e.into_inner());
    if g.down {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "carrier down").into_response();
    }
    if q.get("CharsetURL").map(String::as_str) != Some("UTF-8") {
        return ini(&[
            ("statuscode", "r".into()),
            ("Error", "CharsetURL 須為 UTF-8".into()),
        ]);
    }
    if get("username") != sim.username || get("password") != sim.password {
        return ini(&[
            ("statuscode", "e".into()),
            ("Error", "帳號、密碼錯誤".into()),
        ]);
    }
    let dst = get("dstaddr");
    if !(dst.len() == 10 && dst.starts_with("09") && dst.bytes().all(|b| b.is_ascii_digit())) {
        return ini(&[
            ("statuscode", "v".into()),
            ("Error", "無效的手機號碼".into()),
        ]);
    }
    let body = get("smbody");
    if body.is_empty() || body.chars().count() > 333 {
        return ini(&[("statuscode", "5".into()), ("Error", "簡訊內容錯誤".into())]);
    }
    let clientid = get("clientid").to_owned();
    if !clientid.is_empty()
        && let Some(msgid) = g.by_client.get(&clientid)
    {
        return ini(&[
            ("msgid", msgid.clone()),
            ("statuscode", "1".into()),
            ("Duplicate", "Y".into()),
        ]);
    }
    let msgid = format!("#{:09}", g.messages.len() + 1);
    g.messages.push(SimMessage {
        msgid: msgid.clone(),
        dstaddr: dst.to_owned(),
        smbody: body.to_owned(),
        clientid: clientid.clone(),
    });
    if !clientid.is_empty() {
        g.by_client.insert(clientid, msgid.clone());
    }
    let points = 1000usize.saturating_sub(g.messages.len());
    ini(&[
        ("msgid", msgid),
        ("statuscode", "1".into()),
        ("AccountPoint", points.to_string()),
    ])
}

async fn list(State(sim): State<MitakeSim>) -> Response {
    axum::Json(sim.messages()).into_response()
}
