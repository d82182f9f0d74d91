//! Several nodes on one database (DESIGN.md "Stateless nodes"): what one
//! node changes, another honours within a second, by the caches' versions
//! rather than by a timeout; two admins saving the system parameters at
//! once lose nothing; rate limits count across nodes. A second node here is
//! a second `App` on the same database, with its own caches and its own
//! clock, so "within a second" is a clock moved by hand, not a sleep.
mod common;

use common::{Client, TestServer};
use serde_json::json;

/// The settings form as the page sends it, from version `version`, with
/// `changes` (dotted name → value) applied to the defaults.
async fn post_settings(c: &mut Client, version: i64, changes: &[(&str, &str)]) -> (u16, String) {
    let csrf = c.csrf().await;
    let v = version.to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("_csrf", &csrf),
        ("version", &v),
        ("password.require_upper", "on"),
        ("password.require_lower", "on"),
        ("password.require_digit", "on"),
        ("password.require_special", "on"),
    ];
    form.extend_from_slice(changes);
    let (st, body, _) = c.post_form("/admin/settings", &form).await;
    (st, body)
}

/// The version the settings page was read at (its hidden field).
async fn page_version(c: &mut Client) -> i64 {
    let (_, page) = c.get("/admin/settings").await;
    common::between(&page, "name=\"version\" value=\"", "\"")
        .parse()
        .expect("a version on the page")
}

#[tokio::test]
async fn two_admins_saving_the_same_field_from_one_version_the_second_is_told_which() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let id = s.account_id("staff").await;
    let csrf = admin.csrf().await;
    admin
        .api_post(
            &format!("/accounts/{id}/roles"),
            &csrf,
            json!({"kind": "system_admin"}),
        )
        .await;
    let mut other = s.signed_in("staff").await;
    let v = page_version(&mut admin).await;
    assert_eq!(
        page_version(&mut other).await,
        v,
        "both read the same version"
    );
    let (st, _) = post_settings(&mut admin, v, &[("password.min_len", "10")]).await;
    assert_eq!(st, 303);
    let (st, page) = post_settings(
        &mut other,
        v,
        &[("password.min_len", "12"), ("idle_disable_days", "90")],
    )
    .await;
    assert_eq!(st, 409, "{page}");
    assert!(
        page.contains("「密碼最短長度」"),
        "the field is named: {page}"
    );
    // The form shows the first admin's value there and keeps the rest of
    // the second admin's edit.
    assert!(
        page.contains(r#"name="password.min_len" value="10""#),
        "{page}"
    );
    assert!(
        page.contains(r#"name="idle_disable_days" value="90""#),
        "{page}"
    );
    let saved = s.app.settings().await.expect("settings");
    assert_eq!(
        (saved.password.min_len, saved.idle_disable_days),
        (10, 180),
        "nothing of the second save was written"
    );
    // Sent again from the version the conflict page carries, it counts.
    let v2 = common::between(&page, "name=\"version\" value=\"", "\"")
        .parse()
        .expect("version");
    let (st, _) = post_settings(
        &mut other,
        v2,
        &[("password.min_len", "10"), ("idle_disable_days", "90")],
    )
    .await;
    assert_eq!(st, 303);
    let saved = s.app.settings().await.expect("settings");
    assert_eq!((saved.password.min_len, saved.idle_disable_days), (10, 90));
}

#[tokio::test]
async fn a_form_from_a_version_nobody_kept_is_refused_on_every_field_it_would_undo() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let v0 = page_version(&mut admin).await;
    let (st, _) = post_settings(&mut admin, v0, &[("password.min_len", "10")]).await;
    assert_eq!(st, 303);
    let v1 = page_version(&mut admin).await;
    let (st, _) = post_settings(&mut admin, v1, &[("idle_disable_days", "90")]).await;
    assert_eq!(st, 303);
    // As on a database migrated before versions were kept: v1 is unknown.
    {
        let mut c = s.app.db.begin().await.expect("tx");
        sqlx::query("DELETE FROM settings_history WHERE version = $1")
            .bind(v1)
            .execute(&mut *c)
            .await
            .expect("delete");
        c.commit().await.expect("commit");
    }
    // A form opened at v1 that would put idle_disable_days back to 180.
    let (st, page) = post_settings(&mut admin, v1, &[("idle_disable_days", "180")]).await;
    assert_eq!(st, 409, "{page}");
    assert!(page.contains("「閒置停用天數」"), "{page}");
    assert_eq!(
        s.app.settings().await.expect("settings").idle_disable_days,
        90
    );
    // The API with an If-Match naming the version nobody kept, likewise;
    // one naming a version later than any is no stale read but a wrong
    // ETag (412).
    let csrf = admin.csrf().await;
    for (tag, want) in [(format!("\"{v1}\""), 409), ("\"999\"".to_owned(), 412)] {
        let r = admin
            .http
            .put(format!("{}/api/v1/settings", admin.base))
            .header("cookie", &admin.cookie)
            .header("x-csrf-token", &csrf)
            .header("if-match", tag.as_str())
            .json(&json!({"idle_disable_days": 30}))
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), want, "{tag}");
    }
    assert_eq!(
        s.app.settings().await.expect("settings").idle_disable_days,
        90
    );
}

#[tokio::test]
async fn edits_of_different_fields_from_one_version_both_count() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let v = page_version(&mut admin).await;
    let (st, _) = post_settings(&mut admin, v, &[("password.min_len", "10")]).await;
    assert_eq!(st, 303);
    let (st, _) = post_settings(&mut admin, v, &[("session_idle_minutes", "45")]).await;
    assert_eq!(st, 303, "merged with the save made meanwhile");
    let saved = s.app.settings().await.expect("settings");
    assert_eq!(
        (saved.password.min_len, saved.session_idle_minutes),
        (10, 45)
    );
}

#[tokio::test]
async fn the_api_takes_if_match_and_names_the_conflicting_field() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let r = admin
        .http
        .get(format!("{}/api/v1/settings", admin.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .expect("get");
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    let put = |body: serde_json::Value, if_match: Option<String>| {
        let mut req = admin
            .http
            .put(format!("{}/api/v1/settings", admin.base))
            .header("cookie", &admin.cookie)
            .header("x-csrf-token", &csrf)
            .json(&body);
        if let Some(m) = if_match {
            req = req.header("if-match", m);
        }
        async move {
            let r = req.send().await.expect("put");
            let st = r.status().as_u16();
            (
                st,
                r.json::<serde_json::Value>().await.expect("a JSON body"),
            )
        }
    };
    let (st, _) = put(json!({"password": {"min_len": 10}}), Some(etag.clone())).await;
    assert_eq!(st, 200);
    let (st, body) = put(json!({"password": {"min_len": 12}}), Some(etag.clone())).await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(body["fields"][0]["field"], "password.min_len", "{body}");
    // Another field from the same version merges.
    let (st, body) = put(json!({"session_idle_minutes": 45}), Some(etag)).await;
    assert_eq!(st, 200, "{body}");
    // Without If-Match nothing is saved: nobody can tell what the caller
    // last read (428 Precondition Required, RFC 6585).
    let (st, body) = put(json!({"idle_disable_days": 90}), None).await;
    assert_eq!(st, 428, "{body}");
    let saved = s.app.settings().await.expect("settings");
    assert_eq!(
        (
            saved.password.min_len,
            saved.session_idle_minutes,
            saved.idle_disable_days
        ),
        (10, 45, 180)
    );
    let (st, _) = put(json!({"idle_disable_days": 90}), Some("\"x\"".into())).await;
    assert_eq!(st, 422, "a malformed If-Match is refused");
}

#[tokio::test]
async fn a_settings_save_on_one_node_is_honoured_by_the_other_within_a_second() {
    let s = TestServer::start(10).await;
    let (other, clock) = s.second_node().await;
    assert_eq!(
        other
            .settings()
            .await
            .expect("settings")
            .session_idle_minutes,
        30
    );
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .put_settings(&csrf, json!({"session_idle_minutes": 45}))
        .await;
    assert_eq!(st, 200);
    // The saving node honours it at once.
    assert_eq!(
        s.app
            .settings()
            .await
            .expect("settings")
            .session_idle_minutes,
        45
    );
    clock.advance(time::Duration::seconds(1));
    assert_eq!(
        other
            .settings()
            .await
            .expect("settings")
            .session_idle_minutes,
        45,
        "the other node, a second later"
    );
}

#[tokio::test]
async fn a_suspended_client_on_one_node_is_refused_by_the_other_within_a_second() {
    let s = TestServer::start(10).await;
    let (other, clock) = s.second_node().await;
    let id = portico_app::demo::SAMPLE_CLIENT_ID;
    let before = other.client(id).await.expect("read").expect("client");
    assert!(!before.app.suspended);
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, body) = admin
        .api_post(
            &format!("/apps/{}/suspend", before.app.id),
            &csrf,
            json!({"note": "資安事件調查中"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    clock.advance(time::Duration::seconds(1));
    let after = other.client(id).await.expect("read").expect("client");
    assert!(after.app.suspended, "the other node sees the suspension");
}

#[tokio::test]
async fn a_key_rotation_on_one_node_reaches_the_other_within_a_second() {
    let s = TestServer::start(10).await;
    let (other, clock) = s.second_node().await;
    let before = other.key_ring().await.expect("ring").jwks();
    let kid = s
        .app
        .rotate_signing_key(portico_core::sso::SigningAlg::ES256)
        .await
        .expect("rotate");
    assert!(!before.to_string().contains(&kid));
    clock.advance(time::Duration::seconds(1));
    let after = other.key_ring().await.expect("ring").jwks();
    assert!(after.to_string().contains(&kid), "{after}");
}

#[tokio::test]
async fn a_rate_limit_counts_across_nodes() {
    let s = TestServer::start(10).await;
    // A limit's window is a minute of the app's clock. Start ten seconds
    // into one, so the second node's clock (a second ahead, below) is in
    // the same minute however the test's start falls.
    let into = i64::from(s.app.now().second());
    s.clock.advance(time::Duration::seconds((70 - into) % 60));
    let (b, _other, clock) = s.serve_second_node().await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .put_settings(&csrf, json!({"oauth_client_per_minute": 3}))
        .await;
    assert_eq!(st, 200);
    clock.advance(time::Duration::seconds(1));
    let http = s.client().http;
    let grant = |base: String| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/oauth2/token"))
                .basic_auth(common::oidc::ID, Some(common::oidc::SECRET))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .expect("token")
                .status()
                .as_u16()
        }
    };
    // Alternating nodes: the limit of 3 a minute holds for the pair.
    let mut statuses = Vec::new();
    for base in [&s.base, &b, &s.base, &b] {
        statuses.push(grant(base.clone()).await);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
}

/// The settings form loses nothing a person typed: one bad number keeps
/// every typed value (marked, the bad one invalid); a post that leaves the
/// boxes out does not untick them; a form without its version saves
/// nothing (nobody could tell what changed meanwhile) and says so.
#[tokio::test]
async fn the_settings_form_keeps_what_was_typed_and_needs_its_version() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let v = page_version(&mut admin).await;
    let (st, page) = post_settings(
        &mut admin,
        v,
        &[("password.min_len", "abc"), ("session_idle_minutes", "45")],
    )
    .await;
    assert_eq!(st, 422);
    assert!(
        page.contains("name=\"password.min_len\" value=\"abc\""),
        "the bad value stays"
    );
    assert!(
        page.contains("name=\"session_idle_minutes\" value=\"45\""),
        "so does the good one"
    );
    let invalid = common::between(&page, "name=\"password.min_len\"", ">");
    assert!(invalid.contains("aria-invalid=\"true\""), "{invalid}");
    assert_eq!(
        s.app.settings().await.unwrap().session_idle_minutes,
        30,
        "nothing saved"
    );

    // A post with no boxes in it (not the page's form) leaves them alone.
    let csrf = admin.csrf().await;
    let vs = page_version(&mut admin).await.to_string();
    let (st, _, _) = admin
        .post_form(
            "/admin/settings",
            &[
                ("_csrf", &csrf),
                ("version", &vs),
                ("session_idle_minutes", "45"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    let saved = s.app.settings().await.unwrap();
    assert_eq!(saved.session_idle_minutes, 45);
    assert!(saved.password.require_upper && saved.password.require_special);

    // No version: refused, nothing saved, and the page carries one now.
    let (st, page, _) = admin
        .post_form(
            "/admin/settings",
            &[("_csrf", &csrf), ("session_idle_minutes", "60")],
        )
        .await;
    assert_eq!(st, 409);
    assert!(page.contains("缺少版本資訊"), "{page}");
    assert!(page.contains("name=\"session_idle_minutes\" value=\"60\""));
    assert_eq!(s.app.settings().await.unwrap().session_idle_minutes, 45);
    let again = common::between(&page, "name=\"version\" value=\"", "\"");
    let (st, _, _) = admin
        .post_form(
            "/admin/settings",
            &[
                ("_csrf", &csrf),
                ("version", &again),
                ("session_idle_minutes", "60"),
            ],
        )
        .await;
    assert_eq!(st, 303, "saved from the version the page carries");
    assert_eq!(s.app.settings().await.unwrap().session_idle_minutes, 60);
}
