"""The thresholds of the balance method: defaults, checking and exact comparison values.

Every threshold is a setting an admin may change per organisation (the names are those of
the method and of the organisation file). A report records the thresholds it used.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from fractions import Fraction
from typing import Literal

_Kind = Literal["share", "ratio", "count"]

# What each setting measures decides which values make sense for it: a share lies in
# [0, 1], a ratio is any number from 0, a count is a whole number from 0.
_KINDS: dict[str, _Kind] = {
    "link_threshold": "share",
    "group_across_max": "share",
    "group_across_ratio": "ratio",
    "stage_min_length": "count",
    "stage_min_overlap": "share",
    "single_stage_min_length": "count",
    "repeatable_reach": "share",
    "shared_bottleneck_teams": "count",
    "shared_bottleneck_pressure": "count",
    "efficiency_diversity": "share",
    "commonality_overlap": "share",
    "coverage_min": "share",
}

_PROBLEM = {
    "share": "must be a number from 0 to 1",
    "ratio": "must be a number, 0 or more",
    "count": "must be a whole number, 0 or more",
}


@dataclass(frozen=True)
class Thresholds:
    """The method's thresholds, with the documented defaults (version 1)."""

    link_threshold: float = 0.10
    group_across_max: float = 0.10
    group_across_ratio: float = 0.5
    stage_min_length: int = 4
    stage_min_overlap: float = 0.50
    single_stage_min_length: int = 3
    repeatable_reach: float = 0.60
    shared_bottleneck_teams: int = 2
    shared_bottleneck_pressure: int = 4
    efficiency_diversity: float = 0.60
    commonality_overlap: float = 0.30
    coverage_min: float = 0.50

    def __post_init__(self) -> None:
        problems = [
            (name, _PROBLEM[_KINDS[name]])
            for name in THRESHOLD_NAMES
            if _coerce(_KINDS[name], getattr(self, name)) is None
        ]
        if problems:
            raise ValueError(_describe(problems))

    @classmethod
    def problems(cls, overrides: Mapping[str, object]) -> list[tuple[str, str]]:
        """Each (setting, problem) of ``overrides``, in their order; empty when all are fine."""
        found: list[tuple[str, str]] = []
        for name, value in overrides.items():
            kind = _KINDS.get(name)
            if kind is None:
                found.append((name, "unknown setting"))
            elif _coerce(kind, value) is None:
                found.append((name, _PROBLEM[kind]))
        return found

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, object]) -> Thresholds:
        """The defaults with ``overrides`` applied.

        Raises ``ValueError`` naming each unknown setting or bad value, for example
        ``repeatable_reach: must be a number from 0 to 1``.
        """
        problems = cls.problems(overrides)
        if problems:
            raise ValueError(_describe(problems))
        values = {name: _coerce(_KINDS[name], value) for name, value in overrides.items()}
        return cls(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float | int]:
        """Every threshold by name (plain JSON-able numbers)."""
        return asdict(self)

    def exact(self, name: str) -> Fraction:
        """The threshold as the decimal it is written as (``0.1`` is exactly 1/10)."""
        return _as_written(getattr(self, name))


THRESHOLD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Thresholds))


@functools.lru_cache(maxsize=256)
def _as_written(value: float | int) -> Fraction:
    # repr gives the shortest decimal that reads back as the same float, i.e. the number
    # as a person wrote it; comparing with the binary float instead would make a share of
    # exactly 1/10 fall below a threshold of 0.1.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _coerce(kind: _Kind, value: object) -> float | int | None:
    """``value`` as the type ``kind`` needs, or None when it is not acceptable."""
    # bool is an int to Python, but `true` is never a sensible threshold.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value < 0:
        return None
    if kind == "count":
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value)
    if kind == "share" and value > 1:
        return None
    return float(value)


def _describe(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {problem}" for name, problem in problems)
