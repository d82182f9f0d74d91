use super::*;

fn held(categories: &[i64], orgs: &[i64], roles_only: &[i64]) -> Holdings {
    Holdings {
        categories: categories.to_vec(),
        orgs: orgs.to_vec(),
        roles_only_orgs: roles_only.to_vec(),
    }
}

#[test]
fn seed_000_each_step_waits_for_the_one_before() {
    let none = held(&[], &[], &[]);
    assert!(step_open(Step::Category, &none).is_ok());
    assert!(step_open(Step::Org, &none).is_err());
    assert!(step_open(Step::Role, &none).is_err());
    let category = held(&[1], &[], &[]);
    assert!(step_open(Step::Org, &category).is_ok());
    assert!(
        step_open(Step::Role, &category)
            .unwrap_err()
            .zh
            .contains("組織")
    );
    assert!(step_open(Step::Role, &held(&[1], &[7], &[])).is_ok());
}

#[test]
fn seed_000_roles_only_organisations_skip_to_roles() {
    // 國家公園與其他內政部指定特設主管建築機關，僅需申請應用系統角色申請。
    let park = held(&[], &[], &[9]);
    assert!(step_open(Step::Role, &park).is_ok());
    assert!(park.in_org(9));
    assert!(role_prerequisites(None, Some((9, "國家公園")), &park).is_ok());
}

#[test]
fn a_roles_prerequisites_must_be_held() {
    let h = held(&[1], &[7], &[]);
    assert!(role_prerequisites(Some((1, "stausr")), Some((7, "臺南市政府")), &h).is_ok());
    assert!(
        role_prerequisites(Some((2, "其他")), None, &h)
            .unwrap_err()
            .zh
            .contains("其他")
    );
    assert!(
        role_prerequisites(None, Some((8, "高雄市政府")), &h)
            .unwrap_err()
            .zh
            .contains("高雄")
    );
}

#[test]
fn form_numbers_follow_the_seeds_pattern() {
    // Seed 000: AAMT025-0000011059.
    assert_eq!(
        form_number(Step::Category, 2025, 11059),
        "AAMT025-0000011059"
    );
    assert_eq!(form_number(Step::Role, 2026, 7), "AARL026-0000000007");
    // And back: the number finds its form.
    assert_eq!(form_seq("AAMT025-0000011059"), Some(11059));
    assert_eq!(form_seq(" 42 "), Some(42));
    assert_eq!(form_seq("staff"), None);
    assert_eq!(form_seq("陳-123"), None);
}

#[test]
fn a_forms_type_comes_from_its_lines() {
    let add = Line {
        item: 1,
        before: false,
        after: true,
    };
    let remove = Line {
        item: 2,
        before: true,
        after: false,
    };
    let keep = Line {
        item: 3,
        before: true,
        after: true,
    };
    assert_eq!(op_of(&[add, keep], false), Some(Op::Add));
    assert_eq!(op_of(&[remove, keep], false), Some(Op::Remove));
    assert_eq!(op_of(&[add, remove], false), Some(Op::Change));
    assert_eq!(op_of(&[keep], true), Some(Op::Change));
    assert_eq!(op_of(&[keep], false), None);
}

#[test]
fn codes_are_checked() {
    assert_eq!(check_code(" STAUSR "), Ok("stausr".into()));
    assert!(check_code("1abc").is_err());
    assert!(check_code("a").is_err());
    assert!(check_code("sta usr").is_err());
    assert!(check_role_code("stat.manager").is_ok());
    assert!(check_role_code("統計").is_err());
}

#[test]
fn the_attribute_schema_round_trips_and_checks_values() {
    let s = parse_schema("license_no|開業證書字號|必填\noffice|事務所名稱\n").unwrap();
    assert_eq!(s.len(), 2);
    assert!(s[0].required && !s[1].required);
    assert_eq!(parse_schema(&schema_text(&s)).unwrap(), s);
    assert!(parse_schema("License|x").is_err());
    assert!(parse_schema("a|x\na|y").unwrap_err().zh.contains("重複"));
    assert!(parse_schema("a|x|maybe").is_err());

    let mut given = BTreeMap::new();
    assert!(check_attrs(&s, &given).is_err());
    given.insert("license_no".into(), " 建字第 123 號 ".into());
    assert_eq!(
        check_attrs(&s, &given).unwrap()["license_no"],
        "建字第 123 號"
    );
    given.insert("other".into(), "x".into());
    assert!(check_attrs(&s, &given).is_err());
}

#[test]
fn roles_only_needs_an_org_from_the_tree() {
    let outside = OrgInput {
        unit: None,
        name: "內政部國土管理署",
        oid: "2.16.886.101.20003.20065",
        roles_only: true,
        ..Default::default()
    };
    assert!(outside.check().is_err());
    let tree = OrgInput {
        unit: Some(3),
        ..outside
    };
    assert!(tree.check().is_ok());
}

#[test]
fn declining_needs_a_note() {
    assert!(check_decision_note(false, " ").is_err());
    assert_eq!(check_decision_note(true, ""), Ok(String::new()));
    assert!(check_purpose("", "").is_err());
}
