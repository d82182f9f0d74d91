//! The portal's own content as pages (issue 17): 常見問題, 應用程式列表, and
//! the console's 首頁橫幅, 訊息管理, 常見問題管理 and 首頁應用程式管理, each
//! a list with its form below (empty to add, filled to edit).
use super::*;
use portico_core::content::{BannerInput, FaqInput, LinkInput, NoticeInput};
use portico_store::content::{BannerRow, FaqRow, LinkRow, NoticeRow};

#[derive(Template)]
#[template(path = "content/faq.html")]
pub struct FaqPage {
    pub c: Chrome,
    pub q: String,
    /// (category, its questions), in order.
    pub groups: Vec<(String, Vec<FaqRow>)>,
}

#[derive(Template)]
#[template(path = "content/links.html")]
pub struct LinksPage {
    pub c: Chrome,
    pub links: Vec<LinkRow>,
}

/// What every console form of content shares: the row edited (if any),
/// the banner, the field errors, the agencies to choose from.
pub struct ContentForm {
    pub editing: Option<i64>,
    pub error: String,
    pub errs: Errors,
    pub all: Vec<(i64, String)>,
}

impl ContentForm {
    pub fn action(&self, base: &str) -> String {
        match self.editing {
            Some(id) => format!("{base}/{id}"),
            None => base.to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "content/banners.html")]
pub struct BannersAdminPage {
    pub c: Chrome,
    pub rows: Vec<BannerRow>,
    pub form: BannerInput,
    pub f: ContentForm,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "content/notices.html")]
pub struct NoticesAdminPage {
    pub c: Chrome,
    pub rows: Vec<NoticeRow>,
    pub form: NoticeInput,
    pub f: ContentForm,
}

impl NoticesAdminPage {
    pub fn listed(&self, id: &i64) -> bool {
        self.form.agencies.contains(id)
    }
}

#[derive(Template)]
#[template(path = "content/faq_admin.html")]
pub struct FaqAdminPage {
    pub c: Chrome,
    pub rows: Vec<FaqRow>,
    pub categories: Vec<String>,
    pub form: FaqInput,
    pub f: ContentForm,
}

#[derive(Template)]
#[template(path = "content/links_admin.html")]
pub struct LinksAdminPage {
    pub c: Chrome,
    pub rows: Vec<LinkRow>,
    pub form: LinkInput,
    pub f: ContentForm,
}

impl LinksAdminPage {
    pub fn listed(&self, id: &i64) -> bool {
        self.form.agencies.contains(id)
    }
}

/// A period's ends as a list shows them.
pub fn period_text(
    c: &Chrome,
    a: &Option<time::OffsetDateTime>,
    z: &Option<time::OffsetDateTime>,
) -> String {
    match (a, z) {
        (None, None) => c.tr("不限", "Always").to_owned(),
        _ => format!("{} ～ {}", c.time_opt(a), c.time_opt(z)),
    }
}
