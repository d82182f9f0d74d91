//! The home page's 訊息介接 (issue 17; seed 004 第三節 壹 一): what the
//! city's other systems hold for a person — unread official mail, documents
//! to handle, petitions due, attendance to sign, today's card punches.
//!
//! Each outside system answers one JSON document per person, its contract
//! in `docs/office-systems.md`. What they send is read here with limits: a
//! count is a count, a subject is plain text of bounded length, a link is
//! `http` or `https`, so nothing an outside system says reaches the page
//! as markup or as a script's address.
use crate::content::check_link;
use crate::msg::Msg;
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};

/// One block of 訊息介接, in the seed's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// 公務郵件: read over IMAP, not through this module's contracts.
    Mail,
    /// 公文系統: 待辦, 逾期.
    Documents,
    /// 陳情案件系統 (線上即時服務系統): 待辦 with subjects, 逾期.
    Petitions,
    /// 差勤系統: 待簽, 送審, 代理, 異常.
    Attendance,
    /// 本日刷卡時間.
    Punches,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Mail,
        Source::Documents,
        Source::Petitions,
        Source::Attendance,
        Source::Punches,
    ];

    /// The name in URLs, configuration and saved layouts.
    pub fn key(self) -> &'static str {
        match self {
            Source::Mail => "mail",
            Source::Documents => "documents",
            Source::Petitions => "petitions",
            Source::Attendance => "attendance",
            Source::Punches => "punches",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self) -> Msg {
        match self {
            Source::Mail => Msg::new("公務郵件", "Official mail"),
            Source::Documents => Msg::new("公文系統", "Official documents"),
            Source::Petitions => Msg::new("陳情案件", "Petitions"),
            Source::Attendance => Msg::new("差勤系統", "Attendance"),
            Source::Punches => Msg::new("本日刷卡", "Today's card punches"),
        }
    }
}

/// The most subjects a block lists (the counts are whole).
pub const LISTED: usize = 5;
/// The longest subject shown; longer ones end in "…".
pub const SUBJECT_CHARS: usize = 120;
/// The largest count believed; an outside system's nonsense above it is
/// refused rather than shown.
pub const MAX_COUNT: u32 = 1_000_000;

/// 公務郵件: the unread count and the newest unread messages.
#[derive(Debug, Clone, PartialEq)]
pub struct MailBox {
    pub unread: u32,
    pub latest: Vec<Mail>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub subject: String,
    pub from: String,
    pub received: Option<OffsetDateTime>,
}

/// 公文系統.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsDue {
    pub todo: u32,
    pub overdue: u32,
    pub link: String,
}

/// 陳情案件系統.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Petitions {
    pub todo: u32,
    pub overdue: u32,
    pub latest: Vec<Petition>,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Petition {
    pub subject: String,
    pub due: Option<Date>,
    pub overdue: bool,
}

/// 差勤系統.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub to_sign: u32,
    pub submitted: u32,
    pub deputy: u32,
    pub anomalies: u32,
    pub link: String,
}

/// 本日刷卡時間: today's punches in order (the first is the arrival).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Punches {
    pub date: Date,
    pub times: Vec<Time>,
}

/// What one block shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Mail(MailBox),
    Documents(DocumentsDue),
    Petitions(Petitions),
    Attendance(Attendance),
    Punches(Punches),
}

/// Why an answer was not believed: for the log, never for the page (the
/// page says 暫時無法取得).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAnswer(pub String);

impl std::fmt::Display for BadAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn count(v: u32, what: &str) -> Result<u32, BadAnswer> {
    if v > MAX_COUNT {
        return Err(BadAnswer(format!("{what} {v} is beyond belief")));
    }
    Ok(v)
}

/// A subject from outside as plain text: markup and control characters
/// gone, whitespace folded, at most [`SUBJECT_CHARS`] characters.
pub fn subject(s: &str) -> String {
    let plain = crate::richtext::strip_markup(s);
    let folded: String = plain
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if folded.chars().count() <= SUBJECT_CHARS {
        return folded;
    }
    let mut cut: String = folded.chars().take(SUBJECT_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn link(s: Option<String>) -> Result<String, BadAnswer> {
    check_link(s.as_deref().unwrap_or(""), false)
        .map_err(|_| BadAnswer("its url is not http or https".into()))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, BadAnswer> {
    serde_json::from_slice(body).map_err(|e| BadAnswer(format!("not the contract's JSON: {e}")))
}

#[derive(Deserialize)]
struct DocumentsJson {
    todo: u32,
    overdue: u32,
    url: Option<String>,
}

/// 公文系統's answer: `{"todo": 3, "overdue": 1, "url": "https://…"}`.
pub fn read_documents(body: &[u8]) -> Result<DocumentsDue, BadAnswer> {
    let j: DocumentsJson = parse(body)?;
    Ok(DocumentsDue {
        todo: count(j.todo, "todo")?,
        overdue: count(j.overdue, "overdue")?,
        link: link(j.url)?,
    })
}

#[derive(Deserialize)]
struct PetitionJson {
    subject: String,
    due: Option<String>,
    #[serde(default)]
    overdue: bool,
}

#[derive(Deserialize)]
struct PetitionsJson {
    todo: u32,
    overdue: u32,
    #[serde(default)]
    items: Vec<PetitionJson>,
    url: Option<String>,
}

fn date(s: &str) -> Result<Date, BadAnswer> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| BadAnswer(format!("{s:?} is not a date (YYYY-MM-DD)")))
}

/// 陳情案件系統's answer: `{"todo": 2, "overdue": 1, "items": [{"subject":
/// "…", "due": "2026-12-05", "overdue": false}], "url": "https://…"}`.
pub fn read_petitions(body: &[u8]) -> Result<Petitions, BadAnswer> {
    let j: PetitionsJson = parse(body)?;
    let mut latest = Vec::new();
    for p in j.items.into_iter().take(LISTED) {
        latest.push(Petition {
            subject: subject(&p.subject),
            due: p.due.as_deref().map(date).transpose()?,
            overdue: p.overdue,
        });
    }
    Ok(Petitions {
        todo: count(j.todo, "todo")?,
        overdue: count(j.overdue, "overdue")?,
        latest,
        link: link(j.url)?,
    })
}

#[derive(Deserialize)]
struct AttendanceJson {
    to_sign: u32,
    submitted: u32,
    deputy: u32,
    anomalies: u32,
    url: Option<String>,
}

/// 差勤系統's answer: `{"to_sign": 2, "submitted": 1, "deputy": 0,
/// "anomalies": 1, "url": "https://…"}`.
pub fn read_attendance(body: &[u8]) -> Result<Attendance, BadAnswer> {
    let j: AttendanceJson = parse(body)?;
    Ok(Attendance {
        to_sign: count(j.to_sign, "to_sign")?,
        submitted: count(j.submitted, "submitted")?,
        deputy: count(j.deputy, "deputy")?,
        anomalies: count(j.anomalies, "anomalies")?,
        link: link(j.url)?,
    })
}

#[derive(Deserialize)]
struct PunchesJson {
    date: String,
    punches: Vec<String>,
}

/// 本日刷卡's answer: `{"date": "2026-12-03", "punches": ["08:02",
/// "12:01"]}`. An answer for another day than `today` is refused (a
/// system that lags would show yesterday's arrival as today's).
pub fn read_punches(body: &[u8], today: Date) -> Result<Punches, BadAnswer> {
    let j: PunchesJson = parse(body)?;
    let d = date(&j.date)?;
    if d != today {
        return Err(BadAnswer(format!("punches of {d}, not of today {today}")));
    }
    let mut times = Vec::new();
    for p in j.punches.iter().take(50) {
        let t = Time::parse(p, time::macros::format_description!("[hour]:[minute]"))
            .or_else(|_| {
                Time::parse(
                    p,
                    time::macros::format_description!("[hour]:[minute]:[second]"),
                )
            })
            .map_err(|_| BadAnswer(format!("{p:?} is not a time (HH:MM)")))?;
        times.push(t);
    }
    times.sort();
    Ok(Punches { date: d, times })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn documents_read_counts_and_a_safe_link() {
        let d = read_documents(
            br#"{"todo": 3, "overdue": 1, "url": "https://doc.tainan.gov.tw/todo"}"#,
        )
        .unwrap();
        assert_eq!((d.todo, d.overdue), (3, 1));
        assert_eq!(d.link, "https://doc.tainan.gov.tw/todo");
        let bad = read_documents(br#"{"todo": 3, "overdue": 1, "url": "javascript:alert(1)"}"#);
        assert!(bad.is_err(), "a script address is never offered as a link");
        assert!(read_documents(br#"{"todo": -1, "overdue": 0}"#).is_err());
        assert!(read_documents(br#"{"todo": 4000000000, "overdue": 0}"#).is_err());
        assert!(read_documents(b"<html>").is_err());
    }

    #[test]
    fn petitions_subjects_are_plain_bounded_text() {
        let long = "長".repeat(300);
        let body = format!(
            r#"{{"todo": 7, "overdue": 2, "items": [
                {{"subject": "<b>路燈</b>不亮 <script>x()</script>", "due": "2026-12-05"}},
                {{"subject": "{long}", "overdue": true}},
                {{"subject": "3"}}, {{"subject": "4"}}, {{"subject": "5"}}, {{"subject": "6"}}
            ]}}"#
        );
        let p = read_petitions(body.as_bytes()).unwrap();
        assert_eq!((p.todo, p.overdue), (7, 2));
        assert_eq!(p.latest.len(), LISTED);
        assert_eq!(p.latest[0].subject, "路燈不亮");
        assert_eq!(p.latest[0].due, Some(date!(2026 - 12 - 05)));
        assert_eq!(p.latest[1].subject.chars().count(), SUBJECT_CHARS);
        assert!(p.latest[1].subject.ends_with('…') && p.latest[1].overdue);
        assert!(
            read_petitions(
                br#"{"todo": 1, "overdue": 0, "items": [{"subject": "a", "due": "12/05"}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn punches_are_todays_and_in_order() {
        let today = date!(2026 - 12 - 03);
        let p = read_punches(
            br#"{"date": "2026-12-03", "punches": ["12:01", "08:02:30"]}"#,
            today,
        )
        .unwrap();
        assert_eq!(p.times, vec![time!(08:02:30), time!(12:01)]);
        assert!(
            read_punches(br#"{"date": "2026-12-02", "punches": ["08:02"]}"#, today).is_err(),
            "yesterday's arrival is not shown as today's"
        );
        assert!(
            read_punches(
                r#"{"date": "2026-12-03", "punches": ["8 點"]}"#.as_bytes(),
                today
            )
            .is_err()
        );
    }

    #[test]
    fn attendance_reads_its_four_counts() {
        let a = read_attendance(
            br#"{"to_sign": 2, "submitted": 1, "deputy": 0, "anomalies": 1, "extra": "ignored"}"#,
        )
        .unwrap();
        assert_eq!(
            (a.to_sign, a.submitted, a.deputy, a.anomalies),
            (2, 1, 0, 1)
        );
        assert!(read_attendance(br#"{"to_sign": 2}"#).is_err());
    }

    #[test]
    fn sources_round_trip_their_keys() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.key()), Some(s));
        }
        assert_eq!(Source::parse("feeds"), None);
    }
}
