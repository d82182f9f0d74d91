//! Office services' bookings (issue 16; seed 004 §捌 二–四, §玖 一–五):
//! what can be booked (a venue, an official car, a driver), who may borrow
//! it, its opening hours, and a request checked against them. Bookings
//! are whole hours in Asia/Taipei (the seed's 登記時段 8:00 – 9:00 …); an
//! approved booking takes one slot row per hour, which the database holds
//! unique — no double booking by a read-then-write check.
use crate::error::{Error, FieldError};
use crate::msg::Msg;
use crate::text::clean_text;
use crate::time::TAIPEI;
use time::{Date, Duration, OffsetDateTime, Weekday};

mod car;
pub use car::*;

/// What a booking takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Venue,
    Car,
    Driver,
    /// A repair type (報修類型): kept like the others, never booked.
    Repair,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Venue => "venue",
            Kind::Car => "car",
            Kind::Driver => "driver",
            Kind::Repair => "repair",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Venue, Kind::Car, Kind::Driver, Kind::Repair]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Kind::Venue => Msg::new("場地", "Venue"),
            Kind::Car => Msg::new("公務車", "Official car"),
            Kind::Driver => Msg::new("派遣司機", "Driver"),
            Kind::Repair => Msg::new("報修類型", "Repair type"),
        }
    }
}

/// Who may borrow (允許借用機關).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Borrowers {
    /// 全府: anyone of the city.
    City,
    /// 僅限機關同仁借用（不含所屬機關）: the managing agency's own people.
    Agency,
    /// 開放機關同仁及其他機關人員借用: the agency's people and the agencies listed.
    AgencyAnd,
}

impl Borrowers {
    pub const ALL: [Borrowers; 3] = [Borrowers::City, Borrowers::Agency, Borrowers::AgencyAnd];
    pub fn as_str(self) -> &'static str {
        match self {
            Borrowers::City => "city",
            Borrowers::Agency => "agency",
            Borrowers::AgencyAnd => "agency_and",
        }
    }
    pub fn parse(s: &str) -> Option<Borrowers> {
        Borrowers::ALL.into_iter().find(|b| b.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Borrowers::City => Msg::new("全府", "The whole city"),
            Borrowers::Agency => Msg::new(
                "僅限機關同仁借用（不含所屬機關）",
                "The agency's own people (not its subordinate agencies)",
            ),
            Borrowers::AgencyAnd => Msg::new(
                "開放機關同仁及指定機關人員借用",
                "The agency's people and the agencies listed",
            ),
        }
    }
}

/// May a person of `agency` borrow an item of `owner` open to `who`,
/// with `listed` the agencies named for [`Borrowers::AgencyAnd`]?
pub fn may_borrow(who: Borrowers, owner: i64, listed: &[i64], agency: Option<i64>) -> bool {
    let Some(agency) = agency else {
        return false;
    };
    match who {
        Borrowers::City => true,
        Borrowers::Agency => agency == owner,
        Borrowers::AgencyAnd => agency == owner || listed.contains(&agency),
    }
}

/// Opening hours (開放借用時間): whole hours, `from` < `until` ≤ 24, on
/// the days set (Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Opening {
    pub from: u8,
    pub until: u8,
    /// Bit 0 Monday … bit 6 Sunday.
    pub days: u8,
}

impl Opening {
    /// Weekdays, 8:00 – 18:00.
    pub const OFFICE: Opening = Opening {
        from: 8,
        until: 18,
        days: 0b001_1111,
    };

    pub fn check(from: u8, until: u8, days: u8) -> Result<Opening, FieldError> {
        if from >= until || until > 24 {
            return Err(fe(
                "open_from",
                Msg::new(
                    "開放借用時間的結束須晚於開始（整點，0–24 時）",
                    "Opening hours end after they start (whole hours, 0–24)",
                ),
            ));
        }
        if days & 0b111_1111 == 0 {
            return Err(fe(
                "open_days",
                Msg::new("請至少選擇一個開放日", "Choose at least one opening day"),
            ));
        }
        Ok(Opening {
            from,
            until,
            days: days & 0b111_1111,
        })
    }

    pub fn open_on(&self, d: Date) -> bool {
        self.days & (1 << d.weekday().number_days_from_monday()) != 0
    }

    /// Open for the whole span: its day and all its hours.
    pub fn covers(&self, span: &Span) -> bool {
        self.open_on(span.date) && span.from >= self.from && span.until <= self.until
    }

    /// The opening hours as the seed writes them: 8:00 - 18:00.
    pub fn hours_text(&self) -> String {
        format!("{}:00 - {}:00", self.from, self.until)
    }
}

/// A span of whole hours on one day, Asia/Taipei.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    pub date: Date,
    pub from: u8,
    pub until: u8,
}

impl Span {
    pub fn start(&self) -> OffsetDateTime {
        at_hour(self.date, self.from)
    }
    pub fn end(&self) -> OffsetDateTime {
        at_hour(self.date, self.until)
    }
    /// The start of each hour it takes.
    pub fn slots(&self) -> Vec<OffsetDateTime> {
        (self.from..self.until)
            .map(|h| at_hour(self.date, h))
            .collect()
    }
    pub fn text(&self) -> String {
        format!(
            "{} {}:00 - {}:00",
            crate::time::date_str(self.date),
            self.from,
            self.until
        )
    }
}

/// Hour `h` (0–24) of a day in Taipei, as an instant.
pub fn at_hour(d: Date, h: u8) -> OffsetDateTime {
    crate::time::taipei_day_start(d) + Duration::hours(i64::from(h))
}

/// The Monday of the week `d` is in.
pub fn week_start(d: Date) -> Date {
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// Today in Taipei.
pub fn today(now: OffsetDateTime) -> Date {
    now.to_offset(TAIPEI).date()
}

fn fe(field: &'static str, message: Msg) -> FieldError {
    FieldError { field, message }
}

/// How far ahead a booking may be made: a year.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// Checks a span against the item's opening: a real date, whole hours in
/// order, open that day, within the hours, not begun yet, and at most a
/// year ahead.
pub fn check_span(
    date: &str,
    from: &str,
    until: &str,
    open: &Opening,
    now: OffsetDateTime,
) -> Result<Span, Error> {
    let mut errs = Vec::new();
    let d = crate::time::parse_date(date.trim());
    if d.is_none() {
        errs.push(fe(
            "date",
            Msg::new(
                "請選擇借用日期（如 2026-12-31）",
                "Choose the date (such as 2026-12-31)",
            ),
        ));
    }
    let hour = |s: &str| {
        s.trim()
            .split(':')
            .next()
            .and_then(|h| h.parse::<u8>().ok())
    };
    let (f, u) = (hour(from), hour(until));
    match (f, u) {
        (Some(f), Some(u)) if f < u && u <= 24 => {}
        _ => errs.push(fe(
            "until",
            Msg::new(
                "請選擇登記時段，結束須晚於開始",
                "Choose the hours; the end comes after the start",
            ),
        )),
    }
    let (Some(d), Some(f), Some(u)) = (d, f, u) else {
        return Err(Error::Invalid(errs));
    };
    if !errs.is_empty() {
        return Err(Error::Invalid(errs));
    }
    let span = Span {
        date: d,
        from: f,
        until: u,
    };
    if !open.open_on(d) {
        errs.push(fe(
            "date",
            Msg::owned(
                format!("{} 不開放借用，請改選開放日", weekday_zh(d.weekday())),
                format!("Not open on {}s; choose an opening day", d.weekday()),
            ),
        ));
    } else if f < open.from || u > open.until {
        errs.push(fe(
            "until",
            Msg::owned(
                format!("登記時段須在開放借用時間 {} 內", open.hours_text()),
                format!("The hours must be within {}", open.hours_text()),
            ),
        ));
    }
    if span.start() <= now {
        errs.push(fe(
            "date",
            Msg::new(
                "只能借用尚未開始的時段",
                "Only hours that have not begun can be booked",
            ),
        ));
    }
    let last = today(now) + Duration::days(MAX_DAYS_AHEAD);
    if d > last {
        errs.push(fe(
            "date",
            Msg::owned(
                format!(
                    "最遠只能登記一年內的時段（{} 以前）",
                    crate::time::date_str(last)
                ),
                format!(
                    "Bookings go at most a year ahead (until {})",
                    crate::time::date_str(last)
                ),
            ),
        ));
    }
    if errs.is_empty() {
        Ok(span)
    } else {
        Err(Error::Invalid(errs))
    }
}

pub fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "星期一",
        Weekday::Tuesday => "星期二",
        Weekday::Wednesday => "星期三",
        Weekday::Thursday => "星期四",
        Weekday::Friday => "星期五",
        Weekday::Saturday => "星期六",
        Weekday::Sunday => "星期日",
    }
}

/// A text field cleaned, its fault kept beside the others'.
pub(crate) fn text_in(
    errs: &mut Vec<FieldError>,
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> String {
    clean_text(s, min, max).unwrap_or_else(|m| {
        errs.push(fe(field, m));
        String::new()
    })
}

/// The opening hours and days (開放借用時間) as a form sends them.
pub(crate) fn check_opening(
    from: &str,
    until: &str,
    days: &str,
    errs: &mut Vec<FieldError>,
) -> Option<Opening> {
    let hour = |s: &str| {
        s.trim()
            .split(':')
            .next()
            .and_then(|h| h.parse::<u8>().ok())
    };
    let days = if days.trim().is_empty() {
        Opening::OFFICE.days
    } else {
        days.chars()
            .take(7)
            .enumerate()
            .filter(|(_, c)| *c == '1')
            .fold(0u8, |m, (i, _)| m | (1 << i))
    };
    match (hour(from), hour(until)) {
        (Some(f), Some(u)) => match Opening::check(f, u, days) {
            Ok(o) => Some(o),
            Err(e) => {
                errs.push(e);
                None
            }
        },
        _ => {
            errs.push(fe(
                "open_from",
                Msg::new("請選擇開放借用時間", "Choose the opening hours"),
            ));
            None
        }
    }
}

/// Who may borrow (允許借用機關) and the agencies listed for 指定機關.
pub(crate) fn check_borrowers(
    borrowers: &str,
    listed: &[i64],
    errs: &mut Vec<FieldError>,
) -> (Option<Borrowers>, Vec<i64>) {
    let borrowers = Borrowers::parse(borrowers.trim());
    if borrowers.is_none() {
        errs.push(fe(
            "borrowers",
            Msg::new("請選擇允許借用機關", "Choose who may borrow it"),
        ));
    }
    let mut agencies = listed.to_vec();
    agencies.sort_unstable();
    agencies.dedup();
    if borrowers == Some(Borrowers::AgencyAnd) && agencies.is_empty() {
        errs.push(fe(
            "agencies",
            Msg::new(
                "請加入至少一個可借用的其他機關",
                "Add at least one other agency that may borrow it",
            ),
        ));
    }
    if borrowers != Some(Borrowers::AgencyAnd) {
        agencies.clear();
    }
    (borrowers, agencies)
}

/// The applicant's office phone and extension (登記者公務電話, 分機).
pub(crate) fn check_contact(
    phone: &str,
    ext: &str,
    errs: &mut Vec<FieldError>,
) -> (String, String) {
    let phone = phone.trim();
    if !(5..=20).contains(&phone.len())
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || "-()# ".contains(c))
    {
        errs.push(fe(
            "phone",
            Msg::new(
                "請輸入登記者公務電話（數字，可含 - ）",
                "Enter your office phone (digits, - allowed)",
            ),
        ));
    }
    let ext = ext.trim();
    if ext.len() > 10 || !ext.chars().all(|c| c.is_ascii_digit()) {
        errs.push(fe(
            "ext",
            Msg::new(
                "分機請輸入數字（至多 10 碼）",
                "The extension is digits (up to 10)",
            ),
        ));
    }
    (phone.to_owned(), ext.to_owned())
}

/// A venue as its creator or custodian types it (場地資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VenueInput {
    pub location: String,
    pub floor: String,
    pub name: String,
    pub agency_id: Option<i64>,
    pub capacity: String,
    pub open_from: String,
    pub open_until: String,
    /// Monday first, "1" for open: `1111100`.
    pub open_days: String,
    pub phone: String,
    pub description: String,
    pub rules: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
}

/// A venue checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venue {
    pub location: String,
    pub floor: String,
    pub name: String,
    pub agency_id: i64,
    pub capacity: i64,
    pub opening: Opening,
    pub phone: String,
    pub description: String,
    pub rules: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
}

/// The most people a venue holds.
pub const MAX_CAPACITY: i64 = 5000;

impl VenueInput {
    /// Every field at once: a person sees all that is wrong.
    pub fn check(&self) -> Result<Venue, Error> {
        let mut errs = Vec::new();
        let location = text_in(&mut errs, "location", &self.location, 1, 50);
        let floor = text_in(&mut errs, "floor", &self.floor, 1, 20);
        let name = text_in(&mut errs, "name", &self.name, 1, 60);
        let phone = text_in(&mut errs, "phone", &self.phone, 0, 30);
        let description = text_in(&mut errs, "description", &self.description, 0, 1000);
        let rules = text_in(&mut errs, "rules", &self.rules, 0, 2000);
        if self.agency_id.is_none() {
            errs.push(fe(
                "agency_id",
                Msg::new("請選擇管理機關", "Choose the managing agency"),
            ));
        }
        let capacity = match self.capacity.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_CAPACITY).contains(&n) => n,
            _ => {
                errs.push(fe(
                    "capacity",
                    Msg::owned(
                        format!("容納人數請輸入 1 到 {MAX_CAPACITY} 的整數"),
                        format!("Capacity is a whole number from 1 to {MAX_CAPACITY}"),
                    ),
                ));
                0
            }
        };
        let opening = check_opening(
            &self.open_from,
            &self.open_until,
            &self.open_days,
            &mut errs,
        );
        let (borrowers, agencies) = check_borrowers(&self.borrowers, &self.agencies, &mut errs);
        match (self.agency_id, opening, borrowers) {
            (Some(agency_id), Some(opening), Some(borrowers)) if errs.is_empty() => Ok(Venue {
                location,
                floor,
                name,
                agency_id,
                capacity,
                opening,
                phone,
                description,
                rules,
                public: self.public,
                agencies,
                borrowers,
            }),
            _ => Err(Error::Invalid(errs)),
        }
    }
}

/// A venue booking request as the form sends it (申請資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VenueRequestInput {
    pub date: String,
    pub from: String,
    pub until: String,
    pub phone: String,
    pub ext: String,
    /// 借用單位: the person's agency unless they choose a unit they belong to.
    pub unit_id: Option<i64>,
    pub people: String,
    pub host: String,
    pub purpose: String,
}

/// A request checked against the venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRequest {
    pub span: Span,
    pub phone: String,
    pub ext: String,
    pub people: i64,
    pub host: String,
    pub purpose: String,
}

impl VenueRequestInput {
    pub fn check(
        &self,
        open: &Opening,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<VenueRequest, Error> {
        let mut errs = match check_span(&self.date, &self.from, &self.until, open, now) {
            Ok(_) => Vec::new(),
            Err(Error::Invalid(e)) => e,
            Err(e) => return Err(e),
        };
        let (phone, ext) = check_contact(&self.phone, &self.ext, &mut errs);
        let people = match self.people.trim().parse::<i64>() {
            Ok(n) if n >= 1 && n <= capacity => n,
            Ok(n) if n > capacity => {
                errs.push(fe(
                    "people",
                    Msg::owned(
                        format!("與會人數超過場地容納人數 {capacity} 人"),
                        format!("More people than the venue holds ({capacity})"),
                    ),
                ));
                0
            }
            _ => {
                errs.push(fe(
                    "people",
                    Msg::new(
                        "請輸入與會人數（至少 1 人）",
                        "Enter how many attend (1 or more)",
                    ),
                ));
                0
            }
        };
        let host = clean_text(&self.host, 1, 30).map_err(|m| fe("host", m));
        let purpose = clean_text(&self.purpose, 1, 200).map_err(|m| fe("purpose", m));
        let host = host.map_err(|e| errs.push(e)).unwrap_or_default();
        let purpose = purpose.map_err(|e| errs.push(e)).unwrap_or_default();
        if !errs.is_empty() {
            return Err(Error::Invalid(errs));
        }
        let span = check_span(&self.date, &self.from, &self.until, open, now)?;
        Ok(VenueRequest {
            span,
            phone,
            ext,
            people,
            host,
            purpose,
        })
    }
}

/// A booking's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 審核中.
    Pending,
    /// 核准.
    Approved,
    /// 退回.
    Rejected,
    /// 取消.
    Cancelled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [
            State::Pending,
            State::Approved,
            State::Rejected,
            State::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            State::Pending => Msg::new("審核中", "Waiting for review"),
            State::Approved => Msg::new("核准", "Approved"),
            State::Rejected => Msg::new("退回", "Rejected"),
            State::Cancelled => Msg::new("已取消", "Cancelled"),
        }
    }
}

/// A custodian's decision's note: required to reject.
pub fn check_decision_note(approve: bool, note: &str) -> Result<String, Error> {
    let note = clean_text(note, 0, 500).map_err(|m| Error::invalid("note", m))?;
    if !approve && note.is_empty() {
        return Err(Error::invalid(
            "note",
            Msg::new(
                "退回申請時請說明原因，申請人會收到",
                "Say why it is rejected; the applicant reads it",
            ),
        ));
    }
    Ok(note)
}

/// A custodian change's reason (異動原因).
pub fn check_custodian_reason(reason: &str) -> Result<String, Error> {
    clean_text(reason, 2, 200).map_err(|m| Error::invalid("reason", m))
}

#[cfg(test)]
mod tests;
