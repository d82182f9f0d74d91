//! The admins' review queue (待簽核): requests within their scope, one or
//! a batch decided with a note.
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::forms::RequestQuery;
use crate::support::{masked_id, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::request::{Decision, RequestState};
use portico_core::{Error, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/requests", get(queue))
        .route("/admin/requests/decide", post(decide))
        .route("/admin/requests/{id}", get(request_page))
        .route("/admin/requests/{id}/attachment", get(attachment))
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
    /// Chosen but not this admin's to decide (outside their scope, their
    /// own, or above their rank).
    refused: Option<usize>,
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
    let outcome = match q.done {
        Some(d) => {
            let mut zh = format!("已完成審核 {d} 件");
            let mut en = format!("{d} decided");
            if let Some(a) = q.already.filter(|a| *a > 0) {
                zh.push_str(&format!("；{a} 件已由其他管理者處理"));
                en.push_str(&format!(
                    "; {a} had already been decided by another administrator"
                ));
            }
            if let Some(r) = q.refused.filter(|r| *r > 0) {
                zh.push_str(&format!(
                    "；{r} 件不在您的管理範圍、是您本人的申請或須由更上一級管理者審核，未處理"
                ));
                en.push_str(&format!(
                    "; {r} left alone: outside your scope, your own, or for a higher-ranked administrator"
                ));
            }
            Msg::owned(zh, en).get(lang).to_owned()
        }
        None => String::new(),
    };
    let rq = RequestQuery {
        kind: q.q.kind,
        state: q.q.state,
        who: q.q.who,
        page: q.q.page,
    };
    queue_page(&st, &s, rq, outcome, String::new(), StatusCode::OK).await
}

/// What the request page shows again after a refusal.
#[derive(Default)]
struct Texts {
    note: String,
    note_error: String,
    error: String,
}

async fn one_request_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    Texts {
        note,
        note_error,
        error,
    }: Texts,
    status: StatusCode,
    flash: Option<Msg>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (r, a) = st
        .app
        .review_request(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let mailbox = st
        .app
        .review_request_mailbox(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        AdminRequestPage {
            c: Chrome::of(&s.0, "admin-requests").with_flash(flash),
            mailbox,
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

#[derive(serde::Deserialize, Default)]
struct DecidedQuery {
    ok: Option<String>,
}

/// Any admin, for a request in scope; after a decision, says which.
async fn request_page(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<DecidedQuery>,
) -> Result<Response, WebError> {
    let flash = match q.ok.as_deref() {
        Some("approved") => Some(Msg::new(
            "已審核通過，並已通知申請人",
            "Approved; the applicant has been told",
        )),
        Some("rejected") => Some(Msg::new(
            "已退回，並已通知申請人",
            "Rejected; the applicant has been told",
        )),
        _ => None,
    };
    one_request_page(&st, &s, id, Texts::default(), StatusCode::OK, flash).await
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
    let pairs = crate::support::Pairs(pairs);
    let get = |k: &str| pairs.one(k);
    s.check_csrf(get("_csrf"))?;
    let ids = pairs.ids("ids");
    let one = get("back") == "one" && ids.len() == 1;
    let note = get("note").to_owned();
    let decision = Decision::parse(get("decision"));
    let r = match decision {
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
            let ok = match decision {
                Some(Decision::Approve) => "approved",
                _ => "rejected",
            };
            Ok(Redirect::to(&format!("/admin/requests/{}?ok={ok}", ids[0])).into_response())
        }
        Ok(out) if one => {
            let msg = out
                .refused
                .first()
                .map(|(_, m)| m.clone())
                .unwrap_or(portico_core::request::already_decided());
            let t = Texts {
                note,
                error: msg.get(lang).to_owned(),
                ..Texts::default()
            };
            one_request_page(&st, &s, ids[0], t, crate::error::REFUSED, None).await
        }
        Ok(out) => Ok(Redirect::to(&format!(
            "/admin/requests?done={}&already={}&refused={}",
            out.done.len(),
            out.already.len(),
            out.missing.len() + out.refused.len()
        ))
        .into_response()),
        Err(Error::Invalid(errs)) => {
            let text = errs
                .iter()
                .map(|e| e.message.get(lang).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            if one {
                let t = Texts {
                    note,
                    note_error: text,
                    ..Texts::default()
                };
                one_request_page(&st, &s, ids[0], t, crate::error::INVALID_INPUT, None).await
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

/// The signed form a request carries (a cancellation), opened inline.
async fn attachment(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .request_attachment(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                f.file.kind.content_type().to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"request-{id}.{}\"", f.file.kind.as_str()),
            ),
        ],
        f.bytes,
    )
        .into_response())
}
