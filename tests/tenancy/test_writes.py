"""No write through acme changes globex: every form and every API write, aimed at globex.

acme's admin (who may do everything in acme) sends every POST row of the permission matrix
and every write of the API matrix to acme's addresses, with what the rows' own builders make
for globex instead of acme (tests/tenancy/planting.py ``mirror``): globex's ids, and keys
only globex has (the rows' literal keys swapped too), in the address, in the form, or both;
and with globex's ids where the two organisations share keys. The fuzz tests
(tests/fuzz/test_forms.py) send such values at random and check that a refusal writes
nothing; here every row gets them on purpose, and whatever the answer (a success included)
every stored row of globex is compared, its organisation's generation and its people's
accounts included (rows.py). Rows with a sealed preview (spreadsheet, Backstage) or an
organisation file send globex's: refused.

After each request no row anywhere refers to a row of another organisation. An address
naming globex's objects is "not found". test_references.py then tries each reference field
of each form and API body alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from assessments.models import Notification
from catalogue import models as m
from tests.api.conftest import ApiClient, token_for
from tests.api.test_permissions import MATRIX as API_MATRIX
from tests.api.test_permissions import send, url_of
from tests.catalogue.test_permission_matrix import MATRIX, POST, request
from tests.conftest import Cast, client_for

from .conftest import rolled_back
from .planting import Canary, foreign_values, key_map, mirror
from .reading import FOREIGN_MARK
from .rows import Rows, changed, cross_reference_checks, cross_references, organisation_rows

FORMS = [entry for entry in MATRIX if entry.method == POST and entry.in_org]
API_WRITES = [op for op in API_MATRIX if op.method != "GET"]

# What each variant builds the address and the form from: acme (the cast), globex's world
# with keys only globex has ("keyed", its literal keys swapped too), or globex's copy of
# acme's world, same keys, other ids ("same-keys").
VARIANTS = {
    "globex-address-and-form": ("keyed", "keyed"),
    "acme-address-globex-form": ("acme", "keyed"),
    "globex-ids-acme-form": ("same-keys", "acme"),
}


def built(canary: Canary, source: str, builder: Callable[[Cast], Any] | None) -> Any:
    if builder is None:
        return {}
    if source == "acme":
        return builder(canary.cast)
    if source == "same-keys":
        return builder(mirror(canary, canary.cast.other))
    return foreign_values(builder(mirror(canary, canary.keyed)), key_map(canary))


def has_ids(value: Any) -> bool:
    return any(isinstance(v, int) for v in value)


def check_globex_untouched(canary: Canary, before: Rows, response: Any, what: str) -> None:
    """Nothing of globex changed since ``before``, nothing refers across, and whoever acme
    told of what happened is one of acme's people, told nothing of globex."""
    assert response.status_code < 500, (what, response.content[:1000])
    assert changed(before, organisation_rows(canary.globex.org.pk)) == [], what
    assert cross_references() == [], what
    acme = canary.acme.org
    told = Notification.objects.for_org(acme).filter(pk__gt=canary.last_notification)
    members = m.Membership.objects.for_org(acme).values("user_id")
    assert not told.exclude(recipient_id__in=members).exists(), what
    assert [n.text for n in told if FOREIGN_MARK.search(n.text)] == [], what


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_acme_forms_never_change_globex(canary: Canary, variant: str) -> None:
    address, form = VARIANTS[variant]
    client = client_for(canary.cast.admin)
    outbox_before = len(mail.outbox)
    statuses: dict[int, int] = {}
    found: list[str] = []  # an address naming globex's objects that was not "not found"

    for entry in FORMS:
        with rolled_back():
            args = built(canary, address, entry.args)
            if address == "same-keys" and not has_ids(args):
                continue  # the same keys name acme's own objects: nothing foreign here
            if form != address:
                built(canary, form, entry.args)  # what the form's builder looks for
            data = built(canary, form, entry.data)
            url = reverse(entry.url_name, args=[canary.acme.org.slug, *args])
            before = organisation_rows(canary.globex.org.pk)
            response = request(client, entry, url, data)
            check_globex_untouched(canary, before, response, f"{entry.name} {url}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if address != "acme" and args and response.status_code != 404:
                found.append(f"{url}: {response.status_code}")

    assert sum(statuses.values()) >= (10 if address == "same-keys" else len(FORMS))
    assert found == []
    emails = mail.outbox[outbox_before:]
    assert [e.subject for e in emails if FOREIGN_MARK.search(f"{e.subject} {e.body}")] == []


@pytest.mark.parametrize("variant", ["globex-address-and-body", "acme-address-globex-body"])
def test_acme_api_writes_never_change_globex(canary: Canary, variant: str) -> None:
    api = ApiClient(token_for(canary.cast.admin))
    params_from = "keyed" if variant == "globex-address-and-body" else "acme"
    tried = 0
    found: list[str] = []  # an address naming globex's objects that was not "not found"

    for op in API_WRITES:
        with rolled_back():
            params = built(canary, params_from, op.params)
            if params_from != "keyed":
                built(canary, "keyed", op.params)  # what the body's builder looks for
            body = built(canary, "keyed", op.body) if op.body else None
            url = url_of(op, canary.acme.org.slug, params)
            before = organisation_rows(canary.globex.org.pk)
            response = send(api, op, url, body)
            check_globex_untouched(canary, before, response, f"{op.method} {url}")
            tried += 1
            names_something = "{" in op.path.removeprefix("/o/{org}")
            if params_from == "keyed" and names_something and response.status_code != 404:
                found.append(f"{op.method} {url}: {response.status_code}")

    assert tried == len(API_WRITES)
    assert found == []


def test_the_cross_reference_check_sees_a_reference_across(canary: Canary) -> None:
    # The check itself: a usage of acme naming globex's offering, written past the services.
    from catalogue import models as m

    with rolled_back():
        m.EnablerUsage.objects.create(
            organisation=canary.acme.org,
            enabler=canary.cast.world.search,
            offering=canary.keyed.shop,
        )
        found = cross_references()

    assert found and "EnablerUsage.offering" in found[0]
    assert cross_reference_checks() > 30


GLOBEX_CHANGES: dict[str, Callable[[Canary], Any]] = {
    "a name": lambda c: (
        m.Team.objects.for_org(c.globex.org).filter(pk=c.keyed.delivery.pk).update(name="Renamed")
    ),
    "the generation": lambda c: m.Organisation.objects.filter(pk=c.globex.org.pk).update(
        generation=99
    ),
    "a step's touchpoint": lambda c: c.keyed.step.touchpoints.clear(),
    "a person's email": lambda c: (
        c.globex.people["viewer"]
        .user.__class__.objects.filter(pk=c.globex.people["viewer"].user.pk)
        .update(email="changed@example.org")
    ),
    "a history row": lambda c: c.keyed.payments.save(),
}


def test_the_row_comparison_sees_any_change_of_globex(canary: Canary) -> None:
    # The check itself: each kind of change to globex is seen (and none to acme is).
    globex = canary.globex.org.pk
    for what, change in GLOBEX_CHANGES.items():
        with rolled_back():
            before = organisation_rows(globex)
            change(canary)
            assert changed(before, organisation_rows(globex)) != [], what
    before = organisation_rows(globex)
    m.Team.objects.for_org(canary.acme.org).filter(pk=canary.cast.world.delivery.pk).update(
        name="Renamed"
    )
    assert changed(before, organisation_rows(globex)) == []
