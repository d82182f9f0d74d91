//! Issue 16 through the real use cases: venues made by admins and kept by
//! their custodians, booked within their hours by those allowed, approved
//! once — never twice, however many approve at once — and cancelled.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::bookings::WeekCell;
use portico_core::Error;
use portico_core::booking::{Kind, State, VenueInput, VenueRequestInput};
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

async fn agency(s: &TestServer, name: &str) -> i64 {
    count(
        s,
        &format!("SELECT id FROM org_units WHERE name = '{name}' AND kind = 'agency'"),
    )
    .await
}

/// The demo's meeting room of 民政局, kept by unit_admin and clerk.
async fn civil_room(s: &TestServer) -> i64 {
    count(s, "SELECT id FROM venues WHERE name = '第一會議室'").await
}

/// A weekday at least a week ahead, in Taipei.
fn weekday_ahead(s: &TestServer) -> String {
    let mut d = portico_core::booking::today(s.app.now()) + Duration::days(8);
    while d.weekday().number_days_from_monday() > 4 {
        d += Duration::days(1);
    }
    portico_core::time::date_str(d)
}

fn request(date: &str, from: &str, until: &str, people: &str) -> VenueRequestInput {
    VenueRequestInput {
        date: date.into(),
        from: from.into(),
        until: until.into(),
        phone: "06-2991111".into(),
        ext: "8123".into(),
        unit_id: None,
        people: people.into(),
        host: "王小明".into(),
        purpose: "業務協調會議".into(),
    }
}

fn room(agency: i64) -> VenueInput {
    VenueInput {
        location: "永華市政中心".into(),
        floor: "9樓".into(),
        name: "第九會議室".into(),
        agency_id: Some(agency),
        capacity: "30".into(),
        open_from: "8".into(),
        open_until: "18".into(),
        open_days: "1111100".into(),
        borrowers: "city".into(),
        public: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn venues_are_made_by_system_and_agency_admins_with_a_custodian() {
    let s = TestServer::start(60).await;
    let civil = agency(&s, "民政局").await;
    let edu = agency(&s, "教育局").await;
    let (civil_admin, unit_admin) = (
        s.principal_of("civil_admin").await,
        s.principal_of("unit_admin").await,
    );
    let id = s
        .app
        .create_venue(&civil_admin, &room(civil), "staff", &ctx())
        .await
        .unwrap();
    let v = s.app.venue_kept(&civil_admin, id).await.unwrap();
    assert_eq!((v.capacity, v.custodians[0].login.as_str()), (30, "staff"));
    // Not for another agency, and not by a unit admin.
    assert!(matches!(
        s.app
            .create_venue(&civil_admin, &room(edu), "staff", &ctx())
            .await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app
            .create_venue(&unit_admin, &room(civil), "staff", &ctx())
            .await,
        Err(Error::Forbidden)
    ));
    // Every wrong field at once, the custodian's too.
    let r = s
        .app
        .create_venue(&civil_admin, &VenueInput::default(), "nobody_here", &ctx())
        .await;
    let Err(Error::Invalid(e)) = r else {
        panic!("{r:?}")
    };
    let fields: Vec<_> = e.iter().map(|f| f.field).collect();
    for f in ["location", "name", "capacity", "borrowers", "custodian"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // The custodian keeps it; an admin of another agency does not.
    let staff = s.principal_of("staff").await;
    assert!(s.app.venue_kept(&staff, id).await.is_ok());
    let edu_admin = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app.venue_kept(&edu_admin, id).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_custodian_change_is_recorded_with_its_reason() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let unit_admin = s.principal_of("unit_admin").await;
    s.app
        .set_custodian(
            &unit_admin,
            Kind::Venue,
            id,
            2,
            "staff",
            "陳文書調任，改由王小明協助",
            &ctx(),
        )
        .await
        .unwrap();
    let v = s.app.venue_kept(&unit_admin, id).await.unwrap();
    assert_eq!(v.custodians[1].login, "staff");
    let log = s
        .app
        .custodian_changes(&unit_admin, Kind::Venue, id, (None, None))
        .await
        .unwrap();
    assert_eq!(log[0].to_name.as_deref(), Some("王小明"));
    assert_eq!(log[0].from_name.as_deref(), Some("陳文書"));
    assert!(log[0].reason.contains("調任"));
    // Place 1 is never emptied; the same person twice is refused.
    assert!(matches!(
        s.app
            .set_custodian(&unit_admin, Kind::Venue, id, 1, "", "離職", &ctx())
            .await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        s.app
            .set_custodian(&unit_admin, Kind::Venue, id, 1, "staff", "同一人", &ctx())
            .await,
        Err(Error::Invalid(_))
    ));
    // The old custodian keeps it no more.
    let clerk = s.principal_of("clerk").await;
    assert!(s.app.venue_kept(&clerk, id).await.is_err());
}

#[tokio::test]
async fn a_venue_is_booked_within_its_hours_and_approved_once() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let staff = s.principal_of("staff").await;
    let day = weekday_ahead(&s);
    let a = s
        .app
        .request_venue(&staff, id, &request(&day, "9", "11", "10"), &ctx())
        .await
        .unwrap();
    // An overlapping request may wait beside it.
    let b = s
        .app
        .request_venue(&staff, id, &request(&day, "10", "12", "10"), &ctx())
        .await
        .unwrap();
    // The custodian was told.
    let (subject, _) = s
        .last_message_to("unit_admin@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("場地借用申請"), "{subject}");
    let keeper = s.principal_of("unit_admin").await;
    let out = s
        .app
        .decide_bookings(&keeper, Kind::Venue, &[a, b], true, "", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none(), "{out:?}");
    assert!(
        out[1]
            .refused
            .as_ref()
            .is_some_and(|m| m.zh.contains("已核准給另一筆")),
        "{out:?}"
    );
    assert_eq!(
        count(
            &s,
            &format!("SELECT COUNT(*) FROM bookings WHERE id IN ({a}, {b}) AND state = 'approved'")
        )
        .await,
        1
    );
    // The applicant heard; the week shows the hours held.
    let (subject, _) = s
        .last_message_to("staff@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("核准"), "{subject}");
    let date = portico_core::time::parse_date(&day).unwrap();
    let week = s.app.venue_week(&staff, id, date).await.unwrap();
    let d = week.days.iter().position(|x| *x == date).unwrap();
    let h = |hour: u8| week.hours.iter().position(|x| *x == hour).unwrap();
    assert_eq!(week.cells[d][h(9)], WeekCell::Held);
    assert_eq!(
        week.cells[d][h(11)],
        WeekCell::Asked,
        "the other still waits"
    );
    assert_eq!(week.cells[d][h(13)], WeekCell::Free);
    // The second is rejected with why; without why it is refused.
    assert!(matches!(
        s.app
            .decide_bookings(&keeper, Kind::Venue, &[b], false, "", &ctx())
            .await,
        Err(Error::Invalid(_))
    ));
    let out = s
        .app
        .decide_bookings(&keeper, Kind::Venue, &[b], false, "該時段已借出", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none());
    // Cancelled, the hours are free again.
    s.app.cancel_booking(&staff, a, &ctx()).await.unwrap();
    let week = s.app.venue_week(&staff, id, date).await.unwrap();
    assert_eq!(week.cells[d][h(9)], WeekCell::Free);
    let mine = s
        .app
        .my_bookings(
            &staff,
            Kind::Venue,
            "",
            &[State::Cancelled],
            (None, None),
            1,
        )
        .await
        .unwrap();
    assert!(mine.items.iter().any(|x| x.id == a));
}

#[tokio::test]
async fn a_hundred_custodians_approving_overlapping_requests_approve_one() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let staff = s.principal_of("staff").await;
    let day = weekday_ahead(&s);
    let mut ids = Vec::new();
    for k in 0..100 {
        let (from, until) = [("9", "11"), ("10", "12"), ("10", "11"), ("8", "18")][k % 4];
        ids.push(
            s.app
                .request_venue(&staff, id, &request(&day, from, until, "5"), &ctx())
                .await
                .unwrap(),
        );
    }
    let keeper = s.principal_of("unit_admin").await;
    let tasks: Vec<_> = ids
        .iter()
        .map(|b| {
            let (app, keeper, b) = (s.app.clone(), keeper.clone(), *b);
            tokio::spawn(async move {
                app.decide_bookings(&keeper, Kind::Venue, &[b], true, "", &ctx())
                    .await
                    .map(|o| o[0].refused.is_none())
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one approval takes the hours");
    assert_eq!(
        // Among these requests only: the demo's own bookings of the room may
        // fall on the same days, depending on the date the test runs.
        count(&s, &format!("SELECT COUNT(*) FROM bookings WHERE item_id = {id} AND kind = 'venue' AND state = 'approved' AND id IN ({})", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))).await,
        1
    );
}

#[tokio::test]
async fn outside_hours_over_capacity_or_not_allowed_is_refused_with_why() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let staff = s.principal_of("staff").await;
    let day = weekday_ahead(&s);
    for (r, field, words) in [
        (request(&day, "7", "9", "5"), "until", "開放借用時間"),
        (request(&day, "9", "10", "41"), "people", "容納人數 40"),
        (request("2020-01-06", "9", "10", "5"), "date", "尚未開始"),
    ] {
        let got = s.app.request_venue(&staff, id, &r, &ctx()).await;
        let Err(Error::Invalid(e)) = got else {
            panic!("{got:?}")
        };
        assert!(
            e.iter()
                .any(|f| f.field == field && f.message.zh.contains(words)),
            "{field}: {e:?}"
        );
    }
    // 民政局's room is for its own people: 教育局's admin is not offered it.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app
            .request_venue(&edu, id, &request(&day, "9", "10", "5"), &ctx())
            .await,
        Err(Error::NotFound)
    ));
    assert!(
        s.app
            .borrowable_venues(&edu, "")
            .await
            .unwrap()
            .iter()
            .all(|v| v.id != id)
    );
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) FROM bookings WHERE item_id = {id} AND account_id IN (SELECT id FROM accounts WHERE login IN ('staff', 'edu_admin')) AND starts_at > 0 AND purpose = '業務協調會議'")).await,
        0
    );
}

#[tokio::test]
async fn a_custodian_decides_only_the_venues_they_keep() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let staff = s.principal_of("staff").await;
    let day = weekday_ahead(&s);
    let b = s
        .app
        .request_venue(&staff, id, &request(&day, "13", "14", "5"), &ctx())
        .await
        .unwrap();
    for who in ["edu_admin", "staff", "stat_mgr"] {
        let p = s.principal_of(who).await;
        let out = s
            .app
            .decide_bookings(&p, Kind::Venue, &[b], true, "", &ctx())
            .await
            .unwrap();
        assert!(out[0].refused.is_some(), "{who}");
        assert_eq!(out[0].label, format!("#{b}"), "{who}: names nothing");
    }
    // 民政局's agency admin may, over its agency.
    let civil = s.principal_of("civil_admin").await;
    let out = s
        .app
        .decide_bookings(&civil, Kind::Venue, &[b], true, "", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none(), "{out:?}");
}

#[tokio::test]
async fn postgresql_itself_refuses_overlapping_approved_bookings() {
    // The slot rows hold the rule on both databases; PostgreSQL's
    // exclusion constraint holds it besides, even for a write that skips
    // the slots.
    if std::env::var("PORTICO_TEST_PG").is_err() {
        return;
    }
    let s = TestServer::start(20).await;
    let id = civil_room(&s).await;
    let staff = count(&s, "SELECT id FROM accounts WHERE login = 'staff'").await;
    let unit = agency(&s, "民政局").await;
    let insert = |from: i64, until: i64| {
        format!(
            "INSERT INTO bookings (kind, item_id, account_id, unit_id, starts_at, ends_at, phone, people, purpose, state, created_at) \
             VALUES ('venue', {id}, {staff}, {unit}, {from}, {until}, '1', 1, 'x', 'approved', 0)"
        )
    };
    let mut c = s.app.db.read().await.unwrap();
    let base = 4_000_000_000_000_i64;
    sqlx::query(sqlx::AssertSqlSafe(insert(base, base + 7_200_000)))
        .execute(&mut *c)
        .await
        .unwrap();
    let r = sqlx::query(sqlx::AssertSqlSafe(insert(
        base + 3_600_000,
        base + 10_800_000,
    )))
    .execute(&mut *c)
    .await;
    assert!(r.is_err(), "the exclusion constraint refuses the overlap");
    sqlx::query(sqlx::AssertSqlSafe(insert(
        base + 7_200_000,
        base + 10_800_000,
    )))
    .execute(&mut *c)
    .await
    .expect("touching hours do not overlap");
}

#[tokio::test]
async fn a_venue_is_booked_and_approved_through_the_pages() {
    let s = TestServer::start(60).await;
    let id = civil_room(&s).await;
    let day = weekday_ahead(&s);
    let mut staff = s.signed_in("staff").await;
    let (st, page) = staff.get("/venues").await;
    assert_eq!(st, 200);
    assert!(page.contains("第一會議室"), "offered to 民政局's people");
    let (st, page) = staff
        .get(&format!("/venues/{id}?date={day}&from=9&until=11"))
        .await;
    assert_eq!(st, 200);
    assert!(
        page.contains("申請資訊") && page.contains("可借用時段"),
        "{page}"
    );
    let csrf = staff.csrf().await;
    let path = format!("/venues/{id}");
    let form = |people: &'static str, csrf: &str| {
        vec![
            ("_csrf".to_owned(), csrf.to_owned()),
            ("date".to_owned(), day.clone()),
            ("from".to_owned(), "9".to_owned()),
            ("until".to_owned(), "11".to_owned()),
            ("phone".to_owned(), "06-2991111".to_owned()),
            ("ext".to_owned(), "8123".to_owned()),
            ("people".to_owned(), people.to_owned()),
            ("host".to_owned(), "王小明".to_owned()),
            ("purpose".to_owned(), "業務協調會議".to_owned()),
        ]
    };
    let f = form("99", &csrf);
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (st, body, _) = staff.post_form(&path, &refs).await;
    assert_eq!(st, 422);
    assert!(body.contains("超過場地容納人數 40 人"), "{body}");
    let f = form("12", "forged");
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(staff.post_form(&path, &refs).await.0, 409);
    let f = form("12", &csrf);
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (st, _, to) = staff.post_form(&path, &refs).await;
    assert_eq!((st, to.as_str()), (303, "/bookings?ok=requested"));
    let (_, mine) = staff.get(&to).await;
    assert!(
        mine.contains("申請已送出") && mine.contains("業務協調會議"),
        "{mine}"
    );
    // Kept as a spreadsheet, in the form's words.
    for format in ["xlsx", "ods"] {
        let (st, book) = staff
            .get_bytes(&format!("/bookings/export?state=pending&format={format}"))
            .await;
        assert_eq!(st, 200, "{format}");
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][0], "使用場地");
        assert!(
            rows.iter()
                .any(|r| r.iter().any(|c| c == "業務協調會議") && r.iter().any(|c| c == "審核中")),
            "{format}: {rows:?}"
        );
    }
    // The custodian approves it from the queue.
    let b = count(
        &s,
        &format!("SELECT MAX(id) FROM bookings WHERE item_id = {id}"),
    )
    .await;
    let mut keeper = s.signed_in("unit_admin").await;
    let (st, queue) = keeper.get("/items/venue-requests").await;
    assert_eq!(st, 200);
    assert!(queue.contains(&format!("value=\"{b}\"")), "{queue}");
    let csrf = keeper.csrf().await;
    let (st, _, to) = keeper
        .post_form(
            "/items/venue-requests",
            &[
                ("_csrf", &csrf),
                ("ids", &b.to_string()),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/items/venue-requests?ok=approved&n=1")
    );
    // Another agency's admin is not offered the room at all.
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(edu.get(&format!("/venues/{id}")).await.0, 404);
    let (_, queue) = edu.get("/items/venue-requests").await;
    assert!(!queue.contains(&format!("value=\"{b}\"")));
}

#[tokio::test]
async fn an_agency_admin_adds_and_keeps_a_venue_through_the_pages() {
    let s = TestServer::start(60).await;
    let civil = agency(&s, "民政局").await.to_string();
    let mut admin = s.signed_in("civil_admin").await;
    let csrf = admin.csrf().await;
    let base = vec![
        ("_csrf", csrf.as_str()),
        ("location", "永華市政中心"),
        ("floor", "11樓"),
        ("name", "第二會議室"),
        ("agency_id", civil.as_str()),
        ("capacity", "20"),
        ("open_from", "8"),
        ("open_until", "18"),
        ("day", "0"),
        ("day", "1"),
        ("day", "2"),
        ("public", "1"),
        ("borrowers", "agency"),
        ("custodian", "staff"),
    ];
    // Bad input: named by field, nothing made.
    let mut bad = base.clone();
    bad.retain(|(k, _)| *k != "name" && *k != "capacity");
    bad.push(("capacity", "many"));
    let before = count(&s, "SELECT COUNT(*) FROM venues").await;
    let (st, body, _) = admin.post_form("/items/venues", &bad).await;
    assert_eq!(st, 422);
    assert!(
        body.contains("容納人數請輸入 1 到") && body.contains("v-name-err"),
        "{body}"
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM venues").await, before);
    let (st, _, to) = admin.post_form("/items/venues", &base).await;
    assert_eq!(st, 303);
    assert!(to.ends_with("?ok=created"), "{to}");
    let id: i64 = common::between(&to, "/items/venues/", "?").parse().unwrap();
    let (st, page) = admin.get(&to).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("場地已新增") && page.contains("王小明（staff）"),
        "{page}"
    );
    // Open Monday to Wednesday only, as ticked.
    assert_eq!(
        count(&s, &format!("SELECT open_days FROM venues WHERE id = {id}")).await,
        0b111
    );
    // A second custodian, with the reason; the log exports.
    let (st, _, _) = admin
        .post_form(
            &format!("/items/venues/{id}/custodian"),
            &[
                ("_csrf", &csrf),
                ("position", "2"),
                ("to", "clerk"),
                ("reason", "協助保管會議室"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    for format in ["xlsx", "ods"] {
        let (st, book) = admin
            .get_bytes(&format!("/items/venues/{id}/changes?format={format}"))
            .await;
        assert_eq!(st, 200, "{format}");
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][0], "執行時間");
        assert!(
            rows.iter().any(|r| r.iter().any(|c| c == "協助保管會議室")),
            "{rows:?}"
        );
    }
    // The custodian lists it; another agency's admin does not reach it;
    // a person keeping nothing cannot add one.
    let mut staff = s.signed_in("staff").await;
    let (_, list) = staff.get("/items/venues").await;
    assert!(list.contains("第二會議室"), "{list}");
    assert_eq!(staff.get("/items/venues/new").await.0, 403);
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(edu.get(&format!("/items/venues/{id}")).await.0, 404);
    let ecsrf = edu.csrf().await;
    assert_eq!(
        edu.post_form(&format!("/items/venues/{id}/remove"), &[("_csrf", &ecsrf)])
            .await
            .0,
        404
    );
    // Removed by its admin, it is offered no more.
    let (st, _, _) = admin
        .post_form(&format!("/items/venues/{id}/remove"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 303);
    let (_, offered) = staff.get("/venues").await;
    assert!(!offered.contains("第二會議室"));
}

/// A person who alone keeps a venue is not disabled until someone else
/// keeps it (as for mail accounts): the refusal names the venue.
#[tokio::test]
async fn a_venues_only_custodian_is_not_disabled_until_another_keeps_it() {
    let s = TestServer::start(60).await;
    let civil = agency(&s, "民政局").await;
    let admin = s.principal_of("civil_admin").await;
    let id = s
        .app
        .create_venue(&admin, &room(civil), "staff", &ctx())
        .await
        .unwrap();
    let staff = portico_core::ids::AccountId(s.account_id("staff").await);
    let r = s.app.disable_account(&admin, staff, "離職", &ctx()).await;
    assert!(
        matches!(&r, Err(Error::Refused(m)) if m.zh.contains("第九會議室") && m.zh.contains("唯一的保管人")),
        "{r:?}"
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM accounts WHERE login = 'staff' AND state = 'active'"
        )
        .await,
        1
    );
    s.app
        .set_custodian(
            &admin,
            Kind::Venue,
            id,
            2,
            "clerk",
            "王小明離職，改由陳文書保管",
            &ctx(),
        )
        .await
        .unwrap();
    s.app
        .disable_account(&admin, staff, "離職", &ctx())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_venue_not_public_is_hidden_from_borrowers_and_kept_by_its_keepers() {
    let s = TestServer::start(60).await;
    let civil = agency(&s, "民政局").await;
    let civil_admin = s.principal_of("civil_admin").await;
    let mut input = room(civil);
    input.public = false;
    let id = s
        .app
        .create_venue(&civil_admin, &input, "clerk", &ctx())
        .await
        .unwrap();
    // 是否公開 否: not offered, not booked, no photos or feed for borrowers.
    let staff = s.principal_of("staff").await;
    let listed = s.app.borrowable_venues(&staff, "").await.unwrap();
    assert!(!listed.iter().any(|v| v.id == id), "not offered");
    let day = weekday_ahead(&s);
    assert!(matches!(
        s.app
            .request_venue(&staff, id, &request(&day, "9", "10", "5"), &ctx())
            .await,
        Err(Error::NotFound)
    ));
    assert!(
        s.app
            .item_photo_places(&staff, Kind::Venue, id)
            .await
            .is_err()
    );
    // Its keepers still see and manage it.
    let clerk = s.principal_of("clerk").await;
    assert!(!s.app.venue_kept(&clerk, id).await.unwrap().public);
    assert!(
        s.app
            .item_photo_places(&clerk, Kind::Venue, id)
            .await
            .is_ok()
    );
    // Made public, it is offered.
    input.public = true;
    s.app
        .update_venue(&civil_admin, id, &input, &ctx())
        .await
        .unwrap();
    let listed = s.app.borrowable_venues(&staff, "").await.unwrap();
    assert!(listed.iter().any(|v| v.id == id));
    // A listed agency that is no agency is the form's fault, on its field.
    input.borrowers = "agency_and".into();
    input.agencies = vec![999_999];
    let Err(Error::Invalid(e)) = s.app.update_venue(&civil_admin, id, &input, &ctx()).await else {
        panic!("an unknown agency is refused");
    };
    assert_eq!(e[0].field, "agencies");
    // A year ahead at most.
    let far = portico_core::time::date_str(
        portico_core::booking::today(s.app.now()) + Duration::days(400),
    );
    let Err(Error::Invalid(e)) = s
        .app
        .request_venue(&staff, id, &request(&far, "9", "10", "5"), &ctx())
        .await
    else {
        panic!("too far ahead");
    };
    assert!(e.iter().any(|f| f.message.zh.contains("一年內")), "{e:?}");
}

#[tokio::test]
async fn the_borrowing_unit_is_the_agency_unless_a_unit_the_person_belongs_to_is_chosen() {
    let s = TestServer::start(60).await;
    let room = civil_room(&s).await;
    let staff = s.principal_of("staff").await;
    let units = s.app.borrowing_units(&staff).await.unwrap();
    assert!(
        units.len() >= 2,
        "the agency and the person's unit: {units:?}"
    );
    assert_eq!(units[0].1, "民政局", "the agency first");
    let (own, own_name) = units.last().unwrap().clone();
    let day = weekday_ahead(&s);
    let mut r = request(&day, "14", "15", "5");
    r.unit_id = Some(own);
    let id = s.app.request_venue(&staff, room, &r, &ctx()).await.unwrap();
    let unit = count(&s, &format!("SELECT unit_id FROM bookings WHERE id = {id}")).await;
    assert_eq!(unit, own, "{own_name}");
    // A unit of another agency is refused on its field.
    let edu = agency(&s, "教育局").await;
    r.unit_id = Some(edu);
    r.from = "15".into();
    r.until = "16".into();
    let Err(Error::Invalid(e)) = s.app.request_venue(&staff, room, &r, &ctx()).await else {
        panic!("another agency is not the person's");
    };
    assert_eq!(e[0].field, "unit_id");
    assert!(e[0].message.zh.contains("借用單位須為"), "{e:?}");
    // The page offers the choice.
    let mut page = s.signed_in("staff").await;
    let (st, html) = page
        .get(&format!("/venues/{room}?date={day}&from=9&until=10"))
        .await;
    assert_eq!(st, 200);
    assert!(
        html.contains(r#"name="unit_id""#) && html.contains(&own_name),
        "{html}"
    );
}
