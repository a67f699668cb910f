"""Enablers in the browser's terms: logging, editing, in-place changes, history, conflicts."""

import re

import pytest
from django.urls import reverse

from catalogue import services
from catalogue.models import Enabler, Lifecycle
from tests.conftest import client_for


def url(name, *args):
    return reverse(f"catalogue:{name}", args=["acme", *args])


def enabler(cast, key):
    return Enabler.objects.for_org(cast.world.org).get(key=key)


def form_data(e, **changes):
    data = {
        "name": e.name,
        "key": e.key,
        "kind": e.kind,
        "capability": e.capability,
        "classification": e.classification,
        "lifecycle": e.lifecycle,
        "owner_team": e.owner_team_id or "",
        "description": e.description,
        "tags": ", ".join(e.tags),
        "version": e.version,
    }
    data.update(changes)
    return data


def test_team_members_new_enablers_start_as_proposed(cast):
    response = client_for(cast.member).post(
        url("enabler_create"),
        {
            "name": "Recipe search",
            "kind": "capability",
            "classification": "independent",
            "lifecycle": "active",
            "owner_team": cast.world.delivery.pk,
        },
    )
    assert response.status_code == 302
    created = enabler(cast, "recipe-search")
    assert created.lifecycle == Lifecycle.PROPOSED
    assert created.owner_team == cast.world.delivery


def test_member_cannot_log_an_enabler_for_another_team(cast):
    response = client_for(cast.member).post(
        url("enabler_create"),
        {
            "name": "Stock feed",
            "kind": "data",
            "classification": "common",
            "owner_team": cast.world.platform.pk,
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Enabler.objects.for_org(cast.world.org).filter(name="Stock feed").exists()


def test_owner_creates_active_enabler_for_own_team(cast):
    response = client_for(cast.owner).post(
        url("enabler_create"),
        {
            "name": "Event bus",
            "key": "bus",
            "kind": "platform",
            "classification": "repeatable",
            "lifecycle": "active",
            "owner_team": cast.world.platform.pk,
            "tags": "Kafka, events",
        },
    )
    assert response.status_code == 302
    bus = enabler(cast, "bus")
    assert bus.lifecycle == Lifecycle.ACTIVE
    assert bus.tags == ["kafka", "events"]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "payments", "Another enabler in this organisation is already called"),
        ("key", "search", "already used by another enabler"),
        ("key", "Not A Key", "lowercase letters"),
        ("name", "x" * 201, "at most 200 characters"),
        ("description", "x" * 5001, "at most 5000 characters"),
        ("kind", "spaceship", "Select a valid choice"),
        ("owner_team", "999999", "Select a valid choice"),
    ],
)
def test_bad_enabler_input_is_refused_next_to_the_field(cast, field, value, message):
    data = {
        "name": "Fresh",
        "kind": "platform",
        "classification": "common",
        "lifecycle": "active",
        "owner_team": cast.world.platform.pk,
    }
    data[field] = value
    response = client_for(cast.leader).post(url("enabler_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert f'id="error_1_id_{field}"' in html  # crispy puts the error under the field
    assert Enabler.objects.for_org(cast.world.org).count() == 2


def test_owner_team_of_another_organisation_is_refused(cast):
    data = {
        "name": "Leaky",
        "kind": "platform",
        "classification": "common",
        "lifecycle": "active",
        "owner_team": cast.other.platform.pk,
    }
    response = client_for(cast.leader).post(url("enabler_create"), data)
    assert response.status_code == 400
    assert not Enabler.objects.for_org(cast.world.org).filter(name="Leaky").exists()


def test_edit_records_history_with_who_and_what(cast):
    payments = cast.world.payments
    response = client_for(cast.owner).post(
        url("enabler_edit", "payments"), form_data(payments, classification="repeatable")
    )
    assert response.status_code == 302
    payments.refresh_from_db()
    assert payments.classification == "repeatable" and payments.version == 2
    page = client_for(cast.viewer).get(url("enabler_detail", "payments")).content.decode()
    assert "owner" in page
    assert "changed classification from “common” to “repeatable”" in page


def test_stale_edit_is_refused_and_keeps_the_other_change(cast):
    payments = cast.world.payments
    stale = form_data(payments)  # both editors loaded version 1
    first = client_for(cast.leader).post(
        url("enabler_edit", "payments"), {**stale, "capability": "card payments"}
    )
    assert first.status_code == 302
    second = client_for(cast.owner).post(
        url("enabler_edit", "payments"), {**stale, "name": "Payments hub"}
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "Someone else saved this enabler" in html
    assert "card payments" in html  # what the other person changed is shown
    payments.refresh_from_db()
    assert payments.capability == "card payments"
    assert payments.name == "Payments"  # nothing of the stale save was applied
    assert payments.version == 2


def test_in_place_classification_change_with_htmx(cast):
    client = client_for(cast.owner)
    response = client.post(
        url("enabler_set_field", "payments", "classification"),
        {"value": "independent", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="classification-field"' in html and "<html" not in html
    assert "Saved" in html
    assert enabler(cast, "payments").classification == "independent"


def test_in_place_changes_one_after_the_other_use_the_new_version(cast):
    client = client_for(cast.owner)
    first = client.post(
        url("enabler_set_field", "payments", "classification"),
        {"value": "repeatable", "version": 1},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    # Both in-place forms come back carrying version 2, and the history is swapped too.
    assert first.count('name="version" value="2"') == 2
    assert 'id="enabler-history" aria-labelledby="history-heading" hx-swap-oob="true"' in first
    second = client.post(
        url("enabler_set_field", "payments", "lifecycle"),
        {"value": "deprecated", "version": 2},
        HTTP_HX_REQUEST="true",
    )
    assert second.status_code == 200
    current = enabler(cast, "payments")
    assert (current.classification, current.lifecycle, current.version) == (
        "repeatable",
        "deprecated",
        3,
    )


def test_in_place_change_on_an_old_version_is_refused(cast):
    client = client_for(cast.owner)
    client.post(
        url("enabler_set_field", "payments", "lifecycle"),
        {"value": "deprecated", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    response = client.post(
        url("enabler_set_field", "payments", "classification"),
        {"value": "repeatable", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "Someone else changed this enabler first" in response.content.decode()
    current = enabler(cast, "payments")
    assert current.classification == "common" and current.lifecycle == "deprecated"


def test_in_place_change_refuses_an_unknown_value(cast):
    response = client_for(cast.leader).post(
        url("enabler_set_field", "payments", "classification"),
        {"value": "sometimes", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert enabler(cast, "payments").classification == "common"


def test_filters_find_enablers_by_area_and_text(cast):
    client = client_for(cast.viewer)
    by_area = client.get(url("enabler_list"), {"area": "food"}).content.decode()
    assert "Payments" in by_area and "Search</a>" not in by_area  # only payments is used in food
    by_text = client.get(url("enabler_list"), {"q": "sear"}).content.decode()
    assert "Search</a>" in by_text and "Payments</a>" not in by_text
    partial = client.get(url("enabler_list"), {"kind": "platform"}, HTTP_HX_REQUEST="true")
    assert partial["Vary"] and "HX-Request" in partial["Vary"]
    assert "<html" not in partial.content.decode()


@pytest.mark.parametrize(
    "text",
    ["payments", "PAY", "Card-Processing", "settles cards", "money", "50%", "under_score"],
)
def test_the_search_box_looks_in_every_text_of_an_enabler(cast, text):
    """Name, key, capability, description and tags, in any case, a wildcard character
    meaning itself; and a change is found at once (the column is kept by the database)."""
    payments = cast.world.payments
    Enabler.objects.for_org(cast.world.org).filter(pk=payments.pk).update(
        key="card-processing",
        name="Payments",
        capability="money",
        description="Settles cards: 50% by day, under_score",
        tags=["pay", "cards"],
    )
    client = client_for(cast.viewer)
    found = client.get(url("enabler_list"), {"q": text}).content.decode()
    assert "Payments</a>" in found and "Search</a>" not in found
    for missing in ["50_", "under%", "zzz"]:
        page = client.get(url("enabler_list"), {"q": missing}).content.decode()
        assert "Payments</a>" not in page, missing


def test_member_adds_and_removes_usage_for_own_offering_only(cast):
    client = client_for(cast.member)
    ok = client.post(
        url("usage_add", "search"), {"offering": cast.world.shop.pk, "criticality": "high"}
    )
    assert ok.status_code == 302
    refused = client.post(
        url("usage_add", "search"), {"offering": cast.world.warehouse.pk, "criticality": "high"}
    )
    assert refused.status_code == 403
    usages = cast.world.search.usages.all()
    assert [(u.offering.key, u.criticality) for u in usages] == [("shop", "high")]
    usage = usages[0]
    assert client.post(url("usage_remove", usage.pk)).status_code == 302
    assert not cast.world.search.usages.exists()


def test_enabler_in_use_cannot_be_deleted(cast):
    response = client_for(cast.admin).post(url("enabler_delete", "payments"))
    assert response.status_code == 409
    assert "Shop" in response.content.decode()
    assert Enabler.objects.for_org(cast.world.org).filter(key="payments").exists()


def test_stale_version_reports_what_changed(cast):
    payments = cast.world.payments
    services.enabler_update(
        enabler=payments, fields={"lifecycle": "deprecated"}, base_version=1, actor=cast.leader.user
    )
    with pytest.raises(services.StaleVersion) as caught:
        services.enabler_update(
            enabler=payments, fields={"name": "X"}, base_version=1, actor=cast.owner.user
        )
    assert caught.value.changes == [("lifecycle", "active", "deprecated")]


def test_history_names_who_newest_first_thirty_at_most(cast):
    payments = cast.world.payments
    for n in range(31):
        response = client_for(cast.owner).post(
            url("enabler_edit", "payments"), form_data(payments, capability=f"take {n:02d}")
        )
        assert response.status_code == 302
        payments.refresh_from_db()
    page = client_for(cast.viewer).get(url("enabler_detail", "payments")).content.decode()
    history = page[page.index('id="enabler-history"') :]
    entries = [
        (who, " ".join(what.split()))
        for who, what in re.findall(
            r'<li class="list-group-item">\s*<strong>([^<]*)</strong>\s*([^<(]*)', history
        )
    ]
    assert len(entries) == 30  # of 32 versions: logging it, then 31 edits
    assert entries[0] == ("owner", "changed capability label from “take 29” to “take 30”")
    assert entries[29] == ("owner", "changed capability label from “take 00” to “take 01”")
    assert all(who == "owner" for who, _ in entries)
    # Logged by the factory, with no one signed in: the system.
    search = client_for(cast.viewer).get(url("enabler_detail", "search")).content.decode()
    assert "<strong>System</strong>\n    logged it" in search
