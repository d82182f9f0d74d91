//! Spreadsheet exports (xlsx), for admins who keep records.
use portico_core::{Error, Lang, Result};
use portico_store::audit::Event;
use rust_xlsxwriter::{Format, Workbook};

fn xerr(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::internal(format!("xlsx: {e}"))
}

/// The most characters an Excel cell holds.
const CELL_MAX: usize = 32_767;

/// `s` as a cell takes it: a longer text is cut, and says so at its end
/// (the whole text stays in the trail, and `portico audit verify` hashes
/// the stored text, not the sheet).
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "…（已截斷 / truncated）";
    if s.chars().count() <= CELL_MAX {
        return s.into();
    }
    let keep = CELL_MAX - MARK.chars().count();
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(MARK);
    out.into()
}

/// The audit trail as a workbook: one row per event, times in Taipei.
pub fn audit_xlsx(events: &[Event], lang: Lang) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet
        .set_name(if lang == Lang::En {
            "Audit"
        } else {
            "稽核紀錄"
        })
        .map_err(xerr)?;
    let bold = Format::new().set_bold();
    let headers: [(&str, &str); 12] = [
        ("序號", "Seq"),
        ("時間", "Time"),
        ("操作者", "Actor"),
        ("動作", "Action"),
        ("對象類型", "Target kind"),
        ("對象", "Target"),
        ("結果", "Outcome"),
        ("原因", "Reason"),
        ("IP", "IP"),
        ("瀏覽器", "User agent"),
        ("內容", "Detail"),
        ("雜湊", "Hash"),
    ];
    for (i, (zh, en)) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, if lang == Lang::En { *en } else { *zh }, &bold)
            .map_err(xerr)?;
    }
    for (r, e) in events.iter().enumerate() {
        let row = r as u32 + 1;
        let outcome = portico_core::audit::Outcome::parse(&e.outcome)
            .map(|o| o.label().get(lang).to_owned())
            .unwrap_or_else(|| e.outcome.clone());
        // Words, as on the page; the action's code follows its label for
        // whoever filters the sheet.
        use portico_core::audit::labels;
        let action = format!(
            "{}（{}）",
            labels::action_label(&e.action).get(lang),
            e.action
        );
        let reason = labels::reason_label(&e.reason).get(lang).to_owned();
        let detail = labels::detail_text(&e.detail, lang);
        let actor = labels::actor_label(&e.actor_login).get(lang).to_owned();
        let target_kind = labels::target_kind_label(&e.target_kind)
            .get(lang)
            .to_owned();
        sheet.write_number(row, 0, e.seq as f64).map_err(xerr)?;
        let at = portico_core::time::display_seconds(e.at);
        let texts = [
            at.as_str(),
            &actor,
            &action,
            &target_kind,
            &e.target_label,
            &outcome,
            &reason,
            &e.ip,
            &e.user_agent,
            &detail,
            &e.hash,
        ];
        for (col, text) in (1u16..).zip(texts) {
            sheet
                .write_string(row, col, cell(text).as_ref())
                .map_err(xerr)?;
        }
    }
    sheet.set_column_width(1, 20).map_err(xerr)?;
    sheet.set_column_width(3, 28).map_err(xerr)?;
    sheet.set_freeze_panes(1, 0).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_longer_than_a_cell_is_cut_not_an_error() {
        let long = "網".repeat(40_000);
        let c = cell(&long);
        assert_eq!(c.chars().count(), CELL_MAX);
        assert!(c.ends_with("（已截斷 / truncated）"));
        assert_eq!(cell("short"), "short");
        let e = Event {
            seq: 1,
            at: time::OffsetDateTime::UNIX_EPOCH,
            actor_id: None,
            actor_login: "admin".into(),
            action: "settings.update".into(),
            target_kind: "settings".into(),
            target_id: None,
            target_label: String::new(),
            scope_path: String::new(),
            ip: "127.0.0.1".into(),
            user_agent: String::new(),
            outcome: "ok".into(),
            reason: String::new(),
            detail: long,
            prev_hash: String::new(),
            hash: String::new(),
        };
        let book = audit_xlsx(&[e], Lang::ZhTw).expect("a workbook, not a 500");
        assert!(book.starts_with(b"PK"), "an xlsx is a zip");
    }
}
