//! Issue 16's repairs through the real use cases and pages (seed 004 §捌
//! 一, §玖 六; SEEDS.md "Repair requests: type → location, floor, fault;
//! repair staff reply; the requester rates or returns it (with reason,
//! counted); statistics and export"): who may report, who replies, each
//! step a conditional write that one of two at once wins, mail at each
//! step, the statistics and the seed's export.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::Upload;
use portico_core::Error;
use portico_core::booking::Kind;
use portico_core::repair::{RepairState, ReportInput};

fn ctx() -> Ctx {
    Ctx::new("127.0.0.1", "test")
}

async fn one(s: &TestServer, sql: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get::<i64, _>(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        0,
    )
}

/// The demo's city-wide 公文管理系統維修 (kept by admin and clerk, repaired
/// by vendor) and 民政局's own 廳舍水電修繕 (kept by unit_admin and clerk,
/// repaired by clerk and vendor).
async fn docs(s: &TestServer) -> i64 {
    one(
        s,
        "SELECT id FROM repair_types WHERE name = '公文管理系統維修'",
    )
    .await
}

async fn hall(s: &TestServer) -> i64 {
    one(s, "SELECT id FROM repair_types WHERE name = '廳舍水電修繕'").await
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn report(location: &str, floor: &str) -> ReportInput {
    ReportInput {
        location: location.into(),
        floor: floor.into(),
        fault: "影印機卡紙，面板顯示 E-204".into(),
        phone: "06-2991111".into(),
        ext: "8123".into(),
    }
}

fn fields(e: Error) -> Vec<(&'static str, String)> {
    match e {
        Error::Invalid(v) => v
            .into_iter()
            .map(|f| (f.field, f.message.zh.to_string()))
            .collect(),
        other => panic!("not invalid: {other:?}"),
    }
}

fn conflict(e: Error) -> String {
    match e {
        Error::Conflict { message, .. } => message.zh.to_string(),
        other => panic!("not a conflict: {other:?}"),
    }
}

#[tokio::test]
async fn a_report_is_answered_returned_with_a_reason_answered_again_and_rated() {
    let s = TestServer::start(60).await;
    let docs = docs(&s).await;
    let staff = s.principal_of("staff").await;
    let vendor = s.principal_of("vendor").await;
    let photo = Upload {
        name: "printer.png".into(),
        bytes: PNG.to_vec(),
    };
    let id = s
        .app
        .report_repair(
            &staff,
            docs,
            &report("永華市政中心", "3"),
            vec![photo],
            &ctx(),
        )
        .await
        .unwrap();
    // The vendor is told, with where and what.
    let (subject, body) = s
        .last_message_to("vendor@mail.tainan.gov.tw")
        .await
        .expect("the repair staff are mailed");
    assert!(
        subject.contains("報修通知") && subject.contains(&id.to_string()),
        "{subject}"
    );
    assert!(
        body.contains("永華市政中心 3 樓") && body.contains("E-204"),
        "{body}"
    );
    // 報修單位 is the reporter's agency; the photo is theirs and the vendor's.
    let case = s.app.repair_case(&vendor, id).await.unwrap();
    assert_eq!(case.repair.unit_name, "民政局");
    assert!(case.may_reply() && !case.may_rate());
    assert_eq!(s.app.repair_photo(&vendor, id, 1).await.unwrap().bytes, PNG);
    assert!(s.app.repair_photo(&staff, id, 2).await.is_err());
    // The reporter cannot rate what is not handled yet.
    let e = s
        .app
        .rate_repair(&staff, id, "5", "", &ctx())
        .await
        .unwrap_err();
    assert!(conflict(e).contains("尚未處理完成"));
    // A reply needs a result and one of the type's categories.
    let e = s
        .app
        .reply_repair(&vendor, id, "", "別的", &ctx())
        .await
        .unwrap_err();
    let f = fields(e);
    assert!(
        f.iter()
            .any(|(k, m)| *k == "result" && m.contains("處理結果")),
        "{f:?}"
    );
    assert!(f.iter().any(|(k, _)| *k == "category"), "{f:?}");
    s.app
        .reply_repair(&vendor, id, "已清除卡紙", "一般操作問題", &ctx())
        .await
        .unwrap();
    let (subject, body) = s
        .last_message_to("staff@mail.tainan.gov.tw")
        .await
        .expect("the reporter is mailed");
    assert!(subject.contains("報修已處理"), "{subject}");
    assert!(
        body.contains("已清除卡紙") && body.contains("一般操作問題"),
        "{body}"
    );
    // Answered once, not twice.
    let e = s
        .app
        .reply_repair(&vendor, id, "再次處理", "一般操作問題", &ctx())
        .await
        .unwrap_err();
    assert!(conflict(e).contains("已回報處理狀況"));
    // A return needs its reason; then it waits again, counted, and the
    // vendor hears why.
    let e = s
        .app
        .return_repair(&staff, id, " ", &ctx())
        .await
        .unwrap_err();
    assert!(fields(e)[0].1.contains("退回原因"));
    s.app
        .return_repair(&staff, id, "仍然卡紙", &ctx())
        .await
        .unwrap();
    let case = s.app.repair_case(&staff, id).await.unwrap();
    assert_eq!(
        (case.repair.state, case.repair.returns),
        (RepairState::Pending, 1)
    );
    let (subject, body) = s
        .last_message_to("vendor@mail.tainan.gov.tw")
        .await
        .unwrap();
    assert!(
        subject.contains("報修退回") && body.contains("仍然卡紙"),
        "{subject} {body}"
    );
    s.app
        .reply_repair(&vendor, id, "已更換進紙器", "一般操作問題", &ctx())
        .await
        .unwrap();
    // A score is 1 to 5; once rated, it is closed.
    let e = s
        .app
        .rate_repair(&staff, id, "6", "", &ctx())
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "score");
    s.app
        .rate_repair(&staff, id, "4", "第二次就修好了", &ctx())
        .await
        .unwrap();
    let case = s.app.repair_case(&staff, id).await.unwrap();
    assert_eq!(case.repair.state, RepairState::Rated);
    assert_eq!(
        (case.repair.rating, case.repair.rating_note.as_str()),
        (Some(4), "第二次就修好了")
    );
    let kinds: Vec<_> = case.steps.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["reply", "return", "reply", "rating"]);
    assert!(
        s.app
            .return_repair(&staff, id, "又壞了", &ctx())
            .await
            .is_err()
    );
    // Every step is audited against the type.
    assert_eq!(
        one(
            &s,
            &format!(
                "SELECT COUNT(*) FROM audit_events WHERE target_kind = 'repair' AND target_id = {docs} \
                 AND action IN ('repair.report', 'repair.reply', 'repair.return', 'repair.rate')"
            )
        )
        .await,
        5
    );
}

#[tokio::test]
async fn two_staff_replying_at_once_or_a_rating_and_a_return_at_once_one_wins() {
    let s = TestServer::start(60).await;
    let hall = hall(&s).await;
    let staff = s.principal_of("staff").await;
    let (clerk, vendor) = (
        s.principal_of("clerk").await,
        s.principal_of("vendor").await,
    );
    let id = s
        .app
        .report_repair(&staff, hall, &report("永華市政中心", "B1"), vec![], &ctx())
        .await
        .unwrap();
    let c = ctx();
    let (a, b) = tokio::join!(
        s.app.reply_repair(&clerk, id, "已更換燈管", "照明", &c),
        s.app.reply_repair(&vendor, id, "已更換安定器", "照明", &c),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert_eq!(
        one(
            &s,
            &format!("SELECT COUNT(*) FROM repair_steps WHERE repair_id = {id}")
        )
        .await,
        1,
        "one reply recorded"
    );
    let (a, b) = tokio::join!(
        s.app.rate_repair(&staff, id, "5", "", &c),
        s.app.return_repair(&staff, id, "仍然閃爍", &c),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    let returns = one(&s, &format!("SELECT returns FROM repairs WHERE id = {id}")).await;
    let state = s.app.repair_case(&staff, id).await.unwrap().repair.state;
    assert!(
        (state, returns) == (RepairState::Rated, 0)
            || (state, returns) == (RepairState::Pending, 1),
        "{state:?} {returns}"
    );
}

#[tokio::test]
async fn only_those_the_type_allows_report_and_only_its_staff_reply() {
    let s = TestServer::start(60).await;
    let (docs, hall) = (docs(&s).await, hall(&s).await);
    // 廳舍水電修繕 is 民政局's own: 主計處's statistician is not offered it,
    // and reporting on it anyway finds nothing.
    let outsider = s.principal_of("statistician").await;
    let open: Vec<i64> = s
        .app
        .reportable_types(&outsider, "")
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert!(open.contains(&docs) && !open.contains(&hall), "{open:?}");
    let e = s
        .app
        .report_repair(
            &outsider,
            hall,
            &report("永華市政中心", "1"),
            vec![],
            &ctx(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound), "{e:?}");
    // A place or floor not the type's is refused on its field.
    let staff = s.principal_of("staff").await;
    let e = s
        .app
        .report_repair(&staff, hall, &report("永華市政中心", "13"), vec![], &ctx())
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "floor");
    let id = s
        .app
        .report_repair(&staff, hall, &report("永華市政中心", "12"), vec![], &ctx())
        .await
        .unwrap();
    // Another person of the same agency neither sees nor answers it.
    let expiring = s.principal_of("expiring").await;
    assert!(matches!(
        s.app.repair_case(&expiring, id).await,
        Err(Error::NotFound)
    ));
    assert!(
        s.app
            .reply_repair(&expiring, id, "我來修", "照明", &ctx())
            .await
            .is_err()
    );
    // The reporter sees it but does not answer it.
    let e = s
        .app
        .reply_repair(&staff, id, "自己修好了", "照明", &ctx())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    // An agency admin over 民政局 keeps the type and sees its reports; one
    // of another agency does not, through the use cases or the pages.
    let civil_admin = s.principal_of("civil_admin").await;
    assert!(s.app.repair_case(&civil_admin, id).await.is_ok());
    let edu = s.principal_of("edu_admin").await;
    assert!(s.app.repair_case(&edu, id).await.is_err());
    assert!(s.app.repair_type_kept(&edu, hall).await.is_err());
    let kept = s.app.kept_repair_types(&edu, "", 1).await.unwrap();
    assert_eq!(kept.total, 0, "{:?}", kept.items);
    let mut page = s.signed_in("edu_admin").await;
    for path in [
        format!("/items/repairs/{hall}"),
        format!("/items/repairs/{hall}/status"),
        format!("/items/repairs/{hall}/records?format=xlsx"),
        format!("/repairs/{id}"),
    ] {
        let (st, _) = page.get(&path).await;
        assert!(st == 403 || st == 404, "{path}: {st}");
    }
    // Nor may 民政局's admin change 智慧發展中心's type.
    let t = s
        .app
        .repair_type_kept(&s.principal_of("admin").await, docs)
        .await
        .unwrap();
    let input = portico_core::repair::RepairTypeInput {
        name: t.name.clone(),
        agency_id: Some(t.agency_id),
        borrowers: "city".into(),
        places: portico_core::repair::places_text(&t.places),
        ..Default::default()
    };
    assert!(
        s.app
            .update_repair_type(&civil_admin, docs, &input, "", &ctx())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn bad_photos_are_refused_with_the_files_name_and_nothing_is_kept() {
    let s = TestServer::start(60).await;
    let docs = docs(&s).await;
    let staff = s.principal_of("staff").await;
    let before = (
        one(&s, "SELECT COUNT(*) FROM repairs").await,
        one(&s, "SELECT COUNT(*) FROM files").await,
    );
    let pdf = Upload {
        name: "故障說明.jpg".into(),
        bytes: b"%PDF-1.7 not a photo".to_vec(),
    };
    let e = s
        .app
        .report_repair(&staff, docs, &report("府外公文用", "1"), vec![pdf], &ctx())
        .await
        .unwrap_err();
    let f = fields(e);
    assert_eq!(f[0].0, "photos");
    assert!(f[0].1.contains("「故障說明.jpg」不是 JPEG 或 PNG"), "{f:?}");
    let four = (0..4)
        .map(|i| Upload {
            name: format!("{i}.png"),
            bytes: PNG.to_vec(),
        })
        .collect();
    let e = s
        .app
        .report_repair(&staff, docs, &report("府外公文用", "1"), four, &ctx())
        .await
        .unwrap_err();
    assert!(fields(e)[0].1.contains("至多 3 張"));
    let after = (
        one(&s, "SELECT COUNT(*) FROM repairs").await,
        one(&s, "SELECT COUNT(*) FROM files").await,
    );
    assert_eq!(before, after, "nothing changed");
}

#[tokio::test]
async fn the_statistics_count_by_period_and_unit_and_the_export_has_the_seeds_columns() {
    let s = TestServer::start(60).await;
    let docs = docs(&s).await;
    let admin = s.principal_of("admin").await;
    let today = portico_core::booking::today(s.app.now());
    let from = today - time::Duration::days(180);
    let stats = s
        .app
        .repair_stats(&admin, docs, (from, today))
        .await
        .unwrap();
    let stored = one(
        &s,
        &format!("SELECT COUNT(*) FROM repairs WHERE type_id = {docs}"),
    )
    .await;
    assert_eq!(stats.total.total, stored);
    assert!(stats.by_month, "half a year is counted by month");
    assert_eq!(
        stats.periods.iter().map(|p| p.total()).sum::<i64>(),
        stored,
        "every report in one month"
    );
    let civil = stats
        .units
        .iter()
        .find(|u| u.unit == "民政局")
        .expect("民政局 reported");
    assert_eq!(
        civil.total,
        stats.units.iter().map(|u| u.total).max().unwrap()
    );
    assert_eq!(stats.total.pending + stats.total.handled, stats.total.total);
    // A period the wrong way round is refused on its field.
    let e = s
        .app
        .repair_stats(&admin, docs, (today, from))
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "until");
    // The page draws both charts, and the export is the seed's 報表.
    let mut page = s.signed_in("admin").await;
    let (st, html) = page.get(&format!("/items/repairs/{docs}/status")).await;
    assert_eq!(st, 200);
    assert!(html.matches(r#"role="img""#).count() >= 2, "two charts");
    assert!(html.contains("單位案件統計") && html.contains("民政局"));
    let (st, _) = page
        .get(&format!(
            "/items/repairs/{docs}/status?from=2026-12-01&until=2020-01-01"
        ))
        .await;
    assert_eq!(st, 422);
    for format in ["xlsx", "ods"] {
        let (st, book) = page
            .get_bytes(&format!("/items/repairs/{docs}/records?format={format}"))
            .await;
        assert_eq!(st, 200, "{format}");
        let rows = common::sheet_rows(&book, format);
        assert_eq!(
            rows[0],
            [
                "報修類型",
                "報修單位",
                "報修人員",
                "報修人員公務電話",
                "所在地點",
                "所在樓層",
                "報修日期",
                "故障原因",
                "處理狀況",
                "退回次數",
                "處理狀況詳細"
            ]
        );
        assert_eq!(
            rows.len() as i64 - 1,
            stored,
            "{format}: every report of the period"
        );
        let rated = rows
            .iter()
            .find(|r| r[7].contains("憑證讀取失敗"))
            .expect("the demo's rated report");
        assert_eq!(rated[8], "已處理");
        assert!(
            rated[10].starts_with("處理人員：林維修 處理時間：")
                && rated[10].contains("分類：公文管理系統維修-一般操作問題")
                && rated[10].contains("評分：5"),
            "{rated:?}"
        );
        let pending = rows.iter().find(|r| r[7].contains("一片空白")).unwrap();
        assert_eq!((pending[8].as_str(), pending[10].as_str()), ("待處理", ""));
        let returned = rows.iter().find(|r| r[7].contains("檔號230203")).unwrap();
        assert_eq!(returned[9], "1", "the return is counted");
        assert!(
            rated[6].contains('/'),
            "報修日期 as 2024/07/12 06:29: {rated:?}"
        );
    }
}

#[tokio::test]
async fn a_repair_types_only_custodian_is_not_disabled_until_another_keeps_it() {
    let s = TestServer::start(60).await;
    let hall = hall(&s).await;
    let unit_admin = portico_core::ids::AccountId(s.account_id("unit_admin").await);
    let alone = || {
        let db = s.app.db.clone();
        async move {
            let mut c = db.read().await.unwrap();
            portico_store::bookings::kept_alone_by(&mut c, unit_admin)
                .await
                .unwrap()
        }
    };
    assert!(alone().await.is_empty(), "{:?}", alone().await);
    let admin = s.principal_of("admin").await;
    s.app
        .set_custodian(&admin, Kind::Repair, hall, 2, "", "陳文書調任", &ctx())
        .await
        .unwrap();
    let names = alone().await;
    assert!(
        names.iter().any(|l| l == "報修類型 廳舍水電修繕"),
        "{names:?}"
    );
    // The change is in the type's 保管人異動紀錄.
    let changes = s
        .app
        .custodian_changes(&admin, Kind::Repair, hall, (None, None))
        .await
        .unwrap();
    assert_eq!(changes[0].reason, "陳文書調任");
}

#[tokio::test]
async fn a_repair_type_is_made_and_answered_through_the_pages() {
    let s = TestServer::start(60).await;
    let mut admin = s.signed_in("civil_admin").await;
    let csrf = admin.csrf().await;
    let civil = one(
        &s,
        "SELECT id FROM org_units WHERE name = '民政局' AND kind = 'agency'",
    )
    .await;
    let civil = civil.to_string();
    let form = |places: &'static str, staff: &'static str| {
        vec![
            ("name", "公務電話故障"),
            ("agency_id", civil.as_str()),
            ("borrowers", "agency"),
            ("places", places),
            ("categories", "話機\n線路"),
            ("staff", staff),
            ("custodian", "clerk"),
        ]
    };
    let mut bad = form("永華市政中心", "vendor, nobody_here");
    bad.push(("_csrf", &csrf));
    let (st, page, _) = admin.post_form("/items/repairs", &bad).await;
    assert_eq!(st, 422);
    assert!(
        page.contains("缺少樓層") && page.contains("nobody_here"),
        "{page}"
    );
    let mut good = form("永華市政中心：1-12", "vendor");
    good.push(("_csrf", &csrf));
    let (st, _, to) = admin.post_form("/items/repairs", &good).await;
    assert_eq!(st, 303, "{to}");
    assert!(to.ends_with("?ok=created"), "{to}");
    let t = one(
        &s,
        "SELECT id FROM repair_types WHERE name = '公務電話故障'",
    )
    .await;
    // 民政局's staff see it and report on it; the vendor answers on the page.
    let mut staff = s.signed_in("staff").await;
    let (_, list) = staff.get("/repairs").await;
    assert!(list.contains("公務電話故障"), "{list}");
    let id = s
        .app
        .report_repair(
            &s.principal_of("staff").await,
            t,
            &report("永華市政中心", "7"),
            vec![],
            &ctx(),
        )
        .await
        .unwrap();
    let mut vendor = s.signed_in("vendor").await;
    let (_, queue) = vendor.get("/repairs/work").await;
    assert!(queue.contains(&format!("/repairs/{id}")), "{queue}");
    let csrf = vendor.csrf().await;
    let (st, page, _) = vendor
        .post_form(
            &format!("/repairs/{id}/reply"),
            &[("_csrf", &csrf), ("result", "已更換話機"), ("category", "")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        page.contains("請選擇分類") && page.contains("已更換話機"),
        "{page}"
    );
    let (st, _, to) = vendor
        .post_form(
            &format!("/repairs/{id}/reply"),
            &[
                ("_csrf", &csrf),
                ("result", "已更換話機"),
                ("category", "話機"),
            ],
        )
        .await;
    assert_eq!(
        (st, to.as_str()),
        (303, format!("/repairs/{id}?ok=replied").as_str())
    );
    let (_, mine) = staff.get("/repairs/mine").await;
    assert!(mine.contains("評分或退回"), "{mine}");
}

#[tokio::test]
async fn repairs_go_the_same_way_through_the_json_api() {
    let s = TestServer::start(60).await;
    let docs = docs(&s).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let (st, types) = staff.api_get("/repair-types").await;
    assert_eq!(st, 200);
    assert!(
        types["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == docs),
        "{types}"
    );
    // Bad input is told per field, in both languages; nothing is filed.
    let (st, e) = staff
        .api_post(
            &format!("/repair-types/{docs}/repairs"),
            &csrf,
            serde_json::json!({ "location": "別處", "floor": 3, "fault": "", "phone": "06-2991111" }),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert!(e.to_string().contains("請選擇所在地"), "{e}");
    let (st, r) = staff
        .api_post(
            &format!("/repair-types/{docs}/repairs"),
            &csrf,
            serde_json::json!({ "location": "永華市政中心", "floor": 3, "fault": "印表機無法連線", "phone": "06-2991111" }),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let id = r["repair"].as_i64().unwrap();
    let mut vendor = s.signed_in("vendor").await;
    let vcsrf = vendor.csrf().await;
    let (st, work) = vendor.api_get("/repairs/work").await;
    assert_eq!(st, 200);
    assert!(
        work["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id),
        "{work}"
    );
    let (st, _) = vendor
        .api_post(
            &format!("/repairs/{id}/reply"),
            &vcsrf,
            serde_json::json!({ "result": "已重新安裝驅動程式", "category": "一般操作問題" }),
        )
        .await;
    assert_eq!(st, 200);
    // The reporter may not answer, and a guessed number shows nothing to
    // another person.
    let (st, _) = staff
        .api_post(
            &format!("/repairs/{id}/reply"),
            &csrf,
            serde_json::json!({ "result": "好了" }),
        )
        .await;
    assert_eq!(st, 403);
    let mut other = s.signed_in("expiring").await;
    let (st, _) = other.api_get(&format!("/repairs/{id}")).await;
    assert_eq!(st, 404);
    let (st, r) = staff.api_get(&format!("/repairs/{id}")).await;
    assert_eq!((st, r["may_rate"].as_bool()), (200, Some(true)), "{r}");
    let (st, _) = staff
        .api_post(
            &format!("/repairs/{id}/rate"),
            &csrf,
            serde_json::json!({ "score": 5 }),
        )
        .await;
    assert_eq!(st, 200);
    let (st, again) = staff
        .api_post(
            &format!("/repairs/{id}/return"),
            &csrf,
            serde_json::json!({ "reason": "又壞了" }),
        )
        .await;
    assert_eq!(st, 409, "{again}");
    // The keeper's statistics; another agency's admin gets nothing.
    let mut admin = s.signed_in("admin").await;
    let (st, stats) = admin.api_get(&format!("/repair-types/{docs}/stats")).await;
    assert_eq!(st, 200);
    assert_eq!(stats["by"], "month");
    assert!(stats["total"]["total"].as_i64().unwrap() >= 1, "{stats}");
    let mut edu = s.signed_in("edu_admin").await;
    let (st, _) = edu.api_get(&format!("/repair-types/{docs}/stats")).await;
    assert!(st == 403 || st == 404, "{st}");
}

#[tokio::test]
async fn a_venues_keeper_adds_photos_its_borrowers_see_them_and_others_do_not() {
    let s = TestServer::start(60).await;
    let venue = one(&s, "SELECT id FROM venues WHERE name = '第一會議室'").await;
    let unit_admin = s.principal_of("unit_admin").await;
    let photo = |n: &str| Upload {
        name: n.into(),
        bytes: PNG.to_vec(),
    };
    let have = s
        .app
        .add_item_photos(
            &unit_admin,
            Kind::Venue,
            venue,
            vec![photo("a.png"), photo("b.png")],
            &ctx(),
        )
        .await
        .unwrap();
    assert_eq!(have, 3, "the demo's photo and these two");
    // Five at most: four more are refused whole.
    let e = s
        .app
        .add_item_photos(
            &unit_admin,
            Kind::Venue,
            venue,
            (0..4).map(|i| photo(&format!("{i}.png"))).collect(),
            &ctx(),
        )
        .await
        .unwrap_err();
    assert!(fields(e)[0].1.contains("至多 5 張"));
    // A borrower of 民政局 sees them; a person of another agency may not
    // borrow this venue, so sees nothing; only a keeper adds.
    let staff = s.principal_of("staff").await;
    let places = s
        .app
        .item_photo_places(&staff, Kind::Venue, venue)
        .await
        .unwrap();
    assert_eq!(places, [1, 2, 3]);
    assert_eq!(
        s.app
            .item_photo(&staff, Kind::Venue, venue, 2)
            .await
            .unwrap()
            .bytes,
        PNG
    );
    let outsider = s.principal_of("statistician").await;
    assert!(
        s.app
            .item_photo(&outsider, Kind::Venue, venue, 1)
            .await
            .is_err()
    );
    assert!(
        s.app
            .add_item_photos(&staff, Kind::Venue, venue, vec![photo("c.png")], &ctx())
            .await
            .is_err()
    );
    // Removed, it is gone from the page and its bytes are purged.
    s.app
        .remove_item_photo(&unit_admin, Kind::Venue, venue, 1, &ctx())
        .await
        .unwrap();
    let places = s
        .app
        .item_photo_places(&staff, Kind::Venue, venue)
        .await
        .unwrap();
    assert_eq!(places, [2, 3]);
    assert_eq!(
        one(&s, "SELECT COUNT(*) FROM files WHERE purged_at IS NOT NULL").await,
        1
    );
    // The venue's page shows those left, at the keeper's path.
    let mut page = s.signed_in("staff").await;
    let (st, html) = page.get(&format!("/venues/{venue}")).await;
    assert_eq!(st, 200);
    assert!(
        html.contains(&format!("/items/venues/{venue}/photos/2")),
        "{html}"
    );
    let (st, bytes) = page
        .get_bytes(&format!("/items/venues/{venue}/photos/2"))
        .await;
    assert_eq!((st, bytes.as_slice()), (200, PNG));
}

#[tokio::test]
async fn an_agency_admin_keeps_items_through_the_json_api_and_no_one_else_does() {
    let s = TestServer::start(60).await;
    let civil = one(
        &s,
        "SELECT id FROM org_units WHERE name = '民政局' AND kind = 'agency'",
    )
    .await;
    let mut admin = s.signed_in("civil_admin").await;
    let csrf = admin.csrf().await;
    // A venue, its numbers sent as JSON numbers.
    let venue = serde_json::json!({
        "location": "永華市政中心", "floor": "3樓", "name": "小型會議室", "agency_id": civil,
        "capacity": 12, "open_from": 8, "open_until": 18, "open_days": "1111100",
        "public": true, "borrowers": "agency", "custodian": "clerk",
    });
    let (st, made) = admin.api_post("/items/venues", &csrf, venue.clone()).await;
    assert_eq!(st, 200, "{made}");
    let id = made["id"].as_i64().unwrap();
    // A repair type with its places and staff.
    let (st, made) = admin
        .api_post(
            "/items/repair-types",
            &csrf,
            serde_json::json!({
                "name": "飲水機維修", "agency_id": civil, "borrowers": "agency",
                "places": "永華市政中心：1-12", "categories": "漏水\n不出水",
                "staff": "vendor", "custodian": "clerk",
            }),
        )
        .await;
    assert_eq!(st, 200, "{made}");
    let t = made["id"].as_i64().unwrap();
    let (st, list) = admin.api_get("/items/repair-types").await;
    assert_eq!(st, 200);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == t),
        "{list}"
    );
    // Bad input is told per field; a second custodian is set with a reason.
    let (st, e) = admin
        .api(
            "PUT",
            &format!("/items/venues/{id}"),
            &csrf,
            Some(serde_json::json!({ "capacity": 0 })),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let (st, _) = admin
        .api_post(
            &format!("/items/venues/{id}/custodian"),
            &csrf,
            serde_json::json!({ "position": 2, "to": "unit_admin", "reason": "輪值保管" }),
        )
        .await;
    assert_eq!(st, 200);
    let (st, one_) = admin.api_get(&format!("/items/venues/{id}")).await;
    assert_eq!(st, 200);
    assert_eq!(one_["custodian_changes"][0]["reason"], "輪值保管", "{one_}");
    // Another agency's admin neither reads nor changes nor removes them.
    let mut edu = s.signed_in("edu_admin").await;
    let ecsrf = edu.csrf().await;
    let (st, _) = edu.api_get(&format!("/items/venues/{id}")).await;
    assert!(st == 403 || st == 404, "{st}");
    let (st, _) = edu
        .api("PUT", &format!("/items/venues/{id}"), &ecsrf, Some(venue))
        .await;
    assert!(st == 403 || st == 404, "{st}");
    let (st, _) = edu
        .api("DELETE", &format!("/items/repair-types/{t}"), &ecsrf, None)
        .await;
    assert!(st == 403 || st == 404, "{st}");
    let (st, _) = admin
        .api("DELETE", &format!("/items/repair-types/{t}"), &csrf, None)
        .await;
    assert_eq!(st, 200);
    let (st, _) = admin.api_get("/items/boats").await;
    assert_eq!(st, 404);
}
