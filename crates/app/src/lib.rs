//! Portico's use cases, one module per capability. A use case opens a
//! transaction, applies the core rules, writes rows and audit events in the
//! same transaction, and commits.
#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod account_flows;
pub mod accounts;
pub mod announcements;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod captcha;
pub mod card;
pub mod certifications;
pub mod clients;
pub mod console;
pub mod contacts;
pub mod content;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod downloads;
pub mod enrolment;
pub mod export;
pub mod factors;
pub mod files;
mod group;
pub mod home;
pub mod inspections;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod mailboxes;
pub mod mobile_id;
pub mod office;
pub mod oidc;
pub mod orgs;
pub mod outbox;
pub mod passkeys;
pub mod passwords;
pub mod pdf;
pub mod repairs;
pub mod requests;
pub mod review;
pub mod sessions;
pub mod settings;
pub mod sms;
pub mod usage;
pub mod verify;

use portico_core::settings::SystemSettings;
use portico_core::zone::Zones;
use portico_store::Db;
use std::sync::{Arc, Mutex};
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
    /// The client's address, or when it is unknown (a forwarded-for header
    /// from a peer nobody said is a proxy) the peer's: what the audit
    /// records and what rate limits count by, so such callers are not all
    /// pooled under one key.
    pub ip: String,
    pub user_agent: String,
    /// `ip` is the client's own address. When it is not, the request is
    /// outside every network zone and passes no IP allow list.
    pub located: bool,
}

impl Ctx {
    /// A request whose client is unknown: `peer` is recorded and counted,
    /// never trusted.
    pub fn unlocated(peer: impl Into<String>, user_agent: &str) -> Ctx {
        Ctx {
            located: false,
            ..Ctx::new(peer, user_agent)
        }
    }

    /// The client's address, when it is known.
    pub fn address(&self) -> Option<std::net::IpAddr> {
        if self.located {
            self.ip.parse().ok()
        } else {
            None
        }
    }

    /// The client's address for an IP allow list: empty, which no list
    /// holds, when it is unknown.
    pub fn address_text(&self) -> &str {
        if self.located { &self.ip } else { "" }
    }

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
            located: true,
        }
    }
}

/// How often a node compares its caches' versions with the database's
/// (`store::versions`): a change made on another node (settings, a
/// suspended client, a rotated key) is honoured here within this time. A
/// change made on this node is honoured at once.
const VERSION_CHECK: time::Duration = time::Duration::seconds(1);

/// The settings read at a settings version, with their network zones
/// parsed once.
type CachedSettings = (i64, Arc<SystemSettings>, Arc<Zones>);

/// Values kept while the version they were read at (`store::versions`)
/// stays: a change anywhere moves the version, and every node sees it
/// within `VERSION_CHECK`. At most `CAP` entries; past that it starts over.
#[derive(Debug)]
pub(crate) struct Versioned<K, V, const CAP: usize> {
    map: Mutex<std::collections::HashMap<K, (i64, V)>>,
}

impl<K, V, const CAP: usize> Default for Versioned<K, V, CAP> {
    fn default() -> Self {
        Versioned {
            map: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone, const CAP: usize> Versioned<K, V, CAP> {
    /// The value for `k`, if it was read at `version`.
    pub(crate) fn get<Q>(&self, k: &Q, version: i64) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.get(k)
            .filter(|(at, _)| *at == version)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `v` for `k`, read at `version`.
    pub(crate) fn put(&self, k: K, version: i64, v: V) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= CAP {
            m.clear();
        }
        m.insert(k, (version, v));
    }
}

/// What the caches were filled at, and when the database was last asked
/// (by the app's clock, so tests move it by hand).
#[derive(Debug, Default)]
struct Caches {
    versions: Mutex<Option<(OffsetDateTime, portico_store::versions::Versions)>>,
    settings: Mutex<Option<CachedSettings>>,
    /// The home page's application tiles per agency, at a clients version.
    tiles: Versioned<
        Option<portico_core::ids::OrgUnitId>,
        Arc<Vec<portico_store::clients::Tile>>,
        1_000,
    >,
}

/// The application: the database, the clock, the password hasher and the
/// outbox's peers.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    clock: Arc<dyn Clock>,
    pub hasher: passwords::Hasher,
    caches: Arc<Caches>,
    /// Small writes without a transaction of their own (group.rs).
    pub(crate) group_commit: Arc<group::GroupCommit>,
    /// Client-credentials grants are audited; off only in the benchmark's
    /// baseline ([`App::without_grant_audit_for_benchmarks`]).
    pub(crate) audit_grants: bool,
    /// The rate-limit hits this node has leased (limits.rs).
    pub(crate) leases: Arc<limits::Leases>,
    pub(crate) delivery: outbox::Delivery,
    pub(crate) oidc: Arc<oidc::Provider>,
    /// The passkey relying party, from the public URL.
    pub(crate) webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Citizen certificate cards: trust anchors and the signer's address.
    pub(crate) card: Option<Arc<card::CardSetup>>,
    /// The mobile ID service.
    pub(crate) mobile_id: Option<Arc<mobile_id::MobileIdSetup>>,
    /// Where uploaded files' bytes are kept.
    pub(crate) files: files::Files,
    /// The font printed forms are set in, read at the first print.
    pub(crate) pdf_font: Arc<pdf::PdfFont>,
    /// The city's other systems the home page reads (訊息介接).
    pub(crate) office: Option<Arc<office::Office>>,
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
            caches: Arc::new(Caches::default()),
            group_commit: Arc::new(group::GroupCommit::default()),
            audit_grants: true,
            leases: Arc::new(limits::Leases::default()),
            delivery: outbox::Delivery::default(),
            oidc: Arc::new(oidc::Provider::default()),
            webauthn: None,
            card: None,
            mobile_id: None,
            files: files::Files::memory(),
            pdf_font: Arc::new(pdf::PdfFont::default()),
            office: None,
        }
    }

    /// The baseline `bench_oidc` measures the grant audit's cost against:
    /// the same app with client-credentials grants unaudited. Never for a
    /// server (the architecture test keeps it in the examples).
    pub fn without_grant_audit_for_benchmarks(mut self) -> App {
        self.audit_grants = false;
        self
    }

    /// Where mail and SMS go (recorded only, until this is called).
    pub fn with_delivery(mut self, d: outbox::Delivery) -> App {
        self.delivery = d;
        self
    }

    /// The font printed forms are set in (a TrueType collection's face).
    pub fn with_pdf_font(mut self, path: &str, index: u32) -> App {
        self.pdf_font = Arc::new(pdf::PdfFont::new(path, index));
        self
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The system parameters, as of the settings version.
    pub async fn settings(&self) -> Result<Arc<SystemSettings>> {
        Ok(self.cached_settings().await?.1)
    }

    /// The network zones of the current parameters, parsed when they are
    /// read, not on every request that needs the client's address.
    pub async fn zones(&self) -> Result<Arc<Zones>> {
        Ok(self.cached_settings().await?.2)
    }

    /// The caches' versions in the database, asked at most once per
    /// [`VERSION_CHECK`].
    pub(crate) async fn versions(&self) -> Result<portico_store::versions::Versions> {
        let now = self.now();
        if let Some((at, v)) = *lock(&self.caches.versions)
            && now - at < VERSION_CHECK
            && now >= at
        {
            return Ok(v);
        }
        let v = portico_store::versions::all(&mut *self.db.read().await?).await?;
        *lock(&self.caches.versions) = Some((now, v));
        Ok(v)
    }

    /// After a change on this node: ask the database for the versions at
    /// the next read, so the change is honoured here at once.
    pub(crate) fn forget_versions(&self) {
        *lock(&self.caches.versions) = None;
    }

    async fn cached_settings(&self) -> Result<CachedSettings> {
        let v = self.versions().await?.settings;
        if let Some(c) = lock(&self.caches.settings).as_ref()
            && c.0 == v
        {
            return Ok(c.clone());
        }
        let s = Arc::new(settings::load(&self.db).await?.0);
        let c = (v, s.clone(), Arc::new(s.zones()));
        *lock(&self.caches.settings) = Some(c.clone());
        Ok(c)
    }

    /// For tools that write the database directly (benchmarks): honour
    /// the change now rather than within the second.
    pub fn refresh_caches(&self) {
        self.forget_versions();
    }
}

/// A cache's lock; a panic elsewhere leaves the value usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
