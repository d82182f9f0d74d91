//! System parameters (系統參數管理): system admins only.
use crate::{App, Ctx, Result, event};
use portico_core::permission::{Principal, SystemAdmin};
use portico_core::settings::SystemSettings;
use portico_store::settings as store_settings;
use portico_store::{Db, audit, db_err};

const KEY: &str = "system";

/// Reads the parameters and their version; defaults (version 0) where
/// none were saved.
pub(crate) async fn load(db: &Db) -> Result<(SystemSettings, i64)> {
    let raw = store_settings::get(&mut *db.read().await?, KEY).await?;
    Ok(match raw {
        Some(s) => (parse(&s.value), s.version),
        None => (SystemSettings::default(), 0),
    })
}

fn parse(json: &str) -> SystemSettings {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::error!(error = %e, "stored system settings unreadable; using defaults");
        SystemSettings::default()
    })
}

/// What a save did.
#[derive(Debug)]
pub enum Saved {
    /// Written as this version.
    Done(i64),
    /// Another admin saved since `base` and changed the same fields to
    /// other values. Nothing was written; `kept` is the latest save with the
    /// rest of this edit applied, to show and send again at `version`.
    Conflict {
        fields: Vec<&'static str>,
        kept: Box<SystemSettings>,
        version: i64,
    },
}

impl App {
    /// System admins: the parameters and their version, as the settings
    /// console shows them.
    pub async fn settings_console(&self, _: &SystemAdmin<'_>) -> Result<(SystemSettings, i64)> {
        load(&self.db).await
    }

    /// System admins: saves the parameters an admin edited from version
    /// `base`. A save made meanwhile by someone else is kept: edits of
    /// other fields are merged, and the same field changed twice is
    /// refused by name ([`Saved::Conflict`]). The write is conditional on
    /// the version, so of two saves at once exactly one is first.
    pub async fn update_settings(
        &self,
        actor: &Principal,
        new: &SystemSettings,
        base: i64,
        ctx: &Ctx,
    ) -> Result<Saved> {
        let admin = actor.system_admin()?;
        new.validate()?;
        loop {
            let mut tx = self.db.begin().await?;
            let (latest, version) = match store_settings::get(&mut tx, KEY).await? {
                Some(s) => (parse(&s.value), s.version),
                None => (SystemSettings::default(), 0),
            };
            let to_save = if version == base {
                new.clone()
            } else {
                let at_base = match base {
                    0 => Some(SystemSettings::default()),
                    b => store_settings::at_version(&mut tx, KEY, b)
                        .await?
                        .map(|j| parse(&j)),
                };
                // A base nobody kept (a version that never was): every field
                // this edit and the latest disagree on is a conflict, so
                // nothing saved meanwhile is undone unseen.
                let (merged, fields) = match at_base {
                    Some(b) => portico_core::settings::merge(&b, new, &latest),
                    None => (
                        latest.clone(),
                        portico_core::settings::differing(new, &latest),
                    ),
                };
                if !fields.is_empty() {
                    return Ok(Saved::Conflict {
                        fields,
                        kept: Box::new(merged),
                        version,
                    });
                }
                merged.validate()?;
                merged
            };
            if to_save == latest {
                // Nothing changes: nothing is written, no version is spent.
                return Ok(Saved::Done(version));
            }
            let json = serde_json::to_string(&to_save).map_err(portico_core::Error::internal)?;
            let now = self.now();
            let Some(saved) = store_settings::put(
                &mut tx,
                admin.writes(),
                KEY,
                &json,
                admin.principal().login(),
                now,
                version,
            )
            .await?
            else {
                // Another save committed between the read and the write:
                // read again and merge with it.
                continue;
            };
            let mut e = event(ctx, "settings.update");
            e.actor_id = Some(actor.account_id().0);
            e.actor_login = actor.login().to_owned();
            e.target_kind = "settings".into();
            e.target_label = KEY.into();
            e.scope_path = actor.unit_path().as_str().to_owned();
            e.detail = serde_json::json!({ "before": latest, "after": to_save, "version": saved })
                .to_string();
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            self.forget_versions();
            return Ok(Saved::Done(saved));
        }
    }

    /// From the server's console (`portico admin network`): sets the
    /// government network and the trusted proxies. The way back in when
    /// the zones keep everybody outside (a proxy not yet entered).
    pub async fn set_network_cli(
        &self,
        internal: Option<&str>,
        proxies: Option<&str>,
    ) -> Result<SystemSettings> {
        let cli = portico_core::permission::Unattended::unattended("portico admin network");
        loop {
            let (old, version) = load(&self.db).await?;
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
            let Some(saved) =
                store_settings::put(&mut tx, cli.system(), KEY, &json, "cli", now, version).await?
            else {
                continue;
            };
            let mut e = event(&Ctx::new("", "portico admin network"), "settings.update");
            e.actor_login = "cli".into();
            e.target_kind = "settings".into();
            e.target_label = KEY.into();
            e.detail =
                serde_json::json!({ "before": old, "after": new, "version": saved }).to_string();
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            self.forget_versions();
            return Ok(new);
        }
    }
}
