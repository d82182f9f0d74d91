//! The refresh token grant (RFC 6749 §6): rotated on every use, and a
//! reused token revokes its whole family (OAuth 2.0 Security BCP §4.14).
use crate::oidc::{Client, OAuthError, REFRESH_MAX, REFRESH_TTL, TokenRequest, TokenResponse};
use crate::{App, Ctx, Result, random_token, token_hash};
use portico_core::account::AccountState;
use portico_core::sso::{self};
use portico_store::{accounts, db_err, oauth};

impl App {
    pub(crate) async fn refresh(
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
            return self
                .refuse_grant(
                    tx,
                    ctx,
                    client,
                    r.account_id,
                    reason.unwrap_or("account_inactive"),
                    OAuthError::invalid_grant("the refresh token is not valid"),
                )
                .await;
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
}
