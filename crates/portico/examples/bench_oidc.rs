//! The OpenID provider under load (issue 4), in one process on loopback:
//!
//! 1. JWT signing and verification per second, ES256 and RS256, one
//!    thread: the limit the token endpoint is measured against.
//! 2. Client credentials grants: per second over HTTP (32 and 256
//!    keep-alive connections), and the process CPU time each one costs
//!    (server and load generator together, so an upper bound on the
//!    server's share); every grant audited, against a server in the same
//!    process with the audit write off, in alternating pairs of windows.
//! 3. Code exchange at the token endpoint: per second and p99 (32
//!    connections; every exchange writes: the spent code, a refresh token,
//!    an audit event).
//! 4. Userinfo and introspection at 64 concurrent connections, p50/p99,
//!    beside the discovery document on the same server as the baseline (the
//!    same HTTP stack with no database or crypto).
//!
//! cargo run --release -p portico --example bench_oidc -- [DATABASE_URL] [SECONDS]
use portico_app::auth::Credentials;
use portico_app::oidc::keys::{Key, parse};
use portico_app::{App, Ctx};
use portico_core::sso::SigningAlg;
use portico_store::Db;
use portico_web::{AppState, WebConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ID: &str = portico_app::demo::SAMPLE_CLIENT_ID;
const SECRET: &str = portico_app::demo::SAMPLE_CLIENT_SECRET;
const CB: &str = "http://127.0.0.1:8081/callback";

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the comm.
    (ticks(11) + ticks(12)) / 100.0
}

fn jwt_rates() {
    println!("== JWT, one thread");
    for alg in SigningAlg::ALL {
        let k = Key::from_pkcs8("bench", alg, &Key::generate(alg).unwrap(), false).unwrap();
        let claims = serde_json::json!({"iss": "http://127.0.0.1", "sub": "1234", "aud": "portico-sample",
            "iat": 1_795_000_000i64, "exp": 1_795_000_600i64, "jti": "0123456789abcdef0123456789abcdef", "scope": "openid profile"});
        let n_sign = if alg == SigningAlg::RS256 {
            2_000
        } else {
            20_000
        };
        let t = Instant::now();
        let mut last = String::new();
        for _ in 0..n_sign {
            last = k.sign("at+jwt", &claims).unwrap();
        }
        let sign = n_sign as f64 / t.elapsed().as_secs_f64();
        let n_verify = 20_000;
        let t = Instant::now();
        for _ in 0..n_verify {
            parse(&last).unwrap().verify(&k).unwrap();
        }
        let verify = n_verify as f64 / t.elapsed().as_secs_f64();
        println!(
            "{}: sign {:>8.0}/s ({:.1} µs)  verify {:>8.0}/s ({:.1} µs)",
            alg.as_str(),
            sign,
            1e6 / sign,
            verify,
            1e6 / verify
        );
    }
}

struct Load {
    rate: f64,
    p50: f64,
    p99: f64,
    cpu_ms_per_op: f64,
}

/// Runs `conns` loops of `op` for `secs` seconds; latencies in ms.
async fn load<F, Fut>(conns: usize, secs: f64, op: F) -> Load
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(secs);
    let mut hs = Vec::new();
    for c in 0..conns {
        let op = op.clone();
        hs.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                assert!(op(c * 1_000_000 + i).await, "request failed");
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                i += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in hs {
        all.extend(h.await.unwrap());
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let n = all.len() as f64;
    Load {
        rate: n / wall,
        p50: pct(&mut all, 0.5),
        p99: pct(&mut all, 0.99),
        cpu_ms_per_op: cpu * 1e3 / n,
    }
}

fn show(name: &str, l: &Load) {
    println!(
        "{name:<34} {:>8.0}/s  p50 {:>6.2} ms  p99 {:>6.2} ms  CPU {:.3} ms/op",
        l.rate, l.p50, l.p99, l.cpu_ms_per_op
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-oidc-{}", std::process::id()));
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/o.db", dir.display())
        });
    let secs: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    portico_app::sms::install_tls_provider();
    jwt_rates();

    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = App::new(db.clone()).with_oidc(
        &base,
        portico_app::oidc::keys::MasterKey::from_bytes(&[9u8; 32]).unwrap(),
    );
    app.seed_demo(500).await.expect("seed");
    let ctx = Ctx::new("127.0.0.1", "bench");
    // An admin session: lift the per-client rate limit for the run.
    let captcha = app.new_captcha().await.unwrap();
    let answer: String = {
        let mut c = db.read().await.unwrap();
        sqlx::Row::get(
            &sqlx::query("SELECT answer FROM captchas WHERE id = $1")
                .bind(captcha.clone())
                .fetch_one(&mut *c)
                .await
                .unwrap(),
            "answer",
        )
    };
    let ns = app
        .sign_in(
            &Credentials {
                login: "staff",
                password: portico_app::demo::DEMO_PASSWORD,
                captcha_id: &captcha,
                captcha_answer: &answer,
            },
            &ctx,
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    let mut settings = (*app.settings().await.unwrap()).clone();
    settings.oauth_client_per_minute = 0;
    settings.oauth_account_per_minute = 100_000;
    let mut c = db.begin().await.unwrap();
    let saved = portico_store::settings::get(&mut c, "system")
        .await
        .unwrap()
        .map_or(0, |s| s.version);
    portico_store::settings::put(
        &mut c,
        portico_core::permission::Unattended::unattended("the benchmark's limits").system(),
        "system",
        &serde_json::to_string(&settings).unwrap(),
        "bench",
        time::OffsetDateTime::now_utc(),
        saved,
    )
    .await
    .unwrap()
    .expect("nobody else saves during the benchmark");
    c.commit().await.unwrap();
    app.refresh_caches();
    let state = AppState {
        app: app.clone(),
        cfg: Arc::new(WebConfig {
            cookie_secure: false,
            node: None,
        }),
    };
    tokio::spawn(portico_web::serve(listener, state, std::future::pending()));
    // The same app with client-credentials grants unaudited, on another
    // port: the baseline for what auditing every grant costs.
    let unaudited_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unaudited = format!("http://{}", unaudited_listener.local_addr().unwrap());
    tokio::spawn(portico_web::serve(
        unaudited_listener,
        AppState {
            app: app.clone().without_grant_audit_for_benchmarks(),
            cfg: Arc::new(WebConfig {
                cookie_secure: false,
                node: None,
            }),
        },
        std::future::pending(),
    ));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(128)
        .build()
        .unwrap();

    println!(
        "== HTTP on loopback ({})",
        if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let (h, b) = (http.clone(), base.clone());
    let disco = load(64, secs, move |_| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            h.get(format!("{b}/.well-known/openid-configuration"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    show("discovery (baseline), 64 conns", &disco);

    let grants = |to: String, conns: usize| {
        let h = http.clone();
        load(conns, secs, move |_| {
            let (h, b) = (h.clone(), to.clone());
            async move {
                h.post(format!("{b}/oauth2/token"))
                    .basic_auth(ID, Some(SECRET))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        })
    };
    // Interleaved, twice each, so the machine's noise falls on both.
    // The first window after start-up runs slower (about two thirds of
    // the rate after it, at a higher CPU cost per grant, audited or not):
    // shown, not compared.
    show(
        "warm-up (not compared)",
        &grants(unaudited.clone(), 32).await,
    );
    // Pairs of windows, unaudited then audited, four pairs at each
    // concurrency: the machine's noise falls on both sides of a pair, and
    // the median of the pairs' ratios is the figure.
    for conns in [32, 256] {
        let mut ratios = Vec::new();
        for pair in 1..=4 {
            let bare = grants(unaudited.clone(), conns).await;
            let audited = grants(base.clone(), conns).await;
            show(&format!("  unaudited, {conns} conns, pair {pair}"), &bare);
            show(
                &format!("  audited,   {conns} conns, pair {pair}"),
                &audited,
            );
            ratios.push(audited.rate / bare.rate);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "client credentials, {conns} conns: audited / unaudited {} — median {:.2} (aim: at least 0.8)",
            ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            (ratios[1] + ratios[2]) / 2.0
        );
    }
    // With 32 callers an audited grant waits for its commit, one commit at
    // a time: the rate is bound by latency, not by the CPU. With more
    // callers (an application farm, many applications) each commit carries
    // more grants; both servers are then CPU-bound.

    // Codes for the exchange: the authorization endpoint with the session.
    let cookie = format!("portico_session={}", ns.token);
    let verifier = "v".repeat(50);
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let n_codes = 4_000;
    let t = Instant::now();
    let mut codes = Vec::with_capacity(n_codes);
    let mut authz = Vec::with_capacity(n_codes);
    for i in 0..n_codes {
        let t1 = Instant::now();
        let r = http
            .get(format!(
                "{base}/oauth2/authorize?client_id={ID}&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&response_type=code&scope=openid%20profile&state={i}&code_challenge={challenge}&code_challenge_method=S256"
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        authz.push(t1.elapsed().as_secs_f64() * 1e3);
        let loc = r
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let code = loc
            .split("code=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        codes.push(code);
    }
    println!(
        "{:<34} {:>8.0}/s  p50 {:>6.2} ms  p99 {:>6.2} ms  (one connection)",
        "authorize (code issued)",
        n_codes as f64 / t.elapsed().as_secs_f64(),
        pct(&mut authz.clone(), 0.5),
        pct(&mut authz, 0.99)
    );
    // Every code exchanged once, by 32 connections taking the next code.
    let codes = Arc::new(codes);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tokens = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut hs = Vec::new();
    for _ in 0..32 {
        let (h, b, cs, nx, v, tk) = (
            http.clone(),
            base.clone(),
            codes.clone(),
            next.clone(),
            verifier.clone(),
            tokens.clone(),
        );
        hs.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = nx.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(code) = cs.get(i) else { break };
                let t = Instant::now();
                let r = h
                    .post(format!("{b}/oauth2/token"))
                    .basic_auth(ID, Some(SECRET))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code),
                        ("redirect_uri", CB),
                        ("code_verifier", &v),
                    ])
                    .send()
                    .await
                    .expect("token request");
                assert_eq!(r.status(), 200, "exchange failed");
                let j: serde_json::Value = r.json().await.expect("json");
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                let mut g = tk.lock().unwrap();
                if g.len() < 64 {
                    g.push(j["access_token"].as_str().unwrap_or("").to_owned());
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for h in hs {
        lat.extend(h.await.unwrap());
    }
    let wall = t0.elapsed().as_secs_f64();
    show(
        "code exchange, 32 conns",
        &Load {
            rate: lat.len() as f64 / wall,
            p50: pct(&mut lat, 0.5),
            p99: pct(&mut lat, 0.99),
            cpu_ms_per_op: (cpu_seconds() - cpu0) * 1e3 / n_codes as f64,
        },
    );
    let tokens = Arc::new(tokens.lock().unwrap().clone());
    let (h, b, t) = (http.clone(), base.clone(), tokens.clone());
    let ui = load(64, secs, move |i| {
        let (h, b, t) = (h.clone(), b.clone(), t.clone());
        async move {
            h.get(format!("{b}/oauth2/userinfo"))
                .bearer_auth(&t[i % t.len()])
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    show("userinfo, 64 conns", &ui);
    let (h, b, t) = (http.clone(), base.clone(), tokens.clone());
    let intro = load(64, secs, move |i| {
        let (h, b, t) = (h.clone(), b.clone(), t.clone());
        async move {
            let tok = t[i % t.len()].clone();
            h.post(format!("{b}/oauth2/introspect"))
                .basic_auth(ID, Some(SECRET))
                .form(&[("token", tok.as_str())])
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    show("introspection, 64 conns", &intro);
    println!(
        "p99 ratios to the discovery baseline: userinfo {:.2}, introspection {:.2}",
        ui.p99 / disco.p99,
        intro.p99 / disco.p99
    );
    let _ = std::fs::remove_dir_all(&dir);
}
