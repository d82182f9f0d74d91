//! Charts drawn on the server as inline SVG (no script, nothing fetched
//! from elsewhere): stacked bars, upright for counts over time and lying
//! down for counts by unit. Each chart names itself for a screen reader
//! (`role="img"`, `<title>`, `<desc>`), each bar part carries its figure in
//! a `<title>`, and the page beside it shows the same figures as a table.
//! The fills are dark enough against white for WCAG 1.4.11 (3:1).
use std::fmt::Write;

/// A stacked part: its legend name and fill.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub name: &'a str,
    pub fill: &'a str,
}

/// One bar: its label and a value for each series.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub values: Vec<i64>,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round top for the axis: 1, 2, 5 × 10ⁿ at or above `max`.
fn axis_top(max: i64) -> i64 {
    if max <= 0 {
        return 1;
    }
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// How many steps the axis has up to `top` (1, 2 or 5 × 10ⁿ), each a
/// whole figure: one a unit up to 5, then five or four.
fn ticks(top: i64) -> i64 {
    if top <= 5 {
        top.max(1)
    } else if top % 5 == 0 {
        5
    } else {
        4
    }
}

fn open(out: &mut String, id: &str, w: i64, h: i64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {w} {h}" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

fn legend(out: &mut String, series: &[Series<'_>], x: i64, y: i64) {
    let mut at = x;
    for s in series {
        let _ = write!(
            out,
            r##"<rect x="{at}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{y}" font-size="13" fill="#1f2937">{}</text>"##,
            y - 11,
            s.fill,
            at + 17,
            esc(s.name)
        );
        at += 30 + 14 * s.name.chars().count() as i64;
    }
}

fn part_title(bar: &Bar, s: &Series<'_>, v: i64) -> String {
    format!("<title>{}：{} {v}</title>", esc(&bar.label), esc(s.name))
}

/// Upright stacked bars, one a period (報修案量及處理狀況).
pub fn columns(id: &str, title: &str, desc: &str, series: &[Series<'_>], bars: &[Bar]) -> String {
    let (w, h, left, top, bottom) = (760i64, 300i64, 44i64, 34i64, 56i64);
    let plot_h = h - top - bottom;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let top_v = axis_top(max);
    let mut out = String::new();
    open(&mut out, id, w, h, title, desc);
    legend(&mut out, series, left, 18);
    // The axis and its grid lines, each at a whole figure.
    let ticks = ticks(top_v);
    for i in 0..=ticks {
        let v = top_v * i / ticks;
        let y = top + plot_h - plot_h * i / ticks;
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="1"/><text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1f2937">{v}</text>"##,
            w - 8,
            if i == 0 { "#4b5563" } else { "#d1d5db" },
            left - 6,
            y + 4
        );
    }
    let n = bars.len().max(1) as i64;
    let slot = (w - left - 8) / n;
    let bar_w = (slot * 7 / 10).max(2);
    // Label every bar when they fit, else every k-th.
    let every = ((n * 40) / (w - left)).max(1) as usize;
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as i64 + (slot - bar_w) / 2;
        let mut y = top + plot_h;
        for (s, v) in series.iter().zip(&b.values) {
            if *v <= 0 {
                continue;
            }
            let hgt = plot_h * v / top_v;
            y -= hgt;
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="{bar_w}" height="{hgt}" fill="{}">{}</rect>"#,
                s.fill,
                part_title(b, s, *v)
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#1f2937">{}</text>"##,
                x + bar_w / 2,
                top + plot_h + 18,
                esc(&b.label)
            );
        }
    }
    if max == 0 {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" font-size="14" text-anchor="middle" fill="#4b5563">{}</text>"##,
            w / 2,
            top + plot_h / 2,
            esc("（此期間沒有報修）")
        );
    }
    out.push_str("</svg>");
    out
}

/// Bars lying down, one a unit (單位案件統計), the longest on top.
pub fn rows(id: &str, title: &str, desc: &str, series: &[Series<'_>], bars: &[Bar]) -> String {
    let bars = &bars[..bars.len().min(15)];
    let (w, left, top, row) = (760i64, 200i64, 34i64, 26i64);
    let h = top + row * bars.len().max(1) as i64 + 28;
    let plot_w = w - left - 40;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let top_v = axis_top(max);
    let mut out = String::new();
    open(&mut out, id, w, h, title, desc);
    legend(&mut out, series, left, 18);
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as i64;
        let label: String = b.label.chars().take(12).collect();
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" font-size="13" text-anchor="end" fill="#1f2937">{}</text>"##,
            left - 8,
            y + 16,
            esc(&label)
        );
        let mut x = left;
        for (s, v) in series.iter().zip(&b.values) {
            if *v <= 0 {
                continue;
            }
            let wid = plot_w * v / top_v;
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{}" width="{wid}" height="{}" fill="{}">{}</rect>"#,
                y + 4,
                row - 8,
                s.fill,
                part_title(b, s, *v)
            );
            x += wid;
        }
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" font-size="12" fill="#1f2937">{}</text>"##,
            x + 6,
            y + 16,
            b.values.iter().sum::<i64>()
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#4b5563" stroke-width="1"/>"##,
        top + row * bars.len().max(1) as i64
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [Series<'static>; 2] = [
        Series {
            name: "待處理",
            fill: "#b45309",
        },
        Series {
            name: "已處理",
            fill: "#1d4ed8",
        },
    ];

    #[test]
    fn the_axis_tops_at_a_round_figure() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(1), 1);
        assert_eq!(axis_top(3), 5);
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(11), 20);
        assert_eq!(axis_top(200), 200);
        assert_eq!(axis_top(201), 500);
    }

    #[test]
    fn the_axis_steps_by_whole_figures_never_twice_the_same() {
        for top in [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] {
            let n = ticks(top);
            assert_eq!(top % n, 0, "{top} in {n} steps");
            let figures: Vec<i64> = (0..=n).map(|i| top * i / n).collect();
            let mut seen = figures.clone();
            seen.dedup();
            assert_eq!(seen, figures, "{top}");
        }
        let svg = columns(
            "c",
            "t",
            "d",
            &S,
            &[Bar {
                label: "x".into(),
                values: vec![1, 1],
            }],
        );
        // Up to 2: the axis reads 0, 1, 2 once each.
        for v in 0..=2 {
            assert_eq!(
                svg.matches(&format!(r##"text-anchor="end" fill="#1f2937">{v}</text>"##))
                    .count(),
                1,
                "{svg}"
            );
        }
    }

    #[test]
    fn the_tallest_bar_is_as_tall_as_the_plot_and_parts_stack() {
        let bars = vec![
            Bar {
                label: "2026/10".into(),
                values: vec![2, 3],
            },
            Bar {
                label: "2026/11".into(),
                values: vec![0, 1],
            },
        ];
        let svg = columns("c", "案量", "每月", &S, &bars);
        // Plot height 210 with the axis at 5: 2 → 84, 3 → 126.
        assert!(svg.contains(r##"height="84" fill="#b45309""##), "{svg}");
        assert!(svg.contains(r##"height="126" fill="#1d4ed8""##), "{svg}");
        assert!(svg.contains("<title>2026/10：已處理 3</title>"));
        // A zero part draws nothing.
        assert_eq!(svg.matches("<rect").count(), 2 + 3);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r##"role="img""##) && svg.contains(r##"aria-labelledby="c-t c-d""##));
    }

    #[test]
    fn labels_are_escaped_and_an_empty_period_says_so() {
        let bars = vec![Bar {
            label: "<script>".into(),
            values: vec![0, 0],
        }];
        let svg = columns("c", "a&b", "d", &S, &bars);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a&amp;b"));
        assert!(svg.contains("此期間沒有報修"));
        let svg = rows("u", "單位", "d", &S, &bars);
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn unit_rows_are_as_long_as_their_share() {
        let bars = vec![
            Bar {
                label: "民政局".into(),
                values: vec![1, 9],
            },
            Bar {
                label: "教育局".into(),
                values: vec![5, 0],
            },
        ];
        let svg = rows("u", "單位", "d", &S, &bars);
        // Plot width 520 with the axis at 10: 1 → 52, 9 → 468, 5 → 260.
        assert!(
            svg.contains(r##"width="52" height="18" fill="#b45309""##),
            "{svg}"
        );
        assert!(svg.contains(r##"width="468" height="18" fill="#1d4ed8""##));
        assert!(svg.contains(r##"width="260" height="18" fill="#b45309""##));
    }
}
