//! The page shell and the template structs. Every template receives a
//! `Chrome` (language, theme, the person, the menu) and speaks both
//! languages through `c.tr(zh, en)`, so no string exists in only one.
use askama::Template;
use portico_app::auth::Session;
use portico_core::{FieldError, Lang, Msg};

pub struct UserBar {
    pub name: String,
    pub account_id: i64,
    pub has_avatar: bool,
    pub is_admin: bool,
    pub is_system_admin: bool,
    pub csrf: String,
    pub idle_remaining: i64,
    pub password_days_left: Option<i64>,
}

pub struct Chrome {
    pub lang: Lang,
    pub theme: String,
    pub user: Option<UserBar>,
    /// The menu entry to mark as current.
    pub nav: &'static str,
    pub flash: Option<Msg>,
}

impl Chrome {
    pub fn bare(lang: Lang) -> Chrome {
        Chrome {
            lang,
            theme: "light".into(),
            user: None,
            nav: "",
            flash: None,
        }
    }

    pub fn of(s: &Session, nav: &'static str) -> Chrome {
        let p = &s.principal;
        Chrome {
            lang: Lang::from_code(&s.lang),
            theme: s.theme.clone(),
            user: Some(UserBar {
                name: p.name().to_owned(),
                account_id: p.account_id().0,
                has_avatar: s.has_avatar,
                is_admin: p.admin_scope().is_some(),
                is_system_admin: p.is_system_admin(),
                csrf: s.csrf.clone(),
                idle_remaining: s.idle_remaining,
                password_days_left: s.password_days_left,
            }),
            nav,
            flash: None,
        }
    }

    pub fn with_flash(mut self, m: Option<Msg>) -> Chrome {
        self.flash = m;
        self
    }

    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::ZhTw => zh,
            Lang::En => en,
        }
    }

    /// Takes `Msg`, `&Msg` or `&&Msg` (templates hand over any of them).
    pub fn msg<M: AsRef<Msg>>(&self, m: M) -> String {
        m.as_ref().get(self.lang).to_owned()
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map(|u| u.csrf.as_str()).unwrap_or("")
    }

    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }

    pub fn time<T: std::borrow::Borrow<time::OffsetDateTime>>(&self, t: T) -> String {
        portico_core::time::display(*t.borrow())
    }

    pub fn time_opt<T: std::borrow::Borrow<Option<time::OffsetDateTime>>>(&self, t: T) -> String {
        t.borrow()
            .map(portico_core::time::display)
            .unwrap_or_else(|| "—".into())
    }

    pub fn secs<T: std::borrow::Borrow<time::OffsetDateTime>>(&self, t: T) -> String {
        portico_core::time::display_seconds(*t.borrow())
    }
}

/// Field errors of a submitted form, for the page to show beside each field.
#[derive(Default)]
pub struct Errors {
    pub list: Vec<FieldError>,
    pub lang: Lang,
}

impl Errors {
    pub fn new(list: Vec<FieldError>, lang: Lang) -> Errors {
        Errors { list, lang }
    }
    /// The message for `field`, or "" when it is fine.
    pub fn of(&self, field: &str) -> String {
        self.list
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.get(self.lang).to_owned())
            .collect::<Vec<_>>()
            .join("；")
    }
    pub fn any(&self) -> bool {
        !self.list.is_empty()
    }
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.list.iter().any(|e| e.field == field) {
            "true"
        } else {
            "false"
        }
    }
}

#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    pub message: String,
}

#[derive(Template)]
#[template(path = "signin/login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub captcha_id: String,
    pub login: String,
    pub next: String,
    /// `next`, URL-encoded for links.
    pub next_q: String,
    pub error: String,
    /// The lockout parameters, stated on the page as they are set.
    pub lockout: portico_core::account::LockoutPolicy,
    /// The application the sign-in is for, if any.
    pub app_name: String,
    /// What the page says besides an error (a mail was sent).
    pub notice: String,
    /// The method whose form is shown (`SignInMethod::as_str`); empty when
    /// none is offered here.
    pub method: &'static str,
    pub method_label: String,
    /// The methods offered where the request comes from.
    pub tabs: Vec<LoginTab>,
    /// The request comes from the government network.
    pub internal: bool,
    /// The application asked for a strong method.
    pub strong: bool,
    /// Step two of the temporary password: the ticket the form carries.
    pub ticket: String,
    /// A mobile-ID sign-in waiting for the phone: its handle, and the QR
    /// code (an SVG document) in QR mode.
    pub mobile_handle: String,
    pub mobile_qr: String,
    /// The two digits the phone shows with the request.
    pub mobile_confirm: String,
    /// Where passkeys work (the relying party's host name).
    pub rp_id: String,
}

pub struct LoginTab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Clone, Copy)]
pub struct Tile {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub desc_zh: &'static str,
    pub desc_en: &'static str,
}

#[derive(Template)]
#[template(path = "home/index.html")]
pub struct HomePage {
    pub c: Chrome,
    pub tiles: Vec<Tile>,
    /// 轉登: applications this person's agency reaches from here.
    pub apps: Vec<portico_store::clients::Tile>,
    pub last_sign_in: String,
}

#[derive(Template)]
#[template(path = "account/index.html")]
pub struct AccountPage {
    pub c: Chrome,
    pub me: portico_app::account::Me,
    pub profile: portico_app::account::ProfileForm,
    pub errs: Errors,
    pub policy: portico_core::password::PasswordPolicy,
    pub passkeys: Vec<portico_store::factors::PasskeyRow>,
    /// Where passkeys work (the relying party's host name).
    pub rp_id: String,
    pub cards: Vec<portico_store::factors::BoundCert>,
    pub card_enabled: bool,
}

#[derive(Template)]
#[template(path = "factors/totp.html")]
pub struct TotpPage {
    pub c: Chrome,
    /// The key in groups of four.
    pub secret: String,
    pub qr_svg: String,
    pub uri: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub c: Chrome,
    pub errs: Errors,
    pub policy: portico_core::password::PasswordPolicy,
    pub forced: bool,
}

pub struct RecordQuery {
    pub from: String,
    pub until: String,
    pub outcome: String,
    pub action: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "account/records.html")]
pub struct RecordsPage {
    pub c: Chrome,
    /// "sign-in" or "usage".
    pub kind: &'static str,
    pub page: portico_store::Page<portico_store::audit::Event>,
    pub q: RecordQuery,
    pub query_string: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "account/record.html")]
pub struct RecordPage {
    pub c: Chrome,
    pub e: portico_store::audit::Event,
    pub back: String,
}

/// A browser name from a user agent, for the records table.
pub fn browser(ua: &str) -> &'static str {
    if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("HeadlessChrome") {
        "Chrome"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        "—"
    } else {
        "其他 Other"
    }
}

/// What an action code means to a person.
pub fn action_label(action: &str) -> Msg {
    match action {
        "auth.sign_in" => Msg::new("登入", "Sign in"),
        "auth.sign_out" => Msg::new("登出", "Sign out"),
        "auth.sign_out_everywhere" => Msg::new("登出所有裝置", "Sign out everywhere"),
        "auth.temp_password.request" => Msg::new("申請臨時密碼", "Temporary password requested"),
        "account.totp.begin" => Msg::new("開始 OTP 驗證綁定", "Authenticator setup started"),
        "account.totp.enable" => Msg::new("啟用 OTP 驗證", "Authenticator app turned on"),
        "account.totp.disable" => Msg::new("關閉 OTP 驗證", "Authenticator app turned off"),
        "account.method.reset" => Msg::new("重設登入方式綁定", "Sign-in method reset"),
        "account.profile.update" => Msg::new("修改個人資料", "Profile updated"),
        "account.password.change" => Msg::new("修改密碼", "Password changed"),
        "account.password.force_reset" => Msg::new("強制重設密碼", "Password reset forced"),
        "account.avatar.set" => Msg::new("更新個人圖像", "Avatar updated"),
        "account.avatar.remove" => Msg::new("移除個人圖像", "Avatar removed"),
        "account.disable" => Msg::new("停用帳號", "Account disabled"),
        "account.enable" => Msg::new("啟用帳號", "Account enabled"),
        "account.unlock" => Msg::new("解除鎖定", "Account unlocked"),
        "account.role.grant" => Msg::new("指派角色", "Role granted"),
        "account.role.revoke" => Msg::new("移除角色", "Role revoked"),
        "org.create" => Msg::new("新增單位", "Unit created"),
        "org.update" => Msg::new("修改單位", "Unit updated"),
        "org.move" => Msg::new("移動單位", "Unit moved"),
        "org.delete" => Msg::new("刪除單位", "Unit deleted"),
        "settings.update" => Msg::new("修改系統參數", "Settings changed"),
        "demo.seed" => Msg::new("建立示範資料", "Demo data created"),
        other => Msg::owned(other.to_owned(), other.to_owned()),
    }
}

pub fn outcome_label(o: &str) -> Msg {
    portico_core::audit::Outcome::parse(o)
        .map(|o| o.label())
        .unwrap_or_else(|| Msg::owned(o.to_owned(), o.to_owned()))
}

/// Why a sign-in failed, in words.
/// The sign-in method an event's detail names (`{"method": …}`).
pub fn method_label(detail: &str) -> Msg {
    serde_json::from_str::<serde_json::Value>(detail)
        .ok()
        .and_then(|v| {
            v.get("method")?
                .as_str()
                .and_then(portico_core::zone::SignInMethod::parse)
        })
        .map(|m| m.label())
        .unwrap_or_else(|| Msg::new("", ""))
}

pub fn reason_label(r: &str) -> Msg {
    match r {
        "" => Msg::new("", ""),
        "captcha" => Msg::new("驗證碼錯誤", "Wrong captcha"),
        "unknown_login" => Msg::new("帳號不存在", "Unknown login name"),
        "bad_password" => Msg::new("密碼錯誤", "Wrong password"),
        "bad_password_locked" => Msg::new("密碼錯誤，帳號已鎖定", "Wrong password; account locked"),
        "locked" => Msg::new("帳號鎖定中", "Account locked"),
        "disabled" => Msg::new("帳號已停用", "Account disabled"),
        "pending" => Msg::new("帳號待審核", "Pending review"),
        "awaiting_activation" => Msg::new("帳號待開通", "Awaiting activation"),
        "password_change_required" => Msg::new("須變更密碼", "Password change required"),
        "invalid" => Msg::new("輸入資料有誤", "Invalid input"),
        "outside_network" => Msg::new(
            "府外網路不允許此登入方式",
            "Method not allowed outside the government network",
        ),
        "bad_code" | "bad_code_locked" => Msg::new("動態驗證碼錯誤", "Wrong authenticator code"),
        "code_replay" | "code_replay_locked" => {
            Msg::new("動態驗證碼已使用過", "Authenticator code already used")
        }
        "no_totp" | "no_totp_locked" => Msg::new("未綁定 OTP 驗證", "No authenticator app set up"),
        "bad_temp_password" | "bad_temp_password_locked" => {
            Msg::new("臨時密碼錯誤", "Wrong temporary password")
        }
        "temp_password_used" => Msg::new("臨時密碼已使用過", "Temporary password already used"),
        "temp_password_expired" => Msg::new("臨時密碼已過期", "Temporary password expired"),
        "unknown_ticket" => Msg::new("臨時密碼不存在", "Unknown temporary password"),
        "too_many_attempts" => Msg::new("錯誤次數過多", "Too many wrong attempts"),
        "too_many" => Msg::new("申請次數過多", "Asked too often"),
        "unknown_email" => Msg::new("信箱未綁定帳號", "Address not bound"),
        "account_inactive" => Msg::new("帳號無法使用", "Account not active"),
        other => Msg::owned(other.to_owned(), other.to_owned()),
    }
}

/// Page numbers to link: the first, the last, and a window around the
/// current one.
pub fn page_links<A: std::borrow::Borrow<u32>, B: std::borrow::Borrow<u32>>(
    page: A,
    pages: B,
) -> Vec<u32> {
    let (page, pages) = (*page.borrow(), *pages.borrow());
    let mut v: Vec<u32> = (1..=pages)
        .filter(|p| *p == 1 || *p == pages || p.abs_diff(page) <= 2)
        .collect();
    v.dedup();
    v
}

pub struct AccountQueryView {
    pub name: String,
    pub login: String,
    pub title: String,
    pub agency: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AdminAccountsPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::accounts::AccountRow>,
    pub q: AccountQueryView,
    pub agencies: Vec<(i64, String)>,
    pub query_string: String,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AdminAccountPage {
    pub c: Chrome,
    pub m: portico_app::accounts::Managed,
    /// Units the admin may scope a role to: (id, indented name).
    pub scopes: Vec<(i64, String)>,
    /// The scope preselected: the account's agency.
    pub default_scope: i64,
    pub error: String,
}

#[derive(Template)]
#[template(path = "org/tree.html")]
pub struct AdminOrgPage {
    pub c: Chrome,
    pub rows: Vec<OrgRow>,
    pub form: portico_app::orgs::UnitForm,
    pub errs: Errors,
    pub parents: Vec<Choice>,
}

/// One option of a select, with whether it is chosen.
pub struct Choice {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub depth: usize,
    pub kind: Msg,
    pub oid: String,
    pub enabled: bool,
    pub accounts: i64,
}

#[derive(Template)]
#[template(path = "org/unit.html")]
pub struct AdminUnitPage {
    pub c: Chrome,
    pub unit: portico_store::orgs::OrgUnit,
    pub form: portico_app::orgs::UnitForm,
    pub errs: Errors,
    pub parents: Vec<Choice>,
    pub accounts: i64,
}

#[derive(Template)]
#[template(path = "settings/index.html")]
pub struct AdminSettingsPage {
    pub c: Chrome,
    pub s: portico_core::settings::SystemSettings,
    /// The version `s` was read at, sent back with the form.
    pub version: i64,
    /// Another admin saved meanwhile and changed the same fields: which.
    pub conflict: String,
    pub errs: Errors,
    /// The address the server sees for this request, and whether the
    /// saved zones count it as inside: proof the proxy setting is right.
    pub seen_ip: String,
    pub seen_inside: bool,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
pub struct AdminAuditPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::audit::Event>,
    pub q: RecordQuery,
    pub actor: String,
    pub query_string: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "account/record.html")]
pub struct AdminEventPage {
    pub c: Chrome,
    pub e: portico_store::audit::Event,
    pub back: String,
}

// ---- the account lifecycle ----------------------------------------------------

#[derive(Template)]
#[template(path = "enrolment/services.html")]
pub struct ServicesPage {
    pub c: Chrome,
}

#[derive(Template)]
#[template(path = "enrolment/verify_email.html")]
pub struct VerifyEmailPage {
    pub c: Chrome,
    pub title: Msg,
    pub intro: Msg,
    /// `/apply` or `/apply/modify`: the steps post to `{action}/email` and
    /// `{action}/code`.
    pub action: &'static str,
    /// `email` (enter the address) or `code` (enter the code).
    pub stage: &'static str,
    pub email: String,
    pub error: String,
    pub errs: Errors,
    /// Mobile ID can verify instead of a mailed code (modify only).
    pub mobile_enabled: bool,
}

#[derive(Template)]
#[template(path = "enrolment/verify_account.html")]
pub struct VerifyAccountPage {
    pub c: Chrome,
    pub title: Msg,
    pub intro: Msg,
    pub action: &'static str,
    pub stage: &'static str,
    pub login: String,
    pub method: String,
    pub error: String,
    pub errs: Errors,
    /// Mobile ID can be the identity check here.
    pub mobile_enabled: bool,
    /// The mobile-ID transaction the page waits for (stage "mobile"), and
    /// the two digits the phone shows with it.
    pub handle: String,
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "enrolment/set_password.html")]
pub struct SetPasswordPage {
    pub c: Chrome,
    pub title: Msg,
    pub action: &'static str,
    pub login: String,
    pub policy: portico_core::password::PasswordPolicy,
    pub error: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "enrolment/apply.html")]
pub struct EnrolmentPage {
    pub c: Chrome,
    pub title: Msg,
    pub action: &'static str,
    /// Modifying: the national ID and login are shown, not editable.
    pub fixed: bool,
    pub national_id_masked: String,
    pub backup_email: String,
    pub notice: String,
    pub f: portico_app::enrolment::EnrolmentForm,
    /// (group label, [(unit id, unit label)]): the deepest units only.
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub login_ok: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "layout/notice.html")]
pub struct NoticePage {
    pub c: Chrome,
    pub title: Msg,
    pub message: Msg,
    pub link: &'static str,
    pub link_text: Msg,
}

pub struct RequestQueryView {
    pub kind: String,
    pub state: String,
    pub who: String,
}

impl RequestQueryView {
    pub fn state_or_pending(&self) -> &str {
        if self.state.is_empty() {
            "pending"
        } else {
            &self.state
        }
    }
}

#[derive(Template)]
#[template(path = "requests/queue.html")]
pub struct AdminRequestsPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::requests::Request>,
    pub q: RequestQueryView,
    pub query_string: String,
    pub pending_shown: bool,
    pub outcome: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "requests/request.html")]
pub struct AdminRequestPage {
    pub c: Chrome,
    pub r: portico_store::requests::Request,
    pub a: portico_store::accounts::Account,
    pub national_id_masked: String,
    pub note: String,
    pub note_error: String,
    pub error: String,
}

pub struct OutboxQueryView {
    pub state: String,
    pub channel: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "outbox/index.html")]
pub struct AdminOutboxPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::outbox::Message>,
    pub counts: Vec<(portico_core::outbox::DeliveryState, i64)>,
    pub q: OutboxQueryView,
    pub query_string: String,
}

#[derive(Template)]
#[template(path = "outbox/message.html")]
pub struct AdminMessagePage {
    pub c: Chrome,
    pub m: portico_store::outbox::Message,
}

#[derive(Template)]
#[template(path = "enrolment/reinstate.html")]
pub struct ReinstatePage {
    pub c: Chrome,
    pub login: String,
    pub name: String,
    pub current: String,
    pub f: portico_app::requests::MoveForm,
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "enrolment/find_admins.html")]
pub struct AdminContactsPage {
    pub c: Chrome,
    pub agency: String,
    pub admins: Vec<portico_app::requests::AdminContact>,
}

#[derive(Template)]
#[template(path = "requests/mine.html")]
pub struct MyRequestsPage {
    pub c: Chrome,
    pub open: Vec<portico_store::requests::Request>,
    pub is_agency_admin: bool,
    pub current: String,
    pub f: portico_app::requests::MoveForm,
    pub reason: String,
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub errs: Errors,
    pub error: String,
}

#[derive(Template)]
#[template(path = "contacts/index.html")]
pub struct ContactsPage {
    pub c: Chrome,
    pub backup_email: String,
    pub mobile: String,
    /// `address` or `code`, for each of the two forms.
    pub email_stage: &'static str,
    pub mobile_stage: &'static str,
    pub new_email: String,
    pub new_mobile: String,
    pub errs: Errors,
}

/// Moves on to another page by itself (after a form post whose next stop
/// is another site).
#[derive(Template)]
#[template(path = "oidc/continue.html")]
pub struct ContinuePage {
    pub c: Chrome,
    pub url: String,
}

/// An application asked to sign the person out, without proof that it
/// speaks for them: the person confirms.
#[derive(Template)]
#[template(path = "oidc/logout.html")]
pub(crate) struct LogoutPage {
    pub c: Chrome,
    pub app_name: String,
    pub q: crate::forms::LogoutQuery,
}

#[derive(Template)]
#[template(path = "clients/list.html")]
pub(crate) struct AppsPage {
    pub c: Chrome,
    /// The system admin's list of every application.
    pub admin: bool,
    pub q: crate::forms::ListQuery,
    pub query_string: String,
    pub page: portico_store::Page<portico_store::clients::Listed>,
}

#[derive(Template)]
#[template(path = "clients/form.html")]
pub(crate) struct AppFormPage {
    pub c: Chrome,
    /// `None` for a new application.
    pub id: Option<i64>,
    pub agencies: Vec<(String, Vec<(i64, String)>)>,
    pub f: crate::forms::AppForm,
    pub errs: Errors,
}

/// One service on an application's page.
pub(crate) struct ServiceRow {
    pub kind: portico_core::sso::ServiceKind,
    pub approved: Option<portico_store::clients::Service>,
    pub pending: Option<portico_store::clients::Service>,
    /// The tile's agencies, named.
    pub agencies: String,
}

#[derive(Template)]
#[template(path = "clients/client.html")]
pub(crate) struct AppPage {
    pub c: Chrome,
    pub admin: bool,
    pub v: portico_app::clients::AppView,
    pub rows: Vec<ServiceRow>,
    pub may_have_secret: bool,
    pub issuer: String,
    pub error: String,
    /// A secret just generated: shown this once.
    pub secret: Option<String>,
}

#[derive(Template)]
#[template(path = "clients/apply.html")]
pub(crate) struct ApplyPage {
    pub c: Chrome,
    pub id: i64,
    pub app_name: String,
    pub kind: portico_core::sso::ServiceKind,
    pub agencies: Vec<(String, Vec<(i64, String)>)>,
    pub f: crate::forms::ServiceForm,
    pub errs: Errors,
    pub error: String,
}

#[derive(Template)]
#[template(path = "clients/service.html")]
pub(crate) struct ServiceRecordPage {
    pub c: Chrome,
    pub admin: bool,
    pub app: portico_store::clients::Client,
    pub svc: portico_store::clients::Service,
    pub agencies: String,
    pub errs: Errors,
    pub error: String,
}
