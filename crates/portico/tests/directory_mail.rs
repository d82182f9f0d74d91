//! Mail accounts and a first import against real directories (issue 13
//! §4, §5): an approved mail account in Samba AD and OpenLDAP signing in to
//! Dovecot, and `--adopt` linking an existing entry by `mail`. The peers
//! are `scripts/peers/directory`'s, shared with `directory.rs`.
mod common;

use common::directory::peers;
/// Issue 13 §5: a mail account applied for and approved in Portico is in
/// both directories under the mail base, and its password opens Dovecot;
/// after its custodian changes the password the old one fails; handed to
/// another custodian it stays as it is; disabled, it cannot sign in.
/// Reconcile then finds the mail accounts as Portico holds them.
#[tokio::test]
async fn an_approved_mail_account_signs_in_to_the_mail_server_until_disabled() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let civil = common::oidc::principal(&s, &s.signed_in("civil_admin").await).await;
    let keeper = common::oidc::principal(&s, &s.signed_in("staff").await).await;
    let keeper_after = common::oidc::principal(&s, &s.signed_in("expiring").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let mut servers = Vec::new();
    for kind in ["ldap", "ad"] {
        let (input, pw) = peers().fresh_target_with_mail(kind).await;
        let id = s
            .app
            .create_directory_target(&admin, &input, &ctx)
            .await
            .unwrap();
        let imap = common::directory::Imap::start(&input, &pw);
        servers.push((kind, id, input, pw, imap));
    }
    // staff applies (a name of this run: AD keeps names domain-wide, and a
    // mail account never takes over an entry of another); 民政局's admin
    // approves.
    let local = format!(
        "lib{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000_000
    );
    let mut staff_web = s.signed_in("staff").await;
    let csrf = staff_web.csrf().await;
    let (st, body, _) = staff_web
        .post_form(
            "/account/requests/mailbox",
            &[
                ("_csrf", &csrf),
                ("kind", "system"),
                ("name", "民政局圖書借閱系統通知"),
                ("local_part", &local),
                ("password", "Portico#2026"),
                ("confirm_password", "Portico#2026"),
                ("reason", "到期通知"),
            ],
        )
        .await;
    assert_eq!(st, 303, "{body}");
    let (id, request) = {
        let mut c = s.app.db.read().await.unwrap();
        let m = portico_store::mailboxes::find_by_local_part(&mut c, &local)
            .await
            .unwrap();
        assert!(m.is_none(), "not provisioned before it is approved");
        let row = sqlx::query("SELECT id, request_id FROM mailboxes WHERE local_part = $1")
            .bind(local.clone())
            .fetch_one(&mut *c)
            .await
            .unwrap();
        (
            portico_core::ids::MailboxId(sqlx::Row::get(&row, "id")),
            sqlx::Row::get::<i64, _>(&row, "request_id"),
        )
    };
    let decided = s
        .app
        .decide_requests(
            &civil,
            &[request],
            &portico_app::review::Verdict {
                decision: portico_core::request::Decision::Approve,
                note: "",
                official_mail: None,
            },
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(decided.done, [request]);
    s.app.deliver_directory().await.unwrap();
    let demo_pw = portico_app::demo::DEMO_PASSWORD;
    for (kind, _, input, pw, imap) in &servers {
        let (dn, attrs) = peers()
            .entry(input, pw, &local)
            .await
            .unwrap_or_else(|| panic!("{kind}: in the directory"));
        assert!(
            dn.to_lowercase().starts_with(&format!(
                "{}={local},",
                if *kind == "ad" { "cn" } else { "uid" }
            )) && dn.contains("Mailboxes"),
            "{kind}: under the mail base: {dn}"
        );
        assert_eq!(
            attrs["mail"],
            [format!("{local}@mail.tainan.gov.tw")],
            "{kind}"
        );
        assert!(
            imap.signs_in(&local, demo_pw),
            "{kind}: the applied password opens the mail"
        );
    }
    s.app
        .change_mailbox_password(&keeper, id, demo_pw, "Library#2027", "Library#2027", &ctx)
        .await
        .unwrap();
    s.app.deliver_directory().await.unwrap();
    for (kind, _, _, _, imap) in &servers {
        assert!(
            !imap.signs_in(&local, demo_pw),
            "{kind}: the old password no longer"
        );
        assert!(
            imap.signs_in(&local, "Library#2027"),
            "{kind}: the new one does"
        );
    }
    // Handed to staff, who disables it: the mail server refuses it.
    let staff = portico_core::ids::AccountId(s.account_id("expiring").await);
    let version = s
        .app
        .managed_mailbox(&keeper, id)
        .await
        .unwrap()
        .mailbox
        .version;
    s.app
        .hand_over_mailbox(&keeper, id, staff, version, &ctx)
        .await
        .unwrap();
    let new_keeper = keeper_after;
    s.app
        .set_mailbox_enabled(&new_keeper, id, false, &ctx)
        .await
        .unwrap();
    s.app.deliver_directory().await.unwrap();
    for (kind, _, _, _, imap) in &servers {
        assert!(!imap.signs_in(&local, "Library#2027"), "{kind}: disabled");
    }
    // On the LDAP target (whose search stays in its own base), reconcile
    // writes everyone and every mail account, then finds nothing.
    let (_, ldap_target, _, _, _) = &servers[0];
    let d = s
        .app
        .reconcile_directory(*ldap_target, false, &ctx)
        .await
        .unwrap();
    assert!(d.missing.iter().any(|l| l == "civil-affairs"), "{d:?}");
    s.app.deliver_directory().await.unwrap();
    let d = s
        .app
        .reconcile_directory(*ldap_target, true, &ctx)
        .await
        .unwrap();
    assert!(d.is_empty(), "{d:?}");
    // The sync page's history of one mail account: its changes only.
    let mut web = s.signed_in("admin").await;
    let (st, page) = web
        .get(&format!("/admin/directory/{ldap_target}?who={local}"))
        .await;
    assert_eq!(st, 200);
    let ops = common::between(&page, "id=\"ops\"", "</table>");
    assert!(
        ops.contains(&format!(">{local}@mail.tainan.gov.tw</td>")),
        "{ops}"
    );
    assert!(!ops.contains(">staff</td>"), "only its own: {ops}");
    let (_, everyone) = web.get(&format!("/admin/directory/{ldap_target}")).await;
    assert!(common::between(&everyone, "id=\"ops\"", "</table>").contains(">staff</td>"));
    // The disabled one too: its lock is compared like a person's.
    assert!(
        d.compared >= 5 + 4,
        "the people and the demo's four mail accounts: {d:?}"
    );
}

/// The entryUUIDs of the entries a filter finds under `base`.
async fn uuids(ldap: &mut ldap3::Ldap, base: &str, filter: &str) -> Vec<String> {
    let (found, _) = ldap
        .search(base, ldap3::Scope::Subtree, filter, vec!["entryUUID"])
        .await
        .unwrap()
        .success()
        .unwrap();
    found
        .into_iter()
        .map(|e| ldap3::SearchEntry::construct(e).attrs["entryUUID"][0].clone())
        .collect()
}

/// Issue 13 §4, a first import: a directory that already holds a person
/// under another name is linked by `mail` — the entry itself is kept (its
/// entryUUID survives) and renamed, moved and corrected — and the drift
/// report reads as a workbook.
#[tokio::test]
async fn adopt_links_an_existing_entry_by_mail_instead_of_making_another() {
    portico_app::sms::install_tls_provider();
    let s = common::TestServer::start(5).await;
    let admin = common::oidc::principal(&s, &s.signed_in("admin").await).await;
    let ctx = portico_app::Ctx::new("127.0.0.1", "test");
    let (input, pw) = peers().fresh_target("ldap").await;
    let t = input.check().unwrap();
    let mut ldap = portico_app::directory::client::connect(&t, &pw)
        .await
        .unwrap();
    // The city's directory of today: 陳文書 as `chen.wenshu`.
    let old = format!("uid=chen.wenshu,{}", t.people_base);
    ldap.add(
        &old,
        vec![
            ("objectClass", ["inetOrgPerson"].into()),
            ("uid", ["chen.wenshu"].into()),
            ("cn", ["陳文書"].into()),
            ("sn", ["陳"].into()),
            ("mail", ["clerk@mail.tainan.gov.tw"].into()),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let before = uuids(&mut ldap, &t.people_base, "(mail=clerk@mail.tainan.gov.tw)").await;
    let target = s
        .app
        .create_directory_target(&admin, &input, &ctx)
        .await
        .unwrap();
    use portico_app::directory::reconcile::AdoptBy;
    // A dry run says what it would link and changes nothing.
    let dry = s
        .app
        .adopt_directory(target, AdoptBy::Mail, true, &ctx)
        .await
        .unwrap();
    assert_eq!(
        dry.renamed,
        vec![("clerk".to_owned(), old.clone(), "chen.wenshu".to_owned())]
    );
    assert!(peers().entry(&input, &pw, "chen.wenshu").await.is_some());
    let a = s
        .app
        .adopt_directory(target, AdoptBy::Mail, false, &ctx)
        .await
        .unwrap();
    assert_eq!(a.renamed.len(), 1);
    assert!(
        !a.drift.missing.contains(&"clerk".to_owned()),
        "linked, not missing: {:?}",
        a.drift
    );
    s.app.deliver_directory().await.unwrap();
    let d = s.app.reconcile_directory(target, true, &ctx).await.unwrap();
    assert!(d.is_empty(), "{d:?}");
    let after = uuids(&mut ldap, &t.people_base, "(mail=clerk@mail.tainan.gov.tw)").await;
    assert_eq!(before, after, "the same entry, not a second one");
    let (dn, attrs) = peers().entry(&input, &pw, "clerk").await.unwrap();
    assert!(dn.contains("ou=行政科"), "moved into its unit: {dn}");
    assert_eq!(attrs["title"], ["書記"]);
    // The drift report as a workbook, from the sync page.
    let mut web = s.signed_in("admin").await;
    let csrf = web.csrf_from(&format!("/admin/directory/{target}")).await;
    let r = web
        .post_form_bytes(
            &format!("/admin/directory/{target}/reconcile"),
            &[("_csrf", &csrf), ("export", "xlsx")],
        )
        .await;
    assert_eq!(r.0, 200);
    let (rows, _) = common::workbook_text(&r.1);
    assert_eq!(rows, 1, "the header alone: nothing drifts");
}
