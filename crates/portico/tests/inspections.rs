//! Issue 15 through the real server: the usage API, query reasons, the
//! unit and agency inspections drawn by 002 §七's rules, their marks,
//! findings and records, and retention with the chain still verifiable.
//! The demo seeds a year of usage and the last quarters' inspections.
mod common;

use common::{TestServer, json_body};
use portico_app::Ctx;
use portico_app::demo::{SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET};
use portico_app::inspections::MarkInput;
use portico_core::Error;
use portico_core::ids::OrgUnitId;
use portico_core::inspection::{Kind, Period, State};
use portico_core::permission::Unattended;
use portico_store::inspections::{Inspection, ListFilter};
use serde_json::json;
use time::Duration;

fn ctx() -> Ctx {
    Ctx::new("127.0.0.1", "test")
}

async fn count(s: &TestServer, sql: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get::<i64, _>(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        0,
    )
}

async fn usage(s: &TestServer, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = s
        .client()
        .http
        .post(format!("{}/api/v1/apps/usage", s.base))
        .basic_auth(SAMPLE_CLIENT_ID, Some(SAMPLE_CLIENT_SECRET))
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, json_body(r).await)
}

fn record(time: &str, login: &str, id: &str) -> serde_json::Value {
    json!({"time": time, "login": login, "action": "查詢地籍資料",
           "object": "安平區國平段 1021 地號", "reason": "南市民字第 1150001 號",
           "reason_kind": "document", "id": id})
}

fn now_rfc3339(s: &TestServer) -> String {
    s.app
        .now()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Every inspection, as a system admin lists them.
async fn all_inspections(s: &TestServer) -> Vec<Inspection> {
    let admin = s.principal_of("admin").await;
    s.app
        .inspections(&admin, &ListFilter::default())
        .await
        .unwrap()
        .inspections
        .items
}

/// The open unit inspection of 民政局 行政科 (unit_admin's unit).
async fn open_civil(s: &TestServer) -> Inspection {
    all_inspections(s)
        .await
        .into_iter()
        .find(|i| i.state == State::Open && i.kind == Kind::Unit && i.unit_name == "民政局 行政科")
        .expect("the demo's open inspection of 民政局 行政科")
}

#[tokio::test]
async fn usage_api_chains_a_batch_and_skips_a_retried_record() {
    let s = TestServer::start(60).await;
    let before = count(&s, "SELECT COUNT(*) FROM usage_records").await;
    let t = now_rfc3339(&s);
    let batch = json!({"records": [record(&t, "staff", "r-1"), record(&t, "unit_admin", ""), record(&t, "civil_admin", "r-2")]});
    let (st, b) = usage(&s, batch.clone()).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(
        (b["recorded"].as_i64(), b["duplicates"].as_i64()),
        (Some(3), Some(0))
    );
    // A retry: the records with ids are recorded once.
    let (st, b) = usage(&s, batch).await;
    assert_eq!(st, 201);
    assert_eq!(
        (b["recorded"].as_i64(), b["duplicates"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM usage_records").await,
        before + 4
    );
    // Each is an event of the one chain, which still verifies.
    let last = b["last_seq"].as_i64().unwrap();
    let e = portico_store::audit::get(&mut s.app.db.read().await.unwrap(), last)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.action, "usage.record");
    assert!(e.detail.contains("南市民字第 1150001 號"), "{}", e.detail);
    assert!(
        s.app
            .verify_audit_chain()
            .await
            .unwrap()
            .first_break
            .is_none()
    );
}

#[tokio::test]
async fn every_usage_record_states_its_reason_or_the_batch_is_refused_whole() {
    let s = TestServer::start(60).await;
    let before = count(&s, "SELECT COUNT(*) FROM usage_records").await;
    let t = now_rfc3339(&s);
    let mut bad = record(&t, "staff", "");
    bad["reason"] = json!("");
    let (st, b) = usage(
        &s,
        json!({"records": [record(&t, "staff", "x"), bad, record(&t, "nobody_here", "")]}),
    )
    .await;
    assert_eq!(st, 422, "{b}");
    let text = b.to_string();
    assert!(text.contains("第 2 筆 reason"), "{text}");
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM usage_records").await,
        before
    );
    // An unknown person refuses the batch too, by name.
    let (st, b) = usage(&s, json!({"records": [record(&t, "nobody_here", "")]})).await;
    assert_eq!(st, 422);
    assert!(b.to_string().contains("查無此帳號"), "{b}");
    // So does an account never opened, which used nothing.
    for never in ["pending", "approved"] {
        let (st, b) = usage(&s, json!({"records": [record(&t, never, "")]})).await;
        assert_eq!(st, 422, "{never}: {b}");
    }
    let (st, _) = usage(&s, json!({"records": []})).await;
    assert_eq!(st, 422);
    // A full batch of 1,000 fits the API's body limit.
    let many: Vec<_> = (0..1000)
        .map(|k| record(&t, "staff", &format!("m{k}")))
        .collect();
    let (st, b) = usage(&s, json!({ "records": many })).await;
    assert_eq!((st, b["recorded"].as_i64()), (201, Some(1000)), "{b}");
}

#[tokio::test]
async fn usage_of_a_quarter_already_drawn_is_refused_not_left_unaudited() {
    let s = TestServer::start(60).await;
    let open = open_civil(&s).await;
    // A record of that quarter, for a person of that unit, reported late.
    let mid = portico_core::time::taipei_day_start(open.period.start()) + Duration::days(40);
    let late = mid
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // Only if it is still within the API's 120 days.
    if s.app.now() - mid < Duration::days(119) {
        let (st, b) = usage(
            &s,
            json!({"records": [record(&late, "unit_admin", "late-1")]}),
        )
        .await;
        assert_eq!(st, 422, "{b}");
        assert!(b.to_string().contains("已完成稽核抽樣"), "{b}");
    }
    // This quarter is not drawn: taken.
    let (st, _) = usage(
        &s,
        json!({"records": [record(&now_rfc3339(&s), "unit_admin", "now-1")]}),
    )
    .await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn usage_api_needs_the_usage_report_scope() {
    let s = TestServer::start(60).await;
    let http = s.client().http;
    let token = |scope: &'static str| {
        let http = http.clone();
        let base = s.base.clone();
        async move {
            let r = http
                .post(format!("{base}/oauth2/token"))
                .basic_auth(SAMPLE_CLIENT_ID, Some(SAMPLE_CLIENT_SECRET))
                .form(&[("grant_type", "client_credentials"), ("scope", scope)])
                .send()
                .await
                .unwrap();
            json_body(r).await["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let t = now_rfc3339(&s);
    let body = json!({"records": [record(&t, "staff", "")]});
    let sms = token("sms.send").await;
    let r = http
        .post(format!("{}/api/v1/apps/usage", s.base))
        .bearer_auth(&sms)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let ok = token("usage.report").await;
    let r = http
        .post(format!("{}/api/v1/apps/usage", s.base))
        .bearer_auth(&ok)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

#[tokio::test]
async fn a_quarter_sampled_is_recomputed_to_the_same_sample_and_meets_the_rules() {
    let s = TestServer::start(60).await;
    let admin = s.principal_of("admin").await;
    let all = all_inspections(&s).await;
    assert!(all.iter().any(|i| i.kind == Kind::Unit) && all.iter().any(|i| i.kind == Kind::Agency));
    for i in &all {
        let (again, kept) = s.app.redraw(&admin, i.id).await.unwrap();
        assert_eq!(again, kept, "inspection {}", i.id);
        assert!(i.sampled >= i.target_records && i.sampled > 0);
        // The independent checker, on the database itself.
        if let Some(path) = s.db_url.strip_prefix("sqlite://") {
            let out = std::process::Command::new("python3")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../scripts/check-sample.py"
                ))
                .arg(path)
                .arg(i.id.to_string())
                .output()
                .expect("python3");
            assert!(
                out.status.success(),
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // Records arriving later for that quarter do not change its sample:
    // the draw reads the chain up to where it stood.
    let i = &all[0];
    let (again, kept) = s.app.redraw(&admin, i.id).await.unwrap();
    assert_eq!(again, kept);
}

#[tokio::test]
async fn agency_audits_half_the_people_and_records_its_units_audited() {
    let s = TestServer::start(60).await;
    let all = all_inspections(&s).await;
    let agency = all
        .iter()
        .find(|i| i.kind == Kind::Agency)
        .expect("民政局's half year");
    let units: Vec<&Inspection> = all
        .iter()
        .filter(|i| {
            i.kind == Kind::Unit
                && i.agency_id == Some(agency.unit_id)
                && agency.period.quarters().contains(&i.period)
        })
        .collect();
    let records: i64 = units.iter().map(|i| i.sampled).sum();
    assert_eq!(agency.population, records);
    assert_eq!(agency.target_records, (records + 1) / 2);
    assert!(agency.sampled >= agency.target_records);
    assert!(agency.target_people >= 1);
}

#[tokio::test]
async fn unit_admin_reaches_no_other_units_inspection() {
    let s = TestServer::start(60).await;
    let all = all_inspections(&s).await;
    let other = all
        .iter()
        .find(|i| !i.unit_name.starts_with("民政局"))
        .expect("another agency's inspection");
    let agency = all.iter().find(|i| i.kind == Kind::Agency).unwrap();
    let unit_admin = s.principal_of("unit_admin").await;
    assert!(matches!(
        s.app.inspection(&unit_admin, other.id).await,
        Err(Error::NotFound)
    ));
    // Not the agency's half year either: it is the agency admin's.
    assert!(matches!(
        s.app.inspection(&unit_admin, agency.id).await,
        Err(Error::NotFound)
    ));
    let marks = [MarkInput {
        seq: 1,
        mark: "normal".into(),
        note: String::new(),
    }];
    assert!(matches!(
        s.app
            .mark_items(&unit_admin, other.id, &marks, &ctx())
            .await,
        Err(Error::NotFound)
    ));
    // Nor through the pages; a general user sees none.
    let mut c = s.signed_in("unit_admin").await;
    let (st, _) = c.get(&format!("/inspections/{}", other.id)).await;
    assert_eq!(st, 404);
    let (st, _) = c
        .get_bytes(&format!("/inspections/{}/record.pdf", other.id))
        .await;
    assert_eq!(st, 404);
    let staff = s.principal_of("staff").await;
    assert!(
        s.app
            .inspections(&staff, &ListFilter::default())
            .await
            .unwrap()
            .inspections
            .items
            .is_empty()
    );
    // The agency admin reaches both of 民政局's, not 教育局's.
    let civil = s.principal_of("civil_admin").await;
    assert!(s.app.inspection(&civil, agency.id).await.is_ok());
    assert!(
        s.app
            .inspection(&civil, open_civil(&s).await.id)
            .await
            .is_ok()
    );
    assert!(s.app.inspection(&civil, other.id).await.is_err());
}

#[tokio::test]
async fn nobody_marks_their_own_usage_record_and_a_delegated_auditor_marks_the_rest() {
    let s = TestServer::start(60).await;
    let open = open_civil(&s).await;
    let unit_admin = s.principal_of("unit_admin").await;
    let view = s.app.inspection(&unit_admin, open.id).await.unwrap();
    let mut someone = None;
    for i in view
        .items
        .iter()
        .filter(|i| !i.own && i.item.mark.is_none())
    {
        let a = portico_store::accounts::find_by_login(
            &mut s.app.db.read().await.unwrap(),
            &i.item.login,
        )
        .await
        .unwrap()
        .unwrap();
        if a.state == portico_core::account::AccountState::Active {
            someone = Some(i.item.clone());
            break;
        }
    }
    let someone = someone.expect("an active person in the sample");
    let login = someone.login.clone();
    // The unit admin hands the work to a person whose record is sampled.
    s.app
        .delegate_inspection(&unit_admin, open.id, &login, &ctx())
        .await
        .unwrap();
    let auditor = s.principal_of(&login).await;
    let v = s.app.inspection(&auditor, open.id).await.unwrap();
    assert!(!v.may_delegate);
    let own = MarkInput {
        seq: someone.seq,
        mark: "normal".into(),
        note: String::new(),
    };
    let Err(Error::Invalid(f)) = s.app.mark_items(&auditor, open.id, &[own], &ctx()).await else {
        panic!("an auditor marked their own record");
    };
    assert!(f[0].message.zh.contains("本人"), "{f:?}");
    let other = v
        .items
        .iter()
        .find(|i| i.item.account_id != someone.account_id && i.item.mark.is_none())
        .unwrap();
    let m = MarkInput {
        seq: other.item.seq,
        mark: "normal".into(),
        note: String::new(),
    };
    assert_eq!(
        s.app
            .mark_items(&auditor, open.id, &[m], &ctx())
            .await
            .unwrap(),
        1
    );
    // An auditor cannot hand it on.
    assert!(
        s.app
            .delegate_inspection(&auditor, open.id, "staff", &ctx())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_abnormal_finding_tells_the_agency_admins_and_the_ethics_unit_until_closed() {
    let s = TestServer::start(60).await;
    let open = open_civil(&s).await;
    let unit_admin = s.principal_of("unit_admin").await;
    let v = s.app.inspection(&unit_admin, open.id).await.unwrap();
    let it = v
        .items
        .iter()
        .find(|i| !i.own && i.item.mark.is_none())
        .unwrap()
        .item
        .clone();
    // 異常 needs a note; nothing is saved without it.
    let bare = MarkInput {
        seq: it.seq,
        mark: "abnormal".into(),
        note: " ".into(),
    };
    assert!(matches!(
        s.app
            .mark_items(&unit_admin, open.id, &[bare], &ctx())
            .await,
        Err(Error::Invalid(_))
    ));
    let before = count(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'ethics.civil@mail.tainan.gov.tw'",
    )
    .await;
    let m = MarkInput {
        seq: it.seq,
        mark: "abnormal".into(),
        note: "查詢與承辦業務無關".into(),
    };
    s.app
        .mark_items(&unit_admin, open.id, &[m], &ctx())
        .await
        .unwrap();
    let (subject, body) = s
        .last_message_to("ethics.civil@mail.tainan.gov.tw")
        .await
        .expect("the ethics unit is told");
    assert!(subject.contains("異常"), "{subject}");
    assert!(
        body.contains("查詢與承辦業務無關") && body.contains(&it.login),
        "{body}"
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'ethics.civil@mail.tainan.gov.tw'"
        )
        .await,
        before + 1
    );
    let civil = s.principal_of("civil_admin").await;
    assert!(
        s.app
            .open_findings(&civil)
            .await
            .unwrap()
            .iter()
            .any(|(f, closes)| f.seq == it.seq && *closes)
    );
    // The unit admin sees it but may not close it.
    assert!(
        s.app
            .open_findings(&unit_admin)
            .await
            .unwrap()
            .iter()
            .any(|(f, closes)| f.seq == it.seq && !*closes)
    );
    // The page sending the finding back unchanged is no new mark.
    let same = MarkInput {
        seq: it.seq,
        mark: "abnormal".into(),
        note: "查詢與承辦業務無關".into(),
    };
    assert_eq!(
        s.app
            .mark_items(&unit_admin, open.id, &[same], &ctx())
            .await
            .unwrap(),
        0
    );
    // A finding is not erased by marking it again.
    let again = MarkInput {
        seq: it.seq,
        mark: "normal".into(),
        note: String::new(),
    };
    let Err(Error::Invalid(f)) = s
        .app
        .mark_items(&unit_admin, open.id, &[again], &ctx())
        .await
    else {
        panic!("a finding was re-marked normal");
    };
    assert!(f[0].message.zh.contains("異常事項"), "{f:?}");
    // The unit admin does not close it; the agency admin does, with a note.
    assert!(
        s.app
            .close_finding(&unit_admin, open.id, it.seq, "已處理", &ctx())
            .await
            .is_err()
    );
    assert!(matches!(
        s.app
            .close_finding(&civil, open.id, it.seq, "", &ctx())
            .await,
        Err(Error::Invalid(_))
    ));
    s.app
        .close_finding(&civil, open.id, it.seq, "已提報懲處並通報政風單位", &ctx())
        .await
        .unwrap();
    assert!(
        !s.app
            .open_findings(&civil)
            .await
            .unwrap()
            .iter()
            .any(|(f, _)| f.seq == it.seq && f.inspection_id == open.id)
    );
    assert!(matches!(
        s.app
            .close_finding(&civil, open.id, it.seq, "再一次", &ctx())
            .await,
        Err(Error::Conflict { .. })
    ));
}

#[tokio::test]
async fn a_record_is_signed_off_once_every_sample_is_marked_and_then_is_final() {
    let s = TestServer::start(60).await;
    let open = open_civil(&s).await;
    let unit_admin = s.principal_of("unit_admin").await;
    let civil = s.principal_of("civil_admin").await;
    assert!(matches!(
        s.app
            .sign_inspection(&unit_admin, open.id, "", &ctx())
            .await,
        Err(Error::Refused(_))
    ));
    let v = s.app.inspection(&unit_admin, open.id).await.unwrap();
    for (who, own) in [(&unit_admin, false), (&civil, true)] {
        let marks: Vec<MarkInput> = v
            .items
            .iter()
            .filter(|i| {
                i.item.mark.is_none()
                    && i.own == own
                    && (own || i.item.account_id != civil.account_id().0)
            })
            .map(|i| MarkInput {
                seq: i.item.seq,
                mark: "normal".into(),
                note: String::new(),
            })
            .collect();
        if !marks.is_empty() {
            s.app
                .mark_items(who, open.id, &marks, &ctx())
                .await
                .unwrap();
        }
    }
    let left: Vec<MarkInput> = s
        .app
        .inspection(&civil, open.id)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|i| i.item.mark.is_none())
        .map(|i| MarkInput {
            seq: i.item.seq,
            mark: "normal".into(),
            note: String::new(),
        })
        .collect();
    if !left.is_empty() {
        s.app
            .mark_items(&unit_admin, open.id, &left, &ctx())
            .await
            .unwrap();
    }
    // Two sign-offs at once: exactly one wins.
    let x = ctx();
    let (a, b) = tokio::join!(
        s.app.sign_inspection(&unit_admin, open.id, "正常", &x),
        s.app.sign_inspection(&civil, open.id, "正常", &x),
    );
    assert!(a.is_ok() ^ b.is_ok(), "{a:?} {b:?}");
    let m = MarkInput {
        seq: v.items[0].item.seq,
        mark: "abnormal".into(),
        note: "改".into(),
    };
    assert!(matches!(
        s.app.mark_items(&unit_admin, open.id, &[m], &ctx()).await,
        Err(Error::Conflict { .. })
    ));
    // The record: PDF with its Chinese text, and the workbooks.
    let mut c = s.signed_in("unit_admin").await;
    let (st, pdf) = c
        .get_bytes(&format!("/inspections/{}/record.pdf", open.id))
        .await;
    assert_eq!(st, 200);
    let text = common::pdf_text(&pdf);
    assert!(
        text.contains("單位使用紀錄稽核紀錄表") && text.contains("附件二"),
        "{text}"
    );
    assert!(text.contains("簽核完成"), "{text}");
    for format in ["xlsx", "ods"] {
        let (st, book) = c
            .get_bytes(&format!("/inspections/{}/export?format={format}", open.id))
            .await;
        assert_eq!(st, 200);
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][0], "紀錄序號");
        assert_eq!(rows.len() as i64, open.sampled + 1, "{format}");
        assert!(
            rows[1..].iter().all(|r| r[10] == "正常" || r[10] == "異常"),
            "{format}: {rows:?}"
        );
    }
}

#[tokio::test]
async fn two_admins_drawing_the_same_quarter_get_one_sample() {
    let s = TestServer::start(60).await;
    // Into the month after this quarter: it can be drawn.
    let today = s.app.now().to_offset(portico_core::time::TAIPEI).date();
    let q = Period::quarter_before(today + Duration::days(92));
    let ahead = portico_core::time::taipei_day_start(q.end()) - s.app.now() + Duration::days(3);
    s.clock.advance(ahead);
    let unit = open_civil(&s).await.unit_id;
    let unit_admin = s.principal_of("unit_admin").await;
    let civil = s.principal_of("civil_admin").await;
    let x = ctx();
    let (a, b) = tokio::join!(
        s.app.draw_unit(&unit_admin, q, OrgUnitId(unit), &x),
        s.app.draw_unit(&civil, q, OrgUnitId(unit), &x),
    );
    assert!(a.is_ok() ^ b.is_ok(), "{a:?} {b:?}");
    assert!(matches!(a.err().or(b.err()), Some(Error::Conflict { .. })));
    // A quarter not yet over is refused.
    let next = Period::quarter_before(
        s.app.now().to_offset(portico_core::time::TAIPEI).date() + Duration::days(92),
    );
    assert!(matches!(
        s.app.draw_unit(&civil, next, OrgUnitId(unit), &ctx()).await,
        Err(Error::Refused(_))
    ));
}

#[tokio::test]
async fn the_schedule_draws_each_unit_in_the_month_after_its_quarter() {
    let s = TestServer::start(60).await;
    let today = s.app.now().to_offset(portico_core::time::TAIPEI).date();
    let q = Period::quarter_before(today + Duration::days(92));
    let ahead = portico_core::time::taipei_day_start(q.end()) - s.app.now() + Duration::days(1);
    s.clock.advance(ahead);
    const SCHEDULE: Unattended = Unattended::unattended("the test's schedule");
    let n = s.app.draw_due_inspections(&SCHEDULE).await.unwrap();
    assert!(n >= 1, "drew {n}");
    let drawn: Vec<Inspection> = all_inspections(&s)
        .await
        .into_iter()
        .filter(|i| i.period == q)
        .collect();
    assert_eq!(drawn.len(), n.min(drawn.len()));
    // Run again: nothing new.
    assert_eq!(s.app.draw_due_inspections(&SCHEDULE).await.unwrap(), 0);
    // The unit's admin was told.
    let (subject, _) = s
        .last_message_to("unit_admin@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("抽樣完成"), "{subject}");
}

#[tokio::test]
async fn records_past_retention_are_purged_and_the_chain_still_verifies() {
    let s = TestServer::start(60).await;
    const RETENTION: Unattended = Unattended::unattended("the test's purge");
    assert_eq!(s.app.purge_expired_records(&RETENTION).await.unwrap(), 0);
    let events = count(&s, "SELECT COUNT(*) FROM audit_events").await;
    let before_inspections = count(&s, "SELECT COUNT(*) FROM inspections").await;
    // Three years and a day later, everything of today is past retention.
    s.clock.advance(Duration::days(3 * 366));
    let n = s.app.purge_expired_records(&RETENTION).await.unwrap();
    assert!(n as i64 >= events - 1, "purged {n} of {events}");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM usage_records").await, 0);
    assert!(count(&s, "SELECT COUNT(*) FROM inspections").await < before_inspections);
    let v = s.app.verify_audit_chain().await.unwrap();
    assert!(v.first_break.is_none(), "{v:?}");
    assert!(v.purged_through > 0 && v.checked >= 1);
    // A second run finds nothing more; the purge is itself recorded.
    assert_eq!(s.app.purge_expired_records(&RETENTION).await.unwrap(), 0);
    // Events after the checkpoint cannot be deleted.
    let mut c = s.app.db.read().await.unwrap();
    let r = sqlx::query("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)")
        .execute(&mut *c)
        .await;
    assert!(r.is_err(), "an event after the checkpoint was deleted");
    // A forged checkpoint does not verify.
    sqlx::query("UPDATE audit_checkpoints SET hash = '00'")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    let v = s.app.verify_audit_chain().await.unwrap();
    assert!(
        matches!(
            v.first_break,
            Some(portico_core::audit::Break::Checkpoint { .. })
        ),
        "{v:?}"
    );
}

/// 002 §六 (三) 2 in Portico itself: exporting the audit trail, or reading
/// another person's part of it, states a case number, document number or
/// reason first, kept as the admin's usage record; without one nothing is
/// shown or recorded, and a link from elsewhere cannot state it.
#[tokio::test]
async fn an_export_or_another_persons_trail_states_its_grounds() {
    let s = TestServer::start(60).await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let used = "SELECT COUNT(*) FROM usage_records";
    let before = count(&s, used).await;
    // The export, without grounds: the page asks for them.
    let (st, page) = c.get("/admin/audit/export.xlsx?outcome=ok").await;
    assert_eq!(st, 422);
    assert!(
        page.contains("rs-err") && page.contains("以備稽查"),
        "{page}"
    );
    // With grounds but not the session's token: refused.
    let (st, _) = c
        .get_bytes("/admin/audit/export.xlsx?reason_kind=case&reason=R115-0042")
        .await;
    assert_eq!(st, 409, "the session's token is missing");
    assert_eq!(count(&s, used).await, before);
    let (st, xlsx) = c
        .get_bytes(&format!(
            "/admin/audit/export.xlsx?outcome=ok&reason_kind=document&reason=R115-0042&_csrf={csrf}"
        ))
        .await;
    assert_eq!(st, 200);
    assert!(xlsx.starts_with(b"PK"));
    assert_eq!(count(&s, used).await, before + 1);
    let last = |action: &'static str| {
        let s = &s;
        async move {
            let mut db = s.app.db.read().await.unwrap();
            let (seq,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT MAX(seq) FROM audit_events WHERE action = '{action}'"
            )))
            .fetch_one(&mut *db)
            .await
            .unwrap();
            portico_store::audit::get(&mut db, seq)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let e = last("audit.export").await;
    assert_eq!(e.actor_login, "admin");
    assert!(
        e.detail.contains("R115-0042") && e.detail.contains("\"rows\""),
        "{}",
        e.detail
    );
    // One's own events need no grounds; another person's do.
    let (st, page) = c.get("/admin/audit?actor=admin").await;
    assert_eq!(st, 200);
    assert!(
        !page.contains("查詢其他人員的日誌紀錄"),
        "own: no grounds asked"
    );
    let (st, page) = c.get("/admin/audit?actor=civil_admin").await;
    assert_eq!(st, 200);
    assert!(page.contains("查詢其他人員的日誌紀錄"), "{page}");
    assert!(page.contains("查無紀錄"), "nothing shown yet");
    assert_eq!(count(&s, used).await, before + 1);
    let (st, _) = c
        .get("/admin/audit?actor=civil_admin&reason_kind=case&reason=R115-0043")
        .await;
    assert_eq!(st, 409, "grounds from a link elsewhere");
    let (st, page) = c
        .get(&format!(
            "/admin/audit?actor=civil_admin&reason_kind=case&reason=R115-0043&_csrf={csrf}"
        ))
        .await;
    assert_eq!(st, 200);
    assert!(!page.contains("查無紀錄"), "civil_admin's events are shown");
    let e = last("audit.person").await;
    assert!(
        e.target_label == "civil_admin" && e.detail.contains("R115-0043"),
        "{e:?}"
    );
    assert_eq!(count(&s, used).await, before + 2);
    // Through the API: the same rule.
    let (st, b) = c.api_get("/audit?actor=civil_admin").await;
    assert_eq!(
        (st, b["fields"][0]["field"].as_str()),
        (422, Some("reason")),
        "{b}"
    );
    let grounds = "/audit?actor=civil_admin&reason_kind=other&reason=%E9%99%B3%E6%83%85%E6%A1%88%E8%AA%BF%E6%9F%A5";
    let (st, b) = c.api_get(grounds).await;
    assert_eq!(st, 409, "grounds without the session's token: {b}");
    let (st, b) = c.api_get_with_token(grounds, &csrf).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(count(&s, used).await, before + 3);
}

#[tokio::test]
async fn a_national_id_is_shown_whole_only_for_a_stated_reason() {
    let s = TestServer::start(60).await;
    let id = s.account_id("staff").await;
    let mut c = s.signed_in("admin").await;
    let (st, page) = c.get(&format!("/admin/accounts/{id}/national-id")).await;
    assert_eq!(st, 200);
    assert!(page.contains("D29****058"), "masked");
    assert!(!page.contains("D290000058"));
    let csrf = c.csrf().await;
    let before = count(&s, "SELECT COUNT(*) FROM usage_records").await;
    let (st, page, _) = c
        .post_form(
            &format!("/admin/accounts/{id}/national-id"),
            &[("_csrf", &csrf), ("reason_kind", "case"), ("reason", "")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(!page.contains("D290000058") && page.contains("以備稽查"));
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM usage_records").await,
        before
    );
    let (st, page, _) = c
        .post_form(
            &format!("/admin/accounts/{id}/national-id"),
            &[
                ("_csrf", &csrf),
                ("reason_kind", "case"),
                ("reason", "陳情案 1150099"),
            ],
        )
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("D290000058"));
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM usage_records").await,
        before + 1
    );
    let mut db = s.app.db.read().await.unwrap();
    let (seq,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM usage_records")
        .fetch_one(&mut *db)
        .await
        .unwrap();
    let e = portico_store::audit::get(&mut db, seq)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.action.as_str(), e.actor_login.as_str()),
        ("account.national_id", "admin")
    );
    assert!(e.detail.contains("陳情案 1150099"), "{}", e.detail);
    // Ten look-ups a minute, then a pause: a case, not a harvest.
    let mut refused = 0;
    for _ in 0..12 {
        let (st, _, _) = c
            .post_form(
                &format!("/admin/accounts/{id}/national-id"),
                &[
                    ("_csrf", &csrf),
                    ("reason_kind", "case"),
                    ("reason", "陳情案 1150099"),
                ],
            )
            .await;
        if st == 409 {
            refused += 1;
        }
    }
    assert!(refused >= 2, "{refused}");
    // An agency admin outside the person's agency is not shown the page.
    let mut edu = s.signed_in("edu_admin").await;
    let (st, _) = edu.get(&format!("/admin/accounts/{id}/national-id")).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn the_inspection_pages_walk_a_unit_admin_through_marking() {
    let s = TestServer::start(60).await;
    let open = open_civil(&s).await;
    let mut c = s.signed_in("unit_admin").await;
    let (st, page) = c.get("/inspections").await;
    assert_eq!(st, 200);
    assert!(page.contains(&format!("/inspections/{}", open.id)));
    let (st, page) = c.get(&format!("/inspections/{}?redraw=1", open.id)).await;
    assert_eq!(st, 200);
    assert!(page.contains("結果與原樣本相同"), "redraw");
    // The rest marked normal in one post; an 異常 without a note refused.
    let csrf = c.csrf().await;
    let v = s
        .app
        .inspection(&s.principal_of("unit_admin").await, open.id)
        .await
        .unwrap();
    let first = v
        .items
        .iter()
        .find(|i| !i.own && i.item.mark.is_none())
        .unwrap()
        .item
        .seq
        .to_string();
    let (st, page, _) = c
        .post_form(
            &format!("/inspections/{}/marks", open.id),
            &[
                ("_csrf", &csrf),
                ("seq", &first),
                ("mark", "abnormal"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("請說明異常的情形"), "{page}");
    let (st, _, loc) = c
        .post_form(
            &format!("/inspections/{}/marks", open.id),
            &[
                ("_csrf", &csrf),
                ("seq", &first),
                ("mark", ""),
                ("note", ""),
                ("all_normal", "on"),
            ],
        )
        .await;
    assert_eq!(
        (st, loc.as_str()),
        (303, format!("/inspections/{}?ok=marked", open.id).as_str())
    );
}
