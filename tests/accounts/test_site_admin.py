"""Role changes and removals made by staff in the site admin (/admin/) are audited like
those made on the members page, and a removal there signs the person out too."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, client_for

from .helpers import is_signed_in


def staff_client() -> Client:
    client = Client()
    client.force_login(f.UserFactory(username="site-staff", is_staff=True, is_superuser=True))
    return client


def events(cast: Cast, kind: str) -> list[m.AuditEvent]:
    return list(m.AuditEvent.objects.for_org(cast.world.org).filter(kind=kind))


def test_a_role_changed_in_the_site_admin_is_in_the_audit_log(cast: Cast) -> None:
    url = reverse("admin:catalogue_membership_change", args=[cast.viewer.pk])

    response = staff_client().post(
        url,
        {"user": cast.viewer.user_id, "organisation": cast.world.org.pk, "role": "leadership"},
    )

    assert response.status_code == 302, response.content[:2000]
    cast.viewer.refresh_from_db()
    assert cast.viewer.role == "leadership"
    [event] = events(cast, m.AuditKind.ROLE_CHANGED)
    assert event.user_id == cast.viewer.user_id
    assert event.detail == "Viewer → Leadership by site-staff in the site admin"


def test_saving_without_a_role_change_records_nothing(cast: Cast) -> None:
    url = reverse("admin:catalogue_membership_change", args=[cast.viewer.pk])

    staff_client().post(
        url, {"user": cast.viewer.user_id, "organisation": cast.world.org.pk, "role": "viewer"}
    )

    assert events(cast, m.AuditKind.ROLE_CHANGED) == []


def test_a_member_removed_in_the_site_admin_is_signed_out_and_audited(cast: Cast) -> None:
    laptop = client_for(cast.member)
    assert is_signed_in(laptop)
    url = reverse("admin:catalogue_membership_delete", args=[cast.member.pk])

    response = staff_client().post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not m.Membership.objects.for_org(cast.world.org).filter(pk=cast.member.pk).exists()
    assert not is_signed_in(laptop)
    [event] = events(cast, m.AuditKind.MEMBER_REMOVED)
    assert event.user_id == cast.member.user_id
    assert "site admin" in event.detail


def test_members_removed_together_in_the_site_admin_are_each_audited(cast: Cast) -> None:
    chosen = [cast.member.pk, cast.viewer.pk]

    response = staff_client().post(
        reverse("admin:catalogue_membership_changelist"),
        {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
    )

    assert response.status_code == 302
    removed = {e.user_id for e in events(cast, m.AuditKind.MEMBER_REMOVED)}
    assert removed == {cast.member.user_id, cast.viewer.user_id}
