//! Text people write for others to read (issue 17): an announcement's rich
//! text is HTML cleaned by `ammonia` to an allowed set of tags, and every
//! plain field (a title, a comment) loses whatever markup was typed into
//! it. Both are parsed the way browsers parse them (html5ever), so no
//! spelling of a tag slips through.
use std::collections::HashSet;

/// The tags a rich text keeps: paragraphs, emphasis, headings, lists,
/// quotations, links and tables. Everything else loses its tag and keeps
/// its text; `script` and `style` lose their content too.
const TAGS: [&str; 23] = [
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

/// Cleans rich text to the allowed set: links only to `http`, `https` and
/// `mailto`, marked `noopener noreferrer nofollow`; no attribute but a
/// link's `href` and a cell's spans. Text without any tag is taken as
/// plain text: its blank lines part paragraphs and its line breaks stay.
pub fn clean_html(input: &str) -> String {
    let html = if input.contains('<') {
        input.to_owned()
    } else {
        paragraphs(input)
    };
    ammonia::Builder::default()
        .tags(TAGS.into_iter().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [
                ("a", HashSet::from(["href"])),
                ("td", HashSet::from(["colspan", "rowspan"])),
                ("th", HashSet::from(["colspan", "rowspan"])),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .clean(&html)
        .to_string()
}

/// Plain text as HTML paragraphs, escaped.
fn paragraphs(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain field as typed, without markup: tags go, their text stays
/// (`script` and `style` go whole), and what the parser escaped reads as
/// typed again (`a < b` stays `a < b`).
pub fn strip_markup(input: &str) -> String {
    if !input.contains('<') && !input.contains('&') {
        return input.to_owned();
    }
    let cleaned = ammonia::Builder::empty()
        .clean_content_tags(HashSet::from(["script", "style"]))
        .clean(input)
        .to_string();
    unescape(&cleaned)
}

/// The text a rich text shows, one space between blocks: what search
/// reads and an excerpt quotes.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let text = unescape(&out);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `n` characters of a text, with an ellipsis when cut.
pub fn excerpt(text: &str, n: usize) -> String {
    let mut it = text.chars();
    let head: String = it.by_ref().take(n).collect();
    if it.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Reverses the escapes an HTML serialiser writes in text.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_text_keeps_the_allowed_set_and_nothing_else() {
        let dirty = r#"<p onclick="x()">公告<script>alert(1)</script><strong>重要</strong></p><img src=x onerror=alert(1)><iframe src="//evil"></iframe><style>p{}</style><a href="javascript:alert(1)">連結</a><a href="https://www.tainan.gov.tw/">市府</a>"#;
        let clean = clean_html(dirty);
        assert!(
            !clean.contains("script") && !clean.contains("alert"),
            "{clean}"
        );
        assert!(!clean.contains("onclick") && !clean.contains("img") && !clean.contains("iframe"));
        assert!(clean.contains("<strong>重要</strong>"), "{clean}");
        assert!(
            clean.contains(r#"<a href="https://www.tainan.gov.tw/" rel="noopener noreferrer nofollow">市府</a>"#),
            "{clean}"
        );
        // The javascript: link keeps its words, not its target.
        assert!(
            clean.contains("<a rel=\"noopener noreferrer nofollow\">連結</a>"),
            "{clean}"
        );
    }

    #[test]
    fn relative_and_protocol_relative_links_are_dropped() {
        let clean = clean_html(r#"<a href="/admin">a</a><a href="//evil.example/">b</a>"#);
        assert!(!clean.contains("href"), "{clean}");
    }

    #[test]
    fn text_without_tags_becomes_paragraphs() {
        assert_eq!(
            clean_html("第一段\n第二行\n\n第二段 a & b"),
            "<p>第一段<br>第二行</p><p>第二段 a &amp; b</p>"
        );
    }

    #[test]
    fn plain_fields_lose_markup_but_keep_what_was_meant() {
        assert_eq!(
            strip_markup("<b>停電</b>通知<script>x</script>"),
            "停電通知"
        );
        assert_eq!(strip_markup("a < b & c"), "a < b & c");
        assert_eq!(strip_markup("一般標題"), "一般標題");
        assert_eq!(strip_markup("<img src=x onerror=alert(1)>"), "");
    }

    #[test]
    fn the_text_of_rich_text_reads_as_shown() {
        assert_eq!(
            text_of("<p>停電&amp;停水</p><ul><li>一</li><li>二</li></ul>"),
            "停電&停水 一 二"
        );
        assert_eq!(excerpt("一二三四五", 3), "一二三…");
        assert_eq!(excerpt("一二三", 3), "一二三");
    }
}
