//! Access requests as pages (issue 14; seed 000): 個人資料維護's 個人會員類別
//! 維護, 個人組織維護 and 應用系統角色維護, the ask page (列印申請書, the
//! signed scan, 送出), one form, 待簽核表單 and 個人簽核記錄查詢. The
//! definitions' pages are `access/defs.rs`.
mod approvals;
mod defs;

use crate::error::split;
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{CsrfForm, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::access::{Ask, MyAccess, Standing, Upload};
use portico_core::access::Step;
use portico_core::files::MAX_SCAN;
use portico_core::ids::FormId;
use portico_core::{Error, FieldError, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/access/categories", get(categories))
        .route("/access/categories/{id}/ask", get(ask_category))
        .route("/access/orgs", get(orgs))
        .route("/access/orgs/{id}/ask", get(ask_org))
        .route("/access/roles", get(roles))
        .route("/access/roles/{app}/ask", get(ask_roles))
        .route("/access/roles/{app}/undertaking", get(undertaking))
        .route(
            "/access/ask",
            // Two scans at their limit, and the form's fields.
            post(submit).layer(DefaultBodyLimit::max(2 * MAX_SCAN + 256 * 1024)),
        )
        .route("/access/forms/{id}", get(form))
        .route("/access/forms/{id}/attachment", get(attachment))
        .route("/access/forms/{id}/print", get(print_again))
        .route("/access/forms/{id}/withdraw", post(withdraw))
        .route("/access/forms/{id}/decide", post(decide))
        .route(
            "/access/approvals",
            get(approvals::approvals).post(approvals::decide_batch),
        )
        .route("/access/decided", get(approvals::decided))
        .route("/access/decided/export", get(approvals::decided_export))
        // The definitions' pages (defs.rs).
        .route("/admin/access", get(defs::admin))
        .route("/admin/access/categories", post(defs::new_category))
        .route("/admin/access/categories/{id}", post(defs::save_category))
        .route("/admin/access/orgs", post(defs::new_org))
        .route("/admin/access/orgs/{id}", post(defs::save_org))
        .route("/admin/access/orgs/{id}/titles", post(defs::add_title))
        .route(
            "/admin/access/orgs/{id}/titles/{title}",
            post(defs::title_active),
        )
        .route("/access/apps", get(defs::apps))
        .route("/access/apps/{id}", get(defs::app))
        .route("/access/apps/{id}/roles", post(defs::new_role))
        .route("/access/apps/{id}/roles/{role}", post(defs::save_role))
        .route("/access/apps/{id}/managers", post(defs::add_manager))
        .route(
            "/access/apps/{id}/managers/{account}/remove",
            post(defs::remove_manager),
        )
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "sent" => Msg::new(
            "申請已送出，須等簽核者授權後才會生效；簽核結果會以電子郵件通知您",
            "Sent; it takes effect once approved, and you will be mailed the result",
        ),
        "withdrawn" => Msg::new("申請已撤回", "The form was withdrawn"),
        "approved" => Msg::new(
            "已同意，申請人將收到通知",
            "Approved; the applicant is told",
        ),
        "rejected" => Msg::new(
            "已不同意，申請人將收到通知",
            "Declined; the applicant is told",
        ),
        "batch" => Msg::new("已完成勾選表單的簽核", "The ticked forms are decided"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    format: String,
}

async fn my_access(st: &AppState, s: &Signed) -> Result<MyAccess, WebError> {
    st.app
        .my_access(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, s.lang()))
}

// ---- 個人會員類別維護 -------------------------------------------------------

async fn categories(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let my = my_access(&st, &s).await?;
    let all = st
        .app
        .access_categories()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let needle = q.q.trim().to_owned();
    let rows = all
        .into_iter()
        .map(|category| AccessCategoryRow {
            standing: my.standing(Step::Category, category.id),
            category,
        })
        .filter(|r| {
            let state = match r.standing {
                Standing::Held { .. } => "held",
                Standing::Pending { .. } => "pending",
                Standing::Open => "open",
            };
            (q.state.is_empty() || q.state == state)
                && (needle.is_empty()
                    || r.category.name.contains(&needle)
                    || r.category.code.contains(&needle.to_ascii_lowercase()))
        })
        .collect();
    render_as(
        AccessCategoriesPage {
            c: Chrome::of(&s.0, "access-categories").with_flash(flash_of(q.ok.as_deref())),
            steps: steps(&my),
            rows,
            state: q.state,
            q: q.q,
        },
        lang,
        StatusCode::OK,
    )
}

// ---- 個人組織維護 -----------------------------------------------------------

async fn orgs(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let my = my_access(&st, &s).await?;
    let found = st
        .app
        .access_orgs(q.q.trim(), q.page.unwrap_or(1), 10)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let page = portico_store::Page {
        items: found
            .items
            .into_iter()
            .map(|org| AccessOrgRow {
                standing: my.standing(Step::Org, org.id),
                org,
            })
            .collect(),
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    };
    render_as(
        AccessOrgsPage {
            c: Chrome::of(&s.0, "access-orgs").with_flash(flash_of(q.ok.as_deref())),
            steps: steps(&my),
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            my,
            page,
            q: q.q,
        },
        lang,
        StatusCode::OK,
    )
}

// ---- 應用系統角色維護 -------------------------------------------------------

async fn roles(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let my = my_access(&st, &s).await?;
    let apps = st
        .app
        .role_apps()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let rows = apps
        .into_iter()
        .map(|(app, roles)| AccessAppRow {
            standing: my.standing(Step::Role, app.id),
            held: my
                .roles
                .iter()
                .filter(|r| r.app_id == app.id)
                .map(|r| r.name.clone())
                .collect(),
            app,
            roles,
        })
        .collect();
    render_as(
        AccessRolesPage {
            c: Chrome::of(&s.0, "access-roles").with_flash(flash_of(q.ok.as_deref())),
            steps: steps(&my),
            closed: my.closed.get(&Step::Role).cloned(),
            rows,
            q: q.q,
        },
        lang,
        StatusCode::OK,
    )
}

// ---- the ask page ----------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct AskQuery {
    #[serde(default)]
    remove: String,
}

async fn ask_category(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<AskQuery>,
) -> Result<Response, WebError> {
    let v = AskValues {
        remove: !q.remove.is_empty(),
        ..Default::default()
    };
    ask_page(&st, &s, Step::Category, id, v, vec![], String::new()).await
}

async fn ask_org(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<AskQuery>,
) -> Result<Response, WebError> {
    let v = AskValues {
        remove: !q.remove.is_empty(),
        ..Default::default()
    };
    ask_page(&st, &s, Step::Org, id, v, vec![], String::new()).await
}

async fn ask_roles(
    State(st): State<AppState>,
    s: Signed,
    Path(app): Path<i64>,
) -> Result<Response, WebError> {
    ask_page(
        &st,
        &s,
        Step::Role,
        app,
        AskValues::default(),
        vec![],
        String::new(),
    )
    .await
}

/// The ask page for one item, with what the person typed and the errors.
async fn ask_page(
    st: &AppState,
    s: &Signed,
    step: Step,
    item: i64,
    mut v: AskValues,
    errs: Vec<FieldError>,
    error: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let my = st.app.my_access(&s.0.principal).await.map_err(err)?;
    let fresh = errs.is_empty() && error.is_empty();
    let subject = match step {
        Step::Category => {
            let cat = st
                .app
                .access_categories()
                .await
                .map_err(err)?
                .into_iter()
                .find(|c| c.id == item)
                .ok_or_else(|| err(Error::NotFound))?;
            AskSubject::Category(cat)
        }
        Step::Org => {
            let org = st
                .app
                .access_org(item)
                .await
                .ok()
                .filter(|o| o.active)
                .ok_or_else(|| err(Error::NotFound))?;
            let held = my
                .orgs
                .iter()
                .find(|o| o.org_id == item)
                .map(|o| o.title_id);
            if fresh {
                v.title = held
                    .flatten()
                    .or_else(|| org.titles.iter().find(|t| t.active).map(|t| t.id));
            }
            AskSubject::Org {
                org,
                held_title: held,
            }
        }
        Step::Role => {
            let (app, roles) = st
                .app
                .role_apps()
                .await
                .map_err(err)?
                .into_iter()
                .find(|(a, _)| a.id == item)
                .ok_or_else(|| err(Error::NotFound))?;
            let held_roles: Vec<_> = my.roles.iter().filter(|r| r.app_id == item).collect();
            let held: Vec<i64> = held_roles.iter().map(|r| r.role_id).collect();
            let mut attrs = std::collections::BTreeMap::new();
            for r in &held_roles {
                attrs.extend(r.attrs.clone());
            }
            if fresh {
                v.roles = held.clone();
                v.attrs = attrs.clone();
            }
            AskSubject::Roles {
                app,
                roles,
                held,
                attrs,
            }
        }
    };
    let closed = if v.remove {
        None
    } else {
        my.closed.get(&step).cloned()
    };
    let pending = my.pending_for(step, item).map(|f| (f.id, f.number.clone()));
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    render_as(
        AccessAskPage {
            c: Chrome::of(
                &s.0,
                match step {
                    Step::Category => "access-categories",
                    Step::Org => "access-orgs",
                    Step::Role => "access-roles",
                },
            ),
            step,
            item,
            subject,
            v,
            closed,
            pending,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

/// The ask page's multipart form, read field by field.
#[derive(Default)]
struct AskPost {
    csrf: String,
    print: String,
    ask: Ask,
    form_file: Option<Upload>,
    undertaking: Option<Upload>,
}

async fn read_ask(mut mp: Multipart, lang: Lang) -> Result<AskPost, WebError> {
    let too_big = || {
        WebError::page(
            Error::invalid(
                "form_file",
                Msg::owned(
                    format!("上傳內容無法讀取，檔案可能超過 {} MB", MAX_SCAN / 1_048_576),
                    format!(
                        "The upload could not be read; a file may exceed {} MB",
                        MAX_SCAN / 1_048_576
                    ),
                ),
            ),
            lang,
        )
    };
    let mut p = AskPost::default();
    while let Some(field) = mp.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "form_file" || name == "undertaking_file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| too_big())?.to_vec();
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            let up = Some(Upload {
                name: file_name,
                bytes,
            });
            if name == "form_file" {
                p.form_file = up;
            } else {
                p.undertaking = up;
            }
            continue;
        }
        let text = field.text().await.map_err(|_| too_big())?;
        let text: String = text.chars().take(2_000).collect();
        match name.as_str() {
            "_csrf" => p.csrf = text,
            "print" => p.print = text,
            "step" => p.ask.step = Step::parse(&text),
            "item" => p.ask.item = text.parse().unwrap_or_default(),
            "title" => p.ask.title = text.parse().ok(),
            "remove" => p.ask.remove = !text.is_empty(),
            "roles" => {
                if let Ok(r) = text.parse() {
                    p.ask.roles.push(r);
                }
            }
            "purpose" => p.ask.purpose = text,
            "note" => p.ask.note = text,
            other => {
                if let Some(key) = other.strip_prefix("attr_")
                    && p.ask.attrs.len() < 40
                {
                    p.ask.attrs.insert(key.chars().take(40).collect(), text);
                }
            }
        }
    }
    Ok(p)
}

fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// 列印申請書 (the form as it will be sent) or 送出.
async fn submit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mp: Multipart,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = read_ask(mp, lang).await?;
    s.check_csrf(&p.csrf)?;
    let Some(step) = p.ask.step else {
        return Err(WebError::page(Error::NotFound, lang));
    };
    let result = if p.print == "form" {
        match st.app.print_ask(&s.0.principal, &p.ask).await {
            Ok(bytes) => return Ok(pdf(bytes, &format!("{}_application.pdf", step.as_str()))),
            Err(e) => Err(e),
        }
    } else {
        st.app
            .submit_ask(&s.0.principal, &ctx, &p.ask, p.form_file, p.undertaking)
            .await
            .map(|(id, _)| id)
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/access/forms/{id}?ok=sent")).into_response()),
        Err(e) => {
            let (errs, error, _) = split(e, lang)?;
            let v = AskValues {
                remove: p.ask.remove,
                title: p.ask.title,
                roles: p.ask.roles,
                purpose: p.ask.purpose,
                note: p.ask.note,
                attrs: p.ask.attrs,
            };
            ask_page(&st, &s, step, p.ask.item, v, errs, error).await
        }
    }
}

/// 保密切結書, to print and sign.
async fn undertaking(
    State(st): State<AppState>,
    s: Signed,
    Path(app): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = st
        .app
        .print_undertaking(&s.0.principal, app)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(pdf(bytes, "undertaking.pdf"))
}

// ---- one form ------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct FormQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    which: String,
}

/// What the decision form sent, shown again beside its errors.
#[derive(Default)]
struct SentDecision {
    decision: String,
    note: String,
}

async fn form_page(
    st: &AppState,
    s: &Signed,
    id: FormId,
    flash: Option<Msg>,
    sent: SentDecision,
    errs: Vec<FieldError>,
    error: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let v = st
        .app
        .form_view(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let nav = if v.form.applicant.id == s.0.principal.account_id() {
        match v.form.step {
            Step::Category => "access-categories",
            Step::Org => "access-orgs",
            Step::Role => "access-roles",
        }
    } else {
        "access-approvals"
    };
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    render_as(
        AccessFormPage {
            c: Chrome::of(&s.0, nav).with_flash(flash),
            v,
            decision: sent.decision,
            note: sent.note,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

async fn form(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<FormQuery>,
) -> Result<Response, WebError> {
    form_page(
        &st,
        &s,
        FormId(id),
        flash_of(q.ok.as_deref()),
        SentDecision::default(),
        vec![],
        String::new(),
    )
    .await
}

/// The uploaded scan (or undertaking), opened inline. Its type is the one
/// its content showed when it was uploaded.
async fn attachment(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<FormQuery>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .form_attachment(&s.0.principal, FormId(id), q.which == "undertaking")
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let ascii: String = f
        .file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, f.file.kind.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::extract::urlencode(&f.file.name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        f.bytes,
    )
        .into_response())
}

async fn print_again(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = st
        .app
        .print_form(&s.0.principal, FormId(id))
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(pdf(bytes, "application.pdf"))
}

async fn withdraw(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.withdraw_form(&s.0.principal, &ctx, FormId(id)).await {
        Ok(()) => Ok(Redirect::to(&format!("/access/forms/{id}?ok=withdrawn")).into_response()),
        Err(e) => {
            let (errs, error, _) = split(e, s.lang())?;
            form_page(
                &st,
                &s,
                FormId(id),
                None,
                SentDecision::default(),
                errs,
                error,
            )
            .await
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct DecidePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

fn decision_of(d: &str) -> Result<bool, Error> {
    match d {
        "approve" => Ok(true),
        "reject" => Ok(false),
        _ => Err(Error::invalid(
            "decision",
            Msg::new("請選擇「同意」或「不同意」", "Choose Approve or Decline"),
        )),
    }
}

/// 同意 / 不同意 one form, with 備註.
async fn decide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<DecidePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = match decision_of(&f.decision) {
        Ok(approve) => st
            .app
            .decide_form(&s.0.principal, &ctx, FormId(id), approve, &f.note)
            .await
            .map(|()| approve),
        Err(e) => Err(e),
    };
    match r {
        Ok(approve) => Ok(Redirect::to(&format!(
            "/access/approvals?ok={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response()),
        Err(e) => {
            let (errs, error, _) = split(e, s.lang())?;
            let sent = SentDecision {
                decision: f.decision,
                note: f.note,
            };
            form_page(&st, &s, FormId(id), None, sent, errs, error).await
        }
    }
}
