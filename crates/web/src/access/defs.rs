//! The definitions' pages (issue 14 §1): 會員類別與組織管理 for system
//! admins, and 應用系統角色管理 for an application's managers.
use crate::error::split;
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{CsrfForm, agency_choices, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use portico_app::access::{OrgDraft, RoleDraft};
use portico_core::access::CategoryInput;
use portico_core::ids::AccountId;
use portico_core::{Error, FieldError, Msg};

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "saved" => Msg::new("已儲存", "Saved"),
        "manager" => Msg::new("已更新應用系統管理者", "The managers are updated"),
        _ => return None,
    })
}

fn on(v: &str) -> bool {
    !v.is_empty()
}

#[derive(serde::Deserialize, Default)]
pub(super) struct AdminQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    ok: Option<String>,
}

async fn admin_page(
    st: &AppState,
    s: &Signed,
    q: AdminQuery,
    posted: Posted,
    errs: Vec<FieldError>,
    error: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let (categories, orgs) = st
        .app
        .access_definitions(&s.0.principal, q.q.trim(), q.page.unwrap_or(1), 20)
        .await
        .map_err(err)?;
    let tree = st.app.org_tree().await.map_err(err)?;
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    render_as(
        AccessAdminPage {
            c: Chrome::of(&s.0, "admin-access").with_flash(flash_of(q.ok.as_deref())),
            categories,
            page: orgs,
            query_string: format!("q={}", crate::extract::urlencode(&q.q)),
            q: q.q,
            units: agency_choices(&tree),
            section: posted.section.clone(),
            posted,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

pub(super) async fn admin(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    admin_page(&st, &s, q, Posted::default(), vec![], String::new()).await
}

/// A definition saved: back to the page, or the page again with the form's
/// errors under it.
async fn after_admin(
    st: &AppState,
    s: &Signed,
    posted: Posted,
    r: Result<(), Error>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to("/admin/access?ok=saved").into_response()),
        Err(e) => {
            let (errs, error, _) = split(e, s.lang())?;
            admin_page(st, s, AdminQuery::default(), posted, errs, error).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct CategoryPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    needs_form: String,
    #[serde(default)]
    active: String,
}

impl CategoryPost {
    fn posted(&self, section: String) -> Posted {
        Posted {
            section,
            fields: [
                ("code", self.code.clone()),
                ("name", self.name.clone()),
                ("description", self.description.clone()),
                ("needs_form", self.needs_form.clone()),
                ("active", self.active.clone()),
            ]
            .into_iter()
            .collect(),
        }
    }
}

impl CategoryPost {
    fn input(&self) -> CategoryInput<'_> {
        CategoryInput {
            code: &self.code,
            name: &self.name,
            description: &self.description,
            needs_form: on(&self.needs_form),
        }
    }
}

pub(super) async fn new_category(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CategoryPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_category(&s.0.principal, &ctx, None, &f.input(), true)
        .await
        .map(|_| ());
    after_admin(&st, &s, f.posted("category".into()), r).await
}

pub(super) async fn save_category(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CategoryPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_category(&s.0.principal, &ctx, Some(id), &f.input(), on(&f.active))
        .await
        .map(|_| ());
    after_admin(&st, &s, f.posted(format!("category-{id}")), r).await
}

#[derive(serde::Deserialize, Default)]
pub(super) struct OrgPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// An agency of the tree; empty for an outside organisation.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    needs_form: String,
    #[serde(default)]
    roles_only: String,
    #[serde(default)]
    active: String,
}

impl OrgPost {
    fn posted(&self, section: String) -> Posted {
        Posted {
            section,
            fields: [
                ("unit", self.unit.clone()),
                ("name", self.name.clone()),
                ("oid", self.oid.clone()),
                ("description", self.description.clone()),
                ("needs_form", self.needs_form.clone()),
                ("roles_only", self.roles_only.clone()),
                ("active", self.active.clone()),
            ]
            .into_iter()
            .collect(),
        }
    }
}

impl OrgPost {
    fn draft(&self, active: bool) -> OrgDraft {
        OrgDraft {
            unit: self.unit.trim().parse().ok(),
            name: self.name.clone(),
            oid: self.oid.clone(),
            description: self.description.clone(),
            needs_form: on(&self.needs_form),
            roles_only: on(&self.roles_only),
            active,
        }
    }
}

pub(super) async fn new_org(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<OrgPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_access_org(&s.0.principal, &ctx, None, &f.draft(true))
        .await
        .map(|_| ());
    after_admin(&st, &s, f.posted("org".into()), r).await
}

pub(super) async fn save_org(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<OrgPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_access_org(&s.0.principal, &ctx, Some(id), &f.draft(on(&f.active)))
        .await
        .map(|_| ());
    after_admin(&st, &s, f.posted(format!("org-{id}")), r).await
}

#[derive(serde::Deserialize, Default)]
pub(super) struct TitlePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    active: String,
}

impl TitlePost {
    fn posted(&self, section: String) -> Posted {
        Posted {
            section,
            fields: [
                ("title", self.title.clone()),
                ("active", self.active.clone()),
            ]
            .into_iter()
            .collect(),
        }
    }
}

pub(super) async fn add_title(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<TitlePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .add_org_title(&s.0.principal, &ctx, id, &f.title)
        .await
        .map(|_| ());
    after_admin(&st, &s, f.posted(format!("org-{id}")), r).await
}

pub(super) async fn title_active(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, title)): Path<(i64, i64)>,
    Form(f): Form<TitlePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .set_org_title_active(&s.0.principal, &ctx, id, title, on(&f.active))
        .await;
    after_admin(&st, &s, f.posted(format!("org-{id}")), r).await
}

// ---- 應用系統角色管理 -------------------------------------------------------

pub(super) async fn apps(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let lang = s.lang();
    let apps = st
        .app
        .managed_role_apps(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        AccessAppsPage {
            c: Chrome::of(&s.0, "access-apps"),
            apps,
        },
        lang,
        StatusCode::OK,
    )
}

async fn app_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    flash: Option<Msg>,
    posted: Posted,
    errs: Vec<FieldError>,
    error: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let a = st
        .app
        .app_roles(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let status = if !errs.is_empty() {
        crate::error::INVALID_INPUT
    } else {
        crate::error::banner_status(&error)
    };
    render_as(
        AccessAppPage {
            c: Chrome::of(&s.0, "access-apps").with_flash(flash),
            a,
            section: posted.section.clone(),
            posted,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
pub(super) struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub(super) async fn app(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    app_page(
        &st,
        &s,
        id,
        flash_of(q.ok.as_deref()),
        Posted::default(),
        vec![],
        String::new(),
    )
    .await
}

async fn after_app(
    st: &AppState,
    s: &Signed,
    id: i64,
    posted: Posted,
    ok: &str,
    r: Result<(), Error>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/access/apps/{id}?ok={ok}")).into_response()),
        Err(e) => {
            let (errs, error, _) = split(e, s.lang())?;
            app_page(st, s, id, None, posted, errs, error).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct RolePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    needs_category: String,
    #[serde(default)]
    needs_org: String,
    #[serde(default)]
    needs_form: String,
    #[serde(default)]
    needs_undertaking: String,
    #[serde(default)]
    approver: String,
    #[serde(default)]
    schema: String,
    #[serde(default)]
    active: String,
}

impl RolePost {
    fn posted(&self, section: String) -> Posted {
        Posted {
            section,
            fields: [
                ("code", self.code.clone()),
                ("name", self.name.clone()),
                ("description", self.description.clone()),
                ("needs_category", self.needs_category.clone()),
                ("needs_org", self.needs_org.clone()),
                ("needs_form", self.needs_form.clone()),
                ("needs_undertaking", self.needs_undertaking.clone()),
                ("approver", self.approver.clone()),
                ("schema", self.schema.clone()),
                ("active", self.active.clone()),
            ]
            .into_iter()
            .collect(),
        }
    }
}

impl RolePost {
    fn draft(&self, active: bool) -> RoleDraft {
        RoleDraft {
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            needs_category: self.needs_category.trim().parse().ok(),
            needs_org: self.needs_org.trim().parse().ok(),
            needs_form: on(&self.needs_form),
            needs_undertaking: on(&self.needs_undertaking),
            approver: self.approver.clone(),
            schema: self.schema.clone(),
            active,
        }
    }
}

pub(super) async fn new_role(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<RolePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_app_role(&s.0.principal, &ctx, id, None, &f.draft(true))
        .await
        .map(|_| ());
    after_app(&st, &s, id, f.posted("role".into()), "saved", r).await
}

pub(super) async fn save_role(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, role)): Path<(i64, i64)>,
    Form(f): Form<RolePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .save_app_role(
            &s.0.principal,
            &ctx,
            id,
            Some(role),
            &f.draft(on(&f.active)),
        )
        .await
        .map(|_| ());
    after_app(&st, &s, id, f.posted(format!("role-{role}")), "saved", r).await
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ManagerPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    login: String,
}

impl ManagerPost {
    fn posted(&self, section: String) -> Posted {
        Posted {
            section,
            fields: [("login", self.login.clone())].into_iter().collect(),
        }
    }
}

pub(super) async fn add_manager(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<ManagerPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .add_app_manager(&s.0.principal, &ctx, id, &f.login)
        .await;
    after_app(&st, &s, id, f.posted("manager".into()), "manager", r).await
}

pub(super) async fn remove_manager(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, account)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .remove_app_manager(&s.0.principal, &ctx, id, AccountId(account))
        .await;
    after_app(
        &st,
        &s,
        id,
        Posted {
            section: "manager".into(),
            ..Default::default()
        },
        "manager",
        r,
    )
    .await
}
