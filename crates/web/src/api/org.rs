//! `/org…`: the org tree (system admins write; every admin reads their
//! subtree).
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_app::orgs::UnitForm;
use portico_core::ids::OrgUnitId;
use portico_core::{Error, Msg};
use serde_json::json;

use super::{ApiResult, ok};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct OrgQuery {
    /// A part of a unit's name (or its ancestors'), or the start of its OID.
    q: String,
    /// At most this many (1–1000; all when left out).
    limit: Option<usize>,
}

/// Anyone signed in: the org tree in display order, or the units a search
/// finds, each with its full name (民政局／行政科). Admins also get the
/// number of accounts under each unit; the unit picker needs no more.
pub(super) async fn org(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<OrgQuery>,
) -> ApiResult {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let admin = s.principal.admin().is_ok();
    let limit = q.limit.map_or(usize::MAX, |l| l.clamp(1, 1000));
    let items: Vec<_> = tree
        .search(&q.q, limit)
        .into_iter()
        .map(|(u, d)| {
            let mut v = json!({ "unit": u, "depth": d, "path_name": tree.path_name(u) });
            if admin {
                v["accounts"] = json!(tree.subtree_count(u));
            }
            v
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Anyone signed in: one unit (with its account count for admins).
pub(super) async fn unit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let u = tree
        .get(OrgUnitId(id))
        .ok_or(WebError::api(Error::NotFound))?;
    let mut v = json!({ "unit": u, "path_name": tree.path_name(u) });
    if s.principal.admin().is_ok() {
        v["accounts"] = json!(tree.subtree_count(u));
    }
    Ok(axum::Json(v).into_response())
}

/// A unit as JSON: every field optional on update (the current value stays).
#[derive(serde::Deserialize)]
pub(super) struct UnitBody {
    parent_id: Option<i64>,
    kind: Option<String>,
    name: Option<String>,
    oid: Option<String>,
    sort_order: Option<i64>,
    enabled: Option<bool>,
}

impl UnitBody {
    fn form(self, cur: Option<&portico_store::orgs::OrgUnit>) -> UnitForm {
        UnitForm {
            parent_id: self
                .parent_id
                .or(cur.and_then(|u| u.parent_id.map(|p| p.0))),
            kind: self
                .kind
                .or(cur.map(|u| u.kind.as_str().to_owned()))
                .unwrap_or_default(),
            name: self
                .name
                .or(cur.map(|u| u.name.clone()))
                .unwrap_or_default(),
            oid: self.oid.or(cur.map(|u| u.oid.clone())).unwrap_or_default(),
            sort_order: self.sort_order.or(cur.map(|u| u.sort_order)),
            enabled: self
                .enabled
                .or(cur.map(|u| u.enabled))
                .unwrap_or(true)
                .then(|| "on".to_owned()),
        }
    }
}

/// System admins: a new unit under `parent_id` (none for a top-level group).
pub(super) async fn create_unit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<UnitBody>,
) -> ApiResult {
    let u = st
        .app
        .create_unit(&s.principal, &b.form(None), &ctx)
        .await
        .map_err(WebError::api)?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(json!({ "unit": u })),
    )
        .into_response())
}

/// System admins: rename, new OID, order, enable or disable.
pub(super) async fn update_unit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<UnitBody>,
) -> ApiResult {
    let tree = st
        .app
        .org_console(&s.principal.system_admin().map_err(WebError::api)?)
        .await
        .map_err(WebError::api)?;
    let cur = tree
        .get(OrgUnitId(id))
        .ok_or(WebError::api(Error::NotFound))?;
    st.app
        .update_unit(&s.principal, OrgUnitId(id), &b.form(Some(cur)), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
pub(super) struct MoveBody {
    parent_id: Option<i64>,
    #[serde(default)]
    oid: String,
}

/// System admins: moves a unit and its subtree, with its OID there.
pub(super) async fn move_unit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<MoveBody>,
) -> ApiResult {
    let parent = b.parent_id.ok_or_else(|| {
        WebError::api(Error::invalid(
            "parent_id",
            Msg::new("請選擇新的上層單位", "Choose the new parent"),
        ))
    })?;
    st.app
        .move_unit(&s.principal, OrgUnitId(id), OrgUnitId(parent), &b.oid, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// System admins: deletes an empty unit.
pub(super) async fn delete_unit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .delete_unit(&s.principal, OrgUnitId(id), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}
