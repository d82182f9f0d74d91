//! OpenID helpers shared by the single sign-on and strong sign-in tests:
//! the sample client, PKCE, authorization URLs, token calls, claims.
use super::{Client, TestServer};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_core::permission::Principal;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const ID: &str = portico_app::demo::SAMPLE_CLIENT_ID;
pub const SECRET: &str = portico_app::demo::SAMPLE_CLIENT_SECRET;
pub const CB: &str = "http://127.0.0.1:8081/callback";

pub fn enc(s: &str) -> String {
    portico_app::oidc::form_encode(s)
}

pub fn pkce() -> (String, String) {
    let verifier = format!("v{}", portico_app::random_token(32).unwrap());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn auth_url(client_id: &str, redirect: &str, challenge: &str, extra: &str) -> String {
    format!(
        "/oauth2/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid%20profile&state=st8&nonce=n0nce&code_challenge={challenge}&code_challenge_method=S256{extra}",
        enc(client_id),
        enc(redirect)
    )
}

pub fn param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            let v = v.replace('+', " ");
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap_or(b'?'));
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    })
}

/// The claims of a JWT, unverified (the verification is the server's, and
/// the stock clients' in the e2e suite).
pub fn claims(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("b64")).expect("json")
}

pub fn header(jwt: &str) -> Value {
    let p = jwt.split('.').next().expect("header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("b64")).expect("json")
}

pub async fn token(
    s: &TestServer,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let http = s.client().http;
    let mut r = http.post(format!("{}/oauth2/token", s.base)).form(form);
    if let Some((u, p)) = basic {
        r = r.basic_auth(u, Some(p));
    }
    let r = r.send().await.expect("token");
    let st = r.status().as_u16();
    (st, crate::common::json_body(r).await)
}

pub async fn post_client(
    s: &TestServer,
    path: &str,
    form: &[(&str, &str)],
    basic: (&str, &str),
) -> (u16, Value) {
    let r = s
        .client()
        .http
        .post(format!("{}{path}", s.base))
        .basic_auth(basic.0, Some(basic.1))
        .form(form)
        .send()
        .await
        .expect("post");
    let st = r.status().as_u16();
    (st, crate::common::json_body(r).await)
}

pub async fn bearer_get(s: &TestServer, path: &str, t: &str) -> (u16, Value) {
    let r = s
        .client()
        .http
        .get(format!("{}{path}", s.base))
        .bearer_auth(t)
        .send()
        .await
        .expect("get");
    let st = r.status().as_u16();
    (st, crate::common::json_body(r).await)
}

/// Signs `login` in and runs the authorization request of the sample
/// application: the code and the PKCE verifier.
pub async fn code_for(s: &TestServer, c: &mut Client) -> (String, String) {
    let (verifier, challenge) = pkce();
    let (st, _, loc) = c.get_loc(&auth_url(ID, CB, &challenge, "")).await;
    assert_eq!(st, 303, "a signed-in person gets a code at once: {loc}");
    assert!(loc.starts_with(CB), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("st8"));
    assert_eq!(param(&loc, "iss").as_deref(), Some(s.base.as_str()));
    (param(&loc, "code").expect("code"), verifier)
}

pub async fn exchange(s: &TestServer, code: &str, verifier: &str) -> (u16, Value) {
    token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", verifier),
        ],
        Some((ID, SECRET)),
    )
    .await
}

pub async fn audit_reasons(s: &TestServer, action: &str) -> Vec<String> {
    let mut c = s.app.db.read().await.expect("conn");
    sqlx::query("SELECT reason FROM audit_events WHERE action = $1 ORDER BY seq")
        .bind(action.to_owned())
        .fetch_all(&mut *c)
        .await
        .expect("audit")
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, "reason"))
        .collect()
}

pub async fn principal(s: &TestServer, c: &Client) -> Principal {
    s.app
        .session(&c.session_token())
        .await
        .expect("session")
        .expect("signed in")
        .principal
}

/// The provider's discovery document.
pub async fn discovery(s: &TestServer) -> Value {
    s.client()
        .http
        .get(format!("{}/.well-known/openid-configuration", s.base))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("a JSON document")
}
