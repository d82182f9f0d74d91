//! The admin console's account pages (管理主控台 帳號管理): accounts within
//! the admin's scope and rank, their actions and roles. The console's other
//! pages are their capabilities' own: `org.rs`, `settings.rs`, `audit.rs`,
//! `review.rs`, `outbox.rs`, `clients.rs`.
use crate::error::page_err;
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::forms::AccountQuery;
use crate::support::{CsrfForm, OkQuery, flash, render, render_as, with_status};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::Error;
use portico_core::ids::{AccountId, OrgUnitId, RoleId};
use portico_core::org::OrgKind;
use portico_core::permission::RoleKind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(accounts))
        .route("/admin/accounts/{id}", get(account))
        .route("/admin/accounts/{id}/disable", post(disable))
        .route("/admin/accounts/{id}/cancel", post(cancel))
        .route(
            "/admin/accounts/{id}/national-id",
            get(national_id).post(reveal_national_id),
        )
        .route("/admin/accounts/{id}/profile", post(edit_profile))
        .route("/admin/accounts/{id}/enable", post(enable))
        .route("/admin/accounts/{id}/unlock", post(unlock))
        .route("/admin/accounts/{id}/reset-password", post(reset_password))
        .route(
            "/admin/accounts/{id}/methods/{method}/reset",
            post(reset_method),
        )
        .route("/admin/accounts/{id}/roles", post(grant))
        .route("/admin/accounts/{id}/roles/{role}/revoke", post(revoke))
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
        "name={}&login={}&title={}&agency={}&state={}",
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
    errs: Vec<portico_core::FieldError>,
    typed: Option<portico_app::account::ProfileForm>,
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
    let units: Vec<_> = tree
        .order
        .iter()
        .map(|(i, d)| (&tree.units[*i], *d))
        .filter(|(u, _)| {
            u.kind != OrgKind::Group && admin.scope().covers(&u.path) && tree.is_live(u)
        })
        .collect();
    // Only the roles this admin can grant somewhere: strictly below their
    // own where it applies (a unit admin grants none).
    let grantable: Vec<RoleKind> = RoleKind::ALL
        .into_iter()
        .filter(|k| match k {
            RoleKind::SystemAdmin => admin.may_grant(*k, None).is_ok(),
            _ => units
                .iter()
                .any(|(u, _)| admin.may_grant(*k, Some(&u.path)).is_ok()),
        })
        .collect();
    let scopes = units
        .iter()
        .map(|(u, d)| {
            (
                u.id.0,
                format!("{}{}", "　".repeat(d.saturating_sub(1)), u.name),
            )
        })
        .collect();
    let status = crate::error::banner_status(&error);
    let profile = typed.unwrap_or_else(|| crate::pages::profile_of(&m.account));
    let default_scope = m.account.agency_id.map(|x| x.0).unwrap_or(0);
    render_as(
        AdminAccountPage {
            c: Chrome::of(&s.0, "admin-accounts").with_flash(flash(flash_code)),
            m,
            scopes,
            grantable,
            default_scope,
            error,
            errs: Errors::new(errs, lang),
            profile,
        },
        lang,
        status,
    )
}

/// Any admin, for an account in scope.
async fn account(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    account_view(&st, &s, id, q.ok.as_deref(), String::new(), vec![], None).await
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
            account_view(st, s, id, None, m.get(s.lang()).to_owned(), vec![], None).await
        }
        Err(Error::Invalid(errs)) => {
            // The banner names each field, the message also stands under it.
            let lang = s.lang();
            let text = errs
                .iter()
                .map(|e| {
                    let (zh, en) = match e.field {
                        "reason" => ("原因", "Reason"),
                        "scope_unit" => ("管理範圍", "Scope"),
                        "kind" => ("角色", "Role"),
                        _ => ("", ""),
                    };
                    let name = portico_core::Msg::new(zh, en);
                    let name = name.get(lang);
                    if name.is_empty() {
                        e.message.get(lang).to_owned()
                    } else {
                        format!("{name}：{}", e.message.get(lang))
                    }
                })
                .collect::<Vec<_>>()
                .join("；");
            Ok(with_status(
                account_view(st, s, id, None, text, errs, None).await?,
                crate::error::INVALID_INPUT,
            ))
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

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AdminProfileForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    title: String,
    office_phone: String,
    office_ext: String,
    birthday: String,
    home_address: String,
    work_address: String,
    unit: String,
}

/// An admin edits a person's data, and within their scope the unit.
async fn edit_profile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<AdminProfileForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let profile = portico_app::account::ProfileForm {
        name: f.name,
        title: f.title,
        office_phone: f.office_phone,
        office_ext: f.office_ext,
        birthday: f.birthday,
        home_address: f.home_address,
        work_address: f.work_address,
    };
    let unit = match f.unit.trim() {
        "" => None,
        u => Some(OrgUnitId(u.parse().unwrap_or(-1))),
    };
    match st
        .app
        .admin_update_profile(&s.0.principal, AccountId(id), &profile, unit, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/accounts/{id}?ok=profile")).into_response()),
        Err(Error::Invalid(errs)) => {
            let lang = s.lang();
            Ok(with_status(
                account_view(
                    &st,
                    &s,
                    id,
                    None,
                    portico_core::Msg::new(
                        "輸入資料有誤，請依欄位下方說明修正",
                        "Some fields need correcting; see the notes under them",
                    )
                    .get(lang)
                    .to_owned(),
                    errs,
                    Some(profile),
                )
                .await?,
                crate::error::INVALID_INPUT,
            ))
        }
        Err(e) => act(&st, &s, id, Err(e), "profile").await,
    }
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

/// 帳號註銷: the person left the post.
async fn cancel(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let r = st
        .app
        .cancel_account(&s.0.principal, AccountId(id), &f.reason, &ctx)
        .await;
    act(&st, &s, id, r, "cancelled").await
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

/// Any admin who may see the account: its national ID masked, and the
/// reason form that shows it whole.
async fn national_id(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    national_id_page(&st, &s, id, None, vec![], String::new(), String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RevealForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason_kind: String,
    reason: String,
}

/// The same admin, with a case number, document number or reason: the
/// whole ID, the look-up recorded as the admin's usage (002 §六 (三) 2).
async fn reveal_national_id(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<RevealForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st
        .app
        .reveal_national_id(
            &s.0.principal,
            AccountId(id),
            &f.reason_kind,
            &f.reason,
            &ctx,
        )
        .await
    {
        Ok(n) => national_id_page(&st, &s, id, n, vec![], f.reason_kind, f.reason).await,
        Err(Error::Invalid(errs)) => Ok(with_status(
            national_id_page(&st, &s, id, None, errs, f.reason_kind, f.reason).await?,
            crate::error::INVALID_INPUT,
        )),
        Err(Error::Refused(m)) => Ok(with_status(
            national_id_page(
                &st,
                &s,
                id,
                None,
                vec![portico_core::FieldError {
                    field: "reason",
                    message: m,
                }],
                f.reason_kind,
                f.reason,
            )
            .await?,
            crate::error::REFUSED,
        )),
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

async fn national_id_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    shown: Option<String>,
    errs: Vec<portico_core::FieldError>,
    reason_kind: String,
    reason: String,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let m = st
        .app
        .managed_account(&s.0.principal, AccountId(id))
        .await
        .map_err(page_err(lang))?;
    let masked = m
        .account
        .national_id
        .as_deref()
        .map(portico_core::national_id::masked)
        .unwrap_or_default();
    let mut r = render(
        NationalIdPage {
            c: Chrome::of(&s.0, "admin-accounts"),
            id,
            login: m.account.login,
            name: m.account.name,
            masked,
            shown,
            errs: Errors::new(errs, lang),
            reason_kind,
            reason,
        },
        lang,
    )?;
    // A page with a whole national ID is not kept by the browser.
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}
