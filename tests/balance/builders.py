"""Small builders for the balance method's input, so each test states only what matters."""

from __future__ import annotations

from collections.abc import Iterable

from assessments.balance import (
    AssessmentInput,
    EnablerInput,
    FlagInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
)


def offering(key: str, area: str | None = None, team: str | None = "team") -> OfferingInput:
    return OfferingInput(key=key, name=f"Offering {key}", area=area, team=team)


def offerings(
    *keys: str, area: str | None = None, team: str | None = "team"
) -> list[OfferingInput]:
    return [offering(k, area=area, team=team) for k in keys]


def journey(key: str, *offering_keys: str, touchpoints: Iterable[str] = ()) -> JourneyInput:
    """A journey with one step per offering; the touchpoints are on its first step."""
    tps = tuple(touchpoints)
    steps = [StepInput(o) for o in offering_keys]
    if tps:
        if steps:
            steps[0] = StepInput(steps[0].offering, tps)
        else:
            raise ValueError("touchpoints need a step")
    return JourneyInput(key=key, name=f"Journey {key}", steps=tuple(steps))


def enabler(
    key: str, classification: str = "common", lifecycle: str = "active", capability: str = ""
) -> EnablerInput:
    return EnablerInput(
        key=key,
        name=f"Enabler {key}",
        classification=classification,
        lifecycle=lifecycle,
        capability=capability,
    )


def uses(enabler_key: str, *offering_keys: str) -> list[UsageInput]:
    return [UsageInput(enabler=enabler_key, offering=o) for o in offering_keys]


def flag(enabler_key: str, team: str, severity: str = "medium", status: str = "open") -> FlagInput:
    return FlagInput(enabler=enabler_key, team=team, severity=severity, status=status)


def assessment(
    enabler_key: str,
    team: str,
    fit: int = 4,
    pace: int = 0,
    preferred: str | None = None,
    round: str = "r1",
) -> AssessmentInput:
    return AssessmentInput(
        round=round, team=team, enabler=enabler_key, fit=fit, pace=pace, preferred=preferred
    )


def organisation(
    *,
    declared: str | None = None,
    areas: Iterable[tuple[str, str]] = (),
    offerings: Iterable[OfferingInput] = (),
    journeys: Iterable[JourneyInput] = (),
    enablers: Iterable[EnablerInput] = (),
    usages: Iterable[UsageInput] = (),
    flags: Iterable[FlagInput] = (),
    assessments: Iterable[AssessmentInput] = (),
    rounds: Iterable[str] = ("r1",),
) -> OrganisationInput:
    return OrganisationInput(
        declared_model=declared,
        areas=tuple(areas),
        offerings=tuple(offerings),
        journeys=tuple(journeys),
        enablers=tuple(enablers),
        usages=tuple(usages),
        flags=tuple(flags),
        assessments=tuple(assessments),
        rounds=tuple(rounds),
    )


def mix_org(
    repeatable: int, common: int, independent: int, *, declared: str | None = "group"
) -> OrganisationInput:
    """Live enablers in the given numbers, each used by one offering, and one journey."""
    classes = ["repeatable"] * repeatable + ["common"] * common + ["independent"] * independent
    enabler_items = [enabler(f"e{i}", c) for i, c in enumerate(classes)]
    return organisation(
        declared=declared,
        offerings=offerings("o1", "o2"),
        journeys=[journey("j1", "o1", "o2")],
        enablers=enabler_items,
        usages=[u for e in enabler_items for u in uses(e.key, "o1")],
    )
