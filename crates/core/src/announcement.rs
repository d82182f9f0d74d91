//! Announcements (issue 17; seed 004 §肆 二 我的公告管理, §伍 一 公告專區):
//! a title and a rich text, a reach (發布範圍: 全府, 本機關(含所屬機關),
//! 本機關), and a release (發布方式: 立即發布, 預約發布 at a later time, or
//! kept unpublished). What a post is in its author's tabs (已發布, 預約發布,
//! 未發布) follows from its release time and the clock, so a scheduled post
//! appears at its time with no job to move it.
use crate::error::{Collector, Error};
use crate::msg::Msg;
use crate::richtext::{clean_html, strip_markup, text_of};
use crate::text::clean_text;
use time::{Duration, OffsetDateTime};

/// 發布範圍: who may read a post, counted from its author's agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// 全府: everyone of the city.
    City,
    /// 本機關(含所屬機關): the agency and the agencies under it.
    AgencyTree,
    /// 本機關: the agency alone.
    Agency,
}

impl Reach {
    pub const ALL: [Reach; 3] = [Reach::City, Reach::AgencyTree, Reach::Agency];

    pub fn as_str(self) -> &'static str {
        match self {
            Reach::City => "city",
            Reach::AgencyTree => "agency_tree",
            Reach::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<Reach> {
        Reach::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> Msg {
        match self {
            Reach::City => Msg::new("全府", "Whole city"),
            Reach::AgencyTree => Msg::new("本機關(含所屬機關)", "This agency and those under it"),
            Reach::Agency => Msg::new("本機關", "This agency only"),
        }
    }
}

/// What a post is now, as its author's tabs sort it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已發布: released, its time come.
    Published,
    /// 預約發布: released for a time still to come.
    Scheduled,
    /// 未發布: kept back, or taken down.
    Unpublished,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Published, Status::Scheduled, Status::Unpublished];

    /// A post released at `at` (`None`: not released), seen at `now`.
    pub fn of(at: Option<OffsetDateTime>, now: OffsetDateTime) -> Status {
        match at {
            None => Status::Unpublished,
            Some(t) if t <= now => Status::Published,
            Some(_) => Status::Scheduled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Scheduled => "scheduled",
            Status::Unpublished => "unpublished",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    pub fn label(self) -> Msg {
        match self {
            Status::Published => Msg::new("已發布", "Published"),
            Status::Scheduled => Msg::new("預約發布", "Scheduled"),
            Status::Unpublished => Msg::new("未發布", "Unpublished"),
        }
    }
}

/// The longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// The longest rich text, in characters of its cleaned HTML.
pub const MAX_BODY: usize = 50_000;
/// The most attachments and images a post carries, and their sizes.
pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_IMAGES: usize = 10;
pub const MAX_ATTACHMENT: usize = 20 * 1024 * 1024;
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;
/// The longest comment or reply.
pub const MAX_COMMENT: usize = 500;
/// How far ahead a post may be scheduled.
pub const MAX_AHEAD_DAYS: i64 = 366;

/// A post as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PostInput {
    pub title: String,
    /// The rich text (HTML from the editor, or plain text).
    pub body: String,
    /// [`Reach::as_str`].
    pub reach: String,
    /// 發布方式: `now`, `at` or `draft`.
    pub release: String,
    /// 預約發布時間, `YYYY-MM-DDTHH:MM` in Taipei time, for `at`.
    pub at: String,
}

/// A post checked: what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub title: String,
    pub body_html: String,
    /// The text the rich text shows: what search reads.
    pub body_text: String,
    pub reach: Reach,
    /// When it is released; `None` keeps it unpublished.
    pub publish_at: Option<OffsetDateTime>,
}

impl PostInput {
    /// Checks the form at `now`. `released` is when the post being edited
    /// was released, if it already was: 立即發布 keeps that date rather
    /// than posting it anew.
    pub fn check(
        &self,
        now: OffsetDateTime,
        released: Option<OffsetDateTime>,
    ) -> Result<Post, Error> {
        let mut c = Collector::new();
        let title = c.take(
            "title",
            clean_text(&strip_markup(&self.title), 1, MAX_TITLE).map_err(|m| {
                if self.title.trim().is_empty() {
                    Msg::new("請輸入公告標題", "Enter the announcement's title")
                } else {
                    m
                }
            }),
        );
        let body_html = clean_html(&self.body);
        let body_text = text_of(&body_html);
        if body_text.is_empty() {
            c.push(
                "body",
                Msg::new("請輸入公告內容", "Enter the announcement's content"),
            );
        } else if body_html.chars().count() > MAX_BODY {
            c.push(
                "body",
                Msg::owned(
                    format!("公告內容過長，上限為 {MAX_BODY} 字（含格式）；請精簡或改以附件提供"),
                    format!("The content is too long; the limit is {MAX_BODY} characters with its formatting. Shorten it or attach a file"),
                ),
            );
        }
        let reach = c.take(
            "reach",
            Reach::parse(&self.reach).ok_or_else(|| {
                Msg::new(
                    "請選擇發布範圍：全府、本機關(含所屬機關)或本機關",
                    "Choose who may read it: the whole city, this agency and those under it, or this agency",
                )
            }),
        );
        let publish_at = c.take("release", self.release_time(now, released));
        c.finish()?;
        match (title, reach, publish_at) {
            (Some(title), Some(reach), Some(publish_at)) => Ok(Post {
                title,
                body_html,
                body_text,
                reach,
                publish_at,
            }),
            _ => Err(Error::internal("a checked post lacks a field")),
        }
    }

    fn release_time(
        &self,
        now: OffsetDateTime,
        released: Option<OffsetDateTime>,
    ) -> Result<Option<OffsetDateTime>, Msg> {
        match self.release.trim() {
            "now" => Ok(Some(released.filter(|t| *t <= now).unwrap_or(now))),
            "draft" => Ok(None),
            "at" => {
                let Some(t) = crate::time::parse_datetime_local(&self.at) else {
                    return Err(Msg::new(
                        "請輸入預約發布時間（年-月-日 時:分）",
                        "Enter when to publish it (year-month-day hour:minute)",
                    ));
                };
                if t <= now {
                    return Err(Msg::owned(
                        format!(
                            "預約發布時間 {} 已經過了；請選擇之後的時間，或改為立即發布",
                            crate::time::display(t)
                        ),
                        format!(
                            "{} has already passed; choose a later time, or publish it now",
                            crate::time::display(t)
                        ),
                    ));
                }
                if t > now + Duration::days(MAX_AHEAD_DAYS) {
                    return Err(Msg::new(
                        "預約發布時間至多為一年內",
                        "A post may be scheduled at most a year ahead",
                    ));
                }
                Ok(Some(t))
            }
            _ => Err(Msg::new(
                "請選擇發布方式：立即發布、預約發布或暫不發布",
                "Choose how to publish it: now, at a time, or not yet",
            )),
        }
    }
}

/// A comment or a reply as it is kept: plain text without markup, 1 to
/// [`MAX_COMMENT`] characters.
pub fn check_comment(text: &str) -> Result<String, Msg> {
    let s = strip_markup(text);
    if s.trim().is_empty() {
        return Err(Msg::new("請輸入留言內容", "Write the comment first"));
    }
    clean_text(&s, 1, MAX_COMMENT)
}

/// An agency's short name as a post's heading shows it (機關名稱簡稱):
/// the city's own prefix goes, the rest stays.
pub fn short_name(agency: &str) -> String {
    for prefix in ["臺南市政府", "台南市政府"] {
        if let Some(rest) = agency.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return rest.to_owned();
        }
    }
    agency.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-03 02:00 UTC);

    fn input(release: &str, at: &str) -> PostInput {
        PostInput {
            title: "停電通知".into(),
            body: "本週六停電。".into(),
            reach: "agency".into(),
            release: release.into(),
            at: at.into(),
        }
    }

    fn fields(e: Error) -> Vec<&'static str> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_post_released_now_is_published_and_a_scheduled_one_waits_for_its_time() {
        let p = input("now", "").check(NOW, None).unwrap();
        assert_eq!(p.publish_at, Some(NOW));
        assert_eq!(Status::of(p.publish_at, NOW), Status::Published);
        // 預約發布 at 10:30 Taipei time.
        let p = input("at", "2026-12-03T10:30").check(NOW, None).unwrap();
        let at = datetime!(2026-12-03 02:30 UTC);
        assert_eq!(p.publish_at, Some(at));
        assert_eq!(Status::of(p.publish_at, NOW), Status::Scheduled);
        assert_eq!(Status::of(p.publish_at, at), Status::Published);
        let p = input("draft", "").check(NOW, None).unwrap();
        assert_eq!(Status::of(p.publish_at, NOW), Status::Unpublished);
    }

    #[test]
    fn a_scheduled_time_in_the_past_or_beyond_a_year_is_refused() {
        let e = input("at", "2026-12-03T09:59")
            .check(NOW, None)
            .unwrap_err();
        let Error::Invalid(v) = e else { panic!() };
        assert_eq!(v[0].field, "release");
        assert!(
            v[0].message.zh.contains("2026-12-03 09:59 已經過了"),
            "{}",
            v[0].message.zh
        );
        assert_eq!(
            fields(
                input("at", "2028-01-01T09:00")
                    .check(NOW, None)
                    .unwrap_err()
            ),
            ["release"]
        );
        assert_eq!(
            fields(input("at", "明天").check(NOW, None).unwrap_err()),
            ["release"]
        );
        assert_eq!(
            fields(input("later", "").check(NOW, None).unwrap_err()),
            ["release"]
        );
    }

    #[test]
    fn republishing_an_edited_post_keeps_its_date() {
        let first = datetime!(2026-11-01 01:00 UTC);
        let p = input("now", "").check(NOW, Some(first)).unwrap();
        assert_eq!(p.publish_at, Some(first));
        // A post scheduled for later and published now is published now.
        let later = datetime!(2026-12-10 01:00 UTC);
        assert_eq!(
            input("now", "").check(NOW, Some(later)).unwrap().publish_at,
            Some(NOW)
        );
    }

    #[test]
    fn every_fault_is_told_at_once_and_markup_leaves_plain_fields() {
        let e = PostInput::default().check(NOW, None).unwrap_err();
        assert_eq!(fields(e), ["title", "body", "reach", "release"]);
        let p = PostInput {
            title: "<b>停水</b>公告<script>x</script>".into(),
            body: "<p>內容<script>alert(1)</script></p>".into(),
            ..input("now", "")
        }
        .check(NOW, None)
        .unwrap();
        assert_eq!(p.title, "停水公告");
        assert_eq!(p.body_html, "<p>內容</p>");
        // A body of markup alone says nothing.
        let e = PostInput {
            body: "<img src=x onerror=alert(1)>".into(),
            ..input("now", "")
        }
        .check(NOW, None)
        .unwrap_err();
        assert_eq!(fields(e), ["body"]);
        let long = "字".repeat(MAX_TITLE + 1);
        let e = PostInput {
            title: long,
            ..input("now", "")
        }
        .check(NOW, None)
        .unwrap_err();
        assert_eq!(fields(e), ["title"]);
    }

    #[test]
    fn comments_are_plain_and_bounded() {
        assert_eq!(check_comment("<b>謝謝</b>").unwrap(), "謝謝");
        assert!(check_comment("  ").is_err());
        assert!(check_comment("<script>x</script>").is_err());
        assert!(check_comment(&"字".repeat(MAX_COMMENT + 1)).is_err());
    }

    #[test]
    fn an_agency_is_named_short() {
        assert_eq!(short_name("臺南市政府民政局"), "民政局");
        assert_eq!(short_name("臺南市政府"), "臺南市政府");
        assert_eq!(short_name("臺南市永康區公所"), "臺南市永康區公所");
    }
}
