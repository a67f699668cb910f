"""Bottleneck flags on catalogue pages (an enabler's, an offering's, a team's).

Registered with ``catalogue.panels`` when the app is ready, so catalogue never imports
assessments. Each panel runs a fixed number of queries: it shows at most ``selectors.PANEL_ROWS`` flags that
count (open or acknowledged) and links to the full, filtered list.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from catalogue.models import Enabler, Offering, Team
from catalogue.panels import Panel, register, register_history_links
from catalogue.permissions import can

from . import selectors
from .models import Decision
from .views.flags import can_raise

TEMPLATE = "assessments/flags/_panel.html"


def _url(name: str, slug: str, **query: str) -> str:
    return f"{reverse(name, args=[slug])}?{urlencode(query)}"


def _section(
    request: HttpRequest,
    title: str,
    all_url: str,
    link: str,
    empty: str,
    show: str,
    **fixed: Any,
) -> dict[str, Any]:
    organisation = request.organisation  # type: ignore[attr-defined]
    # Each row names the other side only (who raised it, or on what): read only that one.
    flags, more = selectors.flags_for_panel(organisation=organisation, shown=show, **fixed)
    return {
        "title": title,
        "flags": flags,
        "more": more,
        "all_url": all_url,
        "link": link,
        "empty": empty,
        "show": show,  # the other side of each row: "team" (who raised it) or "enabler"
    }


def enabler_flags(request: HttpRequest, enabler: Enabler) -> Panel:
    slug = enabler.organisation.slug
    return Panel(
        TEMPLATE,
        {
            "sections": [
                _section(
                    request,
                    "Open flags",
                    _url("assessments:flag_list", slug, enabler=enabler.key),
                    f"All flags on {enabler.name}",
                    "No open flags on this enabler.",
                    "team",
                    enabler=enabler,
                )
            ],
            "raise_url": _url("assessments:flag_raise", slug, enabler=enabler.key)
            if can_raise(request.membership)  # type: ignore[attr-defined]
            else "",
            "intro": f"If {enabler.name} slows your team's delivery, flag a bottleneck: "
            "its owners are told and it counts in the balance report.",
        },
    )


def offering_flags(request: HttpRequest, offering: Offering) -> Panel:
    slug = offering.organisation.slug
    return Panel(
        TEMPLATE,
        {
            "sections": [
                _section(
                    request,
                    "Open flags raised on this offering",
                    _url("assessments:flag_list", slug, offering=offering.key),
                    f"All flags raised on {offering.name}",
                    "No open flags on this offering.",
                    "enabler",
                    offering=offering,
                )
            ],
            "raise_url": _url("assessments:flag_raise", slug, offering=offering.key)
            if can_raise(request.membership)  # type: ignore[attr-defined]
            else "",
            "intro": f"When an enabler slows {offering.name}, flag a bottleneck on it.",
        },
    )


def team_flags(request: HttpRequest, team: Team) -> Panel:
    slug = team.organisation.slug
    membership = request.membership  # type: ignore[attr-defined]
    may_raise = can(membership, "flag.raise") and can(membership, "team.act_for", team)
    return Panel(
        TEMPLATE,
        {
            "sections": [
                _section(
                    request,
                    f"Open flags raised by {team.name}",
                    _url("assessments:flag_list", slug, team=team.key),
                    f"All flags raised by {team.name}",
                    "This team has no open flags.",
                    "enabler",
                    team=team,
                ),
                _section(
                    request,
                    f"Open flags on enablers {team.name} owns",
                    _url("assessments:flag_list", slug, owner=team.key),
                    f"All flags on enablers {team.name} owns",
                    "No open flags on this team's enablers.",
                    "team",
                    enabler__owner_team=team,
                ),
            ],
            "raise_url": _url("assessments:flag_raise", slug, team=team.key) if may_raise else "",
            "intro": "",
        },
    )


def enabler_decisions(request: HttpRequest, enabler: Enabler) -> Panel:
    """The decisions that affect the enabler, newest first, each with its change for it."""
    slug = enabler.organisation.slug
    decisions, more = selectors.decisions_for_enabler(enabler=enabler)
    membership = request.membership  # type: ignore[attr-defined]
    return Panel(
        "assessments/decisions/_panel.html",
        {
            "enabler": enabler,
            "decisions": decisions,
            "more": more,
            "all_url": _url("assessments:decision_list", slug, enabler=enabler.key),
            "propose_url": _url("assessments:decision_new", slug, enabler=enabler.key)
            if can(membership, "decision.propose")
            else "",
        },
    )


DECISION_REASON = re.compile(r"^DEC-(\d+)\b")


def decision_links(organisation: Any, reasons: set[str]) -> dict[str, str]:
    """History reasons that name a decision ("DEC-004 accepted: …") link to its page."""
    numbers = {
        reason: int(match.group(1))
        for reason in reasons
        if (match := DECISION_REASON.match(reason))
    }
    if not numbers:
        return {}
    keys = dict(
        Decision.objects.for_org(organisation)
        .filter(number__in=set(numbers.values()))
        .values_list("number", "key")
    )
    return {
        reason: reverse("assessments:decision_detail", args=[organisation.slug, keys[number]])
        for reason, number in numbers.items()
        if number in keys
    }


def register_panels() -> None:
    register_history_links(decision_links)
    register("enabler", enabler_flags)
    register("enabler", enabler_decisions)
    register("offering", offering_flags)
    register("team", team_flags)
