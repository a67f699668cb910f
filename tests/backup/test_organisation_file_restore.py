"""One organisation backed up and restored through its organisation file.

tests/assessments/test_orgfile.py proves the file's text survives an import and an export.
This proves the records do: a demo organisation, with changes made in the app on top, is
exported, deleted with everything it owns, imported into the installation again, and every
record the file carries is found again with the same fields, read straight from the
database (not through the file's own code). What the file does not carry (members, reports,
comments, history) is named at the end, so nobody mistakes the file for a full backup.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    FlagAction,
    FlagComment,
)
from assessments.services import (
    flag_raise,
    flag_transition,
    report_compute_now,
    thresholds_update,
)
from catalogue.models import (
    BusinessArea,
    Enabler,
    EnablerUsage,
    Journey,
    Membership,
    Offering,
    Organisation,
    Team,
    TeamMembership,
    Touchpoint,
)

SLUGS = ["northfield", "harbour", "kingsbridge"]


def _key(obj: Any) -> str | None:
    return obj.key if obj is not None else None


def snapshot(org: Organisation) -> dict[str, Any]:
    """Every record the organisation file carries, by natural key, with the fields it carries."""
    org.refresh_from_db()
    data: dict[str, Any] = {
        "organisation": (org.name, org.slug, org.delivery_model, org.description),
        "settings": dict(org.balance_settings or {}),
    }
    data["areas"] = {a.key: (a.name, a.description) for a in BusinessArea.objects.for_org(org)}
    data["teams"] = {
        t.key: (t.name, t.kind, _key(t.business_area), t.description)
        for t in Team.objects.for_org(org).select_related("business_area")
    }
    data["offerings"] = {
        o.key: (o.name, o.kind, _key(o.business_area), _key(o.team), o.description)
        for o in Offering.objects.for_org(org).select_related("business_area", "team")
    }
    data["touchpoints"] = {t.key: (t.name, t.description) for t in Touchpoint.objects.for_org(org)}
    data["journeys"] = {
        j.key: (
            j.name,
            j.segment,
            j.description,
            tuple(
                (
                    s.position,
                    s.name,
                    s.offering.key,
                    tuple(sorted(tp.key for tp in s.touchpoints.all())),
                )
                for s in j.steps.select_related("offering").prefetch_related("touchpoints")
            ),
        )
        for j in Journey.objects.for_org(org)
    }
    data["enablers"] = {
        e.key: (
            e.name,
            e.kind,
            e.capability,
            e.classification,
            e.lifecycle,
            _key(e.owner_team),
            e.description,
            tuple(e.tags or []),
        )
        for e in Enabler.objects.for_org(org).select_related("owner_team")
    }
    data["usages"] = {
        (u.enabler.key, u.offering.key): u.criticality
        for u in EnablerUsage.objects.for_org(org).select_related("enabler", "offering")
    }
    data["rounds"] = [
        (r.key, r.name, r.status, r.opened_on)
        for r in AssessmentRound.objects.for_org(org).order_by("sequence", "id")
    ]
    data["assessments"] = {
        (a.round.key, a.team.key, a.enabler.key): (a.fit, a.pace, a.preferred, a.comment)
        for a in Assessment.objects.for_org(org).select_related("round", "team", "enabler")
    }
    data["flags"] = {
        fl.key: (
            fl.team.key,
            fl.enabler.key,
            _key(fl.offering),
            _key(fl.journey),
            fl.severity,
            fl.status,
            fl.summary,
            fl.details,
        )
        for fl in BottleneckFlag.objects.for_org(org).select_related(
            "team", "enabler", "offering", "journey"
        )
    }
    data["decisions"] = {
        d.number: (
            d.key,
            d.title,
            d.status,
            tuple(sorted(e.key for e in d.enablers.all())),
            tuple(
                (c.enabler.key, c.from_classification, c.to_classification)
                for c in d.changes.select_related("enabler")
            ),
            d.context,
            d.decision,
            d.consequences,
            d.options,
            d.decided_on,
            d.review_on,
            _key(d.supersedes),
        )
        for d in Decision.objects.for_org(org).select_related("supersedes")
    }
    return data


def owned_rows(organisation_id: int) -> dict[str, int]:
    """Rows of every model with an organisation that still name this organisation's id."""
    counts = {}
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        # simple_history's copies are kept on purpose (no foreign keys): not rows it owns.
        if "organisation" not in names or "history_id" in names:
            continue
        manager = model._base_manager  # plain: this looks across organisations on purpose
        count = manager.filter(organisation_id=organisation_id).count()
        if count:
            counts[model._meta.label] = count
    return counts


def add_changes_made_in_the_app(org: Organisation) -> None:
    """Records made through the app, not by the demo import: they must survive too."""
    admin = get_user_model().objects.get(username=f"{org.slug}-admin")
    thresholds_update(
        organisation=org,
        overrides={"repeatable_reach": 0.5, "shared_bottleneck_teams": 3},
        actor=admin,
    )
    team = Team.objects.for_org(org).order_by("key").first()
    enabler = Enabler.objects.for_org(org).order_by("key").first()
    offering = Offering.objects.for_org(org).order_by("key").first()
    flag = flag_raise(
        organisation=org,
        team=team,
        enabler=enabler,
        offering=offering,
        journey=None,
        severity="blocking",
        summary="Release slots booked a week ahead — ça bloque",
        details="Raised in the app before the backup.",
        actor=admin,
    )
    flag_transition(flag=flag, action=FlagAction.ACKNOWLEDGED, note="Seen", actor=admin)


@pytest.fixture
def demo(db: None) -> dict[str, Organisation]:
    call_command("seed_demo", stdout=io.StringIO())
    return {org.slug: org for org in Organisation.objects.filter(slug__in=SLUGS)}


def restore_through_its_file(slug: str, folder: Path) -> None:
    """Export, delete and import one organisation; every record the file carries is back."""
    org = Organisation.objects.get(slug=slug)
    add_changes_made_in_the_app(org)
    before = snapshot(org)
    others = {other: snapshot(Organisation.objects.get(slug=other)) for other in SLUGS}
    del others[slug]
    # The test is only as good as what it compares: every section must hold something.
    assert all(before[section] for section in before), [s for s in before if not before[s]]
    assert {flag[5] for flag in before["flags"].values()} == {"open", "acknowledged", "resolved"}
    assert any(decision[11] for decision in before["decisions"].values())  # supersedes
    assert any(decision[4] for decision in before["decisions"].values())  # changes

    path = folder / f"{slug}.yaml"
    call_command("export_organisation", slug, "--output", str(path), stderr=io.StringIO())
    old_id = org.pk
    org.delete()
    assert not Organisation.objects.filter(slug=slug).exists()
    assert owned_rows(old_id) == {}

    out = io.StringIO()
    call_command("import_organisation", str(path), stdout=out)

    assert out.getvalue().startswith(f"Created {before['organisation'][0]} ({slug}): ")
    after = snapshot(Organisation.objects.get(slug=slug))
    for section in before:
        assert after[section] == before[section], f"{slug}: {section}"
    # The other organisations were not touched by the delete or the import.
    assert {other: snapshot(Organisation.objects.get(slug=other)) for other in others} == others, (
        slug
    )


def test_each_demo_organisation_comes_back_whole_from_its_file(demo, tmp_path: Path):
    # One seed for the three (seeding is the slow part); each is restored in turn.
    for slug in SLUGS:
        restore_through_its_file(slug, tmp_path)


def test_what_the_file_does_not_carry(demo, tmp_path: Path):
    # Known and by design: the file is the organisation's content, not its accounts or
    # computed history. A whole-installation backup (pg_dump) keeps these; see the README.
    org = demo["northfield"]
    add_changes_made_in_the_app(org)
    report_compute_now(organisation=org, reason="before the backup")
    assert Membership.objects.for_org(org).exists()
    assert TeamMembership.objects.for_org(org).exists()
    assert FlagComment.objects.for_org(org).exists()
    assert BalanceReport.objects.for_org(org).exists()
    path = tmp_path / "northfield.yaml"
    call_command("export_organisation", "northfield", "--output", str(path), stderr=io.StringIO())
    org.delete()

    call_command("import_organisation", str(path), stdout=io.StringIO())

    restored = Organisation.objects.get(slug="northfield")
    assert not Membership.objects.for_org(restored).exists()
    assert not TeamMembership.objects.for_org(restored).exists()
    assert not FlagComment.objects.for_org(restored).exists()
    # Report history is gone (the import asks for a fresh report after commit).
    assert not BalanceReport.objects.for_org(restored).exists()
