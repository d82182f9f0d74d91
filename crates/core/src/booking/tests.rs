use super::*;
use time::macros::{date, datetime};

fn request(date: &str, from: &str, until: &str, people: &str) -> VenueRequestInput {
    VenueRequestInput {
        date: date.into(),
        from: from.into(),
        until: until.into(),
        phone: "06-2991111".into(),
        ext: "8123".into(),
        unit_id: None,
        people: people.into(),
        host: "王小明".into(),
        purpose: "業務協調會議".into(),
    }
}

fn fields(e: Error) -> Vec<&'static str> {
    match e {
        Error::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("{other:?}"),
    }
}

// 2026-12-07 is a Monday; "now" is the Friday before, 10:00 Taipei.
const NOW: OffsetDateTime = datetime!(2026-12-04 02:00 UTC);

#[test]
fn a_booking_is_whole_hours_within_the_opening_hours() {
    let open = Opening::OFFICE;
    let ok = request("2026-12-07", "9:00", "12:00", "10")
        .check(&open, 30, NOW)
        .unwrap();
    assert_eq!((ok.span.from, ok.span.until, ok.people), (9, 12, 10));
    assert_eq!(
        fields(
            request("2026-12-07", "7", "9", "10")
                .check(&open, 30, NOW)
                .unwrap_err()
        ),
        vec!["until"]
    );
    assert_eq!(
        fields(
            request("2026-12-07", "17", "19", "10")
                .check(&open, 30, NOW)
                .unwrap_err()
        ),
        vec!["until"]
    );
    // The end after the start.
    assert_eq!(
        fields(
            request("2026-12-07", "12", "9", "10")
                .check(&open, 30, NOW)
                .unwrap_err()
        ),
        vec!["until"]
    );
}

#[test]
fn a_booking_is_refused_on_a_day_the_venue_is_closed() {
    let e = request("2026-12-05", "9", "10", "1")
        .check(&Opening::OFFICE, 30, NOW)
        .unwrap_err();
    let Error::Invalid(v) = e else { panic!() };
    assert_eq!(v[0].field, "date");
    assert!(v[0].message.zh.contains("星期六"), "{:?}", v[0].message);
}

#[test]
fn only_hours_not_yet_begun_are_booked() {
    // Friday 10:00 Taipei: 9:00 has begun, 11:00 has not.
    let open = Opening::OFFICE;
    assert_eq!(
        fields(
            request("2026-12-04", "9", "11", "1")
                .check(&open, 30, NOW)
                .unwrap_err()
        ),
        vec!["date"]
    );
    assert!(
        request("2026-12-04", "11", "12", "1")
            .check(&open, 30, NOW)
            .is_ok()
    );
}

#[test]
fn a_booking_goes_at_most_a_year_ahead_and_far_years_are_no_dates() {
    let open = Opening::OFFICE;
    // NOW is Friday 2026-12-04: a year ahead is 2027-12-05.
    assert!(
        request("2027-12-03", "9", "10", "1")
            .check(&open, 30, NOW)
            .is_ok()
    );
    let e = request("2027-12-07", "9", "10", "1")
        .check(&open, 30, NOW)
        .unwrap_err();
    let Error::Invalid(v) = e else { panic!() };
    assert!(v[0].message.zh.contains("一年內"), "{:?}", v[0].message);
    // 9999-12-31 would overflow the week after it: it is not a date here.
    assert_eq!(crate::time::parse_date("9999-12-31"), None);
    assert_eq!(crate::time::parse_date("1899-12-31"), None);
    assert!(crate::time::parse_date("2200-01-01").is_some());
}

#[test]
fn more_people_than_the_venue_holds_are_refused() {
    let e = request("2026-12-07", "9", "10", "31")
        .check(&Opening::OFFICE, 30, NOW)
        .unwrap_err();
    let Error::Invalid(v) = e else { panic!() };
    assert_eq!(v[0].field, "people");
    assert!(v[0].message.zh.contains("30"), "{:?}", v[0].message);
    assert!(
        request("2026-12-07", "9", "10", "30")
            .check(&Opening::OFFICE, 30, NOW)
            .is_ok()
    );
    assert_eq!(
        fields(
            request("2026-12-07", "9", "10", "0")
                .check(&Opening::OFFICE, 30, NOW)
                .unwrap_err()
        ),
        vec!["people"]
    );
}

#[test]
fn every_wrong_field_is_named_at_once() {
    let mut r = request("someday", "x", "y", "many");
    r.phone = "call me".into();
    r.host = String::new();
    r.purpose = String::new();
    let got = fields(r.check(&Opening::OFFICE, 30, NOW).unwrap_err());
    for f in ["date", "until", "phone", "people", "host", "purpose"] {
        assert!(got.contains(&f), "{f} in {got:?}");
    }
}

#[test]
fn a_span_takes_one_slot_an_hour_in_taipei_time() {
    let s = Span {
        date: date!(2026 - 12 - 07),
        from: 8,
        until: 11,
    };
    let slots = s.slots();
    assert_eq!(slots.len(), 3);
    // 8:00 Taipei is midnight UTC: the grid does not shift with the
    // server's zone, and the next day starts at 16:00 UTC.
    assert_eq!(slots[0], datetime!(2026-12-07 00:00 UTC));
    assert_eq!(s.end(), datetime!(2026-12-07 03:00 UTC));
    assert_eq!(
        at_hour(date!(2026 - 12 - 08), 0),
        datetime!(2026-12-07 16:00 UTC)
    );
    assert_eq!(week_start(date!(2026 - 12 - 10)), date!(2026 - 12 - 07));
    assert_eq!(
        today(datetime!(2026-12-06 17:00 UTC)),
        date!(2026 - 12 - 07)
    );
}

#[test]
fn who_may_borrow_follows_the_venues_setting() {
    assert!(may_borrow(Borrowers::City, 1, &[], Some(9)));
    assert!(may_borrow(Borrowers::Agency, 1, &[], Some(1)));
    assert!(!may_borrow(Borrowers::Agency, 1, &[], Some(9)));
    assert!(may_borrow(Borrowers::AgencyAnd, 1, &[9], Some(9)));
    assert!(!may_borrow(Borrowers::AgencyAnd, 1, &[9], Some(8)));
    assert!(
        !may_borrow(Borrowers::City, 1, &[], None),
        "an outside person"
    );
}

#[test]
fn a_venue_names_every_missing_field() {
    let got = fields(VenueInput::default().check().unwrap_err());
    for f in [
        "location",
        "floor",
        "name",
        "agency_id",
        "capacity",
        "open_from",
        "borrowers",
    ] {
        assert!(got.contains(&f), "{f} in {got:?}");
    }
    let v = VenueInput {
        location: "永華市政中心".into(),
        floor: "10樓".into(),
        name: "第一會議室".into(),
        agency_id: Some(3),
        capacity: "40".into(),
        open_from: "8".into(),
        open_until: "18".into(),
        open_days: "1111100".into(),
        borrowers: "agency_and".into(),
        agencies: vec![],
        ..Default::default()
    };
    assert_eq!(fields(v.check().unwrap_err()), vec!["agencies"]);
    let ok = VenueInput {
        agencies: vec![7, 7, 5],
        ..v
    }
    .check()
    .unwrap();
    assert_eq!(ok.agencies, vec![5, 7]);
    assert_eq!(ok.opening, Opening::OFFICE);
}

#[test]
fn a_rejection_says_why() {
    assert!(check_decision_note(false, "").is_err());
    assert!(check_decision_note(false, "該時段另有府內會議").is_ok());
    assert_eq!(check_decision_note(true, "").unwrap(), "");
}

fn car() -> CarInput {
    CarInput {
        location: "永華市政中心".into(),
        car_type: "小客車".into(),
        plate: "abc-1234".into(),
        passengers: "4".into(),
        agency_id: Some(3),
        brand: "豐田".into(),
        year: "2021".into(),
        displacement: "1800".into(),
        number: "CAR-001".into(),
        open_from: "8".into(),
        open_until: "18".into(),
        open_days: "1111100".into(),
        borrowers: "agency".into(),
        drivers: vec![7, 7, 5],
        ..Default::default()
    }
}

#[test]
fn a_car_is_checked_with_its_plate_upper_case_and_its_drivers_once() {
    let c = car().check(2026).unwrap();
    assert_eq!(c.plate, "ABC-1234");
    assert_eq!(c.drivers, vec![5, 7]);
    for bad in ["ABC1234", "A-1", "ABCDE-1234", "AB-12 34", "台-1234"] {
        assert!(check_plate(bad).is_err(), "{bad}");
    }
    for good in ["RRR-000", "1234-AB", "KAA-3021"] {
        assert!(check_plate(good).is_ok(), "{good}");
    }
}

#[test]
fn a_car_form_reports_every_wrong_field_at_once() {
    let mut c = car();
    c.car_type = "飛機".into();
    c.passengers = "0".into();
    c.year = "2099".into();
    c.displacement = "-1".into();
    c.brand = String::new();
    let Err(Error::Invalid(errs)) = c.check(2026) else {
        panic!("invalid")
    };
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    for f in ["car_type", "passengers", "year", "displacement", "brand"] {
        assert!(fields.contains(&f), "{f}: {fields:?}");
    }
}

#[test]
fn a_driver_needs_a_licence_class_and_a_phone() {
    let d = DriverInput {
        location: "永華市政中心".into(),
        name: "陳建宏".into(),
        agency_id: Some(3),
        licence: "職業小型車".into(),
        phone: "0912-345-678".into(),
        borrowers: "city".into(),
        ..Default::default()
    };
    assert!(d.check().is_ok());
    let mut bad = d.clone();
    bad.licence = "駕照".into();
    bad.phone = "call me".into();
    let Err(Error::Invalid(errs)) = bad.check() else {
        panic!("invalid")
    };
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["licence", "phone"]);
}

#[test]
fn a_car_request_counts_passengers_without_the_driver_and_needs_one_chosen() {
    let now = at_hour(date!(2026 - 12 - 01), 9);
    let r = CarRequestInput {
        date: "2026-12-03".into(),
        from: "9".into(),
        until: "12".into(),
        with_driver: "yes".into(),
        driver_id: Some(4),
        phone: "06-2991111".into(),
        purpose: "訪視".into(),
        people: "4".into(),
        destination: "安南區公所".into(),
        ..Default::default()
    };
    let ok = r.check(&Opening::OFFICE, 4, now).unwrap();
    assert_eq!(ok.driver_id, Some(4));
    assert_eq!(ok.span.slots().len(), 3);
    // Driving oneself drops a driver the form still carried.
    let mut own = r.clone();
    own.with_driver = "no".into();
    own.people = "0".into();
    assert_eq!(own.check(&Opening::OFFICE, 4, now).unwrap().driver_id, None);
    let mut bad = r.clone();
    bad.driver_id = None;
    bad.people = "5".into();
    let Err(Error::Invalid(errs)) = bad.check(&Opening::OFFICE, 4, now) else {
        panic!("invalid")
    };
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["driver_id", "people"]);
}

#[test]
fn an_opening_covers_a_span_only_on_an_open_day_within_its_hours() {
    let span = |d, f, u| Span {
        date: d,
        from: f,
        until: u,
    };
    let thu = date!(2026 - 12 - 03);
    assert!(Opening::OFFICE.covers(&span(thu, 8, 18)));
    assert!(!Opening::OFFICE.covers(&span(thu, 7, 9)));
    assert!(!Opening::OFFICE.covers(&span(thu, 17, 19)));
    assert!(
        !Opening::OFFICE.covers(&span(date!(2026 - 12 - 05), 9, 10)),
        "a Saturday"
    );
}
