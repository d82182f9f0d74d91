//! The rules of scope and rank, one test each.
use super::*;

fn path(ids: &[i64]) -> TreePath {
    ids[1..]
        .iter()
        .fold(TreePath::root_child(OrgUnitId(ids[0])), |p, i| {
            p.child(OrgUnitId(*i))
        })
}

fn principal(roles: Vec<Role>) -> Principal {
    Principal::from_session(
        AccountId(1),
        "a".into(),
        "A".into(),
        path(&[1, 2, 3]),
        roles,
    )
}

fn role(kind: RoleKind, p: &[i64]) -> Role {
    Role {
        kind,
        scope: Some((OrgUnitId(*p.last().unwrap()), path(p))),
    }
}

fn system() -> Role {
    Role {
        kind: RoleKind::SystemAdmin,
        scope: None,
    }
}

fn agency_admin_of(p: &[i64]) -> Principal {
    principal(vec![role(RoleKind::AgencyAdmin, p)])
}

/// A general user sitting at `unit`.
fn target<'t>(unit: &'t TreePath, roles: &'t [Role]) -> Target<'t> {
    Target {
        id: AccountId(9),
        unit_path: unit,
        roles,
    }
}

#[test]
fn general_user_has_no_admin_door() {
    assert!(matches!(principal(vec![]).admin(), Err(Error::Forbidden)));
}

#[test]
fn agency_admin_cannot_reach_account_outside_subtree() {
    let p = agency_admin_of(&[1, 2]);
    let admin = p.admin().unwrap();
    assert!(admin.of(&target(&path(&[1, 2, 7]), &[])).is_ok());
    assert!(matches!(
        admin.of(&target(&path(&[1, 20, 7]), &[])),
        Err(Error::NotFound)
    ));
}

#[test]
fn system_admin_reaches_everything() {
    let p = principal(vec![system()]);
    let other = [system()];
    let a = p.admin().unwrap();
    assert!(a.of(&target(&path(&[5, 6]), &[])).is_ok());
    assert!(a.of(&target(&path(&[5, 6]), &other)).is_ok());
    assert!(p.system_admin().is_ok());
}

#[test]
fn unit_admin_cannot_act_on_the_agency_admin_sitting_in_their_unit() {
    let p = principal(vec![role(RoleKind::UnitAdmin, &[1, 2, 3])]);
    let held = [role(RoleKind::AgencyAdmin, &[1, 2])];
    let a = p.admin().unwrap();
    // Above the unit admin: not even seen.
    assert!(matches!(
        a.of(&target(&path(&[1, 2, 3]), &held)),
        Err(Error::NotFound)
    ));
    assert!(a.view(&target(&path(&[1, 2, 3]), &held)).is_err());
}

#[test]
fn agency_admin_cannot_see_or_act_on_a_system_admin_in_their_subtree() {
    let p = agency_admin_of(&[1, 2]);
    let held = [system()];
    let a = p.admin().unwrap();
    assert!(matches!(
        a.of(&target(&path(&[1, 2, 3]), &held)),
        Err(Error::NotFound)
    ));
}

#[test]
fn a_peer_admin_is_seen_but_refused_by_name() {
    let p = agency_admin_of(&[1, 2]);
    let peer = [role(RoleKind::AgencyAdmin, &[1, 2])];
    let a = p.admin().unwrap();
    let unit = path(&[1, 2, 3]);
    let t = target(&unit, &peer);
    assert!(a.view(&t).is_ok());
    match a.of(&t) {
        Err(Error::Refused(m)) => assert!(m.zh.contains("機關管理者"), "{}", m.zh),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_admin_role_held_outside_the_actors_scope_hides_the_account() {
    // Unit admin elsewhere: the agency admin of 1/2 does not rank there.
    let p = agency_admin_of(&[1, 2]);
    let elsewhere = [role(RoleKind::UnitAdmin, &[1, 20, 5])];
    let a = p.admin().unwrap();
    assert!(matches!(
        a.of(&target(&path(&[1, 2, 3]), &elsewhere)),
        Err(Error::NotFound)
    ));
    // A unit admin inside the agency is outranked.
    let inside = [role(RoleKind::UnitAdmin, &[1, 2, 5])];
    assert!(a.of(&target(&path(&[1, 2, 3]), &inside)).is_ok());
}

#[test]
fn only_system_admins_make_system_admins() {
    let p = agency_admin_of(&[1, 2]);
    assert!(matches!(
        p.admin().unwrap().may_grant(RoleKind::SystemAdmin, None),
        Err(Error::Forbidden)
    ));
}

#[test]
fn a_unit_admin_grants_no_role_they_could_not_take_back() {
    let p = principal(vec![role(RoleKind::UnitAdmin, &[1, 2, 3])]);
    let a = p.admin().unwrap();
    assert!(
        a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[1, 2, 3])))
            .is_err()
    );
    // A peer unit admin, even below: they could not revoke it (issue 12).
    assert!(matches!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2, 3, 4]))),
        Err(Error::Refused(_))
    ));
    assert!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2])))
            .is_err()
    );
}

#[test]
fn mixed_roles_grant_by_the_role_held_over_that_subtree() {
    // Unit admin of 1/2/3, agency admin of 7: over 1/2/3 a unit admin.
    let p = principal(vec![
        role(RoleKind::UnitAdmin, &[1, 2, 3]),
        role(RoleKind::AgencyAdmin, &[7]),
    ]);
    let a = p.admin().unwrap();
    assert!(matches!(
        a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[1, 2, 3]))),
        Err(Error::Forbidden)
    ));
    assert!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[7, 8])))
            .is_ok(),
        "below the agency admin role held over 7"
    );
    // Not a peer of themselves anywhere: no agency admin of 7, no unit
    // admin of 1/2/3.
    assert!(matches!(
        a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[7]))),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2, 3]))),
        Err(Error::Refused(_))
    ));
}

#[test]
fn agency_admin_grants_only_inside_own_agency() {
    let p = agency_admin_of(&[1, 2]);
    let a = p.admin().unwrap();
    assert!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 2])))
            .is_ok()
    );
    assert!(
        a.may_grant(RoleKind::AgencyAdmin, Some(&path(&[1, 2])))
            .is_err(),
        "another agency admin comes by request (機關管理者申請)"
    );
    assert!(
        a.may_grant(RoleKind::UnitAdmin, Some(&path(&[1, 9])))
            .is_err()
    );
    assert!(!p.is_system_admin() && p.system_admin().is_err());
}

#[test]
fn nobody_decides_a_request_they_made_or_that_concerns_them() {
    let p = agency_admin_of(&[1, 2]);
    let a = p.admin().unwrap();
    let scope = path(&[1, 2]);
    assert!(matches!(
        a.decider_of(5, &scope, p.account_id(), &[]),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        a.decider_of(5, &path(&[1, 20]), AccountId(9), &[]),
        Err(Error::NotFound)
    ));
    assert_eq!(
        a.decider_of(5, &scope, AccountId(9), &[])
            .unwrap()
            .request(),
        5
    );
}

#[test]
fn nobody_decides_for_an_account_that_keeps_a_role_above_them() {
    let p = principal(vec![role(RoleKind::UnitAdmin, &[1, 2, 3])]);
    let a = p.admin().unwrap();
    let scope = path(&[1, 2, 3]);
    assert!(a.decider_of(5, &scope, AccountId(9), &[system()]).is_err());
    assert!(
        a.decider_of(
            5,
            &scope,
            AccountId(9),
            &[role(RoleKind::AgencyAdmin, &[1, 2])]
        )
        .is_err()
    );
    // Rank is the role, not the depth: a unit admin of a sub-unit is a
    // peer, refused by name.
    assert!(matches!(
        a.decider_of(
            5,
            &scope,
            AccountId(9),
            &[role(RoleKind::UnitAdmin, &[1, 2, 3, 4])]
        ),
        Err(Error::Refused(_))
    ));
    assert!(a.decider_of(5, &scope, AccountId(9), &[]).is_ok());
}

#[test]
fn a_peer_is_refused_in_plain_english_too() {
    let Error::Refused(m) = outranked(RoleKind::UnitAdmin) else {
        panic!("a refusal")
    };
    assert!(m.en.contains("is a unit administrator"), "{}", m.en);
    let Error::Refused(m) = outranked(RoleKind::AgencyAdmin) else {
        panic!("a refusal")
    };
    assert!(m.en.contains("is an agency administrator"), "{}", m.en);
}
