//! The OpenID provider (004 §壹 二 (一), §捌 七 (一)): authorization code flow
//! with PKCE, refresh tokens with rotation and reuse detection, client
//! credentials, userinfo, introspection (RFC 7662), revocation (RFC 7009)
//! and RP-initiated logout. Tokens are JWTs signed with keys from
//! [`keys`]; codes and refresh tokens are opaque and stored as hashes.
mod authorize;
mod claims;
mod clients;
mod grant_types;
mod introspect;
pub mod keys;
pub(crate) mod logout;
mod revoke;
mod token;
mod userinfo;

use crate::{App, Ctx, Result, event};
use keys::{Key, MasterKey};
use portico_core::audit::Outcome;
use portico_core::clients::ServiceKind;
use portico_core::ids::AccountId;
use portico_core::sso::{Claim, ClientType, SigningAlg};
use portico_core::zone::SignInMethod;
use portico_core::{Error, Msg};
use portico_store::clients::{self as store_clients, Service};
use portico_store::{accounts, audit, db_err, oauth};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;
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
    /// `None`: no such client.
    clients: crate::Versioned<String, Option<Arc<Client>>, 10_000>,
}

impl Provider {
    pub fn new(issuer: &str, master: Option<MasterKey>) -> Provider {
        Provider {
            issuer: issuer.trim_end_matches('/').to_owned(),
            master,
            ring: Mutex::new(None),
            forced: Mutex::new(None),
            clients: crate::Versioned::default(),
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
    pub app: store_clients::Client,
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
    /// Request objects (§6), refused as not supported.
    pub request: String,
    pub request_uri: String,
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

pub(crate) fn epoch(t: OffsetDateTime) -> i64 {
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

/// What an access token presented at a resource comes to: what it grants,
/// nothing (unknown, expired, revoked), or too little — a valid token
/// without the scope the resource needs (RFC 6750 §3.1
/// `insufficient_scope`).
#[derive(Debug)]
pub enum TokenUse<T> {
    Granted(T),
    Invalid,
    Insufficient(&'static str),
}

/// What a client credentials token may do, by approved service.
pub const CLIENT_SCOPES: [(&str, ServiceKind); 3] = [
    ("account.verify", ServiceKind::Verify),
    ("sms.send", ServiceKind::Sms),
    ("usage.report", ServiceKind::Usage),
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

    /// Appends, in `c`'s transaction, an event about what `client` did for
    /// `account` (a code issued, a token exchanged, revoked or refused).
    #[allow(clippy::too_many_arguments)]
    async fn audit_account(
        &self,
        c: &mut portico_store::Conn,
        ctx: &Ctx,
        action: &str,
        client: &Client,
        account: AccountId,
        outcome: Outcome,
        reason: &str,
    ) -> Result<()> {
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
        audit::append(c, &e, self.now()).await?;
        Ok(())
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
