//! The durable outbox (DESIGN.md): mail and SMS are rows written in the same
//! transaction as the change that causes them, and delivered here by a
//! worker with retries and back-off. A peer that is down loses nothing; any
//! number of nodes may run workers, each claiming rows under a lease.
use crate::{App, Ctx, Result, event};
use portico_core::Error;
use portico_core::ids::AccountId;
use portico_core::outbox::{Channel, DeliveryState, LEASE, MAX_ATTEMPTS, backoff};
use portico_core::permission::Principal;
use portico_store::outbox::{self, Filter, Message, NewMessage};
use portico_store::{Conn, Page, audit, db_err};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a delivery failed: worth retrying, or refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// The peer is down, timed out, or answered "try later".
    Transient(String),
    /// The peer refused this message (bad address, rejected content).
    Permanent(String),
}

/// Sends mail. The real one speaks SMTP; the demo's records only.
pub trait Mailer: Send + Sync + std::fmt::Debug {
    fn send<'a>(&'a self, m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>>;
    /// True when the outbox page is the only copy (the demo): codes stay
    /// readable there. A real peer has the message, so its codes are
    /// removed from the outbox once sent.
    fn records_only(&self) -> bool {
        false
    }
}

/// Sends SMS. The real one is the Mitake HTTP API.
pub trait SmsGateway: Send + Sync + std::fmt::Debug {
    fn send<'a>(&'a self, m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>>;
    /// As for [`Mailer::records_only`].
    fn records_only(&self) -> bool {
        false
    }
}

/// Accepts every message without sending it: the demo shows them on the
/// admin's outbox page instead (a demo must not mail real people).
#[derive(Debug, Default)]
pub struct Recording;

impl Mailer for Recording {
    fn send<'a>(&'a self, _m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>> {
        Box::pin(async { Ok(()) })
    }
    fn records_only(&self) -> bool {
        true
    }
}

impl SmsGateway for Recording {
    fn send<'a>(&'a self, _m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>> {
        Box::pin(async { Ok(()) })
    }
    fn records_only(&self) -> bool {
        true
    }
}

/// Mail over SMTP (lettre): `smtp://host:port` (plain, for a relay on the
/// intranet), `smtp://host:587?tls=required` (STARTTLS) or `smtps://host`.
#[derive(Debug)]
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| Error::internal(format!("SMTP URL {url}: {e}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| Error::internal(format!("mail sender {from}: {e}")))?;
        Ok(SmtpMailer { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            use lettre::AsyncTransport;
            let to = m
                .recipient
                .parse()
                .map_err(|e| DeliveryError::Permanent(format!("recipient: {e}")))?;
            let mail = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(m.subject.clone())
                // The same Message-ID on every retry: a receiver can tell a
                // repeat from a second message.
                .message_id(Some(format!("<{}@portico>", m.idem_key)))
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(m.body.clone())
                .map_err(|e| DeliveryError::Permanent(format!("building the mail: {e}")))?;
            match self.transport.send(mail).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(e.to_string())),
                Err(e) => Err(DeliveryError::Transient(e.to_string())),
            }
        })
    }
}

/// Where messages go, and the bell that wakes the worker when one is due.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsGateway>,
    /// Back-channel logout tokens are POSTed with this (no redirects
    /// followed: the registered URI is the one trusted).
    pub(crate) http: reqwest::Client,
    pub(crate) wake: Arc<tokio::sync::Notify>,
    /// How long a claimed message is this node's before another may take
    /// it (`LEASE` unless the configuration says otherwise).
    pub(crate) lease: time::Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery::new(Arc::new(Recording), Arc::new(Recording))
    }
}

impl Delivery {
    pub fn new(mailer: Arc<dyn Mailer>, sms: Arc<dyn SmsGateway>) -> Delivery {
        crate::sms::install_tls_provider();
        Delivery {
            mailer,
            sms,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            wake: Arc::new(tokio::sync::Notify::new()),
            lease: LEASE,
        }
    }

    /// A different lease: shorter where a dead node's messages must go out
    /// sooner (a trial of several nodes), never shorter than a delivery
    /// takes, or two nodes send the same message.
    pub fn with_lease(mut self, lease: time::Duration) -> Delivery {
        self.lease = lease;
        self
    }
}

/// A message to put in the outbox with a change.
pub(crate) struct Outgoing<'a> {
    pub channel: Channel,
    pub to: &'a str,
    pub subject: String,
    pub body: String,
    pub account: Option<AccountId>,
    pub scope_path: &'a str,
    /// The body carries a code.
    pub secret: bool,
}

/// Writes a message in the caller's transaction. Call
/// [`App::wake_outbox`] after the commit.
pub(crate) async fn put(c: &mut Conn, m: Outgoing<'_>, now: time::OffsetDateTime) -> Result<i64> {
    let idem = crate::random_token(16)?;
    outbox::enqueue(
        c,
        &NewMessage {
            channel: m.channel,
            recipient: m.to,
            subject: &m.subject,
            body: &m.body,
            idem_key: &idem,
            account_id: m.account,
            scope_path: m.scope_path,
            secret: m.secret,
        },
        now,
    )
    .await
}

/// How many messages a worker claims, and sends in parallel, at once.
const BATCH: i64 = 20;

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

impl App {
    /// Rings the worker's bell: a message was committed.
    pub fn wake_outbox(&self) {
        self.delivery.wake.notify_one();
    }

    /// Claims due messages and delivers them: one round. The worker loops on
    /// this; tests call it directly.
    pub async fn deliver_due(&self) -> Result<Round> {
        let now = self.now();
        let claimed = {
            let mut tx = self.db.begin().await?;
            let m =
                outbox::claim(&mut tx, self.db.backend(), now, self.delivery.lease, BATCH).await?;
            tx.commit().await.map_err(db_err)?;
            m
        };
        // The claimed messages go out at once: a peer's round trip (an SMTP
        // dialogue is several) is paid in parallel, not once per message.
        let mut sending = tokio::task::JoinSet::new();
        for m in claimed {
            let app = self.clone();
            sending.spawn(async move {
                let r = match m.channel {
                    Channel::Mail => app.delivery.mailer.send(&m).await,
                    Channel::Sms => app.delivery.sms.send(&m).await,
                    Channel::Logout => app.send_logout(&m).await,
                };
                (m, r)
            });
        }
        let mut round = Round::default();
        while let Some(done) = sending.join_next().await {
            let (m, r) = done.map_err(|e| Error::internal(format!("delivery task: {e}")))?;
            let now = self.now();
            let redact = !match m.channel {
                Channel::Mail => self.delivery.mailer.records_only(),
                Channel::Sms => self.delivery.sms.records_only(),
                Channel::Logout => false,
            };
            let mut tx = self.db.begin().await?;
            let held = match r {
                Ok(()) => {
                    round.sent += 1;
                    outbox::mark_sent(&mut tx, &m, now, redact).await?
                }
                Err(DeliveryError::Transient(e)) if (m.attempts as u32) < MAX_ATTEMPTS => {
                    tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "delivery failed; will retry");
                    round.retrying += 1;
                    let at = now + backoff(m.attempts as u32);
                    outbox::mark_failed(&mut tx, &m, &e, Some(at)).await?
                }
                Err(DeliveryError::Transient(e) | DeliveryError::Permanent(e)) => {
                    tracing::error!(id = m.id, attempts = m.attempts, error = %e, "delivery failed for good");
                    round.failed += 1;
                    outbox::mark_failed(&mut tx, &m, &e, None).await?
                }
            };
            if !held {
                tracing::warn!(
                    id = m.id,
                    "the lease ran out before the outcome was recorded"
                );
            }
            tx.commit().await.map_err(db_err)?;
        }
        Ok(round)
    }

    /// Delivers until `shutdown` resolves: a round whenever the bell rings,
    /// and at least every second (messages committed on other nodes, retries
    /// coming due); then the directories' queued changes.
    pub async fn run_outbox(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let busy = match self.deliver_due().await {
                Ok(r) => r.claimed() > 0,
                Err(e) => {
                    tracing::error!(error = %e, "outbox round failed");
                    false
                }
            };
            // The directories' changes ride the same loop (issue 13).
            let busy = busy
                || match self.deliver_directory().await {
                    Ok(r) => r.applied > 0,
                    Err(e) => {
                        tracing::error!(error = %e, "directory round failed");
                        false
                    }
                };
            if busy {
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.delivery.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Whether messages on this channel are only recorded (the demo's
    /// mailbox), not handed to a real peer.
    pub fn records_only(&self, ch: Channel) -> bool {
        match ch {
            Channel::Mail => self.delivery.mailer.records_only(),
            Channel::Sms => self.delivery.sms.records_only(),
            Channel::Logout => false,
        }
    }

    /// A message as an admin may see it: a code on its way to a real peer
    /// is never shown (an admin could take over the account it unlocks);
    /// the demo's recorded mailbox shows its codes, labelled as the demo's.
    fn for_admin(&self, mut m: Message) -> Message {
        m.recorded = self.records_only(m.channel);
        if m.secret && !m.recorded {
            m.body = "（此訊息含驗證碼或臨時密碼，為保護帳號不予顯示；送達後即自系統刪除）\n(This message holds a code or temporary password and is not shown, to protect the account; it is deleted once delivered.)".into();
        }
        m
    }

    /// System admins: the outbox, newest first.
    pub async fn outbox(
        &self,
        actor: &Principal,
        f: &Filter,
        page: u32,
    ) -> Result<(Page<Message>, Vec<(DeliveryState, i64)>)> {
        let admin = actor.system_admin()?;
        let mut c = self.db.read().await?;
        let mut p = outbox::list(&mut c, &admin, f, page, 50).await?;
        p.items = std::mem::take(&mut p.items)
            .into_iter()
            .map(|m| self.for_admin(m))
            .collect();
        let counts = outbox::counts(&mut c, &admin).await?;
        Ok((p, counts))
    }

    /// System admins: one message.
    pub async fn outbox_message(&self, actor: &Principal, id: i64) -> Result<Message> {
        let admin = actor.system_admin()?;
        outbox::get(&mut *self.db.read().await?, &admin, id)
            .await?
            .map(|m| self.for_admin(m))
            .ok_or(Error::NotFound)
    }

    /// System admins: sends a failed message again.
    pub async fn retry_message(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let admin = actor.system_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let m = outbox::get(&mut tx, &admin, id)
            .await?
            .ok_or(Error::NotFound)?;
        if !outbox::retry(&mut tx, admin.writes(), id, now).await? {
            return Err(Error::Refused(portico_core::Msg::new(
                "只有傳送失敗的訊息可以重送",
                "Only a failed message can be sent again",
            )));
        }
        let mut e = event(ctx, "outbox.retry");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        e.target_kind = "outbox".into();
        e.target_id = Some(id);
        e.target_label = m.recipient.clone();
        e.scope_path = actor.unit_path().as_str().to_owned();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }
}
