//! Office services' bookings (issue 16), in one process:
//!
//! 1. A week's availability (`App::venue_week`, what `/venues/{id}` draws)
//!    for random venues among 1,000 with 200,000 approved bookings on
//!    record: p50 and p99, against a point read of a venue
//!    (`store::venue`) in the same run.
//! 2. 100 custodians approving 100 overlapping requests for one slot at
//!    once: time to settle and how many were approved (exactly one),
//!    against one approval alone in the same run.
//!
//! cargo run --release -p portico --example bench_bookings -- [DATABASE_URL] [VENUES] [BOOKINGS]
use portico_core::booking::{Kind, VenueInput, at_hour, today, week_start};
use portico_core::permission::{Principal, Unattended};
use portico_store::Db;
use portico_store::bookings as store;
use std::time::{Duration, Instant};

const SEED: Unattended = Unattended::unattended("the bookings benchmark's seeding");

async fn principal(db: &Db, login: &str) -> Principal {
    let mut c = db.read().await.unwrap();
    let a = portico_store::accounts::find_by_login(&mut c, login)
        .await
        .unwrap()
        .unwrap();
    let roles = portico_store::roles::of_account(&mut c, a.id)
        .await
        .unwrap()
        .iter()
        .map(|g| g.role())
        .collect();
    Principal::unchecked_for_command_line(a.id, a.login, a.name, a.unit_path, roles)
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

/// Cheap deterministic scatter.
fn mix(n: u64) -> u64 {
    n.wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        >> 17
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-book-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/b.db", dir.display())
        });
    let venues: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let bookings: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    app.seed_demo(200).await.expect("seed");
    let admin = principal(&db, "admin").await;
    let staff = principal(&db, "staff").await;
    let agency = sqlx::query_scalar::<_, i64>(
        "SELECT id FROM org_units WHERE name = '智慧發展中心' AND kind = 'agency'",
    )
    .fetch_one(&mut *db.read().await.unwrap())
    .await
    .unwrap();
    let account = admin.account_id().0;

    // 1,000 venues lent city-wide, open every day 8–18.
    let t = Instant::now();
    let mut ids = Vec::with_capacity(venues);
    let mut tx = db.begin().await.unwrap();
    for i in 0..venues {
        let v = VenueInput {
            location: format!("市政中心 {}", i % 20),
            floor: format!("{}樓", i % 12 + 1),
            name: format!("會議室 {i:04}"),
            agency_id: Some(agency),
            capacity: "30".into(),
            open_from: "8".into(),
            open_until: "18".into(),
            open_days: "1111111".into(),
            borrowers: "city".into(),
            public: true,
            ..Default::default()
        }
        .check()
        .unwrap();
        let id = store::insert_venue(
            &mut tx,
            &SEED.item_maker_for(admin.account_id()),
            &v,
            admin.account_id(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    // 200,000 approved hour-long bookings with their slot rows: each venue
    // ten hours a day over the days around this week, none overlapping.
    let now = time::OffsetDateTime::now_utc();
    let monday = week_start(today(now));
    let per = bookings / venues;
    let first_day = monday - time::Duration::days((per / 10 / 2) as i64);
    let mut n = 0usize;
    let base_id: i64 = 10_000_000;
    while n < bookings {
        let m = (bookings - n).min(2_000);
        let mut b = String::from(
            "INSERT INTO bookings (id, kind, item_id, account_id, unit_id, starts_at, ends_at, phone, people, purpose, state, created_at) VALUES ",
        );
        let mut s =
            String::from("INSERT INTO booking_slots (kind, item_id, slot_at, booking_id) VALUES ");
        for j in 0..m {
            let k = n + j;
            let (v, slot) = (ids[k % venues], k / venues);
            let day = first_day + time::Duration::days((slot / 10) as i64);
            let start = at_hour(day, 8 + (slot % 10) as u8);
            let (st, en) = (
                start.unix_timestamp() * 1000,
                (start + time::Duration::hours(1)).unix_timestamp() * 1000,
            );
            let id = base_id + k as i64;
            if j > 0 {
                b.push(',');
                s.push(',');
            }
            b.push_str(&format!(
                "({id}, 'venue', {v}, {account}, {agency}, {st}, {en}, '06-2991111', 10, '例行會議', 'approved', {st})"
            ));
            s.push_str(&format!("('venue', {v}, {st}, {id})"));
        }
        let mut tx = db.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(b))
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n += m;
    }
    sqlx::query(if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    })
    .execute(&mut *db.read().await.unwrap())
    .await
    .unwrap();
    println!(
        "seeded {venues} venues and {bookings} approved bookings in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Warm, then alternate the two reads so noise falls on both alike.
    let day = monday;
    for i in 0..50 {
        let _ = app.venue_week(&staff, ids[i % venues], day).await.unwrap();
    }
    let rounds = 2_000;
    let (mut week, mut point) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    let mut held = 0usize;
    for r in 0..rounds {
        let id = ids[(mix(r as u64) as usize) % venues];
        let t = Instant::now();
        let w = app.venue_week(&staff, id, day).await.unwrap();
        week.push(t.elapsed());
        held += w
            .cells
            .iter()
            .flatten()
            .filter(|c| **c == portico_app::bookings::WeekCell::Held)
            .count();
        let t = Instant::now();
        let v = store::venue(&mut db.read().await.unwrap(), id)
            .await
            .unwrap();
        point.push(t.elapsed());
        assert!(v.is_some());
    }
    assert!(held > 0, "the weeks show held hours");
    let (w50, w99) = (pct(&mut week, 0.5), pct(&mut week, 0.99));
    let (p50, p99) = (pct(&mut point, 0.5), pct(&mut point, 0.99));
    println!(
        "== a week's availability, {rounds} random venues of {venues}, {bookings} bookings on record"
    );
    println!("point read (store::venue):  p50 {p50:.2} ms, p99 {p99:.2} ms (baseline)");
    println!(
        "venue_week:                 p50 {w50:.2} ms, p99 {w99:.2} ms ({:.2}× the point read's p99)",
        w99 / p99
    );

    // 100 overlapping requests for one venue's slot, 100 approvers at once.
    let room = ids[0];
    let slot_day = monday + time::Duration::days(60);
    let mut requests = Vec::with_capacity(101);
    let mut tx = db.begin().await.unwrap();
    for k in 0..101 {
        let span = portico_core::booking::Span {
            date: slot_day,
            from: 9 + (k % 2) as u8,
            until: 11,
        };
        let nb = store::NewBooking {
            kind: Kind::Venue,
            item_id: if k == 100 { ids[1] } else { room },
            driver_id: None,
            unit_id: agency,
            span,
            phone: "06-2991111",
            ext: "",
            people: 5,
            host: "主持人",
            purpose: "協調會議",
            destination: "",
        };
        requests.push(
            store::insert_booking(&mut tx, SEED.account(staff.account_id()), &nb, now)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let ctx = portico_app::Ctx::new("127.0.0.1", "bench");
    // Baseline: one approval alone (of another venue's request).
    let t = Instant::now();
    app.decide_bookings(&admin, Kind::Venue, &[requests[100]], true, "", &ctx)
        .await
        .unwrap();
    let alone = t.elapsed().as_secs_f64() * 1000.0;
    let app = std::sync::Arc::new(app);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for id in requests[..100].iter().copied() {
        let (app, admin, ctx) = (app.clone(), admin.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            app.decide_bookings(&admin, Kind::Venue, &[id], true, "", &ctx)
                .await
                .map(|o| o[0].refused.is_none())
        }));
    }
    let mut approved = 0;
    let mut errors = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(true) => approved += 1,
            Ok(false) => {}
            Err(_) => errors += 1,
        }
    }
    let settle = t.elapsed().as_secs_f64() * 1000.0;
    let in_db = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM bookings WHERE item_id = $1 AND state = 'approved' AND starts_at >= $2",
    )
    .bind(room)
    .bind(at_hour(slot_day, 0).unix_timestamp() * 1000)
    .fetch_one(&mut *db.read().await.unwrap())
    .await
    .unwrap();
    println!("== 100 approvers of 100 overlapping requests for one slot, at once");
    println!("one approval alone:         {alone:.1} ms (baseline)");
    println!(
        "100 at once settle in:      {settle:.1} ms ({:.1}× one alone); approved {approved}, refused {}, errors {errors}; approved in the database: {in_db}",
        settle / alone,
        100 - approved - errors
    );
    assert_eq!((approved, in_db), (1, 1), "exactly one wins");
    let _ = std::fs::remove_dir_all(&dir);
}
