//! Spreadsheet exports, for people who keep records: xlsx, and ODS (the
//! OpenDocument spreadsheet Taiwan's government publishes in).
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

/// A spreadsheet format a record may be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    Xlsx,
    Ods,
}

impl Sheet {
    pub fn parse(s: &str) -> Option<Sheet> {
        match s {
            "xlsx" => Some(Sheet::Xlsx),
            "ods" => Some(Sheet::Ods),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Sheet::Xlsx => "xlsx",
            Sheet::Ods => "ods",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Sheet::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Sheet::Ods => ODS_MIME,
        }
    }
}

/// A table of text with a header row, as one sheet of a workbook.
pub struct Table<'a> {
    pub name: &'a str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The table as a workbook in the format asked for.
pub fn table(t: &Table<'_>, format: Sheet) -> Result<Vec<u8>> {
    match format {
        Sheet::Xlsx => table_xlsx(t),
        Sheet::Ods => table_ods(t),
    }
}

fn table_xlsx(t: &Table<'_>) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(t.name).map_err(xerr)?;
    let bold = Format::new().set_bold();
    for (col, h) in (0u16..).zip(&t.headers) {
        sheet
            .write_string_with_format(0, col, h, &bold)
            .map_err(xerr)?;
        sheet.set_column_width(col, 20).map_err(xerr)?;
    }
    for (row, r) in (1u32..).zip(&t.rows) {
        for (col, v) in (0u16..).zip(r) {
            sheet
                .write_string(row, col, cell(v).as_ref())
                .map_err(xerr)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}

const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// Text as XML character data: the five markup characters escaped, and
/// the control characters XML 1.0 cannot hold left out.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An OpenDocument spreadsheet (ODF 1.2, ISO/IEC 26300): the `mimetype`
/// entry first and stored, then the manifest and the content.
fn table_ods(t: &Table<'_>) -> Result<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let zerr = |e: zip::result::ZipError| Error::internal(format!("ods: {e}"));
    let ioerr = |e: std::io::Error| Error::internal(format!("ods: {e}"));
    let mut content = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
         <office:body><office:spreadsheet>",
    );
    content.push_str(&format!(
        "<table:table table:name=\"{}\">",
        xml_text(t.name)
    ));
    for r in std::iter::once(&t.headers).chain(&t.rows) {
        content.push_str("<table:table-row>");
        for v in r {
            content.push_str(&format!(
                "<table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>",
                xml_text(v)
            ));
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest \
         xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
         <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.2\" manifest:media-type=\"{ODS_MIME}\"/>\
         <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
         </manifest:manifest>"
    );
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file("mimetype", stored).map_err(zerr)?;
    z.write_all(ODS_MIME.as_bytes()).map_err(ioerr)?;
    z.start_file("META-INF/manifest.xml", deflated)
        .map_err(zerr)?;
    z.write_all(manifest.as_bytes()).map_err(ioerr)?;
    z.start_file("content.xml", deflated).map_err(zerr)?;
    z.write_all(content.as_bytes()).map_err(ioerr)?;
    Ok(z.finish().map_err(zerr)?.into_inner())
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

    #[test]
    fn an_ods_opens_with_its_mimetype_first_and_escapes_markup() {
        let t = Table {
            name: "紀錄",
            headers: vec!["時間".into(), "內容".into()],
            rows: vec![vec!["2026-12-01".into(), "<b>&\u{1}</b>".into()]],
        };
        let book = table(&t, Sheet::Ods).expect("an ods");
        // ODF 1.2 §3.3: the first entry is `mimetype`, stored, so a reader
        // finds the type at byte 38.
        assert_eq!(&book[30..38], b"mimetype");
        assert_eq!(&book[38..38 + ODS_MIME.len()], ODS_MIME.as_bytes());
        assert_eq!(xml_text("<b>&\u{1}</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
    }
}
