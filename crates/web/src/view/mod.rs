//! The page shell and the template structs, one module per templates
//! folder's capability. Every template receives a `Chrome` (language,
//! theme, the person, the menu) and speaks both languages through
//! `c.tr(zh, en)`, so no string exists in only one.
use askama::Template;
use portico_app::sessions::Session;
use portico_core::{FieldError, Lang, Msg};

mod access;
mod account;
mod announcements;
mod cars;
mod certifications;
mod clients;
mod console;
mod content;
mod directory;
mod documents;
mod downloads;
mod enrolment;
mod home;
mod inspections;
mod mailboxes;
mod repairs;
mod requests;
mod signin;
mod venues;
pub use access::*;
pub use account::*;
pub use announcements::*;
pub use cars::*;
pub use certifications::*;
pub use clients::*;
pub use console::*;
pub use content::*;
pub use directory::*;
pub use documents::*;
pub use downloads::*;
pub use enrolment::*;
pub use home::*;
pub use inspections::*;
pub use mailboxes::*;
pub use repairs::*;
pub use requests::*;
pub use signin::*;
pub use venues::*;

pub struct UserBar {
    pub name: String,
    pub account_id: i64,
    pub has_avatar: bool,
    pub is_admin: bool,
    /// Agency or system admin: manages mail accounts.
    pub is_agency_admin: bool,
    pub is_system_admin: bool,
    pub csrf: String,
    pub idle_remaining: i64,
    pub password_days_left: Option<i64>,
    /// Repair staff: 報修處理狀況回報 is in the menu.
    pub repairs: bool,
}

pub struct Chrome {
    pub lang: Lang,
    pub theme: String,
    pub user: Option<UserBar>,
    /// The menu entry to mark as current.
    pub nav: &'static str,
    pub flash: Option<Msg>,
}

impl Chrome {
    pub fn bare(lang: Lang) -> Chrome {
        Chrome {
            lang,
            theme: "light".into(),
            user: None,
            nav: "",
            flash: None,
        }
    }

    pub fn of(s: &Session, nav: &'static str) -> Chrome {
        let p = &s.principal;
        Chrome {
            lang: Lang::from_code(&s.lang),
            theme: s.theme.clone(),
            user: Some(UserBar {
                name: p.name().to_owned(),
                account_id: p.account_id().0,
                has_avatar: s.has_avatar,
                is_admin: p.admin_scope().is_some(),
                is_agency_admin: p
                    .top_role()
                    .is_some_and(|r| r >= portico_core::permission::RoleKind::AgencyAdmin),
                is_system_admin: p.is_system_admin(),
                csrf: s.csrf.clone(),
                idle_remaining: s.idle_remaining,
                password_days_left: s.password_days_left,
                repairs: s.repairs,
            }),
            nav,
            flash: None,
        }
    }

    pub fn with_flash(mut self, m: Option<Msg>) -> Chrome {
        self.flash = m;
        self
    }

    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::ZhTw => zh,
            Lang::En => en,
        }
    }

    /// Takes `Msg`, `&Msg` or `&&Msg` (templates hand over any of them).
    /// What an item's keeper is called: a driver's 管理人, else 保管人.
    pub fn keeper_word(&self, manager: &bool) -> &'static str {
        match (*manager, self.lang == Lang::En) {
            (true, false) => "管理人",
            (true, true) => "Manager",
            (false, false) => "保管人",
            (false, true) => "Custodian",
        }
    }

    pub fn msg<M: AsRef<Msg>>(&self, m: M) -> String {
        m.as_ref().get(self.lang).to_owned()
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map(|u| u.csrf.as_str()).unwrap_or("")
    }

    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }

    pub fn time<T: std::borrow::Borrow<time::OffsetDateTime>>(&self, t: T) -> String {
        portico_core::time::display(*t.borrow())
    }

    pub fn time_opt<T: std::borrow::Borrow<Option<time::OffsetDateTime>>>(&self, t: T) -> String {
        t.borrow()
            .map(portico_core::time::display)
            .unwrap_or_else(|| "—".into())
    }

    pub fn secs<T: std::borrow::Borrow<time::OffsetDateTime>>(&self, t: T) -> String {
        portico_core::time::display_seconds(*t.borrow())
    }
}

/// Field errors of a submitted form, for the page to show beside each field.
#[derive(Default)]
pub struct Errors {
    pub list: Vec<FieldError>,
    pub lang: Lang,
}

impl Errors {
    pub fn new(list: Vec<FieldError>, lang: Lang) -> Errors {
        Errors { list, lang }
    }
    /// The message for `field`, or "" when it is fine.
    pub fn of(&self, field: &str) -> String {
        self.list
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.get(self.lang).to_owned())
            .collect::<Vec<_>>()
            .join("；")
    }
    pub fn any(&self) -> bool {
        !self.list.is_empty()
    }
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.list.iter().any(|e| e.field == field) {
            "true"
        } else {
            "false"
        }
    }
}

#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    pub message: String,
}

/// Page numbers to link: the first, the last, and a window around the
/// current one.
/// The page numbers a pager shows: the first, the last and two either side
/// of the current one, with `None` where numbers are left out (…).
pub fn page_links<A: std::borrow::Borrow<u32>, B: std::borrow::Borrow<u32>>(
    page: A,
    pages: B,
) -> Vec<Option<u32>> {
    let (page, pages) = (*page.borrow(), *pages.borrow());
    let mut shown: Vec<u32> = [1, pages]
        .into_iter()
        .chain(page.saturating_sub(2).max(1)..=page.saturating_add(2).min(pages))
        .filter(|p| (1..=pages).contains(p))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let mut out = Vec::with_capacity(shown.len() * 2);
    for (i, p) in shown.iter().enumerate() {
        if i > 0 && *p > shown[i - 1] + 1 {
            out.push(None);
        }
        out.push(Some(*p));
    }
    out
}

#[cfg(test)]
mod pager_tests {
    use super::page_links;

    #[test]
    fn a_long_list_shows_gaps_where_pages_are_left_out() {
        assert_eq!(
            page_links(50u32, 250u32),
            vec![
                Some(1),
                None,
                Some(48),
                Some(49),
                Some(50),
                Some(51),
                Some(52),
                None,
                Some(250)
            ]
        );
        assert_eq!(page_links(1u32, 3u32), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(
            page_links(4u32, 6u32),
            vec![Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)]
        );
        // Past the end: the numbers still lead back.
        assert_eq!(page_links(999u32, 3u32), vec![Some(1), None, Some(3)]);
    }
}

// ---- the account lifecycle ----------------------------------------------------

#[derive(Template)]
#[template(path = "layout/notice.html")]
pub struct NoticePage {
    pub c: Chrome,
    pub title: Msg,
    pub message: Msg,
    pub link: &'static str,
    pub link_text: Msg,
}
