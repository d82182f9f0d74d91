//! The mail office services send: a custodian told of a request, an
//! applicant told of the decision, a driver's manager told of a dispatch.
use crate::mail::{Text, text};
use portico_core::booking::Span;
use portico_store::bookings::{Booking, ItemHead};

/// A custodian hears of a new request for an item they keep.
pub fn requested(v: &ItemHead, who: &str, span: &Span) -> Text {
    let when = span.text();
    let (queue_zh, queue_en) = match v.kind {
        portico_core::booking::Kind::Venue => ("場地借用審核", "venue requests"),
        _ => ("公務車借用審核", "car requests"),
    };
    text(
        &format!("{}借用申請：{} {when}", v.kind.label().zh, v.name),
        &format!("{} request: {} {when}", v.kind.label().en, v.name),
        &format!(
            "{who} 申請借用「{}」，時段 {when}。請登入公務入口網「{queue_zh}」核准或退回。",
            v.label
        ),
        &format!(
            "{who} asks to borrow \"{}\" for {when}. Sign in to the portal's {queue_en} to approve or reject it.",
            v.label
        ),
    )
}

/// The applicant hears the custodian's decision.
pub fn decided(v: &ItemHead, b: &Booking, approved: bool, note: &str) -> Text {
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
    let (dz, de) = if b.driver_name.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!("\n派遣司機：{}", b.driver_name),
            format!("\nDriver: {}", b.driver_name),
        )
    };
    text(
        &format!("{}借用{zh}：{} {when}", v.kind.label().zh, v.name),
        &format!("{} request {en}: {} {when}", v.kind.label().en, v.name),
        &format!("您申請借用「{}」（{when}）已{zh}。{dz}{nz}", v.label),
        &format!(
            "Your request for \"{}\" ({when}) was {en}.{de}{ne}",
            v.label
        ),
    )
}

/// A driver's manager hears the driver is dispatched with a car.
pub fn dispatched(car: &ItemHead, b: &Booking) -> Text {
    let when = b.span().text();
    text(
        &format!("派遣通知：{} {when}", b.driver_name),
        &format!("Dispatch: {} {when}", b.driver_name),
        &format!(
            "您管理的司機 {} 已派遣駕駛「{}」，時段 {when}，目的地：{}，申請人：{}（{}）。",
            b.driver_name, car.label, b.destination, b.account_name, b.unit_name
        ),
        &format!(
            "The driver you manage, {}, is dispatched with \"{}\" for {when}, to {}, for {} ({}).",
            b.driver_name, car.label, b.destination, b.account_name, b.unit_name
        ),
    )
}
