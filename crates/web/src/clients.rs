//! 應用系統服務介接 as pages (004 §捌 七): a person's applications, the
//! registration form, the detail page with the services and their status,
//! the service application forms, the printable record of an application,
//! the client secret shown once; and the system admin's list, review and
//! suspension.
mod services;

use crate::error::split;
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::forms::{AppForm, ListQuery};
use crate::support::{CsrfForm, render, render_as, with_status};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::clients::ServiceKind;
use portico_core::org::OrgKind;
use portico_core::{FieldError, Lang, Msg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list))
        .route("/apps/new", get(new_form).post(create))
        .route("/apps/{id}", get(detail))
        .route("/apps/{id}/edit", get(edit_form).post(edit))
        .route(
            "/apps/{id}/apply/{kind}",
            get(services::apply_form).post(services::apply),
        )
        .route("/apps/{id}/secret", post(secret))
        .route("/apps/services/{sid}", get(services::service_record))
        .route("/admin/apps", get(admin_list))
        .route("/admin/apps/services/{sid}/decide", post(services::decide))
        .route("/admin/apps/{id}/suspend", post(suspend))
        .route("/admin/apps/{id}/secret/revoke", post(revoke_secret))
        .route("/admin/apps/{id}/reactivate", post(reactivate))
}

fn flash_of(code: &str) -> Option<Msg> {
    Some(match code {
        "created" => Msg::new(
            "已新增應用系統，請接著申請需要的介接服務",
            "Application registered; now apply for the services it needs",
        ),
        "saved" => Msg::new("已儲存", "Saved"),
        "applied" => Msg::new(
            "申請已送出，將由系統管理者審核",
            "Application sent; a system administrator will review it",
        ),
        "decided" => Msg::new(
            "已完成審核並通知聯絡人",
            "Decided; the contact has been told",
        ),
        "suspended" => Msg::new(
            "已停用此應用系統，其權杖已失效",
            "Application suspended; its tokens no longer work",
        ),
        "reactivated" => Msg::new("已重新啟用此應用系統", "Application reactivated"),
        "secret_revoked" => Msg::new(
            "已撤銷用戶端密鑰並通知聯絡人，待申請人重新產生",
            "Client secret revoked and the contact told; the owner must generate a new one",
        ),
        _ => return None,
    })
}

async fn list_page(
    st: &AppState,
    s: &Signed,
    q: ListQuery,
    admin: bool,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .list_apps(
            &s.0.principal,
            admin,
            &q.name,
            q.pending == "1",
            q.page.unwrap_or(1),
        )
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let nav = if admin { "admin-apps" } else { "apps" };
    render(
        AppsPage {
            c: Chrome::of(&s.0, nav).with_flash(flash_of(&q.ok)),
            admin,
            query_string: q.query_string(),
            q,
            page,
        },
        lang,
    )
}

/// Anyone signed in: the applications they registered.
async fn list(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    list_page(&st, &s, q, false).await
}

/// System admins: every application, those waiting for review first to
/// hand.
async fn admin_list(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    list_page(&st, &s, q, true).await
}

/// The agencies, grouped under their tab (府內單位, 府外機關, 區公所).
pub(crate) async fn agency_choices(
    st: &AppState,
    lang: Lang,
) -> Result<Vec<(String, Vec<(i64, String)>)>, WebError> {
    let tree = st
        .app
        .org_tree()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let mut groups: Vec<(String, Vec<(i64, String)>)> = Vec::new();
    for (i, _) in &tree.order {
        let u = &tree.units[*i];
        if u.kind != OrgKind::Agency || !u.enabled {
            continue;
        }
        let group = u
            .parent_id
            .and_then(|p| tree.get(p))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, v)) => v.push((u.id.0, u.name.clone())),
            None => groups.push((group, vec![(u.id.0, u.name.clone())])),
        }
    }
    Ok(groups)
}

async fn form_page(
    st: &AppState,
    s: &Signed,
    id: Option<i64>,
    f: AppForm,
    errs: Vec<FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    render_as(
        AppFormPage {
            c: Chrome::of(&s.0, "apps"),
            id,
            agencies: agency_choices(st, lang).await?,
            f,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

async fn new_form(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let f = AppForm {
        contact_name: s.0.principal.name().to_owned(),
        ..Default::default()
    };
    form_page(&st, &s, None, f, vec![], StatusCode::OK).await
}

/// Anyone signed in: 新增應用系統.
async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<AppForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let agency = f.agency.trim().parse().unwrap_or(0);
    match st
        .app
        .register_app(&s.0.principal, &f.input(), agency, &ctx)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/apps/{id}?ok=created")).into_response()),
        Err(e) => {
            let (errs, _, status) = split(e, s.lang())?;
            form_page(&st, &s, None, f, errs, status).await
        }
    }
}

async fn edit_form(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = st
        .app
        .app_view(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    form_page(
        &st,
        &s,
        Some(id),
        AppForm::of(&v.app),
        vec![],
        StatusCode::OK,
    )
    .await
}

/// The owner or a system admin: edits the registration.
async fn edit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<AppForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let agency = f.agency.trim().parse().unwrap_or(0);
    match st
        .app
        .edit_app(&s.0.principal, id, &f.input(), agency, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/apps/{id}?ok=saved")).into_response()),
        Err(e) => {
            let (errs, _, status) = split(e, s.lang())?;
            form_page(&st, &s, Some(id), f, errs, status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct OkQuery {
    #[serde(default)]
    ok: String,
}

/// The owner or a system admin: the application, its services and what
/// can be done next.
async fn detail(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    detail_page(&st, &s, id, flash_of(&q.ok), String::new(), None).await
}

async fn detail_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    flash: Option<Msg>,
    error: String,
    secret: Option<String>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let v = st
        .app
        .app_view(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let tree = st
        .app
        .org_tree()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let rows = ServiceKind::ALL
        .iter()
        .map(|k| ServiceRow {
            kind: *k,
            approved: v.approved(*k).cloned(),
            pending: v.pending(*k).cloned(),
            agencies: v
                .approved(*k)
                .map(|s| {
                    s.tile_agencies
                        .iter()
                        .filter_map(|a| tree.get(*a).map(|u| u.name.clone()))
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
        })
        .collect();
    let admin = s.0.principal.is_system_admin();
    let nav = if admin && v.app.owner_id != s.0.principal.account_id() {
        "admin-apps"
    } else {
        "apps"
    };
    render(
        AppPage {
            c: Chrome::of(&s.0, nav).with_flash(flash),
            admin,
            may_have_secret: v.may_have_secret(),
            owner: v.app.owner_id == s.0.principal.account_id(),
            issuer: st.app.issuer().to_owned(),
            rows,
            error,
            secret,
            v,
        },
        lang,
    )
}

/// The owner: generates or rotates the client secret and shows it, this
/// once.
async fn secret(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.generate_secret(&s.0.principal, id, &ctx).await {
        Ok(secret) => detail_page(&st, &s, id, None, String::new(), Some(secret)).await,
        Err(e) => {
            let (_, msg, _) = split(e, s.lang())?;
            Ok(with_status(
                detail_page(&st, &s, id, None, msg, None).await?,
                crate::error::REFUSED,
            ))
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    note: String,
}

async fn set_suspended(
    st: AppState,
    s: Signed,
    ctx: portico_app::Ctx,
    id: i64,
    f: NoteForm,
    suspended: bool,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .set_app_suspended(&s.0.principal, id, suspended, &f.note, &ctx)
        .await
    {
        Ok(()) => {
            let ok = if suspended {
                "suspended"
            } else {
                "reactivated"
            };
            Ok(Redirect::to(&format!("/apps/{id}?ok={ok}")).into_response())
        }
        Err(e) => refused_on_detail(&st, &s, id, e).await,
    }
}

/// System admins: revokes the client secret (with a reason); nobody is
/// shown a new one.
async fn revoke_secret(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .revoke_secret(&s.0.principal, id, &f.note, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/apps/{id}?ok=secret_revoked")).into_response()),
        Err(e) => refused_on_detail(&st, &s, id, e).await,
    }
}

/// The application's page again, with the refusal said at the top (a
/// field's message included: these forms have one field).
async fn refused_on_detail(
    st: &AppState,
    s: &Signed,
    id: i64,
    e: portico_core::Error,
) -> Result<Response, WebError> {
    let (errs, msg, status) = split(e, s.lang())?;
    let msg = if msg.is_empty() {
        errs.iter()
            .map(|e| e.message.get(s.lang()).to_owned())
            .collect::<Vec<_>>()
            .join("；")
    } else {
        msg
    };
    Ok(with_status(
        detail_page(st, s, id, None, msg, None).await?,
        status,
    ))
}

/// System admins: suspends an application (with a reason).
async fn suspend(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    set_suspended(st, s, ctx, id, f, true).await
}

/// System admins: reactivates a suspended application.
async fn reactivate(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    set_suspended(st, s, ctx, id, f, false).await
}
