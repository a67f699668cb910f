"""The organisation's navigation, written in Python (org_nav), is what the template it
replaced rendered, on every page of an organisation, for every combination of the links a
role may see."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.catalogue.test_quick_select import _Shape

# The navigation as it was in templates/base.html.
OLD = """      {% with s=organisation.slug rn=request.resolver_match.url_name %}
      <ul class="navbar-nav me-auto">
        <li class="nav-item"><a class="nav-link{% if rn == 'home' %} active{% endif %}" {% if rn == 'home' %}aria-current="page"{% endif %} href="{% url 'catalogue:home' s %}">Home</a></li>
        <li class="nav-item"><a class="nav-link{% if 'enabler' in rn or 'usage' in rn %} active{% endif %}" href="{% url 'catalogue:enabler_list' s %}">Enablers</a></li>
        <li class="nav-item"><a class="nav-link{% if 'flag' in rn %} active{% endif %}" href="{% url 'assessments:flag_list' s %}">Flags</a></li>
        <li class="nav-item"><a class="nav-link{% if 'round' in rn or 'assessment' in rn %} active{% endif %}" href="{% url 'assessments:round_list' s %}">Assessments</a></li>
        <li class="nav-item"><a class="nav-link{% if request.resolver_match.app_name == 'assessments' and rn in 'balance report report_status method thresholds' %} active{% endif %}" href="{% url 'assessments:balance' s %}">Balance</a></li>
        <li class="nav-item"><a class="nav-link{% if rn == 'portfolio' or rn == 'portfolio_report' or rn == 'report_list' or rn == 'report_compare' or rn == 'what_if' %} active{% endif %}" href="{% url 'assessments:portfolio' s %}">Portfolio</a></li>
        <li class="nav-item"><a class="nav-link{% if 'decision' in rn %} active{% endif %}" href="{% url 'assessments:decision_list' s %}">Decisions</a></li>
        <li class="nav-item dropdown">
          <button class="nav-link dropdown-toggle btn btn-link{% if 'journey' in rn or 'step' in rn or 'offering' in rn or 'team' in rn or 'area' in rn or 'touchpoint' in rn or rn == 'backstage_import' %} active{% endif %}" data-bs-toggle="dropdown" aria-expanded="false">Catalogue</button>
          <ul class="dropdown-menu">
            <li><a class="dropdown-item{% if 'journey' in rn or 'step' in rn %} active{% endif %}" href="{% url 'catalogue:journey_list' s %}">Journeys</a></li>
            <li><a class="dropdown-item{% if 'offering' in rn %} active{% endif %}" href="{% url 'catalogue:offering_list' s %}">Offerings</a></li>
            <li><a class="dropdown-item{% if 'team' in rn %} active{% endif %}" href="{% url 'catalogue:team_list' s %}">Teams</a></li>
            <li><a class="dropdown-item{% if 'area' in rn %} active{% endif %}" href="{% url 'catalogue:area_list' s %}">Business areas</a></li>
            <li><a class="dropdown-item{% if 'touchpoint' in rn %} active{% endif %}" href="{% url 'catalogue:touchpoint_list' s %}">Touchpoints</a></li>
            {% if can_import_catalogue %}<li><hr class="dropdown-divider"></li>
            <li><a class="dropdown-item{% if rn == 'backstage_import' %} active{% endif %}" href="{% url 'catalogue:backstage_import' s %}">Import from Backstage</a></li>
            <li><a class="dropdown-item{% if rn == 'enabler_import' %} active{% endif %}" href="{% url 'catalogue:enabler_import' s %}">Import a spreadsheet</a></li>{% endif %}
          </ul>
        </li>
        {% if can_manage_members %}
        <li class="nav-item"><a class="nav-link{% if 'member' in rn or 'invit' in rn or rn == 'organisation_settings' or rn == 'audit_log' %} active{% endif %}" href="{% url 'catalogue:member_list' s %}">Members</a></li>
        {% endif %}
      </ul>
      {% endwith %}
"""


def _shape(html: str) -> list[object]:
    shape = _Shape()
    shape.feed(html)
    return shape.items


def _org_paths() -> list[str]:
    """One address per named page under /o/<slug>/ (arguments filled with a key)."""
    paths = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                route = prefix + str(p.pattern)
                if route.startswith("o/<slug:org>/"):
                    path = "/" + route.replace("<slug:org>", "acme")
                    for converter in ("<slug:", "<int:", "<str:", "<uuid:", "<path:"):
                        while converter in path:
                            start = path.index(converter)
                            end = path.index(">", start)
                            filler = "1" if converter == "<int:" else "a-key"
                            if converter == "<uuid:":
                                filler = "12345678-1234-5678-1234-567812345678"
                            path = path[:start] + filler + path[end + 1 :]
                    if "(?P" not in path:  # a regex route: not resolvable as written
                        paths.append(path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


PATHS = _org_paths()


class _Org:
    slug = "acme"
    name = "Acme"
    pk = 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("can_import, can_manage", [(False, False), (True, True)])
def test_it_renders_as_the_template_did(path: str, can_import: bool, can_manage: bool) -> None:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    context = {
        "request": request,
        "organisation": _Org(),
        "can_import_catalogue": can_import,
        "can_manage_members": can_manage,
    }
    theirs = engines["django"].from_string(OLD).render(context)
    ours = engines["django"].from_string("{% load org_nav %}{% org_nav %}").render(context)
    assert _shape(ours) == _shape(theirs), path


def test_every_page_is_covered() -> None:
    assert len(PATHS) > 80
