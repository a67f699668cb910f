"""The demo data command: idempotent, complete enough to demo, and shaped so that the
balance method infers for each organisation the delivery model it declares."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from assessments.balance import compute
from assessments.loader import load_balance_input
from assessments.management.commands.seed_demo import DEMO_DIR, DEMO_FILES, DEMO_PASSWORD
from assessments.models import (
    Assessment,
    AssessmentRound,
    BottleneckFlag,
    Decision,
    DecisionChange,
    DecisionStatus,
    FlagStatus,
    RoundStatus,
)
from assessments.orgfile import parse_organisation_file
from assessments.services import thresholds_for
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
    AssessmentRound,
    Assessment,
    BottleneckFlag,
    BottleneckFlag.history.model,
    Decision,
    Decision.history.model,
    DecisionChange,
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
def seeded(db):  # password hashing is made fast for every test in tests/conftest.py
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
    imported = ChangeRecord.objects.unscoped().filter(
        summary__startswith="Organisation file imported"
    )
    assert imported.count() == 3


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
        report = compute(load_balance_input(org), thresholds_for(org))
        assert report.inferred_model == model, (slug, report.measures)


def test_the_demo_files_are_valid_organisation_files():
    # Keys are unique per section and every reference resolves: the importer's own check.
    for name in DEMO_FILES:
        parsed = parse_organisation_file((DEMO_DIR / name).read_bytes(), filename=name)
        assert parsed.organisation.slug == name.removesuffix(".yaml")


@pytest.mark.django_db
def test_each_organisation_has_rounds_flags_and_decisions_to_demo(seeded):
    for slug in SLUGS:
        org = Organisation.objects.get(slug=slug)
        rounds = list(AssessmentRound.objects.for_org(org).order_by("sequence"))
        assert [r.status for r in rounds] == [RoundStatus.CLOSED, RoundStatus.OPEN], slug
        assert Assessment.objects.for_org(org).filter(round=rounds[-1]).count() >= 40, slug
        flags = BottleneckFlag.objects.for_org(org)
        assert {f.status for f in flags} == set(FlagStatus.values), slug
        assert {f.severity for f in flags} >= {"low", "medium", "high"}, slug
        decisions = Decision.objects.for_org(org).order_by("number")
        assert decisions.first().reference == "DEC-001"
        statuses = {d.status for d in decisions}
        assert {DecisionStatus.ACCEPTED, DecisionStatus.PROPOSED, DecisionStatus.SUPERSEDED} <= (
            statuses
        ), slug
        assert decisions.filter(supersedes__isnull=False).exists(), slug


@pytest.mark.django_db
def test_accepted_changes_match_the_current_classifications(seeded):
    for slug in SLUGS:
        org = Organisation.objects.get(slug=slug)
        accepted = DecisionChange.objects.for_org(org).filter(
            decision__status=DecisionStatus.ACCEPTED
        )
        assert accepted.exists(), slug
        for change in accepted.select_related("enabler"):
            assert change.to_classification == change.enabler.classification, change


@pytest.mark.django_db
def test_each_report_shows_a_shared_bottleneck_and_enough_coverage(seeded):
    expected = {
        "northfield": ("payments-gateway", "medium"),
        "harbour": ("booking-engine", "high"),
        "kingsbridge": ("integration-hub", "high"),
    }
    for slug, (enabler, severity) in expected.items():
        org = Organisation.objects.get(slug=slug)
        report = compute(load_balance_input(org), thresholds_for(org))
        findings = {(f.kind, tuple(f.enablers)): f for f in report.findings}
        assert findings[("shared_bottleneck", (enabler,))].severity == severity, slug
        assert any(kind == "orchestration_load" for kind, _ in findings), slug
        assert not any(kind == "low_assessment_coverage" for kind, _ in findings), slug
