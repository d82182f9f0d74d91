//! Office services (issue 16; seed 004 §捌 二, §玖 一–二): venues made by
//! system and agency admins and kept by their custodians (場地清單管理),
//! booked by staff by venue or by time (場地借用申請), reviewed by the
//! custodians one or a batch (場地借用審核). The hours an approval takes
//! are rows the database holds unique: two custodians approving
//! overlapping requests at once, one wins.
mod book;
mod calendar;
mod cars;
mod mail;
mod photos;
mod venues;

pub use book::{DecideOutcome, Week, WeekCell};
pub use calendar::NewFeed;
pub use photos::MAX_ITEM_PHOTOS;

use crate::{App, Ctx, Result, event};
use portico_core::account::AccountState;
use portico_core::audit::Outcome;
use portico_core::booking::{Kind, check_custodian_reason};
use portico_core::ids::OrgUnitId;
use portico_core::org::OrgKind;
use portico_core::permission::{ItemMaker, Keeper, KeptItem, Principal};
use portico_core::{Error, Msg};
use portico_store::bookings::{self as store, ItemHead};
use portico_store::{Conn, accounts, audit, db_err, orgs};
use serde_json::json;

/// Names the item on an event.
fn target(e: &mut audit::NewEvent, v: &ItemHead) {
    e.target_kind = v.kind.as_str().into();
    e.target_id = Some(v.id);
    e.target_label = v.label.clone();
    e.scope_path = v.agency_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
}

fn no_custodian() -> Error {
    Error::invalid(
        "custodian",
        Msg::new(
            "找不到這個啟用中的帳號，請輸入保管人的帳號",
            "No active account by that login; enter the custodian's login",
        ),
    )
}

impl App {
    /// The agencies the actor may make venues for (id, name).
    pub async fn venue_agencies(&self, actor: &Principal) -> Result<Vec<(i64, String)>> {
        let all = orgs::list_all(&mut *self.db.read().await?).await?;
        Ok(all
            .into_iter()
            .filter(|u| u.enabled && u.kind == OrgKind::Agency)
            .filter(|u| actor.item_maker(&u.path).is_ok())
            .map(|u| (u.id.0, u.name))
            .collect())
    }

    /// An active person, by login, to keep an item.
    async fn custodian_by_login(&self, c: &mut Conn, login: &str) -> Result<accounts::Account> {
        match accounts::find_by_login(c, login.trim()).await? {
            Some(a) if a.state == AccountState::Active => Ok(a),
            _ => Err(no_custodian()),
        }
    }

    /// A new item's form checked with its first custodian, and the right
    /// to make it for its agency: every field's fault at once.
    pub(crate) async fn item_to_make<T>(
        &self,
        actor: &Principal,
        checked: Result<T>,
        agency_id: impl Fn(&T) -> i64,
        custodian: &str,
    ) -> Result<(T, ItemMaker, accounts::Account)> {
        let mut c = self.db.read().await?;
        let keeper = if custodian.trim().is_empty() {
            Err(Error::invalid(
                "custodian",
                Msg::new(
                    "請輸入第一位保管人的帳號",
                    "Enter the first custodian's login",
                ),
            ))
        } else {
            self.custodian_by_login(&mut c, custodian).await
        };
        let (v, keeper) = match (checked, keeper) {
            (Ok(v), Ok(k)) => (v, k),
            (Err(Error::Invalid(mut e)), Err(Error::Invalid(k))) => {
                e.extend(k);
                return Err(Error::Invalid(e));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let agency = self.agency_of(&mut c, agency_id(&v)).await?;
        let maker = actor.item_maker(&agency.path)?;
        Ok((v, maker, keeper))
    }

    /// Moving an item to another agency needs the right to make one there.
    pub(crate) async fn may_move(
        &self,
        c: &mut Conn,
        actor: &Principal,
        from: i64,
        to: i64,
    ) -> Result<()> {
        if from != to {
            let agency = self.agency_of(c, to).await?;
            actor.item_maker(&agency.path)?;
        }
        Ok(())
    }

    /// Records a step on an item, as the actor, in the transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn booked_event(
        &self,
        tx: &mut Conn,
        ctx: &Ctx,
        actor: &Principal,
        action: &str,
        kind: Kind,
        id: i64,
        detail: serde_json::Value,
    ) -> Result<()> {
        let row = store::item(tx, kind, id).await?.ok_or(Error::NotFound)?;
        let mut e = event(ctx, action);
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        if !detail.is_null() {
            e.detail = detail.to_string();
        }
        audit::append(tx, &e, self.now()).await?;
        Ok(())
    }

    async fn agency_of(&self, c: &mut Conn, id: i64) -> Result<orgs::OrgUnit> {
        match orgs::get(c, OrgUnitId(id)).await? {
            Some(u) if u.kind == OrgKind::Agency => Ok(u),
            _ => Err(Error::invalid(
                "agency_id",
                Msg::new("請選擇管理機關", "Choose the managing agency"),
            )),
        }
    }

    /// The item and the proof the actor keeps it (any kind).
    pub(crate) async fn kept_item(
        &self,
        c: &mut Conn,
        actor: &Principal,
        kind: Kind,
        id: i64,
    ) -> Result<(ItemHead, Keeper)> {
        let v = store::item(c, kind, id).await?.ok_or(Error::NotFound)?;
        let custodians = v.custodian_ids();
        let k = actor.keeper(&KeptItem {
            kind,
            id,
            agency: &v.agency_path,
            custodians: &custodians,
        })?;
        Ok((v, k))
    }

    /// Its keepers remove an item from the lists; its records stay.
    pub async fn remove_item(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let mut c = self.db.read().await?;
        let (row, k) = self.kept_item(&mut c, actor, kind, id).await?;
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::remove_item(&mut tx, &k, now).await? {
            return Err(Error::NotFound);
        }
        let action = match kind {
            Kind::Venue => "venue.remove",
            Kind::Car => "car.remove",
            Kind::Driver => "driver.remove",
            Kind::Repair => "repair_type.remove",
        };
        let mut e = event(ctx, action);
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Puts a person in custodian place 1 or 2 (an empty login clears
    /// place 2), with the reason (設置保管人, 異動原因), recorded.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_custodian(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        position: i64,
        login: &str,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        if !(1..=2).contains(&position) {
            return Err(Error::invalid(
                "position",
                Msg::new("保管人位置為 1 或 2", "The place is 1 or 2"),
            ));
        }
        let reason = check_custodian_reason(reason)?;
        let mut c = self.db.read().await?;
        let (row, k) = self.kept_item(&mut c, actor, kind, id).await?;
        let to = if login.trim().is_empty() {
            if position == 1 {
                return Err(Error::invalid(
                    "to",
                    Msg::new(
                        "第一位保管人為必填，請輸入新保管人的帳號",
                        "The first custodian is required; enter the new custodian's login",
                    ),
                ));
            }
            None
        } else {
            Some(self.custodian_by_login(&mut c, login).await.map_err(|_| {
                Error::invalid(
                    "to",
                    Msg::new(
                        "找不到這個啟用中的帳號，請輸入新保管人的帳號",
                        "No active account by that login; enter the new custodian's login",
                    ),
                )
            })?)
        };
        if to.as_ref().is_some_and(|a| {
            row.custodians
                .iter()
                .any(|c| c.account_id == a.id && c.position != position)
        }) {
            return Err(Error::invalid(
                "to",
                Msg::new(
                    "此人已是另一位保管人",
                    "That person is the other custodian already",
                ),
            ));
        }
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::set_custodian(
            &mut tx,
            &k,
            position,
            to.as_ref().map(|a| a.id),
            &reason,
            now,
        )
        .await?;
        let action = match kind {
            Kind::Venue => "venue.custodian",
            Kind::Car => "car.custodian",
            Kind::Driver => "driver.custodian",
            Kind::Repair => "repair_type.custodian",
        };
        let mut e = event(ctx, action);
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        e.reason = reason;
        e.detail = json!({
            "position": position,
            "to": to.as_ref().map(|a| a.login.clone()).unwrap_or_default(),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// An item's custodian changes (保管人異動紀錄), for its keepers.
    pub async fn custodian_changes(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
    ) -> Result<Vec<store::CustodianChange>> {
        let mut c = self.db.read().await?;
        self.kept_item(&mut c, actor, kind, id).await?;
        store::custodian_changes(&mut c, kind, id, between).await
    }

    /// The person's agency, the 借用單位 by default.
    pub(crate) async fn borrower(
        &self,
        c: &mut Conn,
        actor: &Principal,
    ) -> Result<accounts::Account> {
        accounts::get(c, actor.account_id())
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// Every enabled agency (id, name), for a venue's 指定機關.
    pub async fn all_agencies(&self) -> Result<Vec<(i64, String)>> {
        Ok(orgs::list_all(&mut *self.db.read().await?)
            .await?
            .into_iter()
            .filter(|u| u.enabled && u.kind == OrgKind::Agency)
            .map(|u| (u.id.0, u.name))
            .collect())
    }

    /// An item's approved bookings (借用紀錄; a driver's 派遣紀錄), for its
    /// keepers, between two instants, newest first.
    pub async fn item_records(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
    ) -> Result<Vec<store::Booking>> {
        if kind == Kind::Repair {
            // A repair type's records are its reports (`repair_sheet`).
            return Err(Error::NotFound);
        }
        let mut c = self.db.read().await?;
        self.kept_item(&mut c, actor, kind, id).await?;
        let f = store::BookingFilter {
            kind: Some(if kind == Kind::Driver {
                Kind::Car
            } else {
                kind
            }),
            item: (kind != Kind::Driver).then_some(id),
            driver: (kind == Kind::Driver).then_some(id),
            states: &[portico_core::booking::State::Approved],
            from: between.0,
            until: between.1,
            ..Default::default()
        };
        let mut all = store::bookings(&mut c, &f, 1, 0).await?.items;
        all.reverse();
        Ok(all)
    }

    /// An item's custodian changes as a workbook, for its keepers.
    pub async fn changes_sheet(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        format: crate::export::Sheet,
    ) -> Result<crate::inspections::RecordFile> {
        let changes = self
            .custodian_changes(actor, kind, id, (None, None))
            .await?;
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        let table = crate::export::Table {
            name: "保管人異動紀錄",
            headers: [
                "執行時間",
                "保管人位置",
                "原保管人",
                "新保管人",
                "異動原因",
                "執行者",
            ]
            .map(String::from)
            .to_vec(),
            rows: changes
                .iter()
                .map(|x| {
                    vec![
                        portico_core::time::display(x.at),
                        x.position.to_string(),
                        name(&x.from_name),
                        name(&x.to_name),
                        x.reason.clone(),
                        name(&x.by_name),
                    ]
                })
                .collect(),
        };
        Ok(crate::inspections::RecordFile {
            name: format!(
                "保管人異動紀錄-{}-{id}.{}",
                kind.as_str(),
                format.extension()
            ),
            content_type: format.content_type(),
            bytes: crate::export::table(&table, format)?,
        })
    }

    /// The 借用單位 a person may choose: their agency first, then each unit
    /// of it down to their own (what `borrowing_unit` accepts), read along
    /// the person's path rather than the whole tree.
    pub async fn borrowing_units(&self, actor: &Principal) -> Result<Vec<(i64, String)>> {
        let mut c = self.db.read().await?;
        let me = self.borrower(&mut c, actor).await?;
        let Some(agency) = me.agency_id else {
            return Ok(Vec::new());
        };
        let mut units = Vec::new();
        for id in me.unit_path.ids() {
            if id == agency || !units.is_empty() {
                match orgs::get(&mut c, id).await? {
                    Some(u) if u.id == agency || u.enabled => units.push((u.id.0, u.name)),
                    _ => {}
                }
            }
        }
        Ok(units)
    }

    /// The name of the person's agency, the 借用單位 of their requests.
    pub async fn borrower_agency_name(&self, actor: &Principal) -> Result<String> {
        let mut c = self.db.read().await?;
        let me = self.borrower(&mut c, actor).await?;
        Ok(match me.agency_id {
            Some(a) => orgs::get(&mut c, a)
                .await?
                .map(|u| u.name)
                .unwrap_or_default(),
            None => String::new(),
        })
    }

    /// Where the items of a kind are (所在地).
    pub async fn item_locations(&self, kind: Kind) -> Result<Vec<String>> {
        store::locations(&mut *self.db.read().await?, kind).await
    }

    /// The subtrees the actor administers: the items of agencies under
    /// them are theirs to keep.
    pub(crate) fn kept_roots(actor: &Principal) -> Vec<portico_core::org::TreePath> {
        actor
            .roles()
            .iter()
            .filter(|r| r.kind >= portico_core::permission::RoleKind::AgencyAdmin)
            .filter_map(|r| r.scope.as_ref().map(|(_, p)| p.clone()))
            .collect()
    }
}
