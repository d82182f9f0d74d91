//! Single sign-on over HTTP against a real server: the OpenID provider's
//! flows and every refusal the issue names, application registration and
//! review, the account-verification and SMS APIs, tiles, bearer tokens on
//! the JSON API, key rotation. 004 §捌 七 rules are named in the tests.
mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::TestServer;
use common::oidc::*;
use portico_app::Ctx;
use portico_app::clients::ServiceInput;
use portico_core::clients::AppInput;
use portico_core::permission::Principal;
use portico_core::request::Decision;
use serde_json::{Value, json};

#[tokio::test]
async fn code_flow_with_pkce_refresh_rotation_introspection_revocation_and_logout() {
    let s = TestServer::start(30).await;
    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (st, t) = exchange(&s, &code, &verifier).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 600);
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(header(t["id_token"].as_str().unwrap())["alg"], "ES256");
    assert_eq!(id["iss"], s.base.as_str());
    assert_eq!(id["aud"], ID);
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["name"], "王小明");
    assert_eq!(id["preferred_username"], "staff");
    assert_eq!(id["agency"], "民政局");
    assert!(
        id["agency_oid"]
            .as_str()
            .unwrap()
            .starts_with("2.16.886.101")
    );
    assert_eq!(id["sub"], s.account_id("staff").await.to_string());
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(header(at)["typ"], "at+jwt");

    // Userinfo: the approved claims the scopes ask for (OpenID Connect
    // Core §5.4): `profile` brings the name and the unit, not the e-mail.
    let (st, ui) = bearer_get(&s, "/oauth2/userinfo", at).await;
    assert_eq!(st, 200);
    assert_eq!(ui["unit"], "行政科");
    assert!(ui["email"].is_null() && id["email"].is_null(), "{ui}");
    {
        let (verifier, challenge) = pkce();
        let url = auth_url(ID, CB, &challenge, "")
            .replace("scope=openid%20profile", "scope=openid%20email%20phone");
        let (_, _, loc) = c.get_loc(&url).await;
        let (st, t) = exchange(&s, &param(&loc, "code").expect("code"), &verifier).await;
        assert_eq!(st, 200, "{t}");
        let (_, ui) = bearer_get(&s, "/oauth2/userinfo", t["access_token"].as_str().unwrap()).await;
        assert_eq!(ui["email"], "staff@mail.tainan.gov.tw", "{ui}");
        assert!(ui["phone_number"].is_string(), "{ui}");
        assert!(
            ui["name"].is_null() && ui["unit"].is_null(),
            "profile not asked: {ui}"
        );
    }

    // Refresh rotates; the old refresh token presented again revokes the
    // whole family, the new one included (RFC 9700 §4.14.2).
    let r1 = t["refresh_token"].as_str().unwrap().to_owned();
    let (st, t2) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(st, 200, "{t2}");
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    let (st, intro) = post_client(
        &s,
        "/oauth2/introspect",
        &[("token", t2["access_token"].as_str().unwrap())],
        (ID, SECRET),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(intro["active"], true);
    assert_eq!(intro["username"], "staff");
    let (st, e) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    let (_, e) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(
        e["error"], "invalid_grant",
        "the family went with the reuse"
    );
    // …and so did the access tokens of that grant.
    let (st, _) = bearer_get(&s, "/oauth2/userinfo", t2["access_token"].as_str().unwrap()).await;
    assert_eq!(st, 401);
    assert!(
        audit_reasons(&s, "oauth.token")
            .await
            .contains(&"refresh_reuse".to_owned())
    );

    // A fresh grant: revocation of its refresh token (RFC 7009) ends it.
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t3) = exchange(&s, &code, &verifier).await;
    let r3 = t3["refresh_token"].as_str().unwrap();
    let (st, _) = post_client(&s, "/oauth2/revoke", &[("token", r3)], (ID, SECRET)).await;
    assert_eq!(st, 200);
    let (_, intro) = post_client(&s, "/oauth2/introspect", &[("token", r3)], (ID, SECRET)).await;
    assert_eq!(intro["active"], false);
    // An access token revoked on its own.
    let a3 = t3["access_token"].as_str().unwrap();
    let (st, _) = post_client(&s, "/oauth2/revoke", &[("token", a3)], (ID, SECRET)).await;
    assert_eq!(st, 200);
    assert_eq!(bearer_get(&s, "/oauth2/userinfo", a3).await.0, 401);

    // RP-initiated logout with the ID token: the portal session ends and
    // the browser goes to the registered post-logout URI with its state.
    let hint = t3["id_token"].as_str().unwrap();
    let (st, _, loc) = c
        .get_loc(&format!(
            "/oauth2/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=bye",
            enc("http://127.0.0.1:8081/")
        ))
        .await;
    assert_eq!(st, 303);
    assert_eq!(loc, "http://127.0.0.1:8081/?state=bye");
    let (st, _, loc) = c.get_loc("/account").await;
    assert_eq!((st, loc.starts_with("/login")), (303, true), "signed out");
}

/// OpenID Connect Core §3.1.2.1: `redirect_uri` is REQUIRED, even for a
/// client with one registered URI (the conformance suite's
/// oidcc-ensure-redirect-uri-in-authorization-request); a repeated
/// parameter (RFC 6749 §3.1) or a request object (§6, not supported) is
/// refused; a state too long to accept is not sent back.
#[tokio::test]
async fn a_request_without_redirect_uri_with_a_repeated_parameter_or_a_request_object_is_refused() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (_, ch) = pkce();
    let no_redirect = auth_url(ID, CB, &ch, "").replace(&format!("&redirect_uri={}", enc(CB)), "");
    assert!(!no_redirect.contains("redirect_uri"));
    let (st, body, loc) = c.get_loc(&no_redirect).await;
    assert_eq!((st, loc.as_str()), (400, ""), "a page, no redirect");
    assert!(body.contains("缺少導回網址"), "{body}");
    assert!(
        audit_reasons(&s, "oauth.authorize")
            .await
            .contains(&"redirect_uri_missing".to_owned())
    );
    // The same request by form post.
    let q = no_redirect.split_once('?').unwrap().1.to_owned();
    let r = c
        .http
        .post(format!("{}/oauth2/authorize", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // client_id twice: nobody can tell which was meant.
    let (st, body, loc) = c.get_loc(&auth_url(ID, CB, &ch, "&client_id=other")).await;
    assert_eq!((st, loc.as_str()), (400, ""));
    assert!(body.contains("重複"), "a portal page that says why: {body}");

    // Request objects are not supported, and the client hears so.
    for (extra, err) in [
        ("&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
        (
            "&request_uri=https%3A%2F%2Fevil.example%2Fr",
            "request_uri_not_supported",
        ),
    ] {
        let (st, _, loc) = c.get_loc(&auth_url(ID, CB, &ch, extra)).await;
        assert_eq!(st, 303);
        assert_eq!(param(&loc, "error").as_deref(), Some(err), "{loc}");
    }

    // The trail says what the client was told, not only the code.
    {
        let mut db = s.app.db.read().await.unwrap();
        let row = sqlx::query(
            "SELECT detail FROM audit_events WHERE action = 'oauth.authorize' AND reason = 'request_uri_not_supported' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(&mut *db)
        .await
        .unwrap();
        let detail: String = sqlx::Row::get(&row, "detail");
        assert!(detail.contains("by reference"), "{detail}");
    }

    // An over-long state is refused and not echoed.
    let long = "s".repeat(1025);
    let (_, _, loc) = c
        .get_loc(&auth_url(ID, CB, &ch, "").replace("state=st8", &format!("state={long}")))
        .await;
    assert_eq!(param(&loc, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&loc, "state"), None, "{loc}");

    // The token endpoint wants the redirect_uri the code was issued for,
    // even for a client with one registered URI.
    let (code, verifier2) = code_for(&s, &mut c).await;
    let (st, e) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier2),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
}

#[tokio::test]
async fn authorization_requests_that_cannot_be_trusted_never_redirect() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (_, ch) = pkce();
    // Unknown client, and redirect URIs that are not exactly registered:
    // a page, no redirect (no open redirect).
    for url in [
        auth_url("nobody", CB, &ch, ""),
        auth_url(ID, "http://127.0.0.1:8081/callback/", &ch, ""),
        auth_url(ID, "http://127.0.0.1:8081/callback?x=1", &ch, ""),
        auth_url(ID, "https://evil.example/callback", &ch, ""),
        auth_url(ID, "http://127.0.0.1:8081/callbac", &ch, ""),
    ] {
        let (st, body, loc) = c.get_loc(&url).await;
        assert_eq!(st, 400, "{url}");
        assert!(loc.is_empty(), "{url} redirected to {loc}");
        assert!(body.contains("應用系統"), "{body}");
    }
    assert!(
        audit_reasons(&s, "oauth.authorize")
            .await
            .iter()
            .filter(|r| *r == "redirect_uri_mismatch")
            .count()
            >= 4
    );
    // Errors the client should hear go back to it with its state.
    let cases = [
        (
            auth_url(ID, CB, &ch, "").replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            auth_url(ID, CB, &ch, "")
                .replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
        ),
        (auth_url(ID, CB, "short", ""), "invalid_request"),
        (
            auth_url(ID, CB, &ch, "").replace("scope=openid%20profile", "scope=bogus"),
            "invalid_scope",
        ),
    ];
    for (url, err) in cases {
        let (st, _, loc) = c.get_loc(&url).await;
        assert_eq!(st, 303, "{url}");
        assert!(loc.starts_with(CB), "{loc}");
        assert_eq!(param(&loc, "error").as_deref(), Some(err), "{url}");
        assert_eq!(param(&loc, "state").as_deref(), Some("st8"));
    }
    // Signed out: prompt=none answers login_required; otherwise the sign-in
    // page, which comes back to the same request.
    let mut anon = s.client();
    let (_, _, loc) = anon.get_loc(&auth_url(ID, CB, &ch, "&prompt=none")).await;
    assert_eq!(param(&loc, "error").as_deref(), Some("login_required"));
    let (st, _, loc) = anon
        .get_loc(&auth_url(ID, CB, &ch, "&login_hint=staff"))
        .await;
    assert_eq!(st, 303);
    assert!(
        loc.starts_with("/login?next=/oauth2/authorize%3Fclient_id"),
        "{loc}"
    );
    assert!(loc.ends_with("&login=staff"), "{loc}");
    let (_, page) = anon.get(&loc).await;
    assert!(
        page.contains("登入後將返回「<strong>範例應用系統</strong>」"),
        "the app is named"
    );
    assert!(
        page.contains("value=\"staff\""),
        "login_hint fills the login"
    );
}

#[tokio::test]
async fn token_endpoint_refusals_use_the_rfc_codes_and_are_audited() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;

    // Wrong secret, unknown client: 401 invalid_client.
    let (code, verifier) = code_for(&s, &mut c).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", verifier.as_str()),
    ];
    let (st, e) = token(&s, &form, Some((ID, "wrong"))).await;
    assert_eq!((st, e["error"].as_str()), (401, Some("invalid_client")));
    let (st, _) = token(&s, &form, Some(("nobody", "x"))).await;
    assert_eq!(st, 401);
    // PKCE mismatch spends the code.
    let bad = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", "x".repeat(43).leak() as &str),
    ];
    let (st, e) = token(&s, &bad, Some((ID, SECRET))).await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    let (_, e) = token(&s, &form, Some((ID, SECRET))).await;
    assert_eq!(e["error"], "invalid_grant", "a spent code stays spent");

    // A code used twice: the second exchange fails and revokes the first's
    // refresh token (RFC 6749 §4.1.2).
    let (code, verifier) = code_for(&s, &mut c).await;
    let (st, t) = exchange(&s, &code, &verifier).await;
    assert_eq!(st, 200);
    let (st, e) = exchange(&s, &code, &verifier).await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_grant")));
    let (_, e) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(e["error"], "invalid_grant");

    // Another redirect URI than the request's.
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, e) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8081/other"),
            ("code_verifier", &verifier),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(e["error"], "invalid_grant");

    // Codes live 60 seconds.
    let (code, verifier) = code_for(&s, &mut c).await;
    s.clock.advance(time::Duration::seconds(61));
    let (_, e) = exchange(&s, &code, &verifier).await;
    assert_eq!(e["error"], "invalid_grant");

    // Unknown grant type, missing grant type.
    let (_, e) = token(&s, &[("grant_type", "password")], Some((ID, SECRET))).await;
    assert_eq!(e["error"], "unsupported_grant_type");

    let reasons = audit_reasons(&s, "oauth.token").await;
    for r in [
        "pkce_mismatch",
        "auth_code_reused",
        "redirect_uri_mismatch",
        "code_expired",
    ] {
        assert!(reasons.contains(&r.to_owned()), "{r} in {reasons:?}");
    }
    assert!(
        audit_reasons(&s, "oauth.client_auth")
            .await
            .contains(&"bad_secret".to_owned())
    );
}

#[tokio::test]
async fn a_disabled_account_gets_no_tokens_and_its_tokens_stop() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    let (code2, verifier2) = code_for(&s, &mut c).await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let id = s.account_id("staff").await;
    let (st, body) = admin
        .api_post(
            &format!("/accounts/{id}/disable"),
            &csrf,
            json!({"reason": "離職"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (_, e) = exchange(&s, &code2, &verifier2).await;
    assert_eq!(e["error"], "invalid_grant", "a code of a disabled account");
    let (_, e) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(e["error"], "invalid_grant");
    let (st, _) = bearer_get(&s, "/oauth2/userinfo", t["access_token"].as_str().unwrap()).await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_refused() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    let at = t["access_token"].as_str().unwrap();
    let parts: Vec<&str> = at.split('.').collect();
    // Another subject, same signature.
    let mut cl = claims(at);
    cl["sub"] = json!(s.account_id("admin").await.to_string());
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(cl.to_string()),
        parts[2]
    );
    assert_eq!(bearer_get(&s, "/oauth2/userinfo", &forged).await.0, 401);
    // alg none.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
        parts[1]
    );
    assert_eq!(bearer_get(&s, "/oauth2/userinfo", &none).await.0, 401);
    // Signed with a key the server never had.
    let der = portico_app::oidc::keys::Key::generate(portico_core::sso::SigningAlg::ES256).unwrap();
    let kid = header(at)["kid"].as_str().unwrap().to_owned();
    let k = portico_app::oidc::keys::Key::from_pkcs8(
        &kid,
        portico_core::sso::SigningAlg::ES256,
        &der,
        false,
    )
    .unwrap();
    let foreign = k.sign("at+jwt", &claims(at)).unwrap();
    assert_eq!(bearer_get(&s, "/oauth2/userinfo", &foreign).await.0, 401);
    // An ID token is not an access token.
    assert_eq!(
        bearer_get(&s, "/oauth2/userinfo", t["id_token"].as_str().unwrap())
            .await
            .0,
        401
    );
    // Expired.
    s.clock.advance(time::Duration::minutes(11));
    assert_eq!(bearer_get(&s, "/oauth2/userinfo", at).await.0, 401);
    // No token at all: the challenge, without an error code (RFC 6750
    // §3.1), and a body that says what is missing.
    let r = s
        .client()
        .http
        .get(format!("{}/oauth2/userinfo", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"portico\"");
    let v: Value = r.json().await.unwrap();
    assert!(v.get("error").is_none());
    assert!(v["error_description"].as_str().unwrap().contains("bearer"));
}

async fn register(s: &TestServer, owner: &Principal, name: &str, ips: &str) -> i64 {
    let agency = {
        let tree = s.app.org_tree().await.unwrap();
        tree.units
            .iter()
            .find(|u| u.name == "民政局")
            .map(|u| u.id.0)
            .unwrap()
    };
    s.app
        .register_app(
            owner,
            &AppInput {
                name,
                short_name: "",
                contact_name: "王小明",
                contact_phone: "062991111",
                contact_email: "ops@example.net",
                vendor: "OO科技",
                description: "測試介接使用",
                url: "https://app.tainan.gov.tw/",
                ips,
            },
            agency,
            &Ctx::new("127.0.0.1", "test"),
        )
        .await
        .expect("register")
}

async fn apply(s: &TestServer, owner: &Principal, app: i64, input: ServiceInput) -> i64 {
    s.app
        .apply_service(owner, app, &input, &Ctx::new("127.0.0.1", "test"))
        .await
        .expect("apply")
}

fn sso_input(alg: &str, client_type: &str) -> ServiceInput {
    ServiceInput {
        kind: "sso".into(),
        claims: vec!["name".into(), "login".into()],
        redirect_uris: "https://app.tainan.gov.tw/cb\nhttp://127.0.0.1:9/cb".into(),
        client_type: client_type.into(),
        signing_alg: alg.into(),
        reason: "單一登入".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn seed_004_registration_review_and_a_race_between_two_reviewers() {
    let s = TestServer::start(20).await;
    let staff = principal(&s, &s.signed_in("staff").await).await;
    let admin = principal(&s, &s.signed_in("admin").await).await;
    let ctx = Ctx::new("127.0.0.1", "test");
    // §捌 七 (六): at most five production IPs; every bad field named.
    let e = s
        .app
        .register_app(
            &staff,
            &AppInput {
                name: "x",
                ips: "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6",
                ..Default::default()
            },
            0,
            &ctx,
        )
        .await
        .unwrap_err();
    let portico_core::Error::Invalid(errs) = e else {
        panic!("invalid")
    };
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert!(
        fields.contains(&"ips") && fields.contains(&"agency") && fields.contains(&"url"),
        "{fields:?}"
    );

    let app = register(&s, &staff, "公文系統", "127.0.0.1").await;
    // Another person cannot see it.
    let other = principal(&s, &s.signed_in("civil_admin").await).await;
    assert!(matches!(
        s.app.app_view(&other, app).await,
        Err(portico_core::Error::NotFound)
    ));
    // No secret before approval.
    assert!(s.app.generate_secret(&staff, app, &ctx).await.is_err());
    let sid = apply(&s, &staff, app, sso_input("RS256", "confidential")).await;
    // One pending application per service.
    let again = s
        .app
        .apply_service(&staff, app, &sso_input("ES256", "confidential"), &ctx)
        .await;
    assert!(matches!(again, Err(portico_core::Error::Conflict { .. })));
    // A redirect URI with a wildcard or plain http elsewhere is refused.
    let mut bad = sso_input("ES256", "confidential");
    bad.redirect_uris = "https://*.tainan.gov.tw/cb".into();
    assert!(matches!(
        s.app.apply_service(&staff, app, &bad, &ctx).await,
        Err(portico_core::Error::Invalid(_))
    ));

    // Only a system admin reviews; a rejection needs a note.
    assert!(
        s.app
            .decide_service(&staff, sid, Decision::Approve, "", &ctx)
            .await
            .is_err()
    );
    assert!(
        s.app
            .decide_service(&admin, sid, Decision::Reject, "", &ctx)
            .await
            .is_err()
    );
    // Two reviewers at once: exactly one decides.
    let (a, b) = tokio::join!(
        s.app
            .decide_service(&admin, sid, Decision::Approve, "", &ctx),
        s.app
            .decide_service(&admin, sid, Decision::Approve, "", &ctx),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert!(
        s.last_message_to("ops@example.net")
            .await
            .unwrap()
            .0
            .contains("審核通過")
    );

    // After approval the owner cannot move the IPs or URL alone.
    let agency = s
        .app
        .org_tree()
        .await
        .unwrap()
        .units
        .iter()
        .find(|u| u.name == "民政局")
        .unwrap()
        .id
        .0;
    let moved = AppInput {
        name: "公文系統",
        short_name: "",
        contact_name: "王小明",
        contact_phone: "062991111",
        contact_email: "ops@example.net",
        vendor: "OO科技",
        description: "測試介接使用",
        url: "https://app.tainan.gov.tw/",
        ips: "203.0.113.66",
    };
    assert!(matches!(
        s.app.edit_app(&staff, app, &moved, agency, &ctx).await,
        Err(portico_core::Error::Refused(_))
    ));
    s.app
        .edit_app(&admin, app, &moved, agency, &ctx)
        .await
        .expect("a system admin may");
    // The secret is shown once; rotating replaces it.
    let secret = s.app.generate_secret(&staff, app, &ctx).await.unwrap();
    let view = s.app.app_view(&staff, app).await.unwrap();
    let client_id = view.app.client_id.clone();
    assert_ne!(view.app.secret_hash.as_deref(), Some(secret.as_str()));

    // RS256 as asked, for this client's tokens.
    let mut c = s.signed_in("staff").await;
    let (verifier, challenge) = pkce();
    let (_, _, loc) = c
        .get_loc(&auth_url(
            &client_id,
            "http://127.0.0.1:9/cb",
            &challenge,
            "",
        ))
        .await;
    let code = param(&loc, "code").expect(&loc);
    let (st, t) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("code_verifier", &verifier),
        ],
        Some((&client_id, &secret)),
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(header(id)["alg"], "RS256");
    // Exactly the approved claims: name and login, no agency, no mail.
    let cl = claims(id);
    assert_eq!(cl["name"], "王小明");
    assert!(
        cl.get("agency").is_none() && cl.get("email").is_none(),
        "{cl}"
    );

    let rotated = s.app.generate_secret(&staff, app, &ctx).await.unwrap();
    let (st, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&client_id, &secret)),
    )
    .await;
    assert_eq!(st, 401, "the old secret stopped");
    let (st, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&client_id, &rotated)),
    )
    .await;
    assert_eq!(st, 200);

    // Issue 12 §1.4: the owner alone generates the secret and sees it; a
    // system admin revokes it (with a reason, audited, the contact
    // mailed), and then nobody holds a working one until the owner makes
    // another.
    let e = s.app.generate_secret(&admin, app, &ctx).await.unwrap_err();
    assert!(matches!(e, portico_core::Error::Refused(_)), "{e:?}");
    assert!(
        s.app.revoke_secret(&admin, app, " ", &ctx).await.is_err(),
        "a reason is needed"
    );
    assert!(
        s.app
            .revoke_secret(&staff, app, "外洩", &ctx)
            .await
            .is_err(),
        "not the owner's to revoke"
    );
    s.app
        .revoke_secret(&admin, app, "疑似外洩", &ctx)
        .await
        .expect("revoke");
    let (st, _) = token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "account.verify"),
        ],
        Some((&client_id, &rotated)),
    )
    .await;
    assert_eq!(st, 401, "the revoked secret stopped");
    let (subject, body) = s
        .last_message_to("ops@example.net")
        .await
        .expect("the contact is told");
    assert!(subject.contains("撤銷"), "{subject}");
    assert!(
        body.contains("疑似外洩") && body.contains("admin"),
        "{body}"
    );
    assert!(
        audit_reasons(&s, "app.secret.revoke")
            .await
            .contains(&"疑似外洩".to_owned())
    );
    s.app.generate_secret(&staff, app, &ctx).await.unwrap();
    let (subject, _) = s.last_message_to("ops@example.net").await.unwrap();
    assert!(
        subject.contains("重新產生"),
        "the owner's rotation is mailed too: {subject}"
    );

    // Suspension: no tokens, refresh tokens stop.
    s.app
        .set_app_suspended(&admin, app, true, "資安事件", &ctx)
        .await
        .unwrap();
    let (st, _) = token(
        &s,
        &[("grant_type", "client_credentials")],
        Some((&client_id, &rotated)),
    )
    .await;
    assert_eq!(st, 401);
    let (_, _, loc) = c
        .get_loc(&auth_url(
            &client_id,
            "http://127.0.0.1:9/cb",
            &challenge,
            "",
        ))
        .await;
    assert_eq!(param(&loc, "error").as_deref(), Some("unauthorized_client"));
}

#[tokio::test]
async fn a_public_client_must_use_pkce_and_cannot_use_client_credentials() {
    let s = TestServer::start(20).await;
    let staff = principal(&s, &s.signed_in("staff").await).await;
    let admin = principal(&s, &s.signed_in("admin").await).await;
    let ctx = Ctx::new("127.0.0.1", "test");
    let app = register(&s, &staff, "行動 App", "127.0.0.1").await;
    let sid = apply(&s, &staff, app, sso_input("ES256", "public")).await;
    s.app
        .decide_service(&admin, sid, Decision::Approve, "", &ctx)
        .await
        .unwrap();
    let client_id = s.app.app_view(&staff, app).await.unwrap().app.client_id;
    let mut c = s.signed_in("staff").await;
    let url = format!(
        "/oauth2/authorize?client_id={client_id}&redirect_uri={}&response_type=code&scope=openid&state=s",
        enc("http://127.0.0.1:9/cb")
    );
    let (_, _, loc) = c.get_loc(&url).await;
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("invalid_request"),
        "{loc}"
    );
    let (verifier, challenge) = pkce();
    let (_, _, loc) = c
        .get_loc(&auth_url(
            &client_id,
            "http://127.0.0.1:9/cb",
            &challenge,
            "",
        ))
        .await;
    let code = param(&loc, "code").unwrap();
    // No secret: the client names itself in the form.
    let (st, t) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
        ],
        None,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let (st, e) = token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
        ],
        None,
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

#[tokio::test]
async fn seed_004_account_verification_api_follows_the_sign_in_rules() {
    let s = TestServer::start(20).await;
    let http = s.client().http;
    let call = |login: &str, pw: &str| {
        http.post(format!("{}/api/v1/apps/verify", s.base))
            .basic_auth(ID, Some(SECRET))
            .json(&json!({"login": login, "password": pw}))
            .send()
    };
    let r = call("staff", portico_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["ok"], true);
    // The verification service's approved claims: agency, login, name.
    assert_eq!(v["claims"]["name"], "王小明");
    assert_eq!(v["claims"]["agency"], "民政局");
    assert!(v["claims"].get("email").is_none());

    // Five wrong passwords lock the account, as on the sign-in page; then
    // even the right one is refused.
    for _ in 0..5 {
        let v: Value = call("staff", "Wrong#2026")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["reason"], "bad_credentials");
    }
    let v: Value = call("staff", portico_app::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["reason"].as_str()),
        (Some(false), Some("locked"))
    );
    // The per-login rate limit (10 a minute by default): calls 8 to 10
    // still reach the password check, the 11th does not.
    for _ in 8..=10 {
        let v: Value = call("staff", "x").await.unwrap().json().await.unwrap();
        assert_eq!(v["reason"], "locked");
    }
    let v: Value = call("staff", "x").await.unwrap().json().await.unwrap();
    assert_eq!(v["reason"], "rate_limited");
    // A disabled account, an expired password.
    let v: Value = call("disabled", portico_app::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["ok"], false);
    let v: Value = call("expiring", portico_app::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true, "not expired yet: {v}");
    s.clock.advance(time::Duration::days(6));
    let v: Value = call("expiring", portico_app::demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["reason"], "password_expired");
    // Every attempt is in the audit trail, with the application's name.
    let mut c = s.app.db.read().await.unwrap();
    let n: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'auth.sign_in' AND detail LIKE '%verify_api%' AND detail LIKE '%範例應用系統%'")
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        "n",
    );
    assert!(n >= 8, "{n}");
    drop(c);

    // Wrong client secret: 401. A client token with the verify scope works.
    let r = http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .basic_auth(ID, Some("nope"))
        .json(&json!({"login": "admin", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (_, t) = token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "account.verify"),
        ],
        Some((ID, SECRET)),
    )
    .await;
    let r = http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"login": "admin", "password": portico_app::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["ok"], true);
    // A token without that scope does not.
    let (_, t) = token(
        &s,
        &[("grant_type", "client_credentials"), ("scope", "sms.send")],
        Some((ID, SECRET)),
    )
    .await;
    let r = http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"login": "admin", "password": "x"}))
        .send()
        .await
        .unwrap();
    // Valid, but without this API's scope (RFC 6750 §3.1).
    assert_eq!(r.status(), 403);
    let www = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(
        www,
        "Bearer error=\"insufficient_scope\", scope=\"account.verify\""
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "insufficient_scope");
    // A token nobody issued is invalid, not insufficient.
    let r = http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .bearer_auth("not-a-token")
        .json(&json!({"login": "admin", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn verification_and_sms_only_from_registered_ips_and_sms_within_quota() {
    let s = TestServer::start(20).await;
    let staff = principal(&s, &s.signed_in("staff").await).await;
    let admin = principal(&s, &s.signed_in("admin").await).await;
    let ctx = Ctx::new("127.0.0.1", "test");
    let far = register(&s, &staff, "遠端系統", "10.9.9.9").await;
    let sid = apply(
        &s,
        &staff,
        far,
        ServiceInput {
            kind: "verify".into(),
            claims: vec!["name".into()],
            reason: "驗證".into(),
            ..Default::default()
        },
    )
    .await;
    s.app
        .decide_service(&admin, sid, Decision::Approve, "", &ctx)
        .await
        .unwrap();
    let secret = s.app.generate_secret(&staff, far, &ctx).await.unwrap();
    let cid = s.app.app_view(&staff, far).await.unwrap().app.client_id;
    let r = s
        .client()
        .http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .basic_auth(&cid, Some(&secret))
        .json(&json!({"login": "staff", "password": portico_app::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "refused from an unregistered address");
    assert!(
        audit_reasons(&s, "app.verify")
            .await
            .contains(&"ip_not_registered".to_owned())
    );

    // SMS: the sample is approved for 100 a day; a new app for 3.
    let sms = register(&s, &staff, "簡訊系統", "127.0.0.1").await;
    let sid = apply(
        &s,
        &staff,
        sms,
        ServiceInput {
            kind: "sms".into(),
            sms_quota: "3".into(),
            reason: "通知".into(),
            ..Default::default()
        },
    )
    .await;
    s.app
        .decide_service(&admin, sid, Decision::Approve, "", &ctx)
        .await
        .unwrap();
    let secret = s.app.generate_secret(&staff, sms, &ctx).await.unwrap();
    let cid = s.app.app_view(&staff, sms).await.unwrap().app.client_id;
    let http = s.client().http;
    let send = |to: &'static str| {
        http.post(format!("{}/api/v1/apps/sms", s.base))
            .basic_auth(&cid, Some(&secret))
            .json(&json!({"mobile": to, "message": "明日上午停電，請提早關機"}))
            .send()
    };
    let r = send("12345").await.unwrap();
    assert_eq!(r.status(), 422, "a bad number changes nothing");
    // Five at once against a quota of three: exactly three queued.
    let hs: Vec<_> = (0..5).map(|_| tokio::spawn(send("0912345678"))).collect();
    let mut rs = Vec::new();
    for h in hs {
        rs.push(h.await.unwrap().unwrap().status().as_u16());
    }
    let ok = rs.iter().filter(|s| **s == 202).count();
    assert_eq!(ok, 3, "{rs:?}");
    assert_eq!(s.messages_to("0912345678").await, 3);
}

#[tokio::test]
async fn tiles_sign_in_through_third_party_initiated_login() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (_, home) = c.get("/").await;
    assert!(
        home.contains("範例應用系統"),
        "the sample's tile is on the home page"
    );
    let (_, pending) = (0, home.contains("差勤管理系統"));
    assert!(!pending, "an application under review has no tile");
    let app_id = common::between(&home, "href=\"/apps/", "/launch\"");
    let (st, _, loc) = c.get_loc(&format!("/apps/{app_id}/launch")).await;
    assert_eq!(st, 303);
    assert!(loc.starts_with("http://127.0.0.1:8081/login?iss="), "{loc}");
    assert_eq!(param(&loc, "iss").as_deref(), Some(s.base.as_str()));
    assert_eq!(
        param(&loc, "target_link_uri").as_deref(),
        Some("http://127.0.0.1:8081/")
    );
    assert_eq!(param(&loc, "login_hint").as_deref(), Some("staff"));
    // The application then asks for a code; the person is signed in.
    let (code, verifier) = code_for(&s, &mut c).await;
    assert_eq!(exchange(&s, &code, &verifier).await.0, 200);
    // A made-up tile id is not found.
    assert_eq!(c.get_loc("/apps/99999/launch").await.0, 404);
    // The tiles are cached per agency until a client changes: a suspension
    // takes the tile off the home page at once, a reactivation brings it
    // back.
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, body) = admin
        .api_post(
            &format!("/apps/{app_id}/suspend"),
            &csrf,
            json!({"note": "暫停測試"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (_, home) = c.get("/").await;
    assert!(
        !home.contains("範例應用系統"),
        "a suspended application has no tile"
    );
    let (st, body) = admin
        .api_post(
            &format!("/apps/{app_id}/reactivate"),
            &csrf,
            json!({"note": "恢復"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (_, home) = c.get("/").await;
    assert!(home.contains("範例應用系統"), "the tile is back");
}

#[tokio::test]
async fn the_json_api_accepts_bearer_tokens_with_the_api_scope() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (verifier, challenge) = pkce();
    let url = auth_url(ID, CB, &challenge, "")
        .replace("scope=openid%20profile", "scope=openid%20portico.api");
    let (_, _, loc) = c.get_loc(&url).await;
    let (_, t) = exchange(&s, &param(&loc, "code").unwrap(), &verifier).await;
    let (st, me) = bearer_get(&s, "/api/v1/me", t["access_token"].as_str().unwrap()).await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["account"]["login"], "staff");
    // A write needs no CSRF token with a bearer token.
    let r = s
        .client()
        .http
        .put(format!("{}/api/v1/me/prefs", s.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"lang": "en", "theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Administration and the registry need the person's own session.
    let r = s
        .client()
        .http
        .post(format!("{}/api/v1/apps", s.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Without the scope: valid, not enough (RFC 6750 §3.1).
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    let (st, body) = bearer_get(&s, "/api/v1/me", t["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (st, body["scope"].as_str()),
        (403, Some("portico.api")),
        "{body}"
    );
    // And a client token at userinfo has no person to describe.
    let (_, ct) = token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "account.verify"),
        ],
        Some((ID, SECRET)),
    )
    .await;
    let (st, body) = bearer_get(&s, "/oauth2/userinfo", ct["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (403, Some("insufficient_scope")),
        "{body}"
    );
}

#[tokio::test]
async fn rotated_keys_stay_published_until_their_tokens_expire() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    let old_kid = header(t["access_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_kid = s
        .app
        .rotate_signing_key(portico_core::sso::SigningAlg::ES256)
        .await
        .unwrap();
    let (_, jwks) = bearer_get(&s, "/oauth2/jwks", "").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    // Old tokens still verify; new ones use the new key.
    assert_eq!(
        bearer_get(&s, "/oauth2/userinfo", t["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t2) = exchange(&s, &code, &verifier).await;
    assert_eq!(
        header(t2["access_token"].as_str().unwrap())["kid"],
        new_kid.as_str()
    );
    // An hour later the old key is gone from the JWKS.
    s.clock.advance(time::Duration::minutes(61));
    s.app
        .rotate_signing_key(portico_core::sso::SigningAlg::RS256)
        .await
        .unwrap();
    let (_, jwks) = bearer_get(&s, "/oauth2/jwks", "").await;
    assert!(!jwks.to_string().contains(&old_kid));
    // The key material in the database is sealed, not PKCS#8.
    let mut db = s.app.db.read().await.unwrap();
    let sealed: String = sqlx::Row::get(
        &sqlx::query("SELECT sealed FROM oauth_keys WHERE kid = $1")
            .bind(new_kid)
            .fetch_one(&mut *db)
            .await
            .unwrap(),
        "sealed",
    );
    assert!(
        !sealed.starts_with("MIG"),
        "a PKCS#8 DER in base64 starts with MIG"
    );
}

#[tokio::test]
async fn the_json_api_registers_applies_decides_and_rotates() {
    let s = TestServer::start(20).await;
    let mut owner = s.signed_in("staff").await;
    let csrf = owner.csrf().await;
    let agency = s
        .app
        .org_tree()
        .await
        .unwrap()
        .units
        .iter()
        .find(|u| u.name == "民政局")
        .unwrap()
        .id
        .0;
    let (st, bad) = owner
        .api_post("/apps", &csrf, json!({"name": "", "agency": agency}))
        .await;
    assert_eq!(st, 422);
    let fields: Vec<&str> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"ips"),
        "{fields:?}"
    );
    let (st, app) = owner
        .api_post(
            "/apps",
            &csrf,
            json!({"name": "線上報名", "agency": agency, "contact_name": "王小明", "contact_phone": "062991111",
                   "contact_email": "ops@example.net", "vendor": "OO", "description": "報名", "url": "https://signup.tainan.gov.tw/", "ips": "127.0.0.1"}),
        )
        .await;
    assert_eq!(st, 201, "{app}");
    let id = app["app"]["id"].as_i64().unwrap();
    let (st, svc) = owner
        .api_post(&format!("/apps/{id}/services"), &csrf, json!({"kind": "sso", "claims": ["name"], "redirect_uris": ["https://signup.tainan.gov.tw/cb"], "reason": "登入"}))
        .await;
    assert_eq!(st, 201, "{svc}");
    assert_eq!(svc["state"], "pending");
    let sid = svc["id"].as_i64().unwrap();
    // The owner cannot decide; a system admin can, once.
    let (st, _) = owner
        .api_post(
            &format!("/app-services/{sid}/decision"),
            &csrf,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(st, 403);
    let mut admin = s.signed_in("admin").await;
    let acsrf = admin.csrf().await;
    let (st, _) = admin
        .api_post(
            &format!("/app-services/{sid}/decision"),
            &acsrf,
            json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(st, 422, "a rejection needs a note");
    let (st, d) = admin
        .api_post(
            &format!("/app-services/{sid}/decision"),
            &acsrf,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!((st, d["state"].as_str()), (200, Some("approved")));
    let (st, _) = admin
        .api_post(
            &format!("/app-services/{sid}/decision"),
            &acsrf,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(st, 409, "already decided");
    let (st, sec) = owner
        .api_post(&format!("/apps/{id}/secret"), &csrf, json!({}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(sec["client_secret"].as_str().unwrap().len(), 64);
    let (_, got) = owner.api_get(&format!("/apps/{id}")).await;
    assert!(
        got.to_string()
            .find(sec["client_secret"].as_str().unwrap())
            .is_none(),
        "never shown again"
    );
    let (_, list) = admin.api_get("/apps?all=true").await;
    assert!(list["total"].as_i64().unwrap() >= 4);
    let (st, _) = owner.api_get("/apps?all=true").await;
    assert_eq!(st, 403);
    let (st, _) = admin
        .api_post(&format!("/apps/{id}/suspend"), &acsrf, json!({"note": ""}))
        .await;
    assert_eq!(st, 422, "suspending needs a reason");
    let (st, _) = admin
        .api_post(
            &format!("/apps/{id}/suspend"),
            &acsrf,
            json!({"note": "停用測試"}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, got) = admin.api_get(&format!("/apps/{id}")).await;
    assert_eq!(got["app"]["suspended"], true);
}

#[tokio::test]
async fn a_client_learns_nothing_about_another_clients_tokens_and_token_requests_are_limited_per_account()
 {
    let s = TestServer::start(20).await;
    let staff = principal(&s, &s.signed_in("staff").await).await;
    let admin_p = principal(&s, &s.signed_in("admin").await).await;
    let ctx = Ctx::new("127.0.0.1", "test");
    // Client B, with its own secret.
    let b = register(&s, &staff, "另一系統", "127.0.0.1").await;
    let sid = apply(&s, &staff, b, sso_input("ES256", "confidential")).await;
    s.app
        .decide_service(&admin_p, sid, Decision::Approve, "", &ctx)
        .await
        .unwrap();
    let b_secret = s.app.generate_secret(&staff, b, &ctx).await.unwrap();
    let b_id = s.app.app_view(&staff, b).await.unwrap().app.client_id;

    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    // Wrong audience: B introspecting A's tokens learns nothing, and B
    // cannot revoke them.
    for tok in [
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    ] {
        let (st, v) = post_client(
            &s,
            "/oauth2/introspect",
            &[("token", tok)],
            (&b_id, &b_secret),
        )
        .await;
        assert_eq!((st, v["active"].as_bool()), (200, Some(false)));
        let (st, _) =
            post_client(&s, "/oauth2/revoke", &[("token", tok)], (&b_id, &b_secret)).await;
        assert_eq!(st, 200, "RFC 7009: the answer does not tell");
    }
    let (_, v) = post_client(
        &s,
        "/oauth2/introspect",
        &[("token", t["refresh_token"].as_str().unwrap())],
        (ID, SECRET),
    )
    .await;
    assert_eq!(
        v["active"], true,
        "A's refresh token survived B's revocation"
    );
    // B cannot exchange A's code.
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, e) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ],
        Some((&b_id, &b_secret)),
    )
    .await;
    assert_eq!(e["error"], "invalid_grant");

    // Per account: with a limit of 3 token requests a minute, the exchange
    // above and two refreshes pass; the next ones answer 429.
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .put_settings(&csrf, json!({"oauth_account_per_minute": 3}))
        .await;
    assert_eq!(st, 200);
    let mut refresh = t["refresh_token"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (st, t2) = token(
            &s,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some((ID, SECRET)),
        )
        .await;
        statuses.push(st);
        if st == 200 {
            refresh = t2["refresh_token"].as_str().unwrap().to_owned();
        }
    }
    assert_eq!(statuses, vec![200, 200, 429, 429]);
}

#[tokio::test]
async fn a_lock_pauses_tokens_without_ending_them_and_an_old_id_token_cannot_sign_out_a_new_session()
 {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (_, t) = exchange(&s, &code, &verifier).await;
    // Five wrong passwords by anyone lock the account for 15 minutes.
    for _ in 0..5 {
        let (_, st, _) = s.sign_in("staff", "Wrong#2026").await;
        assert_eq!(st, 401);
    }
    let refresh = t["refresh_token"].as_str().unwrap();
    let (_, e) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(e["error"], "invalid_grant", "no tokens while locked");
    assert!(
        audit_reasons(&s, "oauth.token")
            .await
            .contains(&"account_locked".to_owned())
    );
    // The refused refresh spent the token; its family lives on, and the
    // person's session is untouched: a new sign-in to the app after the
    // lock works, and nothing was revoked.
    s.clock.advance(time::Duration::minutes(16));
    let (_, v) = post_client(
        &s,
        "/oauth2/introspect",
        &[("token", refresh)],
        (ID, SECRET),
    )
    .await;
    assert_eq!(v["active"], false, "spent");
    let (code, verifier) = code_for(&s, &mut c).await;
    assert_eq!(exchange(&s, &code, &verifier).await.0, 200);

    // An ID token from this session signs out at once; one from an older
    // session only brings the confirmation page.
    let old_hint = t["id_token"].as_str().unwrap().to_owned();
    let mut fresh = s.signed_in("staff").await;
    let (st, page, loc) = fresh
        .get_loc(&format!(
            "/oauth2/logout?id_token_hint={old_hint}&post_logout_redirect_uri={}",
            enc("http://127.0.0.1:8081/")
        ))
        .await;
    assert_eq!((st, loc.as_str()), (200, ""), "asks first");
    assert!(page.contains("登出公務入口網？"));
    assert_eq!(fresh.get_loc("/account").await.0, 200, "still signed in");
    // An access token is not an ID token hint.
    let (st, _, _) = fresh
        .get_loc(&format!(
            "/oauth2/logout?id_token_hint={}",
            t["access_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(st, 200);
    assert_eq!(fresh.get_loc("/account").await.0, 200);
}

#[tokio::test]
async fn every_client_credentials_grant_is_audited_with_its_token_id_and_the_chain_holds() {
    let s = TestServer::start(10).await;
    // Forty grants at once share group commits; each is in the trail.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (http, base) = (s.client().http, s.base.clone());
        set.spawn(async move {
            let r = http
                .post(format!("{base}/oauth2/token"))
                .basic_auth(ID, Some(SECRET))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .expect("token");
            assert_eq!(r.status(), 200);
            let t: Value = r.json().await.expect("json");
            claims(t["access_token"].as_str().expect("token"))["jti"]
                .as_str()
                .expect("jti")
                .to_owned()
        });
    }
    let mut issued: Vec<String> = set.join_all().await;
    issued.sort();
    let mut c = s.app.db.read().await.expect("conn");
    let mut audited: Vec<String> = sqlx::query(
        "SELECT detail FROM audit_events WHERE action = 'oauth.token' AND outcome = 'ok' ORDER BY seq",
    )
    .fetch_all(&mut *c)
    .await
    .expect("audit")
    .iter()
    .map(|r| {
        let d: Value = serde_json::from_str(&sqlx::Row::get::<String, _>(r, "detail")).expect("json");
        assert_eq!(d["grant"], "client_credentials");
        assert_eq!(d["client_id"], ID);
        d["jti"].as_str().expect("jti").to_owned()
    })
    .collect();
    audited.sort();
    assert_eq!(audited, issued, "each token issued is in the trail, once");
    drop(c);
    let v = s.app.verify_audit_chain().await.expect("verify");
    assert!(v.first_break.is_none(), "{v:?}");
}

/// Discovery lists the client credentials grant's scopes too, and asking
/// that grant for a person's scope says which flow to use instead.
#[tokio::test]
async fn client_credentials_scopes_are_published_and_a_persons_scope_is_explained() {
    let s = TestServer::start(10).await;
    let d = discovery(&s).await;
    let scopes: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["openid", "portico.api", "account.verify", "sms.send"] {
        assert!(scopes.contains(&want), "{want} in {scopes:?}");
    }
    let (st, e) = token(
        &s,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "portico.api"),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!((st, e["error"].as_str()), (400, Some("invalid_scope")));
    let why = e["error_description"].as_str().unwrap();
    assert!(why.contains("authorization code flow"), "{why}");
}
