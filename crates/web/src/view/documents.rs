//! Official documents' attachments as pages (issue 17; seed 004 §肆 三
//! 我的公文附件管理, §伍 四 公文附件下載區): the person's topics, a topic's
//! form with its files, the portal's download area, and the signed-out
//! page for agencies outside the city.
use super::*;
use portico_app::documents::{TopicQuery, TopicView};
use portico_core::document::{LookupInput, TopicInput};
use portico_store::Page;
use portico_store::documents::{TopicFile, TopicRow};

#[derive(Template)]
#[template(path = "documents/mine.html")]
pub struct MyTopicsPage {
    pub c: Chrome,
    pub page: Page<TopicRow>,
    pub q: TopicQuery,
    pub query_string: String,
    pub today: time::Date,
    pub error: String,
    pub errs: Errors,
}

impl MyTopicsPage {
    pub fn served(&self, t: &TopicRow) -> bool {
        t.takedown >= self.today
    }
}

#[derive(Template)]
#[template(path = "documents/form.html")]
pub struct TopicFormPage {
    pub c: Chrome,
    /// The topic edited; `None` for 新增公文主題.
    pub id: Option<i64>,
    pub form: TopicInput,
    pub files: Vec<TopicFile>,
    pub agency: String,
    pub max_files: usize,
    pub max_mb: usize,
    pub kinds: &'static str,
    pub error: String,
    pub errs: Errors,
}

/// The download area's search as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AreaSearch {
    pub agency: String,
    pub number: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "documents/area.html")]
pub struct DocumentAreaPage {
    pub c: Chrome,
    pub agencies: Vec<(i64, String)>,
    pub search: AreaSearch,
    /// `None` before a search.
    pub found: Option<Vec<TopicView>>,
    pub error: String,
    pub errs: Errors,
}

impl DocumentAreaPage {
    pub fn chosen(&self, id: &i64) -> bool {
        self.search.agency == id.to_string()
    }
}

#[derive(Template)]
#[template(path = "documents/public.html")]
pub struct PublicDownloadPage {
    pub c: Chrome,
    pub form: LookupInput,
    pub found: Option<TopicView>,
    pub error: String,
    pub errs: Errors,
}
