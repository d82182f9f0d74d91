//! 檔案下載區 as pages (issue 17; seed 004 §伍 三): the three tabs with
//! their search, an entry's detail, and its form.
use super::*;
use portico_app::downloads::{DownloadQuery, EntryView};
use portico_core::download::{CATEGORIES, DownloadInput};
use portico_store::Page;
use portico_store::downloads::{DownloadRow, EntryFile};

#[derive(Template)]
#[template(path = "downloads/index.html")]
pub struct DownloadsPage {
    pub c: Chrome,
    pub tab: &'static str,
    pub page: Page<DownloadRow>,
    pub q: DownloadQuery,
    pub agencies: Vec<(i64, String)>,
    /// The advanced search is open (one of its fields is set).
    pub advanced: bool,
    pub query_string: String,
    pub error: String,
    pub errs: Errors,
}

impl DownloadsPage {
    pub fn categories(&self) -> Vec<(&'static str, String)> {
        category_choices(self.c.lang)
    }
    pub fn category_of(&self, key: &str) -> String {
        portico_core::download::category_label(key)
            .get(self.c.lang)
            .to_owned()
    }
    pub fn scope_of(&self, d: &DownloadRow) -> String {
        d.scope.label().get(self.c.lang).to_owned()
    }
    pub fn chosen_agency(&self, id: &i64) -> bool {
        self.q.agency == id.to_string()
    }
}

pub fn category_choices(lang: Lang) -> Vec<(&'static str, String)> {
    CATEGORIES
        .iter()
        .map(|(k, zh, en)| {
            (
                *k,
                if lang == Lang::En {
                    (*en).to_owned()
                } else {
                    (*zh).to_owned()
                },
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "downloads/entry.html")]
pub struct DownloadEntryPage {
    pub c: Chrome,
    pub v: EntryView,
}

impl DownloadEntryPage {
    pub fn category(&self) -> String {
        portico_core::download::category_label(&self.v.entry.category)
            .get(self.c.lang)
            .to_owned()
    }
    pub fn scope(&self) -> String {
        self.v.entry.scope.label().get(self.c.lang).to_owned()
    }
}

#[derive(Template)]
#[template(path = "downloads/form.html")]
pub struct DownloadFormPage {
    pub c: Chrome,
    /// The entry edited; `None` for 新增檔案.
    pub id: Option<i64>,
    pub form: DownloadInput,
    pub files: Vec<EntryFile>,
    pub agency: String,
    pub max_files: usize,
    pub max_mb: usize,
    pub kinds: &'static str,
    pub error: String,
    pub errs: Errors,
}

impl DownloadFormPage {
    pub fn categories(&self) -> Vec<(&'static str, String)> {
        category_choices(self.c.lang)
    }
}
