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
