//! A real server on 127.0.0.1:0 with a fresh database per test: SQLite in a
//! temporary folder, or a new PostgreSQL database when `PORTICO_TEST_PG`
//! names a server (`postgres://postgres@127.0.0.1:55432/postgres`).
#![allow(dead_code)]

pub mod authenticator;
pub mod directory;
pub mod oidc;

use portico_app::{App, ManualClock};
use portico_store::Db;
use portico_web::{AppState, WebConfig};
use reqwest::redirect::Policy;
use std::sync::Arc;

pub struct TestServer {
    pub base: String,
    pub app: App,
    pub clock: ManualClock,
    pub db_url: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _dir: Option<TempDir>,
}

/// A folder removed when the test ends.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}_{}", std::process::id(), t)
}

async fn fresh_db() -> (String, Option<TempDir>) {
    match std::env::var("PORTICO_TEST_PG") {
        Ok(admin) if !admin.is_empty() => {
            sqlx::any::install_default_drivers();
            let name = format!("t_{}", unique());
            let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("portico-test-{}", unique()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}/t.db", dir.display()),
                Some(TempDir(dir)),
            )
        }
    }
}

impl TestServer {
    /// A person as the use cases see them, with the roles they hold, for
    /// tests that call the use cases directly.
    pub async fn principal_of(&self, login: &str) -> portico_core::permission::Principal {
        let mut c = self.app.db.read().await.unwrap();
        let a = portico_store::accounts::find_by_login(&mut c, login)
            .await
            .unwrap()
            .expect(login);
        let held = portico_store::roles::of_account(&mut c, a.id)
            .await
            .unwrap()
            .iter()
            .map(|g| g.role())
            .collect();
        portico_core::permission::Principal::unchecked_for_command_line(
            a.id,
            a.login,
            a.name,
            a.unit_path,
            held,
        )
    }

    /// A server with the demo tree and `accounts` accounts.
    pub async fn start(accounts: usize) -> TestServer {
        TestServer::start_with(accounts, portico_app::outbox::Delivery::default()).await
    }

    /// The same, with mail and SMS going where `delivery` says.
    pub async fn start_with(
        accounts: usize,
        delivery: portico_app::outbox::Delivery,
    ) -> TestServer {
        TestServer::start_configured(accounts, delivery, |a| a).await
    }

    /// The same, with the application configured further (cards).
    pub async fn start_configured(
        accounts: usize,
        delivery: portico_app::outbox::Delivery,
        configure: impl FnOnce(App) -> App,
    ) -> TestServer {
        let (db_url, dir) = fresh_db().await;
        let db = Db::connect(&db_url).await.expect("db");
        portico_store::migrate::run(&db).await.expect("migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let clock = ManualClock::new(time::OffsetDateTime::now_utc());
        // Cheap hashing keeps the suite fast; the OWASP parameters have their
        // own test and the benchmark.
        let app = App::with(
            db,
            Arc::new(clock.clone()),
            portico_app::passwords::Hasher::with_params(1024, 1, 1),
        )
        .with_delivery(delivery)
        .with_oidc(
            &base,
            portico_app::oidc::keys::MasterKey::from_bytes(&[7u8; 32]).expect("master key"),
        );
        let app = configure(app);
        app.seed_demo(accounts).await.expect("seed");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            app: app.clone(),
            cfg: Arc::new(WebConfig {
                cookie_secure: false,
                node: None,
            }),
        };
        tokio::spawn(portico_web::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestServer {
            base,
            app,
            clock,
            db_url,
            _shutdown: tx,
            _dir: dir,
        }
    }

    /// Another node on the same database: its own caches and its own
    /// clock (starting where this one is), nothing shared in memory.
    pub async fn second_node(&self) -> (App, ManualClock) {
        let db = Db::connect(&self.db_url).await.expect("db");
        let clock = ManualClock::new(self.app.now());
        let app = App::with(
            db,
            Arc::new(clock.clone()),
            portico_app::passwords::Hasher::with_params(1024, 1, 1),
        )
        .with_oidc(
            &self.base,
            portico_app::oidc::keys::MasterKey::from_bytes(&[7u8; 32]).expect("master key"),
        );
        (app, clock)
    }

    /// A second node serving HTTP on the same database: its address, its
    /// app and its clock. It runs until the test ends.
    pub async fn serve_second_node(&self) -> (String, App, ManualClock) {
        let (app, clock) = self.second_node().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState {
            app: app.clone(),
            cfg: Arc::new(WebConfig {
                cookie_secure: false,
                node: None,
            }),
        };
        tokio::spawn(portico_web::serve(
            listener,
            state,
            std::future::pending::<()>(),
        ));
        (base, app, clock)
    }

    pub fn client(&self) -> Client {
        // One TLS provider for every HTTP client in the process.
        portico_app::sms::install_tls_provider();
        Client {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
            cookie: String::new(),
            jar: Vec::new(),
            forwarded_for: String::new(),
        }
    }

    /// The answer of a captcha, read from the test's own database.
    pub async fn captcha_answer(&self, id: &str) -> String {
        let mut c = self.app.db.read().await.expect("conn");
        let row = sqlx::query("SELECT answer FROM captchas WHERE id = $1")
            .bind(id.to_owned())
            .fetch_one(&mut *c)
            .await
            .expect("captcha row");
        sqlx::Row::get::<String, _>(&row, "answer")
    }

    /// Step 1 of an account flow (`/activate`, `/forgot`, `/reinstate`,
    /// `/admins`) by `method` (`email` or `sms`), naming the account by
    /// `value` (the backup e-mail or the mobile) and answering the page's
    /// captcha as a person reads it: (status, page).
    pub async fn flow_send(
        &self,
        c: &mut Client,
        flow: &str,
        method: &str,
        value: &str,
    ) -> (u16, String) {
        let page = c.get(&format!("{flow}?by={method}")).await.1;
        let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
        let answer = self.captcha_answer(&cid).await;
        let field = if method == "sms" { "mobile" } else { "email" };
        let (st, page, _) = c
            .post_form(
                &format!("{flow}/send"),
                &[
                    ("method", method),
                    (field, value),
                    ("captcha_id", &cid),
                    ("captcha", &answer),
                ],
            )
            .await;
        (st, page)
    }

    /// The answer of a captcha if it is still unspent.
    pub async fn unspent_captcha(&self, id: &str) -> Option<String> {
        let mut c = self.app.db.read().await.expect("conn");
        let row = sqlx::query("SELECT answer FROM captchas WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&mut *c)
            .await
            .expect("captcha query")?;
        Some(sqlx::Row::get::<String, _>(&row, "answer"))
    }

    /// Signs in through the page, returning the client, the status and the
    /// page or redirect target.
    pub async fn sign_in(&self, login: &str, password: &str) -> (Client, u16, String) {
        let mut c = self.client();
        let page = c.get("/login").await.1;
        let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
        let answer = self.captcha_answer(&cid).await;
        let (status, body, location) = c
            .post_form(
                "/login",
                &[
                    ("login", login),
                    ("password", password),
                    ("captcha_id", &cid),
                    ("captcha", &answer.to_lowercase()),
                    ("next", "/"),
                ],
            )
            .await;
        (c, status, if status == 303 { location } else { body })
    }

    pub async fn signed_in(&self, login: &str) -> Client {
        let (c, status, _) = self.sign_in(login, portico_app::demo::DEMO_PASSWORD).await;
        assert_eq!(status, 303, "{login} should sign in");
        c
    }

    /// The newest message the outbox holds for `to`: (subject, body).
    pub async fn last_message_to(&self, to: &str) -> Option<(String, String)> {
        let mut c = self.app.db.read().await.expect("conn");
        let row = sqlx::query(
            "SELECT subject, body FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(to.to_owned())
        .fetch_optional(&mut *c)
        .await
        .expect("outbox query")?;
        Some((
            sqlx::Row::get::<String, _>(&row, "subject"),
            sqlx::Row::get::<String, _>(&row, "body"),
        ))
    }

    /// The code in the newest message to `to`, read as a person reads it.
    pub async fn code_sent_to(&self, to: &str) -> String {
        let (_, body) = self
            .last_message_to(to)
            .await
            .unwrap_or_else(|| panic!("no message to {to}"));
        code_in(&body).unwrap_or_else(|| panic!("no code in: {body}"))
    }

    /// How many messages the outbox holds for `to`.
    pub async fn messages_to(&self, to: &str) -> i64 {
        let mut c = self.app.db.read().await.expect("conn");
        let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE recipient = $1")
            .bind(to.to_owned())
            .fetch_one(&mut *c)
            .await
            .expect("outbox count");
        sqlx::Row::get::<i64, _>(&row, "n")
    }

    pub async fn account_count(&self) -> i64 {
        let mut c = self.app.db.read().await.expect("conn");
        portico_store::accounts::count(&mut c).await.expect("count")
    }

    pub async fn account_id(&self, login: &str) -> i64 {
        let mut c = self.app.db.read().await.expect("conn");
        portico_store::accounts::find_by_login(&mut c, login)
            .await
            .expect("query")
            .expect("account")
            .id
            .0
    }

    /// The database id of the application registered as `client_id`.
    pub async fn app_id(&self, client_id: &str) -> i64 {
        let mut c = self.app.db.read().await.expect("conn");
        let row = sqlx::query("SELECT id FROM apps WHERE client_id = $1")
            .bind(client_id.to_owned())
            .fetch_one(&mut *c)
            .await
            .expect("application");
        sqlx::Row::get::<i64, _>(&row, "id")
    }
}

/// The six-digit code in a mail (on a line of its own) or an SMS (the only
/// run of six digits).
/// A response's JSON body; an empty body is `null`. Anything else that is
/// not JSON fails the test loudly, with the body, instead of passing as
/// `null`.
pub async fn json_body(r: reqwest::Response) -> serde_json::Value {
    let status = r.status();
    let text = r.text().await.expect("a response body");
    if text.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a {status} answer that is not JSON ({e}): {text}"))
}

pub fn code_in(body: &str) -> Option<String> {
    let own_line = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    own_line.or_else(|| {
        body.split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .map(str::to_owned)
    })
}

pub fn between(s: &str, start: &str, end: &str) -> String {
    let i = s
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("{start:?} not in page"));
    let j = s[i..].find(end).map(|j| i + j).unwrap_or(s.len());
    s[i..j].to_owned()
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    /// The `Cookie` header sent with every request.
    pub cookie: String,
    jar: Vec<(String, String)>,
    /// An `X-Forwarded-For` header sent with every request, when set.
    pub forwarded_for: String,
}

impl Client {
    /// Keeps every cookie the server sets (the session, a verification
    /// flow), and forgets one set to expire.
    fn remember(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let Ok(v) = v.to_str() else { continue };
            let Some((name, value)) = v.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            let expired = v.contains("Max-Age=0") || value.is_empty();
            self.jar.retain(|(n, _)| n != name);
            if !expired {
                self.jar.push((name.to_owned(), value.to_owned()));
            }
        }
        self.cookie = self
            .jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
    }

    /// A GET whose redirect target matters: status, body, `Location`.
    /// `url` may be a path or a full URL.
    pub async fn get_loc(&mut self, url: &str) -> (u16, String, String) {
        let full = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let r = self
            .http
            .get(full)
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .send()
            .await
            .expect("get");
        self.remember(&r);
        let s = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (s, r.text().await.unwrap_or_default(), loc)
    }

    /// The session token this client holds.
    pub fn session_token(&self) -> String {
        self.jar
            .iter()
            .find(|(n, _)| n == "portico_session")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .send()
            .await
            .expect("get");
        self.remember(&r);
        let s = r.status().as_u16();
        (s, r.text().await.unwrap_or_default())
    }

    /// Posts a form; returns status, body and the redirect target.
    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .form(form)
            .send()
            .await
            .expect("post");
        self.remember(&r);
        let s = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (s, r.text().await.unwrap_or_default(), loc)
    }

    /// A form posted for a file in answer (an export).
    pub async fn post_form_bytes(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, Vec<u8>) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .form(form)
            .send()
            .await
            .expect("post");
        let s = r.status().as_u16();
        (s, r.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    pub async fn post_raw(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("post");
        let s = r.status().as_u16();
        (s, r.text().await.unwrap_or_default())
    }

    /// The CSRF token on any signed-in page.
    pub async fn csrf(&mut self) -> String {
        self.csrf_from("/account").await
    }

    /// The CSRF token on the page at `path`.
    pub async fn csrf_from(&mut self, path: &str) -> String {
        let page = self.get(path).await.1;
        between(&page, "name=\"csrf-token\" content=\"", "\"")
    }

    pub async fn api_post(
        &mut self,
        path: &str,
        csrf: &str,
        json: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf)
            .json(&json)
            .send()
            .await
            .expect("api post");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    /// A page script's JSON post (outside `/api/v1`): the CSRF header, and
    /// cookies kept.
    pub async fn post_json(
        &mut self,
        path: &str,
        csrf: &str,
        json: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf)
            .json(json)
            .send()
            .await
            .expect("json post");
        self.remember(&r);
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    /// Any API call: a method, a path under `/api/v1`, the CSRF token and an
    /// optional JSON body.
    pub async fn api(
        &mut self,
        method: &str,
        path: &str,
        csrf: &str,
        json: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self
            .http
            .request(m, format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf);
        if let Some(j) = json {
            r = r.json(&j);
        }
        let r = r.send().await.expect("api call");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    /// A merge patch to the system parameters, as a script does it: read
    /// the ETag, send it back in If-Match.
    pub async fn put_settings(
        &mut self,
        csrf: &str,
        patch: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}/api/v1/settings", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get settings");
        let etag = r
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("\"0\"")
            .to_owned();
        let r = self
            .http
            .put(format!("{}/api/v1/settings", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf)
            .header("if-match", etag)
            .json(&patch)
            .send()
            .await
            .expect("put settings");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    /// A page's raw bytes (a download).
    pub async fn get_bytes(&mut self, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("download");
        let st = r.status().as_u16();
        (st, r.bytes().await.expect("body").to_vec())
    }

    /// A raw body to the API (an avatar upload).
    pub async fn api_bytes(
        &mut self,
        method: &str,
        path: &str,
        csrf: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = self
            .http
            .request(m, format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("api call");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    /// A GET that states query grounds: with the session's token, as the
    /// pages send it.
    pub async fn api_get_with_token(&mut self, path: &str, csrf: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .header("x-csrf-token", csrf)
            .send()
            .await
            .expect("api get");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }

    pub async fn api_get(&mut self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}/api/v1{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-forwarded-for", &self.forwarded_for)
            .send()
            .await
            .expect("api get");
        let s = r.status().as_u16();
        (s, json_body(r).await)
    }
}

/// An xlsx workbook as any spreadsheet reader sees it: the first sheet's
/// row count, and the text of its cells.
pub fn workbook_text(xlsx: &[u8]) -> (i64, String) {
    let file = std::env::temp_dir().join(format!(
        "portico-book-{}-{}.xlsx",
        std::process::id(),
        xlsx.len()
    ));
    std::fs::write(&file, xlsx).expect("write the workbook");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys,zipfile,re;z=zipfile.ZipFile(sys.argv[1]);s=z.read('xl/worksheets/sheet1.xml').decode();t=z.read('xl/sharedStrings.xml').decode();print(len(re.findall(r'<row ',s)));print(t)")
        .arg(&file)
        .output()
        .expect("python3 reads the workbook");
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let rows = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("a row count");
    (rows, text)
}

/// A PDF's text as poppler's `pdftotext` reads it.
pub fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let file = std::env::temp_dir().join(format!(
        "portico-pdf-{}-{}.pdf",
        std::process::id(),
        pdf.len()
    ));
    std::fs::write(&file, pdf).expect("write the PDF");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap_or_default(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let _ = std::fs::remove_file(&file);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A workbook's first sheet as a spreadsheet library reads it (openpyxl
/// for xlsx, odfpy for ODS): rows of cell texts.
pub fn sheet_rows(book: &[u8], format: &str) -> Vec<Vec<String>> {
    let file = std::env::temp_dir().join(format!(
        "portico-sheet-{}-{}.{format}",
        std::process::id(),
        book.len()
    ));
    std::fs::write(&file, book).expect("write the workbook");
    let script = if format == "ods" {
        "import sys,json\nfrom odf.opendocument import load\nfrom odf.table import TableRow, TableCell\nfrom odf import teletype\nd = load(sys.argv[1])\nassert d.mimetype == 'application/vnd.oasis.opendocument.spreadsheet'\nprint(json.dumps([[teletype.extractText(c) for c in r.getElementsByType(TableCell)] for r in d.spreadsheet.getElementsByType(TableRow)]))"
    } else {
        "import sys,json,openpyxl\nws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nprint(json.dumps([['' if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]))"
    };
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 with openpyxl and odfpy");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("rows as JSON")
}
