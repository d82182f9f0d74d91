//! What a custodian (or an admin over the agency) does with a mail
//! account (004 L2930–3043): 保管人異動, 修改密碼, 忘記密碼, 我要停用 / 我要啟用,
//! and the two records with their exports. Each change is a conditional
//! write, logged in the account's record and the audit trail, and queued
//! for the directory in the same transaction.
use super::{Manager, PENDING_SEAL, mailbox_event, may_manage};
use crate::export::{Sheet, Table};
use crate::verify::Destination;
use crate::{App, Ctx, Result, mail};
use portico_core::account::AccountState;
use portico_core::error::Collector;
use portico_core::ids::{AccountId, MailboxId};
use portico_core::mailbox::{LogKind, MailboxState, Record};
use portico_core::outbox::Channel;
use portico_core::permission::{DeciderOf, Principal};
use portico_core::request::Decision;
use portico_core::verify::Purpose;
use portico_core::{Error, Lang, Msg};
use portico_store::mailboxes::{self, LogEntry, changed_meanwhile};
use portico_store::requests::Request;
use portico_store::{Page, Tx, accounts, audit, db_err};
use time::OffsetDateTime;

/// A person of the agency a mail account may be handed to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    pub id: AccountId,
    pub login: String,
    pub name: String,
    pub unit_name: String,
    pub title: String,
}

/// A page of one of a mail account's records.
#[derive(Debug, Clone)]
pub struct MailboxLog {
    pub record: Record,
    pub entries: Page<LogEntry>,
}

impl App {
    /// The people of the mail account's agency whose name or login starts
    /// with `who`, for 保管人異動 (at most 20; the current custodian left out).
    pub async fn custodian_candidates(
        &self,
        p: &Principal,
        id: MailboxId,
        who: &str,
    ) -> Result<Vec<Candidate>> {
        let mut c = self.db.read().await?;
        let (m, _, _) = may_manage(&mut c, p, id).await?;
        if who.trim().is_empty() {
            return Ok(Vec::new());
        }
        Ok(
            accounts::active_in_agency_named(&mut c, m.agency_id, who, 21)
                .await?
                .into_iter()
                .filter(|a| a.id != m.custodian.id)
                .take(20)
                .map(|a| Candidate {
                    id: a.id,
                    login: a.login,
                    name: a.name,
                    unit_name: a.unit_name,
                    title: a.title,
                })
                .collect(),
        )
    }

    /// 保管人異動: hands the mail account to another active person of its
    /// agency, if nobody changed it since `seen_version`.
    pub async fn hand_over_mailbox(
        &self,
        p: &Principal,
        id: MailboxId,
        to: AccountId,
        seen_version: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        mailboxes::lock(&mut tx, id).await?;
        let (m, _, w) = may_manage(&mut tx, p, id).await?;
        let pick = || {
            Error::invalid(
                "custodian",
                Msg::new(
                    "請從搜尋結果中選擇同機關、帳號啟用中的人員",
                    "Choose an active person of the same agency from the search results",
                ),
            )
        };
        let new = accounts::get(&mut tx, to)
            .await?
            .filter(|a| a.state == AccountState::Active && a.agency_id == Some(m.agency_id))
            .ok_or_else(pick)?;
        if new.id == m.custodian.id {
            return Err(Error::invalid(
                "custodian",
                Msg::new(
                    "新保管人與目前的保管人相同",
                    "The new custodian is the current one",
                ),
            ));
        }
        if !matches!(m.state, MailboxState::Active | MailboxState::Disabled) {
            return Err(Error::Refused(Msg::new(
                "此郵件帳號尚未審核通過，不能移轉保管人",
                "This mail account has not been approved; it cannot change hands",
            )));
        }
        if !mailboxes::set_custodian(&mut tx, w, new.id, seen_version, now).await? {
            return Err(Error::Conflict {
                field: "version",
                message: changed_meanwhile(),
            });
        }
        let detail = format!(
            "{}（{}）→ {}（{}）",
            m.custodian.name, m.custodian.login, new.name, new.login
        );
        mailboxes::log(
            &mut tx,
            w,
            LogKind::Custodian,
            (p.login(), p.name()),
            &detail,
            now,
        )
        .await?;
        let mut e = mailbox_event(ctx, "mailbox.custodian", p, id, &m.address, &m.agency_path);
        e.detail = serde_json::json!({"from": m.custodian.login, "to": new.login}).to_string();
        audit::append(&mut tx, &e, now).await?;
        for (to, person) in [
            (
                contact_of(&new.official_email, &new.backup_email),
                &new.name,
            ),
            (
                contact_of(&m.custodian.official_email, &m.custodian.backup_email),
                &m.custodian.name,
            ),
        ] {
            if !to.is_empty() {
                self.put_mail(
                    &mut tx,
                    to,
                    mail::mailbox_handed_over(person, &m.address, &m.custodian.name, &new.name),
                    None,
                    m.agency_path.as_str(),
                )
                .await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// 修改密碼: the old password, then the new one twice, under the policy.
    pub async fn change_mailbox_password(
        &self,
        p: &Principal,
        id: MailboxId,
        old: &str,
        new: &str,
        confirm: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let (m, _, _) = may_manage(&mut *self.db.read().await?, p, id).await?;
        approved(&m)?;
        // Guessing the old password is slowed as a sign-in is.
        if !self
            .rate_allow(&format!("mailbox-old-password:{}", id.0), 5)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "舊密碼嘗試次數過多，請稍候一分鐘再試，或使用「忘記密碼」",
                "Too many tries of the old password; wait a minute, or use Forgot the password",
            )));
        }
        let mut c = Collector::new();
        if !self.hasher.verify(old, Some(&m.password_hash)).await? {
            c.push(
                "old_password",
                Msg::new("舊密碼不正確", "The old password is wrong"),
            );
        }
        self.check_new_mailbox_password(&m.local_part, new, confirm, &mut c)
            .await?;
        if c.is_empty() && old == new {
            c.push(
                "new_password",
                Msg::new(
                    "新密碼不可與舊密碼相同",
                    "The new password must differ from the old one",
                ),
            );
        }
        c.finish()?;
        self.set_mailbox_password(p, id, new, "修改密碼", ctx).await
    }

    async fn check_new_mailbox_password(
        &self,
        local: &str,
        new: &str,
        confirm: &str,
        c: &mut Collector,
    ) -> Result<()> {
        for msg in self.settings().await?.password.check(new, local) {
            c.push("new_password", msg);
        }
        if new != confirm {
            c.push(
                "confirm_password",
                Msg::new("兩次輸入的新密碼不一致", "The two new passwords differ"),
            );
        }
        Ok(())
    }

    async fn set_mailbox_password(
        &self,
        p: &Principal,
        id: MailboxId,
        new: &str,
        how: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        mailboxes::lock(&mut tx, id).await?;
        let (m, _, w) = may_manage(&mut tx, p, id).await?;
        approved(&m)?;
        mailboxes::set_password(&mut tx, w, &hash, now).await?;
        mailboxes::log(
            &mut tx,
            w,
            LogKind::Password,
            (p.login(), p.name()),
            how,
            now,
        )
        .await?;
        if matches!(m.state, MailboxState::Active | MailboxState::Disabled) {
            self.queue_mailbox_password(&mut tx, id, new).await?;
        }
        let mut e = mailbox_event(ctx, "mailbox.password", p, id, &m.address, &m.agency_path);
        e.reason = how.to_owned();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// 忘記密碼, first step: the custodian's backup e-mail, typed, must be
    /// the one on their account; a code goes to it.
    pub async fn send_mailbox_code(
        &self,
        p: &Principal,
        id: MailboxId,
        typed_email: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let (m, _, _) = may_manage(&mut *self.db.read().await?, p, id).await?;
        approved(&m)?;
        if !self
            .rate_allow(&format!("mailbox-backup-email:{}", id.0), 5)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "嘗試次數過多，請稍候一分鐘再試",
                "Too many tries; wait a minute and try again",
            )));
        }
        let typed = typed_email.trim().to_lowercase();
        if m.custodian.backup_email.is_empty() || typed != m.custodian.backup_email.to_lowercase() {
            return Err(Error::invalid(
                "backup_email",
                Msg::new(
                    "與保管人的備用信箱不符，請輸入保管人於個人帳號管理綁定的備用信箱",
                    "This is not the custodian's backup e-mail; type the one bound on their account",
                ),
            ));
        }
        let mut tx = self.db.begin().await?;
        self.issue_code(
            &mut tx,
            Purpose::MailboxPassword,
            &code_key(id),
            Some(Destination {
                channel: Channel::Mail,
                to: &m.custodian.backup_email,
                account: Some(m.custodian.id),
                scope_path: m.agency_path.as_str(),
            }),
            ctx,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// 忘記密碼, second step: the code from the backup e-mail and the new
    /// password twice.
    pub async fn reset_mailbox_password(
        &self,
        p: &Principal,
        id: MailboxId,
        code: &str,
        new: &str,
        confirm: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let (m, _, _) = may_manage(&mut *self.db.read().await?, p, id).await?;
        approved(&m)?;
        let mut c = Collector::new();
        self.check_new_mailbox_password(&m.local_part, new, confirm, &mut c)
            .await?;
        c.finish()?;
        // The code is used up here; its proof has no next step to wait for.
        let token = self
            .check_code(Purpose::MailboxPassword, &code_key(id), code, None)
            .await?;
        let mut tx = self.db.begin().await?;
        self.end_proof(&mut tx, &token).await?;
        tx.commit().await.map_err(db_err)?;
        self.set_mailbox_password(p, id, new, "忘記密碼重設", ctx)
            .await
    }

    /// 我要停用 / 我要啟用.
    pub async fn set_mailbox_enabled(
        &self,
        p: &Principal,
        id: MailboxId,
        enable: bool,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        mailboxes::lock(&mut tx, id).await?;
        let (m, _, w) = may_manage(&mut tx, p, id).await?;
        let to = m.state.toggle(enable).map_err(Error::Refused)?;
        if !mailboxes::transition(&mut tx, w, m.state, to, now).await? {
            return Err(Error::Conflict {
                field: "state",
                message: changed_meanwhile(),
            });
        }
        let detail = format!("{} → {}", m.state.label().zh, to.label().zh);
        mailboxes::log(
            &mut tx,
            w,
            LogKind::State,
            (p.login(), p.name()),
            &detail,
            now,
        )
        .await?;
        self.queue_mailbox(&mut tx, id).await?;
        let action = if enable {
            "mailbox.enable"
        } else {
            "mailbox.disable"
        };
        audit::append(
            &mut tx,
            &mailbox_event(ctx, action, p, id, &m.address, &m.agency_path),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(())
    }

    /// 資料異動紀錄 or 帳號狀態紀錄, between two Taipei days.
    pub async fn mailbox_log(
        &self,
        p: &Principal,
        id: MailboxId,
        record: Record,
        between: (Option<OffsetDateTime>, Option<OffsetDateTime>),
        page: u32,
    ) -> Result<MailboxLog> {
        let mut c = self.db.read().await?;
        may_manage(&mut c, p, id).await?;
        let entries = mailboxes::log_of(&mut c, id, record.kinds(), between, page, 20).await?;
        Ok(MailboxLog { record, entries })
    }

    /// The record as a workbook (xlsx or ODS), and a file name for it.
    pub async fn mailbox_log_export(
        &self,
        p: &Principal,
        id: MailboxId,
        record: Record,
        between: (Option<OffsetDateTime>, Option<OffsetDateTime>),
        format: Sheet,
        lang: Lang,
    ) -> Result<(Vec<u8>, String)> {
        let mut c = self.db.read().await?;
        let (m, _, _) = may_manage(&mut c, p, id).await?;
        let all = mailboxes::log_of(&mut c, id, record.kinds(), between, 1, 0).await?;
        let tr = |zh: &str, en: &str| if lang == Lang::En { en } else { zh }.to_owned();
        let label = record.label();
        let table = Table {
            name: label.get(lang),
            headers: vec![
                tr("郵件帳號", "Mail account"),
                tr("時間", "Time"),
                tr("異動類型", "Change"),
                tr("內容", "Detail"),
                tr("異動人員", "Changed by"),
            ],
            rows: all
                .items
                .iter()
                .map(|e| {
                    vec![
                        m.address.clone(),
                        portico_core::time::display_seconds(e.at),
                        e.kind.label().get(lang).to_owned(),
                        e.detail.clone(),
                        e.actor_name.clone(),
                    ]
                })
                .collect(),
        };
        let bytes = crate::export::table(&table, format)?;
        let name = format!(
            "mailbox-{}-{}-{}.{}",
            m.local_part,
            record.as_str(),
            portico_core::time::date_str(self.now().to_offset(portico_core::time::TAIPEI).date()),
            format.extension()
        );
        Ok((bytes, name))
    }

    /// A decided mail-account application (from the review): approved, the
    /// account opens and its password goes to the directory; rejected, the
    /// name is free again. Either way the sealed password leaves the row.
    pub(crate) async fn decide_mailbox(
        &self,
        tx: &mut Tx,
        decider: &DeciderOf<'_>,
        r: &Request,
        decision: Decision,
        now: OffsetDateTime,
    ) -> Result<()> {
        let m = mailboxes::of_request(tx, r.id)
            .await?
            .ok_or(Error::NotFound)?;
        let w = decider.mailbox(m.id);
        if decision == Decision::Approve {
            let applicant = accounts::get(tx, r.account_id)
                .await?
                .ok_or(Error::NotFound)?;
            if applicant.agency_id != Some(m.agency_id) {
                return Err(Error::Refused(portico_core::request::account_changed()));
            }
        }
        let to = match decision {
            Decision::Approve => MailboxState::Active,
            Decision::Reject => MailboxState::Rejected,
        };
        if !mailboxes::decide(tx, w, to, now).await? {
            return Err(Error::Refused(portico_core::request::account_changed()));
        }
        let who = (decider.actor().login(), decider.actor().name());
        let note = match decision {
            Decision::Approve => "申請核准，帳號啟用",
            Decision::Reject => "申請退回",
        };
        mailboxes::log(tx, w, LogKind::State, who, note, now).await?;
        if decision == Decision::Approve {
            let password = String::from_utf8(self.master()?.open(PENDING_SEAL, &m.pending_secret)?)
                .map_err(|_| Error::internal("sealed password is not text"))?;
            self.queue_mailbox_password(tx, m.id, &password).await?;
            self.queue_mailbox(tx, m.id).await?;
        }
        Ok(())
    }
}

/// A mail account's password is set once it is approved: until then the
/// application's sealed password is the one the directory will get.
fn approved(m: &mailboxes::Mailbox) -> Result<()> {
    if matches!(m.state, MailboxState::Active | MailboxState::Disabled) {
        Ok(())
    } else {
        Err(Error::Refused(Msg::new(
            "此郵件帳號尚未審核通過，審核通過後才能修改密碼",
            "This mail account has not been approved; its password can be changed once it is",
        )))
    }
}

/// Where a forgotten-password code is filed: per mail account.
fn code_key(id: MailboxId) -> String {
    format!("mailbox:{}", id.0)
}

fn contact_of<'a>(official: &'a str, backup: &'a str) -> &'a str {
    if official.is_empty() {
        backup
    } else {
        official
    }
}

impl Manager {
    pub fn is_admin(self) -> bool {
        self == Manager::Admin
    }
}
