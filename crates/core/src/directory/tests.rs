//! The directory rules' unit tests: targets, DNs, attributes, refusals.
use super::*;

fn input() -> TargetInput {
    TargetInput {
        name: "市府 AD".into(),
        kind: "ad".into(),
        url: "ldaps://dc1.tainan.gov.tw".into(),
        bind_dn: "CN=portico,OU=Service,DC=tainan,DC=gov,DC=tw".into(),
        bind_password: "x".into(),
        people_base: "OU=Portico,DC=tainan,DC=gov,DC=tw".into(),
        unit_ous: "on".into(),
        password_sync: "on".into(),
        enabled: "on".into(),
        ..Default::default()
    }
}

#[test]
fn a_target_is_checked_field_by_field() {
    let t = input().check().unwrap();
    assert_eq!(
        (t.host.as_str(), t.port, t.security),
        ("dc1.tainan.gov.tw", 636, Security::Ldaps)
    );
    assert_eq!(
        t.mail_base, t.people_base,
        "mail accounts default to the people base"
    );
    assert_eq!(t.oid_attribute, "departmentNumber");
    let bad = TargetInput {
        name: String::new(),
        kind: "x".into(),
        url: "ldap://dc1".into(),
        bind_dn: "portico".into(),
        people_base: "".into(),
        oid_attribute: "no spaces".into(),
        ..input()
    };
    let Err(crate::Error::Invalid(errs)) = bad.check() else {
        panic!("refused");
    };
    let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "name",
            "kind",
            "url",
            "bind_dn",
            "people_base",
            "oid_attribute"
        ]
    );
}

#[test]
fn a_bind_password_never_travels_in_clear() {
    assert!(parse_url("ldap://127.0.0.1:3890", false).is_err());
    assert_eq!(
        parse_url("ldap://127.0.0.1:3890", true).unwrap(),
        ("127.0.0.1".into(), 3890, Security::StartTls)
    );
    for bad in [
        "http://dc1",
        "ldaps://",
        "ldaps://dc1/ou=x",
        "ldaps://user@dc1",
        "ldaps://dc1:0",
        "ldaps://dc 1",
    ] {
        assert!(parse_url(bad, true).is_err(), "{bad}");
    }
}

#[test]
fn dn_and_filter_values_are_escaped() {
    assert_eq!(escape_dn_value("a,b+c"), "a\\,b\\+c");
    assert_eq!(escape_dn_value(" #x "), "\\ #x\\ ");
    assert_eq!(escape_dn_value("民政局"), "民政局");
    assert_eq!(escape_filter_value("a*(b)\\"), "a\\2a\\28b\\29\\5c");
    assert_eq!(split_dn("CN=a\\,b,DC=x").len(), 2);
    assert!(parse_dn("CN=a\\,b,DC=x").is_ok());
    assert!(parse_dn("CN=,DC=x").is_err());
}

#[test]
fn ad_passwords_are_quoted_utf16_little_endian() {
    assert_eq!(
        ad_password("Ab1"),
        vec![b'"', 0, b'A', 0, b'b', 0, b'1', 0, b'"', 0]
    );
    assert_eq!(ad_account_control(true), "512");
    assert_eq!(ad_account_control(false), "514");
}

fn person() -> Person {
    Person {
        login: "staff".into(),
        name: "王小明".into(),
        title: "科員".into(),
        office_phone: "06-2991111".into(),
        office_ext: "123".into(),
        official_email: "staff@mail.tainan.gov.tw".into(),
        unit_names: vec!["府內單位".into(), "民政局".into(), "行政科".into()],
        agency_name: "民政局".into(),
        unit_oid: "2.16.886.101.90028.20002.1".into(),
        enabled: true,
        mailbox: false,
    }
}

#[test]
fn a_mail_account_sits_under_the_mail_base_whatever_its_agency() {
    let mut i = input();
    i.mail_base = "OU=Mailboxes,DC=tainan,DC=gov,DC=tw".into();
    let ad = i.check().unwrap();
    let m = Person {
        login: "civil-affairs".into(),
        name: "民政局總收文信箱".into(),
        official_email: "civil-affairs@mail.tainan.gov.tw".into(),
        agency_name: "民政局".into(),
        mailbox: true,
        ..Person::default()
    };
    assert_eq!(
        ad.person_dn(&m),
        "CN=civil-affairs,OU=Mailboxes,DC=tainan,DC=gov,DC=tw"
    );
    assert!(ad.mail_base_apart(), "read apart from the people base");
    // AD finds it anywhere in the domain; LDAP under the mail base.
    assert_eq!(ad.search_base_of(&m), "DC=tainan,DC=gov,DC=tw");
    let mut l = input();
    l.kind = "ldap".into();
    l.mail_base = "ou=Mailboxes,dc=tainan,dc=gov,dc=tw".into();
    let ldap = l.check().unwrap();
    assert_eq!(
        ldap.search_base_of(&m),
        "ou=Mailboxes,dc=tainan,dc=gov,dc=tw"
    );
    // With no mail base of its own it shares the people base.
    assert!(!input().check().unwrap().mail_base_apart());
}

#[test]
fn a_person_sits_in_their_units_ou_with_the_portals_attributes() {
    let ad = input().check().unwrap();
    let p = person();
    assert_eq!(
        ad.person_dn(&p),
        "CN=staff,OU=行政科,OU=民政局,OU=府內單位,OU=Portico,DC=tainan,DC=gov,DC=tw"
    );
    assert_eq!(ad.unit_dns(&p.unit_names).len(), 3);
    assert_eq!(ad.upn_domain(), "tainan.gov.tw");
    let attrs = ad.person_attributes(&p);
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("telephoneNumber"), ["06-2991111 ext. 123"]);
    assert_eq!(
        ad.search_base(),
        "DC=tainan,DC=gov,DC=tw",
        "the whole domain"
    );
    assert_eq!(get("userPrincipalName"), ["staff@tainan.gov.tw"]);
    assert_eq!(get("departmentNumber"), ["2.16.886.101.90028.20002.1"]);
    assert_eq!(
        (get("sn"), get("givenName")),
        (vec!["王".to_owned()], vec!["小明".to_owned()])
    );
    assert_eq!(ad.enabled_attribute(false).1, ["514"]);
    let ldap = TargetInput {
        kind: "ldap".into(),
        url: "ldap://127.0.0.1:3890".into(),
        starttls: "on".into(),
        unit_ous: String::new(),
        people_base: "ou=people,dc=portico,dc=test".into(),
        ..input()
    }
    .check()
    .unwrap();
    assert_eq!(
        ldap.person_dn(&p),
        "uid=staff,ou=people,dc=portico,dc=test",
        "no unit OUs"
    );
    assert!(ldap.unit_dns(&p.unit_names).is_empty());
    assert_eq!(ldap.enabled_attribute(false).1, [LDAP_LOCKED]);
    assert!(
        ldap.enabled_attribute(true).1.is_empty(),
        "enabled: the lock goes"
    );
}

#[test]
fn names_split_into_surname_and_given_name() {
    assert_eq!(split_name("王小明"), ("王".into(), "小明".into()));
    assert_eq!(split_name("Mary Lin"), ("Lin".into(), "Mary".into()));
}

#[test]
fn a_directory_refusal_reads_in_words_and_says_whether_to_retry() {
    let m = explain(
        19,
        "0000052D: Constraint violation - check_password_restrictions",
    );
    assert!(m.zh.contains("密碼原則"), "{}", m.zh);
    assert!(explain(49, "").zh.contains("繫結"));
    assert!(worth_retrying(52) && worth_retrying(81));
    assert!(!worth_retrying(19) && !worth_retrying(49));
}
