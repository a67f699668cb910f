"""The plain data the balance method takes: one organisation, by keys.

The Django loader builds these from the database; tests and the benchmark build them by
hand. Every reference is a key (a plain string). The method assumes valid input, as the
importer and the forms refuse invalid data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OfferingInput:
    """An offering, its business area and its owner team (keys, or None)."""

    key: str
    name: str
    area: str | None
    team: str | None


@dataclass(frozen=True)
class StepInput:
    """A journey step: the offering it is served by and the touchpoints it passes."""

    offering: str
    touchpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class JourneyInput:
    """A customer journey; the order of steps does not matter to the method."""

    key: str
    name: str
    steps: tuple[StepInput, ...]


@dataclass(frozen=True)
class EnablerInput:
    """An enabler with its declared classification and lifecycle.

    ``classification`` is repeatable, common or independent; ``lifecycle`` is proposed,
    active, deprecated or retired; ``capability`` is a free label of what it does.
    """

    key: str
    name: str
    classification: str
    lifecycle: str
    capability: str = ""


@dataclass(frozen=True)
class UsageInput:
    """An offering uses an enabler."""

    enabler: str
    offering: str


@dataclass(frozen=True)
class FlagInput:
    """A bottleneck flag a team raised against an enabler.

    ``severity`` is low, medium, high or blocking; ``status`` is open, acknowledged or
    resolved.
    """

    enabler: str
    team: str
    severity: str
    status: str


@dataclass(frozen=True)
class AssessmentInput:
    """One team's assessment of one enabler in one round: fit 1..5, pace -2..2."""

    round: str
    team: str
    enabler: str
    fit: int
    pace: int
    preferred: str | None = None


@dataclass(frozen=True)
class OrganisationInput:
    """Everything about one organisation that the balance method reads.

    ``declared_model`` is group, track, stage or None; ``areas`` holds (key, name) of the
    business areas; ``rounds`` holds round keys oldest first (the order they were opened);
    ``touchpoints`` holds (key, name) of the touchpoints steps pass (names for pictures; the
    method itself reads only the keys on the steps).
    """

    declared_model: str | None
    areas: tuple[tuple[str, str], ...]
    offerings: tuple[OfferingInput, ...]
    journeys: tuple[JourneyInput, ...]
    enablers: tuple[EnablerInput, ...]
    usages: tuple[UsageInput, ...]
    flags: tuple[FlagInput, ...]
    assessments: tuple[AssessmentInput, ...]
    rounds: tuple[str, ...]
    touchpoints: tuple[tuple[str, str], ...] = ()
