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

/// A person as a directory should hold them now: read from the account
/// when a change is applied, so every change converges on the latest state
/// however many were queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    pub name: String,
    pub title: String,
    pub office_phone: String,
    pub office_ext: String,
    pub official_email: String,
    /// The unit's name and its ancestors', from the top of the tree down
    /// (府內單位, 民政局, 行政科).
    pub unit_names: Vec<String>,
    pub agency_name: String,
    pub unit_oid: String,
    /// May sign in (the account is active).
    pub enabled: bool,
    /// An agency or system mail account: its entry is under the mail
    /// base, not in a unit's OU.
    pub mailbox: bool,
}

/// OpenLDAP's password policy overlay locks an entry with this value
/// (`pwdAccountLockedTime`, "locked until an administrator unlocks").
pub const LDAP_LOCKED: &str = "000001010000Z";

impl Target {
    /// The attribute that names a person: AD's `sAMAccountName`, LDAP's `uid`.
    pub fn login_attribute(&self) -> &'static str {
        match self.kind {
            DirectoryKind::ActiveDirectory => "sAMAccountName",
            DirectoryKind::Ldap => "uid",
        }
    }

    /// The DNs of a unit's OU and of every OU above it, top first, when
    /// units are OUs; none otherwise.
    pub fn unit_dns(&self, unit_names: &[String]) -> Vec<String> {
        if !self.unit_ous {
            return Vec::new();
        }
        let ou = match self.kind {
            DirectoryKind::ActiveDirectory => "OU",
            DirectoryKind::Ldap => "ou",
        };
        let mut dn = self.people_base.clone();
        unit_names
            .iter()
            .map(|n| {
                dn = format!("{ou}={},{dn}", escape_dn_value(n));
                dn.clone()
            })
            .collect()
    }

    /// Where a person's entry is.
    pub fn person_dn(&self, p: &Person) -> String {
        let parent = if p.mailbox {
            self.mail_base.clone()
        } else {
            self.unit_dns(&p.unit_names)
                .pop()
                .unwrap_or_else(|| self.people_base.clone())
        };
        let rdn = match self.kind {
            DirectoryKind::ActiveDirectory => "CN",
            DirectoryKind::Ldap => "uid",
        };
        format!("{rdn}={},{parent}", escape_dn_value(&p.login))
    }

    /// Where a person's entry is looked for. AD's `sAMAccountName` is
    /// unique in the whole domain, so an entry is found wherever it is and
    /// moved under the people base; on LDAP, the people base.
    pub fn search_base(&self) -> String {
        match self.kind {
            DirectoryKind::ActiveDirectory => {
                let dcs: Vec<&str> = split_dn(&self.people_base)
                    .into_iter()
                    .filter(|rdn| {
                        rdn.split_once('=')
                            .is_some_and(|(a, _)| a.trim().eq_ignore_ascii_case("dc"))
                    })
                    .collect();
                if dcs.is_empty() {
                    self.people_base.clone()
                } else {
                    dcs.join(",")
                }
            }
            DirectoryKind::Ldap => self.people_base.clone(),
        }
    }

    /// Where one entry is looked for: [`Target::search_base`], or on LDAP
    /// the mail base for a mail account.
    pub fn search_base_of(&self, p: &Person) -> String {
        match (self.kind, p.mailbox) {
            (DirectoryKind::Ldap, true) => self.mail_base.clone(),
            _ => self.search_base(),
        }
    }

    /// Whether the mail base lies outside the people base, so that a
    /// comparison of the whole directory reads both.
    pub fn mail_base_apart(&self) -> bool {
        let people = self.people_base.to_lowercase();
        let mail = self.mail_base.to_lowercase();
        mail != people && !mail.ends_with(&format!(",{people}"))
    }

    /// The object classes of a new person entry.
    pub fn person_classes(&self) -> &'static [&'static str] {
        match self.kind {
            DirectoryKind::ActiveDirectory => &["top", "person", "organizationalPerson", "user"],
            DirectoryKind::Ldap => &["top", "person", "organizationalPerson", "inetOrgPerson"],
        }
    }

    /// The domain AD's `userPrincipalName` ends in: the people base's DC
    /// parts (DC=tainan,DC=gov,DC=tw → tainan.gov.tw).
    pub fn upn_domain(&self) -> String {
        split_dn(&self.people_base)
            .iter()
            .filter_map(|rdn| rdn.split_once('='))
            .filter(|(a, _)| a.trim().eq_ignore_ascii_case("dc"))
            .map(|(_, v)| v.trim().to_lowercase())
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The attributes Portico keeps on a person's entry, each with its
    /// values (none: the attribute is removed). The naming attribute, the
    /// object classes and the password are not among them.
    pub fn person_attributes(&self, p: &Person) -> Vec<(String, Vec<String>)> {
        let (sn, given) = split_name(&p.name);
        // Within the telephone number syntax (a PrintableString: no `#`).
        let phone = match (p.office_phone.is_empty(), p.office_ext.is_empty()) {
            (true, _) => String::new(),
            (false, true) => p.office_phone.clone(),
            (false, false) => format!("{} ext. {}", p.office_phone, p.office_ext),
        };
        let one = |v: &str| {
            if v.is_empty() {
                vec![]
            } else {
                vec![v.to_owned()]
            }
        };
        let unit = p.unit_names.last().cloned().unwrap_or_default();
        let mut a: Vec<(String, Vec<String>)> = vec![
            ("displayName".into(), one(&p.name)),
            ("givenName".into(), one(&given)),
            // `sn` is required of an LDAP person: the whole name when the
            // split leaves nothing.
            ("sn".into(), one(if sn.is_empty() { &p.name } else { &sn })),
            ("title".into(), one(&p.title)),
            ("telephoneNumber".into(), one(&phone)),
            ("mail".into(), one(&p.official_email)),
            (self.oid_attribute.clone(), one(&p.unit_oid)),
        ];
        match self.kind {
            DirectoryKind::ActiveDirectory => {
                a.push(("department".into(), one(&unit)));
                a.push(("company".into(), one(&p.agency_name)));
                a.push((
                    "userPrincipalName".into(),
                    vec![format!("{}@{}", p.login, self.upn_domain())],
                ));
            }
            DirectoryKind::Ldap => {
                a.push(("cn".into(), one(&p.name)));
                a.push(("ou".into(), one(&unit)));
                a.push(("o".into(), one(&p.agency_name)));
            }
        }
        a
    }

    /// The attribute and values that say whether the person may sign in:
    /// AD's `userAccountControl`; on LDAP the password policy's lock.
    pub fn enabled_attribute(&self, enabled: bool) -> (String, Vec<String>) {
        match self.kind {
            DirectoryKind::ActiveDirectory => (
                "userAccountControl".into(),
                vec![ad_account_control(enabled).to_owned()],
            ),
            DirectoryKind::Ldap => (
                "pwdAccountLockedTime".into(),
                if enabled {
                    vec![]
                } else {
                    vec![LDAP_LOCKED.to_owned()]
                },
            ),
        }
    }
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
mod tests;
