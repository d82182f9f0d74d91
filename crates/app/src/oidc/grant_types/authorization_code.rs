//! The authorization code grant (RFC 6749 §4.1.3, PKCE RFC 7636): a code
//! redeemed once, by the client it was issued to, with its verifier.
use crate::oidc::logout::sid_of_hash;
use crate::oidc::{Client, OAuthError, REFRESH_MAX, REFRESH_TTL, TokenRequest, TokenResponse};
use crate::{App, Ctx, Result, random_token, token_hash};
use portico_core::audit::Outcome;
use portico_core::sso::{self};
use portico_store::{db_err, oauth};

impl App {
    pub(crate) async fn exchange_code(
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
            return self
                .refuse_grant(
                    tx,
                    ctx,
                    client,
                    g.account_id,
                    "auth_code_reused",
                    OAuthError::invalid_grant("the code was already used"),
                )
                .await;
        }
        let refuse = if stored.expires_at <= now {
            Some(("code_expired", "the code has expired"))
        } else if g.redirect_uri != req.redirect_uri {
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
            return self
                .refuse_grant(
                    tx,
                    ctx,
                    client,
                    g.account_id,
                    reason,
                    OAuthError::invalid_grant(desc),
                )
                .await;
        }
        let account = self
            .account_may_have_tokens(&mut tx, g.account_id, now)
            .await?;
        let Some(account) = account else {
            return self
                .refuse_grant(
                    tx,
                    ctx,
                    client,
                    g.account_id,
                    "account_inactive",
                    OAuthError::invalid_grant("the account cannot sign in"),
                )
                .await;
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
        let scope: Vec<&str> = g.scope.split(' ').collect();
        if scope.contains(&"openid") && !g.session_hash.is_empty() {
            oauth::signed_into(
                &mut tx,
                &g.session_hash,
                client.app.id,
                g.account_id,
                &sid_of_hash(&g.session_hash),
                now,
            )
            .await?;
        }
        self.audit_account(
            &mut tx,
            ctx,
            "oauth.token",
            client,
            g.account_id,
            Outcome::Ok,
            "",
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.user_tokens(client, &account, &scope, g, Some(refresh), now)
            .await
            .map_err(OAuthError::from)
    }
}
