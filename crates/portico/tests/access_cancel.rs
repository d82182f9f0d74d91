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
use portico_store::{accounts, roles};

async fn principal(s: &TestServer, login: &str) -> Principal {
    let mut c = s.app.db.read().await.unwrap();
    let a = accounts::find_by_login(&mut c, login)
        .await
        .unwrap()
        .expect(login);
    let held = roles::of_account(&mut c, a.id)
        .await
        .unwrap()
        .iter()
        .map(|g| g.role())
        .collect();
    Principal::unchecked_for_command_line(a.id, a.login, a.name, a.unit_path, held)
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
    let a = accounts::get(&mut *s.app.db.read().await.unwrap(), id)
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
