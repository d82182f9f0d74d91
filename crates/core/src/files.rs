//! Uploaded files: what a scan may be. A file is taken for what its bytes
//! say, not its name: an executable named `.pdf` is refused, and the type
//! stored is the one the content shows.
use crate::msg::Msg;

/// The kinds a signed form's scan may be (issue 14: PDF, JPEG or PNG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Pdf, FileKind::Jpeg, FileKind::Png];
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
        }
    }
    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
        }
    }
    /// The kind the first bytes show, if any of ours.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else {
            None
        }
    }
}

/// The largest scan accepted: 10 MiB, enough for a few pages at 300 dpi.
pub const MAX_SCAN: usize = 10 * 1024 * 1024;

/// A file's name as shown and offered back: the last path part, without
/// control characters or quotes, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | '<' | '>'))
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
    let Some(kind) = FileKind::sniff(bytes) else {
        return Err(Msg::new(
            "檔案內容不是 PDF、JPEG 或 PNG，請上傳掃描後的申請書",
            "The file's content is not a PDF, JPEG or PNG; upload the scanned form",
        ));
    };
    named_as(name, kind)
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

    #[test]
    fn names_lose_paths_and_markup() {
        assert_eq!(clean_name("C:\\scans\\form<1>.pdf"), "form1.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("\u{7}"), "file");
    }
}
