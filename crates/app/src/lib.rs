//! Portico's use cases, one module per capability. A use case opens a
//! transaction, applies the core rules, writes rows and audit events in the
//! same transaction, and commits.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod applications;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod captcha;
pub mod card;
pub mod contacts;
pub mod demo;
pub mod export;
pub mod factors;
pub mod jobs;
pub mod mail;
pub mod mobile_id;
pub mod oidc;
pub mod orgs;
pub mod outbox;
pub mod passkeys;
pub mod passwords;
pub mod requests;
pub mod settings;
pub mod sms;
pub mod verify;

use portico_core::settings::SystemSettings;
use portico_core::zone::Zones;
use portico_store::Db;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

pub use portico_core::{Error, Result};

/// Where "now" comes from: the system clock, or a hand-set one in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock tests move by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn new(t: OffsetDateTime) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t)))
    }
    pub fn advance(&self, d: time::Duration) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *g += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Who is asking, from where: recorded with every audit event.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub ip: String,
    pub user_agent: String,
}

impl Ctx {
    pub fn new(ip: impl Into<String>, user_agent: &str) -> Ctx {
        // A user agent is attacker-controlled: keep a bounded prefix.
        let ua: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        Ctx {
            ip: ip.into(),
            user_agent: ua,
        }
    }
}

/// How long settings read from the database are reused. A change made on
/// one node reaches every node within this time.
const SETTINGS_TTL: Duration = Duration::from_secs(5);

/// The settings read, when, and their network zones parsed once.
type CachedSettings = (Instant, Arc<SystemSettings>, Arc<Zones>);

/// The application: the database, the clock, the password hasher and the
/// outbox's peers.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    clock: Arc<dyn Clock>,
    pub hasher: passwords::Hasher,
    settings_cache: Arc<Mutex<Option<CachedSettings>>>,
    pub(crate) delivery: outbox::Delivery,
    pub(crate) oidc: Arc<oidc::Provider>,
    /// The passkey relying party, from the public URL.
    pub(crate) webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Citizen certificate cards: trust anchors and the signer's address.
    pub(crate) card: Option<Arc<card::CardSetup>>,
    /// The mobile ID service.
    pub(crate) mobile_id: Option<Arc<mobile_id::MobileIdSetup>>,
}

impl App {
    pub fn new(db: Db) -> App {
        App::with(db, Arc::new(SystemClock), passwords::Hasher::owasp())
    }

    pub fn with(db: Db, clock: Arc<dyn Clock>, hasher: passwords::Hasher) -> App {
        App {
            db,
            clock,
            hasher,
            settings_cache: Arc::new(Mutex::new(None)),
            delivery: outbox::Delivery::default(),
            oidc: Arc::new(oidc::Provider::default()),
            webauthn: None,
            card: None,
            mobile_id: None,
        }
    }

    /// Where mail and SMS go (recorded only, until this is called).
    pub fn with_delivery(mut self, d: outbox::Delivery) -> App {
        self.delivery = d;
        self
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The system parameters, from a short-lived cache.
    pub async fn settings(&self) -> Result<Arc<SystemSettings>> {
        Ok(self.cached_settings().await?.1)
    }

    /// The network zones of the current parameters, parsed when they are
    /// read, not on every request that needs the client's address.
    pub async fn zones(&self) -> Result<Arc<Zones>> {
        Ok(self.cached_settings().await?.2)
    }

    async fn cached_settings(&self) -> Result<CachedSettings> {
        if let Some(c) = self
            .settings_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && c.0.elapsed() < SETTINGS_TTL
        {
            return Ok(c.clone());
        }
        let s = Arc::new(settings::load(&self.db).await?);
        let c = (Instant::now(), s.clone(), Arc::new(s.zones()));
        *self
            .settings_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
        Ok(c)
    }

    pub(crate) fn forget_settings(&self) {
        *self
            .settings_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Random bytes from the operating system, hex-encoded.
pub fn random_token(bytes: usize) -> Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(portico_core::audit::hex(&b))
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 of a secret token, hex-encoded: what the database keeps.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    portico_core::audit::hex(&Sha256::digest(token.as_bytes()))
}

/// Shorthand for building an audit event in a use case.
pub(crate) fn event(ctx: &Ctx, action: &str) -> portico_store::audit::NewEvent {
    portico_store::audit::NewEvent {
        action: action.to_owned(),
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
        detail: "{}".into(),
        ..Default::default()
    }
}
