//! A simulator of the city's other systems as `docs/office-systems.md`
//! specifies them — 公文 (`/documents`), 陳情 (`/petitions`), 差勤
//! (`/attendance`), 刷卡 (`/punches`), each `GET ?account=` with a bearer
//! token — and of the city website's feeds (`/feeds/{name}.xml`, RSS 2.0),
//! for the demo and the tests, where the real systems cannot be reached.
//!
//! Each person's answers follow from their account name, so two people see
//! different numbers and one person the same on every view. A test can fix
//! one answer, make a system slow or make it fail (`set_answer`,
//! `set_delay`, `set_down`, or the `/sim/…` routes for a browser test).
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default)]
struct Inner {
    answers: HashMap<(String, String), serde_json::Value>,
    delays: HashMap<String, Duration>,
    down: HashMap<String, bool>,
    calls: HashMap<String, u64>,
}

/// The simulator's state; cloning shares it.
#[derive(Debug, Clone)]
pub struct OfficeSim {
    token: String,
    inner: Arc<Mutex<Inner>>,
}

/// The systems the simulator answers for, by their path.
pub const SYSTEMS: [&str; 4] = ["documents", "petitions", "attendance", "punches"];

/// The feeds it serves: the names the city's website gives them.
pub const FEEDS: [(&str, &str); 4] = [
    ("news", "市府新聞"),
    ("agencies", "機關新聞"),
    ("events", "熱門活動"),
    ("notices", "市府公告"),
];

impl OfficeSim {
    pub fn new(token: &str) -> OfficeSim {
        OfficeSim {
            token: token.to_owned(),
            inner: Arc::default(),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fixes what `system` answers for `account`.
    pub fn set_answer(&self, system: &str, account: &str, v: serde_json::Value) {
        self.inner()
            .answers
            .insert((system.to_owned(), account.to_owned()), v);
    }

    /// Makes `system` take `d` before each answer.
    pub fn set_delay(&self, system: &str, d: Duration) {
        self.inner().delays.insert(system.to_owned(), d);
    }

    /// Makes `system` answer HTTP 503 (or answer again).
    pub fn set_down(&self, system: &str, down: bool) {
        self.inner().down.insert(system.to_owned(), down);
    }

    /// How many times `system` was asked.
    pub fn calls(&self, system: &str) -> u64 {
        self.inner().calls.get(system).copied().unwrap_or(0)
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/{system}", get(answer))
            .route("/feeds/{file}", get(feed))
            .route("/sim/{system}/down", post(sim_down))
            .route("/sim/{system}/up", post(sim_up))
            .with_state(self.clone())
    }
}

#[derive(serde::Deserialize)]
struct AccountQuery {
    account: Option<String>,
}

/// A small number from the account name and a salt: the same every time.
fn pick(account: &str, salt: &str, range: u32) -> u32 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{salt}:{account}").as_bytes());
    u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % range.max(1)
}

const PETITIONS: [&str; 6] = [
    "中西區民族路二段路燈不亮，請派員修復",
    "安平區觀光景點周邊違規停車嚴重",
    "東區崇學路人行道破損，行人易跌倒",
    "永康區住宅區夜間施工噪音擾鄰",
    "北區公園遊具老舊，請評估更新",
    "南區水溝堵塞，雨天積水",
];

fn generated(system: &str, account: &str, now: time::OffsetDateTime) -> Option<serde_json::Value> {
    let today = now.to_offset(portico_core::time::TAIPEI);
    let base = "https://portal.tainan.gov.tw/sim";
    Some(match system {
        "documents" => serde_json::json!({
            "todo": pick(account, "doc", 12),
            "overdue": pick(account, "doc-late", 3),
            "url": format!("{base}/documents"),
        }),
        "petitions" => {
            let todo = pick(account, "pet", 6);
            let overdue = pick(account, "pet-late", 2).min(todo);
            let items: Vec<_> = (0..todo)
                .map(|i| {
                    let due = today.date() + time::Duration::days(i64::from(i) * 2 - i64::from(overdue));
                    serde_json::json!({
                        "subject": PETITIONS[(pick(account, "pet-s", 6) + i) as usize % PETITIONS.len()],
                        "due": portico_core::time::date_str(due),
                        "overdue": i < overdue,
                    })
                })
                .collect();
            serde_json::json!({"todo": todo, "overdue": overdue, "items": items, "url": format!("{base}/petitions")})
        }
        "attendance" => serde_json::json!({
            "to_sign": pick(account, "att-sign", 5),
            "submitted": pick(account, "att-sub", 3),
            "deputy": pick(account, "att-dep", 2),
            "anomalies": pick(account, "att-bad", 2),
            "url": format!("{base}/attendance"),
        }),
        "punches" => {
            let arrive = 7 * 60 + 40 + pick(account, "in", 50);
            let minutes = u32::from(today.hour()) * 60 + u32::from(today.minute());
            let mut punches = Vec::new();
            if minutes >= arrive {
                punches.push(format!("{:02}:{:02}", arrive / 60, arrive % 60));
            }
            let leave = 17 * 60 + 30 + pick(account, "out", 40);
            if minutes >= leave {
                punches.push(format!("{:02}:{:02}", leave / 60, leave % 60));
            }
            serde_json::json!({"date": portico_core::time::date_str(today.date()), "punches": punches})
        }
        _ => return None,
    })
}

async fn answer(
    State(sim): State<OfficeSim>,
    Path(system): Path<String>,
    Query(q): Query<AccountQuery>,
    headers: HeaderMap,
) -> Response {
    if !SYSTEMS.contains(&system.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let authorised = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == sim.token);
    if !authorised {
        return (StatusCode::UNAUTHORIZED, "a bearer token is required").into_response();
    }
    let Some(account) = q.account.filter(|a| !a.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "account= is required").into_response();
    };
    let (delay, down, fixed) = {
        let mut i = sim.inner();
        *i.calls.entry(system.clone()).or_default() += 1;
        (
            i.delays.get(&system).copied(),
            i.down.get(&system).copied().unwrap_or(false),
            i.answers.get(&(system.clone(), account.clone())).cloned(),
        )
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if down {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    match fixed.or_else(|| generated(&system, &account, time::OffsetDateTime::now_utc())) {
        Some(v) => axum::Json(v).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

const STORIES: [(&str, &str); 6] = [
    ("臺南400 系列活動熱烈展開", "2026-11-30T02:00:00Z"),
    (
        "市府推動公務數位轉型，入口網全新上線",
        "2026-12-01T03:30:00Z",
    ),
    ("冬季用電安全宣導", "2026-11-28T01:00:00Z"),
    ("安平耶誕市集 12 月登場", "2026-12-02T06:00:00Z"),
    ("公共運輸月票優惠延長", "2026-11-25T08:00:00Z"),
    ("登革熱防治，清除積水容器", "2026-12-03T00:30:00Z"),
];

async fn feed(State(sim): State<OfficeSim>, Path(file): Path<String>) -> Response {
    let Some((key, name)) = file
        .strip_suffix(".xml")
        .and_then(|k| FEEDS.iter().find(|(x, _)| *x == k))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let feed_key = format!("feed-{key}");
    let (delay, down) = {
        let mut i = sim.inner();
        *i.calls.entry(feed_key.clone()).or_default() += 1;
        (
            i.delays.get(&feed_key).copied(),
            i.down.get(&feed_key).copied().unwrap_or(false),
        )
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut items = String::new();
    for (i, (title, at)) in STORIES.iter().enumerate() {
        let when = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc2822)
                    .ok()
            })
            .unwrap_or_default();
        items.push_str(&format!(
            "<item><title>{name}：{title}</title><link>https://www.tainan.gov.tw/News_Content.aspx?n={key}&amp;s={i}</link><pubDate>{when}</pubDate></item>"
        ));
    }
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{name}</title><link>https://www.tainan.gov.tw/</link><description>{name}</description>{items}</channel></rss>"#
    );
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn sim_down(State(sim): State<OfficeSim>, Path(system): Path<String>) -> StatusCode {
    sim.set_down(&system, true);
    StatusCode::NO_CONTENT
}

async fn sim_up(State(sim): State<OfficeSim>, Path(system): Path<String>) -> StatusCode {
    sim.set_down(&system, false);
    StatusCode::NO_CONTENT
}
