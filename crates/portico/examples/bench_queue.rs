//! The review queue (待簽核) for an agency admin with 10,000 pending requests
//! in the database (issue 3): page 1 with its total, oldest first, filtered
//! by the admin's subtree in the query. Reports p50/p99 and, as the same-run
//! baseline, a point read of one request.
//!
//! cargo run --release -p portico --example bench_queue -- [DATABASE_URL] [PENDING] [QUERIES]
//! (DATABASE_URL defaults to a temporary SQLite file; for PostgreSQL pass an
//! empty database's URL.)
use portico_core::account::AccountState;
use portico_core::ids::AccountId;
use portico_core::permission::{Principal, Role, RoleKind};
use portico_core::request::RequestKind;
use portico_store::Db;
use portico_store::accounts::{self, NewAccount};
use portico_store::requests::{self, Filter, NewRequest};
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-queue-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/q.db", dir.display())
        });
    let pending: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let queries: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    app.seed_demo(5_000).await.expect("seed");
    let tree = app.org_tree().await.expect("tree");
    let leaves: Vec<_> = tree
        .units
        .iter()
        .filter(|u| tree.is_leaf(u) && u.kind == portico_core::org::OrgKind::Unit)
        .cloned()
        .collect();
    let civil = tree
        .units
        .iter()
        .find(|u| u.name == "民政局")
        .expect("民政局")
        .clone();
    let civil_leaves: Vec<_> = leaves
        .iter()
        .filter(|u| civil.path.contains(&u.path))
        .cloned()
        .collect();
    // The pending applications: a quarter in 民政局, the rest spread over
    // the city (most of what is in the table is someone else's queue).
    let t = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let mut tx = db.begin().await.expect("tx");
    for i in 0..pending {
        let unit = if i % 4 == 0 {
            &civil_leaves[i % civil_leaves.len()]
        } else {
            &leaves[(i * 7) % leaves.len()]
        };
        let login = format!("q{i:06}");
        let id = accounts::insert(
            &mut tx,
            &NewAccount {
                login: &login,
                national_id: None,
                name: "申請人",
                unit_id: unit.id,
                title: "科員",
                office_phone: "2991111",
                office_ext: "",
                mobile: "",
                backup_email: &format!("{login}@example.org"),
                official_email: "",
                state: AccountState::Pending,
                password_hash: None,
            },
            now - time::Duration::minutes(i as i64),
        )
        .await
        .expect("account");
        requests::insert(
            &mut tx,
            &NewRequest {
                kind: RequestKind::NewAccount,
                account_id: id,
                unit_id: unit.id,
                scope_path: &unit.path,
                from_unit_id: None,
                from_state: Some(AccountState::Pending),
                title: "科員",
                reason: "",
                needs_official_mail: false,
                applicant_name: "申請人",
                applicant_login: &login,
            },
            now - time::Duration::minutes(i as i64),
        )
        .await
        .expect("request");
    }
    tx.commit().await.expect("commit");
    println!(
        "backend {:?}: {pending} pending requests written in {:.1} s",
        db.backend(),
        t.elapsed().as_secs_f64()
    );
    let admin = Principal::unchecked_for_command_line(
        AccountId(2),
        "civil_admin".into(),
        "林美玲".into(),
        civil.path.clone(),
        vec![Role {
            kind: RoleKind::AgencyAdmin,
            scope: Some((civil.id, civil.path.clone())),
        }],
    );
    let f = Filter {
        state: Some(portico_core::request::RequestState::Pending),
        ..Filter::default()
    };
    let (mut queue, mut point) = (Vec::with_capacity(queries), Vec::with_capacity(queries));
    let mut total = 0;
    let mut c = db.read().await.expect("conn");
    for i in 0..queries {
        let t = Instant::now();
        let page = app
            .review_queue(&admin, &f, 1 + (i % 5) as u32, 50)
            .await
            .expect("queue");
        queue.push(t.elapsed().as_secs_f64() * 1e3);
        total = page.total;
        let t = Instant::now();
        let _ = requests::get(&mut c, 1 + (i as i64 * 37) % pending as i64)
            .await
            .expect("get");
        point.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (q50, q99) = (pct(&mut queue, 0.5), pct(&mut queue, 0.99));
    let (p50, p99) = (pct(&mut point, 0.5), pct(&mut point, 0.99));
    println!(
        "{queries} queue pages (50 a page, pages 1–5, with total) for 民政局's agency admin: {total} of {pending} pending are theirs"
    );
    println!("queue: p50 {q50:.2} ms, p99 {q99:.2} ms");
    println!(
        "baseline point read: p50 {p50:.3} ms, p99 {p99:.3} ms; queue/point p99 ratio {:.1}",
        q99 / p99
    );
    let _ = std::fs::remove_dir_all(&dir);
}
