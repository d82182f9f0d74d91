use super::*;
use time::macros::{date, datetime};

fn holding(kind: ItemKind, code: &str, place: Option<i64>) -> Holding {
    Holding {
        account_id: 7,
        kind,
        ref_id: 1,
        code: code.into(),
        name: "x".into(),
        place,
        last_used_at: None,
        holder_rank: None,
        holder_agency: None,
    }
}

#[test]
fn each_right_goes_to_whoever_grants_it() {
    assert_eq!(
        reviewer_of(&holding(ItemKind::AdminRole, "unit_admin", Some(3))),
        Reviewer::Agency(3)
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::AdminRole, "agency_admin", Some(3))),
        Reviewer::System
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::AdminRole, "system_admin", None)),
        Reviewer::System
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::AppRole, "clerk", Some(11))),
        Reviewer::App(11)
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::Membership, "", Some(5))),
        Reviewer::Unit(5)
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::Membership, "", None)),
        Reviewer::System
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::Category, "stausr", Some(6))),
        Reviewer::Unit(6)
    );
    assert_eq!(
        reviewer_of(&holding(ItemKind::Custodian, "agency", Some(2))),
        Reviewer::Agency(2)
    );
}

#[test]
fn rights_unused_for_six_months_are_marked_unused() {
    let now = datetime!(2026-12-01 00:00 UTC);
    assert!(unused(None, now));
    assert!(unused(Some(now - Duration::days(183)), now));
    assert!(!unused(Some(now - Duration::days(182)), now));
}

#[test]
fn rights_are_reviewed_at_least_every_six_months() {
    let today = date!(2026 - 12 - 01);
    assert!(due(None, today, 6));
    assert!(!due(Some(date!(2026 - 06 - 02)), today, 6));
    assert!(due(Some(date!(2026 - 06 - 01)), today, 6));
    assert!(due(Some(date!(2026 - 09 - 01)), today, 3));
    assert!(!due(None, today, 0), "0 turns the schedule off");
}

#[test]
fn a_campaign_needs_a_name_a_deadline_in_range_and_an_expiry_rule() {
    let today = date!(2026 - 12 - 01);
    let ok = check_campaign(" 115 年下半年權限清查 ", "2026-12-31", "revoke", today).unwrap();
    assert_eq!(ok.name, "115 年下半年權限清查");
    assert_eq!(ok.on_expiry, OnExpiry::Revoke);
    let Err(Error::Invalid(f)) = check_campaign("", "2026-12-02", "maybe", today) else {
        panic!("accepted")
    };
    let fields: Vec<_> = f.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "deadline", "on_expiry"]);
    assert!(check_campaign("清查", "2027-03-02", "flag", today).is_err());
    assert!(check_campaign("清查", "2027-03-01", "flag", today).is_ok());
    assert!(check_campaign("清查", "2026-12-08", "flag", today).is_ok());
    assert!(check_campaign("清查", "12/31", "flag", today).is_err());
}

#[test]
fn custody_of_a_mail_account_is_handed_over_never_dropped() {
    assert!(!ItemKind::Custodian.revocable());
    assert!(ItemKind::ALL.iter().filter(|k| k.revocable()).count() == 4);
}

#[test]
fn names_round_trip() {
    for k in ItemKind::ALL {
        assert_eq!(ItemKind::parse(k.as_str()), Some(k));
    }
    for k in ScopeKind::ALL {
        assert_eq!(ScopeKind::parse(k.as_str()), Some(k));
    }
    for r in [
        Reviewer::Unit(1),
        Reviewer::Agency(2),
        Reviewer::App(3),
        Reviewer::System,
        Reviewer::Person(4),
    ] {
        assert_eq!(Reviewer::from_parts(r.kind_str(), r.id()), Some(r));
    }
}

#[test]
fn a_right_of_an_admin_goes_to_those_above_them() {
    let of = |kind, code: &str, place, rank| {
        reviewer_of(&Holding {
            holder_rank: Some(rank),
            holder_agency: Some(2),
            ..holding(kind, code, place)
        })
    };
    // An agency admin's category, membership and custody: the system
    // admins', never a unit admin of the agency's.
    for kind in [ItemKind::Category, ItemKind::Membership] {
        assert_eq!(
            of(kind, "", Some(5), RoleKind::AgencyAdmin),
            Reviewer::System
        );
    }
    assert_eq!(
        of(
            ItemKind::Custodian,
            "agency",
            Some(2),
            RoleKind::AgencyAdmin
        ),
        Reviewer::System
    );
    // A unit admin's unit-reviewed rights: their agency's admins'.
    assert_eq!(
        of(ItemKind::Category, "", Some(5), RoleKind::UnitAdmin),
        Reviewer::Agency(2)
    );
    assert_eq!(
        of(ItemKind::Custodian, "agency", Some(2), RoleKind::UnitAdmin),
        Reviewer::Agency(2)
    );
    // An application's roles stay with its managers.
    assert_eq!(
        of(
            ItemKind::AppRole,
            "stat.user",
            Some(11),
            RoleKind::AgencyAdmin
        ),
        Reviewer::App(11)
    );
}
