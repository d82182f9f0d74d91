//! The relying parties as the provider sees them: loaded by client_id
//! (cached by version), authenticated (secret or none for public clients),
//! rate-limited and audited.
use crate::oidc::{Client, ClientAuth, OAuthError};
use crate::{App, Ctx, Result, event, token_hash};
use portico_core::audit::Outcome;
use portico_store::clients::{self as store_clients};
use portico_store::{audit, db_err};
use serde_json::json;
use std::sync::Arc;

impl App {
    /// The client behind a `client_id`, with its approved services, from a
    /// short-lived cache.
    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Ok(None);
        }
        let v = self.versions().await?.clients;
        if let Some(c) = self.oidc.clients.get(client_id, v) {
            return Ok(c);
        }
        let mut c = self.db.read().await?;
        let client = match store_clients::by_client_id(&mut c, client_id).await? {
            Some(app) => {
                let services = store_clients::approved_of(&mut c, app.id).await?;
                Some(Arc::new(Client { app, services }))
            }
            None => None,
        };
        self.oidc
            .clients
            .put(client_id.to_owned(), v, client.clone());
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
    pub(crate) async fn authenticate_client_counted(
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
        self.audit_client_saying(ctx, action, client_id, client, reason, "")
            .await
    }

    /// The same, with what the client was told (`error_description`), so
    /// the trail says more than the code.
    pub(crate) async fn audit_client_saying(
        &self,
        ctx: &Ctx,
        action: &str,
        client_id: &str,
        client: Option<&Client>,
        reason: &str,
        told: &str,
    ) -> Result<()> {
        let mut e = event(ctx, action);
        e.target_kind = "app".into();
        e.target_id = client.map(|c| c.app.id);
        e.target_label = client
            .map(|c| c.app.name.clone())
            .unwrap_or_else(|| client_id.chars().take(64).collect());
        e.outcome = Some(Outcome::Refused);
        e.reason = reason.into();
        let mut detail = json!({ "client_id": client_id.chars().take(64).collect::<String>() });
        if !told.is_empty() {
            detail["error_description"] = json!(told);
        }
        e.detail = detail.to_string();
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }
}
