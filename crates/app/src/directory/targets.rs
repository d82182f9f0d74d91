//! Directory targets as system admins keep them (管理主控台 → AD 同步管理作業):
//! the list, the form, and the connection test.
use super::client::{Failure, Step, probe};
use crate::{App, Ctx, Result};
use portico_core::directory::{Target, TargetInput};
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::directory::{self, TargetRow};
use portico_store::{audit, db_err};

/// What the bind password is sealed with, beside the master key.
const SEAL: &str = "directory-bind";

fn target_event(
    ctx: &Ctx,
    action: &str,
    actor: &Principal,
    id: i64,
    name: &str,
) -> audit::NewEvent {
    let mut e = crate::event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "directory".into();
    e.target_id = Some(id);
    e.target_label = name.chars().take(60).collect();
    e
}

impl App {
    /// System admins: every target.
    pub async fn directory_targets(&self, actor: &Principal) -> Result<Vec<TargetRow>> {
        let admin = actor.system_admin()?;
        directory::list(&mut *self.db.read().await?, &admin).await
    }

    /// System admins: one target.
    pub async fn directory_target(&self, actor: &Principal, id: i64) -> Result<TargetRow> {
        let admin = actor.system_admin()?;
        directory::get(&mut *self.db.read().await?, &admin, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// System admins: a new target. The bind password is required here and
    /// sealed under the master key; it is never shown again.
    pub async fn create_directory_target(
        &self,
        actor: &Principal,
        f: &TargetInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let admin = actor.system_admin()?;
        let t = checked(f, true)?;
        let sealed = self.master()?.seal(SEAL, f.bind_password.as_bytes())?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = directory::insert(&mut tx, admin.writes(), &t, &sealed, now).await?;
        let mut e = target_event(ctx, "directory.target.create", actor, id, &t.name);
        e.detail = serde_json::json!({ "kind": t.kind.as_str(), "url": t.url }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// System admins: saves an edit made on `version`. An empty password
    /// keeps the stored one.
    pub async fn update_directory_target(
        &self,
        actor: &Principal,
        id: i64,
        f: &TargetInput,
        version: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let t = checked(f, false)?;
        let sealed = if f.bind_password.is_empty() {
            None
        } else {
            Some(self.master()?.seal(SEAL, f.bind_password.as_bytes())?)
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if directory::get(&mut tx, &admin, id).await?.is_none() {
            return Err(Error::NotFound);
        }
        if !directory::update(
            &mut tx,
            admin.writes(),
            id,
            &t,
            sealed.as_deref(),
            version,
            now,
        )
        .await?
        {
            return Err(Error::Conflict {
                field: "version",
                message: Msg::new(
                    "其他管理者已先修改此目錄設定，請重新載入後再改",
                    "Someone saved this directory meanwhile; reload and edit again",
                ),
            });
        }
        let mut e = target_event(ctx, "directory.target.update", actor, id, &t.name);
        e.detail = serde_json::json!({
            "kind": t.kind.as_str(),
            "url": t.url,
            "password_changed": sealed.is_some(),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// System admins: the connection test of a stored target. Its outcome
    /// is kept as the target's health and audited.
    pub async fn probe_directory_target(
        &self,
        actor: &Principal,
        id: i64,
        ctx: &Ctx,
    ) -> Result<std::result::Result<(), Failure>> {
        let admin = actor.system_admin()?;
        let row = self.directory_target(actor, id).await?;
        let password = self.bind_password(&row)?;
        let outcome = probe(&row.target, &password).await;
        let now = self.now();
        let message = match &outcome {
            Ok(()) => String::new(),
            Err(f) => format!("{}：{}", f.step.label().zh, f.message.zh),
        };
        let mut tx = self.db.begin().await?;
        directory::record_probe(&mut tx, admin.writes(), id, outcome.is_ok(), &message, now)
            .await?;
        let mut e = target_event(ctx, "directory.probe", actor, id, &row.target.name);
        if let Err(f) = &outcome {
            e.outcome = Some(portico_core::audit::Outcome::Failed);
            e.reason = step_reason(f.step).into();
            e.detail =
                serde_json::json!({ "error": f.detail.chars().take(300).collect::<String>() })
                    .to_string();
        }
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    /// The stored bind password, opened.
    pub(crate) fn bind_password(&self, row: &TargetRow) -> Result<String> {
        let plain = self.master()?.open(SEAL, &row.bind_secret)?;
        String::from_utf8(plain).map_err(|_| Error::internal("sealed bind password is not text"))
    }
}

/// The audit reason of a failed connection test.
fn step_reason(s: Step) -> &'static str {
    match s {
        Step::Resolve => "directory_dns",
        Step::Connect => "directory_connect",
        Step::Tls => "directory_tls",
        Step::Bind => "directory_bind",
        Step::Base => "directory_base",
    }
}

fn checked(f: &TargetInput, password_required: bool) -> Result<Target> {
    let t = f.check();
    if password_required && f.bind_password.is_empty() {
        let mut errs = match t {
            Err(Error::Invalid(errs)) => errs,
            Err(e) => return Err(e),
            Ok(_) => Vec::new(),
        };
        errs.push(portico_core::FieldError {
            field: "bind_password",
            message: Msg::new("請輸入繫結密碼", "Enter the bind password"),
        });
        return Err(Error::Invalid(errs));
    }
    t
}
