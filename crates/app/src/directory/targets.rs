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
pub(crate) const SEAL: &str = "directory-bind";

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

/// A queued change as the sync page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpView {
    #[serde(flatten)]
    pub op: portico_store::directory::Op,
    /// The account's login, if the change is an account's.
    pub login: String,
    /// The directory's refusal in words, when there is one.
    pub reading: Option<Msg>,
}

impl OpView {
    pub fn label(&self) -> Msg {
        match self.op.op.as_str() {
            "set_password" => Msg::new("設定密碼", "Password"),
            _ => Msg::new("同步帳號資料", "Account data"),
        }
    }
    pub fn state_label(&self) -> Msg {
        match self.op.state.as_str() {
            "pending" if self.op.attempts > 0 => Msg::new("等待重試", "Waiting to retry"),
            "pending" => Msg::new("等待寫入", "Waiting"),
            "applied" => Msg::new("已寫入", "Written"),
            _ => Msg::new("目錄拒絕", "Refused"),
        }
    }
    /// Whether the page offers to try it again.
    pub fn retryable(&self) -> bool {
        self.op.state == "failed" && self.op.op == "sync_person"
    }
}

impl App {
    /// System admins: a target's latest changes (of one state, or all; of
    /// one account or mail account, named by its login, or everyone's),
    /// with the counts per state.
    pub async fn directory_ops(
        &self,
        actor: &Principal,
        target_id: i64,
        state: Option<&str>,
        who: Option<&str>,
    ) -> Result<(Vec<OpView>, Vec<(String, i64)>)> {
        let admin = actor.system_admin()?;
        let mut c = self.db.read().await?;
        let subject = match who.map(|w| w.trim().to_ascii_lowercase()) {
            None => None,
            Some(w) => Some(
                match portico_store::accounts::find_by_login(&mut c, &w).await? {
                    Some(a) => super::sync::subject(a.id),
                    None => match portico_store::mailboxes::find_by_local_part(&mut c, &w).await? {
                        Some(m) => super::sync::mailbox_subject(m.id),
                        // Nobody by that name: an empty history, not an error.
                        None => "none:".to_owned(),
                    },
                },
            ),
        };
        let ops =
            directory::ops_of(&mut c, &admin, target_id, state, subject.as_deref(), 100).await?;
        let counts = directory::op_counts(&mut c, &admin, target_id).await?;
        let mut names: std::collections::HashMap<super::sync::Subject, String> = Default::default();
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            // Who the change is about, as the page names them: a login or
            // a mail account's address (each looked up once).
            let login = match super::sync::Subject::parse(&op.subject) {
                Some(subject) => match names.get(&subject) {
                    Some(l) => l.clone(),
                    None => {
                        let l = match subject {
                            super::sync::Subject::Account(id) => {
                                portico_store::accounts::get(&mut c, id)
                                    .await?
                                    .map(|a| a.login)
                            }
                            super::sync::Subject::Mailbox(id) => {
                                portico_store::mailboxes::get(&mut c, id)
                                    .await?
                                    .map(|m| m.address)
                            }
                        }
                        .unwrap_or_default();
                        names.insert(subject, l.clone());
                        l
                    }
                },
                None => String::new(),
            };
            let reading = (!op.last_error.is_empty()).then(|| {
                let code = op.last_code.and_then(|c| u32::try_from(c).ok());
                match code {
                    Some(code) => portico_core::directory::explain(code, &op.last_error),
                    None => Msg::new(
                        "無法連線到目錄，稍後會自動重試",
                        "The directory could not be reached; it will be retried",
                    ),
                }
            });
            out.push(OpView { op, login, reading });
        }
        Ok((out, counts))
    }

    /// System admins: tries refused syncs again, one or all of a target's.
    pub async fn retry_directory_ops(
        &self,
        actor: &Principal,
        target_id: i64,
        id: Option<i64>,
        ctx: &Ctx,
    ) -> Result<u64> {
        let admin = actor.system_admin()?;
        let row = self.directory_target(actor, target_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let n = directory::retry_failed(&mut tx, admin.writes(), target_id, id, now).await?;
        let mut e = target_event(ctx, "directory.retry", actor, target_id, &row.target.name);
        e.detail = serde_json::json!({ "count": n }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(n)
    }
}
