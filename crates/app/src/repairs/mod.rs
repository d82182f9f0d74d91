//! Repair requests (issue 16; seed 004 §捌 一 線上報修, §玖 六 報修類型管理,
//! 表 2 報修處理狀況回報, 圖 17). System and agency admins make repair
//! types, kept by two custodians like every item; a person of an agency
//! the type allows reports a fault at one of its places; the type's
//! repair staff reply with the result and a category; the reporter rates
//! it or returns it with a reason. Each step is a conditional write on the
//! report's state, audited, and mailed to whoever acts next.
mod mail;
mod reports;
mod stats;

pub use reports::RepairCase;
pub use stats::{PeriodCount, RepairStats, UnitCount};

use crate::{App, Ctx, Result};
use portico_core::account::AccountState;
use portico_core::booking::Kind;
use portico_core::ids::AccountId;
use portico_core::permission::{Keeper, KeptItem, Principal};
use portico_core::repair::{RepairTypeInput, parse_logins};
use portico_core::{Error, Msg};
use portico_store::bookings::{self as items, ItemFilter, RepairTypeRow};
use portico_store::{Conn, Page, accounts, db_err};
use serde_json::json;

/// Two checks' results as one, their invalid fields together.
pub(crate) fn both<A, B>(a: Result<A>, b: Result<B>) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(Error::Invalid(mut e)), Err(Error::Invalid(f))) => {
            e.extend(f);
            Err(Error::Invalid(e))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

impl App {
    /// Active accounts by login, for a type's repair staff (設置維修人員):
    /// every login not found named at once.
    async fn staff_accounts(&self, c: &mut Conn, text: &str) -> Result<Vec<AccountId>> {
        let logins = parse_logins(text)?;
        let mut ids = Vec::with_capacity(logins.len());
        let mut missing = Vec::new();
        for l in &logins {
            match accounts::find_by_login(c, l).await? {
                Some(a) if a.state == AccountState::Active => ids.push(a.id),
                _ => missing.push(l.as_str()),
            }
        }
        if !missing.is_empty() {
            let list = missing.join("、");
            return Err(Error::invalid(
                "staff",
                Msg::owned(
                    format!("找不到這些啟用中的帳號：{list}；請輸入維修人員的帳號"),
                    format!(
                        "No active account by these logins: {list}; enter the repair staff's logins"
                    ),
                ),
            ));
        }
        Ok(ids)
    }

    /// A system admin, or an agency admin for their agency, makes a repair
    /// type with its first custodian and its repair staff. Returns its id.
    pub async fn create_repair_type(
        &self,
        actor: &Principal,
        input: &RepairTypeInput,
        custodian: &str,
        staff: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let staff = {
            let mut c = self.db.read().await?;
            self.staff_accounts(&mut c, staff).await
        };
        // Every field's fault at once, the staff's and the custodian's among them.
        let ((v, staff), maker, keeper) = self
            .item_to_make(
                actor,
                both(input.check(), staff),
                |(v, _)| v.agency_id,
                custodian,
            )
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = items::insert_repair_type(&mut tx, &maker, &v, keeper.id, &staff, now).await?;
        let detail = json!({ "custodian": keeper.login, "staff": staff.len() });
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "repair_type.create",
            Kind::Repair,
            id,
            detail,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// The type and the proof the actor keeps it.
    pub(crate) async fn kept_repair_type(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(RepairTypeRow, Keeper)> {
        let v = items::repair_type(c, id).await?.ok_or(Error::NotFound)?;
        let custodians = v.custodian_ids();
        let k = actor.keeper(&KeptItem {
            kind: Kind::Repair,
            id,
            agency: &v.agency_path,
            custodians: &custodians,
        })?;
        Ok((v, k))
    }

    /// A repair type, for those who keep it.
    pub async fn repair_type_kept(&self, actor: &Principal, id: i64) -> Result<RepairTypeRow> {
        let mut c = self.db.read().await?;
        Ok(self.kept_repair_type(&mut c, actor, id).await?.0)
    }

    /// The repair types the actor keeps (報修類型管理), by name or agency.
    pub async fn kept_repair_types(
        &self,
        actor: &Principal,
        q: &str,
        page: u32,
    ) -> Result<Page<RepairTypeRow>> {
        let roots = App::kept_roots(actor);
        let f = ItemFilter {
            kept_by: (!actor.is_system_admin()).then_some((actor.account_id(), roots.as_slice())),
            q: Some(q),
            ..Default::default()
        };
        items::repair_types(&mut *self.db.read().await?, &f, page, 30).await
    }

    /// Its keepers change a type's details and staff; moving it to another
    /// agency needs the right to make one there.
    pub async fn update_repair_type(
        &self,
        actor: &Principal,
        id: i64,
        input: &RepairTypeInput,
        staff: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut c = self.db.read().await?;
        let (before, k) = self.kept_repair_type(&mut c, actor, id).await?;
        let staff = self.staff_accounts(&mut c, staff).await;
        let (v, staff) = both(input.check(), staff)?;
        self.may_move(&mut c, actor, before.agency_id, v.agency_id)
            .await?;
        drop(c);
        let mut tx = self.db.begin().await?;
        items::update_repair_type(&mut tx, &k, &v, &staff, self.now()).await?;
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "repair_type.update",
            Kind::Repair,
            id,
            json!({ "staff": staff.len() }),
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// Does the person repair anything (報修處理狀況回報 is theirs)?
    pub async fn repairs_anything(&self, actor: &Principal) -> Result<bool> {
        items::is_repair_staff(&mut *self.db.read().await?, actor.account_id()).await
    }
}
