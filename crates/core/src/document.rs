//! Official documents' attachments (issue 17; seed 004 §肆 三
//! 我的公文附件管理, §伍 四 公文附件下載區): a topic (公文主題) names one
//! official document by its 公文字, 公文號 and 公文支號, says what it is
//! (公文簡述), carries a four-digit 識別碼 fixed once published, a 下架日期
//! after which nothing is served, and whether agencies outside the city may
//! fetch it from the public page (公開查詢). Its files follow.
use crate::error::{Collector, Error};
use crate::msg::Msg;
use crate::richtext::strip_markup;
use crate::text::clean_text;
use time::{Date, Duration, OffsetDateTime};

/// How far ahead a 下架日期 may be.
pub const MAX_KEEP_DAYS: i64 = 5 * 366;
/// The most files a topic carries, and their size.
pub const MAX_FILES: usize = 20;
pub const MAX_FILE: usize = 20 * 1024 * 1024;

/// A topic as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TopicInput {
    /// 公文字, e.g. 南市研資.
    pub word: String,
    /// 公文號: ten digits, the standard number without its suffix.
    pub number: String,
    /// 公文支號: one letter or digit, or empty.
    pub branch: String,
    /// 公文簡述, optional, at most 100 characters.
    pub summary: String,
    /// 識別碼: four digits (taken only when the topic is first published).
    pub code: String,
    /// 下架日期, `YYYY-MM-DD`.
    pub takedown: String,
    /// 公開查詢: `yes` or `no`.
    pub public: String,
}

/// A topic checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub word: String,
    pub number: String,
    pub branch: String,
    pub summary: String,
    pub code: String,
    /// The last day it is served (下架日期 itself is still served).
    pub takedown: Date,
    pub public: bool,
}

/// Full-width digits as typed by a Chinese input method, made ASCII.
fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect()
}

/// 公文字: 2 to 12 characters, letters (any script) and digits only. The
/// 字 or 字第 people copy with it from the document's number goes.
pub fn check_word(s: &str) -> Result<String, Msg> {
    let s = strip_markup(s).trim().to_owned();
    let s = s
        .strip_suffix("字第")
        .or_else(|| s.strip_suffix('字'))
        .unwrap_or(&s)
        .trim()
        .to_owned();
    let n = s.chars().count();
    if n == 0 {
        return Err(Msg::new(
            "請輸入公文字，例如：南市研資",
            "Enter the document's word, e.g. 南市研資",
        ));
    }
    if !(2..=12).contains(&n) || !s.chars().all(char::is_alphanumeric) {
        return Err(Msg::new(
            "公文字為 2 至 12 個文字，不含空白與符號，例如：南市研資",
            "The document's word is 2 to 12 letters, without spaces or signs, e.g. 南市研資",
        ));
    }
    Ok(s)
}

/// 公文號: exactly ten digits.
pub fn check_number(s: &str) -> Result<String, Msg> {
    let s = half_width(s.trim());
    let s = s.strip_suffix('號').unwrap_or(&s).trim();
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(Msg::new(
            "公文號請輸入 10 位數字（不含後綴的標準文號），例如 1150001234",
            "The document number is 10 digits (the standard number, no suffix), e.g. 1150001234",
        ))
    }
}

/// 公文支號: one letter or digit, or nothing.
pub fn check_branch(s: &str) -> Result<String, Msg> {
    let s = half_width(s.trim());
    let s = s.as_str();
    if s.is_empty() || (s.len() == 1 && s.bytes().all(|b| b.is_ascii_alphanumeric())) {
        Ok(s.to_ascii_uppercase())
    } else {
        Err(Msg::new(
            "公文支號請輸入 1 個英文字母或數字；沒有支號請留空白",
            "The branch is one letter or digit; leave it empty when there is none",
        ))
    }
}

/// 識別碼: exactly four digits.
pub fn check_code(s: &str) -> Result<String, Msg> {
    let s = half_width(s.trim());
    let s = s.as_str();
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(Msg::new(
            "識別碼請輸入 4 位數字",
            "The identification code is four digits",
        ))
    }
}

/// A document's full number as people write it: `南市研資字第1150001234號`,
/// with its branch after a dash.
pub fn full_number(word: &str, number: &str, branch: &str) -> String {
    if branch.is_empty() {
        format!("{word}字第{number}號")
    } else {
        format!("{word}字第{number}-{branch}號")
    }
}

impl TopicInput {
    /// Checks the form on `today` (Taipei). `fixed_code` is the code of a
    /// topic already published: it is kept, whatever the form says.
    pub fn check(&self, today: Date, fixed_code: Option<&str>) -> Result<Topic, Error> {
        let mut c = Collector::new();
        let word = c.take("word", check_word(&self.word));
        let number = c.take("number", check_number(&self.number));
        let branch = c.take("branch", check_branch(&self.branch));
        let summary = c.take(
            "summary",
            clean_text(&strip_markup(&self.summary), 0, 100).map_err(|_| {
                Msg::new(
                    "公文簡述請在 100 字以內",
                    "Keep the summary within 100 characters",
                )
            }),
        );
        let code = match fixed_code {
            Some(code) => Some(code.to_owned()),
            None => c.take("code", check_code(&self.code)),
        };
        let takedown = match crate::time::parse_date(&self.takedown) {
            None => {
                c.push(
                    "takedown",
                    Msg::new(
                        "請選擇下架日期（年-月-日）",
                        "Choose the take-down date (year-month-day)",
                    ),
                );
                None
            }
            Some(d) if d < today => {
                c.push(
                    "takedown",
                    Msg::owned(
                        format!(
                            "下架日期 {} 已經過了，請選擇今天或之後的日期",
                            crate::time::date_str(d)
                        ),
                        format!(
                            "{} has passed; choose today or a later date",
                            crate::time::date_str(d)
                        ),
                    ),
                );
                None
            }
            Some(d) if d > today + Duration::days(MAX_KEEP_DAYS) => {
                c.push(
                    "takedown",
                    Msg::new(
                        "下架日期至多為五年內",
                        "The take-down date is at most five years ahead",
                    ),
                );
                None
            }
            Some(d) => Some(d),
        };
        let public = match self.public.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                c.push(
                    "public",
                    Msg::new(
                        "請選擇是否公開查詢（本府以外機關下載須選「是」）",
                        "Choose whether it is public (agencies outside the city need “yes”)",
                    ),
                );
                None
            }
        };
        c.finish()?;
        match (word, number, branch, summary, code, takedown, public) {
            (
                Some(word),
                Some(number),
                Some(branch),
                Some(summary),
                Some(code),
                Some(takedown),
                Some(public),
            ) => Ok(Topic {
                word,
                number,
                branch,
                summary,
                code,
                takedown,
                public,
            }),
            _ => Err(Error::internal("a checked topic lacks a field")),
        }
    }
}

/// A topic is served through the end of its 下架日期 (Taipei).
pub fn served(takedown: Date, now: OffsetDateTime) -> bool {
    now.to_offset(crate::time::TAIPEI).date() <= takedown
}

/// A lookup as the download pages send it: the document and its code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LookupInput {
    pub word: String,
    pub number: String,
    pub branch: String,
    pub code: String,
}

/// A lookup checked: every field well formed, so a malformed one is told
/// as such and never counted as a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub word: String,
    pub number: String,
    pub branch: String,
    pub code: String,
}

impl LookupInput {
    pub fn check(&self) -> Result<Lookup, Error> {
        let mut c = Collector::new();
        let word = c.take("word", check_word(&self.word));
        let number = c.take("number", check_number(&self.number));
        let branch = c.take("branch", check_branch(&self.branch));
        let code = c.take("code", check_code(&self.code));
        c.finish()?;
        match (word, number, branch, code) {
            (Some(word), Some(number), Some(branch), Some(code)) => Ok(Lookup {
                word,
                number,
                branch,
                code,
            }),
            _ => Err(Error::internal("a checked lookup lacks a field")),
        }
    }
}

/// How long failed guesses are counted together, and how long a block lasts.
pub const GUESS_WINDOW: Duration = Duration::minutes(15);
pub const GUESS_BLOCK: Duration = Duration::hours(1);
/// Failed lookups a caller may make in a window before it is blocked.
pub const CALLER_GUESSES: i64 = 10;
/// Failed lookups of one document, from anyone, before the public page
/// stops answering for it (a guess spread over many addresses).
pub const DOCUMENT_GUESSES: i64 = 30;

/// A key's failed guesses: how many in the window begun at `window_start`,
/// and until when it is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guesses {
    pub failures: i64,
    pub window_start: OffsetDateTime,
    pub blocked_until: Option<OffsetDateTime>,
}

impl Guesses {
    /// Blocked at `now`.
    pub fn blocked(s: Option<&Guesses>, now: OffsetDateTime) -> bool {
        s.and_then(|g| g.blocked_until).is_some_and(|t| t > now)
    }

    /// One more failure at `now`, blocking at `max` in the window.
    pub fn fail(s: Option<&Guesses>, now: OffsetDateTime, max: i64) -> Guesses {
        let (failures, window_start) = match s {
            Some(g) if now - g.window_start < GUESS_WINDOW => (g.failures + 1, g.window_start),
            _ => (1, now),
        };
        let blocked_until = if failures >= max {
            Some(now + GUESS_BLOCK)
        } else {
            s.and_then(|g| g.blocked_until).filter(|t| *t > now)
        };
        Guesses {
            failures,
            window_start,
            blocked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn input() -> TopicInput {
        TopicInput {
            word: "南市研資".into(),
            number: "1150001234".into(),
            branch: "a".into(),
            summary: "114 年度資訊安全稽核結果".into(),
            code: "0183".into(),
            takedown: "2027-01-31".into(),
            public: "yes".into(),
        }
    }

    fn fields(e: Error) -> Vec<&'static str> {
        match e {
            Error::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_topic_names_its_document_by_word_number_and_branch() {
        let t = input().check(date!(2026 - 12 - 03), None).unwrap();
        assert_eq!(t.branch, "A");
        assert_eq!(
            full_number(&t.word, &t.number, &t.branch),
            "南市研資字第1150001234-A號"
        );
        assert_eq!(
            full_number("南市研資", "1150001234", ""),
            "南市研資字第1150001234號"
        );
        assert!(t.public);
    }

    #[test]
    fn the_seeds_field_rules_are_held() {
        let today = date!(2026 - 12 - 03);
        // 公文號 is ten digits; 支號 one letter or digit; 識別碼 four digits.
        for (field, bad) in [
            (
                "number",
                TopicInput {
                    number: "100001001".into(),
                    ..input()
                },
            ),
            (
                "number",
                TopicInput {
                    number: "11500012345".into(),
                    ..input()
                },
            ),
            (
                "number",
                TopicInput {
                    number: "115000123x".into(),
                    ..input()
                },
            ),
            (
                "branch",
                TopicInput {
                    branch: "AB".into(),
                    ..input()
                },
            ),
            (
                "branch",
                TopicInput {
                    branch: "甲".into(),
                    ..input()
                },
            ),
            (
                "code",
                TopicInput {
                    code: "183".into(),
                    ..input()
                },
            ),
            (
                "code",
                TopicInput {
                    code: "01834".into(),
                    ..input()
                },
            ),
            (
                "summary",
                TopicInput {
                    summary: "字".repeat(101),
                    ..input()
                },
            ),
            (
                "word",
                TopicInput {
                    word: "南市 研資".into(),
                    ..input()
                },
            ),
            (
                "takedown",
                TopicInput {
                    takedown: "2026-12-02".into(),
                    ..input()
                },
            ),
            (
                "takedown",
                TopicInput {
                    takedown: "2032-01-01".into(),
                    ..input()
                },
            ),
            (
                "public",
                TopicInput {
                    public: String::new(),
                    ..input()
                },
            ),
        ] {
            assert_eq!(
                fields(bad.check(today, None).unwrap_err()),
                [field],
                "{bad:?}"
            );
        }
        // 支號 and 簡述 are optional.
        let t = TopicInput {
            branch: String::new(),
            summary: String::new(),
            ..input()
        }
        .check(today, None)
        .unwrap();
        assert_eq!((t.branch.as_str(), t.summary.as_str()), ("", ""));
    }

    #[test]
    fn what_people_copy_from_a_document_is_read_as_meant() {
        assert_eq!(check_word("南市民字第").unwrap(), "南市民");
        assert_eq!(check_word("南市民字").unwrap(), "南市民");
        assert_eq!(check_number("１１５０００１２３４").unwrap(), "1150001234");
        assert_eq!(check_number("1150001234號").unwrap(), "1150001234");
        assert_eq!(check_code("０１８３").unwrap(), "0183");
        assert_eq!(check_branch("１").unwrap(), "1");
    }

    #[test]
    fn a_published_topics_code_is_fixed() {
        let t = TopicInput {
            code: "9999".into(),
            ..input()
        }
        .check(date!(2026 - 12 - 03), Some("0183"))
        .unwrap();
        assert_eq!(t.code, "0183");
        // Even a malformed code typed over it changes nothing.
        assert!(
            TopicInput {
                code: "x".into(),
                ..input()
            }
            .check(date!(2026 - 12 - 03), Some("0183"))
            .is_ok()
        );
    }

    #[test]
    fn a_topic_is_served_through_its_takedown_day_in_taipei() {
        let d = date!(2026 - 12 - 31);
        assert!(served(d, datetime!(2026-12-31 15:59 UTC)));
        assert!(
            !served(d, datetime!(2026-12-31 16:00 UTC)),
            "00:00 on 1 January in Taipei"
        );
    }

    #[test]
    fn guesses_are_counted_in_a_window_and_block_at_the_limit() {
        let t0 = datetime!(2026-12-03 02:00 UTC);
        let mut g = None;
        for i in 0..CALLER_GUESSES - 1 {
            let n = Guesses::fail(g.as_ref(), t0 + Duration::seconds(i), CALLER_GUESSES);
            assert!(!Guesses::blocked(Some(&n), t0 + Duration::seconds(i)));
            g = Some(n);
        }
        let t = t0 + Duration::minutes(1);
        let n = Guesses::fail(g.as_ref(), t, CALLER_GUESSES);
        assert!(Guesses::blocked(Some(&n), t), "the tenth failure blocks");
        assert!(Guesses::blocked(Some(&n), t + Duration::minutes(59)));
        assert!(!Guesses::blocked(Some(&n), t + GUESS_BLOCK), "for an hour");
        // Failures spread wider than the window start counting again.
        let late = Guesses::fail(g.as_ref(), t0 + GUESS_WINDOW, CALLER_GUESSES);
        assert_eq!(late.failures, 1);
    }

    #[test]
    fn a_lookup_is_well_formed_before_it_counts() {
        let l = LookupInput {
            word: "南市研資".into(),
            number: "1150001234".into(),
            branch: String::new(),
            code: "0183".into(),
        };
        assert!(l.check().is_ok());
        let bad = LookupInput {
            code: "18".into(),
            ..l
        };
        assert_eq!(fields(bad.check().unwrap_err()), ["code"]);
    }
}
