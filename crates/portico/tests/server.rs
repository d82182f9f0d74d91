//! The foundation through its pages and API, on a real server and a real
//! database (SQLite, or PostgreSQL when PORTICO_TEST_PG is set).
mod common;

use common::{TestServer, between};
use portico_app::demo::DEMO_PASSWORD;

#[tokio::test]
async fn sign_in_with_captcha_shows_the_portal_shell() {
    let s = TestServer::start(40).await;
    let mut c = s.signed_in("staff").await;
    let (status, home) = c.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("王小明"), "name in the shell");
    assert!(
        home.contains("密碼將於") && home.contains("天後到期"),
        "password countdown on every page"
    );
    assert!(
        home.contains("後回登入頁") && home.contains("延長作業時間"),
        "idle countdown and extend"
    );
    assert!(
        home.contains("帳號登入紀錄") && !home.contains("管理主控台"),
        "a general user has no admin menu"
    );
}

#[tokio::test]
async fn wrong_credentials_get_one_generic_message() {
    let s = TestServer::start(20).await;
    let (_, st1, body1) = s.sign_in("staff", "Wrong#Pass1").await;
    let (_, st2, body2) = s.sign_in("nobody_here", "Wrong#Pass1").await;
    assert_eq!((st1, st2), (401, 401));
    assert!(body1.contains("帳號或密碼錯誤") && body2.contains("帳號或密碼錯誤"));
}

#[tokio::test]
async fn five_failures_within_15_minutes_lock_for_15_minutes() {
    let s = TestServer::start(20).await;
    for _ in 0..5 {
        let (_, st, _) = s.sign_in("staff", "Wrong#Pass1").await;
        assert_eq!(st, 401);
    }
    // Even the right password is refused while locked, and the person is told why.
    let (_, st, body) = s.sign_in("staff", DEMO_PASSWORD).await;
    assert_eq!(st, 403);
    assert!(body.contains("鎖定"), "locked message");
    s.clock.advance(time::Duration::minutes(16));
    let (_, st, _) = s.sign_in("staff", DEMO_PASSWORD).await;
    assert_eq!(st, 303, "the lock ends after 15 minutes");
}

/// Issue 12 §1.3: "locked" must not tell who exists. A name no account
/// has locks after as many failures as an account does, and both answer
/// alike, to the status and the words (but the lock's end time).
#[tokio::test]
async fn an_unknown_login_locks_like_an_account_so_locked_tells_nobody_who_exists() {
    let s = TestServer::start(20).await;
    for _ in 0..5 {
        assert_eq!(s.sign_in("staff", "Wrong#Pass1").await.1, 401);
        assert_eq!(s.sign_in("nobody_here", "Wrong#Pass1").await.1, 401);
    }
    let (_, st_real, real) = s.sign_in("staff", "Wrong#Pass1").await;
    let (_, st_made_up, made_up) = s.sign_in("nobody_here", "Wrong#Pass1").await;
    assert_eq!((st_real, st_made_up), (403, 403));
    let msg = |b: &str| between(b, "id=\"login-error\">", "</p>");
    assert!(msg(&real).contains("已暫時鎖定"), "{}", msg(&real));
    assert_eq!(msg(&real), msg(&made_up), "the same words for both");
    let reasons = common::oidc::audit_reasons(&s, "auth.sign_in").await;
    assert!(reasons.contains(&"unknown_login_locked".to_owned()));
    // The lock ends for both after its 15 minutes; the count goes with it.
    s.clock.advance(time::Duration::minutes(16));
    s.app.purge_idle_sessions().await.unwrap();
    assert_eq!(s.sign_in("nobody_here", "Wrong#Pass1").await.1, 401);
}

/// Issue 12 §2.3: 上次登入 is the sign-in before this one, with a failed
/// attempt since then beside it, so a person can spot someone else's try.
#[tokio::test]
async fn last_sign_in_is_the_previous_one_and_a_failure_since_is_shown() {
    let s = TestServer::start(20).await;
    let mut first = s.signed_in("staff").await;
    let home = first.get("/").await.1;
    assert!(
        home.contains("這是您第一次登入"),
        "the demo's staff has not signed in before"
    );
    let at_first = portico_core::time::display(s.app.now());
    s.clock.advance(time::Duration::hours(3));
    assert_eq!(s.sign_in("staff", "Wrong#Pass1").await.1, 401);
    let failed_at = portico_core::time::display(s.app.now());
    s.clock.advance(time::Duration::hours(1));
    let mut second = s.signed_in("staff").await;
    let home = second.get("/").await.1;
    assert!(home.contains(&format!("上次登入：{at_first}")), "{home}");
    assert!(
        home.contains(&format!("自上次成功登入後，曾有登入失敗：{failed_at}")),
        "{home}"
    );
    let account = second.get("/account").await.1;
    assert!(account.contains("曾有登入失敗"), "the account page too");
    // Signed in again without a failure: nothing to warn about.
    s.clock.advance(time::Duration::hours(1));
    let mut third = s.signed_in("staff").await;
    let home = third.get("/").await.1;
    assert!(!home.contains("曾有登入失敗"), "{home}");
}

/// A long list's pager leaves numbers out with a gap, and a page past the
/// end says so instead of "no results" under a total.
#[tokio::test]
async fn a_page_past_the_end_says_so_and_the_pager_shows_gaps() {
    let s = TestServer::start(400).await;
    let mut admin = s.signed_in("admin").await;
    let (_, page) = admin.get("/admin/accounts?page=4").await;
    assert!(
        page.contains("class=\"gap\""),
        "gaps in a pager of many pages"
    );
    assert!(page.contains("rel=\"prev\"") && page.contains("rel=\"next\""));
    let (st, page) = admin.get("/admin/accounts?page=999").await;
    assert_eq!(st, 200);
    assert!(page.contains("沒有第 999 頁"), "{page}");
    assert!(
        !page.contains("查無符合條件的帳號"),
        "not 'no results' under a total"
    );
}

#[tokio::test]
async fn captcha_is_checked_and_single_use() {
    let s = TestServer::start(20).await;
    let mut c = s.client();
    let page = c.get("/login").await.1;
    let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
    let answer = s.captcha_answer(&cid).await;
    let (st, body, _) = c
        .post_form(
            "/login",
            &[
                ("login", "staff"),
                ("password", DEMO_PASSWORD),
                ("captcha_id", &cid),
                ("captcha", "WRONG"),
            ],
        )
        .await;
    assert_eq!(st, 401);
    assert!(body.contains("驗證碼錯誤"));
    // The right answer no longer works: the captcha was spent.
    let (st, _, _) = c
        .post_form(
            "/login",
            &[
                ("login", "staff"),
                ("password", DEMO_PASSWORD),
                ("captcha_id", &cid),
                ("captcha", &answer),
            ],
        )
        .await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn disabled_pending_and_unactivated_accounts_are_told_why() {
    let s = TestServer::start(20).await;
    let (_, st, body) = s.sign_in("disabled", DEMO_PASSWORD).await;
    assert_eq!(st, 403);
    assert!(body.contains("帳號已停用"));
    let (_, st, body) = s.sign_in("pending", DEMO_PASSWORD).await;
    // No password yet: the generic answer, nothing learned.
    assert_eq!(st, 401, "{body}");
}

#[tokio::test]
async fn agency_admin_cannot_read_or_disable_account_outside_subtree() {
    let s = TestServer::start(200).await;
    let outsider = s.account_id("edu_admin").await; // 教育局, not 民政局
    let insider = s.account_id("staff").await; // 民政局
    let mut c = s.signed_in("civil_admin").await;
    assert_eq!(c.get(&format!("/admin/accounts/{outsider}")).await.0, 404);
    assert_eq!(c.get(&format!("/admin/accounts/{insider}")).await.0, 200);
    let csrf = c.csrf().await;
    let (st, _) = c
        .api_post(
            &format!("/accounts/{outsider}/disable"),
            &csrf,
            serde_json::json!({"reason": "test"}),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = c.api_get(&format!("/accounts/{outsider}")).await;
    assert_eq!(st, 404);
    // The search only lists 民政局's accounts, and does list some.
    let (_, list) = c.api_get("/accounts?per_page=200").await;
    let items = list["items"].as_array().unwrap();
    assert!(
        items.len() > 3,
        "the agency's own accounts are found: {list}"
    );
    for item in items {
        assert_eq!(item["agency_name"], "民政局", "{item}");
    }
    // The system admin's search of the same finds more than the agency's.
    let mut admin = s.signed_in("admin").await;
    let (_, all) = admin.api_get("/accounts?per_page=200").await;
    assert!(
        all["total"].as_i64() > list["total"].as_i64(),
        "{} vs {}",
        all["total"],
        list["total"]
    );
    // Still active.
    let page = admin.get(&format!("/admin/accounts/{outsider}")).await.1;
    assert!(page.contains("停用帳號"), "outsider still enabled");
}

#[tokio::test]
async fn agency_admin_disables_account_in_scope_and_its_sessions_end() {
    let s = TestServer::start(40).await;
    let mut victim = s.signed_in("staff").await;
    let id = s.account_id("staff").await;
    let mut c = s.signed_in("civil_admin").await;
    let csrf = c.csrf().await;
    // Without a reason: the field is named and marked, nothing changes.
    let (st, page, _) = c
        .post_form(
            &format!("/admin/accounts/{id}/disable"),
            &[("_csrf", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        page.contains("原因：此欄位為必填"),
        "the banner names the field"
    );
    let field = common::between(&page, "id=\"disable-reason\"", ">");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    assert!(
        common::between(&page, "id=\"disable-reason-err\" class=\"err\">", "<").contains("必填")
    );
    let (st, _, loc) = c
        .post_form(
            &format!("/admin/accounts/{id}/disable"),
            &[("_csrf", &csrf), ("reason", "離職")],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    // Signed out: the home page answers with the sign-in form, not the
    // person's shell.
    let (st, home) = victim.get("/").await;
    assert_eq!(st, 200);
    assert!(
        home.contains(r#"name="captcha_id""#) && !home.contains("王小明"),
        "the login page, signed out"
    );
    let (st, _, to) = victim.get_loc("/account").await;
    assert_eq!(st, 303, "no session any more");
    assert!(to.starts_with("/login"), "{to}");
    let (_, st, body) = s.sign_in("staff", DEMO_PASSWORD).await;
    assert_eq!(st, 403);
    assert!(body.contains("帳號已停用"));
}

#[tokio::test]
async fn the_only_agency_admin_cannot_be_disabled() {
    let s = TestServer::start(20).await;
    let id = s.account_id("edu_admin").await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let (st, body, _) = c
        .post_form(
            &format!("/admin/accounts/{id}/disable"),
            &[("_csrf", &csrf), ("reason", "退休")],
        )
        .await;
    assert_eq!(st, 409);
    assert!(body.contains("唯一的機關管理者"), "says what to hand over");
}

#[tokio::test]
async fn two_admins_disabling_at_once_exactly_one_wins() {
    let s = TestServer::start(40).await;
    let id = s.account_id("staff").await;
    let mut a = s.signed_in("admin").await;
    let mut b = s.signed_in("civil_admin").await;
    let (ca, cb) = (a.csrf().await, b.csrf().await);
    let pa = format!("/accounts/{id}/disable");
    let (ra, rb) = tokio::join!(
        a.api_post(&pa, &ca, serde_json::json!({"reason": "A"})),
        b.api_post(&pa, &cb, serde_json::json!({"reason": "B"}))
    );
    let mut codes = [ra.0, rb.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{ra:?} {rb:?}");
}

#[tokio::test]
async fn writes_without_the_csrf_token_are_refused_and_change_nothing() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let (st, _, _) = c
        .post_form(
            "/account/profile",
            &[("name", "改名"), ("office_phone", "2991111")],
        )
        .await;
    assert_eq!(st, 409);
    let (st, _) = c
        .api_post("/accounts/1/unlock", "wrong", serde_json::json!({}))
        .await;
    assert_eq!(st, 409);
    assert!(c.get("/account").await.1.contains("王小明"));
}

#[tokio::test]
async fn malformed_input_never_produces_a_500_and_markup_is_escaped() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    let mut bad = format!("_csrf={csrf}&office_phone=2991111&name=").into_bytes();
    bad.extend_from_slice(b"\xc3\x28");
    let (st, _) = c
        .post_raw("/account/profile", "application/x-www-form-urlencoded", bad)
        .await;
    assert_eq!(st, 422, "raw invalid UTF-8");
    let (st, _) = c
        .post_raw(
            "/account/profile",
            "application/x-www-form-urlencoded",
            format!("_csrf={csrf}&office_phone=2991111&name=%C3%28").into_bytes(),
        )
        .await;
    assert_eq!(st, 422, "percent-encoded invalid UTF-8");
    let (st, _) = c
        .post_raw("/login", "application/json", b"{not json".to_vec())
        .await;
    assert!(st < 500, "{st}");
    let (st, _) = c
        .post_raw(
            "/account/profile",
            "application/x-www-form-urlencoded",
            vec![b'a'; 200_000],
        )
        .await;
    assert_eq!(st, 413);
    let (st, body, _) = c
        .post_form(
            "/account/profile",
            &[
                ("_csrf", &csrf),
                ("name", "<b>x</b>'; DROP TABLE a"),
                ("office_phone", "2991111"),
            ],
        )
        .await;
    assert_eq!(st, 303, "{body}");
    let page = c.get("/account").await.1;
    assert!(
        page.contains("&#60;b&#62;x&#60;/b&#62;") || page.contains("&lt;b&gt;x&lt;/b&gt;"),
        "escaped on output"
    );
    assert!(!page.contains("<b>x</b>"));
    // A bad phone is refused with its own message and nothing changes.
    let (st, body, _) = c
        .post_form(
            "/account/profile",
            &[
                ("_csrf", &csrf),
                ("name", "王大明"),
                ("office_phone", "06-2991111"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("公務電話只能輸入數字"));
    let page = c.get("/account").await.1;
    assert!(
        page.contains("DROP TABLE"),
        "unchanged by the refused edits"
    );
    assert!(!page.contains('\u{FFFD}'), "no lossy decoding stored");
}

#[tokio::test]
async fn password_change_follows_the_seed_policy_and_history() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    let (st, body, _) = c
        .post_form(
            "/account/password",
            &[
                ("_csrf", &csrf),
                ("old_password", DEMO_PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("密碼長度須為 8 至 15 個字元"));
    // Sent from the account page, a wrong current password shows the
    // account page again, the field marked, not a bare card.
    let (st, body, _) = c
        .post_form(
            "/account/password",
            &[
                ("_csrf", &csrf),
                ("from", "account"),
                ("old_password", "Not#Mine123"),
                ("new_password", "Newpass#2027"),
                ("confirm_password", "Newpass#2027"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("id=\"password-section\""), "the account page");
    let field = between(&body, "id=\"old_password\"", ">");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    let (st, body, _) = c
        .post_form(
            "/account/password",
            &[
                ("_csrf", &csrf),
                ("old_password", DEMO_PASSWORD),
                ("new_password", "Quote'Pass1"),
                ("confirm_password", "Quote'Pass1"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("單引號"));
    let (st, _, _) = c
        .post_form(
            "/account/password",
            &[
                ("_csrf", &csrf),
                ("old_password", DEMO_PASSWORD),
                ("new_password", "Tainan#2027"),
                ("confirm_password", "Tainan#2027"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    // Back to the previous password: refused by the history rule.
    let (st, body, _) = c
        .post_form(
            "/account/password",
            &[
                ("_csrf", &csrf),
                ("old_password", "Tainan#2027"),
                ("new_password", DEMO_PASSWORD),
                ("confirm_password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("最近 3 次"));
    let (_, st, _) = s.sign_in("staff", "Tainan#2027").await;
    assert_eq!(st, 303);
    // 004 L2102: the password section says who changed it, and why.
    let page = c.get("/account").await.1;
    let section = between(&page, "id=\"password-section\"", "</dl>");
    assert!(
        section.contains("<dt>修改人</dt><dd>staff</dd>"),
        "{section}"
    );
    assert!(
        section.contains("<dt>備註</dt><dd>密碼修改</dd>"),
        "{section}"
    );
}

#[tokio::test]
async fn an_expired_password_forces_a_change() {
    let s = TestServer::start(20).await;
    s.clock.advance(time::Duration::days(6)); // "expiring" had 5 days left
    let (mut c, st, to) = s.sign_in("expiring", DEMO_PASSWORD).await;
    assert_eq!((st, to.as_str()), (303, "/account/password"));
    assert_eq!(
        c.get("/").await.0,
        303,
        "every page sends the person to change it"
    );
    assert!(c.get("/account/password").await.1.contains("密碼已到期"));
}

#[tokio::test]
async fn an_idle_session_ends_after_30_minutes() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    s.clock.advance(time::Duration::minutes(29));
    assert_eq!(c.get("/account").await.0, 200);
    s.clock.advance(time::Duration::minutes(31));
    assert_eq!(c.get("/account").await.0, 303);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let s = TestServer::start(20).await;
    let mut a = s.signed_in("staff").await;
    let mut b = s.signed_in("staff").await;
    let csrf = a.csrf().await;
    let (st, _, _) = a.post_form("/logout/all", &[("_csrf", &csrf)]).await;
    assert_eq!(st, 303);
    assert_eq!(b.get("/account").await.0, 303);
    assert_eq!(a.get("/account").await.0, 303);
}

#[tokio::test]
async fn sign_in_records_show_attempts_with_method_ip_and_result() {
    let s = TestServer::start(20).await;
    let _ = s.sign_in("staff", "Wrong#Pass1").await;
    let mut c = s.signed_in("staff").await;
    let page = c.get("/records/sign-in").await.1;
    assert!(page.contains("127.0.0.1"));
    assert!(page.contains("失敗") && page.contains("成功"));
    let (st, body) = c
        .get("/records/sign-in?from=2030-01-02&until=2030-01-01")
        .await;
    assert_eq!(st, 200);
    assert!(body.contains("迄日不可早於起日"));
    // 004 L2364, L2405: filtered by 登入方式.
    let (_, pw) = c.api_get("/me/sign-in-records?method=password").await;
    let (_, card) = c.api_get("/me/sign-in-records?method=certificate").await;
    assert!(pw["total"].as_i64().unwrap() >= 2, "{pw}");
    assert_eq!(card["total"], 0, "{card}");
    let page = c.get("/records/sign-in?method=certificate").await.1;
    assert!(page.contains("查無紀錄"), "none by card");
    assert!(
        page.contains("<option value=\"certificate\" selected>"),
        "the choice is kept"
    );
}

#[tokio::test]
async fn an_edited_audit_row_is_caught_by_verify() {
    let s = TestServer::start(20).await;
    let _ = s.signed_in("staff").await;
    let v = s.app.verify_audit_chain().await.unwrap();
    assert!(v.first_break.is_none() && v.checked >= 2);
    // The database refuses edits; a tamperer would first drop the guard.
    let mut tx = s.app.db.begin().await.unwrap();
    let refused = sqlx::query("UPDATE audit_events SET reason = 'x' WHERE seq = 2")
        .execute(&mut *tx)
        .await;
    assert!(refused.is_err(), "append-only at the database");
    drop(tx);
    let drop_guard = match s.app.db.backend() {
        portico_store::Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
        portico_store::Backend::Postgres => "DROP TRIGGER audit_events_no_update ON audit_events",
    };
    let mut tx = s.app.db.begin().await.unwrap();
    sqlx::raw_sql(drop_guard).execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE audit_events SET reason = 'edited' WHERE seq = 2")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let v = s.app.verify_audit_chain().await.unwrap();
    assert_eq!(
        v.first_break,
        Some(portico_core::audit::Break::Altered { seq: 2 })
    );
}

/// Every form and API write, fed garbage: a 4xx, never a 500, and nothing
/// written (the audit chain's head does not move).
#[tokio::test]
async fn malformed_input_at_every_form_changes_nothing() {
    let s = TestServer::start(40).await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let id = s.account_id("staff").await;
    let snapshot = || async {
        let mut conn = s.app.db.read().await.unwrap();
        let units: Vec<_> = portico_store::orgs::list_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.id, u.name, u.oid, u.path, u.enabled))
            .collect();
        let a = portico_store::accounts::find_by_login(&mut conn, "staff")
            .await
            .unwrap()
            .unwrap();
        let settings = portico_store::settings::get(&mut conn, "system")
            .await
            .unwrap()
            .map(|s| (s.value, s.version));
        let admin_roles =
            portico_store::roles::of_account(&mut conn, portico_core::ids::AccountId(1))
                .await
                .unwrap()
                .len();
        (
            units,
            a.name,
            a.state,
            a.must_change_password,
            a.locked_until,
            settings,
            admin_roles,
        )
    };
    let before = snapshot().await;
    let head_before: i64 = {
        let mut conn = s.app.db.read().await.unwrap();
        sqlx::Row::get(
            &sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_events")
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
            "n",
        )
    };
    let forms = [
        "/login".to_owned(),
        "/prefs".into(),
        "/account/profile".into(),
        "/account/password".into(),
        "/account/avatar/delete".into(),
        format!("/admin/accounts/{id}/disable"),
        format!("/admin/accounts/{id}/enable"),
        format!("/admin/accounts/{id}/unlock"),
        format!("/admin/accounts/{id}/reset-password"),
        format!("/admin/accounts/{id}/roles"),
        format!("/admin/accounts/{id}/roles/999999/revoke"),
        "/admin/org".into(),
        "/admin/org/1".into(),
        "/admin/org/1/move".into(),
        "/admin/org/1/delete".into(),
        "/admin/settings".into(),
    ];
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/x-www-form-urlencoded",
            b"\xff\xfe\x00%%%".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"name=%E0%A4&oid=%C3%28".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"_csrf=nope&name='; DROP TABLE accounts;--&oid=1.2.3".to_vec(),
        ),
        ("application/json", b"{\"name\": 1}".to_vec()),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken".to_vec()),
    ];
    for path in &forms {
        for (ct, body) in &bodies {
            let (st, page) = c.post_raw(path, ct, body.clone()).await;
            assert!(
                (400..500).contains(&st),
                "{path} with {ct}: {st} {}",
                &page[..page.len().min(200)]
            );
        }
    }
    // The same paths with a valid token but nonsense values: refused field by field.
    // (Force password reset and removing the avatar take no input: with a
    // valid token they are simply done.)
    let mut refused = Vec::new();
    for path in forms[2..]
        .iter()
        .filter(|p| !p.ends_with("/reset-password") && !p.ends_with("/avatar/delete"))
    {
        let (st, _, _) = c
            .post_form(
                path,
                &[
                    ("_csrf", &csrf),
                    ("name", ""),
                    ("oid", "x"),
                    ("kind", "nope"),
                    ("reason", ""),
                    ("parent", "abc"),
                    ("session_idle_minutes", "-1"),
                ],
            )
            .await;
        refused.push((path.replace(&id.to_string(), "ID"), st));
    }
    let expected: Vec<(String, u16)> = EXPECTED_REFUSALS
        .iter()
        .map(|(p, st)| ((*p).to_owned(), *st))
        .collect();
    assert_eq!(refused, expected, "each form refuses its nonsense by name");
    for path in [
        format!("/accounts/{id}/disable"),
        format!("/accounts/{id}/enable"),
        format!("/accounts/{id}/unlock"),
    ] {
        let r = c
            .http
            .post(format!("{}/api/v1{path}", c.base))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body("{broken")
            .send()
            .await
            .unwrap();
        assert!(
            (400..500).contains(&r.status().as_u16()),
            "{path}: {}",
            r.status()
        );
    }
    // Refusals may be audited, but nothing else changed.
    let after = snapshot().await;
    assert!(before.0 == after.0, "org tree unchanged");
    assert_eq!(
        (&before.1, before.2, before.3, before.4),
        (&after.1, after.2, after.3, after.4),
        "the account unchanged"
    );
    assert_eq!(before.5, after.5, "settings unchanged");
    assert_eq!(before.6, after.6, "roles unchanged");
    // The audit chain moved only by refusals: no change was recorded.
    let mut conn = s.app.db.read().await.unwrap();
    let changes: Vec<String> = sqlx::query(
        "SELECT action FROM audit_events WHERE seq > $1 AND outcome = 'ok' ORDER BY seq",
    )
    .bind(head_before)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| sqlx::Row::get::<String, _>(r, "action"))
    .collect();
    assert_eq!(changes, Vec::<String>::new(), "changes recorded");
}

/// What each form answers to a valid token with nonsense values: the
/// field errors (422), or the refusal the state calls for.
const EXPECTED_REFUSALS: &[(&str, u16)] = &[
    ("/account/profile", 422),
    ("/account/password", 422),
    ("/admin/accounts/ID/disable", 422),
    // Already enabled, and not locked: the state refuses, by name.
    ("/admin/accounts/ID/enable", 409),
    ("/admin/accounts/ID/unlock", 409),
    ("/admin/accounts/ID/roles", 422),
    ("/admin/accounts/ID/roles/999999/revoke", 404),
    ("/admin/org", 422),
    ("/admin/org/1", 422),
    ("/admin/org/1/move", 422),
    ("/admin/org/1/delete", 422),
    ("/admin/settings", 422),
];

/// Text an audit event may carry (a login, a browser's user agent, a
/// reason typed by an admin) that a JSON round trip could bend.
const AWKWARD: &str =
    "臺南市政府 \"quoted\" 'single' back\\slash tab\t line\nfeed \u{1} \u{7f} \u{2028} 🙂 é";

#[tokio::test]
async fn a_group_commit_of_any_size_is_written_in_order_and_the_chain_holds() {
    let s = TestServer::start(1).await;
    let before = s.app.verify_audit_chain().await.unwrap().head_seq;
    let mut expected = before;
    for n in [1usize, 3, 85, 150] {
        let events: Vec<portico_store::audit::NewEvent> = (0..n)
            .map(|i| portico_store::audit::NewEvent {
                actor_login: "system".into(),
                action: "test.group".into(),
                target_kind: "batch".into(),
                target_label: format!("{n}"),
                detail: format!("{{\"i\":{i}}}"),
                user_agent: AWKWARD.into(),
                ..Default::default()
            })
            .collect();
        let now = s.app.now();
        let with_time: Vec<_> = events.iter().map(|e| (e, now)).collect();
        let mut tx = s.app.db.begin().await.unwrap();
        let seqs = portico_store::audit::append_many(&mut tx, &with_time)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let want: Vec<i64> = (expected + 1..=expected + n as i64).collect();
        assert_eq!(seqs, want, "a batch of {n}: consecutive numbers, in order");
        expected += n as i64;
    }
    let mut c = s.app.db.read().await.unwrap();
    let details: Vec<String> = sqlx::query(
        "SELECT detail FROM audit_events WHERE action = 'test.group' AND target_label = '85' ORDER BY seq",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap()
    .iter()
    .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
    .collect();
    drop(c);
    let want: Vec<String> = (0..85).map(|i| format!("{{\"i\":{i}}}")).collect();
    assert_eq!(details, want, "the rows of a batch keep their order");
    let v = s.app.verify_audit_chain().await.unwrap();
    assert!(v.first_break.is_none(), "{v:?}");
    assert_eq!(v.head_seq, expected);
}

/// The group commit's one-round-trip append: written only after the head it
/// was given, nothing when another transaction appended meanwhile, nothing
/// (and no transaction left open) when it fails part-way.
#[tokio::test]
async fn the_one_trip_append_writes_after_its_head_only_and_leaves_nothing_open_when_it_fails() {
    use portico_store::audit::{self, NewEvent};
    let s = TestServer::start(1).await;
    let ev = |label: &str| NewEvent {
        actor_login: "system".into(),
        action: "test.one_trip".into(),
        target_kind: "batch".into(),
        target_label: label.into(),
        user_agent: AWKWARD.into(),
        reason: AWKWARD.into(),
        detail: serde_json::json!({ "said": AWKWARD }).to_string(),
        ..Default::default()
    };
    let now = s.app.now();
    let head = |s: &TestServer| {
        let db = s.app.db.clone();
        async move { audit::head(&mut db.read().await.unwrap()).await.unwrap() }
    };
    // Written after the head it was given, in one trip.
    let h0 = head(&s).await;
    let (a, b) = (ev("a"), ev("b"));
    let (seqs, h1) = audit::append_after(
        &mut s.app.db.autocommit().await.unwrap(),
        &h0,
        &[(&a, now), (&b, now)],
    )
    .await
    .unwrap()
    .expect("the head had not moved");
    assert_eq!(seqs, vec![h0.0 + 1, h0.0 + 2]);
    assert_eq!(head(&s).await, h1, "the head is the one it answered");
    let stored = audit::get(&mut s.app.db.read().await.unwrap(), h0.0 + 2)
        .await
        .unwrap()
        .expect("row");
    assert_eq!(
        stored.user_agent, AWKWARD,
        "text survives the JSON trip unchanged"
    );
    assert_eq!(stored.reason, AWKWARD);
    // Given a head that has moved since (another transaction appended):
    // nothing written, the head as the other left it.
    let c = ev("c");
    let mut tx = s.app.db.begin().await.unwrap();
    audit::append_many(&mut tx, &[(&c, now)]).await.unwrap();
    tx.commit().await.unwrap();
    let h2 = head(&s).await;
    let stale = audit::append_after(&mut s.app.db.autocommit().await.unwrap(), &h1, &[(&a, now)])
        .await
        .unwrap();
    assert!(stale.is_none(), "a stale head writes nothing");
    assert_eq!(head(&s).await, h2);
    // Failing part-way (a row already holds the next number): an error,
    // the head unmoved, and the writer's connection usable again.
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor_login, action, target_kind, target_label, scope_path, ip, \
         user_agent, outcome, reason, detail, prev_hash, hash) \
         VALUES ($1, 0, 'x', 'test.squat', 'x', 'x', '', '', '', 'ok', '', '{}', 'x', 'x')",
    )
    .bind(h2.0 + 1)
    .execute(&mut *s.app.db.autocommit().await.unwrap())
    .await
    .unwrap();
    let failed =
        audit::append_after(&mut s.app.db.autocommit().await.unwrap(), &h2, &[(&a, now)]).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(head(&s).await, h2, "rolled back: the head unmoved");
    let mut tx = s
        .app
        .db
        .begin()
        .await
        .expect("no transaction left open on the writer");
    sqlx::query("UPDATE settings SET updated_by = updated_by WHERE 1 = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let rows: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'test.one_trip'")
            .fetch_one(&mut *s.app.db.read().await.unwrap())
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(
        rows, 3,
        "a, b and c: nothing from the stale or the failed append"
    );
}

#[tokio::test]
async fn a_unit_is_created_and_edited_through_the_page_form_as_a_browser_sends_it() {
    let s = TestServer::start(5).await;
    let (parent, parent_oid) = {
        let mut c = s.app.db.read().await.unwrap();
        let r = sqlx::query("SELECT id, oid FROM org_units WHERE name = '民政局'")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        (
            sqlx::Row::get::<i64, _>(&r, "id").to_string(),
            sqlx::Row::get::<String, _>(&r, "oid"),
        )
    };
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let oid = format!("{parent_oid}.991");
    // Every field the page's form sends, the order among them.
    let fields = |order: &'static str, oid: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("parent", parent.clone()),
            ("kind", "unit".to_owned()),
            ("name", "測試科".to_owned()),
            ("oid", oid.to_owned()),
            ("sort_order", order.to_owned()),
            ("enabled", "on".to_owned()),
        ]
    };
    let form = fields("3", &oid);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body, loc) = admin.post_form("/admin/org", &form).await;
    assert_eq!(st, 303, "{body}");
    let id: i64 = between(&loc, "/admin/org/", "?")
        .parse()
        .expect("the new unit's id");
    // A number that is not one: beside its field, nothing created.
    let bad = fields("abc", &format!("{parent_oid}.992"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body, _) = admin.post_form("/admin/org", &bad).await;
    assert_eq!(st, 422);
    assert!(
        body.contains("排序須為 0 至 9999 的整數"),
        "the order's own message"
    );
    // Edited through its page, order included.
    let edit = fields("7", &oid);
    let edit: Vec<(&str, &str)> = edit.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body, _) = admin.post_form(&format!("/admin/org/{id}"), &edit).await;
    assert_eq!(st, 303, "{body}");
    let mut c = s.app.db.read().await.unwrap();
    let r = sqlx::query("SELECT sort_order FROM org_units WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(sqlx::Row::get::<i64, _>(&r, "sort_order"), 7);
    drop(c);
    // A refused move keeps the edit form as stored and says why under the
    // move form (the new-user review: a save after it disabled the unit).
    let edu = {
        let mut c = s.app.db.read().await.unwrap();
        let r = sqlx::query("SELECT id FROM org_units WHERE name = '教育局'")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        sqlx::Row::get::<i64, _>(&r, "id").to_string()
    };
    let (st, page, _) = admin
        .post_form(
            &format!("/admin/org/{id}/move"),
            &[("_csrf", &csrf), ("parent", &edu), ("oid", &oid)],
        )
        .await;
    assert_eq!(st, 422, "the OID is not under 教育局's");
    assert!(
        page.contains("value=\"測試科\""),
        "the name as stored: {page}"
    );
    assert!(
        page.contains("name=\"enabled\" type=\"checkbox\" checked"),
        "still enabled"
    );
    assert!(page.contains("value=\"7\""), "the order as stored");
    let err = between(&page, "id=\"move-oid-err\" class=\"err\">", "</p>");
    assert!(!err.is_empty(), "the error under the move form: {page}");
    let opt = between(&page, &format!("<option value=\"{edu}\""), ">");
    assert!(opt.ends_with("selected"), "the chosen parent kept: {opt}");
}

#[tokio::test]
async fn unknown_pages_bad_ids_and_wrong_methods_answer_in_the_persons_language() {
    let s = TestServer::start(5).await;
    let mut anon = s.client();
    let (st, body) = anon.get("/no-such-page").await;
    assert_eq!(st, 404);
    assert!(
        body.contains("找不到這個頁面或資料"),
        "a page, not an empty body"
    );
    let mut admin = s.signed_in("admin").await;
    for path in [
        "/admin/org/abc",
        "/records/abc",
        "/admin/requests/abc",
        "/apps/abc",
    ] {
        let (st, body) = admin.get(path).await;
        assert_eq!(st, 404, "{path}");
        assert!(body.contains("找不到這個頁面或資料"), "{path}: {body}");
        assert!(!body.contains("Cannot parse"), "{path}: no framework text");
    }
    let (st, body) = admin.api_get("/accounts/abc").await;
    assert_eq!(st, 404);
    assert_eq!(body["error"], "not_found");
    let (st, body) = admin.api_get("/no-such-thing").await;
    assert_eq!(st, 404);
    assert_eq!(body["error"], "not_found");
    let r = anon
        .http
        .delete(format!("{}/login", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.text().await.unwrap().contains("此網址不接受這種請求方式"));
    // Reloading where a form step landed leads back to its page (issue 12
    // §2.4: after 寄送驗證碼 the address bar holds /apply/email).
    for (step, page) in [
        ("/apply/email", "/apply"),
        ("/forgot/send", "/forgot"),
        ("/admin/requests/decide", "/admin/requests"),
    ] {
        let (st, _, loc) = admin.get_loc(step).await;
        assert_eq!((st, loc.as_str()), (303, page), "{step}");
    }
    // A machine endpoint still says 405.
    assert_eq!(admin.get_loc("/oauth2/token").await.0, 405);
}

#[tokio::test]
async fn the_audit_pages_links_keep_the_filters() {
    let s = TestServer::start(5).await;
    let mut admin = s.signed_in("admin").await;
    let (st, body) = admin.get("/admin/audit?actor=admin&outcome=ok").await;
    assert_eq!(st, 200);
    // The export sends the same form, filters and all.
    let form = between(&body, "class=\"filters\"", "</form>");
    assert!(
        form.contains("formaction=\"/admin/audit/export.xlsx\""),
        "{form}"
    );
    assert!(form.contains("name=\"actor\" value=\"admin\""), "{form}");
    assert!(
        form.contains("value=\"ok\" selected"),
        "the outcome stays chosen: {form}"
    );
    assert!(
        !body.contains("&amp;amp;") && !body.contains("&#38;amp;"),
        "nothing escaped twice"
    );
}

/// Issue 12 §2.2 and §2.5: the audit trail speaks in words — the list,
/// one event (its detail as labelled fields), the action filter and the
/// export — and the export holds exactly the rows the filters select
/// (the downloaded file is opened and its rows counted).
#[tokio::test]
async fn the_audit_trail_speaks_in_words_and_its_export_keeps_the_filters() {
    let s = TestServer::start(5).await;
    for _ in 0..3 {
        s.sign_in("staff", "Wrong#Pass1").await;
    }
    let mut admin = s.signed_in("admin").await;
    let (_, list) = admin
        .get("/admin/audit?action=auth.sign_in&outcome=failed")
        .await;
    assert!(list.contains("（密碼錯誤）"), "reasons in words");
    assert!(
        list.contains("<option value=\"auth.\""),
        "the filter is a choice of actions"
    );
    assert!(
        list.contains("selected>登入</option>"),
        "{}",
        between(&list, "id=\"action\"", "</select>")
    );
    let seq = between(&list, "序號\"><a href=\"/admin/audit/", "\"");
    let (_, one) = admin.get(&format!("/admin/audit/{seq}")).await;
    assert!(
        one.contains("<dt>登入方式</dt><dd>一般登入</dd>"),
        "{}",
        between(&one, "<h1>", "</section>")
    );
    assert!(!one.contains("{&quot;"), "no raw JSON");

    let (_, api) = admin
        .api_get("/audit?action=auth.sign_in&outcome=failed")
        .await;
    let want = api["total"].as_i64().expect("total");
    assert_eq!(want, 3);
    let csrf = admin.csrf().await;
    let (st, xlsx) = admin
        .get_bytes(&format!(
            "/admin/audit/export.xlsx?action=auth.sign_in&outcome=failed&reason_kind=other&reason=資安事件調查&_csrf={csrf}"
        ))
        .await;
    assert_eq!(st, 200);
    // Read as any spreadsheet reader would: the sheet's rows, and its text.
    let (rows, text) = common::workbook_text(&xlsx);
    assert_eq!(
        rows,
        want + 1,
        "a header and one row per event the filters select"
    );
    assert!(text.contains("登入（auth.sign_in）"), "the action in words");
    assert!(text.contains("密碼錯誤"), "the reason in words");
    assert!(text.contains("登入方式：一般登入"), "the detail as fields");
}

/// `portico audit verify` checks what is there: a database that is not
/// there is an error (and is not created), not an empty chain reported
/// intact.
#[test]
fn audit_verify_refuses_a_database_that_is_not_there_and_checks_one_that_is() {
    let dir = std::env::temp_dir().join(format!("portico-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("nowhere.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(args)
            .env("PORTICO_DATABASE_URL", format!("sqlite://{}", db.display()))
            .current_dir(&dir)
            .output()
            .expect("portico runs")
    };
    let out = run(&["audit", "verify"]);
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("沒有資料庫") && err.contains("No database at"),
        "{err}"
    );
    assert!(!db.exists(), "verifying created the database");
    assert!(run(&["migrate"]).status.success());
    let out = run(&["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Audit chain intact"),
        "{out:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A write another site's page sends is refused before any handler, the
/// CSRF token notwithstanding: a page form, the JSON API and a signed-out
/// flow. The OpenID endpoints, which relying parties call from their own
/// sites, are not.
#[tokio::test]
async fn a_write_sent_by_another_site_is_refused_on_pages_and_the_api_but_not_at_the_token_endpoint()
 {
    let s = TestServer::start(5).await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let staff = s.account_id("staff").await;
    let http = s.client().http;
    let outbox = |s: &TestServer| {
        let db = s.app.db.clone();
        async move {
            sqlx::Row::get::<i64, _>(
                &sqlx::query("SELECT COUNT(*) AS n FROM outbox")
                    .fetch_one(&mut *db.read().await.unwrap())
                    .await
                    .unwrap(),
                "n",
            )
        }
    };
    let mails = outbox(&s).await;
    let foreign = [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ];
    for (name, value) in foreign {
        let r = http
            .post(format!("{}/admin/accounts/{staff}/disable", s.base))
            .header("cookie", &admin.cookie)
            .header(name, value)
            .form(&[("_csrf", csrf.as_str()), ("reason", "跨站")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "page form, {name}: {value}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("其他網站送來的請求不予受理")
        );
        let r = http
            .put(format!("{}/api/v1/settings", s.base))
            .header("cookie", &admin.cookie)
            .header("x-csrf-token", &csrf)
            .header(name, value)
            .json(&serde_json::json!({"session_idle_minutes": 20}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "API, {name}: {value}");
        let body: serde_json::Value = r.json().await.expect("the API answers JSON");
        assert!(body.to_string().contains("not accepted"), "{body}");
        let r = http
            .post(format!("{}/forgot/send", s.base))
            .header(name, value)
            .form(&[("email", "staff@example.net"), ("method", "email")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "signed-out flow, {name}: {value}");
    }
    // Nothing changed: the account is active, the setting as it was.
    let state = |s: &TestServer| {
        let db = s.app.db.clone();
        async move {
            sqlx::Row::get::<String, _>(
                &sqlx::query("SELECT state FROM accounts WHERE id = $1")
                    .bind(staff)
                    .fetch_one(&mut *db.read().await.unwrap())
                    .await
                    .unwrap(),
                "state",
            )
        }
    };
    assert_eq!(state(&s).await, "active");
    assert_eq!(outbox(&s).await, mails, "no code was sent");
    assert_ne!(
        admin.api_get("/settings").await.1["session_idle_minutes"],
        20
    );
    // The portal's own page may.
    let r = http
        .post(format!("{}/admin/accounts/{staff}/disable", s.base))
        .header("cookie", &admin.cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[("_csrf", csrf.as_str()), ("reason", "本站操作")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(state(&s).await, "disabled");
    // A relying party's site may post to the token endpoint: the answer is
    // OAuth's (a bad client here), not the cross-site refusal.
    let r = http
        .post(format!("{}/oauth2/token", s.base))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://rp.example")
        .basic_auth("portico-sample", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

/// Issue 12 §2.6: the org tree does not scale as one flat table. It is
/// folded to its agencies, opens one at a time, and is searched by name
/// (each unit found named with its agency) or OID; pickers name the whole
/// path.
#[tokio::test]
async fn the_org_tree_folds_to_agencies_opens_one_and_is_searched() {
    let s = TestServer::start(5).await;
    let mut admin = s.signed_in("admin").await;
    let (_, folded) = admin.get("/admin/org").await;
    assert!(folded.contains(">民政局</a>"), "the agencies");
    assert!(
        !folded.contains(">行政科</a>"),
        "no units until an agency is opened"
    );
    let civil = {
        let i = folded.find(">民政局</a>").unwrap();
        let row = &folded[..i];
        let at = row.rfind("id=\"u").unwrap();
        between(&row[at..], "id=\"u", "\"")
    };
    let (_, opened) = admin.get(&format!("/admin/org?open={civil}")).await;
    assert!(opened.contains(">行政科</a>"), "the opened agency's units");
    assert!(opened.contains("aria-expanded=\"true\""));
    let (_, found) = admin.get("/admin/org?q=%E8%A1%8C%E6%94%BF%E7%A7%91").await; // 行政科
    assert!(
        found.contains("民政局／行政科") && found.contains("教育局／行政科"),
        "named with their agencies"
    );
    // The parent picker says whose 行政科 each is.
    assert!(
        folded.contains("民政局／行政科</option>"),
        "{}",
        between(&folded, "id=\"parent\"", "</select>")
            .chars()
            .take(300)
            .collect::<String>()
    );
}
