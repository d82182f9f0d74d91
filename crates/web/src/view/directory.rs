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
    /// The latest changes (of `state`, or all), and how many are in each
    /// state.
    pub ops: Vec<portico_app::directory::targets::OpView>,
    /// A reconcile just run, and whether it repaired.
    pub drift: Option<(portico_app::directory::reconcile::Drift, bool)>,
    pub counts: Vec<(String, i64)>,
    pub state: String,
    /// The login whose history is shown, if one.
    pub who: String,
    pub errs: Errors,
    pub error: String,
}

impl DirectoryTargetPage {
    /// The account whose history is shown, for a link's query.
    pub fn who_q(&self) -> String {
        crate::extract::urlencode(&self.who)
    }
    pub fn checked(&self, v: &str) -> bool {
        matches!(v, "on" | "true" | "1")
    }
    /// How many changes are in `state`.
    pub fn count(&self, state: &str) -> i64 {
        self.counts
            .iter()
            .find(|(s, _)| s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

impl DirectoryPage {
    pub fn checked(&self, v: &str) -> bool {
        matches!(v, "on" | "true" | "1")
    }
}
