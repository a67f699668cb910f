"""Tasks, periodic jobs and management commands keep to their organisation.

A recompute, a command or an import for acme leaves every row of globex as it was (rows.py
compares them all, globex's generation included) and writes nothing of globex into acme's.
The jobs that go over every organisation (digests, round and review reminders, the sweeper)
tell each person only about the organisations they belong to: acme's people read no ZEBRA,
globex's no OKAPI, and ``both`` (in both) may read both.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments import services as a
from assessments import tasks
from assessments.models import BalanceReport, Notification, ReportStatus
from assessments.orgfile import organisation_as_data
from catalogue import models as m
from catalogue import services
from tests.conftest import client_for

from .planting import FOREIGN, OWN, Canary
from .reading import FOREIGN_MARK
from .rows import changed, cross_references, organisation_rows

BACKSTAGE = Path(__file__).parents[1] / "backstage" / "files" / "org.yaml"


def ready_reports(org: m.Organisation) -> list[BalanceReport]:
    return list(BalanceReport.objects.for_org(org).filter(status=ReportStatus.READY).order_by("pk"))


def newest_report_text(org: m.Organisation) -> str:
    newest = ready_reports(org)[-1]
    return json.dumps([newest.result, newest.shapes])


# --- recomputes ---------------------------------------------------------------------------------


def by_task(canary: Canary) -> None:
    report = a.report_request(organisation=canary.acme.org, reason="tenancy")
    assert report is not None
    assert tasks.compute_balance_report.apply(args=(report.pk,)).get() == "ready"


def by_sweeper(canary: Canary) -> None:
    # Only acme changed since its last report: the sweeper asks for acme's recompute only.
    assert tasks.sweep_stale_reports.apply().get() == [canary.acme.org.pk]
    pending = BalanceReport.objects.for_org(canary.acme.org).get(status=ReportStatus.PENDING)
    assert tasks.compute_balance_report.apply(args=(pending.pk,)).get() == "ready"


def by_command(canary: Canary) -> None:
    out = io.StringIO()
    call_command("balance_report", canary.acme.org.slug, "--json", stdout=out)
    assert not FOREIGN_MARK.search(out.getvalue())
    assert OWN in out.getvalue()


def now(canary: Canary) -> None:
    a.report_compute_now(organisation=canary.acme.org, reason="tenancy")


RECOMPUTES: dict[str, Callable[[Canary], None]] = {
    "compute_balance_report task": by_task,
    "sweep_stale_reports task": by_sweeper,
    "balance_report command": by_command,
    "report_compute_now": now,
}


@pytest.mark.parametrize("how", list(RECOMPUTES))
def test_a_recompute_of_acme_changes_nothing_of_globex(canary: Canary, how: str) -> None:
    acme, globex = canary.acme.org, canary.globex.org
    services.inputs_changed(organisation=acme, reason="tenancy")  # acme is stale, globex not
    reports_before = len(ready_reports(acme))
    before = organisation_rows(globex.pk)

    RECOMPUTES[how](canary)

    assert changed(before, organisation_rows(globex.pk)) == []
    assert len(ready_reports(acme)) == reports_before + 1
    # The new report is made of acme's names only (and does show them).
    text = newest_report_text(acme)
    assert not FOREIGN_MARK.search(text)
    assert f"{OWN}-enabler-name-payments" in text
    assert cross_references() == []


# --- commands and imports ------------------------------------------------------------------------


def acme_file(canary: Canary) -> bytes:
    """acme's organisation file, with an area added and the offering warehouse left out (a
    replacing import removes it; globex has a warehouse too)."""
    data = organisation_as_data(canary.acme.org)
    data["business_areas"].append({"key": "imported", "name": "Imported area"})
    data["offerings"] = [o for o in data["offerings"] if o["key"] != "warehouse"]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def export_command(canary: Canary, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("export_organisation", canary.acme.org.slug, "--format", "json", stdout=out)
    text = out.getvalue()
    assert not FOREIGN_MARK.search(text) and "globex" not in text
    assert f"{OWN}-decision-context" in text


def import_command(canary: Canary, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_bytes(acme_file(canary))
    call_command("import_organisation", str(path), "--replace", stdout=io.StringIO())
    assert not m.Offering.objects.for_org(canary.acme.org).filter(key="warehouse").exists()


def import_page(canary: Canary, tmp_path: Path) -> None:
    upload = SimpleUploadedFile("acme.yaml", acme_file(canary), content_type="application/yaml")
    response = client_for(canary.cast.admin).post(
        reverse("assessments:import_file", args=[canary.acme.org.slug]),
        {"file": upload, "replace": "on"},
    )
    assert response.status_code == 302
    assert not m.Offering.objects.for_org(canary.acme.org).filter(key="warehouse").exists()


def backstage_command(canary: Canary, tmp_path: Path) -> None:
    call_command("import_backstage", canary.acme.org.slug, str(BACKSTAGE), stdout=io.StringIO())
    assert m.Team.objects.for_org(canary.acme.org).filter(key="payments-team").exists()


def reports_a_year_old(canary: Canary) -> None:
    """Two reports of each organisation, a year old (their latest included)."""
    long_ago = timezone.now() - timedelta(days=365)
    for org in (canary.acme.org, canary.globex.org):
        a.report_compute_now(organisation=org)
        BalanceReport.objects.for_org(org).update(requested_at=long_ago, computed_at=long_ago)


def prune_command(canary: Canary, tmp_path: Path) -> None:
    before = BalanceReport.objects.for_org(canary.acme.org).count()
    slug = canary.acme.org.slug
    call_command(
        "prune_reports", "--older-than", "30", "--organisation", slug, stdout=io.StringIO()
    )
    assert BalanceReport.objects.for_org(canary.acme.org).count() < before


def generate_command(canary: Canary, tmp_path: Path) -> None:
    call_command("generate_organisation", "generated", "--scale", "0.001", stdout=io.StringIO())
    assert m.Organisation.objects.filter(slug="generated").exists()


COMMANDS: dict[str, Callable[[Canary, Path], None]] = {
    "export_organisation": export_command,
    "import_organisation --replace": import_command,
    "import page with replace": import_page,
    "import_backstage": backstage_command,
    "prune_reports --organisation": prune_command,
    "generate_organisation (another slug)": generate_command,
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_for_acme_changes_nothing_of_globex(
    canary: Canary, command: str, tmp_path: Path
) -> None:
    if command == "prune_reports --organisation":
        reports_a_year_old(canary)
    globex = canary.globex.org.pk
    before = organisation_rows(globex)
    acme_before = organisation_rows(canary.acme.org.pk)

    COMMANDS[command](canary, tmp_path)

    assert changed(before, organisation_rows(globex)) == []
    assert cross_references() == []
    if command not in {"export_organisation", "generate_organisation (another slug)"}:
        assert changed(acme_before, organisation_rows(canary.acme.org.pk)) != []  # it did work


# --- jobs over every organisation: reminders and digests ------------------------------------


def may_read(canary: Canary, email: str) -> set[str]:
    """The markers a person may read: those of the organisations they belong to (or are
    invited to)."""
    prefix_of = {canary.acme.org.pk: OWN, canary.globex.org.pk: FOREIGN}
    found = {
        prefix_of[org_id]
        for org_id in m.Membership.objects.unscoped()
        .filter(user__email__iexact=email)
        .values_list("organisation_id", flat=True)
    }
    for prefix in (OWN, FOREIGN):
        if email == f"{prefix.lower()}-invitation-email@example.org":
            found.add(prefix)
    return found


def test_reminders_and_digests_tell_each_person_only_of_their_organisations(
    canary: Canary,
) -> None:
    today = timezone.localdate()
    for side in (canary.acme, canary.globex):
        a.round_open(
            organisation=side.org,
            name=f"{side.prefix}-round-name-due",
            due_on=today + timedelta(days=1),
            actor=side.people["leader"].user,
        )
    # The people of both organisations reset a password, as anyone can.
    for person in (canary.acme.people["viewer"], canary.globex.people["viewer"]):
        client_for(None).post(reverse("password_reset"), {"email": person.user.email})

    reminded = tasks.send_round_reminders.apply().get()
    reviewed = tasks.send_decision_review_reminders.apply().get()
    sent = tasks.send_notification_digests.apply().get()

    assert reminded > 0 and reviewed > 0 and sent > 0
    for side in (canary.acme, canary.globex):
        members = set(m.Membership.objects.for_org(side.org).values_list("user_id", flat=True))
        other = FOREIGN if side.prefix == OWN else OWN
        notes = Notification.objects.for_org(side.org)
        assert set(notes.values_list("recipient_id", flat=True)) <= members
        assert [n.text for n in notes if other.lower() in n.text.lower()] == []
    leaks = []
    read_by: dict[str, int] = {}
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for recipient in message.to:
            allowed = may_read(canary, recipient)
            shown = {p for p in (OWN, FOREIGN) if re.search(p, text, re.IGNORECASE)}
            if shown - allowed:
                leaks.append(f"{recipient}: {message.subject!r} shows {shown - allowed}")
            for prefix in shown:
                read_by[prefix] = read_by.get(prefix, 0) + 1
    assert leaks == []
    # The people of each organisation did hear about their own (and ``both`` of both).
    assert read_by.get(OWN, 0) > 0 and read_by.get(FOREIGN, 0) > 0
    to_both = " ".join(str(e.body) for e in mail.outbox if canary.both.user.email in e.to)
    assert OWN in to_both and FOREIGN in to_both


def stir(canary: Canary) -> None:
    """Change in globex everything the balance method reads, on the keys acme has too."""
    other, keyed, people = canary.cast.other, canary.keyed, canary.globex.people
    globex = other.org
    for enabler, offering in ((other.search, other.warehouse), (other.payments, other.warehouse)):
        m.EnablerUsage.objects.create(organisation=globex, enabler=enabler, offering=offering)
    m.Enabler.objects.for_org(globex).update(classification="repeatable", lifecycle="active")
    extra = m.Journey.objects.create(organisation=globex, key="errands", name="Errands")
    for position, offering in enumerate((other.warehouse, other.shop, keyed.shop), start=1):
        m.JourneyStep.objects.create(
            organisation=globex, journey=extra, position=position, name="Step", offering=offering
        )
    assessment_round = a.round_open(organisation=globex, name="Stir", due_on=None, actor=None)
    for team, enabler in ((other.delivery, other.payments), (keyed.delivery, keyed.payments)):
        a.assessment_save(
            assessment_round=assessment_round,
            team=team,
            enabler=enabler,
            fit=1,
            pace=-2,
            preferred="independent",
            comment="",
            actor=None,
        )
        a.flag_raise(
            organisation=globex,
            team=team,
            enabler=enabler,
            offering=None,
            journey=None,
            severity="high",
            summary="Stirred",
            details="",
            actor=people["member"].user,
        )
    a.round_close(assessment_round=assessment_round, actor=None)
    globex.delivery_model = "stage"
    globex.balance_settings = {"repeatable_reach": 0.2}
    globex.save()
    services.inputs_changed(organisation=globex, reason="stirred")


def test_acmes_report_is_the_same_whatever_globex_holds(canary: Canary) -> None:
    # A join that forgets the organisation need not show a name of globex to matter: it
    # would move acme's figures. They do not move when globex changes all it has.
    before, _ = a.report_compute_now(organisation=canary.acme.org)
    globex_before, _ = a.report_compute_now(organisation=canary.globex.org)

    stir(canary)
    after, _ = a.report_compute_now(organisation=canary.acme.org)
    globex_after, _ = a.report_compute_now(organisation=canary.globex.org)

    assert (after.result, after.shapes, after.thresholds) == (
        before.result,
        before.shapes,
        before.thresholds,
    )
    assert globex_after.result != globex_before.result  # globex's own did move
