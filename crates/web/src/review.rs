//! The admins' review queue (待簽核): requests within their scope, one or
//! a batch decided with a note.
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{masked_id, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::request::{Decision, RequestKind, RequestState};
use portico_core::{Error, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/requests", get(queue))
        .route("/admin/requests/decide", post(decide))
        .route("/admin/requests/{id}", get(request_page))
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct RequestQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub who: String,
    pub page: Option<u32>,
}

impl RequestQuery {
    pub(crate) fn filter(&self) -> portico_store::requests::Filter {
        portico_store::requests::Filter {
            kind: RequestKind::parse(&self.kind),
            state: match self.state.as_str() {
                "all" => None,
                "" => Some(RequestState::Pending),
                s => RequestState::parse(s).or(Some(RequestState::Pending)),
            },
            who: Some(self.who.trim().chars().take(30).collect::<String>())
                .filter(|w| !w.is_empty()),
        }
    }
}

async fn queue_page(
    st: &AppState,
    s: &Signed,
    q: RequestQuery,
    outcome: String,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .review_queue(&s.0.principal, &q.filter(), q.page.unwrap_or(1), 50)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    use crate::extract::urlencode as e;
    let query_string = format!(
        "kind={}&state={}&who={}",
        e(&q.kind),
        e(&q.state),
        e(&q.who)
    );
    let pending_shown = page.items.iter().any(|r| r.state == RequestState::Pending);
    render_as(
        AdminRequestsPage {
            c: Chrome::of(&s.0, "admin-requests"),
            page,
            q: RequestQueryView {
                kind: q.kind,
                state: q.state,
                who: q.who,
            },
            query_string,
            pending_shown,
            outcome,
            error,
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
struct QueueQuery {
    #[serde(flatten)]
    q: RequestQueryFields,
    done: Option<usize>,
    already: Option<usize>,
}

#[derive(serde::Deserialize, Default)]
struct RequestQueryFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    who: String,
    page: Option<u32>,
}

/// Any admin: the requests in their scope, oldest first.
async fn queue(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<QueueQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let outcome = match (q.done, q.already) {
        (Some(d), Some(a)) if a > 0 => Msg::owned(
            format!("已完成審核 {d} 件；{a} 件已由其他管理者處理"),
            format!("{d} decided; {a} had already been decided by another administrator"),
        )
        .get(lang)
        .to_owned(),
        (Some(d), _) => Msg::owned(format!("已完成審核 {d} 件"), format!("{d} decided"))
            .get(lang)
            .to_owned(),
        _ => String::new(),
    };
    let rq = RequestQuery {
        kind: q.q.kind,
        state: q.q.state,
        who: q.q.who,
        page: q.q.page,
    };
    queue_page(&st, &s, rq, outcome, String::new(), StatusCode::OK).await
}

async fn one_request_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    note: String,
    note_error: String,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (r, a) = st
        .app
        .review_request(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        AdminRequestPage {
            c: Chrome::of(&s.0, "admin-requests"),
            national_id_masked: masked_id(&a),
            r,
            a,
            note,
            note_error,
            error,
        },
        lang,
        status,
    )
}

/// Any admin, for a request in scope.
async fn request_page(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    one_request_page(
        &st,
        &s,
        id,
        String::new(),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Any admin: approves or rejects the chosen requests (one, or a batch),
/// with one note. The body repeats `ids`, so it is read as pairs.
async fn decide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    s.check_csrf(get("_csrf"))?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(n, _)| n == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let one = get("back") == "one" && ids.len() == 1;
    let note = get("note").to_owned();
    let r = match Decision::parse(get("decision")) {
        Some(d) => {
            st.app
                .decide_requests(
                    &s.0.principal,
                    &ids,
                    &portico_app::review::Verdict {
                        decision: d,
                        note: &note,
                        // The detail page asks; a batch grants what was asked.
                        official_mail: (get("mail_decided") == "1")
                            .then(|| get("official_mail") == "on"),
                    },
                    &ctx,
                )
                .await
        }
        None => Err(Error::invalid(
            "decision",
            Msg::new("請選擇通過或退回", "Choose approve or reject"),
        )),
    };
    match r {
        Ok(out) if one && !out.done.is_empty() => {
            Ok(Redirect::to(&format!("/admin/requests/{}", ids[0])).into_response())
        }
        Ok(out) if one => {
            let msg = out
                .refused
                .first()
                .map(|(_, m)| m.clone())
                .unwrap_or(portico_core::request::already_decided());
            one_request_page(
                &st,
                &s,
                ids[0],
                note,
                String::new(),
                msg.get(lang).to_owned(),
                crate::error::REFUSED,
            )
            .await
        }
        Ok(out) => Ok(Redirect::to(&format!(
            "/admin/requests?done={}&already={}",
            out.done.len(),
            out.already.len() + out.missing.len() + out.refused.len()
        ))
        .into_response()),
        Err(Error::Invalid(errs)) => {
            let text = errs
                .iter()
                .map(|e| e.message.get(lang).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            if one {
                one_request_page(
                    &st,
                    &s,
                    ids[0],
                    note,
                    text,
                    String::new(),
                    crate::error::INVALID_INPUT,
                )
                .await
            } else {
                queue_page(
                    &st,
                    &s,
                    RequestQuery::default(),
                    String::new(),
                    text,
                    crate::error::INVALID_INPUT,
                )
                .await
            }
        }
        Err(e) => Err(WebError::page(e, lang)),
    }
}
