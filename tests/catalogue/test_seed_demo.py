"""The demo data command: idempotent, complete enough to demo, and shaped so that each
organisation's journeys infer the delivery model it declares."""

from __future__ import annotations

import io
from collections import Counter
from itertools import combinations
from statistics import fmean
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from catalogue import demo_data
from catalogue.management.commands.seed_demo import DEMO_PASSWORD
from catalogue.models import (
    BusinessArea,
    ChangeRecord,
    Classification,
    Criticality,
    Enabler,
    EnablerKind,
    EnablerUsage,
    Journey,
    JourneyStep,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    Touchpoint,
)

# ---------------------------------------------------------------------------------------
# A stand-in for balance-method.md §1–§2 (journeys and delivery-model inference).
# TODO(issue 3): replace this helper with the real balance engine once it exists; it is
# here only so the demo data is proven to infer the model each organisation declares.
# ---------------------------------------------------------------------------------------

LINK_THRESHOLD = 0.10
GROUP_ACROSS_MAX = 0.10
GROUP_ACROSS_RATIO = 0.5
STAGE_MIN_LENGTH = 4
STAGE_MIN_OVERLAP = 0.50
SINGLE_STAGE_MIN_LENGTH = 3

# A journey as plain data: its key and its steps, each step (offering key, touchpoint keys).
JourneyData = tuple[str, list[tuple[str, list[str]]]]


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _footprint(steps: list[tuple[str, list[str]]]) -> frozenset[tuple[str, str]]:
    # Offerings and touchpoints are kept apart: offering "x" is not touchpoint "x".
    elements = {("offering", offering) for offering, _ in steps}
    elements |= {("touchpoint", tp) for _, touchpoints in steps for tp in touchpoints}
    return frozenset(elements)


def _jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _journey_area(offerings: set[str], offering_area: dict[str, str | None]) -> str | None:
    counts = Counter(area for o in offerings if (area := offering_area.get(o)))
    if not counts:
        return None
    best = max(counts.values())
    # Ties go to the area whose key sorts first.
    return min(area for area, n in counts.items() if n == best)


def infer_delivery_model(
    journeys: list[JourneyData], offering_area: dict[str, str | None]
) -> dict[str, Any]:
    """Inference measures and the inferred model, following balance-method.md §1–§2."""
    keys = [key for key, _ in journeys]
    footprints = {key: _footprint(steps) for key, steps in journeys}
    offerings = {key: {o for o, _ in steps} for key, steps in journeys}
    overlap = {(a, b): _jaccard(footprints[a], footprints[b]) for a, b in combinations(keys, 2)}
    mean_overlap = _mean(list(overlap.values())) if len(keys) >= 2 else None
    mean_length = _mean([len(offerings[k]) for k in keys])
    areas = {k: _journey_area(offerings[k], offering_area) for k in keys}

    if len({a for a in areas.values() if a is not None}) >= 2:
        # Journeys with no area form one more cluster together (None is that cluster).
        cluster_of: dict[str, Any] = dict(areas)
    else:
        # Connected components of the graph joining journeys whose overlap >= threshold:
        # every link relabels the second journey's component with the first one's label.
        cluster_of = {key: key for key in keys}
        for (a, b), value in overlap.items():
            if value >= LINK_THRESHOLD and cluster_of[a] != cluster_of[b]:
                old, new = cluster_of[b], cluster_of[a]
                cluster_of = {k: new if c == old else c for k, c in cluster_of.items()}
    clusters = len(set(cluster_of.values()))
    within = _mean([v for (a, b), v in overlap.items() if cluster_of[a] == cluster_of[b]])
    across = _mean([v for (a, b), v in overlap.items() if cluster_of[a] != cluster_of[b]])
    w = within or 0.0

    if not keys:
        model = "unknown"
    elif (
        clusters >= 2
        and across is not None
        and across < GROUP_ACROSS_MAX
        and (w == 0 or across <= GROUP_ACROSS_RATIO * w)
    ):
        model = "group"
    elif (
        mean_length is not None
        and mean_length >= STAGE_MIN_LENGTH
        and (len(keys) == 1 or (mean_overlap is not None and mean_overlap >= STAGE_MIN_OVERLAP))
    ):
        model = "stage"
    elif len(keys) == 1:
        model = "stage" if len(offerings[keys[0]]) >= SINGLE_STAGE_MIN_LENGTH else "unknown"
    else:
        model = "track"
    return {
        "model": model,
        "clusters": clusters,
        "within_overlap": within,
        "across_overlap": across,
        "mean_overlap": mean_overlap,
        "diversity": None if mean_overlap is None else 1 - mean_overlap,
        "mean_length": mean_length,
        "journey_areas": areas,
    }


def seeded_inference(org: Organisation) -> dict[str, Any]:
    """Run the stand-in inference over one organisation's data as stored."""
    offering_area = {
        o.key: (o.business_area.key if o.business_area else None)
        for o in Offering.objects.for_org(org).select_related("business_area")
    }
    journeys: list[JourneyData] = []
    for journey in Journey.objects.for_org(org).order_by("key"):
        steps = [
            (step.offering.key, [tp.key for tp in step.touchpoints.all()])
            for step in journey.steps.select_related("offering").order_by("position")
        ]
        journeys.append((journey.key, steps))
    return infer_delivery_model(journeys, offering_area)


# The helper against tiny hand-made inputs, so it is shown to tell the models apart.


def test_helper_with_no_journeys_is_unknown():
    assert infer_delivery_model([], {})["model"] == "unknown"


def test_helper_two_disjoint_areas_is_group():
    journeys = [
        ("food-1", [("bread", ["app"]), ("milk", ["app"])]),
        ("food-2", [("bread", ["till"]), ("milk", ["till"])]),
        ("home-1", [("sofa", ["web"]), ("bed", ["web"])]),
    ]
    areas = {"bread": "food", "milk": "food", "sofa": "home", "bed": "home"}
    result = infer_delivery_model(journeys, areas)
    assert result["clusters"] == 2
    assert result["across_overlap"] == 0
    assert result["model"] == "group"


def test_helper_short_crossing_journeys_is_track():
    # Two areas, but the journeys cross at shared touchpoints, so the areas are not apart.
    journeys = [
        ("gym", [("gym", ["booking", "app"]), ("classes", ["booking"])]),
        ("spa", [("spa", ["booking", "app"]), ("pool", ["booking"])]),
    ]
    areas = {"gym": "fitness", "classes": "fitness", "spa": "wellbeing", "pool": "wellbeing"}
    result = infer_delivery_model(journeys, areas)
    assert result["clusters"] == 2
    assert result["across_overlap"] == pytest.approx(2 / 6)
    assert result["model"] == "track"


def test_helper_long_shared_journeys_is_stage():
    steps = ["enquire", "apply", "enrol", "study", "graduate"]
    journeys = [
        ("undergraduate", [(s, ["portal"]) for s in steps]),
        ("postgraduate", [(s, ["portal"]) for s in [*steps, "dissertation"]]),
    ]
    result = infer_delivery_model(journeys, {})
    assert result["clusters"] == 1
    assert result["mean_length"] == 5.5
    assert result["mean_overlap"] == pytest.approx(6 / 7)
    assert result["model"] == "stage"


def test_helper_without_areas_clusters_by_links_and_chains_them():
    # a-b and b-c are linked (overlap 1/3), d shares nothing: two clusters, chained through b.
    journeys: list[JourneyData] = [
        ("a", [("x", []), ("y", [])]),
        ("b", [("y", []), ("z", [])]),
        ("c", [("z", []), ("w", [])]),
        ("d", [("v", [])]),
    ]
    result = infer_delivery_model(journeys, {})
    assert result["clusters"] == 2
    assert result["within_overlap"] == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)
    assert result["across_overlap"] == 0
    assert result["model"] == "group"


def test_helper_single_journey_of_three_is_stage_and_of_two_unknown():
    three: list[JourneyData] = [("one", [("a", []), ("b", []), ("c", []), ("a", [])])]
    two: list[JourneyData] = [("one", [("a", []), ("b", [])])]
    assert infer_delivery_model(three, {})["model"] == "stage"
    assert infer_delivery_model(two, {})["model"] == "unknown"


def test_helper_journey_area_ties_go_to_first_key():
    areas = {"a": "zeta", "b": "alpha", "c": None}
    assert _journey_area({"a", "b", "c"}, areas) == "alpha"
    assert _journey_area({"c"}, areas) is None


# ---------------------------------------------------------------------------------------
# The command itself.
# ---------------------------------------------------------------------------------------

COUNTED = [
    Organisation,
    BusinessArea,
    Team,
    Offering,
    Touchpoint,
    Journey,
    JourneyStep,
    Enabler,
    EnablerUsage,
    Membership,
    TeamMembership,
    ChangeRecord,
    Enabler.history.model,
]


def _counts() -> dict[str, int]:
    counts = {}
    for model in COUNTED:
        manager = model.objects
        queryset = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
        counts[model.__name__] = queryset.count()
    counts["User"] = get_user_model().objects.count()
    counts["step touchpoints"] = JourneyStep.touchpoints.through.objects.count()
    return counts


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(fast_hashing):
    return _seed()


SLUGS = ["northfield", "harbour", "kingsbridge"]


@pytest.mark.django_db
def test_seeding_twice_changes_nothing(seeded):
    before = _counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    output = _seed()
    assert "0 records created, 0 updated" in output
    assert _counts() == before
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    assert ChangeRecord.objects.unscoped().filter(summary="Demo data loaded").count() == 3


@pytest.mark.django_db
def test_seeding_restores_changed_demo_data(seeded):
    org = Organisation.objects.get(slug="harbour")
    enabler = Enabler.objects.for_org(org).order_by("key").first()
    enabler.name = "Renamed by someone"
    enabler.save()
    journey = Journey.objects.for_org(org).order_by("key").first()
    journey.steps.all().delete()
    user = get_user_model().objects.get(username="harbour-viewer")
    user.set_password("something-else-entirely")
    user.save()

    _seed()

    enabler.refresh_from_db()
    assert enabler.name != "Renamed by someone"
    assert journey.steps.count() > 0
    assert authenticate(username="harbour-viewer", password=DEMO_PASSWORD) is not None


@pytest.mark.django_db
def test_the_output_lists_each_organisation_and_its_logins(seeded):
    for slug in SLUGS:
        assert f"/o/{slug}/" in seeded
        assert f"{slug}-member" in seeded
    assert DEMO_PASSWORD in seeded
    assert seeded.count(DEMO_PASSWORD) == 1


@pytest.mark.django_db
def test_each_organisation_has_enough_to_demo(seeded):
    for slug in SLUGS:
        org = Organisation.objects.get(slug=slug)
        assert BusinessArea.objects.for_org(org).count() >= 3, slug
        teams = Team.objects.for_org(org)
        assert teams.count() >= 4, slug
        assert {t.kind for t in teams} == set(TeamKind.values), slug
        assert Offering.objects.for_org(org).count() >= 8, slug
        assert Touchpoint.objects.for_org(org).count() >= 3, slug
        journeys = Journey.objects.for_org(org)
        assert journeys.count() >= (2 if slug == "kingsbridge" else 4), slug
        for journey in journeys:
            assert journey.steps.count() >= 3, journey.key
        if slug == "kingsbridge":
            assert all(journey.steps.count() >= 7 for journey in journeys)
        enablers = Enabler.objects.for_org(org)
        assert enablers.count() >= 25, slug
        assert {e.kind for e in enablers} == set(EnablerKind.values), slug
        assert {e.classification for e in enablers} == set(Classification.values), slug
        assert {e.lifecycle for e in enablers} >= {"active", "proposed", "deprecated"}, slug
        usages = EnablerUsage.objects.for_org(org)
        assert usages.count() >= 25, slug
        assert {u.criticality for u in usages} == set(Criticality.values), slug


@pytest.mark.django_db
def test_each_role_has_a_user_who_can_sign_in(seeded):
    demo = authenticate(username="demo", password=DEMO_PASSWORD)
    assert demo is not None
    for slug in SLUGS:
        org = Organisation.objects.get(slug=slug)
        for suffix, role in [
            ("admin", Role.ADMIN),
            ("leader", Role.LEADERSHIP),
            ("owner", Role.ENABLER_OWNER),
            ("member", Role.TEAM_MEMBER),
            ("viewer", Role.VIEWER),
        ]:
            user = authenticate(username=f"{slug}-{suffix}", password=DEMO_PASSWORD)
            assert user is not None, f"{slug}-{suffix}"
            assert Membership.objects.for_org(org).get(user=user).role == role
        assert Membership.objects.for_org(org).get(user=demo).role == Role.ADMIN


@pytest.mark.django_db
def test_owner_sits_in_a_platform_team_and_member_in_an_offering_team(seeded):
    for slug in SLUGS:
        org = Organisation.objects.get(slug=slug)
        owner_teams = Team.objects.for_org(org).filter(
            team_memberships__membership__user__username=f"{slug}-owner"
        )
        assert [t.kind for t in owner_teams] == [TeamKind.PLATFORM], slug
        assert owner_teams[0].enablers.exists(), slug
        member_teams = Team.objects.for_org(org).filter(
            team_memberships__membership__user__username=f"{slug}-member"
        )
        assert [t.kind for t in member_teams] == [TeamKind.DELIVERY], slug
        assert member_teams[0].offerings.exists(), slug


@pytest.mark.django_db
def test_each_organisation_infers_the_model_it_declares(seeded):
    expected = {"northfield": "group", "harbour": "track", "kingsbridge": "stage"}
    for slug, model in expected.items():
        org = Organisation.objects.get(slug=slug)
        assert org.delivery_model == model
        result = seeded_inference(org)
        assert result["model"] == model, (slug, result)


def test_the_demo_data_is_plain_data():
    # Keys in the data are unique per section, and every reference resolves.
    for org in demo_data.ORGANISATIONS:
        keys = {}
        for section in ["business_areas", "teams", "offerings", "touchpoints", "journeys"]:
            section_keys = [item["key"] for item in org[section]]
            assert len(section_keys) == len(set(section_keys)), section
            keys[section] = set(section_keys)
        enabler_keys = [e["key"] for e in org["enablers"]]
        assert len(enabler_keys) == len(set(enabler_keys))
        for journey in org["journeys"]:
            for step in journey["steps"]:
                assert step["offering"] in keys["offerings"]
                assert set(step.get("touchpoints", [])) <= keys["touchpoints"]
        for enabler in org["enablers"]:
            assert enabler.get("owner") is None or enabler["owner"] in keys["teams"]
            for usage in enabler.get("used_by", []):
                assert usage["offering"] in keys["offerings"]
