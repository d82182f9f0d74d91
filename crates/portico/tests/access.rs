//! Access requests (issue 14; seed 000, 002 §五, §六): member category →
//! organisation → application roles, each step opening when the one before
//! is approved; forms with a signed scan checked by content; the right
//! approver, exactly one of two racing, nobody their own; the role in that
//! application's tokens only, and gone after a removal.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::{Ask, Upload};
use portico_core::Error;
use portico_core::access::Step;
use portico_core::ids::FormId;
use portico_core::permission::Principal;
use portico_store::access::QueueFilter;
use portico_store::accounts;

async fn principal(s: &TestServer, login: &str) -> Principal {
    s.principal_of(login).await
}

async fn id_of(s: &TestServer, sql: &str, key: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(key.to_owned())
            .fetch_one(&mut *c)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}")),
        "id",
    )
}

async fn category(s: &TestServer, code: &str) -> i64 {
    id_of(s, "SELECT id FROM member_categories WHERE code = $1", code).await
}
async fn org(s: &TestServer, name: &str) -> i64 {
    id_of(s, "SELECT id FROM access_orgs WHERE name = $1", name).await
}
async fn role(s: &TestServer, code: &str) -> i64 {
    id_of(s, "SELECT id FROM app_roles WHERE code = $1", code).await
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

fn scan() -> Option<Upload> {
    Some(Upload {
        name: "signed.png".into(),
        bytes: [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 64]].concat(),
    })
}

fn ask(step: Step, item: i64) -> Ask {
    Ask {
        step: Some(step),
        item,
        purpose: "公務統計帳號申請".into(),
        ..Default::default()
    }
}

async fn title_of(s: &TestServer, org: i64) -> Option<i64> {
    s.app
        .access_org(org)
        .await
        .unwrap()
        .titles
        .first()
        .map(|t| t.id)
}

/// Files the ask with a scan and has `approver` sign it off.
async fn through(s: &TestServer, who: &Principal, a: &Ask, approver: &str) -> FormId {
    let (id, _) = s
        .app
        .submit_ask(who, &ctx(), a, scan(), scan())
        .await
        .expect("filed");
    let ap = principal(s, approver).await;
    s.app
        .decide_form(&ap, &ctx(), id, true, "")
        .await
        .unwrap_or_else(|e| panic!("{approver} approves: {e:?}"));
    id
}

fn refused(r: Result<impl std::fmt::Debug, Error>, words: &str) {
    match r {
        Err(Error::Refused(m)) | Err(Error::Conflict { message: m, .. }) => {
            assert!(m.zh.contains(words), "{words}: {}", m.zh)
        }
        Err(Error::Invalid(errs)) => assert!(
            errs.iter().any(|e| e.message.zh.contains(words)),
            "{words}: {errs:?}"
        ),
        other => panic!("expected a refusal saying {words}: {other:?}"),
    }
}

#[tokio::test]
async fn seed_000_category_then_organisation_then_roles_each_signed_off_by_its_approver() {
    let s = TestServer::start(40).await;
    let staff = principal(&s, "staff").await;
    let stausr = category(&s, "stausr").await;
    let budget = org(&s, "主計處").await;
    let sample = s.app_id("portico-sample").await;
    let user = role(&s, "stat.user").await;

    // 須等前項申請授權完成後，才能進行次項申請.
    let mut org_ask = ask(Step::Org, budget);
    org_ask.title = title_of(&s, budget).await;
    refused(
        s.app
            .submit_ask(&staff, &ctx(), &org_ask, scan(), None)
            .await,
        "請先申請會員類別",
    );
    let mut role_ask = ask(Step::Role, sample);
    role_ask.roles = vec![user];
    refused(
        s.app
            .submit_ask(&staff, &ctx(), &role_ask, None, None)
            .await,
        "請先申請會員類別",
    );

    // The category needs the signed form; without it nothing is filed.
    let cat_ask = ask(Step::Category, stausr);
    refused(
        s.app.submit_ask(&staff, &ctx(), &cat_ask, None, None).await,
        "列印申請書",
    );
    let (id, number) = s
        .app
        .submit_ask(&staff, &ctx(), &cat_ask, scan(), None)
        .await
        .unwrap();
    assert!(
        number.starts_with("AAMT") && number.ends_with(&format!("{:010}", id.0)),
        "{number}"
    );
    // A second form for the same category waits behind the first.
    refused(
        s.app
            .submit_ask(&staff, &ctx(), &cat_ask, scan(), None)
            .await,
        "簽核中",
    );

    // System admins sign off categories; an agency admin does not see it.
    let civil = principal(&s, "civil_admin").await;
    let q = QueueFilter::default();
    assert!(
        !s.app
            .approvals(&civil, &q, 1, 50)
            .await
            .unwrap()
            .items
            .iter()
            .any(|a| a.form.id == id)
    );
    assert!(matches!(
        s.app.decide_form(&civil, &ctx(), id, true, "").await,
        Err(Error::NotFound)
    ));
    let admin = principal(&s, "admin").await;
    assert!(
        s.app
            .approvals(&admin, &q, 1, 50)
            .await
            .unwrap()
            .items
            .iter()
            .any(|a| a.form.id == id)
    );
    s.app
        .decide_form(&admin, &ctx(), id, true, "資料齊全")
        .await
        .unwrap();
    let (_, mail) = s
        .last_message_to("staff@mail.tainan.gov.tw")
        .await
        .expect("the applicant is mailed");
    assert!(mail.contains(&number) && mail.contains("已同意"), "{mail}");

    // The membership: 主計處's admin signs it off, not 民政局's.
    let (oid, _) = s
        .app
        .submit_ask(&staff, &ctx(), &org_ask, scan(), None)
        .await
        .unwrap();
    assert!(matches!(
        s.app.decide_form(&civil, &ctx(), oid, true, "").await,
        Err(Error::NotFound)
    ));
    let budget_admin = principal(&s, "stat_mgr").await;
    s.app
        .decide_form(&budget_admin, &ctx(), oid, true, "")
        .await
        .unwrap();

    // The role: stat.user is the applicant's own agency admins' to sign.
    let (rid, rnum) = s
        .app
        .submit_ask(&staff, &ctx(), &role_ask, None, None)
        .await
        .unwrap();
    assert!(rnum.starts_with("AARL"));
    assert!(matches!(
        s.app
            .decide_form(&budget_admin, &ctx(), rid, true, "")
            .await,
        Err(Error::NotFound)
    ));
    s.app
        .decide_form(&civil, &ctx(), rid, true, "")
        .await
        .unwrap();

    // The role is in that application's claims, and in no other's.
    let a = accounts::find_by_login(&mut s.app.db.read().await.unwrap(), "staff")
        .await
        .unwrap()
        .unwrap();
    let claims = s.app.person_claims(&a, sample, &[]).await.unwrap();
    assert_eq!(claims["roles"], serde_json::json!(["stat.user"]));
    let rs256 = s.app_id("portico-sample-rs256").await;
    assert!(
        !s.app
            .person_claims(&a, rs256, &[])
            .await
            .unwrap()
            .contains_key("roles")
    );
    let with = s
        .app
        .person_claims(
            &a,
            sample,
            &[
                portico_core::sso::Claim::Organisations,
                portico_core::sso::Claim::Categories,
            ],
        )
        .await
        .unwrap();
    assert_eq!(with["member_categories"], serde_json::json!(["stausr"]));
    assert_eq!(with["organisations"][0]["name"], "主計處");
    assert_eq!(with["organisations"][0]["title"], "預設身分");

    // 個人簽核記錄查詢: what each approver decided.
    let mine = s.app.my_decisions(&civil, 1, 50).await.unwrap();
    assert!(mine.items.iter().any(|f| f.id == rid));
    assert!(!mine.items.iter().any(|f| f.id == oid));
}

#[tokio::test]
async fn seed_000_a_district_office_skips_to_roles() {
    let s = TestServer::start(40).await;
    // 國家公園與其他內政部指定特設主管建築機關，僅需申請應用系統角色申請:
    // the demo marks 安平區公所 so.
    let anping = principal(&s, "anping_admin").await;
    let sample = s.app_id("portico-sample").await;
    let mut a = ask(Step::Role, sample);
    a.roles = vec![role(&s, "stat.reporter").await];
    // Its holder fills in the role's fields.
    refused(
        s.app.submit_ask(&anping, &ctx(), &a, None, None).await,
        "負責報表編號",
    );
    a.attrs
        .insert("report_code".into(), "公務 1234-01-01".into());
    let (id, _) = s
        .app
        .submit_ask(&anping, &ctx(), &a, None, None)
        .await
        .unwrap();
    // Its own admin cannot sign it; the system admin can.
    refused(
        s.app.decide_form(&anping, &ctx(), id, true, "").await,
        "不能簽核自己",
    );
    s.app
        .decide_form(&principal(&s, "admin").await, &ctx(), id, true, "")
        .await
        .unwrap();
    let roles = s.app.my_access(&anping).await.unwrap().roles;
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].attrs["report_code"], "公務 1234-01-01");
    // Joining the organisation its agency already is: refused by name.
    let mut join = ask(Step::Org, org(&s, "臺南市安平區公所").await);
    join.title = None;
    refused(
        s.app.submit_ask(&anping, &ctx(), &join, None, None).await,
        "無需申請加入",
    );
}

#[tokio::test]
async fn uploads_are_taken_for_what_their_bytes_say_and_nothing_is_half_written() {
    let s = TestServer::start(20).await;
    let staff = principal(&s, "staff").await;
    let a = ask(Step::Category, category(&s, "stausr").await);
    let forms = "SELECT COUNT(*) AS n FROM access_forms";
    let files = "SELECT COUNT(*) AS n FROM files";
    let (f0, n0) = (count(&s, forms).await, count(&s, files).await);
    for (name, bytes, words) in [
        (
            "form.pdf",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec(),
            "不是 PDF",
        ),
        ("form.pdf", Vec::new(), "空的"),
        (
            "form.pdf",
            [b"%PDF-1.7\n".as_slice(), &vec![b' '; 11 * 1024 * 1024]].concat(),
            "過大",
        ),
        ("form.pdf", b"\x89PNG\r\n\x1a\n...".to_vec(), "內容是 PNG"),
    ] {
        let up = Some(Upload {
            name: name.into(),
            bytes,
        });
        refused(s.app.submit_ask(&staff, &ctx(), &a, up, None).await, words);
    }
    assert_eq!(count(&s, forms).await, f0);
    assert_eq!(count(&s, files).await, n0);
    // A real PDF goes in, and reads back byte for byte.
    let pdf = b"%PDF-1.4\n% a scan\n".to_vec();
    let up = Some(Upload {
        name: "signed.pdf".into(),
        bytes: pdf.clone(),
    });
    let (id, _) = s
        .app
        .submit_ask(&staff, &ctx(), &a, up, None)
        .await
        .unwrap();
    let got = s.app.form_attachment(&staff, id, false).await.unwrap();
    assert_eq!(got.bytes, pdf);
    assert_eq!(got.file.kind.content_type(), "application/pdf");
    // Somebody else's form's scan is not there for them.
    let edu = principal(&s, "edu_admin").await;
    assert!(matches!(
        s.app.form_attachment(&edu, id, false).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn of_two_approvers_racing_exactly_one_counts() {
    let s = TestServer::start(20).await;
    let statistician = principal(&s, "statistician").await;
    let sample = s.app_id("portico-sample").await;
    // Held: stat.user. Asked: stat.reporter too, signed off by 主計處's
    // admins (the agency's) — and by the system admin.
    let mut a = ask(Step::Role, sample);
    a.roles = vec![role(&s, "stat.user").await, role(&s, "stat.reporter").await];
    a.attrs.insert("report_code".into(), "主計 01".into());
    // The demo's waiting form for this application is withdrawn first.
    let waiting = s
        .app
        .my_access(&statistician)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == portico_core::access::FormState::Pending)
        .unwrap()
        .id;
    s.app
        .withdraw_form(&statistician, &ctx(), waiting)
        .await
        .unwrap();
    let (id, _) = s
        .app
        .submit_ask(&statistician, &ctx(), &a, None, None)
        .await
        .unwrap();
    let (one, two) = (
        principal(&s, "stat_mgr").await,
        principal(&s, "admin").await,
    );
    let c = ctx();
    let (r1, r2) = tokio::join!(
        s.app.decide_form(&one, &c, id, true, ""),
        s.app.decide_form(&two, &c, id, false, "重複申請")
    );
    assert!(r1.is_ok() != r2.is_ok(), "{r1:?} {r2:?}");
    let loser = if r1.is_ok() { r2 } else { r1 };
    refused(loser, "其他簽核者");
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM access_forms WHERE id = {} AND state IN ('approved', 'rejected')", id.0)).await,
        1
    );
}

#[tokio::test]
async fn a_form_approved_after_the_applicant_was_disabled_or_its_prerequisite_lapsed_is_refused() {
    let s = TestServer::start(20).await;
    let statistician = principal(&s, "statistician").await;
    let sample = s.app_id("portico-sample").await;
    let manager_role = role(&s, "stat.manager").await;
    let user = role(&s, "stat.user").await;
    let mut a = ask(Step::Role, sample);
    a.roles = vec![user, manager_role];
    // The demo's statistician already has this form waiting.
    refused(
        s.app
            .submit_ask(&statistician, &ctx(), &a, scan(), scan())
            .await,
        "簽核中",
    );
    let waiting = s
        .app
        .my_access(&statistician)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == portico_core::access::FormState::Pending)
        .expect("the demo's waiting form")
        .id;
    // Their category is removed (its form approved) while it waits.
    let mut leave = ask(Step::Category, category(&s, "stausr").await);
    leave.remove = true;
    through(&s, &statistician, &leave, "admin").await;
    let mgr = principal(&s, "stat_mgr").await;
    let view = s.app.form_view(&mgr, waiting).await.unwrap();
    assert!(
        view.blocked
            .is_some_and(|m| m.zh.contains("stausr") || m.zh.contains("會員類別"))
    );
    refused(
        s.app.decide_form(&mgr, &ctx(), waiting, true, "").await,
        "會員類別",
    );
    // Declining still works, with a note; without one it says so.
    refused(
        s.app.decide_form(&mgr, &ctx(), waiting, false, "").await,
        "簽核備註",
    );
    s.app
        .decide_form(&mgr, &ctx(), waiting, false, "會員類別已刪除")
        .await
        .unwrap();

    // A disabled applicant: the approval is refused.
    let staff = principal(&s, "staff").await;
    let (id, _) = s
        .app
        .submit_ask(
            &staff,
            &ctx(),
            &ask(Step::Category, category(&s, "plnusr").await),
            None,
            None,
        )
        .await
        .unwrap();
    let mut c = s.app.db.begin().await.unwrap();
    sqlx::query("UPDATE accounts SET state = 'disabled' WHERE login = 'staff'")
        .execute(&mut *c)
        .await
        .unwrap();
    c.commit().await.unwrap();
    refused(
        s.app
            .decide_form(&principal(&s, "admin").await, &ctx(), id, true, "")
            .await,
        "已停用",
    );
}

#[tokio::test]
async fn a_removed_role_is_gone_from_the_next_token() {
    let s = TestServer::start(20).await;
    let statistician = principal(&s, "statistician").await;
    let sample = s.app_id("portico-sample").await;
    let a = accounts::find_by_login(&mut s.app.db.read().await.unwrap(), "statistician")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.app.person_claims(&a, sample, &[]).await.unwrap()["roles"],
        serde_json::json!(["stat.user"])
    );
    // The demo's waiting form is withdrawn first (one form per application).
    let waiting = s
        .app
        .my_access(&statistician)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == portico_core::access::FormState::Pending)
        .unwrap()
        .id;
    s.app
        .withdraw_form(&statistician, &ctx(), waiting)
        .await
        .unwrap();
    let mut remove = ask(Step::Role, sample);
    remove.roles = vec![];
    through(&s, &statistician, &remove, "stat_mgr").await;
    assert_eq!(
        s.app.person_claims(&a, sample, &[]).await.unwrap()["roles"],
        serde_json::json!([])
    );
    // Nothing held and nothing ticked: said so, nothing filed.
    refused(
        s.app
            .submit_ask(&statistician, &ctx(), &remove, None, None)
            .await,
        "請勾選要申請的角色",
    );
}

#[tokio::test]
async fn the_printed_form_reads_back_with_its_labels_and_the_applicants_data() {
    let s = TestServer::start(20).await;
    let staff = principal(&s, "staff").await;
    let mut a = ask(Step::Category, category(&s, "stausr").await);
    a.note = "請協助加速辦理".into();
    let pdf = s.app.print_ask(&staff, &a).await.expect("printed");
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile_dir();
    if let Ok(keep) = std::env::var("PORTICO_KEEP_PDF") {
        std::fs::write(keep, &pdf).unwrap();
    }
    let path = dir.join("form.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    for label in [
        "版本編號",
        "機密等級",
        "會員類別申請表",
        "類型",
        "新增",
        "刪除",
        "申請時間",
        "會員類別名稱",
        "stausr",
        "地方政府公務統計人員",
        "申請人帳號",
        "staff",
        "申請人姓名",
        "王小明",
        "聯絡電話",
        "電子郵件",
        "staff@mail.tainan.gov.tw",
        "用途說明",
        "公務統計帳號申請",
        "備註",
        "請協助加速辦理",
        "申請人",
        "申請單位主管",
        "簽章",
    ] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
    // The font is embedded as a subset, not whole.
    let fonts = std::process::Command::new("pdffonts")
        .arg(&path)
        .output()
        .unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(fonts.contains("yes yes"), "embedded and subset: {fonts}");
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    // Nothing is printed for an item whose form already waits.
    let mut r = ask(Step::Role, s.app_id("portico-sample").await);
    r.roles = vec![role(&s, "stat.user").await];
    let statistician = principal(&s, "statistician").await;
    refused(s.app.print_ask(&statistician, &r).await, "簽核中");
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("portico-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn a_role_form_follows_its_applicant_when_they_move() {
    let s = TestServer::start(20).await;
    // anping_admin's district office skips to roles; a person of 民政局
    // with a category and a membership asks for stat.reporter, signed off
    // by their agency's admins.
    let staff = principal(&s, "staff").await;
    through(
        &s,
        &staff,
        &ask(Step::Category, category(&s, "stausr").await),
        "admin",
    )
    .await;
    let mut join = ask(Step::Org, org(&s, "民政局").await);
    join.title = title_of(&s, org(&s, "民政局").await).await;
    through(&s, &staff, &join, "civil_admin").await;
    let mut a = ask(Step::Role, s.app_id("portico-sample").await);
    a.roles = vec![role(&s, "stat.reporter").await];
    a.attrs.insert("report_code".into(), "民政 07".into());
    let (id, _) = s
        .app
        .submit_ask(&staff, &ctx(), &a, None, None)
        .await
        .unwrap();
    // They move to 教育局 before it is decided.
    let mut c = s.app.db.begin().await.unwrap();
    sqlx::query(
        "UPDATE accounts SET unit_id = (SELECT u.id FROM org_units u JOIN org_units g ON g.id = u.agency_id \
         WHERE g.name = '教育局' AND u.kind = 'unit' ORDER BY u.id LIMIT 1) WHERE login = 'staff'",
    )
    .execute(&mut *c)
    .await
    .unwrap();
    c.commit().await.unwrap();
    // 民政局's admins no longer see or sign it; 教育局's do.
    let civil = principal(&s, "civil_admin").await;
    assert!(
        !s.app
            .approvals(&civil, &QueueFilter::default(), 1, 50)
            .await
            .unwrap()
            .items
            .iter()
            .any(|x| x.form.id == id)
    );
    assert!(matches!(
        s.app.decide_form(&civil, &ctx(), id, true, "").await,
        Err(Error::NotFound)
    ));
    let edu = principal(&s, "edu_admin").await;
    assert!(
        s.app
            .approvals(&edu, &QueueFilter::default(), 1, 50)
            .await
            .unwrap()
            .items
            .iter()
            .any(|x| x.form.id == id)
    );
    s.app.decide_form(&edu, &ctx(), id, true, "").await.unwrap();
}

#[tokio::test]
async fn giving_up_a_category_takes_the_roles_that_need_it() {
    let s = TestServer::start(20).await;
    let st = principal(&s, "statistician").await;
    let sample = s.app_id("portico-sample").await;
    let a = accounts::find_by_login(&mut s.app.db.read().await.unwrap(), "statistician")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.app.person_claims(&a, sample, &[]).await.unwrap()["roles"],
        serde_json::json!(["stat.user"])
    );
    let mut leave = ask(Step::Category, category(&s, "stausr").await);
    leave.remove = true;
    through(&s, &st, &leave, "admin").await;
    // stat.user needs stausr: gone with it.
    assert_eq!(
        s.app.person_claims(&a, sample, &[]).await.unwrap()["roles"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn a_refused_decline_comes_back_as_a_decline() {
    let s = TestServer::start(20).await;
    let st = principal(&s, "statistician").await;
    let waiting = s
        .app
        .my_access(&st)
        .await
        .unwrap()
        .forms
        .into_iter()
        .find(|f| f.state == portico_core::access::FormState::Pending)
        .unwrap()
        .id;
    let mut mgr = s.signed_in("stat_mgr").await;
    let csrf = mgr.csrf_from(&format!("/access/forms/{}", waiting.0)).await;
    // 不同意 without 備註: refused, and the page still says 不同意.
    let (st_code, page, _) = mgr
        .post_form(
            &format!("/access/forms/{}/decide", waiting.0),
            &[("_csrf", &csrf), ("decision", "reject"), ("note", "")],
        )
        .await;
    assert_eq!(st_code, 422, "{page}");
    assert!(page.contains("不同意時請填寫簽核備註"), "{page}");
    assert!(
        page.contains(r#"id="fm-d-r" name="decision" value="reject" checked"#),
        "{page}"
    );
    assert!(!page.contains(r#"value="approve" checked"#), "{page}");
    // Nothing was decided.
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT COUNT(*) AS n FROM access_forms WHERE id = {} AND state = 'pending'",
                waiting.0
            )
        )
        .await,
        1
    );
}
