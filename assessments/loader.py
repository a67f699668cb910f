"""Builds the balance method's input for one organisation with a fixed number of queries.

Ten queries, whatever the organisation's size: one per kind of row, each fetched as plain
values (no model instances), joined in Python by id.
"""

from __future__ import annotations

from collections import defaultdict

from catalogue.models import (
    BusinessArea,
    Enabler,
    EnablerUsage,
    Journey,
    JourneyStep,
    Offering,
    Organisation,
)

from .balance import (
    AssessmentInput,
    EnablerInput,
    FlagInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
)
from .models import Assessment, AssessmentRound, BottleneckFlag

LOADER_QUERIES = 10


def load_balance_input(organisation: Organisation) -> OrganisationInput:
    """A snapshot of everything the balance method reads, for one organisation."""
    org = organisation
    areas = tuple(BusinessArea.objects.for_org(org).order_by("key").values_list("key", "name"))
    offerings = tuple(
        OfferingInput(key=key, name=name, area=area, team=team)
        for key, name, area, team in Offering.objects.for_org(org)
        .order_by("key")
        .values_list("key", "name", "business_area__key", "team__key")
    )
    journey_rows = list(
        Journey.objects.for_org(org).order_by("key").values_list("pk", "key", "name")
    )
    step_rows = list(
        JourneyStep.objects.for_org(org)
        .order_by("journey_id", "position")
        .values_list("pk", "journey_id", "offering__key")
    )
    touchpoints_of: dict[int, list[str]] = defaultdict(list)
    touchpoint_names: dict[str, str] = {}
    through = JourneyStep.touchpoints.through
    for step_id, touchpoint_key, touchpoint_name in (
        through.objects.filter(journeystep__organisation=org)
        .order_by("touchpoint__key")
        .values_list("journeystep_id", "touchpoint__key", "touchpoint__name")
    ):
        touchpoints_of[step_id].append(touchpoint_key)
        touchpoint_names[touchpoint_key] = touchpoint_name
    steps_of: dict[int, list[StepInput]] = defaultdict(list)
    for step_id, journey_id, offering_key in step_rows:
        steps_of[journey_id].append(
            StepInput(offering=offering_key, touchpoints=tuple(touchpoints_of[step_id]))
        )
    journeys = tuple(
        JourneyInput(key=key, name=name, steps=tuple(steps_of[pk]))
        for pk, key, name in journey_rows
    )
    enablers = tuple(
        EnablerInput(
            key=key,
            name=name,
            classification=classification,
            lifecycle=lifecycle,
            capability=capability,
        )
        for key, name, classification, lifecycle, capability in Enabler.objects.for_org(org)
        .order_by("key")
        .values_list("key", "name", "classification", "lifecycle", "capability")
    )
    usages = tuple(
        UsageInput(enabler=enabler, offering=offering)
        for enabler, offering in EnablerUsage.objects.for_org(org).values_list(
            "enabler__key", "offering__key"
        )
    )
    flags = tuple(
        FlagInput(enabler=enabler, team=team, severity=severity, status=status)
        for enabler, team, severity, status in BottleneckFlag.objects.for_org(org).values_list(
            "enabler__key", "team__key", "severity", "status"
        )
    )
    assessments = tuple(
        AssessmentInput(
            round=round_key,
            team=team,
            enabler=enabler,
            fit=fit,
            pace=pace,
            preferred=preferred or None,
        )
        for round_key, team, enabler, fit, pace, preferred in Assessment.objects.for_org(
            org
        ).values_list("round__key", "team__key", "enabler__key", "fit", "pace", "preferred")
    )
    rounds = tuple(
        AssessmentRound.objects.for_org(org)
        .order_by("sequence", "id")
        .values_list("key", flat=True)
    )
    return OrganisationInput(
        declared_model=org.delivery_model or None,
        areas=areas,
        offerings=offerings,
        journeys=journeys,
        enablers=enablers,
        usages=usages,
        flags=flags,
        assessments=assessments,
        rounds=rounds,
        touchpoints=tuple(sorted(touchpoint_names.items())),
    )
