#!/usr/bin/env python3
"""Checks a drawn inspection sample against 002 §七 (一) from the database
alone, written apart from the Rust code that draws it (so a mistake in one
is not repeated in the other).

    scripts/check-sample.py PORTICO.db INSPECTION_ID

Prints what it checked and exits 1 on a broken rule. A unit's quarter:
people >= half the quarter's users; 300 records at 30,000 or more, else
>= 1 % and >= 5, or all below 5; every month with usage in the sample. An
agency's half year: >= half the (unit, person) pairs and records its units'
samples hold, and every month of those samples.
"""
import math
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

TAIPEI = timezone(timedelta(hours=8))


def period_bounds(code):
    year, part = code.split("-")
    year = int(year)
    first, months = ((int(part[1]) - 1) * 3 + 1, 3) if part[0] == "Q" else ((int(part[1]) - 1) * 6 + 1, 6)
    start = datetime(year, first, 1, tzinfo=TAIPEI)
    end_m = first + months
    end = datetime(year + (end_m - 1) // 12, (end_m - 1) % 12 + 1, 1, tzinfo=TAIPEI)
    return start, end


def month_of(ms):
    t = datetime.fromtimestamp(ms / 1000, TAIPEI)
    return (t.year, t.month)


def main(db, iid):
    c = sqlite3.connect(db)
    kind, period, unit, through, people_n, records_n = c.execute(
        "SELECT kind, period, unit_id, through_seq, people, population FROM inspections WHERE id = ?", (iid,)
    ).fetchone()
    start, end = period_bounds(period)
    lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    sample = c.execute(
        "SELECT r.seq, r.used_at, r.account_id, r.unit_id FROM inspection_items x "
        "JOIN usage_records r ON r.seq = x.seq WHERE x.inspection_id = ?", (iid,)
    ).fetchall()
    if kind == "unit":
        pop = c.execute(
            "SELECT seq, used_at, account_id, unit_id FROM usage_records "
            "WHERE unit_id = ? AND used_at >= ? AND used_at < ? AND seq <= ?", (unit, lo, hi, through)
        ).fetchall()
        n = len(pop)
        need_records = n if n < 5 else (300 if n >= 30000 else max(math.ceil(n / 100), 5))
        users = {p[2] for p in pop}
        need_people = math.ceil(len(users) / 2)
        got_people = len({s[2] for s in sample})
    else:
        units = [r[0] for r in c.execute(
            "SELECT i.id FROM inspections i JOIN org_units u ON u.id = i.unit_id "
            "WHERE i.kind = 'unit' AND u.agency_id = ? AND i.period IN (?, ?)",
            (unit, *quarters_of(period)),
        )]
        pop = []
        for u in units:
            pop += c.execute(
                "SELECT r.seq, r.used_at, r.account_id, r.unit_id FROM inspection_items x "
                "JOIN usage_records r ON r.seq = x.seq WHERE x.inspection_id = ?", (u,)
            ).fetchall()
        need_records = math.ceil(len(pop) / 2)
        need_people = math.ceil(len({(p[3], p[2]) for p in pop}) / 2)
        got_people = len({(s[3], s[2]) for s in sample})
    pop_seqs = {p[0] for p in pop}
    broken = []
    if not all(s[0] in pop_seqs for s in sample):
        broken.append("a sampled record is outside the population")
    if len(sample) < need_records:
        broken.append(f"{len(sample)} records sampled, {need_records} needed")
    if got_people < need_people:
        broken.append(f"{got_people} people sampled, {need_people} needed")
    missing = {month_of(p[1]) for p in pop} - {month_of(s[1]) for s in sample}
    if missing:
        broken.append(f"months with usage missing from the sample: {sorted(missing)}")
    if kind == "unit" and (len(pop) != records_n or len({p[2] for p in pop}) != people_n):
        broken.append("the stored population counts differ from the records")
    print(f"inspection {iid} ({kind} {period}): population {len(pop)}, sample {len(sample)} "
          f"(needs {need_records}), people {got_people} (needs {need_people})")
    for b in broken:
        print("BROKEN:", b)
    return 1 if broken else 0


def quarters_of(half):
    year, part = half.split("-")
    h = int(part[1])
    return (f"{year}-Q{2 * h - 1}", f"{year}-Q{2 * h}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
