//! Relying-party applications (應用系統服務介接, 004 §捌 七): what a
//! registration holds and the checks it passes (contacts, URL, at most five
//! production IPs), and the services an application applies for. The
//! OpenID protocol's own rules are `sso.rs`.
use crate::msg::Msg;
use crate::text::{Email, clean_text};
use std::net::IpAddr;

/// The four services an application can apply for (004 §捌 七 (一)–(四)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// 單一登入: the application sends people to the portal's sign-in page.
    Sso,
    /// 帳號驗證: the application has its own login form and asks the portal.
    Verify,
    /// 轉登: a tile on the portal home page signs people into the application.
    Tile,
    /// 簡訊發送: the application sends SMS through the portal's gateway.
    Sms,
    /// 使用紀錄回報: the application reports its usage records (002 §六
    /// (三) 2, §七), which the portal keeps and audits with its own.
    Usage,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 5] = [
        ServiceKind::Sso,
        ServiceKind::Verify,
        ServiceKind::Tile,
        ServiceKind::Sms,
        ServiceKind::Usage,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Sso => "sso",
            ServiceKind::Verify => "verify",
            ServiceKind::Tile => "tile",
            ServiceKind::Sms => "sms",
            ServiceKind::Usage => "usage",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            ServiceKind::Sso => Msg::new("單一登入", "Single sign-on"),
            ServiceKind::Verify => Msg::new("帳號驗證", "Account verification"),
            ServiceKind::Tile => Msg::new("轉登", "Portal tile"),
            ServiceKind::Sms => Msg::new("簡訊發送", "SMS sending"),
            ServiceKind::Usage => Msg::new("使用紀錄回報", "Usage reporting"),
        }
    }
    pub fn describe(self) -> Msg {
        match self {
            ServiceKind::Sso => Msg::new(
                "應用系統有登入頁面，使用者點擊登入即轉址到公務入口網單一登入頁面，驗證通過後轉回應用系統（OpenID Connect）",
                "The application sends people to the portal's sign-in page and receives them back signed in (OpenID Connect)",
            ),
            ServiceKind::Verify => Msg::new(
                "應用系統有自己的登入頁面，透過 API 詢問公務入口網帳號密碼是否正確",
                "The application has its own login form and asks the portal's API whether a login and password are right",
            ),
            ServiceKind::Tile => Msg::new(
                "應用系統沒有登入頁面，使用者先登入公務入口網，再點選首頁圖示轉登至應用系統",
                "People sign in to the portal first and reach the application through a tile on the home page",
            ),
            ServiceKind::Sms => Msg::new(
                "應用系統透過公務入口網發送簡訊",
                "The application sends SMS through the portal",
            ),
            ServiceKind::Usage => Msg::new(
                "應用系統將使用紀錄（時間、帳號、動作、查詢對象、查詢原因）回報公務入口網，併同稽核並保存三年",
                "The application reports its usage records (time, account, action, object, reason) to the portal, which audits and keeps them three years",
            ),
        }
    }
    /// Services that return claims about the person.
    pub fn has_claims(self) -> bool {
        matches!(self, ServiceKind::Sso | ServiceKind::Verify)
    }
}

/// Where an application for a service stands. Approving a newer application
/// of the same kind supersedes the older approved one, so at most one is
/// approved at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Pending,
    Approved,
    Rejected,
    Superseded,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Pending => "pending",
            ServiceState::Approved => "approved",
            ServiceState::Rejected => "rejected",
            ServiceState::Superseded => "superseded",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceState> {
        [
            ServiceState::Pending,
            ServiceState::Approved,
            ServiceState::Rejected,
            ServiceState::Superseded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            ServiceState::Pending => Msg::new("審核中", "Under review"),
            ServiceState::Approved => Msg::new("已核准", "Approved"),
            ServiceState::Rejected => Msg::new("已退回", "Rejected"),
            ServiceState::Superseded => Msg::new("已由新申請取代", "Superseded"),
        }
    }
}

/// The fields of a registered application (004 §捌 七 (六) 新增應用系統).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFields {
    pub name: String,
    pub short_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub vendor: String,
    pub description: String,
    pub url: String,
    pub ips: Vec<IpAddr>,
}

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct AppInput<'a> {
    pub name: &'a str,
    pub short_name: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
    pub contact_email: &'a str,
    pub vendor: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    pub ips: &'a str,
}

/// At most five production addresses (004 §捌 七 (六) (6) "最多可設定 5 組").
pub const MAX_IPS: usize = 5;

impl AppInput<'_> {
    pub fn check(&self) -> Result<AppFields, crate::Error> {
        let mut c = crate::error::Collector::new();
        let name = c.take("name", clean_text(self.name, 1, 60));
        let short_name = c.take("short_name", clean_text(self.short_name, 0, 30));
        let contact_name = c.take("contact_name", clean_text(self.contact_name, 1, 30));
        let contact_phone = c.take("contact_phone", contact_phone(self.contact_phone));
        let contact_email = c.take(
            "contact_email",
            Email::parse(self.contact_email).map(|e| e.as_str().to_owned()),
        );
        let vendor = c.take("vendor", clean_text(self.vendor, 1, 60));
        let description = c.take("description", clean_text(self.description, 1, 500));
        let url = c.take("url", web_url(self.url));
        let ips = c.take("ips", parse_ips(self.ips));
        c.finish()?;
        match (
            name,
            short_name,
            contact_name,
            contact_phone,
            contact_email,
            vendor,
            description,
            url,
            ips,
        ) {
            (
                Some(name),
                Some(short_name),
                Some(contact_name),
                Some(contact_phone),
                Some(contact_email),
                Some(vendor),
                Some(description),
                Some(url),
                Some(ips),
            ) => Ok(AppFields {
                name,
                short_name,
                contact_name,
                contact_phone,
                contact_email,
                vendor,
                description,
                url,
                ips,
            }),
            _ => Err(crate::Error::internal("collector missed an error")),
        }
    }
}

/// A contact phone: digits, with an optional `#` extension, 6–20 characters.
fn contact_phone(input: &str) -> Result<String, Msg> {
    let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let (num, ext) = s.split_once('#').unwrap_or((&s, ""));
    if num.len() < 6
        || num.len() > 15
        || !num.chars().all(|c| c.is_ascii_digit())
        || ext.len() > 6
        || !ext.chars().all(|c| c.is_ascii_digit())
    {
        return Err(Msg::new(
            "聯絡電話請輸入數字，分機以 # 分隔（例如 062991111#1234）",
            "Enter the phone as digits, with # before an extension (e.g. 062991111#1234)",
        ));
    }
    Ok(s)
}

/// An application's address: an absolute http(s) URL.
pub fn web_url(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    let bad = || {
        Msg::new(
            "網址格式不正確，請輸入 https:// 開頭的完整網址",
            "The address is not valid; enter a full URL starting with https://",
        )
    };
    if s.len() > 500 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let u = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad());
    }
    Ok(s.to_owned())
}

/// 1–5 IP addresses, one per line or separated by commas.
pub fn parse_ips(input: &str) -> Result<Vec<IpAddr>, Msg> {
    let mut out: Vec<IpAddr> = Vec::new();
    for part in input
        .split(|c: char| c == ',' || c == '\n' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let ip: IpAddr = part.parse().map_err(|_| {
            Msg::owned(
                format!(
                    "「{}」不是正確的 IP 位址",
                    part.chars().take(40).collect::<String>()
                ),
                format!(
                    "\"{}\" is not an IP address",
                    part.chars().take(40).collect::<String>()
                ),
            )
        })?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    if out.is_empty() {
        return Err(Msg::new(
            "請至少輸入一組正式 IP",
            "Enter at least one production IP address",
        ));
    }
    if out.len() > MAX_IPS {
        return Err(Msg::new(
            "正式 IP 最多可設定 5 組",
            "At most 5 production IP addresses",
        ));
    }
    Ok(out)
}

pub fn ips_to_stored(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn ips_from_stored(s: &str) -> Vec<IpAddr> {
    s.split(',').filter_map(|p| p.parse().ok()).collect()
}

/// Is `addr` (as the audit context records it) one of the registered
/// addresses? IPv4-mapped IPv6 addresses count as their IPv4 form.
pub fn ip_allowed(registered: &[IpAddr], addr: &str) -> bool {
    let Ok(ip) = addr.trim().parse::<IpAddr>() else {
        return false;
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    registered.contains(&ip)
}

/// The SMS a client asks to send: a mobile number and 1–335 characters
/// (five 70-character UCS-2 segments, the carrier's limit for one message).
pub fn sms_text(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    let n = s.chars().count();
    if n == 0 {
        return Err(Msg::new("簡訊內容不可空白", "The message is empty"));
    }
    if n > 335 {
        return Err(Msg::new(
            "簡訊內容不可超過 335 字",
            "The message is at most 335 characters",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_004_at_most_five_production_ips() {
        assert_eq!(parse_ips("10.0.0.1, 10.0.0.2\n::1").unwrap().len(), 3);
        assert!(parse_ips("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5").is_ok());
        assert!(parse_ips("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6").is_err());
        assert!(parse_ips("").is_err());
        assert!(parse_ips("10.0.0.300").is_err());
        assert!(parse_ips("example.org").is_err());
    }

    #[test]
    fn ip_check_unmaps_ipv4_in_ipv6() {
        let reg = parse_ips("127.0.0.1").unwrap();
        assert!(ip_allowed(&reg, "127.0.0.1"));
        assert!(ip_allowed(&reg, "::ffff:127.0.0.1"));
        assert!(!ip_allowed(&reg, "127.0.0.2"));
        assert!(!ip_allowed(&reg, "garbage"));
    }

    #[test]
    fn app_form_reports_every_bad_field() {
        let e = AppInput {
            name: "",
            contact_email: "nope",
            url: "ftp://x",
            ips: "",
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let crate::Error::Invalid(errs) = e else {
            panic!("expected invalid")
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        for f in [
            "name",
            "contact_name",
            "contact_phone",
            "contact_email",
            "vendor",
            "description",
            "url",
            "ips",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
        let ok = AppInput {
            name: "差勤系統",
            short_name: "差勤",
            contact_name: "王小明",
            contact_phone: "06-2991111#1234",
            contact_email: "ops@mail.tainan.gov.tw",
            vendor: "OO科技股份有限公司",
            description: "測試介接使用",
            url: "https://leave.tainan.gov.tw/",
            ips: "10.1.2.3",
        }
        .check()
        .unwrap();
        assert_eq!(ok.contact_phone, "062991111#1234");
    }
}
