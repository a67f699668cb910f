"""The journey layouts kept with a report: group clusters, track lanes and stage staircase."""

import json
from dataclasses import replace
from fractions import Fraction

from assessments.balance import JourneyInput, StepInput, compute
from assessments.balance.bench import generate
from assessments.portfolio.shapes import journey_shapes
from tests.balance.builders import journey, offering, offerings, organisation


def shapes_of(org, **kwargs):
    return journey_shapes(org, compute(org), **kwargs)


def steps(*offering_keys, touchpoints=None):
    """A journey's steps; ``touchpoints`` maps a step index to the touchpoints it passes."""
    touchpoints = touchpoints or {}
    return tuple(StepInput(o, tuple(touchpoints.get(i, ()))) for i, o in enumerate(offering_keys))


def retailer():
    """Three areas: Food (3 journeys), Fashion (2), Home (1); food and fashion share "pay"."""
    return organisation(
        areas=[("food", "Food"), ("fashion", "Fashion"), ("home", "Home")],
        offerings=[
            offering("grocer", "food"),
            offering("meals", "food"),
            offering("clothes", "fashion"),
            offering("sofas", "home"),
        ],
        journeys=[
            journey("weekly", "grocer", touchpoints=["pay"]),
            journey("dinner", "meals", touchpoints=["pay"]),
            journey("top-up", "grocer"),
            journey("outfit", "clothes", touchpoints=["pay"]),
            journey("styling", "clothes"),
            journey("furnish", "sofas"),
        ],
    )


# --- group --------------------------------------------------------------------------------------


def test_clusters_come_largest_first_with_their_journeys():
    group = shapes_of(retailer())["group"]
    assert [(c["label"], c["total"]) for c in group["clusters"]] == [
        ("Food", 3),
        ("Fashion", 2),
        ("Home", 1),
    ]
    assert group["clusters"][1]["journeys"] == [
        {"key": "outfit", "name": "Journey outfit"},
        {"key": "styling", "name": "Journey styling"},
    ]
    assert group["more_clusters"] == 0
    assert group["more_journeys"] == 0


def test_clusters_of_the_same_size_are_ordered_by_label():
    org = organisation(
        areas=[("b", "Beta"), ("a", "Alpha")],
        offerings=[offering("x", "b"), offering("y", "a")],
        journeys=[journey("j1", "x"), journey("j2", "y")],
    )
    assert [c["label"] for c in shapes_of(org)["group"]["clusters"]] == ["Alpha", "Beta"]


def test_a_link_counts_the_pairs_of_journeys_that_share_anything():
    links = shapes_of(retailer())["group"]["links"]
    # weekly and dinner (food) each share "pay" with outfit (fashion); nothing reaches home.
    # Each of those pairs overlaps 1/2, above the default link threshold of 0.10.
    assert links == [{"a": 0, "b": 1, "pairs": 2, "linked": 2}]


def test_the_link_threshold_decides_which_pairs_are_linked():
    org = retailer()
    report = compute(org)
    strict = journey_shapes(org, report, link_threshold=Fraction(3, 5))
    assert strict["group"]["links"] == [{"a": 0, "b": 1, "pairs": 2, "linked": 0}]


def test_clusters_and_their_journeys_are_capped_with_how_many_more():
    areas = [(f"a{i}", f"Area {i}") for i in range(8)]
    offering_items = [offering(f"o{i}", f"a{i}") for i in range(8)]
    # Area i has i + 1 journeys, so a7 is largest and a0, a1 are left out.
    journeys = [journey(f"j{i}-{n}", f"o{i}") for i in range(8) for n in range(i + 1)]
    group = shapes_of(organisation(areas=areas, offerings=offering_items, journeys=journeys))[
        "group"
    ]
    assert [c["label"] for c in group["clusters"]] == [f"Area {i}" for i in range(7, 1, -1)]
    assert group["clusters"][0]["total"] == 8
    assert len(group["clusters"][0]["journeys"]) == 6
    assert group["more_clusters"] == 2
    assert group["more_journeys"] == 1 + 2


# --- track --------------------------------------------------------------------------------------


def leisure():
    """Three journeys crossing at booking and at the gym; the spa journey passes booking last."""
    return replace(
        organisation(
            offerings=offerings("gym", "pool", "spa", "cafe"),
            journeys=[
                JourneyInput("swim", "Swim", steps("pool", "cafe", touchpoints={0: ["booking"]})),
                JourneyInput("train", "Train", steps("gym", "cafe", touchpoints={0: ["booking"]})),
                JourneyInput("relax", "Relax", steps("spa", "gym", touchpoints={1: ["booking"]})),
                JourneyInput("walk-in", "Walk in", steps("spa")),
            ],
        ),
        touchpoints=(("booking", "Online booking"),),
    )


def test_lanes_are_the_journeys_passing_most_shared_points():
    track = shapes_of(leisure())["track"]
    # Shared: booking (3), cafe (2), gym (2), spa (2). relax passes booking, gym and spa.
    assert [lane["key"] for lane in track["lanes"]] == ["relax", "train", "swim", "walk-in"]
    assert track["more_journeys"] == 0
    assert track["more_nodes"] == 0


def test_nodes_are_shared_points_ordered_along_the_journeys():
    track = shapes_of(leisure())["track"]
    nodes = {n["key"]: n for n in track["nodes"]}
    assert nodes["booking"] == {
        "key": "booking",
        "name": "Online booking",
        "kind": "touchpoint",
        "lanes": [0, 1, 2],
        # relax meets it at its second step (3/4), train and swim at their first (1/4).
        "position": round((0.75 + 0.25 + 0.25) / 3, 4),
    }
    assert nodes["gym"]["kind"] == "offering"
    assert nodes["gym"]["name"] == "Offering gym"
    positions = [n["position"] for n in track["nodes"]]
    assert positions == sorted(positions)
    assert [n["key"] for n in track["nodes"]] == ["spa", "booking", "gym", "cafe"]


def test_track_caps_lanes_and_nodes_and_counts_the_rest():
    # 12 journeys all passing the same 20 offerings: every offering is shared.
    keys = [f"o{i:02d}" for i in range(20)]
    journeys = [JourneyInput(f"j{n:02d}", f"J{n}", steps(*keys)) for n in range(12)]
    track = shapes_of(organisation(offerings=offerings(*keys), journeys=journeys))["track"]
    assert [lane["key"] for lane in track["lanes"]] == [f"j{n:02d}" for n in range(10)]
    assert len(track["nodes"]) == 14
    assert track["more_journeys"] == 2
    assert track["more_nodes"] == 6
    assert all(n["lanes"] == list(range(10)) for n in track["nodes"])


# --- stage --------------------------------------------------------------------------------------


def test_stages_form_a_staircase_along_the_journey():
    org = organisation(
        offerings=offerings("apply", "enrol", "study", "graduate"),
        journeys=[
            JourneyInput("ug", "Degree", steps("apply", "enrol", "study", "graduate")),
            JourneyInput("short", "Short course", steps("apply", "study")),
            JourneyInput("empty", "Not started", ()),
        ],
    )
    stage = shapes_of(org)["stage"]
    assert stage["stages"] == [
        # Each stage where journeys typically pass it: the median of their spans.
        {"key": "apply", "name": "Offering apply", "start": 0.0, "end": 0.375, "journeys": 2},
        {"key": "enrol", "name": "Offering enrol", "start": 0.25, "end": 0.5, "journeys": 1},
        {"key": "study", "name": "Offering study", "start": 0.5, "end": 0.875, "journeys": 2},
        {"key": "graduate", "name": "Offering graduate", "start": 0.75, "end": 1.0, "journeys": 1},
    ]
    assert stage["journeys"] == 2
    assert stage["more_stages"] == 0


def test_stages_keep_those_most_journeys_pass():
    keys = [f"s{i:02d}" for i in range(15)]
    # s00 .. s02 are passed by one journey only; the rest by both.
    journeys = [
        JourneyInput("a", "A", steps(*keys)),
        JourneyInput("b", "B", steps(*keys[3:])),
    ]
    stage = shapes_of(organisation(offerings=offerings(*keys), journeys=journeys))["stage"]
    assert [s["key"] for s in stage["stages"]] == keys[3:]
    assert stage["more_stages"] == 3


# --- the whole --------------------------------------------------------------------------------


def test_no_journeys_gives_empty_layouts():
    shapes = shapes_of(organisation(offerings=offerings("o1")))
    assert shapes == {
        "version": 1,
        "journeys": 0,
        "group": {"clusters": [], "more_clusters": 0, "more_journeys": 0, "links": []},
        "track": {"lanes": [], "nodes": [], "more_journeys": 0, "more_nodes": 0},
        "stage": {"stages": [], "more_stages": 0, "journeys": 0},
    }


def test_the_same_organisation_in_any_order_gives_the_same_bytes():
    org = leisure()
    shuffled = replace(
        org,
        journeys=tuple(reversed(org.journeys)),
        offerings=tuple(reversed(org.offerings)),
    )
    first = json.dumps(shapes_of(org), sort_keys=True)
    assert first == json.dumps(shapes_of(shuffled), sort_keys=True)
    assert json.loads(first) == shapes_of(org)


def test_a_large_organisation_gives_a_few_kilobytes():
    org = generate(7, offerings=300, journeys=300, enablers=20, usages=40, assessments=0, flags=0)
    org = replace(
        org,
        touchpoints=tuple((f"tp-{i:03d}", f"Touchpoint {i}") for i in range(80)),
    )
    text = json.dumps(shapes_of(org))
    assert len(text) < 8000
