//! Pages for everyone: sign-in, home, the personal account page, records,
//! preferences, health checks.
use crate::extract::Path;
use crate::extract::{Form, LANG_COOKIE, LenientQuery, MaybeSigned, ReqCtx, Signed};
use crate::support::{CsrfForm, OkQuery, flash, render, render_as, safe_next, session_cookie};
use crate::view::*;
use crate::{AppState, WebError};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, extract::DefaultBodyLimit};
use portico_app::account::ProfileForm;
use portico_core::{Error, Lang, Msg, ids::AccountId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/captcha/{file}", get(captcha))
        .route("/logout", post(logout))
        .route("/logout/all", post(logout_all))
        .route("/session/extend", post(extend))
        .route("/prefs", post(prefs))
        .route("/account", get(account))
        .route("/account/profile", post(save_profile))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route(
            "/account/avatar",
            post(upload_avatar).layer(DefaultBodyLimit::max(
                portico_app::account::AVATAR_MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/account/avatar/delete", post(remove_avatar))
        .route("/avatar/{id}", get(avatar))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

async fn captcha(State(st): State<AppState>, Path(file): Path<String>) -> Response {
    let id = file.strip_suffix(".png").unwrap_or(&file);
    match st.app.captcha_png(id).await {
        Ok(Some(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        Ok(None) => crate::error::not_found(),
        Err(e) => WebError::page(e, Lang::ZhTw).into_response(),
    }
}

/// Anyone signed in: ends this session.
async fn logout(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .sign_out(&s.0, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let mut r = Redirect::to("/login?signed_out=one").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&st, "", Some(0)));
    Ok(r)
}

/// Anyone signed in: ends every session of the account.
async fn logout_all(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .sign_out_everywhere(&s.0, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let mut r = Redirect::to("/login?signed_out=all").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&st, "", Some(0)));
    Ok(r)
}

/// Anyone signed in: restarts the idle clock. Scripts get JSON (with the
/// CSRF header); a plain form post goes back where it came from.
async fn extend(
    State(st): State<AppState>,
    s: Signed,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body)
                .split('&')
                .find_map(|kv| kv.strip_prefix("_csrf=").map(str::to_owned))
                .unwrap_or_default()
        });
    s.check_csrf(&token)?;
    let secs = st
        .app
        .extend_session(&s.0)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    if headers.contains_key("x-csrf-token") {
        return Ok(axum::Json(serde_json::json!({ "remaining": secs })).into_response());
    }
    Ok(Redirect::to(&back_to(&headers)).into_response())
}

fn back_to(headers: &HeaderMap) -> String {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/");
    let path = referer
        .find("://")
        .and_then(|i| referer[i + 3..].find('/').map(|j| &referer[i + 3 + j..]))
        .unwrap_or(referer);
    safe_next(Some(path))
}

#[derive(serde::Deserialize)]
struct PrefsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    lang: Option<String>,
    theme: Option<String>,
}

/// Anyone: the language (remembered per person, or in a cookie before
/// sign-in) and the theme.
async fn prefs(
    State(st): State<AppState>,
    MaybeSigned(s): MaybeSigned,
    headers: HeaderMap,
    Form(f): Form<PrefsForm>,
) -> Result<Response, WebError> {
    let back = back_to(&headers);
    match s {
        Some(s) => {
            let s = Signed(s);
            s.check_csrf(&f.csrf)?;
            st.app
                .set_my_prefs(&s.0, f.lang.as_deref(), f.theme.as_deref())
                .await
                .map_err(|e| WebError::page(e, s.lang()))?;
            Ok(Redirect::to(&back).into_response())
        }
        None => {
            let lang = Lang::from_code(f.lang.as_deref().unwrap_or("zh-TW"));
            let mut r = Redirect::to(&back).into_response();
            let v = format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                lang.code()
            );
            if let Ok(h) = HeaderValue::from_str(&v) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            Ok(r)
        }
    }
}

pub(crate) fn profile_of(a: &portico_store::accounts::Account) -> ProfileForm {
    ProfileForm {
        name: a.name.clone(),
        title: a.title.clone(),
        office_phone: a.office_phone.clone(),
        office_ext: a.office_ext.clone(),
        birthday: a.birthday.clone(),
        home_address: a.home_address.clone(),
        work_address: a.work_address.clone(),
    }
}

pub(crate) async fn account_page(
    st: &AppState,
    s: &Signed,
    profile: Option<ProfileForm>,
    errs: Vec<portico_core::FieldError>,
    flash_code: Option<&str>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let me = st.app.me(&s.0).await.map_err(|e| WebError::page(e, lang))?;
    let policy = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .password
        .clone();
    let status = crate::error::form_status(&errs);
    let profile = profile.unwrap_or_else(|| profile_of(&me.account));
    let passkeys = st
        .app
        .my_passkeys(s.0.principal.account_id())
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        AccountPage {
            c: Chrome::of(&s.0, "account").with_flash(flash(flash_code)),
            me,
            profile,
            errs: Errors::new(errs, lang),
            policy,
            passkeys,
            rp_id: st.app.passkey_rp_id(),
            cards: st
                .app
                .my_cards(s.0.principal.account_id())
                .await
                .map_err(|e| WebError::page(e, lang))?,
            card_enabled: st.app.card_enabled(),
        },
        lang,
        status,
    )
}

/// Anyone signed in: the personal account page.
async fn account(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    account_page(&st, &s, None, vec![], q.ok.as_deref()).await
}

#[derive(serde::Deserialize)]
struct ProfilePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    form: ProfileForm,
}

async fn save_profile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<ProfilePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    match st.app.update_my_profile(&s.0, &f.form, &ctx).await {
        Ok(()) => Ok(Redirect::to("/account?ok=profile").into_response()),
        Err(Error::Invalid(errs)) => account_page(&st, &s, Some(f.form), errs, None).await,
        Err(e) => Err(WebError::page(e, s.lang())),
    }
}

/// Anyone signed in (also while a password change is due).
async fn password_page(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let lang = s.lang();
    let policy = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .password
        .clone();
    render(
        PasswordPage {
            c: Chrome::of(&s.0, "account"),
            errs: Errors::new(vec![], lang),
            policy,
            forced: s.0.must_change_password,
        },
        lang,
    )
}

#[derive(serde::Deserialize)]
struct PasswordPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    /// The page the form was on (`account` or `password`).
    #[serde(default)]
    from: String,
}

async fn change_password(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<PasswordPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    match st
        .app
        .change_my_password(
            &s.0,
            &f.old_password,
            &f.new_password,
            &f.confirm_password,
            &ctx,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?ok=password").into_response()),
        // From the account page, the account page again, with the
        // password section's fields marked (the profile as saved).
        Err(Error::Invalid(errs)) if f.from == "account" && !s.0.must_change_password => {
            account_page(&st, &s, None, errs, None).await
        }
        Err(Error::Invalid(errs)) => {
            let policy = st
                .app
                .settings()
                .await
                .map_err(|e| WebError::page(e, lang))?
                .password
                .clone();
            render_as(
                PasswordPage {
                    c: Chrome::of(&s.0, "account"),
                    errs: Errors::new(errs, lang),
                    policy,
                    forced: s.0.must_change_password,
                },
                lang,
                crate::error::INVALID_INPUT,
            )
        }
        Err(e) => Err(WebError::page(e, lang)),
    }
}

async fn upload_avatar(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let bad = |m: Msg| WebError::page(Error::invalid("avatar", m), lang);
    let mut csrf = String::new();
    let mut data: Option<Vec<u8>> = None;
    while let Some(field) = mp.next_field().await.map_err(|_| {
        bad(Msg::new(
            "上傳內容無法讀取，檔案可能超過 2 MB",
            "The upload could not be read; the file may exceed 2 MB",
        ))
    })? {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("avatar") => {
                data = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| {
                            bad(Msg::new(
                                "圖片不可超過 2 MB",
                                "The image must be at most 2 MB",
                            ))
                        })?
                        .to_vec(),
                )
            }
            _ => {}
        }
    }
    s.check_csrf(&csrf)?;
    match st
        .app
        .set_my_avatar(&s.0, &data.unwrap_or_default(), &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?ok=avatar").into_response()),
        Err(Error::Invalid(errs)) => account_page(&st, &s, None, errs, None).await,
        Err(e) => Err(WebError::page(e, lang)),
    }
}

async fn remove_avatar(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    st.app
        .remove_my_avatar(&s.0, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to("/account?ok=avatar-removed").into_response())
}

/// A person's own avatar, or one an admin may see.
async fn avatar(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match st
        .app
        .avatar(&s.0.principal, AccountId(id))
        .await
        .map_err(|e| WebError::page(e, s.lang()))?
    {
        Some(png) => Ok((
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=60"),
            ],
            png,
        )
            .into_response()),
        None => Ok(crate::error::not_found()),
    }
}

/// For load balancers: the database answers and its schema is current.
async fn readyz(State(st): State<AppState>) -> Response {
    let ok = st.app.db.ping().await.is_ok()
        && portico_store::migrate::current(&st.app.db)
            .await
            .map(|v| v == portico_store::migrate::latest())
            .unwrap_or(false);
    if ok {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}
