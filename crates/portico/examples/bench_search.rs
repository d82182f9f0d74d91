//! Admin account search over many accounts (issue 2): name prefix + agency
//! filter, first page with its total, as a system admin and as that
//! agency's admin (the rank subquery). Reports p50/p99 and,
//! as the same-run baseline, a point read of one account.
//!
//! cargo run --release -p portico --example bench_search -- [DATABASE_URL] [ACCOUNTS] [QUERIES]
//! (DATABASE_URL defaults to a temporary SQLite file; for PostgreSQL pass an
//! empty database's URL.)
use portico_core::ids::AccountId;
use portico_core::permission::{AdminScope, RoleKind, Visible};
use portico_store::Db;
use portico_store::accounts::{self, Search};
use std::time::Instant;

const SURNAMES: &[&str] = &[
    "陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭",
];

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-search-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/s.db", dir.display())
        });
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let queries: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    let t = Instant::now();
    app.seed_demo(n).await.expect("seed");
    println!(
        "backend {:?}: seeded {n} accounts in {:.1} s",
        db.backend(),
        t.elapsed().as_secs_f64()
    );
    let tree = app.org_tree().await.expect("tree");
    let agencies: Vec<_> = tree.agencies().map(|a| a.path.clone()).collect();
    let now = time::OffsetDateTime::now_utc();
    let mut c = db.read().await.expect("conn");
    let (mut search, mut point) = (Vec::with_capacity(queries), Vec::with_capacity(queries));
    let mut ranked = Vec::with_capacity(queries);
    let mut rows = 0i64;
    for i in 0..queries {
        let q = Search {
            name_prefix: Some(SURNAMES[i % SURNAMES.len()].into()),
            within: Some(agencies[(i * 7) % agencies.len()].clone()),
            ..Default::default()
        };
        let t = Instant::now();
        let page = accounts::search(
            &mut c,
            &Visible {
                scope: AdminScope::All,
                ranks: None,
            },
            &q,
            now,
            1,
            20,
        )
        .await
        .expect("search");
        search.push(t.elapsed().as_secs_f64() * 1e3);
        rows += page.total;
        // The same search by that agency's admin: their subtree, and no
        // account holding an admin role at or above theirs (the rank
        // subquery an agency admin's every list carries).
        let agency = agencies[(i * 7) % agencies.len()].clone();
        let t = Instant::now();
        accounts::search(
            &mut c,
            &Visible {
                scope: AdminScope::Subtrees(vec![agency.clone()]),
                ranks: Some(vec![
                    (RoleKind::AgencyAdmin, vec![agency.clone()]),
                    (RoleKind::UnitAdmin, vec![agency]),
                ]),
            },
            &q,
            now,
            1,
            20,
        )
        .await
        .expect("ranked search");
        ranked.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let _ = accounts::get(&mut c, AccountId(1 + (i as i64 * 37) % n as i64))
            .await
            .expect("get");
        point.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (s50, s99) = (pct(&mut search, 0.5), pct(&mut search, 0.99));
    let (p50, p99) = (pct(&mut point, 0.5), pct(&mut point, 0.99));
    println!(
        "{queries} searches (surname prefix + agency, page 1 of 20 with total; {:.0} matches on average)",
        rows as f64 / queries as f64
    );
    println!("search: p50 {s50:.2} ms, p99 {s99:.2} ms");
    let (r50, r99) = (pct(&mut ranked, 0.5), pct(&mut ranked, 0.99));
    println!(
        "the same as the agency's admin (scope and rank in the query): p50 {r50:.2} ms, p99 {r99:.2} ms"
    );
    println!(
        "baseline point read: p50 {p50:.3} ms, p99 {p99:.3} ms; search/point p99 ratio {:.1}",
        s99 / p99
    );
    let _ = std::fs::remove_dir_all(&dir);
}
