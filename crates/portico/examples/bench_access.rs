//! Access requests (issue 14), in one process:
//!
//! 1. 待簽核表單 for one approver (主計處's agency admin) with 50,000 open
//!    forms in the table (500 applicants of 主計處 × 100 categories, each
//!    signed off by the agency's admins), through the use case the page
//!    calls: the first page of 20 with its total, each with its lines and
//!    what blocks it (the total is counted to 1,001 and shown as 1,000+).
//!    p50/p99, beside the same query with 500 open forms in
//!    the same database as the baseline, and a point read of one form.
//! 2. The printed application form: milliseconds per PDF and its size,
//!    against the same page set in ASCII only (the fixed cost of laying
//!    out a page and embedding a font subset).
//!
//! cargo run --release -p portico --example bench_access -- [DATABASE_URL] [FORMS] [QUERIES]
use portico_app::access::print::{PdfFont, PrintForm, render_form};
use portico_core::access::{Approver, CategoryInput, Line, Op, Step};
use portico_core::account::AccountState;
use portico_core::permission::{Principal, Unattended};
use portico_store::Db;
use portico_store::access::{self as store, NewForm, QueueFilter};
use portico_store::accounts::{self, NewAccount};
use std::collections::BTreeMap;
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const SEED: Unattended = Unattended::unattended("the access benchmark's seeding");

async fn principal(db: &Db, login: &str) -> Principal {
    let mut c = db.read().await.unwrap();
    let a = accounts::find_by_login(&mut c, login)
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

/// Files the `n`th form: applicant `n / per`, category `n % per`, older
/// the lower `n`.
async fn file(
    tx: &mut portico_store::Tx,
    applicants: &[(portico_core::ids::AccountId, portico_core::org::TreePath)],
    cats: &[i64],
    per: usize,
    forms: usize,
    n: usize,
    now: time::OffsetDateTime,
) {
    let (account, path) = &applicants[n / per];
    let cat = cats[n % per];
    let lines = [Line {
        item: cat,
        before: false,
        after: true,
    }];
    let attrs = BTreeMap::new();
    store::insert(
        tx,
        &NewForm {
            step: Step::Category,
            op: Op::Add,
            account: *account,
            category: Some(cat),
            org: None,
            title_before: None,
            title: None,
            app: None,
            purpose: "基準測試",
            note: "",
            attrs: &attrs,
            approver: Approver::OrgAdmins,
            scope_path: Some(path),
            form_file: None,
            undertaking_file: None,
            lines: &lines,
        },
        now - time::Duration::seconds((forms - n) as i64),
    )
    .await
    .unwrap();
}

async fn measure(app: &portico_app::App, p: &Principal, queries: usize) -> (f64, f64, i64) {
    let f = QueueFilter::default();
    let mut total = 0;
    let mut v = Vec::with_capacity(queries);
    for _ in 0..queries {
        let t = Instant::now();
        let page = app.approvals(p, &f, 1, 20).await.expect("queue");
        v.push(t.elapsed().as_secs_f64() * 1e3);
        total = page.total;
        assert_eq!(page.items.len(), 20.min(total as usize));
    }
    (pct(&mut v, 0.5), pct(&mut v, 0.99), total)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-access-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/a.db", dir.display())
        });
    let forms: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let queries: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(300);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    app.seed_demo(1_000).await.expect("seed");
    let tree = app.org_tree().await.expect("tree");
    let budget = tree
        .units
        .iter()
        .find(|u| u.name == "主計處")
        .expect("主計處")
        .clone();
    let units: Vec<_> = tree
        .units
        .iter()
        .filter(|u| budget.path.contains(&u.path) && tree.is_leaf(u))
        .cloned()
        .collect();
    let per = 100usize;
    let people = forms.div_ceil(per);
    let now = time::OffsetDateTime::now_utc();
    let t = Instant::now();
    let mut tx = db.begin().await.expect("tx");
    let mut cats = Vec::with_capacity(per);
    for i in 0..per {
        let f = CategoryInput {
            code: &format!("bench{i:03}"),
            name: &format!("基準類別 {i}"),
            description: "",
            needs_form: false,
        }
        .check()
        .unwrap();
        cats.push(
            store::defs::insert_category(&mut tx, SEED.system(), &f, now)
                .await
                .unwrap(),
        );
    }
    let mut applicants = Vec::with_capacity(people);
    for i in 0..people {
        let unit = &units[i % units.len()];
        let id = accounts::insert(
            &mut tx,
            &NewAccount {
                login: &format!("bench{i:05}"),
                national_id: None,
                name: "基準測試",
                unit_id: unit.id,
                title: "科員",
                office_phone: "2991111",
                office_ext: "",
                mobile: "",
                backup_email: &format!("bench{i:05}@example.net"),
                official_email: "",
                state: AccountState::Active,
                password_hash: None,
            },
            now,
        )
        .await
        .unwrap();
        applicants.push((id, unit.path.clone()));
    }
    tx.commit().await.unwrap();
    let baseline_n = 500.min(forms);
    let mut tx = db.begin().await.expect("tx");
    for n in 0..baseline_n {
        file(&mut tx, &applicants, &cats, per, forms, n, now).await;
    }
    tx.commit().await.unwrap();
    let approver = principal(&db, "stat_mgr").await;
    // Warm the caches and the statements.
    measure(&app, &approver, 20).await;
    let (b50, b99, btotal) = measure(&app, &approver, queries).await;
    let mut tx = db.begin().await.expect("tx");
    for n in baseline_n..forms {
        file(&mut tx, &applicants, &cats, per, forms, n, now).await;
        if n % 5_000 == 0 {
            tx.commit().await.unwrap();
            tx = db.begin().await.expect("tx");
        }
    }
    tx.commit().await.unwrap();
    // What autovacuum would have done by the time anyone looks.
    sqlx::query(if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    })
    .execute(&mut *db.read().await.unwrap())
    .await
    .unwrap();
    println!(
        "seeded {forms} open forms of {people} applicants in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    measure(&app, &approver, 20).await;
    let (q50, q99, total) = measure(&app, &approver, queries).await;
    let id = store::queue(
        &mut db.read().await.unwrap(),
        &store::Approving {
            account: approver.account_id(),
            system_admin: false,
            managed_apps: vec![],
            admin: approver.admin().ok().map(|a| a.visible()),
        },
        &QueueFilter::default(),
        1,
        1,
    )
    .await
    .unwrap()
    .items[0]
        .id;
    let mut v = Vec::with_capacity(queries);
    for _ in 0..queries {
        let t = Instant::now();
        store::get(&mut db.read().await.unwrap(), id)
            .await
            .unwrap()
            .unwrap();
        v.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (g50, g99) = (pct(&mut v, 0.5), pct(&mut v, 0.99));
    println!("== 待簽核表單, first page of 20 with its total, {queries} queries");
    println!("{btotal:>6} open forms: p50 {b50:.2} ms  p99 {b99:.2} ms (baseline)");
    println!(
        "{forms:>6} open forms (counted to {total}: the page says 1,000+): p50 {q50:.2} ms  p99 {q99:.2} ms  ({:.2}× the {btotal}-form p99)",
        q99 / b99
    );
    println!(
        "one form by id: p50 {g50:.3} ms  p99 {g99:.3} ms  (the 50,000-form page's p99 is {:.0}× it)",
        q99 / g99
    );

    // The printed form.
    let font = PdfFont::default().font().expect("fonts-noto-cjk");
    let form = PrintForm {
        portal: "臺南市政府公務入口網".into(),
        step: Some(Step::Role),
        op: Some(Op::Add),
        number: "AARL026-0000011059".into(),
        date: "2026/12/02".into(),
        subject: vec![("申請組織".into(), "主計處（預設身分）".into())],
        roles: vec![[
            "範例應用系統".into(),
            "地方政府統計管理者".into(),
            "新增".into(),
            "個人".into(),
        ]],
        login: "statistician".into(),
        name: "吳佳穎".into(),
        phone: "2991120 分機 8110".into(),
        email: "statistician@mail.tainan.gov.tw".into(),
        purpose: "業務需要：管理主計處統計報表與使用者".into(),
        note: "".into(),
        notices: vec![
            "帳號申請者，資格限制為〔系統實際使用者〕".into(),
            "請檢附相關在職證明文件".into(),
            "資料不全者恕不受理".into(),
        ],
        ..Default::default()
    };
    let ascii = PrintForm {
        portal: "Portal".into(),
        subject: vec![("Org".into(), "Budget".into())],
        roles: vec![[
            "Sample".into(),
            "manager".into(),
            "add".into(),
            "own".into(),
        ]],
        login: "statistician".into(),
        name: "Wu".into(),
        phone: "2991120".into(),
        email: "statistician@mail.tainan.gov.tw".into(),
        purpose: "work".into(),
        notices: vec!["Actual users only".into()],
        ..form.clone()
    };
    let run = |f: &PrintForm| {
        let n = 100;
        let mut v = Vec::with_capacity(n);
        let mut size = 0;
        for _ in 0..n {
            let t = Instant::now();
            size = render_form(&font, f).expect("pdf").len();
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        (pct(&mut v, 0.5), pct(&mut v, 0.99), size)
    };
    run(&form);
    let (p50, p99, size) = run(&form);
    let (a50, a99, asize) = run(&ascii);
    println!("== 列印申請書, one role form, 100 renders, one thread");
    println!(
        "zh-TW form: p50 {p50:.1} ms  p99 {p99:.1} ms  {:.1} KiB",
        size as f64 / 1024.0
    );
    println!(
        "ASCII page:  p50 {a50:.1} ms  p99 {a99:.1} ms  {:.1} KiB (baseline; the zh-TW form is {:.2}× its p50)",
        asize as f64 / 1024.0,
        p50 / a50
    );
    let _ = std::fs::remove_dir_all(&dir);
}
