//! The token endpoint (RFC 6749 §3.2): the client authenticated and
//! rate-limited, then the grant type's own module; and the tokens issued
//! to a person.
use crate::oidc::{
    ACCESS_TTL, Client, ClientAuth, OAuthError, TokenRequest, TokenResponse, acr_of, epoch,
};
use crate::{App, Ctx, Result, random_token};
use portico_core::Error;
use portico_core::account::AccountState;
use portico_core::clients::ServiceKind;
use portico_core::ids::AccountId;
use portico_core::zone::SignInMethod;
use portico_store::{accounts, oauth};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

impl App {
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

    pub(crate) async fn other_grant(
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

    /// The per-application limit (per calling address) and the per-account
    /// limit on token requests, checked before the grant's transaction
    /// begins (a lease refill goes through the group commit, which needs
    /// the writer this transaction would hold).
    pub(crate) async fn token_rates(
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
    pub(crate) async fn account_may_have_tokens(
        &self,
        c: &mut portico_store::Conn,
        id: AccountId,
        now: OffsetDateTime,
    ) -> Result<Option<accounts::Account>> {
        Ok(accounts::get(c, id)
            .await?
            .filter(|a| a.state == AccountState::Active && a.locked_until.is_none_or(|u| u <= now)))
    }

    pub(crate) async fn user_tokens(
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
                claims.insert(
                    "sid".into(),
                    json!(crate::oidc::logout::sid_of_hash(&g.session_hash)),
                );
            }
            let person = self
                .person_claims(
                    account,
                    client.app.id,
                    &portico_core::sso::released(
                        &client.claims(ServiceKind::Sso),
                        scope.iter().copied(),
                    ),
                )
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
}
