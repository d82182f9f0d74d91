//! Token introspection (RFC 7662) for the client a token was issued to.
use crate::oidc::{Client, epoch};
use crate::{App, Result, token_hash};
use portico_core::clients::ServiceKind;
use portico_core::sso::Claim;
use portico_store::{accounts, oauth};
use serde_json::{Value, json};

impl App {
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
}
