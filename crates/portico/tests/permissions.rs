//! Rank as much as subtree (STYLE.md "Permission is a capability"): nobody
//! acts on an admin who outranks them, decides their own request, grants
//! more than the role they hold over that subtree, or leaves the city
//! without an active system admin. Each rule through the pages and the API,
//! on a real server (SQLite, or PostgreSQL when PORTICO_TEST_PG is set).
mod common;

use common::{Client, TestServer, between};
use portico_core::request::RequestKind;
use serde_json::json;

/// The id of the org unit named `name` under `within` (or at the top).
async fn unit(s: &TestServer, within: Option<&str>, name: &str) -> i64 {
    let tree = s.app.org_tree().await.expect("tree");
    let parent = within.map(|w| {
        tree.units
            .iter()
            .find(|u| u.name == w)
            .unwrap_or_else(|| panic!("{w}"))
            .path
            .clone()
    });
    tree.units
        .iter()
        .find(|u| u.name == name && parent.as_ref().is_none_or(|p| p.contains(&u.path)))
        .map(|u| u.id.0)
        .unwrap_or_else(|| panic!("{name}"))
}

/// The system admin grants `kind` over `scope` to `login`.
async fn grant(s: &TestServer, admin: &mut Client, login: &str, kind: &str, scope: Option<i64>) {
    let id = s.account_id(login).await;
    let csrf = admin.csrf().await;
    let (st, body) = admin
        .api_post(
            &format!("/accounts/{id}/roles"),
            &csrf,
            json!({"kind": kind, "scope_unit": scope}),
        )
        .await;
    assert_eq!(st, 200, "grant {kind} to {login}: {body}");
}

async fn account_row(s: &TestServer, login: &str) -> portico_store::accounts::Account {
    let mut c = s.app.db.read().await.expect("conn");
    portico_store::accounts::find_by_login(&mut c, login)
        .await
        .expect("query")
        .expect("account")
}

async fn roles_of(s: &TestServer, login: &str) -> Vec<String> {
    let id = portico_core::ids::AccountId(s.account_id(login).await);
    let mut c = s.app.db.read().await.expect("conn");
    portico_store::roles::of_account(&mut c, id)
        .await
        .expect("roles")
        .iter()
        .map(|g| format!("{}:{}", g.kind.as_str(), g.scope_name))
        .collect()
}

#[tokio::test]
async fn unit_admin_cannot_act_on_the_agency_admin_sitting_in_their_unit() {
    let s = TestServer::start(10).await;
    // civil_admin (agency admin of 民政局) sits in 民政局/行政科, the unit
    // admin's own unit.
    let civil = s.account_id("civil_admin").await;
    // Their sign-in is in the trail, in the unit admin's scope.
    drop(s.signed_in("civil_admin").await);
    let mut unit_admin = s.signed_in("unit_admin").await;
    let csrf = unit_admin.csrf().await;
    let (st, _) = unit_admin.api_get(&format!("/accounts/{civil}")).await;
    assert_eq!(st, 404, "not even seen through the API");
    let (st, _) = unit_admin.get(&format!("/admin/accounts/{civil}")).await;
    assert_eq!(st, 404, "not even seen on the page");
    let (st, _) = unit_admin
        .api_post(
            &format!("/accounts/{civil}/reset-password"),
            &csrf,
            json!({}),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _, _) = unit_admin
        .post_form(
            &format!("/admin/accounts/{civil}/reset-password"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = unit_admin
        .api_post(
            &format!("/accounts/{civil}/disable"),
            &csrf,
            json!({"reason": "試圖停用上級"}),
        )
        .await;
    assert_eq!(st, 404);
    let a = account_row(&s, "civil_admin").await;
    assert!(!a.must_change_password, "the reset did not happen");
    assert_eq!(a.state.as_str(), "active", "the disable did not happen");
    // The search lists only whom the unit admin may open: staff, not the
    // agency admin above them.
    let (st, body) = unit_admin.api_get("/accounts?per_page=200").await;
    assert_eq!(st, 200);
    let logins: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["login"].as_str())
        .collect();
    assert!(logins.contains(&"staff"), "{logins:?}");
    assert!(
        !logins.contains(&"civil_admin"),
        "the agency admin is not listed: {logins:?}"
    );
    // Nor their sign-ins, addresses and browsers in the audit trail.
    let (st, body) = unit_admin.api_get("/audit?per_page=200").await;
    assert_eq!(st, 200);
    let about: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["target_kind"] == "account" && e["target_id"] == civil)
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(
        about,
        Vec::<i64>::new(),
        "no event about the agency admin listed"
    );
    let seq: i64 = {
        let mut c = s.app.db.read().await.expect("conn");
        let r = sqlx::query(
            "SELECT MAX(seq) AS seq FROM audit_events WHERE target_kind = 'account' AND target_id = $1",
        )
        .bind(civil)
        .fetch_one(&mut *c)
        .await
        .expect("an event about civil_admin");
        sqlx::Row::get::<i64, _>(&r, "seq")
    };
    assert_eq!(unit_admin.api_get(&format!("/audit/{seq}")).await.0, 404);
    assert_eq!(unit_admin.get(&format!("/admin/audit/{seq}")).await.0, 404);
    let mut admin = s.signed_in("admin").await;
    assert_eq!(
        admin.api_get(&format!("/audit/{seq}")).await.0,
        200,
        "the system admin reads it"
    );
    // A general user in the same unit is the unit admin's to manage.
    let staff = s.account_id("staff").await;
    let (st, body) = unit_admin
        .api_post(
            &format!("/accounts/{staff}/reset-password"),
            &csrf,
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
}

#[tokio::test]
async fn agency_admin_cannot_read_reset_or_disable_the_system_admin_in_their_agency() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    // staff becomes agency admin of 智慧發展中心, where the only system admin
    // sits.
    let agency = unit(&s, None, "智慧發展中心").await;
    grant(&s, &mut admin, "staff", "agency_admin", Some(agency)).await;
    let sys = s.account_id("admin").await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    assert_eq!(staff.api_get(&format!("/accounts/{sys}")).await.0, 404);
    assert_eq!(staff.get(&format!("/admin/accounts/{sys}")).await.0, 404);
    for action in ["reset-password", "unlock", "enable"] {
        let (st, _) = staff
            .api_post(&format!("/accounts/{sys}/{action}"), &csrf, json!({}))
            .await;
        assert_eq!(st, 404, "{action}");
    }
    let (st, _, _) = staff
        .post_form(
            &format!("/admin/accounts/{sys}/disable"),
            &[("_csrf", &csrf), ("reason", "鎖死所有人")],
        )
        .await;
    assert_eq!(st, 404);
    let a = account_row(&s, "admin").await;
    assert_eq!(a.state.as_str(), "active");
    assert!(!a.must_change_password);
    // Nor listed: a search shows only what may be opened.
    let (st, body) = staff.api_get("/accounts?login=admin").await;
    assert_eq!(st, 200);
    let logins: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["login"].as_str())
        .collect();
    assert!(
        !logins.contains(&"admin"),
        "the system admin is not listed: {logins:?}"
    );
    let (_, page) = staff.get("/admin/accounts?login=admin").await;
    assert!(!page.contains(">admin<"), "nor on the page");
}

#[tokio::test]
async fn a_peer_admin_is_seen_but_refused_by_name() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let civil_agency = unit(&s, None, "民政局").await;
    grant(&s, &mut admin, "staff", "agency_admin", Some(civil_agency)).await;
    let staff = s.account_id("staff").await;
    let mut civil = s.signed_in("civil_admin").await;
    let csrf = civil.csrf().await;
    assert_eq!(civil.api_get(&format!("/accounts/{staff}")).await.0, 200);
    let (st, body) = civil
        .api_post(
            &format!("/accounts/{staff}/disable"),
            &csrf,
            json!({"reason": "同級互停"}),
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        body["message"]["zh"]
            .as_str()
            .is_some_and(|m| m.contains("機關管理者") && m.contains("上一級")),
        "{body}"
    );
    let (st, page, _) = civil
        .post_form(
            &format!("/admin/accounts/{staff}/reset-password"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 409, "{page}");
    assert!(page.contains("上一級"), "the page names why");
    assert_eq!(account_row(&s, "staff").await.state.as_str(), "active");
    // The system admin outranks both.
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .api_post(
            &format!("/accounts/{staff}/reset-password"),
            &csrf,
            json!({}),
        )
        .await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn nobody_approves_their_own_admin_rights_request_nor_grants_above_their_rank() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let civil_agency = unit(&s, None, "民政局").await;
    // Two unit admins whose scope is the whole agency: it covers the
    // agency an admin-rights request names.
    grant(&s, &mut admin, "staff", "unit_admin", Some(civil_agency)).await;
    grant(&s, &mut admin, "expiring", "unit_admin", Some(civil_agency)).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let (st, _, _) = staff
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", "協助本局帳號管理")],
        )
        .await;
    assert_eq!(st, 303);
    let id = portico_core::ids::AccountId(s.account_id("staff").await);
    let r = {
        let mut c = s.app.db.read().await.expect("conn");
        portico_store::requests::open_of(&mut c, id, RequestKind::AdminRights)
            .await
            .expect("query")
            .expect("open")
    };
    let decide = |c: &mut Client, csrf: String| {
        let form = [
            ("_csrf".to_owned(), csrf),
            ("decision".to_owned(), "approve".to_owned()),
            ("note".to_owned(), String::new()),
            ("ids".to_owned(), r.id.to_string()),
            ("back".to_owned(), "one".to_owned()),
        ];
        let mut c = c.clone();
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            c.post_form("/admin/requests/decide", &f).await
        }
    };
    // Their own request: refused, by name.
    let (st, page, _) = decide(&mut staff, csrf.clone()).await;
    assert!(page.contains("不能審核自己"), "{st} {page}");
    assert!(
        !roles_of(&s, "staff")
            .await
            .iter()
            .any(|r| r.starts_with("agency_admin"))
    );
    // Another unit admin of the agency is their peer: refused by name.
    let mut other = s.signed_in("expiring").await;
    let csrf_other = other.csrf().await;
    let (st, page, _) = decide(&mut other, csrf_other).await;
    assert!(
        page.contains("單位管理者") && page.contains("上一級"),
        "{st} {page}"
    );
    assert!(
        !roles_of(&s, "staff")
            .await
            .iter()
            .any(|r| r.starts_with("agency_admin"))
    );
    // The agency admin may.
    let mut civil = s.signed_in("civil_admin").await;
    let csrf_civil = civil.csrf().await;
    let (st, _, to) = decide(&mut civil, csrf_civil).await;
    assert_eq!(
        (st, to),
        (303, format!("/admin/requests/{}?ok=approved", r.id))
    );
    assert!(
        roles_of(&s, "staff")
            .await
            .iter()
            .any(|r| r == "agency_admin:民政局")
    );
}

#[tokio::test]
async fn a_decision_never_grants_what_the_decider_could_not_grant_directly() {
    let s = TestServer::start(200).await;
    let mut admin = s.signed_in("admin").await;
    let civil_agency = unit(&s, None, "民政局").await;
    grant(&s, &mut admin, "expiring", "unit_admin", Some(civil_agency)).await;
    // A general user of 民政局 asks for agency admin rights.
    let login: String = {
        let mut c = s.app.db.read().await.expect("conn");
        sqlx::Row::get(
            &sqlx::query(
                "SELECT a.login FROM accounts a JOIN org_units u ON u.id = a.unit_id \
                 JOIN org_units g ON g.id = u.agency_id WHERE g.name = '民政局' AND a.state = 'active' AND a.password_hash IS NOT NULL \
                 AND a.login NOT IN ('civil_admin', 'unit_admin', 'staff', 'expiring', 'locked_user') \
                 AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.account_id = a.id) ORDER BY a.id",
            )
            .fetch_one(&mut *c)
            .await
            .expect("a general user of 民政局"),
            "login",
        )
    };
    let mut person = s.signed_in(&login).await;
    let csrf = person.csrf().await;
    let (st, _, _) = person
        .post_form(
            "/account/requests/admin-rights",
            &[("_csrf", &csrf), ("reason", "協助本局帳號管理")],
        )
        .await;
    assert_eq!(st, 303);
    let id = portico_core::ids::AccountId(s.account_id(&login).await);
    let r = {
        let mut c = s.app.db.read().await.expect("conn");
        portico_store::requests::open_of(&mut c, id, RequestKind::AdminRights)
            .await
            .expect("query")
            .expect("open")
    };
    let rid = r.id.to_string();
    let approve = |c: Client| {
        let rid = rid.clone();
        async move {
            let mut c = c;
            let csrf = c.csrf().await;
            c.post_form(
                "/admin/requests/decide",
                &[
                    ("_csrf", &csrf),
                    ("decision", "approve"),
                    ("note", ""),
                    ("ids", &rid),
                    ("back", "one"),
                ],
            )
            .await
        }
    };
    // A unit admin whose scope covers the agency could not grant agency
    // admin directly, so may not by approving either.
    let (st, page, _) = approve(s.signed_in("expiring").await).await;
    assert!(page.contains("超出您可以直接指派"), "{st} {page}");
    assert!(roles_of(&s, &login).await.is_empty());
    let (st, _, _) = approve(s.signed_in("civil_admin").await).await;
    assert_eq!(st, 303);
    assert_eq!(
        roles_of(&s, &login).await,
        vec!["agency_admin:民政局".to_owned()]
    );
}

#[tokio::test]
async fn mixed_roles_grant_by_the_role_held_over_that_subtree() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let civil_agency = unit(&s, None, "民政局").await;
    let edu = unit(&s, None, "教育局").await;
    // staff: unit admin over all of 民政局, agency admin of 教育局.
    grant(&s, &mut admin, "staff", "unit_admin", Some(civil_agency)).await;
    grant(&s, &mut admin, "staff", "agency_admin", Some(edu)).await;
    let target = s.account_id("locked_user").await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let (st, body) = staff
        .api_post(
            &format!("/accounts/{target}/roles"),
            &csrf,
            json!({"kind": "agency_admin", "scope_unit": civil_agency}),
        )
        .await;
    assert_eq!(st, 403, "only a unit admin over 民政局: {body}");
    let (st, _, _) = staff
        .post_form(
            &format!("/admin/accounts/{target}/roles"),
            &[
                ("_csrf", &csrf),
                ("kind", "agency_admin"),
                ("scope_unit", &civil_agency.to_string()),
            ],
        )
        .await;
    assert_eq!(st, 403, "the page refuses the same");
    assert!(roles_of(&s, "locked_user").await.is_empty());
    // A unit admin over 民政局 makes no unit admin there either: a peer
    // they could not revoke (issue 12), and the refusal says so.
    let section = unit(&s, Some("民政局"), "行政科").await;
    let (st, body) = staff
        .api_post(
            &format!("/accounts/{target}/roles"),
            &csrf,
            json!({"kind": "unit_admin", "scope_unit": section}),
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.to_string().contains("低於自己層級"), "{body}");
    // Below the agency admin role over 教育局, it grants.
    let edu_section = unit(&s, Some("教育局"), "行政科").await;
    let (st, body) = staff
        .api_post(
            &format!("/accounts/{target}/roles"),
            &csrf,
            json!({"kind": "unit_admin", "scope_unit": edu_section}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    // …and takes it back.
    let grant_id = {
        let mut c = s.app.db.read().await.expect("conn");
        portico_store::roles::of_account(&mut c, portico_core::ids::AccountId(target))
            .await
            .expect("roles")[0]
            .id
    };
    let (st, body) = staff
        .api(
            "DELETE",
            &format!("/accounts/{target}/roles/{grant_id}"),
            &csrf,
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert!(roles_of(&s, "locked_user").await.is_empty());
}

#[tokio::test]
async fn the_last_active_system_admin_cannot_leave_by_an_agency_change() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let to = unit(&s, Some("教育局"), "行政科").await.to_string();
    let (st, page, _) = admin
        .post_form(
            "/account/requests/agency-change",
            &[
                ("_csrf", &csrf),
                ("unit", &to),
                ("title", "科員"),
                ("reason", "調職"),
            ],
        )
        .await;
    assert_eq!(st, 409, "{page}");
    assert!(page.contains("唯一啟用中的系統管理者"), "{page}");
    assert_eq!(account_row(&s, "admin").await.state.as_str(), "active");
}

#[tokio::test]
async fn two_system_admins_disabling_each_other_at_once_leave_exactly_one() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    grant(&s, &mut admin, "staff", "system_admin", None).await;
    let mut staff = s.signed_in("staff").await;
    let (a_id, s_id) = (s.account_id("admin").await, s.account_id("staff").await);
    let (ca, cs) = (admin.csrf().await, staff.csrf().await);
    let (mut c1, mut c2) = (admin.clone(), staff.clone());
    let one = tokio::spawn(async move {
        c1.api_post(
            &format!("/accounts/{s_id}/disable"),
            &ca,
            json!({"reason": "互停"}),
        )
        .await
        .0
    });
    let two = tokio::spawn(async move {
        c2.api_post(
            &format!("/accounts/{a_id}/disable"),
            &cs,
            json!({"reason": "互停"}),
        )
        .await
        .0
    });
    let (one, two) = (one.await.expect("task"), two.await.expect("task"));
    let admin_state = account_row(&s, "admin").await.state;
    let staff_state = account_row(&s, "staff").await.state;
    // Exactly one request won, and it is the one whose target is disabled.
    assert_eq!(
        [one, two].iter().filter(|&&st| st == 200).count(),
        1,
        "{one} {two}"
    );
    if one == 200 {
        assert_eq!(
            (staff_state.as_str(), admin_state.as_str()),
            ("disabled", "active")
        );
    } else {
        assert_eq!(
            (admin_state.as_str(), staff_state.as_str()),
            ("disabled", "active")
        );
    }
    // The loser was refused by the guard, or found its session ended by the
    // winner.
    let loser = if one == 200 { two } else { one };
    assert!(loser == 409 || loser == 401, "{loser}");
}

#[tokio::test]
async fn a_unit_admin_cannot_bring_back_a_disabled_system_admin_by_reinstatement() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    grant(&s, &mut admin, "expiring", "system_admin", None).await;
    let victim = s.account_id("expiring").await;
    let csrf = admin.csrf().await;
    let (st, _) = admin
        .api_post(
            &format!("/accounts/{victim}/disable"),
            &csrf,
            json!({"reason": "離職"}),
        )
        .await;
    assert_eq!(st, 200);
    // The disabled system admin asks to come back into the unit admin's
    // own unit (the proof of identity is the flow's business; the request
    // is what the reviewer meets).
    let unit_id = unit(&s, Some("民政局"), "行政科").await;
    let rid = {
        let tree = s.app.org_tree().await.expect("tree");
        let u = tree
            .units
            .iter()
            .find(|u| u.id.0 == unit_id)
            .expect("unit")
            .clone();
        let mut tx = s.app.db.begin().await.expect("tx");
        let id = portico_store::requests::insert(
            &mut tx,
            &portico_store::requests::NewRequest {
                kind: RequestKind::Reinstate,
                account_id: portico_core::ids::AccountId(victim),
                unit_id: u.id,
                scope_path: &u.path,
                from_unit_id: None,
                from_state: Some(portico_core::account::AccountState::Disabled),
                title: "科員",
                reason: "復職",
                needs_official_mail: false,
                applicant_name: "李淑芬",
                applicant_login: "expiring",
            },
            s.app.now(),
        )
        .await
        .expect("request");
        tx.commit().await.expect("commit");
        id
    };
    let mut unit_admin = s.signed_in("unit_admin").await;
    assert_eq!(
        unit_admin.get(&format!("/admin/requests/{rid}")).await.0,
        404,
        "a request about someone above them is not theirs to see"
    );
    let csrf = unit_admin.csrf().await;
    let id = rid.to_string();
    let (st, _, _) = unit_admin
        .post_form(
            "/admin/requests/decide",
            &[
                ("_csrf", &csrf),
                ("decision", "approve"),
                ("note", ""),
                ("ids", &id),
                ("back", "one"),
            ],
        )
        .await;
    assert_eq!(st, 404, "nor to decide");
    assert_eq!(account_row(&s, "expiring").await.state.as_str(), "disabled");
    // The system admin may.
    let csrf = admin.csrf().await;
    let (st, _, to) = admin
        .post_form(
            "/admin/requests/decide",
            &[
                ("_csrf", &csrf),
                ("decision", "approve"),
                ("note", ""),
                ("ids", &id),
                ("back", "one"),
            ],
        )
        .await;
    assert_eq!(
        (st, to),
        (303, format!("/admin/requests/{rid}?ok=approved"))
    );
    assert_eq!(account_row(&s, "expiring").await.state.as_str(), "approved");
}

/// Found by fuzzing the API: an admin who forces their own password reset
/// from the console ended their own sessions mid-task. One's own account
/// is changed from one's own pages.
#[tokio::test]
async fn an_admin_does_not_change_their_own_account_from_the_console() {
    let s = TestServer::start(10).await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let me = s.account_id("admin").await;
    for path in [
        format!("/accounts/{me}/reset-password"),
        format!("/accounts/{me}/disable"),
        format!("/accounts/{me}/unlock"),
    ] {
        let (st, body) = admin.api_post(&path, &csrf, json!({"reason": "x"})).await;
        assert_eq!(st, 409, "{path}: {body}");
    }
    let (st, _) = admin.api_get("/me").await;
    assert_eq!(st, 200, "still signed in");
}

/// The role picker offers only what the admin can grant: strictly below
/// their own rank (the refusal stays for a forged form).
#[tokio::test]
async fn the_role_picker_offers_only_roles_below_the_admins_own() {
    let s = TestServer::start(20).await;
    let id = s.account_id("staff").await;
    let options = |page: &str| -> Vec<String> {
        page.split("<option value=\"")
            .skip(1)
            .map(|o| o.split('"').next().unwrap_or("").to_owned())
            .filter(|v| v.ends_with("_admin"))
            .collect()
    };
    let mut admin = s.signed_in("admin").await;
    let page = admin.get(&format!("/admin/accounts/{id}")).await.1;
    assert_eq!(
        options(&page),
        ["system_admin", "agency_admin", "unit_admin"]
    );
    let mut civil = s.signed_in("civil_admin").await;
    let page = civil.get(&format!("/admin/accounts/{id}")).await.1;
    assert_eq!(
        options(&page),
        ["unit_admin"],
        "an agency admin makes unit admins"
    );
    let mut unit_admin = s.signed_in("unit_admin").await;
    let page = unit_admin.get(&format!("/admin/accounts/{id}")).await.1;
    assert!(
        options(&page).is_empty() && page.contains("id=\"no-grant\""),
        "{page}"
    );
}

/// An event in an agency admin's scope done by a system admin names no
/// login, address or browser to the agency admin: the actor's account is
/// above them, as `Admin::view` has it. The system admin sees it all.
#[tokio::test]
async fn a_lower_admin_does_not_see_who_above_them_acted_nor_from_where() {
    let s = TestServer::start(20).await;
    let id = s.account_id("staff").await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let (st, body) = admin
        .api(
            "PUT",
            &format!("/accounts/{id}/profile"),
            &csrf,
            Some(json!({"name": "王小明", "title": "專員", "office_phone": "22991111"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let seq: i64 = {
        let mut c = s.app.db.read().await.expect("conn");
        let r = sqlx::query(
            "SELECT MAX(seq) AS seq FROM audit_events WHERE action = 'account.profile.admin_update'",
        )
        .fetch_one(&mut *c)
        .await
        .expect("the edit is audited");
        sqlx::Row::get::<i64, _>(&r, "seq")
    };
    let (_, seen) = admin.api_get(&format!("/audit/{seq}")).await;
    assert_eq!(seen["actor_login"], "admin");
    assert_ne!(seen["ip"], "", "{seen}");
    let mut civil = s.signed_in("civil_admin").await;
    let (st, e) = civil.api_get(&format!("/audit/{seq}")).await;
    assert_eq!(st, 200, "the event is in the agency admin's scope");
    assert_eq!(e["actor_login"], "@system_admin", "{e}");
    assert_eq!(
        (e["ip"].as_str(), e["user_agent"].as_str()),
        (Some(""), Some("")),
        "{e}"
    );
    assert!(e["actor_id"].is_null(), "{e}");
    let (_, list) = civil.api_get("/audit?per_page=200").await;
    let row = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["seq"] == seq)
        .expect("listed")
        .clone();
    assert_eq!(
        (row["actor_login"].as_str(), row["ip"].as_str()),
        (Some("@system_admin"), Some(""))
    );
    let page = civil.get(&format!("/admin/audit/{seq}")).await.1;
    assert!(
        page.contains("<dd>系統管理者</dd>") && !page.contains(">admin<"),
        "{page}"
    );
    // Nor does the account page's 最後異動 name the system admin.
    let page = civil.get(&format!("/admin/accounts/{id}")).await.1;
    let last = between(&page, "最後異動", "</dd>");
    assert!(
        last.contains("系統管理者") && !last.contains("admin "),
        "{last}"
    );
    // The agency admin's own doings keep their address.
    let own = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["actor_login"] == "civil_admin")
        .expect("civil_admin's own sign-in");
    assert_ne!(own["ip"], "", "{own}");
    // And the export says the same.
    let csrf = civil.csrf().await;
    let (st, xlsx) = civil
        .get_bytes(&format!(
            "/admin/audit/export.xlsx?reason_kind=case&reason=R115-0042&_csrf={csrf}"
        ))
        .await;
    assert_eq!(st, 200);
    let (_, text) = common::workbook_text(&xlsx);
    assert!(text.contains("系統管理者"), "in the export, in words");
    // The row's hashes would let a guess at the address be checked.
    assert_eq!(
        (e["hash"].as_str(), e["prev_hash"].as_str()),
        (Some(""), Some("")),
        "{e}"
    );
    // Searching by the actor or the address finds nothing withheld.
    for q in [
        "actor=admin&reason_kind=case&reason=R115-0042",
        "ip=127.0.0.1",
    ] {
        let (_, found) = civil
            .api_get_with_token(&format!("/audit?{q}&per_page=200"), &csrf)
            .await;
        let seqs: Vec<i64> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["seq"].as_i64())
            .collect();
        assert!(!seqs.contains(&seq), "{q}: {found}");
    }
    let (_, found) = civil
        .api_get_with_token(
            "/audit?actor=admin&reason_kind=case&reason=R115-0042",
            &csrf,
        )
        .await;
    assert_eq!(found["total"], 0, "{found}");
    let (_, found) = admin.api_get("/audit?actor=admin").await;
    assert!(
        found["total"].as_i64().unwrap() > 0,
        "the system admin finds them"
    );
    // The person the edit was about reads it without the admin's address
    // either (帳號使用紀錄's detail).
    let mut staff = s.signed_in("staff").await;
    let (st, mine) = staff.api_get(&format!("/me/records/{seq}")).await;
    assert_eq!(st, 200, "{mine}");
    assert_eq!(mine["actor_login"], "@system_admin", "{mine}");
    assert_eq!(
        (mine["ip"].as_str(), mine["user_agent"].as_str()),
        (Some(""), Some(""))
    );
    let page = staff.get(&format!("/records/{seq}")).await.1;
    assert!(!page.contains(">admin<"), "{page}");
}

/// Issue 12 §2.13: an admin edits a person's data and, inside the admin's
/// scope, their unit; a unit outside it goes by the agency-change request;
/// the edit is audited; an admin of another agency reaches nothing.
#[tokio::test]
async fn an_admin_edits_a_persons_data_and_unit_within_scope() {
    let s = TestServer::start(20).await;
    let id = s.account_id("staff").await;
    let mut civil = s.signed_in("civil_admin").await;
    let csrf = civil.csrf().await;
    let page = civil.get(&format!("/admin/accounts/{id}")).await.1;
    assert!(
        page.contains("修改個人資料"),
        "the form is on the account page"
    );
    // A bad phone: named, the typed values kept.
    let (st, page, _) = civil
        .post_form(
            &format!("/admin/accounts/{id}/profile"),
            &[
                ("_csrf", &csrf),
                ("name", "王大明"),
                ("title", "科長"),
                ("office_phone", "12"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(page.contains("value=\"王大明\""), "what was typed stays");
    let other_section = unit(&s, Some("民政局"), "業務一科").await;
    let (st, _, loc) = civil
        .post_form(
            &format!("/admin/accounts/{id}/profile"),
            &[
                ("_csrf", &csrf),
                ("name", "王大明"),
                ("title", "科長"),
                ("office_phone", "22991111"),
                ("unit", &other_section.to_string()),
            ],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    let a = account_row(&s, "staff").await;
    assert_eq!(
        (a.name.as_str(), a.title.as_str(), a.unit_name.as_str()),
        ("王大明", "科長", "業務一科")
    );
    let ev = common::oidc::audit_reasons(&s, "account.profile.admin_update").await;
    assert_eq!(ev.len(), 1);
    // Another agency's unit: by request, not by the admin.
    let edu_section = unit(&s, Some("教育局"), "行政科").await;
    let (st, body) = civil
        .api(
            "PUT",
            &format!("/accounts/{id}/profile"),
            &csrf,
            Some(json!({"name": "王大明", "office_phone": "22991111", "unit_id": edu_section})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    assert!(body.to_string().contains("機關(單位)異動"), "{body}");
    assert_eq!(account_row(&s, "staff").await.unit_name, "業務一科");
    // An admin of another agency does not reach the account at all.
    let mut edu = s.signed_in("edu_admin").await;
    let ecsrf = edu.csrf().await;
    let (st, _) = edu
        .api(
            "PUT",
            &format!("/accounts/{id}/profile"),
            &ecsrf,
            Some(json!({"name": "X", "office_phone": "22991111"})),
        )
        .await;
    assert_eq!(st, 404);
    assert_eq!(account_row(&s, "staff").await.name, "王大明");
}
