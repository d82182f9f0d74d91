//! The mail repairs send: the repair staff told of a report and of a
//! return, the reporter told of the reply.
use super::RepairCase;
use crate::mail::{Text, text};
use portico_core::repair::Report;
use portico_store::bookings::RepairTypeRow;

/// The type's repair staff hear of a new report.
pub fn reported(t: &RepairTypeRow, id: i64, who: &str, unit: &str, r: &Report) -> Text {
    text(
        &format!("報修通知：{} 第 {id} 號", t.name),
        &format!("Repair report: {} no. {id}", t.name),
        &format!(
            "{who}（{unit}）報修「{}」，地點：{} {} 樓，故障原因：{}\n公務電話：{}{}\n請登入公務入口網「報修處理狀況回報」回報處理結果。",
            t.name,
            r.location,
            r.floor,
            r.fault,
            r.phone,
            if r.ext.is_empty() {
                String::new()
            } else {
                format!(" 分機 {}", r.ext)
            }
        ),
        &format!(
            "{who} ({unit}) reports a fault under \"{}\" at {}, floor {}: {}\nOffice phone: {}{}\nSign in to the portal's repair work to reply with the result.",
            t.name,
            r.location,
            r.floor,
            r.fault,
            r.phone,
            if r.ext.is_empty() {
                String::new()
            } else {
                format!(" ext. {}", r.ext)
            }
        ),
    )
}

/// The reporter hears the staff's reply.
pub fn replied(case: &RepairCase, by: &str, result: &str, category: &str) -> Text {
    let r = &case.repair;
    let (cz, ce) = if category.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!("\n分類：{category}"),
            format!("\nCategory: {category}"),
        )
    };
    text(
        &format!("報修已處理：{} 第 {} 號", case.kind.name, r.id),
        &format!("Repair handled: {} no. {}", case.kind.name, r.id),
        &format!(
            "您報修的「{}」（{} {} 樓）已由 {by} 處理。\n處理結果：{result}{cz}\n請登入公務入口網「我的維修」評分，或於仍未修好時退回。",
            case.kind.name, r.location, r.floor
        ),
        &format!(
            "Your report under \"{}\" ({}, floor {}) was handled by {by}.\nResult: {result}{ce}\nSign in to the portal's My repairs to rate it, or return it if it is still not fixed.",
            case.kind.name, r.location, r.floor
        ),
    )
}

/// The repair staff hear a report came back.
pub fn returned(case: &RepairCase, reason: &str) -> Text {
    let r = &case.repair;
    text(
        &format!("報修退回：{} 第 {} 號", case.kind.name, r.id),
        &format!("Repair returned: {} no. {}", case.kind.name, r.id),
        &format!(
            "{} 退回了「{}」第 {} 號報修（{} {} 樓）。\n退回原因：{reason}\n請登入公務入口網「報修處理狀況回報」重新處理。",
            r.reporter_name, case.kind.name, r.id, r.location, r.floor
        ),
        &format!(
            "{} returned report no. {} under \"{}\" ({}, floor {}).\nReason: {reason}\nSign in to the portal's repair work to handle it again.",
            r.reporter_name, r.id, case.kind.name, r.location, r.floor
        ),
    )
}
