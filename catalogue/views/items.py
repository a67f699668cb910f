"""Lists, forms and deletion shared by areas, teams, offerings, touchpoints and journeys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .. import selectors, services
from ..access import get_keyed_for_user, require
from ..forms import (
    BusinessAreaForm,
    EnablerForm,
    JourneyForm,
    KeyedForm,
    OfferingForm,
    TeamForm,
    TouchpointForm,
)
from ..models import BusinessArea, Enabler, Journey, Keyed, Offering, Team, Touchpoint
from ..permissions import can
from .base import form_data, org_crumbs, org_view, paginate, render_page


@dataclass(frozen=True)
class Kind:
    """One kind of catalogue item, as the generic views see it."""

    model: type[Keyed]
    form: type[KeyedForm]
    url_name: str  # area -> catalogue:area_list, area_detail, ...
    plural: str
    intro: str
    empty: str
    edit_perm: str = "structure.edit"
    columns: list[tuple[str, str]] = field(default_factory=list)  # (label, attribute)

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)

    def queryset(self, organisation: Any) -> QuerySet:
        qs = self.model.objects.for_org(organisation)  # type: ignore[attr-defined]
        if self.model is Team:
            qs = qs.select_related("business_area").annotate(member_count=Count("team_memberships"))
        elif self.model is Offering:
            qs = qs.select_related("business_area", "team")
        elif self.model is Journey:
            qs = qs.annotate(step_count=Count("steps"))
        return qs.order_by("name")


KINDS: dict[str, Kind] = {
    "area": Kind(
        BusinessArea,
        BusinessAreaForm,
        "area",
        "Business areas",
        "Optional groupings of teams and offerings, such as Food, Fashion and Home.",
        "No business areas yet. Add one if your teams and offerings fall into separate businesses.",
        columns=[("Key", "key")],
    ),
    "team": Kind(
        Team,
        TeamForm,
        "team",
        "Teams",
        "Delivery, platform, enabling and leadership teams, and who is in them.",
        "No teams yet. Add the teams that deliver offerings and own enablers.",
        columns=[
            ("Kind", "get_kind_display"),
            ("Business area", "business_area"),
            ("Members", "member_count"),
        ],
    ),
    "offering": Kind(
        Offering,
        OfferingForm,
        "offering",
        "Offerings",
        "The products and services customers meet along their journeys.",
        "No offerings yet. Add the products and services your teams deliver.",
        edit_perm="offering.edit",
        columns=[
            ("Kind", "get_kind_display"),
            ("Business area", "business_area"),
            ("Owning team", "team"),
        ],
    ),
    "touchpoint": Kind(
        Touchpoint,
        TouchpointForm,
        "touchpoint",
        "Touchpoints",
        "Shared points of interaction, such as booking, payments or the member app.",
        "No touchpoints yet. Add the points where customers interact, then name them in journey steps.",
        columns=[("Key", "key")],
    ),
    "journey": Kind(
        Journey,
        JourneyForm,
        "journey",
        "Customer journeys",
        "The paths customers take through your offerings, step by step.",
        "No journeys yet. Add one, then add its steps in order.",
        columns=[("Customer segment", "segment"), ("Steps", "step_count")],
    ),
    # Enablers have their own list and forms; the generic view only deletes them.
    "enabler": Kind(
        Enabler,
        EnablerForm,
        "enabler",
        "Enablers",
        "",
        "",
        edit_perm="enabler.edit",
    ),
}


def kind_crumbs(
    request: HttpRequest, kind: Kind, item: Keyed | None = None
) -> list[tuple[str, str]]:
    """Organisation, the kind's list, and the item when there is one."""
    org = request.organisation  # type: ignore[attr-defined]
    crumbs = org_crumbs(
        request, (kind.plural, reverse(f"catalogue:{kind.url_name}_list", args=[org.slug]))
    )
    if item is not None and item.pk:
        crumbs.append((item.name, item.get_absolute_url()))
    return crumbs


def item_list(request: HttpRequest, kind_name: str) -> HttpResponse:
    kind = KINDS[kind_name]
    page = paginate(request, kind.queryset(request.organisation))  # type: ignore[attr-defined]
    can_create = can(request.membership, "structure.edit")  # type: ignore[attr-defined]
    return render_page(
        request,
        "catalogue/item_list.html",
        {
            "kind": kind,
            "page": page,
            "crumbs": kind_crumbs(request, kind)[:-1] + [(kind.plural, "")],
            "can_create": can_create,
        },
        partial="rows",
    )


def item_create(request: HttpRequest, kind_name: str) -> HttpResponse:
    kind = KINDS[kind_name]
    require(request.membership, "structure.edit")  # type: ignore[attr-defined]
    return _item_form(request, kind, None)


def item_edit(request: HttpRequest, kind_name: str, key: str) -> HttpResponse:
    kind = KINDS[kind_name]
    item = get_keyed_for_user(request.membership, kind.model, key, need=kind.edit_perm)  # type: ignore[attr-defined]
    return _item_form(request, kind, item)


def _item_form(request: HttpRequest, kind: Kind, item: Keyed | None) -> HttpResponse:
    """The add or edit form of one kind; the caller has checked access."""
    membership = request.membership  # type: ignore[attr-defined]
    form = kind.form(
        form_data(request),
        instance=item,
        organisation=membership.organisation,
        membership=membership,
    )
    conflict: services.StaleItem | None = None
    differences: list[tuple[str, str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.item_save(
                item=form.save(commit=False),
                actor=request.user,
                created=item is None,
                base_version=form.cleaned_data.get("version"),
            )
        except services.StaleItem as stale:
            conflict, differences = stale, _differences(form, stale.current)
            # Show the stored values and version, keeping nothing from the stale submission.
            form = kind.form(
                instance=stale.current, organisation=membership.organisation, membership=membership
            )
        else:
            verb = "added" if item is None else "saved"
            messages.success(request, f"{kind.singular.capitalize()} “{saved.name}” {verb}.")
            return redirect(saved.get_absolute_url())
    status = 409 if conflict else (400 if form.is_bound else 200)
    return render_page(
        request,
        "catalogue/item_form.html",
        {
            "kind": kind,
            "form": form,
            "item": item,
            "conflict": conflict,
            "differences": differences,
            "crumbs": kind_crumbs(request, kind, item) + [("Add" if item is None else "Edit", "")],
            "title": f"Add {kind.singular}" if item is None else f"Edit {item.name}",
        },
        status=status,
    )


def _shown(model_field: Any, value: Any) -> str:
    """A value as the page shows it: a choice by its label, nothing as a dash."""
    if value in (None, ""):
        return "—"
    choices = dict(getattr(model_field, "flatchoices", None) or [])
    return str(choices.get(value, value))


def _differences(form: KeyedForm, current: Keyed) -> list[tuple[str, str, str]]:
    """(label, saved, yours) for each field where the stored item differs from what was sent:
    what to check before applying the change again."""
    found = []
    for name in form._meta.fields or []:
        if name not in form.cleaned_data:
            continue
        yours, saved = form.cleaned_data[name], getattr(current, name)
        if name == "key" and not yours:
            continue  # left empty: the key stays as it is
        if (yours or None) != (saved or None):
            model_field = current._meta.get_field(name)
            label = str(form.fields[name].label or model_field.verbose_name)  # type: ignore[union-attr]
            found.append((label, _shown(model_field, saved), _shown(model_field, yours)))
    return found


def item_delete(request: HttpRequest, kind_name: str, key: str) -> HttpResponse:
    kind = KINDS[kind_name]
    membership = request.membership  # type: ignore[attr-defined]
    item = get_keyed_for_user(membership, kind.model, key, need="catalogue.delete")
    references = selectors.references_to(item=item)
    if request.method == "POST" and not references:
        name = item.name
        services.item_delete(item=item, actor=request.user)
        messages.success(request, f"{kind.singular.capitalize()} “{name}” deleted.")
        return redirect(f"catalogue:{kind.url_name}_list", membership.organisation.slug)
    return render_page(
        request,
        "catalogue/item_delete.html",
        {
            "kind": kind,
            "item": item,
            "references": references,
            "crumbs": kind_crumbs(request, kind, item) + [("Delete", "")],
        },
        status=409 if request.method == "POST" else 200,
    )


def make_views(kind_name: str) -> dict[str, Any]:
    """The list, add, edit and delete views of one kind, each behind the access check."""

    def list_view(request: HttpRequest) -> HttpResponse:
        return item_list(request, kind_name)

    def create_view(request: HttpRequest) -> HttpResponse:
        return item_create(request, kind_name)

    def edit_view(request: HttpRequest, key: str) -> HttpResponse:
        return item_edit(request, kind_name, key)

    def delete_view(request: HttpRequest, key: str) -> HttpResponse:
        return item_delete(request, kind_name, key)

    return {
        "list": org_view()(list_view),
        "create": org_view()(create_view),
        "edit": org_view()(edit_view),
        "delete": org_view()(delete_view),
    }
