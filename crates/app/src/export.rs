//! Spreadsheet exports (xlsx), for admins who keep records.
use portico_core::{Error, Lang, Result};
use portico_store::audit::Event;
use rust_xlsxwriter::{Format, Workbook};

fn xerr(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::internal(format!("xlsx: {e}"))
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
        sheet.write_number(row, 0, e.seq as f64).map_err(xerr)?;
        sheet
            .write_string(row, 1, portico_core::time::display_seconds(e.at))
            .map_err(xerr)?;
        sheet.write_string(row, 2, &e.actor_login).map_err(xerr)?;
        sheet.write_string(row, 3, &e.action).map_err(xerr)?;
        sheet.write_string(row, 4, &e.target_kind).map_err(xerr)?;
        sheet.write_string(row, 5, &e.target_label).map_err(xerr)?;
        sheet.write_string(row, 6, outcome).map_err(xerr)?;
        sheet.write_string(row, 7, &e.reason).map_err(xerr)?;
        sheet.write_string(row, 8, &e.ip).map_err(xerr)?;
        sheet.write_string(row, 9, &e.user_agent).map_err(xerr)?;
        sheet.write_string(row, 10, &e.detail).map_err(xerr)?;
        sheet.write_string(row, 11, &e.hash).map_err(xerr)?;
    }
    sheet.set_column_width(1, 20).map_err(xerr)?;
    sheet.set_column_width(3, 28).map_err(xerr)?;
    sheet.set_freeze_panes(1, 0).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}
