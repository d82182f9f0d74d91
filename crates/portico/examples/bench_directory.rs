//! The directory write-through and reconcile (issue 13), against the real
//! peers (`scripts/peers/directory`: Samba AD and OpenLDAP on loopback).
//!
//! 1. Accounts pushed per second to Samba AD. Baseline: the same LDAP
//!    writes a new account costs (add the entry made disabled, then enable
//!    it), issued directly by ldap3 over one connection. Measured: N new
//!    accounts queued and applied by Portico's directory worker (claim the
//!    change, read the account, check the OUs, look the entry up, add it,
//!    enable it, mark the change), and the ratio.
//! 2. Reconcile of M accounts on OpenLDAP once all are written: its time
//!    against a plain paged read of the same entries and attributes (the
//!    directory's own cost), the memory it takes (peak RSS over the run),
//!    and the LDAP writes it leads to when nothing drifted (changes queued,
//!    then applied).
//!
//! Start the peers first (`eval "$(scripts/peers/directory start DIR)"`) or
//! let this start its own in a temporary folder.
//!
//! cargo run --release -p portico --example bench_directory -- [N] [M]
use portico_app::App;
use portico_core::account::AccountState;
use portico_core::directory::{Person, TargetInput};
use portico_core::permission::{Principal, Role, RoleKind, Unattended};
use portico_store::Db;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

const SEED: Unattended = Unattended::unattended("the directory benchmark");

fn env_or_start() -> (HashMap<String, String>, Option<PathBuf>) {
    let have: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("PORTICO_TEST_"))
        .collect();
    if have.contains_key("PORTICO_TEST_AD_URL") {
        return (have, None);
    }
    let dir = std::env::temp_dir().join(format!("portico-bench-dir-{}", std::process::id()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/directory");
    let out = std::process::Command::new(&script)
        .arg("start")
        .arg(&dir)
        .output()
        .expect("scripts/peers/directory");
    assert!(
        out.status.success(),
        "peers: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vars = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    (vars, Some(dir))
}

fn input(vars: &HashMap<String, String>, kind: &str) -> TargetInput {
    let p = if kind == "ad" { "AD" } else { "LDAP" };
    let v = |k: String| vars.get(&k).cloned().unwrap_or_else(|| panic!("{k}"));
    TargetInput {
        name: format!("bench {kind}"),
        kind: kind.into(),
        url: v(format!("PORTICO_TEST_{p}_URL")),
        starttls: if kind == "ldap" {
            "on".into()
        } else {
            String::new()
        },
        ca_pem: std::fs::read_to_string(v("PORTICO_TEST_DIR_CA".into())).expect("CA"),
        bind_dn: v(format!("PORTICO_TEST_{p}_BIND_DN")),
        bind_password: v(format!("PORTICO_TEST_{p}_PASSWORD")),
        people_base: v(format!("PORTICO_TEST_{p}_BASE")),
        unit_ous: "on".into(),
        password_sync: "on".into(),
        enabled: "on".into(),
        ..Default::default()
    }
}

/// A fresh OU of its own under the directory's base, as the target's
/// people base.
async fn fresh(mut i: TargetInput, tag: &str) -> TargetInput {
    let t = i.check().expect("target");
    let mut l = portico_app::directory::client::connect(&t, &i.bind_password)
        .await
        .expect("connect");
    let ou = if i.kind == "ad" { "OU" } else { "ou" };
    let dn = format!("{ou}={tag},{}", t.people_base);
    l.add(
        &dn,
        vec![
            ("objectClass", HashSet::from(["top", "organizationalUnit"])),
            ("ou", HashSet::from([tag])),
        ],
    )
    .await
    .expect("add ou")
    .success()
    .expect("ou");
    i.people_base = dn;
    i
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Inserts `n` active accounts in 民政局/行政科 named `{prefix}{i}`, and
/// queues a sync of each for `target` if one is given.
async fn accounts(app: &App, prefix: &str, n: usize, target: Option<i64>) {
    let tree = app.org_tree().await.expect("tree");
    let agency = tree
        .units
        .iter()
        .find(|u| u.name == "民政局")
        .expect("民政局");
    let unit = tree
        .units
        .iter()
        .find(|u| u.name == "行政科" && agency.path.contains(&u.path))
        .expect("行政科");
    let now = time::OffsetDateTime::now_utc();
    let mut tx = app.db.begin().await.expect("tx");
    for i in 0..n {
        let login = format!("{prefix}{i:05}");
        let id = portico_store::accounts::insert(
            &mut tx,
            &portico_store::accounts::NewAccount {
                login: &login,
                national_id: None,
                name: &format!("測試{i}"),
                unit_id: unit.id,
                title: "科員",
                office_phone: "062991111",
                office_ext: &format!("{}", 1000 + i % 9000),
                mobile: "",
                backup_email: &format!("{login}@example.net"),
                official_email: &format!("{login}@mail.tainan.gov.tw"),
                state: AccountState::Active,
                password_hash: None,
            },
            now,
        )
        .await
        .expect("account");
        if let Some(target) = target {
            portico_store::directory::enqueue(
                &mut tx,
                target,
                &format!("account:{}", id.0),
                "sync_person",
                None,
                now,
            )
            .await
            .expect("enqueue");
        }
    }
    tx.commit().await.expect("commit");
    let _ = SEED;
}

#[tokio::main]
async fn main() {
    portico_app::sms::install_tls_provider();
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let m: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let (vars, started) = env_or_start();
    let tag = format!(
        "b{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            % 1_000_000
    );

    let dir = std::env::temp_dir().join(format!("portico-bench-dir-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = Db::connect(&format!("sqlite://{}/d.db", dir.display()))
        .await
        .expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app = App::new(db.clone()).with_oidc(
        "http://127.0.0.1",
        portico_app::oidc::keys::MasterKey::from_bytes(&[9u8; 32]).expect("key"),
    );
    app.seed_demo(20).await.expect("seed");
    let admin = Principal::unchecked_for_command_line(
        portico_core::ids::AccountId(1),
        "admin".into(),
        "admin".into(),
        portico_core::org::TreePath::from_stored("/1/".into()),
        vec![Role {
            kind: RoleKind::SystemAdmin,
            scope: None,
        }],
    );
    let ctx = portico_app::Ctx::new("127.0.0.1", "bench");

    // ---- 1. Samba AD: direct writes, then Portico's worker. ------------
    let ad_in = fresh(input(&vars, "ad"), &tag).await;
    let ad = ad_in.check().expect("ad");
    let mut l = portico_app::directory::client::connect(&ad, &ad_in.bind_password)
        .await
        .expect("connect ad");
    let units: Vec<String> = vec!["府內單位".into(), "民政局".into(), "行政科".into()];
    for (dn, name) in ad.unit_dns(&units).iter().zip(&units) {
        l.add(
            dn,
            vec![
                (
                    "objectClass".to_owned(),
                    HashSet::from(["top".to_owned(), "organizationalUnit".to_owned()]),
                ),
                ("ou".to_owned(), HashSet::from([name.clone()])),
            ],
        )
        .await
        .expect("ou")
        .success()
        .expect("ou");
    }
    let t = Instant::now();
    for i in 0..n {
        let p = Person {
            login: format!("{tag}d{i:05}"),
            name: format!("測試{i}"),
            title: "科員".into(),
            office_phone: "062991111".into(),
            office_ext: format!("{}", 1000 + i % 9000),
            official_email: format!("{tag}d{i:05}@mail.tainan.gov.tw"),
            unit_names: units.clone(),
            agency_name: "民政局".into(),
            unit_oid: String::new(),
            enabled: true,
            mailbox: false,
        };
        let dn = ad.person_dn(&p);
        let mut attrs: Vec<(String, HashSet<String>)> = vec![
            (
                "objectClass".into(),
                ad.person_classes().iter().map(|c| c.to_string()).collect(),
            ),
            (
                ad.login_attribute().into(),
                HashSet::from([p.login.clone()]),
            ),
        ];
        for (a, v) in ad.person_attributes(&p) {
            if !v.is_empty() {
                attrs.push((a, v.into_iter().collect()));
            }
        }
        let (ua, off) = ad.enabled_attribute(false);
        attrs.push((ua.clone(), off.into_iter().collect()));
        l.add(&dn, attrs)
            .await
            .expect("add")
            .success()
            .expect("added");
        let (_, on) = ad.enabled_attribute(true);
        l.modify(&dn, vec![ldap3::Mod::Replace(ua, on.into_iter().collect())])
            .await
            .expect("modify")
            .success()
            .expect("enabled");
    }
    let direct = n as f64 / t.elapsed().as_secs_f64();
    let _ = l.unbind().await;

    let ad_portico = fresh(input(&vars, "ad"), &format!("{tag}p")).await;
    let target = app
        .create_directory_target(&admin, &ad_portico, &ctx)
        .await
        .expect("target");
    accounts(&app, &format!("{tag}p"), n, Some(target)).await;
    let t = Instant::now();
    let r = app.deliver_directory().await.expect("deliver");
    let through = n as f64 / t.elapsed().as_secs_f64();
    assert_eq!((r.applied as usize, r.failed), (n, 0), "{r:?}");
    println!(
        "Samba AD, {n} new accounts: direct ldap3 {direct:.1}/s, Portico's worker {through:.1}/s, ratio {:.3}",
        through / direct
    );
    // The AD target is done with: later syncs go to OpenLDAP only.
    let mut row = ad_portico.clone();
    row.enabled = String::new();
    let version = app
        .directory_target(&admin, target)
        .await
        .expect("target")
        .version;
    app.update_directory_target(&admin, target, &row, version, &ctx)
        .await
        .expect("disable the AD target");

    // ---- 2. OpenLDAP: reconcile of M accounts. --------------------------
    let ldap_in = fresh(input(&vars, "ldap"), &format!("{tag}r")).await;
    let lt = ldap_in.check().expect("ldap");
    let target = app
        .create_directory_target(&admin, &ldap_in, &ctx)
        .await
        .expect("target");
    accounts(&app, &format!("{tag}r"), m, None).await;
    let t = Instant::now();
    // The demo's own accounts and mail accounts come in with the repair.
    app.reconcile_directory(target, false, &ctx)
        .await
        .expect("first reconcile");
    let mut r = portico_app::directory::sync::DirectoryRound::default();
    loop {
        // One call applies up to 10,000 (the serve loop calls again).
        let round = app.deliver_directory().await.expect("deliver");
        r.applied += round.applied;
        r.failed += round.failed;
        if round.applied + round.failed + round.retrying == 0 {
            break;
        }
    }
    println!(
        "OpenLDAP: {} accounts written in {:.1} s ({:.0}/s)",
        r.applied,
        t.elapsed().as_secs_f64(),
        r.applied as f64 / t.elapsed().as_secs_f64()
    );
    // Baseline: the directory's own cost of handing over every entry.
    let mut l = portico_app::directory::client::connect(&lt, &ldap_in.bind_password)
        .await
        .expect("connect ldap");
    let (enabled, _) = lt.enabled_attribute(true);
    let mut attrs = vec![lt.login_attribute().to_owned(), enabled];
    attrs.extend(
        lt.person_attributes(&Person::default())
            .into_iter()
            .map(|(a, _)| a),
    );
    let mut reads = Vec::new();
    let mut recs = Vec::new();
    let before = rss_kib();
    for _ in 0..3 {
        let t = Instant::now();
        let found = portico_app::directory::client::search_all(
            &mut l,
            &lt.people_base,
            &format!("({}=*)", lt.login_attribute()),
            attrs.clone(),
        )
        .await
        .expect("read");
        reads.push(t.elapsed().as_secs_f64());
        assert!(found.len() >= m);
        drop(found);
        let t = Instant::now();
        let d = app
            .reconcile_directory(target, true, &ctx)
            .await
            .expect("reconcile");
        recs.push(t.elapsed().as_secs_f64());
        assert!(d.is_empty(), "nothing drifted: {d:?}");
        assert!(d.compared >= m);
    }
    let peak = peak_rss_kib();
    let read = reads.iter().cloned().fold(f64::MAX, f64::min);
    let rec = recs.iter().cloned().fold(f64::MAX, f64::min);
    // Nothing drifted: a repairing reconcile queues nothing, so nothing
    // is written.
    let d = app
        .reconcile_directory(target, false, &ctx)
        .await
        .expect("repair");
    let r = app.deliver_directory().await.expect("deliver");
    println!(
        "OpenLDAP, reconcile of {} entries (best of 3): raw paged read {:.2} s, reconcile {:.2} s, ratio {:.2}; RSS {} MiB before, peak {} MiB; no drift → {} changes queued, {} applied (LDAP writes)",
        d.compared,
        read,
        rec,
        rec / read,
        before / 1024,
        peak / 1024,
        r.applied + r.retrying + r.failed,
        r.applied
    );
    if let Some(dir) = started {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/directory");
        let _ = std::process::Command::new(script)
            .arg("stop")
            .arg(dir)
            .status();
    }
}
