//! 系統參數管理: the system parameters, for system admins, saved with the
//! version the form was read at (two admins saving at once: merged, or the
//! conflicting fields named).
use crate::error::page_err;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{OkQuery, flash, render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_app::settings::Saved;
use portico_core::settings::SystemSettings;
use portico_core::{Error, Msg};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/settings", get(settings).post(save_settings))
}

/// System admins: the system parameters.
async fn settings(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (cur, version) = st
        .app
        .settings_console(&s.0.principal.system_admin().map_err(page_err(lang))?)
        .await
        .map_err(page_err(lang))?;
    render(
        AdminSettingsPage {
            c: Chrome::of(&s.0, "admin-settings").with_flash(flash(q.ok.as_deref())),
            seen_inside: seen_inside(&cur, &ctx),
            seen_ip: ctx.ip.clone(),
            s: cur,
            version,
            conflict: String::new(),
            errs: Errors::new(vec![], lang),
            typed: None,
        },
        lang,
    )
}

fn seen_inside(s: &SystemSettings, ctx: &portico_app::Ctx) -> bool {
    ctx.address().is_some_and(|ip| s.zones().is_internal(ip))
}

/// The settings form: numbers as typed, so a typo is a field error.
#[derive(serde::Deserialize)]
struct SettingsPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

fn parse_settings(
    f: &std::collections::HashMap<String, String>,
    base: &SystemSettings,
) -> Result<SystemSettings, Vec<portico_core::FieldError>> {
    let mut errs = Vec::new();
    let mut num = |key: &'static str, cur: u32| -> u32 {
        match f.get(key).map(|v| v.trim().parse::<u32>()) {
            Some(Ok(v)) => v,
            None => cur,
            Some(Err(_)) => {
                errs.push(portico_core::FieldError {
                    field: key,
                    message: portico_core::Msg::new("請輸入整數", "Enter a whole number"),
                });
                cur
            }
        }
    };
    let mut s = base.clone();
    s.password.min_len = num("password.min_len", s.password.min_len);
    s.password.max_len = num("password.max_len", s.password.max_len);
    s.password.history = num("password.history", s.password.history);
    s.password.max_age_days = num("password.max_age_days", s.password.max_age_days);
    s.lockout.max_failures = num("lockout.max_failures", s.lockout.max_failures);
    s.lockout.window_minutes = num("lockout.window_minutes", s.lockout.window_minutes);
    s.lockout.lock_minutes = num("lockout.lock_minutes", s.lockout.lock_minutes);
    s.session_idle_minutes = num("session_idle_minutes", s.session_idle_minutes);
    s.idle_disable_days = num("idle_disable_days", s.idle_disable_days);
    s.retention_years = num("retention_years", s.retention_years);
    s.review_every_months = num("review_every_months", s.review_every_months);
    if let Some(v) = f.get("review_revokes") {
        s.review_revokes = v == "revoke";
    }
    s.oauth_client_per_minute = num("oauth_client_per_minute", s.oauth_client_per_minute);
    s.verify_account_per_minute = num("verify_account_per_minute", s.verify_account_per_minute);
    s.oauth_account_per_minute = num("oauth_account_per_minute", s.oauth_account_per_minute);
    let flag = |k: &str| f.get(k).is_some_and(|v| v == "on");
    // An unticked box is not sent at all: the boxes count only when the
    // form that shows them was sent, or a partial post would untick them.
    if f.contains_key("password_checks_shown") {
        s.password.require_upper = flag("password.require_upper");
        s.password.require_lower = flag("password.require_lower");
        s.password.require_digit = flag("password.require_digit");
        s.password.require_special = flag("password.require_special");
    }
    if let Some(d) = f.get("official_mail_domain") {
        s.official_mail_domain = d.trim().to_ascii_lowercase();
    }
    for (k, slot) in [
        ("mail_login_url", &mut s.mail_login_url),
        ("webmail_url", &mut s.webmail_url),
    ] {
        if let Some(v) = f.get(k) {
            *slot = v.trim().to_owned();
        }
    }
    if let Some(v) = f.get("internal_networks") {
        s.internal_networks = v.trim().replace("\r\n", "\n");
    }
    if let Some(v) = f.get("trusted_proxies") {
        s.trusted_proxies = v.trim().replace("\r\n", "\n");
    }
    if f.contains_key("outside_methods_shown") {
        s.outside_methods = portico_core::zone::SignInMethod::ALL
            .into_iter()
            .filter(|m| flag(&format!("outside.{}", m.as_str())))
            .collect();
    }
    if errs.is_empty() { Ok(s) } else { Err(errs) }
}

async fn save_settings(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<SettingsPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    let base = (*st.app.settings().await.map_err(page_err(lang))?).clone();
    let inside = seen_inside(&base, &ctx);
    // The version the form was read at: without it nobody can tell what
    // another admin changed meanwhile, so nothing is saved.
    let from: Option<i64> = f.fields.get("version").and_then(|v| v.parse().ok());
    let typed = Some(f.fields.clone());
    let page = |shown, version, conflict, errs, typed| AdminSettingsPage {
        c: Chrome::of(&s.0, "admin-settings"),
        seen_inside: inside,
        seen_ip: ctx.ip.clone(),
        s: shown,
        version,
        conflict,
        errs: Errors::new(errs, lang),
        typed,
    };
    // Without a version, the page shown again carries the latest, so the
    // next save is checked against it.
    let latest = match from {
        Some(v) if v >= 0 => None,
        _ => Some(
            st.app
                .settings_console(&s.0.principal.system_admin().map_err(page_err(lang))?)
                .await
                .map_err(page_err(lang))?
                .1,
        ),
    };
    let new = match parse_settings(&f.fields, &base) {
        Ok(new) => new,
        Err(errs) => {
            let v = latest.or(from).unwrap_or(0);
            return render_as(
                page(base, v, String::new(), errs, typed),
                lang,
                crate::error::INVALID_INPUT,
            );
        }
    };
    let (Some(from), None) = (from, latest) else {
        let m = Msg::new(
            "此表單缺少版本資訊，無法確認其他管理者是否已修改，未儲存。請確認下列內容後再按一次「儲存」。",
            "This form carries no version, so nobody can tell what another administrator changed meanwhile; nothing was saved. Check the values below and save again.",
        );
        return render_as(
            page(
                base,
                latest.unwrap_or(0),
                m.get(lang).to_owned(),
                vec![],
                typed,
            ),
            lang,
            crate::error::REFUSED,
        );
    };
    match st
        .app
        .update_settings(&s.0.principal, &new, from, &ctx)
        .await
    {
        Ok(Saved::Done(_)) => Ok(Redirect::to("/admin/settings?ok=settings").into_response()),
        Ok(Saved::Conflict {
            fields,
            kept,
            version,
        }) => {
            let m = portico_core::settings::conflict_message(&fields);
            let errs = fields
                .iter()
                .map(|&field| portico_core::FieldError {
                    field,
                    message: Msg::new(
                        "其他管理者剛修改了此欄位；這裡顯示的是他儲存的值",
                        "Another administrator just changed this field; it shows their value",
                    ),
                })
                .collect();
            // The other admin's values are what the conflicting fields
            // show; the rest keep what was typed.
            let mut typed = f.fields.clone();
            for field in &fields {
                typed.remove(*field);
            }
            render_as(
                page(*kept, version, m.get(lang).to_owned(), errs, Some(typed)),
                lang,
                crate::error::REFUSED,
            )
        }
        Err(Error::Invalid(errs)) => render_as(
            page(new, from, String::new(), errs, typed),
            lang,
            crate::error::INVALID_INPUT,
        ),
        Err(e) => Err(WebError::page(e, lang)),
    }
}
