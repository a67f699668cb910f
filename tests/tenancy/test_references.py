"""Every field that names another object, given one of globex's, alone: refused.

test_writes.py swaps all of a form's references for globex's at once, so the first field a
form checks refuses the whole form, and a later field that forgot its organisation would go
unseen. Here each form of the permission matrix is sent as its row sends it, valid in acme,
with one reference field at a time pointing into globex (a list keeps acme's choices and
gains one of globex's); the API the same, field by field. Each must be refused (4xx), write
nothing of globex and leave no row referring across organisations.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from assessments import services as a
from assessments.models import AssessmentRound, BalanceReport, BottleneckFlag, Decision
from catalogue import models as m
from tests.api.conftest import ApiClient, token_for
from tests.catalogue.test_permission_matrix import MATRIX, POST, request
from tests.conftest import client_for

from .conftest import rolled_back
from .planting import Canary
from .rows import changed, cross_references, organisation_rows

# Form fields (and API body fields) that name an object, and what they name.
REFERENCES: dict[str, type[Any]] = {
    "offering": m.Offering,
    "journey": m.Journey,
    "team": m.Team,
    "teams": m.Team,
    "owner_team": m.Team,
    "business_area": m.BusinessArea,
    "touchpoints": m.Touchpoint,
    "enabler": m.Enabler,
    "enablers": m.Enabler,
    "merge_into": m.Enabler,
    "merge_from": m.Enabler,
    "membership": m.Membership,
    "flags": BottleneckFlag,
    "supersedes": Decision,
    "report": BalanceReport,
    "round": AssessmentRound,
}


def foreign(canary: Canary, model: Any, value: Any) -> Any:
    """globex's counterpart of one reference ``value`` (an id, as a number or text, or a
    key), in the same form: the object of globex's own world with the same role where
    there is one, else any of globex's."""
    acme, globex = canary.acme.org, canary.globex.org
    by_id = isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    theirs = model.objects.for_org(globex).order_by("pk")
    if model is m.Membership:
        mine = model.objects.for_org(acme).get(pk=int(value))
        role = next(r for r, p in canary.acme.people.items() if p.pk == mine.pk)
        match = canary.globex.people[role]
    else:
        mine = (
            model.objects.for_org(acme)
            .filter(**({"pk": int(value)} if by_id else {"key": value}))
            .first()
        )
        key = getattr(mine, "key", None)
        match = (theirs.filter(key=f"zebra-{key}").first() if key else None) or theirs.first()
    assert match is not None, (model, value)
    if isinstance(value, int):
        return match.pk
    return str(match.pk) if by_id else match.key


def one_at_a_time(canary: Canary, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(field, data) with that one reference field pointing into globex. A field left empty
    is given globex's object both by id and by key (forms take one or the other)."""
    cases = []
    for name, value in data.items():
        model = REFERENCES.get(name)
        if model is None or value is None or value == []:
            continue
        if value == "":
            theirs = model.objects.for_org(canary.globex.org).order_by("-pk").first()
            cases.append((name, {**data, name: str(theirs.pk)}))
            if hasattr(theirs, "key"):
                cases.append((name, {**data, name: theirs.key}))
            continue
        if isinstance(value, list | tuple):
            swapped: Any = [*value, foreign(canary, model, value[0])]
        else:
            swapped = foreign(canary, model, value)
        cases.append((name, {**data, name: swapped}))
    return cases


FORMS = [entry for entry in MATRIX if entry.method == POST and entry.in_org and entry.data]
# The decision form's hidden report (carried from the report a decision was started from):
# one that is not acme's, another organisation's or gone, is dropped, not shown as an error,
# so the decision is saved without it (and, as checked for every field, refers to nothing
# of globex).
DROPPED = {"report"}


def test_each_reference_of_each_form_refuses_globex(canary: Canary) -> None:
    client = client_for(canary.cast.admin)
    globex = canary.globex.org.pk
    tried: list[str] = []
    accepted: list[str] = []

    for entry in FORMS:
        assert entry.data is not None
        with rolled_back():
            entry.args(canary.cast)  # what the form's builder looks for
            cases = one_at_a_time(canary, entry.data(canary.cast))
        for field, sent in cases:
            with rolled_back():
                args = entry.args(canary.cast)
                url = reverse(entry.url_name, args=[canary.acme.org.slug, *args])
                before = organisation_rows(globex)
                response = request(client, entry, url, sent)
                what = f"{entry.name} {entry.target} {field}"
                assert response.status_code < 500, what
                assert changed(before, organisation_rows(globex)) == [], what
                assert cross_references() == [], what
                if response.status_code < 400 and field not in DROPPED:
                    accepted.append(f"{what}: {response.status_code}")
                tried.append(what)

    assert accepted == []
    assert len(tried) >= 20
    # Every kind of reference a form takes was tried.
    assert {t.split()[-1] for t in tried} >= {
        "offering", "journey", "team", "teams", "owner_team", "business_area", "touchpoints",
        "enabler", "enablers", "membership",
    }  # fmt: skip


# --- the API, field by field -------------------------------------------------------------------


def api_probes(canary: Canary) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body): each valid in acme but for one reference into globex."""
    globex = canary.globex.org
    a.round_open(organisation=canary.acme.org, name="Probe round", due_on=None, actor=None)
    theirs = a.round_open(organisation=globex, name="Zebra open round", due_on=None, actor=None)
    their_report = BalanceReport.objects.for_org(globex).order_by("pk").first()
    assert their_report is not None
    their_flag = a.flag_raise(
        organisation=globex,
        team=canary.keyed.delivery,
        enabler=canary.keyed.payments,
        offering=None,
        journey=None,
        severity="low",
        summary="Zebra only flag",
        details="",
        actor=None,
    )
    ours = m.Enabler.objects.for_org(canary.acme.org).get(key="payments")
    step = {"name": "Probe", "offering": "shop", "touchpoints": ["checkout"]}
    flag = {"team": "delivery", "enabler": "payments", "severity": "low", "summary": "Probe"}
    assess = {
        "round": "probe-round",
        "team": "delivery",
        "enabler": "payments",
        "fit": 3,
        "pace": 0,
    }
    return [
        ("POST", "/enablers", {"name": "Probe", "kind": "platform", "owner_team": "zebra-platform"}),
        ("PATCH", "/enablers/payments", {"owner_team": "zebra-platform", "version": ours.version}),
        ("POST", "/usages", {"enabler": "zebra-payments", "offering": "shop"}),
        ("POST", "/usages", {"enabler": "search", "offering": "zebra-shop"}),
        ("POST", "/teams", {"name": "Probe", "business_area": "zebra-food"}),
        ("PATCH", "/teams/delivery", {"business_area": "zebra-food"}),
        ("POST", "/offerings", {"name": "Probe", "team": "zebra-delivery"}),
        ("POST", "/offerings", {"name": "Probe", "business_area": "zebra-food"}),
        ("PATCH", "/offerings/shop", {"team": "zebra-delivery"}),
        ("PATCH", "/offerings/shop", {"business_area": "zebra-food"}),
        ("POST", "/journeys", {"name": "Probe", "steps": [{**step, "offering": "zebra-shop"}]}),
        ("POST", "/journeys", {"name": "Probe", "steps": [{**step, "touchpoints": ["checkout", "zebra-checkout"]}]}),
        ("PATCH", "/journeys/weekly-shop", {"steps": [{**step, "offering": "zebra-shop"}]}),
        ("POST", "/flags", {**flag, "team": "zebra-delivery"}),
        ("POST", "/flags", {**flag, "enabler": "zebra-payments"}),
        ("POST", "/flags", {**flag, "offering": "zebra-shop"}),
        ("POST", "/flags", {**flag, "journey": "zebra-weekly-shop"}),
        ("POST", "/assessments", {**assess, "round": theirs.key}),
        ("POST", "/assessments", {**assess, "team": "zebra-delivery"}),
        ("POST", "/assessments", {**assess, "enabler": "zebra-payments"}),
        ("POST", "/decisions", {"title": "Probe", "enablers": ["payments", "zebra-payments"]}),
        ("POST", "/decisions", {"title": "Probe", "changes": [{"enabler": "zebra-payments", "to": "common"}]}),
        ("POST", "/decisions", {"title": "Probe", "flags": [their_flag.key]}),
        ("POST", "/decisions", {"title": "Probe", "report": their_report.pk}),
        ("POST", "/decisions", {"title": "Probe", "merge_into": "zebra-search", "merge_from": ["payments"]}),
        ("POST", "/decisions", {"title": "Probe", "merge_into": "search", "merge_from": ["zebra-payments"]}),
        ("PATCH", "/decisions/2", {"enablers": ["zebra-payments"]}),
        ("PATCH", "/decisions/2", {"report": their_report.pk}),
        ("PATCH", "/decisions/2", {"flags": [their_flag.key]}),
    ]  # fmt: skip


def test_each_reference_of_the_api_refuses_globex(canary: Canary) -> None:
    api = ApiClient(token_for(canary.cast.admin))
    probes = api_probes(canary)
    globex = canary.globex.org.pk
    answers = []

    for method, path, body in probes:
        with rolled_back():
            before = organisation_rows(globex)
            response = getattr(api, method.lower())(f"/api/o/acme{path}", body)
            what = f"{method} {path} {body}"
            assert response.status_code < 500, what
            assert changed(before, organisation_rows(globex)) == [], what
            assert cross_references() == [], what
            answers.append((what, response.status_code))

    assert [(what, status) for what, status in answers if status not in (404, 409, 422)] == []
    assert len(answers) == len(probes)
