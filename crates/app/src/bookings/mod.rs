//! Office services (issue 16; seed 004 §捌 二, §玖 一–二): venues made by
//! system and agency admins and kept by their custodians (場地清單管理),
//! booked by staff by venue or by time (場地借用申請), reviewed by the
//! custodians one or a batch (場地借用審核). The hours an approval takes
//! are rows the database holds unique: two custodians approving
//! overlapping requests at once, one wins.
mod book;
mod mail;

pub use book::{DecideOutcome, Week, WeekCell};

use crate::{App, Ctx, Result, event};
use portico_core::account::AccountState;
use portico_core::audit::Outcome;
use portico_core::booking::{Kind, VenueInput, check_custodian_reason};
use portico_core::ids::OrgUnitId;
use portico_core::org::OrgKind;
use portico_core::permission::{Keeper, KeptItem, Principal};
use portico_core::{Error, Msg};
use portico_store::bookings::{self as store, VenueFilter, VenueRow};
use portico_store::{Conn, Page, accounts, audit, db_err, orgs};
use serde_json::json;

/// Names the venue on an event.
fn target(e: &mut audit::NewEvent, v: &VenueRow) {
    e.target_kind = "venue".into();
    e.target_id = Some(v.id);
    e.target_label = format!("{} {} {}", v.location, v.floor, v.name);
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

    /// A system admin, or an agency admin for their agency, makes a venue
    /// with its first custodian (場地清單管理 新增). Returns its id.
    pub async fn create_venue(
        &self,
        actor: &Principal,
        input: &VenueInput,
        custodian: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let checked = input.check();
        let mut c = self.db.read().await?;
        let keeper = self.custodian_by_login(&mut c, custodian).await;
        let v = match (checked, keeper) {
            (Ok(v), Ok(_)) => v,
            (Err(Error::Invalid(mut e)), Err(Error::Invalid(k))) => {
                e.extend(k);
                return Err(Error::Invalid(e));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let keeper = self.custodian_by_login(&mut c, custodian).await?;
        let agency = self.agency_of(&mut c, v.agency_id).await?;
        drop(c);
        let maker = actor.item_maker(&agency.path)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_venue(&mut tx, &maker, &v, keeper.id, now).await?;
        let row = store::venue(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let mut e = event(ctx, "venue.create");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        e.detail = json!({ "capacity": v.capacity, "custodian": keeper.login }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
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

    /// The venue and the proof the actor keeps it.
    pub(crate) async fn kept_venue(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(VenueRow, Keeper)> {
        let v = store::venue(c, id).await?.ok_or(Error::NotFound)?;
        let custodians = v.custodian_ids();
        let k = actor.keeper(&KeptItem {
            kind: Kind::Venue,
            id,
            agency: &v.agency_path,
            custodians: &custodians,
        })?;
        Ok((v, k))
    }

    /// A venue, for those who keep it.
    pub async fn venue_kept(&self, actor: &Principal, id: i64) -> Result<VenueRow> {
        let mut c = self.db.read().await?;
        Ok(self.kept_venue(&mut c, actor, id).await?.0)
    }

    /// The venues the actor keeps (as custodian, or as an admin over their
    /// agency; a system admin every venue), by name or agency.
    pub async fn kept_venues(
        &self,
        actor: &Principal,
        q: &str,
        page: u32,
    ) -> Result<Page<VenueRow>> {
        let roots: Vec<_> = actor
            .roles()
            .iter()
            .filter(|r| r.kind >= portico_core::permission::RoleKind::AgencyAdmin)
            .filter_map(|r| r.scope.as_ref().map(|(_, p)| p.clone()))
            .collect();
        let f = VenueFilter {
            kept_by: (!actor.is_system_admin()).then_some((actor.account_id(), roots.as_slice())),
            q: Some(q),
            ..Default::default()
        };
        store::venues(&mut *self.db.read().await?, &f, page, 30).await
    }

    /// Its keepers change a venue's details; moving it to another agency
    /// needs the right to make one there.
    pub async fn update_venue(
        &self,
        actor: &Principal,
        id: i64,
        input: &VenueInput,
        ctx: &Ctx,
    ) -> Result<()> {
        let v = input.check()?;
        let mut c = self.db.read().await?;
        let (before, k) = self.kept_venue(&mut c, actor, id).await?;
        if v.agency_id != before.agency_id {
            let agency = self.agency_of(&mut c, v.agency_id).await?;
            actor.item_maker(&agency.path)?;
        }
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::update_venue(&mut tx, &k, &v, now).await?;
        let row = store::venue(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let mut e = event(ctx, "venue.update");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Its keepers remove a venue from the lists; its records stay.
    pub async fn remove_venue(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let mut c = self.db.read().await?;
        let (row, k) = self.kept_venue(&mut c, actor, id).await?;
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::remove_venue(&mut tx, &k, now).await? {
            return Err(Error::NotFound);
        }
        let mut e = event(ctx, "venue.remove");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        target(&mut e, &row);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Puts a person in custodian place 1 or 2 (an empty login clears
    /// place 2), with the reason (設置保管人, 異動原因), recorded.
    pub async fn set_venue_custodian(
        &self,
        actor: &Principal,
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
        let (row, k) = self.kept_venue(&mut c, actor, id).await?;
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
        let mut e = event(ctx, "venue.custodian");
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

    /// A venue's custodian changes (保管人異動紀錄), for its keepers.
    pub async fn venue_custodian_changes(
        &self,
        actor: &Principal,
        id: i64,
        between: (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>),
    ) -> Result<Vec<store::CustodianChange>> {
        let mut c = self.db.read().await?;
        self.kept_venue(&mut c, actor, id).await?;
        store::custodian_changes(&mut c, Kind::Venue, id, between).await
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

    /// The venues the actor may borrow, at a location or all.
    pub async fn borrowable_venues(
        &self,
        actor: &Principal,
        location: &str,
    ) -> Result<Vec<VenueRow>> {
        let mut c = self.db.read().await?;
        let me = self.borrower(&mut c, actor).await?;
        let Some(agency) = me.agency_id else {
            return Ok(Vec::new());
        };
        let f = VenueFilter {
            borrowable_by: Some(agency.0),
            location: Some(location),
            ..Default::default()
        };
        Ok(store::venues(&mut c, &f, 1, 0).await?.items)
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

    /// A venue's approved bookings (借用紀錄), for its keepers, newest
    /// first.
    pub async fn venue_records(&self, actor: &Principal, id: i64) -> Result<Vec<store::Booking>> {
        let mut c = self.db.read().await?;
        self.kept_venue(&mut c, actor, id).await?;
        let f = store::BookingFilter {
            kind: Some(Kind::Venue),
            item: Some(id),
            states: &[portico_core::booking::State::Approved],
            ..Default::default()
        };
        let mut all = store::bookings(&mut c, &f, 1, 200).await?.items;
        all.reverse();
        Ok(all)
    }

    /// A venue's custodian changes as a workbook, for its keepers.
    pub async fn venue_changes_sheet(
        &self,
        actor: &Principal,
        id: i64,
        format: crate::export::Sheet,
    ) -> Result<crate::inspections::RecordFile> {
        let changes = self
            .venue_custodian_changes(actor, id, (None, None))
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
            name: format!("保管人異動紀錄-{id}.{}", format.extension()),
            content_type: format.content_type(),
            bytes: crate::export::table(&table, format)?,
        })
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

    /// Where venues are (所在地).
    pub async fn venue_locations(&self) -> Result<Vec<String>> {
        store::venue_locations(&mut *self.db.read().await?).await
    }
}
