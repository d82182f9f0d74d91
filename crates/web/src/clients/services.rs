//! A client's service applications as pages: the form for each service,
//! the printable record of an application, and the system admin's decision.
use super::{OkQuery, agency_choices, flash_of};
use crate::error::split;
use crate::extract::Path;
use crate::extract::{Form, LenientQuery, ReqCtx, Signed};
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use portico_app::clients::ServiceInput;
use portico_core::clients::ServiceKind;
use portico_core::request::Decision;
use portico_core::{Error, FieldError, Lang, Msg};

fn kind_of(kind: &str, lang: Lang) -> Result<ServiceKind, WebError> {
    ServiceKind::parse(kind).ok_or_else(|| WebError::page(Error::NotFound, lang))
}

#[allow(clippy::too_many_arguments)]
async fn apply_page(
    st: &AppState,
    s: &Signed,
    id: i64,
    kind: ServiceKind,
    f: ServiceInput,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let v = st
        .app
        .app_view(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    render_as(
        ApplyPage {
            c: Chrome::of(&s.0, "apps"),
            app_name: v.app.name.clone(),
            id,
            kind,
            agencies: if kind == ServiceKind::Tile {
                agency_choices(st, lang).await?
            } else {
                Vec::new()
            },
            f,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

/// 我要申請: the form for one service, filled from the approved
/// configuration when there is one (a change is a new application).
pub(super) async fn apply_form(
    State(st): State<AppState>,
    s: Signed,
    Path((id, kind)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&kind, lang)?;
    let v = st
        .app
        .app_view(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let f = match v.approved(kind) {
        Some(a) => ServiceInput {
            kind: kind.as_str().into(),
            claims: a.claims.iter().map(|c| c.as_str().to_owned()).collect(),
            redirect_uris: a.redirect_uris.join("\n"),
            post_logout_uris: a.post_logout_uris.join("\n"),
            client_type: a.client_type.as_str().into(),
            signing_alg: a.signing_alg.as_str().into(),
            api_access: a.api_access,
            initiate_login_uri: a.initiate_login_uri.clone(),
            backchannel_logout_uri: a.backchannel_logout_uri.clone(),
            tile_agencies: a.tile_agencies.iter().map(|u| u.0).collect(),
            sms_quota: a.sms_quota.to_string(),
            reason: String::new(),
        },
        None => ServiceInput {
            kind: kind.as_str().into(),
            claims: vec!["name".into(), "login".into()],
            client_type: "confidential".into(),
            signing_alg: "ES256".into(),
            sms_quota: "100".into(),
            ..Default::default()
        },
    };
    apply_page(&st, &s, id, kind, f, vec![], String::new(), StatusCode::OK).await
}

/// Sends an application for a service to the system admins.
pub(super) async fn apply(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path((id, kind)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let kind = kind_of(&kind, lang)?;
    let pairs = crate::support::Pairs(pairs);
    let get = |k: &str| pairs.one(k).to_owned();
    s.check_csrf(&get("_csrf"))?;
    let all = |k: &str| pairs.all(k);
    let f = ServiceInput {
        kind: kind.as_str().into(),
        claims: all("claims"),
        redirect_uris: get("redirect_uris"),
        post_logout_uris: get("post_logout_uris"),
        client_type: get("client_type"),
        signing_alg: get("signing_alg"),
        api_access: get("api_access") == "on",
        initiate_login_uri: get("initiate_login_uri"),
        backchannel_logout_uri: get("backchannel_logout_uri"),
        tile_agencies: all("tile_agencies")
            .iter()
            .map(|a| a.parse().unwrap_or(-1))
            .collect(),
        sms_quota: get("sms_quota"),
        reason: get("reason"),
    };
    match st.app.apply_service(&s.0.principal, id, &f, &ctx).await {
        Ok(sid) => Ok(Redirect::to(&format!("/apps/services/{sid}?ok=applied")).into_response()),
        Err(e) => {
            let (errs, msg, status) = split(e, lang)?;
            apply_page(&st, &s, id, kind, f, errs, msg, status).await
        }
    }
}

/// 審核紀錄: one application for a service, printable; a system admin
/// decides it here.
pub(super) async fn service_record(
    State(st): State<AppState>,
    s: Signed,
    Path(sid): Path<i64>,
    LenientQuery(q): LenientQuery<OkQuery>,
) -> Result<Response, WebError> {
    record_page(
        &st,
        &s,
        sid,
        flash_of(&q.ok),
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_page(
    st: &AppState,
    s: &Signed,
    sid: i64,
    flash: Option<Msg>,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let (app, svc) = st
        .app
        .service_view(&s.0.principal, sid)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let tree = st
        .app
        .org_tree()
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let agencies = svc
        .tile_agencies
        .iter()
        .filter_map(|a| tree.get(*a).map(|u| u.name.clone()))
        .collect::<Vec<_>>()
        .join("、");
    render_as(
        ServiceRecordPage {
            c: Chrome::of(&s.0, "apps").with_flash(flash),
            admin: s.0.principal.is_system_admin(),
            app,
            agencies,
            svc,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct DecideForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    decision: String,
    note: String,
}

/// System admins: approves or rejects a service application.
pub(super) async fn decide(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(sid): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let lang = s.lang();
    let Some(d) = Decision::parse(&f.decision) else {
        return record_page(
            &st,
            &s,
            sid,
            None,
            vec![],
            Msg::new("請選擇通過或退回", "Choose approve or reject")
                .get(lang)
                .to_owned(),
            crate::error::INVALID_INPUT,
        )
        .await;
    };
    match st
        .app
        .decide_service(&s.0.principal, sid, d, &f.note, &ctx)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/apps/services/{sid}?ok=decided")).into_response()),
        Err(e) => {
            let (errs, msg, status) = split(e, lang)?;
            record_page(&st, &s, sid, None, errs, msg, status).await
        }
    }
}
