//! Issue 15 §1, access reviews (權限清查, 002 §六 (二)) through the real
//! server: a campaign opened over a scope, each right on its reviewer's
//! list, decided one or a batch, handed on, and at the deadline revoked
//! or flagged; the six-monthly schedule; the report; and who reaches what.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::certifications::{Action, OpenInput, ViewFilter};
use portico_core::Error;
use portico_core::certification::{Decision, ItemKind, State};
use portico_core::permission::Unattended;
use portico_store::certifications::Item;
use time::Duration;

const DEADLINE: Unattended = Unattended::unattended("the test's deadline");

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

/// An agency's id, by name.
async fn agency(s: &TestServer, name: &str) -> i64 {
    count(
        s,
        &format!("SELECT id FROM org_units WHERE name = '{name}' AND kind = 'agency'"),
    )
    .await
}

fn day(s: &TestServer, days: i64) -> String {
    let today = s.app.now().to_offset(portico_core::time::TAIPEI).date();
    portico_core::time::date_str(today + Duration::days(days))
}

/// Opens a review of an agency as `login`, due in `days`.
async fn open(
    s: &TestServer,
    login: &str,
    agency_name: &str,
    days: i64,
    on_expiry: &str,
) -> Result<i64, Error> {
    let who = s.principal_of(login).await;
    let input = OpenInput {
        name: format!("{agency_name} 權限清查"),
        scope_kind: "agency".into(),
        unit: Some(agency(s, agency_name).await),
        app: None,
        deadline: day(s, days),
        on_expiry: on_expiry.into(),
    };
    s.app.open_campaign(&who, &input, &ctx()).await
}

async fn open_city(s: &TestServer) -> Result<i64, Error> {
    let admin = s.principal_of("admin").await;
    let input = OpenInput {
        name: "臺南市 115 年權限清查".into(),
        scope_kind: "city".into(),
        deadline: day(s, 14),
        on_expiry: "flag".into(),
        ..Default::default()
    };
    s.app.open_campaign(&admin, &input, &ctx()).await
}

/// The demo's open review of 民政局: half decided, the admins' own roles
/// waiting.
async fn demo_review(s: &TestServer) -> i64 {
    count(
        s,
        "SELECT id FROM certifications WHERE state = 'open' AND name LIKE '民政局%'",
    )
    .await
}

/// Every item of a campaign, as a system admin sees it.
async fn items(s: &TestServer, id: i64) -> Vec<Item> {
    portico_store::certifications::items(
        &mut s.app.db.read().await.unwrap(),
        id,
        &Default::default(),
        s.app.now(),
        1,
        0,
    )
    .await
    .unwrap()
    .items
}

fn find<'a>(items: &'a [Item], login: &str, kind: ItemKind) -> &'a Item {
    items
        .iter()
        .find(|i| i.login == login && i.kind == kind)
        .unwrap_or_else(|| panic!("{login}'s {kind:?} in {items:?}"))
}

async fn decide(
    s: &TestServer,
    login: &str,
    campaign: i64,
    ids: &[i64],
    action: Action,
) -> Vec<Option<String>> {
    let who = s.principal_of(login).await;
    s.app
        .decide_items(&who, campaign, ids, &action, "", &ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.refused.map(|m| m.zh.to_string()))
        .collect()
}

async fn item(s: &TestServer, campaign: i64, id: i64) -> Item {
    portico_store::certifications::item(&mut s.app.db.read().await.unwrap(), campaign, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_campaign_half_reviewed_revokes_the_rest_at_its_deadline() {
    let s = TestServer::start(60).await;
    let id = open(&s, "admin", "主計處", 7, "revoke").await.unwrap();
    let all = items(&s, id).await;
    // 主計處: its agency admin's role (the system admins review it), the
    // statistician's category, membership and application role.
    let category = find(&all, "statistician", ItemKind::Category).id;
    let role = find(&all, "statistician", ItemKind::AppRole).id;
    let membership = find(&all, "statistician", ItemKind::Membership).id;
    let admin_role = find(&all, "stat_mgr", ItemKind::AdminRole).id;
    // The agency's admin reviews the unit's and the application's items.
    assert_eq!(
        decide(&s, "stat_mgr", id, &[category, role], Action::Keep).await,
        vec![None, None]
    );
    let before_memberships = count(
        &s,
        "SELECT COUNT(*) FROM account_orgs h JOIN accounts a ON a.id = h.account_id WHERE a.login = 'statistician'",
    )
    .await;
    assert!(before_memberships >= 1);
    // Not yet due: nothing closes.
    assert_eq!(s.app.close_due_campaigns(&DEADLINE).await.unwrap(), 0);
    s.clock.advance(Duration::days(8));
    assert_eq!(s.app.close_due_campaigns(&DEADLINE).await.unwrap(), 1);
    assert_eq!(s.app.close_due_campaigns(&DEADLINE).await.unwrap(), 0);

    let c = portico_store::certifications::get(&mut s.app.db.read().await.unwrap(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.state, State::Closed);
    assert_eq!((c.pending, c.kept), (0, 2), "{c:?}");
    assert_eq!(c.revoked + c.flagged, c.total - 2);
    // The membership nobody reviewed is gone…
    assert_eq!(
        item(&s, id, membership).await.decision,
        Some(Decision::Revoke)
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM account_orgs h JOIN accounts a ON a.id = h.account_id WHERE a.login = 'statistician'",
        )
        .await,
        before_memberships - 1
    );
    // …the kept category is still held.
    assert_eq!(item(&s, id, category).await.decision, Some(Decision::Keep));
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM account_categories h JOIN accounts a ON a.id = h.account_id WHERE a.login = 'statistician'",
        )
        .await,
        1
    );
    // The agency's only admin is flagged, not revoked, and says why.
    let flagged = item(&s, id, admin_role).await;
    assert_eq!(flagged.decision, Some(Decision::Flag));
    assert!(flagged.note.contains("未撤銷"), "{}", flagged.note);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM roles r JOIN accounts a ON a.id = r.account_id WHERE a.login = 'stat_mgr' AND r.kind = 'agency_admin'",
        )
        .await,
        1
    );
    // Every step is in the audit trail, and the opener hears it ended.
    for action in [
        "certification.open",
        "certification.keep",
        "certification.expire",
        "certification.flag",
        "certification.close",
    ] {
        assert!(
            count(
                &s,
                &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'")
            )
            .await
                >= 1,
            "{action}"
        );
    }
    let (subject, _) = s
        .last_message_to("admin@mail.tainan.gov.tw")
        .await
        .expect("the opener is mailed");
    assert!(subject.contains("已結束"), "{subject}");
    // A closed campaign takes no more decisions.
    let refused = decide(&s, "stat_mgr", id, &[membership], Action::Keep).await;
    assert!(
        refused[0].as_deref().unwrap_or("").contains("已結束"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_unreviewed_right_is_only_flagged_when_the_campaign_says_flag() {
    let s = TestServer::start(60).await;
    let id = open(&s, "admin", "主計處", 7, "flag").await.unwrap();
    let memberships = "SELECT COUNT(*) FROM account_orgs";
    let before = count(&s, memberships).await;
    s.clock.advance(Duration::days(8));
    assert_eq!(s.app.close_due_campaigns(&DEADLINE).await.unwrap(), 1);
    let all = items(&s, id).await;
    assert!(all.iter().all(|i| i.decision == Some(Decision::Flag)));
    assert_eq!(count(&s, memberships).await, before, "nothing revoked");
}

#[tokio::test]
async fn two_reviewers_deciding_the_same_item_exactly_one_wins() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let all = items(&s, id).await;
    // The unit admin's role: 民政局's admin reviews it, a system admin may.
    let it = find(&all, "unit_admin", ItemKind::AdminRole).id;
    let (civil, admin) = (
        s.principal_of("civil_admin").await,
        s.principal_of("admin").await,
    );
    let (x, one) = (ctx(), [it]);
    let (a, b) = tokio::join!(
        s.app
            .decide_items(&civil, id, &one, &Action::Keep, "仍需管理", &x),
        s.app
            .decide_items(&admin, id, &one, &Action::Revoke, "", &x),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a[0].refused.is_none() ^ b[0].refused.is_none(),
        "{a:?} {b:?}"
    );
    let decided = item(&s, id, it).await;
    let held = count(
        &s,
        "SELECT COUNT(*) FROM roles r JOIN accounts a ON a.id = r.account_id WHERE a.login = 'unit_admin'",
    )
    .await;
    if a[0].refused.is_none() {
        assert_eq!((decided.decision, held), (Some(Decision::Keep), 1));
    } else {
        assert_eq!((decided.decision, held), (Some(Decision::Revoke), 0));
    }
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM audit_events WHERE action IN ('certification.keep', 'certification.revoke') \
             AND target_label = '張志明（unit_admin）'",
        )
        .await,
        1
    );
}

#[tokio::test]
async fn two_admins_opening_the_same_scope_get_one_campaign() {
    let s = TestServer::start(60).await;
    let (a, b) = tokio::join!(
        open(&s, "stat_mgr", "主計處", 14, "flag"),
        open(&s, "admin", "主計處", 21, "revoke"),
    );
    assert!(a.is_ok() ^ b.is_ok(), "{a:?} {b:?}");
    assert!(matches!(a.err().or(b.err()), Some(Error::Conflict { .. })));
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM certifications WHERE name LIKE '主計處%'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_admin_of_another_agency_reaches_nothing_of_the_campaign() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let campaigns = count(&s, "SELECT COUNT(*) FROM certifications").await;
    let all = items(&s, id).await;
    let it = find(&all, "unit_admin", ItemKind::AdminRole).id;
    // Through the use cases.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app.campaign(&edu, id, &ViewFilter::default()).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.campaign_pdf(&edu, id, &ctx()).await,
        Err(Error::NotFound | Error::Forbidden)
    ));
    let refused = decide(&s, "edu_admin", id, &[it], Action::Revoke).await;
    assert!(refused[0].is_some());
    assert!(
        s.app
            .campaigns(&edu, 1)
            .await
            .unwrap()
            .items
            .iter()
            .all(|(c, _)| c.id != id)
    );
    // A unit's admin ranks below an agency review, and a person holding
    // nothing to review sees nothing.
    for who in ["unit_admin", "edu_admin"] {
        let r = open(&s, who, "民政局", 14, "flag").await;
        assert!(
            matches!(r, Err(Error::Forbidden | Error::NotFound)),
            "{who}: {r:?}"
        );
    }
    // Through the pages.
    let mut c = s.signed_in("edu_admin").await;
    let (st, list) = c.get("/access-reviews").await;
    assert_eq!(st, 200);
    assert!(!list.contains(&format!("/access-reviews/{id}\"")), "{list}");
    assert_eq!(c.get(&format!("/access-reviews/{id}")).await.0, 404);
    for f in ["xlsx", "ods", "pdf"] {
        let (st, _) = c
            .get_bytes(&format!("/access-reviews/{id}/report?format={f}"))
            .await;
        assert_eq!(st, 404, "{f}");
    }
    let csrf = c.csrf_from("/access-reviews").await;
    let (st, _, _) = c
        .post_form(
            &format!("/access-reviews/{id}"),
            &[
                ("_csrf", &csrf),
                ("items", &it.to_string()),
                ("action", "revoke"),
            ],
        )
        .await;
    assert_eq!(st, 404, "not a campaign of theirs");
    let unit = agency(&s, "民政局").await.to_string();
    let (st, _, _) = c
        .post_form(
            "/access-reviews",
            &[
                ("_csrf", &csrf),
                ("name", "越權開啟"),
                ("scope_kind", "agency"),
                ("unit", &unit),
                ("deadline", &day(&s, 14)),
                ("on_expiry", "revoke"),
            ],
        )
        .await;
    assert_eq!(st, 404, "not a scope of theirs");
    // Nothing changed.
    assert_eq!(item(&s, id, it).await.decision, None);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM certifications").await,
        campaigns
    );
}

#[tokio::test]
async fn no_one_reviews_their_own_right() {
    let s = TestServer::start(60).await;
    // 智慧發展中心, where the system admin sits: their own roles are in it.
    let id = open(&s, "admin", "智慧發展中心", 14, "flag").await.unwrap();
    let all = items(&s, id).await;
    let own = find(&all, "admin", ItemKind::AdminRole);
    let refused = decide(&s, "admin", id, &[own.id], Action::Keep).await;
    assert!(
        refused[0].as_deref().is_some_and(|m| m.contains("自己")),
        "a system admin may not keep their own role: {refused:?}"
    );
    // Nor an agency admin theirs, in the demo's review of 民政局.
    let demo = demo_review(&s).await;
    let civil = find(&items(&s, demo).await, "civil_admin", ItemKind::AdminRole).id;
    assert!(decide(&s, "civil_admin", demo, &[civil], Action::Keep).await[0].is_some());
    // Through the page: the own item has no tick box.
    let mut c = s.signed_in("admin").await;
    let (_, page) = c
        .get(&format!("/access-reviews/{id}?show=all&q=admin"))
        .await;
    assert!(!page.contains(&format!("value=\"{}\"", own.id)), "{page}");
    assert_eq!(item(&s, id, own.id).await.decision, None);
    assert_eq!(item(&s, demo, civil).await.decision, None);
}

#[tokio::test]
async fn the_last_agency_admin_is_flagged_not_revoked() {
    let s = TestServer::start(60).await;
    // The demo's review revokes what is left at its deadline.
    let id = demo_review(&s).await;
    let all = items(&s, id).await;
    let only = find(&all, "civil_admin", ItemKind::AdminRole).id;
    // Revoked by hand: refused, with why.
    let refused = decide(&s, "admin", id, &[only], Action::Revoke).await;
    assert!(refused[0].is_some(), "{refused:?}");
    assert_eq!(item(&s, id, only).await.decision, None);
    // At the deadline: flagged, still held.
    s.clock.advance(Duration::days(22));
    s.app.close_due_campaigns(&DEADLINE).await.unwrap();
    assert_eq!(item(&s, id, only).await.decision, Some(Decision::Flag));
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM roles r JOIN accounts a ON a.id = r.account_id WHERE a.login = 'civil_admin' AND r.kind = 'agency_admin'",
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_mail_accounts_custodian_is_kept_never_revoked() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let all = items(&s, id).await;
    let custody: Vec<i64> = all
        .iter()
        .filter(|i| i.kind == ItemKind::Custodian && i.decision.is_none())
        .map(|i| i.id)
        .collect();
    assert!(
        !custody.is_empty(),
        "the clerk keeps 民政局's mail accounts"
    );
    let refused = decide(&s, "civil_admin", id, &custody, Action::Revoke).await;
    assert!(
        refused
            .iter()
            .all(|r| r.as_deref().is_some_and(|m| m.contains("保管人"))),
        "{refused:?}"
    );
    assert_eq!(
        items(&s, id)
            .await
            .iter()
            .filter(|i| custody.contains(&i.id) && i.decision.is_some())
            .count(),
        0
    );
    // Kept, they are decided.
    let kept = decide(&s, "civil_admin", id, &custody, Action::Keep).await;
    assert!(kept.iter().all(Option::is_none), "{kept:?}");
}

#[tokio::test]
async fn an_item_is_handed_only_to_someone_who_can_judge_it() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let all = items(&s, id).await;
    // The unit admin's role: 民政局's agency admins review it.
    let it = find(&all, "unit_admin", ItemKind::AdminRole).id;
    let civil = s.principal_of("civil_admin").await;
    let hand = |to: &str| Action::HandOn(to.to_owned());
    // Not the holder, not oneself, not an admin of another agency, and
    // not a colleague without the rank (who could then take an admin's
    // role away).
    for (to, why) in [
        ("unit_admin", "本人"),
        ("civil_admin", "自己"),
        ("edu_admin", "也有權清查"),
        ("staff", "也有權清查"),
    ] {
        let out = decide(&s, "civil_admin", id, &[it], hand(to)).await;
        assert!(
            out[0].as_deref().is_some_and(|m| m.contains(why)),
            "{to}: {out:?}"
        );
    }
    // An unknown or disabled person, or none, is a field error first.
    for (to, why) in [
        ("nobody_here", "找不到"),
        ("disabled", "找不到"),
        ("", "請輸入"),
    ] {
        let r = s
            .app
            .decide_items(&civil, id, &[it], &hand(to), "", &ctx())
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid(e)) if e[0].field == "to" && e[0].message.zh.contains(why)),
            "{to}: {r:?}"
        );
    }
    assert_eq!(item(&s, id, it).await.decision, None);
    // To a system admin, who may review it: theirs now, told with the note.
    let who = s.principal_of("civil_admin").await;
    let out = s
        .app
        .decide_items(&who, id, &[it], &hand("admin"), "請協助確認", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none(), "{out:?}");
    let (subject, body) = s
        .last_message_to("admin@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("轉交"), "{subject}");
    assert!(body.contains("請協助確認"), "{body}");
    let handed = item(&s, id, it).await;
    assert_eq!(
        (handed.note.as_str(), handed.handed_by_name.as_deref()),
        ("請協助確認", Some("林美玲"))
    );
    // The one who handed it on no longer decides it; the one it went to does.
    assert!(decide(&s, "civil_admin", id, &[it], Action::Revoke).await[0].is_some());
    assert_eq!(
        decide(&s, "admin", id, &[it], Action::Keep).await,
        vec![None]
    );
    assert_eq!(item(&s, id, it).await.decision, Some(Decision::Keep));
}

/// One open review covers a person at a time, so nobody's right is
/// reviewed twice at once.
#[tokio::test]
async fn a_right_is_in_one_open_review_at_a_time() {
    let s = TestServer::start(60).await;
    // The demo's review of 民政局 is open: the city's would cover its
    // people again, and so would one of its units'.
    let r = open_city(&s).await;
    assert!(
        matches!(&r, Err(Error::Conflict { message, .. }) if message.zh.contains("仍在進行中")),
        "{r:?}"
    );
    let unit = count(
        &s,
        "SELECT u.id FROM org_units u JOIN org_units a ON a.id = u.agency_id \
         WHERE a.name = '民政局' AND u.name = '行政科'",
    )
    .await;
    let admin = s.principal_of("admin").await;
    let r = s
        .app
        .open_campaign(
            &admin,
            &OpenInput {
                name: "行政科權限清查".into(),
                scope_kind: "unit".into(),
                unit: Some(unit),
                deadline: day(&s, 14),
                on_expiry: "flag".into(),
                ..Default::default()
            },
            &ctx(),
        )
        .await;
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    // Another agency's stands beside it.
    assert!(open(&s, "admin", "主計處", 30, "flag").await.is_ok());
    // Once 民政局's ends, the city's still waits for 主計處's.
    s.clock.advance(Duration::days(22));
    s.app.close_due_campaigns(&DEADLINE).await.unwrap();
    assert!(matches!(open_city(&s).await, Err(Error::Conflict { .. })));
}

#[tokio::test]
async fn the_schedule_opens_each_agencys_review_six_months_on() {
    let s = TestServer::start(60).await;
    const SCHEDULE: Unattended = Unattended::unattended("the test's schedule");
    let before = count(&s, "SELECT COUNT(*) FROM certifications").await;
    // A new installation is not due yet: its agencies were made today.
    assert_eq!(s.app.open_scheduled_campaigns(&SCHEDULE).await.unwrap(), 0);
    s.clock.advance(Duration::days(170));
    assert_eq!(s.app.open_scheduled_campaigns(&SCHEDULE).await.unwrap(), 0);
    s.clock.advance(Duration::days(20));
    let n = s.app.open_scheduled_campaigns(&SCHEDULE).await.unwrap();
    assert!(n >= 3, "opened {n}");
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM certifications").await,
        before + n as i64
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM certifications WHERE scheduled = 1 AND on_expiry = 'flag' AND name LIKE '%定期權限清查'",
        )
        .await,
        n as i64
    );
    // 民政局's (the demo's) is open already, and stays the only one.
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM certifications WHERE name LIKE '民政局%'"
        )
        .await,
        1
    );
    // Run again the same day: each is open already.
    assert_eq!(s.app.open_scheduled_campaigns(&SCHEDULE).await.unwrap(), 0);
    // Their reviewers were told.
    let (subject, _) = s
        .last_message_to("admin@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("定期權限清查"), "{subject}");
    // Turned off, nothing opens.
    let admin = s.principal_of("admin").await;
    let (mut off, version) = s
        .app
        .settings_console(&admin.system_admin().unwrap())
        .await
        .unwrap();
    off.review_every_months = 0;
    s.app
        .update_settings(&admin, &off, version, &ctx())
        .await
        .unwrap();
    s.clock.advance(Duration::days(400));
    s.app.close_due_campaigns(&DEADLINE).await.unwrap();
    assert_eq!(s.app.open_scheduled_campaigns(&SCHEDULE).await.unwrap(), 0);
}

#[tokio::test]
async fn the_report_lists_every_decision_with_who_and_when() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let all = items(&s, id).await;
    let mut c = s.signed_in("civil_admin").await;
    for format in ["xlsx", "ods"] {
        let (st, book) = c
            .get_bytes(&format!("/access-reviews/{id}/report?format={format}"))
            .await;
        assert_eq!(st, 200, "{format}");
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows.len(), all.len() + 1, "{format}: {rows:?}");
        let kept = rows
            .iter()
            .find(|r| r.iter().any(|c| c.contains("clerk")) && r.iter().any(|c| c == "保留"))
            .expect("the clerk's kept custody");
        assert!(
            kept.iter().any(|c| c == "啟用"),
            "the state in words: {kept:?}"
        );
        assert!(kept.iter().any(|c| c.contains("林美玲")), "{kept:?}");
    }
    let (st, pdf) = c
        .get_bytes(&format!("/access-reviews/{id}/report?format=pdf"))
        .await;
    assert_eq!(st, 200);
    let text = common::pdf_text(&pdf);
    assert!(text.contains("年下半年權限清查"), "{text}");
    assert!(text.contains("保留") && text.contains("待清查"), "{text}");
    assert_eq!(
        c.get_bytes(&format!("/access-reviews/{id}/report?format=doc"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn bad_input_is_refused_by_field_and_changes_nothing() {
    let s = TestServer::start(60).await;
    let mut c = s.signed_in("civil_admin").await;
    let csrf = c.csrf_from("/access-reviews").await;
    let unit = agency(&s, "民政局").await.to_string();
    let campaigns = count(&s, "SELECT COUNT(*) FROM certifications").await;
    let decided = "SELECT COUNT(*) FROM certification_items WHERE decision IS NOT NULL";
    let decided_before = count(&s, decided).await;
    let soon = day(&s, 1);
    let far = day(&s, 200);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", "")], "請輸入清查名稱"),
        (vec![("name", "x")], "長度至少須 2 個字元"),
        (vec![("deadline", &soon)], "截止日期須在"),
        (vec![("deadline", &far)], "截止日期須在"),
        (vec![("deadline", "2026-13-45")], "請輸入截止日期"),
        (vec![("on_expiry", "explode")], "逾期未清查"),
        (vec![("scope_kind", "planet")], "清查範圍"),
        (vec![("unit", "abc")], "請選擇要清查的機關"),
        (vec![("unit", "999999")], "請選擇要清查的機關"),
    ];
    let good_deadline = day(&s, 14);
    for (over, expect) in cases {
        let mut form = vec![
            ("_csrf", csrf.as_str()),
            ("name", "民政局清查"),
            ("scope_kind", "agency"),
            ("unit", unit.as_str()),
            ("deadline", good_deadline.as_str()),
            ("on_expiry", "revoke"),
        ];
        for (k, v) in &over {
            form.retain(|(n, _)| n != k);
            form.push((k, v));
        }
        let (st, body, _) = c.post_form("/access-reviews", &form).await;
        assert_eq!(st, 422, "{over:?}");
        assert!(body.contains(expect), "{over:?}: {expect}");
    }
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM certifications").await,
        campaigns
    );
    let id = demo_review(&s).await;
    let it = find(&items(&s, id).await, "unit_admin", ItemKind::AdminRole)
        .id
        .to_string();
    let long = "很".repeat(501);
    let path = format!("/access-reviews/{id}");
    let decisions: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("action", "keep")], "請勾選"),
        (vec![("items", &it), ("action", "explode")], "請選擇保留"),
        (
            vec![("items", &it), ("action", "keep"), ("note", &long)],
            "500",
        ),
        (
            vec![("items", &it), ("action", "hand"), ("to", "")],
            "轉交對象",
        ),
    ];
    for (form, expect) in decisions {
        let mut form = form;
        form.push(("_csrf", &csrf));
        let (st, body, _) = c.post_form(&path, &form).await;
        assert_eq!(st, 422, "{form:?}");
        assert!(body.contains(expect), "{form:?}: {expect}");
    }
    // An item of no campaign, or a campaign that is not there.
    let (st, body, _) = c
        .post_form(
            &path,
            &[("_csrf", &csrf), ("items", "987654"), ("action", "keep")],
        )
        .await;
    assert_eq!(st, 409);
    assert!(body.contains("找不到此項目"), "{body}");
    assert_eq!(c.get("/access-reviews/987654").await.0, 404);
    assert_eq!(c.get("/access-reviews/abc").await.0, 404);
    assert_eq!(count(&s, decided).await, decided_before);
}

#[tokio::test]
async fn a_forged_form_without_the_token_changes_nothing() {
    let s = TestServer::start(60).await;
    let id = demo_review(&s).await;
    let campaigns = count(&s, "SELECT COUNT(*) FROM certifications").await;
    let decided = "SELECT COUNT(*) FROM certification_items WHERE decision IS NOT NULL";
    let decided_before = count(&s, decided).await;
    let it = find(&items(&s, id).await, "unit_admin", ItemKind::AdminRole)
        .id
        .to_string();
    let mut c = s.signed_in("civil_admin").await;
    let (st, _, _) = c
        .post_form(
            &format!("/access-reviews/{id}"),
            &[("items", &it), ("action", "keep")],
        )
        .await;
    assert_eq!(st, 409);
    let (st, _, _) = c
        .post_form(
            "/access-reviews",
            &[
                ("_csrf", "forged"),
                ("name", "偽造"),
                ("scope_kind", "city"),
            ],
        )
        .await;
    assert_eq!(st, 409);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM certifications").await,
        campaigns
    );
    assert_eq!(count(&s, decided).await, decided_before);
}

#[tokio::test]
async fn a_reviewer_works_through_the_pages_with_unused_accounts_first() {
    let s = TestServer::start(60).await;
    // The demo's review of 民政局 ends first: one open review at a time
    // covers a person.
    s.clock.advance(Duration::days(22));
    assert_eq!(s.app.close_due_campaigns(&DEADLINE).await.unwrap(), 1);
    // Everyone signed in yesterday but the clerk, seven months ago.
    {
        let mut c = s.app.db.read().await.unwrap();
        let ms = |d: i64| (s.app.now() - Duration::days(d)).unix_timestamp() * 1000;
        for sql in [
            format!("UPDATE accounts SET last_sign_in_at = {}", ms(1)),
            format!(
                "UPDATE accounts SET last_sign_in_at = {} WHERE login = 'clerk'",
                ms(210)
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *c)
                .await
                .unwrap();
        }
    }
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf_from("/access-reviews").await;
    let (st, _, to) = c
        .post_form(
            "/access-reviews",
            &[
                ("_csrf", &csrf),
                ("name", "臺南市 115 年下半年權限清查"),
                ("scope_kind", "city"),
                ("deadline", &day(&s, 21)),
                ("on_expiry", "revoke"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    assert!(
        to.starts_with("/access-reviews/") && to.ends_with("?ok=opened"),
        "{to}"
    );
    let (st, page) = c.get(&to).await;
    assert_eq!(st, 200);
    assert!(page.contains("權限清查已開始"), "{page}");
    // The clerk, unused for seven months, is listed first and marked.
    let body = &page[page.find("<tbody>").unwrap()..];
    let first = &body[body.find("<tr").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(first.starts_with("<tr class=\"attention\""), "{first}");
    assert!(
        first.contains("陳文書") && first.contains("逾六個月未使用"),
        "{first}"
    );
    assert_eq!(
        body.matches("<tr class=\"attention\"").count(),
        body[..body.find("</tbody>").unwrap()]
            .matches("陳文書（clerk）")
            .count()
    );
    // Keep every custody item in one batch.
    let id: i64 = common::between(&to, "/access-reviews/", "?")
        .parse()
        .unwrap();
    let custody: Vec<String> = items(&s, id)
        .await
        .iter()
        .filter(|i| i.kind == ItemKind::Custodian)
        .map(|i| i.id.to_string())
        .collect();
    let mut form: Vec<(&str, &str)> = custody.iter().map(|i| ("items", i.as_str())).collect();
    form.extend([
        ("_csrf", csrf.as_str()),
        ("action", "keep"),
        ("note", "仍負責保管"),
    ]);
    let (st, _, back) = c.post_form(&format!("/access-reviews/{id}"), &form).await;
    assert_eq!(st, 303);
    assert_eq!(
        back,
        format!("/access-reviews/{id}?ok=kept&n={}", custody.len())
    );
    let (_, page) = c.get(&back).await;
    assert!(
        page.contains(&format!("已保留 {} 項權限", custody.len())),
        "the flash counts them"
    );
    let (_, page) = c.get(&format!("/access-reviews/{id}?state=decided")).await;
    assert!(page.contains("仍負責保管"), "{page}");
}

/// A unit admin reviews the unit's people, never the rights of the agency
/// admin over them: those go to the system admins, and a guessed id names
/// nobody.
#[tokio::test]
async fn a_unit_admin_neither_sees_nor_decides_the_rights_of_those_above_them() {
    let s = TestServer::start(60).await;
    s.clock.advance(Duration::days(22));
    s.app.close_due_campaigns(&DEADLINE).await.unwrap();
    // 民政局's agency admin holds a member category, as a person of 行政科.
    const GRANT: Unattended = Unattended::unattended("the test's grant");
    let civil = s.account_id("civil_admin").await;
    let category = count(&s, "SELECT id FROM member_categories WHERE code = 'plnusr'").await;
    {
        let mut c = s.app.db.read().await.unwrap();
        portico_store::access::grant_directly(
            &mut c,
            GRANT.access(portico_core::ids::AccountId(civil)),
            portico_core::access::Step::Category,
            category,
            None,
            s.app.now(),
        )
        .await
        .unwrap();
    }
    let unit = count(
        &s,
        "SELECT u.id FROM org_units u JOIN org_units a ON a.id = u.agency_id \
         WHERE a.name = '民政局' AND u.name = '行政科'",
    )
    .await;
    let who = s.principal_of("civil_admin").await;
    let id = s
        .app
        .open_campaign(
            &who,
            &OpenInput {
                name: "行政科權限清查".into(),
                scope_kind: "unit".into(),
                unit: Some(unit),
                deadline: day(&s, 14),
                on_expiry: "flag".into(),
                ..Default::default()
            },
            &ctx(),
        )
        .await
        .unwrap();
    let all = items(&s, id).await;
    let hers = find(&all, "civil_admin", ItemKind::Category);
    assert_eq!(hers.reviewer, portico_core::certification::Reviewer::System);
    // Not on the unit admin's list, not theirs to decide, and not named.
    let unit_admin = s.principal_of("unit_admin").await;
    let f = ViewFilter {
        state: "any".into(),
        ..Default::default()
    };
    let seen = s.app.campaign(&unit_admin, id, &f).await;
    assert!(
        seen.as_ref()
            .map(|v| v.items.items.iter().all(|i| i.item.login != "civil_admin"))
            .unwrap_or(true),
        "{seen:?}"
    );
    let out = s
        .app
        .decide_items(&unit_admin, id, &[hers.id], &Action::Revoke, "", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_some());
    assert_eq!(
        out[0].label,
        format!("#{}", hers.id),
        "a guessed id names nobody"
    );
    assert_eq!(item(&s, id, hers.id).await.decision, None);
    // The system admin decides it.
    assert_eq!(
        decide(&s, "admin", id, &[hers.id], Action::Keep).await,
        vec![None]
    );
}
