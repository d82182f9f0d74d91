//! The JSON API under `/api/v1`: everything the pages do, for scripts and
//! other systems. It accepts the session cookie, with the `X-CSRF-Token`
//! header on every write. Bad input answers 422 with the fields and their
//! messages in both languages; nothing is changed.
//!
//! The routes are one table, [`routes`], and a test holds it equal to the
//! paths and methods of the OpenAPI document (`openapi.json`), so the two
//! cannot drift apart.
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use portico_app::account::ProfileForm;
use portico_app::orgs::UnitForm;
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::permission::RoleKind;
use portico_core::{Error, Lang, Msg};
use serde_json::{Value, json};

mod clients;
mod settings;
use clients::*;
use settings::*;

/// Every API route: method, path (as in the OpenAPI document), handler.
pub(crate) fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    let avatar_limit = DefaultBodyLimit::max(portico_app::account::AVATAR_MAX_BYTES + 1024);
    vec![
        ("get", "/openapi.json", get(openapi)),
        ("get", "/me", get(me)),
        ("put", "/me/profile", put(save_profile)),
        ("post", "/me/password", post(change_password)),
        ("put", "/me/avatar", put(upload_avatar).layer(avatar_limit)),
        ("delete", "/me/avatar", delete(remove_avatar)),
        ("put", "/me/prefs", put(save_prefs)),
        ("post", "/me/sign-out-everywhere", post(sign_out_everywhere)),
        ("get", "/me/sign-in-records", get(my_sign_ins)),
        ("get", "/me/usage-records", get(my_usage)),
        ("get", "/me/records/{seq}", get(my_record)),
        ("get", "/accounts", get(search)),
        ("get", "/accounts/{id}", get(account)),
        ("post", "/accounts/{id}/disable", post(disable)),
        ("post", "/accounts/{id}/enable", post(enable)),
        ("post", "/accounts/{id}/unlock", post(unlock)),
        (
            "post",
            "/accounts/{id}/reset-password",
            post(reset_password),
        ),
        ("post", "/accounts/{id}/roles", post(grant)),
        (
            "delete",
            "/accounts/{id}/methods/{method}",
            delete(reset_method),
        ),
        ("delete", "/accounts/{id}/roles/{role}", delete(revoke)),
        ("get", "/org", get(org)),
        ("post", "/org", post(create_unit)),
        ("get", "/org/{id}", get(unit)),
        ("put", "/org/{id}", put(update_unit)),
        ("post", "/org/{id}/move", post(move_unit)),
        ("delete", "/org/{id}", delete(delete_unit)),
        ("get", "/settings", get(settings)),
        ("put", "/settings", put(save_settings)),
        ("get", "/audit", get(audit)),
        ("get", "/audit/export.xlsx", get(audit_export)),
        ("get", "/audit/{seq}", get(audit_event)),
        ("post", "/apps/verify", post(app_verify)),
        ("post", "/apps/sms", post(app_sms)),
        ("get", "/apps", get(apps_list)),
        ("post", "/apps", post(app_register)),
        ("get", "/apps/{id}", get(app_get)),
        ("put", "/apps/{id}", put(app_update)),
        ("post", "/apps/{id}/services", post(app_apply)),
        ("post", "/apps/{id}/secret", post(app_secret)),
        ("post", "/apps/{id}/suspend", post(app_suspend)),
        ("post", "/apps/{id}/reactivate", post(app_reactivate)),
        ("get", "/app-services/{id}", get(app_service)),
        ("post", "/app-services/{id}/decision", post(app_decide)),
    ]
}

pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, mr)| r.route(path, mr))
}

type ApiResult = Result<Response, WebError>;

fn ok() -> ApiResult {
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

fn page<T: serde::Serialize>(p: portico_store::Page<T>) -> ApiResult {
    Ok(axum::Json(
        json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items }),
    )
    .into_response())
}

fn filter_of(q: &crate::support::RecordsQuery) -> Result<portico_store::audit::Filter, WebError> {
    let (f, errs) = q.filter();
    if errs.is_empty() {
        Ok(f)
    } else {
        Err(WebError::api(Error::Invalid(errs)))
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
        .into_response()
}

// ---- the caller's own account ---------------------------------------------

/// Anyone signed in.
async fn me(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let me = st.app.me(&s).await.map_err(WebError::api)?;
    Ok(axum::Json(json!({ "account": me.account, "roles": me.roles, "active_sessions": me.active_sessions, "password_days_left": s.password_days_left, "bound_methods": me.bound })).into_response())
}

/// Anyone signed in: their name, title, phone, birthday and addresses.
async fn save_profile(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(f): Json<ProfileForm>,
) -> ApiResult {
    st.app
        .update_my_profile(&s, &f, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
struct PasswordBody {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Anyone signed in (also while a password change is due).
async fn change_password(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<PasswordBody>,
) -> ApiResult {
    st.app
        .change_my_password(
            &s,
            &b.old_password,
            &b.new_password,
            &b.confirm_password,
            &ctx,
        )
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: the body is the PNG or JPEG itself.
async fn upload_avatar(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let body = body.map_err(|_| WebError {
        status: Some(crate::error::TOO_LARGE),
        ..WebError::api(Error::invalid(
            "avatar",
            Msg::new("圖片不可超過 2 MB", "The image must be at most 2 MB"),
        ))
    })?;
    st.app
        .set_my_avatar(&s, &body, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in.
async fn remove_avatar(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult {
    st.app
        .remove_my_avatar(&s, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
struct PrefsBody {
    lang: Option<String>,
    theme: Option<String>,
}

/// Anyone signed in: language (`zh-TW`, `en`) and theme (`light`, `dark`).
async fn save_prefs(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Json(b): Json<PrefsBody>,
) -> ApiResult {
    let mut c = portico_core::error::Collector::new();
    if let Some(l) = &b.lang
        && !matches!(l.as_str(), "zh-TW" | "en")
    {
        c.push(
            "lang",
            Msg::new("語言須為 zh-TW 或 en", "lang is zh-TW or en"),
        );
    }
    if let Some(t) = &b.theme
        && !matches!(t.as_str(), "light" | "dark")
    {
        c.push(
            "theme",
            Msg::new("佈景須為 light 或 dark", "theme is light or dark"),
        );
    }
    c.finish().map_err(WebError::api)?;
    st.app
        .set_my_prefs(&s, b.lang.as_deref(), b.theme.as_deref())
        .await
        .map_err(WebError::api)?;
    ok()
}

/// Anyone signed in: ends every session of theirs, this one included.
async fn sign_out_everywhere(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
) -> ApiResult {
    let n = st
        .app
        .sign_out_everywhere(&s, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(json!({ "ok": true, "ended": n })).into_response())
}

/// Anyone signed in: their sign-in records.
async fn my_sign_ins(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .my_sign_in_records(&s, &f, q.page.unwrap_or(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// Anyone signed in: their usage records.
async fn my_usage(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .my_usage_records(&s, &f, q.page.unwrap_or(1))
            .await
            .map_err(WebError::api)?,
    )
}

/// Anyone signed in: one of their own records.
async fn my_record(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(seq): Path<i64>,
) -> ApiResult {
    let e = st.app.my_record(&s, seq).await.map_err(WebError::api)?;
    Ok(axum::Json(e).into_response())
}

// ---- accounts in the admin's scope ----------------------------------------

/// Any admin: accounts within their scope.
async fn search(
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
async fn account(
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
struct Reason {
    #[serde(default)]
    reason: String,
}

/// Any admin, for an account in scope.
async fn disable(
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
async fn enable(
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
async fn unlock(
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
async fn reset_password(
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
async fn reset_method(
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
struct GrantBody {
    #[serde(default)]
    kind: String,
    scope_unit: Option<i64>,
}

/// Any admin, for an account in scope, within their own scope and rank.
async fn grant(
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
async fn revoke(
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

// ---- the org tree -----------------------------------------------------------

/// Anyone signed in: the org tree.
async fn org(State(st): State<AppState>, ApiUser(_): ApiUser) -> ApiResult {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let items: Vec<_> = tree
        .order
        .iter()
        .map(|(i, d)| json!({ "unit": tree.units[*i], "depth": d, "accounts": tree.subtree_count(&tree.units[*i]) }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Anyone signed in: one unit.
async fn unit(State(st): State<AppState>, ApiUser(_): ApiUser, Path(id): Path<i64>) -> ApiResult {
    let tree = st.app.org_tree().await.map_err(WebError::api)?;
    let u = tree
        .get(OrgUnitId(id))
        .ok_or(WebError::api(Error::NotFound))?;
    Ok(axum::Json(json!({ "unit": u, "accounts": tree.subtree_count(u) })).into_response())
}

/// A unit as JSON: every field optional on update (the current value stays).
#[derive(serde::Deserialize)]
struct UnitBody {
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
async fn create_unit(
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
async fn update_unit(
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
struct MoveBody {
    parent_id: Option<i64>,
    #[serde(default)]
    oid: String,
}

/// System admins: moves a unit and its subtree, with its OID there.
async fn move_unit(
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
async fn delete_unit(
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

// ---- the audit trail ------------------------------------------------------------

/// Any admin: the audit trail within their scope.
async fn audit(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    page(
        st.app
            .audit_events(&s.principal, &f, q.page.unwrap_or(1), 50)
            .await
            .map_err(WebError::api)?,
    )
}

/// Any admin: one event within their scope.
async fn audit_event(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(seq): Path<i64>,
) -> ApiResult {
    let e = st
        .app
        .audit_event(&s.principal, seq)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(e).into_response())
}

/// Any admin: the matching events as an xlsx workbook, in the caller's
/// language.
async fn audit_export(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<crate::support::RecordsQuery>,
) -> ApiResult {
    let f = filter_of(&q)?;
    let xlsx = st
        .app
        .audit_export(&s.principal, &f, Lang::from_code(&s.lang))
        .await
        .map_err(WebError::api)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.xlsx\"",
            ),
        ],
        xlsx,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_is_in_the_openapi_document_and_nothing_else() {
        let doc: Value = serde_json::from_str(include_str!("../../openapi.json")).expect("json");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<_> = routes()
            .into_iter()
            .filter(|(_, p, _)| *p != "/openapi.json")
            .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
            .collect();
        assert_eq!(routed, documented);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge_patch(&mut t, json!({"a": {"b": 9, "c": null}, "e": [1]}));
        assert_eq!(t, json!({"a": {"b": 9}, "d": 3, "e": [1]}));
    }

    #[test]
    fn unknown_setting_names_are_found_at_any_depth() {
        let cur = json!({"lockout": {"max_failures": 5}, "x": 1});
        let mut out = Vec::new();
        unknown_keys(
            &json!({"lockout": {"max_failure": 6}, "x": 2, "y": 3}),
            &cur,
            "",
            &mut out,
        );
        assert_eq!(out, ["lockout.max_failure", "y"]);
    }
}
