//! The audit trail as people use it: admins browse and export it within
//! their scope (日誌紀錄管理); everyone reads their own sign-in records
//! (帳號登入紀錄) and usage records (帳號使用紀錄); `portico audit verify`
//! walks the chain.
use crate::sessions::Session;
use crate::{App, Result};
use portico_core::audit::{Break, ChainVerifier};
use portico_core::permission::{Principal, Visible};
use portico_core::{Error, ids::AccountId};
use portico_store::Page;
use portico_store::audit::{self, Event, Filter};

/// The most rows one export carries.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The outcome of walking the chain.
#[derive(Debug)]
pub struct Verification {
    pub checked: u64,
    pub head_seq: i64,
    pub first_break: Option<Break>,
}

impl App {
    /// Any admin: events within their scope, newest first.
    pub async fn audit_events(
        &self,
        actor: &Principal,
        f: &Filter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Event>> {
        let admin = actor.admin()?;
        audit::list(
            &mut *self.db.read().await?,
            &admin.visible(),
            f,
            page,
            per_page.clamp(1, 200),
        )
        .await
    }

    /// Any admin: one event within their scope.
    pub async fn audit_event(&self, actor: &Principal, seq: i64) -> Result<Event> {
        let admin = actor.admin()?;
        audit::get_visible(&mut *self.db.read().await?, &admin.visible(), seq)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Any admin: the matching events as an xlsx workbook.
    pub async fn audit_export(
        &self,
        actor: &Principal,
        f: &Filter,
        lang: portico_core::Lang,
    ) -> Result<Vec<u8>> {
        let admin = actor.admin()?;
        let events = audit::export(
            &mut *self.db.read().await?,
            &admin.visible(),
            f,
            EXPORT_LIMIT,
        )
        .await?;
        crate::export::audit_xlsx(&events, lang)
    }

    /// Anyone: their own sign-in records (sign-ins and sign-outs that name
    /// their account, including failed attempts).
    pub async fn my_sign_in_records(
        &self,
        s: &Session,
        f: &Filter,
        page: u32,
    ) -> Result<Page<Event>> {
        let f = Filter {
            target_id: Some(s.principal.account_id().0),
            action_prefix: Some(
                f.action_prefix
                    .clone()
                    .filter(|a| a.starts_with("auth."))
                    .unwrap_or_else(|| "auth.".into()),
            ),
            actor_id: None,
            actor_login: None,
            ..f.clone()
        };
        audit::list(
            &mut *self.db.read().await?,
            &Visible::everything(),
            &f,
            page,
            20,
        )
        .await
    }

    /// Anyone: what they did (every event they are the actor of).
    pub async fn my_usage_records(
        &self,
        s: &Session,
        f: &Filter,
        page: u32,
    ) -> Result<Page<Event>> {
        let f = Filter {
            actor_id: Some(s.principal.account_id()),
            target_id: None,
            actor_login: None,
            ..f.clone()
        };
        audit::list(
            &mut *self.db.read().await?,
            &Visible::everything(),
            &f,
            page,
            20,
        )
        .await
    }

    /// Anyone: one of their own records, for the detail view.
    pub async fn my_record(&self, s: &Session, seq: i64) -> Result<Event> {
        let e = audit::get(&mut *self.db.read().await?, seq)
            .await?
            .ok_or(Error::NotFound)?;
        let me = s.principal.account_id().0;
        if e.actor_id == Some(me) || e.target_id == Some(me) && e.target_kind == "account" {
            Ok(e)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Walks the whole chain in sequence order and names the first break.
    pub async fn verify_audit_chain(&self) -> Result<Verification> {
        let mut c = self.db.read().await?;
        let (head_seq, _) = audit::head(&mut c).await?;
        let mut v = ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = audit::batch(&mut c, after, 5_000).await?;
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                if let Err(b) = v.check(&e.fields(), &e.prev_hash, &e.hash) {
                    return Ok(Verification {
                        checked: v.checked,
                        head_seq,
                        first_break: Some(b),
                    });
                }
                after = e.seq;
            }
        }
        let first_break = v.finish(head_seq).err();
        Ok(Verification {
            checked: v.checked,
            head_seq,
            first_break,
        })
    }
}

/// Shorthand used by the web layer.
pub fn account_filter(id: AccountId) -> Filter {
    Filter {
        target_id: Some(id.0),
        ..Filter::default()
    }
}
