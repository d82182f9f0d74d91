use super::*;

fn places() -> Vec<Place> {
    parse_places("永華市政中心：B1, 1-3\n民治市政中心 南瀛大樓: 2、5").unwrap()
}

#[test]
fn places_are_a_line_each_with_floor_ranges_expanded() {
    let p = places();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].location, "永華市政中心");
    assert_eq!(p[0].floors, ["B1", "1", "2", "3"]);
    assert_eq!(p[1].location, "民治市政中心 南瀛大樓");
    assert_eq!(p[1].floors, ["2", "5"]);
    // And back as typed, the run shortened again.
    assert_eq!(
        places_text(&p),
        "永華市政中心：B1, 1-3\n民治市政中心 南瀛大樓：2, 5"
    );
}

#[test]
fn a_place_without_floors_or_twice_or_a_backwards_range_says_what_to_write() {
    let e = parse_places("永華市政中心").unwrap_err();
    assert!(e.zh.contains("缺少樓層"), "{}", e.zh);
    let e = parse_places("永華市政中心：").unwrap_err();
    assert!(e.zh.contains("請寫出「永華市政中心」的樓層"), "{}", e.zh);
    let e = parse_places("A：1\nA：2").unwrap_err();
    assert!(e.zh.contains("重複"), "{}", e.zh);
    let e = parse_places("A：9-3").unwrap_err();
    assert!(e.zh.contains("範圍不正確"), "{}", e.zh);
    let e = parse_places("A：1-500").unwrap_err();
    assert!(e.zh.contains("超過 200 層"), "{}", e.zh);
    assert!(parse_places("  \n").unwrap_err().zh.contains("至少"));
    assert!(parse_places("A：<b>").is_err());
}

#[test]
fn a_repair_type_needs_a_name_an_agency_who_may_report_and_a_place() {
    let Err(Error::Invalid(errs)) = RepairTypeInput::default().check() else {
        panic!("an empty form is refused");
    };
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    for f in ["name", "agency_id", "borrowers", "places"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    let who = errs.iter().find(|e| e.field == "borrowers").unwrap();
    assert_eq!(who.message.zh, "請選擇允許報修機關");
    let t = RepairTypeInput {
        name: " 公文管理系統維修 ".into(),
        agency_id: Some(7),
        borrowers: "agency_and".into(),
        agencies: vec![9, 8, 9],
        places: "府外公文用：1".into(),
        categories: "一般操作問題\n\n系統異常\n一般操作問題".into(),
        ..Default::default()
    }
    .check()
    .unwrap();
    assert_eq!(t.name, "公文管理系統維修");
    assert_eq!(t.agencies, [8, 9]);
    assert_eq!(t.categories, ["一般操作問題", "系統異常"]);
}

#[test]
fn a_report_is_one_of_the_types_places_and_that_places_floors() {
    let p = places();
    let ok = ReportInput {
        location: "永華市政中心".into(),
        floor: "B1".into(),
        fault: "影印機卡紙".into(),
        phone: "06-2991111".into(),
        ext: "8123".into(),
    };
    assert_eq!(ok.check(&p).unwrap().floor, "B1");
    // A floor of the other place is not this place's.
    let Err(Error::Invalid(e)) = ReportInput {
        floor: "5".into(),
        ..ok.clone()
    }
    .check(&p) else {
        panic!("a floor elsewhere is refused");
    };
    assert_eq!(e[0].field, "floor");
    assert!(e[0].message.zh.contains("永華市政中心"));
    let Err(Error::Invalid(e)) = ReportInput {
        location: "別處".into(),
        fault: "x".into(),
        phone: "abc".into(),
        ..ok.clone()
    }
    .check(&p) else {
        panic!("unknown place, short fault, bad phone");
    };
    let fields: Vec<_> = e.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["location", "fault", "phone"]);
    assert!(e[2].message.zh.contains("報修人員公務電話"));
}

#[test]
fn a_reply_names_one_of_the_types_categories_when_it_has_any() {
    let cats = vec!["一般操作問題".to_owned()];
    assert_eq!(
        check_reply("已重新設定權限", "一般操作問題", &cats).unwrap(),
        ("已重新設定權限".to_owned(), "一般操作問題".to_owned())
    );
    assert!(check_reply("已重新設定權限", "別的", &cats).is_err());
    assert!(check_reply("已重新設定權限", "", &[]).is_ok());
    assert!(check_reply("", "", &[]).is_err());
}

#[test]
fn a_rating_is_one_to_five_and_a_return_says_why() {
    assert_eq!(check_rating("5", " 很快 ").unwrap(), (5, "很快".to_owned()));
    assert!(check_rating("0", "").is_err());
    assert!(check_rating("6", "").is_err());
    assert!(check_rating("五", "").is_err());
    let Err(Error::Invalid(e)) = check_return("  ") else {
        panic!("a return without a reason is refused");
    };
    assert!(e[0].message.zh.contains("退回原因"));
    assert_eq!(check_return(" 燈仍不亮 ").unwrap(), "燈仍不亮");
}

#[test]
fn the_export_reads_a_rated_report_as_handled() {
    assert_eq!(RepairState::Pending.export_label(), "待處理");
    assert_eq!(RepairState::Done.export_label(), "已處理");
    assert_eq!(RepairState::Rated.export_label(), "已處理");
    for s in RepairState::ALL {
        assert_eq!(RepairState::parse(s.as_str()), Some(s));
    }
}

#[test]
fn staff_logins_are_split_and_kept_once() {
    assert_eq!(
        parse_logins("vendor, clerk、vendor\nstaff").unwrap(),
        ["vendor", "clerk", "staff"]
    );
    let many = (0..21)
        .map(|i| format!("u{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(parse_logins(&many).is_err());
}
