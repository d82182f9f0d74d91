//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the ID
//! token hint read, the portal session ended.
use crate::oidc::Client;
use crate::sessions::Session;
use crate::{App, Ctx, Result, token_hash};
use serde_json::{Value, json};

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
        token_hash(&session.id_hash)[..32].to_owned()
    }
}
