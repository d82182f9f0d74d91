//! The application APIs (account verification, SMS) and application
//! registration (應用系統服務介接) under `/api/v1`.
use super::*;

#[derive(serde::Deserialize)]
pub(super) struct VerifyBody {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// An application with the account-verification service, from one of its
/// registered IPs: is this login and password right? 200 with `ok` true
/// (and the approved claims) or false (and why).
pub(super) async fn app_verify(
    State(st): State<AppState>,
    crate::extract::AppCaller(client): crate::extract::AppCaller,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<VerifyBody>,
) -> ApiResult {
    let v = st
        .app
        .verify_account(&client, &b.login, &b.password, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok(axum::Json(v).into_response())
}

#[derive(serde::Deserialize)]
pub(super) struct SmsBody {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    message: String,
}

/// An application with the SMS service sends one message; 202 with the
/// outbox id once it is queued.
pub(super) async fn app_sms(
    State(st): State<AppState>,
    crate::extract::AppCaller(client): crate::extract::AppCaller,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<SmsBody>,
) -> ApiResult {
    let id = st
        .app
        .app_send_sms(&client, &b.mobile, &b.message, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        axum::Json(json!({ "queued": true, "id": id })),
    )
        .into_response())
}

// ---- application registration (應用系統服務介接) ---------------------------

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AppsQuery {
    all: bool,
    name: String,
    pending: bool,
    page: Option<u32>,
}

/// Anyone signed in: their applications; a system admin with `all=true`:
/// every application.
pub(super) async fn apps_list(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    LenientQuery(q): LenientQuery<AppsQuery>,
) -> ApiResult {
    page(
        st.app
            .list_apps(&s.principal, q.all, &q.name, q.pending, q.page.unwrap_or(1))
            .await
            .map_err(WebError::api)?,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AppBody {
    name: String,
    short_name: String,
    agency: i64,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    vendor: String,
    description: String,
    url: String,
    /// One or more addresses, separated by commas or new lines.
    ips: String,
}

impl AppBody {
    fn input(&self) -> portico_core::clients::AppInput<'_> {
        portico_core::clients::AppInput {
            name: &self.name,
            short_name: &self.short_name,
            contact_name: &self.contact_name,
            contact_phone: &self.contact_phone,
            contact_email: &self.contact_email,
            vendor: &self.vendor,
            description: &self.description,
            url: &self.url,
            ips: &self.ips,
        }
    }
}

/// Anyone signed in: registers an application.
pub(super) async fn app_register(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<AppBody>,
) -> ApiResult {
    let id = st
        .app
        .register_app(&s.principal, &b.input(), b.agency, &ctx)
        .await
        .map_err(WebError::api)?;
    app_json(&st, &s, id, axum::http::StatusCode::CREATED).await
}

pub(super) async fn app_json(
    st: &AppState,
    s: &portico_app::sessions::Session,
    id: i64,
    status: axum::http::StatusCode,
) -> ApiResult {
    let v = st
        .app
        .app_view(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok((
        status,
        axum::Json(json!({ "app": v.app, "services": v.services, "usage": v.usage })),
    )
        .into_response())
}

/// The owner or a system admin.
pub(super) async fn app_get(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    app_json(&st, &s, id, axum::http::StatusCode::OK).await
}

/// The owner or a system admin: edits the registration.
pub(super) async fn app_update(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<AppBody>,
) -> ApiResult {
    st.app
        .edit_app(&s.principal, id, &b.input(), b.agency, &ctx)
        .await
        .map_err(WebError::api)?;
    app_json(&st, &s, id, axum::http::StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ServiceBody {
    kind: String,
    claims: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout_uris: Vec<String>,
    client_type: String,
    signing_alg: String,
    api_access: bool,
    initiate_login_uri: String,
    backchannel_logout_uri: String,
    tile_agencies: Vec<i64>,
    sms_quota: Option<i64>,
    reason: String,
}

/// The owner or a system admin: applies for a service (sso, verify, tile,
/// sms).
pub(super) async fn app_apply(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<ServiceBody>,
) -> ApiResult {
    let input = portico_app::clients::ServiceInput {
        kind: b.kind,
        claims: b.claims,
        redirect_uris: b.redirect_uris.join("\n"),
        post_logout_uris: b.post_logout_uris.join("\n"),
        client_type: if b.client_type.is_empty() {
            "confidential".into()
        } else {
            b.client_type
        },
        signing_alg: if b.signing_alg.is_empty() {
            "ES256".into()
        } else {
            b.signing_alg
        },
        api_access: b.api_access,
        initiate_login_uri: b.initiate_login_uri,
        backchannel_logout_uri: b.backchannel_logout_uri,
        tile_agencies: b.tile_agencies,
        sms_quota: b.sms_quota.map(|q| q.to_string()).unwrap_or_default(),
        reason: b.reason,
    };
    let sid = st
        .app
        .apply_service(&s.principal, id, &input, &ctx)
        .await
        .map_err(WebError::api)?;
    service_json(&st, &s, sid, axum::http::StatusCode::CREATED).await
}

pub(super) async fn service_json(
    st: &AppState,
    s: &portico_app::sessions::Session,
    sid: i64,
    status: axum::http::StatusCode,
) -> ApiResult {
    let (_, svc) = st
        .app
        .service_view(&s.principal, sid)
        .await
        .map_err(WebError::api)?;
    Ok((status, axum::Json(json!(svc))).into_response())
}

/// The owner or a system admin: one application for a service.
pub(super) async fn app_service(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult {
    service_json(&st, &s, id, axum::http::StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct DecisionBody {
    decision: String,
    note: String,
}

/// System admins: approves or rejects an application for a service.
pub(super) async fn app_decide(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<DecisionBody>,
) -> ApiResult {
    let d = portico_core::request::Decision::parse(&b.decision).ok_or_else(|| {
        WebError::api(Error::invalid(
            "decision",
            Msg::new(
                "decision 須為 approve 或 reject",
                "decision is approve or reject",
            ),
        ))
    })?;
    st.app
        .decide_service(&s.principal, id, d, &b.note, &ctx)
        .await
        .map_err(WebError::api)?;
    service_json(&st, &s, id, axum::http::StatusCode::OK).await
}

/// The owner: a new client secret, in this answer only.
pub(super) async fn app_secret(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    let secret = st
        .app
        .generate_secret(&s.principal, id, &ctx)
        .await
        .map_err(WebError::api)?;
    let v = st
        .app
        .app_view(&s.principal, id)
        .await
        .map_err(WebError::api)?;
    Ok(
        axum::Json(json!({ "client_id": v.app.client_id, "client_secret": secret }))
            .into_response(),
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct NoteBody {
    note: String,
}

/// System admins: revokes the client secret (a reason is required).
pub(super) async fn app_secret_revoke(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<NoteBody>,
) -> ApiResult {
    st.app
        .revoke_secret(&s.principal, id, &b.note, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// System admins: suspends an application (a reason is required).
pub(super) async fn app_suspend(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Json(b): Json<NoteBody>,
) -> ApiResult {
    st.app
        .set_app_suspended(&s.principal, id, true, &b.note, &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

/// System admins: reactivates a suspended application.
pub(super) async fn app_reactivate(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
) -> ApiResult {
    st.app
        .set_app_suspended(&s.principal, id, false, "", &ctx)
        .await
        .map_err(WebError::api)?;
    ok()
}

#[derive(serde::Deserialize)]
pub(super) struct UsageBody {
    #[serde(default)]
    records: Vec<portico_core::usage::RecordIn>,
}

/// An application with the usage-reporting service reports up to 1,000
/// usage records (使用紀錄) at once; 201 with how many were chained. One
/// bad record refuses the batch, naming every bad record.
pub(super) async fn app_usage(
    State(st): State<AppState>,
    crate::extract::AppCaller(client): crate::extract::AppCaller,
    ReqCtx(ctx): ReqCtx,
    Json(b): Json<UsageBody>,
) -> ApiResult {
    let r = st
        .app
        .report_usage(&client, &b.records, &ctx)
        .await
        .map_err(WebError::api)?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(r)).into_response())
}
