//! The demo's agency and system mail accounts: 民政局's agency mail account
//! and two system ones kept by its clerk (so disabling the clerk shows the
//! custodian guard), one of them disabled, with their records; and an
//! application waiting in 民政局's review queue.
use crate::{App, Result};
use portico_core::ids::AccountId;
use portico_core::mailbox::{LogKind, MailboxKind, MailboxState};
use portico_core::permission::Unattended;
use portico_core::request::RequestKind;
use portico_store::mailboxes::{self, NewMailbox};
use portico_store::{Tx, accounts, orgs, requests};
use time::{Duration, OffsetDateTime};

/// The people the demo's mail accounts involve, by role.
pub(super) struct People {
    pub clerk: AccountId,
    pub staff: AccountId,
    pub reviewer: (AccountId, &'static str, &'static str),
    pub applicant: AccountId,
}

impl App {
    pub(super) async fn seed_demo_mailboxes(
        &self,
        tx: &mut Tx,
        seed: Unattended,
        who: &People,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let Ok(master) = self.master() else {
            return Ok(());
        };
        let clerk = accounts::get(tx, who.clerk)
            .await?
            .ok_or_else(|| crate::Error::internal("demo clerk"))?;
        let Some(agency) = clerk.agency_id else {
            return Ok(());
        };
        let domain = self.settings().await?.official_mail_domain.clone();
        let (_, rlogin, rname) = who.reviewer;
        let open = [
            (
                MailboxKind::Agency,
                "民政局總收文信箱",
                "civil-affairs",
                MailboxState::Active,
                "民政局對外公文收發使用",
            ),
            (
                MailboxKind::System,
                "民政局差勤系統通知",
                "civil-attendance",
                MailboxState::Active,
                "差勤系統寄送請假與加班通知",
            ),
            (
                MailboxKind::System,
                "民政局問卷系統（已停用）",
                "civil-survey",
                MailboxState::Disabled,
                "110 年度市民滿意度問卷寄送",
            ),
        ];
        for (i, (kind, name, local, state, reason)) in open.into_iter().enumerate() {
            let at = now - Duration::days(200 - 40 * i as i64);
            let id = mailboxes::insert(
                tx,
                &NewMailbox {
                    kind,
                    agency_id: agency,
                    name,
                    local_part: local,
                    address: &format!("{local}@{domain}"),
                    custodian: who.clerk,
                    state,
                    password_hash: hash,
                    pending_secret: "",
                    request_id: None,
                    reason,
                },
                at,
            )
            .await?;
            let w = seed.mailbox(id);
            mailboxes::log(
                tx,
                w,
                LogKind::State,
                (rlogin, rname),
                "申請核准，帳號啟用",
                at,
            )
            .await?;
            if i == 1 {
                let staff = accounts::get(tx, who.staff)
                    .await?
                    .ok_or_else(|| crate::Error::internal("demo staff"))?;
                let detail = format!(
                    "{}（{}）→ {}（{}）",
                    staff.name, staff.login, clerk.name, clerk.login
                );
                mailboxes::log(
                    tx,
                    w,
                    LogKind::Custodian,
                    (staff.login.as_str(), staff.name.as_str()),
                    &detail,
                    at + Duration::days(30),
                )
                .await?;
                mailboxes::log(
                    tx,
                    w,
                    LogKind::Password,
                    (clerk.login.as_str(), clerk.name.as_str()),
                    "修改密碼",
                    at + Duration::days(31),
                )
                .await?;
                // The account's own time of the change, as its record says.
                mailboxes::set_password(tx, w, hash, at + Duration::days(31)).await?;
            }
            if state == MailboxState::Disabled {
                mailboxes::log(
                    tx,
                    w,
                    LogKind::State,
                    (clerk.login.as_str(), clerk.name.as_str()),
                    "啟用 → 停用",
                    at + Duration::days(20),
                )
                .await?;
            }
        }
        // An application waiting for 民政局's admins.
        let a = accounts::get(tx, who.applicant)
            .await?
            .ok_or_else(|| crate::Error::internal("demo applicant"))?;
        let agency_unit = orgs::get(tx, agency)
            .await?
            .ok_or_else(|| crate::Error::internal("demo agency"))?;
        let sealed = master.seal(
            super::super::mailboxes::PENDING_SEAL,
            super::DEMO_PASSWORD.as_bytes(),
        )?;
        let local = "civil-library";
        let reason = "圖書借閱系統寄送到期通知使用";
        let id = mailboxes::insert(
            tx,
            &NewMailbox {
                kind: MailboxKind::System,
                agency_id: agency,
                name: "民政局圖書借閱系統通知",
                local_part: local,
                address: &format!("{local}@{domain}"),
                custodian: a.id,
                state: MailboxState::Pending,
                password_hash: hash,
                pending_secret: &sealed,
                request_id: None,
                reason,
            },
            now - Duration::days(2),
        )
        .await?;
        let request = requests::insert(
            tx,
            &requests::NewRequest {
                kind: RequestKind::Mailbox,
                account_id: a.id,
                unit_id: agency,
                scope_path: &agency_unit.path,
                from_unit_id: None,
                from_state: Some(a.state),
                title: &a.title,
                reason,
                needs_official_mail: false,
                applicant_name: &a.name,
                applicant_login: &a.login,
            },
            now - Duration::days(2),
        )
        .await?;
        mailboxes::set_request(tx, seed.mailbox(id), request).await?;
        Ok(())
    }
}
