"""The server-drawn charts: well-formed, CSP-safe SVG that says what it shows, in words too."""

import xml.etree.ElementTree as ET

import pytest

from assessments.balance import JourneyInput, StepInput, compute
from assessments.portfolio.charts import (
    Chart,
    TrendPoint,
    area_mix_chart,
    journey_chart,
    matrix_chart,
    mix_chart,
    pressure_chart,
    trend_chart,
)
from assessments.portfolio.shapes import journey_shapes
from tests.balance.builders import journey, offering, offerings, organisation

SVG = "{http://www.w3.org/2000/svg}"
ALLOWED = {
    "svg",
    "rect",
    "line",
    "polyline",
    "path",
    "circle",
    "text",
    "tspan",
    "g",
    "title",
    "desc",
}
NASTY = '<b>&"x"'

TRACK_RANGES = {
    "repeatable": {"low": 0.15, "high": 0.35},
    "common": {"low": 0.4, "high": 0.6},
    "independent": {"low": 0.15, "high": 0.35},
}
GROUP_RANGES = {
    "repeatable": {"low": 0.1, "high": 0.25},
    "common": {"low": 0.15, "high": 0.35},
    "independent": {"low": 0.45, "high": 0.75},
}


def mix(repeatable, common, independent):
    total = repeatable + common + independent
    return {
        c: {"count": n, "share": round(n / total, 4) if total else None}
        for c, n in (("repeatable", repeatable), ("common", common), ("independent", independent))
    }


def area(name, repeatable, common, independent):
    return {
        "name": name,
        "total": repeatable + common + independent,
        **mix(repeatable, common, independent),
    }


def enabler(name, journeys, pressure=0, declared="common", teams=0):
    return {
        "name": name,
        "declared": declared,
        "journey_keys": list(journeys),
        "pressure": pressure,
        "flagging_teams": teams,
    }


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(chart.svg)


def visible(element: ET.Element) -> str:
    """The text an element shows: its own and its children's, but not a hover <title>."""
    words = [element.text or ""]
    for child in element:
        if child.tag != f"{SVG}title":
            words.append(visible(child))
        words.append(child.tail or "")
    return "".join(words)


def texts(chart: Chart) -> list[str]:
    """Every line of text the picture shows."""
    return [visible(t) for t in parse(chart).iter(f"{SVG}text")]


def shown(chart: Chart) -> str:
    return "\n".join(texts(chart))


def tooltips(chart: Chart) -> list[str]:
    root = parse(chart)
    return [t.text or "" for t in root.iter(f"{SVG}title") if t.get("id") is None]


def tags(chart: Chart, name: str) -> list[ET.Element]:
    return list(parse(chart).iter(f"{SVG}{name}"))


def shapes_of(org):
    return journey_shapes(org, compute(org))


def retailer_shapes():
    return shapes_of(
        organisation(
            areas=[("food", "Food"), ("fashion", "Fashion"), ("home", "Home")],
            offerings=[
                offering("grocer", "food"),
                offering("clothes", "fashion"),
                offering("sofas", "home"),
            ],
            journeys=[
                journey("weekly", "grocer", touchpoints=["pay"]),
                journey("dinner", "grocer"),
                journey("outfit", "clothes", touchpoints=["pay"]),
                journey("furnish", "sofas"),
            ],
        )
    )


def leisure_shapes():
    def steps(*keys, booking_at):
        return tuple(
            StepInput(k, ("booking",) if i == booking_at else ()) for i, k in enumerate(keys)
        )

    return shapes_of(
        organisation(
            offerings=offerings("gym", "pool", "spa"),
            journeys=[
                JourneyInput("swim", "Swim", steps("pool", "gym", booking_at=0)),
                JourneyInput("train", "Train", steps("gym", booking_at=0)),
                JourneyInput("relax", NASTY, steps("spa", "pool", booking_at=1)),
            ],
        )
    )


def every_chart():
    ranges = TRACK_RANGES
    enablers = {
        "pay": enabler("Payments", ["a", "b", "c"], pressure=7, declared="repeatable", teams=3),
        "crm": enabler(NASTY, ["a", "b"], pressure=2, teams=1),
        "solo": enabler("Solo", ["a"], declared="independent"),
    }
    leisure = leisure_shapes()
    return [
        mix_chart(mix(2, 5, 3), ranges, id_prefix="mix"),
        mix_chart(mix(0, 0, 0), None, id_prefix="mix-empty"),
        area_mix_chart({"food": area("Food", 1, 2, 3)}, ranges, id_prefix="areas"),
        area_mix_chart({}, None, id_prefix="areas-empty"),
        journey_chart(retailer_shapes(), "group", id_prefix="group"),
        journey_chart(leisure, "track", id_prefix="track"),
        journey_chart(leisure, "stage", id_prefix="stage"),
        journey_chart(shapes_of(organisation()), "track", id_prefix="none"),
        matrix_chart(enablers, {"a": "A", "b": "B", "c": "C"}, id_prefix="matrix"),
        matrix_chart({}, {}, id_prefix="matrix-empty"),
        pressure_chart(enablers, id_prefix="pressure"),
        pressure_chart({}, id_prefix="pressure-empty"),
        trend_chart(
            [TrendPoint("Q1", 60, 4), TrendPoint("Q2", None, 3), TrendPoint("Q3", 75, 1)],
            id_prefix="trend",
        ),
        trend_chart([], id_prefix="trend-empty"),
    ]


# --- what every chart must be -------------------------------------------------------------


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.summary[:40])
def test_every_chart_is_a_labelled_svg_the_content_security_policy_allows(chart):
    root = parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("class") == "chart"
    assert root.get("role") == "img"
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root[0].tag == f"{SVG}title" and root[0].get("id") == title_id
    assert root[1].tag == f"{SVG}desc" and root[1].get("id") == desc_id
    assert root[1].text == chart.summary
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in ALLOWED
        assert "style" not in element.attrib
        assert not any("href" in name for name in element.attrib)
    assert "<style" not in chart.svg and "<script" not in chart.svg


def test_charts_on_one_page_have_their_own_ids():
    ids = [e.get("id") for c in every_chart() for e in parse(c).iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_the_same_input_draws_the_same_bytes():
    assert [c.svg for c in every_chart()] == [c.svg for c in every_chart()]


# --- mix ----------------------------------------------------------------------------------


def test_mix_shows_each_share_against_its_expected_range():
    chart = mix_chart(mix(2, 5, 3), TRACK_RANGES)
    text = shown(chart)
    assert "Repeatable" in text and "Common" in text and "Independent" in text
    assert "20% (2 of 10 enablers), within the expected range of 15–35%" in text
    assert "50% (5 of 10 enablers), within the expected range of 40–60%" in text
    assert chart.headers == (
        "Classification",
        "Enablers",
        "Share",
        "Expected range",
        "Against the range",
    )
    assert chart.rows == (
        ("Repeatable", "2", "20%", "15–35%", "within"),
        ("Common", "5", "50%", "40–60%", "within"),
        ("Independent", "3", "30%", "15–35%", "within"),
    )


def test_mix_says_when_a_share_is_outside_its_range():
    chart = mix_chart(mix(5, 3, 2), GROUP_RANGES)
    assert "50% (5 of 10 enablers), above the expected range of 10–25%" in shown(chart)
    assert "20% (2 of 10 enablers), below the expected range of 45–75%" in shown(chart)
    assert [row[4] for row in chart.rows] == ["above", "within", "below"]


def test_a_share_on_a_bound_is_within_the_range():
    # 1 of 4 is exactly the upper bound 0.25: within, as the method counts it.
    chart = mix_chart(mix(1, 1, 2), GROUP_RANGES)
    assert chart.rows[0][4] == "within"


def test_mix_without_a_delivery_model_has_no_ranges():
    chart = mix_chart(mix(2, 5, 3), None, title="Mix of enablers now")
    assert "expected range of" not in shown(chart)
    assert "the delivery model is not known" in shown(chart)
    assert "the delivery model is not known" in chart.summary
    assert [row[3:] for row in chart.rows] == [("none", "–")] * 3
    assert parse(chart)[0].text == "Mix of enablers now"


def test_mix_with_no_enablers_says_so():
    chart = mix_chart(mix(0, 0, 0), TRACK_RANGES)
    assert chart.summary == "No live enablers yet, so there is no mix to show."
    assert [row[1:3] for row in chart.rows] == [("0", "–")] * 3


# --- mix by area --------------------------------------------------------------------------


def test_areas_are_drawn_largest_first_with_their_shares():
    chart = area_mix_chart(
        {"b": area("Beta", 1, 1, 0), "a": area("Alpha", 1, 1, 0), "big": area("Big", 2, 4, 4)},
        TRACK_RANGES,
    )
    assert [row[0] for row in chart.rows] == ["Big", "Alpha", "Beta"]
    assert chart.rows[0] == (
        "Big",
        "10",
        "20% (2), within 15–35%",
        "40% (4), within 40–60%",
        "40% (4), above 15–35%",
    )
    text = shown(chart)
    assert "Big" in text and "10 enablers" in text and "40% (4) ↑" in text
    assert "3 business areas" in chart.summary


def test_areas_beyond_the_limit_are_counted_not_drawn():
    areas = {f"a{i:02d}": area(f"Area {i:02d}", 1, 1, 1) for i in range(14)}
    chart = area_mix_chart(areas, None, limit=12)
    assert len(chart.rows) == 12
    assert "+2 more areas not drawn" in shown(chart)
    assert "2 more not drawn" in chart.summary
    assert "Area 12" not in shown(chart)


def test_no_areas_gives_a_short_chart_that_says_so():
    chart = area_mix_chart({}, TRACK_RANGES)
    assert chart.summary == "No business areas yet, so there is no mix by area to show."
    assert chart.rows == ()
    assert int(parse(chart).get("height")) < 100


def test_names_are_escaped():
    chart = area_mix_chart({"x": area(NASTY, 1, 0, 0)}, None)
    assert "&lt;b&gt;&amp;&quot;x&quot;" in chart.svg
    assert NASTY in texts(chart)
    assert chart.rows[0][0] == NASTY


def test_long_names_are_cut_with_the_whole_name_on_hover():
    name = "Customer experience and digital channels for everyone"
    chart = area_mix_chart({"x": area(name, 1, 0, 0)}, None)
    assert name not in texts(chart)
    assert any(t.endswith("…") and name.startswith(t[:-1]) for t in texts(chart))
    assert name in tooltips(chart)


# --- journeys -----------------------------------------------------------------------------


def test_group_draws_clusters_their_journeys_and_the_links_between_them():
    chart = journey_chart(retailer_shapes(), "group")
    text = texts(chart)
    for label in ("Food", "Fashion", "Home", "Journey weekly", "Journey outfit", "2 journeys"):
        assert label in text
    # weekly and outfit share the "pay" touchpoint: one pair links Food and Fashion.
    assert "1" in text
    assert "1 pair of journeys share an offering or touchpoint" in tooltips(chart)
    assert chart.rows == (
        ("Food", "2", "Fashion (1 pair of journeys)"),
        ("Fashion", "1", "Food (1 pair of journeys)"),
        ("Home", "1", "none"),
    )
    assert chart.summary.startswith("4 journeys in 3 clusters: Food (2), Fashion (1) and Home (1)")


def test_group_says_how_many_journeys_and_clusters_are_not_drawn():
    shapes = {
        "journeys": 30,
        "group": {
            "clusters": [
                {"label": f"C{i}", "total": 8 - i, "journeys": [{"key": f"j{i}", "name": f"J{i}"}]}
                for i in range(6)
            ],
            "more_clusters": 2,
            "more_journeys": 3,
            "links": [],
        },
    }
    chart = journey_chart(shapes, "group")
    text = shown(chart)
    assert "+7 more" in text  # C0 holds 8 journeys, one drawn
    assert "+2 more clusters (3 journeys) not drawn" in text
    assert "and 2 more" in chart.summary


def test_track_draws_lanes_crossing_at_shared_points():
    chart = journey_chart(leisure_shapes(), "track")
    text = texts(chart)
    for label in ("Swim", "Train", NASTY, "booking", "Offering gym", "touchpoint"):
        assert label in text
    # booking is passed by all three lanes, the gym and the pool by two each.
    assert len(tags(chart, "circle")) == 3 + 1  # one touchpoint on each lane, and the legend's
    rows = {row[0]: row for row in chart.rows}
    assert rows["booking"][1:3] == ("Touchpoint", f"Swim, {NASTY}, Train")
    assert rows["Offering pool"][1] == "Offering"
    assert chart.summary.startswith("3 journeys drawn as lanes, crossing at 3 shared points")


def test_track_says_what_is_not_drawn():
    shapes = {
        "journeys": 40,
        "track": {
            "lanes": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
            "nodes": [
                {"key": "t", "name": "T", "kind": "touchpoint", "lanes": [0, 1], "position": 0.5}
            ],
            "more_journeys": 38,
            "more_nodes": 5,
        },
    }
    chart = journey_chart(shapes, "track")
    assert "+38 more journeys and +5 more shared points not drawn" in shown(chart)
    assert chart.rows == (("T", "Touchpoint", "A, B", "50%"),)


def test_stage_draws_a_staircase_from_start_to_end_of_journey():
    chart = journey_chart(leisure_shapes(), "stage")
    text = texts(chart)
    assert "start of journey" in text and "end of journey" in text
    assert "Offering pool" in text and "2 journeys" in text
    assert chart.headers == ("Stage", "Journeys passing it", "From", "To")
    assert chart.rows == (
        # Where journeys typically pass each stage (the median of their spans), earliest first.
        ("Offering spa", "1", "0%", "50%"),
        ("Offering gym", "2", "25%", "100%"),
        ("Offering pool", "2", "25%", "75%"),
    )


def test_stage_says_how_many_stages_are_not_drawn():
    shapes = {
        "journeys": 3,
        "stage": {
            "stages": [{"key": "s", "name": "Apply", "start": 0.0, "end": 0.25, "journeys": 3}],
            "more_stages": 4,
            "journeys": 3,
        },
    }
    chart = journey_chart(shapes, "stage")
    assert "+4 more stages not drawn" in shown(chart)
    assert chart.rows == (("Apply", "3", "0%", "25%"),)


@pytest.mark.parametrize("kind", ["group", "track", "stage"])
def test_no_journeys_yet(kind):
    chart = journey_chart(shapes_of(organisation()), kind)
    assert chart.summary.startswith("No journeys yet")
    assert chart.rows == ()
    assert int(parse(chart).get("height")) < 100


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="group, track, stage"):
        journey_chart(retailer_shapes(), "ring")


# --- shared enablers against journeys -----------------------------------------------------


def test_matrix_rows_are_shared_enablers_most_pressure_first():
    enablers = {
        "quiet": enabler("Quiet", ["a", "b", "c"]),
        "busy": enabler("Busy", ["b", "c"], pressure=5, declared="repeatable"),
        "solo": enabler("Solo", ["a"], pressure=9),
    }
    chart = matrix_chart(enablers, {"a": "Apply", "b": "Browse", "c": "Collect"})
    assert chart.headers == ("Enabler", "Classification", "Pressure", "Journeys reached")
    # Solo reaches one journey only: not shared. Columns: b and c reached by both rows.
    assert chart.rows == (
        ("Busy", "repeatable", "5", "Browse, Collect"),
        ("Quiet", "common", "0", "Browse, Collect, Apply"),
    )
    text = texts(chart)
    assert "Solo" not in text
    assert "Apply" in text and "4–5" in text
    cells = [t for t in tooltips(chart) if " reaches " in t]
    assert len(cells) == 5
    assert "Busy reaches Browse (pressure 5)" in cells


def test_matrix_counts_rows_and_columns_not_drawn():
    enablers = {f"e{i:02d}": enabler(f"E{i}", [f"j{i}", f"j{i + 1}"]) for i in range(25)}
    chart = matrix_chart(enablers, {}, rows=20, columns=16)
    assert len(chart.rows) == 20
    assert "+5 more shared enablers and +5 more journeys not drawn" in shown(chart)
    assert "5 more shared enablers and 5 more journeys not drawn" in chart.summary
    # A row whose journeys are not all drawn says how many more it reaches.
    assert chart.rows[-1] == ("E19", "common", "0", "j19 and 1 more")


def test_matrix_with_no_shared_enabler_says_so():
    chart = matrix_chart({"solo": enabler("Solo", ["a"])}, {"a": "A"})
    assert chart.summary == "No enabler reaches two or more journeys yet."
    assert chart.rows == ()


# --- pressure -----------------------------------------------------------------------------


def test_pressure_bars_name_the_enabler_pressure_and_teams():
    enablers = {
        "a": enabler("Booking engine", ["x"], pressure=9, teams=3),
        "b": enabler("Member app", ["x"], pressure=2, teams=1, declared="independent"),
        "c": enabler("Calm", ["x"]),
    }
    chart = pressure_chart(enablers)
    text = texts(chart)
    assert "Booking engine" in text and "9 (3 flagging teams)" in text
    assert "2 (1 flagging team)" in text
    assert "Calm" not in text
    assert chart.rows == (
        ("Booking engine", "common", "9", "3"),
        ("Member app", "independent", "2", "1"),
    )
    assert "Booking engine (9, flagged by 3 teams)" in chart.summary


def test_pressure_is_capped_with_how_many_more():
    enablers = {f"e{i:02d}": enabler(f"E{i}", [], pressure=20 - i, teams=1) for i in range(13)}
    chart = pressure_chart(enablers, limit=10)
    assert [row[0] for row in chart.rows] == [f"E{i}" for i in range(10)]
    assert "+3 more enablers under pressure not drawn" in shown(chart)


def test_no_flags_no_pressure():
    chart = pressure_chart({"a": enabler("Calm", ["x"])})
    assert chart.summary == "No enabler has open flags."
    assert chart.rows == ()


# --- trend --------------------------------------------------------------------------------


def test_trend_draws_score_and_flags_with_gaps_for_missing_scores():
    points = [
        TrendPoint("2026 Q1", 50, 6),
        TrendPoint("2026 Q2", 55, 5),
        TrendPoint("2026 Q3", None, 5),
        TrendPoint("2026 Q4", 70, 3),
        TrendPoint("2027 Q1", 78, 2),
    ]
    chart = trend_chart(points)
    # The score breaks at Q3: two pieces of line; the flags run unbroken: one.
    assert len(tags(chart, "polyline")) == 3
    assert len(tags(chart, "circle")) == 4 + 5
    text = texts(chart)
    assert "Balance score" in text and "Open flags" in text and "2027 Q1" in text
    assert chart.rows[2] == ("2026 Q3", "no score", "5")
    assert chart.summary == (
        "Over 5 days with reports, from 2026 Q1 to 2027 Q1, the balance score went from 50 to 78, "
        "and open flags went from 6 to 2."
    )


def test_trend_thins_its_labels_but_keeps_the_latest():
    points = [TrendPoint(f"R{i}", 60, 1) for i in range(30)]
    labels = [t for t in texts(trend_chart(points)) if t.startswith("R")]
    assert 2 <= len(labels) < 10
    assert "R29" in labels
    assert len(trend_chart(points).rows) == 30


@pytest.mark.parametrize(
    ("points", "so_far"),
    [([], "there are none yet"), ([TrendPoint("Q1", 60, 2)], "there is only one so far")],
)
def test_a_trend_needs_two_reports(points, so_far):
    chart = trend_chart(points)
    assert chart.summary == f"A trend needs reports on at least two days; {so_far}."
    assert len(tags(chart, "circle")) == 2 * len(points)
