//! The city's other systems (公文, 陳情, 差勤, 刷卡) over the JSON-over-HTTP
//! contract of `docs/office-systems.md`: `GET {url}?account={login}` with
//! the portal's bearer token, one JSON object back. The city's feeds
//! (市府新聞 …) are RSS or Atom, read by `feed-rs`.
use portico_core::office::{self, Reading, Source};
use std::time::Duration;

/// One outside system: where it answers and the token it expects.
#[derive(Clone)]
pub struct SystemSetup {
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for SystemSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemSetup")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The largest answer read (a person's summary is a few hundred bytes; a
/// feed a few dozen kilobytes).
const MAX_ANSWER: usize = 1024 * 1024;

/// One call's bound: past it the block says 暫時無法取得.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(8);

pub(crate) fn http() -> Result<reqwest::Client, String> {
    crate::sms::install_tls_provider();
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())
}

/// The body of a GET, bounded in size.
async fn get(http: &reqwest::Client, url: &str, token: Option<&str>) -> Result<Vec<u8>, String> {
    let mut req = http.get(url);
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        req = req.bearer_auth(t);
    }
    let mut r = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("{url}: the answer is over {MAX_ANSWER} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Asks one system about one person.
pub(crate) async fn ask(
    http: &reqwest::Client,
    source: Source,
    s: &SystemSetup,
    login: &str,
    today: time::Date,
) -> Result<Reading, String> {
    let mut url = url::Url::parse(&s.url).map_err(|e| format!("{}: {e}", s.url))?;
    url.query_pairs_mut().append_pair("account", login);
    let body = get(http, url.as_str(), Some(&s.token)).await?;
    let bad = |e: office::BadAnswer| format!("{}: {e}", s.url);
    Ok(match source {
        Source::Documents => Reading::Documents(office::read_documents(&body).map_err(bad)?),
        Source::Petitions => Reading::Petitions(office::read_petitions(&body).map_err(bad)?),
        Source::Attendance => Reading::Attendance(office::read_attendance(&body).map_err(bad)?),
        Source::Punches => Reading::Punches(office::read_punches(&body, today).map_err(bad)?),
        Source::Mail => return Err("mail is read over IMAP".into()),
    })
}

/// One of the city website's feeds, as configured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FeedSetup {
    /// What the home page calls it: 市府新聞, 機關新聞, 熱門活動, 市府公告.
    pub name: String,
    pub url: String,
}

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub title: String,
    pub link: String,
    pub published: Option<time::OffsetDateTime>,
}

/// The most entries a feed block lists.
pub const FEED_ITEMS: usize = 6;

pub(crate) async fn read_feed(http: &reqwest::Client, url: &str) -> Result<Vec<FeedItem>, String> {
    let body = get(http, url, None).await?;
    parse_feed(&body).map_err(|e| format!("{url}: {e}"))
}

/// A feed's newest entries: titles as plain text, links `http` or `https`
/// only (an entry without one is left out: there is nothing to open).
pub(crate) fn parse_feed(body: &[u8]) -> Result<Vec<FeedItem>, String> {
    let feed = feed_rs::parser::parse(body).map_err(|e| e.to_string())?;
    let mut items: Vec<FeedItem> = feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let link = e
                .links
                .iter()
                .find_map(|l| portico_core::content::check_link(&l.href, true).ok())?;
            let title = office::subject(&e.title.map(|t| t.content).unwrap_or_default());
            if title.is_empty() {
                return None;
            }
            let published = e
                .published
                .or(e.updated)
                .and_then(|d| time::OffsetDateTime::from_unix_timestamp(d.timestamp()).ok());
            Some(FeedItem {
                title,
                link,
                published,
            })
        })
        .collect();
    // Newest first when the feed dates its entries; its own order otherwise.
    if items.iter().all(|i| i.published.is_some()) {
        items.sort_by_key(|i| std::cmp::Reverse(i.published));
    }
    items.truncate(FEED_ITEMS);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_atom_feeds_read_newest_first_with_safe_links() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>市府新聞</title><link>https://www.tainan.gov.tw/</link>
<item><title>舊的新聞</title><link>https://www.tainan.gov.tw/News_Content.aspx?n=1&amp;s=1</link><pubDate>Mon, 30 Nov 2026 02:00:00 GMT</pubDate></item>
<item><title>&lt;b&gt;新&lt;/b&gt;的新聞</title><link>https://www.tainan.gov.tw/News_Content.aspx?n=1&amp;s=2</link><pubDate>Wed, 02 Dec 2026 02:00:00 GMT</pubDate></item>
<item><title>腳本</title><link>javascript:alert(1)</link><pubDate>Thu, 03 Dec 2026 02:00:00 GMT</pubDate></item>
</channel></rss>"#;
        let items = parse_feed(rss.as_bytes()).unwrap();
        assert_eq!(
            items.len(),
            2,
            "the entry whose link is a script is left out"
        );
        assert_eq!(items[0].title, "新的新聞");
        assert!(items[0].link.ends_with("s=2"));
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>熱門活動</title><id>urn:x</id><updated>2026-12-01T00:00:00Z</updated>
<entry><title>耶誕市集</title><id>urn:1</id><link href="https://www.tainan.gov.tw/e/1"/><updated>2026-12-01T00:00:00Z</updated></entry>
</feed>"#;
        let items = parse_feed(atom.as_bytes()).unwrap();
        assert_eq!(items[0].title, "耶誕市集");
        assert!(parse_feed(b"<html><body>not a feed</body></html>").is_err());
    }
}
