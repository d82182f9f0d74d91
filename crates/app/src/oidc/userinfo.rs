//! Our own JWTs checked (signature by `kid`, issuer, expiry, revocation)
//! and the userinfo endpoint (OpenID Connect Core §5.3).
use crate::oidc::TokenUse;
use crate::oidc::{AccessToken, epoch, keys};
use crate::{App, Result};
use portico_core::clients::ServiceKind;
use portico_core::ids::AccountId;
use portico_store::{accounts, oauth};
use serde_json::{Map, Value, json};

impl App {
    /// The claims of a JWT of ours: the given `typ`, signed by one of our
    /// keys (which fixes the algorithm), issued by us. Expiry is the
    /// caller's business.
    pub(crate) async fn our_jwt(
        &self,
        token: &str,
        typ: &str,
    ) -> Result<Option<Map<String, Value>>> {
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

    /// The userinfo endpoint: the approved claims of the token's person
    /// that its scopes ask for.
    pub async fn userinfo(&self, token: &str) -> Result<TokenUse<Map<String, Value>>> {
        let Some(t) = self.verify_access_token(token).await? else {
            return Ok(TokenUse::Invalid);
        };
        let Some(account) = t.account else {
            return Ok(TokenUse::Insufficient("openid"));
        };
        if !t.has_scope("openid") {
            return Ok(TokenUse::Insufficient("openid"));
        }
        let Some(client) = self.client(&t.client_id).await? else {
            return Ok(TokenUse::Invalid);
        };
        let Some(a) = accounts::get(&mut *self.db.read().await?, account).await? else {
            return Ok(TokenUse::Invalid);
        };
        let mut m = Map::new();
        m.insert("sub".into(), json!(account.0.to_string()));
        m.extend(
            self.person_claims(
                &a,
                client.app.id,
                &portico_core::sso::released(
                    &client.claims(ServiceKind::Sso),
                    t.scope.iter().map(String::as_str),
                ),
            )
            .await?,
        );
        Ok(TokenUse::Granted(m))
    }
}
