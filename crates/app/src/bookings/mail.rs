//! The mail office services send: a custodian told of a request, an
//! applicant told of the decision.
use crate::mail::{Text, text};
use portico_core::booking::Span;
use portico_store::bookings::{Booking, VenueRow};

/// A custodian hears of a new request for their venue.
pub fn venue_requested(v: &VenueRow, who: &str, span: &Span) -> Text {
    let when = span.text();
    text(
        &format!("場地借用申請：{} {when}", v.name),
        &format!("Venue request: {} {when}", v.name),
        &format!(
            "{who} 申請借用「{} {} {}」，時段 {when}。請登入公務入口網「場地借用審核」核准或退回。",
            v.location, v.floor, v.name
        ),
        &format!(
            "{who} asks to borrow \"{} {} {}\" for {when}. Sign in to the portal's venue requests to approve or reject it.",
            v.location, v.floor, v.name
        ),
    )
}

/// The applicant hears the custodian's decision.
pub fn venue_decided(v: &VenueRow, b: &Booking, approved: bool, note: &str) -> Text {
    let when = b.span().text();
    let (zh, en) = if approved {
        ("核准", "approved")
    } else {
        ("退回", "rejected")
    };
    let (nz, ne) = if note.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("\n說明：{note}"), format!("\nNote: {note}"))
    };
    text(
        &format!("場地借用{zh}：{} {when}", v.name),
        &format!("Venue request {en}: {} {when}", v.name),
        &format!(
            "您申請借用「{} {} {}」（{when}）已{zh}。{nz}",
            v.location, v.floor, v.name
        ),
        &format!(
            "Your request for \"{} {} {}\" ({when}) was {en}.{ne}",
            v.location, v.floor, v.name
        ),
    )
}
