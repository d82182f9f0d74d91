//! The demo's repairs (issue 16): 智慧發展中心's 公文管理系統維修, open to
//! the whole city and repaired by the vendor 林維修 (`vendor`), and
//! 民政局's 廳舍水電修繕 for its own people, repaired by 陳文書 (`clerk`)
//! too; four months of reports in every state, so the statistics have
//! something to draw, 王小明 (`staff`) has one to rate, and the vendor's
//! queue has work.
use super::SEED;
use crate::{App, Result};
use portico_core::booking::Kind;
use portico_core::org::OrgKind;
use portico_core::repair::{RepairTypeInput, Report};
use portico_store::bookings as items;
use portico_store::repairs as store;
use portico_store::{accounts, db_err, orgs};
use time::Duration;

/// What became of a demo report.
enum Then {
    Pending,
    Done(&'static str, &'static str),
    Rated(&'static str, &'static str, i64, &'static str),
    /// Handled, returned with the reason, and waiting again.
    Returned(&'static str, &'static str, &'static str),
}

impl App {
    /// The repair types and their reports, once the accounts are seeded.
    pub(super) async fn seed_demo_repairs(&self) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let tree = orgs::list_all(&mut tx).await?;
        let agency = |n: &str| {
            tree.iter()
                .find(|u| u.name == n && u.kind == OrgKind::Agency)
                .map(|u| (u.id.0, u.name.clone()))
        };
        let (Some(civil), Some(sdc)) = (agency("民政局"), agency("智慧發展中心")) else {
            return Ok(());
        };
        let mut who = std::collections::HashMap::new();
        for l in [
            "admin",
            "unit_admin",
            "clerk",
            "staff",
            "expiring",
            "vendor",
            "statistician",
            "edu_admin",
            "anping_admin",
        ] {
            if let Some(a) = accounts::find_by_login(&mut tx, l).await? {
                who.insert(l, a);
            }
        }
        let id = |l: &str| who.get(l).map(|a| a.id);
        let (Some(admin), Some(unit_admin), Some(clerk), Some(vendor)) =
            (id("admin"), id("unit_admin"), id("clerk"), id("vendor"))
        else {
            return Ok(());
        };
        let maker = SEED.item_maker_for(admin);
        let docs = RepairTypeInput {
            name: "公文管理系統維修".into(),
            agency_id: Some(sdc.0),
            description: "公文管理系統的操作問題、系統異常及權限設定".into(),
            borrowers: "city".into(),
            agencies: vec![],
            places: "民治市政中心 南瀛大樓：1-12\n永華市政中心：B1, 1-12\n府外公文用：1".into(),
            categories: "一般操作問題\n系統異常\n權限設定".into(),
        }
        .check()?;
        let docs = items::insert_repair_type(&mut tx, &maker, &docs, admin, &[vendor], now).await?;
        items::set_custodian(
            &mut tx,
            &SEED.keeper_for(admin, Kind::Repair, docs),
            2,
            Some(clerk),
            "協助管理報修",
            now,
        )
        .await?;
        let hall = RepairTypeInput {
            name: "廳舍水電修繕".into(),
            agency_id: Some(civil.0),
            description: "民政局辦公室的照明、空調及給排水".into(),
            borrowers: "agency".into(),
            agencies: vec![],
            places: "永華市政中心：B1, 1-12".into(),
            categories: "照明\n空調\n給排水".into(),
        }
        .check()?;
        let hall =
            items::insert_repair_type(&mut tx, &maker, &hall, unit_admin, &[clerk, vendor], now)
                .await?;
        items::set_custodian(
            &mut tx,
            &SEED.keeper_for(admin, Kind::Repair, hall),
            2,
            Some(clerk),
            "協助管理報修",
            now,
        )
        .await?;
        let reports: [(i64, &str, i64, &str, &str, &str, Then); 11] = [
            (
                docs,
                "staff",
                110,
                "永華市政中心",
                "6",
                "公文線上簽核時出現「憑證讀取失敗」",
                Then::Rated(
                    "已更新憑證元件並重新設定讀卡機",
                    "一般操作問題",
                    5,
                    "處理迅速",
                ),
            ),
            (
                docs,
                "expiring",
                96,
                "民治市政中心 南瀛大樓",
                "2",
                "歸檔後無法開啟附件",
                Then::Rated("附件索引已重建", "系統異常", 4, ""),
            ),
            (
                docs,
                "statistician",
                80,
                "府外公文用",
                "1",
                "外單位來文無法轉入",
                Then::Rated("已調整交換設定", "系統異常", 3, "隔天才處理"),
            ),
            (
                docs,
                "edu_admin",
                64,
                "民治市政中心 南瀛大樓",
                "8",
                "新進同仁無公文系統權限",
                Then::Done("已開通承辦人權限", "權限設定"),
            ),
            (
                docs,
                "unit_admin",
                45,
                "永華市政中心",
                "3",
                "檔號230203 已編目後存檔發生異常，無法從第一號開始編目",
                Then::Returned("已清除編目暫存", "系統異常", "仍然直接跳到第二號"),
            ),
            (
                docs,
                "anping_admin",
                30,
                "府外公文用",
                "1",
                "公文列印時版面跑掉",
                Then::Rated("請改用 PDF 列印，已更新範本", "一般操作問題", 4, ""),
            ),
            (
                docs,
                "staff",
                12,
                "永華市政中心",
                "6",
                "送出簽核時畫面停住不動",
                Then::Done("已清除瀏覽器快取並更新系統元件，請再試一次", "一般操作問題"),
            ),
            (
                docs,
                "expiring",
                3,
                "民治市政中心 南瀛大樓",
                "2",
                "公文系統登入後一片空白",
                Then::Pending,
            ),
            (
                hall,
                "staff",
                70,
                "永華市政中心",
                "6",
                "會議室日光燈閃爍",
                Then::Rated("已更換燈管及安定器", "照明", 5, ""),
            ),
            (
                hall,
                "expiring",
                20,
                "永華市政中心",
                "B1",
                "茶水間水龍頭漏水",
                Then::Done("已更換水龍頭墊片", "給排水"),
            ),
            (
                hall,
                "staff",
                2,
                "永華市政中心",
                "6",
                "辦公室冷氣不冷",
                Then::Pending,
            ),
        ];
        for (kind, login, days, location, floor, fault, then) in reports {
            let Some(a) = who.get(login) else { continue };
            let unit = match a.agency_id {
                Some(g) => orgs::get(&mut tx, g)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            let at = now - Duration::days(days) - Duration::hours(3);
            let r = Report {
                location: location.into(),
                floor: floor.into(),
                fault: fault.into(),
                phone: "06-2991111".into(),
                ext: (8100 + days).to_string(),
            };
            let rid = store::insert_repair(
                &mut tx,
                kind,
                a.id,
                (a.agency_id.map(|g| g.0), &unit),
                &r,
                at,
            )
            .await?;
            let by = if kind == hall && days > 30 {
                clerk
            } else {
                vendor
            };
            let replied = at + Duration::hours(20);
            let later = replied + Duration::hours(30);
            match then {
                Then::Pending => {}
                Then::Done(result, cat) => {
                    store::reply(&mut tx, rid, by, result, cat, replied).await?;
                }
                Then::Rated(result, cat, score, note) => {
                    store::reply(&mut tx, rid, by, result, cat, replied).await?;
                    store::rate(&mut tx, rid, a.id, score, note, later).await?;
                }
                Then::Returned(result, cat, reason) => {
                    store::reply(&mut tx, rid, by, result, cat, replied).await?;
                    store::return_repair(&mut tx, rid, a.id, reason, later).await?;
                }
            }
        }
        tx.commit().await.map_err(db_err)
    }
}
