//! The sign-in page's view.
use super::*;

#[derive(Template)]
#[template(path = "signin/login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub captcha_id: String,
    pub login: String,
    pub next: String,
    /// `next`, URL-encoded for links.
    pub next_q: String,
    pub error: String,
    /// The lockout parameters, stated on the page as they are set.
    pub lockout: portico_core::account::LockoutPolicy,
    /// The application the sign-in is for, if any.
    pub app_name: String,
    /// What the page says besides an error (a mail was sent).
    pub notice: String,
    /// The method whose form is shown (`SignInMethod::as_str`); empty when
    /// none is offered here.
    pub method: &'static str,
    pub method_label: String,
    /// The methods offered where the request comes from.
    pub tabs: Vec<LoginTab>,
    /// The request comes from the government network.
    pub internal: bool,
    /// The application asked for a strong method.
    pub strong: bool,
    /// Step two of the temporary password: the ticket the form carries.
    pub ticket: String,
    /// A mobile-ID sign-in waiting for the phone: its handle, and the QR
    /// code (an SVG document) in QR mode.
    pub mobile_handle: String,
    pub mobile_qr: String,
    /// The two digits the phone shows with the request.
    pub mobile_confirm: String,
    /// Where passkeys work (the relying party's host name).
    pub rp_id: String,
    /// 訊息管理's notices for everyone, shown now.
    pub notices: Vec<portico_store::content::NoticeRow>,
}

pub struct LoginTab {
    pub href: String,
    pub label: String,
    pub current: bool,
}
