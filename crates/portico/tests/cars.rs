//! Issue 16's official cars and drivers through the real use cases and
//! pages: a car booked with a driver takes the car's hours and the
//! driver's, so a driver is never dispatched twice at once across cars;
//! only free drivers are offered; passengers within the limit; the car's
//! custodian decides, the driver's manager is told; records by date,
//! exported.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_core::Error;
use portico_core::booking::{CarInput, CarRequestInput, Kind, State};
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

/// The demo's sedan of 民政局 (kept by clerk and unit_admin, driven by 陳建宏).
async fn sedan(s: &TestServer) -> i64 {
    count(s, "SELECT id FROM cars WHERE plate = 'ABC-1234'").await
}

async fn bus(s: &TestServer) -> i64 {
    count(s, "SELECT id FROM cars WHERE plate = 'KAA-3021'").await
}

async fn chen(s: &TestServer) -> i64 {
    count(s, "SELECT id FROM drivers WHERE name = '陳建宏'").await
}

/// A weekday two weeks ahead (clear of the demo's requests), in Taipei.
fn weekday_ahead(s: &TestServer) -> String {
    let mut d = portico_core::booking::today(s.app.now()) + Duration::days(15);
    while d.weekday().number_days_from_monday() > 4 {
        d += Duration::days(1);
    }
    portico_core::time::date_str(d)
}

fn request(date: &str, from: &str, until: &str, driver: Option<i64>) -> CarRequestInput {
    CarRequestInput {
        date: date.into(),
        from: from.into(),
        until: until.into(),
        with_driver: if driver.is_some() { "yes" } else { "no" }.into(),
        driver_id: driver,
        phone: "06-2991111".into(),
        ext: "8123".into(),
        unit_id: None,
        purpose: "業務訪視".into(),
        people: "2".into(),
        destination: "安南區公所".into(),
    }
}

fn field(e: Error) -> Vec<(&'static str, String)> {
    match e {
        Error::Invalid(v) => v
            .into_iter()
            .map(|f| (f.field, f.message.zh.to_string()))
            .collect(),
        other => panic!("not invalid: {other:?}"),
    }
}

#[tokio::test]
async fn a_driver_is_never_dispatched_twice_at_once_across_cars() {
    let s = TestServer::start(60).await;
    let (sedan, bus, chen) = (sedan(&s).await, bus(&s).await, chen(&s).await);
    // 陳建宏 may drive the minibus too.
    let admin = s.principal_of("admin").await;
    let mut input = car_input_of(&s, bus).await;
    input.drivers.push(chen);
    s.app.update_car(&admin, bus, &input, &ctx()).await.unwrap();
    let day = weekday_ahead(&s);
    let staff = s.principal_of("staff").await;
    let span = |f: u8, u: u8| portico_core::booking::Span {
        date: portico_core::time::parse_date(&day).unwrap(),
        from: f,
        until: u,
    };
    assert!(
        s.app
            .free_drivers(&staff, sedan, Some(span(9, 12)))
            .await
            .unwrap()
            .iter()
            .any(|d| d.id == chen)
    );
    // Two requests for him at overlapping hours, on two cars: both wait.
    let a = s
        .app
        .request_car(&staff, sedan, &request(&day, "9", "12", Some(chen)), &ctx())
        .await
        .unwrap();
    let b = s
        .app
        .request_car(&staff, bus, &request(&day, "11", "13", Some(chen)), &ctx())
        .await
        .unwrap();
    // The sedan's custodian approves theirs: his hours are taken.
    let clerk = s.principal_of("clerk").await;
    let out = s
        .app
        .decide_bookings(&clerk, Kind::Car, &[a], true, "", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none(), "{:?}", out[0].refused);
    // The driver's manager (unit_admin) was told of the dispatch.
    let (subject, body) = s
        .last_message_to("unit_admin@mail.tainan.gov.tw")
        .await
        .expect("the manager is mailed");
    assert!(subject.contains("派遣通知"), "{subject}");
    assert!(body.contains("安南區公所"), "{body}");
    // The minibus's custodian cannot approve the overlapping one: the
    // database holds his hours.
    let out = s
        .app
        .decide_bookings(&admin, Kind::Car, &[b], true, "", &ctx())
        .await
        .unwrap();
    let why = out[0].refused.as_ref().expect("refused").zh.to_string();
    assert!(why.contains("已核准給另一筆"), "{why}");
    assert_eq!(
        count(
            &s,
            &format!("SELECT COUNT(*) FROM bookings WHERE id = {b} AND state = 'pending'")
        )
        .await,
        1,
        "nothing changed"
    );
    // He is no longer offered for those hours, and asking for him anyway is
    // refused with why.
    let free = s
        .app
        .free_drivers(&staff, bus, Some(span(10, 11)))
        .await
        .unwrap();
    assert!(!free.iter().any(|d| d.id == chen), "{free:?}");
    let e = s
        .app
        .request_car(&staff, bus, &request(&day, "10", "11", Some(chen)), &ctx())
        .await
        .unwrap_err();
    assert!(
        field(e)
            .iter()
            .any(|(f, m)| *f == "driver_id" && m.contains("已有派遣")),
    );
    // After his booking, he is free again.
    assert!(
        s.app
            .free_drivers(&staff, bus, Some(span(12, 14)))
            .await
            .unwrap()
            .iter()
            .any(|d| d.id == chen)
    );
    // The dispatch is in his 派遣紀錄, for his manager.
    let unit_admin = s.principal_of("unit_admin").await;
    let rec = s
        .app
        .item_records(&unit_admin, Kind::Driver, chen, (None, None))
        .await
        .unwrap();
    assert!(rec.iter().any(|r| r.id == a), "{rec:?}");
}

async fn car_input_of(s: &TestServer, id: i64) -> CarInput {
    let admin = s.principal_of("admin").await;
    let v = s.app.car_kept(&admin, id).await.unwrap();
    CarInput {
        location: v.location,
        car_type: v.car_type,
        plate: v.plate,
        passengers: v.passengers.to_string(),
        agency_id: Some(v.agency_id),
        brand: v.brand,
        year: v.year.to_string(),
        displacement: v.displacement.to_string(),
        number: v.number,
        open_from: v.opening.from.to_string(),
        open_until: v.opening.until.to_string(),
        open_days: (0..7)
            .map(|i| {
                if v.opening.days & (1 << i) != 0 {
                    '1'
                } else {
                    '0'
                }
            })
            .collect(),
        note: v.note,
        public: v.public,
        borrowers: v.borrowers.as_str().into(),
        agencies: v.agencies,
        drivers: v.drivers.iter().map(|d| d.id).collect(),
    }
}

#[tokio::test]
async fn passengers_over_the_limit_hours_outside_or_a_missing_driver_are_refused_with_why() {
    let s = TestServer::start(60).await;
    let sedan = sedan(&s).await;
    let staff = s.principal_of("staff").await;
    let day = weekday_ahead(&s);
    let mut r = request(&day, "7", "9", None);
    r.people = "9".into();
    r.with_driver = "yes".into();
    r.destination = " ".into();
    let e = s
        .app
        .request_car(&staff, sedan, &r, &ctx())
        .await
        .unwrap_err();
    let f = field(e);
    let has = |name: &str, text: &str| f.iter().any(|(n, m)| *n == name && m.contains(text));
    assert!(has("until", "8:00 - 18:00"), "{f:?}");
    assert!(has("people", "乘客人數上限 4 人"), "{f:?}");
    assert!(has("driver_id", "請選擇派遣司機"), "{f:?}");
    assert!(has("destination", "必填"), "{f:?}");
    assert_eq!(
        count(
            &s,
            &format!("SELECT COUNT(*) FROM bookings WHERE item_id = {sedan} AND kind = 'car'")
        )
        .await,
        2,
        "only the demo's two requests"
    );
    // 民政局's sedan is not lent to 教育局's people: not even found.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app
            .request_car(&edu, sedan, &request(&day, "9", "10", None), &ctx())
            .await,
        Err(Error::NotFound)
    ));
    // A duplicate plate is refused on the plate.
    let admin = s.principal_of("admin").await;
    let mut twin = car_input_of(&s, sedan).await;
    twin.drivers.clear();
    let e = s
        .app
        .create_car(&admin, &twin, "clerk", &ctx())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Conflict { field: "plate", message } if message.zh.contains("相同車號")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_car_is_kept_only_by_its_custodians_and_the_admins_over_its_agency() {
    let s = TestServer::start(60).await;
    let sedan = sedan(&s).await;
    let chen = chen(&s).await;
    let pending = count(
        &s,
        &format!(
            "SELECT id FROM bookings WHERE item_id = {sedan} AND kind = 'car' AND state = 'pending'"
        ),
    )
    .await;
    // 教育局's admin neither sees nor decides 民政局's car, nor manages its driver.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app.car_kept(&edu, sedan).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.driver_kept(&edu, chen).await,
        Err(Error::NotFound)
    ));
    let out = s
        .app
        .decide_bookings(&edu, Kind::Car, &[pending], true, "", &ctx())
        .await
        .unwrap();
    assert_eq!(
        out[0].label,
        format!("#{pending}"),
        "a guessed id names nothing"
    );
    assert!(out[0].refused.is_some());
    assert!(matches!(
        s.app
            .set_custodian(&edu, Kind::Car, sedan, 2, "staff", "接手保管", &ctx())
            .await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.remove_item(&edu, Kind::Driver, chen, &ctx()).await,
        Err(Error::NotFound)
    ));
    // Nor a plain person, through the pages.
    let mut staff = s.signed_in("staff").await;
    assert_eq!(staff.get(&format!("/items/cars/{sedan}")).await.0, 404);
    assert_eq!(
        staff
            .get(&format!("/items/drivers/{chen}/records?format=xlsx"))
            .await
            .0,
        404
    );
    assert_eq!(
        staff
            .get(&format!("/items/boats/{sedan}/changes?format=xlsx"))
            .await
            .0,
        404
    );
    let (st, _) = staff.get("/items/cars/new").await;
    assert_eq!(st, 403, "only admins make cars");
    // Its custodian rejects with a reason; the applicant is told.
    let clerk = s.principal_of("clerk").await;
    let e = s
        .app
        .decide_bookings(&clerk, Kind::Car, &[pending], false, "", &ctx())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid(_)));
    let out = s
        .app
        .decide_bookings(&clerk, Kind::Car, &[pending], false, "當日已派外勤", &ctx())
        .await
        .unwrap();
    assert!(out[0].refused.is_none());
    let (subject, body) = s
        .last_message_to("expiring@mail.tainan.gov.tw")
        .await
        .expect("mailed");
    assert!(subject.contains("公務車借用退回"), "{subject}");
    assert!(body.contains("當日已派外勤"), "{body}");
    // A venue decision queue does not take a car's request.
    let unit_admin = s.principal_of("unit_admin").await;
    let approved = count(
        &s,
        &format!("SELECT id FROM bookings WHERE item_id = {sedan} AND kind = 'car' AND state = 'approved'"),
    )
    .await;
    let page = s
        .app
        .item_requests(&unit_admin, Kind::Venue, &[State::Approved], 1)
        .await
        .unwrap();
    assert!(!page.items.iter().any(|b| b.id == approved));
}

#[tokio::test]
async fn a_drivers_only_manager_is_not_disabled_until_another_manages_them() {
    let s = TestServer::start(60).await;
    let chen = chen(&s).await;
    let unit_admin = portico_core::ids::AccountId(s.account_id("unit_admin").await);
    let alone = |s: &TestServer| {
        let db = s.app.db.clone();
        async move {
            let mut c = db.read().await.unwrap();
            portico_store::bookings::kept_alone_by(&mut c, unit_admin)
                .await
                .unwrap()
        }
    };
    // The demo's 陳建宏 has two managers, the sedan two custodians.
    assert!(alone(&s).await.is_empty(), "{:?}", alone(&s).await);
    // 陳文書 steps back: 張志明 alone manages him, and the guard names him.
    let admin = s.principal_of("admin").await;
    s.app
        .set_custodian(&admin, Kind::Driver, chen, 2, "", "陳文書調任", &ctx())
        .await
        .unwrap();
    let names = alone(&s).await;
    assert!(
        names.iter().any(|l| l.contains("司機 陳建宏")),
        "the guard names the driver: {names:?}"
    );
    assert!(!names.iter().any(|l| l.contains("ABC-1234")), "{names:?}");
    s.app
        .set_custodian(&admin, Kind::Driver, chen, 2, "clerk", "陳文書回任", &ctx())
        .await
        .unwrap();
    assert!(alone(&s).await.is_empty());
}

#[tokio::test]
async fn a_car_is_booked_with_a_driver_and_approved_through_the_pages() {
    let s = TestServer::start(60).await;
    let (sedan, chen) = (sedan(&s).await, chen(&s).await);
    let day = weekday_ahead(&s);
    let mut staff = s.signed_in("staff").await;
    let (st, page) = staff.get("/cars").await;
    assert_eq!(st, 200);
    assert!(page.contains("ABC-1234"), "{page}");
    let (st, page) = staff
        .get(&format!("/cars?date={day}&from=9&until=11"))
        .await;
    assert_eq!(st, 200);
    assert!(
        page.contains(&format!("/cars/{sedan}?date={day}&#38;from=9&#38;until=11")),
        "{page}"
    );
    let (st, page) = staff
        .get(&format!("/cars/{sedan}?date={day}&from=9&until=11"))
        .await;
    assert_eq!(st, 200);
    assert!(
        page.contains("陳建宏") && page.contains("否，我要自駕"),
        "{page}"
    );
    let csrf = staff.csrf().await;
    let path = format!("/cars/{sedan}");
    let chen_s = chen.to_string();
    let (st, _, to) = staff
        .post_form(
            &path,
            &[
                ("_csrf", &csrf),
                ("date", &day),
                ("from", "9"),
                ("until", "11"),
                ("with_driver", "yes"),
                ("driver_id", &chen_s),
                ("phone", "06-2991111"),
                ("ext", "8123"),
                ("purpose", "里長座談會"),
                ("people", "3"),
                ("destination", "永康區公所"),
            ],
        )
        .await;
    assert_eq!((st, to.as_str()), (303, "/bookings?kind=car&ok=requested"));
    let (_, mine) = staff.get(&to).await;
    assert!(
        mine.contains("里長座談會") && mine.contains("陳建宏"),
        "{mine}"
    );
    let b = count(
        &s,
        &format!("SELECT MAX(id) FROM bookings WHERE kind = 'car' AND item_id = {sedan}"),
    )
    .await;
    // The custodian (clerk) approves it from 公務車借用審核.
    let mut clerk = s.signed_in("clerk").await;
    let (st, queue) = clerk.get("/items/car-requests").await;
    assert_eq!(st, 200);
    assert!(
        queue.contains(&format!("value=\"{b}\"")) && queue.contains("永康區公所"),
        "{queue}"
    );
    let csrf = clerk.csrf().await;
    let (st, _, to) = clerk
        .post_form(
            "/items/car-requests",
            &[
                ("_csrf", &csrf),
                ("ids", &b.to_string()),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/items/car-requests?ok=approved&n=1")
    );
    // The car's 借用紀錄, searched by date and exported.
    let (st, page) = clerk
        .get(&format!("/items/cars/{sedan}?from={day}&until={day}"))
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("里長座談會"), "{page}");
    for format in ["xlsx", "ods"] {
        let (st, book) = clerk
            .get_bytes(&format!(
                "/items/cars/{sedan}/records?from={day}&until={day}&format={format}"
            ))
            .await;
        assert_eq!(st, 200, "{format}");
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][0], "公務車");
        assert!(rows[0].iter().any(|h| h == "派遣司機"), "{rows:?}");
        assert_eq!(rows.len(), 2, "only that day's: {rows:?}");
        assert!(rows[1].iter().any(|c| c == "陳建宏"), "{rows:?}");
    }
    // The person's car records export in the seed's columns.
    let (st, book) = staff
        .get_bytes("/bookings/export?kind=car&state=approved&format=xlsx")
        .await;
    assert_eq!(st, 200);
    let rows = common::sheet_rows(&book, "xlsx");
    assert!(rows[0].iter().any(|h| h == "目的地"), "{rows:?}");
    assert!(
        rows.iter().any(|r| r.iter().any(|c| c == "永康區公所")),
        "{rows:?}"
    );
}

/// A feed read back by Python's stock `icalendar` parser: each event's
/// (summary, status, start in UTC).
fn parse_ics(ics: &str) -> Vec<(String, String, String)> {
    let file = std::env::temp_dir().join(format!("portico-feed-{}.ics", std::process::id()));
    std::fs::write(&file, ics).unwrap();
    let script = "import sys,json,icalendar\ncal = icalendar.Calendar.from_ical(open(sys.argv[1],'rb').read())\nprint(json.dumps([[str(e.get('summary')), str(e.get('status')), e.decoded('dtstart').isoformat()] for e in cal.walk('VEVENT')]))";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 with icalendar");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect()
}

#[tokio::test]
async fn bookings_are_a_calendar_feed_at_a_revocable_address() {
    let s = TestServer::start(60).await;
    let sedan = sedan(&s).await;
    let room = count(&s, "SELECT id FROM venues WHERE name = '第一會議室'").await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let (st, page, _) = staff
        .post_form("/calendars", &[("_csrf", &csrf), ("what", "mine")])
        .await;
    assert_eq!(st, 200);
    let path = format!(
        "/calendar/{}.ics",
        common::between(&page, "/calendar/", ".ics")
    );
    assert_eq!(path.len(), "/calendar/.ics".len() + 48, "{path}");
    // Read without a session, as Outlook or a phone would.
    let anon = reqwest::Client::new();
    let r = anon
        .get(format!("{}{path}", staff.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let events = parse_ics(&r.text().await.unwrap());
    assert!(
        events
            .iter()
            .any(|(s, st, _)| s == "第一會議室：戶政業務協調會議" && st == "CONFIRMED"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(s, _, _)| s == "小客車 ABC-1234：戶政業務訪視"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(s, st, _)| s == "第一會議室：年度預算檢討" && st == "TENTATIVE"),
        "a pending request is tentative: {events:?}"
    );
    // Times are instants: 9:00 in Taipei is 01:00 UTC.
    assert!(
        events
            .iter()
            .filter(|(s, _, _)| s.contains("戶政業務協調會議"))
            .all(|(_, _, t)| t.contains("T01:00:00+00:00")),
        "{events:?}"
    );
    // A venue's feed tells its followers who holds it, not why.
    let (_, page, _) = staff
        .post_form(
            "/calendars",
            &[("_csrf", &csrf), ("what", &format!("venue:{room}"))],
        )
        .await;
    let venue_path = format!(
        "/calendar/{}.ics",
        common::between(&page, "/calendar/", ".ics")
    );
    let body = anon
        .get(format!("{}{venue_path}", staff.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = parse_ics(&body);
    assert!(
        events.iter().any(|(s, _, _)| s.contains("已借出")),
        "{events:?}"
    );
    assert!(!body.contains("戶政業務協調會議"), "{body}");
    // 教育局's admin may neither borrow nor keep 民政局's sedan: no feed.
    let mut edu = s.signed_in("edu_admin").await;
    let csrf_edu = edu.csrf().await;
    let (st, _, _) = edu
        .post_form(
            "/calendars",
            &[("_csrf", &csrf_edu), ("what", &format!("car:{sedan}"))],
        )
        .await;
    assert_eq!(st, 404);
    // Guessed and revoked addresses open nothing.
    let guess = format!("{}/calendar/{}.ics", staff.base, "0".repeat(48));
    assert_eq!(anon.get(guess).send().await.unwrap().status(), 404);
    let id = count(
        &s,
        "SELECT MIN(id) FROM calendar_feeds WHERE kind = 'mine' AND revoked_at IS NULL",
    )
    .await;
    let (st, _, to) = staff
        .post_form(&format!("/calendars/{id}/revoke"), &[("_csrf", &csrf)])
        .await;
    assert_eq!((st, to.as_str()), (303, "/calendars?ok=revoked"));
    let r = anon
        .get(format!("{}{path}", staff.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Another's feed is not theirs to revoke.
    let venue_feed = count(&s, "SELECT id FROM calendar_feeds WHERE kind = 'venue'").await;
    let (st, _, _) = edu
        .post_form(
            &format!("/calendars/{venue_feed}/revoke"),
            &[("_csrf", &csrf_edu)],
        )
        .await;
    assert_eq!(st, 404);
}
