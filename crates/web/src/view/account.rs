//! A person's own pages: home, account, password, the authenticator
//! app, the sign-in and usage records (with the labels that make an
//! audit event readable).
use super::*;

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
    pub apps: std::sync::Arc<Vec<portico_store::clients::Tile>>,
    /// The sign-in before this one; `None` the first time.
    pub last_sign_in: Option<String>,
    /// A failed attempt since then.
    pub failed_since: Option<String>,
    /// For admins: requests waiting for them (待簽核).
    pub waiting: Option<i64>,
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
        "unknown_login_locked" => Msg::new(
            "帳號不存在，已依錯誤次數鎖定",
            "Unknown login name, locked after repeated tries",
        ),
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
        "auth_code_reused" => Msg::new("授權碼已使用過", "Authorization code already used"),
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
