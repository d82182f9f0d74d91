//! 公告專區's search (issue 17), in one process: 100,000 announcements from
//! every agency over three years, in every reach, and a reader of 民政局
//! searching them as the page does (`App::announcements`: what the reader
//! may read, a keyword in the title or text, a reach, dates; newest first,
//! 20 a page, the total capped at 1,001). p50 and p99 of each search,
//! against a point read of one post (`store::announcements::get`) in the
//! same run.
//!
//! cargo run --release -p portico --example bench_announcements -- [DATABASE_URL] [POSTS]
use portico_app::announcements::PostQuery;
use portico_core::announcement::{Post, Reach};
use portico_core::ids::AccountId;
use portico_core::org::{OrgKind, TreePath};
use portico_core::permission::Principal;
use portico_store::Db;
use portico_store::announcements::{self as store, ForAgency};
use std::time::{Duration, Instant};

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

const SUBJECTS: &[&str] = &[
    "停電通知",
    "業務會報",
    "教育訓練",
    "資安演練",
    "防汛整備",
    "預算編列",
    "辦公室搬遷",
    "停車場施工",
    "健康檢查",
    "差勤系統更新",
    "採購說明會",
    "公文研習",
    "消防演練",
    "年終考績",
    "志工招募",
    "節能減碳",
    "市政會議",
    "颱風停班",
    "交通管制",
    "系統維護",
];
const PHRASES: &[&str] = &[
    "請各單位同仁配合辦理",
    "相關資料請於期限內送交承辦人",
    "如有疑問請洽承辦科室",
    "詳細時程請參閱附件",
    "活動當日請準時出席",
    "期間如遇緊急狀況請撥分機 8888",
    "本案依市府規定辦理",
    "請各科室轉知所屬同仁",
    "未盡事宜另行通知",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-ann-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/b.db", dir.display())
        });
    let posts: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = portico_app::App::new(db.clone());
    app.seed_demo(200).await.expect("seed");
    let staff = principal(&db, "staff").await;
    let admin = principal(&db, "admin").await;
    let agencies: Vec<(portico_core::ids::OrgUnitId, TreePath, String)> =
        portico_store::orgs::list_all(&mut db.read().await.unwrap())
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.kind == OrgKind::Agency)
            .map(|u| (u.id, u.path, u.name))
            .collect();

    // 100,000 posts over three years, every agency, every reach.
    let t = Instant::now();
    let now = app.now();
    let mut tx = db.begin().await.unwrap();
    let mut some_id = 0;
    for i in 0..posts {
        let r = mix(i as u64);
        let (id, path, name) = &agencies[(r % agencies.len() as u64) as usize];
        let subject = SUBJECTS[(r / 7 % SUBJECTS.len() as u64) as usize];
        let body: String = (0..4)
            .map(|k| PHRASES[((r / 13 + k) % PHRASES.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join("，");
        let body = format!("<p>{name}{subject}：{body}。第 {i} 號。</p>");
        let reach = Reach::ALL[(r / 3 % 3) as usize];
        let at = now - time::Duration::minutes((r % (3 * 365 * 24 * 60)) as i64);
        let post = Post {
            title: format!("{name} {subject}（{}）", i % 97),
            body_text: portico_core::richtext::text_of(&body),
            body_html: body,
            reach,
            publish_at: Some(at),
        };
        some_id = store::insert(
            &mut tx,
            AccountId(admin.account_id().0),
            ForAgency {
                id: *id,
                path,
                name,
            },
            &post,
            at,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "seeded {posts} announcements in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let runs = 200;
    let mut base = Vec::with_capacity(runs);
    for i in 0..runs {
        let id = some_id - (mix(i as u64) % posts as u64) as i64;
        let t = Instant::now();
        let mut c = db.read().await.unwrap();
        store::get(&mut c, id).await.unwrap();
        base.push(t.elapsed());
    }
    let (b50, b99) = (pct(&mut base, 0.5), pct(&mut base, 0.99));
    println!("baseline: one post by id            p50 {b50:7.2} ms  p99 {b99:7.2} ms");
    let year_ago = portico_core::time::date_str((now - time::Duration::days(365)).date());
    let cases: Vec<(&str, PostQuery)> = vec![
        ("the first page, no search", PostQuery::default()),
        (
            "a common keyword (停電)",
            PostQuery {
                q: "停電".into(),
                ..Default::default()
            },
        ),
        (
            "a rare keyword (第 4242 號)",
            PostQuery {
                q: "第 4242 號".into(),
                ..Default::default()
            },
        ),
        (
            "a keyword matching nothing",
            PostQuery {
                q: "不存在的字".into(),
                ..Default::default()
            },
        ),
        (
            "keyword + reach + the last year",
            PostQuery {
                q: "教育訓練".into(),
                reach: "city".into(),
                from: year_ago,
                ..Default::default()
            },
        ),
    ];
    for (label, q) in cases {
        let mut v = Vec::with_capacity(runs);
        let mut total = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let p = app.announcements(&staff, &q, 1).await.unwrap();
            v.push(t.elapsed());
            total = p.total;
        }
        let (p50, p99) = (pct(&mut v, 0.5), pct(&mut v, 0.99));
        println!(
            "{label:36} p50 {p50:7.2} ms  p99 {p99:7.2} ms  ({:.0}× the baseline's p99; {total} counted)",
            p99 / b99
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
