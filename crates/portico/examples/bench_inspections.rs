//! Inspections and usage records (issue 15), in one process:
//!
//! 1. Drawing a quarter's samples over 1,000,000 usage records for 40
//!    units through the use case the page calls (`draw_unit`, each unit's
//!    records read, drawn by the rules, checked and written with its
//!    sample), against one full scan of the same records in the same run:
//!    time, and the heap's peak (a counting allocator) of each.
//! 2. The usage API's use case taking batches of 1,000 records, each batch
//!    one committed transaction that chains every record: records per
//!    second, against appending the same 1,000 events to the chain with no
//!    index rows, in the same run.
//!
//! cargo run --release -p portico --example bench_inspections -- [DATABASE_URL] [RECORDS] [BATCHES]
use portico_core::inspection::Period;
use portico_core::permission::Principal;
use portico_core::usage::RecordIn;
use portico_store::Db;
use portico_store::usage::{self, NewUsage};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts the heap in use and its peak since the last reset.
struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let n = NOW.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(n, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        NOW.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The heap's peak above what was in use when measuring began.
fn measure_from() -> usize {
    let n = NOW.load(Ordering::Relaxed);
    PEAK.store(n, Ordering::Relaxed);
    n
}
fn peak_above(base: usize) -> f64 {
    (PEAK.load(Ordering::Relaxed).saturating_sub(base)) as f64 / (1024.0 * 1024.0)
}

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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-insp-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/i.db", dir.display())
        });
    let records: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let batches: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(30);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    app.seed_demo(400).await.expect("seed");
    let tree = app.org_tree().await.expect("tree");
    let today = time::OffsetDateTime::now_utc()
        .to_offset(portico_core::time::TAIPEI)
        .date();
    let q = Period::quarter_before(today);
    let from = portico_core::time::taipei_day_start(q.start());
    let to = portico_core::time::taipei_day_start(q.end());
    // The demo's own usage units are left to it.
    let demo_units: Vec<i64> =
        usage::units_with_use(&mut db.read().await.unwrap(), from, to, i64::MAX)
            .await
            .unwrap()
            .iter()
            .map(|u| u.unit_id)
            .collect();
    // 40 units, half of them past 30,000 records (300 sampled), half below.
    let units: Vec<_> = tree
        .units
        .iter()
        .filter(|u| {
            tree.is_leaf(u)
                && u.kind == portico_core::org::OrgKind::Unit
                && !demo_units.contains(&u.id.0)
        })
        .take(40)
        .cloned()
        .collect();
    assert_eq!(units.len(), 40, "the demo tree has 40 leaf units");
    let people: Vec<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM accounts ORDER BY id")
        .fetch_all(&mut *db.read().await.unwrap())
        .await
        .unwrap();
    let span = (portico_core::time::taipei_day_start(q.end()) - from).whole_seconds();
    let t = Instant::now();
    let mut written = 0usize;
    let weights: Vec<usize> = (0..40).map(|i| if i % 2 == 0 { 4 } else { 1 }).collect();
    let total_w: usize = weights.iter().sum();
    let now = time::OffsetDateTime::now_utc();
    for (ui, u) in units.iter().enumerate() {
        let n = records * weights[ui] / total_w;
        let mut k = 0;
        while k < n {
            let m = (n - k).min(10_000);
            // Each record an event of the chain, as the API writes them.
            let events: Vec<portico_store::audit::NewEvent> = (0..m)
                .map(|j| portico_store::audit::NewEvent {
                    actor_id: Some(people[(ui * 25 + (k + j) % 25) % people.len()]),
                    actor_login: "bench".into(),
                    action: "usage.record".into(),
                    target_kind: "app".into(),
                    target_label: "範例應用系統".into(),
                    scope_path: u.path.as_str().to_owned(),
                    detail: "{\"use\":\"查詢地籍資料\"}".into(),
                    ..Default::default()
                })
                .collect();
            let timed: Vec<_> = events.iter().map(|e| (e, now)).collect();
            let mut tx = db.begin().await.unwrap();
            let seqs = portico_store::audit::append_many(&mut tx, &timed)
                .await
                .unwrap();
            let rows: Vec<NewUsage> = seqs
                .iter()
                .enumerate()
                .map(|(j, seq)| NewUsage {
                    seq: *seq,
                    used: from + time::Duration::seconds(((k + j) as i64 * 7919) % span),
                    account_id: people[(ui * 25 + (k + j) % 25) % people.len()],
                    unit_id: u.id.0,
                    app_id: None,
                    ext_id: None,
                })
                .collect();
            usage::insert(&mut tx, &rows).await.unwrap();
            tx.commit().await.unwrap();
            k += m;
        }
        written += n;
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
        "seeded {written} usage records for 40 units in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let through = i64::MAX;
    // Warm the statements and the page cache.
    let _ = usage::scan(&mut db.read().await.unwrap(), from, to, through).await;

    let base = measure_from();
    let t = Instant::now();
    let all = usage::scan(&mut db.read().await.unwrap(), from, to, through)
        .await
        .unwrap();
    let scan_s = t.elapsed().as_secs_f64();
    let scan_mb = peak_above(base);
    assert!(all.len() >= written);
    drop(all);

    let admin = principal(&db, "admin").await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "bench");
    let base = measure_from();
    let t = Instant::now();
    let mut sampled = 0;
    for u in &units {
        let id = app.draw_unit(&admin, q, u.id, &ctx).await.expect("draw");
        sampled += portico_store::inspections::get(&mut db.read().await.unwrap(), id)
            .await
            .unwrap()
            .unwrap()
            .sampled;
    }
    let draw_s = t.elapsed().as_secs_f64();
    let draw_mb = peak_above(base);
    println!("== drawing {q:?} for 40 units over {written} records");
    println!("one full scan:   {scan_s:.2} s, heap peak {scan_mb:.1} MiB (baseline)");
    println!(
        "40 unit draws:   {draw_s:.2} s, heap peak {draw_mb:.1} MiB, {sampled} records sampled ({:.2}× the scan's time, {:.2}× its memory)",
        draw_s / scan_s,
        draw_mb / scan_mb
    );

    // The usage API's use case, batches of 1,000.
    let client = app
        .client(portico_app::demo::SAMPLE_CLIENT_ID)
        .await
        .unwrap()
        .expect("the sample application");
    let logins: Vec<String> = sqlx::query_scalar::<_, String>(
        "SELECT login FROM accounts WHERE state = 'active' ORDER BY id LIMIT 50",
    )
    .fetch_all(&mut *db.read().await.unwrap())
    .await
    .unwrap();
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let batch = |b: usize| -> Vec<RecordIn> {
        (0..1_000)
            .map(|k| RecordIn {
                time: stamp.clone(),
                login: logins[k % logins.len()].clone(),
                action: "查詢地籍資料".into(),
                object: format!("安平區國平段 {} 地號", 1000 + k),
                reason: format!("南市民字第 {} 號", 1_150_000_000 + b * 1000 + k),
                reason_kind: "document".into(),
                id: format!("b{b}-{k}"),
                ..Default::default()
            })
            .collect()
    };
    app.report_usage(&client, &batch(0), &ctx).await.unwrap();
    let t = Instant::now();
    for b in 1..=batches {
        let r = app.report_usage(&client, &batch(b), &ctx).await.unwrap();
        assert_eq!(r.recorded, 1_000);
    }
    let api_s = t.elapsed().as_secs_f64();
    // Baseline: the same events chained, without the index rows or checks.
    let events: Vec<portico_store::audit::NewEvent> = (0..1_000)
        .map(|k| portico_store::audit::NewEvent {
            actor_login: logins[k % logins.len()].clone(),
            action: "usage.record".into(),
            target_kind: "app".into(),
            target_label: "範例應用系統".into(),
            detail: format!("{{\"object\":\"安平區國平段 {k} 地號\"}}"),
            ..Default::default()
        })
        .collect();
    let t = Instant::now();
    for _ in 0..batches {
        let now = time::OffsetDateTime::now_utc();
        let timed: Vec<_> = events.iter().map(|e| (e, now)).collect();
        let mut tx = db.begin().await.unwrap();
        portico_store::audit::append_many(&mut tx, &timed)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let plain_s = t.elapsed().as_secs_f64();
    let n = (batches * 1_000) as f64;
    println!("== usage API, {batches} batches of 1,000 records, each batch one commit");
    println!(
        "chaining 1,000 bare events:  {:.0} records/s (baseline)",
        n / plain_s
    );
    println!(
        "report_usage (checks, people, ids, index): {:.0} records/s ({:.2}× the baseline's time)",
        n / api_s,
        api_s / plain_s
    );
    assert!(
        app.verify_audit_chain()
            .await
            .unwrap()
            .first_break
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
