//! Relying-party applications (應用系統) and the provider's own pages
//! (continue, logout).
use super::*;

/// Moves on to another page by itself (after a form post whose next stop
/// is another site).
#[derive(Template)]
#[template(path = "oidc/continue.html")]
pub struct ContinuePage {
    pub c: Chrome,
    pub url: String,
}

/// An application asked to sign the person out, without proof that it
/// speaks for them: the person confirms.
#[derive(Template)]
#[template(path = "oidc/logout.html")]
pub(crate) struct LogoutPage {
    pub c: Chrome,
    pub app_name: String,
    pub q: crate::forms::LogoutQuery,
}

#[derive(Template)]
#[template(path = "clients/list.html")]
pub(crate) struct AppsPage {
    pub c: Chrome,
    /// The system admin's list of every application.
    pub admin: bool,
    pub q: crate::forms::ListQuery,
    pub query_string: String,
    pub page: portico_store::Page<portico_store::clients::Listed>,
}

#[derive(Template)]
#[template(path = "clients/form.html")]
pub(crate) struct AppFormPage {
    pub c: Chrome,
    /// `None` for a new application.
    pub id: Option<i64>,
    pub agencies: Vec<(String, Vec<(i64, String)>)>,
    pub f: crate::forms::AppForm,
    pub errs: Errors,
}

/// One service on an application's page.
pub(crate) struct ServiceRow {
    pub kind: portico_core::clients::ServiceKind,
    pub approved: Option<portico_store::clients::Service>,
    pub pending: Option<portico_store::clients::Service>,
    /// The tile's agencies, named.
    pub agencies: String,
}

#[derive(Template)]
#[template(path = "clients/client.html")]
pub(crate) struct AppPage {
    pub c: Chrome,
    pub admin: bool,
    pub v: portico_app::clients::AppView,
    pub rows: Vec<ServiceRow>,
    pub may_have_secret: bool,
    /// The signed-in person registered it (only they generate secrets).
    pub owner: bool,
    pub issuer: String,
    pub error: String,
    /// A secret just generated: shown this once.
    pub secret: Option<String>,
}

#[derive(Template)]
#[template(path = "clients/apply.html")]
pub(crate) struct ApplyPage {
    pub c: Chrome,
    pub id: i64,
    pub app_name: String,
    pub kind: portico_core::clients::ServiceKind,
    pub agencies: Vec<(String, Vec<(i64, String)>)>,
    pub f: portico_app::clients::ServiceInput,
    pub errs: Errors,
    pub error: String,
}

#[derive(Template)]
#[template(path = "clients/service.html")]
pub(crate) struct ServiceRecordPage {
    pub c: Chrome,
    pub admin: bool,
    pub app: portico_store::clients::Client,
    pub svc: portico_store::clients::Service,
    pub agencies: String,
    pub errs: Errors,
    pub error: String,
}
