//! The OpenID Connect protocol's checks that need no IO: redirect URIs
//! compared exactly, PKCE, scopes, signing algorithms, the claims an
//! application may receive. What an application registers is `clients.rs`.
use crate::msg::Msg;

use sha2::{Digest, Sha256};
use std::net::IpAddr;

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
    /// The organisations the person is a member of, with their 職稱/身分
    /// (issue 14).
    Organisations,
    /// The person's member categories (會員類別).
    Categories,
}

impl Claim {
    pub const ALL: [Claim; 9] = [
        Claim::Name,
        Claim::Login,
        Claim::Agency,
        Claim::Unit,
        Claim::Title,
        Claim::Email,
        Claim::Phone,
        Claim::Organisations,
        Claim::Categories,
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
            Claim::Organisations => "organisations",
            Claim::Categories => "categories",
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
            Claim::Organisations => Msg::new(
                "所屬組織與職稱/身分（個人組織）",
                "Organisations and titles",
            ),
            Claim::Categories => Msg::new("會員類別", "Member categories"),
        }
    }
    /// The scope that asks for this claim (OpenID Connect Core §5.4): the
    /// portal's own items (login, agency, unit, title) go with `profile`.
    pub fn scope(self) -> &'static str {
        match self {
            Claim::Email => "email",
            Claim::Phone => "phone",
            Claim::Name
            | Claim::Login
            | Claim::Agency
            | Claim::Unit
            | Claim::Title
            | Claim::Organisations
            | Claim::Categories => "profile",
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
            Claim::Organisations => &["organisations"],
            Claim::Categories => &["member_categories"],
        }
    }
}

/// What an application receives about a person: the claims its service
/// was approved for that the granted scopes ask for. Approval is the
/// ceiling; asking only `openid` gets the subject alone.
pub fn released<'a>(approved: &[Claim], scopes: impl IntoIterator<Item = &'a str>) -> Vec<Claim> {
    let scopes: Vec<&str> = scopes.into_iter().collect();
    approved
        .iter()
        .copied()
        .filter(|c| scopes.contains(&c.scope()))
        .collect()
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
    registered_uri(input, UriKind::Redirect)
}

/// What a registered address is for, as its messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriKind {
    Redirect,
    /// 轉登網址: the tile opens it to start single sign-on.
    InitiateLogin,
    /// Where back-channel logout tokens are POSTed.
    BackchannelLogout,
}

impl UriKind {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            UriKind::Redirect => ("導回網址", "The redirect URI"),
            UriKind::InitiateLogin => ("轉登網址", "The initiate-login URI"),
            UriKind::BackchannelLogout => ("登出通知網址", "The back-channel logout URI"),
        }
    }
}

/// An address an application registers, checked as a redirect URI is.
pub fn registered_uri(input: &str, kind: UriKind) -> Result<String, Msg> {
    let s = input.trim();
    let shown: String = s.chars().take(80).collect();
    let (zh, en) = kind.names();
    let bad = |why_zh: &str, why_en: &str| {
        Msg::owned(
            format!("{zh}「{shown}」{why_zh}"),
            format!("{en} \"{shown}\" {why_en}"),
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_application_receives_the_approved_claims_its_scopes_ask_for() {
        let approved = [Claim::Name, Claim::Login, Claim::Unit, Claim::Email];
        assert_eq!(released(&approved, ["openid"]), vec![]);
        assert_eq!(
            released(&approved, ["openid", "profile"]),
            vec![Claim::Name, Claim::Login, Claim::Unit]
        );
        assert_eq!(
            released(&approved, ["openid", "email", "phone"]),
            vec![Claim::Email],
            "phone was asked for, not approved"
        );
    }

    use super::*;

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
    fn claims_round_trip_and_refuse_unknown() {
        let c = parse_claims(&["unit".into(), "name".into(), "name".into()]).unwrap();
        assert_eq!(c, vec![Claim::Name, Claim::Unit]);
        assert_eq!(claims_from_stored(&claims_to_stored(&c)), c);
        assert!(parse_claims(&["national_id".into()]).is_err());
    }
}
