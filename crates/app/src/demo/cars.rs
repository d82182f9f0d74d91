//! The demo's official cars and drivers (issue 16): 民政局's sedan kept by
//! 陳文書 (`clerk`) and 張志明 (`unit_admin`), driven by 陳建宏 whom 張志明
//! and 陳文書 manage; 智慧發展中心's minibus lent city-wide, driven by 林志豪; next
//! week's requests, the one with a driver approved.
use super::SEED;
use crate::{App, Result};
use portico_core::booking::{CarInput, CarRequestInput, DriverInput, Kind};
use portico_core::org::OrgKind;
use portico_store::bookings as store;
use portico_store::{accounts, db_err, orgs};
use time::Duration;

impl App {
    /// The cars, drivers and a few requests, once the venues are seeded.
    pub(super) async fn seed_demo_cars(&self) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let tree = orgs::list_all(&mut tx).await?;
        let agency = |n: &str| {
            tree.iter()
                .find(|u| u.name == n && u.kind == OrgKind::Agency)
                .map(|u| u.id.0)
        };
        let (Some(civil), Some(sdc)) = (agency("民政局"), agency("智慧發展中心")) else {
            return Ok(());
        };
        let mut who = std::collections::HashMap::new();
        for l in ["admin", "unit_admin", "clerk", "staff", "expiring"] {
            if let Some(a) = accounts::find_by_login(&mut tx, l).await? {
                who.insert(l, a);
            }
        }
        let id = |l: &str| who.get(l).map(|a| a.id);
        let (Some(admin), Some(unit_admin), Some(clerk)) =
            (id("admin"), id("unit_admin"), id("clerk"))
        else {
            return Ok(());
        };
        let maker = SEED.item_maker_for(admin);
        let driver =
            |location: &str, name: &str, agency: i64, licence: &str, phone: &str| DriverInput {
                location: location.into(),
                name: name.into(),
                agency_id: Some(agency),
                licence: licence.into(),
                phone: phone.into(),
                note: String::new(),
                public: true,
                borrowers: "city".into(),
                agencies: vec![],
            };
        let chen = driver(
            "永華市政中心",
            "陳建宏",
            civil,
            "職業小型車",
            "0912-345-678",
        )
        .check()?;
        let chen = store::insert_driver(&mut tx, &maker, &chen, unit_admin, now).await?;
        store::set_custodian(
            &mut tx,
            &SEED.keeper_for(admin, Kind::Driver, chen),
            2,
            Some(clerk),
            "協助派遣調度",
            now,
        )
        .await?;
        let lin = driver("民治市政中心", "林志豪", sdc, "職業大客車", "0933-222-111").check()?;
        let lin = store::insert_driver(&mut tx, &maker, &lin, admin, now).await?;
        let car = |location: &str, t: &str, plate: &str, n: i64, agency: i64, who: &str, d: i64| {
            CarInput {
                location: location.into(),
                car_type: t.into(),
                plate: plate.into(),
                passengers: n.to_string(),
                agency_id: Some(agency),
                brand: if n > 8 { "福特" } else { "豐田" }.into(),
                year: "2021".into(),
                displacement: if n > 8 { "2200" } else { "1800" }.into(),
                number: format!("CAR-{plate}"),
                open_from: "8".into(),
                open_until: "18".into(),
                open_days: "1111100".into(),
                note: "用畢請加滿油並填寫行車紀錄".into(),
                public: true,
                borrowers: who.into(),
                agencies: vec![],
                drivers: vec![d],
            }
        };
        let year = now.year();
        let sedan = car(
            "永華市政中心",
            "小客車",
            "ABC-1234",
            4,
            civil,
            "agency",
            chen,
        )
        .check(year)?;
        let sedan = store::insert_car(&mut tx, &maker, &sedan, clerk, now).await?;
        store::set_custodian(
            &mut tx,
            &SEED.keeper_for(admin, Kind::Car, sedan),
            2,
            Some(unit_admin),
            "協助保管公務車",
            now,
        )
        .await?;
        let bus = car("民治市政中心", "中型巴士", "KAA-3021", 20, sdc, "city", lin).check(year)?;
        store::insert_car(&mut tx, &maker, &bus, admin, now).await?;
        tx.commit().await.map_err(db_err)?;
        // Next week: 王小明 asks for the sedan with 陳建宏 on Tuesday
        // morning (approved); 李淑芬 drives it herself on Wednesday.
        let tuesday = portico_core::booking::week_start(portico_core::booking::today(now))
            + Duration::days(8);
        let Some(v) = store::car(&mut *self.db.read().await?, sedan).await? else {
            return Ok(());
        };
        let mut asked = Vec::new();
        let mut tx = self.db.begin().await?;
        for (login, day, from, until, with, dest, purpose) in [
            (
                "staff",
                0,
                "9",
                "12",
                Some(chen),
                "安南區公所",
                "戶政業務訪視",
            ),
            (
                "expiring",
                1,
                "13",
                "17",
                None,
                "新營區民政事務所",
                "志工聯繫",
            ),
        ] {
            let Some(a) = who.get(login) else { continue };
            let r = CarRequestInput {
                date: portico_core::time::date_str(tuesday + Duration::days(day)),
                from: from.into(),
                until: until.into(),
                with_driver: if with.is_some() { "yes" } else { "no" }.into(),
                driver_id: with,
                phone: "06-2991111".into(),
                ext: "8102".into(),
                unit_id: None,
                purpose: purpose.into(),
                people: "2".into(),
                destination: dest.into(),
            }
            .check(&v.opening, v.passengers, now)?;
            let b = store::NewBooking {
                kind: Kind::Car,
                item_id: sedan,
                driver_id: r.driver_id,
                unit_id: a.agency_id.map(|g| g.0).unwrap_or(civil),
                span: r.span,
                phone: &r.phone,
                ext: &r.ext,
                people: r.people,
                host: "",
                purpose: &r.purpose,
                destination: &r.destination,
            };
            asked.push(store::insert_booking(&mut tx, SEED.account(a.id), &b, now).await?);
        }
        if let Some(first) = asked.first() {
            store::approve(
                &mut tx,
                &SEED.keeper_for(clerk, Kind::Car, sedan),
                *first,
                "",
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)
    }
}
