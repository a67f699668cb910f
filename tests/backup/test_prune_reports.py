"""Report history retention: old ready and failed reports go, one per calendar month stays,
and so do the latest ready report and any report a decision links to."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery.utils.imports import symbol_by_name
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import BalanceReport, Decision, ReportStatus
from assessments.services import reports_prune
from assessments.tasks import prune_old_reports
from catalogue.models import Organisation
from tests import factories as f

# A fixed "now" for the service; the cut-off of 60 days before it is 2026-04-16 12:00 UTC.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_generation = iter(range(1, 10_000))


def report(
    org: Organisation,
    when: datetime,
    status: str = ReportStatus.READY,
    *,
    generation: int | bool | None = True,
) -> BalanceReport:
    """A stored report computed (or, failed, asked for) at ``when``; later ones get higher
    generations, as the pipeline gives them."""
    gen = next(_generation) if generation is True else generation
    row = BalanceReport.objects.create(
        organisation=org,
        status=status,
        generation=gen,
        computed_at=when if status == ReportStatus.READY else None,
        balance_score=50 if status == ReportStatus.READY else None,
    )
    # requested_at is set on creation (auto_now_add): move it back to the report's day.
    BalanceReport.objects.for_org(org).filter(pk=row.pk).update(
        requested_at=when - timedelta(seconds=5)
    )
    return row


def remaining(org: Organisation) -> set[int]:
    return set(BalanceReport.objects.for_org(org).values_list("pk", flat=True))


def decision_about(org: Organisation, linked: BalanceReport, number: int = 1) -> Decision:
    return Decision.objects.create(
        organisation=org, key=f"dec-{number}", number=number, title="Split it", report=linked
    )


@pytest.fixture
def org(db: None) -> Organisation:
    return Organisation.objects.create(slug="acme", name="Acme")


def test_old_reports_go_but_the_last_of_each_month_stays(org):
    jan_early = report(org, at("2026-01-05T10:00"))
    jan_last = report(org, at("2026-01-20T10:00"))
    feb_only = report(org, at("2026-02-10T10:00"))
    mar_a = report(org, at("2026-03-02T10:00"))
    mar_b = report(org, at("2026-03-15T10:00"))
    mar_last = report(org, at("2026-03-28T10:00"))
    april_before_cutoff = report(org, at("2026-04-10T10:00"))
    april_after_cutoff = report(org, at("2026-04-20T10:00"))
    may = report(org, at("2026-05-01T10:00"))

    result = reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {
        jan_last.pk,
        feb_only.pk,
        mar_last.pk,
        april_after_cutoff.pk,
        may.pk,
    }
    assert {r.id for r in result.deleted} == {
        jan_early.pk,
        mar_a.pk,
        mar_b.pk,
        april_before_cutoff.pk,
    }
    assert {(r.id, r.kept_because) for r in result.kept} == {
        (jan_last.pk, "the last report of January 2026"),
        (feb_only.pk, "the last report of February 2026"),
        (mar_last.pk, "the last report of March 2026"),
    }
    assert result.newer == 2
    assert result.cutoff == at("2026-04-16T12:00")


def test_a_month_whose_last_report_is_recent_loses_its_older_ones(org):
    # April's last report is after the cut-off, so the one before it is not needed.
    april_early = report(org, at("2026-04-02T10:00"))
    april_late = report(org, at("2026-04-30T10:00"))

    reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {april_late.pk}
    assert april_early.pk not in remaining(org)


def test_the_month_is_the_calendar_month_where_the_organisation_lives(org, settings):
    settings.TIME_ZONE = "Europe/London"
    march = report(org, at("2026-03-20T10:00"))
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time): April's report.
    april_in_london = report(org, at("2026-03-31T23:30"))
    april_earlier = report(org, at("2026-03-31T22:30"))  # 23:30 in London: still March

    reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {april_in_london.pk, april_earlier.pk}
    assert march.pk not in remaining(org)


def test_the_latest_ready_report_stays_however_old(org):
    # A report from before reports carried a generation is later in time, so it is the
    # month's last; the latest ready report (by generation, as the pages pick it) stays too.
    latest = report(org, at("2025-11-03T10:00"), generation=7)
    older_style = report(org, at("2025-11-20T10:00"), generation=None)
    gone = report(org, at("2025-11-01T10:00"), generation=6)

    result = reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {latest.pk, older_style.pk}
    kept = {r.id: r.kept_because for r in result.kept}
    assert kept == {
        latest.pk: "the latest ready report",
        older_style.pk: "the last report of November 2025",
    }
    assert [r.id for r in result.deleted] == [gone.pk]


def test_a_report_a_decision_links_to_stays(org):
    linked = report(org, at("2026-01-05T10:00"))
    report(org, at("2026-01-20T10:00"))
    decision = decision_about(org, linked)

    result = reports_prune(older_than_days=60, now=NOW)

    assert linked.pk in remaining(org)
    assert {r.id: r.kept_because for r in result.kept}[linked.pk] == "a decision links to it"
    decision.refresh_from_db()
    assert decision.report_id == linked.pk


def test_failed_reports_go_and_never_count_as_a_months_last(org):
    ready = report(org, at("2026-02-03T10:00"))
    failed_later = report(org, at("2026-02-25T10:00"), ReportStatus.FAILED)
    failed_alone = report(org, at("2026-03-03T10:00"), ReportStatus.FAILED)

    result = reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {ready.pk}
    assert {r.id for r in result.deleted} == {failed_later.pk, failed_alone.pk}


def test_pending_and_running_reports_are_never_touched(org):
    keep_ready = report(org, at("2026-01-20T10:00"))
    running = report(org, at("2026-01-01T10:00"), ReportStatus.RUNNING)
    pending = report(org, at("2026-01-01T10:00"), ReportStatus.PENDING)

    result = reports_prune(older_than_days=60, now=NOW)

    assert remaining(org) == {keep_ready.pk, running.pk, pending.pk}
    assert result.deleted == []


def test_each_organisation_keeps_its_own_months(org):
    other = f.OrganisationFactory(slug="other")
    ours = report(org, at("2026-01-10T10:00"))
    theirs_early = report(other, at("2026-01-05T10:00"))
    theirs_last = report(other, at("2026-01-25T10:00"))

    reports_prune(older_than_days=60, now=NOW)

    # Our only January report is our month's last, though the other organisation's is later.
    assert remaining(org) == {ours.pk}
    assert remaining(other) == {theirs_last.pk}
    assert theirs_early.pk not in remaining(other)


def test_one_organisation_only_leaves_the_others_alone(org):
    other = f.OrganisationFactory(slug="other")
    report(org, at("2026-01-05T10:00"))
    ours_last = report(org, at("2026-01-25T10:00"))
    theirs = {report(other, at("2026-01-05T10:00")).pk, report(other, at("2026-01-25T10:00")).pk}

    reports_prune(older_than_days=60, organisation=org, now=NOW)

    assert remaining(org) == {ours_last.pk}
    assert remaining(other) == theirs


def test_a_dry_run_deletes_nothing(org):
    rows = {report(org, at(f"2026-01-{day:02d}T10:00")).pk for day in (3, 10, 17)}

    result = reports_prune(older_than_days=60, dry_run=True, now=NOW)

    assert remaining(org) == rows
    assert len(result.deleted) == 2
    assert result.dry_run


def test_less_than_a_day_is_refused(org):
    with pytest.raises(ValueError, match="at least 1"):
        reports_prune(older_than_days=0, now=NOW)


def test_queries_do_not_grow_with_reports_or_organisations(org):
    def queries_for(organisations: int, count: int) -> int:
        start = at("2025-01-01T10:00")
        for number in range(organisations):
            owner = f.OrganisationFactory(slug=f"o{organisations}-{number}")
            for i in range(count):
                report(owner, start + timedelta(days=i * 2))
        with CaptureQueriesContext(connection) as captured:
            result = reports_prune(older_than_days=60, now=NOW)
        assert result.deleted and result.kept
        return len(captured)

    few = queries_for(1, 5)
    many = queries_for(3, 30)  # 2 months of reports in each of 3 organisations
    assert many == few


# --- the command -------------------------------------------------------------------------


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def mid_month(days: int, hour: int = 12) -> datetime:
    """Noon (or ``hour``) on the 15th of the month ``days`` days ago, local time: reports a
    few hours apart then fall in one calendar month whatever day the tests run."""
    local = timezone.localtime(days_ago(days))
    return local.replace(day=15, hour=hour, minute=0, second=0, microsecond=0)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_reports", *args, stdout=out)
    return out.getvalue()


def test_command_prints_what_it_deletes_and_keeps(org):
    # Two reports 200 days ago in one month, one kept as its last; a recent one untouched.
    first = report(org, mid_month(200, 10))
    last = report(org, mid_month(200))
    recent = report(org, days_ago(1))

    out = run("--older-than", "90")

    assert remaining(org) == {last.pk, recent.pk}
    lines = out.splitlines()
    assert lines[0].startswith("Reports before ") and lines[0].endswith("(90 days ago):")
    assert any(line.split()[:4] == ["delete", "acme", "report", str(first.pk)] for line in lines)
    kept = next(line for line in lines if f"report {last.pk} " in line)
    assert kept.split()[0] == "keep"
    assert "the last report of" in kept
    assert lines[-1] == "Deleted 1 report; kept 1 older and 1 newer."


def test_command_dry_run_lists_what_would_go_and_deletes_nothing(org):
    first = report(org, mid_month(200, 10))
    report(org, mid_month(200))

    out = run("--older-than", "90", "--dry-run")

    assert len(remaining(org)) == 2
    assert "dry run: nothing is deleted" in out.splitlines()[0]
    assert any(f"would delete acme  report {first.pk} " in line for line in out.splitlines())
    assert out.splitlines()[-1] == "Would delete 1 report; kept 1 older and 0 newer."


def test_command_keeps_everything_when_retention_is_off(org, settings):
    settings.BALANCE_REPORT_RETENTION_DAYS = 0
    rows = {report(org, days_ago(400) - timedelta(hours=h)).pk for h in range(3)}

    out = run()

    assert remaining(org) == rows
    assert "Report retention is off" in out


def test_command_uses_the_retention_setting_by_default(org, settings):
    settings.BALANCE_REPORT_RETENTION_DAYS = 30
    report(org, mid_month(50, 10))
    kept = report(org, mid_month(50))
    recent = report(org, days_ago(10))

    out = run()

    assert "(30 days ago)" in out.splitlines()[0]
    assert remaining(org) == {kept.pk, recent.pk}


def test_command_for_one_organisation(org):
    other = f.OrganisationFactory(slug="other")
    report(org, mid_month(200, 10))
    ours = report(org, mid_month(200))
    theirs = {report(other, mid_month(200, 10 + h)).pk for h in range(2)}

    out = run("--older-than", "90", "--organisation", "acme")

    assert " in acme:" in out.splitlines()[0]
    assert remaining(org) == {ours.pk}
    assert remaining(other) == theirs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "0"], re.escape("at least 1 (got '0')")),
        (["--older-than", "ten"], re.escape("at least 1 (got 'ten')")),
        (["--older-than", "30", "--organisation", "nowhere"], "No organisation with the slug"),
    ],
)
def test_command_refuses_bad_options_and_deletes_nothing(org, args, message):
    rows = {report(org, mid_month(200, 10 + h)).pk for h in range(2)}
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert remaining(org) == rows


# --- the daily task ----------------------------------------------------------------------


def test_the_daily_task_is_on_the_beat_schedule(settings):
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE["prune-old-reports"]
    assert symbol_by_name(entry["task"]) is prune_old_reports
    assert entry["schedule"] == 86400.0


def test_the_daily_task_does_nothing_when_retention_is_off(org, settings):
    settings.BALANCE_REPORT_RETENTION_DAYS = 0
    rows = {report(org, days_ago(400) - timedelta(hours=h)).pk for h in range(3)}

    assert prune_old_reports.apply().get() == 0
    assert remaining(org) == rows


def test_the_daily_task_prunes_with_the_setting(org, settings):
    settings.BALANCE_REPORT_RETENTION_DAYS = 30
    report(org, mid_month(50, 10))
    report(org, mid_month(50, 11))
    kept = report(org, mid_month(50))

    assert prune_old_reports.apply().get() == 2
    assert remaining(org) == {kept.pk}
