//! Agency and system mail accounts as pages (issue 13 §5): the application
//! under 線上申請作業, 我的機關及系統郵件帳號管理 and one account's edit page
//! with its two tabs, the console's list for agency and system admins, and
//! the two links to the mail system.
use crate::error::split;
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::render_as;
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::export::Sheet;
use portico_app::mailboxes::Application;
use portico_core::ids::{AccountId, MailboxId};
use portico_core::mailbox::{MailboxKind, MailboxState, Record};
use portico_core::{Error, FieldError, Lang, Msg};
use portico_store::mailboxes::Filter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/requests/mailbox", get(apply_form).post(apply))
        .route("/mailboxes", get(mine))
        .route("/admin/mailboxes", get(admin_list))
        .route("/mailboxes/{id}", get(edit))
        .route("/mailboxes/{id}/custodian", post(hand_over))
        .route("/mailboxes/{id}/password", post(change_password))
        .route("/mailboxes/{id}/forgot", post(send_code))
        .route("/mailboxes/{id}/reset", post(reset_password))
        .route("/mailboxes/{id}/state", post(set_state))
        .route("/mailboxes/{id}/export", get(export))
        .route("/mail-login", get(mail_login))
        .route("/webmail", get(webmail))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "applied" => Msg::new(
            "申請已送出，將由機關管理者審核；審核結果會寄至您的備用信箱",
            "Application sent; your agency's administrators will review it and the result is mailed to your backup e-mail",
        ),
        "custodian" => Msg::new("已完成保管人移轉", "The mail account was handed over"),
        "password" => Msg::new(
            "密碼已修改，郵件系統將於數秒內改用新密碼",
            "Password changed; the mail system takes the new one within seconds",
        ),
        "code-sent" => Msg::new(
            "驗證碼已寄至保管人備用信箱，請於 10 分鐘內輸入",
            "A code was sent to the custodian's backup e-mail; enter it within 10 minutes",
        ),
        "enabled" => Msg::new("郵件帳號已啟用", "The mail account is enabled"),
        "disabled" => Msg::new("郵件帳號已停用", "The mail account is disabled"),
        _ => return None,
    })
}

// ---- 機關及資訊系統帳號申請 -----------------------------------------------

#[derive(serde::Deserialize, Default)]
struct ApplyPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// Set by the 檢查 button: check the name, submit nothing.
    #[serde(default)]
    check: String,
    #[serde(flatten)]
    f: Application,
}

#[allow(clippy::too_many_arguments)]
async fn apply_page(
    st: &AppState,
    s: &Signed,
    f: Application,
    checked: Option<String>,
    errs: Vec<FieldError>,
    error: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let me = st.app.me(&s.0).await.map_err(|e| WebError::page(e, lang))?;
    let domain = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .official_mail_domain
        .clone();
    render_as(
        MailboxApplyPage {
            c: Chrome::of(&s.0, "mailbox-apply"),
            agency: me.account.agency_name.clone(),
            applicant: me.account.name.clone(),
            domain,
            f: Application {
                password: String::new(),
                confirm_password: String::new(),
                ..f
            },
            checked,
            errs: Errors::new(errs, lang),
            error,
        },
        lang,
        status,
    )
}

async fn apply_form(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let f = Application {
        kind: MailboxKind::System.as_str().into(),
        ..Default::default()
    };
    apply_page(&st, &s, f, None, vec![], String::new(), StatusCode::OK).await
}

/// Anyone signed in: 檢查 checks the name; 確定 sends the application.
async fn apply(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<ApplyPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let lang = s.lang();
    if !p.check.is_empty() {
        return match st
            .app
            .check_mailbox_name(&s.0.principal, &p.f.local_part, &ctx)
            .await
        {
            Ok(address) => {
                let f = Application {
                    local_part: address.split('@').next().unwrap_or("").to_owned(),
                    ..p.f
                };
                apply_page(
                    &st,
                    &s,
                    f,
                    Some(address),
                    vec![],
                    String::new(),
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => {
                let (errs, error, status) = split(e, lang)?;
                apply_page(&st, &s, p.f, None, errs, error, status).await
            }
        };
    }
    match st.app.apply_for_mailbox(&s.0, &p.f, &ctx).await {
        Ok(id) => Ok(Redirect::to(&format!("/mailboxes/{id}?ok=applied")).into_response()),
        Err(e) => {
            let (errs, error, status) = split(e, lang)?;
            apply_page(&st, &s, p.f, None, errs, error, status).await
        }
    }
}

// ---- the lists -----------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    ok: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            kind: MailboxKind::parse(&self.tab),
            state: MailboxState::parse(&self.state),
            q: Some(self.q.trim().chars().take(40).collect()),
        }
    }
    fn query_string(&self) -> String {
        use crate::extract::urlencode as e;
        format!(
            "tab={}&q={}&state={}",
            e(&self.tab),
            e(&self.q),
            e(&self.state)
        )
    }
}

/// 我的機關及系統郵件帳號管理: tabs 全部 / 機關郵件帳號 / 系統郵件帳號.
async fn mine(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .my_mailboxes(&s.0.principal, &q.filter(), q.page.unwrap_or(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    list_page(&s, page, q, false)
}

/// Agency admins: their agency's mail accounts; system admins: all.
async fn admin_list(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<ListQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let page = st
        .app
        .admin_mailboxes(&s.0.principal, &q.filter(), q.page.unwrap_or(1))
        .await
        .map_err(|e| WebError::page(e, lang))?;
    list_page(&s, page, q, true)
}

fn list_page(
    s: &Signed,
    page: portico_store::Page<portico_store::mailboxes::Mailbox>,
    q: ListQuery,
    admin: bool,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let nav = if admin {
        "admin-mailboxes"
    } else {
        "mailboxes"
    };
    render_as(
        MailboxesPage {
            c: Chrome::of(&s.0, nav).with_flash(flash_of(q.ok.as_deref())),
            me: s.0.principal.account_id(),
            admin,
            query_string: q.query_string(),
            tab: match MailboxKind::parse(&q.tab) {
                Some(k) => k.as_str(),
                None => "all",
            },
            q: q.q,
            state: q.state,
            page,
        },
        lang,
        StatusCode::OK,
    )
}

// ---- one mail account ----------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct EditQuery {
    #[serde(default)]
    tab: String,
    /// 保管人異動: the name typed to search.
    #[serde(default)]
    who: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    ok: Option<String>,
}

/// A date range typed as two days (Taipei), the second included.
fn between(
    from: &str,
    to: &str,
) -> Result<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>), Error> {
    use portico_core::time::{parse_date, taipei_day_start};
    let day = |field: &'static str, s: &str| -> Result<Option<time::Date>, Error> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        parse_date(s).map(Some).ok_or_else(|| {
            Error::invalid(
                field,
                Msg::new(
                    "日期格式為 YYYY-MM-DD，例如 2026-12-01",
                    "Dates are YYYY-MM-DD, e.g. 2026-12-01",
                ),
            )
        })
    };
    let (f, t) = (day("from", from)?, day("to", to)?);
    if let (Some(f), Some(t)) = (f, t)
        && f > t
    {
        return Err(Error::invalid(
            "to",
            Msg::new(
                "結束日期不可早於開始日期",
                "The end date cannot be before the start date",
            ),
        ));
    }
    Ok((
        f.map(taipei_day_start),
        t.and_then(|t| t.next_day()).map(taipei_day_start),
    ))
}

/// What a form on the edit page left: its errors, the tab and the section
/// to show them in.
#[derive(Default)]
struct Outcome {
    section: &'static str,
    errs: Vec<FieldError>,
    error: String,
    status: Option<StatusCode>,
    /// The forgotten-password form goes on to the code once one was sent.
    code_sent: bool,
}

async fn edit(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<EditQuery>,
) -> Result<Response, WebError> {
    let code_sent = q.ok.as_deref() == Some("code-sent");
    edit_page(
        &st,
        &s,
        MailboxId(id),
        q,
        Outcome {
            code_sent,
            ..Default::default()
        },
    )
    .await
}

async fn edit_page(
    st: &AppState,
    s: &Signed,
    id: MailboxId,
    q: EditQuery,
    out: Outcome,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let p = &s.0.principal;
    let m = st.app.managed_mailbox(p, id).await.map_err(err)?;
    let tab = if q.tab == "state" { "state" } else { "data" };
    let record = if tab == "state" {
        Record::State
    } else {
        Record::Data
    };
    let mut errs = out.errs;
    let range = match between(&q.from, &q.to) {
        Ok(r) => r,
        Err(Error::Invalid(mut e)) => {
            errs.append(&mut e);
            (None, None)
        }
        Err(e) => return Err(err(e)),
    };
    let log = st
        .app
        .mailbox_log(p, id, record, range, q.page.unwrap_or(1))
        .await
        .map_err(err)?;
    let candidates = st
        .app
        .custodian_candidates(p, id, &q.who)
        .await
        .map_err(err)?;
    use crate::extract::urlencode as e;
    let status = out.status.unwrap_or(StatusCode::OK);
    render_as(
        MailboxPage {
            c: Chrome::of(
                &s.0,
                if m.by.is_admin() {
                    "admin-mailboxes"
                } else {
                    "mailboxes"
                },
            )
            .with_flash(flash_of(q.ok.as_deref())),
            query_string: format!("tab={tab}&from={}&to={}", e(&q.from), e(&q.to)),
            m,
            tab,
            who: q.who,
            candidates,
            from: q.from,
            to: q.to,
            log,
            section: out.section,
            code_sent: out.code_sent,
            errs: Errors::new(errs, lang),
            error: out.error,
        },
        lang,
        status,
    )
}

/// A form on the edit page done: back to it with a notice, or the page
/// again with the form's errors under it.
async fn after(
    st: &AppState,
    s: &Signed,
    id: MailboxId,
    r: portico_app::Result<()>,
    section: &'static str,
    ok: &str,
) -> Result<Response, WebError> {
    let tab = if section == "state" { "state" } else { "data" };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/mailboxes/{id}?tab={tab}&ok={ok}")).into_response()),
        Err(e) => {
            let (errs, error, status) = split(e, s.lang())?;
            let q = EditQuery {
                tab: tab.into(),
                ..Default::default()
            };
            edit_page(
                st,
                s,
                id,
                q,
                Outcome {
                    section,
                    errs,
                    error,
                    status: Some(status),
                    code_sent: section == "reset",
                },
            )
            .await
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct HandOverPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    custodian: String,
    #[serde(default)]
    version: String,
}

/// 保管人異動: to the person chosen from the search.
async fn hand_over(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<HandOverPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let id = MailboxId(id);
    let r = match (
        p.custodian.trim().parse::<i64>(),
        p.version.trim().parse::<i64>(),
    ) {
        (Ok(to), Ok(v)) => {
            st.app
                .hand_over_mailbox(&s.0.principal, id, AccountId(to), v, &ctx)
                .await
        }
        _ => Err(Error::invalid(
            "custodian",
            Msg::new(
                "請先以姓名搜尋，再從結果中選擇新保管人",
                "Search by name, then choose the new custodian from the results",
            ),
        )),
    };
    after(&st, &s, id, r, "custodian", "custodian").await
}

#[derive(serde::Deserialize, Default)]
struct PasswordPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    backup_email: String,
}

/// 修改密碼: the old password, the new one twice.
async fn change_password(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<PasswordPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let id = MailboxId(id);
    let r = st
        .app
        .change_mailbox_password(
            &s.0.principal,
            id,
            &p.old_password,
            &p.new_password,
            &p.confirm_password,
            &ctx,
        )
        .await;
    after(&st, &s, id, r, "password", "password").await
}

/// 忘記密碼, first step: 保管人備用信箱 → 發送驗證碼.
async fn send_code(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<PasswordPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let id = MailboxId(id);
    let r = st
        .app
        .send_mailbox_code(&s.0.principal, id, &p.backup_email, &ctx)
        .await;
    after(&st, &s, id, r, "forgot", "code-sent").await
}

/// 忘記密碼, second step: the code and the new password twice.
async fn reset_password(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<PasswordPost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let id = MailboxId(id);
    let r = st
        .app
        .reset_mailbox_password(
            &s.0.principal,
            id,
            &p.code,
            &p.new_password,
            &p.confirm_password,
            &ctx,
        )
        .await;
    after(&st, &s, id, r, "reset", "password").await
}

#[derive(serde::Deserialize, Default)]
struct StatePost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    enable: String,
}

/// 我要停用 / 我要啟用.
async fn set_state(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<StatePost>,
) -> Result<Response, WebError> {
    s.check_csrf(&p.csrf)?;
    let id = MailboxId(id);
    let enable = p.enable == "1";
    let r = st
        .app
        .set_mailbox_enabled(&s.0.principal, id, enable, &ctx)
        .await;
    let ok = if enable { "enabled" } else { "disabled" };
    after(&st, &s, id, r, "state", ok).await
}

#[derive(serde::Deserialize, Default)]
struct ExportQuery {
    #[serde(default)]
    record: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// 資料異動紀錄匯出 / 帳號狀態紀錄匯出, as xlsx or ODS.
async fn export(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
    LenientQuery(q): LenientQuery<ExportQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let record = Record::parse(&q.record).unwrap_or(Record::Data);
    let format = Sheet::parse(&q.format).unwrap_or(Sheet::Xlsx);
    let range = between(&q.from, &q.to).map_err(err)?;
    let (bytes, name) = st
        .app
        .mailbox_log_export(&s.0.principal, MailboxId(id), record, range, format, lang)
        .await
        .map_err(err)?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- the links to the mail system ----------------------------------------

/// 機關及系統郵件帳號登入專區 (the signed-out page's link, in a new window).
async fn mail_login(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let lang = crate::extract::visitor_lang(&headers);
    let url = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .mail_login_url
        .clone();
    to_mail(url, lang)
}

/// 我的電子郵件: the webmail, for a signed-in person.
async fn webmail(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let lang = s.lang();
    let url = st
        .app
        .settings()
        .await
        .map_err(|e| WebError::page(e, lang))?
        .webmail_url
        .clone();
    to_mail(url, lang)
}

fn to_mail(url: String, lang: Lang) -> Result<Response, WebError> {
    if url.is_empty() {
        return Err(WebError::page(
            Error::Refused(Msg::new(
                "系統管理者尚未設定郵件系統的網址，請洽系統管理者",
                "The mail system's address has not been set; ask a system administrator",
            )),
            lang,
        ));
    }
    Ok(Redirect::to(&url).into_response())
}
