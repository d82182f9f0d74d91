//! One module per grant the token endpoint accepts.
mod authorization_code;
mod client_credentials;
mod refresh_token;

use crate::oidc::{Client, OAuthError, TokenResponse};
use crate::{App, Ctx};
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_store::{Tx, db_err};

impl App {
    /// A grant refused after its transaction began: the refusal is audited
    /// against the account and committed with whatever the refusal changed
    /// (a spent code stays spent, a replayed family stays revoked), then
    /// `err` is the answer.
    async fn refuse_grant(
        &self,
        mut tx: Tx,
        ctx: &Ctx,
        client: &Client,
        account: AccountId,
        reason: &str,
        err: OAuthError,
    ) -> Result<TokenResponse, OAuthError> {
        self.audit_account(
            &mut tx,
            ctx,
            "oauth.token",
            client,
            account,
            Outcome::Refused,
            reason,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Err(err)
    }
}
