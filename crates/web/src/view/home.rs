//! The home page (issue 17; seed 004 第三節 壹): its blocks in the person's
//! layout, 訊息介接 as plain figures and lines the templates only print,
//! and the layout editor (第三節 貳 二).
use super::*;
use portico_app::office::{Block, FeedBlock, OfficeBlock};
use portico_core::home::{Layout, Mode, PARTS, Part};
use portico_core::office::Reading;

#[derive(Template)]
#[template(path = "home/index.html")]
pub struct HomePage {
    pub c: Chrome,
    pub tiles: Vec<Tile>,
    /// 轉登: applications this person's agency reaches from here.
    pub apps: std::sync::Arc<Vec<portico_store::clients::Tile>>,
    /// The sign-in before this one; `None` the first time.
    pub last_sign_in: Option<String>,
    /// A failed attempt since then.
    pub failed_since: Option<String>,
    /// For admins: requests waiting for them (待簽核).
    pub waiting: Option<i64>,
    /// 訊息管理's notices for this person now.
    pub notices: Vec<portico_store::content::NoticeRow>,
    /// 首頁橫幅 shown now.
    pub banners: Vec<portico_store::content::BannerRow>,
    /// 各項公告: the newest posts this person may read.
    pub posts: Vec<portico_store::announcements::PostRow>,
    /// The dashboard's links (首頁應用程式管理).
    pub links: Vec<portico_store::content::LinkRow>,
    /// 自訂儀表板 (a 3×3 grid) or 經典款.
    pub grid: bool,
    /// The blocks in order; `None` is an empty cell of the grid.
    pub cells: Vec<Option<&'static str>>,
    /// 訊息介接, one per connected system.
    pub office: Vec<OfficeView>,
    /// The city website's feeds.
    pub feeds: Vec<FeedView>,
}

impl HomePage {
    pub fn office_of(&self, key: &str) -> Option<&OfficeView> {
        self.office.iter().find(|o| o.key == key)
    }
}

/// One figure of a block: 待辦 3.
pub struct Figure {
    pub label: &'static str,
    pub value: u32,
    /// Shown as a warning when above zero (逾期, 異常).
    pub warn: bool,
}

/// One line of a block: a subject and what is known about it.
pub struct Line {
    pub text: String,
    pub meta: String,
    pub warn: bool,
}

/// 訊息介接's block as the page prints it.
pub struct OfficeView {
    pub key: &'static str,
    pub title: String,
    /// `ready`, `pending` or `unavailable`.
    pub state: &'static str,
    pub figures: Vec<Figure>,
    pub lines: Vec<Line>,
    /// Said when there is nothing to list (今日尚無刷卡紀錄).
    pub empty: &'static str,
    pub link: String,
    pub as_of: String,
}

fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

fn fig(lang: Lang, zh: &'static str, en: &'static str, value: u32, warn: bool) -> Figure {
    Figure {
        label: tr(lang, zh, en),
        value,
        warn: warn && value > 0,
    }
}

impl OfficeView {
    pub fn of(b: &OfficeBlock, lang: Lang) -> OfficeView {
        let mut v = OfficeView {
            key: b.source.key(),
            title: b.source.label().get(lang).to_owned(),
            state: "ready",
            figures: Vec::new(),
            lines: Vec::new(),
            empty: "",
            link: String::new(),
            as_of: String::new(),
        };
        let (reading, as_of) = match &b.block {
            Block::Pending => {
                v.state = "pending";
                return v;
            }
            Block::Unavailable => {
                v.state = "unavailable";
                return v;
            }
            Block::Ready { reading, as_of } => (reading, *as_of),
        };
        v.as_of = portico_core::time::display(as_of);
        let hm = |t: time::OffsetDateTime| portico_core::time::display(t);
        match reading {
            Reading::Mail(m) => {
                v.figures
                    .push(fig(lang, "未讀郵件", "Unread", m.unread, false));
                v.lines = m
                    .latest
                    .iter()
                    .map(|x| Line {
                        text: x.subject.clone(),
                        meta: match x.received {
                            Some(t) => format!("{} · {}", x.from, hm(t)),
                            None => x.from.clone(),
                        },
                        warn: false,
                    })
                    .collect();
                v.empty = tr(lang, "沒有未讀郵件。", "No unread mail.");
            }
            Reading::Documents(d) => {
                v.figures.push(fig(lang, "待辦", "To do", d.todo, false));
                v.figures
                    .push(fig(lang, "逾期", "Overdue", d.overdue, true));
                v.link = d.link.clone();
            }
            Reading::Petitions(p) => {
                v.figures.push(fig(lang, "待辦", "To do", p.todo, false));
                v.figures
                    .push(fig(lang, "逾期", "Overdue", p.overdue, true));
                v.lines = p
                    .latest
                    .iter()
                    .map(|x| Line {
                        text: x.subject.clone(),
                        meta: match (x.due, x.overdue) {
                            (Some(d), true) => format!(
                                "{}{}",
                                tr(lang, "已逾期，期限 ", "Overdue, due "),
                                portico_core::time::date_str(d)
                            ),
                            (Some(d), false) => format!(
                                "{}{}",
                                tr(lang, "期限 ", "Due "),
                                portico_core::time::date_str(d)
                            ),
                            (None, true) => tr(lang, "已逾期", "Overdue").to_owned(),
                            (None, false) => String::new(),
                        },
                        warn: x.overdue,
                    })
                    .collect();
                v.link = p.link.clone();
            }
            Reading::Attendance(a) => {
                v.figures
                    .push(fig(lang, "待簽", "To sign", a.to_sign, false));
                v.figures
                    .push(fig(lang, "送審", "Submitted", a.submitted, false));
                v.figures.push(fig(lang, "代理", "Deputy", a.deputy, false));
                v.figures
                    .push(fig(lang, "異常", "Anomalies", a.anomalies, true));
                v.link = a.link.clone();
            }
            Reading::Punches(p) => {
                v.lines = p
                    .times
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Line {
                        text: format!("{:02}:{:02}", t.hour(), t.minute()),
                        meta: if i == 0 {
                            tr(lang, "上班", "In").to_owned()
                        } else if i + 1 == p.times.len() {
                            tr(lang, "下班", "Out").to_owned()
                        } else {
                            String::new()
                        },
                        warn: false,
                    })
                    .collect();
                v.empty = tr(lang, "今日尚無刷卡紀錄。", "No card punch today yet.");
            }
        }
        v
    }
}

/// One of the city website's feeds.
pub struct FeedView {
    pub name: String,
    pub state: &'static str,
    pub items: Vec<(String, String, String)>,
}

impl FeedView {
    pub fn of(f: &FeedBlock) -> FeedView {
        FeedView {
            name: f.name.clone(),
            state: match (&f.items, f.pending) {
                (Some(_), _) => "ready",
                (None, true) => "pending",
                (None, false) => "unavailable",
            },
            items: f
                .items
                .iter()
                .flat_map(|v| v.iter())
                .map(|i| {
                    (
                        i.title.clone(),
                        i.link.clone(),
                        i.published
                            .map(|t| {
                                portico_core::time::date_str(
                                    t.to_offset(portico_core::time::TAIPEI).date(),
                                )
                            })
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }
}

/// The fragment the page's script asks for when a block was still being
/// read (`/home/office/{source}`).
#[derive(Template)]
#[template(path = "home/office_fragment.html")]
pub struct OfficeFragment {
    pub c: Chrome,
    pub o: OfficeView,
}

/// 個人化設定 › 設定排版.
#[derive(Template)]
#[template(path = "home/layout.html")]
pub struct LayoutPage {
    pub c: Chrome,
    /// The mode being edited.
    pub grid: bool,
    /// The mode in use on the home page.
    pub in_use_grid: bool,
    pub items: Vec<LayoutItem>,
    pub error: Option<String>,
}

pub struct LayoutItem {
    pub key: &'static str,
    pub label: String,
    pub position: usize,
    pub shown: bool,
    /// False for a 訊息介接 block whose system the city has not connected.
    pub connected: bool,
}

impl LayoutPage {
    pub fn of(
        c: Chrome,
        l: &Layout,
        mode: Mode,
        connected: &[portico_core::office::Source],
        error: Option<String>,
    ) -> LayoutPage {
        let lang = c.lang;
        let a = match mode {
            Mode::Classic => &l.classic,
            Mode::Grid => &l.grid,
        };
        let items = a
            .order
            .iter()
            .zip(a.shown)
            .enumerate()
            .map(|(i, (p, shown))| LayoutItem {
                key: p.key(),
                label: part_label(*p, lang),
                position: i + 1,
                shown,
                connected: match p {
                    Part::Office(s) => connected.contains(s),
                    _ => true,
                },
            })
            .collect();
        LayoutPage {
            c,
            grid: mode == Mode::Grid,
            in_use_grid: l.mode == Mode::Grid,
            items,
            error,
        }
    }

    pub fn positions(&self) -> std::ops::RangeInclusive<usize> {
        1..=PARTS
    }
}

pub fn part_label(p: Part, lang: Lang) -> String {
    p.label().get(lang).to_owned()
}
