"""The organisation's main navigation, written in Python: every page shows it, and as a
template its fifteen links and their "you are here" tests cost each page a millisecond or
two. The addresses are worked out once per organisation."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from ..forms import esc

register = template.Library()

LINKS = (
    "catalogue:home",
    "catalogue:enabler_list",
    "assessments:flag_list",
    "assessments:round_list",
    "assessments:balance",
    "assessments:portfolio",
    "assessments:decision_list",
    "catalogue:journey_list",
    "catalogue:offering_list",
    "catalogue:team_list",
    "catalogue:area_list",
    "catalogue:touchpoint_list",
    "catalogue:backstage_import",
    "catalogue:enabler_import",
    "catalogue:member_list",
)
BALANCE_PAGES = "balance report report_status method thresholds"
PORTFOLIO_PAGES = {"portfolio", "portfolio_report", "report_list", "report_compare", "what_if"}
CATALOGUE_WORDS = ("journey", "step", "offering", "team", "area", "touchpoint")


@lru_cache(maxsize=1024)
def _addresses(slug: str, prefix: str, urlconf: str | None) -> dict[str, str]:
    return {name: reverse(name, args=[slug]) for name in LINKS}


def _item(url: str, label: str, active: bool, *, current: bool = False) -> str:
    here = ' aria-current="page"' if current else ""
    return (
        f'<li class="nav-item"><a class="nav-link{" active" if active else ""}"{here} '
        f'href="{esc(url)}">{label}</a></li>'
    )


def _drop(url: str, label: str, active: bool) -> str:
    return (
        f'<li><a class="dropdown-item{" active" if active else ""}" href="{esc(url)}">'
        f"{label}</a></li>"
    )


@register.simple_tag(takes_context=True)
def org_nav(context: template.Context) -> SafeString:
    """The links of ``organisation``, the one of the page shown marked active."""
    request = context["request"]
    match = request.resolver_match
    # A page without a name matches no link (as the template's tests on None did).
    rn = match.url_name if match and match.url_name else "\x00"
    app = (match.app_name if match else "") or ""
    url = _addresses(context["organisation"].slug, get_script_prefix(), get_urlconf())
    catalogue = any(w in rn for w in CATALOGUE_WORDS) or rn == "backstage_import"
    parts = [
        '<ul class="navbar-nav me-auto">',
        _item(url["catalogue:home"], "Home", rn == "home", current=rn == "home"),
        _item(url["catalogue:enabler_list"], "Enablers", "enabler" in rn or "usage" in rn),
        _item(url["assessments:flag_list"], "Flags", "flag" in rn),
        _item(url["assessments:round_list"], "Assessments", "round" in rn or "assessment" in rn),
        _item(
            url["assessments:balance"],
            "Balance",
            app == "assessments" and rn in BALANCE_PAGES,
        ),
        _item(url["assessments:portfolio"], "Portfolio", rn in PORTFOLIO_PAGES),
        _item(url["assessments:decision_list"], "Decisions", "decision" in rn),
        '<li class="nav-item dropdown">'
        f'<button class="nav-link dropdown-toggle btn btn-link{" active" if catalogue else ""}" '
        'data-bs-toggle="dropdown" aria-expanded="false">Catalogue</button>'
        '<ul class="dropdown-menu">',
        _drop(url["catalogue:journey_list"], "Journeys", "journey" in rn or "step" in rn),
        _drop(url["catalogue:offering_list"], "Offerings", "offering" in rn),
        _drop(url["catalogue:team_list"], "Teams", "team" in rn),
        _drop(url["catalogue:area_list"], "Business areas", "area" in rn),
        _drop(url["catalogue:touchpoint_list"], "Touchpoints", "touchpoint" in rn),
    ]
    if context.get("can_import_catalogue"):
        parts += [
            '<li><hr class="dropdown-divider"></li>',
            _drop(
                url["catalogue:backstage_import"],
                "Import from Backstage",
                rn == "backstage_import",
            ),
            _drop(url["catalogue:enabler_import"], "Import a spreadsheet", rn == "enabler_import"),
        ]
    parts.append("</ul></li>")
    if context.get("can_manage_members"):
        members = "member" in rn or "invit" in rn or rn in {"organisation_settings", "audit_log"}
        parts.append(_item(url["catalogue:member_list"], "Members", members))
    parts.append("</ul>")
    return mark_safe("".join(parts))  # labels are ours; addresses went through esc()
