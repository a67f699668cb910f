"""A synthetic organisation of a given size, for timing the balance method.

:func:`generate` is deterministic for a seed (``random.Random(seed)``), so the Django
benchmark command and this module time the same data. ``python -m
assessments.balance.bench`` times :func:`compute` at the reference size.
"""

from __future__ import annotations

import argparse
import random
import time

from .inputs import (
    AssessmentInput,
    EnablerInput,
    FlagInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
)

ROUNDS = 4
TOUCHPOINTS = 80
CAPABILITIES = 150


def _skewed(rng: random.Random, size: int) -> int:
    """An index in range(size), low indices far more likely (a few very popular items)."""
    return min(size - 1, int(size * rng.random() ** 2))


def generate(
    seed: int,
    offerings: int = 1000,
    journeys: int = 200,
    steps: int = 8,
    enablers: int = 5000,
    usages: int = 50000,
    assessments: int = 20000,
    flags: int = 5000,
    teams: int = 40,
    areas: int = 8,
) -> OrganisationInput:
    """A valid organisation of the given size, the same for the same arguments.

    Usages and assessments are unique pairs (capped at what the sizes allow); journeys
    mostly stay within one business area; a few enablers are used very widely.
    """
    rng = random.Random(seed)
    area_keys = [f"area-{i:02d}" for i in range(areas)]
    team_keys = [f"team-{i:03d}" for i in range(teams)]
    touchpoint_keys = [f"tp-{i:03d}" for i in range(TOUCHPOINTS)]

    offering_items = []
    by_area: dict[str | None, list[str]] = {}
    for i in range(offerings):
        area = rng.choice(area_keys) if area_keys and rng.random() < 0.9 else None
        team = rng.choice(team_keys) if team_keys and rng.random() < 0.95 else None
        key = f"off-{i:04d}"
        offering_items.append(OfferingInput(key, f"Offering {i}", area, team))
        by_area.setdefault(area, []).append(key)
    offering_keys = [o.key for o in offering_items]

    journey_items = []
    for i in range(journeys):
        home = by_area.get(rng.choice(area_keys)) if area_keys else None
        step_items = []
        for _ in range(steps if offering_keys else 0):
            pool = home if home and rng.random() < 0.7 else offering_keys
            touchpoints = tuple(sorted(rng.sample(touchpoint_keys, rng.randint(0, 2))))
            step_items.append(StepInput(rng.choice(pool), touchpoints))
        journey_items.append(JourneyInput(f"journey-{i:03d}", f"Journey {i}", tuple(step_items)))

    enabler_items = []
    for i in range(enablers):
        classification = rng.choices(("repeatable", "common", "independent"), (2, 3, 5))[0]
        lifecycle = rng.choices(("proposed", "active", "deprecated", "retired"), (5, 85, 6, 4))[0]
        capability = "" if rng.random() < 0.1 else f"capability {rng.randrange(CAPABILITIES)}"
        enabler_items.append(
            EnablerInput(f"en-{i:05d}", f"Enabler {i}", classification, lifecycle, capability)
        )

    used: set[tuple[int, int]] = set()
    target = min(usages, enablers * offerings)
    while len(used) < target:
        used.add((_skewed(rng, enablers), rng.randrange(offerings)))
    usage_items = tuple(UsageInput(enabler_items[e].key, offering_keys[o]) for e, o in sorted(used))

    round_keys = tuple(f"round-{i + 1}" for i in range(ROUNDS))
    assessed: set[tuple[int, int, int]] = set()
    target = min(assessments, ROUNDS * teams * enablers)
    while len(assessed) < target:
        # Most assessments are in the latest round, the one that counts.
        round_index = ROUNDS - 1 if rng.random() < 0.6 else rng.randrange(ROUNDS)
        assessed.add((round_index, rng.randrange(teams), _skewed(rng, enablers)))
    assessment_items = []
    choices: tuple[str | None, ...] = (None, None, "repeatable", "common", "independent")
    for r, t, e in sorted(assessed):
        preferred = rng.choice(choices)
        assessment_items.append(
            AssessmentInput(
                round_keys[r],
                team_keys[t],
                enabler_items[e].key,
                fit=rng.randint(1, 5),
                pace=rng.randint(-2, 2),
                preferred=preferred,
            )
        )

    flag_items = []
    for _ in range(flags if teams and enablers else 0):
        flag_items.append(
            FlagInput(
                enabler_items[_skewed(rng, enablers)].key,
                rng.choice(team_keys),
                rng.choices(("low", "medium", "high", "blocking"), (4, 3, 2, 1))[0],
                rng.choices(("open", "acknowledged", "resolved"), (5, 2, 3))[0],
            )
        )

    return OrganisationInput(
        declared_model=rng.choice(("group", "track", "stage", None)),
        areas=tuple((key, f"Area {key[-2:]}") for key in area_keys),
        offerings=tuple(offering_items),
        journeys=tuple(journey_items),
        enablers=tuple(enabler_items),
        usages=usage_items,
        flags=tuple(flag_items),
        assessments=tuple(assessment_items),
        rounds=round_keys,
    )


def main() -> None:  # pragma: no cover - a tool for people, timed by hand
    from .method import compute
    from .report import report_to_json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    org = generate(args.seed)
    print(f"generate: {time.perf_counter() - started:.3f} s")
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = compute(org)
        computed = time.perf_counter()
        text = report_to_json(report)
        print(
            f"compute: {computed - started:.3f} s, to JSON: {time.perf_counter() - computed:.3f} s"
            f" ({len(text.encode()) / 1e6:.1f} MB, {len(report.findings)} findings)"
        )


if __name__ == "__main__":  # pragma: no cover
    main()
