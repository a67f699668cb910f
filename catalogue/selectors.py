"""Reads of the catalogue, always starting from the organisation in scope."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Upper

from .compiled import CompiledQuery
from .expressions import ValuesOf
from .forms import ItemLists, ListedChoiceField, quick_selects
from .models import (
    BusinessArea,
    ChangeRecord,
    Classification,
    Enabler,
    EnablerKind,
    EnablerUsage,
    Journey,
    JourneyStep,
    Keyed,
    Lifecycle,
    Membership,
    Offering,
    Organisation,
    Team,
    Touchpoint,
)
from .pagination import CountingPaginator, asks_first_page
from .panels import history_links


def organisation_counts(*, organisation: Organisation) -> dict[str, int]:
    """How many of each kind of item the organisation has (one query per kind, fixed)."""
    models: dict[str, type[Keyed]] = {
        "business_areas": BusinessArea,
        "teams": Team,
        "offerings": Offering,
        "touchpoints": Touchpoint,
        "journeys": Journey,
        "enablers": Enabler,
    }
    return {name: m.objects.for_org(organisation).count() for name, m in models.items()}  # type: ignore[attr-defined]


def recent_changes(*, organisation: Organisation, limit: int = 12) -> list[ChangeRecord]:
    return list(
        ChangeRecord.objects.for_org(organisation)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


class ListedFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter whose list is read with the form's other lists (``listed_filters``)."""

    field_class = ListedChoiceField


def listed_filters(
    filterset: django_filters.FilterSet, organisation: Organisation, **models: type[Keyed]
) -> None:
    """Give the filter set's ListedFilters (filter name: model) the organisation's items to
    choose from, every list read in one query, once, when the form is first shown or read."""
    lists = ItemLists(organisation, *dict.fromkeys(models.values()))
    for name, model in models.items():
        listed_filter = filterset.filters[name]
        # The queryset names the model and the scope; the items are what is read.
        listed_filter.queryset = model.objects.for_org(organisation)  # type: ignore[attr-defined]
        listed_filter.extra["items"] = partial(lists.of, model)


class EnablerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    kind = django_filters.ChoiceFilter(choices=EnablerKind.choices, empty_label="Any kind")
    classification = django_filters.ChoiceFilter(
        choices=Classification.choices, empty_label="Any classification"
    )
    lifecycle = django_filters.ChoiceFilter(choices=Lifecycle.choices, empty_label="Any lifecycle")
    owner_team = ListedFilter(
        queryset=Team.objects.none(),
        label="Owning team",
        empty_label="Any team",
        to_field_name="key",
    )
    area = ListedFilter(
        queryset=BusinessArea.objects.none(),
        label="Business area",
        method="used_in_area",
        empty_label="Any area",
        to_field_name="key",
        help_text="Enablers used by an offering in this area.",
    )

    class Meta:
        model = Enabler
        fields = ["q", "kind", "classification", "lifecycle", "owner_team", "area"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        listed_filters(self, organisation, owner_team=Team, area=BusinessArea)
        self.form.fields["q"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, capability, tag or description",
                "class": "form-control",
                "maxlength": 200,
            }
        )
        for name, field in self.form.fields.items():
            if name != "q":
                field.widget.attrs["class"] = "form-select"
        quick_selects(self.form)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:200]
        if not value:
            return queryset
        # Name, key, capability, description or tags (Enabler.search_text), the text
        # upper-cased by the database as the column was.
        return queryset.filter(search_text__contains=Upper(Value(value)))

    def used_in_area(self, queryset: QuerySet, name: str, value: BusinessArea) -> QuerySet:
        if not value:
            return queryset
        used = (
            EnablerUsage.objects.for_org(value.organisation_id)
            .filter(offering__business_area=value)
            .values("enabler_id")
        )
        return queryset.filter(pk__in=used)


def enablers_for_list(*, organisation: Organisation) -> QuerySet[Enabler]:
    """Enablers by name with how many offerings use each. The count is a subquery, not a
    join and GROUP BY: the database counts for the page's rows only, and can read the
    enablers in name order from the (organisation, name) index and stop after a page."""
    # By enabler only: the enabler is the organisation's, and so are its usages. A condition
    # on the organisation as well leads SQLite to read every usage of it for each row.
    usages = (
        EnablerUsage.objects.filter(enabler=OuterRef("pk"))
        .order_by()
        .values("enabler")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Enabler.objects.for_org(organisation)
        .select_related("owner_team")
        .annotate(usage_count=Coalesce(Subquery(usages), 0))
        .order_by("name")
    )


def enabler_rows(enablers: QuerySet[Enabler]) -> QuerySet[Enabler]:
    """The list's rows: what a row shows of each enabler and its owning team, not every
    column (the description, the search text)."""
    return enablers.only(
        "organisation_id",
        "key",
        "name",
        "kind",
        "capability",
        "classification",
        "lifecycle",
        "owner_team__organisation_id",
        "owner_team__key",
        "owner_team__name",
    )


def _usages_of(*, organisation: int, enabler: int) -> QuerySet[EnablerUsage]:
    """The enabler's usages, by offering name."""
    return (
        EnablerUsage.objects.for_org(organisation)
        # The offerings are the organisation's anyway; saying so lets PostgreSQL join only
        # them (by index) rather than every organisation's.
        .filter(enabler_id=enabler, offering__organisation_id=organisation)
        .order_by("offering__name", "pk")
    )


def enabler_usages(*, enabler: Enabler) -> QuerySet[EnablerUsage]:
    """The offerings that use the enabler, by name; not evaluated, so the page can take a
    page of them (a common platform is used by hundreds)."""
    return (
        _usages_of(organisation=enabler.organisation_id, enabler=enabler.pk)
        .select_related("offering", "offering__business_area")
        .only(  # what a row shows, and the offering's team (who may remove it)
            "organisation_id",
            "criticality",
            "offering__organisation_id",
            "offering__key",
            "offering__name",
            "offering__team_id",
            "offering__business_area__name",
        )
    )


USAGES_PER_PAGE = 25


def _usage_page_query(*, organisation: int, enabler: int) -> QuerySet[EnablerUsage]:
    """The first page of ``enabler_usages`` as a counted page, each row's offering as
    values (the compiled query below follows no relation)."""
    usages = (
        _usages_of(organisation=organisation, enabler=enabler)
        .only("organisation_id", "enabler_id", "offering_id", "criticality")
        .annotate(
            offering_key=F("offering__key"),
            offering_name=F("offering__name"),
            offering_team_id=F("offering__team_id"),
            area_id=F("offering__business_area_id"),
            area_name=F("offering__business_area__name"),
        )
    )
    return CountingPaginator(usages, USAGES_PER_PAGE).counted()[:USAGES_PER_PAGE]


# Every enabler's page opens on its first page of usages: compiled once (catalogue.compiled).
_first_usage_page = CompiledQuery(EnablerUsage, _usage_page_query, ("organisation", "enabler"))


def enabler_usage_page(*, enabler: Enabler, number: Any) -> Page:
    """The page ``number`` (as in the query string) of the offerings using the enabler, by
    name, each usage with its ``offering`` (key, name, team, business area and its name).
    One query; the first page, the one most people see, through a compiled query."""
    paginator = CountingPaginator(enabler_usages(enabler=enabler), USAGES_PER_PAGE)
    if not asks_first_page(number):
        return paginator.get_page(number)
    organisation = enabler.organisation_id
    rows = _first_usage_page(organisation=organisation, enabler=enabler.pk)
    for usage in rows:
        values: Any = usage  # the annotations of the compiled query
        area = (
            BusinessArea(pk=values.area_id, organisation_id=organisation, name=values.area_name)
            if values.area_id is not None
            else None
        )
        usage.offering = Offering(
            pk=usage.offering_id,
            organisation_id=organisation,
            key=values.offering_key,
            name=values.offering_name,
            team_id=values.offering_team_id,
            business_area=area,
        )
    return paginator.first_page(rows)


SUGGESTIBLE: dict[str, type[Keyed]] = {"offering": Offering, "enabler": Enabler}


def suggestions(
    *,
    organisation: Organisation,
    kind: str,
    text: str,
    team_ids: set[int] | None = None,
    limit: int = 20,
) -> list[Keyed]:
    """Items of ``kind`` whose name or key contains ``text``, names that start with it first
    (one query). ``team_ids`` keeps to the offerings of those teams."""
    text = text.strip()[:200]
    if not text:
        return []
    model = SUGGESTIBLE[kind]
    items = model.objects.for_org(organisation).filter(  # type: ignore[attr-defined]
        Q(name__icontains=text) | Q(key__icontains=text)
    )
    if team_ids is not None:
        items = items.filter(team_id__in=team_ids)
    found = list(items.order_by("name").only("pk", "key", "name")[: limit * 5])
    found.sort(key=lambda i: (not i.name.lower().startswith(text.lower()), i.name.lower()))
    return found[:limit]


def offering_usages(*, offering: Offering) -> list[EnablerUsage]:
    return list(
        EnablerUsage.objects.for_org(offering.organisation_id)
        .filter(offering=offering)
        .select_related("enabler", "enabler__owner_team")
        .order_by("enabler__name")
    )


HISTORY_ROWS = 30


def _history_query(*, organisation: int, enabler: int) -> QuerySet:
    """The enabler's saved versions, newest first, one more than the page shows, each with
    the name of the person who saved it (``username``; None for the system)."""
    records = Enabler.history.model.objects  # type: ignore[attr-defined]
    return (
        records.filter(id=enabler, organisation_id=organisation)
        .annotate(username=F("history_user__username"))
        .order_by("-history_date", "-history_id")[: HISTORY_ROWS + 1]
    )


# On every enabler's page, and after each change in place: compiled once (catalogue.compiled).
_history = CompiledQuery(Enabler.history.model, _history_query, ("organisation", "enabler"))  # type: ignore[attr-defined]


def enabler_history(*, enabler: Enabler) -> list[dict[str, Any]]:
    """Each saved change of the enabler, newest first (HISTORY_ROWS at most): who
    (``username``), when, and what changed."""
    limit = HISTORY_ROWS
    records = _history(organisation=enabler.organisation_id, enabler=enabler.pk)
    teams = {
        t.pk: t.name
        for t in Team.objects.for_org(enabler.organisation_id).filter(
            pk__in={r.owner_team_id for r in records if r.owner_team_id}
        )
    }
    entries: list[dict[str, Any]] = []
    for record, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes = []
        if older is not None:
            delta = record.diff_against(older, foreign_keys_are_objs=False)
            for change in delta.changes:
                if change.field == "version":
                    continue
                old, new = change.old, change.new
                if change.field == "owner_team":
                    old, new = teams.get(old, "none"), teams.get(new, "none")
                label = str(
                    getattr(Enabler._meta.get_field(change.field), "verbose_name", change.field)
                )
                changes.append({"field": label, "old": _show(old), "new": _show(new)})
        entries.append(
            {
                "record": record,
                "created": record.history_type == "+",
                "changes": changes,
                "reason": record.history_change_reason or "",
            }
        )
    links = history_links(enabler.organisation, {e["reason"] for e in entries if e["reason"]})
    for entry in entries:
        entry["reason_url"] = links.get(entry["reason"], "")
    return entries


def _show(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@dataclass
class Reference:
    label: str
    items: list[Any]


def references_to(*, item: Keyed) -> list[Reference]:
    """What still refers to an item, so it cannot be deleted until that is changed."""
    org = item.organisation_id
    refs: list[Reference] = []

    def add(label: str, qs: QuerySet) -> None:
        found = list(qs[:20])
        if found:
            refs.append(Reference(label, found))

    if isinstance(item, BusinessArea):
        add("Teams in this area", Team.objects.for_org(org).filter(business_area=item))
        add("Offerings in this area", Offering.objects.for_org(org).filter(business_area=item))
    elif isinstance(item, Team):
        add("Enablers it owns", Enabler.objects.for_org(org).filter(owner_team=item))
        add("Offerings it owns", Offering.objects.for_org(org).filter(team=item))
    elif isinstance(item, Offering):
        add(
            "Journeys with a step on this offering",
            Journey.objects.for_org(org).filter(steps__offering=item).distinct(),
        )
        add("Enablers it uses", Enabler.objects.for_org(org).filter(usages__offering=item))
    elif isinstance(item, Touchpoint):
        add(
            "Journeys that pass it",
            Journey.objects.for_org(org).filter(steps__touchpoints=item).distinct(),
        )
    elif isinstance(item, Enabler):
        add("Offerings that use it", Offering.objects.for_org(org).filter(usages__enabler=item))
    # Records of other apps (flags, assessments, decisions) that point at the item: found
    # through Django's relations, since the catalogue does not import those apps.
    for relation in item._meta.related_objects:
        related: Any = relation.related_model
        if related._meta.app_label == "catalogue" or not relation.field.concrete:
            continue
        rows = related.objects.for_org(org).filter(**{relation.field.name: item})  # type: ignore[attr-defined]
        add(str(related._meta.verbose_name_plural).capitalize() + " that refer to it", rows)
    return refs


def journey_steps(*, journey: Journey) -> list[JourneyStep]:
    """The journey's steps in order, each with its offering and the names of its
    touchpoints (``touchpoint_names``, by name), in one query."""
    organisation = journey.organisation_id
    return list(
        JourneyStep.objects.for_org(organisation)
        .filter(journey=journey)
        .select_related("offering")
        .annotate(
            touchpoint_names=ValuesOf(
                Touchpoint.objects.for_org(organisation)
                .filter(journey_steps=OuterRef("pk"))
                .order_by("name", "pk")
                .values_list("name")
            )
        )
        .order_by("position")
    )


def members_of(*, organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.for_org(organisation)
        .select_related("user")
        .prefetch_related("team_memberships__team")
        .order_by("user__username")
    )


def team_members(*, team: Team) -> list[Membership]:
    return list(
        Membership.objects.for_org(team.organisation_id)
        .filter(team_memberships__team=team)
        .select_related("user")
        .order_by("user__username")
    )
