//! Requests: a person's own, and the review queue.
use super::*;

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
    /// The mail account a mail-account application asks for.
    pub mailbox: Option<portico_store::mailboxes::Mailbox>,
    pub national_id_masked: String,
    pub note: String,
    pub note_error: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "requests/mine.html")]
pub struct MyRequestsPage {
    pub c: Chrome,
    pub open: Vec<portico_store::requests::Request>,
    pub is_agency_admin: bool,
    pub current: String,
    pub f: portico_app::requests::MoveForm,
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub errs: Errors,
    pub error: String,
}

/// 機關管理者申請 (004 L4804–4836): who asks, as the profile has it, and
/// the reason.
#[derive(Template)]
#[template(path = "requests/admin_rights.html")]
pub struct AdminRightsPage {
    pub c: Chrome,
    pub account: portico_store::accounts::Account,
    /// The request already waiting, if any.
    pub open: Option<portico_store::requests::Request>,
    pub is_agency_admin: bool,
    pub reason: String,
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

/// 帳號註銷申請 (002 §五): the reason, the printed form and its signed scan.
#[derive(Template)]
#[template(path = "requests/cancel.html")]
pub struct CancelRequestPage {
    pub c: Chrome,
    pub account: portico_store::accounts::Account,
    pub open: Option<portico_store::requests::Request>,
    pub reason: String,
    pub errs: Errors,
    pub error: String,
}
