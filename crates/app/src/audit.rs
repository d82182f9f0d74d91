//! The audit trail as people use it: admins browse and export it within
//! their scope (日誌紀錄管理); everyone reads their own sign-in records
//! (帳號登入紀錄) and usage records (帳號使用紀錄); `portico audit verify`
//! walks the chain.
use crate::sessions::Session;
use crate::{App, Ctx, Result, event};
use portico_core::audit::{Break, ChainVerifier};
use portico_core::permission::{Admin, Principal, RoleKind, Target, Unattended, Visible};
use portico_core::usage::Reason;
use portico_core::{Error, ids::AccountId};
use portico_store::Page;
use portico_store::audit::{self, Event, Filter};
use portico_store::{accounts, roles};
use serde_json::json;
use std::collections::HashMap;

/// What an admin gives before reading or exporting other people's
/// records: the kind (case, document, other) and its text, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grounds<'a> {
    pub kind: &'a str,
    pub text: &'a str,
}

/// The grounds checked; none given is a field error on the reason.
fn grounds_of(g: Option<&Grounds<'_>>) -> Result<Reason> {
    match g {
        Some(g) => Reason::parse(g.kind, g.text),
        None => Reason::parse("other", ""),
    }
}

/// The most rows one export carries.
pub const EXPORT_LIMIT: i64 = 100_000;

/// Whose records are being read: an admin's view of their scope, or a
/// person's view of their own.
#[derive(Clone, Copy)]
enum Reader<'r, 'a> {
    Admin(&'r Admin<'a>),
    Person,
}

/// How an actor the reader may not see is named instead, if so. An admin
/// sees the actors they may view (`Admin::view`) and people holding no
/// admin role; a person sees themselves only.
async fn withheld_as(
    c: &mut portico_store::Conn,
    reader: Reader<'_, '_>,
    id: AccountId,
) -> Result<Option<&'static str>> {
    if let Reader::Admin(a) = reader
        && a.principal().is_system_admin()
    {
        return Ok(None);
    }
    let Some(a) = accounts::get(c, id).await? else {
        return Ok(None);
    };
    let held: Vec<_> = roles::of_account(c, id)
        .await?
        .iter()
        .map(|g| g.role())
        .collect();
    let label = if held.iter().any(|r| r.kind == RoleKind::SystemAdmin) {
        SYSTEM_ADMIN
    } else if held.is_empty() {
        ANOTHER_PERSON
    } else {
        OTHER_ADMIN
    };
    Ok(match reader {
        Reader::Person => Some(label),
        Reader::Admin(_) if held.is_empty() => None,
        Reader::Admin(admin) => {
            let t = Target {
                id,
                unit_path: &a.unit_path,
                roles: &held,
            };
            admin.view(&t).is_err().then_some(label)
        }
    })
}

/// What a withheld actor reads as.
/// (Labelled by `core::audit::labels::actor_label`.)
pub const SYSTEM_ADMIN: &str = "@system_admin";
pub const OTHER_ADMIN: &str = "@other_admin";
pub const ANOTHER_PERSON: &str = "@another_person";

/// The outcome of walking the chain.
#[derive(Debug)]
pub struct Verification {
    pub checked: u64,
    pub head_seq: i64,
    pub first_break: Option<Break>,
    /// Events up to this one were purged past retention (0: none).
    pub purged_through: i64,
}

impl App {
    /// Any admin: events within their scope, newest first. One person's
    /// events (the actor filter naming someone else) are another person's
    /// records: 002 §六 (三) 2 asks the grounds, kept as the admin's usage
    /// record, each page read.
    pub async fn audit_events(
        &self,
        actor: &Principal,
        f: &Filter,
        grounds: Option<&Grounds<'_>>,
        page: u32,
        per_page: u32,
        ctx: &Ctx,
    ) -> Result<Page<Event>> {
        let admin = actor.admin()?;
        if let Some(person) = f.actor_login.as_deref().filter(|l| *l != actor.login()) {
            let reason = grounds_of(grounds)?;
            self.record_grounds(
                actor,
                "audit.person",
                person,
                json!({ "person": person, "page": page }),
                &reason,
                ctx,
            )
            .await?;
        }
        let mut page = audit::list(
            &mut *self.db.read().await?,
            &admin.visible(),
            f,
            page,
            per_page.clamp(1, 200),
        )
        .await?;
        self.withhold_actors(Reader::Admin(&admin), actor.account_id(), &mut page.items)
            .await?;
        Ok(page)
    }

    /// Any admin: one event within their scope.
    pub async fn audit_event(&self, actor: &Principal, seq: i64) -> Result<Event> {
        let admin = actor.admin()?;
        let e = audit::get_visible(&mut *self.db.read().await?, &admin.visible(), seq)
            .await?
            .ok_or(Error::NotFound)?;
        let mut one = [e];
        self.withhold_actors(Reader::Admin(&admin), actor.account_id(), &mut one)
            .await?;
        let [e] = one;
        Ok(e)
    }

    /// Any admin: the matching events as an xlsx workbook. An export of
    /// people's records states its grounds (002 §六 (三) 2), kept as the
    /// admin's usage record with what was exported.
    pub async fn audit_export(
        &self,
        actor: &Principal,
        f: &Filter,
        grounds: Option<&Grounds<'_>>,
        lang: portico_core::Lang,
        ctx: &Ctx,
    ) -> Result<Vec<u8>> {
        let admin = actor.admin()?;
        let reason = grounds_of(grounds)?;
        let mut events = audit::export(
            &mut *self.db.read().await?,
            &admin.visible(),
            f,
            EXPORT_LIMIT,
        )
        .await?;
        self.withhold_actors(Reader::Admin(&admin), actor.account_id(), &mut events)
            .await?;
        let day = |t: Option<time::OffsetDateTime>| {
            t.map(|t| portico_core::time::date_str(t.to_offset(portico_core::time::TAIPEI).date()))
                .unwrap_or_else(|| "…".into())
        };
        self.record_grounds(
            actor,
            "audit.export",
            "日誌紀錄",
            json!({
                "rows": events.len(),
                "range": format!("{} – {}", day(f.from), day(f.until)),
                "person": f.actor_login,
            }),
            &reason,
            ctx,
        )
        .await?;
        crate::export::audit_xlsx(&events, lang)
    }

    /// Records an admin's query of people's records, with its grounds, as
    /// the admin's usage record.
    async fn record_grounds(
        &self,
        actor: &Principal,
        action: &'static str,
        label: &str,
        detail: serde_json::Value,
        reason: &Reason,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let asker = accounts::get(&mut tx, actor.account_id())
            .await?
            .ok_or(Error::Unauthenticated)?;
        let mut e = event(ctx, action);
        e.target_kind = "audit".into();
        e.target_label = label.to_owned();
        e.scope_path = asker.unit_path.as_str().to_owned();
        e.outcome = Some(portico_core::audit::Outcome::Ok);
        e.detail = detail.to_string();
        crate::usage::record_query(&mut tx, &asker, e, reason, self.now()).await?;
        tx.commit().await.map_err(portico_store::db_err)
    }

    /// An event in scope may have been done by someone the reader may not
    /// see: for an admin, a system admin or an admin of another agency; for
    /// a person, anyone else. Their login, address and browser are
    /// withheld, as `Admin::view` withholds their account, and the row's
    /// hashes with them (they could be checked against guesses); the event
    /// reads as done by 系統管理者, 其他管理者 or 其他使用者. Only the copy
    /// shown changes; the stored row does not.
    async fn withhold_actors(
        &self,
        reader: Reader<'_, '_>,
        me: AccountId,
        events: &mut [Event],
    ) -> Result<()> {
        let mut known: HashMap<i64, Option<&'static str>> = HashMap::new();
        let mut c = self.db.read().await?;
        for e in events.iter_mut() {
            let Some(id) = e.actor_id.filter(|id| *id != me.0) else {
                continue;
            };
            let shown = match known.get(&id) {
                Some(v) => *v,
                None => {
                    let v = withheld_as(&mut c, reader, AccountId(id)).await?;
                    known.insert(id, v);
                    v
                }
            };
            if let Some(label) = shown {
                e.actor_id = None;
                e.actor_login = label.to_owned();
                e.ip.clear();
                e.user_agent.clear();
                e.hash.clear();
                e.prev_hash.clear();
            }
        }
        Ok(())
    }

    /// How an admin reads the login of whoever last changed an account: the
    /// login, or the words for one above them (as on audit events).
    pub(crate) async fn withheld_login(
        &self,
        admin: &Admin<'_>,
        login: &str,
    ) -> Result<Option<&'static str>> {
        if login.is_empty() || login == admin.principal().login() {
            return Ok(None);
        }
        let mut c = self.db.read().await?;
        let Some(a) = accounts::find_by_login(&mut c, login).await? else {
            return Ok(None);
        };
        withheld_as(&mut c, Reader::Admin(admin), a.id).await
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
        let mut page = audit::list(
            &mut *self.db.read().await?,
            &Visible::everything(),
            &f,
            page,
            20,
        )
        .await?;
        self.withhold_actors(Reader::Person, s.principal.account_id(), &mut page.items)
            .await?;
        Ok(page)
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
        let me = s.principal.account_id();
        if e.actor_id == Some(me.0) || e.target_id == Some(me.0) && e.target_kind == "account" {
            let mut one = [e];
            self.withhold_actors(Reader::Person, me, &mut one).await?;
            let [e] = one;
            Ok(e)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Walks the whole chain in sequence order and names the first break.
    /// After a purge it starts from the signed checkpoint, whose signature
    /// is checked first.
    pub async fn verify_audit_chain(&self) -> Result<Verification> {
        let mut c = self.db.read().await?;
        let (head_seq, _) = audit::head(&mut c).await?;
        let cp = audit::checkpoint(&mut c).await?;
        let (mut v, mut after) = match &cp {
            None => (ChainVerifier::default(), 0),
            Some(cp) => {
                if !self.checkpoint_signed(cp)? {
                    return Ok(Verification {
                        checked: 0,
                        head_seq,
                        first_break: Some(Break::Checkpoint { seq: cp.seq }),
                        purged_through: cp.seq,
                    });
                }
                (ChainVerifier::after(cp.seq, &cp.hash), cp.seq)
            }
        };
        let purged_through = after;
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
                        purged_through,
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
            purged_through,
        })
    }
}

/// What a checkpoint's signature is sealed under.
const CHECKPOINT_AAD: &str = "portico-audit-checkpoint";

impl App {
    /// Is the checkpoint sealed with this portal's master key (kept
    /// outside the database, so a copy or an editor of the database cannot
    /// make one)?
    fn checkpoint_signed(&self, cp: &audit::Checkpoint) -> Result<bool> {
        let master = self.master()?;
        Ok(master
            .open(CHECKPOINT_AAD, &cp.signature)
            .is_ok_and(|plain| plain == cp.text().as_bytes()))
    }

    /// The daily retention job (002 §七 (一) 5): usage and audit records
    /// older than the retention period (a system parameter, never below
    /// three years) are destroyed, with the inspections of periods that
    /// ended before it. A signed checkpoint of the last destroyed event's
    /// hash is written first, so the chain still verifies; the purge is
    /// itself an event. Returns how many events went.
    pub async fn purge_expired_records(&self, _u: &Unattended) -> Result<u64> {
        let years = self.settings().await?.retention_years.max(3) as i32;
        let now = self.now();
        let today = now.to_offset(portico_core::time::TAIPEI).date();
        let cutoff_day = today
            .replace_year(today.year() - years)
            .or_else(|_| {
                // 29 February, years later.
                today
                    .previous_day()
                    .unwrap_or(today)
                    .replace_year(today.year() - years)
            })
            .map_err(|e| Error::internal(format!("retention date: {e}")))?;
        let cutoff = portico_core::time::taipei_day_start(cutoff_day);
        let master = self.master()?;
        let mut tx = self.db.begin().await?;
        let after = audit::checkpoint(&mut tx).await?.map_or(0, |c| c.seq);
        let forms = portico_store::inspections::purge_before(&mut tx, cutoff_day).await?;
        let Some((seq, hash, purged)) = audit::purge_point(&mut tx, after, cutoff).await? else {
            tx.commit().await.map_err(portico_store::db_err)?;
            return Ok(0);
        };
        let text = audit::Checkpoint::signed_text(seq, &hash, purged, cutoff, now);
        let cp = audit::Checkpoint {
            seq,
            hash,
            purged,
            cutoff,
            at: now,
            signature: master.seal(CHECKPOINT_AAD, text.as_bytes())?,
        };
        let n = audit::purge_through(&mut tx, &cp).await?;
        let mut e = crate::event(&crate::Ctx::default(), "audit.purge");
        e.target_kind = "audit".into();
        e.target_label = format!("≤ {seq}");
        e.outcome = Some(portico_core::audit::Outcome::Ok);
        e.detail = serde_json::json!({
            "purged": n, "seq": seq, "records": forms,
            "before": portico_core::time::date_str(cutoff_day),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(portico_store::db_err)?;
        Ok(n)
    }
}

/// Shorthand used by the web layer.
pub fn account_filter(id: AccountId) -> Filter {
    Filter {
        target_id: Some(id.0),
        ..Filter::default()
    }
}
