//! `/accounts…`: the console's accounts in the admin's scope and rank,
//! their actions and roles.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::extract::State;
use axum::response::IntoResponse;
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::permission::RoleKind;
use portico_core::{Error, Msg};
use serde_json::json;

use super::{ApiResult, ok, page};

/// Any admin: accounts within their scope.
pub(super) async fn search(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::forms::AccountQuery>,
) -> ApiResult {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let search = q.search(&tree, st.app.now());
    page(
        st.app
            .search_accounts(&s.principal, &search, q.page.unwrap_or(1), 50)
            .await
            .map_err(WebError::api)?,
    )
}

/// Any admin, for an account in scope.
pub(super) async fn account(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    let m = st
        .app
        .managed_account(&s.principal, AccountId(id))
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(json!({ "account": m.account, "roles": m.roles, "locked": m.locked, "bound_methods": m.bound }))
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
pub(super) struct Reason {
    #[serde(default)]
    reason: String,
}

/// Any admin, for an account in scope.
pub(super) async fn disable(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(r): Json<Reason>,
) -> ApiResult {
    st.app
        .disable_account(&s.principal, AccountId(id), &r.reason, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Any admin, for an account in scope.
pub(super) async fn enable(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(r): Json<Reason>,
) -> ApiResult {
    st.app
        .enable_account(&s.principal, AccountId(id), &r.reason, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Any admin, for an account in scope.
pub(super) async fn unlock(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .unlock_account(&s.principal, AccountId(id), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Any admin, for an account in scope: a new password at the next sign-in.
pub(super) async fn reset_password(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .force_password_reset(&s.principal, AccountId(id), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Any admin, for an account in scope: removes a bound sign-in method
/// (`totp`, `passkey`, `certificate`).
pub(super) async fn reset_method(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, method)): Path<(i64, String)>,
) -> ApiResult {
    let method = portico_core::zone::SignInMethod::parse(&method)
        .ok_or_else(|| WebError::api(portico_core::Error::NotFound))?;
    st.app
        .reset_method(&s.principal, AccountId(id), method, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
pub(super) struct GrantBody {
    #[serde(default)]
    kind: String,
    scope_unit: Option<i64>,
}

/// Any admin, for an account in scope, within their own scope and rank.
pub(super) async fn grant(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<GrantBody>,
) -> ApiResult {
    let kind = RoleKind::parse(&b.kind).ok_or_else(|| {
        WebError::api(Error::invalid(
            "kind",
            Msg::new(
                "角色須為 system_admin、agency_admin 或 unit_admin",
                "kind is system_admin, agency_admin or unit_admin",
            ),
        ))
    })?;
    st.app
        .grant_role(
            &s.principal,
            AccountId(id),
            kind,
            b.scope_unit.map(OrgUnitId),
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Any admin, for a role they could have granted.
pub(super) async fn revoke(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path((id, role)): Path<(i64, i64)>,
) -> ApiResult {
    st.app
        .revoke_role(&s.principal, AccountId(id), RoleId(role), &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AdminProfileBody {
    #[serde(flatten)]
    profile: portico_app::account::ProfileForm,
    /// A unit in the admin's own scope; left out, the unit stays.
    unit_id: Option<i64>,
}

/// Any admin, for an account they may act on: edits the person's data,
/// and within the admin's scope their unit.
pub(super) async fn edit_profile(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<AdminProfileBody>,
) -> ApiResult {
    st.app
        .admin_update_profile(
            &s.principal,
            portico_core::ids::AccountId(id),
            &b.profile,
            b.unit_id.map(portico_core::ids::OrgUnitId),
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    ok()
}
