//! Directory targets against real directories (issue 13): OpenLDAP over
//! StartTLS and Samba as an Active Directory domain controller over LDAPS,
//! both on loopback (`scripts/peers/directory`).
mod common;

use common::directory::peers;
use portico_app::directory::client::{Step, probe};

#[tokio::test]
async fn the_connection_test_passes_against_openldap_and_samba_ad() {
    portico_app::sms::install_tls_provider();
    for kind in ["ldap", "ad"] {
        let (input, pw) = peers().target(kind);
        let t = input.check().expect("a valid target");
        probe(&t, &pw)
            .await
            .unwrap_or_else(|f| panic!("{kind}: {f:?}"));
    }
}

#[tokio::test]
async fn the_connection_test_names_the_step_that_failed() {
    portico_app::sms::install_tls_provider();
    let (input, pw) = peers().target("ad");
    let t = input.check().unwrap();
    let step = |r: Result<(), portico_app::directory::client::Failure>| r.expect_err("fails").step;
    // A wrong password: the bind.
    assert_eq!(step(probe(&t, "wrong").await), Step::Bind);
    // A base that is not there.
    let mut no_base = t.clone();
    no_base.people_base = "OU=Nowhere,DC=portico,DC=test".into();
    let f = probe(&no_base, &pw).await.expect_err("no such base");
    assert_eq!(f.step, Step::Base);
    assert!(f.message.zh.contains("OU=Nowhere"), "{:?}", f.message);
    // The directory's certificate, checked against the system's roots
    // instead of the test CA: not trusted.
    let mut no_ca = t.clone();
    no_ca.ca_pem = String::new();
    assert_eq!(step(probe(&no_ca, &pw).await), Step::Tls);
    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut down = t.clone();
    down.port = port;
    down.url = format!("ldaps://127.0.0.1:{port}");
    assert_eq!(step(probe(&down, &pw).await), Step::Connect);
    // A host name that does not resolve.
    let mut unknown = t.clone();
    unknown.host = "no-such-host.invalid".into();
    unknown.url = "ldaps://no-such-host.invalid".into();
    assert_eq!(step(probe(&unknown, &pw).await), Step::Resolve);
}

/// 管理主控台 → AD 同步管理作業: a system admin adds a target through the
/// page, tests it, breaks and mends its password; the password never
/// appears again; nobody else reaches the page.
#[tokio::test]
async fn a_system_admin_keeps_targets_on_the_sync_page() {
    let s = common::TestServer::start(5).await;
    let (input, pw) = peers().fresh_target("ldap").await;
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let page = admin.get("/admin/directory").await.1;
    assert!(
        page.contains("臺南市政府 AD（示範，未連線）"),
        "the demo's target: {page}"
    );
    // A form with mistakes names each field and saves nothing.
    let (st, page, _) = admin
        .post_form(
            "/admin/directory",
            &[
                ("_csrf", &csrf),
                ("name", "x"),
                ("kind", "ldap"),
                ("url", &input.url),
                ("bind_dn", "nonsense"),
            ],
        )
        .await;
    assert_eq!(st, 422, "{page}");
    for field in ["url", "bind_dn", "bind_password", "people_base"] {
        assert!(
            page.contains(&format!("id=\"{field}\""))
                && page.contains(&format!("id=\"{field}-err\" class=\"err\">")),
            "{field}"
        );
    }
    assert!(
        page.contains("須啟用 StartTLS"),
        "ldap:// without StartTLS: {page}"
    );
    let form = |password: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("name", "測試 LDAP".to_owned()),
            ("kind", "ldap".to_owned()),
            ("url", input.url.clone()),
            ("starttls", "on".to_owned()),
            ("ca_pem", input.ca_pem.clone()),
            ("bind_dn", input.bind_dn.clone()),
            ("bind_password", password.to_owned()),
            ("people_base", input.people_base.clone()),
            ("unit_ous", "on".to_owned()),
            ("password_sync", "on".to_owned()),
            ("enabled", "on".to_owned()),
        ]
    };
    let f = form(&pw);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body, loc) = admin.post_form("/admin/directory", &f).await;
    assert_eq!(st, 303, "{body}");
    let id: i64 = common::between(&loc, "/admin/directory/", "?")
        .parse()
        .unwrap();
    let page = admin.get(&loc).await.1;
    assert!(page.contains("尚未測試連線"), "{page}");
    assert!(!page.contains(&pw), "the bind password is never shown");
    let (st, page, _) = admin
        .post_form(&format!("/admin/directory/{id}/probe"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(st, 200);
    let steps = common::between(&page, "id=\"probe-steps\">", "</ol>");
    assert_eq!(steps.matches("通過").count(), 5, "{steps}");
    // The page's reconcile: a fresh directory lacks everyone; comparing
    // queues nothing, repairing queues them.
    let (st, page, _) = admin
        .post_form(
            &format!("/admin/directory/{id}/reconcile"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 200);
    let drift = common::between(&page, "id=\"drift\" role=\"status\">", "</div>");
    assert!(
        drift.contains("比對") && drift.contains("缺少：staff"),
        "{drift}"
    );
    assert!(page.contains("等待中（0）"), "a comparison queues nothing");
    let (_, page, _) = admin
        .post_form(
            &format!("/admin/directory/{id}/reconcile"),
            &[("_csrf", &csrf), ("repair", "on")],
        )
        .await;
    assert!(page.contains("差異帳號已排入同步佇列"), "{page}");
    assert!(!page.contains("等待中（0）"), "repairing queues them");
    // A wrong password, saved on the version the page showed: the bind
    // step fails, in words, and the list shows the target unhealthy.
    let version = common::between(&page, "name=\"version\" value=\"", "\"");
    let mut f = form("wrong password");
    f.push(("version", version.clone()));
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, _, _) = admin.post_form(&format!("/admin/directory/{id}"), &f).await;
    assert_eq!(st, 303);
    let (st, _, _) = admin.post_form(&format!("/admin/directory/{id}"), &f).await;
    assert_eq!(st, 409, "an edit on an old version is refused");
    let page = admin
        .post_form(&format!("/admin/directory/{id}/probe"), &[("_csrf", &csrf)])
        .await
        .1;
    assert!(page.contains("繫結 DN 或密碼錯誤"), "{page}");
    assert!(admin.get("/admin/directory").await.1.contains("失敗"));
    let r = common::oidc::audit_reasons(&s, "directory.probe").await;
    assert!(r.contains(&"directory_bind".to_owned()), "{r:?}");
    // An agency admin reaches none of it.
    let mut civil = s.signed_in("civil_admin").await;
    for path in [
        "/admin/directory".to_owned(),
        format!("/admin/directory/{id}"),
    ] {
        let (st, _) = civil.get(&path).await;
        assert!(st == 403 || st == 404, "{path}: {st}");
    }
}

/// Write-through (issue 13 §2), against both directories: a password set
/// in Portico opens the person's entry, a profile change and a move to
/// another unit follow, a disable stops the sign-in and an enable brings it
/// back; applying the queue again writes nothing new.
#[tokio::test]
async fn accounts_are_written_through_to_openldap_and_samba_ad() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let mut targets = Vec::new();
    for kind in ["ldap", "ad"] {
        let (input, pw) = peers().fresh_target(kind).await;
        s.app
            .create_directory_target(&admin, &input, &ctx)
            .await
            .expect("target saved");
        targets.push((kind, input, pw));
    }
    // A password set from the command line (as after a reset).
    let password = s.app.reset_password_cli("staff").await.expect("reset");
    let round = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (round.applied, round.failed),
        (4, 0),
        "{round:?}: {}",
        failed_ops(&s).await
    );
    for (kind, input, pw) in &targets {
        let (dn, attrs) = peers().entry(input, pw, "staff").await.expect(kind);
        assert!(
            dn.to_lowercase().contains("行政科"),
            "{kind}: in its unit's OU: {dn}"
        );
        assert_eq!(attrs["displayname"], ["王小明"], "{kind}");
        assert_eq!(attrs["title"], ["科員"], "{kind}");
        assert!(
            peers().binds(input, &dn, &password).await,
            "{kind}: the password opens it"
        );
        assert!(
            !peers().binds(input, &dn, "Not#The1Password").await,
            "{kind}"
        );
    }
    // Nothing queued: a round writes nothing.
    assert_eq!(s.app.deliver_directory().await.unwrap(), Default::default());

    // The admin changes the title and the unit: the entry follows.
    let id = portico_core::ids::AccountId(s.account_id("staff").await);
    let tree = s.app.org_tree().await.unwrap();
    let other = tree
        .units
        .iter()
        .find(|u| {
            tree.path_name(u) == "府內單位／民政局／業務一科"
                || tree.path_name(u).ends_with("民政局／業務一科")
        })
        .expect("民政局／業務一科")
        .id;
    let form = portico_app::account::ProfileForm {
        name: "王小明".into(),
        title: "專員".into(),
        office_phone: "22991111".into(),
        ..Default::default()
    };
    s.app
        .admin_update_profile(&admin, id, &form, Some(other), &ctx)
        .await
        .expect("profile saved");
    let round = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (round.applied, round.failed),
        (2, 0),
        "{round:?}: {}",
        failed_ops(&s).await
    );
    for (kind, input, pw) in &targets {
        let (dn, attrs) = peers().entry(input, pw, "staff").await.unwrap();
        assert!(dn.contains("業務一科"), "{kind}: moved: {dn}");
        assert_eq!(attrs["title"], ["專員"], "{kind}");
        assert!(
            peers().binds(input, &dn, &password).await,
            "{kind}: still opens after the move"
        );
    }

    // Disabled: the sign-in stops; enabled: it works again.
    s.app
        .disable_account(&admin, id, "離職", &ctx)
        .await
        .expect("disabled");
    s.app.deliver_directory().await.unwrap();
    for (kind, input, pw) in &targets {
        let (dn, _) = peers().entry(input, pw, "staff").await.unwrap();
        assert!(
            !peers().binds(input, &dn, &password).await,
            "{kind}: disabled"
        );
    }
    s.app
        .enable_account(&admin, id, "復職", &ctx)
        .await
        .expect("enabled");
    s.app.deliver_directory().await.unwrap();
    for (kind, input, pw) in &targets {
        let (dn, _) = peers().entry(input, pw, "staff").await.unwrap();
        assert!(
            peers().binds(input, &dn, &password).await,
            "{kind}: enabled again"
        );
    }
    // Its unit renamed: its people's entries follow into the new OU.
    let unit = tree.get(other).unwrap().clone();
    let form = portico_app::orgs::UnitForm {
        parent_id: unit.parent_id.map(|p| p.0),
        kind: unit.kind.as_str().into(),
        name: "業務創新科".into(),
        oid: unit.oid.clone(),
        sort_order: Some(unit.sort_order),
        enabled: Some("on".into()),
    };
    s.app
        .update_unit(&admin, other, &form, &ctx)
        .await
        .expect("renamed");
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!(r.failed, 0, "{r:?}: {}", failed_ops(&s).await);
    for (kind, input, pw) in &targets {
        let (dn, attrs) = peers().entry(input, pw, "staff").await.unwrap();
        assert!(dn.contains("業務創新科"), "{kind}: {dn}");
        if *kind == "ad" {
            assert_eq!(attrs["department"], ["業務創新科"]);
        }
    }
}

/// What the directories refused, for a failing assertion's message.
async fn failed_ops(s: &common::TestServer) -> String {
    let mut c = s.app.db.read().await.unwrap();
    let rows =
        sqlx::query("SELECT op, state, last_error FROM directory_ops WHERE state <> 'applied'")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {}",
                sqlx::Row::get::<String, _>(r, "op"),
                sqlx::Row::get::<String, _>(r, "state"),
                sqlx::Row::get::<String, _>(r, "last_error")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Issue 13, reliability: while the directory cannot be reached, 50
/// changes across 10 accounts wait in the queue; once it can, all arrive,
/// each account's in order, none applied twice, and the entries hold the
/// last of them.
#[tokio::test]
async fn changes_made_while_the_directory_is_down_all_arrive_in_order_once_it_is_back() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(20).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let (mut input, pw) = peers().fresh_target("ldap").await;
    let real_url = input.url.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    input.url = format!("ldap://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let target = s
        .app
        .create_directory_target(&admin, &input, &ctx)
        .await
        .unwrap();
    // Ten accounts of the demo's agencies, five title changes each.
    let mut conn = s.app.db.read().await.unwrap();
    let rows = sqlx::query("SELECT id, login, name FROM accounts WHERE state = 'active' AND id NOT IN (SELECT account_id FROM roles) ORDER BY id DESC LIMIT 10")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(rows.len(), 10, "ten demo accounts");
    let people: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| {
            (
                sqlx::Row::get(r, "id"),
                sqlx::Row::get(r, "login"),
                sqlx::Row::get(r, "name"),
            )
        })
        .collect();
    for round in 1..=5 {
        for (id, _, name) in &people {
            let form = portico_app::account::ProfileForm {
                name: name.clone(),
                title: format!("職稱{round}"),
                office_phone: "22991111".into(),
                ..Default::default()
            };
            s.app
                .admin_update_profile(&admin, portico_core::ids::AccountId(*id), &form, None, &ctx)
                .await
                .expect("profile saved");
        }
    }
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!((r.applied, r.failed), (0, 0), "nothing gets through: {r:?}");
    assert_eq!(
        r.retrying, 10,
        "one head per account tried, the rest wait behind it"
    );
    // The directory is back (its address mended), and the retries come due.
    let row = s.app.directory_target(&admin, target).await.unwrap();
    input.url = real_url;
    input.bind_password = String::new();
    s.app
        .update_directory_target(&admin, target, &input, row.version, &ctx)
        .await
        .unwrap();
    s.clock.advance(time::Duration::minutes(5));
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (r.applied, r.failed, r.retrying),
        (50, 0, 0),
        "{r:?}: {}",
        failed_ops(&s).await
    );
    let mut conn = s.app.db.read().await.unwrap();
    let twice = sqlx::query(
        "SELECT COUNT(*) AS n FROM directory_ops WHERE state = 'applied' AND attempts > 2",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        sqlx::Row::get::<i64, _>(&twice, "n"),
        0,
        "each applied once after its failed try"
    );
    drop(conn);
    for (_, login, _) in &people {
        let (_, attrs) = peers().entry(&input, &pw, login).await.expect(login);
        assert_eq!(attrs["title"], ["職稱5"], "{login}: the last change holds");
    }
    assert_eq!(
        s.app.deliver_directory().await.unwrap(),
        Default::default(),
        "nothing left"
    );
}

/// A change the directory refuses for good (an entry of the same name made
/// by hand in AD) is kept with its reason in words on the sync page, holds
/// up no other account, and goes through once retried after the clash is
/// cleared.
#[tokio::test]
async fn a_refused_change_shows_its_reason_and_is_retried_from_the_sync_page() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let mut page_admin = s.signed_in("admin").await;
    let admin = common::oidc::principal(&s, &page_admin).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let (input, pw) = peers().fresh_target("ad").await;
    let target = s
        .app
        .create_directory_target(&admin, &input, &ctx)
        .await
        .unwrap();
    // Someone made CN=unit_admin by hand where Portico will put it, for
    // another login.
    let t = input.check().unwrap();
    let mut ldap = portico_app::directory::client::connect(&t, &pw)
        .await
        .unwrap();
    let person = {
        let tree = s.app.org_tree().await.unwrap();
        let mut c = s.app.db.read().await.unwrap();
        let a = portico_store::accounts::find_by_login(&mut c, "unit_admin")
            .await
            .unwrap()
            .unwrap();
        let names: Vec<String> = a
            .unit_path
            .ids()
            .iter()
            .filter_map(|u| tree.get(*u).map(|u| u.name.clone()))
            .collect();
        for (dn, name) in t.unit_dns(&names).iter().zip(&names) {
            let _ = ldap
                .add(
                    dn,
                    vec![
                        ("objectClass", ["top", "organizationalUnit"].into()),
                        ("ou", [name.as_str()].into()),
                    ],
                )
                .await;
        }
        portico_core::directory::Person {
            login: "unit_admin".into(),
            name: a.name.clone(),
            title: String::new(),
            office_phone: String::new(),
            office_ext: String::new(),
            official_email: String::new(),
            unit_names: names,
            agency_name: a.agency_name.clone(),
            unit_oid: String::new(),
            enabled: true,
            mailbox: false,
        }
    };
    let dn = t.person_dn(&person);
    let blocker = format!("blk{}", std::process::id());
    ldap.add(
        &dn,
        vec![
            (
                "objectClass",
                ["top", "person", "organizationalPerson", "user"].into(),
            ),
            ("sAMAccountName", [blocker.as_str()].into()),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    s.app.reset_password_cli("unit_admin").await.unwrap();
    s.app.reset_password_cli("locked_user").await.unwrap();
    let r = s.app.deliver_directory().await.unwrap();
    // locked_user's password and sync go through; unit_admin's both are refused
    // (the refused password is gone: they set another).
    assert_eq!((r.applied, r.failed), (2, 2), "{r:?}");
    let page = page_admin
        .get(&format!("/admin/directory/{target}?state=failed"))
        .await
        .1;
    assert!(
        page.contains("目錄中已有同名的項目"),
        "the reason in words: {page}"
    );
    assert!(
        page.contains("<code>68: "),
        "and the directory's own text: {page}"
    );
    // The clash cleared by hand, the sync retried from the page.
    ldap.delete(&dn).await.unwrap().success().unwrap();
    let csrf = page_admin.csrf().await;
    let (st, _, loc) = page_admin
        .post_form(
            &format!("/admin/directory/{target}/retry"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (r.applied, r.failed),
        (1, 0),
        "{r:?}: {}",
        failed_ops(&s).await
    );
    let (at, _) = peers()
        .entry(&input, &pw, "unit_admin")
        .await
        .expect("made");
    assert!(at.eq_ignore_ascii_case(&dn), "{at}");
}

/// Issue 13: a real mail server (Dovecot, signing in by LDAP bind) opens
/// with the password set in Portico; after a change the old one fails and
/// the new one works; a disabled account cannot sign in. Against both
/// directories.
#[tokio::test]
async fn the_mail_server_signs_in_with_the_password_set_in_portico() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let id = portico_core::ids::AccountId(s.account_id("expiring").await);
    let mut servers = Vec::new();
    for kind in ["ldap", "ad"] {
        let (input, pw) = peers().fresh_target(kind).await;
        s.app
            .create_directory_target(&admin, &input, &ctx)
            .await
            .unwrap();
        servers.push((kind, common::directory::Imap::start(&input, &pw)));
    }
    let first = s.app.reset_password_cli("expiring").await.unwrap();
    s.app.deliver_directory().await.unwrap();
    for (kind, imap) in &servers {
        assert!(
            imap.signs_in("expiring", &first),
            "{kind}: the new password opens the mail"
        );
        assert!(!imap.signs_in("expiring", "Wrong#Pass2026"), "{kind}");
    }
    let second = s.app.reset_password_cli("expiring").await.unwrap();
    s.app.deliver_directory().await.unwrap();
    for (kind, imap) in &servers {
        assert!(
            !imap.signs_in("expiring", &first),
            "{kind}: the old password no longer"
        );
        assert!(
            imap.signs_in("expiring", &second),
            "{kind}: the new one does"
        );
    }
    s.app
        .disable_account(&admin, id, "停職", &ctx)
        .await
        .unwrap();
    s.app.deliver_directory().await.unwrap();
    for (kind, imap) in &servers {
        assert!(!imap.signs_in("expiring", &second), "{kind}: disabled");
    }
}

/// Issue 13 §4: reconcile reports the drift of a directory edited by hand
/// — a changed attribute, an entry of nobody's, an entry gone — repairs
/// what is Portico's through the queue, leaves the extra entry alone, and
/// then finds nothing.
#[tokio::test]
async fn reconcile_reports_hand_edits_and_repairs_them_through_the_queue() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let (input, pw) = peers().fresh_target("ldap").await;
    let target = s
        .app
        .create_directory_target(&admin, &input, &ctx)
        .await
        .unwrap();
    // Everyone the directory should hold, written through.
    let d = s
        .app
        .reconcile_directory(target, false, &ctx)
        .await
        .unwrap();
    assert!(d.extra.is_empty() && d.compared > 0, "{d:?}");
    assert_eq!(
        d.missing.len(),
        d.compared,
        "a fresh directory lacks everyone"
    );
    s.app.deliver_directory().await.unwrap();
    let d = s.app.reconcile_directory(target, true, &ctx).await.unwrap();
    assert!(d.is_empty(), "written, nothing drifts: {d:?}");
    // By hand: staff's title changed, an entry nobody's, edu_admin's gone.
    let t = input.check().unwrap();
    let mut ldap = portico_app::directory::client::connect(&t, &pw)
        .await
        .unwrap();
    let (staff_dn, _) = peers().entry(&input, &pw, "staff").await.unwrap();
    ldap.modify(
        &staff_dn,
        vec![ldap3::Mod::Replace("title", ["手改職稱"].into())],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let stranger = format!("uid=stranger,{}", t.people_base);
    ldap.add(
        &stranger,
        vec![
            ("objectClass", ["inetOrgPerson"].into()),
            ("uid", ["stranger"].into()),
            ("cn", ["陌生人"].into()),
            ("sn", ["陌"].into()),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let (edu_dn, _) = peers().entry(&input, &pw, "edu_admin").await.unwrap();
    ldap.delete(&edu_dn).await.unwrap().success().unwrap();
    let d = s.app.reconcile_directory(target, true, &ctx).await.unwrap();
    assert_eq!(
        d.changed,
        vec![("staff".to_owned(), vec!["title".to_owned()])],
        "{d:?}"
    );
    assert_eq!(d.missing, ["edu_admin"], "{d:?}");
    assert_eq!(
        d.extra,
        vec![("stranger".to_owned(), stranger.clone())],
        "{d:?}"
    );
    assert_eq!(
        s.app.deliver_directory().await.unwrap(),
        Default::default(),
        "a dry run queues nothing"
    );
    // Repaired through the queue; the stranger stays.
    s.app
        .reconcile_directory(target, false, &ctx)
        .await
        .unwrap();
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!((r.applied, r.failed), (2, 0), "{r:?}");
    let d = s.app.reconcile_directory(target, true, &ctx).await.unwrap();
    assert!(d.missing.is_empty() && d.changed.is_empty(), "{d:?}");
    assert_eq!(d.extra.len(), 1, "extras are reported, never deleted");
    let (_, attrs) = peers().entry(&input, &pw, "staff").await.unwrap();
    assert_eq!(attrs["title"], ["科員"]);
}

/// Issue 13, reliability: a worker that dies mid-batch loses nothing and
/// applies nothing twice in effect. A change it had leased waits out the
/// lease, then another round applies it; a change it applied but died
/// before marking is applied again, which writes nothing new and does not
/// fail (a sync converges on the account as it is).
#[tokio::test]
async fn a_worker_dying_mid_batch_loses_nothing_and_applying_again_is_harmless() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let (input, pw) = peers().fresh_target("ldap").await;
    s.app
        .create_directory_target(&admin, &input, &ctx)
        .await
        .unwrap();
    let password = s.app.reset_password_cli("edu_admin").await.unwrap();
    // A worker took both changes and died: they are leased for two minutes.
    let sql = |q: &'static str| {
        let db = s.app.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let n = sqlx::query(q)
                .execute(&mut *tx)
                .await
                .unwrap()
                .rows_affected();
            tx.commit().await.unwrap();
            n
        }
    };
    let now_ms = portico_core::time::to_millis(s.app.now());
    let lease = format!(
        "UPDATE directory_ops SET lease_until = {} WHERE state = 'pending'",
        now_ms + 120_000
    );
    {
        let mut tx = s.app.db.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(lease))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        s.app.deliver_directory().await.unwrap(),
        Default::default(),
        "leased: left alone"
    );
    s.clock.advance(time::Duration::minutes(3));
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (r.applied, r.failed),
        (2, 0),
        "the lease ran out: applied: {r:?}"
    );
    let (dn, before) = peers().entry(&input, &pw, "edu_admin").await.unwrap();
    assert!(peers().binds(&input, &dn, &password).await);
    // Applied, but the worker died before recording it: applied again.
    assert_eq!(
        sql(
            "UPDATE directory_ops SET state = 'pending', applied_at = NULL WHERE op = 'sync_person'"
        )
        .await,
        1
    );
    let r = s.app.deliver_directory().await.unwrap();
    assert_eq!(
        (r.applied, r.failed),
        (1, 0),
        "{r:?}: {}",
        failed_ops(&s).await
    );
    let (dn2, after) = peers().entry(&input, &pw, "edu_admin").await.unwrap();
    assert_eq!((dn2, after), (dn.clone(), before), "the entry is as it was");
    assert!(peers().binds(&input, &dn, &password).await);
}
