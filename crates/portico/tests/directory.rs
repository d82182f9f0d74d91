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
    let (input, pw) = peers().target("ldap");
    let mut admin = s.signed_in("admin").await;
    let csrf = admin.csrf().await;
    let page = admin.get("/admin/directory").await.1;
    assert!(page.contains("尚未設定同步對象"), "{page}");
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
