"""Writes a generated organisation (see balance.bench.generate) into the database, fast.

Rows go in with bulk_create in batches, so enabler history is not recorded for them: this
is benchmark data, not people's work.
"""

from __future__ import annotations

from django.db import transaction

from catalogue.models import (
    BusinessArea,
    Enabler,
    EnablerUsage,
    Journey,
    JourneyStep,
    Offering,
    Organisation,
    Team,
    Touchpoint,
)

from .balance import OrganisationInput
from .models import Assessment, AssessmentRound, BottleneckFlag

SIZES = {
    "small": 0.1,
    "reference": 1.0,
    "4x": 4.0,
}
REFERENCE = {
    "offerings": 1000,
    "journeys": 200,
    "steps": 8,
    "enablers": 5000,
    "usages": 50000,
    "assessments": 20000,
    "flags": 5000,
}
BATCH = 2000


def sized(scale: float) -> dict[str, int]:
    """The generator's arguments at ``scale`` × the reference size (steps per journey fixed)."""
    return {
        name: (value if name == "steps" else max(2, round(value * scale)))
        for name, value in REFERENCE.items()
    }


def organisation_write(*, slug: str, name: str, data: OrganisationInput) -> Organisation:
    """Create organisation ``slug`` from generated data, replacing one of that slug."""
    with transaction.atomic():
        Organisation.objects.filter(slug=slug).delete()
        org = Organisation.objects.create(
            slug=slug, name=name, delivery_model=data.declared_model or ""
        )

        def bulk(model, rows):  # type: ignore[no-untyped-def]
            return model.objects.bulk_create(rows, batch_size=BATCH)

        areas = {
            a.key: a
            for a in bulk(
                BusinessArea,
                [BusinessArea(organisation=org, key=key, name=label) for key, label in data.areas],
            )
        }
        team_keys = sorted(
            {o.team for o in data.offerings if o.team}
            | {f.team for f in data.flags}
            | {a.team for a in data.assessments}
        )
        teams = {
            t.key: t
            for t in bulk(Team, [Team(organisation=org, key=k, name=k.title()) for k in team_keys])
        }
        offerings = {
            o.key: o
            for o in bulk(
                Offering,
                [
                    Offering(
                        organisation=org,
                        key=o.key,
                        name=o.name,
                        business_area=areas.get(o.area) if o.area else None,
                        team=teams.get(o.team) if o.team else None,
                    )
                    for o in data.offerings
                ],
            )
        }
        tp_keys = sorted({tp for j in data.journeys for s in j.steps for tp in s.touchpoints})
        touchpoints = {
            t.key: t
            for t in bulk(
                Touchpoint, [Touchpoint(organisation=org, key=k, name=k.upper()) for k in tp_keys]
            )
        }
        journeys = bulk(
            Journey, [Journey(organisation=org, key=j.key, name=j.name) for j in data.journeys]
        )
        steps, step_tps = [], []
        for journey, spec in zip(journeys, data.journeys, strict=True):
            for position, step in enumerate(spec.steps, start=1):
                steps.append(
                    JourneyStep(
                        organisation=org,
                        journey=journey,
                        position=position,
                        name=f"Step {position}",
                        offering=offerings[step.offering],
                    )
                )
                step_tps.append(step.touchpoints)
        steps = bulk(JourneyStep, steps)
        through = JourneyStep.touchpoints.through
        bulk(
            through,
            [
                through(journeystep_id=step.pk, touchpoint_id=touchpoints[tp].pk)
                for step, tps in zip(steps, step_tps, strict=True)
                for tp in tps
            ],
        )
        enablers = {
            e.key: e
            for e in bulk(
                Enabler,
                [
                    Enabler(
                        organisation=org,
                        key=e.key,
                        name=e.name,
                        kind="platform",
                        classification=e.classification,
                        lifecycle=e.lifecycle,
                        capability=e.capability,
                    )
                    for e in data.enablers
                ],
            )
        }
        bulk(
            EnablerUsage,
            [
                EnablerUsage(
                    organisation=org, enabler=enablers[u.enabler], offering=offerings[u.offering]
                )
                for u in data.usages
            ],
        )
        rounds = {
            r.key: r
            for r in bulk(
                AssessmentRound,
                [
                    AssessmentRound(
                        organisation=org, key=key, name=key, sequence=i, status="closed"
                    )
                    for i, key in enumerate(data.rounds)
                ],
            )
        }
        bulk(
            Assessment,
            [
                Assessment(
                    organisation=org,
                    round=rounds[a.round],
                    team=teams[a.team],
                    enabler=enablers[a.enabler],
                    fit=a.fit,
                    pace=a.pace,
                    preferred=a.preferred or "",
                )
                for a in data.assessments
            ],
        )
        bulk(
            BottleneckFlag,
            [
                BottleneckFlag(
                    organisation=org,
                    key=f"flag-{i}",
                    team=teams[f.team],
                    enabler=enablers[f.enabler],
                    severity=f.severity,
                    status=f.status,
                    summary=f"Generated flag {i}",
                )
                for i, f in enumerate(data.flags)
            ],
        )
    return org
