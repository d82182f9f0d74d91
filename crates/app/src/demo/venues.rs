//! The demo's venues (issue 16): three rooms in the city's two civic
//! centres, one lent city-wide, one to 民政局 alone, one to 教育局 and the
//! agencies it names; 民政局's kept by 張志明 (`unit_admin`) and 陳文書
//! (`clerk`); next week's requests, some approved.
use super::SEED;
use crate::{App, Result};
use portico_core::booking::{Kind, VenueInput, VenueRequestInput};
use portico_core::org::OrgKind;
use portico_store::bookings as store;
use portico_store::{accounts, db_err, orgs};
use time::Duration;

/// A meeting room as a phone would photograph it, drawn: a wall with a
/// screen, a long table and its chairs on a wooden floor.
fn room_photo() -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(480, 300, |x, y| {
        let (x, y) = (x as i64, y as i64);
        let screen = (170..310).contains(&x) && (30..110).contains(&y);
        let table = (90..390).contains(&x) && (175..225).contains(&y);
        let chair = ((y - 160).abs() < 10 || (y - 240).abs() < 10)
            && (100..380).contains(&x)
            && (x - 100) % 56 < 24;
        if screen {
            image::Rgb([40, 48, 64])
        } else if table {
            image::Rgb([120, 82, 50])
        } else if chair {
            image::Rgb([70, 70, 78])
        } else if y > 150 {
            image::Rgb([196, 160, 120])
        } else {
            image::Rgb([236, 232, 222])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| crate::Error::internal(format!("demo photo: {e}")))?;
    Ok(out.into_inner())
}

impl App {
    /// The venues and a few requests, once the seed is committed.
    pub(super) async fn seed_demo_venues(&self) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let tree = orgs::list_all(&mut tx).await?;
        let agency = |n: &str| {
            tree.iter()
                .find(|u| u.name == n && u.kind == OrgKind::Agency)
                .map(|u| u.id.0)
        };
        let (Some(civil), Some(sdc), Some(edu), Some(law)) = (
            agency("民政局"),
            agency("智慧發展中心"),
            agency("教育局"),
            agency("法制處").or(agency("主計處")),
        ) else {
            return Ok(());
        };
        let mut who = std::collections::HashMap::new();
        for l in [
            "admin",
            "unit_admin",
            "clerk",
            "edu_admin",
            "staff",
            "expiring",
        ] {
            if let Some(a) = accounts::find_by_login(&mut tx, l).await? {
                who.insert(l, a);
            }
        }
        let id = |l: &str| who.get(l).map(|a| a.id);
        let (Some(admin), Some(unit_admin), Some(clerk), Some(edu_admin)) =
            (id("admin"), id("unit_admin"), id("clerk"), id("edu_admin"))
        else {
            return Ok(());
        };
        let venue = |location: &str, floor: &str, name: &str, agency: i64, cap: i64, who: &str| {
            VenueInput {
                location: location.into(),
                floor: floor.into(),
                name: name.into(),
                agency_id: Some(agency),
                capacity: cap.to_string(),
                open_from: "8".into(),
                open_until: "18".into(),
                open_days: "1111100".into(),
                phone: "06-2991111".into(),
                description: "投影機、麥克風、視訊會議設備".into(),
                rules: "使用後請關閉電源並恢復桌椅；會議室內禁止飲食。".into(),
                public: true,
                borrowers: who.into(),
                agencies: if who == "agency_and" {
                    vec![law]
                } else {
                    vec![]
                },
            }
        };
        let rooms = [
            (
                venue("永華市政中心", "10樓", "第一會議室", civil, 40, "agency"),
                unit_admin,
                Some(clerk),
            ),
            (
                venue("民治市政中心", "2樓", "活動中心", sdc, 120, "city"),
                admin,
                None,
            ),
            (
                venue("永華市政中心", "7樓", "教育局簡報室", edu, 24, "agency_and"),
                edu_admin,
                None,
            ),
        ];
        let mut made = Vec::new();
        for (input, keeper, second) in rooms {
            let v = input.check()?;
            let vid =
                store::insert_venue(&mut tx, &SEED.item_maker_for(admin), &v, keeper, now).await?;
            if let Some(s) = second {
                store::set_custodian(
                    &mut tx,
                    &SEED.keeper_for(admin, Kind::Venue, vid),
                    2,
                    Some(s),
                    "協助保管會議室",
                    now,
                )
                .await?;
            }
            made.push((vid, keeper));
        }
        // 第一會議室 has a photo, as its custodian would upload one.
        if let Some((room, _)) = made.first() {
            let photo = self
                .stash_upload(
                    "items",
                    "第一會議室.png",
                    portico_core::files::FileKind::Png,
                    room_photo()?,
                )
                .await?;
            let file = self.keep_stashed(&mut tx, admin, &photo).await?;
            store::add_item_photo(&mut tx, &SEED.keeper_for(admin, Kind::Venue, *room), file)
                .await?;
        }
        tx.commit().await.map_err(db_err)?;
        // Next week's requests by 民政局's people for its meeting room: the
        // Monday morning one approved, the others waiting.
        let monday = portico_core::booking::week_start(portico_core::booking::today(now))
            + Duration::days(7);
        let (room, keeper) = made[0];
        let Some(v) = store::venue(&mut *self.db.read().await?, room).await? else {
            return Ok(());
        };
        let mut asked = Vec::new();
        let mut tx = self.db.begin().await?;
        for (login, day, from, until, host, purpose) in [
            ("staff", 0, "9", "11", "王小明", "戶政業務協調會議"),
            ("expiring", 0, "10", "12", "李淑芬", "志工培訓說明會"),
            ("staff", 2, "14", "16", "王小明", "年度預算檢討"),
        ] {
            let Some(a) = who.get(login) else { continue };
            let r = VenueRequestInput {
                date: portico_core::time::date_str(monday + Duration::days(day)),
                from: from.into(),
                until: until.into(),
                phone: "06-2991111".into(),
                ext: "8101".into(),
                unit_id: None,
                people: "12".into(),
                host: host.into(),
                purpose: purpose.into(),
            }
            .check(&v.opening, v.capacity, now)?;
            let b = store::NewBooking {
                kind: Kind::Venue,
                item_id: room,
                driver_id: None,
                unit_id: a.agency_id.map(|g| g.0).unwrap_or(civil),
                span: r.span,
                phone: &r.phone,
                ext: &r.ext,
                people: r.people,
                host: &r.host,
                purpose: &r.purpose,
                destination: "",
            };
            asked.push(store::insert_booking(&mut tx, SEED.account(a.id), &b, now).await?);
        }
        tx.commit().await.map_err(db_err)?;
        if let Some(first) = asked.first() {
            let mut tx = self.db.begin().await?;
            store::approve(
                &mut tx,
                &SEED.keeper_for(keeper, Kind::Venue, room),
                *first,
                "",
                self.now(),
            )
            .await?;
            tx.commit().await.map_err(db_err)?;
        }
        Ok(())
    }
}
