"""ValuesOf: a related column's values as a list on each row, in the outer query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext

from catalogue.expressions import ValuesOf
from catalogue.models import Enabler, EnablerUsage
from tests import factories as f


def offering_names(cast):  # type: ignore[no-untyped-def]
    return (
        EnablerUsage.objects.for_org(cast.world.org)
        .filter(enabler=OuterRef("pk"))
        .order_by("offering__name")
        .values_list("offering__name")
    )


def test_each_row_gets_its_own_values_in_order_in_one_query(cast) -> None:  # type: ignore[no-untyped-def]
    org = cast.world.org
    used, unused = f.EnablerFactory(organisation=org), f.EnablerFactory(organisation=org)
    for name in ("Ö with “quotes”, and a comma", "Beta", "Alpha"):
        offering = f.OfferingFactory(organisation=org, name=name)
        EnablerUsage.objects.create(organisation=org, enabler=used, offering=offering)

    with CaptureQueriesContext(connection) as queries:
        rows = {
            e.pk: e.names
            for e in Enabler.objects.for_org(org).annotate(names=ValuesOf(offering_names(cast)))
        }

    assert len(queries) == 1
    assert rows[used.pk] == ["Alpha", "Beta", "Ö with “quotes”, and a comma"]
    assert rows[unused.pk] == []  # none: an empty list, not None


def test_it_takes_one_column_only(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="exactly one column"):
        ValuesOf(EnablerUsage.objects.for_org(cast.world.org).values_list("id", "enabler_id"))
