//! Agency and system mail accounts (issue 13 §5; 004 §捌 五, §肆 四):
//! 機關及資訊系統帳號申請 under 線上申請作業, reviewed in 待簽核 like every
//! request, then provisioned in the directory; 我的機關及系統郵件帳號管理 for
//! their custodians, and the same pages for the agency's admins. A person
//! who keeps one is not disabled until they hand it over (§(三) 1 (2)).
mod manage;

pub use manage::{Candidate, MailboxLog};

use crate::sessions::Session;
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::ids::MailboxId;
use portico_core::mailbox::{
    MailboxKind, MailboxState, address_taken, agency_has_one, check_local_part,
};
use portico_core::permission::{Admin, MailboxWrite, Principal};
use portico_core::request::RequestKind;
use portico_core::text::clean_text;
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account};
use portico_store::mailboxes::{self, Filter, Mailbox, NewMailbox, Seen};
use portico_store::requests::{self, NewRequest};
use portico_store::{Conn, Page, audit, db_err};

/// What the sealed password of a waiting application is sealed with.
pub(crate) const PENDING_SEAL: &str = "mailbox-pending";

/// 機關及資訊系統帳號申請: the form's fields (004 L4756–4790).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Application {
    #[serde(default)]
    pub kind: String,
    /// 申請帳號名稱: what the account is called (e.g. 民政局總收文).
    #[serde(default)]
    pub name: String,
    /// 電子郵件帳號: the part before `@`.
    #[serde(default)]
    pub local_part: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm_password: String,
    #[serde(default)]
    pub reason: String,
}

/// Who may manage a mail account they can open: its custodian, or an
/// admin over its agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Custodian,
    Admin,
}

/// One mail account as its edit page shows it.
#[derive(Debug, Clone)]
pub struct Managed {
    pub mailbox: Mailbox,
    pub by: Manager,
}

impl App {
    /// 檢查: whether a name may be applied for; the whole address if so.
    pub async fn check_mailbox_name(
        &self,
        p: &Principal,
        local: &str,
        ctx: &Ctx,
    ) -> Result<String> {
        let local = check_local_part(local).map_err(|m| Error::invalid("local_part", m))?;
        // As the login check: names cannot be listed by asking.
        if !self
            .rate_allow(&format!("check-mailbox:{}", p.account_id().0), 10)
            .await?
            || !self
                .rate_allow(&format!("check-mailbox-ip:{}", ctx.ip), 30)
                .await?
        {
            return Err(Error::Refused(Msg::new(
                "檢查郵件帳號的次數過多，請稍候一分鐘再試",
                "Too many names checked; wait a minute and try again",
            )));
        }
        let mut c = self.db.read().await?;
        name_free(&mut c, &local).await?;
        self.mailbox_address(&local).await
    }

    async fn mailbox_address(&self, local: &str) -> Result<String> {
        let domain = self.settings().await?.official_mail_domain.clone();
        Ok(format!("{local}@{domain}"))
    }

    /// Anyone signed in with an agency: applies for a mail account of their
    /// agency, which they will keep. It waits in 待簽核 for the agency's
    /// admins; the password set here is the one the mail system takes once
    /// approved.
    pub async fn apply_for_mailbox(
        &self,
        s: &Session,
        f: &Application,
        ctx: &Ctx,
    ) -> Result<MailboxId> {
        let me = s.principal.account_id();
        let a = accounts::get(&mut *self.db.read().await?, me)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(agency) = a.agency_id else {
            return Err(Error::Refused(Msg::new(
                "您的帳號不屬於任何機關，無法申請機關或資訊系統郵件帳號",
                "Your account belongs to no agency, so it cannot apply for a mail account",
            )));
        };
        let settings = self.settings().await?;
        let mut c = Collector::new();
        let kind = c.take(
            "kind",
            MailboxKind::parse(&f.kind).ok_or(Msg::new(
                "請選擇申請類型",
                "Choose the kind of mail account",
            )),
        );
        let name = c.take("name", clean_text(&f.name, 1, 40));
        let local = c.take("local_part", check_local_part(&f.local_part));
        for m in settings
            .password
            .check(&f.password, local.as_deref().unwrap_or(""))
        {
            c.push("password", m);
        }
        if f.password != f.confirm_password {
            c.push(
                "confirm_password",
                Msg::new("兩次輸入的密碼不一致", "The two passwords differ"),
            );
        }
        let reason = c.take("reason", clean_text(&f.reason, 1, 200));
        if let Some(l) = &local
            && let Err(Error::Invalid(errs)) = name_free(&mut *self.db.read().await?, l).await
        {
            for e in errs {
                c.push(e.field, e.message);
            }
        }
        if kind == Some(MailboxKind::Agency)
            && mailboxes::agency_mailbox(&mut *self.db.read().await?, agency)
                .await?
                .is_some()
        {
            c.push("kind", agency_has_one());
        }
        c.finish()?;
        let (Some(kind), Some(name), Some(local), Some(reason)) = (kind, name, local, reason)
        else {
            return Err(Error::internal("validated application incomplete"));
        };
        let address = format!("{local}@{}", settings.official_mail_domain);
        let hash = self.hasher.hash(&f.password).await?;
        let sealed = self.master()?.seal(PENDING_SEAL, f.password.as_bytes())?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        accounts::lock(&mut tx, me).await?;
        let a = accounts::get(&mut tx, me).await?.ok_or(Error::NotFound)?;
        if a.state != AccountState::Active || a.agency_id != Some(agency) {
            return Err(Error::Refused(portico_core::request::account_changed()));
        }
        let agency_unit = portico_store::orgs::get(&mut tx, agency)
            .await?
            .ok_or(Error::NotFound)?;
        let id = mailboxes::insert(
            &mut tx,
            &NewMailbox {
                kind,
                agency_id: agency,
                name: &name,
                local_part: &local,
                address: &address,
                custodian: me,
                state: MailboxState::Pending,
                password_hash: &hash,
                pending_secret: &sealed,
                request_id: None,
                reason: &reason,
            },
            now,
        )
        .await?;
        // The agency's admins decide (004 L4744): the request's scope is
        // the agency, whichever unit the applicant sits in.
        let request = requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::Mailbox,
                account_id: me,
                unit_id: agency,
                scope_path: &agency_unit.path,
                from_unit_id: None,
                from_state: Some(a.state),
                title: &a.title,
                reason: &reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            Error::Conflict { .. } => Error::Refused(Msg::new(
                "您已有一件郵件帳號申請正在審核中，請待審核結果後再申請下一個",
                "An application of yours for a mail account is waiting for review; apply for the next once it is decided",
            )),
            e => e,
        })?;
        // The applicant keeps what they applied for.
        let w = s.principal.keeper_of(id, me)?;
        mailboxes::set_request(&mut tx, w, request).await?;
        let mut e = mailbox_event(
            ctx,
            "mailbox.apply",
            &s.principal,
            id,
            &address,
            &agency_unit.path,
        );
        e.reason = reason.clone();
        e.detail =
            serde_json::json!({"mailbox_kind": kind.as_str(), "request": request}).to_string();
        audit::append(&mut tx, &e, now).await?;
        if !a.backup_email.is_empty() {
            self.put_mail(
                &mut tx,
                &a.backup_email,
                mail::request_received(RequestKind::Mailbox, &a.name, &a.login, &a.agency_name),
                Some(a.id),
                agency_unit.path.as_str(),
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(id)
    }

    /// 我的機關及系統郵件帳號管理: the agency mail account of the person's
    /// agency (with its custodian, for 詳細) and the ones they keep.
    pub async fn my_mailboxes(
        &self,
        p: &Principal,
        f: &Filter,
        page: u32,
    ) -> Result<Page<Mailbox>> {
        let mut c = self.db.read().await?;
        let a = accounts::get(&mut c, p.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        mailboxes::list(
            &mut c,
            &Seen::Mine {
                account: a.id,
                agency: a.agency_id,
            },
            f,
            page,
            20,
        )
        .await
    }

    /// Agency admins: their agency's mail accounts; system admins: all.
    pub async fn admin_mailboxes(
        &self,
        p: &Principal,
        f: &Filter,
        page: u32,
    ) -> Result<Page<Mailbox>> {
        let admin = p.admin()?;
        mailboxes::list(
            &mut *self.db.read().await?,
            &Seen::Admin(admin.scope().clone()),
            f,
            page,
            50,
        )
        .await
    }

    /// One mail account its custodian or an admin over its agency may
    /// manage; anyone else is told it is not found.
    pub async fn managed_mailbox(&self, p: &Principal, id: MailboxId) -> Result<Managed> {
        let mut c = self.db.read().await?;
        let (mailbox, by, _) = may_manage(&mut c, p, id).await?;
        Ok(Managed { mailbox, by })
    }

    /// A person moving agency with a mail-account application waiting:
    /// it would be kept by someone of another agency once approved, so the
    /// move waits for the decision. (A disable does not: the application
    /// then cannot be approved, and is rejected.)
    pub(crate) async fn guard_pending_mailbox(&self, c: &mut Conn, a: &Account) -> Result<()> {
        if mailboxes::pending_of(c, a.id).await? {
            return Err(Error::Refused(Msg::owned(
                format!(
                    "{}（{}）有郵件帳號申請正在審核中，請待審核完成（並移轉保管人）後再異動機關。",
                    a.name, a.login
                ),
                format!(
                    "{} ({}) has a mail account application waiting; once it is decided (and handed over), move the account.",
                    a.name, a.login
                ),
            )));
        }
        Ok(())
    }

    /// The mail accounts a person keeps, named in a refusal: what must be
    /// handed over before they may be disabled or move agency. 004 (三) 1
    /// (2), §參 九.
    pub(crate) async fn guard_custodian(&self, c: &mut Conn, a: &Account) -> Result<()> {
        let kept = mailboxes::kept_by(c, a.id).await?;
        if kept.is_empty() {
            // Nor a venue, car or driver that would be left with no
            // custodian (issue 16).
            let venues = portico_store::bookings::kept_alone_by(c, a.id).await?;
            if venues.is_empty() {
                return Ok(());
            }
            return Err(Error::Refused(Msg::owned(
                format!(
                    "{}（{}）是「{}」唯一的保管人（管理人），請先至「物品管理」設置其他保管人，再停用此帳號。",
                    a.name,
                    a.login,
                    venues.join("」、「")
                ),
                format!(
                    "{} ({}) alone keeps \"{}\". Set another custodian under 'Items' first, then disable this account.",
                    a.name,
                    a.login,
                    venues.join("\", \"")
                ),
            )));
        }
        let list = kept
            .iter()
            .map(|m| m.address.as_str())
            .collect::<Vec<_>>()
            .join("、");
        let list_en = kept
            .iter()
            .map(|m| m.address.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::Refused(Msg::owned(
            format!(
                "{}（{}）保管郵件帳號 {list}，請先至「我的機關及系統郵件帳號管理」（或管理主控台的「郵件帳號管理」）將保管人移轉給同機關的其他人，再停用此帳號。",
                a.name, a.login
            ),
            format!(
                "{} ({}) keeps the mail accounts {list_en}. Hand them to someone else in the agency under 'My agency and system mail accounts' (or the console's 'Mail accounts') first, then disable this account.",
                a.name, a.login
            ),
        )))
    }
}

/// Refuses a name a person or a mail account has, or the mail system keeps.
async fn name_free(c: &mut Conn, local: &str) -> Result<()> {
    let taken = portico_core::mailbox::is_reserved(local)
        || accounts::login_exists(c, local).await?
        || mailboxes::local_part_taken(c, local).await?;
    if taken {
        Err(Error::invalid("local_part", address_taken()))
    } else {
        Ok(())
    }
}

/// The mail account, who manages it and the right to: its custodian, or
/// an admin whose scope holds its agency.
pub(crate) async fn may_manage(
    c: &mut Conn,
    p: &Principal,
    id: MailboxId,
) -> Result<(Mailbox, Manager, MailboxWrite)> {
    let m = mailboxes::get(c, id)
        .await?
        .filter(|m| m.state != MailboxState::Rejected)
        .ok_or(Error::NotFound)?;
    if let Ok(w) = p.keeper_of(id, m.custodian.id) {
        return Ok((m, Manager::Custodian, w));
    }
    let admin: Admin<'_> = p.admin().map_err(|_| Error::NotFound)?;
    let w = admin.mailbox(id, &m.agency_path)?;
    Ok((m, Manager::Admin, w))
}

/// An event about a mail account.
pub(crate) fn mailbox_event(
    ctx: &Ctx,
    action: &str,
    actor: &Principal,
    id: MailboxId,
    address: &str,
    agency_path: &portico_core::org::TreePath,
) -> audit::NewEvent {
    let mut e = crate::event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "mailbox".into();
    e.target_id = Some(id.0);
    e.target_label = address.to_owned();
    e.scope_path = agency_path.as_str().to_owned();
    e
}
