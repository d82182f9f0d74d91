//! The OpenID provider (004 §壹 二 (一), §捌 七 (一)): authorization code flow
//! with PKCE, refresh tokens with rotation and reuse detection, client
//! credentials, userinfo, introspection (RFC 7662), revocation (RFC 7009)
//! and RP-initiated logout. Tokens are JWTs signed with keys from
//! [`keys`]; codes and refresh tokens are opaque and stored as hashes.
pub mod keys;

use crate::auth::Session;
use crate::{App, Ctx, Result, event, random_token, token_hash};
use keys::{Key, MasterKey};
use portico_core::account::AccountState;
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_core::sso::{self, Claim, ClientType, ServiceKind, SigningAlg};
use portico_core::zone::SignInMethod;
use portico_core::{Error, Msg};
use portico_store::apps::{self as store_apps, Service};
use portico_store::{accounts, audit, db_err, oauth, orgs};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};
use time::{Duration, OffsetDateTime};

/// Authorization codes live 60 seconds.
pub const CODE_TTL: Duration = Duration::seconds(60);
/// Access and ID tokens live 10 minutes.
pub const ACCESS_TTL: Duration = Duration::minutes(10);
/// A refresh token lives 12 hours from its issue, and no refresh outlives
/// the sign-in by more than 7 days.
pub const REFRESH_TTL: Duration = Duration::hours(12);
pub const REFRESH_MAX: Duration = Duration::days(7);
/// A retired key is published this long after retirement: longer than any
/// token it signed can live.
pub const KEY_OVERLAP: Duration = Duration::hours(1);

/// The provider's configuration and caches, shared by the app's clones.
#[derive(Debug)]
pub struct Provider {
    /// The issuer: the portal's public base URL, no trailing slash.
    pub issuer: String,
    master: Option<MasterKey>,
    /// The key ring and the keys version it was read at.
    ring: Mutex<Option<(i64, Arc<KeyRing>)>>,
    /// Last forced reload, so a flood of unknown `kid`s cannot hammer the
    /// database.
    forced: Mutex<Option<Instant>>,
    /// Clients as read at a clients version: every token request and every
    /// token check needs one. A change anywhere moves the version, which
    /// every node sees within a second (`App::versions`).
    clients: Mutex<std::collections::HashMap<String, CachedClient>>,
}

/// The clients version a client was read at, and what (`None`: no such
/// client).
type CachedClient = (i64, Option<Arc<Client>>);

impl Provider {
    pub fn new(issuer: &str, master: Option<MasterKey>) -> Provider {
        Provider {
            issuer: issuer.trim_end_matches('/').to_owned(),
            master,
            ring: Mutex::new(None),
            forced: Mutex::new(None),
            clients: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl Default for Provider {
    fn default() -> Self {
        Provider::new("http://127.0.0.1:8080", None)
    }
}

/// The opened signing keys.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: Vec<Arc<Key>>,
}

impl KeyRing {
    /// The newest unretired key of an algorithm.
    pub fn current(&self, alg: SigningAlg) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.alg == alg && !k.retired)
    }
    pub fn by_kid(&self, kid: &str) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.kid == kid)
    }
    /// The JWKS document (RFC 7517 §5).
    pub fn jwks(&self) -> Value {
        json!({"keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
    }
}

/// An OAuth error as the protocol names it (RFC 6749 §5.2), with a message
/// for people reading logs or a developer console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    /// 400, 401 (client authentication), 403, 429 or 500.
    pub status: u16,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            description: description.into(),
            status: 400,
        }
    }
    fn with_status(mut self, s: u16) -> OAuthError {
        self.status = s;
        self
    }
    pub fn invalid_client() -> OAuthError {
        OAuthError::new("invalid_client", "client authentication failed").with_status(401)
    }
    pub fn invalid_grant(why: &str) -> OAuthError {
        OAuthError::new("invalid_grant", why)
    }
    pub fn slow_down() -> OAuthError {
        OAuthError::new(
            "temporarily_unavailable",
            "too many requests from this client; retry later",
        )
        .with_status(429)
    }
    fn server(e: Error) -> OAuthError {
        tracing::error!(error = %e, "oauth request failed");
        OAuthError::new("server_error", "the server could not complete the request")
            .with_status(500)
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError::server(e)
    }
}

/// A registered application with its approved services: the OAuth client.
#[derive(Debug, Clone)]
pub struct Client {
    pub app: store_apps::App,
    pub services: Vec<Service>,
}

impl Client {
    pub fn service(&self, kind: ServiceKind) -> Option<&Service> {
        self.services.iter().find(|s| s.kind == kind)
    }
    pub fn sso(&self) -> Option<&Service> {
        self.service(ServiceKind::Sso)
    }
    fn alg(&self) -> SigningAlg {
        self.sso()
            .map(|s| s.signing_alg)
            .unwrap_or(SigningAlg::ES256)
    }
    fn is_public(&self) -> bool {
        self.sso()
            .is_some_and(|s| s.client_type == ClientType::Public)
    }
    /// The claims this application was approved for (single sign-on's,
    /// else account verification's).
    pub fn claims(&self, kind: ServiceKind) -> Vec<Claim> {
        self.service(kind)
            .map(|s| s.claims.clone())
            .unwrap_or_default()
    }
}

/// The parameters of an authorization request (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub prompt: String,
    pub max_age: Option<String>,
    pub login_hint: String,
    pub response_mode: String,
    pub ui_locales: String,
    /// Requested authentication context classes (OIDC Core §3.1.2.1);
    /// [`ACR_STRONG`] asks for a certificate, mobile ID or passkey sign-in.
    pub acr_values: String,
}

/// `acr` of a sign-in with a password, an authenticator code or a
/// temporary password.
pub const ACR_BASIC: &str = "urn:portico:acr:basic";
/// `acr` of a sign-in with the certificate card, mobile ID or a passkey
/// (`SignInMethod::is_strong`).
pub const ACR_STRONG: &str = "urn:portico:acr:strong";

pub fn acr_of(m: SignInMethod) -> &'static str {
    if m.is_strong() { ACR_STRONG } else { ACR_BASIC }
}

/// What the authorization endpoint answers.
#[derive(Debug)]
pub enum Authorize {
    /// The client or redirect URI is not trustworthy: show a page, never
    /// redirect (RFC 6749 §4.1.2.1).
    Page(Msg),
    /// Send the browser back to the client with this URL (a code or an
    /// error).
    Redirect(String),
    /// Sign in first, then come back to the same request; `strong`: with a
    /// strong method (the application asked for [`ACR_STRONG`]).
    SignIn { app_name: String, strong: bool },
    /// The password must be changed before any application is reached.
    ChangePassword,
}

fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    let mut u = base.to_owned();
    let mut sep = if u.contains('?') { '&' } else { '?' };
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        u.push(sep);
        sep = '&';
        u.push_str(k);
        u.push('=');
        u.push_str(&form_encode(v));
    }
    u
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn epoch(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// The Taipei calendar day, for usage counts.
pub(crate) fn day_of(t: OffsetDateTime) -> String {
    portico_core::time::date_str(t.to_offset(portico_core::time::TAIPEI).date())
}

/// The tokens a grant answers with (RFC 6749 §5.1).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// A token request's form (RFC 6749 §4.1.3, §6, §4.4).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenRequest {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub refresh_token: String,
    pub scope: String,
    pub client_id: String,
    pub client_secret: String,
}

/// How a client presented itself: HTTP Basic, form fields, or only its id
/// (public clients).
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: String,
    pub secret: Option<String>,
    /// The credentials came in an `Authorization: Basic` header (an
    /// `invalid_client` answer then carries `WWW-Authenticate`).
    pub basic: bool,
}

/// A verified access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: String,
    pub app_id: i64,
    /// The person, for tokens from the code flow; `None` for client tokens.
    pub account: Option<AccountId>,
    pub scope: Vec<String>,
    pub jti: String,
    pub family: String,
    pub exp: i64,
    pub iat: i64,
    /// The client is approved, now, to call the portal's API as the person.
    pub api_access: bool,
}

impl AccessToken {
    pub fn has_scope(&self, s: &str) -> bool {
        self.scope.iter().any(|x| x == s)
    }
}

/// What a client credentials token may do, by approved service.
const CLIENT_SCOPES: [(&str, ServiceKind); 2] = [
    ("account.verify", ServiceKind::Verify),
    ("sms.send", ServiceKind::Sms),
];

impl App {
    /// Configures the OpenID provider: the issuer URL and the master key
    /// that seals the signing keys.
    pub fn with_oidc(mut self, issuer: &str, master: MasterKey) -> App {
        self.oidc = Arc::new(Provider::new(issuer, Some(master)));
        self.webauthn = match crate::passkeys::relying_party(issuer) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "passkeys are off");
                None
            }
        };
        self
    }

    pub fn issuer(&self) -> &str {
        &self.oidc.issuer
    }

    pub(crate) fn master(&self) -> Result<&MasterKey> {
        self.oidc.master.as_ref().ok_or_else(|| {
            Error::internal("no master key: set key_file so signing keys can be sealed")
        })
    }

    /// The opened key ring; creates the first key of each algorithm when
    /// there is none.
    pub async fn key_ring(&self) -> Result<Arc<KeyRing>> {
        let v = self.versions().await?.keys;
        if let Some((at, r)) = self
            .oidc
            .ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && *at == v
        {
            return Ok(r.clone());
        }
        self.reload_ring().await
    }

    async fn reload_ring(&self) -> Result<Arc<KeyRing>> {
        let v = self.versions().await?.keys;
        let mut ring = self.read_ring().await?;
        if SigningAlg::ALL.iter().any(|a| ring.current(*a).is_none()) {
            for alg in SigningAlg::ALL {
                if ring.current(alg).is_none() {
                    self.new_key(alg).await?;
                }
            }
            ring = self.read_ring().await?;
        }
        let ring = Arc::new(ring);
        *self.oidc.ring.lock().unwrap_or_else(|e| e.into_inner()) = Some((v, ring.clone()));
        Ok(ring)
    }

    async fn read_ring(&self) -> Result<KeyRing> {
        let master = self.master()?;
        let stored = oauth::keys(&mut *self.db.read().await?, self.now() - KEY_OVERLAP).await?;
        let mut keys = Vec::with_capacity(stored.len());
        for k in stored {
            let alg = SigningAlg::parse(&k.alg).ok_or_else(|| oauth::corrupt("key algorithm"))?;
            keys.push(Arc::new(Key::open(
                master,
                &k.kid,
                alg,
                &k.sealed,
                k.retired_at.is_some(),
            )?));
        }
        Ok(KeyRing { keys })
    }

    async fn new_key(&self, alg: SigningAlg) -> Result<String> {
        let master = self.master()?;
        let der = tokio::task::spawn_blocking(move || Key::generate(alg))
            .await
            .map_err(|e| Error::internal(format!("key generation: {e}")))??;
        let now = self.now();
        let kid = format!(
            "{}-{}-{}",
            alg.as_str().to_ascii_lowercase(),
            portico_core::time::date_str(now.date()),
            &random_token(4)?
        );
        let opened = Key::from_pkcs8(&kid, alg, &der, false)?;
        let mut tx = self.db.begin().await?;
        oauth::insert_key(
            &mut tx,
            &oauth::StoredKey {
                kid: kid.clone(),
                alg: alg.as_str().into(),
                sealed: Key::seal(master, &kid, &der)?,
                public_jwk: opened.jwk.to_string(),
                created_at: now,
                retired_at: None,
            },
        )
        .await?;
        oauth::retire_keys(&mut tx, alg.as_str(), &kid, now).await?;
        oauth::purge_keys(&mut tx, now - KEY_OVERLAP).await?;
        // Every node's key ring reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::KEYS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        Ok(kid)
    }

    /// `portico keys rotate`: a new key for the algorithm; the old one
    /// stays in the JWKS for [`KEY_OVERLAP`] and then goes.
    pub async fn rotate_signing_key(&self, alg: SigningAlg) -> Result<String> {
        let kid = self.new_key(alg).await?;
        let mut tx = self.db.begin().await?;
        let mut e = event(&Ctx::new("", "portico keys rotate"), "oauth.key.rotate");
        e.target_kind = "key".into();
        e.target_label = kid.clone();
        e.outcome = Some(Outcome::Ok);
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        self.reload_ring().await?;
        Ok(kid)
    }

    /// The key for a `kid`, reading the database again (at most once a
    /// second) when it is not in the cached ring.
    async fn key_for(&self, kid: &str) -> Result<Option<Arc<Key>>> {
        let ring = self.key_ring().await?;
        if let Some(k) = ring.by_kid(kid) {
            return Ok(Some(k.clone()));
        }
        {
            let mut f = self.oidc.forced.lock().unwrap_or_else(|e| e.into_inner());
            if f.is_some_and(|t| t.elapsed() < StdDuration::from_secs(1)) {
                return Ok(None);
            }
            *f = Some(Instant::now());
        }
        Ok(self.reload_ring().await?.by_kid(kid).cloned())
    }

    /// The client behind a `client_id`, with its approved services, from a
    /// short-lived cache.
    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Ok(None);
        }
        let v = self.versions().await?.clients;
        if let Some((at, c)) = self
            .oidc
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(client_id)
            && *at == v
        {
            return Ok(c.clone());
        }
        let mut c = self.db.read().await?;
        let client = match store_apps::by_client_id(&mut c, client_id).await? {
            Some(app) => {
                let services = store_apps::approved_of(&mut c, app.id).await?;
                Some(Arc::new(Client { app, services }))
            }
            None => None,
        };
        let mut m = self.oidc.clients.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(client_id.to_owned(), (v, client.clone()));
        Ok(client)
    }

    /// Authenticates a client at the token, introspection and revocation
    /// endpoints, and the application APIs.
    pub async fn authenticate_client(
        &self,
        auth: &ClientAuth,
        ctx: &Ctx,
    ) -> Result<Arc<Client>, OAuthError> {
        self.authenticate_client_counted(auth, ctx, true).await
    }

    /// The same; with `count_known` false a known client's request is not
    /// counted here, because the grant counts it in its own transaction.
    async fn authenticate_client_counted(
        &self,
        auth: &ClientAuth,
        ctx: &Ctx,
        count_known: bool,
    ) -> Result<Arc<Client>, OAuthError> {
        let client = self.client(&auth.client_id).await?;
        if client.is_none() {
            // Nobody's allowance is spent on made-up client ids: they count
            // against the caller's address, and once over the limit they
            // are no longer audited one by one.
            if !self.client_rate("unknown", ctx).await? {
                return Err(OAuthError::slow_down());
            }
        } else if count_known && !self.client_rate(&auth.client_id, ctx).await? {
            return Err(OAuthError::slow_down());
        }
        let ok = match (&client, &auth.secret) {
            (Some(c), Some(secret)) => c.app.secret_hash.as_deref().is_some_and(|h| {
                crate::constant_time_eq(h.as_bytes(), token_hash(secret).as_bytes())
            }),
            // A public client names itself only; what it may do is limited
            // by PKCE and its registered redirect URIs.
            (Some(c), None) => c.is_public(),
            (None, _) => false,
        };
        let reason = match &client {
            None => "unknown_client",
            Some(_) if !ok => "bad_secret",
            Some(c) if c.app.suspended => "suspended",
            Some(c) if c.services.is_empty() => "no_service",
            Some(_) => "",
        };
        if !reason.is_empty() {
            self.audit_client(
                ctx,
                "oauth.client_auth",
                &auth.client_id,
                client.as_deref(),
                reason,
            )
            .await?;
            return Err(OAuthError::invalid_client());
        }
        client.ok_or_else(OAuthError::invalid_client)
    }

    /// The per-application limit, counted per calling address, so that
    /// requests naming an application from elsewhere cannot use up its
    /// allowance.
    pub async fn client_rate(&self, client_id: &str, ctx: &Ctx) -> Result<bool> {
        let limit = self.settings().await?.oauth_client_per_minute;
        self.rate_allow(&format!("client:{client_id}:{}", ctx.ip), limit)
            .await
    }

    /// Audits a refusal concerning an application (or a client id that
    /// names none).
    pub(crate) async fn audit_client(
        &self,
        ctx: &Ctx,
        action: &str,
        client_id: &str,
        client: Option<&Client>,
        reason: &str,
    ) -> Result<()> {
        let mut e = event(ctx, action);
        e.target_kind = "app".into();
        e.target_id = client.map(|c| c.app.id);
        e.target_label = client
            .map(|c| c.app.name.clone())
            .unwrap_or_else(|| client_id.chars().take(64).collect());
        e.outcome = Some(Outcome::Refused);
        e.reason = reason.into();
        e.detail =
            json!({ "client_id": client_id.chars().take(64).collect::<String>() }).to_string();
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }

    #[allow(clippy::too_many_arguments)]
    async fn account_event(
        &self,
        c: &mut portico_store::Conn,
        ctx: &Ctx,
        action: &str,
        client: &Client,
        account: AccountId,
        outcome: Outcome,
        reason: &str,
    ) -> Result<audit::NewEvent> {
        let a = accounts::get(c, account).await?;
        let mut e = event(ctx, action);
        e.actor_id = Some(account.0);
        e.target_kind = "account".into();
        e.target_id = Some(account.0);
        if let Some(a) = &a {
            e.actor_login = a.login.clone();
            e.target_label = a.login.clone();
            e.scope_path = a.unit_path.as_str().to_owned();
        }
        e.outcome = Some(outcome);
        e.reason = reason.into();
        e.detail = json!({"app": client.app.name, "client_id": client.app.client_id}).to_string();
        Ok(e)
    }

    /// The authorization endpoint. `session` is the portal session, if
    /// any; `started` is when the browser began this request (a `prompt=
    /// login` sign-in must be newer).
    pub async fn authorize(
        &self,
        req: &AuthRequest,
        session: Option<&Session>,
        ctx: &Ctx,
    ) -> Result<Authorize> {
        let client = self.client(&req.client_id).await?;
        let sso = client.as_ref().and_then(|c| c.sso().cloned());
        let (Some(client), Some(sso)) = (client, sso) else {
            // Made-up client ids count against the caller's address; past
            // the limit they are no longer audited one by one.
            if self.client_rate("unknown", ctx).await? {
                self.audit_client(
                    ctx,
                    "oauth.authorize",
                    &req.client_id,
                    None,
                    "unknown_client",
                )
                .await?;
            }
            return Ok(Authorize::Page(Msg::new(
                "此應用系統未註冊或未核准單一登入服務，請洽應用系統管理者",
                "This application is not registered or not approved for single sign-on; contact its administrator",
            )));
        };
        // The redirect URI, exactly as registered; one registered URI may
        // be left out (RFC 6749 §3.1.2.3).
        let redirect = if req.redirect_uri.is_empty() && sso.redirect_uris.len() == 1 {
            sso.redirect_uris[0].clone()
        } else if sso::redirect_registered(&sso.redirect_uris, &req.redirect_uri) {
            req.redirect_uri.clone()
        } else {
            self.audit_client(
                ctx,
                "oauth.authorize",
                &req.client_id,
                Some(&client),
                "redirect_uri_mismatch",
            )
            .await?;
            return Ok(Authorize::Page(Msg::new(
                "應用系統送來的導回網址與註冊的不符，為保護您的帳號已停止登入。請洽應用系統管理者",
                "The application's redirect URI does not match its registration, so sign-in stopped to protect your account; contact the application's administrator",
            )));
        };

        if client.app.suspended {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "unauthorized_client",
                    "the application is suspended",
                )
                .await;
        }
        if req.response_type != "code" {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "unsupported_response_type",
                    "only response_type=code is supported",
                )
                .await;
        }
        if !req.response_mode.is_empty() && req.response_mode != "query" {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "invalid_request",
                    "only response_mode=query is supported",
                )
                .await;
        }
        if !req.code_challenge.is_empty() || !req.code_challenge_method.is_empty() {
            if req.code_challenge_method != "S256" {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "invalid_request",
                        "code_challenge_method must be S256",
                    )
                    .await;
            }
            if !sso::pkce_challenge_ok(&req.code_challenge) {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "invalid_request",
                        "code_challenge is malformed",
                    )
                    .await;
            }
        } else if client.is_public() {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "invalid_request",
                    "PKCE (code_challenge with S256) is required for this client",
                )
                .await;
        }
        if req.nonce.len() > 255 || req.state.len() > 1024 {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "invalid_request",
                    "state or nonce is too long",
                )
                .await;
        }
        let mut scope = sso::parse_scope(&req.scope);
        if !sso.api_access {
            scope.retain(|s| *s != "portico.api");
        }
        if scope.is_empty() {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "invalid_scope",
                    "no known scope was requested",
                )
                .await;
        }
        let prompts: Vec<&str> = req.prompt.split(' ').filter(|p| !p.is_empty()).collect();
        if prompts.contains(&"none") && prompts.len() > 1 {
            return self
                .authorize_failed(
                    ctx,
                    &client,
                    &redirect,
                    req,
                    "invalid_request",
                    "prompt=none cannot be combined",
                )
                .await;
        }
        let max_age = match req.max_age.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => match s.parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    return self
                        .authorize_failed(
                            ctx,
                            &client,
                            &redirect,
                            req,
                            "invalid_request",
                            "max_age must be a number of seconds",
                        )
                        .await;
                }
            },
        };
        let now = self.now();
        let strong = req.acr_values.split(' ').any(|v| v == ACR_STRONG);
        let fresh_enough = |s: &Session| {
            max_age.is_none_or(|m| now - s.auth_time <= Duration::seconds(m))
                && (!strong || s.method.is_strong())
        };
        let session = match session {
            Some(s) if fresh_enough(s) && !prompts.contains(&"login") => s,
            _ if prompts.contains(&"none") => {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "login_required",
                        "the person is not signed in",
                    )
                    .await;
            }
            _ => {
                return Ok(Authorize::SignIn {
                    app_name: client.app.name.clone(),
                    strong,
                });
            }
        };
        if session.must_change_password {
            if prompts.contains(&"none") {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "interaction_required",
                        "the password must be changed",
                    )
                    .await;
            }
            return Ok(Authorize::ChangePassword);
        }
        let code = random_token(32)?;
        let family = random_token(16)?;
        let account = session.principal.account_id();
        let mut tx = self.db.begin().await?;
        oauth::insert_code(
            &mut tx,
            &token_hash(&code),
            &oauth::Grant {
                app_id: client.app.id,
                account_id: account,
                redirect_uri: redirect.clone(),
                scope: scope.join(" "),
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                session_hash: session.id_hash.clone(),
                auth_time: session.auth_time,
                method: session.method.as_str().to_owned(),
                family,
            },
            now,
            now + CODE_TTL,
        )
        .await?;
        store_apps::count_usage(
            &mut tx,
            client.app.id,
            &day_of(now),
            store_apps::Usage::SignIn,
        )
        .await?;
        let e = self
            .account_event(
                &mut tx,
                ctx,
                "oauth.authorize",
                &client,
                account,
                Outcome::Ok,
                "",
            )
            .await?;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Authorize::Redirect(with_params(
            &redirect,
            &[
                ("code", &code),
                ("state", &req.state),
                ("iss", &self.oidc.issuer),
            ],
        )))
    }

    /// An authorization error the client should hear: audited, and sent
    /// back to its redirect URI with its state.
    async fn authorize_failed(
        &self,
        ctx: &Ctx,
        client: &Client,
        redirect: &str,
        req: &AuthRequest,
        error: &str,
        desc: &str,
    ) -> Result<Authorize> {
        self.audit_client(
            ctx,
            "oauth.authorize",
            &client.app.client_id,
            Some(client),
            error,
        )
        .await?;
        Ok(Authorize::Redirect(with_params(
            redirect,
            &[
                ("error", error),
                ("error_description", desc),
                ("state", &req.state),
                ("iss", &self.oidc.issuer),
            ],
        )))
    }

    /// The token endpoint (RFC 6749 §3.2).
    pub async fn token(
        &self,
        auth: &ClientAuth,
        req: &TokenRequest,
        ctx: &Ctx,
    ) -> Result<TokenResponse, OAuthError> {
        // The grants that write count the client's request with the
        // account's (`token_rates`); the others here.
        let writes = matches!(
            req.grant_type.as_str(),
            "authorization_code" | "refresh_token"
        );
        let client = self.authenticate_client_counted(auth, ctx, !writes).await?;
        let granted = match req.grant_type.as_str() {
            "authorization_code" => self.exchange_code(&client, req, ctx).await,
            "refresh_token" => self.refresh(&client, req, ctx).await,
            _ => return self.other_grant(&client, req, ctx).await,
        };
        // A grant refused before its transaction (an unknown code, a
        // widened scope) still counts against the client's allowance.
        if let Err(e) = &granted
            && e.error != "slow_down"
            && !self.client_rate(&client.app.client_id, ctx).await?
        {
            return Err(OAuthError::slow_down());
        }
        granted
    }

    async fn other_grant(
        &self,
        client: &Client,
        req: &TokenRequest,
        ctx: &Ctx,
    ) -> Result<TokenResponse, OAuthError> {
        match req.grant_type.as_str() {
            "client_credentials" => self.client_credentials(client, req, ctx).await,
            "" => Err(OAuthError::new("invalid_request", "grant_type is missing")),
            _ => Err(OAuthError::new(
                "unsupported_grant_type",
                "supported: authorization_code, refresh_token, client_credentials",
            )),
        }
    }

    async fn exchange_code(
        &self,
        client: &Client,
        req: &TokenRequest,
        ctx: &Ctx,
    ) -> Result<TokenResponse, OAuthError> {
        if client.sso().is_none() {
            return Err(OAuthError::new(
                "unauthorized_client",
                "the application is not approved for single sign-on",
            ));
        }
        if req.code.is_empty() || req.code.len() > 128 {
            return Err(OAuthError::new("invalid_request", "code is missing"));
        }
        let hash = token_hash(&req.code);
        let now = self.now();
        let stored = oauth::code(&mut *self.db.read().await?, &hash).await?;
        let Some(stored) = stored.filter(|s| s.grant.app_id == client.app.id) else {
            self.audit_client(
                ctx,
                "oauth.token",
                &client.app.client_id,
                Some(client),
                "unknown_code",
            )
            .await?;
            return Err(OAuthError::invalid_grant("the code is unknown"));
        };
        let g = &stored.grant;
        self.token_rates(client, g.account_id, ctx).await?;
        let mut tx = self.db.begin().await?;
        if !oauth::spend_code(&mut tx, &hash, now).await? {
            // A replayed code: whatever it granted is revoked (RFC 6749
            // §4.1.2).
            oauth::revoke(&mut tx, oauth::Grants::Family(&g.family), now).await?;
            let e = self
                .account_event(
                    &mut tx,
                    ctx,
                    "oauth.token",
                    client,
                    g.account_id,
                    Outcome::Refused,
                    "code_replay",
                )
                .await?;
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        let refuse = if stored.expires_at <= now {
            Some(("code_expired", "the code has expired"))
        } else if g.redirect_uri != req.redirect_uri
            && !(req.redirect_uri.is_empty()
                && client.sso().is_some_and(|s| s.redirect_uris.len() == 1))
        {
            Some((
                "redirect_uri_mismatch",
                "redirect_uri differs from the authorization request",
            ))
        } else if !g.code_challenge.is_empty()
            && !sso::pkce_s256_matches(&req.code_verifier, &g.code_challenge)
        {
            Some((
                "pkce_mismatch",
                "code_verifier does not match the code_challenge",
            ))
        } else if g.code_challenge.is_empty() && !req.code_verifier.is_empty() {
            Some((
                "pkce_unexpected",
                "code_verifier sent for a request without code_challenge",
            ))
        } else {
            None
        };
        if let Some((reason, desc)) = refuse {
            // The spent code stays spent: a failed exchange cannot be retried.
            let e = self
                .account_event(
                    &mut tx,
                    ctx,
                    "oauth.token",
                    client,
                    g.account_id,
                    Outcome::Refused,
                    reason,
                )
                .await?;
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(OAuthError::invalid_grant(desc));
        }
        let account = self
            .account_may_have_tokens(&mut tx, g.account_id, now)
            .await?;
        let Some(account) = account else {
            let e = self
                .account_event(
                    &mut tx,
                    ctx,
                    "oauth.token",
                    client,
                    g.account_id,
                    Outcome::Refused,
                    "account_inactive",
                )
                .await?;
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(OAuthError::invalid_grant("the account cannot sign in"));
        };
        let refresh = random_token(32)?;
        oauth::insert_refresh(
            &mut tx,
            &token_hash(&refresh),
            &oauth::Refresh {
                family: g.family.clone(),
                app_id: client.app.id,
                account_id: g.account_id,
                scope: g.scope.clone(),
                session_hash: g.session_hash.clone(),
                auth_time: g.auth_time,
                method: g.method.clone(),
                expires_at: (now + REFRESH_TTL).min(g.auth_time + REFRESH_MAX),
                used: false,
                revoked: false,
            },
            now,
        )
        .await?;
        let e = self
            .account_event(
                &mut tx,
                ctx,
                "oauth.token",
                client,
                g.account_id,
                Outcome::Ok,
                "",
            )
            .await?;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        let scope: Vec<&str> = g.scope.split(' ').collect();
        self.user_tokens(client, &account, &scope, g, Some(refresh), now)
            .await
            .map_err(OAuthError::from)
    }

    /// The per-application limit (per calling address) and the per-account
    /// limit on token requests, checked before the grant's transaction
    /// begins (a lease refill goes through the group commit, which needs
    /// the writer this transaction would hold).
    async fn token_rates(
        &self,
        client: &Client,
        account: AccountId,
        ctx: &Ctx,
    ) -> Result<(), OAuthError> {
        let s = self.settings().await?;
        let client_key = format!("client:{}:{}", client.app.client_id, ctx.ip);
        if !self
            .rate_allow(&client_key, s.oauth_client_per_minute)
            .await?
            || !self
                .rate_allow(
                    &format!("account:{}", account.0),
                    s.oauth_account_per_minute,
                )
                .await?
        {
            return Err(OAuthError::slow_down());
        }
        Ok(())
    }

    /// The account, when it may hold tokens: active and not locked.
    async fn account_may_have_tokens(
        &self,
        c: &mut portico_store::Conn,
        id: AccountId,
        now: OffsetDateTime,
    ) -> Result<Option<accounts::Account>> {
        Ok(accounts::get(c, id)
            .await?
            .filter(|a| a.state == AccountState::Active && a.locked_until.is_none_or(|u| u <= now)))
    }

    async fn user_tokens(
        &self,
        client: &Client,
        account: &accounts::Account,
        scope: &[&str],
        g: &oauth::Grant,
        refresh: Option<String>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse> {
        let ring = self.key_ring().await?;
        let key = ring
            .current(client.alg())
            .ok_or_else(|| Error::internal("no signing key"))?;
        let sub = account.id.0.to_string();
        let exp = epoch(now + ACCESS_TTL);
        let access = key.sign(
            "at+jwt",
            &json!({
                "iss": self.oidc.issuer, "sub": sub, "aud": client.app.client_id,
                "client_id": client.app.client_id, "iat": epoch(now), "exp": exp,
                "jti": random_token(16)?, "scope": scope.join(" "),
                "auth_time": epoch(g.auth_time), "gid": g.family,
            }),
        )?;
        let id_token = if scope.contains(&"openid") {
            let mut claims = Map::new();
            claims.insert("iss".into(), json!(self.oidc.issuer));
            claims.insert("sub".into(), json!(sub));
            claims.insert("aud".into(), json!(client.app.client_id));
            claims.insert("azp".into(), json!(client.app.client_id));
            claims.insert("iat".into(), json!(epoch(now)));
            claims.insert("exp".into(), json!(exp));
            claims.insert("auth_time".into(), json!(epoch(g.auth_time)));
            let method = SignInMethod::parse(&g.method).unwrap_or(SignInMethod::Password);
            claims.insert("amr".into(), json!(method.amr()));
            claims.insert("acr".into(), json!(acr_of(method)));
            if !g.nonce.is_empty() {
                claims.insert("nonce".into(), json!(g.nonce));
            }
            if !g.session_hash.is_empty() {
                // The session id as the client sees it: not the cookie's
                // hash itself.
                claims.insert("sid".into(), json!(token_hash(&g.session_hash)[..32]));
            }
            let person = self
                .person_claims(account, &client.claims(ServiceKind::Sso))
                .await?;
            claims.extend(person);
            Some(key.sign("JWT", &Value::Object(claims))?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TTL.whole_seconds(),
            scope: scope.join(" "),
            id_token,
            refresh_token: refresh,
        })
    }

    /// The approved claims of a person, and nothing else.
    pub async fn person_claims(
        &self,
        a: &accounts::Account,
        approved: &[Claim],
    ) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        // One pooled connection for the unit and agency names, and only
        // when they were approved.
        let mut c = if approved
            .iter()
            .any(|c| matches!(c, Claim::Unit | Claim::Agency))
        {
            Some(self.db.read().await?)
        } else {
            None
        };
        for claim in approved {
            match claim {
                Claim::Name => {
                    m.insert("name".into(), json!(a.name));
                }
                Claim::Login => {
                    m.insert("preferred_username".into(), json!(a.login));
                }
                Claim::Title => {
                    m.insert("title".into(), json!(a.title));
                }
                Claim::Email => {
                    if !a.official_email.is_empty() {
                        m.insert("email".into(), json!(a.official_email));
                        m.insert("email_verified".into(), json!(true));
                    }
                }
                Claim::Phone => {
                    if !a.office_phone.is_empty() {
                        let ext = if a.office_ext.is_empty() {
                            String::new()
                        } else {
                            format!(";ext={}", a.office_ext)
                        };
                        m.insert(
                            "phone_number".into(),
                            json!(format!("{}{ext}", a.office_phone)),
                        );
                    }
                }
                Claim::Unit => {
                    if let Some(c) = c.as_mut()
                        && let Some(u) = orgs::get(c, a.unit_id).await?
                    {
                        m.insert("unit".into(), json!(u.name));
                        m.insert("unit_oid".into(), json!(u.oid));
                    }
                }
                Claim::Agency => {
                    if let (Some(g), Some(c)) = (a.agency_id, c.as_mut())
                        && let Some(u) = orgs::get(c, g).await?
                    {
                        m.insert("agency".into(), json!(u.name));
                        m.insert("agency_oid".into(), json!(u.oid));
                    }
                }
            }
        }
        Ok(m)
    }

    async fn refresh(
        &self,
        client: &Client,
        req: &TokenRequest,
        ctx: &Ctx,
    ) -> Result<TokenResponse, OAuthError> {
        if req.refresh_token.is_empty() || req.refresh_token.len() > 128 {
            return Err(OAuthError::new(
                "invalid_request",
                "refresh_token is missing",
            ));
        }
        let hash = token_hash(&req.refresh_token);
        let now = self.now();
        let stored = oauth::refresh(&mut *self.db.read().await?, &hash).await?;
        let Some(r) = stored.filter(|r| r.app_id == client.app.id) else {
            self.audit_client(
                ctx,
                "oauth.token",
                &client.app.client_id,
                Some(client),
                "unknown_refresh_token",
            )
            .await?;
            return Err(OAuthError::invalid_grant("the refresh token is unknown"));
        };
        // A narrower scope may be asked for, never a wider one; checked
        // before the token is spent, so a bad request does not cost it.
        let scope: Vec<&str> = if req.scope.trim().is_empty() {
            r.scope.split(' ').collect()
        } else {
            sso::parse_scope(&req.scope)
        };
        let widened = scope.iter().any(|s| !r.scope.split(' ').any(|x| x == *s));
        let Some(sso) = client.sso().filter(|_| !widened) else {
            self.audit_client(
                ctx,
                "oauth.token",
                &client.app.client_id,
                Some(client),
                if widened {
                    "scope_widened"
                } else {
                    "no_sso_service"
                },
            )
            .await?;
            return Err(if widened {
                OAuthError::new("invalid_scope", "a refresh cannot widen the scope")
            } else {
                OAuthError::new(
                    "unauthorized_client",
                    "the application is no longer approved for single sign-on",
                )
            });
        };
        // What the application is approved for now bounds the grant: a
        // withdrawn API permission is gone at the next refresh.
        let mut scope = scope;
        let mut stored_scope: Vec<&str> = r.scope.split(' ').collect();
        if !sso.api_access {
            scope.retain(|s| *s != "portico.api");
            stored_scope.retain(|s| *s != "portico.api");
        }
        self.token_rates(client, r.account_id, ctx).await?;
        let mut tx = self.db.begin().await?;
        let mut reason = if r.revoked {
            Some("refresh_revoked")
        } else if !oauth::spend_refresh(&mut tx, &hash, now).await? {
            // Used before: somebody holds a copy. Revoke the whole family so
            // neither the thief nor the client can go on (RFC 9700 §4.14.2).
            oauth::revoke(&mut tx, oauth::Grants::Family(&r.family), now).await?;
            Some("refresh_reuse")
        } else if oauth::family_revoked(&mut tx, &r.family).await? {
            // A replay revoked the family while this token's predecessor was
            // being rotated, and could not see this token yet.
            oauth::revoke(&mut tx, oauth::Grants::Family(&r.family), now).await?;
            Some("refresh_revoked")
        } else if r.expires_at <= now {
            Some("refresh_expired")
        } else {
            None
        };
        let mut account = None;
        if reason.is_none() {
            match accounts::get(&mut tx, r.account_id).await? {
                Some(a) if a.state != AccountState::Active => {
                    oauth::revoke(&mut tx, oauth::Grants::Account(r.account_id), now).await?;
                    reason = Some("account_inactive");
                }
                // Locked: no tokens while the lock lasts, but nothing is
                // revoked, or five wrong guesses by anyone would end the
                // person's every application session.
                Some(a) if a.locked_until.is_some_and(|u| u > now) => {
                    reason = Some("account_locked");
                }
                Some(a) => account = Some(a),
                None => reason = Some("account_inactive"),
            }
        }
        let (None, Some(account)) = (reason, account) else {
            let e = self
                .account_event(
                    &mut tx,
                    ctx,
                    "oauth.token",
                    client,
                    r.account_id,
                    Outcome::Refused,
                    reason.unwrap_or("account_inactive"),
                )
                .await?;
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(OAuthError::invalid_grant("the refresh token is not valid"));
        };
        let next = random_token(32)?;
        oauth::insert_refresh(
            &mut tx,
            &token_hash(&next),
            &oauth::Refresh {
                expires_at: (now + REFRESH_TTL).min(r.auth_time + REFRESH_MAX),
                used: false,
                revoked: false,
                scope: stored_scope.join(" "),
                ..r.clone()
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        let grant = oauth::Grant {
            app_id: r.app_id,
            account_id: r.account_id,
            redirect_uri: String::new(),
            scope: r.scope.clone(),
            nonce: String::new(),
            code_challenge: String::new(),
            session_hash: r.session_hash.clone(),
            auth_time: r.auth_time,
            method: r.method.clone(),
            family: r.family.clone(),
        };
        self.user_tokens(client, &account, &scope, &grant, Some(next), now)
            .await
            .map_err(OAuthError::from)
    }

    async fn client_credentials(
        &self,
        client: &Client,
        req: &TokenRequest,
        ctx: &Ctx,
    ) -> Result<TokenResponse, OAuthError> {
        if client.is_public() || client.app.secret_hash.is_none() {
            self.audit_client(
                ctx,
                "oauth.token",
                &client.app.client_id,
                Some(client),
                "public_client",
            )
            .await?;
            return Err(OAuthError::new(
                "unauthorized_client",
                "client credentials need a confidential client",
            ));
        }
        // Scopes name the services the client was approved for.
        let allowed: Vec<&str> = CLIENT_SCOPES
            .iter()
            .filter(|(_, k)| client.service(*k).is_some())
            .map(|(s, _)| *s)
            .collect();
        let asked: Vec<&str> = req.scope.split(' ').filter(|s| !s.is_empty()).collect();
        let scope: Vec<&str> = if asked.is_empty() {
            allowed.clone()
        } else {
            if let Some(bad) = asked.iter().find(|s| !allowed.contains(s)) {
                self.audit_client(
                    ctx,
                    "oauth.token",
                    &client.app.client_id,
                    Some(client),
                    "scope_not_approved",
                )
                .await?;
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("scope {bad} is not approved for this client"),
                ));
            }
            asked
        };
        let now = self.now();
        let ring = self.key_ring().await?;
        let key = ring
            .current(client.alg())
            .ok_or_else(|| Error::internal("no signing key"))?;
        let jti = random_token(16)?;
        let access = key.sign(
            "at+jwt",
            &json!({
                "iss": self.oidc.issuer, "sub": client.app.client_id, "aud": client.app.client_id,
                "client_id": client.app.client_id, "iat": epoch(now), "exp": epoch(now + ACCESS_TTL),
                "jti": jti, "scope": scope.join(" "),
            }),
        )?;
        // A government auditor asks who received which token when: every
        // grant is audited before the token leaves, through the group
        // commit (this grant writes nothing else to ride along with).
        let mut e = event(ctx, "oauth.token");
        e.actor_login = client.app.client_id.clone();
        e.target_kind = "app".into();
        e.target_id = Some(client.app.id);
        e.target_label = client.app.name.clone();
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({
            "grant": "client_credentials", "client_id": client.app.client_id,
            "scope": scope.join(" "), "jti": jti,
        })
        .to_string();
        if self.audit_grants {
            self.audit_committed(e).await?;
        }
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TTL.whole_seconds(),
            scope: scope.join(" "),
            id_token: None,
            refresh_token: None,
        })
    }

    /// The claims of a JWT of ours: the given `typ`, signed by one of our
    /// keys (which fixes the algorithm), issued by us. Expiry is the
    /// caller's business.
    async fn our_jwt(&self, token: &str, typ: &str) -> Result<Option<Map<String, Value>>> {
        let Ok(parsed) = keys::parse(token) else {
            return Ok(None);
        };
        if parsed.typ != typ {
            return Ok(None);
        }
        let Some(key) = self.key_for(&parsed.kid).await? else {
            return Ok(None);
        };
        let Ok(claims) = parsed.verify(&key) else {
            return Ok(None);
        };
        let ours = claims.get("iss").and_then(Value::as_str) == Some(self.oidc.issuer.as_str());
        Ok(ours.then_some(claims))
    }

    /// Verifies an access token: signature by one of our keys, issuer,
    /// expiry, type; not revoked; its grant not revoked; its client active;
    /// for a person's token, the account still active.
    pub async fn verify_access_token(&self, token: &str) -> Result<Option<AccessToken>> {
        let Some(claims) = self.our_jwt(token, "at+jwt").await? else {
            return Ok(None);
        };
        let s = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let n = |k: &str| claims.get(k).and_then(Value::as_i64).unwrap_or(0);
        if n("exp") <= epoch(self.now()) {
            return Ok(None);
        }
        // The client first: reading it may take a pooled connection of its
        // own, which must not wait while this request holds another.
        let client_id = s("client_id");
        let Some(client) = self.client(&client_id).await? else {
            return Ok(None);
        };
        if client.app.suspended {
            return Ok(None);
        }
        let mut c = self.db.read().await?;
        if oauth::access_revoked(&mut c, &s("jti")).await? {
            return Ok(None);
        }
        let family = s("gid");
        let account = if s("sub") == client_id {
            None
        } else {
            let Ok(id) = s("sub").parse::<i64>() else {
                return Ok(None);
            };
            let now_t = self.now();
            if self
                .account_may_have_tokens(&mut c, AccountId(id), now_t)
                .await?
                .is_none()
            {
                return Ok(None);
            }
            if !family.is_empty() && oauth::family_revoked(&mut c, &family).await? {
                return Ok(None);
            }
            Some(AccountId(id))
        };
        Ok(Some(AccessToken {
            client_id,
            app_id: client.app.id,
            account,
            scope: s("scope")
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            jti: s("jti"),
            family,
            exp: n("exp"),
            iat: n("iat"),
            api_access: client.sso().is_some_and(|s| s.api_access),
        }))
    }

    /// The userinfo endpoint: the approved claims of the token's person.
    pub async fn userinfo(&self, token: &str) -> Result<Option<Map<String, Value>>> {
        let Some(t) = self.verify_access_token(token).await? else {
            return Ok(None);
        };
        let (Some(account), true) = (t.account, t.has_scope("openid")) else {
            return Ok(None);
        };
        let Some(client) = self.client(&t.client_id).await? else {
            return Ok(None);
        };
        let Some(a) = accounts::get(&mut *self.db.read().await?, account).await? else {
            return Ok(None);
        };
        let mut m = Map::new();
        m.insert("sub".into(), json!(account.0.to_string()));
        m.extend(
            self.person_claims(&a, &client.claims(ServiceKind::Sso))
                .await?,
        );
        Ok(Some(m))
    }

    /// Introspection (RFC 7662). A client learns only about its own
    /// tokens; anything else is `{"active": false}`.
    pub async fn introspect(&self, caller: &Client, token: &str) -> Result<Value> {
        let inactive = json!({"active": false});
        if token.contains('.') {
            let Some(t) = self.verify_access_token(token).await? else {
                return Ok(inactive);
            };
            if t.app_id != caller.app.id {
                return Ok(inactive);
            }
            let mut v = json!({
                "active": true, "token_type": "Bearer", "client_id": t.client_id,
                "scope": t.scope.join(" "), "exp": t.exp, "iat": t.iat,
                "iss": self.oidc.issuer, "aud": t.client_id, "jti": t.jti,
            });
            v["sub"] = json!(
                t.account
                    .map(|a| a.0.to_string())
                    .unwrap_or(t.client_id.clone())
            );
            if let Some(a) = t.account
                && caller.claims(ServiceKind::Sso).contains(&Claim::Login)
                && let Some(acc) = accounts::get(&mut *self.db.read().await?, a).await?
            {
                v["username"] = json!(acc.login);
            }
            return Ok(v);
        }
        if token.is_empty() || token.len() > 128 {
            return Ok(inactive);
        }
        let now = self.now();
        let mut c = self.db.read().await?;
        let Some(r) = oauth::refresh(&mut c, &token_hash(token)).await? else {
            return Ok(inactive);
        };
        if r.app_id != caller.app.id || r.used || r.revoked || r.expires_at <= now {
            return Ok(inactive);
        }
        if self
            .account_may_have_tokens(&mut c, r.account_id, now)
            .await?
            .is_none()
        {
            return Ok(inactive);
        }
        Ok(json!({
            "active": true, "token_type": "refresh_token", "client_id": caller.app.client_id,
            "scope": r.scope, "sub": r.account_id.0.to_string(), "exp": epoch(r.expires_at),
            "iss": self.oidc.issuer,
        }))
    }

    /// Revocation (RFC 7009): always succeeds from the client's view; only
    /// the client's own tokens are affected. A refresh token takes its
    /// whole grant with it, access tokens included.
    pub async fn revoke(&self, caller: &Client, token: &str, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        if token.contains('.') {
            if let Some(t) = self.verify_access_token(token).await?
                && t.app_id == caller.app.id
            {
                let mut tx = self.db.begin().await?;
                if let Some(a) = t.account {
                    let e = self
                        .account_event(
                            &mut tx,
                            ctx,
                            "oauth.revoke",
                            caller,
                            a,
                            Outcome::Ok,
                            "access_token",
                        )
                        .await?;
                    audit::append(&mut tx, &e, now).await?;
                }
                oauth::revoke_access(
                    &mut tx,
                    &t.jti,
                    portico_core::time::from_millis(t.exp * 1000),
                )
                .await?;
                tx.commit().await.map_err(db_err)?;
            }
            return Ok(());
        }
        if token.is_empty() || token.len() > 128 {
            return Ok(());
        }
        let r = oauth::refresh(&mut *self.db.read().await?, &token_hash(token)).await?;
        if let Some(r) = r.filter(|r| r.app_id == caller.app.id) {
            let mut tx = self.db.begin().await?;
            oauth::revoke(&mut tx, oauth::Grants::Family(&r.family), now).await?;
            let e = self
                .account_event(
                    &mut tx,
                    ctx,
                    "oauth.revoke",
                    caller,
                    r.account_id,
                    Outcome::Ok,
                    "",
                )
                .await?;
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(())
    }

    /// Reads an ID token hint (RP-initiated logout): our signature and
    /// issuer; expiry does not matter (applications keep it for the whole
    /// session), the session it names does. Returns (client_id, account
    /// id, sid).
    pub async fn id_token_hint(&self, token: &str) -> Result<Option<(String, String, String)>> {
        // An ID token (typ JWT), not an access token.
        let Some(claims) = self.our_jwt(token, "JWT").await? else {
            return Ok(None);
        };
        let s = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        Ok(Some((s("aud"), s("sub"), s("sid"))))
    }

    /// Ends a portal session from an application's logout (OpenID Connect
    /// RP-Initiated Logout 1.0), with the refresh tokens it granted.
    pub async fn end_session(&self, s: &Session, client: Option<&Client>, ctx: &Ctx) -> Result<()> {
        let detail = match client {
            Some(c) => json!({"via": "oidc_logout", "app": c.app.name}),
            None => json!({"via": "oidc_logout"}),
        };
        self.end_session_with(s, ctx, detail.to_string()).await
    }

    /// The `sid` claim of a session, as ID tokens carry it.
    pub fn sid_of(session: &Session) -> String {
        token_hash(&session.id_hash)[..32].to_owned()
    }

    /// Removes spent codes, expired refresh tokens and stale revocations
    /// (kept a day past expiry, so a replay is still recognised).
    pub async fn purge_oauth(&self) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = oauth::purge(&mut tx, self.now() - Duration::days(1)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }
}

/// Scope of a client token that lets it call an application API.
pub fn client_scope_for(kind: ServiceKind) -> Option<&'static str> {
    CLIENT_SCOPES
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(s, _)| *s)
}
