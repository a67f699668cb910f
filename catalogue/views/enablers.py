"""Enablers: the filtered list, the page with usages and history, forms and in-place edits."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .. import selectors, services
from ..access import get_keyed_for_user, get_object_for_user, require
from ..forms import (
    EnablerFieldForm,
    EnablerForm,
    UsageForm,
    beyond_a_list,
    find_keyed,
    pickable_offerings,
)
from ..models import Classification, Enabler, EnablerUsage, Lifecycle, Offering, keyed_url
from ..panels import panels_for
from ..permissions import can, team_ids
from .base import form_data, org_view, paginate, render_page
from .items import KINDS, kind_crumbs


def _crumbs(request: HttpRequest, enabler: Enabler | None = None) -> list[tuple[str, str]]:
    return kind_crumbs(request, KINDS["enabler"], enabler)


@org_view()
def enabler_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    filterset = selectors.EnablerFilter(
        request.GET or None,
        queryset=selectors.enablers_for_list(organisation=organisation),
        organisation=organisation,
    )
    # A search or an area looks through every enabler (or usage): count with the page.
    searched = bool(request.GET.get("q", "").strip() or request.GET.get("area"))
    page = paginate(request, selectors.enabler_rows(filterset.qs), count_with_page=searched)
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "catalogue/enabler_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "crumbs": _crumbs(request)[:-1] + [("Enablers", "")],
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "can_create": can(request.membership, "enabler.create"),  # type: ignore[attr-defined]
            "can_import": can(request.membership, "catalogue.import"),  # type: ignore[attr-defined]
        },
        partial="results",
    )


@org_view(need="enabler.create")
def enabler_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = EnablerForm(
        form_data(request), organisation=membership.organisation, membership=membership
    )
    if request.method == "POST" and form.is_valid():
        enabler = services.enabler_create(
            enabler=form.save(commit=False), actor=request.user, membership=membership
        )
        messages.success(request, f"Enabler “{enabler.name}” logged.")
        return redirect(enabler.get_absolute_url())
    return render_page(
        request,
        "catalogue/enabler_form.html",
        {
            "form": form,
            "title": "Log an enabler",
            "crumbs": _crumbs(request) + [("Log", "")],
        },
        status=400 if form.is_bound else 200,
    )


FIELD_CHOICES = {
    "classification_choices": Classification.choices,
    "lifecycle_choices": Lifecycle.choices,
}


@org_view()
def enabler_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    # Leadership picks any offering; team members pick among their own teams' offerings.
    can_use = can(membership, "structure.edit") or (
        membership.has_role("team_member") and bool(team_ids(membership))
    )
    enablers = Enabler.objects.select_related("owner_team")
    if can_use:  # whether the offerings are too many to list comes with the enabler
        enablers = enablers.annotate(
            offerings_beyond_list=beyond_a_list(
                pickable_offerings(membership.organisation, membership)
            )
        )
    enabler = get_object_for_user(membership, enablers, key=key)
    can_edit = can(membership, "enabler.edit", enabler)
    usages = selectors.enabler_usage_page(enabler=enabler, number=request.GET.get("page"))
    for usage in usages.object_list:  # rules are evaluated in memory: no query per row
        can_remove = can(membership, "usage.edit", usage.offering)
        usage.remove_url = (  # type: ignore[attr-defined]
            keyed_url("catalogue:usage_remove", enabler.organisation.slug, usage.pk)
            if can_remove
            else ""
        )
    return render_page(
        request,
        "catalogue/enabler_detail.html",
        {
            "enabler": enabler,
            "crumbs": _crumbs(request, enabler),
            "usages": usages,
            "query": "",
            "history": selectors.enabler_history(enabler=enabler),
            "can_edit": can_edit,
            "can_delete": can(membership, "catalogue.delete"),
            "panels": panels_for("enabler", request, enabler),
            "usage_form": UsageForm(
                organisation=enabler.organisation,
                membership=membership,
                pick="offering",
                listed=not enabler.offerings_beyond_list,  # type: ignore[attr-defined]
            )
            if can_use
            else None,
            **FIELD_CHOICES,
        },
    )


@org_view()
def enabler_edit(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    enabler = get_keyed_for_user(membership, Enabler, key, need="enabler.edit")
    form = EnablerForm(
        form_data(request),
        instance=enabler,
        organisation=enabler.organisation,
        membership=membership,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.fields}
        try:
            enabler = services.enabler_update(
                enabler=enabler,
                fields=fields,
                base_version=form.cleaned_data["version"],
                actor=request.user,
            )
        except services.StaleVersion as stale:
            conflict = stale
            form.add_error(
                None,
                "Someone else saved this enabler while you were editing it. "
                "Their change is kept; check it below, then apply yours again.",
            )
        else:
            messages.success(request, f"Enabler “{enabler.name}” saved.")
            return redirect(enabler.get_absolute_url())
    if conflict is not None:
        # Show the stored values and version, keeping nothing from the stale submission.
        form = EnablerForm(
            instance=conflict.current, organisation=enabler.organisation, membership=membership
        )
    status = 409 if conflict else (400 if form.is_bound else 200)
    return render_page(
        request,
        "catalogue/enabler_form.html",
        {
            "form": form,
            "title": f"Edit {enabler.name}",
            "enabler": enabler,
            "conflict": conflict,
            "crumbs": _crumbs(request, enabler) + [("Edit", "")],
        },
        status=status,
    )


@org_view()
def enabler_set_field(request: HttpRequest, key: str, field: str) -> HttpResponse:
    """Change classification or lifecycle in place (htmx), with the version check."""
    membership = request.membership  # type: ignore[attr-defined]
    enabler = get_keyed_for_user(membership, Enabler, key, need="enabler.edit")
    form = EnablerFieldForm(form_data(request), field=field)
    status, conflict, saved = 200, None, False
    if request.method == "POST" and form.is_valid():
        try:
            enabler = services.enabler_update(
                enabler=enabler,
                fields={field: form.cleaned_data["value"]},
                base_version=form.cleaned_data["version"],
                actor=request.user,
            )
            saved = True
        except services.StaleVersion as stale:
            conflict, enabler, status = stale, stale.current, 409
    elif request.method == "POST":
        status = 400
    if not request.htmx:  # type: ignore[attr-defined]
        if saved:
            messages.success(request, f"{form.fields['value'].label} saved.")
        elif conflict:
            messages.error(request, "Someone else changed this enabler first; nothing was saved.")
        elif status == 400:
            messages.error(request, "Choose one of the listed values; nothing was saved.")
        return redirect(enabler.get_absolute_url())
    # Both in-place fields and the version come back together, so the next change is
    # based on the version just saved; the history is swapped out of band.
    return render(
        request,
        "catalogue/_enabler_inplace.html",
        {
            "enabler": enabler,
            "can_edit": True,
            "saved_field": field if saved else None,
            "conflict": conflict,
            "conflict_field": field,
            "history": selectors.enabler_history(enabler=enabler),
            **FIELD_CHOICES,
        },
        status=status,
    )


@org_view()
def usage_add(request: HttpRequest, key: str) -> HttpResponse:
    """Add a usage from an enabler's page (pick the offering)."""
    membership = request.membership  # type: ignore[attr-defined]
    enabler = get_keyed_for_user(membership, Enabler, key, need="usage.add")
    if request.method != "POST":
        return redirect(enabler.get_absolute_url())
    form = UsageForm(
        request.POST, organisation=enabler.organisation, membership=membership, pick="offering"
    )
    # Named among all the organisation's offerings, so another team's is a 403, not a typo.
    offering = find_keyed(
        Offering.objects.for_org(membership.organisation), request.POST.get("offering")
    )
    if offering is not None:
        require(membership, "usage.edit", offering)  # 403 for another team's offering
    if form.is_valid():
        services.usage_add(
            enabler=enabler,
            offering=form.cleaned_data["offering"],
            criticality=form.cleaned_data["criticality"],
            actor=request.user,
        )
        messages.success(request, f"“{form.cleaned_data['offering'].name}” now uses this enabler.")
        return redirect(enabler.get_absolute_url())
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": f"Add a usage of {enabler.name}",
            "crumbs": _crumbs(request, enabler) + [("Add a usage", "")],
            "cancel_url": enabler.get_absolute_url(),
            "submit": "Add usage",
            "action": reverse("catalogue:usage_add", args=[enabler.organisation.slug, enabler.key]),
        },
        status=400,
    )


@org_view()
def offering_usage_add(request: HttpRequest, key: str) -> HttpResponse:
    """Add a usage from an offering's page (pick the enabler)."""
    membership = request.membership  # type: ignore[attr-defined]
    offering = get_keyed_for_user(membership, Offering, key, need="usage.edit")
    if request.method != "POST":
        return redirect(offering.get_absolute_url())
    form = UsageForm(
        request.POST, organisation=offering.organisation, membership=membership, pick="enabler"
    )
    if form.is_valid():
        services.usage_add(
            enabler=form.cleaned_data["enabler"],
            offering=offering,
            criticality=form.cleaned_data["criticality"],
            actor=request.user,
        )
        messages.success(
            request, f"“{offering.name}” now uses “{form.cleaned_data['enabler'].name}”."
        )
        return redirect(offering.get_absolute_url())
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": f"Add an enabler used by {offering.name}",
            "crumbs": [*kind_crumbs(request, KINDS["offering"], offering), ("Add a usage", "")],
            "cancel_url": offering.get_absolute_url(),
            "submit": "Add usage",
            "action": reverse(
                "catalogue:offering_usage_add", args=[offering.organisation.slug, offering.key]
            ),
        },
        status=400,
    )


@org_view()
def usage_remove(request: HttpRequest, usage_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    usage = get_object_for_user(
        membership, EnablerUsage.objects.select_related("enabler", "offering"), pk=usage_id
    )
    require(membership, "usage.edit", usage.offering)
    back = request.POST.get("next", "")
    # A path of this site only: redirect() would take a bare word ("1") for a view name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = usage.enabler.get_absolute_url()
    if request.method == "POST":
        services.usage_remove(usage=usage, actor=request.user)
        messages.success(request, f"“{usage.offering.name}” no longer uses “{usage.enabler.name}”.")
        return redirect(back)
    return render_page(
        request,
        "catalogue/confirm.html",
        {
            "title": f"Stop “{usage.offering.name}” using “{usage.enabler.name}”?",
            "crumbs": _crumbs(request, usage.enabler) + [("Remove a usage", "")],
            "cancel_url": back,
            "submit": "Remove usage",
        },
    )
