"""Suggestions for a text box that names an offering or an enabler (htmx fills its datalist)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from .. import selectors
from ..permissions import can, team_ids
from .base import org_view

SUGGESTIONS = 20


@org_view()
def offering_suggest(request: HttpRequest) -> HttpResponse:
    return _suggest(request, "offering")


@org_view()
def enabler_suggest(request: HttpRequest) -> HttpResponse:
    return _suggest(request, "enabler")


@vary_on_headers("HX-Request")
def _suggest(request: HttpRequest, kind: str) -> HttpResponse:
    """Up to twenty offerings or enablers whose name or key contains what was typed, as
    ``<option>`` elements. ``scope=own`` keeps to the offerings of the person's teams unless
    they may edit the structure (what the usage form on an enabler's page accepts)."""
    membership = request.membership  # type: ignore[attr-defined]
    text = (request.GET.get(kind) or request.GET.get("q") or "")[:200]
    if "\x00" in text:  # no name holds one, and PostgreSQL refuses it in a query
        text = ""
    own = kind == "offering" and request.GET.get("scope") == "own"
    teams = team_ids(membership) if own and not can(membership, "structure.edit") else None
    items = selectors.suggestions(
        organisation=request.organisation,  # type: ignore[attr-defined]
        kind=kind,
        text=text,
        team_ids=teams,
        limit=SUGGESTIONS,
    )
    return render(request, "catalogue/_suggestions.html", {"items": items})
