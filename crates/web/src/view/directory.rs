//! AD 同步管理作業: the directory targets and one target's page.
use super::*;

#[derive(Template)]
#[template(path = "directory/index.html")]
pub struct DirectoryPage {
    pub c: Chrome,
    pub targets: Vec<portico_store::directory::TargetRow>,
    pub form: portico_core::directory::TargetInput,
    pub errs: Errors,
    pub error: String,
}

/// One step of a connection test as the page shows it: `passed`,
/// `failed`, `skipped` (after a failure) or empty (not run).
pub struct StepView {
    pub label: Msg,
    pub state: &'static str,
    /// Why it failed, and what the directory or library said.
    pub message: Option<(Msg, String)>,
}

#[derive(Template)]
#[template(path = "directory/target.html")]
pub struct DirectoryTargetPage {
    pub c: Chrome,
    pub row: portico_store::directory::TargetRow,
    pub form: portico_core::directory::TargetInput,
    pub steps: Vec<StepView>,
    /// A connection test was just run (the steps say how it went).
    pub probed: bool,
    pub errs: Errors,
    pub error: String,
}

impl DirectoryTargetPage {
    pub fn checked(&self, v: &str) -> bool {
        matches!(v, "on" | "true" | "1")
    }
}

impl DirectoryPage {
    pub fn checked(&self, v: &str) -> bool {
        matches!(v, "on" | "true" | "1")
    }
}
