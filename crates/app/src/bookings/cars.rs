//! Official cars and drivers (公務車清單管理, 派遣司機清單管理) and booking a
//! car with or without a driver (公務車借用登記). An approved car booking
//! takes the car's hours and its driver's, both held unique by the
//! database, so a driver is never dispatched twice at once across cars.
use crate::{App, Ctx, Result};
use portico_core::booking::{
    CarInput, CarRequestInput, DriverInput, Kind, Opening, Span, check_span, may_borrow,
};
use portico_core::permission::{Keeper, KeptItem, Principal};
use portico_core::{Error, Msg};
use portico_store::bookings::{
    self as store, CarRow, DriverBrief, DriverRow, ItemFilter, NewBooking,
};
use portico_store::{Conn, Page, accounts, db_err};
use serde_json::json;
use time::Date;

use super::Week;

impl App {
    /// A system admin, or an agency admin for their agency, makes a car
    /// with its first custodian and its drivers (新增公務車).
    pub async fn create_car(
        &self,
        actor: &Principal,
        input: &CarInput,
        custodian: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let year = self.now().year();
        let (v, maker, keeper) = self
            .item_to_make(actor, input.check(year), |v| v.agency_id, custodian)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_car(&mut tx, &maker, &v, keeper.id, now).await?;
        let detail = json!({ "plate": v.plate, "custodian": keeper.login });
        self.booked_event(&mut tx, ctx, actor, "car.create", Kind::Car, id, detail)
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// The car and the proof the actor keeps it.
    async fn kept_car(&self, c: &mut Conn, actor: &Principal, id: i64) -> Result<(CarRow, Keeper)> {
        let v = store::car(c, id).await?.ok_or(Error::NotFound)?;
        let custodians: Vec<_> = v.custodians.iter().map(|c| c.account_id).collect();
        let k = actor.keeper(&KeptItem {
            kind: Kind::Car,
            id,
            agency: &v.agency_path,
            custodians: &custodians,
        })?;
        Ok((v, k))
    }

    /// A car, for those who keep it.
    pub async fn car_kept(&self, actor: &Principal, id: i64) -> Result<CarRow> {
        let mut c = self.db.read().await?;
        Ok(self.kept_car(&mut c, actor, id).await?.0)
    }

    fn kept_filter<'a>(
        actor: &Principal,
        roots: &'a [portico_core::org::TreePath],
        q: &'a str,
    ) -> ItemFilter<'a> {
        ItemFilter {
            kept_by: (!actor.is_system_admin()).then_some((actor.account_id(), roots)),
            q: Some(q),
            ..Default::default()
        }
    }

    /// The cars the actor keeps (我的公務車), by plate, type or agency.
    pub async fn kept_cars(&self, actor: &Principal, q: &str, page: u32) -> Result<Page<CarRow>> {
        let roots = App::kept_roots(actor);
        let f = App::kept_filter(actor, &roots, q);
        store::cars(&mut *self.db.read().await?, &f, page, 30).await
    }

    /// Its keepers change a car's details and drivers.
    pub async fn update_car(
        &self,
        actor: &Principal,
        id: i64,
        input: &CarInput,
        ctx: &Ctx,
    ) -> Result<()> {
        let v = input.check(self.now().year())?;
        let mut c = self.db.read().await?;
        let (before, k) = self.kept_car(&mut c, actor, id).await?;
        self.may_move(&mut c, actor, before.agency_id, v.agency_id)
            .await?;
        drop(c);
        let mut tx = self.db.begin().await?;
        store::update_car(&mut tx, &k, &v, self.now()).await?;
        let detail = json!({ "plate": v.plate });
        self.booked_event(&mut tx, ctx, actor, "car.update", Kind::Car, id, detail)
            .await?;
        tx.commit().await.map_err(db_err)
    }

    /// A system admin, or an agency admin for their agency, adds a driver
    /// with their first manager (新增司機).
    pub async fn create_driver(
        &self,
        actor: &Principal,
        input: &DriverInput,
        manager: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let (v, maker, keeper) = self
            .item_to_make(actor, input.check(), |v| v.agency_id, manager)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_driver(&mut tx, &maker, &v, keeper.id, now).await?;
        let detail = json!({ "custodian": keeper.login });
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "driver.create",
            Kind::Driver,
            id,
            detail,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn kept_driver(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(DriverRow, Keeper)> {
        let v = store::driver(c, id).await?.ok_or(Error::NotFound)?;
        let custodians: Vec<_> = v.custodians.iter().map(|c| c.account_id).collect();
        let k = actor.keeper(&KeptItem {
            kind: Kind::Driver,
            id,
            agency: &v.agency_path,
            custodians: &custodians,
        })?;
        Ok((v, k))
    }

    /// A driver, for their managers.
    pub async fn driver_kept(&self, actor: &Principal, id: i64) -> Result<DriverRow> {
        let mut c = self.db.read().await?;
        Ok(self.kept_driver(&mut c, actor, id).await?.0)
    }

    /// The drivers the actor manages (我的司機), by name or agency.
    pub async fn kept_drivers(
        &self,
        actor: &Principal,
        q: &str,
        page: u32,
    ) -> Result<Page<DriverRow>> {
        let roots = App::kept_roots(actor);
        let f = App::kept_filter(actor, &roots, q);
        store::drivers(&mut *self.db.read().await?, &f, page, 30).await
    }

    /// Every listed driver, for a car's 選擇公務車司機.
    pub async fn driver_choices(&self) -> Result<Vec<DriverRow>> {
        Ok(
            store::drivers(&mut *self.db.read().await?, &ItemFilter::default(), 1, 0)
                .await?
                .items,
        )
    }

    /// Its managers change a driver's details.
    pub async fn update_driver(
        &self,
        actor: &Principal,
        id: i64,
        input: &DriverInput,
        ctx: &Ctx,
    ) -> Result<()> {
        let v = input.check()?;
        let mut c = self.db.read().await?;
        let (before, k) = self.kept_driver(&mut c, actor, id).await?;
        self.may_move(&mut c, actor, before.agency_id, v.agency_id)
            .await?;
        drop(c);
        let mut tx = self.db.begin().await?;
        store::update_driver(&mut tx, &k, &v, self.now()).await?;
        self.booked_event(
            &mut tx,
            ctx,
            actor,
            "driver.update",
            Kind::Driver,
            id,
            serde_json::Value::Null,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// A car the actor may borrow, or not found.
    async fn borrowable_car(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(CarRow, accounts::Account)> {
        let v = store::car(c, id).await?.ok_or(Error::NotFound)?;
        let me = self.borrower(c, actor).await?;
        // 是否公開 否: only its keepers see it.
        if !v.public
            || !may_borrow(
                v.borrowers,
                v.agency_id,
                &v.agencies,
                me.agency_id.map(|a| a.0),
            )
        {
            return Err(Error::NotFound);
        }
        Ok((v, me))
    }

    /// The cars the actor may borrow, at a location and of a type, or all.
    pub async fn borrowable_cars(
        &self,
        actor: &Principal,
        location: &str,
        car_type: &str,
    ) -> Result<Vec<CarRow>> {
        let mut c = self.db.read().await?;
        let me = self.borrower(&mut c, actor).await?;
        let Some(agency) = me.agency_id else {
            return Ok(Vec::new());
        };
        let f = ItemFilter {
            borrowable_by: Some(agency.0),
            location: Some(location),
            car_type: Some(car_type),
            ..Default::default()
        };
        Ok(store::cars(&mut c, &f, 1, 0).await?.items)
    }

    /// A car's week, as one who may borrow it sees it (依公務車查詢允許申請時間).
    pub async fn car_week(&self, actor: &Principal, id: i64, day: Date) -> Result<Week<CarRow>> {
        let mut c = self.db.read().await?;
        let (car, _) = self.borrowable_car(&mut c, actor, id).await?;
        let open = car.opening;
        self.week(&mut c, (Kind::Car, id), car, open, day).await
    }

    /// The cars the actor may borrow that are open and free for the whole
    /// span (依時間查詢允許申請公務車清單).
    pub async fn free_cars(
        &self,
        actor: &Principal,
        (date, from, until): (&str, &str, &str),
        location: &str,
        car_type: &str,
    ) -> Result<(Span, Vec<CarRow>)> {
        let all = self.borrowable_cars(actor, location, car_type).await?;
        let any = Opening {
            from: 0,
            until: 24,
            days: 0b111_1111,
        };
        let span = check_span(date, from, until, &any, self.now())?;
        let ids: Vec<i64> = all.iter().map(|v| v.id).collect();
        let held = store::held(
            &mut *self.db.read().await?,
            Kind::Car,
            &ids,
            span.start(),
            span.end(),
        )
        .await?;
        let free = all
            .into_iter()
            .filter(|v| v.opening.covers(&span) && !held.iter().any(|(i, _, _)| *i == v.id))
            .collect();
        Ok((span, free))
    }

    /// The car's drivers the person may have dispatched who are free for
    /// the whole span (only they are offered).
    pub async fn free_drivers(
        &self,
        actor: &Principal,
        car: i64,
        span: Option<Span>,
    ) -> Result<Vec<DriverBrief>> {
        let mut c = self.db.read().await?;
        let (car, me) = self.borrowable_car(&mut c, actor, car).await?;
        self.dispatchable(&mut c, &car, &me, span).await
    }

    async fn dispatchable(
        &self,
        c: &mut Conn,
        car: &CarRow,
        me: &accounts::Account,
        span: Option<Span>,
    ) -> Result<Vec<DriverBrief>> {
        let Some(agency) = me.agency_id else {
            return Ok(Vec::new());
        };
        let f = ItemFilter {
            borrowable_by: Some(agency.0),
            ..Default::default()
        };
        let allowed: Vec<i64> = store::drivers(c, &f, 1, 0)
            .await?
            .items
            .iter()
            .map(|d| d.id)
            .collect();
        let mut offered: Vec<DriverBrief> = car
            .drivers
            .iter()
            .filter(|d| allowed.contains(&d.id))
            .cloned()
            .collect();
        if let Some(span) = span {
            let ids: Vec<i64> = offered.iter().map(|d| d.id).collect();
            let held = store::held(c, Kind::Driver, &ids, span.start(), span.end()).await?;
            offered.retain(|d| !held.iter().any(|(i, _, _)| *i == d.id));
        }
        Ok(offered)
    }

    /// Files a request for a car the person may borrow, with a driver free
    /// for the whole span or driving themself; its custodians are mailed.
    pub async fn request_car(
        &self,
        actor: &Principal,
        id: i64,
        input: &CarRequestInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let mut c = self.db.read().await?;
        let (car, me) = self.borrowable_car(&mut c, actor, id).await?;
        let r = input.check(&car.opening, car.passengers, self.now())?;
        if let Some(d) = r.driver_id {
            let free = self.dispatchable(&mut c, &car, &me, Some(r.span)).await?;
            if !free.iter().any(|f| f.id == d) {
                return Err(Error::invalid(
                    "driver_id",
                    Msg::new(
                        "此司機在這個時段已有派遣，或不派遣此車；請改選其他司機",
                        "That driver is dispatched at these hours or does not drive this car; choose another",
                    ),
                ));
            }
        }
        let unit = self.borrowing_unit(&mut c, &me, input.unit_id).await?;
        drop(c);
        let nb = NewBooking {
            kind: Kind::Car,
            item_id: id,
            driver_id: r.driver_id,
            unit_id: unit,
            span: r.span,
            phone: &r.phone,
            ext: &r.ext,
            people: r.people,
            host: "",
            purpose: &r.purpose,
            destination: &r.destination,
        };
        self.file_request(actor, &me.name, &nb, ctx).await
    }
}
