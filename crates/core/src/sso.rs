//! Single sign-on rules: registered applications and the services they
//! apply for (004 §捌 七 應用系統服務介接), and the checks of the OpenID
//! Connect protocol that need no IO: redirect URIs compared exactly, PKCE,
//! scopes, the claims an application may receive.
use crate::msg::Msg;
use crate::text::{Email, clean_text};
use sha2::{Digest, Sha256};
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
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::Sso,
        ServiceKind::Verify,
        ServiceKind::Tile,
        ServiceKind::Sms,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Sso => "sso",
            ServiceKind::Verify => "verify",
            ServiceKind::Tile => "tile",
            ServiceKind::Sms => "sms",
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

/// What the portal may tell an application about a person (the checkboxes
/// of 004 §捌 七 "勾選所需拋回的資料"). The subject (`sub`, the account's
/// stable id) is always returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    Name,
    Login,
    Agency,
    Unit,
    Title,
    Email,
    Phone,
}

impl Claim {
    pub const ALL: [Claim; 7] = [
        Claim::Name,
        Claim::Login,
        Claim::Agency,
        Claim::Unit,
        Claim::Title,
        Claim::Email,
        Claim::Phone,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Claim::Name => "name",
            Claim::Login => "login",
            Claim::Agency => "agency",
            Claim::Unit => "unit",
            Claim::Title => "title",
            Claim::Email => "email",
            Claim::Phone => "phone",
        }
    }
    pub fn parse(s: &str) -> Option<Claim> {
        Claim::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Claim::Name => Msg::new("姓名", "Name"),
            Claim::Login => Msg::new("帳號", "Login name"),
            Claim::Agency => Msg::new("機關（名稱與 OID）", "Agency (name and OID)"),
            Claim::Unit => Msg::new("單位（名稱與 OID）", "Unit (name and OID)"),
            Claim::Title => Msg::new("職稱", "Title"),
            Claim::Email => Msg::new("公務信箱", "Official e-mail"),
            Claim::Phone => Msg::new("公務電話", "Official phone"),
        }
    }
    /// The names of the JWT / userinfo members this claim fills.
    pub fn members(self) -> &'static [&'static str] {
        match self {
            Claim::Name => &["name"],
            Claim::Login => &["preferred_username"],
            Claim::Agency => &["agency", "agency_oid"],
            Claim::Unit => &["unit", "unit_oid"],
            Claim::Title => &["title"],
            Claim::Email => &["email", "email_verified"],
            Claim::Phone => &["phone_number"],
        }
    }
}

/// A set of claims, stored as a comma-separated list.
pub fn parse_claims(items: &[String]) -> Result<Vec<Claim>, Msg> {
    let mut out = Vec::new();
    for i in items {
        let c = Claim::parse(i.trim()).ok_or_else(|| {
            Msg::owned(
                format!("不認得的資料項目：{i}"),
                format!("Unknown claim: {i}"),
            )
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out.sort();
    Ok(out)
}

pub fn claims_to_stored(c: &[Claim]) -> String {
    c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

pub fn claims_from_stored(s: &str) -> Vec<Claim> {
    s.split(',').filter_map(Claim::parse).collect()
}

/// A public client (a browser or phone app) cannot keep a secret and must
/// use PKCE; a confidential client authenticates with its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    Confidential,
    Public,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Confidential => "confidential",
            ClientType::Public => "public",
        }
    }
    pub fn parse(s: &str) -> Option<ClientType> {
        match s {
            "confidential" => Some(ClientType::Confidential),
            "public" => Some(ClientType::Public),
            _ => None,
        }
    }
    pub fn label(self) -> Msg {
        match self {
            ClientType::Confidential => Msg::new(
                "伺服器端應用（使用用戶端密鑰）",
                "Server-side application (uses a client secret)",
            ),
            ClientType::Public => Msg::new(
                "瀏覽器或行動應用（無密鑰，須使用 PKCE）",
                "Browser or mobile application (no secret, PKCE required)",
            ),
        }
    }
}

/// The JWS algorithm of an application's tokens: ES256 by default, RS256
/// for clients whose libraries expect RSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SigningAlg {
    ES256,
    RS256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::ES256, SigningAlg::RS256];
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::RS256 => "RS256",
        }
    }
    pub fn parse(s: &str) -> Option<SigningAlg> {
        match s {
            "ES256" => Some(SigningAlg::ES256),
            "RS256" => Some(SigningAlg::RS256),
            _ => None,
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

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|i| i.is_loopback())
}

/// One redirect URI as registered: absolute, https (http only on the
/// loopback address, RFC 8252 §7.3), no fragment, no wildcard, no user
/// information. Compared later character for character.
pub fn redirect_uri(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    let shown: String = s.chars().take(80).collect();
    let bad = |why_zh: &str, why_en: &str| {
        Msg::owned(
            format!("導回網址「{shown}」{why_zh}"),
            format!("The redirect URI \"{shown}\" {why_en}"),
        )
    };
    if s.len() > 500 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("過長或含空白", "is too long or contains spaces"));
    }
    let u = url::Url::parse(s).map_err(|_| bad("不是完整網址", "is not an absolute URL"))?;
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" if !host.is_empty() => {}
        "http" if is_loopback_host(host) => {}
        _ => {
            return Err(bad(
                "須以 https:// 開頭（僅本機測試可用 http://127.0.0.1）",
                "must use https:// (http only on the loopback address)",
            ));
        }
    }
    if u.fragment().is_some() || s.contains('#') {
        return Err(bad("不可包含 #", "must not contain a fragment (#)"));
    }
    if s.contains('*') {
        return Err(bad("不可使用萬用字元", "must not contain wildcards"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("不可包含帳號密碼", "must not contain user information"));
    }
    Ok(s.to_owned())
}

/// The redirect URIs of an application, one per line: 1–10 of them.
pub fn redirect_uris(input: &str, required: bool) -> Result<Vec<String>, Msg> {
    let mut out: Vec<String> = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let u = redirect_uri(line)?;
        if !out.contains(&u) {
            out.push(u);
        }
    }
    if required && out.is_empty() {
        return Err(Msg::new(
            "請至少輸入一個導回網址（驗證處理常式）",
            "Enter at least one redirect URI",
        ));
    }
    if out.len() > 10 {
        return Err(Msg::new("導回網址最多 10 個", "At most 10 redirect URIs"));
    }
    Ok(out)
}

/// The redirect URI a request names is one of the registered ones, exactly.
pub fn redirect_registered(registered: &[String], requested: &str) -> bool {
    registered.iter().any(|r| r == requested)
}

/// A PKCE code verifier (RFC 7636 §4.1): 43–128 unreserved characters.
pub fn pkce_verifier_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Does the verifier match the S256 challenge (RFC 7636 §4.6)?
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    if !pkce_verifier_ok(verifier) {
        return false;
    }
    let d = Sha256::digest(verifier.as_bytes());
    let expect = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d);
    // Both are public values derived from a secret the client holds; a
    // plain comparison leaks nothing an attacker does not already have.
    expect == challenge
}

/// A challenge as the authorization request carries it: 43 characters of
/// base64url (a SHA-256).
pub fn pkce_challenge_ok(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The scopes this provider knows. `openid` is required for sign-in;
/// `offline_access` is accepted and ignored (refresh tokens are always
/// issued to the code flow); `portico.api` lets an access token call the
/// portal's JSON API as the person.
pub const SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "phone",
    "offline_access",
    "portico.api",
];

/// Parses a `scope` parameter: known scopes kept in order, unknown ones
/// dropped (RFC 6749 §3.3 lets the server narrow the request).
pub fn parse_scope(s: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for w in s.split(' ').filter(|w| !w.is_empty()) {
        if let Some(k) = SCOPES.iter().find(|k| **k == w)
            && !out.contains(k)
        {
            out.push(k);
        }
    }
    out
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
    fn redirect_uris_are_https_or_loopback_without_fragments_or_wildcards() {
        assert!(redirect_uri("https://app.tainan.gov.tw/cb").is_ok());
        assert!(redirect_uri("http://127.0.0.1:5000/cb").is_ok());
        assert!(redirect_uri("http://localhost/cb").is_ok());
        assert!(redirect_uri("http://[::1]:80/cb").is_ok());
        assert!(redirect_uri("http://app.tainan.gov.tw/cb").is_err());
        assert!(redirect_uri("https://app.tainan.gov.tw/cb#x").is_err());
        assert!(redirect_uri("https://*.tainan.gov.tw/cb").is_err());
        assert!(redirect_uri("https://u:p@app.tainan.gov.tw/cb").is_err());
        assert!(redirect_uri("javascript:alert(1)").is_err());
        assert!(redirect_uri("/relative").is_err());
        assert!(redirect_uris("", true).is_err());
        assert_eq!(
            redirect_uris("https://a.gov.tw/cb\n\nhttps://a.gov.tw/cb\n", true)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn redirect_uri_matching_is_exact() {
        let reg = vec!["https://app.gov.tw/cb".to_owned()];
        assert!(redirect_registered(&reg, "https://app.gov.tw/cb"));
        for bad in [
            "https://app.gov.tw/cb/",
            "https://app.gov.tw/cb?x=1",
            "https://app.gov.tw/cb/../evil",
            "https://app.gov.tw/c",
            "https://APP.gov.tw/cb",
            "https://app.gov.tw.evil.com/cb",
        ] {
            assert!(!redirect_registered(&reg, bad), "{bad}");
        }
    }

    #[test]
    fn pkce_s256_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_challenge_ok(challenge));
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!pkce_s256_matches("short", challenge));
        assert!(!pkce_challenge_ok("plain-text"));
    }

    #[test]
    fn scopes_are_narrowed_to_known_ones() {
        assert_eq!(
            parse_scope("openid  email evil openid"),
            vec!["openid", "email"]
        );
        assert!(parse_scope("").is_empty());
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

    #[test]
    fn claims_round_trip_and_refuse_unknown() {
        let c = parse_claims(&["unit".into(), "name".into(), "name".into()]).unwrap();
        assert_eq!(c, vec![Claim::Name, Claim::Unit]);
        assert_eq!(claims_from_stored(&claims_to_stored(&c)), c);
        assert!(parse_claims(&["national_id".into()]).is_err());
    }
}
