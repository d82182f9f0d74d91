//! Venues (場地清單管理): made by system and agency admins, kept by their
//! custodians, borrowed by those the venue lends to.
use crate::{App, Ctx, Result};
use portico_core::Error;
use portico_core::booking::{Kind, VenueInput};
use portico_core::permission::{Keeper, KeptItem, Principal};
use portico_store::bookings::{self as store, VenueFilter, VenueRow};
use portico_store::{Conn, Page, db_err};
use serde_json::json;

impl App {
    /// A system admin, or an agency admin for their agency, makes a venue
    /// with its first custodian (場地清單管理 新增). Returns its id.
    pub async fn create_venue(
        &self,
        actor: &Principal,
        input: &VenueInput,
        custodian: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let (v, maker, keeper) = self
            .item_to_make(actor, input.check(), |v| v.agency_id, custodian)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_venue(&mut tx, &maker, &v, keeper.id, now).await?;
        let detail = json!({ "capacity": v.capacity, "custodian": keeper.login });
        self.booked_event(&mut tx, ctx, actor, "venue.create", Kind::Venue, id, detail)
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
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
        let roots = App::kept_roots(actor);
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
        self.may_move(&mut c, actor, before.agency_id, v.agency_id)
            .await?;
        drop(c);
        let mut tx = self.db.begin().await?;
        store::update_venue(&mut tx, &k, &v, self.now()).await?;
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "venue.update",
            Kind::Venue,
            id,
            serde_json::Value::Null,
        )
        .await?;
        tx.commit().await.map_err(db_err)
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
}
