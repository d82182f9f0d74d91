//! Strong sign-in over HTTP against a real server: the authenticator app
//! (004 §第一節 三, §參 十一), the temporary password by mail (§第一節 四),
//! network zones (§第一節 壹: outside the government network only the
//! certificate methods), the method in records and ID tokens, and the
//! admin's view and reset of bound methods.
mod common;

use common::authenticator::SoftKey;
use common::oidc::*;
use common::{Client, TestServer, between};
use serde_json::json;
use time::Duration;

const STAFF: &str = "staff";

/// The code an authenticator app shows `offset` seconds from the server's
/// clock, computed by totp-rs from the key the page printed.
fn app_code(s: &TestServer, key: &str, offset: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(key.replace(' ', "")).expect("base32 key");
    let t = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("totp");
    let now = portico_app::Clock::now(&s.clock).unix_timestamp() + offset;
    t.generate(now as u64).to_string()
}

/// Sets up the authenticator app for a signed-in person; returns the key.
async fn set_up_totp(s: &TestServer, c: &mut Client) -> String {
    let csrf = c.csrf().await;
    let (st, _, loc) = c
        .post_form(
            "/account/totp/begin",
            &[
                ("_csrf", &csrf),
                ("password", portico_app::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!((st, loc.as_str()), (303, "/account/totp"));
    let (st, page) = c.get("/account/totp").await;
    assert_eq!(st, 200);
    assert!(page.contains("<svg"), "the QR code is on the page");
    assert!(
        page.contains("otpauth://totp/"),
        "and the link for this phone"
    );
    let key = between(&page, "id=\"totp-key\">", "<");
    // A wrong first code is refused with a message, and nothing is on yet.
    let (st, body, _) = c
        .post_form(
            "/account/totp/confirm",
            &[("_csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("驗證碼不正確"), "{body}");
    let (st, _, loc) = c
        .post_form(
            "/account/totp/confirm",
            &[("_csrf", &csrf), ("code", &app_code(s, &key, 0))],
        )
        .await;
    assert_eq!((st, loc.as_str()), (303, "/account?ok=totp-on#methods"));
    key
}

async fn sign_in_totp(s: &TestServer, login: &str, code: &str) -> (Client, u16, String) {
    let mut c = s.client();
    let page = c.get("/login?method=totp").await.1;
    // From outside the page has no such tab, hence no captcha.
    let (cid, answer) = if page.contains("action=\"/login/totp\"") {
        let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
        let answer = s.captcha_answer(&cid).await;
        (cid, answer)
    } else {
        (String::new(), String::new())
    };
    let (st, body, loc) = c
        .post_form(
            "/login/totp",
            &[
                ("login", login),
                ("code", code),
                ("captcha_id", &cid),
                ("captcha", &answer),
                ("next", "/"),
            ],
        )
        .await;
    (c, st, if st == 303 { loc } else { body })
}

async fn session_method(s: &TestServer, c: &Client) -> portico_core::zone::SignInMethod {
    s.app
        .session(&c.session_token())
        .await
        .expect("session")
        .expect("signed in")
        .method
}

#[tokio::test]
async fn seed_004_totp_is_set_up_with_a_first_code_works_once_per_code_and_is_turned_off_with_the_password()
 {
    let s = TestServer::start(0).await;
    let mut me = s.signed_in(STAFF).await;
    let (_, page) = me.get("/account").await;
    assert!(page.contains("進行「OTP 驗證」"), "offered while off");
    // Binding a method needs the password again; a wrong one is audited
    // and counted.
    let csrf = me.csrf().await;
    let (st, body, _) = me
        .post_form(
            "/account/totp/begin",
            &[("_csrf", &csrf), ("password", "not-my-password")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("密碼不正確"), "{body}");
    assert_eq!(failed_count(&s, STAFF).await, 1);
    assert_eq!(
        audit_reasons(&s, "account.totp.begin").await,
        vec!["bad_password"]
    );
    let key = set_up_totp(&s, &mut me).await;
    let (_, page) = me.get("/account").await;
    assert!(page.contains("關閉「OTP 驗證」"), "now on");
    assert!(
        me.get("/account/totp").await.1.is_empty(),
        "the key is never shown again"
    );

    // The login page offers the method; the confirming code cannot sign in
    // (one use per code, RFC 6238 §5.2).
    let (_, login) = s.client().get("/login?method=totp").await;
    assert!(login.contains("action=\"/login/totp\""), "{login}");
    let (_, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 0)).await;
    assert_eq!(st, 401, "the confirming code was spent");
    s.clock.advance(Duration::seconds(30));
    let code = app_code(&s, &key, 0);
    let (c, st, loc) = sign_in_totp(&s, STAFF, &code).await;
    assert_eq!((st, loc.as_str()), (303, "/"));
    assert_eq!(
        session_method(&s, &c).await,
        portico_core::zone::SignInMethod::Totp
    );
    let (_, st, body) = sign_in_totp(&s, STAFF, &code).await;
    assert_eq!(st, 401, "a replayed code is refused");
    assert!(body.contains("帳號或動態驗證碼錯誤"), "{body}");
    // One step of drift is accepted: the phone's clock runs 30 s ahead.
    s.clock.advance(Duration::seconds(60));
    let (_, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 30)).await;
    assert_eq!(st, 303, "one step ahead");
    s.clock.advance(Duration::seconds(120));
    let (_, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, -90)).await;
    assert_eq!(st, 401, "three steps behind is too far");
    let r = audit_reasons(&s, "auth.sign_in").await;
    assert!(r.contains(&"code_replay".to_owned()), "{r:?}");
    assert!(r.contains(&"bad_code".to_owned()), "{r:?}");

    // The sign-in records name the method of every attempt.
    let (_, records) = me.get("/records/sign-in").await;
    assert!(records.contains("動態驗證碼"), "method shown");
    assert!(records.contains("動態驗證碼已使用過"), "reason shown");

    // Turning it off needs the password again.
    let csrf = me.csrf().await;
    let (st, body, _) = me
        .post_form(
            "/account/totp/disable",
            &[("_csrf", &csrf), ("password", "wrong-Password1!")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("密碼不正確"), "{body}");
    let (st, _, loc) = me
        .post_form(
            "/account/totp/disable",
            &[
                ("_csrf", &csrf),
                ("password", portico_app::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!((st, loc.as_str()), (303, "/account?ok=totp-off#methods"));
    s.clock.advance(Duration::seconds(30));
    let (_, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 0)).await;
    assert_eq!(st, 401, "off means off");
    assert_eq!(
        audit_reasons(&s, "auth.sign_in")
            .await
            .last()
            .map(String::as_str),
        Some("no_totp")
    );
}

#[tokio::test]
async fn wrong_authenticator_codes_count_towards_the_lockout() {
    let s = TestServer::start(0).await;
    let mut me = s.signed_in(STAFF).await;
    let key = set_up_totp(&s, &mut me).await;
    s.clock.advance(Duration::seconds(30));
    for _ in 0..5 {
        let (_, st, _) = sign_in_totp(&s, STAFF, "123456").await;
        assert_eq!(st, 401);
    }
    // Locked: even the right code is refused now (004 §貳: 15 minutes).
    let (_, st, body) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 0)).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("鎖定"), "{body}");
    let r = audit_reasons(&s, "auth.sign_in").await;
    assert!(r.contains(&"bad_code_locked".to_owned()), "{r:?}");
    // Two requests with one code at once: exactly one signs in.
    s.clock.advance(Duration::minutes(16));
    let code = app_code(&s, &key, 0);
    let (a, b) = tokio::join!(
        sign_in_totp(&s, STAFF, &code),
        sign_in_totp(&s, STAFF, &code)
    );
    let mut statuses = [a.1, b.1];
    statuses.sort();
    assert_eq!(statuses, [303, 401], "one code, one sign-in");
}

async fn backup_email(s: &TestServer, login: &str) -> String {
    let mut c = s.app.db.read().await.expect("conn");
    portico_store::accounts::find_by_login(&mut c, login)
        .await
        .expect("account")
        .expect("exists")
        .backup_email
}

/// Step one of the temporary password: the page with the ticket.
async fn ask_temp_password(s: &TestServer, c: &mut Client, email: &str) -> (u16, String) {
    let (_, page) = c.get("/login?method=temp_password").await;
    let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
    let answer = s.captcha_answer(&cid).await;
    let (st, body, _) = c
        .post_form(
            "/login/temp",
            &[("email", email), ("captcha_id", &cid), ("captcha", &answer)],
        )
        .await;
    (st, body)
}

/// Step two, with the ticket on `page` and a fresh captcha.
async fn use_temp_password(
    s: &TestServer,
    c: &mut Client,
    page: &str,
    code: &str,
) -> (u16, String, String) {
    let ticket = between(page, "name=\"ticket\" value=\"", "\"");
    let fresh = c.get("/login?method=temp_password").await.1;
    let cid = between(&fresh, "name=\"captcha_id\" value=\"", "\"");
    let answer = s.captcha_answer(&cid).await;
    c.post_form(
        "/login/temp/verify",
        &[
            ("ticket", &ticket),
            ("code", code),
            ("captcha_id", &cid),
            ("captcha", &answer),
            ("next", "/"),
        ],
    )
    .await
}

/// The temporary password in the newest mail to `to`: the line of ten
/// capitals and digits.
async fn temp_password_sent_to(s: &TestServer, to: &str) -> String {
    let (subject, body) = s.last_message_to(to).await.expect("a mail");
    assert!(subject.contains("臨時密碼"), "{subject}");
    body.lines()
        .map(str::trim)
        .find(|l| {
            l.len() == 10
                && l.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .unwrap_or_else(|| panic!("no temporary password in {body}"))
        .to_owned()
}

#[tokio::test]
async fn seed_004_a_temporary_password_by_mail_works_once_within_ten_minutes() {
    let s = TestServer::start(0).await;
    let email = backup_email(&s, STAFF).await;
    assert!(!email.is_empty());

    // An address bound to nobody gets the same answer and no mail.
    let mut c = s.client();
    let (st, page) = ask_temp_password(&s, &mut c, "nobody@example.org").await;
    assert_eq!(st, 200);
    assert!(page.contains("若此備用信箱已綁定公務帳號"), "{page}");
    assert_eq!(s.messages_to("nobody@example.org").await, 0);

    let mut c = s.client();
    let (st, page) = ask_temp_password(&s, &mut c, &email.to_uppercase()).await;
    assert_eq!(st, 200);
    let code = temp_password_sent_to(&s, &email).await;
    // A wrong one counts, and keeps the ticket for another try.
    let (st, again, _) = use_temp_password(&s, &mut c, &page, "WRONGWRONG").await;
    assert_eq!(st, 401);
    assert!(again.contains("臨時密碼錯誤或已失效"), "{again}");
    let (st, _, loc) = use_temp_password(&s, &mut c, &again, &code.to_lowercase()).await;
    assert_eq!((st, loc.as_str()), (303, "/"));
    assert_eq!(
        session_method(&s, &c).await,
        portico_core::zone::SignInMethod::TempPassword
    );
    let mut other = s.client();
    let (st, _, _) = use_temp_password(&s, &mut other, &again, &code).await;
    assert_eq!(st, 401, "it works once");

    // Ten minutes, then it is gone.
    let mut c = s.client();
    let (_, page) = ask_temp_password(&s, &mut c, &email).await;
    let code = temp_password_sent_to(&s, &email).await;
    s.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let (st, _, _) = use_temp_password(&s, &mut c, &page, &code).await;
    assert_eq!(st, 401, "expired");
    let r = audit_reasons(&s, "auth.sign_in").await;
    for want in [
        "bad_temp_password",
        "temp_password_used",
        "temp_password_expired",
    ] {
        assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
    }

    // At most three mails per ten minutes to one account.
    let before = s.messages_to(&email).await;
    for _ in 0..4 {
        let mut c = s.client();
        assert_eq!(ask_temp_password(&s, &mut c, &email).await.0, 200);
    }
    assert_eq!(s.messages_to(&email).await - before, 3);
    assert!(
        audit_reasons(&s, "auth.temp_password.request")
            .await
            .contains(&"too_many".to_owned())
    );
}

async fn put_settings(admin: &mut Client, patch: serde_json::Value) -> (u16, serde_json::Value) {
    let csrf = admin.csrf().await;
    admin.put_settings(&csrf, patch).await
}

#[tokio::test]
async fn seed_004_outside_the_government_network_only_certificate_methods_and_a_forged_forwarded_for_changes_nothing()
 {
    let s = TestServer::start(0).await;
    // Signed in from inside; the session outlives the change of zones.
    let mut admin = s.signed_in("admin").await;
    // Bad ranges are refused by field, and change nothing.
    let (st, body) = put_settings(&mut admin, json!({"internal_networks": "10.0.0.0/33"})).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.to_string().contains("internal_networks"), "{body}");
    // The tests connect from 127.0.0.1: outside once the network is 10/8.
    let (st, body) = put_settings(&mut admin, json!({"internal_networks": "10.0.0.0/8"})).await;
    assert_eq!(st, 200, "{body}");

    let mut c = s.client();
    let (st, page) = c.get("/login").await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"zone-note\""), "told they are outside");
    assert!(!page.contains("action=\"/login\""), "no password form");
    let (st, body) = {
        let (st, body, _) = c
            .post_form(
                "/login",
                &[
                    ("login", STAFF),
                    ("password", portico_app::demo::DEMO_PASSWORD),
                ],
            )
            .await;
        (st, body)
    };
    assert_eq!(st, 403, "a password from outside is refused");
    assert!(body.contains("您目前不在府內網路"), "{body}");
    let (_, st, _) = sign_in_totp(&s, STAFF, "123456").await;
    assert_eq!(st, 403, "so is an authenticator code");
    let r = audit_reasons(&s, "auth.sign_in").await;
    assert_eq!(
        r.iter().filter(|r| *r == "outside_network").count(),
        2,
        "{r:?}"
    );

    // A forwarded-for header from an untrusted peer counts for nothing.
    c.forwarded_for = "10.1.2.3".into();
    let (st, page) = c.get("/login").await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"zone-note\""), "still outside");
    // …and the audit records the peer it came from, not an empty address
    // (issue 12: those callers were all one rate-limit key, ''), while the
    // request stays outside.
    {
        let (st, _, _) = c
            .post_form(
                "/login",
                &[
                    ("login", STAFF),
                    ("password", portico_app::demo::DEMO_PASSWORD),
                ],
            )
            .await;
        assert_eq!(st, 403, "outside: no password");
        let mut db = s.app.db.read().await.unwrap();
        let row = sqlx::query(
            "SELECT ip, reason FROM audit_events WHERE action = 'auth.sign_in' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(&mut *db)
        .await
        .unwrap();
        assert_eq!(
            sqlx::Row::get::<String, _>(&row, "reason"),
            "outside_network"
        );
        assert_eq!(sqlx::Row::get::<String, _>(&row, "ip"), "127.0.0.1");
    }

    // Once the peer is a trusted proxy, the address it saw counts; the
    // client's own entries further left do not.
    let (st, _) = put_settings(&mut admin, json!({"trusted_proxies": "127.0.0.1/32"})).await;
    assert_eq!(st, 200);
    let (_, page) = c.get("/login").await;
    assert!(
        !page.contains("id=\"zone-note\""),
        "inside through the proxy"
    );
    // Through the proxy with no address forwarded: nobody's, so outside,
    // where only the seed's two certificate methods work by default
    // (004 L349): not even a passkey.
    let mut bare = s.client();
    let (_, page) = bare.get("/login").await;
    assert!(page.contains("id=\"zone-note\""), "unknown is outside");
    assert!(
        !page.contains("data-passkey-sign-in"),
        "no passkey outside by default"
    );
    let (st, body) = bare
        .post_json("/login/passkey/options", "", &json!({}))
        .await;
    assert!(
        (400..500).contains(&st),
        "a passkey from an unknown address: {st} {body}"
    );
    let (mut inside, st, _) = {
        let mut c2 = s.client();
        c2.forwarded_for = "10.1.2.3".into();
        let page = c2.get("/login").await.1;
        let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
        let answer = s.captcha_answer(&cid).await;
        let (st, _, loc) = c2
            .post_form(
                "/login",
                &[
                    ("login", STAFF),
                    ("password", portico_app::demo::DEMO_PASSWORD),
                    ("captcha_id", &cid),
                    ("captcha", &answer),
                    ("next", "/"),
                ],
            )
            .await;
        (c2, st, loc)
    };
    assert_eq!(st, 303);
    assert_eq!(inside.get("/account").await.0, 200);
    c.forwarded_for = "10.1.2.3, 203.0.113.7".into();
    let (_, page) = c.get("/login").await;
    assert!(
        page.contains("id=\"zone-note\""),
        "the proxy saw 203.0.113.7"
    );

    // Which methods work outside is a setting.
    let (st, _) = put_settings(
        &mut admin,
        json!({"outside_methods": ["certificate", "mobile_id", "passkey", "password"]}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, page) = c.get("/login").await;
    assert!(
        page.contains("action=\"/login\""),
        "password offered outside now"
    );
}

#[tokio::test]
async fn id_tokens_report_the_method_and_an_application_can_require_a_strong_one() {
    let s = TestServer::start(0).await;
    let mut me = s.signed_in(STAFF).await;
    let key = set_up_totp(&s, &mut me).await;
    s.clock.advance(Duration::seconds(30));
    let (mut c, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 0)).await;
    assert_eq!(st, 303);
    let (code, verifier) = code_for(&s, &mut c).await;
    let (st, t) = exchange(&s, &code, &verifier).await;
    assert_eq!(st, 200, "{t}");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], json!(["otp"]));
    assert_eq!(id["acr"], portico_app::oidc::ACR_BASIC);
    // A refreshed ID token still tells how the person signed in.
    let (st, t2) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(st, 200, "{t2}");
    assert_eq!(
        claims(t2["id_token"].as_str().unwrap())["amr"],
        json!(["otp"])
    );

    // acr_values asking for a strong method: the code-based session is not
    // enough; the person is sent to sign in with a strong method.
    let (_, challenge) = pkce();
    let extra = format!("&acr_values={}", enc(portico_app::oidc::ACR_STRONG));
    let (st, _, loc) = c.get_loc(&auth_url(ID, CB, &challenge, &extra)).await;
    assert_eq!(st, 303);
    assert!(
        loc.starts_with("/login?") && loc.ends_with("&strong=1"),
        "{loc}"
    );
    assert!(
        loc.contains("acr_values"),
        "the request comes back intact: {loc}"
    );
    let (_, page) = c.get(&loc).await;
    assert!(page.contains("id=\"strong-note\""), "{page}");
    assert!(
        !page.contains("action=\"/login/totp\""),
        "weak methods not offered"
    );
    let (st, _, loc) = c
        .get_loc(&auth_url(
            ID,
            CB,
            &challenge,
            &format!("{extra}&prompt=none"),
        ))
        .await;
    assert_eq!(st, 303);
    assert_eq!(param(&loc, "error").as_deref(), Some("login_required"));

    let (_, disco) = c.get("/.well-known/openid-configuration").await;
    assert!(disco.contains(portico_app::oidc::ACR_STRONG), "{disco}");
}

#[tokio::test]
async fn an_admin_sees_bound_methods_and_resets_them_within_scope() {
    let s = TestServer::start(0).await;
    let mut me = s.signed_in(STAFF).await;
    let key = set_up_totp(&s, &mut me).await;
    let id = s.account_id(STAFF).await;

    // An admin of another agency may not touch it: to them it does not
    // exist.
    let mut edu = s.signed_in("edu_admin").await;
    let csrf = edu.csrf().await;
    let (st, _, _) = edu
        .post_form(
            &format!("/admin/accounts/{id}/methods/totp/reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 404);

    let mut admin = s.signed_in("civil_admin").await;
    let (_, page) = admin.get(&format!("/admin/accounts/{id}")).await;
    let bound = between(&page, "id=\"bound-methods\"", "</ul>");
    assert!(bound.contains("已啟用"), "{bound}");
    // The JSON API says the same.
    let (st, a) = admin.api_get(&format!("/accounts/{id}")).await;
    assert_eq!(st, 200);
    assert!(a["bound_methods"]["totp"].is_string(), "{a}");
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .api(
            "DELETE",
            &format!("/accounts/{id}/methods/sms"),
            &csrf,
            None,
        )
        .await;
    assert_eq!(st, 404, "no such method");
    let csrf = admin.csrf().await;
    let (st, _, loc) = admin
        .post_form(
            &format!("/admin/accounts/{id}/methods/totp/reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    let (_, page) = admin.get(&format!("/admin/accounts/{id}")).await;
    assert!(between(&page, "id=\"bound-methods\"", "</ul>").contains("未啟用"));
    assert_eq!(audit_reasons(&s, "account.method.reset").await.len(), 1);
    s.clock.advance(Duration::seconds(30));
    let (_, st, _) = sign_in_totp(&s, STAFF, &app_code(&s, &key, 0)).await;
    assert_eq!(st, 401, "the reset secret no longer signs in");
}

/// The relying party the test server's passkeys use: `localhost` on the
/// server's port (browsers refuse WebAuthn on an IP address).
fn rp_of(s: &TestServer) -> (String, String) {
    let port = s.base.rsplit(':').next().unwrap_or("");
    ("localhost".into(), format!("http://localhost:{port}"))
}

/// Registers a passkey for a signed-in person through the page's endpoints.
async fn add_passkey(
    s: &TestServer,
    me: &mut Client,
    name: &str,
) -> (u16, serde_json::Value, SoftKey) {
    let (rp, origin) = rp_of(s);
    let mut key = SoftKey::new(&rp, &origin);
    let csrf = me.csrf().await;
    let (st, c) = me
        .post_json(
            "/account/passkeys/options",
            &csrf,
            &json!({ "name": name, "password": portico_app::demo::DEMO_PASSWORD }),
        )
        .await;
    if st != 200 {
        return (st, c, key);
    }
    let cred = key.register(&c["options"]);
    let (st, body) = me
        .post_json(
            "/account/passkeys",
            &csrf,
            &json!({"handle": c["handle"], "name": name, "credential": cred}),
        )
        .await;
    (st, body, key)
}

/// Signs in with a passkey: the options, the authenticator's answer, the
/// finish. Returns the client, status and body.
async fn passkey_sign_in(
    s: &TestServer,
    answer: impl FnOnce(&serde_json::Value) -> serde_json::Value,
) -> (Client, u16, serde_json::Value) {
    let mut c = s.client();
    let (st, opts) = c.post_json("/login/passkey/options", "", &json!({})).await;
    assert_eq!(st, 200, "{opts}");
    let cred = answer(&opts["options"]);
    let (st, body) = c
        .post_json(
            "/login/passkey",
            "",
            &json!({"handle": opts["handle"], "credential": cred, "next": "/"}),
        )
        .await;
    (c, st, body)
}

async fn failed_count(s: &TestServer, login: &str) -> i64 {
    let mut c = s.app.db.read().await.expect("conn");
    portico_store::accounts::find_by_login(&mut c, login)
        .await
        .expect("account")
        .expect("exists")
        .failed_count
}

#[tokio::test]
async fn passkeys_register_sign_in_without_a_password_and_forgeries_are_refused() {
    let s = TestServer::start(0).await;
    let mut me = s.signed_in(STAFF).await;
    let (st, body, _) = add_passkey(&s, &mut me, "  ").await;
    assert_eq!(st, 422, "a passkey needs a name: {body}");
    let csrf = me.csrf().await;
    let (st, body) = me
        .post_json(
            "/account/passkeys/options",
            &csrf,
            &json!({ "name": "筆電", "password": "not-my-password" }),
        )
        .await;
    assert_eq!(st, 422, "the password again: {body}");
    assert_eq!(body["fields"][0]["field"], "password");
    let (st, body, mut key) = add_passkey(&s, &mut me, "辦公室電腦").await;
    assert_eq!(st, 200, "{body}");
    let (_, page) = me.get("/account").await;
    assert!(page.contains("辦公室電腦"), "listed by name");

    // Signing in needs no login name and no password.
    let (mut c, st, body) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["redirect"], "/");
    assert_eq!(
        session_method(&s, &c).await,
        portico_core::zone::SignInMethod::Passkey
    );
    // It is strong: an application asking for a strong method gets a code,
    // and the ID token says how.
    let (verifier, challenge) = pkce();
    let extra = format!("&acr_values={}", enc(portico_app::oidc::ACR_STRONG));
    let (st, _, loc) = c.get_loc(&auth_url(ID, CB, &challenge, &extra)).await;
    assert_eq!(st, 303);
    let code = param(&loc, "code").expect("a code at once");
    let (st, t) = exchange(&s, &code, &verifier).await;
    assert_eq!(st, 200, "{t}");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["acr"], portico_app::oidc::ACR_STRONG);
    assert_eq!(id["amr"], json!(["hwk", "user"]));

    // A signature over another challenge: refused, and counted.
    let before = failed_count(&s, STAFF).await;
    let mut stale = s.client();
    let (_, old_opts) = stale
        .post_json("/login/passkey/options", "", &json!({}))
        .await;
    let old_answer = key.assert(&old_opts["options"]);
    let (_, st, body) = passkey_sign_in(&s, |_| old_answer.clone()).await;
    assert_eq!(st, 401, "{body}");
    assert!(
        body["message"]["zh"]
            .as_str()
            .unwrap_or("")
            .contains("通行金鑰"),
        "{body}"
    );
    assert_eq!(
        failed_count(&s, STAFF).await,
        before + 1,
        "counts towards the lockout"
    );
    // A counter that did not go up since the last sign-in: a cloned key.
    let (_, st, _) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 200);
    let counter = key.counter;
    let (_, st, _) = passkey_sign_in(&s, |o| key.assert_with_counter(o, counter)).await;
    assert_eq!(st, 401, "the same counter again");
    // The right key answering for another account (its user handle): it
    // counts against the key's own account.
    let before = failed_count(&s, STAFF).await;
    let own = key.user_handle.clone();
    let mut other = 0x706f_7274_6963_6f00u64.to_be_bytes().to_vec();
    other.extend_from_slice(&(s.account_id("admin").await as u64).to_be_bytes());
    key.user_handle = other;
    let (_, st, _) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 401, "another account's handle");
    assert_eq!(failed_count(&s, STAFF).await, before + 1);
    key.user_handle = own;
    // A key nobody registered.
    let (rp, origin) = rp_of(&s);
    let mut stranger = SoftKey::new(&rp, &origin);
    stranger.user_handle = key.user_handle.clone();
    let (_, st, _) = passkey_sign_in(&s, |o| stranger.assert(o)).await;
    assert_eq!(st, 401, "unknown credential");
    // A challenge works once.
    let (_, opts) = stale
        .post_json("/login/passkey/options", "", &json!({}))
        .await;
    let answer = key.assert(&opts["options"]);
    let finish = json!({"handle": opts["handle"], "credential": answer, "next": "/"});
    assert_eq!(stale.post_json("/login/passkey", "", &finish).await.0, 200);
    assert_eq!(stale.post_json("/login/passkey", "", &finish).await.0, 401);
    let r = audit_reasons(&s, "auth.sign_in").await;
    for want in [
        "bad_passkey",
        "passkey_counter",
        "unknown_passkey",
        "unknown_challenge",
        "wrong_user_handle",
    ] {
        assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
    }

    // Rename and remove on the personal page.
    let id = {
        let mut db = s.app.db.read().await.expect("conn");
        let acc = portico_core::ids::AccountId(s.account_id(STAFF).await);
        portico_store::factors::passkeys_of(&mut db, acc)
            .await
            .expect("list")[0]
            .id
    };
    let csrf = me.csrf().await;
    let (st, _, loc) = me
        .post_form(
            &format!("/account/passkeys/{id}/rename"),
            &[("_csrf", &csrf), ("name", "我的手機")],
        )
        .await;
    assert_eq!(
        (st, loc.as_str()),
        (303, "/account?ok=passkey-renamed#methods")
    );
    assert!(me.get("/account").await.1.contains("我的手機"));
    let (st, _, _) = me
        .post_form(
            &format!("/account/passkeys/{id}/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 303);
    let (_, st, _) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 401, "a removed passkey signs nobody in");
}

#[tokio::test]
async fn seed_004_passkeys_work_outside_the_government_network_once_allowed_and_an_admin_can_remove_them()
 {
    let s = TestServer::start(0).await;
    let mut admin = s.signed_in("admin").await;
    let mut me = s.signed_in(STAFF).await;
    let (st, _, mut key) = add_passkey(&s, &mut me, "筆電").await;
    assert_eq!(st, 200);
    let (st, _) = put_settings(&mut admin, json!({"internal_networks": "10.0.0.0/8"})).await;
    assert_eq!(st, 200);
    let (_, page) = s.client().get("/login").await;
    assert!(
        !page.contains("data-passkey-sign-in"),
        "outside, not by default (004 L349)"
    );
    let (st, _) = put_settings(
        &mut admin,
        json!({"outside_methods": ["certificate", "mobile_id", "passkey"]}),
    )
    .await;
    assert_eq!(st, 200, "a system admin turns passkeys on outside");
    let (_, page) = s.client().get("/login").await;
    assert!(
        page.contains("data-passkey-sign-in"),
        "the passkey is offered outside"
    );
    let (_, st, body) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 200, "{body}");

    let id = s.account_id(STAFF).await;
    let (_, page) = admin.get(&format!("/admin/accounts/{id}")).await;
    assert!(between(&page, "id=\"bound-methods\"", "</ul>").contains("通行金鑰：1"));
    let csrf = admin.csrf().await;
    let (st, _, _) = admin
        .post_form(
            &format!("/admin/accounts/{id}/methods/passkey/reset"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 303);
    let (_, st, _) = passkey_sign_in(&s, |o| key.assert(o)).await;
    assert_eq!(st, 401, "removed by the admin");
}

/// A server that trusts a test CA, with a HiPKI stand-in serving its CRL
/// and holding the cards the tests insert.
struct CardRig {
    s: TestServer,
    ca: portico_app::card::test_ca::TestCa,
    sim: portico_web::hipki_sim::HipkiSim,
    agent: String,
    /// The mobile ID service's simulator, and its address.
    fido: portico_web::twfido_sim::TwFidoSim,
    fido_base: String,
}

const FIDO_KEY: [u8; 32] = [9u8; 32];

impl CardRig {
    async fn start() -> CardRig {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let agent = format!("http://{}", listener.local_addr().unwrap());
        let ca = portico_app::card::test_ca::TestCa::new(
            "Test MOICA",
            &format!("{agent}/crl/test-moica.crl"),
        )
        .unwrap();
        let sim = portico_web::hipki_sim::HipkiSim::new();
        sim.set_crl(ca.crl(&[], time::OffsetDateTime::now_utc()).unwrap());
        let router = sim.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let fido = portico_web::twfido_sim::TwFidoSim::new("SVC-TEST", FIDO_KEY);
        let fl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fido_base = format!("http://{}", fl.local_addr().unwrap());
        let fr = fido.router();
        tokio::spawn(async move { axum::serve(fl, fr).await });
        let anchor = ca.cert_der.clone();
        let a = agent.clone();
        let fb = fido_base.clone();
        let s = TestServer::start_configured(0, Default::default(), move |app| {
            app.with_card(portico_app::card::CardSetup {
                trust: portico_app::card::CardTrust::from_der(vec![anchor.clone()]),
                agent_url: a,
            })
            .with_mobile_id(portico_app::mobile_id::MobileIdSetup {
                client: portico_app::mobile_id::MobileIdClient::new(
                    &format!("{fb}/moise/sp"),
                    "SVC-TEST",
                    FIDO_KEY,
                )
                .unwrap(),
                trust: portico_app::card::CardTrust::from_der(vec![anchor]),
            })
        })
        .await;
        CardRig {
            s,
            ca,
            sim,
            agent,
            fido,
            fido_base,
        }
    }

    /// The national ID of a seeded account.
    async fn national_id(&self, login: &str) -> String {
        let mut c = self.s.app.db.read().await.unwrap();
        portico_store::accounts::find_by_login(&mut c, login)
            .await
            .unwrap()
            .and_then(|a| a.national_id)
            .unwrap()
    }

    /// Registers `login`'s phone with the simulated service.
    async fn enroll_phone(&self, login: &str) -> String {
        let id = self.national_id(login).await;
        let now = time::OffsetDateTime::now_utc();
        let cert = self
            .ca
            .issue(
                login,
                &id[id.len() - 4..],
                99,
                now - Duration::days(1),
                now + Duration::days(365),
            )
            .unwrap();
        self.fido.enroll(
            &id,
            portico_web::twfido_sim::Enrolled {
                cert_der: cert.cert_der,
                key: portico_app::card::sign::CardKey::from_pkcs8(&cert.key_pkcs8).unwrap(),
            },
        );
        id
    }

    /// Starts a mobile-ID sign-in on the page: status, and the handle the
    /// page polls with (empty on a refusal).
    async fn mobile_start(&self, c: &mut Client, id: &str, mode: &str) -> (u16, String, String) {
        let (st, page, _) = c
            .post_form(
                "/login/mobile-id",
                &[("id_num", id), ("mode", mode), ("next", "/")],
            )
            .await;
        let handle = if page.contains("data-handle=\"") {
            between(&page, "data-handle=\"", "\"")
        } else {
            String::new()
        };
        (st, page, handle)
    }

    async fn mobile_poll(&self, c: &mut Client, handle: &str) -> (u16, serde_json::Value) {
        c.post_json(
            "/login/mobile-id/poll",
            "",
            &json!({"handle": handle, "next": "/"}),
        )
        .await
    }

    /// Puts a card for `login` (or with `digits`) in the reader.
    async fn insert(
        &self,
        ca: &portico_app::card::test_ca::TestCa,
        login: &str,
        serial: u64,
        days: (i64, i64),
    ) {
        let mut c = self.s.app.db.read().await.unwrap();
        let id = portico_store::accounts::find_by_login(&mut c, login)
            .await
            .unwrap()
            .and_then(|a| a.national_id)
            .unwrap_or_else(|| "A000000000".into());
        let now = time::OffsetDateTime::now_utc();
        let card = ca
            .issue(
                login,
                &id[id.len() - 4..],
                serial,
                now + Duration::days(days.0),
                now + Duration::days(days.1),
            )
            .unwrap();
        self.sim.insert(portico_web::hipki_sim::SimCard {
            cert_der: card.cert_der,
            chain: Vec::new(),
            key: portico_app::card::sign::CardKey::from_pkcs8(&card.key_pkcs8).unwrap(),
            pin: "123456".into(),
            card_number: format!("TP{serial:014}"),
        });
    }

    /// The card in the reader signs `tbs`, as the popup has it do.
    async fn sign(&self, tbs: &str, pin: &str) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}/sign", self.agent))
            .json(&json!({"func": "MakeSignature", "tbs": tbs, "pin": pin, "withCardSN": "true"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn bind(&self, me: &mut Client) -> (u16, serde_json::Value) {
        let csrf = me.csrf().await;
        let (st, c) = me
            .post_json("/account/card/options", &csrf, &json!({}))
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["agent"], self.agent.as_str());
        let sig = self.sign(c["tbs"].as_str().unwrap(), "123456").await;
        assert_eq!(sig["ret_code"], 0, "{sig}");
        me.post_json(
            "/account/card",
            &csrf,
            &json!({"handle": c["handle"], "signature": sig["signature"]}),
        )
        .await
    }

    /// Signs in with the card in the reader; `tamper` may swap the text
    /// the card signs.
    async fn sign_in(&self, tamper: Option<&str>) -> (Client, u16, serde_json::Value) {
        let mut c = self.s.client();
        let (st, opts) = c.post_json("/login/card/options", "", &json!({})).await;
        assert_eq!(st, 200, "{opts}");
        let tbs = tamper.unwrap_or(opts["tbs"].as_str().unwrap()).to_owned();
        let sig = self.sign(&tbs, "123456").await;
        let (st, body) = c
            .post_json(
                "/login/card",
                "",
                &json!({"handle": opts["handle"], "signature": sig["signature"], "next": "/"}),
            )
            .await;
        (c, st, body)
    }
}

#[tokio::test]
async fn seed_004_a_citizen_certificate_card_is_bound_by_its_id_digits_and_signs_in_with_its_pin() {
    let rig = CardRig::start().await;
    let s = &rig.s;
    let mut me = s.signed_in(STAFF).await;

    // Another person's card: the ID digits differ.
    rig.insert(&rig.ca, "civil_admin", 11, (-1, 365)).await;
    let (st, body) = rig.bind(&mut me).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("末四碼"), "{body}");
    // An expired card.
    rig.insert(&rig.ca, STAFF, 12, (-400, -1)).await;
    assert_eq!(rig.bind(&mut me).await.0, 409, "expired");
    // A card from a CA the portal does not trust; its certificate names
    // a CRL, which the server never fetches for a stranger.
    let stranger = portico_app::card::test_ca::TestCa::new(
        "Other CA",
        &format!("{}/crl/test-moica.crl", rig.agent),
    )
    .unwrap();
    rig.insert(&stranger, STAFF, 13, (-1, 365)).await;
    s.app.forget_card_crls();
    let hits = rig.sim.crl_hits();
    assert_eq!(rig.bind(&mut me).await.0, 409, "untrusted");
    assert_eq!(
        rig.sim.crl_hits(),
        hits,
        "no fetch for an untrusted certificate"
    );
    let r = audit_reasons(s, "account.card.bind").await;
    for want in ["card_id_mismatch", "card_expired", "card_untrusted"] {
        assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
    }

    // Staff's own card binds, and then signs in without a login name.
    rig.insert(&rig.ca, STAFF, 14, (-1, 365)).await;
    let (st, body) = rig.bind(&mut me).await;
    assert_eq!(st, 200, "{body}");
    assert!(
        me.get("/account").await.1.contains("序號 0E"),
        "listed with its serial"
    );
    assert_eq!(rig.bind(&mut me).await.0, 409, "bound once");
    let (c, st, body) = rig.sign_in(None).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(
        session_method(s, &c).await,
        portico_core::zone::SignInMethod::Certificate
    );

    // A signature over another challenge: refused and counted.
    let before = failed_count(s, STAFF).await;
    let (_, st, _) = rig.sign_in(Some("portico-an-old-challenge")).await;
    assert_eq!(st, 401);
    assert_eq!(failed_count(s, STAFF).await, before + 1);
    // A signature by another key, claiming staff's card (certificates are
    // public): refused and audited, but not counted, or anyone could lock
    // any card holder out.
    let before = failed_count(s, STAFF).await;
    let c = {
        let mut db = s.app.db.read().await.unwrap();
        let acc = portico_core::ids::AccountId(s.account_id(STAFF).await);
        portico_store::factors::certs_of(&mut db, acc)
            .await
            .unwrap()[0]
            .clone()
    };
    assert_eq!(c.serial, "0E");
    let mut anyone = s.client();
    let (_, opts) = anyone
        .post_json("/login/card/options", "", &json!({}))
        .await;
    let genuine = rig.sign(opts["tbs"].as_str().unwrap(), "123456").await;
    let forged = forge_signature(genuine["signature"].as_str().unwrap());
    let (st, _) = anyone
        .post_json(
            "/login/card",
            "",
            &json!({"handle": opts["handle"], "signature": forged, "next": "/"}),
        )
        .await;
    assert_eq!(st, 401);
    assert_eq!(failed_count(s, STAFF).await, before, "not counted");
    assert_eq!(
        audit_reasons(s, "auth.sign_in")
            .await
            .last()
            .map(String::as_str),
        Some("card_bad_signature")
    );
    // Revoked: the CA's next CRL lists the card.
    rig.sim
        .set_crl(rig.ca.crl(&[14], time::OffsetDateTime::now_utc()).unwrap());
    s.app.forget_card_crls();
    let (_, st, body) = rig.sign_in(None).await;
    assert_eq!(st, 401, "{body}");
    let r = audit_reasons(s, "auth.sign_in").await;
    for want in ["card_wrong_challenge", "card_revoked"] {
        assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
    }
    // Without a CRL the status is unknown: refused, not let through.
    rig.sim.set_crl(Vec::new());
    s.app.forget_card_crls();
    let (_, st, _) = rig.sign_in(None).await;
    assert_eq!(st, 401);
    assert_eq!(
        audit_reasons(s, "auth.sign_in")
            .await
            .last()
            .map(String::as_str),
        Some("card_revocation_unknown")
    );

    // Unbound, the card signs nobody in.
    rig.sim
        .set_crl(rig.ca.crl(&[], time::OffsetDateTime::now_utc()).unwrap());
    s.app.forget_card_crls();
    let id = {
        let mut db = s.app.db.read().await.unwrap();
        let acc = portico_core::ids::AccountId(s.account_id(STAFF).await);
        portico_store::factors::certs_of(&mut db, acc)
            .await
            .unwrap()[0]
            .id
    };
    let csrf = me.csrf().await;
    let (st, _, _) = me
        .post_form(&format!("/account/card/{id}/delete"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 303);
    let (_, st, _) = rig.sign_in(None).await;
    assert_eq!(st, 401);
    assert_eq!(
        audit_reasons(s, "auth.sign_in")
            .await
            .last()
            .map(String::as_str),
        Some("card_not_bound")
    );
}

#[tokio::test]
async fn seed_004_mobile_id_by_push_or_qr_polls_every_four_seconds_and_checks_checksums_and_the_signature()
 {
    let rig = CardRig::start().await;
    let s = &rig.s;
    let four = Duration::seconds(4);
    // An ID with no mobile ID: the page says what to do.
    let mut c = s.client();
    let id = rig.national_id(STAFF).await;
    let (st, page, _) = rig.mobile_start(&mut c, &id, "push").await;
    assert_eq!(st, 401);
    assert!(page.contains("尚未註冊行動自然人憑證"), "{page}");
    let (st, page, _) = rig.mobile_start(&mut c, "A12345678X", "push").await;
    assert_eq!(st, 401);
    assert!(page.contains("身分證字號格式不正確"));

    rig.enroll_phone(STAFF).await;
    let (st, page, handle) = rig.mobile_start(&mut c, &id, "push").await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("已推播至您的手機"));
    assert!(page.contains("重新發送推播"));
    assert!(
        page.contains("id=\"mobile-confirm\""),
        "the code to match on the phone"
    );
    // Asked at once, the service is not called again (four seconds apart).
    assert_eq!(rig.mobile_poll(&mut c, &handle).await.1["state"], "pending");
    s.clock.advance(four);
    assert_eq!(
        rig.mobile_poll(&mut c, &handle).await.1["state"],
        "pending",
        "the phone has not answered"
    );
    assert!(rig.fido.answer(&id, true));
    assert_eq!(
        rig.mobile_poll(&mut c, &handle).await.1["state"],
        "pending",
        "too soon to ask"
    );
    s.clock.advance(four);
    let (st, body) = rig.mobile_poll(&mut c, &handle).await;
    assert_eq!((st, &body["redirect"]), (200, &json!("/")), "{body}");
    assert_eq!(
        session_method(s, &c).await,
        portico_core::zone::SignInMethod::MobileId
    );
    assert_eq!(
        rig.mobile_poll(&mut c, &handle).await.0,
        401,
        "a transaction works once"
    );

    // QR mode shows the ticket as a QR code; declining on the phone ends it.
    let mut c = s.client();
    let (st, page, handle) = rig.mobile_start(&mut c, &id, "qr").await;
    assert_eq!(st, 200);
    assert!(page.contains("<svg"), "the QR code");
    rig.fido.answer(&id, false);
    s.clock.advance(four);
    let (st, body) = rig.mobile_poll(&mut c, &handle).await;
    assert_eq!(st, 401);
    assert!(
        body["message"]["zh"].as_str().unwrap().contains("拒絕"),
        "{body}"
    );

    // An answer with a wrong checksum, or a signature over something else,
    // is refused and counts against the account.
    for (fault, reason) in [
        ("checksum", "mobile_id_checksum"),
        ("signature", "card_bad_signature"),
    ] {
        let before = failed_count(s, STAFF).await;
        let mut c = s.client();
        let (_, _, handle) = rig.mobile_start(&mut c, &id, "push").await;
        rig.fido.answer(&id, true);
        if fault == "checksum" {
            rig.fido.corrupt_next_checksum();
        } else {
            rig.fido.corrupt_next_signature();
        }
        s.clock.advance(four);
        let (st, body) = rig.mobile_poll(&mut c, &handle).await;
        assert_eq!(st, 401, "{fault}: {body}");
        assert_eq!(failed_count(s, STAFF).await, before + 1, "{fault} counted");
        assert_eq!(
            audit_reasons(s, "auth.sign_in")
                .await
                .last()
                .map(String::as_str),
            Some(reason)
        );
    }
    // Five requests for one ID in a minute; the sixth is refused, so no
    // one can flood a phone until its owner taps "approve".
    let (st, page, _) = rig.mobile_start(&mut s.client(), &id, "push").await;
    assert_eq!(st, 401);
    assert!(page.contains("推播次數過多"), "{page}");
    let r = audit_reasons(s, "auth.sign_in").await;
    for want in [
        "IDNUM_USERPROF_NF",
        "APP_USER_CANCEL",
        "bad_national_id",
        "too_many_pushes",
    ] {
        assert!(r.contains(&want.to_owned()), "{want} in {r:?}");
    }
}

#[tokio::test]
async fn the_mobile_id_service_refuses_a_request_with_a_wrong_checksum() {
    let rig = CardRig::start().await;
    let id = rig.enroll_phone(STAFF).await;
    let wrong = portico_app::mobile_id::MobileIdClient::new(
        &format!("{}/moise/sp", rig.fido_base),
        "SVC-TEST",
        [1u8; 32],
    )
    .unwrap();
    let r = wrong
        .request("tx-1", &id, portico_app::mobile_id::Mode::Push, "", "AAAA")
        .await;
    assert_eq!(
        r,
        Err(portico_app::mobile_id::ServiceError::Code(
            "SP-API-ATH-03-INV_SP_CHECKSUM".into()
        ))
    );
    let right = portico_app::mobile_id::MobileIdClient::new(
        &format!("{}/moise/sp", rig.fido_base),
        "SVC-TEST",
        FIDO_KEY,
    )
    .unwrap();
    let ticket = right
        .request("tx-2", &id, portico_app::mobile_id::Mode::Qr, "", "AAAA")
        .await
        .unwrap();
    let f = portico_app::mobile_id::ticket_fields(&ticket).unwrap();
    assert_eq!(f["transaction_id"], "tx-2");
    assert_eq!(f["op_mode"], "I-SCAN");
    // A transaction id is never reused.
    assert_eq!(
        right
            .request("tx-2", &id, portico_app::mobile_id::Mode::Qr, "", "AAAA")
            .await,
        Err(portico_app::mobile_id::ServiceError::Code(
            "SP-API-ATH-01-TXNLOG_INS_ERR".into()
        ))
    );
}

/// A mobile-ID check for an ID with no eligible account counts against the
/// client's send limit as a real push does: the limit cannot tell which
/// IDs have accounts.
#[tokio::test]
async fn a_decoy_push_counts_against_the_send_limit_like_a_real_one() {
    let rig = CardRig::start().await;
    let s = &rig.s;
    // Outside the government network, 20 sends an hour per client address.
    let mut admin = s.signed_in("admin").await;
    assert_eq!(
        put_settings(&mut admin, json!({"internal_networks": "10.0.0.0/8"}))
            .await
            .0,
        200
    );
    let mut c = s.client();
    for n in 0..19 {
        let (st, _) = s
            .flow_send(&mut c, "/admins", "email", &format!("probe{n}@example.org"))
            .await;
        assert_eq!(st, 200);
    }
    let unknown = portico_core::national_id::NationalId::with_check_digit('B', "23456789")
        .unwrap()
        .as_str()
        .to_owned();
    let (st, page, _) = c
        .post_form(
            "/admins/send",
            &[("method", "mobile_id"), ("national_id", &unknown)],
        )
        .await;
    assert_eq!(st, 200, "the same waiting page: {page}");
    let (st, _) = s
        .flow_send(&mut c, "/admins", "email", "probe19@example.org")
        .await;
    assert_eq!(st, 409, "the decoy was counted as the twentieth");
}

#[tokio::test]
async fn seed_004_a_forgotten_password_is_reset_with_the_bound_card() {
    // 004 L795–806: 忘記密碼 by 自然人憑證, for those who bound a card.
    let rig = CardRig::start().await;
    let s = &rig.s;
    let mut c = s.client();
    let page = c.get("/forgot?by=card").await.1;
    assert!(page.contains("data-card-verify"), "{page}");
    for by in ["card", "mobile_id", "email", "sms"] {
        assert!(
            page.contains(&format!("/forgot?by={by}")),
            "忘記密碼 offers {by} (004 L791)"
        );
    }
    let page = c.get("/activate").await.1;
    assert!(
        page.contains("/activate?by=mobile_id") && !page.contains("?by=card"),
        "{page}"
    );
    let page = c.get("/forgot?by=mobile_id").await.1;
    assert!(page.contains("name=\"national_id\""), "{page}");
    let check = async |c: &mut Client| {
        let (st, opts) = c.post_json("/forgot/card/options", "", &json!({})).await;
        assert_eq!(st, 200, "{opts}");
        let sig = rig.sign(opts["tbs"].as_str().unwrap(), "123456").await;
        c.post_json(
            "/forgot/card",
            "",
            &json!({"handle": opts["handle"], "signature": sig["signature"]}),
        )
        .await
    };
    // A card bound to nobody proves nothing.
    rig.insert(&rig.ca, STAFF, 21, (-1, 365)).await;
    let (st, body) = check(&mut c).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("未綁定"), "{body}");
    assert_eq!(c.get("/forgot/password").await.0, 401, "no proof");
    // Bound, it opens the password form for its account.
    let mut me = s.signed_in(STAFF).await;
    assert_eq!(rig.bind(&mut me).await.0, 200);
    let (st, body) = check(&mut c).await;
    assert_eq!(
        (st, &body["redirect"]),
        (200, &json!("/forgot/password")),
        "{body}"
    );
    let (st, page) = c.get("/forgot/password").await;
    assert_eq!(st, 200);
    assert!(page.contains(STAFF), "{page}");
    let (st, _, _) = c
        .post_form(
            "/forgot/password",
            &[
                ("new_password", "Card#Reset42"),
                ("confirm_password", "Card#Reset42"),
            ],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(s.sign_in(STAFF, "Card#Reset42").await.1, 303);
    let r = audit_reasons(s, "auth.card.verify").await;
    assert!(r.contains(&"card_not_bound".to_owned()), "{r:?}");
    // Activation offers no card (004 L570).
    assert_eq!(c.post_form("/activate/card/options", &[]).await.0, 404);
}

#[tokio::test]
async fn seed_004_mobile_id_verifies_identity_in_forgot_password_and_the_other_account_flows() {
    let rig = CardRig::start().await;
    let s = &rig.s;
    let id = rig.enroll_phone(STAFF).await;
    let mut c = s.client();
    let (st, page) = c.get("/forgot").await;
    assert_eq!(st, 200);
    assert!(page.contains("/forgot?by=mobile_id"), "offered as a method");
    // 004 L834: the person names themselves by the 身分證字號.
    let (st, page, _) = c
        .post_form(
            "/forgot/send",
            &[("national_id", &id), ("method", "mobile_id")],
        )
        .await;
    assert_eq!(st, 200, "{page}");
    let status = between(&page, "id=\"mobile-status\">", "</p>");
    assert!(
        status.contains(&portico_app::mobile_id::mask(&id)) && !status.contains(&id),
        "the ID is shown back masked: {status}"
    );
    let handle = between(&page, "data-handle=\"", "\"");
    let (_, body) = c
        .post_json("/forgot/mobile", "", &json!({ "handle": handle }))
        .await;
    assert_eq!(body["state"], "pending");
    // Without the page's script, the button answers with the same page.
    let (st, page, _) = c
        .post_form("/forgot/mobile", &[("handle", &handle), ("login", &id)])
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("尚未收到手機上的確認"), "{page}");
    rig.fido.answer(&id, true);
    s.clock.advance(Duration::seconds(4));
    let (st, body) = c
        .post_json("/forgot/mobile", "", &json!({ "handle": handle }))
        .await;
    assert_eq!(
        (st, &body["redirect"]),
        (200, &json!("/forgot/password")),
        "{body}"
    );
    // The proof opens the password form for staff.
    let (st, page) = c.get("/forgot/password").await;
    assert_eq!(st, 200);
    assert!(page.contains(STAFF), "{page}");

    // An account that may not use the flow gets the same page and no push.
    let mut c = s.client();
    let (st, page, _) = c
        .post_form(
            "/activate/send",
            &[("national_id", &id), ("method", "mobile_id")],
        )
        .await;
    assert_eq!(st, 200, "the same page: {page}");
    assert!(page.contains("data-handle"));
    assert!(!rig.fido.answer(&id, true), "nothing was pushed");
    // And the page waits as for a real request nobody approves.
    let decoy = between(&page, "data-handle=\"", "\"");
    for _ in 0..2 {
        s.clock.advance(Duration::seconds(4));
        let (st, body) = c
            .post_json("/activate/mobile", "", &json!({ "handle": decoy }))
            .await;
        assert_eq!((st, &body["state"]), (200, &json!("pending")), "{body}");
    }
    let r = audit_reasons(s, "auth.mobile_id.verify").await;
    assert!(r.contains(&"not_eligible".to_owned()), "{r:?}");
}

#[tokio::test]
async fn seed_004_mobile_id_verifies_the_applicant_before_an_application_is_modified() {
    let rig = CardRig::start().await;
    let s = &rig.s;
    let id = rig.enroll_phone("pending").await;
    let email = backup_email(s, "pending").await;
    let mut c = s.client();
    let (_, page) = c.get("/apply/modify").await;
    assert!(page.contains("改以行動自然人憑證驗證"), "offered");
    let (st, page, _) = c
        .post_form(
            "/apply/modify/email",
            &[("email", &email), ("method", "mobile_id")],
        )
        .await;
    assert_eq!(st, 200, "{page}");
    let handle = between(&page, "data-handle=\"", "\"");
    assert!(
        rig.fido.answer(&id, true),
        "the push went to the applicant's ID"
    );
    s.clock.advance(Duration::seconds(4));
    let (st, body) = c
        .post_json("/apply/modify/mobile", "", &json!({ "handle": handle }))
        .await;
    assert_eq!(
        (st, &body["redirect"]),
        (200, &json!("/apply/modify/form")),
        "{body}"
    );
    let (st, form) = c.get("/apply/modify/form").await;
    assert_eq!(st, 200);
    assert!(form.contains(&email), "the application opens");
}

#[tokio::test]
async fn a_sign_in_posted_by_another_site_is_refused() {
    let s = TestServer::start(0).await;
    let http = s.client().http;
    for path in [
        "/login",
        "/login/totp",
        "/login/temp/verify",
        "/login/mobile-id/poll",
    ] {
        let r = http
            .post(format!("{}{path}", s.base))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("login", STAFF),
                ("password", portico_app::demo::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{path}");
    }
    // A sibling site, and an older browser's foreign Origin, are refused too.
    for (name, value) in [
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ] {
        let r = http
            .post(format!("{}/login", s.base))
            .header(name, value)
            .form(&[("login", STAFF), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
    }
    // The portal's own page is fine (and a client without either header).
    let r = http
        .post(format!("{}/login", s.base))
        .header("sec-fetch-site", "same-origin")
        .form(&[("login", STAFF), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "an ordinary failed sign-in");
}

/// A card signature with its last signature byte flipped: the same
/// certificate and challenge, a signature that no longer verifies.
fn forge_signature(b64: &str) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::STANDARD;
    let mut der = e.decode(b64).unwrap();
    // The signature value is the last OCTET STRING in the CMS: its final
    // byte is the last byte of the structure.
    let n = der.len() - 1;
    der[n] ^= 0x01;
    e.encode(der)
}
