//! What every feature's handlers share, importing no feature: rendering
//! a page, the flash message after a redirect, the session cookie, the
//! CSRF-only form, a safe `next`, the unit picker's choices, the status of
//! a page shown again with its errors.
use crate::extract::SESSION_COOKIE;
use crate::view::{Chrome, ContinuePage, RecordQuery};
use crate::{AppState, WebError};
use askama::Template;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use portico_app::orgs::Tree;
use portico_core::org::OrgKind;
use portico_core::{Error, Lang, Msg};
use portico_store::audit::Filter;
pub(crate) fn render(t: impl Template, lang: Lang) -> Result<Response, WebError> {
    t.render()
        .map(|h| Html(h).into_response())
        .map_err(|e| WebError::page(Error::internal(format!("template: {e}")), lang))
}

/// Maps `?ok=…` after a redirect to the message shown at the top.
pub(crate) fn flash(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "profile" => Msg::new("個人資料已儲存", "Your data was saved"),
        "session-ended" => Msg::new(
            "已結束該裝置的登入，並已通知其登入的應用系統",
            "That session has ended, and the applications it signed into were told",
        ),
        "app-ended" => Msg::new(
            "已結束此應用系統的存取；再次使用時須重新登入",
            "The application's access has ended; it needs a new sign-in",
        ),
        "password" => Msg::new(
            "密碼已變更，其他裝置上的登入已登出",
            "Password changed; your other sessions were signed out",
        ),
        "avatar" => Msg::new("個人圖像已更新", "Avatar updated"),
        "totp-on" => Msg::new(
            "動態驗證碼已啟用，下次可用「動態驗證碼」登入",
            "The authenticator app is on; you can sign in with its codes from now on",
        ),
        "totp-off" => Msg::new("動態驗證碼已關閉", "The authenticator app is off"),
        "passkey-added" => Msg::new(
            "通行金鑰已新增，下次可直接以通行金鑰登入",
            "Passkey added; you can sign in with it from now on",
        ),
        "passkey-renamed" => Msg::new("通行金鑰名稱已更新", "Passkey renamed"),
        "card-bound" => Msg::new(
            "自然人憑證已綁定，下次可插卡輸入 PIN 碼登入",
            "The card is bound; you can sign in with it and its PIN from now on",
        ),
        "card-unbound" => Msg::new("已解除自然人憑證綁定", "The card was unbound"),
        "passkey-removed" => Msg::new("通行金鑰已移除", "Passkey removed"),
        "method-reset" => Msg::new("已重設此帳號的登入方式綁定", "The sign-in method was reset"),
        "avatar-removed" => Msg::new("個人圖像已移除", "Avatar removed"),
        "cancelled" => Msg::new(
            "帳號已註銷並登出所有裝置；紀錄與申請書依規定保存",
            "The account is cancelled and signed out everywhere; its records and forms are kept as the rules require",
        ),
        "disabled" => Msg::new(
            "帳號已停用，並已登出其所有裝置",
            "The account was disabled and signed out everywhere",
        ),
        "enabled" => Msg::new("帳號已啟用", "The account was enabled"),
        "unlocked" => Msg::new("帳號已解除鎖定", "The account was unlocked"),
        "reset" => Msg::new(
            "已要求此帳號於下次登入時變更密碼",
            "The account must set a new password at next sign-in",
        ),
        "granted" => Msg::new(
            "角色已指派，於下次登入時生效",
            "Role granted; it applies from the next sign-in",
        ),
        "revoked" => Msg::new("角色已移除", "Role revoked"),
        "settings" => Msg::new("系統參數已儲存", "Settings saved"),
        "directory-retried" => Msg::new(
            "已重新排入佇列，稍後寫入目錄",
            "Queued again; the directory gets them shortly",
        ),
        "directory-saved" => Msg::new(
            "目錄設定已儲存；請按「測試連線」確認",
            "Saved; test the connection to be sure",
        ),
        "unit" => Msg::new("單位已儲存", "Unit saved"),
        "unit-disabled" => Msg::new(
            "單位已儲存，目前為停用：不再出現在單位選單，現有帳號不受影響",
            "Unit saved; it is disabled: no longer offered in unit pickers, its accounts unchanged",
        ),
        "unit-deleted" => Msg::new("單位已刪除", "Unit deleted"),
        "moved" => Msg::new("單位已移動", "Unit moved"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct OkQuery {
    pub ok: Option<String>,
}

/// The cookie that ends the session in the browser.
pub(crate) fn clear_session_cookie(st: &AppState) -> HeaderValue {
    session_cookie(st, "", Some(0))
}

pub(crate) fn session_cookie(st: &AppState, token: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if st.cfg.cookie_secure { "; Secure" } else { "" };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Only same-site paths are followed after sign-in. An authorization
/// request waiting for the sign-in may be long (PKCE, state, nonce).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && (n.len() < 200 || (n.starts_with("/oauth2/authorize?") && n.len() < 4096)) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct RecordsQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub actor: String,
    /// 登入方式 (004 L2364, L2405).
    #[serde(default)]
    pub method: String,
    pub page: Option<u32>,
    /// The grounds for reading or exporting other people's records (002
    /// §六 (三) 2), and the session's token beside them: stating grounds
    /// records a usage, so a link from elsewhere cannot state them.
    #[serde(default)]
    pub reason_kind: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

impl RecordsQuery {
    /// The filter, or the fields that are wrong (a reversed range, a date
    /// that is not a date).
    pub(crate) fn filter(&self) -> (Filter, Vec<portico_core::FieldError>) {
        let mut errs = Vec::new();
        let mut date = |field: &'static str, s: &str| -> Option<time::Date> {
            if s.trim().is_empty() {
                return None;
            }
            let d = portico_core::time::parse_date(s);
            if d.is_none() {
                errs.push(portico_core::FieldError {
                    field,
                    message: Msg::new("日期格式為 YYYY-MM-DD", "Dates are YYYY-MM-DD"),
                });
            }
            d
        };
        let from = date("from", &self.from);
        let until = date("until", &self.until);
        if let (Some(a), Some(b)) = (from, until)
            && a > b
        {
            errs.push(portico_core::FieldError {
                field: "until",
                message: Msg::new(
                    "迄日不可早於起日",
                    "The end date cannot be before the start date",
                ),
            });
        }
        let f = Filter {
            from: from.map(portico_core::time::taipei_day_start),
            until: until
                .and_then(|d| d.next_day())
                .map(portico_core::time::taipei_day_start),
            outcome: portico_core::audit::Outcome::parse(&self.outcome),
            action_prefix: (!self.action.is_empty())
                .then(|| self.action.chars().take(60).collect()),
            ip: (!self.ip.is_empty()).then(|| self.ip.chars().take(45).collect()),
            actor_login: (!self.actor.is_empty()).then(|| self.actor.chars().take(40).collect()),
            method: portico_core::zone::SignInMethod::parse(&self.method).map(|m| m.as_str()),
            ..Filter::default()
        };
        (f, errs)
    }

    pub(crate) fn query_string(&self) -> String {
        use crate::extract::urlencode as e;
        format!(
            "from={}&until={}&outcome={}&action={}&ip={}&actor={}&method={}",
            e(&self.from),
            e(&self.until),
            e(&self.outcome),
            e(&self.action),
            e(&self.ip),
            e(&self.actor),
            e(&self.method)
        )
    }

    /// The grounds typed, if any text was (the kind always comes, its
    /// first choice checked).
    pub(crate) fn grounds(&self) -> Option<portico_app::audit::Grounds<'_>> {
        (!self.reason.trim().is_empty()).then_some(portico_app::audit::Grounds {
            kind: &self.reason_kind,
            text: &self.reason,
        })
    }

    /// The query string with the grounds, for the pager of a person's
    /// records.
    pub(crate) fn query_string_with_grounds(&self) -> String {
        use crate::extract::urlencode as e;
        format!(
            "{}&reason_kind={}&reason={}&_csrf={}",
            self.query_string(),
            e(&self.reason_kind),
            e(&self.reason),
            e(&self.csrf)
        )
    }

    pub(crate) fn view(&self) -> RecordQuery {
        RecordQuery {
            from: self.from.clone(),
            until: self.until.clone(),
            outcome: self.outcome.clone(),
            action: self.action.clone(),
            ip: self.ip.clone(),
            method: self.method.clone(),
        }
    }
}

/// `render`, answered with `status` (a form shown again with its errors, a
/// page with a refusal at its top).
pub(crate) fn render_as(
    t: impl Template,
    lang: Lang,
    status: StatusCode,
) -> Result<Response, WebError> {
    render(t, lang).map(|r| with_status(r, status))
}

/// A response with another status (a page rendered for a refusal).
pub(crate) fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

/// The account's national ID as pages show it: masked.
pub(crate) fn masked_id(a: &portico_store::accounts::Account) -> String {
    a.national_id
        .as_deref()
        .and_then(|i| portico_core::national_id::NationalId::parse(i).ok())
        .map(|i| i.masked())
        .unwrap_or_default()
}

/// The deepest units, grouped under "top group／agency", in tree order.
pub(crate) fn unit_choices(tree: &Tree) -> Vec<(String, Vec<(i64, String)>)> {
    let mut groups: Vec<(String, Vec<(i64, String)>)> = Vec::new();
    for (i, _) in &tree.order {
        let u = &tree.units[*i];
        if u.kind == OrgKind::Group || !tree.is_leaf(u) || !tree.is_live(u) {
            continue;
        }
        let names: Vec<&str> = u
            .path
            .ids()
            .iter()
            .filter_map(|id| tree.get(*id).map(|x| x.name.as_str()))
            .collect();
        // [group, agency, …, unit]: the optgroup names the group and the
        // agency; the option names the agency too, so that once chosen it
        // still says whose 行政科 it is (民政局／行政科).
        let (head, _) = names.split_at(names.len().min(2));
        let label = names[names.len().min(2).saturating_sub(1)..].join("／");
        let group = head.join("／");
        match groups.last_mut() {
            Some((g, opts)) if *g == group => opts.push((u.id.0, label)),
            _ => groups.push((group, vec![(u.id.0, label)])),
        }
    }
    groups
}

/// The agencies, grouped under their top group, in tree order.
pub(crate) fn agency_choices(tree: &Tree) -> Vec<(String, Vec<(i64, String)>)> {
    let mut groups: Vec<(String, Vec<(i64, String)>)> = Vec::new();
    for (i, _) in &tree.order {
        let u = &tree.units[*i];
        if u.kind != OrgKind::Agency || !tree.is_live(u) {
            continue;
        }
        let group = u
            .path
            .ids()
            .first()
            .and_then(|id| tree.get(*id))
            .map(|g| g.name.clone())
            .unwrap_or_default();
        match groups.last_mut() {
            Some((g, opts)) if *g == group => opts.push((u.id.0, u.name.clone())),
            _ => groups.push((group, vec![(u.id.0, u.name.clone())])),
        }
    }
    groups
}

/// A page that moves on to `url` by itself. Used after a form post whose
/// next stop is another site: the form-action policy would stop a
/// redirect, a fresh navigation is fine.
pub(crate) fn continue_page(url: &str, lang: Lang) -> Response {
    match render(
        ContinuePage {
            c: Chrome::bare(lang),
            url: url.to_owned(),
        },
        lang,
    ) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// A posted form whose fields repeat (the items ticked in a batch), read
/// as its pairs.
pub(crate) struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of a field, or empty.
    pub(crate) fn one(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a field.
    pub(crate) fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of a field that is a number (the ticked ids).
    pub(crate) fn ids(&self, k: &str) -> Vec<i64> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    }
}

/// A multipart form's text fields (each cut to `text_max` characters, at
/// most 40) and its files: for each `(field, max)`, the files sent under
/// that field, at most `max` + 1 kept so one too many is still told. A
/// body that cannot be read (past its limit) is refused with `too_big`.
pub(crate) async fn read_multipart(
    mut mp: axum::extract::Multipart,
    lang: Lang,
    files: &[(&str, usize)],
    text_max: usize,
    too_big: Error,
) -> Result<(Pairs, Vec<Vec<portico_app::access::Upload>>), WebError> {
    let mut fields = Vec::new();
    let mut uploads: Vec<Vec<portico_app::access::Upload>> =
        files.iter().map(|_| Vec::new()).collect();
    let mut failed = Some(too_big);
    let mut refuse = move || WebError::page(failed.take().unwrap_or(Error::NotFound), lang);
    while let Some(field) = mp.next_field().await.map_err(|_| refuse())? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(i) = files.iter().position(|(f, _)| *f == name) {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| refuse())?.to_vec();
            if !(file_name.is_empty() && bytes.is_empty()) && uploads[i].len() <= files[i].1 {
                uploads[i].push(portico_app::access::Upload {
                    name: file_name,
                    bytes,
                });
            }
            continue;
        }
        let text = field.text().await.map_err(|_| refuse())?;
        if fields.len() < 40 {
            fields.push((name, text.chars().take(text_max).collect()));
        }
    }
    Ok((Pairs(fields), uploads))
}

/// A generated file, shown in the browser (a PDF) or saved.
pub(crate) fn download(f: portico_app::inspections::RecordFile, inline: bool) -> Response {
    let how = if inline { "inline" } else { "attachment" };
    (
        [
            (axum::http::header::CONTENT_TYPE, f.content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "{how}; filename=\"record.{}\"; filename*=UTF-8''{}",
                    f.name.rsplit('.').next().unwrap_or("bin"),
                    crate::extract::urlencode(&f.name)
                ),
            ),
        ],
        f.bytes,
    )
        .into_response()
}

/// A kept file as a download: an image shown in the page, anything else
/// saved under its own name. The browser is told not to guess its type and
/// not to run it.
pub(crate) fn stored_file(f: portico_app::files::FileBytes) -> Response {
    let how = if f.file.kind.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = f
        .file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                f.file.kind.content_type().to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "{how}; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::extract::urlencode(&f.file.name)
                ),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "sandbox".to_owned(),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        f.bytes,
    )
        .into_response()
}

/// A stored photo as the answer: its own type, kept privately as `cache`
/// says.
pub(crate) fn photo(f: portico_app::files::FileBytes, cache: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                f.file.kind.content_type().to_owned(),
            ),
            (axum::http::header::CACHE_CONTROL, cache.to_owned()),
        ],
        f.bytes,
    )
        .into_response()
}
