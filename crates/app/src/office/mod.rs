//! 訊息介接 (issue 17; seed 004 第三節 壹 一, 三): the home page's blocks
//! from the city's other systems — 公務郵件 over IMAP, 公文, 陳情, 差勤 and
//! 本日刷卡 over their JSON contracts — and the city website's feeds.
//!
//! Every answer goes through [`cache::Refreshing`]: per person and block
//! (feeds: per feed), refreshed in the background, so the page waits at
//! most [`OfficeSetup::wait`] however slow a system is, and a system that
//! is down shows its own 暫時無法取得 while the others show theirs.
pub mod cache;
pub mod mail;
pub mod systems;

use crate::App;
use cache::{Ages, Got, Refreshing};
use mail::{MailReader, MailSetup};
use portico_core::ids::AccountId;
use portico_core::office::{Reading, Source};
use portico_core::permission::Principal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use systems::{FeedItem, FeedSetup, SystemSetup};

/// What the city connected, as configured.
#[derive(Debug, Clone, Default)]
pub struct OfficeSetup {
    pub mail: Option<MailSetup>,
    pub documents: Option<SystemSetup>,
    pub petitions: Option<SystemSetup>,
    pub attendance: Option<SystemSetup>,
    pub punches: Option<SystemSetup>,
    pub feeds: Vec<FeedSetup>,
    /// How long the home page waits for a block it has nothing for; past
    /// it, the block says 讀取中 and fills in when the page asks again.
    pub wait: Duration,
    pub ages: Option<Ages>,
}

/// The default of [`OfficeSetup::wait`].
pub const WAIT: Duration = Duration::from_millis(300);

pub(crate) struct Office {
    mail: Option<MailReader>,
    systems: Vec<(Source, SystemSetup)>,
    feeds: Vec<FeedSetup>,
    wait: Duration,
    http: reqwest::Client,
    people: Arc<Refreshing<(AccountId, Source), Reading>>,
    city: Arc<Refreshing<usize, Arc<Vec<FeedItem>>>>,
}

/// One block as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Ready {
        reading: Reading,
        /// When the answer was fetched (shown as 更新於).
        as_of: time::OffsetDateTime,
    },
    Pending,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfficeBlock {
    pub source: Source,
    pub block: Block,
}

/// One of the city's feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedBlock {
    pub index: usize,
    pub name: String,
    pub items: Option<Arc<Vec<FeedItem>>>,
    pub pending: bool,
}

impl App {
    /// Connects the city's other systems (none until this is called: the
    /// home page then shows no 訊息介接 blocks).
    pub fn with_office(mut self, s: OfficeSetup) -> Result<App, String> {
        let mail = s.mail.as_ref().map(MailReader::new).transpose()?;
        let mut systems = Vec::new();
        for (source, setup) in [
            (Source::Documents, &s.documents),
            (Source::Petitions, &s.petitions),
            (Source::Attendance, &s.attendance),
            (Source::Punches, &s.punches),
        ] {
            if let Some(x) = setup {
                url::Url::parse(&x.url)
                    .map_err(|e| format!("{} URL {:?}: {e}", source.key(), x.url))?;
                systems.push((source, x.clone()));
            }
        }
        for f in &s.feeds {
            url::Url::parse(&f.url).map_err(|e| format!("feed {} URL {:?}: {e}", f.name, f.url))?;
        }
        let ages = s.ages.unwrap_or_default();
        self.office = Some(Arc::new(Office {
            mail,
            systems,
            feeds: s.feeds,
            wait: if s.wait.is_zero() { WAIT } else { s.wait },
            http: systems::http()?,
            people: Arc::new(Refreshing::new(ages)),
            city: Arc::new(Refreshing::new(ages)),
        }));
        Ok(self)
    }

    /// The sources the city connected, in the seed's order.
    pub fn office_sources(&self) -> Vec<Source> {
        let Some(o) = &self.office else {
            return Vec::new();
        };
        Source::ALL
            .into_iter()
            .filter(|s| match s {
                Source::Mail => o.mail.is_some(),
                s => o.systems.iter().any(|(x, _)| x == s),
            })
            .collect()
    }

    /// Anyone signed in: their own blocks, each waited for at most the
    /// configured wait, all at once.
    pub async fn office_blocks(&self, p: &Principal) -> Vec<OfficeBlock> {
        let Some(o) = &self.office else {
            return Vec::new();
        };
        let asks = self
            .office_sources()
            .into_iter()
            .map(|s| self.office_block(p, s, o.wait));
        futures::future::join_all(asks).await
    }

    /// Anyone signed in: one of their own blocks, waited for at most
    /// `budget` (the page's script asks again with a longer one).
    pub async fn office_block(
        &self,
        p: &Principal,
        source: Source,
        budget: Duration,
    ) -> OfficeBlock {
        let block = match &self.office {
            None => Block::Unavailable,
            Some(o) => {
                let o2 = Arc::clone(o);
                let login = p.login().to_owned();
                let today = self.now().to_offset(portico_core::time::TAIPEI).date();
                let got = o
                    .people
                    .get((p.account_id(), source), budget, move || async move {
                        o2.ask(source, &login, today).await
                    })
                    .await;
                self.block_of(got)
            }
        };
        OfficeBlock { source, block }
    }

    /// Anyone signed in: forgets their answer for `source`, so the next
    /// view asks the system again (重新整理).
    pub fn office_forget(&self, p: &Principal, source: Source) {
        if let Some(o) = &self.office {
            o.people.forget(&(p.account_id(), source));
        }
    }

    /// The city's feeds, the same for everyone.
    pub async fn city_feeds(&self) -> Vec<FeedBlock> {
        let Some(o) = &self.office else {
            return Vec::new();
        };
        let asks = o.feeds.iter().enumerate().map(|(i, f)| {
            let http = o.http.clone();
            let url = f.url.clone();
            let name = f.name.clone();
            async move {
                let got = o
                    .city
                    .get(i, o.wait, move || async move {
                        match systems::read_feed(&http, &url).await {
                            Ok(items) => Ok(Arc::new(items)),
                            Err(e) => {
                                tracing::warn!(feed = %url, error = %e, "a city feed did not answer");
                                Err(())
                            }
                        }
                    })
                    .await;
                FeedBlock {
                    index: i,
                    name,
                    pending: got == Got::Pending,
                    items: match got {
                        Got::Ready(v, _) => Some(v),
                        _ => None,
                    },
                }
            }
        });
        futures::future::join_all(asks).await
    }

    fn block_of(&self, got: Got<Reading>) -> Block {
        match got {
            Got::Ready(reading, at) => Block::Ready {
                reading,
                as_of: self.now() - at.elapsed(),
            },
            Got::Pending => Block::Pending,
            Got::Failed => Block::Unavailable,
        }
    }
}

impl std::fmt::Debug for Office {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Office")
            .field("systems", &self.systems)
            .field("feeds", &self.feeds)
            .finish_non_exhaustive()
    }
}

impl Office {
    async fn ask(&self, source: Source, login: &str, today: time::Date) -> Result<Reading, ()> {
        let started = Instant::now();
        let answer = match source {
            Source::Mail => match &self.mail {
                Some(m) => tokio::time::timeout(mail::MAIL_TIMEOUT, m.unread(login))
                    .await
                    .unwrap_or_else(|_| Err("timed out".into()))
                    .map(Reading::Mail),
                None => Err("mail is not connected".into()),
            },
            s => match self.systems.iter().find(|(x, _)| *x == s) {
                Some((_, setup)) => systems::ask(&self.http, s, setup, login, today).await,
                None => Err("not connected".into()),
            },
        };
        answer.map_err(|e| {
            tracing::warn!(
                source = source.key(),
                error = %e,
                ms = started.elapsed().as_millis() as u64,
                "an office system did not answer"
            );
        })
    }
}
