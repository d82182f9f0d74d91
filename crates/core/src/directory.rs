//! The directories Portico writes through to (issue 13; 004 §壹 四, 表 1:
//! the portal is the master of accounts and units, and the city's other
//! systems read Active Directory over LDAP): what a target is, how its
//! settings are checked, how a person and a unit are named and described
//! there, and what a directory's answer means in words.
use crate::Msg;
use crate::error::{Collector, Result};

/// The kind of directory a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// Active Directory (or Samba as a domain controller): `user` objects,
    /// `userAccountControl`, passwords as `unicodePwd` over a secure link.
    ActiveDirectory,
    /// A plain LDAP server (OpenLDAP): `inetOrgPerson`, passwords by the
    /// password modify operation (RFC 3062), hashed by the server.
    Ldap,
}

impl DirectoryKind {
    pub const ALL: [DirectoryKind; 2] = [DirectoryKind::ActiveDirectory, DirectoryKind::Ldap];
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryKind::ActiveDirectory => "ad",
            DirectoryKind::Ldap => "ldap",
        }
    }
    pub fn parse(s: &str) -> Option<DirectoryKind> {
        DirectoryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            DirectoryKind::ActiveDirectory => {
                Msg::new("Active Directory（AD）", "Active Directory")
            }
            DirectoryKind::Ldap => Msg::new("LDAP 目錄", "LDAP directory"),
        }
    }
}

/// How the link to the directory is secured. A bind password never
/// crosses the network in clear: `ldap://` needs StartTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
    /// `ldap://` upgraded by the StartTLS operation.
    StartTls,
}

/// A target's settings as typed on its form (or sent to the API).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TargetInput {
    pub name: String,
    /// `ad` or `ldap`.
    pub kind: String,
    pub url: String,
    /// `on` (a checkbox) or `true`: StartTLS on an `ldap://` URL.
    pub starttls: String,
    /// PEM certificates the directory's certificate must chain to; empty
    /// for the system's roots.
    pub ca_pem: String,
    pub bind_dn: String,
    /// Empty on an edit keeps the stored one.
    pub bind_password: String,
    /// Where people are (and, when `unit_ous` is on, where the units'
    /// OUs are made).
    pub people_base: String,
    /// Where the agency and system mail accounts are; empty: `people_base`.
    pub mail_base: String,
    /// `on`: each unit is an OU and its people sit in it; off: people sit
    /// directly under `people_base`, their unit as attributes.
    pub unit_ous: String,
    /// `on`: passwords set in Portico are written to the directory.
    pub password_sync: String,
    /// The attribute that carries the unit's government OID.
    pub oid_attribute: String,
    /// `on`: changes are written; off: the target is kept but idle.
    pub enabled: String,
}

fn on(s: &str) -> bool {
    matches!(s.trim(), "on" | "true" | "1" | "yes")
}

/// A target's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub name: String,
    pub kind: DirectoryKind,
    pub url: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub ca_pem: String,
    pub bind_dn: String,
    pub people_base: String,
    pub mail_base: String,
    pub unit_ous: bool,
    pub password_sync: bool,
    pub oid_attribute: String,
    pub enabled: bool,
}

impl serde::Serialize for Security {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Security::Ldaps => "ldaps",
            Security::StartTls => "starttls",
        })
    }
}

/// `ldaps://host[:port]` or `ldap://host[:port]` (no path: the bases say
/// where to look), with the port the scheme implies.
pub fn parse_url(url: &str, starttls: bool) -> std::result::Result<(String, u16, Security), Msg> {
    let url = url.trim();
    let bad = || {
        Msg::new(
            "網址格式應為 ldaps://主機:636 或 ldap://主機:389（搭配 StartTLS）",
            "The URL reads ldaps://host:636, or ldap://host:389 with StartTLS",
        )
    };
    let (rest, security, default_port) = if let Some(r) = url.strip_prefix("ldaps://") {
        (r, Security::Ldaps, 636)
    } else if let Some(r) = url.strip_prefix("ldap://") {
        if !starttls {
            return Err(Msg::new(
                "ldap:// 連線須啟用 StartTLS，密碼才不會以明文傳送；或改用 ldaps://",
                "An ldap:// link needs StartTLS so passwords never travel in clear; or use ldaps://",
            ));
        }
        (r, Security::StartTls, 389)
    } else {
        return Err(bad());
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('@') {
        return Err(bad());
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            let port: u16 = p.parse().map_err(|_| bad())?;
            (h, port)
        }
        _ => (rest, default_port),
    };
    if host.is_empty()
        || port == 0
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        return Err(bad());
    }
    Ok((host.to_owned(), port, security))
}

/// A distinguished name as typed: `attr=value` parts separated by commas.
/// Checked for shape only; the directory says whether it exists.
pub fn parse_dn(s: &str) -> std::result::Result<String, Msg> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= 512
        && split_dn(s).iter().all(|rdn| {
            rdn.split_once('=')
                .is_some_and(|(a, v)| !a.trim().is_empty() && !v.trim().is_empty())
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Msg::new(
            "DN 格式應為 屬性=值，以逗號分隔，例如 OU=People,DC=tainan,DC=gov,DC=tw",
            "A DN reads attribute=value parts separated by commas, e.g. OU=People,DC=tainan,DC=gov,DC=tw",
        ))
    }
}

/// A DN's parts, commas escaped by a backslash kept inside their part.
fn split_dn(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    out.push(&s[start..]);
    out
}

impl TargetInput {
    /// Checks every field; each error is named by its field.
    pub fn check(&self) -> Result<Target> {
        let mut c = Collector::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            c.push(
                "name",
                Msg::new(
                    "請輸入名稱（40 字以內）",
                    "Enter a name (up to 40 characters)",
                ),
            );
        }
        let kind = DirectoryKind::parse(self.kind.trim());
        if kind.is_none() {
            c.push(
                "kind",
                Msg::new("請選擇目錄類型", "Choose the kind of directory"),
            );
        }
        let url = c.take("url", parse_url(&self.url, on(&self.starttls)));
        let ca_pem = self.ca_pem.trim().to_owned();
        if !ca_pem.is_empty() && !ca_pem.contains("-----BEGIN CERTIFICATE-----") {
            c.push(
                "ca_pem",
                Msg::new(
                    "CA 憑證應為 PEM 格式（-----BEGIN CERTIFICATE----- 開頭）",
                    "The CA certificate must be PEM (starting -----BEGIN CERTIFICATE-----)",
                ),
            );
        }
        let bind_dn = c.take("bind_dn", parse_dn(&self.bind_dn));
        let people_base = c.take("people_base", parse_dn(&self.people_base));
        let mail_base = if self.mail_base.trim().is_empty() {
            people_base.clone()
        } else {
            c.take("mail_base", parse_dn(&self.mail_base))
        };
        let kind_or_ad = kind.unwrap_or(DirectoryKind::ActiveDirectory);
        let oid_attribute = match self.oid_attribute.trim() {
            "" => default_oid_attribute(kind_or_ad).to_owned(),
            a if a.len() <= 64
                && a.starts_with(|c: char| c.is_ascii_alphabetic())
                && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                a.to_owned()
            }
            _ => {
                c.push(
                    "oid_attribute",
                    Msg::new(
                        "屬性名稱只能包含英數字與連字號",
                        "An attribute name holds letters, digits and hyphens",
                    ),
                );
                String::new()
            }
        };
        c.finish()?;
        let (
            Some(kind),
            Some((host, port, security)),
            Some(bind_dn),
            Some(people_base),
            Some(mail_base),
        ) = (kind, url, bind_dn, people_base, mail_base)
        else {
            return Err(crate::Error::internal("checked target incomplete"));
        };
        Ok(Target {
            name: name.to_owned(),
            kind,
            url: self.url.trim().trim_end_matches('/').to_owned(),
            host,
            port,
            security,
            ca_pem,
            bind_dn,
            people_base,
            mail_base,
            unit_ous: on(&self.unit_ous),
            password_sync: on(&self.password_sync),
            oid_attribute,
            enabled: on(&self.enabled),
        })
    }
}

/// Where the unit's OID goes when the form leaves it empty.
pub fn default_oid_attribute(kind: DirectoryKind) -> &'static str {
    match kind {
        // AD's schema has no government OID; `departmentNumber` is in
        // every AD schema since 2003 and in inetOrgPerson.
        DirectoryKind::ActiveDirectory | DirectoryKind::Ldap => "departmentNumber",
    }
}

/// An attribute value escaped for a DN (RFC 4514 §2.4).
pub fn escape_dn_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' | ' ' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// A value escaped for a search filter (RFC 4515 §3).
pub fn escape_filter_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// AD's `unicodePwd`: the password in double quotes, as UTF-16LE.
pub fn ad_password(password: &str) -> Vec<u8> {
    format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// AD's `userAccountControl` for a person's account: a normal account,
/// and the disabled bit when it may not sign in.
pub fn ad_account_control(enabled: bool) -> &'static str {
    if enabled { "512" } else { "514" }
}

/// A Traditional Chinese name as a directory's surname and given name:
/// the first character is the surname (the common case; two-character
/// surnames such as 歐陽 read as one and a given name starting with the
/// second, which the display name keeps whole). A Latin name splits at
/// its last space.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    if let Some((given, family)) = name.rsplit_once(' ') {
        return (family.to_owned(), given.to_owned());
    }
    let mut chars = name.chars();
    let sn: String = chars.next().map(String::from).unwrap_or_default();
    let given: String = chars.collect();
    (sn, given)
}

/// What a directory said, read in words for the person on the sync page.
/// `code` is the LDAP result code (RFC 4511 §4.1.9), `text` the server's
/// diagnostic message (AD's carries its own hex code, e.g. `0000052D` for
/// a password the domain's policy refuses).
pub fn explain(code: u32, text: &str) -> Msg {
    if text.contains("0000052D") || (code == 19 && text.to_lowercase().contains("password")) {
        return Msg::new(
            "目錄的密碼原則不接受此密碼（長度、複雜度或歷史紀錄），請改設其他密碼",
            "The directory's password policy refused this password (length, complexity or history); set another one",
        );
    }
    if text.contains("00002071") || code == 68 {
        return Msg::new(
            "目錄中已有同名的項目",
            "The directory already holds an entry of that name",
        );
    }
    match code {
        32 => Msg::new(
            "找不到目錄中的位置（上層 OU 或項目不存在），請檢查基準 DN",
            "The place in the directory does not exist (a parent OU or the entry); check the base DN",
        ),
        49 => Msg::new(
            "目錄拒絕登入：繫結 DN 或密碼錯誤",
            "The directory refused the bind: wrong bind DN or password",
        ),
        50 => Msg::new(
            "繫結帳號沒有寫入此處的權限",
            "The bind account may not write here",
        ),
        53 => Msg::new(
            "目錄不願執行此操作（例如設定密碼須使用加密連線）",
            "The directory will not do this (setting a password needs a secure link, for one)",
        ),
        19 | 21 | 65 => Msg::new(
            "目錄的結構描述不接受這些屬性值",
            "The directory's schema does not accept these values",
        ),
        51 | 52 | 80 => Msg::new(
            "目錄暫時無法處理，稍後會自動重試",
            "The directory is busy or unavailable; it will be retried",
        ),
        _ => Msg::owned(
            format!("目錄回覆錯誤（代碼 {code}）"),
            format!("The directory answered with error {code}"),
        ),
    }
}

/// Whether trying the same change again can help: the directory was busy,
/// unreachable or in the middle of something. A refusal (the schema, the
/// policy, a right) stays refused until someone changes something.
pub fn worth_retrying(code: u32) -> bool {
    matches!(code, 51 | 52 | 80 | 81 | 85 | 91)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TargetInput {
        TargetInput {
            name: "市府 AD".into(),
            kind: "ad".into(),
            url: "ldaps://dc1.tainan.gov.tw".into(),
            bind_dn: "CN=portico,OU=Service,DC=tainan,DC=gov,DC=tw".into(),
            bind_password: "x".into(),
            people_base: "OU=Portico,DC=tainan,DC=gov,DC=tw".into(),
            unit_ous: "on".into(),
            password_sync: "on".into(),
            enabled: "on".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_target_is_checked_field_by_field() {
        let t = input().check().unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.security),
            ("dc1.tainan.gov.tw", 636, Security::Ldaps)
        );
        assert_eq!(
            t.mail_base, t.people_base,
            "mail accounts default to the people base"
        );
        assert_eq!(t.oid_attribute, "departmentNumber");
        let bad = TargetInput {
            name: String::new(),
            kind: "x".into(),
            url: "ldap://dc1".into(),
            bind_dn: "portico".into(),
            people_base: "".into(),
            oid_attribute: "no spaces".into(),
            ..input()
        };
        let Err(crate::Error::Invalid(errs)) = bad.check() else {
            panic!("refused");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "kind",
                "url",
                "bind_dn",
                "people_base",
                "oid_attribute"
            ]
        );
    }

    #[test]
    fn a_bind_password_never_travels_in_clear() {
        assert!(parse_url("ldap://127.0.0.1:3890", false).is_err());
        assert_eq!(
            parse_url("ldap://127.0.0.1:3890", true).unwrap(),
            ("127.0.0.1".into(), 3890, Security::StartTls)
        );
        for bad in [
            "http://dc1",
            "ldaps://",
            "ldaps://dc1/ou=x",
            "ldaps://user@dc1",
            "ldaps://dc1:0",
            "ldaps://dc 1",
        ] {
            assert!(parse_url(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn dn_and_filter_values_are_escaped() {
        assert_eq!(escape_dn_value("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_dn_value(" #x "), "\\ #x\\ ");
        assert_eq!(escape_dn_value("民政局"), "民政局");
        assert_eq!(escape_filter_value("a*(b)\\"), "a\\2a\\28b\\29\\5c");
        assert_eq!(split_dn("CN=a\\,b,DC=x").len(), 2);
        assert!(parse_dn("CN=a\\,b,DC=x").is_ok());
        assert!(parse_dn("CN=,DC=x").is_err());
    }

    #[test]
    fn ad_passwords_are_quoted_utf16_little_endian() {
        assert_eq!(
            ad_password("Ab1"),
            vec![b'"', 0, b'A', 0, b'b', 0, b'1', 0, b'"', 0]
        );
        assert_eq!(ad_account_control(true), "512");
        assert_eq!(ad_account_control(false), "514");
    }

    #[test]
    fn names_split_into_surname_and_given_name() {
        assert_eq!(split_name("王小明"), ("王".into(), "小明".into()));
        assert_eq!(split_name("Mary Lin"), ("Lin".into(), "Mary".into()));
    }

    #[test]
    fn a_directory_refusal_reads_in_words_and_says_whether_to_retry() {
        let m = explain(
            19,
            "0000052D: Constraint violation - check_password_restrictions",
        );
        assert!(m.zh.contains("密碼原則"), "{}", m.zh);
        assert!(explain(49, "").zh.contains("繫結"));
        assert!(worth_retrying(52) && worth_retrying(81));
        assert!(!worth_retrying(19) && !worth_retrying(49));
    }
}
