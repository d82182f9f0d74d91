//! The signed-out pages: account services, enrolment, the code and
//! mobile-ID steps, setting a password, reinstatement, finding one's
//! administrators.
use super::*;

#[derive(Template)]
#[template(path = "enrolment/services.html")]
pub struct ServicesPage {
    pub c: Chrome,
}

#[derive(Template)]
#[template(path = "enrolment/verify_email.html")]
pub struct VerifyEmailPage {
    pub c: Chrome,
    pub title: Msg,
    pub intro: Msg,
    /// `/apply` or `/apply/modify`: the steps post to `{action}/email` and
    /// `{action}/code`.
    pub action: &'static str,
    /// `email` (enter the address) or `code` (enter the code).
    pub stage: &'static str,
    pub email: String,
    pub error: String,
    pub errs: Errors,
    /// Mobile ID can verify instead of a mailed code (modify only).
    pub mobile_enabled: bool,
}

#[derive(Template)]
#[template(path = "enrolment/verify_account.html")]
pub struct VerifyAccountPage {
    pub c: Chrome,
    pub title: Msg,
    pub intro: Msg,
    pub action: &'static str,
    /// `login` (name yourself), `code` (type the code) or `mobile` (wait
    /// for the phone).
    pub stage: &'static str,
    /// The chosen check: `card`, `mobile_id`, `email` or `sms`.
    pub method: String,
    /// The checks the flow offers here, to choose between.
    pub tabs: Vec<LoginTab>,
    /// What the person typed to name themselves: the backup e-mail, the
    /// mobile or the national ID.
    pub who: String,
    /// `who` as the page shows it back (a national ID masked).
    pub shown: String,
    /// A fresh captcha for a step that sends a code.
    pub captcha_id: String,
    pub error: String,
    pub errs: Errors,
    /// The mobile-ID transaction the page waits for (stage "mobile"), and
    /// the two digits the phone shows with it.
    pub handle: String,
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "enrolment/set_password.html")]
pub struct SetPasswordPage {
    pub c: Chrome,
    pub title: Msg,
    pub action: &'static str,
    pub login: String,
    pub policy: portico_core::password::PasswordPolicy,
    pub error: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "enrolment/apply.html")]
pub struct EnrolmentPage {
    pub c: Chrome,
    pub title: Msg,
    pub action: &'static str,
    /// Modifying: the national ID and login are shown, not editable.
    pub fixed: bool,
    pub national_id_masked: String,
    pub backup_email: String,
    pub notice: String,
    pub f: portico_app::enrolment::EnrolmentForm,
    /// (group label, [(unit id, unit label)]): the deepest units only.
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub login_ok: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "enrolment/reinstate.html")]
pub struct ReinstatePage {
    pub c: Chrome,
    pub login: String,
    pub name: String,
    pub current: String,
    pub f: portico_app::requests::MoveForm,
    pub units: Vec<(String, Vec<(i64, String)>)>,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "enrolment/find_admins.html")]
pub struct AdminContactsPage {
    pub c: Chrome,
    pub agency: String,
    pub admins: Vec<portico_app::requests::AdminContact>,
}

/// 忘記帳號: the backup e-mail and a captcha.
#[derive(Template)]
#[template(path = "enrolment/remind_login.html")]
pub struct RemindLoginPage {
    pub c: Chrome,
    pub email: String,
    pub captcha_id: String,
    pub error: String,
    pub errs: Errors,
}
