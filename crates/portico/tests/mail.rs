//! Mail through a real SMTP server (Python's aiosmtpd, started here on a
//! free loopback port): the durable outbox delivers what was committed,
//! survives an outage, and sends nothing twice.
mod common;

use common::{TestServer, between};
use portico_app::outbox::{Delivery, Recording, SmtpMailer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An aiosmtpd process writing each message it receives into a maildir.
struct Smtpd {
    child: Child,
}

impl Smtpd {
    fn start(port: u16, dir: &Path) -> Smtpd {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // aiosmtpd makes the maildir itself (tmp, new, cur).
            .arg(dir.join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (./scripts/test installs it: pip install aiosmtpd)");
        // Ready when it accepts a connection; bounded.
        let until = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "aiosmtpd did not start on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtpd { child }
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn maildir() -> common::TempDir {
    let d = std::env::temp_dir().join(format!(
        "portico-mail-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).expect("maildir");
    common::TempDir(d)
}

/// The raw messages the server received.
fn received(dir: &Path) -> Vec<String> {
    let new: PathBuf = dir.join("box").join("new");
    let Ok(rd) = std::fs::read_dir(&new) else {
        return vec![];
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// A message's subject and body as a mail client shows them: the body is
/// UTF-8 text, possibly base64 or quoted-printable, so Python's own mail
/// parser decodes it.
fn decoded(mail: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys,email;from email import policy;m=email.message_from_string(sys.stdin.read(),policy=policy.default);print(m['Subject']);print(m.get_content())",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut p| {
            use std::io::Write;
            p.stdin.take().expect("stdin").write_all(mail.as_bytes())?;
            p.wait_with_output()
        })
        .expect("python3 parses the mail");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

async fn server_mailing_to(port: u16) -> TestServer {
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "臺南市政府公務入口網 <noreply@portico.test>",
    )
    .expect("mailer");
    TestServer::start_with(20, Delivery::new(Arc::new(mailer), Arc::new(Recording))).await
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let port = free_port();
    let dir = maildir();
    let s = server_mailing_to(port).await;
    // The SMTP server is down: five people ask for application codes.
    let mut c = s.client();
    let to: Vec<String> = (0..5).map(|i| format!("outage{i}@example.org")).collect();
    for addr in &to {
        let (st, _, _) = c.post_form("/apply/email", &[("email", addr)]).await;
        assert_eq!(st, 200);
    }
    let r = s.app.deliver_due().await.expect("round");
    let mut admin = s.signed_in("admin").await;
    assert_eq!((r.sent, r.retrying), (0, 5), "{r:?}");
    // Not due again before the back-off.
    assert_eq!(s.app.deliver_due().await.unwrap().claimed(), 0);
    let page = admin.get("/admin/outbox?state=pending").await.1;
    assert!(page.contains("outage0@example.org"), "{page}");
    assert!(page.contains("Connection refused"), "the outbox shows why");
    // Issue 12 §2.9: a live code is shown to nobody, a system admin
    // included, while it waits for the mail server.
    let code = s.code_sent_to("outage0@example.org").await;
    let id = between(&page, "href=\"/admin/outbox/", "\"");
    let detail = admin.get(&format!("/admin/outbox/{id}")).await.1;
    assert!(detail.contains("不予顯示"), "{detail}");
    assert!(
        !detail.contains(&code) && !page.contains(&code),
        "the code is hidden"
    );
    assert!(
        page.contains("示範郵箱：簡訊未設定寄送"),
        "a real mail server, the SMS still the demo's: {page}"
    );

    let _smtpd = Smtpd::start(port, &dir.0);
    s.clock.advance(time::Duration::seconds(31));
    let r = s.app.deliver_due().await.expect("round");
    assert_eq!(r.sent, 5, "{r:?}");
    assert_eq!(
        s.app.deliver_due().await.unwrap().claimed(),
        0,
        "nothing left"
    );

    let got = received(&dir.0);
    assert_eq!(got.len(), 5, "five mails, none twice");
    let mut recipients: Vec<&str> = got.iter().filter_map(|m| header(m, "To")).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        to.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = got.iter().filter_map(|m| header(m, "Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "distinct Message-IDs");
    assert!(ids.iter().all(|i| i.ends_with("@portico>")));
    let page = admin.get("/admin/outbox?state=sent").await.1;
    assert!(page.contains("outage4@example.org"));
}

#[tokio::test]
async fn the_worker_delivers_a_committed_code_that_then_verifies() {
    let port = free_port();
    let dir = maildir();
    let _smtpd = Smtpd::start(port, &dir.0);
    let s = server_mailing_to(port).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = s.app.clone();
    let task = tokio::spawn(async move {
        worker
            .run_outbox(async {
                let _ = stopped.await;
            })
            .await
    });
    let mut c = s.client();
    c.post_form("/apply/email", &[("email", "live@example.org")])
        .await;
    let until = Instant::now() + Duration::from_secs(20);
    let mail = loop {
        if let Some(m) = received(&dir.0).pop() {
            break m;
        }
        assert!(Instant::now() < until, "the worker delivered nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = stop.send(());
    let _ = task.await;
    // Once the SMTP server has it, the code is gone from the outbox.
    let (_, stored) = s.last_message_to("live@example.org").await.unwrap();
    assert_eq!(stored, portico_store::outbox::REDACTED);
    let text = decoded(&mail);
    assert!(text.contains("申請帳號驗證碼"), "{text}");
    let code = common::code_in(&text).expect("a code in the mail");
    let (st, _, to) = c
        .post_form(
            "/apply/code",
            &[("email", "live@example.org"), ("code", &code)],
        )
        .await;
    assert_eq!((st, to.as_str()), (303, "/apply/form"));
}

/// The Mitake simulator on a free loopback port.
async fn mitake() -> (portico_web::mitake_sim::MitakeSim, String) {
    let sim = portico_web::mitake_sim::MitakeSim::new("portico", "s3cret");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = sim.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (sim, base)
}

fn sms_message(to: &str, key: &str) -> portico_store::outbox::Message {
    portico_store::outbox::Message {
        id: 1,
        channel: portico_core::outbox::Channel::Sms,
        recipient: to.into(),
        subject: String::new(),
        body: "臺南市政府公務入口網驗證碼：123456".into(),
        idem_key: key.into(),
        state: portico_core::outbox::DeliveryState::Pending,
        attempts: 1,
        next_at: time::OffsetDateTime::now_utc(),
        last_error: String::new(),
        account_id: None,
        secret: true,
        lease_until: None,
        created_at: time::OffsetDateTime::now_utc(),
        sent_at: None,
        recorded: false,
    }
}

#[tokio::test]
async fn the_mitake_client_speaks_the_published_protocol() {
    use portico_app::outbox::{DeliveryError, SmsGateway};
    use portico_app::sms::MitakeSms;
    let (sim, base) = mitake().await;
    let ok = MitakeSms::new(&base, "portico", "s3cret").unwrap();
    assert_eq!(ok.send(&sms_message("0912345678", "key-1")).await, Ok(()));
    // The same clientid again: Mitake answers Duplicate=Y, nothing is sent twice.
    assert_eq!(ok.send(&sms_message("0912345678", "key-1")).await, Ok(()));
    assert_eq!(sim.messages().len(), 1);
    assert!(matches!(
        ok.send(&sms_message("12345", "key-2")).await,
        Err(DeliveryError::Permanent(e)) if e.contains("statuscode=v")
    ));
    let wrong = MitakeSms::new(&base, "portico", "wrong").unwrap();
    assert!(matches!(
        wrong.send(&sms_message("0912345678", "key-3")).await,
        Err(DeliveryError::Transient(e)) if e.contains("statuscode=e")
    ));
    sim.set_down(true);
    assert!(matches!(
        ok.send(&sms_message("0912345678", "key-4")).await,
        Err(DeliveryError::Transient(_))
    ));
    assert_eq!(sim.messages().len(), 1);
}

#[tokio::test]
async fn a_mobile_is_bound_and_a_password_reset_by_sms_through_a_carrier_outage() {
    let (sim, base) = mitake().await;
    let sms = portico_app::sms::MitakeSms::new(&base, "portico", "s3cret").unwrap();
    let s = TestServer::start_with(20, Delivery::new(Arc::new(Recording), Arc::new(sms))).await;
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    c.post_form(
        "/account/contacts/mobile",
        &[("_csrf", &csrf), ("mobile", "0988123456")],
    )
    .await;
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    let text = sim.messages().pop().expect("an SMS").smbody;
    let code = common::code_in(&text).expect("code in the SMS");
    let (st, _, _) = c
        .post_form(
            "/account/contacts/mobile/confirm",
            &[("_csrf", &csrf), ("mobile", "0988123456"), ("code", &code)],
        )
        .await;
    assert_eq!(st, 303);

    sim.set_down(true);
    let mut f = s.client();
    let (st, page) = s.flow_send(&mut f, "/forgot", "sms", "0988123456").await;
    assert_eq!(st, 200, "{page}");
    assert_eq!(s.app.deliver_due().await.unwrap().retrying, 1);
    sim.set_down(false);
    s.clock.advance(time::Duration::seconds(31));
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    let msgs = sim.messages();
    assert_eq!(msgs.len(), 2, "one per message, none twice");
    let code = common::code_in(&msgs[1].smbody).unwrap();
    let (st, _, to) = f
        .post_form(
            "/forgot/code",
            &[("method", "sms"), ("mobile", "0988123456"), ("code", &code)],
        )
        .await;
    assert_eq!((st, to.as_str()), (303, "/forgot/password"));
}

/// A mail peer that refuses every message for good until told otherwise.
#[derive(Debug, Default)]
struct Refusing(std::sync::atomic::AtomicBool);

impl portico_app::outbox::Mailer for Refusing {
    fn send<'a>(
        &'a self,
        _m: &'a portico_store::outbox::Message,
    ) -> portico_app::outbox::BoxFut<'a, Result<(), portico_app::outbox::DeliveryError>> {
        Box::pin(async move {
            if self.0.load(std::sync::atomic::Ordering::SeqCst) {
                Ok(())
            } else {
                Err(portico_app::outbox::DeliveryError::Permanent(
                    "550 mailbox unavailable".into(),
                ))
            }
        })
    }
}

#[tokio::test]
async fn a_failed_message_is_shown_and_an_admin_sends_it_again() {
    let peer = Arc::new(Refusing::default());
    let s = TestServer::start_with(20, Delivery::new(peer.clone(), Arc::new(Recording))).await;
    let mut c = s.client();
    c.post_form("/apply/email", &[("email", "refused@example.org")])
        .await;
    let r = s.app.deliver_due().await.unwrap();
    assert_eq!(r.failed, 1, "a permanent refusal is not retried: {r:?}");
    let mut admin = s.signed_in("admin").await;
    let page = admin.get("/admin/outbox?state=failed").await.1;
    assert!(
        page.contains("refused@example.org") && page.contains("550 mailbox unavailable"),
        "{page}"
    );
    let id = between(&page, "href=\"/admin/outbox/", "\"");
    let detail = admin.get(&format!("/admin/outbox/{id}")).await.1;
    assert!(detail.contains("重新寄送"));
    // Only a system admin sees the outbox.
    let mut civil = s.signed_in("civil_admin").await;
    assert_eq!(civil.get("/admin/outbox").await.0, 403);
    peer.0.store(true, std::sync::atomic::Ordering::SeqCst);
    let csrf = admin.csrf().await;
    let (st, _, _) = admin
        .post_form(&format!("/admin/outbox/{id}/retry"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 303);
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    let (st, page, _) = admin
        .post_form(&format!("/admin/outbox/{id}/retry"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 409, "a sent message is not sent again: {page}");
}

/// Issue 15 §1 (002 §六 (二)): a week before an access review's deadline,
/// each reviewer with items still waiting is reminded, once, and the mail
/// really reaches the mail server.
#[tokio::test]
async fn an_access_review_reminder_reaches_each_reviewer_through_smtp() {
    let port = free_port();
    let dir = maildir();
    let _smtpd = Smtpd::start(port, &dir.0);
    let s = server_mailing_to(port).await;
    // The demo's review of 民政局 was seeded, due in three weeks, and
    // mailed nobody.
    s.app.deliver_due().await.expect("round");
    assert!(
        received(&dir.0)
            .iter()
            .all(|m| !decoded(m).contains("權限清查")),
        "the seed mails nobody"
    );
    assert_eq!(s.app.remind_campaigns().await.unwrap(), 0, "not yet");
    s.clock.advance(time::Duration::days(15));
    assert_eq!(s.app.remind_campaigns().await.unwrap(), 1);
    assert_eq!(s.app.remind_campaigns().await.unwrap(), 0, "only once");
    let r = s.app.deliver_due().await.expect("round");
    assert!(r.sent >= 2, "{r:?}");
    let reminders: Vec<(String, String)> = received(&dir.0)
        .iter()
        .map(|m| (header(m, "To").unwrap_or("").to_owned(), decoded(m)))
        .filter(|(_, text)| text.contains("提醒：權限清查"))
        .collect();
    let mut to: Vec<&str> = reminders.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    let before = to.len();
    to.dedup();
    assert_eq!(before, to.len(), "one reminder each: {to:?}");
    // The bureau's admin (its units' rights) and the system admin (the
    // bureau admin's own role) both still have items waiting.
    for who in ["civil_admin@mail.tainan.gov.tw", "admin@mail.tainan.gov.tw"] {
        assert!(to.contains(&who), "{who} in {to:?}");
    }
    assert!(
        reminders
            .iter()
            .all(|(_, t)| t.contains("您尚有") && t.contains("項權限未清查")),
        "{reminders:?}"
    );
}
