//! Usage records (使用紀錄) and the reasons a query gives (查詢原因):
//! 002 §六 (三) 2 — "使用系統查詢時，應輸入正確案件號、公文號或敘明需使用
//! 系統的原因，以備稽查". What an application reports through the usage API
//! and what a person gives before the portal shows another person's data
//! are checked here.
use crate::error::{Error, FieldError};
use crate::msg::Msg;
use crate::text::clean_text;
use time::{Duration, OffsetDateTime};

/// What a reason names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// 案件號
    Case,
    /// 公文號
    Document,
    /// 敘明原因
    Other,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 3] = [ReasonKind::Case, ReasonKind::Document, ReasonKind::Other];
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::Case => "case",
            ReasonKind::Document => "document",
            ReasonKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<ReasonKind> {
        ReasonKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            ReasonKind::Case => Msg::new("案件號", "Case number"),
            ReasonKind::Document => Msg::new("公文號", "Document number"),
            ReasonKind::Other => Msg::new("查詢原因", "Reason"),
        }
    }
}

/// A reason given for a query: its kind and text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    pub text: String,
}

impl Reason {
    /// Checks what a person typed: a kind, and 2–200 characters of text.
    pub fn parse(kind: &str, text: &str) -> Result<Reason, Error> {
        let kind = ReasonKind::parse(kind.trim()).ok_or_else(|| {
            Error::invalid(
                "reason_kind",
                Msg::new(
                    "請選擇案件號、公文號或敘明原因",
                    "Choose a case number, a document number or a reason",
                ),
            )
        })?;
        let text = clean_text(text, 2, 200).map_err(|m| {
            Error::invalid(
                "reason",
                if text.trim().is_empty() {
                    Msg::new(
                        "請填寫案件號、公文號或查詢原因，以備稽查",
                        "Give the case number, document number or reason, for the audit",
                    )
                } else {
                    m
                },
            )
        })?;
        Ok(Reason { kind, text })
    }

    /// "案件號 1130001" as a record shows it.
    pub fn describe(&self) -> Msg {
        let l = self.kind.label();
        Msg::owned(
            format!("{}：{}", l.zh, self.text),
            format!("{}: {}", l.en, self.text),
        )
    }
}

/// Who an application's record is about: the `sub` it received, or the
/// login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    Sub(i64),
    Login(String),
}

/// One record as an application sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecordIn {
    /// When it was used (RFC 3339).
    pub time: String,
    pub sub: String,
    pub login: String,
    pub action: String,
    pub object: String,
    pub reason: String,
    pub reason_kind: String,
    /// The application's own id for the record, so a retried batch is
    /// recorded once.
    pub id: String,
}

/// A checked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub used: OffsetDateTime,
    pub who: Who,
    pub action: String,
    pub object: String,
    pub reason: Reason,
    pub ext_id: Option<String>,
}

/// The most records one call carries.
pub const MAX_BATCH: usize = 1_000;
/// How far back a record may be: a quarter and the month its audit runs in.
pub const MAX_AGE: Duration = Duration::days(120);
/// How far ahead of the portal's clock a record may be.
pub const MAX_SKEW: Duration = Duration::minutes(5);

/// Checks a batch. Every problem is reported at once, each naming its
/// record by position (from 1); one bad record refuses the whole batch, so
/// a batch is recorded whole or not at all.
pub fn check_batch(batch: &[RecordIn], now: OffsetDateTime) -> Result<Vec<Record>, Error> {
    if batch.is_empty() || batch.len() > MAX_BATCH {
        return Err(Error::invalid(
            "records",
            Msg::owned(
                format!(
                    "每次請送 1 至 {MAX_BATCH} 筆使用紀錄（這次 {} 筆）",
                    batch.len()
                ),
                format!(
                    "Send 1 to {MAX_BATCH} usage records per call (this one has {})",
                    batch.len()
                ),
            ),
        ));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    let mut ids: Vec<&str> = Vec::new();
    for (i, r) in batch.iter().enumerate() {
        let n = i + 1;
        let mut bad = |field: &str, m: Msg| {
            errors.push(FieldError {
                field: "records",
                message: Msg::owned(
                    format!("第 {n} 筆 {field}：{}", m.zh),
                    format!("record {n} {field}: {}", m.en),
                ),
            })
        };
        let used = match OffsetDateTime::parse(
            r.time.trim(),
            &time::format_description::well_known::Rfc3339,
        ) {
            Ok(t) if t > now + MAX_SKEW => {
                bad(
                    "time",
                    Msg::new("使用時間晚於現在", "The time of use is in the future"),
                );
                None
            }
            Ok(t) if t < now - MAX_AGE => {
                bad(
                    "time",
                    Msg::new(
                        "使用時間超過 120 天前，已不在可回報的範圍",
                        "The time of use is more than 120 days ago, too late to report",
                    ),
                );
                None
            }
            Ok(t) => Some(t),
            Err(_) => {
                bad(
                    "time",
                    Msg::new(
                        "請以 RFC 3339 格式填寫使用時間，例如 2026-11-03T10:15:00+08:00",
                        "Give the time of use in RFC 3339, e.g. 2026-11-03T10:15:00+08:00",
                    ),
                );
                None
            }
        };
        let who = match (r.sub.trim(), r.login.trim()) {
            (s, "") if !s.is_empty() => match s.parse::<i64>() {
                Ok(v) if v > 0 => Some(Who::Sub(v)),
                _ => {
                    bad(
                        "sub",
                        Msg::new(
                            "sub 應為登入時取得的識別碼",
                            "sub must be the identifier the sign-in gave",
                        ),
                    );
                    None
                }
            },
            ("", l) if !l.is_empty() && l.chars().count() <= 64 => Some(Who::Login(l.to_owned())),
            ("", "") => {
                bad(
                    "sub",
                    Msg::new(
                        "請填寫 sub 或 login，指明使用者",
                        "Name the person by sub or login",
                    ),
                );
                None
            }
            _ => {
                bad(
                    "sub",
                    Msg::new("sub 與 login 請擇一填寫", "Give sub or login, not both"),
                );
                None
            }
        };
        let action = clean_text(&r.action, 1, 100)
            .map_err(|m| bad("action", m))
            .ok();
        let object = clean_text(&r.object, 0, 500)
            .map_err(|m| bad("object", m))
            .ok();
        let kind = if r.reason_kind.trim().is_empty() {
            "other"
        } else {
            r.reason_kind.as_str()
        };
        let reason = match Reason::parse(kind, &r.reason) {
            Ok(v) => Some(v),
            Err(Error::Invalid(f)) => {
                for e in f {
                    bad(e.field, e.message);
                }
                None
            }
            Err(_) => None,
        };
        let id = r.id.trim();
        let ext_id = if id.is_empty() {
            Some(None)
        } else if id.len() > 100 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            bad(
                "id",
                Msg::new(
                    "id 最多 100 個英數字元",
                    "id is at most 100 printable ASCII characters",
                ),
            );
            None
        } else if ids.contains(&id) {
            bad(
                "id",
                Msg::new("同一批次中 id 重複", "The id repeats within the batch"),
            );
            None
        } else {
            ids.push(id);
            Some(Some(id.to_owned()))
        };
        if let (Some(used), Some(who), Some(action), Some(object), Some(reason), Some(ext_id)) =
            (used, who, action, object, reason, ext_id)
        {
            out.push(Record {
                used,
                who,
                action,
                object,
                reason,
                ext_id,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.truncate(50);
        Err(Error::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-03 02:00 UTC);

    fn rec(time: &str) -> RecordIn {
        RecordIn {
            time: time.into(),
            login: "wang".into(),
            action: "查詢地籍".into(),
            object: "大安區仁愛段一小段 100 地號".into(),
            reason: "北市地字第 1130001 號".into(),
            reason_kind: "document".into(),
            ..Default::default()
        }
    }

    #[test]
    fn every_usage_record_states_its_reason() {
        let mut r = rec("2026-11-03T09:00:00+08:00");
        r.reason = " ".into();
        let Err(Error::Invalid(f)) = check_batch(&[r], NOW) else {
            panic!("a record without a reason was taken");
        };
        assert!(f[0].message.zh.contains("第 1 筆 reason"), "{:?}", f);
    }

    #[test]
    fn a_good_batch_is_checked_whole() {
        let ok = check_batch(
            &[
                rec("2026-11-03T09:00:00+08:00"),
                rec("2026-11-02T09:00:00Z"),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].reason.kind, ReasonKind::Document);
        assert_eq!(ok[0].who, Who::Login("wang".into()));
    }

    #[test]
    fn each_bad_record_is_named_and_nothing_is_taken() {
        let mut future = rec("2026-11-03T11:00:00+08:00");
        future.id = "a".into();
        let mut dup = rec("2026-11-03T09:00:00+08:00");
        dup.id = "a".into();
        let mut both = rec("2026-11-03T09:00:00+08:00");
        both.sub = "7".into();
        let old = rec("2026-06-01T09:00:00+08:00");
        let Err(Error::Invalid(f)) = check_batch(&[rec("yesterday"), future, dup, both, old], NOW)
        else {
            panic!("bad records were taken");
        };
        let m: Vec<&str> = f.iter().map(|e| e.message.zh.as_ref()).collect();
        assert!(m[0].starts_with("第 1 筆 time"), "{m:?}");
        assert!(m[1].starts_with("第 2 筆 time"), "{m:?}");
        assert!(m[2].starts_with("第 3 筆 id"), "{m:?}");
        assert!(m[3].starts_with("第 4 筆 sub"), "{m:?}");
        assert!(m[4].starts_with("第 5 筆 time"), "{m:?}");
    }

    #[test]
    fn a_batch_holds_1_to_1000_records() {
        assert!(check_batch(&[], NOW).is_err());
        let many = vec![rec("2026-11-03T09:00:00+08:00"); MAX_BATCH + 1];
        assert!(check_batch(&many, NOW).is_err());
        assert_eq!(
            check_batch(&many[..MAX_BATCH], NOW).unwrap().len(),
            MAX_BATCH
        );
    }

    #[test]
    fn a_query_reason_names_its_kind_and_text() {
        let r = Reason::parse("case", " 1130001 ").unwrap();
        assert_eq!(r.describe().zh, "案件號：1130001");
        assert!(Reason::parse("case", "").is_err());
        assert!(Reason::parse("whim", "x").is_err());
    }
}
