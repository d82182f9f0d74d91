use super::*;
use proptest::prelude::*;

/// `n` records spread over `people` people and the quarter's three months.
fn rows(n: usize, people: i64) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            seq: i as i64 + 1,
            month: (i % 3) as u8,
            person: i as i64 % people,
        })
        .collect()
}

fn sampled(r: &[Row], seed: u64) -> Vec<Row> {
    draw(r, Targets::unit(r), seed)
        .into_iter()
        .map(|i| r[i])
        .collect()
}

#[test]
fn quarter_with_30000_records_samples_300() {
    let r = rows(30_000, 200);
    assert_eq!(unit_records(30_000), 300);
    assert_eq!(sampled(&r, 7).len(), 300);
    assert_eq!(unit_records(1_000_000), 300);
}

#[test]
fn quarter_below_30000_records_samples_at_least_one_percent() {
    assert_eq!(unit_records(29_999), 300);
    assert_eq!(unit_records(12_345), 124);
    assert_eq!(unit_records(1_000), 10);
    let r = rows(12_345, 40);
    assert_eq!(sampled(&r, 1).len(), 124);
}

#[test]
fn quarter_samples_never_fewer_than_5_records() {
    assert_eq!(unit_records(5), 5);
    assert_eq!(unit_records(120), 5);
    assert_eq!(unit_records(499), 5);
    assert_eq!(unit_records(501), 6);
    assert_eq!(sampled(&rows(120, 2), 3).len(), 5);
}

#[test]
fn quarter_with_fewer_than_5_records_audits_all() {
    for n in 0..5 {
        assert_eq!(unit_records(n), n);
        let r = rows(n as usize, 3);
        assert_eq!(
            draw(&r, Targets::unit(&r), 9),
            (0..n as usize).collect::<Vec<_>>()
        );
    }
}

#[test]
fn quarter_samples_at_least_half_the_users() {
    // 30,000 records by 598 people: 299 people, 300 records.
    let r = rows(30_000, 598);
    let s = sampled(&r, 11);
    assert!(distinct_people(&s) >= 299);
    // 1,000 users need 500 people: the sample grows past 300 to hold them.
    let r = rows(30_000, 1_000);
    let s = sampled(&r, 11);
    assert!(distinct_people(&s) >= 500, "{}", distinct_people(&s));
    assert!(s.len() >= 500);
}

#[test]
fn every_month_with_usage_is_in_the_sample() {
    // 1,000 records in the first month, one in the third: the lone record
    // must be drawn.
    let mut r: Vec<Row> = (0..1_000)
        .map(|i| Row {
            seq: i + 1,
            month: 0,
            person: 1,
        })
        .collect();
    r.push(Row {
        seq: 1_001,
        month: 2,
        person: 1,
    });
    for seed in 0..50 {
        let s = sampled(&r, seed);
        assert!(s.iter().any(|x| x.seq == 1_001), "seed {seed}");
        assert!(!s.iter().any(|x| x.month == 1));
    }
}

#[test]
fn the_same_records_and_seed_draw_the_same_sample() {
    let r = rows(5_000, 37);
    assert_eq!(sampled(&r, 42), sampled(&r, 42));
    assert_ne!(sampled(&r, 42), sampled(&r, 43));
}

#[test]
fn agency_audits_half_the_people_and_records_the_units_audited() {
    let t = Targets::agency(41, 305);
    assert_eq!(
        t,
        Targets {
            people: 21,
            records: 153
        }
    );
}

#[test]
fn the_generator_is_fixed_by_this_code() {
    // SplitMix64's published first outputs for seed 0: a crate upgrade
    // cannot change a stored seed's sample.
    let mut g = SplitMix::new(0);
    assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
}

#[test]
fn periods_name_their_months_and_due_dates() {
    let q = Period::quarter(2026, 4).unwrap();
    assert_eq!(q.start(), time::macros::date!(2026 - 10 - 01));
    assert_eq!(q.end(), time::macros::date!(2027 - 01 - 01));
    assert_eq!(q.due(), time::macros::date!(2027 - 01 - 31));
    assert_eq!(q.label().zh, "115 年第 4 季");
    let h = Period::half(2026, 2).unwrap();
    assert_eq!(h.due(), time::macros::date!(2027 - 01 - 31));
    assert_eq!(h.send_by(), time::macros::date!(2027 - 02 - 28));
    assert_eq!(
        Period::half(2026, 1).unwrap().send_by(),
        time::macros::date!(2026 - 08 - 31)
    );
    assert_eq!(h.quarters(), vec![Period::quarter(2026, 3).unwrap(), q]);
    assert_eq!(
        Period::quarter_before(time::macros::date!(2027 - 01 - 05)),
        q
    );
    assert_eq!(Period::half_before(time::macros::date!(2027 - 01 - 05)), h);
    assert_eq!(
        Period::half_before(time::macros::date!(2026 - 07 - 01)),
        Period::half(2026, 1).unwrap()
    );
    assert_eq!(Period::parse("2026-Q4"), Some(q));
    assert_eq!(Period::parse("2026-H2"), Some(h));
    assert_eq!(Period::parse("2026-Q5"), None);
    assert_eq!(Period::parse("2026-Q"), None);
    assert_eq!(q.month_of(time::macros::date!(2026 - 11 - 30)), Some(1));
    assert_eq!(q.month_of(time::macros::date!(2026 - 09 - 30)), None);
}

#[test]
fn an_abnormal_mark_needs_a_note() {
    assert!(check_mark(Mark::Abnormal, "  ").is_err());
    assert_eq!(
        check_mark(Mark::Abnormal, " 非公務查詢 ").unwrap(),
        "非公務查詢"
    );
    assert_eq!(check_mark(Mark::Normal, "").unwrap(), "");
    assert!(check_mark(Mark::Normal, &"字".repeat(501)).is_err());
}

fn arb_rows() -> impl Strategy<Value = Vec<Row>> {
    (1i64..60, 1u8..=6).prop_flat_map(|(people, months)| {
        prop::collection::vec((0..people, 0..months), 0..1_500).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (person, month))| Row {
                    seq: i as i64 + 1,
                    month,
                    person,
                })
                .collect()
        })
    })
}

proptest! {
    #[test]
    fn any_quarter_sample_meets_every_rule(r in arb_rows(), seed in any::<u64>()) {
        let t = Targets::unit(&r);
        let picks = draw(&r, t, seed);
        prop_assert_eq!(check(&r, &picks, t), Ok(()));
        // No larger than the rules need: the records' count, or one per
        // person and month past it.
        prop_assert!(picks.len() as u64 <= t.records.max(t.people + 6));
        prop_assert_eq!(&picks, &draw(&r, t, seed));
    }

    #[test]
    fn any_agency_sample_meets_its_half_rules(r in arb_rows(), seed in any::<u64>()) {
        // The units' samples are the agency's population.
        let t = Targets::unit(&r);
        let units: Vec<Row> = draw(&r, t, seed).into_iter().map(|i| r[i]).collect();
        let a = Targets::agency(distinct_people(&units), units.len() as u64);
        let picks = draw(&units, a, seed ^ 1);
        prop_assert_eq!(check(&units, &picks, a), Ok(()));
        prop_assert!(picks.len() as u64 * 2 >= units.len() as u64);
    }
}

#[test]
fn the_checker_names_what_a_sample_misses() {
    let r = rows(1_000, 20);
    let t = Targets::unit(&r);
    // Ten records of month 0 by one person.
    let one: Vec<usize> = (0..10).map(|i| i * 60).collect();
    assert_eq!(
        check(&r, &one, t),
        Err(Shortfall::People { need: 10, got: 1 })
    );
    let few: Vec<usize> = (0..9).collect();
    assert_eq!(
        check(&r, &few, t),
        Err(Shortfall::Records { need: 10, got: 9 })
    );
    let month0: Vec<usize> = (0..20).map(|i| i * 3).collect();
    assert_eq!(check(&r, &month0, t), Err(Shortfall::Month { month: 1 }));
    assert_eq!(
        check(&r, &[0, 0, 1, 2, 3, 4, 5, 6, 7, 8], t),
        Err(Shortfall::NotInPopulation)
    );
}
