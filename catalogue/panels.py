"""Panels other apps add to catalogue pages, without catalogue importing them.

An app registers a function for a kind of page ("enabler", "offering", "team"); the
catalogue view calls every registered function with the request and the object, and the
page includes each returned panel (a template name and its context) in order. The
assessments app adds its bottleneck flags this way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelFunction = Callable[[HttpRequest, Any], Panel | None]
_registry: dict[str, list[PanelFunction]] = {}


def register(kind: str, function: PanelFunction) -> None:
    functions = _registry.setdefault(kind, [])
    if function not in functions:
        functions.append(function)


def panels_for(kind: str, request: HttpRequest, obj: Any) -> list[Panel]:
    """The panels other apps add to this page (the view has checked access to ``obj``)."""
    found = (function(request, obj) for function in _registry.get(kind, []))
    return [panel for panel in found if panel is not None]


# Links for the reasons in an object's history ("DEC-004 accepted" → that decision's page):
# a function takes the organisation and the reasons shown, and returns reason → URL for
# those it knows, with one query at most whatever the number of reasons.
HistoryLinks = Callable[[Any, set[str]], dict[str, str]]
_history_links: list[HistoryLinks] = []


def register_history_links(function: HistoryLinks) -> None:
    if function not in _history_links:
        _history_links.append(function)


def history_links(organisation: Any, reasons: set[str]) -> dict[str, str]:
    links: dict[str, str] = {}
    for function in _history_links if reasons else ():
        links |= function(organisation, reasons)
    return links
