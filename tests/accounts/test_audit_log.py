"""The audit log: what is recorded, and what each organisation's admins see of it."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalogue import models as m
from catalogue import services
from catalogue.models import AuditEvent, AuditKind
from tests import factories as f
from tests.conftest import PASSWORD, Cast, client_for

from .helpers import sign_in

Events = AuditEvent.objects.unscoped


def audit_url(slug: str = "acme", query: str = "") -> str:
    return reverse("catalogue:audit_log", args=[slug]) + query


def rows(response: object) -> list[tuple[str, str, str]]:
    """(event, person, detail) of each row the page shows, in order."""
    return [
        (e.get_kind_display(), e.user.get_username() if e.user else e.username, e.detail)
        for e in response.context["events"]  # type: ignore[attr-defined]
    ]


# --- what is recorded -------------------------------------------------------------------------


def test_signing_in_and_out_is_recorded_with_the_address(cast: Cast) -> None:
    client = Client()
    sign_in(client, "member", PASSWORD, address="198.51.100.7")
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.7")
    events = list(Events().filter(user=cast.member.user).order_by("id"))
    assert [(e.kind, e.address, e.organisation_id) for e in events] == [
        (AuditKind.LOGIN, "198.51.100.7", None),
        (AuditKind.LOGOUT, "198.51.100.7", None),
    ]


def test_a_role_change_is_recorded_in_the_organisation(cast: Cast) -> None:
    response = client_for(cast.admin).post(
        reverse("catalogue:member_edit", args=["acme", cast.viewer.pk]),
        {"role": m.Role.LEADERSHIP},
    )
    assert response.status_code == 302
    event = Events().get(kind=AuditKind.ROLE_CHANGED)
    assert (event.organisation_id, event.user_id, event.detail) == (
        cast.world.org.pk,
        cast.viewer.user_id,
        "Viewer → Leadership by admin",
    )


def test_saving_teams_without_a_role_change_records_no_role_change(cast: Cast) -> None:
    client_for(cast.admin).post(
        reverse("catalogue:member_edit", args=["acme", cast.viewer.pk]),
        {"role": m.Role.VIEWER, "teams": [cast.world.delivery.pk]},
    )
    assert not Events().filter(kind=AuditKind.ROLE_CHANGED).exists()


def test_removing_a_member_is_recorded(cast: Cast) -> None:
    client_for(cast.admin).post(reverse("catalogue:member_remove", args=["acme", cast.viewer.pk]))
    event = Events().get(kind=AuditKind.MEMBER_REMOVED)
    assert (event.organisation_id, event.user_id, event.detail) == (
        cast.world.org.pk,
        cast.viewer.user_id,
        "Removed by admin",
    )


def test_a_refused_page_is_recorded_with_the_permission_and_the_path(cast: Cast) -> None:
    path = reverse("catalogue:enabler_create", args=["acme"])
    response = client_for(cast.viewer).get(path, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 403
    event = Events().get(kind=AuditKind.PERMISSION_DENIED)
    assert (event.organisation_id, event.user_id, event.username, event.address) == (
        cast.world.org.pk,
        cast.viewer.user_id,
        "viewer",
        "192.0.2.44",
    )
    assert event.detail == f"enabler.create at GET {path}"


def test_a_refusal_of_one_object_is_recorded_too(cast: Cast) -> None:
    # The member may add usages, but not to the platform team's offering.
    response = client_for(cast.member).post(
        reverse("catalogue:offering_usage_add", args=["acme", "warehouse"]),
        {"enabler": cast.world.search.pk, "criticality": "low"},
    )
    assert response.status_code == 403
    assert Events().get(kind=AuditKind.PERMISSION_DENIED).detail.startswith("usage.edit at POST")


def test_a_refused_api_call_is_recorded(cast: Cast) -> None:
    secret = services.token_create(membership=cast.viewer, name="t", valid_days=30)[1]
    response = Client().post(
        "/api/o/acme/enablers",
        json.dumps({"name": "Sneaky", "kind": "platform"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403
    event = Events().get(kind=AuditKind.PERMISSION_DENIED)
    assert (event.organisation_id, event.user_id) == (cast.world.org.pk, cast.viewer.user_id)
    assert event.detail == "enabler.create at POST /api/o/acme/enablers"


def test_a_stranger_gets_404_and_no_denial_in_the_organisation(cast: Cast) -> None:
    response = client_for(cast.outsider).get(reverse("catalogue:enabler_create", args=["acme"]))
    assert response.status_code == 404
    assert not Events().filter(kind=AuditKind.PERMISSION_DENIED).exists()


def audit_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        1 for q in queries if q["sql"].startswith("INSERT") and "catalogue_auditevent" in q["sql"]
    )


def test_an_allowed_page_writes_nothing_and_a_refused_one_one_row(cast: Cast) -> None:
    client = client_for(cast.viewer)
    with CaptureQueriesContext(connection) as allowed:
        assert client.get(reverse("catalogue:enabler_list", args=["acme"])).status_code == 200
    with CaptureQueriesContext(connection) as refused:
        assert client.get(reverse("catalogue:enabler_create", args=["acme"])).status_code == 403
    assert audit_inserts(allowed) == 0
    assert audit_inserts(refused) == 1


# --- what admins see ------------------------------------------------------------------------------


def test_admins_see_their_organisation_and_the_sign_ins_of_its_members(cast: Cast) -> None:
    sign_in(Client(), "member", PASSWORD)
    sign_in(Client(), "outsider", PASSWORD)  # admin of globex only
    sign_in(Client(), "outsider", "wrong")
    client_for(cast.viewer).get(reverse("catalogue:enabler_create", args=["acme"]))
    services.membership_update(
        membership=cast.outsider, role=m.Role.ADMIN, teams=[], actor=None
    )  # no change: nothing recorded
    other_viewer = m.Membership.objects.create(
        organisation=cast.other.org, user=f.UserFactory(username="g")
    )
    services.membership_update(
        membership=other_viewer, role=m.Role.LEADERSHIP, teams=[], actor=cast.outsider.user
    )

    acme = rows(client_for(cast.admin).get(audit_url()))
    globex = rows(client_for(cast.outsider).get(audit_url("globex")))

    assert ("Signed in", "member", "") in acme
    refused = reverse("catalogue:enabler_create", args=["acme"])
    assert ("Permission denied", "viewer", f"enabler.create at GET {refused}") in acme
    assert not [r for r in acme if r[1] in {"outsider", "g"}]
    assert ("Signed in", "outsider", "") in globex
    assert ("Failed sign-in", "outsider", "") in globex
    assert ("Role changed", "g", "Viewer → Leadership by outsider") in globex
    assert not [r for r in globex if r[1] in {"member", "viewer"}]


def test_a_removed_members_sign_ins_leave_the_log_but_the_removal_stays(cast: Cast) -> None:
    sign_in(Client(), "viewer", PASSWORD)
    client_for(cast.admin).post(reverse("catalogue:member_remove", args=["acme", cast.viewer.pk]))
    acme = rows(client_for(cast.admin).get(audit_url()))
    assert ("Member removed", "viewer", "Removed by admin") in acme
    assert ("Signed in", "viewer", "") not in acme


def _many_events(cast: Cast, n: int) -> None:
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            kind=AuditKind.LOGIN_FAILED if i % 2 else AuditKind.LOGIN,
            user=cast.member.user,
            username="member",
            detail=f"event {i}",
        )
        for i in range(n)
    )
    for i, event in enumerate(Events().filter(detail__startswith="event ").order_by("id")):
        Events().filter(pk=event.pk).update(at=now - timedelta(minutes=n - i))


def test_the_log_is_newest_first_and_paged(cast: Cast) -> None:
    _many_events(cast, 60)
    client = client_for(cast.admin)
    first = client.get(audit_url())
    second = client.get(audit_url(query="?page=2"))
    assert first.status_code == second.status_code == 200
    shown = [r[2] for r in rows(first) + rows(second) if r[2].startswith("event ")]
    assert shown == [f"event {i}" for i in reversed(range(60))]
    assert len(rows(first)) == 50
    assert "Page 1 of 2" in first.content.decode()


def test_the_log_filters_by_kind_and_the_pages_keep_the_filter(cast: Cast) -> None:
    _many_events(cast, 120)
    response = client_for(cast.admin).get(audit_url(query="?kind=login_failed"))
    assert response.status_code == 200
    assert {r[0] for r in rows(response)} == {"Failed sign-in"}
    assert response.context["page"].paginator.count == 60
    assert "?kind=login_failed&amp;page=2" in response.content.decode()
    assert '<option value="login_failed" selected>' in response.content.decode()


def test_an_unknown_kind_is_refused_next_to_the_field(cast: Cast) -> None:
    response = client_for(cast.admin).get(audit_url(query="?kind=nonsense"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-describedby="kind-error"' in page
    assert "Select a valid choice. nonsense is not one of the available choices." in page


def test_only_admins_open_the_log(cast: Cast) -> None:
    assert client_for(cast.leader).get(audit_url()).status_code == 403
    assert client_for(cast.viewer).get(audit_url()).status_code == 403
    assert client_for(cast.outsider).get(audit_url()).status_code == 404
    anonymous = Client().get(audit_url())
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_the_members_page_links_to_the_audit_log(cast: Cast) -> None:
    page = client_for(cast.admin).get(reverse("catalogue:member_list", args=["acme"]))
    assert f'href="{audit_url()}">Audit log</a>' in page.content.decode()


def test_the_page_has_a_heading_crumbs_and_a_labelled_filter(cast: Cast) -> None:
    response = client_for(cast.admin).get(audit_url())
    page = response.content.decode()
    assert '<div class="page-head"><h1>Audit log</h1>' in page
    assert response.context["crumbs"][-1] == ("Audit log", "")
    assert '<label class="form-label" for="id_kind">Kind of event</label>' in page


def test_the_log_runs_the_same_queries_however_long_it_is(cast: Cast) -> None:
    client = client_for(cast.admin)
    _many_events(cast, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(audit_url())
    _many_events(cast, 200)
    with CaptureQueriesContext(connection) as many:
        client.get(audit_url())
    assert len(many) == len(few)
