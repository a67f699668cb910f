"""Reads of the assessments app, always from the organisation in scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from catalogue.compiled import CompiledQuery
from catalogue.expressions import ValuesOf
from catalogue.forms import PickInput, quick_selects, suggest_url
from catalogue.models import (
    BusinessArea,
    Enabler,
    EnablerUsage,
    Lifecycle,
    Membership,
    Offering,
    Organisation,
    Team,
)
from catalogue.pagination import CountingPaginator, asks_first_page
from catalogue.permissions import can
from catalogue.permissions import team_ids as member_team_ids
from catalogue.selectors import ListedFilter, listed_filters

from .balance import Thresholds, compute, report_to_dict
from .loader import load_balance_input
from .models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionChange,
    DecisionStatus,
    FlagStatus,
    Notification,
    ReportStatus,
    RoundStatus,
    Severity,
)

LIVE = (Lifecycle.PROPOSED, Lifecycle.ACTIVE)

# --- rounds and assessments -----------------------------------------------------------------


def round_pairs(*, organisation: Organisation, team: Team | None = None) -> set[tuple[int, int]]:
    """The (team id, enabler id) pairs a round asks about: a team and each live enabler used
    by one of its offerings. The same pairs the balance method's coverage finding counts."""
    usages = EnablerUsage.objects.for_org(organisation).filter(
        enabler__lifecycle__in=LIVE, offering__team__isnull=False
    )
    if team is not None:
        usages = usages.filter(offering__team=team)
    return set(usages.values_list("offering__team_id", "enabler_id").distinct())


def open_round(*, organisation: Organisation) -> AssessmentRound | None:
    return AssessmentRound.objects.for_org(organisation).filter(status=RoundStatus.OPEN).first()


def rounds_for_list(*, organisation: Organisation) -> list[AssessmentRound]:
    return list(
        AssessmentRound.objects.for_org(organisation)
        .annotate(assessment_count=Count("assessments"))
        .order_by("-sequence", "-id")
    )


@dataclass(frozen=True)
class Completion:
    team: Team | None  # None for the whole organisation
    assessed: int
    pairs: int

    @property
    def share(self) -> float | None:
        return self.assessed / self.pairs if self.pairs else None

    @property
    def left(self) -> int:
        return self.pairs - self.assessed


def round_completion(
    *, organisation: Organisation, assessment_round: AssessmentRound
) -> tuple[Completion, list[Completion]]:
    """Overall and per-team completion of a round, over the teams' to-do pairs. Three
    queries whatever the size: the pairs, the assessments, the teams."""
    pairs = round_pairs(organisation=organisation)
    done = set(
        Assessment.objects.for_org(organisation)
        .filter(round=assessment_round)
        .values_list("team_id", "enabler_id")
    )
    per_team: dict[int, list[int]] = {}
    for team_id, enabler_id in pairs:
        counts = per_team.setdefault(team_id, [0, 0])
        counts[1] += 1
        counts[0] += (team_id, enabler_id) in done
    teams = Team.objects.for_org(organisation).in_bulk(list(per_team))
    rows = [
        Completion(team=teams[team_id], assessed=assessed, pairs=total)
        for team_id, (assessed, total) in per_team.items()
    ]
    rows.sort(key=lambda c: (c.share if c.share is not None else 1.0, c.team.name.lower()))  # type: ignore[union-attr]
    overall = Completion(
        team=None, assessed=sum(c.assessed for c in rows), pairs=sum(c.pairs for c in rows)
    )
    return overall, rows


@dataclass
class TodoRow:
    enabler: Enabler
    offerings: list[str]
    assessment: Assessment | None


# Each row is a whole assessment form (three lists and a comment): ten to a page keeps the
# page quick to load and to work through.
TODO_PAGE_SIZE = 10


def team_todo_enablers(*, organisation: Organisation | int, team: Team | int) -> QuerySet[Enabler]:
    """The enablers on a team's list: each live enabler used by one of its offerings, by
    name. Not evaluated: callers count it, page it or look for one enabler in it."""
    used = (
        EnablerUsage.objects.for_org(organisation).filter(offering__team=team).values("enabler_id")
    )
    return (
        Enabler.objects.for_org(organisation)
        .filter(lifecycle__in=LIVE, pk__in=used)
        .select_related("owner_team")
        .order_by("name", "pk")
    )


def _todo_rows(
    *,
    organisation: Organisation | int,
    assessment_round: AssessmentRound | int,
    team: Team | int,
    enablers: QuerySet[Enabler],
) -> QuerySet[Enabler]:
    """``enablers`` as to-do rows, in the same query: each with ``offering_names`` (the
    team's offerings using it, by name) and ``team_assessment`` (the team's assessment of it
    in the round, an attribute only where there is one)."""
    # From the team's few offerings, each checked for a usage of the row's enabler (the
    # pair is indexed), rather than from the enabler's many usages.
    offering_names = (
        Offering.objects.for_org(organisation)
        .filter(team=team, usages__enabler=OuterRef("pk"))
        .order_by("name")
        .values_list("name")
    )
    return enablers.annotate(
        offering_names=ValuesOf(offering_names),
        team_assessment=FilteredRelation(
            "assessments",
            condition=Q(assessments__round=assessment_round, assessments__team=team),
        ),
    ).select_related("team_assessment")  # type: ignore[misc]  # a FilteredRelation


def _todo_row(enabler: Enabler) -> TodoRow:
    return TodoRow(
        enabler=enabler,
        offerings=enabler.offering_names,  # type: ignore[attr-defined]
        assessment=getattr(enabler, "team_assessment", None),
    )


@dataclass
class TodoPage:
    """One page of a team's to-do list, with the counts of the whole list."""

    page: Page
    rows: list[TodoRow]
    assessed: int
    total: int


def _todo_first_page_query(*, organisation: int, team: int, round: int) -> QuerySet[Enabler]:
    """The first page of the team's to-do list with the list's counts, each row's owning
    team and assessment as values (the compiled query below follows no relation)."""
    enablers = team_todo_enablers(organisation=organisation, team=team)
    rows = _todo_rows(
        organisation=organisation, assessment_round=round, team=team, enablers=enablers
    )
    shown = (
        rows.select_related(None)
        .only("organisation_id", "key", "name", "owner_team_id")
        .annotate(
            owner_key=F("owner_team__key"),
            owner_name=F("owner_team__name"),
            assessment_id=F("team_assessment__id"),
            assessment_fit=F("team_assessment__fit"),
            assessment_pace=F("team_assessment__pace"),
            assessment_preferred=F("team_assessment__preferred"),
            assessment_comment=F("team_assessment__comment"),
        )
    )
    return _todo_paginator(shown).counted()[:TODO_PAGE_SIZE]


def _todo_paginator(rows: QuerySet[Enabler], per_page: int = TODO_PAGE_SIZE) -> CountingPaginator:
    """Pages of to-do rows, each read with the list's length and how many of it the team
    has assessed (``totals["assessed"]``)."""
    return CountingPaginator(rows, per_page, totals={"assessed": Count("team_assessment")})


# Each team's to-do list opens on its first page: compiled once (catalogue.compiled).
_todo_first_page = CompiledQuery(Enabler, _todo_first_page_query, ("organisation", "team", "round"))


def _first_todo_page(
    *, organisation: Organisation, assessment_round: AssessmentRound, team: Team
) -> TodoPage:
    found = _todo_first_page(organisation=organisation.pk, team=team.pk, round=assessment_round.pk)
    rows = []
    for enabler in found:
        values: Any = enabler  # the annotations of the compiled query
        enabler.organisation = organisation
        enabler.owner_team = (
            Team(
                pk=enabler.owner_team_id,
                organisation=organisation,
                key=values.owner_key,
                name=values.owner_name,
            )
            if enabler.owner_team_id is not None
            else None
        )
        assessment = (
            Assessment(
                pk=values.assessment_id,
                organisation=organisation,
                round=assessment_round,
                team=team,
                enabler=enabler,
                fit=values.assessment_fit,
                pace=values.assessment_pace,
                preferred=values.assessment_preferred,
                comment=values.assessment_comment,
            )
            if values.assessment_id is not None
            else None
        )
        rows.append(
            TodoRow(enabler=enabler, offerings=values.offering_names, assessment=assessment)
        )
    paginator = _todo_paginator(team_todo_enablers(organisation=organisation, team=team))
    page = paginator.first_page(found)
    return TodoPage(
        page=page, rows=rows, assessed=paginator.totals["assessed"] or 0, total=paginator.count
    )


def team_todo_page(
    *,
    organisation: Organisation,
    assessment_round: AssessmentRound,
    team: Team,
    number: Any = 1,
    per_page: int = TODO_PAGE_SIZE,
) -> TodoPage:
    """A page of the team's to-do list (``number`` as in the query string; out of range
    gives the last page). One query whatever the size: the page's enablers, each with its
    offerings and the team's assessment, and the list's length and how many of it are
    assessed. The first page, where everyone starts, through a compiled query."""
    if asks_first_page(number) and per_page == TODO_PAGE_SIZE:
        return _first_todo_page(
            organisation=organisation, assessment_round=assessment_round, team=team
        )
    enablers = team_todo_enablers(organisation=organisation, team=team).only(
        # what a row shows
        "organisation_id",
        "key",
        "name",
        "owner_team__organisation_id",
        "owner_team__key",
        "owner_team__name",
    )
    rows = _todo_rows(
        organisation=organisation, assessment_round=assessment_round, team=team, enablers=enablers
    )
    paginator = _todo_paginator(rows, per_page)
    page = paginator.get_page(number)
    return TodoPage(
        page=page,
        rows=[_todo_row(e) for e in page.object_list],
        assessed=paginator.totals["assessed"] or 0,
        total=paginator.count,
    )


def team_todo_assessed(
    *, organisation: Organisation, assessment_round: AssessmentRound, team: Team
) -> int:
    """How many rows of the team's list have the team's assessment in the round (one query)."""
    return (
        Assessment.objects.for_org(organisation)
        .filter(
            round=assessment_round,
            team=team,
            enabler__in=team_todo_enablers(organisation=organisation, team=team).values("pk"),
        )
        .count()
    )


def team_todo_row(
    *, organisation: Organisation, assessment_round: AssessmentRound, team: Team, enabler: Enabler
) -> TodoRow | None:
    """The row of ``enabler`` on the team's list, or None when it is not on it."""
    found = _todo_rows(
        organisation=organisation,
        assessment_round=assessment_round,
        team=team,
        enablers=team_todo_enablers(organisation=organisation, team=team).filter(pk=enabler.pk),
    ).first()
    return None if found is None else _todo_row(found)


def team_todo_page_of(
    *, organisation: Organisation, team: Team, enabler: Enabler, per_page: int = TODO_PAGE_SIZE
) -> int:
    """The page of the team's list that shows ``enabler`` (1 when it is not on the list)."""
    before = (
        team_todo_enablers(organisation=organisation, team=team)
        .filter(Q(name__lt=enabler.name) | Q(name=enabler.name, pk__lt=enabler.pk))
        .count()
    )
    return before // per_page + 1


# --- bottleneck flags ------------------------------------------------------------------------


def enabler_text_filter(label: str = "Enabler") -> django_filters.CharFilter:
    """Filter by an enabler typed as its key or name: a text box, not a list of every
    enabler (thousands in a large organisation). Old links send the key, which still works."""
    return django_filters.CharFilter(
        label=label,
        method="by_enabler",
        max_length=200,
        help_text="An enabler's key or name, or part of it.",
    )


def enablers_named(*, organisation: Organisation, text: str) -> QuerySet[Enabler] | Enabler:
    """The enabler whose key or name is exactly ``text`` (one query), else every enabler
    whose key or name contains it, as a subquery: links name one enabler exactly, and a
    typed word still finds something."""
    text = text.strip()
    enablers = Enabler.objects.for_org(organisation)
    exact = enablers.filter(Q(key=text) | Q(name__iexact=text)).first()
    if exact is not None:
        return exact
    return enablers.filter(Q(key__icontains=text) | Q(name__icontains=text))


def _suggest_enablers(form: forms.Form, organisation: Organisation) -> None:
    """The enabler box suggests names as one types (htmx), like the catalogue's forms."""
    form.fields["enabler"].widget = PickInput(
        suggest_url=suggest_url(organisation, "enabler"),
        attrs={"class": "form-control", "placeholder": "Key or name", "maxlength": 200},
    )


def _filter_by_enabler(
    queryset: QuerySet, organisation: Organisation, field: str, value: str
) -> QuerySet:
    if not value.strip():
        return queryset
    found = enablers_named(organisation=organisation, text=value)
    if isinstance(found, Enabler):
        return queryset.filter(**{field: found})
    return queryset.filter(**{f"{field}__in": found.values("pk")})


class FlagFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices, empty_label="Any status")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    team = ListedFilter(
        queryset=Team.objects.none(),
        label="Raised by team",
        empty_label="Any team",
        to_field_name="key",
    )
    enabler = enabler_text_filter()
    area = ListedFilter(
        queryset=BusinessArea.objects.none(),
        label="Business area",
        method="in_area",
        empty_label="Any area",
        to_field_name="key",
        help_text="Flags raised by a team, or on an offering, in this area.",
    )
    # Set by links from catalogue pages, not shown in the form: the flags on the enablers a
    # team owns (?owner=<team>), and those raised on one offering (?offering=<key>).
    owner = ListedFilter(
        queryset=Team.objects.none(),
        field_name="enabler__owner_team",
        to_field_name="key",
        widget=forms.HiddenInput,
    )
    offering = django_filters.ModelChoiceFilter(
        queryset=Offering.objects.none(), to_field_name="key", widget=forms.HiddenInput
    )

    class Meta:
        model = BottleneckFlag
        fields = ["status", "severity", "team", "enabler", "area", "owner", "offering"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        listed_filters(self, organisation, team=Team, area=BusinessArea, owner=Team)
        self.filters["offering"].queryset = Offering.objects.for_org(organisation)
        for field in self.form.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs["class"] = "form-select"
        quick_selects(self.form)
        _suggest_enablers(self.form, organisation)

    def narrowed_to(self, name: str) -> Any:
        """The team (``owner``) or offering a hidden filter narrows the list to, if valid."""
        if not self.is_bound or not self.form.is_valid():
            return None
        return self.form.cleaned_data.get(name)

    def in_area(self, queryset: QuerySet, name: str, value: BusinessArea) -> QuerySet:
        return queryset.filter(Q(team__business_area=value) | Q(offering__business_area=value))

    def by_enabler(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _filter_by_enabler(queryset, self.organisation, "enabler", value)


SEVERITY_RANK = {"blocking": 0, "high": 1, "medium": 2, "low": 3}


def flags_for_list(*, organisation: Organisation, data: Any = None) -> tuple[FlagFilter, QuerySet]:
    """Flags of the organisation filtered by ``data`` (the query string), newest first."""
    base = (
        BottleneckFlag.objects.for_org(organisation)
        .select_related("team", "enabler", "offering", "journey")
        .order_by("-raised_at", "-id")
    )
    flags = FlagFilter(data, queryset=base, organisation=organisation)
    return flags, flags.qs


FLAG_ROW_FIELDS = (
    "organisation_id",
    "key",
    "summary",
    "severity",
    "status",
    "raised_at",
    "resolved_at",
)


def flag_rows(flags: QuerySet[BottleneckFlag], *items: str) -> QuerySet[BottleneckFlag]:
    """``flags`` as a list's rows show them: their own short fields and the key and name of
    each of ``items`` (team, enabler, offering), not every column of the flag and of each."""
    named = (f"{item}__{field}" for item in items for field in ("organisation_id", "key", "name"))
    return flags.select_related(None).select_related(*items).only(*FLAG_ROW_FIELDS, *named)


def flag_counts(*, organisation: Organisation, **fixed: Any) -> dict[str, int]:
    """How many flags per status (one query)."""
    counts = dict(
        BottleneckFlag.objects.for_org(organisation)
        .filter(**fixed)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in FlagStatus.values}


def flag_timeline(*, flag: BottleneckFlag) -> list[dict[str, Any]]:
    """What happened to a flag, oldest first: raised, comments, status changes with notes,
    and edits recorded in its history."""
    events: list[dict[str, Any]] = [
        {"at": flag.raised_at, "who": flag.raised_by, "action": "raised", "body": flag.details}
    ]
    for comment in flag.comments.select_related("author"):
        events.append(
            {
                "at": comment.created_at,
                "who": comment.author,
                "action": comment.action or "commented",
                "body": comment.body,
            }
        )
    events.sort(key=lambda e: e["at"])
    return events


# --- notifications ---------------------------------------------------------------------------


@cache
def _unread_sql() -> str:
    meta = Notification._meta
    quote = connection.ops.quote_name
    organisation, recipient, read_at = (
        quote(str(meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("organisation", "recipient", "read_at")
    )
    return (
        f"SELECT COUNT(*) FROM {quote(meta.db_table)}"
        f" WHERE {organisation} = %s AND {recipient} = %s AND {read_at} IS NULL"
    )


def unread_count(*, organisation: Organisation, user: Any) -> int:
    """The person's unread notifications in the organisation. Every page's navigation shows
    it, so it is one plain statement, written once: building the same count with the ORM
    took twice as long as the database took to answer it (0.8 ms against 0.3 on the
    benchmark machine), on every page."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_sql(), [organisation.pk, user.pk])
        row = cursor.fetchone()
    return int(row[0])


def notifications_for(*, organisation: Organisation, user: Any) -> QuerySet:
    return Notification.objects.for_org(organisation).filter(recipient=user)


# --- balance reports -------------------------------------------------------------------------


def latest_ready_report(
    *, organisation: Organisation, summary_only: bool = False
) -> BalanceReport | None:
    """The ready report of the newest generation (reports older than the generation field
    have none and come last). With ``summary_only``, its whole result (megabytes for a large
    organisation) is left unread: the portfolio draws from the summary."""
    reports = BalanceReport.objects.for_org(organisation).filter(status=ReportStatus.READY)
    if summary_only:
        reports = reports.defer("result")
    return reports.order_by(F("generation").desc(nulls_last=True), "-computed_at", "-id").first()


def latest_ready_report_id(*, organisation: Organisation) -> int | None:
    """The id of :func:`latest_ready_report`, without loading its result."""
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY)
        .order_by(F("generation").desc(nulls_last=True), "-computed_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def report_in_progress(*, organisation: Organisation) -> BalanceReport | None:
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING])
        .order_by("-requested_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class ReportState:
    """Whether the latest report covers every change: ``generation`` is the organisation's,
    ``covered`` the latest ready report's (None when there is none)."""

    generation: int
    covered: int | None
    since: Any  # when the oldest change not yet covered was asked about (or None)

    @property
    def up_to_date(self) -> bool:
        return self.covered is not None and self.covered >= self.generation

    @property
    def recomputing(self) -> bool:
        return not self.up_to_date and (self.generation > 0 or self.covered is not None)


def organisation_generation(organisation: Organisation | int) -> int:
    """The organisation's generation as stored now (not as loaded with the request)."""
    pk = organisation if isinstance(organisation, int) else organisation.pk
    return Organisation.objects.values_list("generation", flat=True).get(pk=pk)


def latest_ready_generation(organisation: Organisation | int) -> int | None:
    """The generation the newest ready report covers; None when there is none."""
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY)
        .aggregate(latest=Max("generation"))["latest"]
    )


def report_state(*, organisation: Organisation) -> ReportState:
    """Up to date or recomputing, from the database (two queries, three while waiting)."""
    generation = organisation_generation(organisation)
    latest = latest_ready_generation(organisation)
    waiting = report_in_progress(organisation=organisation) if latest != generation else None
    return ReportState(
        generation=generation,
        covered=latest,
        since=waiting.requested_at if waiting else None,
    )


def report_history(*, organisation: Organisation, limit: int = 12) -> list[BalanceReport]:
    return list(
        BalanceReport.objects.for_org(organisation)
        .defer("result", "shapes")  # the list needs the headline only
        .order_by("-requested_at", "-id")[:limit]
    )


# --- the portfolio: stored reports, their trend, comparisons and what-ifs ---------------------

HEADLINE = (
    "id",
    "organisation_id",
    "status",
    "requested_at",
    "computed_at",
    "reason",
    "generation",
    "balance_score",
    "open_flags",
    "model_in_force",
    "inferred_model",
)


def ready_reports(*, organisation: Organisation) -> QuerySet[BalanceReport]:
    """The organisation's ready reports, newest first, headline columns only (a report's
    whole result can be megabytes; lists never need it)."""
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY)
        .only(*HEADLINE)
        .order_by("-computed_at", "-id")
    )


@dataclass(frozen=True)
class TrendPoint:
    """One day on the trend: the last report computed that day."""

    day: Any  # a date
    report_id: int
    score: int | None
    open_flags: int


TREND_DAYS = 30
TREND_SCAN = 5000  # reports looked at for the trend: far more than 30 busy days produce


def report_trend(
    *, organisation: Organisation, upto: BalanceReport, days: int = TREND_DAYS
) -> list[TrendPoint]:
    """The balance score and open flags over the last ``days`` days that had a report, up
    to and including ``upto``, oldest first: one query over a few small columns."""
    if upto.computed_at is None:
        return []  # never computed: nothing to draw a trend to
    rows = (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY, computed_at__lte=upto.computed_at)
        .order_by("-computed_at", "-id")
        .values_list("id", "computed_at", "balance_score", "open_flags")[:TREND_SCAN]
    )
    points: dict[Any, TrendPoint] = {}
    for report_id, computed_at, score, open_flags in rows:
        day = timezone.localdate(computed_at)
        if day in points:
            continue  # newest first: the first seen is the day's last report
        if len(points) == days:
            break
        points[day] = TrendPoint(day, report_id, score, open_flags or 0)
    return sorted(points.values(), key=lambda p: p.day)


def ready_report_result(*, organisation: Organisation) -> dict[str, Any] | None:
    """The latest ready report's result when it covers the organisation as it is now."""
    generation = organisation_generation(organisation)
    row = (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY, generation=generation)
        .values_list("result", flat=True)
        .first()
    )
    return row


@dataclass(frozen=True)
class WhatIf:
    """The report as it is now and as it would be with some classifications changed."""

    current: dict[str, Any]
    proposed: dict[str, Any]
    changes: tuple[tuple[str, str, str, str], ...]  # (key, name, from, to)


def live_enabler_choices(*, organisation: Organisation) -> list[tuple[str, str, str]]:
    """(key, name, classification) of the organisation's live enablers, by name."""
    return [
        (key, name, classification)
        for key, name, classification in Enabler.objects.for_org(organisation)
        .filter(lifecycle__in=LIVE)
        .order_by("name", "key")
        .values_list("key", "name", "classification")
    ]


def report_what_if(*, organisation: Organisation, changes: dict[str, str]) -> WhatIf:
    """The report the organisation would get if the enablers in ``changes`` (key → new
    classification) were classified so; nothing is stored or changed.

    The current report is the stored one when it covers every change, else computed from the
    same snapshot, so the two sides differ only by the classifications asked about.
    """
    thresholds = Thresholds.with_overrides(organisation.balance_settings or {})
    snapshot = load_balance_input(organisation)
    current = ready_report_result(organisation=organisation)
    if current is None:
        current = report_to_dict(compute(snapshot, thresholds))
    enablers = {e.key: e for e in snapshot.enablers}
    what_if = replace(
        snapshot,
        enablers=tuple(
            replace(e, classification=changes[e.key]) if e.key in changes else e
            for e in snapshot.enablers
        ),
    )
    proposed = report_to_dict(compute(what_if, thresholds))
    return WhatIf(
        current=current,
        proposed=proposed,
        changes=tuple(
            (key, enablers[key].name, enablers[key].classification, to)
            for key, to in sorted(changes.items())
            if key in enablers
        ),
    )


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def enabler_rows(result: dict[str, Any], *, order: str = "pressure") -> list[dict[str, Any]]:
    """The per-enabler table of a stored report as rows, most pressured first by default."""
    rows = [{"key": key, **values} for key, values in result.get("enablers", {}).items()]
    if order == "name":
        rows.sort(key=lambda r: (str(r.get("name", r["key"])).lower(), r["key"]))
    elif order == "reach":
        rows.sort(key=lambda r: (-r["reach"], r["key"]))
    else:
        rows.sort(key=lambda r: (-r["pressure"], -r["flagging_teams"], r["key"]))
    return rows


# --- flags (pages and catalogue panels) -------------------------------------------------------

COUNTING = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)


PANEL_ROWS = 10  # the rows of a flag or decision panel on a catalogue page


def _panel_query(fixed: tuple[str, ...], shown: str) -> CompiledQuery[BottleneckFlag]:
    """The panel's flags that count, filtered by the ``fixed`` fields (ids), newest first:
    one row more than the panel shows, with the name of the side it names (``shown_name``)."""

    def build(*, organisation: int, **ids: int) -> QuerySet:
        return (
            BottleneckFlag.objects.for_org(organisation)
            .filter(status__in=COUNTING, **{f"{name}_id": ids[name] for name in fixed})
            .only(*FLAG_ROW_FIELDS)
            .annotate(shown_name=F(f"{shown}__name"))
            .order_by("-raised_at", "-id")[: PANEL_ROWS + 1]
        )

    return CompiledQuery(BottleneckFlag, build, ("organisation", *fixed))


# The flag panels of enabler, offering and team pages (assessments.panels), compiled once
# per process (catalogue.compiled): a fixed side and the side each row names.
_PANEL_QUERIES: dict[tuple[tuple[str, ...], str], CompiledQuery[BottleneckFlag]] = {
    (fixed, shown): _panel_query(fixed, shown)
    for fixed, shown in (
        (("enabler",), "team"),
        (("offering",), "enabler"),
        (("team",), "enabler"),
        (("enabler__owner_team",), "team"),
    )
}


def flags_for_panel(
    *, organisation: Organisation, shown: str, **fixed: Model
) -> tuple[list[BottleneckFlag], bool]:
    """Up to PANEL_ROWS flags that count (open or acknowledged) on ``fixed`` (one of the
    enabler, the offering, the team that raised them, or ``enabler__owner_team``), newest
    first, and whether there are more; each with the name of the ``shown`` side ("team":
    who raised it, "enabler": what it is on) as ``shown_name``. One query."""
    names = tuple(sorted(fixed))
    query = _PANEL_QUERIES[(names, shown)]
    rows = query(organisation=organisation.pk, **{name: fixed[name].pk for name in names})
    for row in rows:
        row.organisation = organisation  # as for_org() gives it
    return rows[:PANEL_ROWS], len(rows) > PANEL_ROWS


FLAG_HISTORY_FIELDS = ("status", "severity", "summary", "details")


def flag_history(*, flag: BottleneckFlag, limit: int = 30) -> list[dict[str, Any]]:
    """Each saved change of the flag, newest first: who, when, and what changed (status,
    severity, summary, details). One query."""
    records = list(
        flag.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    labels = {
        "status": dict(FlagStatus.choices),
        "severity": dict(Severity.choices),
    }
    entries: list[dict[str, Any]] = []
    for record, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes = []
        if older is not None:
            delta = record.diff_against(older, included_fields=list(FLAG_HISTORY_FIELDS))
            for change in delta.changes:
                names = labels.get(change.field, {})
                changes.append(
                    {
                        "field": change.field,
                        "old": names.get(change.old, change.old) or "—",
                        "new": names.get(change.new, change.new) or "—",
                    }
                )
        entries.append(
            {
                "record": record,
                "created": record.history_type == "+",
                "changes": changes,
            }
        )
    return entries


# --- notifications (the list page) -----------------------------------------------------------


def notifications_for_list(
    *, organisation: Organisation, user: Any, unread_only: bool = False
) -> QuerySet:
    """The person's notifications in the organisation, newest first (optionally unread only)."""
    notes = notifications_for(organisation=organisation, user=user)
    if unread_only:
        notes = notes.filter(read_at=None)
    return notes.order_by("-created_at", "-id")


# --- rounds ----------------------------------------------------------------------------------


def round_teams(*, organisation: Organisation) -> list[Team]:
    """The teams a round asks something of (those with a live enabler in use), by name.
    Two queries."""
    team_ids = {team_id for team_id, _ in round_pairs(organisation=organisation)}
    return list(Team.objects.for_org(organisation).filter(pk__in=team_ids).order_by("name"))


def member_teams(*, organisation: Organisation, team_ids: set[int]) -> list[Team]:
    """The member's own teams (``catalogue.permissions.team_ids``), by name."""
    if not team_ids:
        return []
    return list(Team.objects.for_org(organisation).filter(pk__in=team_ids).order_by("name"))


# --- the decision register -------------------------------------------------------------------


class DecisionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", help_text="Words in the title, context or decision."
    )
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices, empty_label="Any status")
    area = ListedFilter(
        queryset=BusinessArea.objects.none(),
        label="Business area",
        method="in_area",
        empty_label="Any area",
        to_field_name="key",
        help_text="Decisions on enablers used by an offering in this area.",
    )
    enabler = enabler_text_filter()
    review_due = django_filters.BooleanFilter(
        method="due_for_review",
        label="Due for review",
        widget=forms.CheckboxInput,
        help_text="Accepted decisions whose review date has come.",
    )

    class Meta:
        model = Decision
        fields = ["q", "status", "area", "enabler", "review_due"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        listed_filters(self, organisation, area=BusinessArea)
        for name, field in self.form.fields.items():
            if name == "review_due":
                field.widget.attrs["class"] = "form-check-input"
            elif name == "q":
                field.widget.attrs.update({"class": "form-control", "type": "search"})
            else:
                field.widget.attrs["class"] = "form-select"
        quick_selects(self.form)
        _suggest_enablers(self.form, organisation)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(context__icontains=value) | Q(decision__icontains=value)
        )

    def in_area(self, queryset: QuerySet, name: str, value: BusinessArea) -> QuerySet:
        used = EnablerUsage.objects.for_org(value.organisation).filter(
            offering__business_area=value
        )
        return queryset.filter(
            pk__in=Decision.enablers.through.objects.filter(
                enabler_id__in=used.values("enabler_id")
            ).values("decision_id")
        )

    def by_enabler(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # ``enablers`` is many-to-many: the decisions that name a matching enabler, once each.
        matching = _filter_by_enabler(
            Decision.objects.for_org(self.organisation), self.organisation, "enablers", value
        )
        return queryset.filter(pk__in=matching.values("pk"))

    def due_for_review(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(status=DecisionStatus.ACCEPTED, review_on__lte=timezone.localdate())


def decisions_for_list(
    *, organisation: Organisation, data: Any = None
) -> tuple[DecisionFilter, QuerySet]:
    """Decisions of the organisation filtered by ``data`` (the query string), newest first."""
    base = Decision.objects.for_org(organisation).prefetch_related("enablers").order_by("-number")
    decisions = DecisionFilter(data, queryset=base, organisation=organisation)
    return decisions, decisions.qs


CHAIN_LIMIT = 20


def decision_chain(*, decision: Decision) -> tuple[list[Decision], list[Decision]]:
    """The decisions this one supersedes, newest first (walking ``supersedes`` back), and
    those that supersede it and their successors, in number order (walking forward). At
    most ``CHAIN_LIMIT`` each way; a loop made by editing stops where it repeats."""
    decisions = Decision.objects.for_org(decision.organisation)
    seen = {decision.pk}
    older: list[Decision] = []
    pk = decision.supersedes_id
    while pk is not None and pk not in seen and len(older) < CHAIN_LIMIT:
        found = decisions.filter(pk=pk).first()
        if found is None:
            break
        older.append(found)
        seen.add(found.pk)
        pk = found.supersedes_id
    newer: list[Decision] = []
    frontier = [decision.pk]
    while frontier and len(newer) < CHAIN_LIMIT:
        step = [
            d
            for d in decisions.filter(supersedes_id__in=frontier)
            .select_related("supersedes")
            .order_by("number")
            if d.pk not in seen
        ]
        step = step[: CHAIN_LIMIT - len(newer)]
        newer.extend(step)
        seen.update(d.pk for d in step)
        frontier = [d.pk for d in step]
    return older, newer


def decision_timeline(*, organisation: Organisation) -> list[tuple[Any, list[Decision]]]:
    """Every decision in date order (decided on, else proposed on), grouped by month: a list
    of (first day of the month, decisions). Two queries."""
    decisions = list(
        Decision.objects.for_org(organisation)
        .select_related("supersedes")
        .prefetch_related("superseded_by")
    )
    for d in decisions:
        d.on = d.decided_on or timezone.localdate(d.created_at)  # type: ignore[attr-defined]
    decisions.sort(key=lambda d: (d.on, d.number))  # type: ignore[attr-defined]
    months: list[tuple[Any, list[Decision]]] = []
    for d in decisions:
        month = d.on.replace(day=1)  # type: ignore[attr-defined]
        if not months or months[-1][0] != month:
            months.append((month, []))
        months[-1][1].append(d)
    return months


def decision_history(*, decision: Decision, limit: int = 30) -> list[Any]:
    """Saved versions of the decision, newest first: who, when and its status then, with
    ``status_changed`` set where the status differs from the version before. One query."""
    history = decision.history.select_related("history_user")
    records = list(history.order_by("-history_date", "-history_id")[: limit + 1])
    for record, older in zip(records, [*records[1:], None], strict=False):
        record.status_changed = older is not None and older.status != record.status
    return records[:limit]


def _decisions_for_enabler_query(*, organisation: int, enabler: int) -> QuerySet:
    changes = DecisionChange.objects.for_org(organisation).filter(
        decision=OuterRef("pk"), enabler_id=enabler
    )
    return (
        Decision.objects.for_org(organisation)
        .filter(enablers=enabler)
        .only("organisation_id", "key", "number", "title", "status", "merge_into_id")
        .annotate(
            merge_into_name=F("merge_into__name"),
            change_from=Subquery(changes.values("from_classification")[:1]),
            change_to=Subquery(changes.values("to_classification")[:1]),
            merged_away=Exists(
                Decision.merge_from.through.objects.filter(
                    decision_id=OuterRef("pk"), enabler_id=enabler
                )
            ),
        )
        .order_by("-number")[: PANEL_ROWS + 1]
    )


# On every enabler's page: compiled once per process (see catalogue.compiled).
_decisions_for_enabler = CompiledQuery(
    Decision, _decisions_for_enabler_query, ("organisation", "enabler")
)


def decisions_for_enabler(*, enabler: Enabler) -> tuple[list[Decision], bool]:
    """Up to PANEL_ROWS decisions affecting the enabler, newest first, each with
    its change for this enabler (``change_from``, ``change_to``), whether it merges the
    enabler away (``merged_away``) and the name of the enabler it merges into
    (``merge_into_name``); and whether there are more. One query."""
    organisation = enabler.organisation
    rows = _decisions_for_enabler(organisation=organisation.pk, enabler=enabler.pk)
    for row in rows:
        row.organisation = organisation  # as for_org() gives it
    return rows[:PANEL_ROWS], len(rows) > PANEL_ROWS


def acting_teams(membership: Membership) -> QuerySet[Team]:
    """The teams the person may raise flags for: every team for leadership, else their own."""
    teams = Team.objects.for_org(membership.organisation).order_by("name")
    if can(membership, "structure.edit"):  # leadership and admins act for any team
        return teams
    return teams.filter(pk__in=member_team_ids(membership))
