//! Token revocation (RFC 7009).
use crate::oidc::Client;
use crate::{App, Ctx, Result, token_hash};
use portico_core::audit::Outcome;
use portico_store::{db_err, oauth};

impl App {
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
                    self.audit_account(
                        &mut tx,
                        ctx,
                        "oauth.revoke",
                        caller,
                        a,
                        Outcome::Ok,
                        "access_token",
                    )
                    .await?;
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
            self.audit_account(
                &mut tx,
                ctx,
                "oauth.revoke",
                caller,
                r.account_id,
                Outcome::Ok,
                "",
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(())
    }
}
