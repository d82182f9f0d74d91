//! OpenID Connect Back-Channel Logout 1.0 against a relying party that
//! validates logout tokens with a stock library (idpyoidc, started here on
//! a free loopback port): every way a portal session ends tells each
//! application the session signed into, through the durable outbox, with
//! retries.
mod common;

use common::TestServer;
use common::oidc::*;
use portico_app::Ctx;
use portico_app::clients::ServiceInput;
use portico_core::request::Decision;
use serde_json::Value;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The relying party's logout endpoint: a Python process whose every
/// request is one JSON line on `lines`.
struct Receiver {
    child: Child,
    lines: mpsc::Receiver<Value>,
    url: String,
}

impl Receiver {
    fn start(issuer: &str, fail_first: u32) -> Receiver {
        // The receiver binds a free port itself and says which: a port
        // found free here could be taken before it binds.
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/logout_receiver.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg("0")
            .arg(issuer)
            .arg(ID)
            .arg(fail_first.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 (./scripts/test installs idpyoidc)");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let mut r = Receiver {
            child,
            lines,
            url: String::new(),
        };
        let ready = r.next();
        assert_eq!(ready["ready"], true, "{ready}");
        let port = ready["port"].as_u64().expect("the receiver's port");
        r.url = format!("http://127.0.0.1:{port}/logout");
        r
    }

    /// The next request's verdict. The receiver writes it before it
    /// answers, so after a delivery round it is already there.
    fn next(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a line from the logout receiver")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sample application, changed to register `uri` for back-channel
/// logout (a change of single sign-on is a new application, approved by
/// a system admin).
async fn register_logout_uri(s: &TestServer, uri: &str) -> Result<(), portico_core::Error> {
    let admin = principal(s, &s.signed_in("admin").await).await;
    let ctx = Ctx::new("127.0.0.1", "test");
    let app = s.app_id(ID).await;
    let sid = s
        .app
        .apply_service(
            &admin,
            app,
            &ServiceInput {
                kind: "sso".into(),
                claims: vec!["name".into(), "login".into()],
                redirect_uris: CB.into(),
                post_logout_uris: "http://127.0.0.1:8081/".into(),
                client_type: "confidential".into(),
                signing_alg: "ES256".into(),
                backchannel_logout_uri: uri.into(),
                reason: "登出通知".into(),
                ..Default::default()
            },
            &ctx,
        )
        .await?;
    s.app
        .decide_service(&admin, sid, Decision::Approve, "", &ctx)
        .await
}

/// Signs `login` in and into the sample application: the portal client
/// and the `sid` of the ID token.
async fn signed_into_sample(s: &TestServer, login: &str) -> (common::Client, String) {
    let mut c = s.signed_in(login).await;
    let (code, verifier) = code_for(s, &mut c).await;
    let (st, t) = exchange(s, &code, &verifier).await;
    assert_eq!(st, 200, "{t}");
    let sid = claims(t["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .expect("sid in the ID token")
        .to_owned();
    (c, sid)
}

/// Delivers what is due besides (the mails of the sign-ups and
/// decisions), so a round after this counts only what the test did.
async fn flush(s: &TestServer) {
    while s.app.deliver_due().await.expect("deliver").claimed() > 0 {}
}

async fn logouts_queued(s: &TestServer) -> i64 {
    let mut c = s.app.db.read().await.expect("conn");
    let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE channel = 'logout'")
        .fetch_one(&mut *c)
        .await
        .expect("count");
    sqlx::Row::get::<i64, _>(&row, "n")
}

#[tokio::test]
async fn a_logout_uri_is_checked_like_a_redirect_uri() {
    let s = TestServer::start(20).await;
    for bad in [
        "http://app.example/logout",
        "https://app.example/logout#x",
        "logout",
    ] {
        let e = register_logout_uri(&s, bad).await.expect_err(bad);
        let portico_core::Error::Invalid(fields) = e else {
            panic!("{bad}: {e:?}")
        };
        assert_eq!(fields[0].field, "backchannel_logout_uri", "{bad}");
        assert!(
            fields[0].message.zh.contains("登出通知網址"),
            "{:?}",
            fields[0].message
        );
    }
    // Discovery says the provider sends them, with the session's sid.
    let d = discovery(&s).await;
    assert_eq!(d["backchannel_logout_supported"], true);
    assert_eq!(d["backchannel_logout_session_supported"], true);
}

#[tokio::test]
async fn sign_out_sends_a_logout_token_that_a_stock_library_accepts() {
    let s = TestServer::start(20).await;
    let rp = Receiver::start(&s.base, 0);
    register_logout_uri(&s, &rp.url).await.expect("register");
    let (mut c, sid) = signed_into_sample(&s, "staff").await;
    // A second sign-in into the same application under the same session
    // is one session at the application: one notice.
    let (code, verifier) = code_for(&s, &mut c).await;
    assert_eq!(exchange(&s, &code, &verifier).await.0, 200);

    flush(&s).await;
    let csrf = c.csrf().await;
    let (st, _, loc) = c.post_form("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(st, 303);
    // The person is told (issue 12 §2.12).
    let (_, page) = c.get(&loc).await;
    assert!(page.contains("您已登出"), "{loc}: {page}");
    assert_eq!(logouts_queued(&s).await, 1, "queued with the sign-out");
    let round = s.app.deliver_due().await.expect("deliver");
    assert_eq!(round.sent, 1);
    let v = rp.next();
    assert_eq!(v["ok"], true, "idpyoidc accepted it: {v}");
    assert_eq!(v["sid"], sid.as_str());
    assert_eq!(v["sub"], s.account_id("staff").await.to_string());
    assert_eq!(v["typ"], "logout+jwt");
    assert_eq!(v["alg"], "ES256");
    assert_eq!(v["content_type"], "application/x-www-form-urlencoded");
    assert!(v["exp"].as_i64().unwrap() > v["iat"].as_i64().unwrap());
    assert_eq!(s.app.deliver_due().await.unwrap().claimed(), 0, "sent once");
}

#[tokio::test]
async fn every_way_a_session_ends_tells_the_application() {
    let s = TestServer::start(20).await;
    let rp = Receiver::start(&s.base, 0);
    register_logout_uri(&s, &rp.url).await.expect("register");

    // Signed out everywhere: both sessions' applications are told.
    let (mut a, sid_a) = signed_into_sample(&s, "staff").await;
    let (_b, sid_b) = signed_into_sample(&s, "staff").await;
    flush(&s).await;
    let csrf = a.csrf().await;
    let (st, _, loc) = a.post_form("/logout/all", &[("_csrf", &csrf)]).await;
    assert_eq!(st, 303);
    assert!(a.get(&loc).await.1.contains("您已登出所有裝置"));
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 2);
    let mut sids = [rp.next(), rp.next()].map(|v| v["sid"].as_str().unwrap().to_owned());
    sids.sort();
    let mut want = [sid_a, sid_b];
    want.sort();
    assert_eq!(sids, want);

    // Disabled by an admin.
    let (_c, sid) = signed_into_sample(&s, "staff").await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let id = s.account_id("staff").await;
    flush(&s).await;
    let (st, _, _) = admin
        .post_form(
            &format!("/admin/accounts/{id}/disable"),
            &[("_csrf", &csrf), ("reason", "離職")],
        )
        .await;
    assert_eq!(st, 303);
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    assert_eq!(rp.next()["sid"], sid.as_str());

    // Idle past the timeout: the sweep ends the session and tells.
    let (_d, sid) = signed_into_sample(&s, "civil_admin").await;
    flush(&s).await;
    s.clock.advance(time::Duration::minutes(31));
    assert!(s.app.purge_idle_sessions().await.unwrap() >= 1);
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    assert_eq!(rp.next()["sid"], sid.as_str());
}

#[tokio::test]
async fn an_application_that_is_down_hears_it_later() {
    let s = TestServer::start(20).await;
    let rp = Receiver::start(&s.base, 1);
    register_logout_uri(&s, &rp.url).await.expect("register");
    let (mut c, sid) = signed_into_sample(&s, "staff").await;
    flush(&s).await;
    let csrf = c.csrf().await;
    c.post_form("/logout", &[("_csrf", &csrf)]).await;
    let r = s.app.deliver_due().await.unwrap();
    assert_eq!((r.sent, r.retrying), (0, 1));
    assert_eq!(rp.next()["error"], "down");
    // Nothing is due until the backoff has passed.
    assert_eq!(s.app.deliver_due().await.unwrap().claimed(), 0);
    s.clock.advance(time::Duration::seconds(31));
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    let v = rp.next();
    assert_eq!(
        (v["ok"].as_bool(), v["sid"].as_str()),
        (Some(true), Some(sid.as_str())),
        "{v}"
    );
}

/// Issue 12 §2.12: the person sees each session (browser, address,
/// started, last used) and ends another; sees the applications they
/// signed into and ends one's access — its refresh token stops, and the
/// application hears of it.
#[tokio::test]
async fn a_person_ends_another_session_and_an_applications_access() {
    let s = TestServer::start(20).await;
    let rp = Receiver::start(&s.base, 0);
    register_logout_uri(&s, &rp.url).await.expect("register");
    let mut phone = s.signed_in("staff").await;
    let (mut desk, _sid) = signed_into_sample(&s, "staff").await;
    flush(&s).await;

    let (st, page) = phone.get("/account/sessions").await;
    assert_eq!(st, 200);
    assert!(page.contains("目前這個"), "this session is marked");
    assert!(page.contains("範例應用系統"), "the application signed into");
    let (_, listed) = phone.api_get("/me/sessions").await;
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{listed}");
    assert_eq!(sessions[0]["current"], true, "this one first");
    let other = sessions[1]["sid"].as_str().unwrap().to_owned();
    // Not the current one: that is what signing out is for.
    let mine = sessions[0]["sid"].as_str().unwrap().to_owned();
    let csrf = phone.csrf().await;
    let (st, body, _) = phone
        .post_form(
            &format!("/account/sessions/{mine}/end"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("請使用「登出」"));
    // Another session: ended, and its application told.
    let (st, _, loc) = phone
        .post_form(
            &format!("/account/sessions/{other}/end"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(
        (st, loc.as_str()),
        (303, "/account/sessions?ok=session-ended")
    );
    assert_eq!(
        desk.get_loc("/account").await.0,
        303,
        "that browser is signed out"
    );
    assert_eq!(s.app.deliver_due().await.unwrap().sent, 1);
    assert_eq!(rp.next()["ok"], true);
    // Ending it again: it is gone.
    let (st, _, _) = phone
        .post_form(
            &format!("/account/sessions/{other}/end"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 404);

    // An application's access: its refresh token stops working.
    let (mut c, _) = signed_into_sample(&s, "staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    flush(&s).await;
    let app = s.app_id(ID).await;
    let (_, listed) = phone.api_get("/me/sessions").await;
    let sample = listed["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app_id"] == app)
        .cloned()
        .expect("listed");
    assert!(sample["grants"].as_i64().unwrap() >= 1, "{sample}");
    let (st, _) = phone
        .api("DELETE", &format!("/me/applications/{app}"), &csrf, None)
        .await;
    assert_eq!(st, 200);
    let (st, e) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        s.app.deliver_due().await.unwrap().sent,
        1,
        "the application is told"
    );
    assert_eq!(rp.next()["ok"], true);
    let (_, after) = phone.api_get("/me/sessions").await;
    assert!(
        !after["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["app_id"] == app),
        "{after}"
    );
    let actions = common::oidc::audit_reasons(&s, "account.app.revoke").await;
    assert_eq!(actions.len(), 1);
}
