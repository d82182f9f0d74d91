//! System parameters (系統參數) an admin edits: the password policy,
//! lockout, session timeout and the idle-disable period.
use crate::account::LockoutPolicy;
use crate::error::{Error, FieldError};
use crate::msg::Msg;
use crate::password::PasswordPolicy;
use crate::zone::{Cidr, SignInMethod, Zones, parse_ranges};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SystemSettings {
    pub password: PasswordPolicy,
    pub lockout: LockoutPolicy,
    /// A session ends after this many idle minutes.
    pub session_idle_minutes: u32,
    /// Accounts unused this many days are disabled; 0 turns it off.
    /// 002 §五: six months without use.
    pub idle_disable_days: u32,
    /// Usage and audit records are kept this many years, then purged
    /// (002 §七 (一) 5: at least three).
    pub retention_years: u32,
    /// 權限清查 (002 §六 (二), at least every six months): each agency's
    /// campaign opens by itself this many months after its last; 0 turns
    /// the schedule off.
    pub review_every_months: u32,
    /// Whether the schedule's campaigns revoke what nobody reviewed by the
    /// deadline (otherwise they flag it).
    pub review_revokes: bool,
    /// The official mail domain, which a backup e-mail may not use.
    pub official_mail_domain: String,
    /// Requests per minute one application may make to the token endpoint
    /// and the application APIs (per node); 0: no limit.
    pub oauth_client_per_minute: u32,
    /// Account-verification calls per minute for one login name, across
    /// applications (per node), besides the lockout after failures.
    pub verify_account_per_minute: u32,
    /// Token requests (code exchange, refresh) per minute for one account,
    /// across applications (per node).
    pub oauth_account_per_minute: u32,
    /// The government network (府內環境): address ranges, one per line.
    /// Sign-in from anywhere else offers only `outside_methods`.
    pub internal_networks: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed, one range per
    /// line; empty: the peer address is the client.
    pub trusted_proxies: String,
    /// Methods offered outside the government network (004 §第一節 壹:
    /// only the certificate methods; passkeys are as strong).
    pub outside_methods: Vec<SignInMethod>,
    /// 機關及系統郵件帳號登入專區: the mail system's sign-in page, opened in
    /// a new window from the sign-in page (004 §第二節 貳); empty hides it.
    pub mail_login_url: String,
    /// 我的電子郵件: the webmail a signed-in person opens; empty hides it.
    pub webmail_url: String,
}

impl Default for SystemSettings {
    fn default() -> Self {
        SystemSettings {
            password: PasswordPolicy::default(),
            lockout: LockoutPolicy::default(),
            session_idle_minutes: 30,
            idle_disable_days: 180,
            retention_years: 3,
            review_every_months: 6,
            review_revokes: false,
            official_mail_domain: "mail.tainan.gov.tw".into(),
            oauth_client_per_minute: 6000,
            verify_account_per_minute: 10,
            oauth_account_per_minute: 120,
            internal_networks: DEFAULT_INTERNAL.into(),
            trusted_proxies: String::new(),
            // 004 L349: outside the government network, the seed's two
            // certificate methods only; passkeys outside only when a system
            // admin turns them on.
            outside_methods: vec![SignInMethod::Certificate, SignInMethod::MobileId],
            mail_login_url: "https://mail.tainan.gov.tw/".into(),
            webmail_url: "https://mail.tainan.gov.tw/".into(),
        }
    }
}

/// Private and loopback ranges: where a fresh install's staff sit until an
/// admin enters the real government network.
pub const DEFAULT_INTERNAL: &str =
    "10.0.0.0/8\n172.16.0.0/12\n192.168.0.0/16\n127.0.0.0/8\n::1/128\nfc00::/7";

impl SystemSettings {
    /// The network zones. Ranges were checked when saved; an unreadable
    /// line (an old row edited by hand) makes nothing internal and no peer
    /// a proxy.
    pub fn zones(&self) -> Zones {
        let internal = parse_ranges(&self.internal_networks)
            .unwrap_or_else(|_| vec![Cidr::parse("255.255.255.255").expect("literal")]);
        Zones {
            internal,
            outside_methods: self.outside_methods.clone(),
            proxies: parse_ranges(&self.trusted_proxies).unwrap_or_default(),
        }
    }
}

impl SystemSettings {
    pub fn validate(&self) -> Result<(), Error> {
        let mut errs: Vec<FieldError> = Vec::new();
        let mut push = |prefix: &'static str, list: Vec<(&'static str, Msg)>| {
            for (f, m) in list {
                let field: &'static str = match (prefix, f) {
                    ("password", "min_len") => "password.min_len",
                    ("password", "max_len") => "password.max_len",
                    ("password", "history") => "password.history",
                    ("password", "max_age_days") => "password.max_age_days",
                    ("lockout", "max_failures") => "lockout.max_failures",
                    ("lockout", "window_minutes") => "lockout.window_minutes",
                    ("lockout", "lock_minutes") => "lockout.lock_minutes",
                    _ => f,
                };
                errs.push(FieldError { field, message: m });
            }
        };
        if let Err(e) = self.password.validate() {
            push("password", e);
        }
        if let Err(e) = self.lockout.validate() {
            push("lockout", e);
        }
        if !(3..=30).contains(&self.retention_years) {
            errs.push(FieldError {
                field: "retention_years",
                message: Msg::new(
                    "紀錄保存年限須介於 3 至 30 年（規定至少保存三年）",
                    "Records are kept 3 to 30 years (the rules ask for at least three)",
                ),
            });
        }
        if self.review_every_months > 6 {
            errs.push(FieldError {
                field: "review_every_months",
                message: Msg::new(
                    "權限清查週期須介於 1 至 6 個月（規定至少每六個月一次），0 表示不自動開啟",
                    "Reviews recur every 1 to 6 months (the rules ask for at least every six); 0 turns the schedule off",
                ),
            });
        }
        if !(5..=480).contains(&self.session_idle_minutes) {
            errs.push(FieldError {
                field: "session_idle_minutes",
                message: Msg::new(
                    "閒置登出時間須介於 5 至 480 分鐘",
                    "The idle timeout must be 5 to 480 minutes",
                ),
            });
        }
        if self.idle_disable_days != 0 && !(30..=3650).contains(&self.idle_disable_days) {
            errs.push(FieldError {
                field: "idle_disable_days",
                message: Msg::new(
                    "閒置停用天數須為 0（不停用）或 30 至 3650 天",
                    "Idle disable must be 0 (off) or 30 to 3650 days",
                ),
            });
        }
        if self.oauth_client_per_minute > 1_000_000 {
            errs.push(FieldError {
                field: "oauth_client_per_minute",
                message: Msg::new(
                    "每個應用系統每分鐘請求上限須為 0（不限）至 1000000",
                    "Requests per application per minute must be 0 (no limit) to 1000000",
                ),
            });
        }
        if !(1..=600).contains(&self.verify_account_per_minute) {
            errs.push(FieldError {
                field: "verify_account_per_minute",
                message: Msg::new(
                    "每個帳號每分鐘驗證次數上限須介於 1 至 600",
                    "Verifications per account per minute must be 1 to 600",
                ),
            });
        }
        if !(1..=100_000).contains(&self.oauth_account_per_minute) {
            errs.push(FieldError {
                field: "oauth_account_per_minute",
                message: Msg::new(
                    "每個帳號每分鐘權杖請求上限須介於 1 至 100000",
                    "Token requests per account per minute must be 1 to 100000",
                ),
            });
        }
        // Either list holds at most 200 ranges, however they are separated
        // (a line each, or commas: `parse_ranges` takes both).
        for (field, text) in [
            ("internal_networks", &self.internal_networks),
            ("trusted_proxies", &self.trusted_proxies),
        ] {
            match parse_ranges(text) {
                Err(m) => errs.push(FieldError { field, message: m }),
                Ok(r) if r.len() > 200 => errs.push(FieldError {
                    field,
                    message: Msg::new("網段最多 200 筆", "At most 200 ranges"),
                }),
                Ok(_) => {}
            }
        }
        let d = self.official_mail_domain.trim();
        if d.is_empty() || d.contains('@') || !d.contains('.') || d.chars().any(char::is_whitespace)
        {
            errs.push(FieldError {
                field: "official_mail_domain",
                message: Msg::new(
                    "公務信箱網域格式不正確，例如 mail.tainan.gov.tw",
                    "The official mail domain is not valid, e.g. mail.tainan.gov.tw",
                ),
            });
        }
        for (field, url) in [
            ("mail_login_url", &self.mail_login_url),
            ("webmail_url", &self.webmail_url),
        ] {
            let u = url.trim();
            let shaped = u.is_empty()
                || ((u.starts_with("https://") || u.starts_with("http://"))
                    && u.len() <= 300
                    && !u
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '"'));
            if !shaped {
                errs.push(FieldError {
                    field,
                    message: Msg::new(
                        "網址須以 https:// 或 http:// 開頭、不含空白，最多 300 字元；留空則不顯示連結",
                        "The address must start with https:// or http://, have no spaces and be at most 300 characters; leave it empty to hide the link",
                    ),
                });
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errs))
        }
    }
}

/// Every parameter's dotted name, as the form and the JSON API name it.
pub const FIELDS: &[&str] = &[
    "password.min_len",
    "password.max_len",
    "password.require_upper",
    "password.require_lower",
    "password.require_digit",
    "password.require_special",
    "password.history",
    "password.max_age_days",
    "lockout.max_failures",
    "lockout.window_minutes",
    "lockout.lock_minutes",
    "session_idle_minutes",
    "idle_disable_days",
    "retention_years",
    "review_every_months",
    "review_revokes",
    "official_mail_domain",
    "oauth_client_per_minute",
    "verify_account_per_minute",
    "oauth_account_per_minute",
    "internal_networks",
    "trusted_proxies",
    "outside_methods",
    "mail_login_url",
    "webmail_url",
];

/// The label of a parameter, by its dotted name (as in the form and the
/// JSON API), for telling an admin which change conflicted.
pub fn field_label(field: &str) -> Msg {
    let (zh, en) = match field {
        "password.min_len" => ("密碼最短長度", "Minimum password length"),
        "password.max_len" => ("密碼最長長度", "Maximum password length"),
        "password.require_upper" => ("密碼須含大寫字母", "Passwords need upper case"),
        "password.require_lower" => ("密碼須含小寫字母", "Passwords need lower case"),
        "password.require_digit" => ("密碼須含數字", "Passwords need a digit"),
        "password.require_special" => ("密碼須含特殊符號", "Passwords need a symbol"),
        "password.history" => (
            "不可重複使用最近幾次密碼",
            "Recent passwords that cannot be reused",
        ),
        "password.max_age_days" => ("密碼有效天數", "Password lifetime"),
        "lockout.max_failures" => ("失敗次數上限", "Failures before lockout"),
        "lockout.window_minutes" => ("失敗計算期間", "Counting window"),
        "lockout.lock_minutes" => ("鎖定時間", "Lock duration"),
        "session_idle_minutes" => ("閒置自動登出", "Idle sign-out"),
        "idle_disable_days" => ("閒置停用天數", "Idle-account disable period"),
        "retention_years" => (
            "使用及稽核紀錄保存年限",
            "Years usage and audit records are kept",
        ),
        "review_every_months" => ("權限清查週期（月）", "Months between access reviews"),
        "review_revokes" => (
            "自動清查逾期未清查者撤銷權限",
            "Scheduled reviews revoke what is not reviewed",
        ),
        "official_mail_domain" => ("公務信箱網域", "Official mail domain"),
        "oauth_client_per_minute" => (
            "每個應用系統每分鐘請求上限",
            "Requests per application per minute",
        ),
        "verify_account_per_minute" => (
            "帳號驗證 API 每個帳號每分鐘次數上限",
            "Account-verification calls per login per minute",
        ),
        "oauth_account_per_minute" => (
            "每個帳號每分鐘權杖請求上限",
            "Token requests per account per minute",
        ),
        "internal_networks" => ("府內網段", "Government network ranges"),
        "trusted_proxies" => ("可信任的反向代理", "Trusted reverse proxies"),
        "outside_methods" => ("府外可用的登入方式", "Methods allowed outside"),
        "mail_login_url" => (
            "機關及系統郵件帳號登入專區網址",
            "Agency and system mail sign-in address",
        ),
        "webmail_url" => ("我的電子郵件網址", "Webmail address"),
        _ => return Msg::owned(field.to_owned(), field.to_owned()),
    };
    Msg::new(zh, en)
}

/// What the second of two admins is told: which of their changes met
/// another admin's, by name.
pub fn conflict_message(fields: &[&str]) -> Msg {
    let names = |zh: bool| {
        fields
            .iter()
            .map(|f| {
                let l = field_label(f);
                if zh {
                    format!("「{}」", l.zh)
                } else {
                    format!("“{}”", l.en)
                }
            })
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " })
    };
    Msg::owned(
        format!(
            "您編輯期間，其他管理者已儲存了新的設定，並修改了{}。這些欄位現在顯示他的值，您的其他變更仍保留在表單中；請確認後再儲存一次。",
            names(true)
        ),
        format!(
            "While you were editing, another administrator saved the settings and changed {}. Those fields now show their values and your other changes are still in the form; check them and save again.",
            names(false)
        ),
    )
}

/// The fields (by dotted name) on which `a` and `b` differ.
pub fn differing(a: &SystemSettings, b: &SystemSettings) -> Vec<&'static str> {
    let (fa, fb) = (flatten(a), flatten(b));
    FIELDS
        .iter()
        .copied()
        .filter(|f| fa.get(*f) != fb.get(*f))
        .collect()
}

/// The parameters as dotted name → value (`password.min_len`).
fn flatten(s: &SystemSettings) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut out = std::collections::BTreeMap::new();
    if let Ok(serde_json::Value::Object(top)) = serde_json::to_value(s) {
        for (k, v) in top {
            match v {
                serde_json::Value::Object(inner) => {
                    for (k2, v2) in inner {
                        out.insert(format!("{k}.{k2}"), v2);
                    }
                }
                v => {
                    out.insert(k, v);
                }
            }
        }
    }
    out
}

fn unflatten(flat: &std::collections::BTreeMap<String, serde_json::Value>) -> serde_json::Value {
    let mut top = serde_json::Map::new();
    for (k, v) in flat {
        match k.split_once('.') {
            Some((a, b)) => {
                let inner = top
                    .entry(a.to_owned())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                if let serde_json::Value::Object(m) = inner {
                    m.insert(b.to_owned(), v.clone());
                }
            }
            None => {
                top.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::Value::Object(top)
}

/// Two admins edited the parameters from the same `base`; `theirs` was
/// saved first. Keeps their changes and applies mine on top; where both
/// changed a field to different values, keeps theirs and names the field
/// (by dotted name, from [`FIELDS`]) so the second admin is told which
/// change conflicted. No names: the merge is clean.
pub fn merge(
    base: &SystemSettings,
    mine: &SystemSettings,
    theirs: &SystemSettings,
) -> (SystemSettings, Vec<&'static str>) {
    let (b, m, t) = (flatten(base), flatten(mine), flatten(theirs));
    let mut merged = t.clone();
    let mut conflicts = Vec::new();
    for (k, mv) in &m {
        let bv = b.get(k);
        let tv = t.get(k);
        if bv == Some(mv) {
            continue;
        }
        if tv != bv && tv != Some(mv) {
            conflicts.push(
                FIELDS
                    .iter()
                    .copied()
                    .find(|f| f == k)
                    .unwrap_or("settings"),
            );
        } else {
            merged.insert(k.clone(), mv.clone());
        }
    }
    let merged: SystemSettings =
        serde_json::from_value(unflatten(&merged)).unwrap_or_else(|_| theirs.clone());
    (merged, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_of_different_fields_from_the_same_version_both_count() {
        let base = SystemSettings::default();
        let mut mine = base.clone();
        mine.session_idle_minutes = 45;
        let mut theirs = base.clone();
        theirs.password.min_len = 10;
        let (m, conflicts) = merge(&base, &mine, &theirs);
        assert!(conflicts.is_empty());
        assert_eq!((m.session_idle_minutes, m.password.min_len), (45, 10));
    }

    #[test]
    fn usage_and_audit_records_are_kept_at_least_three_years() {
        // 002 §七 (一) 5: 系統使用紀錄及稽核紀錄保存期限至少為三年.
        let mut s = SystemSettings::default();
        assert_eq!(s.retention_years, 3);
        s.retention_years = 2;
        let Err(Error::Invalid(f)) = s.validate() else {
            panic!("two years was accepted");
        };
        assert_eq!(f[0].field, "retention_years");
        s.retention_years = 5;
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_same_field_changed_twice_differently_is_named() {
        let base = SystemSettings::default();
        let mut mine = base.clone();
        mine.password.min_len = 12;
        mine.idle_disable_days = 90;
        let mut theirs = base.clone();
        theirs.password.min_len = 10;
        let (kept, fields) = merge(&base, &mine, &theirs);
        assert_eq!(fields, vec!["password.min_len"]);
        // Theirs where they conflict, mine elsewhere.
        assert_eq!((kept.password.min_len, kept.idle_disable_days), (10, 90));
        assert_eq!(field_label("password.min_len").zh, "密碼最短長度");
        // Both to the same value: no conflict.
        theirs.password.min_len = 12;
        let (m, conflicts) = merge(&base, &mine, &theirs);
        assert!(conflicts.is_empty());
        assert_eq!(m.idle_disable_days, 90);
    }

    #[test]
    fn at_most_200_ranges_whether_on_lines_or_after_commas() {
        let many = (0..201)
            .map(|i| format!("10.{}.{}.0/24", i / 250, i % 250))
            .collect::<Vec<_>>();
        for (field, sep) in [("internal_networks", ","), ("trusted_proxies", "\n")] {
            let mut s = SystemSettings::default();
            let list = many.join(sep);
            if field == "internal_networks" {
                s.internal_networks = list;
            } else {
                s.trusted_proxies = list;
            }
            let Err(Error::Invalid(errs)) = s.validate() else {
                panic!("{field}: 201 ranges refused");
            };
            assert_eq!(errs[0].field, field);
            assert_eq!(errs[0].message.zh, "網段最多 200 筆");
        }
        let s = SystemSettings {
            internal_networks: many[..200].join(","),
            ..SystemSettings::default()
        };
        assert!(s.validate().is_ok(), "200 is allowed");
    }

    #[test]
    fn defaults_follow_the_seeds() {
        let s = SystemSettings::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.session_idle_minutes, 30);
        assert_eq!(s.idle_disable_days, 180);
        assert_eq!(
            (
                s.lockout.max_failures,
                s.lockout.window_minutes,
                s.lockout.lock_minutes
            ),
            (5, 15, 15)
        );
        assert_eq!(
            (
                s.password.min_len,
                s.password.max_len,
                s.password.history,
                s.password.max_age_days
            ),
            (8, 15, 3, 90)
        );
    }

    #[test]
    fn each_bad_number_is_named() {
        let s = SystemSettings {
            session_idle_minutes: 1,
            idle_disable_days: 5,
            ..Default::default()
        };
        let Err(Error::Invalid(errs)) = s.validate() else {
            panic!("expected invalid")
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["session_idle_minutes", "idle_disable_days"]);
    }
}
