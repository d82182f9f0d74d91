//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the ID
//! token hint read, the portal session ended.
//!
//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
//! portal session ends, the store queues a message for each application
//! the session signed into that registered a logout URI
//! (`store::sessions`); the outbox worker signs the logout token when it
//! delivers, so a retry hours later still carries a fresh `iat`.
use crate::oidc::{Client, epoch};
use crate::outbox::DeliveryError;
use crate::sessions::Session;
use crate::{App, Ctx, Result, random_token, token_hash};
use portico_store::outbox::Message;
use serde_json::{Value, json};
use time::Duration;

/// The event a logout token carries (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The session id as applications see it (`sid`): derived from the
/// cookie's hash, never the hash itself.
pub(crate) fn sid_of_hash(session_hash: &str) -> String {
    token_hash(session_hash)[..32].to_owned()
}

/// How long a logout token is good for after it is signed.
const LOGOUT_TOKEN_TTL: Duration = Duration::minutes(2);

impl App {
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
        sid_of_hash(&session.id_hash)
    }

    /// The logout token for one queued message: the application's client
    /// id is its subject, the session's `sid` its body, the account its
    /// `sub`. Signed with the key and algorithm the application's ID
    /// tokens use.
    pub(crate) async fn logout_token(&self, m: &Message) -> Result<Option<String>> {
        let Some(client) = self.client(&m.subject).await? else {
            return Ok(None);
        };
        let ring = self.key_ring().await?;
        let Some(key) = ring.current(client.alg()) else {
            return Err(portico_core::Error::internal("no signing key"));
        };
        let now = self.now();
        let mut claims = json!({
            "iss": self.oidc.issuer,
            "aud": client.app.client_id,
            "iat": epoch(now),
            "exp": epoch(now + LOGOUT_TOKEN_TTL),
            "jti": random_token(16)?,
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
            "sid": m.body,
        });
        if let Some(a) = m.account_id {
            claims["sub"] = json!(a.0.to_string());
        }
        key.sign("logout+jwt", &claims).map(Some)
    }

    /// Delivers one back-channel logout (§2.5): a form POST of the token;
    /// 200 or 204 is done, another 4xx is the application refusing it for
    /// good, anything else is tried again.
    pub(crate) async fn send_logout(&self, m: &Message) -> std::result::Result<(), DeliveryError> {
        let token = match self.logout_token(m).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(DeliveryError::Permanent(
                    "the application is no longer registered".into(),
                ));
            }
            Err(e) => return Err(DeliveryError::Transient(e.to_string())),
        };
        let r = self
            .delivery
            .http
            .post(&m.recipient)
            .form(&[("logout_token", token.as_str())])
            .send()
            .await
            .map_err(|e| DeliveryError::Transient(format!("{e}")))?;
        let st = r.status();
        if st.is_success() {
            Ok(())
        } else if st.is_client_error() && st.as_u16() != 408 && st.as_u16() != 429 {
            Err(DeliveryError::Permanent(format!(
                "the application answered {st}"
            )))
        } else {
            Err(DeliveryError::Transient(format!(
                "the application answered {st}"
            )))
        }
    }
}
