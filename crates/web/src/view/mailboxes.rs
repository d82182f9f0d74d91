//! Agency and system mail accounts: the application, the lists and one
//! account's edit page.
use super::*;

#[derive(Template)]
#[template(path = "mailboxes/apply.html")]
pub struct MailboxApplyPage {
    pub c: Chrome,
    pub agency: String,
    pub applicant: String,
    pub domain: String,
    pub f: portico_app::mailboxes::Application,
    /// The address 檢查 found free.
    pub checked: Option<String>,
    pub errs: Errors,
    pub error: String,
}

impl MailboxApplyPage {
    pub fn kinds(&self) -> [portico_core::mailbox::MailboxKind; 2] {
        portico_core::mailbox::MailboxKind::ALL
    }
}

#[derive(Template)]
#[template(path = "mailboxes/list.html")]
pub struct MailboxesPage {
    pub c: Chrome,
    pub me: portico_core::ids::AccountId,
    /// The console's list (agency and system admins), or the person's own.
    pub admin: bool,
    pub page: portico_store::Page<portico_store::mailboxes::Mailbox>,
    pub tab: &'static str,
    pub q: String,
    pub state: String,
    pub query_string: String,
}

impl MailboxesPage {
    /// Where a tab leads, keeping the search.
    pub fn tab_href(&self, tab: &str) -> String {
        use crate::extract::urlencode as e;
        format!("?tab={tab}&q={}&state={}", e(&self.q), e(&self.state))
    }
}

#[derive(Template)]
#[template(path = "mailboxes/mailbox.html")]
pub struct MailboxPage {
    pub c: Chrome,
    pub m: portico_app::mailboxes::Managed,
    /// 帳號資料 (`data`) or 帳號狀態 (`state`).
    pub tab: &'static str,
    /// 保管人異動: the name searched, and who matched.
    pub who: String,
    pub candidates: Vec<portico_app::mailboxes::Candidate>,
    pub from: String,
    pub to: String,
    pub log: portico_app::mailboxes::MailboxLog,
    pub query_string: String,
    /// The form the errors belong to: `custodian`, `password`, `forgot`,
    /// `reset` or `state`.
    pub section: &'static str,
    pub code_sent: bool,
    pub errs: Errors,
    pub error: String,
}

impl MailboxPage {
    pub fn open(&self, section: &str) -> bool {
        self.section == section || (section == "reset" && self.code_sent)
    }
}
