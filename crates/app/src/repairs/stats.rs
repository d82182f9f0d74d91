//! A repair type's 處理狀況 (§玖 六 (四)): the reports of a period counted
//! by state, by day or month and by reporting unit, for the charts; and
//! the period's reports exported in the seed's columns (報表匯出範例).
use crate::export::{Sheet, Table};
use crate::inspections::RecordFile;
use crate::{App, Result};
use portico_core::booking::at_hour;
use portico_core::permission::Principal;
use portico_core::repair::RepairState;
use portico_core::time::{TAIPEI, date_str};
use portico_core::{Error, Msg};
use portico_store::Page;
use portico_store::repairs::{self as store, RepairFilter, RepairRow};
use std::collections::BTreeMap;
use time::{Date, Month};

/// Reports of one day or month, by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodCount {
    /// `2026/11` or `11/03`.
    pub label: String,
    pub pending: i64,
    pub done: i64,
    pub rated: i64,
}

impl PeriodCount {
    pub fn total(&self) -> i64 {
        self.pending + self.done + self.rated
    }
}

/// One reporting unit's reports (單位案件統計).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitCount {
    pub unit: String,
    pub total: i64,
    pub pending: i64,
    /// 已處理, rated or not.
    pub handled: i64,
    pub returns: i64,
    pub ratings: i64,
    pub rating_sum: i64,
}

impl UnitCount {
    /// The mean score, one decimal, or — when none is rated.
    pub fn mean_rating(&self) -> String {
        if self.ratings == 0 {
            "—".into()
        } else {
            format!("{:.1}", self.rating_sum as f64 / self.ratings as f64)
        }
    }
}

/// A period's statistics (處理狀況統計).
#[derive(Debug, Clone)]
pub struct RepairStats {
    pub from: Date,
    pub until: Date,
    /// By day for a period of up to 31 days, by month beyond.
    pub by_month: bool,
    pub periods: Vec<PeriodCount>,
    pub units: Vec<UnitCount>,
    pub total: UnitCount,
}

impl RepairStats {
    /// Nothing counted (a period refused).
    pub fn empty(from: Date, until: Date) -> RepairStats {
        RepairStats {
            from,
            until,
            by_month: false,
            periods: Vec::new(),
            units: Vec::new(),
            total: UnitCount::default(),
        }
    }
}

/// The longest period asked at once.
const MAX_DAYS: i64 = 3 * 366;

fn check_period(from: Date, until: Date) -> Result<()> {
    if from > until {
        return Err(Error::invalid(
            "until",
            Msg::new(
                "結束日期不可早於開始日期",
                "The end date is before the start",
            ),
        ));
    }
    if (until - from).whole_days() > MAX_DAYS {
        return Err(Error::invalid(
            "from",
            Msg::new("查詢期間至多三年", "The period is at most three years"),
        ));
    }
    Ok(())
}

/// A type's reports made between two Taipei dates, both kept.
fn in_period(type_id: i64, (from, until): (Date, Date)) -> RepairFilter<'static> {
    RepairFilter {
        type_id: Some(type_id),
        from: Some(at_hour(from, 0)),
        until: Some(at_hour(until, 24)),
        ..Default::default()
    }
}

fn month_label(d: Date) -> String {
    format!("{}/{:02}", d.year(), u8::from(d.month()))
}

fn next_month(d: Date) -> Date {
    let (y, m) = if d.month() == Month::December {
        (d.year() + 1, Month::January)
    } else {
        (d.year(), d.month().next())
    };
    Date::from_calendar_date(y, m, 1).unwrap_or(d)
}

impl App {
    /// A type's reports between two Taipei dates (both kept), counted, for
    /// its keepers.
    pub async fn repair_stats(
        &self,
        actor: &Principal,
        type_id: i64,
        (from, until): (Date, Date),
    ) -> Result<RepairStats> {
        check_period(from, until)?;
        let mut c = self.db.read().await?;
        self.kept_repair_type(&mut c, actor, type_id).await?;
        let f = in_period(type_id, (from, until));
        let rows = store::stat_rows(&mut c, &f).await?;
        let by_month = (until - from).whole_days() > 31;
        // Every day or month of the period has its bar, empty or not.
        let mut periods: BTreeMap<Date, PeriodCount> = BTreeMap::new();
        let mut d = if by_month {
            from.replace_day(1).unwrap_or(from)
        } else {
            from
        };
        while d <= until {
            let label = if by_month {
                month_label(d)
            } else {
                format!("{:02}/{:02}", u8::from(d.month()), d.day())
            };
            periods.insert(
                d,
                PeriodCount {
                    label,
                    ..Default::default()
                },
            );
            d = if by_month {
                next_month(d)
            } else {
                d.next_day().unwrap_or(Date::MAX)
            };
        }
        let mut units: BTreeMap<String, UnitCount> = BTreeMap::new();
        let mut total = UnitCount::default();
        for r in &rows {
            let day = r.created_at.to_offset(TAIPEI).date();
            let key = if by_month {
                day.replace_day(1).unwrap_or(day)
            } else {
                day
            };
            if let Some(p) = periods.get_mut(&key) {
                match r.state {
                    RepairState::Pending => p.pending += 1,
                    RepairState::Done => p.done += 1,
                    RepairState::Rated => p.rated += 1,
                }
            }
            let unit = if r.unit_name.is_empty() {
                "—"
            } else {
                &r.unit_name
            };
            for u in [units.entry(unit.to_owned()).or_default(), &mut total] {
                u.total += 1;
                if r.state == RepairState::Pending {
                    u.pending += 1;
                } else {
                    u.handled += 1;
                }
                u.returns += r.returns;
                if let Some(s) = r.rating {
                    u.ratings += 1;
                    u.rating_sum += s;
                }
            }
        }
        let mut units: Vec<UnitCount> = units
            .into_iter()
            .map(|(unit, u)| UnitCount { unit, ..u })
            .collect();
        units.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.unit.cmp(&b.unit)));
        total.unit = "合計".into();
        Ok(RepairStats {
            from,
            until,
            by_month,
            periods: periods.into_values().collect(),
            units,
            total,
        })
    }

    /// A type's reports of a period, newest first, for its keepers.
    pub async fn type_repairs(
        &self,
        actor: &Principal,
        type_id: i64,
        (from, until): (Date, Date),
        page: u32,
    ) -> Result<Page<RepairRow>> {
        check_period(from, until)?;
        let mut c = self.db.read().await?;
        self.kept_repair_type(&mut c, actor, type_id).await?;
        let f = in_period(type_id, (from, until));
        store::repairs(&mut c, &f, page, 20).await
    }

    /// A type's reports of a period in the seed's columns (報表匯出範例),
    /// xlsx or ODS, for its keepers.
    pub async fn repair_sheet(
        &self,
        actor: &Principal,
        type_id: i64,
        (from, until): (Date, Date),
        format: Sheet,
    ) -> Result<RecordFile> {
        check_period(from, until)?;
        let mut c = self.db.read().await?;
        let (t, _) = self.kept_repair_type(&mut c, actor, type_id).await?;
        let f = in_period(type_id, (from, until));
        let mut rows = store::repairs(&mut c, &f, 1, 0).await?.items;
        rows.reverse();
        let replies = store::last_replies(&mut c, &f).await?;
        let minute = |t: time::OffsetDateTime| {
            let t = t.to_offset(TAIPEI);
            format!("{} {:02}:{:02}", date_str(t.date()), t.hour(), t.minute())
        };
        let table = Table {
            name: "報修處理狀況",
            headers: [
                "報修類型",
                "報修單位",
                "報修人員",
                "報修人員公務電話",
                "所在地點",
                "所在樓層",
                "報修日期",
                "故障原因",
                "處理狀況",
                "退回次數",
                "處理狀況詳細",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|r| {
                    let phone = if r.ext.is_empty() {
                        r.phone.clone()
                    } else {
                        format!("{}#{}", r.phone, r.ext)
                    };
                    // The seed writes the dates with slashes: 2024/07/12 06:29.
                    let reported = minute(r.created_at).replace('-', "/");
                    let detail = match replies.get(&r.id) {
                        Some(s) if r.state != RepairState::Pending => {
                            let mut d = format!(
                                "處理人員：{} 處理時間：{} 處理結果：{}",
                                s.by_name.clone().unwrap_or_default(),
                                minute(s.at),
                                s.text
                            );
                            if !s.category.is_empty() {
                                d.push_str(&format!(" 分類：{}-{}", t.name, s.category));
                            }
                            if let Some(score) = r.rating {
                                d.push_str(&format!(" 評分：{score}"));
                                if !r.rating_note.is_empty() {
                                    d.push_str(&format!(" 備註：{}", r.rating_note));
                                }
                            }
                            d
                        }
                        _ => String::new(),
                    };
                    vec![
                        r.type_name.clone(),
                        r.unit_name.clone(),
                        r.reporter_name.clone(),
                        phone,
                        r.location.clone(),
                        r.floor.clone(),
                        reported,
                        r.fault.clone(),
                        r.state.export_label().to_owned(),
                        r.returns.to_string(),
                        detail,
                    ]
                })
                .collect(),
        };
        Ok(RecordFile {
            name: format!(
                "報修處理狀況-{}-{}_{}.{}",
                t.name,
                date_str(from),
                date_str(until),
                format.extension()
            ),
            content_type: format.content_type(),
            bytes: crate::export::table(&table, format)?,
        })
    }
}
