//! Uploaded files: what a scan may be. A file is taken for what its bytes
//! say, not its name: an executable named `.pdf` is refused, and the type
//! stored is the one the content shows.
use crate::msg::Msg;

/// The kinds of file the portal keeps: a signed form's scan is a PDF,
/// JPEG or PNG (issue 14); a photo a JPEG or PNG; an announcement's
/// attachment, a shared file or an official document's attachment may
/// also be an office document, an archive or plain text (issue 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    Odt,
    Ods,
    Odp,
    Docx,
    Xlsx,
    Pptx,
    Doc,
    Xls,
    Ppt,
    Zip,
    Txt,
    Csv,
}

impl FileKind {
    pub const ALL: [FileKind; 15] = [
        FileKind::Pdf,
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Odt,
        FileKind::Ods,
        FileKind::Odp,
        FileKind::Docx,
        FileKind::Xlsx,
        FileKind::Pptx,
        FileKind::Doc,
        FileKind::Xls,
        FileKind::Ppt,
        FileKind::Zip,
        FileKind::Txt,
        FileKind::Csv,
    ];
    /// What a scan may be.
    pub const SCANS: [FileKind; 3] = [FileKind::Pdf, FileKind::Jpeg, FileKind::Png];
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Odt => "odt",
            FileKind::Ods => "ods",
            FileKind::Odp => "odp",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
            FileKind::Doc => "doc",
            FileKind::Xls => "xls",
            FileKind::Ppt => "ppt",
            FileKind::Zip => "zip",
            FileKind::Txt => "txt",
            FileKind::Csv => "csv",
        }
    }
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png)
    }
    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Odt => "application/vnd.oasis.opendocument.text",
            FileKind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileKind::Odp => "application/vnd.oasis.opendocument.presentation",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileKind::Doc => "application/msword",
            FileKind::Xls => "application/vnd.ms-excel",
            FileKind::Ppt => "application/vnd.ms-powerpoint",
            FileKind::Zip => "application/zip",
            FileKind::Txt => "text/plain; charset=utf-8",
            FileKind::Csv => "text/csv; charset=utf-8",
        }
    }
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
            FileKind::Odt => &["odt"],
            FileKind::Ods => &["ods"],
            FileKind::Odp => &["odp"],
            FileKind::Docx => &["docx"],
            FileKind::Xlsx => &["xlsx"],
            FileKind::Pptx => &["pptx"],
            FileKind::Doc => &["doc"],
            FileKind::Xls => &["xls"],
            FileKind::Ppt => &["ppt"],
            FileKind::Zip => &["zip"],
            FileKind::Txt => &["txt"],
            FileKind::Csv => &["csv"],
        }
    }
    /// The kind the bytes show, if any of ours. Binary formats by their
    /// signature: an OpenDocument by the `mimetype` entry it must store
    /// first, an Office Open XML file by its main part's name, a legacy
    /// Office file by its main stream's name in the compound file's
    /// directory. Text has no signature: UTF-8 without NUL is text, and
    /// the name tells plain text from CSV ([`check_document`]).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(sniff_zip(bytes))
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            sniff_compound(bytes)
        } else {
            None
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A zip archive: an OpenDocument names its type in the stored `mimetype`
/// entry right after the first local header (name at 30, content at 38);
/// an Office Open XML package holds its main part under a known name.
fn sniff_zip(bytes: &[u8]) -> FileKind {
    if bytes.get(30..38) == Some(b"mimetype".as_slice()) {
        let rest = &bytes[38..bytes.len().min(38 + 80)];
        let odf = [
            (
                b"application/vnd.oasis.opendocument.text".as_slice(),
                FileKind::Odt,
            ),
            (
                b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
                FileKind::Ods,
            ),
            (
                b"application/vnd.oasis.opendocument.presentation".as_slice(),
                FileKind::Odp,
            ),
        ];
        for (m, kind) in odf {
            // `text` is a prefix of `text-template`: the next byte ends it.
            if rest.starts_with(m) && rest.get(m.len()).is_none_or(|b| *b != b'-') {
                return kind;
            }
        }
    }
    if contains(bytes, b"[Content_Types].xml") {
        for (part, kind) in [
            (b"word/document.xml".as_slice(), FileKind::Docx),
            (b"xl/workbook.xml".as_slice(), FileKind::Xlsx),
            (b"ppt/presentation.xml".as_slice(), FileKind::Pptx),
        ] {
            if contains(bytes, part) {
                return kind;
            }
        }
    }
    FileKind::Zip
}

/// A compound file (Word 97–2003 and its kin) by its main stream, whose
/// name the directory holds in UTF-16LE.
fn sniff_compound(bytes: &[u8]) -> Option<FileKind> {
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    [
        ("WordDocument", FileKind::Doc),
        ("Workbook", FileKind::Xls),
        ("Book", FileKind::Xls),
        ("PowerPoint Document", FileKind::Ppt),
    ]
    .into_iter()
    .find(|(name, _)| contains(bytes, &utf16(name)))
    .map(|(_, kind)| kind)
}

/// The largest scan accepted: 10 MiB, enough for a few pages at 300 dpi.
pub const MAX_SCAN: usize = 10 * 1024 * 1024;

/// A file's name as shown and offered back: the last path part, without
/// control characters or quotes, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let s: String = base
        .chars()
        // Control characters, and the marks that reorder or hide text: a
        // right-to-left override would show `x\u{202E}fdp.txt` as
        // `xtxt.pdf`.
        .filter(|c| {
            !c.is_control()
                && !crate::text::is_bidi_control(*c)
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
                && !matches!(c, '"' | '\'' | '<' | '>')
        })
        .take(100)
        .collect();
    let s = s.trim().to_owned();
    if s.is_empty() { "file".to_owned() } else { s }
}

/// Checks an upload: not empty, not larger than `max`, a PDF, JPEG or PNG
/// by its content, and named as what it is.
pub fn check_upload(name: &str, bytes: &[u8], max: usize) -> Result<FileKind, Msg> {
    if bytes.is_empty() {
        return Err(Msg::new(
            "上傳的檔案是空的，請重新選擇掃描檔",
            "The uploaded file is empty; choose the scan again",
        ));
    }
    if bytes.len() > max {
        return Err(Msg::owned(
            format!(
                "檔案過大（{:.1} MB），上限為 {} MB；請以較低解析度重新掃描",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
            format!(
                "The file is too large ({:.1} MB); the limit is {} MB. Scan again at a lower resolution",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
        ));
    }
    let Some(kind) = FileKind::sniff(bytes).filter(|k| FileKind::SCANS.contains(k)) else {
        return Err(Msg::new(
            "檔案內容不是 PDF、JPEG 或 PNG，請上傳掃描後的申請書",
            "The file's content is not a PDF, JPEG or PNG; upload the scanned form",
        ));
    };
    named_as(name, kind)
}

/// What an attachment may be, as people are told it.
pub const DOCUMENT_KINDS: &str =
    "PDF、ODF（odt/ods/odp）、Office（docx/xlsx/pptx/doc/xls/ppt）、JPEG、PNG、ZIP、TXT、CSV";

/// Checks a document (an announcement's attachment, a shared file, an
/// official document's attachment): not empty, not larger than `max`, one
/// of [`FileKind::ALL`] by its content, and named as what it is. Text
/// (UTF-8 without NUL) must be named `.txt` or `.csv`. The message names
/// the file, as several go at once.
pub fn check_document(name: &str, bytes: &[u8], max: usize) -> Result<FileKind, Msg> {
    let shown = clean_name(name);
    if bytes.is_empty() {
        return Err(Msg::owned(
            format!("「{shown}」是空的檔案，請重新選擇"),
            format!("“{shown}” is empty; choose the file again"),
        ));
    }
    if bytes.len() > max {
        return Err(Msg::owned(
            format!(
                "「{shown}」過大（{:.1} MB），每個檔案上限為 {} MB",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
            format!(
                "“{shown}” is too large ({:.1} MB); each file may be {} MB",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
        ));
    }
    let refused = || {
        Msg::owned(
            format!("「{shown}」的內容不是可收的檔案類型；可上傳 {DOCUMENT_KINDS}"),
            format!("“{shown}” is not a kind of file kept here; upload {DOCUMENT_KINDS}"),
        )
    };
    let kind = match FileKind::sniff(bytes) {
        Some(k) => k,
        None if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() => {
            let lower = name.trim().to_ascii_lowercase();
            if lower.ends_with(".csv") {
                FileKind::Csv
            } else if lower.ends_with(".txt") {
                FileKind::Txt
            } else {
                return Err(refused());
            }
        }
        None => return Err(refused()),
    };
    named_as(name, kind).map_err(|m| {
        Msg::owned(
            format!("「{shown}」：{}", m.zh),
            format!("“{shown}”: {}", m.en),
        )
    })
}

/// The file's name agrees with its content (or has no extension).
fn named_as(name: &str, kind: FileKind) -> Result<FileKind, Msg> {
    let ext = name
        .trim()
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !ext.is_empty() && !kind.extensions().contains(&ext.as_str()) {
        return Err(Msg::owned(
            format!(
                "檔名為 .{ext}，但內容是 {}；請確認上傳的是正確的檔案",
                kind.as_str().to_uppercase()
            ),
            format!(
                "The file is named .{ext} but its content is {}; check you chose the right file",
                kind.as_str().to_uppercase()
            ),
        ));
    }
    Ok(kind)
}

/// Checks a photo (a fault's, a venue's): a JPEG or PNG by its content, not
/// larger than `max`, named as what it is. The message names the file, as
/// several go at once.
pub fn check_photo(name: &str, bytes: &[u8], max: usize) -> Result<FileKind, Msg> {
    let shown = clean_name(name);
    match FileKind::sniff(bytes) {
        _ if bytes.len() > max => Err(Msg::owned(
            format!(
                "照片「{shown}」過大（{:.1} MB），每張上限為 {} MB；請縮小後再上傳",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
            format!(
                "The photo “{shown}” is too large ({:.1} MB); each may be {} MB. Make it smaller and try again",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
        )),
        Some(kind @ (FileKind::Jpeg | FileKind::Png)) => named_as(name, kind),
        _ => Err(Msg::owned(
            format!("「{shown}」不是 JPEG 或 PNG 照片，請改選照片檔"),
            format!("“{shown}” is not a JPEG or PNG photo; choose a photo"),
        )),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_file_name_cannot_disguise_its_type_by_reordering_marks() {
        assert_eq!(clean_name("x\u{202E}fdp.txt"), "xfdp.txt");
        assert_eq!(clean_name("報告\u{200F}\u{2066}.pdf"), "報告.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
    }

    use super::*;

    #[test]
    fn an_executable_named_pdf_is_refused() {
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
        assert!(check_upload("form.pdf", elf, MAX_SCAN).is_err());
        let mz = b"MZ\x90\0\x03\0\0\0";
        assert!(check_upload("scan.png", mz, MAX_SCAN).is_err());
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert!(
            check_upload("a.pdf", b"", MAX_SCAN)
                .unwrap_err()
                .zh
                .contains("空的")
        );
        let big = [b"%PDF-1.7\n".as_slice(), &[b' '; 64]].concat();
        assert!(
            check_upload("a.pdf", &big, 32)
                .unwrap_err()
                .zh
                .contains("過大")
        );
    }

    #[test]
    fn content_decides_and_the_name_must_agree() {
        assert_eq!(
            check_upload("a.pdf", b"%PDF-1.4 x", MAX_SCAN),
            Ok(FileKind::Pdf)
        );
        assert_eq!(
            check_upload("A.JPG", &[0xFF, 0xD8, 0xFF, 0xE0], MAX_SCAN),
            Ok(FileKind::Jpeg)
        );
        assert_eq!(
            check_upload("noext", b"\x89PNG\r\n\x1a\n..", MAX_SCAN),
            Ok(FileKind::Png)
        );
        // A PNG named .pdf is a mistake worth telling.
        assert!(check_upload("a.pdf", b"\x89PNG\r\n\x1a\n..", MAX_SCAN).is_err());
    }

    #[test]
    fn a_photo_is_a_jpeg_or_png_under_its_limit_and_its_name_is_told() {
        assert_eq!(
            check_photo("燈.JPG", &[0xFF, 0xD8, 0xFF, 0xE0], MAX_SCAN),
            Ok(FileKind::Jpeg)
        );
        let e = check_photo("報告.pdf", b"%PDF-1.7", MAX_SCAN).unwrap_err();
        assert!(e.zh.contains("「報告.pdf」不是 JPEG 或 PNG"), "{}", e.zh);
        assert!(
            check_photo("空.png", b"", MAX_SCAN)
                .unwrap_err()
                .zh
                .contains("不是")
        );
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0; 64]].concat();
        assert!(
            check_photo("大.png", &big, 32)
                .unwrap_err()
                .zh
                .contains("過大")
        );
        assert!(check_photo("x.jpg", b"\x89PNG\r\n\x1a\n..", MAX_SCAN).is_err());
    }

    /// A zip whose first entry is the stored `mimetype` of an OpenDocument.
    fn odf(mime: &str) -> Vec<u8> {
        let mut b = b"PK\x03\x04".to_vec();
        b.resize(30, 0);
        b.extend_from_slice(b"mimetype");
        b.extend_from_slice(mime.as_bytes());
        b.extend_from_slice(b"PK\x03\x04 content.xml");
        b
    }

    #[test]
    fn documents_are_known_by_their_content() {
        let max = 1024;
        let odt = odf("application/vnd.oasis.opendocument.text");
        assert_eq!(check_document("會議.odt", &odt, max), Ok(FileKind::Odt));
        let ods = odf("application/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(check_document("表.ods", &ods, max), Ok(FileKind::Ods));
        // A template is not the document kind it prefixes.
        let ott = odf("application/vnd.oasis.opendocument.text-template");
        assert_eq!(FileKind::sniff(&ott), Some(FileKind::Zip));
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml".to_vec();
        assert_eq!(check_document("a.docx", &docx, max), Ok(FileKind::Docx));
        let xlsx = b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml".to_vec();
        assert_eq!(check_document("a.xlsx", &xlsx, max), Ok(FileKind::Xlsx));
        assert_eq!(
            check_document("a.zip", b"PK\x03\x04 plain", max),
            Ok(FileKind::Zip)
        );
        let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(check_document("舊.doc", &doc, max), Ok(FileKind::Doc));
        assert_eq!(
            check_document("名單.csv", "姓名,分機\n王,1234\n".as_bytes(), max),
            Ok(FileKind::Csv)
        );
        assert_eq!(
            check_document("說明.txt", "說明".as_bytes(), max),
            Ok(FileKind::Txt)
        );
    }

    #[test]
    fn a_document_named_otherwise_than_its_content_or_unknown_is_refused() {
        let max = 1024;
        // An executable, however it is named.
        let e = check_document("setup.pdf", b"MZ\x90\0\x03\0\0\0", max).unwrap_err();
        assert!(
            e.zh.contains("「setup.pdf」的內容不是可收的檔案類型"),
            "{}",
            e.zh
        );
        // Text named as something else: a script is not a .txt.
        assert!(check_document("run.sh", b"#!/bin/sh\nrm -rf /", max).is_err());
        assert!(check_document("page.html", b"<script>alert(1)</script>", max).is_err());
        // A PDF named .docx.
        let e = check_document("a.docx", b"%PDF-1.7", max).unwrap_err();
        assert!(e.zh.starts_with("「a.docx」：檔名為 .docx"), "{}", e.zh);
        assert!(
            check_document("空.pdf", b"", max)
                .unwrap_err()
                .zh
                .contains("空的")
        );
        let big = [b"%PDF-1.7".as_slice(), &[b' '; 2048]].concat();
        assert!(
            check_document("大.pdf", &big, max)
                .unwrap_err()
                .zh
                .contains("過大")
        );
        // A scan stays a PDF, JPEG or PNG.
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml".to_vec();
        assert!(check_upload("form.docx", &docx, MAX_SCAN).is_err());
    }

    #[test]
    fn names_lose_paths_and_markup() {
        assert_eq!(clean_name("C:\\scans\\form<1>.pdf"), "form1.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("\u{7}"), "file");
    }
}
