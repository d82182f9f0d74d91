//! Outbox throughput and delay (issue 3), against a real SMTP server
//! (Python's aiosmtpd, started here on a free loopback port).
//!
//! 1. Baseline: the same SMTP client sending N mails directly, 20 at a
//!    time as the worker does, no outbox.
//! 2. Throughput: N committed application-code mails delivered by the outbox
//!    (claim under a lease, send, mark sent): mails/s and the ratio to 1.
//! 3. Delay: with the worker running, M codes requested 10 ms apart; the
//!    time from commit to "sent" (the SMTP server accepted it), p50/p99.
//!
//! cargo run --release -p portico --example bench_outbox -- [DATABASE_URL] [N] [M]
use portico_app::outbox::{Delivery, Mailer, Recording, SmtpMailer};
use portico_app::{App, Ctx};
use portico_store::Db;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join(format!("portico-bench-outbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = args
        .get(1)
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/o.db", dir.display()));
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let m: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(300);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut smtpd = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Sink"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
    let until = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let smtp = format!("smtp://127.0.0.1:{port}");
    let mailer =
        Arc::new(SmtpMailer::new(&smtp, "Portico <noreply@portico.test>").expect("mailer"));

    // 1. Direct sends.
    let sample = portico_store::outbox::Message {
        id: 0,
        channel: portico_core::outbox::Channel::Mail,
        recipient: "someone@example.org".into(),
        subject: "【臺南市政府公務入口網】申請帳號驗證碼 / your code".into(),
        body: portico_app::mail::code(portico_core::verify::Purpose::Apply, "123456", 10).body,
        idem_key: String::new(),
        state: portico_core::outbox::DeliveryState::Pending,
        attempts: 1,
        next_at: time::OffsetDateTime::now_utc(),
        last_error: String::new(),
        account_id: None,
        secret: false,
        lease_until: None,
        created_at: time::OffsetDateTime::now_utc(),
        sent_at: None,
        recorded: false,
    };
    // The same parallelism as the worker: 20 at a time.
    let t = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(20) {
        let mut set = tokio::task::JoinSet::new();
        for i in chunk {
            let msg = portico_store::outbox::Message {
                idem_key: format!("direct{i}"),
                ..sample.clone()
            };
            let mailer = mailer.clone();
            set.spawn(async move { mailer.send(&msg).await });
        }
        while let Some(r) = set.join_next().await {
            r.expect("task").expect("direct send");
        }
    }
    let direct = n as f64 / t.elapsed().as_secs_f64();

    // 2. Through the outbox.
    let db = Db::connect(&url).await.expect("db");
    portico_store::migrate::run(&db).await.expect("migrate");
    let app =
        App::new(db.clone()).with_delivery(Delivery::new(mailer.clone(), Arc::new(Recording)));
    for i in 0..n {
        let ctx = Ctx::new(
            format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
            "bench",
        );
        app.start_application(&format!("bench{i}@example.org"), &ctx)
            .await
            .expect("code");
    }
    let t = Instant::now();
    let mut sent = 0;
    loop {
        let r = app.deliver_due().await.expect("round");
        sent += r.sent;
        if r.claimed() == 0 {
            break;
        }
    }
    let outbox = sent as f64 / t.elapsed().as_secs_f64();
    assert_eq!(sent, n, "every committed mail sent");

    // 3. Delay from commit to sent, with the worker running.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = app.clone();
    let task = tokio::spawn(async move {
        worker
            .run_outbox(async {
                let _ = stopped.await;
            })
            .await
    });
    for i in 0..m {
        let ctx = Ctx::new(format!("10.200.{}.{}", i / 256, i % 256), "bench");
        app.start_application(&format!("delay{i}@example.org"), &ctx)
            .await
            .expect("code");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let until = Instant::now() + Duration::from_secs(60);
    let delays = loop {
        let mut c = db.read().await.expect("conn");
        let rows = sqlx::query(
            "SELECT sent_at - created_at AS d FROM outbox WHERE recipient LIKE 'delay%' AND state = 'sent'",
        )
        .fetch_all(&mut *c)
        .await
        .expect("delays");
        if rows.len() == m || Instant::now() > until {
            break rows
                .iter()
                .map(|r| sqlx::Row::get::<i64, _>(r, "d") as f64)
                .collect::<Vec<_>>();
        }
        drop(c);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop.send(());
    let _ = task.await;
    let mut d = delays;
    let (d50, d99) = (pct(&mut d, 0.5), pct(&mut d, 0.99));
    let _ = smtpd.kill();
    let _ = smtpd.wait();

    println!(
        "backend {:?}, {n} mails, aiosmtpd on loopback",
        db.backend()
    );
    println!("baseline, direct SMTP sends: {direct:.0} mails/s");
    println!(
        "through the outbox: {outbox:.0} mails/s, ratio {:.2} of direct",
        outbox / direct
    );
    println!(
        "commit to sent, worker running, {} codes 10 ms apart: p50 {d50:.0} ms, p99 {d99:.0} ms",
        d.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
