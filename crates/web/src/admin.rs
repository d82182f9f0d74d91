//! The admin console (管理主控台): accounts within the admin's scope, the
//! org tree, system parameters and the audit trail.
use crate::error::page_err;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::forms::AccountQuery;
use crate::support::{CsrfForm, OkQuery, RecordsQuery, flash, render};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::orgs::UnitForm;
use portico_core::Error;
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::org::OrgKind;
use portico_core::permission::RoleKind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(accounts))
        .route("/admin/accounts/{id}", get(account))
        .route("/admin/accounts/{id}/disable", post(disable))
        .route("/admin/accounts/{id}/enable", post(enable))
        .route("/admin/accounts/{id}/unlock", post(unlock))
        .route("/admin/accounts/{id}/reset-password", post(reset_password))
        .route(
            "/admin/accounts/{id}/methods/{method}/reset",
            post(reset_method),
        )
        .route("/admin/accounts/{id}/roles", post(grant))
        .route("/admin/accounts/{id}/roles/{role}/revoke", post(revoke))
        .route("/admin/org", get(org).post(create_unit))
        .route("/admin/org/{id}", get(unit).post(update_unit))
        .route("/admin/org/{id}/move", post(move_unit))
        .route("/admin/org/{id}/delete", post(delete_unit))
        .route("/admin/audit", get(audit))
        .route("/admin/audit/export.xlsx", get(audit_export))
        .route("/admin/audit/{seq}", get(audit_event))
}

/// Any admin: searches the accounts in their scope.
async fn accounts(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AccountQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let admin = p.admin().map_err(page_err(lang))?;
    let tree = st.app.org_tree().await.map_err(page_err(lang))?;
    let search = q.search(&tree, st.app.now());
    let page = st
        .app
        .search_accounts(p, &search, q.page.unwrap_or(1), 20)
        .await
        .map_err(page_err(lang))?;
    let agencies = tree
        .agencies()
        .filter(|a| admin.scope().covers(&a.path))
        .map(|a| (a.id.0, a.name.clone()))
        .collect();
    use crate::extract::urlencode as e;
    let query_string = format!(
        "name={}&amp;login={}&amp;title={}&amp;agency={}&amp;state={}",
        e(&q.name),
        e(&q.login),
        e(&q.title),
        e(&q.agency),
        e(&q.state)
    );
    let qv = AccountQueryView {
        name: q.name,
        login: q.login,
        title: q.title,
        agency: q.agency,
        state: q.state,
    };
    render(
        AdminAccountsPage {
            c: Chrome::of(&s.0, "admin-accounts"),
            page,
            q: qv,
            agencies,
            query_string,
        },
        lang,
    )
}

async fn account_view(
    st: &AppState,
    s: &Signed,
    id: i64,
    flash_code: Option<&str>,
    error: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let p = &s.0.principal;
    let m = st
        .app
        .managed_account(p, AccountId(id))
        .await
        .map_err(page_err(lang))?;
    let admin = p.admin().map_err(page_err(lang))?;
    let tree = st.app.org_tree().await.map_err(page_err(lang))?;
    let scopes = tree
        .order
        .iter()
        .map(|(i, d)| (&tree.units[*i], *d))
        .filter(|(u, _)| {
            u.kind != OrgKind::Group && admin.scope().covers(&u.path) && tree.is_live(u)
        })
        .map(|(u, d)| {
            (
                u.id.0,
                format!("{}{}", "　".repeat(d.saturating_sub(1)), u.name),
            )
        })
        .collect();
    let status = crate::error::banner_status(&error);
    let default_scope = m.account.agency_id.map(|x| x.0).unwrap_or(0);
    let mut r = render(
        AdminAccountPage {
            c: Chrome::of(&s.0, "admin-accounts").with_flash(flash(flash_code)),
            m,
            scopes,
            default_scope,
            error,
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// Any admin, for an account in scope.
async fn account(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    account_view(&st, &s, id, q.ok.as_deref(), String::new()).await
}

/// Runs an account action; a refusal (a rule said no) is shown on the
/// account page itself, so the admin reads it beside the account.
async fn act(
    st: &AppState,
    s: &Signed,
    id: i64,
    r: Result<(), Error>,
    ok: &str,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/admin/accounts/{id}?ok={ok}")).into_response()),
        Err(Error::Refused(m)) | Err(Error::Conflict { message: m, .. }) => {
            account_view(st, s, id, None, m.get(s.lang()).to_owned()).await
        }
        Err(Error::Invalid(errs)) => {
            let text = errs
                .iter()
                .map(|e| e.message.get(s.lang()).to_owned())
                .collect::<Vec<_>>()
                .join("；");
            let mut r = account_view(st, s, id, None, text).await?;
            *r.status_mut() = crate::error::INVALID_INPUT;
            Ok(r)
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

/// Removes a bound sign-in method (a lost phone, a lost card).
async fn reset_method(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, method)): Path<(i64, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let Some(method) = portico_core::zone::SignInMethod::parse(&method) else {
        return Err(WebError::page(Error::NotFound, s.lang()));
    };
    let r = st
        .app
        .reset_method(&s.0.principal, AccountId(id), method, &ctx)
        .await;
    act(&st, &s, id, r, "method-reset").await
}

#[derive(serde::Deserialize)]
struct ReasonForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn disable(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .disable_account(&s.0.principal, AccountId(id), &f.reason, &ctx)
        .await;
    act(&st, &s, id, r, "disabled").await
}

async fn enable(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .enable_account(&s.0.principal, AccountId(id), &f.reason, &ctx)
        .await;
    act(&st, &s, id, r, "enabled").await
}

async fn unlock(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .unlock_account(&s.0.principal, AccountId(id), &ctx)
        .await;
    act(&st, &s, id, r, "unlocked").await
}

async fn reset_password(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .force_password_reset(&s.0.principal, AccountId(id), &ctx)
        .await;
    act(&st, &s, id, r, "reset").await
}

#[derive(serde::Deserialize)]
struct GrantForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    scope_unit: String,
}

async fn grant(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = match RoleKind::parse(&f.kind) {
        Some(kind) => {
            st.app
                .grant_role(
                    &s.0.principal,
                    AccountId(id),
                    kind,
                    f.scope_unit.parse().ok().map(OrgUnitId),
                    &ctx,
                )
                .await
        }
        None => Err(Error::invalid(
            "kind",
            portico_core::Msg::new("請選擇角色", "Choose a role"),
        )),
    };
    act(&st, &s, id, r, "granted").await
}

async fn revoke(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, role)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .revoke_role(&s.0.principal, AccountId(id), RoleId(role), &ctx)
        .await;
    act(&st, &s, id, r, "revoked").await
}

fn org_rows(tree: &portico_app::orgs::Tree) -> Vec<OrgRow> {
    tree.order
        .iter()
        .map(|(i, d)| {
            let u = &tree.units[*i];
            OrgRow {
                id: u.id.0,
                name: u.name.clone(),
                depth: *d,
                kind: u.kind.label(),
                oid: u.oid.clone(),
                enabled: u.enabled,
                accounts: tree.subtree_count(u),
            }
        })
        .collect()
}

fn parent_options(tree: &portico_app::orgs::Tree, selected: Option<i64>) -> Vec<Choice> {
    tree.order
        .iter()
        .map(|(i, d)| {
            let u = &tree.units[*i];
            Choice {
                id: u.id.0,
                label: format!("{}{}", "　".repeat(*d), u.name),
                selected: Some(u.id.0) == selected,
            }
        })
        .collect()
}

/// System admins: the org tree.
async fn org(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    org_page(&st, &s, UnitForm::default(), vec![], q.ok.as_deref()).await
}

async fn org_page(
    st: &AppState,
    s: &Signed,
    form: UnitForm,
    errs: Vec<portico_core::FieldError>,
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let tree = st
        .app
        .org_console(&s.0.principal.system_admin().map_err(page_err(lang))?)
        .await
        .map_err(page_err(lang))?;
    let status = crate::error::form_status(&errs);
    let mut r = render(
        AdminOrgPage {
            c: Chrome::of(&s.0, "admin-org").with_flash(flash(ok)),
            parents: parent_options(&tree, form.parent_id),
            rows: org_rows(&tree),
            form,
            errs: Errors::new(errs, lang),
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(serde::Deserialize)]
struct UnitPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    parent: String,
    #[serde(flatten)]
    form: UnitForm,
}

impl UnitPost {
    fn form(mut self) -> UnitForm {
        self.form.parent_id = self.parent.parse().ok();
        self.form
    }
}

async fn create_unit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<UnitPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let form = f.form();
    match st.app.create_unit(&s.0.principal, &form, &ctx).await {
        Ok(u) => Ok(Redirect::to(&format!("/admin/org/{}?ok=unit", u.id)).into_response()),
        Err(Error::Invalid(errs)) => org_page(&st, &s, form, errs, None).await,
        Err(Error::Conflict { field, message }) => {
            org_page(
                &st,
                &s,
                form,
                vec![portico_core::FieldError { field, message }],
                None,
            )
            .await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

async fn unit_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    form: Option<UnitForm>,
    errs: Vec<portico_core::FieldError>,
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let tree = st
        .app
        .org_console(&s.0.principal.system_admin().map_err(page_err(lang))?)
        .await
        .map_err(page_err(lang))?;
    let unit = tree
        .get(OrgUnitId(id))
        .cloned()
        .ok_or(Error::NotFound)
        .map_err(page_err(lang))?;
    let form = form.unwrap_or_else(|| UnitForm {
        parent_id: unit.parent_id.map(|p| p.0),
        kind: unit.kind.as_str().into(),
        name: unit.name.clone(),
        oid: unit.oid.clone(),
        sort_order: Some(unit.sort_order),
        enabled: unit.enabled.then(|| "on".into()),
    });
    let accounts = tree.subtree_count(&unit);
    let parents = parent_options(&tree, unit.parent_id.map(|p| p.0))
        .into_iter()
        .filter(|c| {
            tree.get(OrgUnitId(c.id))
                .is_some_and(|p| !unit.path.contains(&p.path))
        })
        .collect();
    let status = crate::error::form_status(&errs);
    let mut r = render(
        AdminUnitPage {
            c: Chrome::of(&s.0, "admin-org").with_flash(flash(ok)),
            unit,
            form,
            errs: Errors::new(errs, lang),
            parents,
            accounts,
        },
        lang,
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// System admins: one unit.
async fn unit(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    unit_page(&st, &s, id, None, vec![], q.ok.as_deref()).await
}

async fn update_unit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<UnitPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let form = f.form();
    unit_result(
        &st,
        &s,
        id,
        form.clone(),
        st.app
            .update_unit(&s.0.principal, OrgUnitId(id), &form, &ctx)
            .await,
        "unit",
    )
    .await
}

async fn unit_result(
    st: &AppState,
    s: &Signed,
    id: i64,
    form: UnitForm,
    r: Result<(), Error>,
    ok: &str,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/admin/org/{id}?ok={ok}")).into_response()),
        Err(Error::Invalid(errs)) => unit_page(st, s, id, Some(form), errs, None).await,
        Err(Error::Conflict { field, message }) => {
            unit_page(
                st,
                s,
                id,
                Some(form),
                vec![portico_core::FieldError { field, message }],
                None,
            )
            .await
        }
        Err(Error::Refused(message)) => {
            unit_page(
                st,
                s,
                id,
                Some(form),
                vec![portico_core::FieldError {
                    field: "unit",
                    message,
                }],
                None,
            )
            .await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

#[derive(serde::Deserialize)]
struct MovePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    oid: String,
}

async fn move_unit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<MovePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = match f.parent.parse::<i64>() {
        Ok(p) => {
            st.app
                .move_unit(&s.0.principal, OrgUnitId(id), OrgUnitId(p), &f.oid, &ctx)
                .await
        }
        Err(_) => Err(Error::invalid(
            "parent_id",
            portico_core::Msg::new("請選擇新的上層單位", "Choose the new parent"),
        )),
    };
    unit_result(
        &st,
        &s,
        id,
        UnitForm {
            oid: f.oid.clone(),
            ..UnitForm::default()
        },
        r,
        "moved",
    )
    .await
}

async fn delete_unit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .delete_unit(&s.0.principal, OrgUnitId(id), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/org?ok=unit-deleted").into_response()),
        Err(e @ (Error::Refused(_) | Error::Invalid(_))) => {
            unit_result(&st, &s, id, UnitForm::default(), Err(e), "").await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

/// Any admin: the audit trail within their scope.
async fn audit(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    // A filter that does not parse shows its errors over an empty page,
    // to admins only (the use case checks).
    let page = st
        .app
        .audit_events(&s.0.principal, &f, q.page.unwrap_or(1), 30)
        .await
        .map_err(page_err(lang))?;
    let page = if errs.is_empty() {
        page
    } else {
        portico_store::Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 30,
        }
    };
    let qv = q.view();
    render(
        AdminAuditPage {
            c: Chrome::of(&s.0, "admin-audit"),
            page,
            q: qv,
            actor: q.actor.clone(),
            query_string: q.query_string(),
            errs: Errors::new(errs, lang),
        },
        lang,
    )
}

/// Any admin: the filtered trail as an xlsx file.
async fn audit_export(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<RecordsQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (f, errs) = q.filter();
    if !errs.is_empty() {
        return Err(WebError::page(Error::Invalid(errs), lang));
    }
    let bytes = st
        .app
        .audit_export(&s.0.principal, &f, lang)
        .await
        .map_err(page_err(lang))?;
    let name = format!(
        "audit-{}.xlsx",
        portico_core::time::date_str(st.app.now().to_offset(portico_core::time::TAIPEI).date())
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Any admin: one event within their scope.
async fn audit_event(
    State(st): State<AppState>,
    s: Signed,
    Path(seq): Path<i64>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let e = st
        .app
        .audit_event(&s.0.principal, seq)
        .await
        .map_err(page_err(lang))?;
    render(
        AdminEventPage {
            c: Chrome::of(&s.0, "admin-audit"),
            e,
            back: "/admin/audit".into(),
        },
        lang,
    )
}
