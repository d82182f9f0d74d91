//! Agency and system mail accounts through their pages (issue 13 §5, 004
//! §捌 五, §肆 四): apply with 檢查, the agency admin's decision, the
//! custodian's edit page (hand-over, password, forgotten password, state,
//! records and their exports), who may reach which, and the custodian
//! guard on disable, agency change and the idle sweep (004 (三) 1 (2)).
mod common;

use common::{TestServer, between, workbook_text};

async fn mailbox_id(s: &TestServer, local: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get(
        &sqlx::query("SELECT id FROM mailboxes WHERE local_part = $1 AND state <> 'rejected'")
            .bind(local.to_owned())
            .fetch_one(&mut *c)
            .await
            .expect("the mail account"),
        "id",
    )
}

async fn mailbox_state(s: &TestServer, local: &str) -> String {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get(
        &sqlx::query("SELECT state FROM mailboxes WHERE local_part = $1 ORDER BY id DESC LIMIT 1")
            .bind(local.to_owned())
            .fetch_one(&mut *c)
            .await
            .expect("the mail account"),
        "state",
    )
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

const PW: &str = "Mailbox#2026";

fn application<'a>(csrf: &'a str, kind: &'a str, local: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("kind", kind),
        ("name", "民政局公文系統通知"),
        ("local_part", local),
        ("password", PW),
        ("confirm_password", PW),
        ("reason", "公文系統寄送待辦通知"),
    ]
}

#[tokio::test]
async fn an_application_is_checked_reviewed_by_the_agency_admin_and_kept_by_its_applicant_004() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf_from("/account/requests/mailbox").await;
    // 檢查: a person's login, a mail account's name and a reserved name
    // are taken; a free one says so. Nothing is created by checking.
    for (local, taken) in [
        ("staff", true),
        ("civil-affairs", true),
        ("postmaster", true),
        ("Civil-Docs", false),
    ] {
        let (st, body, _) = staff
            .post_form(
                "/account/requests/mailbox",
                &[("_csrf", &csrf), ("check", "1"), ("local_part", local)],
            )
            .await;
        if taken {
            assert_eq!(st, 422, "{local}");
            assert!(body.contains("此郵件帳號已被使用"), "{local}: {body}");
        } else {
            assert_eq!(st, 200);
            assert!(
                body.contains("此帳號可以使用：civil-docs@mail.tainan.gov.tw"),
                "{body}"
            );
        }
    }
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) AS n FROM mailboxes WHERE local_part = 'civil-docs'"
        )
        .await,
        0
    );
    // Everything wrong at once: each field says what, nothing is made.
    let (st, body, _) = staff
        .post_form(
            "/account/requests/mailbox",
            &[
                ("_csrf", &csrf),
                ("kind", "personal"),
                ("local_part", "1x"),
                ("password", "short"),
                ("confirm_password", "other"),
            ],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    for m in [
        "請選擇申請類型",
        "郵件帳號長度須為 3 至 20 個字元",
        "密碼長度須為",
        "兩次輸入的密碼不一致",
    ] {
        assert!(body.contains(m), "{m}: {body}");
    }
    // 民政局 has its agency mail account: a second is refused.
    let (st, body, _) = staff
        .post_form(
            "/account/requests/mailbox",
            &application(&csrf, "agency", "civil-second"),
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("您的機關已有機關郵件帳號"), "{body}");
    // A system mail account goes in.
    let (st, _, to) = staff
        .post_form(
            "/account/requests/mailbox",
            &application(&csrf, "system", "civil-docs"),
        )
        .await;
    assert_eq!(st, 303);
    assert!(to.contains("ok=applied"), "{to}");
    let id = mailbox_id(&s, "civil-docs").await;
    let (st, page) = staff.get(&format!("/mailboxes/{id}")).await;
    assert_eq!(st, 200);
    assert!(page.contains("審核中"), "{page}");
    let (subject, _) = s.last_message_to("staff@example.net").await.expect("told");
    assert!(subject.contains("機關及資訊系統帳號申請"), "{subject}");
    // The password waits sealed, never in the clear.
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM mailboxes WHERE id = {id} AND pending_secret <> '' AND pending_secret NOT LIKE '%{PW}%'")).await,
        1
    );
    // 民政局's admin sees it in 待簽核 with its address, and approves.
    let mut civil = s.signed_in("civil_admin").await;
    let (_, queue) = civil.get("/admin/requests?kind=mailbox").await;
    assert!(queue.contains("機關及資訊系統帳號申請"), "{queue}");
    assert!(
        queue.contains("civil-docs@mail.tainan.gov.tw"),
        "the queue says which address is asked for: {queue}"
    );
    let request: i64 = {
        let mut c = s.app.db.read().await.unwrap();
        sqlx::Row::get(
            &sqlx::query("SELECT request_id FROM mailboxes WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *c)
                .await
                .unwrap(),
            "request_id",
        )
    };
    let (_, one) = civil.get(&format!("/admin/requests/{request}")).await;
    assert!(one.contains("civil-docs@mail.tainan.gov.tw"), "{one}");
    let ccsrf = civil.csrf().await;
    let rs = request.to_string();
    let (st, _, _) = civil
        .post_form(
            "/admin/requests/decide",
            &[
                ("_csrf", &ccsrf),
                ("ids", &rs),
                ("decision", "approve"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(st, 303);
    assert_eq!(mailbox_state(&s, "civil-docs").await, "active");
    assert_eq!(
        count(
            &s,
            &format!("SELECT COUNT(*) AS n FROM mailboxes WHERE id = {id} AND pending_secret = ''")
        )
        .await,
        1,
        "the sealed password leaves the row once decided"
    );
    let (subject, body) = s.last_message_to("staff@example.net").await.unwrap();
    assert!(subject.contains("審核通過"), "{subject}");
    assert!(body.contains("civil-docs@mail.tainan.gov.tw"), "{body}");
    // Its applicant keeps it: 編輯 in their list.
    let (_, list) = staff.get("/mailboxes?tab=system").await;
    assert!(list.contains(&format!("/mailboxes/{id}\"")), "{list}");
    // The agency mail account, kept by the clerk, shows 詳細 with the
    // custodian's contact, and its edit page is not staff's to open.
    let (_, agency) = staff.get("/mailboxes?tab=agency").await;
    assert!(agency.contains("civil-affairs@mail.tainan.gov.tw"));
    assert!(
        agency.contains("詳細") && agency.contains("陳文書"),
        "{agency}"
    );
    let civil_affairs = mailbox_id(&s, "civil-affairs").await;
    assert_eq!(
        staff.get(&format!("/mailboxes/{civil_affairs}")).await.0,
        404
    );
    // System ones kept by someone else are not listed to staff.
    assert!(!list.contains("civil-attendance"), "{list}");
}

#[tokio::test]
async fn two_applications_for_one_name_leave_exactly_one() {
    let s = TestServer::start(20).await;
    let mut a = s.signed_in("staff").await;
    let mut b = s.signed_in("expiring").await;
    let (ca, cb) = (a.csrf().await, b.csrf().await);
    let fa = application(&ca, "system", "civil-race");
    let fb = application(&cb, "system", "civil-race");
    let (ra, rb) = tokio::join!(
        a.post_form("/account/requests/mailbox", &fa),
        b.post_form("/account/requests/mailbox", &fb)
    );
    let mut codes = [ra.0, rb.0];
    codes.sort();
    assert_eq!(codes[0], 303, "one goes in: {ra:?} {rb:?}");
    assert!(
        matches!(codes[1], 409 | 422),
        "the other is told: {ra:?} {rb:?}"
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) AS n FROM mailboxes WHERE local_part = 'civil-race'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_custodian_hands_over_changes_the_password_and_keeps_records_with_exports_004() {
    let s = TestServer::start(20).await;
    let id = mailbox_id(&s, "civil-attendance").await;
    let mut clerk = s.signed_in("clerk").await;
    let (st, page) = clerk.get(&format!("/mailboxes/{id}?who=王")).await;
    assert_eq!(st, 200);
    // The search offers the agency's people by name, not the clerk.
    assert!(page.contains("王小明（staff"), "{page}");
    let staff_id = s.account_id("staff").await.to_string();
    let edu = s.account_id("edu_admin").await.to_string();
    let version = between(&page, "name=\"version\" value=\"", "\"");
    let csrf = clerk.csrf_from(&format!("/mailboxes/{id}")).await;
    // Someone of another agency is refused, and nothing changes.
    let (st, body, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/custodian"),
            &[("_csrf", &csrf), ("custodian", &edu), ("version", &version)],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("請從搜尋結果中選擇同機關"), "{body}");
    // A stale version is told to reload.
    let (st, body, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/custodian"),
            &[("_csrf", &csrf), ("custodian", &staff_id), ("version", "0")],
        )
        .await;
    assert_eq!(st, 409);
    assert!(body.contains("此郵件帳號已由其他人變更"), "{body}");
    // 修改密碼: the old one first.
    let (st, body, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/password"),
            &[
                ("_csrf", &csrf),
                ("old_password", "Wrong#2026"),
                ("new_password", "Renewed#2027"),
                ("confirm_password", "Renewed#2027"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("舊密碼不正確"), "{body}");
    let (st, _, to) = clerk
        .post_form(
            &format!("/mailboxes/{id}/password"),
            &[
                ("_csrf", &csrf),
                ("old_password", portico_app::demo::DEMO_PASSWORD),
                ("new_password", "Renewed#2027"),
                ("confirm_password", "Renewed#2027"),
            ],
        )
        .await;
    assert_eq!(st, 303, "{to}");
    // 忘記密碼: the custodian's backup e-mail, typed right, gets a code.
    let (st, body, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/forgot"),
            &[("_csrf", &csrf), ("backup_email", "someone@example.net")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("與保管人的備用信箱不符"), "{body}");
    let (st, _, to) = clerk
        .post_form(
            &format!("/mailboxes/{id}/forgot"),
            &[("_csrf", &csrf), ("backup_email", "Clerk@Example.net")],
        )
        .await;
    assert_eq!(st, 303);
    let (_, page) = clerk.get(&to).await;
    assert!(page.contains("name=\"code\""), "the code form follows");
    let code = s.code_sent_to("clerk@example.net").await;
    let (st, body, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/reset"),
            &[
                ("_csrf", &csrf),
                ("code", "000000"),
                ("new_password", "Forgot#2027x"),
                ("confirm_password", "Forgot#2027x"),
            ],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, _, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/reset"),
            &[
                ("_csrf", &csrf),
                ("code", &code),
                ("new_password", "Forgot#2027x"),
                ("confirm_password", "Forgot#2027x"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    // The new password is the one the old-password form now takes.
    let (st, _, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/password"),
            &[
                ("_csrf", &csrf),
                ("old_password", "Forgot#2027x"),
                ("new_password", "Third#20270"),
                ("confirm_password", "Third#20270"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    // Then the hand-over, with the version the page shows now.
    let (_, page) = clerk.get(&format!("/mailboxes/{id}?who=王")).await;
    let version = between(&page, "name=\"version\" value=\"", "\"");
    let (st, _, _) = clerk
        .post_form(
            &format!("/mailboxes/{id}/custodian"),
            &[
                ("_csrf", &csrf),
                ("custodian", &staff_id),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(st, 303);
    // The clerk no longer reaches it; staff does, and is told by mail.
    assert_eq!(clerk.get(&format!("/mailboxes/{id}")).await.0, 404);
    let (subject, _) = s.last_message_to("staff@mail.tainan.gov.tw").await.unwrap();
    assert!(subject.contains("郵件帳號保管人異動"), "{subject}");
    let mut staff = s.signed_in("staff").await;
    let (st, page) = staff.get(&format!("/mailboxes/{id}")).await;
    assert_eq!(st, 200);
    // 資料異動紀錄: the custodian and password changes, newest first.
    assert!(page.contains("陳文書（clerk）→ 王小明（staff）"), "{page}");
    assert!(page.contains("忘記密碼重設"), "{page}");
    // 我要停用, then its record on the state tab.
    let scsrf = staff.csrf_from(&format!("/mailboxes/{id}?tab=state")).await;
    let (st, _, _) = staff
        .post_form(
            &format!("/mailboxes/{id}/state"),
            &[("_csrf", &scsrf), ("enable", "0")],
        )
        .await;
    assert_eq!(st, 303);
    assert_eq!(mailbox_state(&s, "civil-attendance").await, "disabled");
    let (st, body, _) = staff
        .post_form(
            &format!("/mailboxes/{id}/state"),
            &[("_csrf", &scsrf), ("enable", "0")],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("已是停用狀態"));
    let (_, state_tab) = staff.get(&format!("/mailboxes/{id}?tab=state")).await;
    assert!(
        state_tab.contains("不允許登入") && state_tab.contains("啟用 → 停用"),
        "{state_tab}"
    );
    // A date range that ends before it starts is told, not a 500.
    let (st, body) = staff
        .get(&format!(
            "/mailboxes/{id}?tab=state&from=2026-12-31&to=2026-01-01"
        ))
        .await;
    assert_eq!(st, 200);
    assert!(body.contains("結束日期不可早於開始日期"), "{body}");
    // Exports: the data record as xlsx, and as ODS.
    let (st, xlsx) = staff
        .get_bytes(&format!("/mailboxes/{id}/export?record=data&format=xlsx"))
        .await;
    assert_eq!(st, 200);
    let (rows, text) = workbook_text(&xlsx);
    // The header, then: seeded custodian change and password change, two
    // password changes and a reset here, and this hand-over.
    assert_eq!(rows, 1 + 6, "{text}");
    assert!(
        text.contains("保管人異動") && text.contains("忘記密碼重設"),
        "{text}"
    );
    let (st, ods) = staff
        .get_bytes(&format!("/mailboxes/{id}/export?record=state&format=ods"))
        .await;
    assert_eq!(st, 200);
    let sheet = ods_text(&ods);
    assert!(sheet.contains("啟用 → 停用"), "{sheet}");
    // Every step is in the audit trail.
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE target_kind = 'mailbox' AND target_id = {id}")).await,
        5
    );
}

/// An ODS file's cells as a spreadsheet reader (odfpy) reads them, one row a line.
fn ods_text(ods: &[u8]) -> String {
    let file =
        std::env::temp_dir().join(format!("portico-{}-{}.ods", std::process::id(), ods.len()));
    std::fs::write(&file, ods).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys\nfrom odf.opendocument import load\nfrom odf.table import TableRow, TableCell\nfrom odf import teletype\nd = load(sys.argv[1])\nassert d.mimetype == 'application/vnd.oasis.opendocument.spreadsheet'\nfor r in d.spreadsheet.getElementsByType(TableRow):\n    print('\\t'.join(teletype.extractText(c) for c in r.getElementsByType(TableCell)))",
        )
        .arg(&file)
        .output()
        .expect("python3 with odfpy reads the sheet");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn only_the_custodian_and_admins_over_the_agency_reach_a_mail_account() {
    let s = TestServer::start(20).await;
    let id = mailbox_id(&s, "civil-affairs").await;
    let path = format!("/mailboxes/{id}");
    // 民政局's agency admin and a system admin manage it.
    for login in ["civil_admin", "admin"] {
        let mut c = s.signed_in(login).await;
        assert_eq!(c.get(&path).await.0, 200, "{login}");
        let (_, list) = c.get("/admin/mailboxes").await;
        assert!(list.contains("civil-affairs@"), "{login}");
    }
    // Another agency's admin, a unit admin below the agency, and a person
    // who does not keep it: not found, through every form.
    for login in ["edu_admin", "unit_admin", "staff"] {
        let mut c = s.signed_in(login).await;
        assert_eq!(c.get(&path).await.0, 404, "{login}");
        let csrf = c.csrf().await;
        let (st, _, _) = c
            .post_form(
                &format!("{path}/state"),
                &[("_csrf", &csrf), ("enable", "0")],
            )
            .await;
        assert_eq!(st, 404, "{login}");
        assert_eq!(
            c.get_bytes(&format!("{path}/export?format=ods")).await.0,
            404
        );
        if login == "edu_admin" {
            let (_, list) = c.get("/admin/mailboxes").await;
            assert!(!list.contains("civil-affairs@"), "outside the scope");
        }
    }
    assert_eq!(mailbox_state(&s, "civil-affairs").await, "active");
    // An agency admin hands it over for a custodian who is away.
    let mut civil = s.signed_in("civil_admin").await;
    let (_, page) = civil.get(&format!("{path}?who=staff")).await;
    let version = between(&page, "name=\"version\" value=\"", "\"");
    let csrf = civil.csrf().await;
    let to = s.account_id("staff").await.to_string();
    let (st, _, _) = civil
        .post_form(
            &format!("{path}/custodian"),
            &[("_csrf", &csrf), ("custodian", &to), ("version", &version)],
        )
        .await;
    assert_eq!(st, 303);
}

#[tokio::test]
async fn a_custodian_is_not_disabled_nor_moved_until_the_mail_accounts_are_handed_over_004() {
    let s = TestServer::start(20).await;
    let clerk = s.account_id("clerk").await;
    let mut civil = s.signed_in("civil_admin").await;
    let csrf = civil.csrf().await;
    let (st, body, _) = civil
        .post_form(
            &format!("/admin/accounts/{clerk}/disable"),
            &[("_csrf", &csrf), ("reason", "退休")],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        body.contains("保管郵件帳號") && body.contains("civil-affairs@mail.tainan.gov.tw"),
        "names what to hand over: {body}"
    );
    assert!(
        body.contains("我的機關及系統郵件帳號管理"),
        "says where: {body}"
    );
    // The clerk asking to move agency is refused the same way.
    let mut me = s.signed_in("clerk").await;
    let mcsrf = me.csrf().await;
    let unit = {
        let tree = s.app.org_tree().await.unwrap();
        let edu = tree.units.iter().find(|u| u.name == "教育局").unwrap();
        tree.units
            .iter()
            .find(|u| u.name == "行政科" && edu.path.contains(&u.path))
            .map(|u| u.id.0.to_string())
            .unwrap()
    };
    let (st, body, _) = me
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &mcsrf),
                ("unit", &unit),
                ("title", "書記"),
                ("reason", "調職"),
            ],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("保管郵件帳號"), "{body}");
    assert_eq!(
        me.get("/account").await.0,
        200,
        "still signed in, still active"
    );
    // The idle sweep skips the clerk and tells 民政局's admins why.
    s.clock.advance(time::Duration::days(200));
    let sweep = s.app.run_due_jobs().await.unwrap().expect("swept");
    assert!(sweep.kept.contains(&"clerk".to_owned()), "{sweep:?}");
    assert_eq!(
        count(&s, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.disable.idle' AND target_label = 'clerk' AND reason = 'keeps mail accounts'").await,
        1
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) AS n FROM outbox WHERE recipient = 'civil_admin@mail.tainan.gov.tw' AND body LIKE '%陳文書%civil-affairs@%'").await,
        1
    );
}

/// Found by the attacker's read: a waiting application's password is the
/// one the directory will get, so it is not changed meanwhile; a person
/// with an application waiting does not move agency; a person's login is
/// never a name the mail system keeps; names cannot be listed by 檢查.
#[tokio::test]
async fn a_waiting_application_holds_its_password_its_applicant_and_its_name() {
    let s = TestServer::start(20).await;
    let waiting = mailbox_id(&s, "civil-library").await;
    let mut expiring = s.signed_in("expiring").await;
    let csrf = expiring.csrf().await;
    let (st, body, _) = expiring
        .post_form(
            &format!("/mailboxes/{waiting}/password"),
            &[
                ("_csrf", &csrf),
                ("old_password", portico_app::demo::DEMO_PASSWORD),
                ("new_password", "Changed#2027"),
                ("confirm_password", "Changed#2027"),
            ],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("尚未審核通過"), "{body}");
    let unit = {
        let tree = s.app.org_tree().await.unwrap();
        let edu = tree.units.iter().find(|u| u.name == "教育局").unwrap();
        tree.units
            .iter()
            .find(|u| u.name == "行政科" && edu.path.contains(&u.path))
            .map(|u| u.id.0.to_string())
            .unwrap()
    };
    let (st, body, _) = expiring
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
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("郵件帳號申請正在審核中"), "{body}");
    // A system admin moving the clerk to another agency is refused too.
    let mut admin = s.signed_in("admin").await;
    let clerk = s.account_id("clerk").await;
    let acsrf = admin.csrf().await;
    let (st, body, _) = admin
        .post_form(
            &format!("/admin/accounts/{clerk}/profile"),
            &[
                ("_csrf", &acsrf),
                ("name", "陳文書"),
                ("title", "書記"),
                ("office_phone", "22991111"),
                ("unit", &unit),
            ],
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("保管郵件帳號"), "{body}");
    // Reserved names are nobody's login.
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    assert!(
        s.app
            .login_available("postmaster", "someone@example.org", &ctx)
            .await
            .is_err()
    );
    // 檢查 is limited like the login check: ten a minute.
    let mut staff = s.signed_in("staff").await;
    let scsrf = staff.csrf().await;
    let mut last = 0;
    for i in 0..11 {
        let name = format!("probe{i:02}");
        last = staff
            .post_form(
                "/account/requests/mailbox",
                &[("_csrf", &scsrf), ("check", "1"), ("local_part", &name)],
            )
            .await
            .0;
    }
    assert_eq!(last, 409, "the eleventh check in a minute is refused");
}
