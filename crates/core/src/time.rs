//! Time in the product: stored as UTC milliseconds, shown in Asia/Taipei
//! (UTC+8 all year; Taiwan has no daylight saving).
use time::{OffsetDateTime, UtcOffset};

pub const TAIPEI: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-11-23 14:05` in Taipei time.
pub fn display(t: OffsetDateTime) -> String {
    let t = t.to_offset(TAIPEI);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026-11-23 14:05:09` in Taipei time.
pub fn display_seconds(t: OffsetDateTime) -> String {
    let t = t.to_offset(TAIPEI);
    format!(
        "{} {:02}:{:02}:{:02}",
        date_str(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn date_str(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD` as typed in a date input.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let s = s.trim();
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let year: i32 = y.parse().ok()?;
    // Years a person means: far ones would overflow the arithmetic on them
    // (a week after 9999-12-31 is no date at all).
    if !(1900..=2200).contains(&year) {
        return None;
    }
    time::Date::from_calendar_date(year, month, d.parse().ok()?).ok()
}

/// Parses a Taipei time as a `datetime-local` input sends it,
/// `YYYY-MM-DDTHH:MM` (seconds, and a space for the `T`, allowed).
pub fn parse_datetime_local(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let (d, t) = s.split_once(['T', ' '])?;
    let date = parse_date(d)?;
    let mut it = t.split(':');
    let (h, m) = (it.next()?, it.next()?);
    let sec = it.next().unwrap_or("00");
    if it.next().is_some() || h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    let time = time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?).ok()?;
    Some(date.with_time(time).assume_offset(TAIPEI))
}

/// A Taipei time as a `datetime-local` input shows it.
pub fn datetime_local(t: OffsetDateTime) -> String {
    let t = t.to_offset(TAIPEI);
    format!("{}T{:02}:{:02}", date_str(t.date()), t.hour(), t.minute())
}

/// The start of a Taipei calendar day, as UTC.
pub fn taipei_day_start(d: time::Date) -> OffsetDateTime {
    d.midnight().assume_offset(TAIPEI)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datetime_local_is_taipei_time() {
        let t = parse_datetime_local("2026-12-05T09:30").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-12-05 01:30 UTC));
        assert_eq!(datetime_local(t), "2026-12-05T09:30");
        assert_eq!(
            parse_datetime_local("2026-12-05 09:30:15").map(to_millis),
            Some(to_millis(t) + 15_000)
        );
        for bad in [
            "",
            "2026-12-05",
            "2026-12-05T9:30",
            "2026-12-05T24:00",
            "2026-13-05T09:30",
            "x",
        ] {
            assert!(parse_datetime_local(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn display_is_taipei_time() {
        let t = time::macros::datetime!(2026-11-23 00:30 UTC);
        assert_eq!(display(t), "2026-11-23 08:30");
    }

    #[test]
    fn millis_roundtrip() {
        let t = time::macros::datetime!(2026-11-23 00:30:01.250 UTC);
        assert_eq!(from_millis(to_millis(t)), t);
    }

    #[test]
    fn parse_date_accepts_only_real_dates() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-2-9").is_none());
        assert!(parse_date("x").is_none());
    }
}
