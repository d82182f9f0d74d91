//! PDF pages in Traditional Chinese (krilla): the font, subset-embedded so
//! the text can be searched and read back, and the few drawing steps the
//! printed forms and records share — text, boxes, checkboxes, a labelled
//! row of a bordered table. A4 portrait.
use crate::{App, Result};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use portico_core::Error;
use std::sync::{Arc, OnceLock};

/// The font forms are printed in: a TrueType collection and the face's
/// index (Noto Sans CJK TC is face 3 of Debian's `fonts-noto-cjk`).
#[derive(Debug)]
pub struct PdfFont {
    path: String,
    index: u32,
    loaded: OnceLock<Result<Font, String>>,
}

pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

impl Default for PdfFont {
    fn default() -> Self {
        PdfFont::new(DEFAULT_FONT, 3)
    }
}

impl PdfFont {
    pub fn new(path: &str, index: u32) -> PdfFont {
        PdfFont {
            path: path.to_owned(),
            index,
            loaded: OnceLock::new(),
        }
    }

    /// The font, read once; a missing file says what to install.
    pub fn font(&self) -> Result<Font, String> {
        self.loaded
            .get_or_init(|| {
                let data = std::fs::read(&self.path).map_err(|e| {
                    format!(
                        "PDF font {}: {e} (install Debian's fonts-noto-cjk, or set pdf_font)",
                        self.path
                    )
                })?;
                Font::new(Arc::new(data).into(), self.index).ok_or_else(|| {
                    format!("PDF font {}: face {} unreadable", self.path, self.index)
                })
            })
            .clone()
    }
}

pub(crate) const W: f32 = 595.0;
pub(crate) const H: f32 = 842.0;
pub(crate) const LEFT: f32 = 50.0;
pub(crate) const RIGHT: f32 = W - 50.0;
pub(crate) const SIZE: f32 = 11.0;

/// The width a line of text takes, estimated: CJK characters are one em,
/// others a little over half.
pub(crate) fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| {
            if c as u32 >= 0x2E80 {
                1.0
            } else if c.is_ascii_uppercase() {
                0.65
            } else {
                0.56
            }
        })
        .sum::<f32>()
        * size
}

/// Breaks text into lines no wider than `max`.
pub(crate) fn wrap(s: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        for ch in para.chars() {
            let mut next = line.clone();
            next.push(ch);
            if width(&next, size) > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line.push(ch);
            } else {
                line = next;
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

pub(crate) struct Pen<'a, 'b> {
    s: &'a mut Surface<'b>,
    font: Font,
}

impl<'a, 'b> Pen<'a, 'b> {
    pub(crate) fn new(s: &'a mut Surface<'b>, font: &Font) -> Pen<'a, 'b> {
        Pen {
            s,
            font: font.clone(),
        }
    }

    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, t: &str) {
        if t.is_empty() {
            return;
        }
        self.s.set_fill(Some(Fill {
            paint: rgb::Color::new(0, 0, 0).into(),
            ..Default::default()
        }));
        self.s.set_stroke(None);
        self.s.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            t,
            false,
            TextDirection::Auto,
        );
    }

    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, filled: bool) {
        let Some(r) = Rect::from_xywh(x, y, w, h) else {
            return;
        };
        let mut pb = PathBuilder::new();
        pb.push_rect(r);
        let Some(path) = pb.finish() else {
            return;
        };
        self.s.set_fill(filled.then(|| Fill {
            paint: rgb::Color::new(0, 0, 0).into(),
            ..Default::default()
        }));
        self.s.set_stroke(Some(Stroke {
            width: 0.8,
            ..Default::default()
        }));
        self.s.draw_path(&path);
    }

    /// A checkbox and its label; returns the x after it.
    pub(crate) fn check(&mut self, x: f32, y: f32, on: bool, label: &str) -> f32 {
        self.rect(x, y - 9.0, 9.0, 9.0, on);
        self.text(x + 13.0, y, SIZE, label);
        x + 13.0 + width(label, SIZE) + 14.0
    }

    /// One row of a bordered table with columns at `cols` (each edge's
    /// x): each cell's lines wrapped to its width, as many shown as `h`
    /// holds (the last ending in … when more were cut).
    pub(crate) fn cells(&mut self, cols: &[f32], y: f32, h: f32, size: f32, cells: &[Vec<String>]) {
        let fits = (((h - 6.0) / CELL_LINE) as usize).max(1);
        for (k, lines) in cells.iter().enumerate() {
            self.rect(cols[k], y, cols[k + 1] - cols[k], h, false);
            let shown = cell_lines(cols, k, size, lines);
            for (j, l) in shown.iter().take(fits).enumerate() {
                let mut l = l.clone();
                if j + 1 == fits && shown.len() > fits {
                    l.push('…');
                }
                self.text(cols[k] + 4.0, y + 12.0 + j as f32 * CELL_LINE, size, &l);
            }
        }
    }

    /// A row of the table: a label cell and a value cell (wrapped). Returns
    /// the y below it.
    pub(crate) fn row(&mut self, y: f32, label: &str, value: &str, min_h: f32) -> f32 {
        let label_w = 110.0;
        let lines = wrap(value, SIZE, RIGHT - LEFT - label_w - 12.0);
        let h = (lines.len() as f32 * 16.0 + 10.0).max(min_h);
        self.rect(LEFT, y, label_w, h, false);
        self.rect(LEFT + label_w, y, RIGHT - LEFT - label_w, h, false);
        self.text(LEFT + 6.0, y + 17.0, SIZE, label);
        for (i, l) in lines.iter().enumerate() {
            self.text(LEFT + label_w + 6.0, y + 17.0 + i as f32 * 16.0, SIZE, l);
        }
        y + h
    }
}

/// The height between a table cell's lines.
const CELL_LINE: f32 = 11.0;

/// Cell `k`'s lines, wrapped to its width.
fn cell_lines(cols: &[f32], k: usize, size: f32, lines: &[String]) -> Vec<String> {
    let max = cols[k + 1] - cols[k] - 8.0;
    lines.iter().flat_map(|l| wrap(l, size, max)).collect()
}

/// The height a row of `cells` needs to show every line, from `min` up
/// to `lines` lines at most.
pub(crate) fn cells_height(
    cols: &[f32],
    size: f32,
    cells: &[Vec<String>],
    min: f32,
    lines: usize,
) -> f32 {
    let most = (0..cells.len())
        .map(|k| cell_lines(cols, k, size, &cells[k]).len())
        .max()
        .unwrap_or(1)
        .min(lines);
    (most as f32 * CELL_LINE + 8.0).max(min)
}

pub(crate) fn finish(doc: Document) -> Result<Vec<u8>, String> {
    doc.finish().map_err(|e| format!("PDF: {e:?}"))
}

pub(crate) fn new_doc(title: &str) -> Document {
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("zh-Hant-TW".into())
            .creator("Portico".into()),
    );
    doc
}

impl App {
    /// Renders off the async workers: subsetting a CJK font takes a few
    /// milliseconds of CPU.
    pub(crate) async fn render_pdf<F>(&self, render: F) -> Result<Vec<u8>>
    where
        F: FnOnce(&krilla::text::Font) -> std::result::Result<Vec<u8>, String> + Send + 'static,
    {
        let font = self.pdf_font.clone();
        tokio::task::spawn_blocking(move || {
            let f = font.font()?;
            render(&f)
        })
        .await
        .map_err(|e| Error::internal(format!("pdf task: {e}")))?
        .map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_cell() {
        let lines = wrap(&"統計".repeat(40), SIZE, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, SIZE) <= 200.0));
        assert_eq!(lines.concat(), "統計".repeat(40));
    }
}
