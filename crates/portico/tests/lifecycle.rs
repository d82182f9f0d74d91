//! The account lifecycle through its pages (issue 3): apply after verifying
//! a backup e-mail, modify, review, activate, forgot password — on a real
//! server and database. Mail goes to the outbox, where the tests read codes
//! the way a person reads their mail.
mod common;

use common::{Client, TestServer, between};
use portico_app::demo::DEMO_PASSWORD;
use portico_core::national_id::NationalId;

fn nid(n: u32) -> String {
    NationalId::with_check_digit('Z', &format!("1{n:07}"))
        .expect("valid id")
        .as_str()
        .to_owned()
}

/// The id of a deepest unit: `agency/section`.
async fn leaf(s: &TestServer, agency: &str, section: &str) -> i64 {
    let tree = s.app.org_tree().await.expect("tree");
    let a = tree
        .units
        .iter()
        .find(|u| u.name == agency)
        .expect("agency");
    tree.units
        .iter()
        .find(|u| u.name == section && a.path.contains(&u.path) && tree.is_leaf(u))
        .map(|u| u.id.0)
        .expect("leaf unit")
}

/// Verifies `email` for an application; returns the client holding the proof.
async fn verified_for_apply(s: &TestServer, email: &str) -> Client {
    let mut c = s.client();
    assert_eq!(c.get("/apply").await.0, 200);
    let (st, page, _) = c.post_form("/apply/email", &[("email", email)]).await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("驗證碼已寄至"), "{page}");
    let code = s.code_sent_to(email).await;
    let (st, _, to) = c
        .post_form("/apply/code", &[("email", email), ("code", &code)])
        .await;
    assert_eq!((st, to.as_str()), (303, "/apply/form"));
    c
}

#[allow(clippy::too_many_arguments)]
fn application<'a>(
    national_id: &'a str,
    login: &'a str,
    name: &'a str,
    unit: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("national_id", national_id),
        ("login", login),
        ("needs_official_mail", "yes"),
        ("name", name),
        ("unit", unit),
        ("title", "科員"),
        ("office_phone", "2991111"),
        ("office_ext", "8123"),
        ("note", "新進人員"),
    ]
}

/// Applies for `login` in 民政局/業務一科; returns the account id.
async fn apply(s: &TestServer, email: &str, login: &str, n: u32) -> i64 {
    let mut c = verified_for_apply(s, email).await;
    let unit = leaf(s, "民政局", "業務一科").await.to_string();
    let id = nid(n);
    let (st, page, _) = c
        .post_form("/apply/form", &application(&id, login, "陳小華", &unit))
        .await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("已送出申請"), "{page}");
    s.account_id(login).await
}

async fn request_id_of(s: &TestServer, account: i64) -> i64 {
    let mut c = s.app.db.read().await.expect("conn");
    let r = portico_store::requests::open_of(
        &mut c,
        portico_core::ids::AccountId(account),
        portico_core::request::RequestKind::NewAccount,
    )
    .await
    .expect("query")
    .expect("an open request");
    r.id
}

async fn state_of(s: &TestServer, login: &str) -> String {
    let mut c = s.app.db.read().await.expect("conn");
    portico_store::accounts::find_by_login(&mut c, login)
        .await
        .expect("query")
        .expect("account")
        .state
        .as_str()
        .to_owned()
}

async fn approve(admin: &mut Client, ids: &[i64], decision: &str, note: &str) -> (u16, String) {
    let csrf = admin.csrf().await;
    let mut form: Vec<(&str, String)> = vec![
        ("_csrf", csrf),
        ("decision", decision.to_owned()),
        ("note", note.to_owned()),
    ];
    for id in ids {
        form.push(("ids", id.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body, loc) = admin.post_form("/admin/requests/decide", &form).await;
    (st, if st == 303 { loc } else { body })
}

async fn activate(s: &TestServer, login: &str, password: &str) -> (u16, String) {
    let a = s.account_id(login).await;
    let email = {
        let mut conn = s.app.db.read().await.expect("conn");
        portico_store::accounts::get(&mut conn, portico_core::ids::AccountId(a))
            .await
            .unwrap()
            .unwrap()
            .backup_email
    };
    let (mut c, to) = verified_account(s, "/activate", "email", &email).await;
    assert_eq!(to, "/activate/password");
    let (st, page, _) = c
        .post_form(
            "/activate/password",
            &[("new_password", password), ("confirm_password", password)],
        )
        .await;
    (st, page)
}

#[tokio::test]
async fn apply_then_approve_then_activate_then_sign_in() {
    let s = TestServer::start(40).await;
    let before = s.account_count().await;
    let id = apply(&s, "chen.hua@example.org", "chenhua", 1).await;
    assert_eq!(s.account_count().await, before + 1);
    assert_eq!(state_of(&s, "chenhua").await, "pending");
    let (subject, body) = s.last_message_to("chen.hua@example.org").await.unwrap();
    assert!(subject.contains("已收到您的帳號申請"), "{subject}");
    assert!(body.contains("chenhua"));

    // Pending: there is no password yet, so nothing signs in.
    let (_, st, _) = s.sign_in("chenhua", "Whatever#2026").await;
    assert_eq!(st, 401);

    // The agency admin of 民政局 sees it; 教育局's does not.
    let req = request_id_of(&s, id).await;
    let mut edu = s.signed_in("edu_admin").await;
    assert!(!edu.get("/admin/requests").await.1.contains("陳小華"));
    assert_eq!(edu.get(&format!("/admin/requests/{req}")).await.0, 404);
    let (st, to) = approve(&mut edu, &[req], "approve", "").await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/admin/requests?done=0&already=0&refused=1")
    );
    // Told it was not theirs, not that someone else decided it.
    let said = edu.get(&to).await.1;
    assert!(said.contains("1 件不在您的管理範圍"), "{said}");
    assert!(!said.contains("已由其他管理者處理"), "{said}");
    assert_eq!(
        state_of(&s, "chenhua").await,
        "pending",
        "outside scope: nothing changed"
    );

    let mut civil = s.signed_in("civil_admin").await;
    // The number waiting is on the admin's home page.
    let home = civil.get("/").await.1;
    let waiting = common::between(&home, "待簽核：", " 件");
    assert!(waiting.parse::<i64>().unwrap() >= 1, "{waiting}");
    let queue = civil.get("/admin/requests").await.1;
    assert!(
        queue.contains("陳小華") && queue.contains("帳號申請"),
        "{queue}"
    );
    let detail = civil.get(&format!("/admin/requests/{req}")).await.1;
    assert!(detail.contains("Z10****"), "the ID is masked: {detail}");
    let (st, to) = approve(&mut civil, &[req], "approve", "歡迎").await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/admin/requests?done=1&already=0&refused=0")
    );
    assert_eq!(state_of(&s, "chenhua").await, "approved");
    let (subject, body) = s.last_message_to("chen.hua@example.org").await.unwrap();
    assert!(subject.contains("審核通過"), "{subject}");
    assert!(body.contains("開通帳號") && body.contains("歡迎"), "{body}");

    // Activation enforces the password policy, then the account is active.
    let (st, page) = activate(&s, "chenhua", "Ab#1").await;
    assert_eq!(st, 422, "too short");
    assert!(page.contains("密碼長度須為 8 至 15 個字元"), "{page}");
    let (st, page) = activate(&s, "chenhua", "Tainan#2027x").await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("帳號已開通"));
    assert_eq!(state_of(&s, "chenhua").await, "active");
    let (_, st, _) = s.sign_in("chenhua", "Tainan#2027x").await;
    assert_eq!(st, 303, "signs in");

    // Every step is in the audit trail.
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (_, trail) = admin
        .api_get_with_token(
            "/audit?actor=chenhua&reason_kind=case&reason=R115-0042",
            &csrf,
        )
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["application.submit", "account.activate"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (_, trail) = admin.api_get("/audit?action=request.approve").await;
    assert_eq!(trail["items"][0]["reason"], "歡迎");
}

#[tokio::test]
async fn backup_email_rules_004_official_domain_refused_and_bound_address_told_by_mail() {
    let s = TestServer::start(20).await;
    let mut c = s.client();
    let (st, page, _) = c
        .post_form("/apply/email", &[("email", "someone@mail.tainan.gov.tw")])
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("備用電子郵件不可使用公務信箱"), "{page}");
    let (st, page, _) = c
        .post_form("/apply/email", &[("email", "not-an-address")])
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("電子郵件格式不正確"));
    assert_eq!(s.messages_to("someone@mail.tainan.gov.tw").await, 0);

    // staff@example.net is bound to a demo account: the page answers as for
    // any address; the mail says it cannot be used, and carries no code.
    let (st, page, _) = c
        .post_form("/apply/email", &[("email", "Staff@Example.NET")])
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("驗證碼已寄至"));
    let (subject, body) = s.last_message_to("staff@example.net").await.unwrap();
    assert!(subject.contains("無法用於申請"), "{subject}");
    assert!(common::code_in(&body).is_none());
}

#[tokio::test]
async fn codes_are_single_use_expire_and_die_after_five_wrong_tries() {
    let s = TestServer::start(20).await;
    let email = "codes@example.org";
    let mut c = s.client();
    c.post_form("/apply/email", &[("email", email)]).await;
    let code = s.code_sent_to(email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (st, page, _) = c
            .post_form("/apply/code", &[("email", email), ("code", wrong)])
            .await;
        assert_eq!(st, 422);
        assert!(page.contains("驗證碼錯誤或已失效"));
    }
    let (st, _, _) = c
        .post_form("/apply/code", &[("email", email), ("code", &code)])
        .await;
    assert_eq!(st, 422, "the right code after five wrong tries is refused");
    let (st, page, _) = c
        .post_form("/apply/code", &[("email", email), ("code", "12ab")])
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("驗證碼為 6 位數字"));

    // A new code works once, and not after 10 minutes.
    c.post_form("/apply/email", &[("email", email)]).await;
    let code = s.code_sent_to(email).await;
    let (st, _, _) = c
        .post_form("/apply/code", &[("email", email), ("code", &code)])
        .await;
    assert_eq!(st, 303);
    let mut other = s.client();
    let (st, _, _) = other
        .post_form("/apply/code", &[("email", email), ("code", &code)])
        .await;
    assert_eq!(st, 422, "single use");
    other.post_form("/apply/email", &[("email", email)]).await;
    let code = s.code_sent_to(email).await;
    s.clock.advance(time::Duration::minutes(11));
    let (st, _, _) = other
        .post_form("/apply/code", &[("email", email), ("code", &code)])
        .await;
    assert_eq!(st, 422, "expired");
}

#[tokio::test]
async fn sending_codes_is_rate_limited_per_address() {
    let s = TestServer::start(20).await;
    let mut c = s.client();
    for _ in 0..5 {
        let (st, _) = s
            .flow_send(&mut c, "/forgot", "email", "staff@example.net")
            .await;
        assert_eq!(st, 200);
    }
    let (st, page) = s
        .flow_send(&mut c, "/forgot", "email", "staff@example.net")
        .await;
    assert_eq!(st, 409);
    assert!(page.contains("驗證碼寄送次數過多"), "{page}");
    // An address bound to nothing meets the same limit: the answer
    // reveals nothing.
    for _ in 0..5 {
        s.flow_send(&mut c, "/forgot", "email", "nobody@example.org")
            .await;
    }
    let (st, _) = s
        .flow_send(&mut c, "/forgot", "email", "nobody@example.org")
        .await;
    assert_eq!(st, 409);
}

#[tokio::test]
async fn a_bad_application_gets_every_field_message_and_creates_nothing() {
    let s = TestServer::start(20).await;
    let mut c = verified_for_apply(&s, "bad.apply@example.org").await;
    let before = s.account_count().await;
    let agency = {
        let tree = s.app.org_tree().await.unwrap();
        tree.units.iter().find(|u| u.name == "民政局").unwrap().id.0
    };
    let bad_id = "A123456788"; // checksum wrong
    let agency = agency.to_string();
    let mut form = application(bad_id, "ab", "", &agency);
    form.retain(|(k, _)| *k != "needs_official_mail" && *k != "office_phone");
    form.push(("office_phone", "(06)2991111"));
    let (st, page, _) = c.post_form("/apply/form", &form).await;
    assert_eq!(st, 422, "{page}");
    for field in [
        "national_id",
        "login",
        "needs_official_mail",
        "name",
        "unit",
        "office_phone",
    ] {
        let p = between(&page, &format!("id=\"{field}-err\""), "</p>");
        let err = p.split_once('>').map(|(_, m)| m).unwrap_or("");
        assert!(!err.is_empty(), "{field} has a message");
    }
    assert!(page.contains("請選擇到最後一層"), "004: the deepest unit");
    // 004 §參: the login may not contain the ID's digits.
    let id = nid(77);
    let digits = &id[2..6];
    let login = format!("wang{digits}");
    let unit = leaf(&s, "民政局", "業務一科").await.to_string();
    let (st, page, _) = c
        .post_form("/apply/form", &application(&id, &login, "王大明", &unit))
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("不可為身分證號"), "{page}");
    // A login that is taken.
    let (st, page, _) = c
        .post_form("/apply/form", &application(&id, "staff", "王大明", &unit))
        .await;
    assert_eq!(st, 409);
    assert!(page.contains("此帳號已被使用"));
    assert_eq!(s.account_count().await, before, "nothing created");

    // The availability check answers beside the field.
    let (_, page, _) = c
        .post_form("/apply/check-login", &application(&id, "staff", "", &unit))
        .await;
    assert!(page.contains("此帳號已被使用"));
    let (_, page, _) = c
        .post_form(
            "/apply/check-login",
            &application(&id, "free_name", "", &unit),
        )
        .await;
    assert!(page.contains("此帳號可以使用"));
    // It says who exists, so not at speed: ten a minute to one applicant.
    for i in 0..8 {
        let (_, page, _) = c
            .post_form(
                "/apply/check-login",
                &application(&id, &format!("name_{i}"), "", &unit),
            )
            .await;
        assert!(page.contains("此帳號可以使用"), "{i}");
    }
    let (_, page, _) = c
        .post_form(
            "/apply/check-login",
            &application(&id, "one_more", "", &unit),
        )
        .await;
    assert!(
        page.contains("檢查帳號的次數過多"),
        "the eleventh in a minute waits"
    );
    s.clock.advance(time::Duration::seconds(61));
    let (_, page, _) = c
        .post_form(
            "/apply/check-login",
            &application(&id, "one_more", "", &unit),
        )
        .await;
    assert!(
        page.contains("此帳號可以使用"),
        "a minute later it answers again"
    );
}

#[tokio::test]
async fn a_proof_is_needed_for_the_form_and_works_once() {
    let s = TestServer::start(20).await;
    let mut stranger = s.client();
    let (st, page) = stranger.get("/apply/form").await;
    assert_eq!(st, 401);
    assert!(page.contains("身分驗證已逾時"));
    let mut c = verified_for_apply(&s, "once@example.org").await;
    let unit = leaf(&s, "民政局", "業務一科").await.to_string();
    let id = nid(5);
    let form = application(&id, "once_user", "林一", &unit);
    assert_eq!(c.post_form("/apply/form", &form).await.0, 200);
    let id2 = nid(6);
    let again = application(&id2, "twice_user", "林二", &unit);
    let (st, _, _) = c.post_form("/apply/form", &again).await;
    assert_eq!(st, 401, "the proof was used up");
}

#[tokio::test]
async fn two_admins_deciding_the_same_application_exactly_one_counts() {
    let s = TestServer::start(20).await;
    let id = apply(&s, "race@example.org", "racer", 2).await;
    let req = request_id_of(&s, id).await;
    let mut a = s.signed_in("admin").await;
    let mut b = s.signed_in("civil_admin").await;
    let one = [req];
    let (ra, rb) = tokio::join!(
        approve(&mut a, &one, "approve", ""),
        approve(&mut b, &one, "reject", "資料不符")
    );
    let outcomes = [ra.1.clone(), rb.1.clone()];
    let done: usize = outcomes.iter().filter(|o| o.contains("done=1")).count();
    let lost: usize = outcomes
        .iter()
        .filter(|o| o.contains("done=0&already=1"))
        .count();
    assert_eq!((done, lost), (1, 1), "{outcomes:?}");
    // The final state is the winner's decision.
    let winner = if ra.1.contains("done=1") {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(state_of(&s, "racer").await, winner, "{outcomes:?}");
    // Exactly one decision mail.
    let mut c = s.app.db.read().await.unwrap();
    let n: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE recipient = 'race@example.org' AND subject LIKE '%帳號申請%'")
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(n, 2, "the receipt and one decision");
}

#[tokio::test]
async fn batch_approval_and_a_rejection_needs_a_note() {
    let s = TestServer::start(20).await;
    let mut reqs = vec![];
    for (i, login) in ["batch_a", "batch_b", "batch_c"].iter().enumerate() {
        let id = apply(&s, &format!("{login}@example.org"), login, 10 + i as u32).await;
        reqs.push(request_id_of(&s, id).await);
    }
    let mut civil = s.signed_in("civil_admin").await;
    let (st, page) = approve(&mut civil, &reqs, "reject", "").await;
    assert_eq!(st, 422);
    assert!(page.contains("退回時請填寫審核說明"), "{page}");
    assert_eq!(state_of(&s, "batch_a").await, "pending");
    let (st, to) = approve(&mut civil, &reqs, "approve", "").await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/admin/requests?done=3&already=0&refused=0")
    );
    for l in ["batch_a", "batch_b", "batch_c"] {
        assert_eq!(state_of(&s, l).await, "approved");
    }
    assert!(civil.get(&to).await.1.contains("已完成審核 3 件"));
}

#[tokio::test]
async fn a_rejected_application_is_corrected_and_resubmitted_with_id_and_email_fixed() {
    let s = TestServer::start(20).await;
    let id = apply(&s, "fixme@example.org", "fixme", 3).await;
    let req = request_id_of(&s, id).await;
    let mut civil = s.signed_in("civil_admin").await;
    approve(&mut civil, &[req], "reject", "單位選錯").await;
    assert_eq!(state_of(&s, "fixme").await, "rejected");

    let mut c = s.client();
    c.post_form("/apply/modify/email", &[("email", "fixme@example.org")])
        .await;
    let code = s.code_sent_to("fixme@example.org").await;
    let (st, _, to) = c
        .post_form(
            "/apply/modify/code",
            &[("email", "fixme@example.org"), ("code", &code)],
        )
        .await;
    assert_eq!((st, to.as_str()), (303, "/apply/modify/form"));
    let page = c.get("/apply/modify/form").await.1;
    assert!(page.contains("單位選錯"), "the reviewer's note is shown");
    assert!(page.contains("readonly"), "ID and login are fixed");
    let unit = leaf(&s, "民政局", "行政科").await.to_string();
    let other_id = nid(99);
    let mut form = application(&other_id, "changed", "陳小華", &unit);
    form.retain(|(k, _)| *k != "title");
    form.push(("title", "技士"));
    let (st, page, _) = c.post_form("/apply/modify/form", &form).await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("已更新申請內容"));
    let mut conn = s.app.db.read().await.unwrap();
    let a = portico_store::accounts::find_by_login(&mut conn, "fixme")
        .await
        .unwrap()
        .expect("the login did not change");
    assert_eq!(a.state.as_str(), "pending");
    assert_eq!(a.title, "技士");
    assert_eq!(a.national_id.as_deref(), Some(nid(3).as_str()), "ID fixed");
    assert_eq!(a.backup_email, "fixme@example.org");
    drop(conn);
    let again = request_id_of(&s, id).await;
    assert_ne!(again, req, "a new request in the queue");
}

#[tokio::test]
async fn forgot_password_sets_a_new_one_and_ends_every_session() {
    let s = TestServer::start(20).await;
    let mut old_session = s.signed_in("staff").await;
    let (mut c, to) = verified_account(&s, "/forgot", "email", "staff@example.net").await;
    assert_eq!(to, "/forgot/password");
    // The last passwords cannot come back.
    let (st, page, _) = c
        .post_form(
            "/forgot/password",
            &[
                ("new_password", DEMO_PASSWORD),
                ("confirm_password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("最近"), "{page}");
    let (st, page, _) = c
        .post_form(
            "/forgot/password",
            &[
                ("new_password", "Fresh#Start9"),
                ("confirm_password", "Fresh#Start9"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("密碼已重設"));
    assert_eq!(
        old_session.get("/account").await.0,
        303,
        "signed out everywhere"
    );
    assert_eq!(s.sign_in("staff", DEMO_PASSWORD).await.1, 401);
    assert_eq!(s.sign_in("staff", "Fresh#Start9").await.1, 303);
    let (subject, _) = s.last_message_to("staff@example.net").await.unwrap();
    assert!(subject.contains("密碼已重設"), "{subject}");
}

#[tokio::test]
async fn an_office_inside_the_network_shares_more_than_twenty_codes_an_hour() {
    let s = TestServer::start(20).await;
    let mut c = s.client();
    // Inside the government network (the tests connect from 127.0.0.1):
    // a whole office may sit behind one address, so 20 is not its limit.
    for n in 0..25 {
        let (st, page) = s
            .flow_send(
                &mut c,
                "/forgot",
                "email",
                &format!("office{n}@example.org"),
            )
            .await;
        assert_eq!(st, 200, "{n}: {page}");
    }
}

#[tokio::test]
async fn account_flows_answer_the_same_for_unknown_and_ineligible_accounts() {
    let s = TestServer::start(20).await;
    let mut c = s.client();
    let (st_known, known) = s
        .flow_send(&mut c, "/activate", "email", "staff@example.net")
        .await;
    let (st_unknown, unknown) = s
        .flow_send(&mut c, "/activate", "email", "no_such_one@example.net")
        .await;
    assert_eq!((st_known, st_unknown), (200, 200));
    let strip = |p: &str, l: &str| p.replace(l, "WHO");
    assert_eq!(
        strip(&known, "staff@example.net"),
        strip(&unknown, "no_such_one@example.net")
    );
    // staff is active, not awaiting activation: no code was sent.
    assert!(
        s.last_message_to("staff@example.net").await.is_none(),
        "nothing mailed"
    );
    // "approved" awaits activation and gets a code.
    s.flow_send(&mut c, "/activate", "email", "approved@example.net")
        .await;
    assert!(s.last_message_to("approved@example.net").await.is_some());
}

#[tokio::test]
async fn account_flows_ask_the_seeds_fields_and_a_captcha_before_a_code() {
    // 004 L691, L883, L928: the backup e-mail or the mobile, with a
    // captcha; L588, L834: mobile ID asks the 身分證字號.
    let s = TestServer::start(20).await;
    let mut c = s.client();
    let page = c.get("/activate").await.1;
    assert!(
        page.contains("name=\"email\"") && page.contains("name=\"captcha\""),
        "{page}"
    );
    assert!(!page.contains("name=\"login\""), "no login name asked");
    // Without mobile ID configured here, e-mail is the only check.
    assert!(!page.contains("check-choices"), "{page}");
    assert!(
        !page.contains("?by=sms"),
        "activation offers no SMS (004 L570)"
    );
    let page = c.get("/forgot?by=sms").await.1;
    assert!(
        page.contains("name=\"mobile\"") && page.contains("name=\"captcha\""),
        "{page}"
    );
    assert!(
        page.contains("?by=email") && !page.contains("?by=card"),
        "{page}"
    );
    // A wrong captcha sends nothing and says so at the field; the captcha
    // is spent.
    let page = c.get("/forgot?by=email").await.1;
    let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
    let form = [
        ("method", "email"),
        ("email", "staff@example.net"),
        ("captcha_id", cid.as_str()),
        ("captcha", "WRONG"),
    ];
    let (st, page, _) = c.post_form("/forgot/send", &form).await;
    assert_eq!(st, 422, "{page}");
    assert!(page.contains("驗證碼錯誤或已過期"), "{page}");
    assert!(s.last_message_to("staff@example.net").await.is_none());
    let answer = s.unspent_captcha(&cid).await;
    assert!(answer.is_none(), "the captcha cannot be tried again");
    // A malformed address is named at the field.
    let page = c.get("/forgot?by=email").await.1;
    let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
    let (st, page, _) = c
        .post_form(
            "/forgot/send",
            &[
                ("method", "email"),
                ("email", "not-an-address"),
                ("captcha_id", &cid),
                ("captcha", "x"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        page.contains("id=\"email\"") && page.contains("aria-invalid=\"true\""),
        "{page}"
    );
    // Activation does not send by SMS, whatever the form says.
    let (st, _, _) = c
        .post_form(
            "/activate/send",
            &[
                ("method", "sms"),
                ("mobile", "0912345678"),
                ("captcha_id", &cid),
                ("captcha", "x"),
            ],
        )
        .await;
    assert_eq!(st, 422);
}

#[tokio::test]
async fn a_forgotten_login_name_goes_to_the_bound_backup_email_alone() {
    // Seeds 000 and 001 offer 忘記帳號 beside 忘記密碼.
    let s = TestServer::start(20).await;
    let mut c = s.client();
    let remind = async |c: &mut Client, email: &str| {
        let page = c.get("/forgot-login").await.1;
        let cid = between(&page, "name=\"captcha_id\" value=\"", "\"");
        let answer = s.captcha_answer(&cid).await;
        c.post_form(
            "/forgot-login",
            &[("email", email), ("captcha_id", &cid), ("captcha", &answer)],
        )
        .await
    };
    let (st, known, _) = remind(&mut c, "staff@example.net").await;
    let (st2, unknown, _) = remind(&mut c, "nobody@example.org").await;
    assert_eq!((st, st2), (200, 200));
    assert_eq!(
        known.replace("staff@example.net", "WHO"),
        unknown.replace("nobody@example.org", "WHO"),
        "the same answer either way"
    );
    let (subject, body) = s
        .last_message_to("staff@example.net")
        .await
        .expect("mailed");
    assert!(subject.contains("帳號查詢"), "{subject}");
    assert!(body.contains("staff（啟用）"), "{body}");
    assert!(s.last_message_to("nobody@example.org").await.is_none());
    // Reminders count against the address's send limit like codes.
    for _ in 0..4 {
        remind(&mut c, "staff@example.net").await;
    }
    let (st, page, _) = remind(&mut c, "staff@example.net").await;
    assert_eq!(st, 409, "{page}");
}

/// Verifies `login` through an account flow (`/reinstate`, `/admins`,
/// `/forgot` …) by a code to `to`; returns the client and where it went.
async fn verified_account(s: &TestServer, flow: &str, method: &str, to: &str) -> (Client, String) {
    let mut c = s.client();
    let (st, page) = s.flow_send(&mut c, flow, method, to).await;
    assert_eq!(st, 200, "{page}");
    let code = s.code_sent_to(to).await;
    let field = if method == "sms" { "mobile" } else { "email" };
    let (st, _, next) = c
        .post_form(
            &format!("{flow}/code"),
            &[("method", method), (field, to), ("code", &code)],
        )
        .await;
    assert_eq!(st, 303);
    (c, next)
}

async fn open_request(
    s: &TestServer,
    login: &str,
    kind: portico_core::request::RequestKind,
) -> Option<portico_store::requests::Request> {
    let id = s.account_id(login).await;
    let mut c = s.app.db.read().await.unwrap();
    portico_store::requests::open_of(&mut c, portico_core::ids::AccountId(id), kind)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_disabled_account_is_reinstated_in_its_new_unit_and_activated_again() {
    let s = TestServer::start(20).await;
    let (mut c, next) = verified_account(&s, "/reinstate", "email", "disabled@example.net").await;
    assert_eq!(next, "/reinstate/form");
    let page = c.get("/reinstate/form").await.1;
    assert!(page.contains("個人帳號復用"));
    let unit = leaf(&s, "教育局", "行政科").await.to_string();
    let (st, page, _) = c
        .post_form(
            "/reinstate/form",
            &[("unit", ""), ("title", ""), ("reason", "")],
        )
        .await;
    assert_eq!(st, 422, "{page}");
    let (st, page, _) = c
        .post_form(
            "/reinstate/form",
            &[("unit", &unit), ("title", "輔導員"), ("reason", "復職")],
        )
        .await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("已送出復用申請"));
    let r = open_request(
        &s,
        "disabled",
        portico_core::request::RequestKind::Reinstate,
    )
    .await
    .expect("queued");
    // The new unit's agency decides: 教育局, not 民政局.
    let mut civil = s.signed_in("civil_admin").await;
    assert_eq!(civil.get(&format!("/admin/requests/{}", r.id)).await.0, 404);
    let mut edu = s.signed_in("edu_admin").await;
    let (st, to) = approve(&mut edu, &[r.id], "approve", "").await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/admin/requests?done=1&already=0&refused=0")
    );
    let mut conn = s.app.db.read().await.unwrap();
    let a = portico_store::accounts::find_by_login(&mut conn, "disabled")
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    assert_eq!(
        (a.state.as_str(), a.agency_name.as_str(), a.title.as_str()),
        ("approved", "教育局", "輔導員")
    );
    // 004 L635: a reinstated account must not bring back a password it
    // used before.
    let (st, page) = activate(&s, "disabled", portico_app::demo::DEMO_PASSWORD).await;
    assert_eq!(st, 422, "the old password is refused: {page}");
    assert!(page.contains("最近"), "{page}");
    let (st, _) = activate(&s, "disabled", "Back#Again2027").await;
    assert_eq!(st, 200);
    assert_eq!(s.sign_in("disabled", "Back#Again2027").await.1, 303);
}

#[tokio::test]
async fn an_agency_change_disables_at_once_and_the_new_agency_decides() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let unit = leaf(&s, "教育局", "行政科").await.to_string();
    let (st, page, _) = staff
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "輔導員"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(st, 422, "a reason is required: {page}");
    let (st, page, _) = staff
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "輔導員"),
                ("reason", "調職"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("帳號已停用並登出所有裝置"));
    assert_eq!(staff.get("/account").await.0, 303, "signed out");
    assert_eq!(state_of(&s, "staff").await, "disabled");
    let (_, st, body) = s.sign_in("staff", DEMO_PASSWORD).await;
    assert_eq!(st, 403);
    assert!(body.contains("帳號已停用"));
    let r = open_request(
        &s,
        "staff",
        portico_core::request::RequestKind::AgencyChange,
    )
    .await
    .expect("queued");
    let mut edu = s.signed_in("edu_admin").await;
    // The joining agency reviews a person who is not in its subtree yet.
    let detail = edu.get(&format!("/admin/requests/{}", r.id)).await;
    assert_eq!(detail.0, 200);
    assert!(detail.1.contains("王小明") && detail.1.contains("staff@example.net"));
    approve(&mut edu, &[r.id], "approve", "歡迎").await;
    assert_eq!(state_of(&s, "staff").await, "active");
    let mut c = s.signed_in("staff").await;
    let (_, me) = c.api_get("/me").await;
    assert_eq!(me["account"]["agency_name"], "教育局");
    // The title asked for came with the move (004 L2259).
    assert_eq!(me["account"]["title"], "輔導員", "not the old 科員");
}

#[tokio::test]
async fn a_rejected_agency_change_returns_the_account_to_its_old_unit_and_state() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let unit = leaf(&s, "教育局", "行政科").await.to_string();
    staff
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "科員"),
                ("reason", "調職"),
            ],
        )
        .await;
    let r = open_request(
        &s,
        "staff",
        portico_core::request::RequestKind::AgencyChange,
    )
    .await
    .expect("queued");
    let mut edu = s.signed_in("edu_admin").await;
    approve(&mut edu, &[r.id], "reject", "查無此調令").await;
    assert_eq!(state_of(&s, "staff").await, "active");
    let mut c = s.signed_in("staff").await;
    let (_, me) = c.api_get("/me").await;
    assert_eq!(me["account"]["agency_name"], "民政局");
}

#[tokio::test]
async fn the_only_agency_admin_cannot_move_away_004_guard() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("civil_admin").await;
    let csrf = c.csrf().await;
    let unit = leaf(&s, "教育局", "行政科").await.to_string();
    let (st, page, _) = c
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "專員"),
                ("reason", "調職"),
            ],
        )
        .await;
    assert_eq!(st, 409, "{page}");
    assert!(page.contains("唯一的機關管理者"), "says what to hand over");
    assert_eq!(state_of(&s, "civil_admin").await, "active");
    assert!(
        open_request(
            &s,
            "civil_admin",
            portico_core::request::RequestKind::AgencyChange
        )
        .await
        .is_none()
    );
}

#[tokio::test]
async fn admin_rights_are_requested_with_a_reason_and_the_agency_admin_grants_them() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    // 004 L4804–4836: under 線上申請作業, the form shows 申請目的, 機關,
    // 姓名, 職稱, 公務電話 + 分機, 信箱 and asks the 申請原因.
    let page = staff.get("/account/requests/admin-rights").await.1;
    for want in [
        "新增機關管理者",
        "民政局",
        "王小明",
        "申請原因",
        "取消申請、返回首頁",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(
        staff
            .get("/")
            .await
            .1
            .contains("href=\"/account/requests/admin-rights\""),
        "in the menu"
    );
    let csrf = staff.csrf().await;
    let (st, page, _) = staff
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        page.contains("aria-invalid=\"true\""),
        "the reason is marked: {page}"
    );
    let (st, _, to) = staff
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", "協助本局帳號管理")],
        )
        .await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/account/requests/admin-rights?ok=sent")
    );
    let page = staff.get(&to).await.1;
    assert!(
        page.contains("已送出申請") && page.contains("id=\"rights-open\""),
        "{page}"
    );
    assert!(
        !page.contains("name=\"reason\""),
        "no second form while one waits"
    );
    assert!(
        staff
            .get("/account/requests")
            .await
            .1
            .contains("機關管理者申請"),
        "the open request is listed"
    );
    let (st, _, _) = staff
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", "再一次")],
        )
        .await;
    assert_eq!(st, 409, "one open request at a time");
    let r = open_request(&s, "staff", portico_core::request::RequestKind::AdminRights)
        .await
        .expect("queued");
    // A unit admin below the agency does not decide agency rights.
    let mut unit_admin = s.signed_in("unit_admin").await;
    assert_eq!(
        unit_admin.get(&format!("/admin/requests/{}", r.id)).await.0,
        404
    );
    let mut civil = s.signed_in("civil_admin").await;
    approve(&mut civil, &[r.id], "approve", "").await;
    let (_, me) = staff.api_get("/me").await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "agency_admin"),
        "{me}"
    );
}

#[tokio::test]
async fn a_verified_person_finds_their_agency_administrators() {
    let s = TestServer::start(20).await;
    let (mut c, next) = verified_account(&s, "/admins", "email", "staff@example.net").await;
    assert_eq!(next, "/admins/list");
    let page = c.get("/admins/list").await.1;
    assert!(
        page.contains("林美玲") && page.contains("civil_admin@mail.tainan.gov.tw"),
        "{page}"
    );
    let mut stranger = s.client();
    let page = stranger.get("/admins/list").await.1;
    assert!(!page.contains("林美玲"), "nothing without verification");
    // 004 L1730: an applicant still waiting is served too — the person
    // who most needs to know whom to ask.
    let (mut p, next) = verified_account(&s, "/admins", "email", "pending@example.net").await;
    assert_eq!(next, "/admins/list");
    assert!(p.get("/admins/list").await.1.contains("林美玲"));
}

#[tokio::test]
async fn backup_email_and_mobile_change_only_with_a_code_from_the_new_address() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    for (bad, why) in [
        ("me@mail.tainan.gov.tw", "公務信箱"),
        ("edu_admin@example.net", "已綁定過帳號"),
    ] {
        let (st, page, _) = c
            .post_form(
                "/account/contacts/email",
                &[("_csrf", &csrf), ("email", bad)],
            )
            .await;
        assert_eq!(st, 422, "{bad}");
        assert!(page.contains(why), "{bad}: {page}");
    }
    let (st, page, _) = c
        .post_form(
            "/account/contacts/email",
            &[("_csrf", &csrf), ("email", "wang.new@example.org")],
        )
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("驗證碼已寄至 wang.new@example.org"));
    let (st, _, _) = c
        .post_form(
            "/account/contacts/email/confirm",
            &[
                ("_csrf", &csrf),
                ("email", "wang.new@example.org"),
                ("code", "000001"),
            ],
        )
        .await;
    assert_eq!(st, 422, "a wrong code changes nothing");
    let code = s.code_sent_to("wang.new@example.org").await;
    let (st, _, to) = c
        .post_form(
            "/account/contacts/email/confirm",
            &[
                ("_csrf", &csrf),
                ("email", "wang.new@example.org"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!((st, to.as_str()), (303, "/account/contacts?ok=email"));
    let (_, me) = c.api_get("/me").await;
    assert_eq!(me["account"]["backup_email"], "wang.new@example.org");
    let (subject, _) = s.last_message_to("staff@example.net").await.unwrap();
    assert!(
        subject.contains("備用信箱已變更"),
        "the old address is told"
    );

    let (st, page, _) = c
        .post_form(
            "/account/contacts/mobile",
            &[("_csrf", &csrf), ("mobile", "12345")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("09 開頭的 10 位數字"));
    c.post_form(
        "/account/contacts/mobile",
        &[("_csrf", &csrf), ("mobile", "0912-345-678")],
    )
    .await;
    let code = s.code_sent_to("0912345678").await;
    let (st, _, _) = c
        .post_form(
            "/account/contacts/mobile/confirm",
            &[("_csrf", &csrf), ("mobile", "0912345678"), ("code", &code)],
        )
        .await;
    assert_eq!(st, 303);
    let (subject, _) = s.last_message_to("wang.new@example.org").await.unwrap();
    assert!(
        subject.contains("手機號碼已變更"),
        "the backup address hears of it: {subject}"
    );
    // Now a forgotten password can be verified by SMS.
    let (_, next) = verified_account(&s, "/forgot", "sms", "0912345678").await;
    assert_eq!(next, "/forgot/password");
    let (st, _, _) = c
        .post_form("/account/contacts/mobile/remove", &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 303);
    let (_, me) = c.api_get("/me").await;
    assert_eq!(me["account"]["mobile"], "");
}

#[tokio::test]
async fn idle_accounts_are_disabled_after_180_days_but_not_an_agencys_only_admin_002() {
    let s = TestServer::start(20).await;
    let mut session = s.signed_in("staff").await;
    s.clock.advance(time::Duration::days(179));
    let first = s
        .app
        .run_due_jobs()
        .await
        .unwrap()
        .expect("the daily sweep ran");
    // Demo accounts that never signed in are idle already; staff signed in.
    assert!(
        !first.disabled.contains(&"staff".to_owned()),
        "not yet: {first:?}"
    );
    assert!(s.app.run_due_jobs().await.unwrap().is_none(), "once a day");
    s.clock.advance(time::Duration::days(2));
    let sweep = s.app.run_due_jobs().await.unwrap().expect("due again");
    assert!(sweep.disabled.contains(&"staff".to_owned()), "{sweep:?}");
    assert_eq!(state_of(&s, "staff").await, "disabled");
    assert_eq!(session.get("/account").await.0, 303, "signed out");
    // 民政局's only agency admin is kept, and the agency is told.
    assert!(sweep.kept.contains(&"civil_admin".to_owned()), "{sweep:?}");
    assert_eq!(state_of(&s, "civil_admin").await, "active");
    // (The clerk, who keeps mail accounts, is kept too: its own message.)
    let mut c = s.app.db.read().await.unwrap();
    let told = sqlx::query(
        "SELECT subject, body FROM outbox WHERE recipient = 'civil_admin@mail.tainan.gov.tw' AND body LIKE '%（civil_admin）%'",
    )
    .fetch_one(&mut *c)
    .await
    .expect("told");
    drop(c);
    let (subject, body): (String, String) = (
        sqlx::Row::get(&told, "subject"),
        sqlx::Row::get(&told, "body"),
    );
    assert!(subject.contains("須先移交"), "{subject}");
    assert!(
        body.contains("180") && body.contains("唯一的機關管理者"),
        "{body}"
    );
    // The sweep is in the audit trail with its reason.
    let mut admin_conn = s.app.db.read().await.unwrap();
    let n: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.disable.idle' AND target_label = 'staff'")
            .fetch_one(&mut *admin_conn)
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(n, 1);
}

async fn official_email_of(s: &TestServer, login: &str) -> String {
    let mut c = s.app.db.read().await.unwrap();
    portico_store::accounts::find_by_login(&mut c, login)
        .await
        .unwrap()
        .unwrap()
        .official_email
}

#[tokio::test]
async fn the_reviewer_decides_whether_to_grant_the_official_mailbox_004() {
    let s = TestServer::start(20).await;
    let a = apply(&s, "mail.yes@example.org", "mailyes", 21).await;
    let b = apply(&s, "mail.no@example.org", "mailno", 22).await;
    let (ra, rb) = (request_id_of(&s, a).await, request_id_of(&s, b).await);
    let mut civil = s.signed_in("civil_admin").await;
    assert!(
        civil
            .get(&format!("/admin/requests/{rb}"))
            .await
            .1
            .contains("核可公務郵件帳號")
    );
    // The detail page, box unticked: approved without a mailbox.
    let csrf = civil.csrf().await;
    let rb_s = rb.to_string();
    let (st, _, to) = civil
        .post_form(
            "/admin/requests/decide",
            &[
                ("_csrf", &csrf),
                ("ids", &rb_s),
                ("back", "one"),
                ("mail_decided", "1"),
                ("decision", "approve"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(st, 303);
    assert_eq!(official_email_of(&s, "mailno").await, "");
    let (_, body) = s.last_message_to("mail.no@example.org").await.unwrap();
    assert!(body.contains("公務郵件：未核可"), "{body}");
    // The page says what was done, and the record whether the mailbox was
    // granted (issue 12 §2.10).
    let (_, page) = civil.get(&to).await;
    assert!(page.contains("已審核通過，並已通知申請人"), "{page}");
    assert!(page.contains("未核可"), "{page}");
    // A batch grants what was asked.
    approve(&mut civil, &[ra], "approve", "").await;
    let page = civil.get(&format!("/admin/requests/{ra}")).await.1;
    assert!(
        page.contains("已核可：mailyes@mail.tainan.gov.tw"),
        "{page}"
    );
    assert_eq!(
        official_email_of(&s, "mailyes").await,
        "mailyes@mail.tainan.gov.tw"
    );
    let (_, body) = s.last_message_to("mail.yes@example.org").await.unwrap();
    assert!(
        body.contains("公務郵件：已核可（mailyes@mail.tainan.gov.tw）"),
        "{body}"
    );
}

#[tokio::test]
async fn sending_codes_is_rate_limited_per_client_address_outside_the_network() {
    let s = TestServer::start(20).await;
    // The tests connect from 127.0.0.1: outside once the network is 10/8.
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, body) = admin
        .put_settings(
            &csrf,
            serde_json::json!({"internal_networks": "10.0.0.0/8"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let mut c = s.client();
    for i in 0..20 {
        let (st, _, _) = c
            .post_form("/apply/email", &[("email", &format!("ip{i}@example.org"))])
            .await;
        assert_eq!(st, 200, "send {i}");
    }
    let (st, page, _) = c
        .post_form("/apply/email", &[("email", "ip20@example.org")])
        .await;
    assert_eq!(st, 409, "the 21st from one address in an hour");
    assert!(page.contains("驗證碼寄送次數過多"));
    s.clock.advance(time::Duration::minutes(61));
    let (st, _, _) = c
        .post_form("/apply/email", &[("email", "ip20@example.org")])
        .await;
    assert_eq!(st, 200, "an hour later");
}

#[tokio::test]
async fn a_move_takes_away_admin_roles_of_the_old_place_and_a_stale_request_cannot_pass() {
    let s = TestServer::start(20).await;
    // staff asks for admin rights in 民政局, then asks to move to 教育局.
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    staff
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", "協助管理")],
        )
        .await;
    let unit = leaf(&s, "教育局", "行政科").await.to_string();
    staff
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "科員"),
                ("reason", "調職"),
            ],
        )
        .await;
    // 民政局's admin can no longer make a person who is leaving its admin.
    let rights = open_request(&s, "staff", portico_core::request::RequestKind::AdminRights)
        .await
        .expect("queued");
    let mut civil = s.signed_in("civil_admin").await;
    let (st, to) = approve(&mut civil, &[rights.id], "approve", "").await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/admin/requests?done=0&already=0&refused=1")
    );
    let (st, _) = approve(&mut civil, &[rights.id], "reject", "已調離").await;
    assert_eq!(st, 303, "a stale request can still be rejected");
    assert_eq!(
        state_of(&s, "staff").await,
        "disabled",
        "the rejection left the move alone"
    );

    // unit_admin of 民政局/行政科 moves to 教育局: the old scope goes.
    let mut ua = s.signed_in("unit_admin").await;
    let csrf = ua.csrf().await;
    let (st, _, _) = ua
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &unit),
                ("title", "股長"),
                ("reason", "調職"),
            ],
        )
        .await;
    assert_eq!(st, 200);
    let mv = open_request(
        &s,
        "unit_admin",
        portico_core::request::RequestKind::AgencyChange,
    )
    .await
    .expect("queued");
    let mut edu = s.signed_in("edu_admin").await;
    approve(&mut edu, &[mv.id], "approve", "").await;
    let mut ua = s.signed_in("unit_admin").await;
    let (_, me) = ua.api_get("/me").await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 0, "{me}");
    assert_eq!(
        ua.get("/admin/accounts").await.0,
        403,
        "no admin console any more"
    );
}
