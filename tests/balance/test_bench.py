"""The synthetic organisation the benchmarks time."""

from assessments.balance import compute, report_to_json
from assessments.balance.bench import generate

SMALL = {
    "offerings": 60,
    "journeys": 12,
    "steps": 5,
    "enablers": 150,
    "usages": 900,
    "assessments": 400,
    "flags": 120,
    "teams": 6,
    "areas": 3,
}


def test_the_same_seed_gives_the_same_organisation():
    assert generate(7, **SMALL) == generate(7, **SMALL)
    assert generate(7, **SMALL) != generate(8, **SMALL)


def test_the_organisation_has_the_sizes_asked_for():
    org = generate(3, **SMALL)
    assert len(org.offerings) == 60
    assert len(org.journeys) == 12
    assert all(len(j.steps) == 5 for j in org.journeys)
    assert len(org.enablers) == 150
    assert len(org.usages) == 900
    assert len(set(org.usages)) == 900
    assert len(org.assessments) == 400
    assert len({(a.round, a.team, a.enabler) for a in org.assessments}) == 400
    assert len(org.flags) == 120
    assert len(org.areas) == 3


def test_the_organisation_refers_only_to_what_it_holds():
    org = generate(5, **SMALL)
    offerings = {o.key for o in org.offerings}
    enablers = {e.key for e in org.enablers}
    areas = {key for key, _ in org.areas}
    assert {o.area for o in org.offerings} <= areas | {None}
    assert {s.offering for j in org.journeys for s in j.steps} <= offerings
    assert {u.offering for u in org.usages} <= offerings
    assert {u.enabler for u in org.usages} | {f.enabler for f in org.flags} <= enablers
    assert {a.round for a in org.assessments} <= set(org.rounds)


def test_a_generated_organisation_computes_deterministically():
    org = generate(11, **SMALL)
    assert report_to_json(compute(org)) == report_to_json(compute(org))


def test_tiny_sizes_are_fine():
    org = generate(1, offerings=0, journeys=2, enablers=0, usages=10, assessments=5, flags=3)
    report = compute(org)
    assert report.counts.offerings == 0
    assert report.balance_score is None
