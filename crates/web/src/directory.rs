//! AD 同步管理作業 (issue 13): the directory targets Portico writes accounts
//! and units to, their settings and their connection test. System admins.
use crate::error::split;
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::{CsrfForm, flash, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::FieldError;
use portico_core::directory::{DirectoryKind, TargetInput, default_oid_attribute};
use portico_store::directory::TargetRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/directory", get(list).post(create))
        .route("/admin/directory/{id}", get(target).post(update))
        .route("/admin/directory/{id}/probe", post(probe))
        .route("/admin/directory/{id}/retry", post(retry))
        .route("/admin/directory/{id}/reconcile", post(reconcile))
}

#[derive(serde::Deserialize, Default)]
struct TargetPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    f: TargetInput,
}

/// The form as a stored target fills it (the password is never shown).
fn input_of(r: &TargetRow) -> TargetInput {
    let t = &r.target;
    let on = |b: bool| if b { "on".to_owned() } else { String::new() };
    TargetInput {
        name: t.name.clone(),
        kind: t.kind.as_str().into(),
        url: t.url.clone(),
        starttls: on(t.security == portico_core::directory::Security::StartTls),
        ca_pem: t.ca_pem.clone(),
        bind_dn: t.bind_dn.clone(),
        bind_password: String::new(),
        people_base: t.people_base.clone(),
        mail_base: if t.mail_base == t.people_base {
            String::new()
        } else {
            t.mail_base.clone()
        },
        unit_ous: on(t.unit_ous),
        password_sync: on(t.password_sync),
        oid_attribute: t.oid_attribute.clone(),
        enabled: on(t.enabled),
    }
}

/// A new target's form, as an AD site would fill it.
fn blank() -> TargetInput {
    TargetInput {
        kind: DirectoryKind::ActiveDirectory.as_str().into(),
        unit_ous: "on".into(),
        password_sync: "on".into(),
        enabled: "on".into(),
        oid_attribute: default_oid_attribute(DirectoryKind::ActiveDirectory).into(),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    st: &AppState,
    s: &Signed,
    form: TargetInput,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let targets = st
        .app
        .directory_targets(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        DirectoryPage {
            c: Chrome::of(&s.0, "admin-directory"),
            targets,
            form,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

/// System admins: the targets, and the form for a new one.
async fn list(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    list_page(&st, &s, blank(), vec![], String::new(), StatusCode::OK).await
}

async fn create(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<TargetPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    match st
        .app
        .create_directory_target(&s.0.principal, &p.f, &ctx)
        .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/admin/directory/{id}?ok=directory-saved")).into_response())
        }
        Err(e) => {
            let (errs, error, status) = split(e, s.lang())?;
            let f = TargetInput {
                bind_password: String::new(),
                ..p.f
            };
            list_page(&st, &s, f, errs, error, status).await
        }
    }
}

/// What the page's checks found: the connection test, a reconcile.
#[derive(Default)]
struct Probed {
    ok: bool,
    failed: Option<portico_app::directory::client::Failure>,
    drift: Option<(portico_app::directory::reconcile::Drift, bool)>,
}

#[allow(clippy::too_many_arguments)]
async fn target_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    form: Option<TargetInput>,
    probed: Probed,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
    ok: Option<&str>,
    (state, who): (&str, &str),
) -> Result<Response, WebError> {
    let lang = s.lang();
    let row = st
        .app
        .directory_target(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let form = form.unwrap_or_else(|| input_of(&row));
    let state = match state {
        "pending" | "applied" | "failed" => state,
        _ => "",
    };
    let (ops, counts) = st
        .app
        .directory_ops(
            &s.0.principal,
            id,
            (!state.is_empty()).then_some(state),
            Some(who.trim()).filter(|w| !w.is_empty()),
        )
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        DirectoryTargetPage {
            c: Chrome::of(&s.0, "admin-directory").with_flash(flash(ok)),
            steps: portico_app::directory::client::Step::ALL
                .iter()
                .map(|step| StepView {
                    label: step.label(),
                    state: match &probed.failed {
                        Some(f) if f.step == *step => "failed",
                        Some(f) if (f.step as usize) < (*step as usize) => "skipped",
                        Some(_) => "passed",
                        None if probed.ok => "passed",
                        None => "",
                    },
                    message: probed
                        .failed
                        .as_ref()
                        .filter(|f| f.step == *step)
                        .map(|f| (f.message.clone(), f.detail.clone())),
                })
                .collect(),
            probed: probed.ok || probed.failed.is_some(),
            drift: probed.drift,
            ops,
            counts,
            state: state.to_owned(),
            who: who.trim().to_owned(),
            row,
            form,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

/// System admins: one target's settings, health and connection test.
async fn target(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<TargetQuery>,
) -> Result<Response, WebError> {
    target_page(
        &st,
        &s,
        id,
        None,
        Probed::default(),
        vec![],
        String::new(),
        StatusCode::OK,
        q.ok.as_deref(),
        (&q.state, &q.who),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TargetQuery {
    ok: Option<String>,
    /// `pending`, `applied` or `failed`: the changes shown.
    state: String,
    /// One account's (or mail account's) history, by its login.
    who: String,
}

#[derive(serde::Deserialize, Default)]
struct RetryPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// One change; empty: every refused one.
    #[serde(default)]
    op: String,
}

/// System admins: refused changes tried again, one or all.
async fn retry(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<RetryPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let one = f.op.trim().parse::<i64>().ok();
    st.app
        .retry_directory_ops(&s.0.principal, id, one, &ctx)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!(
        "/admin/directory/{id}?ok=directory-retried&state=pending"
    ))
    .into_response())
}

async fn update(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<TargetPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let version = p.version.trim().parse::<i64>().unwrap_or(0);
    match st
        .app
        .update_directory_target(&s.0.principal, id, &p.f, version, &ctx)
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admin/directory/{id}?ok=directory-saved")).into_response())
        }
        Err(e) => {
            let (errs, error, status) = split(e, s.lang())?;
            let f = TargetInput {
                bind_password: String::new(),
                ..p.f
            };
            target_page(
                &st,
                &s,
                id,
                Some(f),
                Probed::default(),
                errs,
                error,
                status,
                None,
                ("", ""),
            )
            .await
        }
    }
}

/// System admins: the connection test, step by step.
async fn probe(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    let outcome = st
        .app
        .probe_directory_target(&s.0.principal, id, &ctx)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let probed = match outcome {
        Ok(()) => Probed {
            ok: true,
            ..Probed::default()
        },
        Err(f) => Probed {
            failed: Some(f),
            ..Probed::default()
        },
    };
    target_page(
        &st,
        &s,
        id,
        None,
        probed,
        vec![],
        String::new(),
        StatusCode::OK,
        None,
        ("", ""),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
struct ReconcilePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// `on`: queue the drifted accounts' syncs; empty: compare only.
    #[serde(default)]
    repair: String,
    /// `xlsx` or `ods`: the comparison as a report to keep.
    #[serde(default)]
    export: String,
}

/// System admins: the directory compared with Portico, and repaired if
/// asked.
async fn reconcile(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<ReconcilePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    // The page's own check: only a system admin reaches the target.
    st.app
        .directory_target(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let repair = f.repair == "on";
    let drift = match st.app.reconcile_directory(id, !repair, &ctx).await {
        Ok(d) => d,
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            return target_page(
                &st,
                &s,
                id,
                None,
                Probed::default(),
                errs,
                error,
                status,
                None,
                ("", ""),
            )
            .await;
        }
    };
    if let Some(format) = portico_app::export::Sheet::parse(&f.export) {
        let bytes = portico_app::export::table(&drift.table(lang), format)
            .map_err(|e| WebError::page(e, lang))?;
        let name = format!(
            "directory-{id}-drift-{}.{}",
            portico_core::time::date_str(st.app.now().to_offset(portico_core::time::TAIPEI).date()),
            format.extension()
        );
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    format.content_type().to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    let probed = Probed {
        drift: Some((drift, repair)),
        ..Probed::default()
    };
    target_page(
        &st,
        &s,
        id,
        None,
        probed,
        vec![],
        String::new(),
        StatusCode::OK,
        None,
        ("", ""),
    )
    .await
}
