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
    pub method: String,
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

/// What an action code means to a person.
pub fn action_label(action: &str) -> Msg {
    portico_core::audit::labels::action_label(action)
}

pub fn target_kind_label(kind: &str) -> Msg {
    portico_core::audit::labels::target_kind_label(kind)
}

pub fn actor_label(login: &str) -> Msg {
    portico_core::audit::labels::actor_label(login)
}

pub fn outcome_label(o: &str) -> Msg {
    portico_core::audit::Outcome::parse(o)
        .map(|o| o.label())
        .unwrap_or_else(|| Msg::owned(o.to_owned(), o.to_owned()))
}

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

pub fn is_reason_code(r: &str) -> bool {
    portico_core::audit::labels::is_reason_code(r)
}

pub fn reason_label(r: &str) -> Msg {
    portico_core::audit::labels::reason_label(r)
}

/// An event's detail as labelled fields (label, value).
pub fn detail_lines(detail: &str) -> Vec<(Msg, Msg)> {
    portico_core::audit::labels::detail_lines(detail)
}

/// One group of the action filter: its label, the code prefix that
/// selects all of it (empty for the rest), and its actions.
pub struct ActionGroup {
    pub label: Msg,
    pub prefix: &'static str,
    pub actions: Vec<(&'static str, Msg)>,
}

/// The action filter's choices: groups, each with its actions, and the
/// actions in no group.
pub fn action_choices() -> Vec<ActionGroup> {
    use portico_core::audit::labels::{ACTION_GROUPS, ACTIONS};
    let of = |keep: &dyn Fn(&str) -> bool| -> Vec<(&'static str, Msg)> {
        ACTIONS
            .iter()
            .filter(|(c, _, _)| keep(c))
            .map(|(c, zh, en)| (*c, Msg::new(zh, en)))
            .collect()
    };
    let mut out: Vec<ActionGroup> = ACTION_GROUPS
        .iter()
        .map(|(prefix, zh, en)| ActionGroup {
            label: Msg::new(zh, en),
            prefix,
            actions: of(&|c| c.starts_with(prefix)),
        })
        .collect();
    out.push(ActionGroup {
        label: Msg::new("其他", "Other"),
        prefix: "",
        actions: of(&|c| !ACTION_GROUPS.iter().any(|(p, _, _)| c.starts_with(p))),
    });
    out
}

/// 登入裝置與應用系統.
#[derive(Template)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub c: Chrome,
    pub sessions: Vec<portico_app::sessions::MySession>,
    pub apps: Vec<portico_store::oauth::SignedInto>,
    pub error: String,
}

/// A user agent as a person names it: "Chrome（Windows）".
pub fn browser(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, n)| *n);
    let os = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, n)| *n);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b}（{o}）"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) if ua.is_empty() => "—".to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod browser_tests {
    #[test]
    fn user_agents_read_as_browser_and_system() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(super::browser(chrome), "Chrome（Windows）");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0";
        assert_eq!(super::browser(edge), "Edge（Windows）");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(super::browser(iphone), "Safari（iOS）");
        assert_eq!(super::browser(""), "—");
    }
}
