//! System parameters (系統參數管理): system admins only.
use crate::{App, Ctx, Result, event};
use portico_core::permission::{Principal, SystemAdmin};
use portico_core::settings::SystemSettings;
use portico_store::{Db, audit, db_err};
use std::sync::Arc;

const KEY: &str = "system";

/// Reads the parameters; defaults where none were saved.
pub(crate) async fn load(db: &Db) -> Result<SystemSettings> {
    let raw = portico_store::settings::get(&mut *db.read().await?, KEY).await?;
    Ok(match raw {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored system settings unreadable; using defaults");
            SystemSettings::default()
        }),
        None => SystemSettings::default(),
    })
}

impl App {
    /// System admins: the parameters, as the settings console shows them.
    pub async fn settings_console(&self, _: &SystemAdmin<'_>) -> Result<Arc<SystemSettings>> {
        self.settings().await
    }

    /// System admins: replaces the parameters after checking them.
    pub async fn update_settings(
        &self,
        actor: &Principal,
        new: &SystemSettings,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        new.validate()?;
        let old = load(&self.db).await?;
        let json = serde_json::to_string(new).map_err(portico_core::Error::internal)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        portico_store::settings::put(
            &mut tx,
            admin.writes(),
            KEY,
            &json,
            admin.principal().login(),
            now,
        )
        .await?;
        let mut e = event(ctx, "settings.update");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        e.target_kind = "settings".into();
        e.target_label = KEY.into();
        e.scope_path = actor.unit_path().as_str().to_owned();
        e.detail = serde_json::json!({ "before": old, "after": new }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_settings();
        Ok(())
    }

    /// From the server's console (`portico admin network`): sets the
    /// government network and the trusted proxies. The way back in when
    /// the zones keep everybody outside (a proxy not yet entered).
    pub async fn set_network_cli(
        &self,
        internal: Option<&str>,
        proxies: Option<&str>,
    ) -> Result<SystemSettings> {
        let old = load(&self.db).await?;
        let mut new = old.clone();
        if let Some(v) = internal {
            new.internal_networks = v.replace(',', "\n");
        }
        if let Some(v) = proxies {
            new.trusted_proxies = v.replace(',', "\n");
        }
        new.validate()?;
        let json = serde_json::to_string(&new).map_err(portico_core::Error::internal)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let cli = portico_core::permission::Unattended::unattended("portico admin network");
        portico_store::settings::put(&mut tx, cli.system(), KEY, &json, "cli", now).await?;
        let mut e = event(&Ctx::new("", "portico admin network"), "settings.update");
        e.actor_login = "cli".into();
        e.target_kind = "settings".into();
        e.target_label = KEY.into();
        e.detail = serde_json::json!({ "before": old, "after": new }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_settings();
        Ok(new)
    }
}
