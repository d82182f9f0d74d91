//! 稽核 (002 §七): the quarterly unit audit and the half-yearly agency
//! audit — their periods, how many usage records and people each must look
//! at, and the reproducible draw of the sample. Pure arithmetic: the store
//! hands in the period's records, this picks which ones are audited.
//!
//! "Audit" elsewhere in Portico is the audit trail (`audit.rs`); these
//! periodic checks of it are inspections.
use crate::msg::Msg;
use time::{Date, Month};

/// The quarter a unit audits, or the half year an agency audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// Quarter 1–4 of a year.
    Quarter { year: i32, q: u8 },
    /// Half 1 (January–June) or 2 (July–December) of a year.
    Half { year: i32, h: u8 },
}

impl Period {
    pub fn quarter(year: i32, q: u8) -> Option<Period> {
        (1..=4).contains(&q).then_some(Period::Quarter { year, q })
    }
    pub fn half(year: i32, h: u8) -> Option<Period> {
        (1..=2).contains(&h).then_some(Period::Half { year, h })
    }

    /// The quarter that ended before the month `today` is in: the one a
    /// unit audits "in the month after the quarter" (002 §七 (一) 1).
    pub fn quarter_before(today: Date) -> Period {
        let q = (today.month() as u8 - 1) / 3 + 1;
        if q == 1 {
            Period::Quarter {
                year: today.year() - 1,
                q: 4,
            }
        } else {
            Period::Quarter {
                year: today.year(),
                q: q - 1,
            }
        }
    }

    /// The quarter `d` falls in.
    pub fn quarter_of(d: Date) -> Period {
        Period::Quarter {
            year: d.year(),
            q: (d.month() as u8 - 1) / 3 + 1,
        }
    }

    /// The half year that ended before `today`'s half: the one the agency
    /// audits each January and July (002 §七 (一) 2).
    pub fn half_before(today: Date) -> Period {
        if (today.month() as u8) <= 6 {
            Period::Half {
                year: today.year() - 1,
                h: 2,
            }
        } else {
            Period::Half {
                year: today.year(),
                h: 1,
            }
        }
    }

    /// The first month, 1–12.
    fn first_month(self) -> u8 {
        match self {
            Period::Quarter { q, .. } => (q - 1) * 3 + 1,
            Period::Half { h, .. } => (h - 1) * 6 + 1,
        }
    }
    pub fn year(self) -> i32 {
        match self {
            Period::Quarter { year, .. } | Period::Half { year, .. } => year,
        }
    }
    /// How many months the period spans.
    pub fn len(self) -> u8 {
        match self {
            Period::Quarter { .. } => 3,
            Period::Half { .. } => 6,
        }
    }
    pub fn is_empty(self) -> bool {
        false
    }

    /// The first day.
    pub fn start(self) -> Date {
        month_start(self.year(), self.first_month())
    }
    /// The day after the last.
    pub fn end(self) -> Date {
        let m = self.first_month() + self.len();
        if m > 12 {
            month_start(self.year() + 1, m - 12)
        } else {
            month_start(self.year(), m)
        }
    }
    /// The months it spans as (year, month 1–12).
    pub fn months(self) -> Vec<(i32, u8)> {
        (0..self.len())
            .map(|i| (self.year(), self.first_month() + i))
            .collect()
    }
    /// Which of its months (0-based) `d` falls in, if any.
    pub fn month_of(self, d: Date) -> Option<u8> {
        if d < self.start() || d >= self.end() {
            return None;
        }
        Some(d.month() as u8 - self.first_month())
    }
    /// The last day the inspection should be done: the end of the month
    /// after the quarter (§七 (一) 1), or of the January or July after the
    /// half (§七 (一) 2).
    pub fn due(self) -> Date {
        let end = self.end();
        let (y, m) = (end.year(), end.month() as u8);
        let next = if m == 12 {
            month_start(y + 1, 1)
        } else {
            month_start(y, m + 1)
        };
        next.previous_day().unwrap_or(next)
    }
    /// For a half year: the day both records must have been sent on, the
    /// end of February or August (§七 (一) 2).
    pub fn send_by(self) -> Date {
        let due = self.due();
        let after = due.next_day().unwrap_or(due);
        let (y, m) = (after.year(), after.month() as u8);
        let next = if m == 12 {
            month_start(y + 1, 1)
        } else {
            month_start(y, m + 1)
        };
        next.previous_day().unwrap_or(next)
    }

    /// "115 年第 1 季" / "2026 Q1"; "115 年上半年" / "2026 H1". Years in the
    /// Republic of China calendar, as government forms write them.
    pub fn label(self) -> Msg {
        let roc = self.year() - 1911;
        match self {
            Period::Quarter { year, q } => {
                Msg::owned(format!("{roc} 年第 {q} 季"), format!("{year} Q{q}"))
            }
            Period::Half { year, h } => Msg::owned(
                format!("{roc} 年{}", if h == 1 { "上半年" } else { "下半年" }),
                format!("{year} H{h}"),
            ),
        }
    }

    /// `2026-Q1`, `2026-H2`: how the store and URLs name it.
    pub fn code(self) -> String {
        match self {
            Period::Quarter { year, q } => format!("{year}-Q{q}"),
            Period::Half { year, h } => format!("{year}-H{h}"),
        }
    }
    pub fn parse(s: &str) -> Option<Period> {
        let (y, rest) = s.split_once('-')?;
        let year: i32 = y.parse().ok()?;
        // The year after a period must exist too.
        if !(2000..=9998).contains(&year) {
            return None;
        }
        match rest.as_bytes() {
            [b'Q', d] => Period::quarter(year, d.wrapping_sub(b'0')),
            [b'H', d] => Period::half(year, d.wrapping_sub(b'0')),
            _ => None,
        }
    }
    /// A half year's two quarters.
    pub fn quarters(self) -> Vec<Period> {
        match self {
            Period::Quarter { .. } => vec![self],
            Period::Half { year, h } => (1..=2)
                .map(|i| Period::Quarter {
                    year,
                    q: (h - 1) * 2 + i,
                })
                .collect(),
        }
    }
}

fn month_start(year: i32, month: u8) -> Date {
    let m = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, m, 1).unwrap_or(Date::MIN)
}

/// 002 §七 (一) 1: how many of a unit's quarter's `n` usage records are
/// audited — 300 when the quarter has 30,000 or more; otherwise at least
/// 1 % and never fewer than 5; all of them when there are fewer than 5.
pub fn unit_records(n: u64) -> u64 {
    if n >= 30_000 {
        300
    } else if n < 5 {
        n
    } else {
        n.div_ceil(100).max(5)
    }
}

/// 002 §七 (一) 1 and 2: at least half (rounded up) of `people`.
pub fn half_of(people: u64) -> u64 {
    people.div_ceil(2)
}

/// One usage record as the draw sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The record's place in the audit chain: what identifies it.
    pub seq: i64,
    /// Which month of the period (0-based) it was used in.
    pub month: u8,
    /// Who used it: the account, or for an agency audit the pair of unit
    /// and account folded into one number by the caller.
    pub person: i64,
}

/// What a sample must hold at least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub records: u64,
    pub people: u64,
}

impl Targets {
    /// A unit's quarter (§七 (一) 1): its record count by `unit_records`,
    /// half its users.
    pub fn unit(rows: &[Row]) -> Targets {
        Targets {
            records: unit_records(rows.len() as u64),
            people: half_of(distinct_people(rows)),
        }
    }
    /// An agency's half year (§七 (一) 2): at least half the people and half
    /// the records its units audited.
    pub fn agency(units_people: u64, units_records: u64) -> Targets {
        Targets {
            records: half_of(units_records),
            people: half_of(units_people),
        }
    }
}

pub fn distinct_people(rows: &[Row]) -> u64 {
    let mut p: Vec<i64> = rows.iter().map(|r| r.person).collect();
    p.sort_unstable();
    p.dedup();
    p.len() as u64
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small generator whose output for
/// a seed is fixed by this code, not by a crate's version, so a stored seed
/// draws the same sample years later.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), by rejection, so no value is favoured.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// Draws a sample from `rows` (in chain order) that meets `targets` and
/// holds a record of every month that has one:
///
/// 1. the people, shuffled, and the first `targets.people` of them each
///    give one of their records;
/// 2. each month with usage that has no record yet gives one;
/// 3. records drawn at random fill the sample up to `targets.records`.
///
/// The same rows and seed give the same sample. Returns indices into
/// `rows`, ascending. When the people or the months need more records
/// than `targets.records`, the sample is larger: the seed's counts are
/// minimums (§七 (一) 1 "不得少於"), and 300 for a large quarter is read
/// the same way.
pub fn draw(rows: &[Row], targets: Targets, seed: u64) -> Vec<usize> {
    let n = rows.len();
    if n as u64 <= targets.records {
        return (0..n).collect();
    }
    let mut rng = SplitMix::new(seed);
    let mut chosen = vec![false; n];
    let mut picks: Vec<usize> = Vec::new();

    // 1. People: each person's records, grouped, in a stable order.
    let mut by_person: Vec<usize> = (0..n).collect();
    by_person.sort_by_key(|&i| (rows[i].person, i));
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (start, len) in by_person
    let mut s = 0;
    while s < n {
        let p = rows[by_person[s]].person;
        let mut e = s;
        while e < n && rows[by_person[e]].person == p {
            e += 1;
        }
        groups.push((s, e - s));
        s = e;
    }
    let want = (targets.people as usize).min(groups.len());
    // A partial Fisher–Yates: the first `want` places are a uniform choice.
    for k in 0..want {
        let j = k + rng.below((groups.len() - k) as u64) as usize;
        groups.swap(k, j);
        let (start, len) = groups[k];
        let i = by_person[start + rng.below(len as u64) as usize];
        take(i, &mut chosen, &mut picks);
    }

    // 2. Months.
    let months = rows
        .iter()
        .map(|r| r.month)
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut covered = vec![false; months];
    for &i in &picks {
        covered[rows[i].month as usize] = true;
    }
    let mut in_month: Vec<Vec<usize>> = vec![Vec::new(); months];
    if covered.iter().any(|c| !c) {
        for (i, r) in rows.iter().enumerate() {
            if !covered[r.month as usize] {
                in_month[r.month as usize].push(i);
            }
        }
    }
    for list in in_month.iter().filter(|l| !l.is_empty()) {
        let i = list[rng.below(list.len() as u64) as usize];
        take(i, &mut chosen, &mut picks);
    }

    // 3. Fill. The sample is at most `targets.records` ≤ n here, and
    // usually a small share of n, so drawing again on a repeat is cheap;
    // when it is most of n, the remaining indices are shuffled instead.
    let goal = (targets.records as usize).max(picks.len());
    if goal - picks.len() > (n - picks.len()) / 2 {
        let mut rest: Vec<usize> = (0..n).filter(|&i| !chosen[i]).collect();
        let need = goal - picks.len();
        for k in 0..need {
            let j = k + rng.below((rest.len() - k) as u64) as usize;
            rest.swap(k, j);
            picks.push(rest[k]);
        }
    } else {
        while picks.len() < goal {
            let i = rng.below(n as u64) as usize;
            take(i, &mut chosen, &mut picks);
        }
    }
    picks.sort_unstable();
    picks
}

fn take(i: usize, chosen: &mut [bool], picks: &mut Vec<usize>) {
    if !chosen[i] {
        chosen[i] = true;
        picks.push(i);
    }
}

/// A rule a sample breaks, for the checker that every drawn sample passes
/// through (and that the tests and the record's page use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    Records { need: u64, got: u64 },
    People { need: u64, got: u64 },
    Month { month: u8 },
    NotInPopulation,
}

impl Shortfall {
    pub fn message(&self) -> Msg {
        match self {
            Shortfall::Records { need, got } => Msg::owned(
                format!("抽樣筆數 {got} 筆，少於應稽核的 {need} 筆"),
                format!("{got} records sampled, fewer than the {need} required"),
            ),
            Shortfall::People { need, got } => Msg::owned(
                format!("抽樣人數 {got} 人，少於應稽核的 {need} 人"),
                format!("{got} people sampled, fewer than the {need} required"),
            ),
            Shortfall::Month { month } => Msg::owned(
                format!("第 {} 個月有使用紀錄，卻不在抽樣範圍", month + 1),
                format!("month {} has usage but none of it is sampled", month + 1),
            ),
            Shortfall::NotInPopulation => Msg::new(
                "抽樣含有不屬於稽核範圍的紀錄",
                "The sample holds a record outside the population",
            ),
        }
    }
}

/// Checks `picks` (indices into `rows`) against `targets` and the months.
pub fn check(rows: &[Row], picks: &[usize], targets: Targets) -> Result<(), Shortfall> {
    let mut seen = vec![false; rows.len()];
    for &i in picks {
        if i >= rows.len() || seen[i] {
            return Err(Shortfall::NotInPopulation);
        }
        seen[i] = true;
    }
    let need = targets.records.min(rows.len() as u64);
    if (picks.len() as u64) < need {
        return Err(Shortfall::Records {
            need,
            got: picks.len() as u64,
        });
    }
    let sampled: Vec<Row> = picks.iter().map(|&i| rows[i]).collect();
    let need = targets.people.min(distinct_people(rows));
    let got = distinct_people(&sampled);
    if got < need {
        return Err(Shortfall::People { need, got });
    }
    let mut months: Vec<u8> = rows.iter().map(|r| r.month).collect();
    months.sort_unstable();
    months.dedup();
    for m in months {
        if !sampled.iter().any(|r| r.month == m) {
            return Err(Shortfall::Month { month: m });
        }
    }
    Ok(())
}

/// Which inspection: a unit's quarter or an agency's half year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Unit,
    Agency,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unit => "unit",
            Kind::Agency => "agency",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Unit, Kind::Agency]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Kind::Unit => Msg::new("單位稽核", "Unit audit"),
            Kind::Agency => Msg::new("機關稽核", "Agency audit"),
        }
    }
}

/// Where an inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Drawn; the auditor is marking.
    Open,
    /// Every record marked and the record signed off.
    Signed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Signed => "signed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [State::Open, State::Signed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            State::Open => Msg::new("稽核中", "In progress"),
            State::Signed => Msg::new("已完成", "Signed off"),
        }
    }
}

/// An auditor's finding on one sampled record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// 正常
    Normal,
    /// 異常: needs a note, and opens a finding.
    Abnormal,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Normal => "normal",
            Mark::Abnormal => "abnormal",
        }
    }
    pub fn parse(s: &str) -> Option<Mark> {
        [Mark::Normal, Mark::Abnormal]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Mark::Normal => Msg::new("正常", "Normal"),
            Mark::Abnormal => Msg::new("異常", "Abnormal"),
        }
    }
}

/// A mark with its note: an 異常 needs a note saying what was wrong.
pub fn check_mark(mark: Mark, note: &str) -> Result<String, crate::Error> {
    let min = usize::from(mark == Mark::Abnormal);
    crate::text::clean_text(note, min, 500).map_err(|m| {
        crate::Error::invalid(
            "note",
            if min == 1 && note.trim().is_empty() {
                Msg::new(
                    "標記為異常時，請說明異常的情形",
                    "Say what was abnormal when marking a record abnormal",
                )
            } else {
                m
            },
        )
    })
}

#[cfg(test)]
mod tests;
