//! iCalendar (RFC 5545) as the calendar feeds write it: one VCALENDAR of
//! VEVENTs, times in UTC, text escaped (§3.3.11) and lines folded at 75
//! octets without splitting a character (§3.1), CRLF line ends.
use time::OffsetDateTime;

/// One event of a feed.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable across fetches, so a client updates rather than duplicates.
    pub uid: String,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub summary: String,
    pub location: String,
    pub description: String,
    /// TENTATIVE while a request waits, CONFIRMED once approved.
    pub confirmed: bool,
    /// When the event last changed (DTSTAMP).
    pub stamp: OffsetDateTime,
}

/// `19980119T070000Z`.
fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// TEXT as §3.3.11 escapes it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, continuation lines led by a space.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// A whole calendar named `name`.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Portico//Tainan staff portal//ZH-TW",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    line(&mut out, "X-WR-TIMEZONE:Asia/Taipei");
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(e.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        line(&mut out, &format!("DTEND:{}", utc(e.end)));
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if !e.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape(&e.location)));
        }
        if !e.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", escape(&e.description)));
        }
        line(
            &mut out,
            if e.confirmed {
                "STATUS:CONFIRMED"
            } else {
                "STATUS:TENTATIVE"
            },
        );
        line(&mut out, "TRANSP:OPAQUE");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let e = Event {
            uid: "booking-1@portico".into(),
            start: datetime!(2026-12-07 09:00 +8),
            end: datetime!(2026-12-07 11:00 +8),
            summary: "第一會議室：".to_owned() + &"戶政業務協調會議".repeat(6),
            location: "永華市政中心 10樓".into(),
            description: String::new(),
            confirmed: true,
            stamp: datetime!(2026-12-01 08:00 UTC),
        };
        let cal = calendar("我的借用", &[e]);
        assert!(cal.contains("DTSTART:20261207T010000Z\r\n"), "{cal}");
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
        for l in cal.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        // Unfolded, the summary is whole again.
        let unfolded = cal.replace("\r\n ", "");
        assert!(unfolded.contains(&"戶政業務協調會議".repeat(6)));
    }
}
