//! The org tree's console pages (組織管理, system admins): the tree,
//! creating, editing, moving, disabling and deleting units.
use crate::error::page_err;
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{CsrfForm, OkQuery, flash, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::orgs::UnitForm;
use portico_core::Error;
use portico_core::ids::OrgUnitId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/org", get(org).post(create_unit))
        .route("/admin/org/{id}", get(unit).post(update_unit))
        .route("/admin/org/{id}/move", post(move_unit))
        .route("/admin/org/{id}/delete", post(delete_unit))
}

fn org_row(
    tree: &portico_app::orgs::Tree,
    u: &portico_store::orgs::OrgUnit,
    depth: usize,
) -> OrgRow {
    OrgRow {
        id: u.id.0,
        name: u.name.clone(),
        path_name: tree.path_name(u),
        depth,
        children: tree
            .units
            .iter()
            .filter(|x| x.id != u.id && u.path.contains(&x.path))
            .count(),
        is_agency: u.kind == portico_core::org::OrgKind::Agency,
        kind: u.kind.label(),
        oid: u.oid.clone(),
        enabled: u.enabled,
        accounts: tree.subtree_count(u),
    }
}

/// The tree as the page shows it: folded to its groups and agencies, with
/// the units of one opened agency; or, for a search, the units found.
fn org_rows(tree: &portico_app::orgs::Tree, q: &str, open: Option<i64>) -> Vec<OrgRow> {
    if !q.trim().is_empty() {
        return tree
            .search(q, 200)
            .into_iter()
            .map(|(u, d)| org_row(tree, u, d))
            .collect();
    }
    let opened = open.and_then(|id| tree.get(portico_core::ids::OrgUnitId(id)));
    tree.order
        .iter()
        .map(|(i, d)| (&tree.units[*i], *d))
        .filter(|(u, _)| {
            u.kind != portico_core::org::OrgKind::Unit
                || opened.is_some_and(|o| o.path.contains(&u.path))
        })
        .map(|(u, d)| org_row(tree, u, d))
        .collect()
}

fn parent_options(tree: &portico_app::orgs::Tree, selected: Option<i64>) -> Vec<Choice> {
    let mut next = tree.next_child_oids();
    tree.order
        .iter()
        .map(|(i, _)| {
            let u = &tree.units[*i];
            // The whole path, so a chosen 行政科 says whose it is.
            Choice {
                id: u.id.0,
                label: tree.path_name(u),
                selected: Some(u.id.0) == selected,
                next_oid: next.remove(&u.id).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OrgQuery {
    ok: Option<String>,
    /// A part of a unit's name, or the start of its OID.
    q: String,
    /// The agency whose units to show.
    open: Option<i64>,
}

/// System admins: the org tree, folded to agencies, or searched.
async fn org(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OrgQuery>,
) -> Result<Response, WebError> {
    let view = TreeView {
        q: q.q.chars().take(60).collect(),
        open: q.open,
    };
    org_page(&st, &s, UnitForm::default(), vec![], q.ok.as_deref(), view).await
}

/// How the tree is shown: searched, or with one agency opened.
#[derive(Default)]
struct TreeView {
    q: String,
    open: Option<i64>,
}

async fn org_page(
    st: &AppState,
    s: &Signed,
    form: UnitForm,
    errs: Vec<portico_core::FieldError>,
    ok: Option<&str>,
    view: TreeView,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let tree = st
        .app
        .org_console(&s.0.principal.system_admin().map_err(page_err(lang))?)
        .await
        .map_err(page_err(lang))?;
    let status = crate::error::form_status(&errs);
    render_as(
        AdminOrgPage {
            c: Chrome::of(&s.0, "admin-org").with_flash(flash(ok)),
            parents: parent_options(&tree, form.parent_id),
            rows: org_rows(&tree, &view.q, view.open),
            q: view.q,
            open: view.open,
            form,
            errs: Errors::new(errs, lang),
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize)]
struct UnitPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    parent: String,
    // Every field as typed: a form sends text, and a number that does not
    // parse is the form's to report, not the extractor's to refuse.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    enabled: Option<String>,
}

impl UnitPost {
    fn form(self) -> UnitForm {
        let order = self.sort_order.trim();
        UnitForm {
            parent_id: self.parent.parse().ok(),
            kind: self.kind,
            name: self.name,
            oid: self.oid,
            // Not a number: out of range, refused with the range's message.
            sort_order: (!order.is_empty()).then(|| order.parse().unwrap_or(-1)),
            enabled: self.enabled,
        }
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
        Err(Error::Invalid(errs)) => org_page(&st, &s, form, errs, None, TreeView::default()).await,
        Err(Error::Conflict { field, message }) => {
            org_page(
                &st,
                &s,
                form,
                vec![portico_core::FieldError { field, message }],
                None,
                TreeView::default(),
            )
            .await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

/// What was typed on a unit's page when it comes back with errors: the
/// edit form, or the move form (the edit form then shows what is stored).
enum Typed {
    Edit(UnitForm),
    Move {
        parent: Option<i64>,
        oid: String,
    },
    /// Nothing typed (a refused delete): the stored values.
    Nothing,
}

async fn unit_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    typed: Option<Typed>,
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
    let (form, moving) = match typed {
        Some(Typed::Edit(f)) => (Some(f), None),
        Some(Typed::Move { parent, oid }) => (None, Some((parent, oid))),
        Some(Typed::Nothing) | None => (None, None),
    };
    let form = form.unwrap_or_else(|| UnitForm {
        parent_id: unit.parent_id.map(|p| p.0),
        kind: unit.kind.as_str().into(),
        name: unit.name.clone(),
        oid: unit.oid.clone(),
        sort_order: Some(unit.sort_order),
        enabled: unit.enabled.then(|| "on".into()),
    });
    let accounts = tree.subtree_count(&unit);
    let (move_parent, move_oid) = moving.unwrap_or((unit.parent_id.map(|p| p.0), unit.oid.clone()));
    let parents = parent_options(&tree, move_parent)
        .into_iter()
        .filter(|c| {
            tree.get(OrgUnitId(c.id))
                .is_some_and(|p| !unit.path.contains(&p.path))
        })
        .collect();
    let status = crate::error::form_status(&errs);
    render_as(
        AdminUnitPage {
            c: Chrome::of(&s.0, "admin-org").with_flash(flash(ok)),
            unit,
            form,
            errs: Errors::new(errs, lang),
            parents,
            move_oid,
            accounts,
        },
        lang,
        status,
    )
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
        Typed::Edit(form.clone()),
        st.app
            .update_unit(&s.0.principal, OrgUnitId(id), &form, &ctx)
            .await,
        if form.enabled.is_some() {
            "unit"
        } else {
            "unit-disabled"
        },
    )
    .await
}

async fn unit_result(
    st: &AppState,
    s: &Signed,
    id: i64,
    typed: Typed,
    r: Result<(), Error>,
    ok: &str,
) -> Result<Response, WebError> {
    let errs = match r {
        Ok(()) => return Ok(Redirect::to(&format!("/admin/org/{id}?ok={ok}")).into_response()),
        Err(Error::Invalid(errs)) => errs,
        Err(Error::Conflict { field, message }) => {
            vec![portico_core::FieldError { field, message }]
        }
        Err(Error::Refused(message)) => vec![portico_core::FieldError {
            field: "unit",
            message,
        }],
        Err(e) => return Err(WebError::page(e, s.lang())),
    };
    // A move's errors stand under the move form.
    let errs = match typed {
        Typed::Move { .. } => errs
            .into_iter()
            .map(|e| portico_core::FieldError {
                field: match e.field {
                    "oid" => "move_oid",
                    "parent_id" => "move_parent",
                    f => f,
                },
                message: e.message,
            })
            .collect(),
        Typed::Edit(_) | Typed::Nothing => errs,
    };
    unit_page(st, s, id, Some(typed), errs, None).await
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
        Typed::Move {
            parent: f.parent.parse().ok(),
            oid: f.oid.clone(),
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
            unit_result(&st, &s, id, Typed::Nothing, Err(e), "").await
        }
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}
