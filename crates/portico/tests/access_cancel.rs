//! What follows an access request's approval (issue 14 §4–6): a removed
//! role is gone from the application's next refreshed token; 帳號註銷
//! (002 §五) keeps the records, signs in nowhere and frees nothing unique;
//! signed forms are destroyed a year after the cancellation (002 §六 (一)),
//! leaving an audit event.
mod common;

use common::TestServer;
use common::oidc::{ID, SECRET, claims, code_for, exchange};
use portico_app::Ctx;
use portico_app::access::Ask;
use portico_core::Error;
use portico_core::access::{FormState, Step};
use portico_core::permission::Principal;
use portico_store::accounts;

async fn principal(s: &TestServer, login: &str) -> Principal {
    s.principal_of(login).await
}

async fn count(s: &TestServer, sql: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        "n",
    )
}

fn ctx() -> Ctx {
    Ctx::new("127.0.0.1", "test")
}

/// The statistician's waiting form taken back, then every role of the
/// sample application removed, signed off by its manager.
async fn remove_all_roles(s: &TestServer) {
    let st = principal(s, "statistician").await;
    let waiting = s
        .app
        .my_access(&st)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == FormState::Pending)
        .unwrap()
        .id;
    s.app.withdraw_form(&st, &ctx(), waiting).await.unwrap();
    let ask = Ask {
        step: Some(Step::Role),
        item: s.app_id("portico-sample").await,
        purpose: "職務調整".into(),
        ..Default::default()
    };
    let (id, _) = s
        .app
        .submit_ask(&st, &ctx(), &ask, None, None)
        .await
        .unwrap();
    s.app
        .decide_form(&principal(s, "stat_mgr").await, &ctx(), id, true, "")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_removed_role_is_gone_from_the_next_refreshed_token_and_userinfo() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("statistician").await;
    let (code, verifier) = code_for(&s, &mut c).await;
    let (st, t) = exchange(&s, &code, &verifier).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(
        claims(t["id_token"].as_str().unwrap())["roles"],
        serde_json::json!(["stat.user"])
    );
    let (st, info) =
        common::oidc::bearer_get(&s, "/oauth2/userinfo", t["access_token"].as_str().unwrap()).await;
    assert_eq!(st, 200);
    assert_eq!(info["roles"], serde_json::json!(["stat.user"]));

    remove_all_roles(&s).await;
    let (st, r) = common::oidc::token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((ID, SECRET)),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(
        claims(r["id_token"].as_str().unwrap())["roles"],
        serde_json::json!([])
    );
    let (_, info) =
        common::oidc::bearer_get(&s, "/oauth2/userinfo", r["access_token"].as_str().unwrap()).await;
    assert_eq!(info["roles"], serde_json::json!([]));
}

#[tokio::test]
async fn cancellation_keeps_the_records_signs_in_nowhere_and_frees_nothing_002() {
    let s = TestServer::start(20).await;
    let mgr = principal(&s, "stat_mgr").await;
    let id = principal(&s, "statistician").await.account_id();
    // A reason is asked.
    assert!(matches!(
        s.app.cancel_account(&mgr, id, " ", &ctx()).await,
        Err(Error::Invalid(_))
    ));
    s.app
        .cancel_account(&mgr, id, "離職", &ctx())
        .await
        .unwrap();
    let a = accounts::get(&mut s.app.db.read().await.unwrap(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.state, portico_core::account::AccountState::Cancelled);
    // Signs in nowhere, and says why.
    let (_, st, body) = s
        .sign_in("statistician", portico_app::demo::DEMO_PASSWORD)
        .await;
    assert_ne!(st, 303);
    assert!(body.contains("帳號已註銷"), "{body}");
    // Its login stays taken; its forms and holdings stay on record.
    assert!(
        s.app
            .login_available("statistician", "someone", &ctx())
            .await
            .is_err()
    );
    assert!(
        count(
            &s,
            &format!(
                "SELECT COUNT(*) AS n FROM access_forms WHERE account_id = {}",
                id.0
            )
        )
        .await
            >= 3
    );
    // Twice is refused by name; so is the agency's only admin.
    match s.app.cancel_account(&mgr, id, "離職", &ctx()).await {
        Err(Error::Refused(m)) => assert!(m.zh.contains("已註銷"), "{}", m.zh),
        other => panic!("{other:?}"),
    }
    let admin = principal(&s, "admin").await;
    match s
        .app
        .cancel_account(&admin, mgr.account_id(), "離職", &ctx())
        .await
    {
        Err(Error::Refused(m)) => assert!(m.zh.contains("唯一"), "{}", m.zh),
        other => panic!("the only agency admin: {other:?}"),
    }
    // An agency admin elsewhere does not even find it.
    let edu = principal(&s, "edu_admin").await;
    assert!(matches!(
        s.app
            .cancel_account(
                &edu,
                principal(&s, "staff").await.account_id(),
                "離職",
                &ctx()
            )
            .await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn signed_forms_are_destroyed_a_year_after_the_cancellation_002() {
    let s = TestServer::start(20).await;
    let st = principal(&s, "statistician").await;
    let kept = format!(
        "SELECT COUNT(*) AS n FROM files WHERE owner_id = {} AND purged_at IS NULL",
        st.account_id().0
    );
    let before = count(&s, &kept).await;
    assert!(before >= 4, "the demo's scans: {before}");
    let waiting = s
        .app
        .my_access(&st)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == FormState::Pending)
        .unwrap()
        .id;
    s.app
        .cancel_account(
            &principal(&s, "stat_mgr").await,
            st.account_id(),
            "離職",
            &ctx(),
        )
        .await
        .unwrap();
    // Kept while the year runs.
    assert_eq!(s.app.purge_kept_forms().await.unwrap(), 0);
    s.clock.advance(time::Duration::days(364));
    assert_eq!(s.app.purge_kept_forms().await.unwrap(), 0);
    let admin = principal(&s, "admin").await;
    assert!(s.app.form_attachment(&admin, waiting, false).await.is_ok());
    // A year and a day on: the bytes go, the rows and the form stay.
    s.clock.advance(time::Duration::days(2));
    assert_eq!(s.app.purge_kept_forms().await.unwrap() as i64, before);
    assert_eq!(count(&s, &kept).await, 0);
    assert!(matches!(
        s.app.form_attachment(&admin, waiting, false).await,
        Err(Error::NotFound)
    ));
    let v = s.app.form_view(&admin, waiting).await.unwrap();
    assert!(v.form_file.is_some_and(|f| f.purged_at.is_some()));
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'access.purge' AND target_id = {}", st.account_id().0)).await,
        1
    );
    // Run again: nothing more to do, no second event.
    assert_eq!(s.app.purge_kept_forms().await.unwrap(), 0);
    // Nobody else's files were touched.
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT COUNT(*) AS n FROM files WHERE owner_id <> {} AND purged_at IS NOT NULL",
                st.account_id().0
            )
        )
        .await,
        0
    );
}

/// A multipart body as a browser sends one: text fields, then a file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let b = "----porticotestboundary7MA4YWxk";
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((field, name, bytes)) = file {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), out)
}

#[tokio::test]
async fn a_person_asks_for_cancellation_with_the_signed_form_and_their_admin_decides_002() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf_from("/account/requests/cancel").await;
    // 列印申請書: the form with the reason typed.
    let (ct, body) = multipart(
        &[("_csrf", &csrf), ("reason", "離職"), ("print", "1")],
        None,
    );
    let r = s
        .client()
        .http
        .post(format!("{}/account/requests/cancel", s.base))
        .header("cookie", staff.cookie.clone())
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Without the signed form: said so, nothing filed.
    let (ct, body) = multipart(&[("_csrf", &csrf), ("reason", "離職")], None);
    let (st, page) = staff.post_raw("/account/requests/cancel", &ct, body).await;
    assert_eq!(st, 422, "{page}");
    assert!(page.contains("請上傳主管簽章的帳號註銷申請書"), "{page}");
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[9u8; 40]].concat();
    let (ct, body) = multipart(
        &[("_csrf", &csrf), ("reason", "離職")],
        Some(("form_file", "signed.png", &png)),
    );
    let (st, _) = staff.post_raw("/account/requests/cancel", &ct, body).await;
    assert_eq!(st, 303);
    let id = count(
        &s,
        "SELECT id AS n FROM requests WHERE kind = 'cancel' AND state = 'pending'",
    )
    .await;
    // The agency's admin sees it with the scan, and approves.
    let mut civil = s.signed_in("civil_admin").await;
    let (st, page) = civil.get(&format!("/admin/requests/{id}")).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("帳號註銷") && page.contains("開啟主管簽章的申請書"),
        "{page}"
    );
    let (st, bytes) = civil
        .get_bytes(&format!("/admin/requests/{id}/attachment"))
        .await;
    assert_eq!(st, 200);
    assert_eq!(bytes, png);
    // An admin of another agency finds nothing.
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(
        edu.get_bytes(&format!("/admin/requests/{id}/attachment"))
            .await
            .0,
        404
    );
    let p = principal(&s, "civil_admin").await;
    let done = s
        .app
        .decide_requests(
            &p,
            &[id],
            &portico_app::review::Verdict {
                decision: portico_core::request::Decision::Approve,
                note: "",
                official_mail: None,
            },
            &ctx(),
        )
        .await
        .unwrap();
    assert_eq!(done.done, vec![id]);
    let a = accounts::find_by_login(&mut s.app.db.read().await.unwrap(), "staff")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.state, portico_core::account::AccountState::Cancelled);
    // Signed out everywhere at once.
    let (st, _) = staff.get("/account").await;
    assert_ne!(st, 200);
    // The console's button does the same for an admin; a cancelled account
    // offers no disable or enable.
    let target = principal(&s, "expiring").await.account_id();
    let csrf = civil.csrf().await;
    let (st, _, loc) = civil
        .post_form(
            &format!("/admin/accounts/{}/cancel", target.0),
            &[("_csrf", &csrf), ("reason", "退休")],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    let (_, page) = civil.get(&format!("/admin/accounts/{}", target.0)).await;
    assert!(
        page.contains("此帳號已註銷") && !page.contains("/disable\""),
        "{page}"
    );
}

#[tokio::test]
async fn the_verification_api_answers_with_the_applications_roles() {
    let s = TestServer::start(20).await;
    let r = s
        .client()
        .http
        .post(format!("{}/api/v1/apps/verify", s.base))
        .basic_auth(ID, Some(SECRET))
        .json(&serde_json::json!({"login": "statistician", "password": portico_app::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["claims"]["roles"], serde_json::json!(["stat.user"]));
}
