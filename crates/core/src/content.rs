//! What system admins publish on the portal itself (issue 17; seed 004
//! §壹 二 首頁橫幅, §伍 二 常見問題, §伍 六 外部連結, 表 2 訊息管理 and
//! 首頁應用程式管理): banners, platform notices, the FAQ and the links of
//! the application list and dashboard. Each form's rules are here.
use crate::error::{Collector, Error};
use crate::msg::Msg;
use crate::richtext::{clean_html, strip_markup, text_of};
use crate::text::clean_text;
use time::OffsetDateTime;

/// Who sees a notice or a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone: a notice also shows on the sign-in page.
    All,
    /// People of the listed agencies (and the units under them).
    Agencies,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::All => "all",
            Audience::Agencies => "agencies",
        }
    }
    pub fn parse(s: &str) -> Option<Audience> {
        match s.trim() {
            "all" => Some(Audience::All),
            "agencies" => Some(Audience::Agencies),
            _ => None,
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Audience::All => Msg::new("全部使用者", "Everyone"),
            Audience::Agencies => Msg::new("指定機關", "Listed agencies"),
        }
    }
}

/// A link a person follows out of the portal: `http` or `https` only, so
/// no `javascript:` or `data:` address is ever offered as one.
pub fn check_link(s: &str, required: bool) -> Result<String, Msg> {
    let s = s.trim();
    if s.is_empty() {
        return if required {
            Err(Msg::new("請輸入網址", "Enter the address"))
        } else {
            Ok(String::new())
        };
    }
    let bad = || {
        Msg::new(
            "網址須以 https:// 或 http:// 開頭，例如 https://www.tainan.gov.tw/",
            "The address must start with https:// or http://, e.g. https://www.tainan.gov.tw/",
        )
    };
    match url::Url::parse(s) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && s.len() <= 500 =>
        {
            Ok(u.to_string())
        }
        _ => Err(bad()),
    }
}

/// A period as two `datetime-local` fields: both optional, the end after
/// the start.
fn period(
    c: &mut Collector,
    from: &str,
    until: &str,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let one = |c: &mut Collector, field: &'static str, s: &str| -> Option<OffsetDateTime> {
        if s.trim().is_empty() {
            return None;
        }
        let t = crate::time::parse_datetime_local(s);
        if t.is_none() {
            c.push(
                field,
                Msg::new(
                    "請以 年-月-日 時:分 輸入時間",
                    "Type the time as year-month-day hour:minute",
                ),
            );
        }
        t
    };
    let (a, z) = (one(c, "starts", from), one(c, "ends", until));
    if let (Some(a), Some(z)) = (a, z)
        && z <= a
    {
        c.push(
            "ends",
            Msg::new("結束時間須晚於開始時間", "The end must be after the start"),
        );
    }
    (a, z)
}

fn position(c: &mut Collector, s: &str) -> i64 {
    match s.trim() {
        "" => 0,
        t => match t.parse::<i64>() {
            Ok(n) if (0..=9999).contains(&n) => n,
            _ => {
                c.push(
                    "position",
                    Msg::new(
                        "排序請填 0 到 9999 的整數",
                        "The order is a whole number from 0 to 9999",
                    ),
                );
                0
            }
        },
    }
}

fn plain(
    c: &mut Collector,
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
    empty: Msg,
) -> String {
    let s = strip_markup(s);
    if min > 0 && s.trim().is_empty() {
        c.push(field, empty);
        return String::new();
    }
    c.take(field, clean_text(&s, min, max)).unwrap_or_default()
}

fn audience(c: &mut Collector, s: &str, agencies: &[i64]) -> (Audience, Vec<i64>) {
    let a = Audience::parse(s).unwrap_or_else(|| {
        c.push(
            "audience",
            Msg::new(
                "請選擇對象：全部使用者或指定機關",
                "Choose who sees it: everyone or listed agencies",
            ),
        );
        Audience::All
    });
    let mut list = agencies.to_vec();
    list.sort_unstable();
    list.dedup();
    if a == Audience::Agencies && list.is_empty() {
        c.push(
            "agencies",
            Msg::new("請選擇至少一個機關", "Choose at least one agency"),
        );
    }
    if a == Audience::All {
        list.clear();
    }
    (a, list)
}

/// A home-page banner (首頁橫幅) as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BannerInput {
    pub title: String,
    /// The image's text alternative (替代文字), read out in its place.
    pub alt: String,
    pub link: String,
    pub starts: String,
    pub ends: String,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub title: String,
    pub alt: String,
    pub link: String,
    pub starts: Option<OffsetDateTime>,
    pub ends: Option<OffsetDateTime>,
    pub position: i64,
}

impl BannerInput {
    pub fn check(&self) -> Result<Banner, Error> {
        let mut c = Collector::new();
        let title = plain(
            &mut c,
            "title",
            &self.title,
            1,
            60,
            Msg::new("請輸入橫幅名稱", "Enter the banner's name"),
        );
        let alt = plain(
            &mut c,
            "alt",
            &self.alt,
            1,
            150,
            Msg::new(
                "請輸入替代文字：說明圖片內容，讓使用螢幕報讀軟體的同仁也能知道橫幅在說什麼",
                "Enter the text alternative: say what the image shows, so colleagues using a screen reader learn what the banner says",
            ),
        );
        let link = c
            .take("link", check_link(&self.link, false))
            .unwrap_or_default();
        let (starts, ends) = period(&mut c, &self.starts, &self.ends);
        let position = position(&mut c, &self.position);
        c.finish()?;
        Ok(Banner {
            title,
            alt,
            link,
            starts,
            ends,
            position,
        })
    }
}

/// A platform notice (訊息管理) as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NoticeInput {
    pub title: String,
    pub body: String,
    pub audience: String,
    pub agencies: Vec<i64>,
    pub starts: String,
    pub ends: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body_html: String,
    pub audience: Audience,
    pub agencies: Vec<i64>,
    pub starts: Option<OffsetDateTime>,
    pub ends: Option<OffsetDateTime>,
}

impl NoticeInput {
    pub fn check(&self) -> Result<Notice, Error> {
        let mut c = Collector::new();
        let title = plain(
            &mut c,
            "title",
            &self.title,
            1,
            100,
            Msg::new("請輸入訊息標題", "Enter the notice's title"),
        );
        let body_html = clean_html(&self.body);
        if text_of(&body_html).chars().count() > 5000 {
            c.push(
                "body",
                Msg::new(
                    "內容請在 5000 字以內",
                    "Keep the text within 5000 characters",
                ),
            );
        }
        let (audience, agencies) = audience(&mut c, &self.audience, &self.agencies);
        let (starts, ends) = period(&mut c, &self.starts, &self.ends);
        c.finish()?;
        Ok(Notice {
            title,
            body_html,
            audience,
            agencies,
            starts,
            ends,
        })
    }
}

/// A question of the FAQ (常見問題) as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FaqInput {
    /// The category's name: an existing one, or a new one made with it.
    pub category: String,
    pub question: String,
    pub answer: String,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faq {
    pub category: String,
    pub question: String,
    pub answer_html: String,
    pub answer_text: String,
    pub position: i64,
}

impl FaqInput {
    pub fn check(&self) -> Result<Faq, Error> {
        let mut c = Collector::new();
        let category = plain(
            &mut c,
            "category",
            &self.category,
            1,
            30,
            Msg::new("請輸入或選擇分類", "Enter or choose a category"),
        );
        let question = plain(
            &mut c,
            "question",
            &self.question,
            1,
            200,
            Msg::new("請輸入問題", "Enter the question"),
        );
        let answer_html = clean_html(&self.answer);
        let answer_text = text_of(&answer_html);
        if answer_text.is_empty() {
            c.push("answer", Msg::new("請輸入回答", "Enter the answer"));
        } else if answer_text.chars().count() > 10_000 {
            c.push(
                "answer",
                Msg::new(
                    "回答請在 10000 字以內",
                    "Keep the answer within 10000 characters",
                ),
            );
        }
        let position = position(&mut c, &self.position);
        c.finish()?;
        Ok(Faq {
            category,
            question,
            answer_html,
            answer_text,
            position,
        })
    }
}

/// A link of the application list or the dashboard (外部連結, 首頁應用程式管理).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LinkInput {
    pub name: String,
    pub url: String,
    /// One or two characters (an emoji, a letter) shown as the tile's icon.
    pub icon: String,
    pub description: String,
    pub audience: String,
    pub agencies: Vec<i64>,
    pub position: String,
    /// On the home page's 應用程式儀表板.
    pub on_home: bool,
    /// On the 應用程式列表 page.
    pub in_list: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    pub url: String,
    pub icon: String,
    pub description: String,
    pub audience: Audience,
    pub agencies: Vec<i64>,
    pub position: i64,
    pub on_home: bool,
    pub in_list: bool,
}

impl LinkInput {
    pub fn check(&self) -> Result<Link, Error> {
        let mut c = Collector::new();
        let name = plain(
            &mut c,
            "name",
            &self.name,
            1,
            40,
            Msg::new("請輸入名稱", "Enter the name"),
        );
        let url = c
            .take("url", check_link(&self.url, true))
            .unwrap_or_default();
        let icon = strip_markup(self.icon.trim());
        if icon.chars().count() > 2 || icon.chars().any(|ch| ch.is_control()) {
            c.push(
                "icon",
                Msg::new(
                    "圖示請用 1 到 2 個字元，例如 📅 或 薪",
                    "The icon is one or two characters, e.g. 📅",
                ),
            );
        }
        let description = plain(
            &mut c,
            "description",
            &self.description,
            0,
            200,
            Msg::new("", ""),
        );
        let (audience, agencies) = audience(&mut c, &self.audience, &self.agencies);
        let position = position(&mut c, &self.position);
        if !self.on_home && !self.in_list {
            c.push(
                "in_list",
                Msg::new(
                    "請至少勾選一處顯示：首頁儀表板或應用程式列表",
                    "Show it somewhere: on the home dashboard or in the application list",
                ),
            );
        }
        c.finish()?;
        Ok(Link {
            name,
            url,
            icon,
            description,
            audience,
            agencies,
            position,
            on_home: self.on_home,
            in_list: self.in_list,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Error) -> Vec<&'static str> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_banner_needs_its_text_alternative_and_a_web_link() {
        let b = BannerInput {
            title: "2026 臺南燈會".into(),
            alt: "2026 臺南燈會 2 月 14 日至 3 月 1 日於安平港".into(),
            link: "https://www.tainan.gov.tw/".into(),
            starts: "2026-12-01T00:00".into(),
            ends: "2027-03-01T00:00".into(),
            position: "1".into(),
        };
        assert!(b.check().is_ok());
        let e = BannerInput {
            alt: " ".into(),
            ..b.clone()
        }
        .check()
        .unwrap_err();
        assert_eq!(fields(e), ["alt"]);
        let e = BannerInput {
            link: "javascript:alert(1)".into(),
            ..b.clone()
        }
        .check()
        .unwrap_err();
        assert_eq!(fields(e), ["link"]);
        let e = BannerInput {
            ends: "2026-11-01T00:00".into(),
            ..b.clone()
        }
        .check()
        .unwrap_err();
        assert_eq!(fields(e), ["ends"]);
        // No link is a banner that informs only.
        assert!(
            BannerInput {
                link: String::new(),
                ..b
            }
            .check()
            .is_ok()
        );
    }

    #[test]
    fn links_are_web_addresses_only() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://x",
            "//evil",
            "tainan.gov.tw",
        ] {
            assert!(check_link(bad, true).is_err(), "{bad}");
        }
        assert_eq!(
            check_link("https://salary.tainan.gov.tw/", true).unwrap(),
            "https://salary.tainan.gov.tw/"
        );
        assert_eq!(check_link("", false).unwrap(), "");
        assert!(check_link("", true).is_err());
    }

    #[test]
    fn a_notice_for_agencies_names_them_and_a_link_shows_somewhere() {
        let n = NoticeInput {
            title: "系統維護".into(),
            body: "週六停機".into(),
            audience: "agencies".into(),
            ..Default::default()
        };
        assert_eq!(fields(n.check().unwrap_err()), ["agencies"]);
        let n = NoticeInput {
            agencies: vec![3, 3, 2],
            ..n
        }
        .check()
        .unwrap();
        assert_eq!(n.agencies, [2, 3]);
        let l = LinkInput {
            name: "薪資查詢".into(),
            url: "https://salary.tainan.gov.tw/".into(),
            icon: "💰".into(),
            audience: "all".into(),
            ..Default::default()
        };
        assert_eq!(fields(l.check().unwrap_err()), ["in_list"]);
        let e = LinkInput {
            icon: "太長的圖示".into(),
            in_list: true,
            ..l.clone()
        }
        .check()
        .unwrap_err();
        assert_eq!(fields(e), ["icon"]);
        assert!(LinkInput { in_list: true, ..l }.check().is_ok());
    }

    #[test]
    fn a_faq_answer_is_cleaned_and_required() {
        let f = FaqInput {
            category: "帳號".into(),
            question: "忘記密碼怎麼辦？".into(),
            answer: "<p>請按「忘記密碼」<script>x</script></p>".into(),
            position: String::new(),
        };
        assert_eq!(f.check().unwrap().answer_html, "<p>請按「忘記密碼」</p>");
        let e = FaqInput {
            answer: "<img src=x>".into(),
            ..f
        }
        .check()
        .unwrap_err();
        assert_eq!(fields(e), ["answer"]);
    }
}
