//! Announcement pages (issue 17; seed 004 §肆 二 我的公告管理, §伍 一
//! 公告專區): the readers' list with its search, a post with its files and
//! comments, the author's list with its tabs, and the post's form.
use super::*;
use portico_app::announcements::{PostQuery, PostView};
use portico_core::announcement::{PostInput, Reach, Status, short_name};
use portico_store::Page;
use portico_store::announcements::{PostFile, PostRow};

/// What every announcement page may say of a post.
pub fn reaches() -> [Reach; 3] {
    Reach::ALL
}

/// 機關名稱簡稱, as a post's heading shows it.
pub fn agency_short(p: &PostRow) -> String {
    short_name(&p.agency_name)
}

/// A file's size for people: `1.2 MB`, `340 KB`.
pub fn size_text<N: std::borrow::Borrow<i64>>(n: N) -> String {
    let n = *n.borrow();
    if n >= 1_048_576 {
        format!("{:.1} MB", n as f64 / 1_048_576.0)
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

pub fn status_class(s: &Status) -> &'static str {
    match s {
        Status::Published => "state-done",
        Status::Scheduled => "state-pending",
        Status::Unpublished => "state-closed",
    }
}

#[derive(Template)]
#[template(path = "announcements/index.html")]
pub struct AnnouncementsPage {
    pub c: Chrome,
    pub page: Page<PostRow>,
    pub q: PostQuery,
    pub query_string: String,
    pub error: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "announcements/mine.html")]
pub struct MyAnnouncementsPage {
    pub c: Chrome,
    pub page: Page<PostRow>,
    pub q: PostQuery,
    pub query_string: String,
    pub now: time::OffsetDateTime,
    pub error: String,
    pub errs: Errors,
}

impl MyAnnouncementsPage {
    pub fn tabs(&self) -> [(&'static str, Msg); 4] {
        [
            ("", Msg::new("全部", "All")),
            ("published", Status::Published.label()),
            ("scheduled", Status::Scheduled.label()),
            ("unpublished", Status::Unpublished.label()),
        ]
    }
    pub fn status(&self, p: &PostRow) -> Status {
        p.status(self.now)
    }
    /// The tab's link, keeping the search.
    pub fn tab_href(&self, tab: &str) -> String {
        format!(
            "/announcements/mine?status={tab}&q={}&reach={}&from={}&to={}",
            crate::extract::urlencode(&self.q.q),
            crate::extract::urlencode(&self.q.reach),
            crate::extract::urlencode(&self.q.from),
            crate::extract::urlencode(&self.q.to)
        )
    }
}

#[derive(Template)]
#[template(path = "announcements/post.html")]
pub struct AnnouncementPage {
    pub c: Chrome,
    pub v: PostView,
    pub error: String,
    pub errs: Errors,
    /// A comment refused, as typed.
    pub typed: String,
}

impl AnnouncementPage {
    /// The viewer's account id.
    pub fn me(&self) -> i64 {
        self.c.user.as_ref().map(|u| u.account_id).unwrap_or(0)
    }
    pub fn attachments(&self) -> Vec<&PostFile> {
        self.v.attachments().collect()
    }
    pub fn images(&self) -> Vec<&PostFile> {
        self.v.images().collect()
    }
}

#[derive(Template)]
#[template(path = "announcements/form.html")]
pub struct AnnouncementFormPage {
    pub c: Chrome,
    /// The post being edited; `None` for 發布新公告.
    pub id: Option<i64>,
    pub form: PostInput,
    pub files: Vec<PostFile>,
    /// The agency it is (or will be) posted for.
    pub agency: String,
    pub limits: PostLimits,
    pub error: String,
    pub errs: Errors,
}

/// The limits a post's form tells.
pub struct PostLimits {
    pub attachments: usize,
    pub attachment_mb: usize,
    pub images: usize,
    pub image_mb: usize,
    pub kinds: &'static str,
}

impl AnnouncementFormPage {
    pub fn attachments(&self) -> Vec<&PostFile> {
        self.files
            .iter()
            .filter(|f| f.role == "attachment")
            .collect()
    }
    pub fn images(&self) -> Vec<&PostFile> {
        self.files.iter().filter(|f| f.role == "image").collect()
    }
}
