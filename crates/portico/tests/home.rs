//! Issue 17's home page (seed 004 第三節 壹 一 訊息介接, 貳 二 自訂儀表板
//! 編輯) against real peers: 公務郵件 read from Dovecot over IMAP and IMAPS
//! as a master user on the person's behalf, without marking anything read;
//! the city's other systems through their JSON contracts (the simulator
//! the demo uses) — one slow or down never holds the others; what they
//! send is shown as plain, bounded text; the layout is the person's own.
mod common;

use common::TestServer;
use portico_app::office::mail::MailSetup;
use portico_app::office::systems::SystemSetup;
use portico_app::office::{Block, OfficeSetup};
use portico_core::home::{Arrangement, Mode, Part};
use portico_core::office::{Reading, Source};
use portico_web::office_sim::OfficeSim;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const MASTER: &str = "portal";
const MASTER_PW: &str = "Master#2026";

/// Dovecot as the city's mail server, stopped when dropped.
struct MailStore {
    dir: PathBuf,
    imap: u16,
    imaps: u16,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/dovecot-mailstore")
}

impl MailStore {
    fn start() -> MailStore {
        let dir = std::env::temp_dir().join(format!("portico-mailstore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(script())
            .args(["start", dir.to_str().unwrap(), MASTER, MASTER_PW])
            .output()
            .expect("run scripts/peers/dovecot-mailstore");
        assert!(
            out.status.success(),
            "dovecot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ports = String::from_utf8_lossy(&out.stdout);
        let mut p = ports.split_whitespace().map(|x| x.parse().expect("a port"));
        MailStore {
            dir,
            imap: p.next().unwrap(),
            imaps: p.next().unwrap(),
        }
    }

    fn ca(&self) -> String {
        std::fs::read_to_string(self.dir.join("ca.pem")).expect("the CA")
    }

    /// Python's imaplib (a client nobody here wrote), signed in as the
    /// master user for `login`, runs `code` with the connection as `m`.
    fn python(&self, login: &str, code: &str) -> String {
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import imaplib,sys,time\nm=imaplib.IMAP4('127.0.0.1',int(sys.argv[1]))\nm.login(sys.argv[2]+'*'+sys.argv[3],sys.argv[4])\n{code}"
            ))
            .arg(self.imap.to_string())
            .arg(login)
            .arg(MASTER)
            .arg(MASTER_PW)
            .output()
            .expect("python3 imaplib");
        assert!(
            out.status.success(),
            "imaplib: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Delivers a message into `login`'s inbox, seen or not.
    fn deliver(&self, login: &str, from: &str, subject: &str, seen: bool, at: i64) {
        let flags = if seen { "(\\Seen)" } else { "()" };
        self.python(
            login,
            &format!(
                "msg=b'From: {from}\\r\\nTo: {login}@tainan.gov.tw\\r\\nSubject: {subject}\\r\\n\\r\\nbody\\r\\n'\nm.append('INBOX','{flags}',imaplib.Time2Internaldate({at}),msg)"
            ),
        );
    }

    fn unseen(&self, login: &str) -> usize {
        let out = self.python(
            login,
            "m.select('INBOX')\nprint(m.search(None,'UNSEEN')[1][0].decode())",
        );
        out.split_whitespace().count()
    }

    fn setup(&self, tls: bool, password: &str) -> MailSetup {
        MailSetup {
            url: if tls {
                format!("imaps://localhost:{}", self.imaps)
            } else {
                format!("imap://127.0.0.1:{}", self.imap)
            },
            master_user: MASTER.into(),
            master_password: password.into(),
            ca_pem: if tls { self.ca() } else { String::new() },
        }
    }
}

impl Drop for MailStore {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
    }
}

fn mail_of(b: &Block) -> &portico_core::office::MailBox {
    match b {
        Block::Ready {
            reading: Reading::Mail(m),
            ..
        } => m,
        other => panic!("not a mailbox: {other:?}"),
    }
}

#[tokio::test]
async fn official_mail_shows_the_unread_count_subjects_and_times_and_reads_nothing() {
    let store = MailStore::start();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // The older messages first; one already read.
    store.deliver(
        "staff",
        "=?UTF-8?B?5rCR5pS/5bGA?= <civil@tainan.gov.tw>",
        "=?UTF-8?B?5pyD6K2w6YCa55+l?=",
        false,
        now - 7200,
    );
    store.deliver(
        "staff",
        "it@tainan.gov.tw",
        "=?Big5?B?pL2naQ==?= <script>x()</script>",
        false,
        now - 3600,
    );
    store.deliver(
        "staff",
        "old@tainan.gov.tw",
        "read long ago",
        true,
        now - 86400,
    );
    for i in 0..5 {
        store.deliver(
            "staff",
            "hr@tainan.gov.tw",
            &format!("notice {i}"),
            false,
            now - 60 + i,
        );
    }
    for tls in [true, false] {
        let setup = store.setup(tls, MASTER_PW);
        let s = TestServer::start_configured(20, Default::default(), move |a| {
            a.with_office(OfficeSetup {
                mail: Some(setup),
                ..Default::default()
            })
            .expect("office")
        })
        .await;
        let staff = s.principal_of("staff").await;
        let b = s
            .app
            .office_block(&staff, Source::Mail, Duration::from_secs(20))
            .await;
        let m = mail_of(&b.block);
        assert_eq!(
            m.unread, 7,
            "tls {tls}: seven unread, the read one not counted"
        );
        assert_eq!(m.latest.len(), portico_core::office::LISTED);
        assert_eq!(m.latest[0].subject, "notice 4", "newest first");
        assert_eq!(m.latest[0].from, "hr@tainan.gov.tw");
        let at = m.latest[0]
            .received
            .expect("the time received")
            .unix_timestamp();
        assert_eq!(at, now - 56);
        // Someone else's mailbox is theirs alone: civil_admin has none.
        let other = s.principal_of("civil_admin").await;
        let b = s
            .app
            .office_block(&other, Source::Mail, Duration::from_secs(20))
            .await;
        assert_eq!(mail_of(&b.block).unread, 0);
    }
    // The two older ones, decoded: UTF-8 and Big5, the markup gone.
    let setup = store.setup(true, MASTER_PW);
    let s = TestServer::start_configured(20, Default::default(), move |a| {
        a.with_office(OfficeSetup {
            mail: Some(setup),
            ..Default::default()
        })
        .expect("office")
    })
    .await;
    store.python("staff", "m.select('INBOX')\nfor n in m.search(None,'SUBJECT','notice')[1][0].split(): m.store(n,'+FLAGS','\\\\Seen')");
    let staff = s.principal_of("staff").await;
    let b = s
        .app
        .office_block(&staff, Source::Mail, Duration::from_secs(20))
        .await;
    let m = mail_of(&b.block);
    assert_eq!(m.unread, 2);
    assert_eq!(m.latest[0].subject, "公告");
    assert_eq!(m.latest[1].subject, "會議通知");
    assert_eq!(m.latest[1].from, "民政局");
    assert_eq!(store.unseen("staff"), 2, "the home page marks nothing read");

    // A wrong master password: 暫時無法取得, nothing else affected.
    let bad = store.setup(true, "wrong");
    let s = TestServer::start_configured(20, Default::default(), move |a| {
        a.with_office(OfficeSetup {
            mail: Some(bad),
            ..Default::default()
        })
        .expect("office")
    })
    .await;
    let staff = s.principal_of("staff").await;
    let b = s
        .app
        .office_block(&staff, Source::Mail, Duration::from_secs(20))
        .await;
    assert_eq!(b.block, Block::Unavailable);
    // And the page says so, in its own block.
    let mut c = s.signed_in("staff").await;
    let (st, body) = c.get("/").await;
    assert_eq!(st, 200);
    assert!(
        body.contains(r#"data-office="mail" data-state="unavailable""#),
        "{body}"
    );
    assert!(body.contains("暫時無法取得"));
}

/// A server whose four systems are the simulator's.
async fn with_systems(sim: &OfficeSim, wait: Duration) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let system = |p: &str, token: &str| {
        Some(SystemSetup {
            url: format!("{base}/{p}"),
            token: token.into(),
        })
    };
    let setup = OfficeSetup {
        documents: system("documents", "t0ken"),
        petitions: system("petitions", "t0ken"),
        attendance: system("attendance", "t0ken"),
        punches: system("punches", "wrong-token"),
        feeds: vec![portico_app::office::systems::FeedSetup {
            name: "市府新聞".into(),
            url: format!("{base}/feeds/news.xml"),
        }],
        wait,
        ..Default::default()
    };
    TestServer::start_configured(20, Default::default(), move |a| {
        a.with_office(setup).expect("office")
    })
    .await
}

#[tokio::test]
async fn a_slow_system_never_holds_the_page_and_a_down_one_shows_alone() {
    let sim = OfficeSim::new("t0ken");
    sim.set_delay("attendance", Duration::from_secs(5));
    sim.set_down("petitions", true);
    sim.set_answer(
        "documents",
        "staff",
        serde_json::json!({"todo": 3, "overdue": 1}),
    );
    let s = with_systems(&sim, Duration::from_millis(200)).await;
    let staff = s.principal_of("staff").await;
    let blocks = s.app.office_blocks(&staff).await;
    let of = |src: Source| {
        blocks
            .iter()
            .find(|b| b.source == src)
            .map(|b| b.block.clone())
    };
    assert!(
        matches!(of(Source::Documents), Some(Block::Ready { reading: Reading::Documents(d), .. }) if d.todo == 3 && d.overdue == 1)
    );
    assert_eq!(
        of(Source::Attendance),
        Some(Block::Pending),
        "the 5 s system is not waited for"
    );
    assert_eq!(
        of(Source::Petitions),
        Some(Block::Unavailable),
        "down: 暫時無法取得"
    );
    assert_eq!(
        of(Source::Punches),
        Some(Block::Unavailable),
        "a system that refuses the portal's token shows as unavailable"
    );
    // The slow answer fills the cache when it comes; the page's script
    // asks with a longer wait.
    let late = s
        .app
        .office_block(&staff, Source::Attendance, Duration::from_secs(20))
        .await;
    assert!(
        matches!(
            late.block,
            Block::Ready {
                reading: Reading::Attendance(_),
                ..
            }
        ),
        "{late:?}"
    );
    assert_eq!(
        sim.calls("attendance"),
        1,
        "one refresh, however many asked"
    );
    // A failure is remembered: the down system is not asked on every view.
    let calls = sim.calls("petitions");
    let _ = s.app.office_blocks(&staff).await;
    assert_eq!(sim.calls("petitions"), calls);
    // 重試 asks again; it is back.
    sim.set_down("petitions", false);
    s.app.office_forget(&staff, Source::Petitions);
    let back = s
        .app
        .office_block(&staff, Source::Petitions, Duration::from_secs(20))
        .await;
    assert!(matches!(
        back.block,
        Block::Ready {
            reading: Reading::Petitions(_),
            ..
        }
    ));

    // The pages: the home page shows each state in its own block; the
    // fragment the script fetches is the block alone.
    let mut c = s.signed_in("staff").await;
    let (st, body) = c.get("/").await;
    assert_eq!(st, 200);
    assert!(body.contains(r#"data-office="documents" data-state="ready""#));
    assert!(body.contains(r#"data-office="punches" data-state="unavailable""#));
    let (st, frag) = c.get("/home/office/attendance").await;
    assert_eq!(st, 200);
    assert!(frag.contains("待簽") && !frag.contains("<html"), "{frag}");
    assert_eq!(c.get("/home/office/weather").await.0, 404);
    // 重試 as the page sends it: the form's own token field.
    let token = common::between(&body, r#"name="_csrf" value=""#, "\"");
    assert!(
        body.contains(r#"action="/home/office/punches/refresh"><input type="hidden" name="_csrf""#),
        "the 重試 form carries the token in the field its handler reads"
    );
    let (st, _, loc) = c
        .post_form("/home/office/punches/refresh", &[("_csrf", &token)])
        .await;
    assert_eq!((st, loc.as_str()), (303, "/"));
    let mut anon = s.client();
    assert_ne!(anon.get("/home/office/documents").await.0, 200);
}

#[tokio::test]
async fn what_outside_systems_send_is_plain_bounded_text_with_web_links_only() {
    let sim = OfficeSim::new("t0ken");
    sim.set_answer(
        "petitions",
        "staff",
        serde_json::json!({"todo": 1, "overdue": 0, "items": [{"subject": "<img src=x onerror=alert(1)>路燈<b>不亮</b>"}]}),
    );
    sim.set_answer(
        "documents",
        "staff",
        serde_json::json!({"todo": 1, "overdue": 0, "url": "javascript:alert(1)"}),
    );
    sim.set_answer(
        "attendance",
        "staff",
        serde_json::json!({"to_sign": "many"}),
    );
    let s = with_systems(&sim, Duration::from_secs(10)).await;
    let staff = s.principal_of("staff").await;
    let mut c = s.signed_in("staff").await;
    let (_, body) = c.get("/").await;
    assert!(body.contains("路燈不亮"), "{body}");
    assert!(!body.contains("onerror"));
    assert!(!body.contains("javascript:alert"));
    let blocks = s.app.office_blocks(&staff).await;
    for (src, want) in [
        (Source::Documents, Block::Unavailable),
        (Source::Attendance, Block::Unavailable),
    ] {
        assert_eq!(
            blocks.iter().find(|b| b.source == src).unwrap().block,
            want,
            "{src:?}"
        );
    }
    // Another person's answers are theirs: the simulator's own numbers.
    let other = s.principal_of("civil_admin").await;
    let theirs = s
        .app
        .office_block(&other, Source::Documents, Duration::from_secs(10))
        .await;
    assert!(matches!(theirs.block, Block::Ready { .. }));
}

#[tokio::test]
async fn the_layout_is_the_persons_own_and_two_blocks_cannot_share_a_place() {
    let s = TestServer::start(20).await;
    let staff = s.principal_of("staff").await;
    let other = s.principal_of("civil_admin").await;
    let mut a = Arrangement::default();
    a.order.swap(0, 8);
    a.shown[4] = false;
    s.app
        .save_home_layout(&staff, Mode::Grid, a.clone())
        .await
        .unwrap();
    let l = s.app.home_layout(&staff).await.unwrap();
    assert_eq!((l.mode, &l.grid), (Mode::Grid, &a));
    assert_eq!(
        l.classic,
        Arrangement::default(),
        "the other mode keeps its own"
    );
    assert_eq!(s.app.home_layout(&other).await.unwrap(), Default::default());
    s.app.reset_home_layout(&staff, Mode::Grid).await.unwrap();
    assert_eq!(
        s.app.home_layout(&staff).await.unwrap().grid,
        Arrangement::default()
    );

    // Through the page: a clash is refused with its message, nothing saved.
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("mode".into(), "classic".into()),
    ];
    for (i, p) in Part::ALL.iter().enumerate() {
        form.push((format!("pos.{}", p.key()), (i + 1).to_string()));
        form.push(("show".into(), p.key().into()));
    }
    let documents = form.iter().position(|(k, _)| k == "pos.documents").unwrap();
    form[documents].1 = "1".into(); // onto 公務郵件's place
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (st, body, _) = c.post_form("/account/layout", &pairs).await;
    assert_eq!(st, 422);
    assert!(body.contains("不能放在同一個位置"), "{body}");
    assert_eq!(
        s.app.home_layout(&staff).await.unwrap().classic,
        Arrangement::default()
    );
    form[documents].1 = "2".into();
    form.retain(|(k, v)| !(k == "show" && v == "posts"));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (st, _, loc) = c.post_form("/account/layout", &pairs).await;
    assert_eq!((st, loc.as_str()), (303, "/?ok=layout"));
    let l = s.app.home_layout(&staff).await.unwrap();
    assert_eq!(l.mode, Mode::Classic);
    assert!(!l.classic.visible().contains(&Part::Posts));
    let (_, home) = c.get("/").await;
    assert!(
        !home.contains(r#"id="home-posts""#),
        "hidden: 最新公告 is not on the page"
    );
    // Without the form's token nothing changes.
    let (st, _, _) = c
        .post_form(
            "/account/layout/reset",
            &[("csrf", "forged"), ("mode", "classic")],
        )
        .await;
    assert_eq!(st, 409, "the form's token is checked");
    assert!(
        !s.app
            .home_layout(&staff)
            .await
            .unwrap()
            .classic
            .visible()
            .contains(&Part::Posts)
    );

    // Over the API: the same rules, the same messages.
    let (st, j) = c.api_get("/me/layout").await;
    assert_eq!(st, 200, "{j}");
    assert_eq!(j["mode"], "classic");
    assert_eq!(j["classic"].as_array().map(Vec::len), Some(9));
    let keys: Vec<&str> = Part::ALL.iter().map(|p| p.key()).collect();
    let mut clash = keys.clone();
    clash[1] = clash[0];
    let (st, j) = c
        .api(
            "PUT",
            "/me/layout",
            &csrf,
            Some(serde_json::json!({"mode": "grid", "order": clash, "shown": keys})),
        )
        .await;
    assert_eq!(st, 422, "{j}");
    let (st, j) = c
        .api(
            "PUT",
            "/me/layout",
            &csrf,
            Some(serde_json::json!({"mode": "grid", "order": ["mail", "nothing"], "shown": []})),
        )
        .await;
    assert_eq!(st, 422, "{j}");
    assert_eq!(s.app.home_layout(&staff).await.unwrap().mode, Mode::Classic);
    let mut order = keys.clone();
    order.reverse();
    let (st, j) = c
        .api(
            "PUT",
            "/me/layout",
            &csrf,
            Some(serde_json::json!({"mode": "grid", "order": order, "shown": ["mail"]})),
        )
        .await;
    assert_eq!(st, 200, "{j}");
    let l = s.app.home_layout(&staff).await.unwrap();
    assert_eq!(l.mode, Mode::Grid);
    assert_eq!(l.grid.order[0], *Part::ALL.last().unwrap());
    assert_eq!(l.grid.visible(), vec![Part::Office(Source::Mail)]);
    let (st, j) = c.api_get("/me/office").await;
    assert_eq!(st, 200, "{j}");
    assert!(j["items"].is_array());
}
